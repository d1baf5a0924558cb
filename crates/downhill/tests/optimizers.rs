//! Issue 3: the optimizers of Ruder's overview against independent scalar versions of
//! their formulas, on stackloss, in mini-batches, with early stopping, diverging, and the
//! composable extras (clipping, gradient noise, averaging).

mod common;

use downhill::data::Dataset;
use downhill::estimator::{FittedLinear, LinearRegression};
use downhill::objective::Single;
use downhill::optim::{
    build, default_lr, wrap, Averaged, ClipNorm, Extras, GradientNoise, Hyper, Optimizer, Sgd,
    CATALOG,
};
use downhill::schedule::{parse, Constant};
use downhill::train::{NoObserver, StopReason, TrainConfig, Trainer};
use downhill::{Error, Objective};

/// Stackloss (Brownlee, 1965): AIRFLOW, WATERTEMP, ACIDCONC -> STACKLOSS.
fn stackloss() -> Dataset {
    common::dataset(
        "stackloss.csv",
        &["AIRFLOW", "WATERTEMP", "ACIDCONC"],
        "STACKLOSS",
    )
}

/// The least-squares solution: AIRFLOW, WATERTEMP, ACIDCONC, intercept.
const SOLUTION: [f64; 4] = [
    0.7156402004852839,
    1.295286124388572,
    -0.15212251914865257,
    -39.919674420124025,
];

/// `[weights.., intercept]`.
fn params(fit: &FittedLinear) -> Vec<f64> {
    let mut p = fit.weights.clone();
    p.push(fit.intercept);
    p
}

/// The largest relative error against the least-squares solution.
fn rel_error(p: &[f64]) -> f64 {
    p.iter()
        .zip(SOLUTION)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max)
}

fn estimator(name: &str, schedule: &str, lr: f64, config: TrainConfig) -> LinearRegression {
    LinearRegression {
        optimizer: build(name, &Hyper::default()).unwrap(),
        schedule: parse(schedule, lr).unwrap(),
        config,
        ..LinearRegression::default()
    }
}

// ---------------------------------------------------------------------------------------
// The first steps against the formulas, written again here as scalar loops.

/// Hyperparameters of the reference versions: the defaults the registry documents.
const GAMMA: f64 = 0.9;
const B1: f64 = 0.9;
const B2: f64 = 0.999;

/// Runs Ruder's formula for `name` on one parameter component: `theta` from `theta0`
/// through the gradients `gs`, returning the parameter the optimizer holds after each step.
fn reference(name: &str, theta0: f64, gs: &[f64], lr: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut theta = theta0;
    // Generic state slots, named per rule below.
    let (mut a, mut b, mut c) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &g) in gs.iter().enumerate() {
        let t = (i + 1) as i32;
        match name {
            "gd" | "sgd" => theta -= lr * g,
            "momentum" => {
                a = GAMMA * a + lr * g;
                theta -= a;
            }
            "nesterov" => {
                // Ruder's form on theta; the optimizer holds phi = theta - gamma * v, and g
                // is the gradient at phi.
                a = GAMMA * a + lr * g;
                theta -= a;
            }
            "adagrad" => {
                a += g * g;
                theta -= lr / (a + 1e-8).sqrt() * g;
            }
            "adadelta" => {
                let (rho, eps) = (0.9, 1e-6);
                a = rho * a + (1.0 - rho) * g * g;
                let dx = -(b + eps).sqrt() / (a + eps).sqrt() * g;
                b = rho * b + (1.0 - rho) * dx * dx;
                theta += lr * dx;
            }
            "rmsprop" => {
                a = 0.9 * a + 0.1 * g * g;
                theta -= lr / (a + 1e-8).sqrt() * g;
            }
            "adam" | "adamw" => {
                if name == "adamw" {
                    theta -= lr * 0.01 * theta;
                }
                a = B1 * a + (1.0 - B1) * g;
                b = B2 * b + (1.0 - B2) * g * g;
                let mhat = a / (1.0 - B1.powi(t));
                let vhat = b / (1.0 - B2.powi(t));
                theta -= lr * mhat / (vhat.sqrt() + 1e-8);
            }
            "adamax" => {
                a = B1 * a + (1.0 - B1) * g;
                b = f64::max(B2 * b, g.abs());
                if b != 0.0 {
                    theta -= (lr / (1.0 - B1.powi(t))) * a / b;
                }
            }
            "nadam" => {
                a = B1 * a + (1.0 - B1) * g;
                b = B2 * b + (1.0 - B2) * g * g;
                let mhat = a / (1.0 - B1.powi(t));
                let vhat = b / (1.0 - B2.powi(t));
                theta -=
                    lr / (vhat.sqrt() + 1e-8) * (B1 * mhat + (1.0 - B1) * g / (1.0 - B1.powi(t)));
            }
            "amsgrad" => {
                a = B1 * a + (1.0 - B1) * g;
                b = B2 * b + (1.0 - B2) * g * g;
                c = c.max(b);
                let mhat = a / (1.0 - B1.powi(t));
                theta -= lr * mhat / ((c / (1.0 - B2.powi(t))).sqrt() + 1e-8);
            }
            other => panic!("no reference for {other}"),
        }
        out.push(if name == "nesterov" {
            theta - GAMMA * a
        } else {
            theta
        });
    }
    out
}

#[test]
fn first_three_steps_match_the_formulas() {
    let theta0 = [1.0, -2.0, 0.5, 3.0, -1.0];
    // Sign changes, a zero gradient (AdaMax's guard), a component whose gradients start at
    // zero, and one whose second moment shrinks (AMSGrad's maximum).
    let gs = [
        [0.5, -1.0, 2.0, 0.0, 4.0],
        [0.3, 0.0, -1.5, 0.0, 0.1],
        [-0.2, 0.7, 1.0, 4.0, -0.1],
    ];
    for info in CATALOG {
        for lr in [default_lr(info.name).unwrap(), 0.3] {
            let mut opt = build(info.name, &Hyper::default()).unwrap();
            opt.init(theta0.len());
            let mut p = theta0;
            let want: Vec<Vec<f64>> = (0..theta0.len())
                .map(|j| {
                    let g: Vec<f64> = gs.iter().map(|g| g[j]).collect();
                    reference(info.name, theta0[j], &g, lr)
                })
                .collect();
            for (k, g) in gs.iter().enumerate() {
                opt.step(&mut p, g, lr);
                for j in 0..p.len() {
                    assert!(
                        (p[j] - want[j][k]).abs() <= 1e-12,
                        "{} lr {lr}, step {}, component {j}: {} vs {}",
                        info.name,
                        k + 1,
                        p[j],
                        want[j][k]
                    );
                }
            }
            // The steps moved something: a reference that did nothing would not pass.
            assert!(p != theta0, "{}", info.name);
        }
    }
}

#[test]
fn init_forgets_the_state() {
    let g = [0.5, -1.0];
    for info in CATALOG {
        let mut opt = build(info.name, &Hyper::default()).unwrap();
        let mut first = [1.0, 1.0];
        opt.init(2);
        opt.step(&mut first, &g, 0.1);
        let mut again = [1.0, 1.0];
        opt.init(2);
        opt.step(&mut again, &g, 0.1);
        assert_eq!(first, again, "{}", info.name);
    }
}

// ---------------------------------------------------------------------------------------
// Stackloss, full batch, standardised features.

#[test]
fn every_optimizer_fits_stackloss() {
    // (optimizer, schedule, learning rate, epoch limit). Where the default learning rate
    // gets there quickly it is used; the others, and why:
    // - adagrad: at 0.01 the accumulated G slows the steps (error 3e-5 after 50,000);
    // - rmsprop: at a constant rate the steps stay about lr (g / rms(g) ~ 1) and it
    //   hovers around the answer, so it decays;
    // - nadam: at a constant rate it crawls at a distance proportional to lr, so it decays;
    // - amsgrad: at 0.001 the frozen maximal second moment makes it crawl (40,599 epochs);
    // - adamw: keeps its decay of 0.01, which Adam's normalised step nearly cancels, so
    //   it lands within 4e-6 of least squares (an L2 penalty of 0.01 would not).
    let cases: [(&str, &str, f64, usize); 12] = [
        ("gd", "constant", 0.1, 1_000),         // 629 epochs
        ("sgd", "constant", 0.1, 1_000),        // 629
        ("momentum", "constant", 0.01, 1_000),  // 527
        ("nesterov", "constant", 0.01, 1_000),  // 479
        ("adagrad", "constant", 1.0, 1_000),    // 209
        ("adadelta", "constant", 0.1, 4_000),   // 2097
        ("rmsprop", "exp:0.995", 0.1, 3_000),   // 1586
        ("adam", "constant", 0.001, 15_000),    // 7255
        ("adamax", "constant", 0.002, 8_000),   // 4043
        ("nadam", "exp:0.9995", 0.002, 30_000), // 18202
        ("amsgrad", "constant", 0.03, 2_000),   // 559
        ("adamw", "constant", 0.001, 60_000),   // 60000, at the limit
    ];
    assert_eq!(cases.len(), CATALOG.len());
    for (name, schedule, lr, max_epochs) in cases {
        let config = TrainConfig {
            max_epochs,
            record_params: false,
            ..TrainConfig::default()
        };
        let fit = estimator(name, schedule, lr, config)
            .fit(stackloss())
            .unwrap();
        let err = rel_error(&params(&fit));
        assert!(
            err < 1e-4,
            "{name} ({schedule}, lr {lr}): relative error {err:e} after {} epochs ({})",
            fit.epochs,
            fit.stop_reason
        );
        if name != "adamw" {
            assert_eq!(fit.stop_reason, StopReason::GradientTolerance, "{name}");
        }
    }
}

#[test]
fn adamw_decay_is_not_an_l2_penalty() {
    // The same decay as a penalty in the cost (ridge, 0.01/2 ||w||^2 on standardised
    // weights) moves the answer far more than AdamW's decoupled decay does.
    let config = TrainConfig {
        max_epochs: 60_000,
        record_params: false,
        ..TrainConfig::default()
    };
    let decoupled = estimator("adamw", "constant", 0.001, config.clone())
        .fit(stackloss())
        .unwrap();
    let mut ridge = estimator("adam", "constant", 0.001, config);
    ridge.penalty.l2 = 0.01;
    let ridge = ridge.fit(stackloss()).unwrap();
    let (e_w, e_l2) = (rel_error(&params(&decoupled)), rel_error(&params(&ridge)));
    assert!(
        e_w < 1e-4 && e_l2 > 1e-3,
        "adamw {e_w:e}, adam + l2 {e_l2:e}"
    );
}

// ---------------------------------------------------------------------------------------
// Mini-batches, early stopping, divergence.

fn minibatch(name: &str, seed: u64) -> Vec<f64> {
    let config = TrainConfig {
        max_epochs: 30,
        batch_size: Some(4),
        shuffle: true,
        seed,
        ..TrainConfig::default()
    };
    let lr = default_lr(name).unwrap();
    let fit = estimator(name, "constant", lr, config)
        .fit(stackloss())
        .unwrap();
    assert_eq!(fit.epochs, 30, "{name}");
    params(&fit)
}

#[test]
fn minibatch_runs_repeat_exactly_under_a_seed() {
    for info in CATALOG {
        let a = minibatch(info.name, 11);
        let b = minibatch(info.name, 11);
        let bits = |p: &[f64]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "{}", info.name);
        let c = minibatch(info.name, 12);
        assert_ne!(
            a, c,
            "{}: another seed, another order of batches",
            info.name
        );
    }
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    let mut est = estimator(
        "sgd",
        "constant",
        0.2,
        TrainConfig {
            max_epochs: 500,
            batch_size: Some(2),
            seed: 3,
            n_iter_no_change: 5,
            ..TrainConfig::default()
        },
    );
    est.validation_fraction = Some(0.25);
    let fit = est.fit(stackloss()).unwrap();
    assert_eq!(fit.stop_reason, StopReason::EarlyStopping);
    let records = fit.history.records();
    let costs: Vec<f64> = records.iter().map(|r| r.validation_cost.unwrap()).collect();
    // The first epoch with the lowest validation cost.
    let best = (0..costs.len())
        .min_by(|&i, &j| costs[i].total_cmp(&costs[j]).then(i.cmp(&j)))
        .unwrap();
    assert!(
        best < records.len() - 1,
        "the last epoch was the best: nothing restored"
    );
    assert_eq!(params(&fit), fit.history.params(best).unwrap());
    assert_eq!(fit.validation_cost, Some(costs[best]));
    // The run ended n_iter_no_change epochs after the best one.
    assert_eq!(records.len() - 1, best + 5);
}

fn diverges(name: &str, lr: f64, standardize: bool) -> Error {
    let mut est = estimator(
        name,
        "constant",
        lr,
        TrainConfig {
            max_epochs: 1_000,
            ..TrainConfig::default()
        },
    );
    est.standardize = standardize;
    match est.fit(stackloss()) {
        Ok(fit) => panic!(
            "{name} at lr {lr} did not diverge: {} epochs, cost {}, {:?}",
            fit.epochs,
            fit.cost,
            params(&fit)
        ),
        Err(e) => e,
    }
}

#[test]
fn too_large_a_learning_rate_is_reported_as_divergence() {
    for info in CATALOG {
        // Plain-gradient rules blow up geometrically at a moderately large rate; adaptive
        // rules step about lr per step whatever the gradient, so only a huge rate
        // overshoots by the factor 1e10 on the cost that counts as divergence.
        let lr = match info.name {
            "gd" | "sgd" | "momentum" | "nesterov" => 10.0,
            _ => 1e8,
        };
        for standardize in [true, false] {
            let e = diverges(info.name, lr, standardize);
            assert!(
                matches!(e, Error::Diverged { lr: l, .. } if l == lr),
                "{} (standardize {standardize}): {e:?}",
                info.name
            );
        }
        // A rate so large that the parameters overflow: still an error, not a panic.
        let e = diverges(info.name, 1e300, true);
        assert!(matches!(e, Error::Diverged { .. }), "{}: {e:?}", info.name);
    }
}

// ---------------------------------------------------------------------------------------
// The extras.

#[test]
fn clipping_bounds_every_step_and_tames_a_diverging_rate() {
    let lr = 1e-3;
    let run = |opt: Box<dyn Optimizer>| {
        LinearRegression {
            standardize: false,
            optimizer: opt,
            schedule: Box::new(Constant(lr)),
            config: TrainConfig {
                max_epochs: 200,
                ..TrainConfig::default()
            },
            ..LinearRegression::default()
        }
        .fit(stackloss())
    };
    // Raw stackloss: gradient descent at 1e-3 blows up...
    assert!(matches!(
        run(Box::new(Sgd::new())),
        Err(Error::Diverged { .. })
    ));
    // ... clipped to norm 1, every step is at most lr * 1 long, and some are that long.
    let fit = run(Box::new(ClipNorm::new(Box::new(Sgd::new()), 1.0))).unwrap();
    let h = &fit.history;
    let mut longest: f64 = 0.0;
    for k in 1..h.len() {
        let (a, b) = (h.params(k - 1).unwrap(), h.params(k).unwrap());
        let step = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(step <= lr * (1.0 + 1e-12), "epoch {k}: step {step}");
        longest = longest.max(step);
    }
    assert!(
        (longest - lr).abs() < 1e-12,
        "no step was clipped: {longest}"
    );
}

#[test]
fn gradient_noise_is_seeded_and_annealed() {
    // Through plain gradient descent at lr 1 on a zero gradient, each step is minus the
    // noise, which must be N(0, eta / (1 + t)^0.55).
    let (eta, dim) = (0.3, 20_000);
    let mut opt = GradientNoise::new(Box::new(Sgd::new()), eta, 5);
    opt.init(dim);
    let zero = vec![0.0; dim];
    let mut p = vec![0.0; dim];
    for t in 1..=3u64 {
        let before = p.clone();
        opt.step(&mut p, &zero, 1.0);
        let var_want = eta / (1.0 + t as f64).powf(0.55);
        let steps: Vec<f64> = p.iter().zip(&before).map(|(a, b)| b - a).collect();
        let mean = steps.iter().sum::<f64>() / dim as f64;
        let var = steps.iter().map(|s| s * s).sum::<f64>() / dim as f64;
        // Standard errors: sqrt(var / n) ~ 0.003 for the mean, var * sqrt(2 / n) for var.
        assert!(mean.abs() < 0.02, "t {t}: mean {mean}");
        assert!(
            (var / var_want - 1.0).abs() < 0.05,
            "t {t}: variance {var}, want {var_want}"
        );
    }

    // On stackloss: the same seed gives the same run, another seed another one.
    let run = |seed: u64| {
        let opt = wrap(
            build("sgd", &Hyper::default()).unwrap(),
            &Extras {
                noise: Some(0.001),
                seed,
                ..Extras::default()
            },
        )
        .unwrap();
        let fit = LinearRegression {
            optimizer: opt,
            config: TrainConfig {
                max_epochs: 300,
                ..TrainConfig::default()
            },
            ..LinearRegression::default()
        }
        .fit(stackloss())
        .unwrap();
        params(&fit)
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Noise of 0.001 (in the standardised coordinates) perturbs but does not wreck the fit.
    assert!(
        rel_error(&a) < 0.05 && rel_error(&a) > 1e-9,
        "{:e}",
        rel_error(&a)
    );
}

/// `f(x) = sum_i (i + 1) / 2 * x_i^2`, a plain function for the training loop.
#[derive(Debug)]
struct Bowl;

impl Objective for Bowl {
    fn dim(&self) -> usize {
        3
    }

    fn cost_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let mut f = 0.0;
        for (i, (gi, xi)) in g.iter_mut().zip(x).enumerate() {
            let a = (i + 1) as f64;
            *gi = a * xi;
            f += 0.5 * a * xi * xi;
        }
        f
    }

    fn cost(&self, x: &[f64]) -> f64 {
        x.iter()
            .enumerate()
            .map(|(i, xi)| 0.5 * (i + 1) as f64 * xi * xi)
            .sum()
    }
}

#[test]
fn averaging_reports_the_mean_of_the_iterates() {
    let epochs = 40;
    let mut trainer = Trainer {
        config: TrainConfig {
            max_epochs: epochs,
            ..TrainConfig::default()
        },
        optimizer: Box::new(Averaged::new(Box::new(Sgd::new()), 0)),
        solver: None,
        schedule: Box::new(Constant(0.1)),
    };
    let report = trainer
        .run(&Single(Bowl), vec![1.0, -2.0, 3.0], &mut NoObserver)
        .unwrap();
    let h = &report.history;
    assert_eq!(h.len(), epochs + 1);
    for j in 0..3 {
        let mean = (1..=epochs).map(|k| h.params(k).unwrap()[j]).sum::<f64>() / epochs as f64;
        assert!((report.params[j] - mean).abs() < 1e-14, "{j}");
        assert_ne!(report.params[j], h.params(epochs).unwrap()[j]);
    }
    // The reported cost and gradient belong to the average, not to the last iterate.
    assert_eq!(report.cost, Bowl.cost(&report.params));
    let mut g = [0.0; 3];
    Bowl.cost_grad(&report.params, &mut g);
    assert_eq!(
        report.grad_norm,
        g.iter().map(|v| v * v).sum::<f64>().sqrt()
    );
}

#[test]
fn averaging_damps_minibatch_noise_on_stackloss() {
    // Single-row SGD at a fixed rate ends wherever the last rows pushed it; the average of
    // the iterates after a burn-in of 50 epochs (1050 updates) has a much smaller excess
    // cost, seed after seed (about 30 times smaller over these eight).
    let run = |average: Option<u64>, seed: u64| {
        let opt = wrap(
            Box::new(Sgd::new()),
            &Extras {
                average,
                ..Extras::default()
            },
        )
        .unwrap();
        let fit = LinearRegression {
            optimizer: opt,
            schedule: Box::new(Constant(0.01)),
            config: TrainConfig {
                max_epochs: 300,
                batch_size: Some(1),
                seed,
                ..TrainConfig::default()
            },
            ..LinearRegression::default()
        }
        .fit(stackloss())
        .unwrap();
        fit.cost
    };
    // Excess cost over the least-squares fit.
    let best = LinearRegression::default().fit(stackloss()).unwrap().cost;
    let (mut sum_last, mut sum_avg) = (0.0, 0.0);
    for seed in 0..8 {
        let (last, avg) = (run(None, seed) - best, run(Some(50 * 21), seed) - best);
        assert!(
            avg < last / 1.5,
            "seed {seed}: averaged {avg:e}, last {last:e}"
        );
        (sum_last, sum_avg) = (sum_last + last, sum_avg + avg);
    }
    assert!(
        sum_avg * 10.0 < sum_last,
        "averaged {sum_avg:e}, last {sum_last:e}"
    );
}

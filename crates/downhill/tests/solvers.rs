//! The methods that choose their own step reach the minimum of Rosenbrock's function and the
//! least-squares solutions of stackloss and of NIST's Norris and Longley data, in far fewer
//! iterations than plain gradient descent.

mod common;

use downhill::data::{Matrix, Standardizer};
use downhill::loss::Squared;
use downhill::model::{Linear, LinearSecondOrder};
use downhill::objective::{FullBatch, Hessian, Single};
use downhill::optim::Sgd;
use downhill::solver::{self, Problem, SolveReport, SolverOptions};
use downhill::train::{NoObserver, Report, StopReason, TrainConfig, Trainer};
use downhill::Objective;

/// `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, minimised at (1, 1).
#[derive(Debug, Clone, Copy)]
struct Rosenbrock;

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
        g[1] = 200.0 * (y - x * x);
        self.cost(p)
    }
    fn cost(&self, p: &[f64]) -> f64 {
        (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2)
    }
}

impl Hessian for Rosenbrock {
    fn hessian(&self, p: &[f64], out: &mut [f64]) {
        let (x, y) = (p[0], p[1]);
        out[0] = 2.0 - 400.0 * y + 1200.0 * x * x;
        out[1] = -400.0 * x;
        out[2] = -400.0 * x;
        out[3] = 200.0;
    }
}

/// Features (the columns named `features`) and target (column `target`).
fn dataset(name: &str, features: &[&str], target: &str) -> (Matrix, Vec<f64>) {
    let d = common::dataset(name, features, target);
    (d.x, d.y)
}

const STACKLOSS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/stackloss.csv");

/// Stackloss's least-squares coefficients: intercept, AIRFLOW, WATERTEMP, ACIDCONC.
const STACKLOSS_LS: [f64; 4] = [
    -39.919674420124025,
    0.7156402004852839,
    1.295286124388572,
    -0.15212251914865257,
];

fn stackloss() -> (Matrix, Vec<f64>) {
    assert!(std::path::Path::new(STACKLOSS).exists());
    dataset(
        "stackloss.csv",
        &["AIRFLOW", "WATERTEMP", "ACIDCONC"],
        "STACKLOSS",
    )
}

/// A run of the named solver.
fn solve(name: &str, problem: Problem<'_>, init: Vec<f64>, config: &TrainConfig) -> SolveReport {
    let mut s = solver::by_name(name, &SolverOptions::default()).expect(name);
    s.minimize(problem, init, config, &mut NoObserver)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Plain gradient descent through the training loop.
fn gd<P: downhill::FiniteSum>(
    problem: &P,
    init: Vec<f64>,
    lr: f64,
    config: &TrainConfig,
) -> Report {
    let mut t = Trainer::new(Box::new(Sgd::new()), lr).with_config(config.clone());
    t.run(problem, init, &mut NoObserver).expect("gd runs")
}

fn rosenbrock_config() -> TrainConfig {
    TrainConfig {
        max_epochs: 20_000,
        gtol: 1e-10,
        ..TrainConfig::default()
    }
}

#[test]
fn rosenbrock_is_minimised_from_the_classic_start() {
    let cfg = rosenbrock_config();
    let mut iterations = Vec::new();
    for name in ["cg", "cg-fr", "lbfgs", "newton", "gd+wolfe"] {
        let cfg = TrainConfig {
            max_epochs: if name.starts_with("gd") { 20_000 } else { 500 },
            ..cfg.clone()
        };
        let out = solve(
            name,
            Problem::second_order(&Rosenbrock),
            vec![-1.2, 1.0],
            &cfg,
        );
        let r = &out.report;
        let err = (r.params[0] - 1.0).abs().max((r.params[1] - 1.0).abs());
        println!(
            "rosenbrock {name}: {} iterations, {} evaluations, {} Hessians, error {err:e}, {:?}",
            r.epochs, out.evaluations, out.hessians, r.stop_reason
        );
        if name != "gd+wolfe" {
            assert_eq!(r.stop_reason, StopReason::GradientTolerance, "{name}");
            assert!(err < 1e-6, "{name}: {:?}", r.params);
        }
        iterations.push((name, r.epochs));
    }
    // Newton converges quadratically, L-BFGS superlinearly: a few dozen iterations.
    for (name, n) in &iterations {
        match *name {
            "newton" => assert!(*n <= 30, "newton: {n}"),
            "lbfgs" | "cg" => assert!(*n <= 100, "{name}: {n}"),
            _ => {}
        }
    }
}

#[test]
fn second_order_methods_need_far_fewer_iterations_than_gd_on_rosenbrock() {
    let cfg = rosenbrock_config();
    // lr 1e-3 is about the largest stable one: the Hessian's largest eigenvalue is ~1000
    // at the minimum and ~1500 at the start.
    let plain = gd(&Single(Rosenbrock), vec![-1.2, 1.0], 1e-3, &cfg);
    let gd_err = (plain.params[0] - 1.0)
        .abs()
        .max((plain.params[1] - 1.0).abs());
    println!(
        "rosenbrock gd lr 1e-3: {} epochs, error {gd_err:e}, {:?}",
        plain.epochs, plain.stop_reason
    );
    // Gradient descent is still on its way after 20000 epochs.
    assert_eq!(plain.stop_reason, StopReason::MaxEpochs);
    assert!(gd_err > 1e-6);
    for name in ["cg", "lbfgs", "newton"] {
        let out = solve(
            name,
            Problem::second_order(&Rosenbrock),
            vec![-1.2, 1.0],
            &cfg,
        );
        assert!(out.report.stop_reason.converged(), "{name}");
        assert!(
            out.report.epochs * 100 < plain.epochs,
            "{name}: {} iterations vs gd {}",
            out.report.epochs,
            plain.epochs
        );
    }
}

/// Maps standardised `[w.., b]` back to `[b, w..]` in original units.
fn to_original(s: &Standardizer, p: &[f64]) -> Vec<f64> {
    let d = p.len() - 1;
    let (w, b) = s.to_original(&p[..d], p[d]);
    std::iter::once(b).chain(w).collect()
}

fn max_rel_err(est: &[f64], want: &[f64]) -> f64 {
    est.iter()
        .zip(want)
        .map(|(e, w)| ((e - w) / w).abs())
        .fold(0.0, f64::max)
}

#[test]
fn stackloss_least_squares_with_every_second_order_method() {
    let (mut x, y) = stackloss();
    let st = Standardizer::fit(&x).unwrap();
    st.transform(&mut x);
    let exact = LinearSecondOrder::new(&x, &y, Squared);
    let model = exact.model();
    let plain = FullBatch::new(&model);
    let cfg = TrainConfig {
        max_epochs: 1000,
        gtol: 1e-14,
        ..TrainConfig::default()
    };
    let mut runs = Vec::new();
    for name in ["cg", "lbfgs", "newton"] {
        // The plain full-batch objective, as the CLI builds it, and the compensated one.
        for (label, problem) in [
            ("plain", Problem::with_hessian(&plain, &exact)),
            ("compensated", Problem::second_order(&exact)),
        ] {
            let out = solve(name, problem, vec![0.0; 4], &cfg);
            let coef = to_original(&st, &out.report.params);
            let err = max_rel_err(&coef, &STACKLOSS_LS);
            println!(
                "stackloss {name} ({label}): {} iterations, {} evaluations, rel err {err:e}, {:?}",
                out.report.epochs, out.evaluations, out.report.stop_reason
            );
            assert!(err < 1e-9, "{name} ({label}): {coef:?}");
            assert!(out.report.stop_reason.converged(), "{name} ({label})");
            runs.push((name, out.report.epochs));
        }
    }

    // Plain gradient descent, same stopping rule, lr 0.1 (stable: the largest eigenvalue of
    // this Hessian is below 20).
    let plain_gd = gd(&model, vec![0.0; 4], 0.1, &cfg);
    let gd_coef = to_original(&st, &plain_gd.params);
    println!(
        "stackloss gd lr 0.1: {} epochs, rel err {:e}, {:?}",
        plain_gd.epochs,
        max_rel_err(&gd_coef, &STACKLOSS_LS),
        plain_gd.stop_reason
    );
    for (name, n) in runs {
        // Conjugate directions finish a 4-parameter quadratic in a handful of steps.
        assert!(n <= 20, "{name}: {n}");
        assert!(
            n * 10 < plain_gd.epochs,
            "{name}: {n} vs gd {}",
            plain_gd.epochs
        );
    }
}

/// Certified values of a NIST StRD data set, in order B0, B1, ...
fn certified(name: &str) -> Vec<f64> {
    let path = format!("{}/../../data/nist/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let cert = json["certified"].as_object().expect("certified values");
    (0..cert.len())
        .map(|k| {
            cert[&format!("B{k}")]
                .as_str()
                .expect("a string")
                .parse::<f64>()
                .expect("a number")
        })
        .collect()
}

/// Log relative error: the number of correct significant digits, minimised over parameters.
fn lre(est: &[f64], cert: &[f64]) -> f64 {
    est.iter()
        .zip(cert)
        .map(|(e, c)| {
            let rel = ((e - c) / c).abs();
            if rel == 0.0 {
                16.0
            } else {
                -rel.log10()
            }
        })
        .fold(f64::INFINITY, f64::min)
}

/// Fits `[B0, B1..]` on standardised features with `name`; returns the LRE and iterations.
fn nist_fit(
    set: &str,
    features: &[&str],
    name: &str,
    compensated: bool,
    max_epochs: usize,
) -> (f64, SolveReport) {
    let (mut x, y) = dataset(&format!("nist/{set}.csv"), features, "y");
    let st = Standardizer::fit(&x).unwrap();
    st.transform(&mut x);
    let exact = LinearSecondOrder::new(&x, &y, Squared);
    let model: Linear<'_, Squared> = exact.model();
    let plain = FullBatch::new(&model);
    let problem = if compensated {
        Problem::second_order(&exact)
    } else {
        Problem::with_hessian(&plain, &exact)
    };
    // The training loop's default: stop when the gradient norm has fallen by 1e-13.
    let cfg = TrainConfig {
        max_epochs,
        ..TrainConfig::default()
    };
    let out = solve(name, problem, vec![0.0; features.len() + 1], &cfg);
    let coef = to_original(&st, &out.report.params);
    let l = lre(&coef, &certified(set));
    println!(
        "{set} {name} ({}): LRE {l:.2}, {} iterations, {} evaluations, {:?}, stalled {}",
        if compensated { "compensated" } else { "plain" },
        out.report.epochs,
        out.evaluations,
        out.report.stop_reason,
        out.stalled
    );
    (l, out)
}

const LONGLEY: [&str; 6] = ["x1", "x2", "x3", "x4", "x5", "x6"];

#[test]
fn norris_to_nine_digits() {
    for name in ["lbfgs", "newton"] {
        for compensated in [false, true] {
            let (l, _) = nist_fit("Norris", &["x"], name, compensated, 200);
            assert!(l >= 9.0, "Norris {name}: LRE {l:.2}");
        }
    }
}

#[test]
fn longley_to_seven_digits_with_newton() {
    for compensated in [false, true] {
        let (l, out) = nist_fit("Longley", &LONGLEY, "newton", compensated, 50);
        assert!(l >= 7.0, "Longley newton: LRE {l:.2}");
        // One step solves the normal equations; any further ones only refine.
        assert!(out.report.epochs <= 5, "{}", out.report.epochs);
    }
}

#[test]
fn longley_to_seven_digits_with_lbfgs() {
    // Longley's columns are nearly collinear: near the solution the cost is flat to rounding
    // long before the parameters are accurate, and L-BFGS gets past that only because its
    // line search then judges steps by their slope (approximate Wolfe) or because the cost
    // is compensated.
    for compensated in [false, true] {
        let (l, out) = nist_fit("Longley", &LONGLEY, "lbfgs", compensated, 500);
        assert!(l >= 7.0, "Longley lbfgs: LRE {l:.2}");
        assert!(out.report.stop_reason.converged());
    }
}

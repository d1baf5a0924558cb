//! Issue 3: learning-rate schedules against their formulas, as parsed from the command
//! line's strings, and as recorded in a run's history.

use downhill::data::{Dataset, Matrix};
use downhill::estimator::LinearRegression;
use downhill::schedule::{parse, Plateau, Schedule, Warmup, SCHEDULES};
use downhill::train::TrainConfig;
use downhill::Error;
use std::f64::consts::PI;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 * b.abs().max(1e-300)
}

/// Checks `spec` at epochs 1..=60 against `formula(epoch)`.
fn check(spec: &str, lr0: f64, formula: impl Fn(usize) -> f64) {
    let s = parse(spec, lr0).unwrap();
    for e in 1..=60 {
        let (got, want) = (s.lr(e), formula(e));
        assert!(close(got, want), "{spec}, epoch {e}: {got} vs {want}");
    }
}

#[test]
fn every_schedule_follows_its_formula() {
    let lr0 = 0.2;
    check("constant", lr0, |_| lr0);
    check("step:10:0.5", lr0, |e| {
        lr0 * 0.5f64.powi(((e - 1) / 10) as i32)
    });
    check("step:3", lr0, |e| lr0 * 0.1f64.powi(((e - 1) / 3) as i32));
    check("exp:0.99", lr0, |e| lr0 * 0.99f64.powi(e as i32 - 1));
    check("EXPONENTIAL: 0.9 ", lr0, |e| {
        lr0 * 0.9f64.powi(e as i32 - 1)
    });
    check("invscaling", lr0, |e| lr0 / (e as f64).powf(0.25));
    check("invscaling:0.5", lr0, |e| lr0 / (e as f64).sqrt());
    check("cosine:20", lr0, |e| {
        let t = (e - 1).min(20) as f64;
        lr0 * (1.0 + (PI * t / 20.0).cos()) / 2.0
    });
    check("cosine:20:0.01", lr0, |e| {
        let t = (e - 1).min(20) as f64;
        0.01 + (lr0 - 0.01) * (1.0 + (PI * t / 20.0).cos()) / 2.0
    });
    // Warm-up: linear to the inner schedule's first rate, then the inner one from epoch 1.
    check("warmup:4", lr0, |e| {
        if e <= 4 {
            lr0 * e as f64 / 4.0
        } else {
            lr0
        }
    });
    check("warmup:5+exp:0.9", lr0, |e| {
        if e <= 5 {
            lr0 * e as f64 / 5.0
        } else {
            lr0 * 0.9f64.powi(e as i32 - 6)
        }
    });
    check("warmup:3 + cosine:10:0.02", lr0, |e| {
        if e <= 3 {
            lr0 * e as f64 / 3.0
        } else {
            let t = (e - 4).min(10) as f64;
            0.02 + (lr0 - 0.02) * (1.0 + (PI * t / 10.0).cos()) / 2.0
        }
    });
    // Unobserved, reduce-on-plateau keeps its first rate.
    check("plateau", lr0, |_| lr0);
}

/// The rule of reduce-on-plateau written again: the rates of epochs 1..=costs.len() + 1
/// when the costs of epochs 1, 2, ... are `costs`.
fn plateau_rates(lr0: f64, patience: usize, factor: f64, tol: f64, costs: &[f64]) -> Vec<f64> {
    let (mut lr, mut best, mut stale) = (lr0, f64::INFINITY, 0);
    let mut rates = vec![lr0];
    for &c in costs {
        let improved = if best.is_finite() {
            c < best - tol * best.abs()
        } else {
            c < best
        };
        stale = if improved { 0 } else { stale + 1 };
        best = best.min(c);
        if stale == patience {
            lr /= factor;
            stale = 0;
        }
        rates.push(lr);
    }
    rates
}

#[test]
fn plateau_divides_after_patience_epochs_without_improvement() {
    let lr0 = 1.0;
    let mut s = parse("plateau:3:2", lr0).unwrap();
    // Improving, then flat, then improving by less than tol (1e-4 relative), then again.
    let costs = [
        10.0, 9.0, 8.0, 8.0, 8.0, 8.0, 7.9999, 7.9995, 7.99949, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0,
    ];
    let mut rates = vec![s.lr(1)];
    for (i, &c) in costs.iter().enumerate() {
        s.observe(i + 1, c);
        rates.push(s.lr(i + 2));
    }
    #[rustfmt::skip]
    let by_hand = [
        1.0,                // epoch 1
        1.0, 1.0, 1.0,      // 10, 9, 8 improve
        1.0, 1.0, 0.5,      // 8, 8, 8: three stale epochs, halve
        0.5, 0.5,           // 7.9999, 7.9995: each less than 1e-4 (relative) below
        0.25,               // the best so far, as 7.99949: three stale, halve again
        0.25,               // 5 improves
        0.25, 0.25, 0.125,  // 5, 5, 5
        0.125, 0.125,       // 5, 5
    ];
    assert_eq!(rates, by_hand);
    assert_eq!(rates, plateau_rates(lr0, 3, 2.0, 1e-4, &costs));

    // A new run (epoch 1 again) starts from lr0.
    assert_eq!(s.lr(1), lr0);
    s.observe(1, 100.0);
    assert_eq!(s.lr(2), lr0);

    // The defaults: divide by 5 after 5 stale epochs (scikit-learn's adaptive).
    let mut d = Plateau::with_defaults(0.5);
    for e in 1..=6 {
        d.observe(e, 3.0);
    }
    assert_eq!(d.lr(7), 0.5 / 5.0);
    let mut parsed = parse("adaptive", 0.5).unwrap();
    for e in 1..=6 {
        parsed.observe(e, 3.0);
    }
    assert_eq!(parsed.lr(7), 0.1);
}

#[test]
fn warmup_hides_its_epochs_from_the_inner_schedule() {
    let mut s = parse("warmup:2+plateau:2:2", 1.0).unwrap();
    // Warm-up epochs 1 and 2 do not count; epoch 3 is the plateau's first epoch.
    let costs = [5.0, 5.0, 5.0, 5.0, 5.0];
    let mut rates = vec![s.lr(1)];
    for (i, &c) in costs.iter().enumerate() {
        s.observe(i + 1, c);
        rates.push(s.lr(i + 2));
    }
    // Epochs 1, 2: 0.5, 1 (warm-up); 3: 1 (first cost); 4, 5 stale -> halve for epoch 6.
    assert_eq!(rates, [0.5, 1.0, 1.0, 1.0, 1.0, 0.5]);
    // Built directly, the same.
    let w = Warmup::new(2, parse("constant", 1.0).unwrap());
    assert_eq!((w.lr(1), w.lr(2), w.lr(3)), (0.5, 1.0, 1.0));
}

#[test]
fn bad_specs_are_errors_that_name_the_schedule() {
    for spec in [
        "",
        "bogus",
        "constant:3",
        "cosine",
        "cosine:0",
        "cosine:10:5",
        "cosine:10:-1",
        "step",
        "step:0:0.5",
        "step:2.5",
        "step:10:1.5",
        "exp",
        "exp:0",
        "exp:1.01",
        "exp:nan",
        "invscaling:-1",
        "plateau:0",
        "plateau:3:1",
        "plateau:3:2:-1",
        "plateau:1:2:3:4",
        "warmup:0",
        "warmup:x+constant",
        "warmup:2+warmup:2",
        "warmup:2+bogus",
    ] {
        match parse(spec, 0.1) {
            Err(Error::InvalidSetting { setting, message }) => {
                assert_eq!(setting, "schedule", "{spec}");
                assert!(message.contains(&format!("`{spec}`")), "{spec}: {message}");
            }
            other => panic!("`{spec}` gave {other:?}"),
        }
    }
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(parse("constant", lr).is_err(), "{lr}");
    }
}

#[test]
fn every_documented_example_parses() {
    for info in SCHEDULES {
        let s = parse(info.example, 0.1).unwrap();
        assert!(s.lr(1) > 0.0, "{}", info.example);
    }
}

fn stackloss() -> Dataset {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/stackloss.csv"
    ))
    .unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        y.push(v[0]);
        x.extend_from_slice(&v[1..]);
    }
    Dataset::new(Matrix::from_row_major(y.len(), 3, x).unwrap(), y).unwrap()
}

fn fit_with(spec: &str, lr0: f64, epochs: usize) -> Vec<(f64, f64)> {
    let fit = LinearRegression {
        schedule: parse(spec, lr0).unwrap(),
        config: TrainConfig {
            max_epochs: epochs,
            gtol: 0.0,
            ..TrainConfig::default()
        },
        ..LinearRegression::default()
    }
    .fit(stackloss())
    .unwrap();
    assert_eq!(fit.epochs, epochs);
    fit.history
        .records()
        .iter()
        .map(|r| (r.lr, r.cost))
        .collect()
}

#[test]
fn the_history_records_the_rate_in_force() {
    // Row 0 carries the first epoch's rate; row e the rate epoch e ran with.
    let rows = fit_with("warmup:3+step:4:0.5", 0.1, 15);
    for (e, &(lr, _)) in rows.iter().enumerate() {
        let e = e.max(1);
        let want = if e <= 3 {
            0.1 * e as f64 / 3.0
        } else {
            0.1 * 0.5f64.powi(((e - 4) / 4) as i32)
        };
        assert!(close(lr, want), "epoch {e}: {lr} vs {want}");
    }

    // Reduce-on-plateau in a run: gradient descent converges, the cost stops improving and
    // the rate falls, exactly as the rule replayed on the recorded costs says.
    let rows = fit_with("plateau:5:5", 0.1, 600);
    let costs: Vec<f64> = rows[1..].iter().map(|r| r.1).collect();
    let want = plateau_rates(0.1, 5, 5.0, 1e-4, &costs);
    for (e, &(lr, _)) in rows.iter().enumerate().skip(1) {
        assert_eq!(lr, want[e - 1], "epoch {e}");
    }
    let last = rows.last().unwrap().0;
    assert!(last < 0.1 / 5.0, "the rate never fell: {last}");
}

//! Issue 14, item 5: a fit on borrowed rows (a NumPy buffer) reads them in place, with the
//! standardisation folded into the parameters, and gives the fit of the standardised copy;
//! where folding would cost accuracy, or the fit must move or round the rows, it copies them
//! once and gives the copy's fit exactly.

use downhill::data::{Dataset, DatasetRef, Matrix, MatrixRef, Precision, Standardizer};
use downhill::estimator::{LinearRegression, LogisticRegression, FOLD_MAX_OFFSET};
use downhill::loss::{LogLoss, Squared};
use downhill::model::{Folded, Linear};
use downhill::penalty::Penalty;
use downhill::solver::{self, SolverOptions};
use downhill::train::{StopReason, TrainConfig};
use downhill::{Error, FiniteSum, Rows};

/// `n` rows of three columns whose means are `offsets` times their spreads (spreads 0.5,
/// 3 and 20), regression targets, and classes that overlap. Deterministic.
fn table(n: usize, offsets: [f64; 3]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let spread = [0.5, 3.0, 20.0];
    // A hash to [-1.7, 1.7): columns independent of each other (not sines of one phase).
    let u = |i: usize, j: usize| {
        let h = ((i * 3 + j) as f64 * 12.9898 + 78.233).sin() * 43758.5453;
        (h - h.floor()) * 3.4 - 1.7
    };
    let mut x = Vec::with_capacity(3 * n);
    let (mut y, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let z: Vec<f64> = (0..3).map(|j| u(i, j)).collect();
        for j in 0..3 {
            x.push(spread[j] * (offsets[j] + z[j]));
        }
        let noise = ((i as f64) * 0.618).sin();
        y.push(1.5 * z[0] - 0.7 * z[1] + 0.2 * z[2] + 0.3 * noise + 4.0);
        c.push(f64::from(z[0] - 0.5 * z[1] + 0.8 * noise > 0.1));
    }
    (x, y, c)
}

fn solver(name: &str) -> Option<Box<dyn solver::Solver>> {
    Some(solver::by_name(name, &SolverOptions::default()).expect(name))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Largest relative difference of two parameter vectors (weights, then intercept).
fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| rel(*a, *b))
        .fold(0.0, f64::max)
}

const N: usize = 3000;

/// Linear regression estimators: gradient descent (the default), L-BFGS and Newton, with
/// and without an L2 penalty and an intercept.
fn regressions() -> Vec<(String, LinearRegression)> {
    let mut out = Vec::new();
    for method in ["gd", "lbfgs", "newton"] {
        for (l2, intercept) in [(0.0, true), (0.1, true), (0.0, false)] {
            out.push((
                format!("{method} l2={l2} intercept={intercept}"),
                LinearRegression {
                    solver: if method == "gd" { None } else { solver(method) },
                    penalty: Penalty { l1: 0.0, l2 },
                    fit_intercept: intercept,
                    ..LinearRegression::default()
                },
            ));
        }
    }
    out
}

fn classifiers() -> Vec<(String, LogisticRegression)> {
    let mut out = Vec::new();
    for method in ["gd", "lbfgs", "newton"] {
        for l2 in [0.0, 0.01] {
            out.push((
                format!("{method} l2={l2}"),
                LogisticRegression {
                    solver: if method == "gd" { None } else { solver(method) },
                    penalty: Penalty { l1: 0.0, l2 },
                    ..LogisticRegression::default()
                },
            ));
        }
    }
    out
}

#[test]
fn borrowed_rows_fit_as_the_standardised_copy_does() {
    // Column 0 sits 50 spreads from the origin: folding loses most there, and still gives
    // the copy's answer to 1e-10 and converges as it does.
    let (x, y, c) = table(N, [50.0, 3.0, 0.0]);
    let owned = || Matrix::from_row_major(N, 3, x.clone()).unwrap();
    let view = MatrixRef::f64(&x, N, 3).unwrap();
    let weights: Vec<f64> = (0..N).map(|i| 0.5 + (i % 4) as f64).collect();
    for (name, mut est) in regressions() {
        for w in [None, Some(weights.clone())] {
            let mut copy = Dataset::new(owned(), y.clone()).unwrap();
            let mut borrowed = DatasetRef::new(view, y.clone()).unwrap();
            if let Some(w) = &w {
                copy = copy.with_weights(w.clone()).unwrap();
                borrowed = borrowed.with_weights(w.clone()).unwrap();
            }
            let a = est.fit(copy).unwrap();
            let b = est.fit(borrowed).unwrap();
            let (pa, pb) = (
                [&a.weights[..], &[a.intercept]].concat(),
                [&b.weights[..], &[b.intercept]].concat(),
            );
            let weighted = w.is_some();
            assert!(
                max_rel(&pb, &pa) < 1e-10,
                "{name} weighted={weighted}: {pb:?} vs {pa:?}"
            );
            assert_eq!(a.stop_reason, StopReason::GradientTolerance, "{name}");
            assert_eq!(b.stop_reason, a.stop_reason, "{name}");
            assert!(
                rel(b.cost, a.cost) < 1e-12,
                "{name}: {} vs {}",
                b.cost,
                a.cost
            );
            assert_eq!(b.standardizer, a.standardizer);
            // The scores are summed over the caller's rows as over the copy's.
            let (sa, sb) = (a.train_scores.unwrap(), b.train_scores.unwrap());
            if let (
                downhill::metrics::Scores::Regression {
                    r2: r2a,
                    rmse: ra,
                    mae: ma,
                },
                downhill::metrics::Scores::Regression {
                    r2: r2b,
                    rmse: rb,
                    mae: mb,
                },
            ) = (sa, sb)
            {
                assert!(rel(r2b, r2a) < 1e-10 && rel(rb, ra) < 1e-10 && rel(mb, ma) < 1e-10);
            } else {
                panic!("regression scores");
            }
        }
    }
    for (name, mut est) in classifiers() {
        let a = est.fit(Dataset::new(owned(), c.clone()).unwrap()).unwrap();
        let b = est.fit(DatasetRef::new(view, c.clone()).unwrap()).unwrap();
        let (pa, pb) = (
            [&a.weights[..], &[a.intercept]].concat(),
            [&b.weights[..], &[b.intercept]].concat(),
        );
        assert!(max_rel(&pb, &pa) < 1e-10, "{name}: {pb:?} vs {pa:?}");
        assert_eq!(a.stop_reason, StopReason::GradientTolerance, "{name}");
        assert_eq!(b.stop_reason, a.stop_reason, "{name}");
        assert!(rel(b.cost, a.cost) < 1e-12, "{name}");
        let (sa, sb) = (a.train_scores.unwrap(), b.train_scores.unwrap());
        match (sa, sb) {
            (
                downhill::metrics::Scores::Classification {
                    accuracy: x1,
                    log_loss: l1,
                    confusion: c1,
                    ..
                },
                downhill::metrics::Scores::Classification {
                    accuracy: x2,
                    log_loss: l2,
                    confusion: c2,
                    ..
                },
            ) => {
                assert_eq!((x1, &c1), (x2, &c2), "{name}");
                assert!(rel(l2.unwrap(), l1.unwrap()) < 1e-10, "{name}");
            }
            _ => panic!("classification scores"),
        }
    }
}

#[test]
fn f32_rows_are_read_as_their_f64_values() {
    let (x, y, _) = table(N, [2.0, -1.0, 0.5]);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let wide: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
    let view = MatrixRef::f32(&x32, N, 3).unwrap();
    for (name, mut est) in regressions() {
        let a = est
            .fit(
                Dataset::new(
                    Matrix::from_row_major(N, 3, wide.clone()).unwrap(),
                    y.clone(),
                )
                .unwrap(),
            )
            .unwrap();
        let b = est.fit(DatasetRef::new(view, y.clone()).unwrap()).unwrap();
        let (pa, pb) = (
            [&a.weights[..], &[a.intercept]].concat(),
            [&b.weights[..], &[b.intercept]].concat(),
        );
        assert!(max_rel(&pb, &pa) < 1e-11, "{name}: {pb:?} vs {pa:?}");
        assert_eq!(b.stop_reason, a.stop_reason, "{name}");
    }
}

#[test]
fn rows_that_must_move_or_sit_far_from_the_origin_are_copied_once() {
    // Each of these fits copies the borrowed rows and then runs exactly as on an owned copy:
    // the same bits.
    let far = 10.0 * FOLD_MAX_OFFSET;
    let cases: Vec<(&str, [f64; 3], LinearRegression)> = vec![
        (
            "mean 1000 spreads away",
            [far, 0.0, 1.0],
            LinearRegression::default(),
        ),
        (
            "held-out rows",
            [1.0, 0.0, 1.0],
            LinearRegression {
                validation_fraction: Some(0.2),
                ..LinearRegression::default()
            },
        ),
        (
            "shuffled mini-batches",
            [1.0, 0.0, 1.0],
            LinearRegression {
                config: TrainConfig {
                    batch_size: Some(16),
                    max_epochs: 20,
                    ..TrainConfig::default()
                },
                ..LinearRegression::default()
            },
        ),
        (
            "f32 storage of f64 rows",
            [1.0, 0.0, 1.0],
            LinearRegression {
                precision: Precision::F32,
                ..LinearRegression::default()
            },
        ),
    ];
    for (name, offsets, mut est) in cases {
        let (x, y, c) = table(N, offsets);
        let view = MatrixRef::f64(&x, N, 3).unwrap();
        let a = est
            .fit(Dataset::new(Matrix::from_row_major(N, 3, x.clone()).unwrap(), y.clone()).unwrap())
            .unwrap();
        let b = est.fit(DatasetRef::new(view, y.clone()).unwrap()).unwrap();
        assert_eq!((a.weights, a.intercept), (b.weights, b.intercept), "{name}");
        assert_eq!(a.epochs, b.epochs, "{name}");
        let mut log = LogisticRegression {
            validation_fraction: est.validation_fraction,
            config: est.config.clone(),
            precision: est.precision,
            penalty: Penalty { l1: 0.0, l2: 0.01 },
            ..LogisticRegression::default()
        };
        let a = log
            .fit(Dataset::new(Matrix::from_row_major(N, 3, x.clone()).unwrap(), c.clone()).unwrap())
            .unwrap();
        let b = log.fit(DatasetRef::new(view, c.clone()).unwrap()).unwrap();
        assert_eq!((a.weights, a.intercept), (b.weights, b.intercept), "{name}");
    }
}

#[test]
fn folded_model_equals_the_model_on_the_standardised_copy() {
    // Value, gradient and Hessian at a few points, with and without an intercept, rows as a
    // range and as indices; the penalty on the standardised weights.
    let (raw, y, c) = table(37, [5.0, -3.0, 0.2]);
    let x = Matrix::from_row_major(37, 3, raw).unwrap();
    let penalty = Penalty { l1: 0.0, l2: 0.3 };
    let idx: Vec<usize> = (0..37).rev().step_by(2).collect();
    for intercept in [true, false] {
        let s = if intercept {
            Standardizer::fit(&x).unwrap()
        } else {
            Standardizer::fit_scale_only(&x).unwrap()
        };
        let mut z = x.clone();
        s.transform(&mut z);
        let dim = 3 + usize::from(intercept);
        for (targets, log) in [(&y, false), (&c, true)] {
            let (copy, folded): (Box<dyn FiniteSum>, Box<dyn FiniteSum>) = if log {
                (
                    Box::new(
                        Linear::new(&z, targets, LogLoss)
                            .intercept(intercept)
                            .penalty(penalty),
                    ),
                    Box::new(Folded::new(
                        Linear::new(&x, targets, LogLoss).intercept(intercept),
                        &s,
                        intercept,
                        penalty,
                    )),
                )
            } else {
                (
                    Box::new(
                        Linear::new(&z, targets, Squared)
                            .intercept(intercept)
                            .penalty(penalty),
                    ),
                    Box::new(Folded::new(
                        Linear::new(&x, targets, Squared).intercept(intercept),
                        &s,
                        intercept,
                        penalty,
                    )),
                )
            };
            assert!(folded.has_hessian() && folded.as_sync().is_some());
            assert_eq!((folded.dim(), folded.n_rows()), (dim, 37));
            for k in 0..3 {
                let p: Vec<f64> = (0..dim).map(|j| 0.3 * (k + j) as f64 - 0.5).collect();
                for rows in [Rows::Range(3..30), Rows::Indices(&idx)] {
                    let (mut g1, mut g2) = (vec![0.0; dim], vec![0.0; dim]);
                    let l1 = copy.accumulate(&p, rows.clone(), &mut g1);
                    let l2 = folded.accumulate(&p, rows.clone(), &mut g2);
                    assert!(rel(l2, l1) < 1e-13, "{l1} vs {l2}");
                    for (a, b) in g1.iter().zip(&g2) {
                        assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "{a} vs {b}");
                    }
                    assert!(
                        rel(
                            folded.loss_sum(&p, rows.clone()),
                            copy.loss_sum(&p, rows.clone())
                        ) < 1e-13
                    );
                    let (mut h1, mut h2) = (vec![0.0; dim * dim], vec![0.0; dim * dim]);
                    copy.hessian_sum(&p, rows.clone(), &mut h1);
                    folded.hessian_sum(&p, rows, &mut h2);
                    copy.penalty_hessian(&p, &mut h1);
                    folded.penalty_hessian(&p, &mut h2);
                    for (a, b) in h1.iter().zip(&h2) {
                        assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "{a} vs {b}");
                    }
                }
                // Runs of rows (the full batch's blocks): the folded model folds their total
                // once; both overwrite what `out` held.
                let (mut h1, mut h2) = (vec![7.0; dim * dim], vec![-7.0; dim * dim]);
                copy.hessian_runs(&p, 2..35, 8, &mut h1);
                folded.hessian_runs(&p, 2..35, 8, &mut h2);
                let mut h3 = vec![0.0; dim * dim];
                copy.hessian_sum(&p, Rows::Range(2..35), &mut h3);
                for ((a, b), c) in h1.iter().zip(&h2).zip(&h3) {
                    assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "{a} vs {b}");
                    assert!((a - c).abs() <= 1e-14 * a.abs().max(1.0), "{a} vs {c}");
                }
                // Loss, gradient and Hessian in one pass: the bits of the folded model's
                // own runs (the log loss's fused kernel; the squared loss's two passes).
                let (mut g1, mut g2) = (vec![f64::NAN; dim], vec![f64::NAN; dim]);
                let (mut h1, mut h2) = (vec![f64::NAN; dim * dim], vec![0.5; dim * dim]);
                let l1 = folded.cost_grad_hessian_runs(&p, 2..35, 8, &mut g1, &mut h1);
                let l2 =
                    downhill::objective::separate_runs(&*folded, &p, 2..35, 8, &mut g2, &mut h2);
                assert_eq!(l1.to_bits(), l2.to_bits());
                assert_eq!(g1, g2);
                assert_eq!(h1, h2);
                assert_eq!(folded.fuses_hessian(), copy.fuses_hessian());
                let (mut g1, mut g2) = (vec![0.0; dim], vec![0.0; dim]);
                assert_eq!(copy.penalty(&p, &mut g1), folded.penalty(&p, &mut g2));
                assert_eq!(g1, g2);
                assert_eq!(copy.penalty_value(&p), folded.penalty_value(&p));
            }
        }
    }
}

#[test]
fn borrowed_rows_are_checked_as_owned_ones() {
    let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert!(matches!(MatrixRef::f64(&x, 2, 2), Err(Error::Shape { .. })));
    x[3] = f64::NAN;
    let err = DatasetRef::new(MatrixRef::f64(&x, 3, 2).unwrap(), vec![0.0; 3]).unwrap_err();
    assert_eq!(
        err,
        Error::NotFinite {
            what: "a feature",
            row: 1,
            column: 1
        }
    );
    let x32 = [1.0f32, 2.0, 3.0, f32::INFINITY];
    let err = DatasetRef::new(MatrixRef::f32(&x32, 2, 2).unwrap(), vec![0.0; 2]).unwrap_err();
    assert_eq!(
        err,
        Error::NotFinite {
            what: "a feature",
            row: 1,
            column: 1
        }
    );
    let ok = [1.0f32, 2.0, 3.0, 4.0];
    let err = DatasetRef::new(MatrixRef::f32(&ok, 2, 2).unwrap(), vec![0.0, f64::NAN]).unwrap_err();
    assert_eq!(
        err,
        Error::NotFinite {
            what: "a target",
            row: 1,
            column: 2
        }
    );
    assert!(DatasetRef::new(MatrixRef::f32(&ok, 2, 2).unwrap(), vec![0.0]).is_err());
    let d = DatasetRef::new(MatrixRef::f32(&ok, 2, 2).unwrap(), vec![0.0, 1.0]).unwrap();
    assert!(d.clone().with_weights(vec![0.0, 0.0]).is_err());
    assert_eq!(
        d.into_owned().x,
        Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])
    );
}

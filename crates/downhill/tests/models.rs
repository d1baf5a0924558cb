//! Models beyond the straight line, against published and scikit-learn references:
//! logistic regression (breast cancer), softmax regression (iris), polynomial least squares
//! and regression through the origin (NIST StRD), the Lasso (stackloss), and the separable
//! case that has no finite optimum.

use downhill::data::{Dataset, Matrix, PolynomialFeatures};
use downhill::estimator::{
    LinearRegression, LogisticRegression, RegressionLoss, SoftmaxRegression,
};
use downhill::loss::LogLoss;
use downhill::metrics;
use downhill::model::{Linear, Softmax};
use downhill::objective::FullBatch;
use downhill::penalty::Penalty;
use downhill::schedule::Constant;
use downhill::train::{StopReason, TrainConfig};
use downhill::{Error, Objective};
mod common;

use serde_json::Value;

use common::{data_path as path, read_csv as csv};

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path(name)).expect("json file")).expect("json")
}

/// A certified value, stored as a string in NIST's notation.
fn certified(v: &Value, key: &str) -> f64 {
    v["certified"][key]
        .as_str()
        .expect("string")
        .parse()
        .expect("number")
}

/// The leading numeric columns as features, the last column through `target`.
fn dataset(name: &str, target: impl Fn(&str) -> f64) -> (Vec<String>, Dataset) {
    let (header, rows) = csv(name);
    let d = header.len() - 1;
    let mut x = Vec::with_capacity(rows.len() * d);
    let mut y = Vec::with_capacity(rows.len());
    for r in &rows {
        x.extend(r[..d].iter().map(|c| c.parse::<f64>().expect("number")));
        y.push(target(&r[d]));
    }
    let x = Matrix::from_row_major(rows.len(), d, x).unwrap();
    (header, Dataset::new(x, y).unwrap())
}

fn number(c: &str) -> f64 {
    c.parse().expect("number")
}

/// Number of correct significant digits of `estimate`.
fn lre(estimate: f64, certified: f64) -> f64 {
    if estimate == certified {
        return 16.0;
    }
    -((estimate - certified).abs() / certified.abs()).log10()
}

fn gd(lr: f64, max_epochs: usize) -> (Box<Constant>, TrainConfig) {
    let config = TrainConfig {
        max_epochs,
        record_params: false,
        ..TrainConfig::default()
    };
    (Box::new(Constant(lr)), config)
}

fn breast_cancer() -> (Vec<String>, Dataset) {
    dataset("breast_cancer.csv", |c| match c {
        "malignant" => 1.0,
        "benign" => 0.0,
        other => panic!("unknown diagnosis {other}"),
    })
}

#[test]
fn breast_cancer_matches_the_l2_logistic_reference() {
    let reference = json("breast_cancer.reference.json");
    // The same objective's exact optimum (Newton-polished from the reference, gradient
    // ~1e-18), by scripts/references.py.
    let exact = json("reference/breast_cancer_polished.json");
    let (header, data) = breast_cancer();
    let n = data.n_rows();
    let lambda = reference["lambda"].as_f64().unwrap();
    assert!((lambda - 1.0 / n as f64).abs() < 1e-18);
    let (schedule, config) = gd(4.0, 10_000);
    let mut est = LogisticRegression {
        penalty: Penalty {
            l1: 0.0,
            l2: lambda,
        },
        schedule,
        config,
        ..LogisticRegression::default()
    };
    let fit = est.fit(data.clone()).unwrap();
    assert_eq!(
        fit.stop_reason,
        StopReason::GradientTolerance,
        "{} epochs",
        fit.epochs
    );

    // The references are for standardised features: map the fit there.
    let s = fit.standardizer.as_ref().unwrap();
    let (w_std, b_std) = s.to_standardized(&fit.weights, fit.intercept);
    let mut ours = w_std.clone();
    ours.push(b_std);
    let names: Vec<&str> = header[..30].iter().map(String::as_str).collect();
    let coef = |v: &Value, j: usize| match names.get(j) {
        Some(name) => v["weights"][name].as_f64().unwrap(),
        None => v["intercept"].as_f64().unwrap(),
    };
    // The shipped reference stopped with a gradient of ~1e-8 (lbfgs), which leaves one
    // coefficient 1.13e-6 from the optimum; we reach the optimum itself.
    let worst = exact["shipped_reference_worst_coefficient"]
        .as_str()
        .unwrap();
    let off = exact["shipped_reference_max_abs_difference"]
        .as_f64()
        .unwrap();
    assert!(off < 1.2e-6);
    for (j, w) in ours.iter().enumerate() {
        let name = names.get(j).copied().unwrap_or("intercept");
        let (e, r) = (coef(&exact, j), coef(&reference, j));
        assert!((w - e).abs() < 1e-9, "{name}: {w} vs exact optimum {e}");
        let tol = if name == worst { off + 1e-9 } else { 1e-6 };
        assert!((w - r).abs() < tol, "{name}: {w} vs reference {r}");
    }
    // The shipped reference is not stationary for this objective, our fit is: the library's
    // own gradient, at both, in the standardised coordinates.
    let mut z = data.x.clone();
    s.transform(&mut z);
    let model = Linear::new(&z, &data.y, LogLoss).penalty(Penalty {
        l1: 0.0,
        l2: lambda,
    });
    let objective = FullBatch::new(&model);
    let grad_norm = |p: &[f64]| {
        let mut g = vec![0.0; 31];
        objective.cost_grad(p, &mut g);
        g.iter().map(|v| v * v).sum::<f64>().sqrt()
    };
    let shipped: Vec<f64> = (0..31).map(|j| coef(&reference, j)).collect();
    assert!(grad_norm(&shipped) > 1e-9);
    assert!(grad_norm(&ours) < 1e-12);

    let p = fit.predict_proba(&data.x).unwrap();
    let ll = metrics::log_loss(&data.y, &p).unwrap();
    let ll_ref = reference["mean_log_loss"].as_f64().unwrap();
    assert!((ll - ll_ref).abs() < 1e-9, "log-loss {ll} vs {ll_ref}");
    let ll_exact = exact["mean_log_loss"].as_f64().unwrap();
    assert!((ll - ll_exact).abs() < 1e-12, "log-loss {ll} vs {ll_exact}");
    // The reported cost is that log-loss plus the penalty.
    let pen = 0.5 * lambda * w_std.iter().map(|w| w * w).sum::<f64>();
    assert!((fit.cost - (ll + pen)).abs() < 1e-12);
    let acc = metrics::accuracy(&data.y, &fit.predict(&data.x)).unwrap();
    assert_eq!(acc, reference["training_accuracy"].as_f64().unwrap());
}

#[test]
fn breast_cancer_without_penalty_is_separable() {
    let (_, data) = breast_cancer();
    let (schedule, config) = gd(4.0, 100_000);
    let mut est = LogisticRegression {
        schedule,
        config,
        ..LogisticRegression::default()
    };
    match est.fit(data) {
        Err(Error::Separable { epoch }) => assert!(epoch < 100, "found at epoch {epoch}"),
        Err(e) => panic!("expected Separable, got the error {e}"),
        Ok(fit) => panic!(
            "expected Separable, got a fit: {:?} after {} epochs",
            fit.stop_reason, fit.epochs
        ),
    }
}

#[test]
fn iris_softmax_matches_the_l2_reference() {
    let reference = json("reference/iris_softmax.json");
    let classes: Vec<String> = reference["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let (_, data) = dataset("iris.csv", |c| {
        classes.iter().position(|k| k == c).expect("known class") as f64
    });
    let lambda = reference["lambda"].as_f64().unwrap();
    assert_eq!(lambda, 1.0 / data.n_rows() as f64);
    let (schedule, config) = gd(1.0, 10_000);
    let mut est = SoftmaxRegression {
        penalty: Penalty {
            l1: 0.0,
            l2: lambda,
        },
        schedule,
        config,
        ..SoftmaxRegression::default()
    };
    let fit = est.fit(data.clone()).unwrap();
    assert_eq!(
        fit.stop_reason,
        StopReason::GradientTolerance,
        "{} epochs",
        fit.epochs
    );
    assert_eq!(fit.n_classes, 3);

    let s = fit.standardizer.as_ref().unwrap();
    let mut b_std = Vec::new();
    for k in 0..3 {
        let (w, b) = s.to_standardized(fit.weights.row(k), fit.intercepts[k]);
        b_std.push(b);
        for (j, wj) in w.iter().enumerate() {
            let w_ref = reference["weights"][k][j].as_f64().unwrap();
            assert!(
                (wj - w_ref).abs() < 1e-5,
                "class {k} weight {j}: {wj} vs {w_ref}"
            );
        }
    }
    // Intercepts are unique only up to a common shift: compare them centred.
    let b_ref: Vec<f64> = (0..3)
        .map(|k| reference["intercepts"][k].as_f64().unwrap())
        .collect();
    let (m, m_ref) = (
        b_std.iter().sum::<f64>() / 3.0,
        b_ref.iter().sum::<f64>() / 3.0,
    );
    for k in 0..3 {
        let (b, r) = (b_std[k] - m, b_ref[k] - m_ref);
        assert!((b - r).abs() < 1e-5, "class {k} intercept: {b} vs {r}");
    }
    let proba = fit.predict_proba(&data.x);
    for i in 0..data.n_rows() {
        for k in 0..3 {
            let r = reference["probabilities"][i][k].as_f64().unwrap();
            assert!((proba.row(i)[k] - r).abs() < 1e-5, "row {i} class {k}");
        }
    }
    let ce = metrics::log_loss_multiclass(&data.y, &proba).unwrap();
    let ce_ref = reference["mean_cross_entropy"].as_f64().unwrap();
    assert!((ce - ce_ref).abs() < 1e-9, "{ce} vs {ce_ref}");
    assert!((fit.cost - reference["cost"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn nist_pontius_quadratic_through_polynomial_features() {
    let cert = json("nist/Pontius.json");
    let (_, data) = dataset("nist/Pontius.csv", number);
    let poly = PolynomialFeatures::new(vec![0], 2).unwrap();
    let x = poly.transform(&data.x).unwrap();
    assert_eq!(poly.terms()[0].power, 2);
    let (schedule, config) = gd(0.4, 5_000);
    let mut est = LinearRegression {
        schedule,
        config,
        ..LinearRegression::default()
    };
    let fit = est.fit(Dataset::new(x, data.y).unwrap()).unwrap();
    assert_eq!(
        fit.stop_reason,
        StopReason::GradientTolerance,
        "{} epochs",
        fit.epochs
    );
    let got = [fit.intercept, fit.weights[0], fit.weights[1]];
    for (name, g) in ["B0", "B1", "B2"].iter().zip(got) {
        let c = certified(&cert, name);
        assert!(lre(g, c) >= 6.0, "{name}: {g} vs {c} (LRE {})", lre(g, c));
    }
}

#[test]
fn nist_regression_through_the_origin() {
    for name in ["NoInt1", "NoInt2"] {
        let cert = json(&format!("nist/{name}.json"));
        let (_, data) = dataset(&format!("nist/{name}.csv"), number);
        let (schedule, config) = gd(0.4, 1_000);
        let mut est = LinearRegression {
            fit_intercept: false,
            schedule,
            config,
            ..LinearRegression::default()
        };
        let fit = est.fit(data).unwrap();
        assert_eq!(fit.stop_reason, StopReason::GradientTolerance, "{name}");
        assert_eq!(fit.intercept, 0.0);
        let c = certified(&cert, "B1");
        let g = fit.weights[0];
        assert!(lre(g, c) >= 6.0, "{name}: {g} vs {c} (LRE {})", lre(g, c));
    }
}

#[test]
fn stackloss_lasso_gives_exact_zeros_like_scikit_learn() {
    let reference = json("reference/stackloss_lasso.json");
    let (header, data) = dataset("stackloss.csv", number);
    // stackloss.csv has the target first: move it to the end.
    let (n, d) = (data.n_rows(), header.len() - 1);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        y.push(data.x.row(i)[0]);
        x.extend_from_slice(&data.x.row(i)[1..]);
        x.push(data.y[i]);
    }
    assert_eq!(header[0], reference["target"].as_str().unwrap());
    let data = Dataset::new(Matrix::from_row_major(n, d, x).unwrap(), y).unwrap();
    let l1 = reference["l1"].as_f64().unwrap();
    let (schedule, config) = gd(0.2, 2_000);
    let mut est = LinearRegression {
        penalty: Penalty { l1, l2: 0.0 },
        schedule,
        config,
        ..LinearRegression::default()
    };
    let fit = est.fit(data).unwrap();
    // The proximal stationarity test ends the run, not the epoch limit.
    assert_eq!(
        fit.stop_reason,
        StopReason::GradientTolerance,
        "{} epochs",
        fit.epochs
    );
    let s = fit.standardizer.as_ref().unwrap();
    let (w_std, b_std) = s.to_standardized(&fit.weights, fit.intercept);
    let mut zeros = 0;
    for j in 0..d {
        let w_ref = reference["weights"][j].as_f64().unwrap();
        if w_ref == 0.0 {
            assert_eq!(fit.weights[j], 0.0, "feature {j} must be exactly zero");
            zeros += 1;
        } else {
            assert!(
                (w_std[j] - w_ref).abs() < 1e-6,
                "feature {j}: {} vs {w_ref}",
                w_std[j]
            );
        }
    }
    assert!(zeros > 0);
    let b_ref = reference["intercept"].as_f64().unwrap();
    assert!((b_std - b_ref).abs() < 1e-6, "{b_std} vs {b_ref}");
    let cost_ref = reference["downhill_cost"].as_f64().unwrap();
    assert!(
        (fit.cost - cost_ref).abs() < 1e-9,
        "{} vs {cost_ref}",
        fit.cost
    );
}

/// `y = 2x + 1` with one wild outlier.
fn line_with_outlier() -> Dataset {
    let xs: Vec<f64> = (0..20).map(f64::from).collect();
    let mut y: Vec<f64> = xs.iter().map(|x| 2.0 * x + 1.0).collect();
    y[19] += 200.0;
    Dataset::new(Matrix::from_row_major(20, 1, xs).unwrap(), y).unwrap()
}

#[test]
fn robust_losses_resist_an_outlier() {
    let fit_with = |loss, lr, epochs| {
        let (schedule, config) = gd(lr, epochs);
        let mut est = LinearRegression {
            loss,
            schedule,
            config,
            ..LinearRegression::default()
        };
        est.fit(line_with_outlier()).unwrap()
    };
    let squared = fit_with(RegressionLoss::Squared, 0.1, 5_000);
    assert!(
        (squared.weights[0] - 2.0).abs() > 2.0,
        "{}",
        squared.weights[0]
    );
    // Huber is smooth: gradient descent converges. Only the outlier is in the linear zone
    // at the optimum, so its pull is capped at delta.
    let huber = fit_with(RegressionLoss::Huber(1.0), 0.5, 50_000);
    assert_eq!(huber.stop_reason, StopReason::GradientTolerance);
    assert!(
        (huber.weights[0] - 2.0).abs() < 0.05,
        "{}",
        huber.weights[0]
    );
    // Least absolute deviations passes through the 19 clean points; with subgradients at a
    // constant rate the iterates end within a few steps of it.
    let lad = fit_with(RegressionLoss::Absolute, 0.01, 20_000);
    assert!((lad.weights[0] - 2.0).abs() < 0.02, "{}", lad.weights[0]);
    assert!((lad.intercept - 1.0).abs() < 0.1, "{}", lad.intercept);
}

#[test]
fn epsilon_insensitive_stops_inside_the_tube() {
    // Points within 0.3 of y = x: with a tube of 0.5 every residual ends inside and the
    // gradient is exactly zero.
    let xs: Vec<f64> = (0..10).map(f64::from).collect();
    let y: Vec<f64> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| x + if i % 2 == 0 { 0.3 } else { -0.3 })
        .collect();
    let data = Dataset::new(Matrix::from_row_major(10, 1, xs).unwrap(), y.clone()).unwrap();
    let (schedule, config) = gd(0.1, 10_000);
    let mut est = LinearRegression {
        loss: RegressionLoss::EpsilonInsensitive(0.5),
        schedule,
        config,
        ..LinearRegression::default()
    };
    let fit = est.fit(data.clone()).unwrap();
    assert_eq!(fit.stop_reason, StopReason::GradientTolerance);
    assert_eq!(fit.cost, 0.0);
    for (p, t) in fit.predict(&data.x).iter().zip(&y) {
        assert!((p - t).abs() <= 0.5);
    }
}

#[test]
fn invalid_loss_parameters_are_errors() {
    for loss in [
        RegressionLoss::Huber(0.0),
        RegressionLoss::Huber(f64::NAN),
        RegressionLoss::EpsilonInsensitive(-1.0),
    ] {
        let mut est = LinearRegression {
            loss,
            ..LinearRegression::default()
        };
        assert!(matches!(
            est.fit(line_with_outlier()),
            Err(Error::InvalidSetting { .. })
        ));
    }
}

#[test]
fn softmax_l1_gives_exact_zeros_at_an_l1_optimum() {
    let (_, data) = dataset("iris.csv", |c| match c {
        "setosa" => 0.0,
        "versicolor" => 1.0,
        "virginica" => 2.0,
        other => panic!("unknown species {other}"),
    });
    let l1 = 0.05;
    let (schedule, config) = gd(1.0, 20_000);
    let mut est = SoftmaxRegression {
        penalty: Penalty { l1, l2: 0.0 },
        schedule,
        config,
        ..SoftmaxRegression::default()
    };
    let fit = est.fit(data.clone()).unwrap();
    assert_eq!(
        fit.stop_reason,
        StopReason::GradientTolerance,
        "{} epochs",
        fit.epochs
    );
    let zeros = fit.weights.as_slice().iter().filter(|w| **w == 0.0).count();
    assert!(zeros >= 3, "{zeros} exact zeros");

    // Optimality of mean CE + l1 ||W||_1 in the standardised coordinates: the smooth
    // gradient is -l1 sign(w) where w != 0, within [-l1, l1] where w == 0, and 0 for the
    // intercepts.
    let s = fit.standardizer.as_ref().unwrap();
    let mut params = Vec::new();
    for k in 0..3 {
        let (w, b) = s.to_standardized(fit.weights.row(k), fit.intercepts[k]);
        params.extend(w);
        params.push(b);
    }
    let mut z = data.x.clone();
    s.transform(&mut z);
    let model = Softmax::new(&z, &data.y, 3).unwrap();
    let mut g = vec![0.0; 15];
    FullBatch::new(&model).cost_grad(&params, &mut g);
    for (j, (w, g)) in params.iter().zip(&g).enumerate() {
        let residual = if j % 5 == 4 {
            g.abs()
        } else if *w == 0.0 {
            (g.abs() - l1).max(0.0)
        } else {
            (g + l1 * w.signum()).abs()
        };
        assert!(residual < 1e-9, "parameter {j}: w {w}, gradient {g}");
    }
}

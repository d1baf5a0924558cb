//! A model file that parses but lies (issue 12, case 6): `predict` and `evaluate` refuse it
//! with one line naming the file and the field, exit code 1, never a panic or an abort.

use assert_cmd::Command;
use serde_json::{json, Value};

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

/// A valid logistic model on features `a`, `b` (the fields `predict` reads).
fn logistic() -> Value {
    json!({
        "format": "downhill-model",
        "version": 1,
        "model": "logistic",
        "loss": "log",
        "target": "y",
        "features": ["a", "b"],
        "polynomial": null,
        "terms": ["a", "b"],
        "classes": ["n", "p"],
        "weights": [[0.5, -0.25]],
        "intercept": [0.1],
        "fit_intercept": true,
        "standardization": {"mean": [1.0, 2.0], "scale": [0.5, 1.5]},
        "training": {
            "optimizer": "gd", "lr": 0.1, "schedule": "constant", "batch_size": null,
            "l1": 0.0, "l2": 0.0, "max_epochs": 100, "epochs": 100, "gtol": 1e-13,
            "tol": null, "seed": 0, "stop_reason": "max_epochs", "rows": 3
        },
        "cost": 0.5
    })
}

/// `logistic()` with some fields replaced.
fn lying(changes: Value) -> Value {
    let mut m = logistic();
    for (k, v) in changes.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

/// Runs `downhill predict` on `model` and three rows of `a,b`: stdout, or the error.
fn predict(model: &Value) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    std::fs::write(&path, model.to_string()).unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, "a,b\n1,2\n3,4\n-5,0.5\n").unwrap();
    let out = downhill()
        .current_dir(dir.path())
        .args(["predict", "model.json", "data.csv"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).to_string());
    }
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    Err(err.trim_end().to_string())
}

fn refused(model: Value) -> String {
    predict(&model).expect_err("the model must be refused")
}

#[test]
fn the_valid_model_predicts() {
    let out = predict(&logistic()).unwrap();
    assert_eq!(out.lines().next(), Some("prediction,p_n,p_p"));
    assert_eq!(out.lines().count(), 4);
}

#[test]
fn a_logistic_model_with_one_class_is_refused() {
    assert_eq!(
        refused(lying(json!({"classes": ["n"]}))),
        "downhill: error: model.json: 'classes' has 1 label but a logistic model needs 2"
    );
}

#[test]
fn a_softmax_model_with_no_classes_is_refused() {
    let m = lying(json!({"model": "softmax", "classes": [], "weights": [], "intercept": []}));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'classes' has 0 labels but a softmax model needs at least 2"
    );
}

#[test]
fn a_huge_polynomial_degree_is_refused_without_allocating() {
    let m = lying(json!({"polynomial": {"degree": 4_000_000_000u64, "columns": ["a"]}}));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'polynomial.degree' is 4000000000 but must be between 1 and 64"
    );
}

#[test]
fn a_weight_row_of_the_wrong_length_is_refused() {
    assert_eq!(
        refused(lying(json!({"weights": [[0.5, -0.25, 3.0]]}))),
        "downhill: error: model.json: 'weights' row 1 has 3 values but the model has 2 terms"
    );
}

#[test]
fn softmax_weight_rows_must_match_the_classes() {
    let m = lying(json!({
        "model": "softmax",
        "classes": ["a", "b", "c"],
        "weights": [[1.0, 2.0], [3.0, 4.0]],
        "intercept": [0.0, 0.0, 0.0]
    }));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'weights' has 2 rows but a softmax model with 3 classes needs 3"
    );
}

#[test]
fn a_missing_intercept_is_refused() {
    assert_eq!(
        refused(lying(json!({"intercept": []}))),
        "downhill: error: model.json: 'intercept' has 0 values but a logistic model needs 1"
    );
}

#[test]
fn a_negative_scale_is_refused() {
    let m = lying(json!({"standardization": {"mean": [1.0, 2.0], "scale": [0.5, -1.5]}}));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'standardization.scale' value 2 is -1.5 but a scale must be positive"
    );
}

#[test]
fn a_standardization_of_the_wrong_length_is_refused() {
    let m = lying(json!({"standardization": {"mean": [1.0], "scale": [0.5, 1.5]}}));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'standardization.mean' has 1 value but the model has 2 terms"
    );
}

#[test]
fn terms_that_do_not_follow_from_the_features_are_refused() {
    let m = lying(json!({"terms": ["a", "c"]}));
    assert_eq!(
        refused(m),
        "downhill: error: model.json: 'terms' (a, c) do not follow from 'features' and 'polynomial' (a, b)"
    );
}

#[test]
fn a_number_beyond_the_doubles_is_refused() {
    // JSON has no NaN; a literal too large for a double is the nearest thing a file can say.
    let dir = tempfile::tempdir().unwrap();
    let text = logistic().to_string().replace("0.1]", "1e999]");
    std::fs::write(dir.path().join("model.json"), text).unwrap();
    std::fs::write(dir.path().join("data.csv"), "a,b\n1,2\n").unwrap();
    let out = downhill()
        .current_dir(dir.path())
        .args(["predict", "model.json", "data.csv"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("downhill: error: model.json: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_score_that_overflows_is_an_error_not_an_infinite_prediction() {
    let m = lying(
        json!({"model": "linear", "loss": "squared", "classes": null,
                         "weights": [[1e308, 0.0]]}),
    );
    assert_eq!(
        refused(m),
        "downhill: error: data.csv: data row 2: the model's score is not finite (inf): a value times its weight overflows"
    );
}

#[test]
fn evaluate_refuses_the_same_lies() {
    let dir = tempfile::tempdir().unwrap();
    let model = lying(json!({"classes": ["n"]}));
    std::fs::write(dir.path().join("model.json"), model.to_string()).unwrap();
    std::fs::write(dir.path().join("data.csv"), "a,b,y\n1,2,n\n").unwrap();
    let out = downhill()
        .current_dir(dir.path())
        .args(["evaluate", "model.json", "data.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "downhill: error: model.json: 'classes' has 1 label but a logistic model needs 2"
    );
}

//! A fit as front doors hand it on: the model file that `fit --output` writes, and the JSON
//! object that `fit --json` prints (without its timings), built once for the command line
//! and the playground so that the two say the same.

use crate::model_file::{ModelFile, Polynomial, Standardization, Training, FORMAT, VERSION};
use downhill::metrics::Scores;
use downhill::spec::{Fitted, RunSpec};
use serde_json::{json, Map, Value};

/// What a fit ran on, besides its description.
#[derive(Debug, Clone, Copy)]
pub struct FitOf<'a> {
    /// The description run.
    pub spec: &'a RunSpec,
    /// The target column.
    pub target: &'a str,
    /// The columns read, in order.
    pub features: &'a [String],
    /// The model's inputs: the features, then added powers.
    pub terms: &'a [String],
    /// Powers added to some columns.
    pub polynomial: Option<&'a Polynomial>,
    /// Rows trained on.
    pub rows: usize,
}

/// The model file of `fit`.
pub fn model_file(of: &FitOf, fit: &Fitted) -> ModelFile {
    let spec = of.spec;
    ModelFile {
        format: FORMAT.into(),
        version: VERSION,
        model: spec.model.as_str().into(),
        loss: spec.loss_name().into(),
        target: of.target.to_string(),
        features: of.features.to_vec(),
        polynomial: of.polynomial.cloned(),
        terms: of.terms.to_vec(),
        classes: fit.classes.clone(),
        weights: fit.weights.clone(),
        intercept: fit.intercept.clone(),
        fit_intercept: spec.fit_intercept,
        standardization: fit.standardizer.as_ref().map(|s| Standardization {
            mean: s.mean.clone(),
            scale: s.scale.clone(),
        }),
        training: Training {
            optimizer: fit.optimizer.clone(),
            lr: fit.lr,
            schedule: spec.schedule.clone(),
            batch_size: fit.config.batch_size,
            l1: fit.penalty.l1,
            l2: fit.penalty.l2,
            max_epochs: fit.config.max_epochs,
            epochs: fit.epochs,
            gtol: fit.config.gtol,
            tol: fit.config.tol,
            seed: fit.config.seed,
            stop_reason: fit.stop_reason.as_str().into(),
            converged: fit.stop_reason.converged(),
            rows: of.rows,
            penalty_on: if !spec.standardize {
                "raw_weights"
            } else {
                "standardized_weights"
            }
            .into(),
            // Plain data: serialising it cannot fail. Where the run kept its checkpoints is
            // no part of the model: a resumed run writes the model of the straight run.
            spec: serde_json::to_value(RunSpec {
                checkpoint: None,
                checkpoint_every: None,
                resume: None,
                ..spec.clone()
            })
            .ok(),
        },
        cost: fit.cost,
    }
}

/// Metrics as JSON, with the keys the README documents.
pub fn scores_json(s: &Scores) -> Value {
    match s {
        Scores::Regression { r2, rmse, mae } => json!({"r2": r2, "rmse": rmse, "mae": mae}),
        Scores::Classification {
            accuracy,
            log_loss,
            precision,
            recall,
            f1,
            confusion,
        } => json!({
            "accuracy": accuracy, "log_loss": log_loss, "precision": precision,
            "recall": recall, "f1": f1, "confusion": confusion,
        }),
    }
}

fn named(terms: &[String], w: &[f64]) -> Map<String, Value> {
    terms
        .iter()
        .zip(w)
        .map(|(n, w)| (n.clone(), json!(w)))
        .collect()
}

/// The object `fit --json` prints; `load_seconds` (time to read the data) and
/// `train_seconds` only when `load_seconds` is given, as a playground's answer has no file.
pub fn report_json(model: &ModelFile, fit: &Fitted, load_seconds: Option<f64>) -> Value {
    let softmax = model.model == "softmax";
    let terms = &model.terms;
    let (weights, intercept) = match (&fit.classes, softmax) {
        (Some(classes), true) => (
            Value::Object(
                classes
                    .iter()
                    .zip(&fit.weights)
                    .map(|(c, w)| (c.clone(), Value::Object(named(terms, w))))
                    .collect(),
            ),
            Value::Object(
                classes
                    .iter()
                    .zip(&fit.intercept)
                    .map(|(c, b)| (c.clone(), json!(b)))
                    .collect(),
            ),
        ),
        _ => (
            Value::Object(named(terms, fit.weights.first().map_or(&[], Vec::as_slice))),
            json!(fit.intercept.first()),
        ),
    };
    let t = &model.training;
    let mut out = json!({
        "weights": weights,
        "intercept": intercept,
        "cost": fit.cost,
        "epochs": fit.epochs,
        "stop_reason": fit.stop_reason.as_str(),
        "converged": fit.stop_reason.converged(),
        "gradient_norm": fit.grad_norm,
        "model": model.model,
        "loss": model.loss,
        "optimizer": t.optimizer,
        "lr": t.lr,
        "rows": t.rows,
    });
    if let Some(load) = load_seconds {
        out["load_seconds"] = json!(load);
        out["train_seconds"] = json!(fit.train_time.as_secs_f64());
    }
    if let Some(c) = &fit.classes {
        out["classes"] = json!(c);
    }
    if let Some(s) = &fit.train_scores {
        out["metrics"] = scores_json(s);
    }
    if let Some(s) = &fit.validation_scores {
        out["validation_metrics"] = scores_json(s);
    }
    if let Some(v) = fit.validation_cost {
        out["validation_cost"] = json!(v);
    }
    out
}

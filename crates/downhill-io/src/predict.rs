//! Predictions of a model file: values, or classes with their probabilities.

use crate::model_file::ModelFile;
use anyhow::{bail, Result};
use downhill::data::Matrix;
use downhill::loss::sigmoid;

/// What a model says about each row.
#[derive(Debug)]
pub struct Prediction {
    /// Regression: the predicted value; classification: the class index.
    pub values: Vec<f64>,
    /// Class probabilities, one row per observation (none for regression and hinge loss).
    pub proba: Option<Matrix>,
}

/// Applies `model` (checked when read, so its shapes agree) to the rows of `x` (its terms,
/// in order). A row of the wrong width, or a score that overflows, is an error naming the
/// row (1-based), never a panic or a non-finite prediction.
pub fn predict(model: &ModelFile, x: &Matrix) -> Result<Prediction> {
    let outputs = model.outputs();
    if model.weights.len() != outputs
        || model.intercept.len() != outputs
        || model.weights.iter().any(|w| w.len() != model.terms.len())
    {
        bail!("the model's weights do not fit its terms and classes");
    }
    if x.cols() != model.terms.len() {
        bail!(
            "the data has {} terms per row but the model takes {}",
            x.cols(),
            model.terms.len()
        );
    }
    for (i, row) in x.iter_rows().enumerate() {
        for (w, b) in model.weights.iter().zip(&model.intercept) {
            let z: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + b;
            if !z.is_finite() {
                bail!(
                    "data row {}: the model's score is not finite ({z}): a value times its weight overflows",
                    i + 1
                );
            }
        }
    }
    let score = |k: usize, row: &[f64]| -> f64 {
        row.iter()
            .zip(&model.weights[k])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            + model.intercept[k]
    };
    match model.model.as_str() {
        "logistic" => {
            let z: Vec<f64> = x.iter_rows().map(|r| score(0, r)).collect();
            let values = z.iter().map(|&z| f64::from(u8::from(z > 0.0))).collect();
            let proba = (model.loss != "hinge").then(|| {
                let p: Vec<f64> = z
                    .iter()
                    .flat_map(|&z| [1.0 - sigmoid(z), sigmoid(z)])
                    .collect();
                Matrix::from_row_major(z.len(), 2, p).unwrap_or_else(|_| Matrix::zeros(0, 2))
            });
            Ok(Prediction { values, proba })
        }
        "softmax" => {
            let k = model.weights.len();
            let mut proba = Matrix::zeros(x.rows(), k);
            let mut values = Vec::with_capacity(x.rows());
            for (i, r) in x.iter_rows().enumerate() {
                let out = proba.row_mut(i);
                for (c, o) in out.iter_mut().enumerate() {
                    *o = score(c, r);
                }
                // Softmax with the largest score subtracted: no overflow.
                let m = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut best = 0;
                for c in 0..k {
                    if out[c] > out[best] {
                        best = c;
                    }
                }
                let sum: f64 = out
                    .iter_mut()
                    .map(|o| {
                        *o = (*o - m).exp();
                        *o
                    })
                    .sum();
                out.iter_mut().for_each(|o| *o /= sum);
                values.push(best as f64);
            }
            Ok(Prediction {
                values,
                proba: Some(proba),
            })
        }
        _ => Ok(Prediction {
            values: x.iter_rows().map(|r| score(0, r)).collect(),
            proba: None,
        }),
    }
}

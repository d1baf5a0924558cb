//! All the metrics of one kind of model at once, as `fit` and `evaluate` report them.

use super::classification::averaged_of;
use super::regression::r2_of_sums;
use super::{
    accuracy, confusion_matrix, f1, log_loss, log_loss_multiclass, mae, precision, r2, recall, rmse,
};
use crate::data::Matrix;
use crate::Result;

/// The metrics of a fitted model on a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Scores {
    /// Regression: R^2, root-mean-square error, mean absolute error.
    Regression {
        /// Coefficient of determination.
        r2: f64,
        /// Root-mean-square error.
        rmse: f64,
        /// Mean absolute error.
        mae: f64,
    },
    /// Classification. Precision, recall and F1 are the positive class's with two classes,
    /// macro averages with more.
    Classification {
        /// Share of rows classified correctly.
        accuracy: f64,
        /// Mean cross-entropy of the predicted probabilities (none for the hinge loss).
        log_loss: Option<f64>,
        /// Precision.
        precision: f64,
        /// Recall.
        recall: f64,
        /// F1 score.
        f1: f64,
        /// Rows = true class, columns = predicted class.
        confusion: Vec<Vec<usize>>,
    },
}

impl Scores {
    /// Regression metrics of predictions.
    pub fn regression(y: &[f64], pred: &[f64]) -> Result<Self> {
        Ok(Scores::Regression {
            r2: r2(y, pred)?,
            rmse: rmse(y, pred)?,
            mae: mae(y, pred)?,
        })
    }

    /// Two-class metrics of predicted labels (0/1) and, when the model has them, the
    /// probabilities of class 1.
    pub fn binary(y: &[f64], pred: &[f64], p_positive: Option<&[f64]>) -> Result<Self> {
        Ok(Scores::Classification {
            accuracy: accuracy(y, pred)?,
            log_loss: p_positive.map(|p| log_loss(y, p)).transpose()?,
            precision: precision(y, pred, 2)?,
            recall: recall(y, pred, 2)?,
            f1: f1(y, pred, 2)?,
            confusion: confusion_matrix(y, pred, 2)?,
        })
    }

    /// Multi-class metrics of predicted class indices and the class probabilities
    /// (one row per observation).
    pub fn multiclass(y: &[f64], pred: &[f64], proba: &Matrix) -> Result<Self> {
        let k = proba.cols();
        Ok(Scores::Classification {
            accuracy: accuracy(y, pred)?,
            log_loss: Some(log_loss_multiclass(y, proba)?),
            precision: precision(y, pred, k)?,
            recall: recall(y, pred, k)?,
            f1: f1(y, pred, k)?,
            confusion: confusion_matrix(y, pred, k)?,
        })
    }

    /// Regression metrics of sums taken elsewhere (over chunks, over ranks): squared
    /// residuals, squared deviations of the targets from their mean, absolute residuals, over
    /// `n` rows.
    pub fn regression_of_sums(ss_res: f64, ss_tot: f64, abs_res: f64, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(crate::Error::NoRows);
        }
        Ok(Scores::Regression {
            r2: r2_of_sums(ss_res, ss_tot),
            rmse: (ss_res / n as f64).sqrt(),
            mae: abs_res / n as f64,
        })
    }

    /// Classification metrics of a confusion matrix counted elsewhere (over ranks), with the
    /// mean log-loss when the model has probabilities: what [`Scores::binary`] (two classes)
    /// and [`Scores::multiclass`] give on the rows counted.
    pub fn of_confusion(confusion: Vec<Vec<usize>>, log_loss: Option<f64>) -> Result<Self> {
        let n: usize = confusion.iter().flatten().sum();
        if n == 0 {
            return Err(crate::Error::NoRows);
        }
        if confusion.len() < 2 {
            return Err(crate::Error::setting(
                "number of classes",
                format!("{} is fewer than 2", confusion.len()),
            ));
        }
        let hits: usize = (0..confusion.len()).map(|k| confusion[k][k]).sum();
        Ok(Scores::Classification {
            accuracy: hits as f64 / n as f64,
            log_loss,
            precision: averaged_of(&confusion, |s| s.precision),
            recall: averaged_of(&confusion, |s| s.recall),
            f1: averaged_of(&confusion, |s| s.f1),
            confusion,
        })
    }
}

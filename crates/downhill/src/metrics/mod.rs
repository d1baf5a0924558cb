//! Scores of predictions against targets: [`regression`] (R², RMSE, MAE) and
//! [`classification`] (accuracy, log-loss, precision, recall, F1, confusion matrix).
//!
//! Class labels are class indices `0..K` stored as `f64`, like the targets of the
//! classifiers. Every function checks its inputs and returns an [`Error`] rather than a
//! silent NaN: different lengths are [`Error::Shape`], no rows [`Error::NoRows`].

pub mod classification;
pub mod regression;
mod scores;
mod tally;

pub use classification::{
    accuracy, class_scores, confusion_matrix, f1, log_loss, log_loss_multiclass, precision, recall,
    ClassScore,
};
pub use regression::{mae, r2, rmse};
pub use scores::Scores;
pub use tally::Tally;

use crate::{Error, Result};

/// Checks that two slices have the same, non-zero, length.
fn same_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::Shape {
            what,
            expected: a,
            got: b,
        });
    }
    if a == 0 {
        return Err(Error::NoRows);
    }
    Ok(())
}

//! The metrics of a fit on the rows of every rank: each rank sums over its own rows (the
//! terms the one-process metrics sum), one all-reduce adds the sums, and every rank gets the
//! one-process [`Scores`] up to the order of additions. Counts (the confusion matrix) are
//! exact: they travel as `f64`, exact below 2^53.

use super::Communicator;
use crate::data::Matrix;
use crate::metrics::classification::{log_loss_multiclass_sum, log_loss_sum};
use crate::metrics::Scores;
use crate::numeric::CompensatedSum;
use crate::Result;

/// [`Scores::regression`] of the targets `y` and predictions `pred` of every rank (this
/// rank's given; either may be empty).
pub fn regression<C: Communicator + ?Sized>(y: &[f64], pred: &[f64], comm: &C) -> Result<Scores> {
    let mut first = [compensated(y.iter().copied()), y.len() as f64];
    comm.sum(&mut first);
    let n = first[1];
    let mean = if n > 0.0 { first[0] / n } else { 0.0 };
    let (mut res, mut tot, mut abs) = (
        CompensatedSum::default(),
        CompensatedSum::default(),
        CompensatedSum::default(),
    );
    for (t, p) in y.iter().zip(pred) {
        res.add((t - p) * (t - p));
        tot.add((t - mean) * (t - mean));
        abs.add((t - p).abs());
    }
    let mut sums = [res.value(), tot.value(), abs.value()];
    comm.sum(&mut sums);
    Scores::regression_of_sums(sums[0], sums[1], sums[2], n as usize)
}

/// The probabilities a classifier gives this rank's rows, for the log-loss.
#[derive(Debug, Clone, Copy)]
pub enum Probabilities<'a> {
    /// None (a hinge-loss fit).
    None,
    /// Of class 1, one per row (two classes).
    Positive(&'a [f64]),
    /// Of every class, row-major: one row per data row, one column per class.
    Classes(&'a [f64]),
}

/// [`Scores::binary`] (two classes) or [`Scores::multiclass`] of the class indices `y` and
/// predicted classes `pred` of every rank, with the log-loss of `proba`.
pub fn classification<C: Communicator + ?Sized>(
    y: &[f64],
    pred: &[f64],
    proba: Probabilities<'_>,
    n_classes: usize,
    comm: &C,
) -> Result<Scores> {
    // `[confusion (row-major).., log-loss sum, rows]`, the one message.
    let k = n_classes;
    let mut message = vec![0.0; k * k + 2];
    if !y.is_empty() {
        let m = crate::metrics::confusion_matrix(y, pred, k)?;
        for (slot, c) in message.iter_mut().zip(m.iter().flatten()) {
            *slot = *c as f64;
        }
        message[k * k] = match proba {
            Probabilities::None => 0.0,
            Probabilities::Positive(p) => log_loss_sum(y, p)?,
            Probabilities::Classes(p) => {
                log_loss_multiclass_sum(y, &Matrix::from_row_major(y.len(), k, p.to_vec())?)?
            }
        };
    }
    message[k * k + 1] = y.len() as f64;
    comm.sum(&mut message);
    let confusion = message[..k * k]
        .chunks_exact(k.max(1))
        .map(|row| row.iter().map(|c| *c as usize).collect())
        .collect();
    let n = message[k * k + 1];
    let log_loss = match proba {
        Probabilities::None => None,
        _ => Some(message[k * k] / n),
    };
    Scores::of_confusion(confusion, log_loss)
}

fn compensated(values: impl Iterator<Item = f64>) -> f64 {
    let mut s = CompensatedSum::default();
    values.for_each(|v| s.add(v));
    s.value()
}

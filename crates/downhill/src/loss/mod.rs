//! Per-row losses of a prediction against a target. A model's kernel calls one per row, so
//! each is a small inlined function returning the loss and its derivative together.

mod squared;

pub use squared::Squared;

/// A loss `l(prediction, target)` and its derivative in the prediction.
pub trait Loss: Copy + Send + Sync + std::fmt::Debug {
    /// `l(pred, target)`.
    fn value(&self, pred: f64, target: f64) -> f64;

    /// `(l(pred, target), dl/dpred)`.
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64);

    /// `d2l/dpred2` (0 where the loss is piecewise linear): Newton's method uses it.
    fn second_deriv(&self, pred: f64, target: f64) -> f64;
}

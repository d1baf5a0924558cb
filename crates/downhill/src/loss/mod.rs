//! Per-row losses of a prediction against a target. A model's kernel calls one per row, so
//! each is a small inlined function returning the loss and its derivative together.
//!
//! Regression losses take the prediction; classification losses ([`LogLoss`], [`Hinge`])
//! take the logit or score `z = w . x + b` and a 0/1 target. Where a loss has a kink, the
//! derivative there is the one scikit-learn uses (each type says which).

mod absolute;
mod epsilon_insensitive;
mod hinge;
mod huber;
mod log_loss;
mod squared;

pub use absolute::Absolute;
pub use epsilon_insensitive::EpsilonInsensitive;
pub use hinge::Hinge;
pub use huber::Huber;
pub use log_loss::{sigmoid, softplus, LogLoss};
pub use squared::Squared;

/// A loss `l(prediction, target)` and its derivative in the prediction.
pub trait Loss: Copy + Send + Sync + std::fmt::Debug {
    /// `l(pred, target)`.
    fn value(&self, pred: f64, target: f64) -> f64;

    /// `(l(pred, target), dl/dpred)`.
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64);

    /// `d2l/dpred2` (0 where the loss is piecewise linear): Newton's method uses it.
    fn second_deriv(&self, pred: f64, target: f64) -> f64;

    /// Whether the loss is quadratic in the prediction, its second derivative a constant
    /// (least squares): the Hessian of a linear model then does not depend on the
    /// parameters, and Newton's method corrects its step with one factorisation instead of
    /// asking for the Hessian at every point it reaches.
    const QUADRATIC: bool = false;

    /// Whether [`Loss::value_deriv4`] and [`Loss::value4`] are vector code worth grouping
    /// rows for (a kernel that otherwise goes row by row keeps its loop when not).
    const VECTOR4: bool = false;

    /// [`Loss::value_deriv`] on four rows, for kernels with four rows in flight. The default
    /// calls it on each (the same bits); [`LogLoss`] overrides it with vector code.
    #[inline(always)]
    fn value_deriv4(&self, pred: [f64; 4], target: [f64; 4]) -> ([f64; 4], [f64; 4]) {
        let mut out = ([0.0; 4], [0.0; 4]);
        for r in 0..4 {
            (out.0[r], out.1[r]) = self.value_deriv(pred[r], target[r]);
        }
        out
    }

    /// [`Loss::second_deriv`] on four rows (the default calls it on each; [`LogLoss`]
    /// overrides it with vector code, within a few ulps of the scalar values).
    #[inline(always)]
    fn second_deriv4(&self, pred: [f64; 4], target: [f64; 4]) -> [f64; 4] {
        let mut out = [0.0; 4];
        for r in 0..4 {
            out[r] = self.second_deriv(pred[r], target[r]);
        }
        out
    }

    /// [`Loss::value_deriv4`] on sixteen rows, the same values (the default calls it on
    /// each group of four; [`LogLoss`] runs eight lanes at a time where the CPU has
    /// AVX-512F), for kernels that take several groups' losses together.
    #[inline(always)]
    fn value_deriv16(&self, pred: &[f64; 16], target: &[f64; 16]) -> ([f64; 16], [f64; 16]) {
        value_deriv16_by_fours(self, pred, target)
    }

    /// [`Loss::value4`] on sixteen rows, the same values as [`Loss::value_deriv16`]'s
    /// first.
    #[inline(always)]
    fn value16(&self, pred: &[f64; 16], target: &[f64; 16]) -> [f64; 16] {
        let mut out = [0.0; 16];
        for i in 0..4 {
            out[4 * i..4 * i + 4].copy_from_slice(&self.value4(four(pred, i), four(target, i)));
        }
        out
    }

    /// [`Loss::second_deriv4`] on sixteen rows, the same values (as
    /// [`Loss::value_deriv16`]).
    #[inline(always)]
    fn second_deriv16(&self, pred: &[f64; 16], target: &[f64; 16]) -> [f64; 16] {
        second_deriv16_by_fours(self, pred, target)
    }

    /// [`Loss::value_deriv16`] and [`Loss::second_deriv16`] at once, the same values (the
    /// default calls both; [`LogLoss`] shares their `exp`), for a pass that needs all three.
    #[inline(always)]
    fn all_derivs16(
        &self,
        pred: &[f64; 16],
        target: &[f64; 16],
    ) -> ([f64; 16], [f64; 16], [f64; 16]) {
        let (l, dl) = self.value_deriv16(pred, target);
        (l, dl, self.second_deriv16(pred, target))
    }

    /// [`Loss::value`] on four rows, the same values as [`Loss::value_deriv4`]'s first.
    #[inline(always)]
    fn value4(&self, pred: [f64; 4], target: [f64; 4]) -> [f64; 4] {
        let mut out = [0.0; 4];
        for r in 0..4 {
            out[r] = self.value(pred[r], target[r]);
        }
        out
    }
}

/// Four rows' group of sixteen values, from `i * 4`.
#[inline(always)]
fn four(v: &[f64; 16], i: usize) -> [f64; 4] {
    [v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]]
}

/// [`Loss::value_deriv16`] as four calls of [`Loss::value_deriv4`].
#[inline(always)]
fn value_deriv16_by_fours<L: Loss>(
    loss: &L,
    pred: &[f64; 16],
    target: &[f64; 16],
) -> ([f64; 16], [f64; 16]) {
    let mut out = ([0.0; 16], [0.0; 16]);
    for i in 0..4 {
        let (l, dl) = loss.value_deriv4(four(pred, i), four(target, i));
        out.0[4 * i..4 * i + 4].copy_from_slice(&l);
        out.1[4 * i..4 * i + 4].copy_from_slice(&dl);
    }
    out
}

/// [`Loss::second_deriv16`] as four calls of [`Loss::second_deriv4`].
#[inline(always)]
fn second_deriv16_by_fours<L: Loss>(loss: &L, pred: &[f64; 16], target: &[f64; 16]) -> [f64; 16] {
    let mut out = [0.0; 16];
    for i in 0..4 {
        out[4 * i..4 * i + 4].copy_from_slice(&loss.second_deriv4(four(pred, i), four(target, i)));
    }
    out
}

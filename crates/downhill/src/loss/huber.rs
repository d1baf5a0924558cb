use super::Loss;

/// Huber loss with threshold `delta` on the residual `r = pred - target`, in scikit-learn's
/// convention (`SGDRegressor(loss="huber")`):
///
/// - `0.5 * r^2` when `|r| <= delta`,
/// - `delta * (|r| - delta / 2)` beyond.
///
/// Note the `0.5`: in its quadratic zone this is half of [`Squared`](super::Squared), so the
/// same data gives half the cost and half the gradient. The loss is once continuously
/// differentiable (derivative `r` inside, `delta * sign(r)` outside), so there is no kink to
/// choose a derivative at; at `|r| == delta` both formulas agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Huber {
    /// Where the quadratic zone ends, in the target's units; must be positive.
    pub delta: f64,
}

impl Huber {
    /// Huber loss with threshold `delta`.
    pub fn new(delta: f64) -> Self {
        Huber { delta }
    }
}

impl Loss for Huber {
    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        self.value_deriv(pred, target).0
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        let r = pred - target;
        let a = r.abs();
        if a <= self.delta {
            (0.5 * r * r, r)
        } else {
            (self.delta * (a - 0.5 * self.delta), self.delta.copysign(r))
        }
    }

    #[inline]
    fn second_deriv(&self, pred: f64, target: f64) -> f64 {
        if (pred - target).abs() <= self.delta {
            1.0
        } else {
            0.0
        }
    }
}

use super::Loss;

/// Squared error `(target - pred)^2`, whose mean is the textbook MSE cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Squared;

impl Loss for Squared {
    const QUADRATIC: bool = true;

    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        let r = pred - target;
        r * r
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        let r = pred - target;
        (r * r, 2.0 * r)
    }

    #[inline]
    fn second_deriv(&self, _pred: f64, _target: f64) -> f64 {
        2.0
    }
}

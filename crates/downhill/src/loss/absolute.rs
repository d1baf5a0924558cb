use super::Loss;

/// Absolute error `|pred - target|`, whose mean is the MAE cost (median regression).
///
/// At the kink `pred == target` the derivative is taken as 0, the subgradient scikit-learn's
/// `epsilon_insensitive` loss uses with `epsilon = 0`: a row that is fitted exactly pulls no
/// further.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Absolute;

impl Loss for Absolute {
    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        (pred - target).abs()
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        let r = pred - target;
        // `signum` of 0.0 is 1.0 in Rust, so the kink is handled explicitly.
        let d = if r > 0.0 {
            1.0
        } else if r < 0.0 {
            -1.0
        } else {
            0.0
        };
        (r.abs(), d)
    }

    #[inline]
    fn second_deriv(&self, _pred: f64, _target: f64) -> f64 {
        0.0
    }
}

use super::Loss;

/// Epsilon-insensitive loss `max(0, |pred - target| - epsilon)` (linear support-vector
/// regression): residuals inside the tube of half-width `epsilon` cost nothing.
///
/// Derivatives at the kinks `|r| == epsilon` are 0, as in scikit-learn's
/// `SGDRegressor(loss="epsilon_insensitive")`, which only pulls rows strictly outside the
/// tube. With `epsilon = 0` this is [`Absolute`](super::Absolute).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsilonInsensitive {
    /// Half-width of the tube, in the target's units; must be at least 0.
    pub epsilon: f64,
}

impl EpsilonInsensitive {
    /// The loss with tube half-width `epsilon`.
    pub fn new(epsilon: f64) -> Self {
        EpsilonInsensitive { epsilon }
    }
}

impl Loss for EpsilonInsensitive {
    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        ((pred - target).abs() - self.epsilon).max(0.0)
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        let r = pred - target;
        if r > self.epsilon {
            (r - self.epsilon, 1.0)
        } else if -r > self.epsilon {
            (-r - self.epsilon, -1.0)
        } else {
            (0.0, 0.0)
        }
    }

    #[inline]
    fn second_deriv(&self, _pred: f64, _target: f64) -> f64 {
        0.0
    }
}

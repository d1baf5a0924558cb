use super::Loss;

/// Hinge loss `max(0, 1 - s * z)` on the score `z = w . x + b` with `s = 2 * y - 1` for a
/// 0/1 target (a linear support-vector machine).
///
/// At the kink `s * z == 1` the derivative is `-s`, the subgradient scikit-learn's
/// `SGDClassifier(loss="hinge")` takes (it pulls rows with margin `<= 1`); the second
/// derivative is 0 everywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hinge;

impl Loss for Hinge {
    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        let s = 2.0 * target - 1.0;
        (1.0 - s * pred).max(0.0)
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        let s = 2.0 * target - 1.0;
        let m = s * pred;
        if m <= 1.0 {
            (1.0 - m, -s)
        } else {
            (0.0, 0.0)
        }
    }

    #[inline]
    fn second_deriv(&self, _pred: f64, _target: f64) -> f64 {
        0.0
    }
}

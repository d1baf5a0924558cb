use super::Loss;

/// Logistic log-loss on the logit `z = w . x + b` for a 0/1 target:
/// `-(y * ln(p) + (1 - y) * ln(1 - p))` with `p = sigmoid(z)`.
///
/// Computed as `y * softplus(-z) + (1 - y) * softplus(z)` with
/// `softplus(t) = ln(1 + e^t) = max(t, 0) + ln_1p(e^-|t|)`: finite for every finite `z`,
/// and accurate when the loss is tiny (a well-classified row), where the textbook
/// `softplus(z) - y * z` cancels to 0. The derivative is `sigmoid(z) - y`, the second
/// derivative `sigmoid(z) * (1 - sigmoid(z))`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogLoss;

/// `ln(1 + e^t)` without overflow for large `t` nor loss of accuracy for very negative `t`.
#[inline]
pub fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// `1 / (1 + e^-z)` without overflow: only `e^-|z|` is ever computed.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

impl Loss for LogLoss {
    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        // Skip a term whose weight is 0 so that 0 * huge stays 0 (targets are 0 or 1).
        let mut l = 0.0;
        if target != 0.0 {
            l += target * softplus(-pred);
        }
        if target != 1.0 {
            l += (1.0 - target) * softplus(pred);
        }
        l
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        (self.value(pred, target), sigmoid(pred) - target)
    }

    #[inline]
    fn second_deriv(&self, pred: f64, _target: f64) -> f64 {
        let p = sigmoid(pred);
        p * (1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_logits_stay_finite_and_accurate() {
        // ln(1 + e^-40) = e^-40 to double precision.
        assert_eq!(LogLoss.value(40.0, 1.0), (-40.0f64).exp());
        assert_eq!(LogLoss.value(-40.0, 0.0), (-40.0f64).exp());
        assert_eq!(LogLoss.value(1e308, 0.0), 1e308);
        assert_eq!(LogLoss.value(-1e308, 1.0), 1e308);
        assert_eq!(sigmoid(-1e308), 0.0);
        assert_eq!(sigmoid(1e308), 1.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((LogLoss.value(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-16);
        assert_eq!(LogLoss.second_deriv(0.0, 1.0), 0.25);
    }

    #[test]
    fn matches_the_textbook_formula_at_moderate_logits() {
        for &z in &[-3.0f64, -0.5, 0.2, 2.5] {
            let p: f64 = 1.0 / (1.0 + (-z).exp());
            for &y in &[0.0, 1.0] {
                let textbook = -(y * p.ln() + (1.0 - y) * (1.0 - p).ln());
                assert!((LogLoss.value(z, y) - textbook).abs() < 1e-14);
            }
        }
    }
}

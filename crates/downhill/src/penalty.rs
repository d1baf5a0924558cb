//! Penalties on the weights (never on the intercept): elastic net,
//! `l2/2 * ||w||^2 + l1 * ||w||_1`.

/// Elastic-net penalty strengths. `Penalty::default()` is no penalty.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Penalty {
    /// Strength of `l1 * ||w||_1`, applied as a proximal (soft-threshold) step so that
    /// weights become exactly zero.
    pub l1: f64,
    /// Strength of `l2/2 * ||w||^2`, part of the gradient.
    pub l2: f64,
}

impl Penalty {
    /// True when there is no penalty.
    pub fn is_none(&self) -> bool {
        self.l1 == 0.0 && self.l2 == 0.0
    }

    /// The smooth (L2) part: its value, its gradient added into `grad`.
    pub fn smooth(&self, weights: &[f64], grad: &mut [f64]) -> f64 {
        if self.l2 == 0.0 {
            return 0.0;
        }
        let mut v = 0.0;
        for (g, w) in grad.iter_mut().zip(weights) {
            *g += self.l2 * w;
            v += w * w;
        }
        0.5 * self.l2 * v
    }

    /// The whole value.
    pub fn value(&self, weights: &[f64]) -> f64 {
        let (mut sq, mut abs) = (0.0, 0.0);
        for w in weights {
            sq += w * w;
            abs += w.abs();
        }
        0.5 * self.l2 * sq + self.l1 * abs
    }

    /// Soft-thresholding: the proximal step of `step * l1 * ||w||_1`.
    pub fn prox(&self, weights: &mut [f64], step: f64) {
        if self.l1 == 0.0 {
            return;
        }
        let t = step * self.l1;
        for w in weights {
            *w = w.signum() * (w.abs() - t).max(0.0);
        }
    }
}

use super::moments::Moments;
use super::{Optimizer, OptimizerState};
use crate::Result;

/// Adam (Kingma & Ba, 2015; Ruder §4.6):
///
/// ```text
/// m = b1 * m + (1 - b1) * g           mhat = m / (1 - b1^t)
/// v = b2 * v + (1 - b2) * g^2         vhat = v / (1 - b2^t)
/// theta -= lr * mhat / (sqrt(vhat) + eps)
/// ```
///
/// `t` counts steps from 1. `eps` sits outside the root, as in the paper and PyTorch.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Decay of the first moment, in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Decay of the second moment, in `[0, 1)` (default 0.999).
    pub beta2: f64,
    /// Added to the root of the second moment (default 1e-8).
    pub eps: f64,
    moments: Moments,
}

impl Adam {
    /// Default `beta1`.
    pub const BETA1: f64 = 0.9;
    /// Default `beta2`.
    pub const BETA2: f64 = 0.999;
    /// Default `eps`.
    pub const EPS: f64 = 1e-8;

    /// Adam with the paper's defaults.
    pub fn new() -> Self {
        Self::with(Self::BETA1, Self::BETA2, Self::EPS)
    }

    /// Adam with the given decays and `eps`.
    pub fn with(beta1: f64, beta2: f64, eps: f64) -> Self {
        Adam {
            beta1,
            beta2,
            eps,
            moments: Moments::new(),
        }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Adam {
    fn name(&self) -> &'static str {
        "adam"
    }

    fn state(&self) -> OptimizerState {
        self.moments.state(self.name())
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        self.moments.restore(self.name(), state)
    }

    fn init(&mut self, dim: usize) {
        self.moments.reset(dim);
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        let eps = self.eps;
        self.moments.step(
            params,
            grad,
            (self.beta1, self.beta2),
            |p, _, m, v, (c1, c2)| {
                *p -= lr * (m / c1) / ((v / c2).sqrt() + eps);
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_is_lr_times_the_sign() {
        // Bias correction makes mhat = g and vhat = g^2 at t = 1.
        let mut opt = Adam::with(0.9, 0.999, 0.0);
        opt.init(2);
        let mut p = [0.0, 0.0];
        opt.step(&mut p, &[5.0, -0.01], 0.1);
        assert!((p[0] + 0.1).abs() < 1e-15 && (p[1] - 0.1).abs() < 1e-15);
    }
}

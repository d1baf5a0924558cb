use super::moments::Moments;
use super::{Optimizer, OptimizerState};
use crate::Result;

/// Nadam (Dozat, 2016; Ruder §4.8): Adam with a Nesterov look-ahead on the first moment.
///
/// ```text
/// m, v, mhat, vhat as in Adam (t counts steps from 1)
/// theta -= lr / (sqrt(vhat) + eps) * (b1 * mhat + (1 - b1) * g / (1 - b1^t))
/// ```
///
/// This is Ruder's form (eq. 24), with a constant `b1`. PyTorch's `NAdam` adds Dozat's
/// momentum-decay schedule (`momentum_decay = 0.004`), so its steps differ slightly. The
/// default learning rate is 0.002, Dozat's and PyTorch's.
#[derive(Debug, Clone)]
pub struct Nadam {
    /// Decay of the first moment, in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Decay of the second moment, in `[0, 1)` (default 0.999).
    pub beta2: f64,
    /// Added to the root of the second moment (default 1e-8).
    pub eps: f64,
    moments: Moments,
}

impl Nadam {
    /// Default `beta1`.
    pub const BETA1: f64 = 0.9;
    /// Default `beta2`.
    pub const BETA2: f64 = 0.999;
    /// Default `eps`.
    pub const EPS: f64 = 1e-8;

    /// Nadam with the default decays and `eps`.
    pub fn new() -> Self {
        Self::with(Self::BETA1, Self::BETA2, Self::EPS)
    }

    /// Nadam with the given decays and `eps`.
    pub fn with(beta1: f64, beta2: f64, eps: f64) -> Self {
        Nadam {
            beta1,
            beta2,
            eps,
            moments: Moments::new(),
        }
    }
}

impl Default for Nadam {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Nadam {
    fn name(&self) -> &'static str {
        "nadam"
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
        let (b1, eps) = (self.beta1, self.eps);
        self.moments
            .step(params, grad, (b1, self.beta2), |p, g, m, v, (c1, c2)| {
                let look_ahead = b1 * (m / c1) + (1.0 - b1) * g / c1;
                *p -= lr / ((v / c2).sqrt() + eps) * look_ahead;
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_is_one_plus_beta1_times_lr() {
        // t = 1: mhat = g, vhat = g^2 and (1 - b1) g / (1 - b1) = g, so the step is
        // lr * (1 + b1) * sign(g).
        let mut opt = Nadam::with(0.9, 0.999, 0.0);
        opt.init(1);
        let mut p = [0.0];
        opt.step(&mut p, &[3.0], 0.01);
        assert!((p[0] + 1.9 * 0.01).abs() < 1e-15);
    }
}

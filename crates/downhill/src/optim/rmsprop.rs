use super::{Optimizer, OptimizerState};
use crate::Result;

/// RMSprop (Hinton, lecture 6e; Ruder §4.5):
/// `E[g2] = rho * E[g2] + (1 - rho) * g^2; theta -= lr / sqrt(E[g2] + eps) * g`.
///
/// Ruder's form and defaults (`rho` 0.9, `lr` 0.001, `eps` 1e-8 inside the root). PyTorch
/// puts `eps` outside the root and defaults to `alpha = 0.99`, `lr = 0.01`.
#[derive(Debug, Clone)]
pub struct RmsProp {
    /// Decay of the running average of squared gradients, in `[0, 1)` (default 0.9).
    pub rho: f64,
    /// Smoothing term inside the root (default 1e-8).
    pub eps: f64,
    avg_sq: Vec<f64>,
}

impl RmsProp {
    /// Default decay.
    pub const RHO: f64 = 0.9;
    /// Default smoothing term.
    pub const EPS: f64 = 1e-8;

    /// RMSprop with `rho = 0.9`, `eps = 1e-8`.
    pub fn new() -> Self {
        Self::with(Self::RHO, Self::EPS)
    }

    /// RMSprop with the given decay and smoothing term.
    pub fn with(rho: f64, eps: f64) -> Self {
        RmsProp {
            rho,
            eps,
            avg_sq: Vec::new(),
        }
    }
}

impl Default for RmsProp {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for RmsProp {
    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name()).buffers(&[&self.avg_sq])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 0, &mut [&mut self.avg_sq])
    }

    fn init(&mut self, dim: usize) {
        self.avg_sq.clear();
        self.avg_sq.resize(dim, 0.0);
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.avg_sq.len());
        let rho = self.rho;
        for ((p, g), e) in params.iter_mut().zip(grad).zip(&mut self.avg_sq) {
            *e = rho * *e + (1.0 - rho) * g * g;
            *p -= lr / (*e + self.eps).sqrt() * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_gradient_gives_steps_that_shrink_towards_lr() {
        let mut opt = RmsProp::with(0.9, 0.0);
        opt.init(1);
        let mut p = [0.0];
        // E[g2] = 0.1 g^2 at first: the step is lr / sqrt(0.1).
        opt.step(&mut p, &[3.0], 0.01);
        assert!((p[0] + 0.01 / 0.1f64.sqrt()).abs() < 1e-15);
    }
}

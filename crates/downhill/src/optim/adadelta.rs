use super::{Optimizer, OptimizerState};
use crate::Result;

/// Adadelta (Zeiler, 2012; Ruder §4.4):
///
/// ```text
/// E[g2]  = rho * E[g2] + (1 - rho) * g^2
/// dx     = -sqrt(E[dx2] + eps) / sqrt(E[g2] + eps) * g
/// E[dx2] = rho * E[dx2] + (1 - rho) * dx^2
/// theta += lr * dx
/// ```
///
/// Zeiler's rule has no learning rate; as in PyTorch, `lr` multiplies the step (default 1,
/// which is Zeiler's rule) and `E[dx2]` accumulates the step before that scaling.
#[derive(Debug, Clone)]
pub struct Adadelta {
    /// Decay of both running averages, in `[0, 1)` (default 0.9).
    pub rho: f64,
    /// Smoothing term inside both roots (default 1e-6).
    pub eps: f64,
    avg_sq_grad: Vec<f64>,
    avg_sq_step: Vec<f64>,
}

impl Adadelta {
    /// Default decay.
    pub const RHO: f64 = 0.9;
    /// Default smoothing term.
    pub const EPS: f64 = 1e-6;

    /// Adadelta with `rho = 0.9`, `eps = 1e-6`.
    pub fn new() -> Self {
        Self::with(Self::RHO, Self::EPS)
    }

    /// Adadelta with the given decay and smoothing term.
    pub fn with(rho: f64, eps: f64) -> Self {
        Adadelta {
            rho,
            eps,
            avg_sq_grad: Vec::new(),
            avg_sq_step: Vec::new(),
        }
    }
}

impl Default for Adadelta {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Adadelta {
    fn name(&self) -> &'static str {
        "adadelta"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name()).buffers(&[&self.avg_sq_grad, &self.avg_sq_step])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(
            self.name(),
            0,
            &mut [&mut self.avg_sq_grad, &mut self.avg_sq_step],
        )
    }

    fn init(&mut self, dim: usize) {
        for s in [&mut self.avg_sq_grad, &mut self.avg_sq_step] {
            s.clear();
            s.resize(dim, 0.0);
        }
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.avg_sq_grad.len());
        let (rho, eps) = (self.rho, self.eps);
        for (((p, g), eg), ex) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.avg_sq_grad)
            .zip(&mut self.avg_sq_step)
        {
            *eg = rho * *eg + (1.0 - rho) * g * g;
            let dx = -(*ex + eps).sqrt() / (*eg + eps).sqrt() * g;
            *ex = rho * *ex + (1.0 - rho) * dx * dx;
            *p += lr * dx;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_is_about_sqrt_eps_over_rms() {
        let mut opt = Adadelta::new();
        opt.init(1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 1.0);
        let want = -(1e-6f64).sqrt() / (0.1f64 + 1e-6).sqrt();
        assert!((p[0] - want).abs() < 1e-15);
    }
}

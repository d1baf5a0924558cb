use super::{Optimizer, OptimizerState};
use crate::Result;

/// Nesterov accelerated gradient (Ruder §4.2):
/// `v = gamma * v + lr * grad(theta - gamma * v); theta -= v`.
///
/// An optimizer only ever sees the gradient at the parameters it holds, so this one holds
/// the look-ahead point `phi = theta - gamma * v` instead of `theta` (Sutskever et al.,
/// 2013; Bengio et al., 2012). Substituting gives the equivalent update
///
/// ```text
/// v_new = gamma * v + lr * g          (g = gradient at phi)
/// phi  -= gamma^2 * v + (1 + gamma) * lr * g
/// ```
///
/// which is PyTorch's `SGD(nesterov=True)` (`buf = gamma * buf + g; p -= lr * (g + gamma *
/// buf)` with `v = lr * buf`) at a constant learning rate. The reported parameters are the
/// look-ahead point, as in PyTorch; it equals `theta` once the velocity has died out at a
/// minimum.
#[derive(Debug, Clone)]
pub struct Nesterov {
    /// The momentum term `gamma` in `[0, 1)` (default 0.9).
    pub gamma: f64,
    v: Vec<f64>,
}

impl Nesterov {
    /// Default momentum term.
    pub const GAMMA: f64 = 0.9;

    /// Nesterov momentum with `gamma = 0.9`.
    pub fn new() -> Self {
        Self::with_gamma(Self::GAMMA)
    }

    /// Nesterov momentum with the given `gamma`.
    pub fn with_gamma(gamma: f64) -> Self {
        Nesterov {
            gamma,
            v: Vec::new(),
        }
    }
}

impl Default for Nesterov {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Nesterov {
    fn name(&self) -> &'static str {
        "nesterov"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name()).buffers(&[&self.v])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 0, &mut [&mut self.v])
    }

    fn init(&mut self, dim: usize) {
        self.v.clear();
        self.v.resize(dim, 0.0);
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.v.len());
        let gamma = self.gamma;
        for ((p, g), v) in params.iter_mut().zip(grad).zip(&mut self.v) {
            *p -= gamma * gamma * *v + (1.0 + gamma) * lr * g;
            *v = gamma * *v + lr * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_look_ahead_point() {
        // theta and v by Ruder's rule; phi = theta - gamma * v must be what we hold.
        let (gamma, lr) = (0.9, 0.1);
        let grads = [1.0, -0.5, 2.0];
        let (mut theta, mut v) = (1.0, 0.0);
        let mut opt = Nesterov::new();
        opt.init(1);
        let mut phi = [1.0];
        for g in grads {
            v = gamma * v + lr * g;
            theta -= v;
            opt.step(&mut phi, &[g], lr);
            assert!((phi[0] - (theta - gamma * v)).abs() < 1e-14);
        }
    }
}

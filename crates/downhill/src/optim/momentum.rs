use super::{Optimizer, OptimizerState};
use crate::Result;

/// Momentum (Polyak's heavy ball, Ruder §4.1): `v = gamma * v + lr * g; theta -= v`.
///
/// This is Ruder's form, with the learning rate inside the velocity. PyTorch's SGD with
/// momentum keeps `buf = gamma * buf + g` and steps `lr * buf`; the two agree while the
/// learning rate is constant and differ when a schedule changes it (here a new rate only
/// scales the new gradient, not the velocity already built up).
#[derive(Debug, Clone)]
pub struct Momentum {
    /// The momentum term `gamma` in `[0, 1)` (default 0.9).
    pub gamma: f64,
    v: Vec<f64>,
}

impl Momentum {
    /// Default momentum term.
    pub const GAMMA: f64 = 0.9;

    /// Momentum with `gamma = 0.9`.
    pub fn new() -> Self {
        Self::with_gamma(Self::GAMMA)
    }

    /// Momentum with the given `gamma`.
    pub fn with_gamma(gamma: f64) -> Self {
        Momentum {
            gamma,
            v: Vec::new(),
        }
    }
}

impl Default for Momentum {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Momentum {
    fn name(&self) -> &'static str {
        "momentum"
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
        for ((p, g), v) in params.iter_mut().zip(grad).zip(&mut self.v) {
            *v = self.gamma * *v + lr * g;
            *p -= *v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_accumulates() {
        let mut opt = Momentum::new();
        opt.init(1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 0.1);
        assert_eq!(p, [-0.1]);
        // v = 0.9 * 0.1 + 0.1 = 0.19
        opt.step(&mut p, &[1.0], 0.1);
        assert!((p[0] + 0.29).abs() < 1e-15);
        // init forgets the velocity.
        opt.init(1);
        let mut q = [0.0];
        opt.step(&mut q, &[1.0], 0.1);
        assert_eq!(q, [-0.1]);
    }
}

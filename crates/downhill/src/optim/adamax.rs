use super::{Optimizer, OptimizerState};
use crate::Result;

/// AdaMax (Kingma & Ba, 2015, §7; Ruder §4.7): Adam with the infinity norm.
///
/// ```text
/// m = b1 * m + (1 - b1) * g
/// u = max(b2 * u, |g|)
/// theta -= (lr / (1 - b1^t)) * m / u
/// ```
///
/// No `eps`, as in the paper and Ruder. Where `u` is 0 every gradient of that component so
/// far was 0, so `m` is 0 too and the component does not move (rather than 0/0). PyTorch
/// instead divides by `u + eps` (and takes `max(b2 * u, |g| + eps)`).
#[derive(Debug, Clone)]
pub struct Adamax {
    /// Decay of the first moment, in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Decay of the infinity norm, in `[0, 1)` (default 0.999).
    pub beta2: f64,
    m: Vec<f64>,
    u: Vec<f64>,
    b1t: f64,
}

impl Adamax {
    /// Default `beta1`.
    pub const BETA1: f64 = 0.9;
    /// Default `beta2`.
    pub const BETA2: f64 = 0.999;

    /// AdaMax with the paper's defaults.
    pub fn new() -> Self {
        Self::with(Self::BETA1, Self::BETA2)
    }

    /// AdaMax with the given decays.
    pub fn with(beta1: f64, beta2: f64) -> Self {
        Adamax {
            beta1,
            beta2,
            m: Vec::new(),
            u: Vec::new(),
            b1t: 1.0,
        }
    }
}

impl Default for Adamax {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Adamax {
    fn name(&self) -> &'static str {
        "adamax"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name())
            .buffers(&[&self.m, &self.u])
            .scalars(&[self.b1t])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 1, &mut [&mut self.m, &mut self.u])?;
        self.b1t = state.scalars[0];
        Ok(())
    }

    fn init(&mut self, dim: usize) {
        for s in [&mut self.m, &mut self.u] {
            s.clear();
            s.resize(dim, 0.0);
        }
        self.b1t = 1.0;
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.m.len());
        let (b1, b2) = (self.beta1, self.beta2);
        self.b1t *= b1;
        let step = lr / (1.0 - self.b1t);
        for (((p, g), m), u) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.u)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *u = (b2 * *u).max(g.abs());
            if *u > 0.0 {
                *p -= step * *m / *u;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_gradient_component_does_not_move() {
        let mut opt = Adamax::new();
        opt.init(2);
        let mut p = [1.0, 2.0];
        opt.step(&mut p, &[0.0, 4.0], 0.002);
        assert_eq!(p[0], 1.0);
        // t = 1: m / (1 - b1) = g and u = |g|, so the step is lr * sign(g).
        assert!((p[1] - (2.0 - 0.002)).abs() < 1e-15);
    }
}

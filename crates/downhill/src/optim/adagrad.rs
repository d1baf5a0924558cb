use super::{Optimizer, OptimizerState};
use crate::Result;

/// Adagrad (Duchi et al., 2011; Ruder §4.3): `G += g^2; theta -= lr / sqrt(G + eps) * g`.
///
/// `eps` sits inside the square root, as Ruder writes it; PyTorch adds it outside
/// (`lr * g / (sqrt(G) + eps)`, eps 1e-10). The two differ only while `G` is about `eps`.
#[derive(Debug, Clone)]
pub struct Adagrad {
    /// Smoothing term inside the root (default 1e-8).
    pub eps: f64,
    sum_sq: Vec<f64>,
}

impl Adagrad {
    /// Default smoothing term.
    pub const EPS: f64 = 1e-8;

    /// Adagrad with `eps = 1e-8`.
    pub fn new() -> Self {
        Self::with_eps(Self::EPS)
    }

    /// Adagrad with the given `eps`.
    pub fn with_eps(eps: f64) -> Self {
        Adagrad {
            eps,
            sum_sq: Vec::new(),
        }
    }
}

impl Default for Adagrad {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for Adagrad {
    fn name(&self) -> &'static str {
        "adagrad"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name()).buffers(&[&self.sum_sq])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 0, &mut [&mut self.sum_sq])
    }

    fn init(&mut self, dim: usize) {
        self.sum_sq.clear();
        self.sum_sq.resize(dim, 0.0);
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.sum_sq.len());
        for ((p, g), s) in params.iter_mut().zip(grad).zip(&mut self.sum_sq) {
            *s += g * g;
            *p -= lr / (*s + self.eps).sqrt() * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_shrink_with_the_sum_of_squares() {
        let mut opt = Adagrad::with_eps(0.0);
        opt.init(1);
        let mut p = [0.0];
        opt.step(&mut p, &[2.0], 1.0);
        assert_eq!(p, [-1.0]);
        // G = 4 + 4: the second step is 2 / sqrt(8).
        opt.step(&mut p, &[2.0], 1.0);
        assert!((p[0] + 1.0 + 2.0 / 8f64.sqrt()).abs() < 1e-15);
    }
}

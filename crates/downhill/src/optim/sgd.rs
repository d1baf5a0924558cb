use super::{Optimizer, OptimizerState};
use crate::Result;

/// Plain gradient descent, `theta -= lr * g`: batch gradient descent on full batches,
/// stochastic or mini-batch gradient descent on smaller ones (`gd` and `sgd` are one rule).
#[derive(Debug, Clone, Default)]
pub struct Sgd;

impl Sgd {
    /// The rule.
    pub fn new() -> Self {
        Sgd
    }
}

impl Optimizer for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name())
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 0, &mut [])
    }

    fn init(&mut self, _dim: usize) {}

    fn is_plain(&self) -> bool {
        true
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        for (p, g) in params.iter_mut().zip(grad) {
            *p -= lr * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_steps_by_hand() {
        let mut p = [1.0, -2.0];
        let mut opt = Sgd::new();
        opt.init(2);
        opt.step(&mut p, &[0.5, -1.0], 0.1);
        assert_eq!(p, [1.0 - 0.05, -2.0 + 0.1]);
    }
}

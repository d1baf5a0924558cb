use super::{Adam, Optimizer, OptimizerState};
use crate::Result;

/// AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, PyTorch's form:
///
/// ```text
/// theta -= lr * weight_decay * theta      (before the Adam step, on the old theta)
/// theta -= lr * mhat / (sqrt(vhat) + eps) (Adam, with the gradient of the cost alone)
/// ```
///
/// The decay shrinks every parameter, the intercept included, and never enters `m` or `v`,
/// unlike an L2 penalty in the cost, whose gradient Adam would rescale. The paper scales
/// the decay by a schedule multiplier rather than by `lr`; PyTorch (and this) use `lr`.
#[derive(Debug, Clone)]
pub struct AdamW {
    /// Decoupled weight decay, at least 0 (default 0.01).
    pub weight_decay: f64,
    adam: Adam,
}

impl AdamW {
    /// Default weight decay (PyTorch's).
    pub const WEIGHT_DECAY: f64 = 0.01;

    /// AdamW with Adam's defaults and `weight_decay = 0.01`.
    pub fn new() -> Self {
        Self::with(Adam::BETA1, Adam::BETA2, Adam::EPS, Self::WEIGHT_DECAY)
    }

    /// AdamW with the given decays, `eps` and weight decay.
    pub fn with(beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        AdamW {
            weight_decay,
            adam: Adam::with(beta1, beta2, eps),
        }
    }
}

impl Default for AdamW {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for AdamW {
    fn name(&self) -> &'static str {
        "adamw"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name()).inner(self.adam.state())
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(self.name(), 0, &mut [])?;
        self.adam.restore(state.inner_state(self.name())?)
    }

    fn init(&mut self, dim: usize) {
        self.adam.init(dim);
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        let shrink = 1.0 - lr * self.weight_decay;
        params.iter_mut().for_each(|p| *p *= shrink);
        self.adam.step(params, grad, lr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_gradient_still_decays() {
        let mut opt = AdamW::with(0.9, 0.999, 1e-8, 0.5);
        opt.init(1);
        let mut p = [2.0];
        opt.step(&mut p, &[0.0], 0.1);
        // Adam's step is 0 for a zero gradient; only the decay acts: 2 * (1 - 0.05).
        assert!((p[0] - 1.9).abs() < 1e-15);
    }
}

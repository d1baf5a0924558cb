use super::{Optimizer, OptimizerState};
use crate::numeric::norm;
use crate::Result;

/// Gradient clipping by global norm (optax's `clip_by_global_norm`, PyTorch's
/// `clip_grad_norm_`) in front of any optimizer: when `||g|| > max_norm` the gradient is
/// rescaled to norm `max_norm` before the inner optimizer sees it; otherwise it passes
/// unchanged. The direction is kept, so a plain-gradient-descent step is never longer than
/// `lr * max_norm`.
#[derive(Debug)]
pub struct ClipNorm {
    /// The largest gradient norm passed on (positive).
    pub max_norm: f64,
    inner: Box<dyn Optimizer>,
    clipped: Vec<f64>,
}

impl ClipNorm {
    /// Clips the gradients fed to `inner` to norm `max_norm` (not checked here; the
    /// registry's [`wrap`](super::wrap) validates user input).
    pub fn new(inner: Box<dyn Optimizer>, max_norm: f64) -> Self {
        ClipNorm {
            max_norm,
            inner,
            clipped: Vec::new(),
        }
    }

    /// The wrapped optimizer.
    pub fn inner(&self) -> &dyn Optimizer {
        self.inner.as_ref()
    }
}

impl Optimizer for ClipNorm {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new("clip_norm").inner(self.inner.state())
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into("clip_norm", 0, &mut [])?;
        self.inner.restore(state.inner_state("clip_norm")?)
    }

    fn init(&mut self, dim: usize) {
        self.clipped.clear();
        self.clipped.resize(dim, 0.0);
        self.inner.init(dim);
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(grad.len(), self.clipped.len(), "init sizes the state");
        let n = norm(grad);
        // A non-finite norm passes through: the training loop reports the divergence.
        if n > self.max_norm && n.is_finite() {
            let scale = self.max_norm / n;
            for (c, g) in self.clipped.iter_mut().zip(grad) {
                *c = g * scale;
            }
            self.inner.step(params, &self.clipped, lr);
        } else {
            self.inner.step(params, grad, lr);
        }
    }

    fn finish(&self, params: &mut [f64]) {
        self.inner.finish(params);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;

    #[test]
    fn long_gradients_are_shortened_short_ones_kept() {
        let mut opt = ClipNorm::new(Box::new(Sgd::new()), 1.0);
        opt.init(2);
        let mut p = [0.0, 0.0];
        opt.step(&mut p, &[3.0, 4.0], 1.0);
        assert!((p[0] + 0.6).abs() < 1e-15 && (p[1] + 0.8).abs() < 1e-15);
        let mut q = [0.0, 0.0];
        opt.step(&mut q, &[0.3, -0.4], 1.0);
        assert_eq!(q, [-0.3, 0.4]);
    }
}

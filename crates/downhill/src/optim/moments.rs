//! The first and second moment estimates that Adam and Nadam share.

use super::OptimizerState;
use crate::Result;

/// Running averages `m` of the gradient and `v` of its square, with `beta1^t` and `beta2^t`
/// kept as running products for the bias corrections.
#[derive(Debug, Clone)]
pub(super) struct Moments {
    m: Vec<f64>,
    v: Vec<f64>,
    b1t: f64,
    b2t: f64,
}

impl Moments {
    /// No state yet: [`Moments::reset`] sizes it.
    pub(super) fn new() -> Self {
        Moments {
            m: Vec::new(),
            v: Vec::new(),
            b1t: 1.0,
            b2t: 1.0,
        }
    }

    /// Zero moments for `dim` parameters, step count back to 0.
    pub(super) fn reset(&mut self, dim: usize) {
        for s in [&mut self.m, &mut self.v] {
            s.clear();
            s.resize(dim, 0.0);
        }
        self.b1t = 1.0;
        self.b2t = 1.0;
    }

    /// The state of `name` (Adam or Nadam): both moments and both running products.
    pub(super) fn state(&self, name: &str) -> OptimizerState {
        OptimizerState::new(name)
            .buffers(&[&self.m, &self.v])
            .scalars(&[self.b1t, self.b2t])
    }

    /// Continues from `state`, checked to be `name`'s and of the size `reset` gave.
    pub(super) fn restore(&mut self, name: &str, state: &OptimizerState) -> Result<()> {
        state.restore_into(name, 2, &mut [&mut self.m, &mut self.v])?;
        (self.b1t, self.b2t) = (state.scalars[0], state.scalars[1]);
        Ok(())
    }

    /// One step: updates both moments with `grad`, then calls
    /// `update(param, g, m, v, (1 - beta1^t, 1 - beta2^t))` for each parameter.
    #[inline]
    pub(super) fn step(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        (b1, b2): (f64, f64),
        mut update: impl FnMut(&mut f64, f64, f64, f64, (f64, f64)),
    ) {
        debug_assert_eq!(params.len(), self.m.len());
        self.b1t *= b1;
        self.b2t *= b2;
        let c = (1.0 - self.b1t, 1.0 - self.b2t);
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            update(p, g, *m, *v, c);
        }
    }
}

use super::{Optimizer, OptimizerState};
use crate::Result;

/// AMSGrad (Reddi et al., 2018; Ruder §4.9): Adam whose second moment never decreases.
///
/// PyTorch's convention (`Adam(amsgrad=True)`), which keeps Adam's bias corrections:
///
/// ```text
/// m = b1 * m + (1 - b1) * g
/// v = b2 * v + (1 - b2) * g^2
/// vmax = max(vmax, v)
/// theta -= lr * (m / (1 - b1^t)) / (sqrt(vmax / (1 - b2^t)) + eps)
/// ```
///
/// Ruder (eq. 27) writes it without bias correction (`theta -= lr * m / (sqrt(vmax) +
/// eps)`); with bias correction the first steps have Adam's size instead of being about
/// `(1 - b1) / sqrt(1 - b2)` ~ 3 times it, and the rule is Adam's wherever `v` does not
/// decrease.
#[derive(Debug, Clone)]
pub struct AmsGrad {
    /// Decay of the first moment, in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Decay of the second moment, in `[0, 1)` (default 0.999).
    pub beta2: f64,
    /// Added to the root of the second moment (default 1e-8).
    pub eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    v_max: Vec<f64>,
    b1t: f64,
    b2t: f64,
}

impl AmsGrad {
    /// Default `beta1`.
    pub const BETA1: f64 = 0.9;
    /// Default `beta2`.
    pub const BETA2: f64 = 0.999;
    /// Default `eps`.
    pub const EPS: f64 = 1e-8;

    /// AMSGrad with Adam's defaults.
    pub fn new() -> Self {
        Self::with(Self::BETA1, Self::BETA2, Self::EPS)
    }

    /// AMSGrad with the given decays and `eps`.
    pub fn with(beta1: f64, beta2: f64, eps: f64) -> Self {
        AmsGrad {
            beta1,
            beta2,
            eps,
            m: Vec::new(),
            v: Vec::new(),
            v_max: Vec::new(),
            b1t: 1.0,
            b2t: 1.0,
        }
    }
}

impl Default for AmsGrad {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer for AmsGrad {
    fn name(&self) -> &'static str {
        "amsgrad"
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new(self.name())
            .buffers(&[&self.m, &self.v, &self.v_max])
            .scalars(&[self.b1t, self.b2t])
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into(
            self.name(),
            2,
            &mut [&mut self.m, &mut self.v, &mut self.v_max],
        )?;
        (self.b1t, self.b2t) = (state.scalars[0], state.scalars[1]);
        Ok(())
    }

    fn init(&mut self, dim: usize) {
        for s in [&mut self.m, &mut self.v, &mut self.v_max] {
            s.clear();
            s.resize(dim, 0.0);
        }
        self.b1t = 1.0;
        self.b2t = 1.0;
    }

    #[inline]
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(params.len(), self.m.len());
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        self.b1t *= b1;
        self.b2t *= b2;
        let (c1, c2) = (1.0 - self.b1t, 1.0 - self.b2t);
        for ((((p, g), m), v), vm) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
            .zip(&mut self.v_max)
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *vm = vm.max(*v);
            *p -= lr * (*m / c1) / ((*vm / c2).sqrt() + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Adam;

    #[test]
    fn second_moment_never_shrinks() {
        // After a large gradient, a small one moves the parameter by less than Adam would,
        // because the denominator remembers the large one.
        let mut ams = AmsGrad::new();
        let mut adam = Adam::new();
        ams.init(1);
        adam.init(1);
        let (mut p, mut q) = ([0.0], [0.0]);
        ams.step(&mut p, &[10.0], 0.1);
        adam.step(&mut q, &[10.0], 0.1);
        let v1 = ams.v[0];
        for _ in 0..3 {
            ams.step(&mut p, &[0.0], 0.1);
            adam.step(&mut q, &[0.0], 0.1);
        }
        let (p0, q0) = (p[0], q[0]);
        ams.step(&mut p, &[0.01], 0.1);
        adam.step(&mut q, &[0.01], 0.1);
        // v decays over the zero gradients, vmax keeps the first one.
        assert_eq!(ams.v_max[0], v1);
        assert!(ams.v[0] < v1);
        assert!((p[0] - p0).abs() < (q[0] - q0).abs());
    }
}

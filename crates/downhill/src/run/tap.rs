//! An optimizer wrapper that keeps the parameters after its last step: where a diverging
//! step went, which the training loop does not report.

use crate::optim::Optimizer;
use std::sync::{Arc, Mutex};

/// Passes every step to the optimizer it wraps and keeps a copy of the parameters after the
/// last one: when a run diverges, the loop reports no step past the last finite one, and
/// this is where the diverging step went (for pictures of the path).
#[derive(Debug)]
pub struct Tap {
    inner: Box<dyn Optimizer>,
    last: Arc<Mutex<Vec<f64>>>,
}

/// Where a [`Tap`] leaves the parameters after its last step.
pub type LastStep = Arc<Mutex<Vec<f64>>>;

impl Tap {
    /// `inner`, tapped, and where its last step's parameters will be.
    pub fn wrap(inner: Box<dyn Optimizer>) -> (Box<dyn Optimizer>, LastStep) {
        let last = Arc::new(Mutex::new(Vec::new()));
        let tap = Tap {
            inner,
            last: last.clone(),
        };
        (Box::new(tap), last)
    }

    /// The parameters after the last step, when there was one and they are finite.
    pub fn last(cell: &Mutex<Vec<f64>>) -> Option<Vec<f64>> {
        let p = cell.lock().ok()?.clone();
        (!p.is_empty() && p.iter().all(|v| v.is_finite())).then_some(p)
    }
}

impl Optimizer for Tap {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn init(&mut self, dim: usize) {
        self.inner.init(dim);
        if let Ok(mut last) = self.last.lock() {
            last.clear();
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        self.inner.step(params, grad, lr);
        if let Ok(mut last) = self.last.lock() {
            if last.len() == params.len() {
                last.copy_from_slice(params);
            } else {
                // Sized once, on the first step.
                last.clear();
                last.extend_from_slice(params);
            }
        }
    }

    fn finish(&self, params: &mut [f64]) {
        self.inner.finish(params);
    }

    fn state(&self) -> crate::optim::OptimizerState {
        self.inner.state()
    }

    fn restore(&mut self, state: &crate::optim::OptimizerState) -> crate::Result<()> {
        self.inner.restore(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;

    #[test]
    fn keeps_the_last_step_when_finite() {
        let (mut tap, last) = Tap::wrap(Box::new(Sgd::new()));
        tap.init(2);
        assert_eq!(Tap::last(&last), None, "no step yet");
        let mut p = [1.0, 1.0];
        tap.step(&mut p, &[1.0, -1.0], 0.5);
        assert_eq!(Tap::last(&last), Some(vec![0.5, 1.5]));
        tap.step(&mut p, &[f64::INFINITY, 0.0], 1.0);
        assert_eq!(Tap::last(&last), None, "not finite");
        assert_eq!(tap.name(), "sgd");
    }
}

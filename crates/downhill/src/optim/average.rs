use super::{Optimizer, OptimizerState};
use crate::Result;

/// Averaged gradient descent (Polyak & Juditsky, 1992; Ruppert, 1988), scikit-learn's
/// `SGDRegressor(average=...)`, around any optimizer: the inner optimizer runs as usual,
/// and the reported parameters ([`Optimizer::finish`]) are the running mean of its iterates
/// after step `start` (the iterates after steps `start + 1, start + 2, ...`). With
/// `start = 0` every iterate counts, as scikit-learn's `average=True`; `average=n` is
/// `start = n` counted in updates (one per batch) rather than in samples.
///
/// The mean is kept with the update `avg += (theta - avg) / k`, so no sum grows. It damps
/// the noise of stochastic steps; on full batches it trails the last iterate.
#[derive(Debug)]
pub struct Averaged {
    /// Steps taken before averaging begins.
    pub start: u64,
    inner: Box<dyn Optimizer>,
    avg: Vec<f64>,
    t: u64,
    count: u64,
}

impl Averaged {
    /// Averages the iterates of `inner` after its first `start` steps.
    pub fn new(inner: Box<dyn Optimizer>, start: u64) -> Self {
        Averaged {
            start,
            inner,
            avg: Vec::new(),
            t: 0,
            count: 0,
        }
    }

    /// The running mean so far (empty before `init`; meaningless before averaging begins).
    pub fn average(&self) -> &[f64] {
        &self.avg
    }

    /// Number of iterates in the mean.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The wrapped optimizer.
    pub fn inner(&self) -> &dyn Optimizer {
        self.inner.as_ref()
    }
}

impl Optimizer for Averaged {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::new("average")
            .steps(self.t)
            .scalars(&[self.count as f64])
            .buffers(&[&self.avg])
            .inner(self.inner.state())
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into("average", 1, &mut [&mut self.avg])?;
        self.inner.restore(state.inner_state("average")?)?;
        self.t = state.steps;
        // A count of iterates is exact in a double far beyond any run's length.
        self.count = state.scalars[0] as u64;
        Ok(())
    }

    fn init(&mut self, dim: usize) {
        self.avg.clear();
        self.avg.resize(dim, 0.0);
        self.t = 0;
        self.count = 0;
        self.inner.init(dim);
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(grad.len(), self.avg.len(), "init sizes the state");
        self.inner.step(params, grad, lr);
        self.t += 1;
        if self.t > self.start {
            self.count += 1;
            let inv = 1.0 / self.count as f64;
            for (a, p) in self.avg.iter_mut().zip(params.iter()) {
                *a += (p - *a) * inv;
            }
        }
    }

    /// The average replaces what the inner optimizer would report; before averaging has
    /// begun (fewer than `start + 1` steps) the inner optimizer reports.
    fn finish(&self, params: &mut [f64]) {
        if self.count == 0 {
            self.inner.finish(params);
        } else {
            params.copy_from_slice(&self.avg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;

    #[test]
    fn reports_the_mean_of_the_iterates_after_start() {
        let mut opt = Averaged::new(Box::new(Sgd::new()), 1);
        opt.init(1);
        let mut p = [0.0];
        // Iterates -1, -3, -6: the first is skipped, the mean of the others is -4.5.
        for g in [1.0, 2.0, 3.0] {
            opt.step(&mut p, &[g], 1.0);
        }
        assert_eq!(p, [-6.0]);
        opt.finish(&mut p);
        assert_eq!(p, [-4.5]);
        assert_eq!(opt.count(), 2);
    }

    #[test]
    fn before_averaging_the_iterate_is_kept() {
        let mut opt = Averaged::new(Box::new(Sgd::new()), 5);
        opt.init(1);
        let mut p = [0.0];
        opt.step(&mut p, &[1.0], 1.0);
        opt.finish(&mut p);
        assert_eq!(p, [-1.0]);
    }
}

use super::{Optimizer, OptimizerState};
use crate::train::RngState;
use crate::Error;
use crate::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Annealed Gaussian gradient noise (Neelakantan et al., 2015; Ruder §6.6) in front of any
/// optimizer: the inner optimizer sees `g + N(0, sigma_t^2)` in every component, with
///
/// ```text
/// sigma_t^2 = eta / (1 + t)^gamma      (gamma = 0.55)
/// ```
///
/// where `t` counts this optimizer's steps from 1 (the first step uses `eta / 2^0.55`).
/// The paper picks `eta` from {0.01, 0.3, 1.0}; the default is 0.01. The noise comes from a
/// ChaCha8 stream seeded with `seed` and restarted by `init`, so a run is reproducible.
#[derive(Debug)]
pub struct GradientNoise {
    /// Scale of the variance (positive).
    pub eta: f64,
    /// Decay exponent of the variance (0.55 in the paper).
    pub gamma: f64,
    /// Seed of the noise stream.
    pub seed: u64,
    inner: Box<dyn Optimizer>,
    rng: ChaCha8Rng,
    t: u64,
    noisy: Vec<f64>,
}

impl GradientNoise {
    /// Default `eta`.
    pub const ETA: f64 = 0.01;
    /// The paper's decay exponent.
    pub const GAMMA: f64 = 0.55;

    /// Noise of scale `eta` from stream `seed` in front of `inner`.
    pub fn new(inner: Box<dyn Optimizer>, eta: f64, seed: u64) -> Self {
        GradientNoise {
            eta,
            gamma: Self::GAMMA,
            seed,
            inner,
            rng: ChaCha8Rng::seed_from_u64(seed),
            t: 0,
            noisy: Vec::new(),
        }
    }

    /// The standard deviation of the noise at step `t` (1-based).
    pub fn sigma(&self, t: u64) -> f64 {
        (self.eta / (1.0 + t as f64).powf(self.gamma)).sqrt()
    }

    /// The wrapped optimizer.
    pub fn inner(&self) -> &dyn Optimizer {
        self.inner.as_ref()
    }
}

/// A standard normal deviate by the Box-Muller transform (one of the pair is used).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // u1 in (0, 1] so that the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl Optimizer for GradientNoise {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn state(&self) -> OptimizerState {
        let mut s = OptimizerState::new("gradient_noise")
            .steps(self.t)
            .inner(self.inner.state());
        s.rng = Some(RngState::of(&self.rng));
        s
    }

    fn restore(&mut self, state: &OptimizerState) -> Result<()> {
        state.restore_into("gradient_noise", 0, &mut [])?;
        let rng = state.rng.as_ref().ok_or_else(|| {
            Error::setting(
                "optimizer",
                "the saved state of gradient_noise lacks its random stream",
            )
        })?;
        self.inner.restore(state.inner_state("gradient_noise")?)?;
        self.rng = rng.to_rng()?;
        self.t = state.steps;
        Ok(())
    }

    fn init(&mut self, dim: usize) {
        self.noisy.clear();
        self.noisy.resize(dim, 0.0);
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.t = 0;
        self.inner.init(dim);
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        debug_assert_eq!(grad.len(), self.noisy.len(), "init sizes the state");
        self.t += 1;
        let sigma = self.sigma(self.t);
        for (n, g) in self.noisy.iter_mut().zip(grad) {
            *n = g + sigma * standard_normal(&mut self.rng);
        }
        self.inner.step(params, &self.noisy, lr);
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
    fn normal_deviates_have_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    #[test]
    fn init_restarts_the_stream() {
        let mut opt = GradientNoise::new(Box::new(Sgd::new()), 1.0, 3);
        let run = |opt: &mut GradientNoise| {
            opt.init(2);
            let mut p = [0.0, 0.0];
            for _ in 0..3 {
                opt.step(&mut p, &[0.0, 0.0], 1.0);
            }
            p
        };
        let a = run(&mut opt);
        assert_eq!(a, run(&mut opt));
        assert_ne!(a, [0.0, 0.0]);
    }
}

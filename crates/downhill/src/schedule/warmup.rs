use super::Schedule;

/// Linear warm-up in front of any schedule: for the first `epochs` epochs the rate climbs
/// linearly to the inner schedule's first rate, `inner.lr(1) * epoch / epochs`; then the
/// inner schedule runs from its own epoch 1 (shifted by `epochs`). So the inner schedule's
/// first rate is reached at epoch `epochs` and kept for epoch `epochs + 1`.
///
/// The inner schedule only observes the epochs after the warm-up (renumbered from 1), so a
/// reduce-on-plateau behind a warm-up does not count the warm-up's epochs.
#[derive(Debug)]
pub struct Warmup {
    /// Length of the warm-up in epochs (0: none).
    pub epochs: usize,
    inner: Box<dyn Schedule>,
}

impl Warmup {
    /// `epochs` epochs of linear warm-up, then `inner`.
    pub fn new(epochs: usize, inner: Box<dyn Schedule>) -> Self {
        Warmup { epochs, inner }
    }

    /// The schedule after the warm-up.
    pub fn inner(&self) -> &dyn Schedule {
        self.inner.as_ref()
    }
}

impl Schedule for Warmup {
    fn state(&self) -> Vec<f64> {
        self.inner.state()
    }

    fn restore(&mut self, state: &[f64]) -> crate::Result<()> {
        self.inner.restore(state)
    }

    fn lr(&self, epoch: usize) -> f64 {
        let epoch = epoch.max(1);
        if epoch <= self.epochs {
            self.inner.lr(1) * epoch as f64 / self.epochs as f64
        } else {
            self.inner.lr(epoch - self.epochs)
        }
    }

    fn observe(&mut self, epoch: usize, cost: f64) {
        if epoch > self.epochs {
            self.inner.observe(epoch - self.epochs, cost);
        }
    }
}

use super::Schedule;

/// Exponential decay (PyTorch's `ExponentialLR`): `lr0 * gamma^(epoch - 1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential {
    /// The rate of the first epoch.
    pub lr0: f64,
    /// The factor per epoch.
    pub gamma: f64,
}

impl Schedule for Exponential {
    fn lr(&self, epoch: usize) -> f64 {
        let k = epoch.saturating_sub(1).min(i32::MAX as usize) as i32;
        self.lr0 * self.gamma.powi(k)
    }
}

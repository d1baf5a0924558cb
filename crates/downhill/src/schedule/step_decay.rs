use super::Schedule;

/// Step decay (PyTorch's `StepLR`): `lr0 * gamma^floor((epoch - 1) / step)`, the rate
/// multiplied by `gamma` every `step` epochs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDecay {
    /// The rate of the first `step` epochs.
    pub lr0: f64,
    /// Epochs between decays (at least 1).
    pub step: usize,
    /// The factor of each decay.
    pub gamma: f64,
}

impl Schedule for StepDecay {
    fn lr(&self, epoch: usize) -> f64 {
        let k = epoch.saturating_sub(1) / self.step.max(1);
        self.lr0 * self.gamma.powi(k.min(i32::MAX as usize) as i32)
    }
}

use super::Schedule;
use std::f64::consts::PI;

/// Cosine annealing (Loshchilov & Hutter's SGDR without restarts, PyTorch's
/// `CosineAnnealingLR`) from `lr0` down to `lr_min` over `t_max` epochs:
///
/// ```text
/// lr = lr_min + (lr0 - lr_min) * (1 + cos(pi * (epoch - 1) / t_max)) / 2
/// ```
///
/// so epoch 1 runs at `lr0` and epoch `t_max + 1` at `lr_min`. Later epochs stay at
/// `lr_min` (PyTorch's formula would climb back up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cosine {
    /// The rate of the first epoch.
    pub lr0: f64,
    /// The rate at the end.
    pub lr_min: f64,
    /// Length of the annealing in epochs (at least 1).
    pub t_max: usize,
}

impl Schedule for Cosine {
    fn lr(&self, epoch: usize) -> f64 {
        let t = epoch.saturating_sub(1).min(self.t_max) as f64;
        let t_max = self.t_max.max(1) as f64;
        self.lr_min + (self.lr0 - self.lr_min) * (1.0 + (PI * t / t_max).cos()) / 2.0
    }
}

use super::Schedule;

/// Inverse scaling (scikit-learn's `learning_rate="invscaling"`): `lr0 / t^power` with
/// `t` the epoch (scikit-learn counts samples seen instead). `power` defaults to 0.25,
/// scikit-learn's `power_t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InverseScaling {
    /// The rate of the first epoch.
    pub lr0: f64,
    /// The exponent (at least 0).
    pub power: f64,
}

impl InverseScaling {
    /// scikit-learn's default exponent.
    pub const POWER: f64 = 0.25;
}

impl Schedule for InverseScaling {
    fn lr(&self, epoch: usize) -> f64 {
        self.lr0 / (epoch.max(1) as f64).powf(self.power)
    }
}

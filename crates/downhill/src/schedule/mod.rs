//! Learning-rate schedules: the learning rate as a function of the epoch, composed around
//! any optimizer.
//!
//! [`Constant`], [`StepDecay`], [`Exponential`], [`InverseScaling`], [`Cosine`],
//! [`Plateau`] (reduce on plateau), and [`Warmup`] in front of any of them. The command
//! line writes them as strings read by [`parse`] (syntax in [`SCHEDULES`]).

mod constant;
mod cosine;
mod exponential;
mod inverse_scaling;
mod parse;
mod plateau;
mod step_decay;
mod warmup;

pub use constant::Constant;
pub use cosine::Cosine;
pub use exponential::Exponential;
pub use inverse_scaling::InverseScaling;
pub use parse::{parse, ScheduleInfo, SCHEDULES};
pub use plateau::Plateau;
pub use step_decay::StepDecay;
pub use warmup::Warmup;

/// A learning-rate schedule.
pub trait Schedule: Send + std::fmt::Debug {
    /// The learning rate for epoch `epoch` (1-based: the first epoch is 1).
    fn lr(&self, epoch: usize) -> f64;

    /// Told the cost of each finished epoch (reduce-on-plateau listens; others ignore it).
    fn observe(&mut self, _epoch: usize, _cost: f64) {}

    /// What the schedule remembers between epochs (reduce-on-plateau's rate, best cost and
    /// count), for a checkpoint; the others are functions of the epoch and remember nothing.
    fn state(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Continues from `state` (what [`Schedule::state`] gave).
    fn restore(&mut self, state: &[f64]) -> crate::Result<()> {
        restore_nothing(state)
    }
}

/// The restore of a schedule without state: only an empty state is its own.
fn restore_nothing(state: &[f64]) -> crate::Result<()> {
    if state.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::setting(
            "schedule",
            format!(
                "the saved schedule state has {} values, this schedule none",
                state.len()
            ),
        ))
    }
}

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
}

//! Learning-rate schedules: the learning rate as a function of the epoch, composed around
//! any optimizer.

mod constant;

pub use constant::Constant;

/// A learning-rate schedule.
pub trait Schedule: Send + std::fmt::Debug {
    /// The learning rate for epoch `epoch` (1-based: the first epoch is 1).
    fn lr(&self, epoch: usize) -> f64;

    /// Told the cost of each finished epoch (reduce-on-plateau listens; others ignore it).
    fn observe(&mut self, _epoch: usize, _cost: f64) {}
}

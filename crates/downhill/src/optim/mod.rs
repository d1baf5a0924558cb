//! First-order update rules, one per file. Each is a small state machine: [`Optimizer::init`]
//! sizes its state, [`Optimizer::step`] applies one update from `(params, grad, lr)`. They
//! never see the data or the model, so every optimizer trains every model.

mod sgd;

pub use sgd::Sgd;

/// An update rule.
pub trait Optimizer: Send + std::fmt::Debug {
    /// The name users type (`--optimizer NAME`).
    fn name(&self) -> &'static str;

    /// Sizes the state for `dim` parameters and forgets earlier steps. Called once before
    /// the first step; `step` must not allocate.
    fn init(&mut self, dim: usize);

    /// One update of `params`, given the gradient at `params` and the learning rate.
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64);
}

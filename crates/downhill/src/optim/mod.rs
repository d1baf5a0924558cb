//! First-order update rules, one per file. Each is a small state machine: [`Optimizer::init`]
//! sizes its state, [`Optimizer::step`] applies one update from `(params, grad, lr)`. They
//! never see the data or the model, so every optimizer trains every model.
//!
//! The rules of Ruder's overview (arXiv:1609.04747): [`Sgd`], [`Momentum`], [`Nesterov`],
//! [`Adagrad`], [`Adadelta`], [`RmsProp`], [`Adam`], [`Adamax`], [`Nadam`], [`AmsGrad`],
//! plus [`AdamW`]. Extras that wrap any of them (optax style): [`ClipNorm`],
//! [`GradientNoise`], [`Averaged`]. By name, for the command line: [`build`], [`wrap`],
//! [`default_lr`] and the [`CATALOG`].

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod amsgrad;
mod average;
mod clip;
mod moments;
mod momentum;
mod nadam;
mod nesterov;
mod noise;
mod registry;
mod rmsprop;
mod sgd;
mod state;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use adamw::AdamW;
pub use amsgrad::AmsGrad;
pub use average::Averaged;
pub use clip::ClipNorm;
pub use momentum::Momentum;
pub use nadam::Nadam;
pub use nesterov::Nesterov;
pub use noise::GradientNoise;
pub use registry::{build, default_lr, info, names, wrap, Extras, Hyper, OptimizerInfo, CATALOG};
pub use rmsprop::RmsProp;
pub use sgd::Sgd;
pub use state::OptimizerState;

/// An update rule.
pub trait Optimizer: Send + std::fmt::Debug {
    /// The name users type (`--optimizer NAME`).
    fn name(&self) -> &'static str;

    /// Sizes the state for `dim` parameters and forgets earlier steps. Called once before
    /// the first step; `step` must not allocate.
    fn init(&mut self, dim: usize);

    /// One update of `params`, given the gradient at `params` and the learning rate.
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64);

    /// Whether `step` is exactly `params[j] -= lr * grad[j]` with no state ([`Sgd`]): a
    /// training loop may then fuse the step into the gradient's pass over single rows
    /// ([`FiniteSum::sgd_rows`](crate::FiniteSum::sgd_rows)). False by default, and for
    /// every wrapper.
    fn is_plain(&self) -> bool {
        false
    }

    /// The parameters to report at the end of a run, written over the last iterate
    /// `params`. Nothing changes by default; [`Averaged`] writes the average of the
    /// iterates. Wrappers forward it to the optimizer they wrap. The training loop calls it
    /// once, after the last step; with early stopping the best epoch's parameters then take
    /// precedence.
    fn finish(&self, _params: &mut [f64]) {}

    /// The state between two steps (buffers, running scalars, random stream, the wrapped
    /// optimizer's), so that a run saved after any step continues bit for bit.
    fn state(&self) -> OptimizerState;

    /// Continues from `state`, after `init` sized the buffers: refuses a state of another
    /// optimizer or another number of parameters.
    fn restore(&mut self, state: &OptimizerState) -> crate::Result<()>;
}

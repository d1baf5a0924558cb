//! # downhill
//!
//! Gradient descent as a library: objectives that compute their cost and gradient in one
//! pass over the data, optimizers that are small state machines with a `step`, learning-rate
//! schedules, and a training loop with stopping rules, history and observers.
//!
//! The layers, from the bottom up:
//!
//! - [`data`]: a row-major matrix of features, targets, and feature standardisation;
//! - [`objective`]: what is minimised: [`Objective`] (any differentiable function) and
//!   [`FiniteSum`] (a mean over rows, evaluated block by block, batch by batch);
//! - [`model`]: models on data (linear regression, ...) implementing [`FiniteSum`];
//! - [`optim`]: one update rule per file, each only ever seeing `(params, grad, lr)`;
//! - [`schedule`]: the learning rate as a function of the epoch;
//! - [`train`]: the loop: epochs, batches, stopping rules, history, observers;
//! - [`run`]: a method on a function (named or a formula) with its path and how it ended,
//!   and races of several methods;
//! - [`estimator`]: the pieces put together, e.g. [`estimator::LinearRegression`], with
//!   standardisation inside the fit and results in the data's original units;
//! - [`spec`]: a serialisable description of a fit ([`spec::RunSpec`]), the one value every
//!   front door builds, and the runner that fits any model from it.
//!
//! The library does no I/O and never prints: errors are values ([`Error`]).
//!
//! ```
//! use downhill::data::{Dataset, Matrix};
//! use downhill::estimator::LinearRegression;
//!
//! // y = 2x + 1
//! let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]]);
//! let data = Dataset::new(x, vec![1.0, 3.0, 5.0, 7.0]).unwrap();
//! let fit = LinearRegression::default().fit(data).unwrap();
//! assert!((fit.weights[0] - 2.0).abs() < 1e-9);
//! assert!((fit.intercept - 1.0).abs() < 1e-9);
//! ```

pub mod data;
pub mod distributed;
pub mod error;
pub mod estimator;
pub mod expr;
pub mod functions;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod numeric;
pub mod objective;
pub mod optim;
pub mod penalty;
pub mod run;
pub mod schedule;
pub mod search;
pub mod solver;
pub mod spec;
pub mod train;

pub use error::{Error, Result};
pub use objective::{FiniteSum, Objective, Rows};
pub use optim::Optimizer;
pub use schedule::Schedule;

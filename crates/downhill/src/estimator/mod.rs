//! Estimators: a model, standardisation and a training run put together, with results in
//! the data's original units.

mod linear;

pub use linear::{FittedLinear, LinearRegression};

//! Data: a row-major feature matrix, targets, and standardisation.
//!
//! Rows are contiguous so that one pass over a block of rows reads memory in order.

mod dataset;
mod matrix;
mod polynomial;
mod standardize;

pub use dataset::Dataset;
pub use matrix::Matrix;
pub use polynomial::{PolynomialFeatures, PowerTerm};
pub use standardize::Standardizer;

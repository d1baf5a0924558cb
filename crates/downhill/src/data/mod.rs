//! Data: a row-major feature matrix (`f64`, or `f32` to halve the bytes a pass reads),
//! targets, and standardisation (of the features, and of a regression's target).
//!
//! Rows are contiguous so that one pass over a block of rows reads memory in order.

mod dataset;
mod matrix;
mod polynomial;
mod standardize;
mod target;

pub use dataset::{weights_to_mean_one, Data, Dataset, DatasetRef};
pub use matrix::{Element, Matrix, MatrixF32, MatrixRef, MatrixView, Precision};
pub use polynomial::{PolynomialFeatures, PowerTerm};
pub use standardize::{check_spread, Standardizer, StandardizerBuilder};
pub use target::TargetScale;

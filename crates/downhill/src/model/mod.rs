//! Models on data. Each implements [`FiniteSum`](crate::FiniteSum) with a fused kernel
//! that reads each row once per evaluation.
//!
//! Parameter layout (flat `&[f64]`): the weights in feature order, then the intercept when
//! there is one.

mod linear;

pub use linear::Linear;

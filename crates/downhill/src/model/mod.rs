//! Models on data. Each implements [`FiniteSum`](crate::FiniteSum) with a fused kernel
//! that reads each row once per evaluation.
//!
//! Parameter layout (flat `&[f64]`): the weights in feature order, then the intercept when
//! there is one. [`Softmax`] has one such row per class.

mod folded;
pub(crate) mod gram;
mod linear;
mod linear_hessian;
mod softmax;
mod weights;

pub use folded::Folded;
pub use linear::{one_pass_kernel, Linear};
pub use linear_hessian::LinearSecondOrder;
pub use softmax::{Softmax, STACK_CLASSES};
pub use weights::{RowWeights, Unweighted};

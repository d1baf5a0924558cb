//! Estimators: a model, standardisation and a training run put together, with results in
//! the data's original units.

mod common;
mod distributed;
mod linear;
mod logistic;
mod polynomial;
mod softmax;

pub use common::FOLD_MAX_OFFSET;
pub use distributed::{DistributedFit, FittedDistributed};
pub use linear::{FittedLinear, LinearRegression, RegressionLoss};
pub use logistic::{ClassificationLoss, FittedLogistic, LogisticRegression};
pub use polynomial::PolynomialBasis;
pub use softmax::{FittedSoftmax, SoftmaxRegression};

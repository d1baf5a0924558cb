//! Errors are values: each names what went wrong and what to change.

use thiserror::Error;

/// Everything that can go wrong inside the library.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// The data has no rows.
    #[error("the data has no rows")]
    NoRows,
    /// Sizes that must agree do not.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A value that must be finite is not.
    #[error("{what} is not finite at row {row}, column {column}")]
    NotFinite {
        what: &'static str,
        row: usize,
        column: usize,
    },
    /// A feature has (numerically) zero spread, so it cannot be standardised.
    #[error("feature {column} is constant (standard deviation 0), so it cannot be standardised: drop it or turn standardisation off")]
    ConstantFeature { column: usize },
    /// A setting is out of its range. `setting` is the name a user knows it by.
    #[error("invalid {setting}: {message}")]
    InvalidSetting {
        setting: &'static str,
        message: String,
    },
    /// The run diverged: the cost became non-finite or grew without bound.
    #[error("the run diverged at epoch {epoch} (cost {cost:e}) with learning rate {lr:e}: use a smaller learning rate{hint}")]
    Diverged {
        epoch: usize,
        cost: f64,
        lr: f64,
        /// Extra advice, e.g. ", or turn standardisation on".
        hint: &'static str,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::InvalidSetting`].
    pub fn setting(setting: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidSetting {
            setting,
            message: message.into(),
        }
    }
}

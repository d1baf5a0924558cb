//! Errors are values: each names what went wrong and what to change.

use crate::expr::ExprError;
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
    /// A feature's values are so large that the squares of their spread overflow, so it
    /// cannot be standardised (its spread is not a finite double).
    #[error("feature {column} is too large to standardise: the squares of its values overflow a double; rescale it (divide it by a power of ten)")]
    FeatureOverflow { column: usize },
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
    /// The cost or its gradient is not finite at the starting point, although the parameters
    /// are: a number overflowed (e.g. raw features near the largest float). Never taken for
    /// convergence; later in a run the same is [`Error::Diverged`].
    #[error(
        "the {what} is not finite at the start although the parameters are: a number overflowed"
    )]
    NonFinite {
        /// "cost" or "gradient".
        what: &'static str,
    },
    /// A classifier without a penalty met classes that a hyperplane separates: scaling the
    /// separating parameters up lowers the log-loss forever, so there is no finite optimum.
    #[error("the classes are linearly separable (found at epoch {epoch}: a hyperplane classifies every training row correctly): without a penalty the weights grow without bound and the fit has no finite optimum; add an L2 penalty (--l2, e.g. 1/N)")]
    Separable {
        /// The epoch at which a separating hyperplane was found.
        epoch: usize,
    },
    /// Every target is the same class, so there is nothing to tell apart.
    #[error("every target is class {class}: a classifier needs rows of at least two classes")]
    OneClass {
        /// The only class present.
        class: usize,
    },
    /// A target or label is not a valid class index.
    #[error("{what} {value} at row {row} is not a class index ({expected})")]
    InvalidClass {
        /// What holds the value, e.g. "target" or "predicted label".
        what: &'static str,
        /// The value found.
        value: f64,
        /// Its row.
        row: usize,
        /// What was expected, e.g. "0 or 1".
        expected: String,
    },
    /// Classes are numbered `0..n_classes` but one of them has no rows.
    #[error("class {class} of 0..{n_classes} has no rows: number the classes that occur 0..K-1")]
    MissingClass {
        /// The class with no rows.
        class: usize,
        /// The number of classes implied by the largest index.
        n_classes: usize,
    },
    /// A polynomial feature overflowed (or a power of a finite value was otherwise not
    /// finite).
    #[error("column {column} raised to the power {power} is not finite at row {row}: use a lower degree or rescale the column")]
    PolynomialOverflow {
        /// The source column (0-based).
        column: usize,
        /// The power that overflowed.
        power: u32,
        /// The row (0-based).
        row: usize,
    },
    /// A formula does not parse; `error` points at its column (see [`ExprError::caret`]).
    #[error("formula: {error}")]
    Formula {
        /// The formula as typed.
        formula: String,
        /// What is wrong, and where.
        error: ExprError,
    },
    /// A source of data outside the library (a file read chunk by chunk) failed; the
    /// message says where and why (e.g. `data.csv:1234: column 'x': 'abc' is not a number`).
    #[error("{0}")]
    Source(String),
    /// A run description ([`crate::spec::RunSpec`]) that cannot run. The message names the
    /// field by its command-line flag (`--lr`), whose JSON key is the same with `_` for `-`.
    #[error("{0}")]
    Spec(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Spec`].
    pub fn spec(message: impl Into<String>) -> Self {
        Error::Spec(message.into())
    }

    /// An [`Error::InvalidSetting`].
    pub fn setting(setting: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidSetting {
            setting,
            message: message.into(),
        }
    }
}

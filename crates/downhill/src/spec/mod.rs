//! A run described as plain data: the model, its loss and penalty, the method and its
//! hyper-parameters, batching, stopping and the seed. Every front door (command-line flags,
//! a JSON body, Python keyword arguments) builds one [`RunSpec`]; [`fit`] runs it.
//!
//! The fields are flat and named after the `downhill fit` flags with `_` for `-`
//! (`--batch-size` is `batch_size`), so that a JSON object or keyword arguments name them as
//! a user types them; errors name the flag (`--lr`). Three flags that switch something off
//! are stated positively: `--no-intercept` is `fit_intercept: false`, `--no-standardize` is
//! `standardize: false`, `--no-shuffle` is `shuffle: false`. Every field has the flag's
//! default, so a JSON object naming only some fields is a whole description; an unknown
//! field is refused.
//!
//! ```
//! use downhill::spec::RunSpec;
//!
//! let spec: RunSpec = serde_json::from_str(r#"{"optimizer": "adam", "lr": 0.01}"#).unwrap();
//! assert_eq!(spec.to_command_args(), ["--optimizer", "adam", "--lr", "0.01"]);
//! ```

mod args;
mod checkpoint;
mod compare;
mod distributed;
mod flags;
mod method;
mod model;
mod runner;
mod stopping;

pub use checkpoint::Stamped;
pub use compare::{
    contestants, final_state, is_solver, on_function, short, CompareReport, Contestant, Named,
    RunReport,
};
pub use flags::flagged;
pub use method::{Method, MethodFacts};
pub use runner::{fit, Fitted, Problem, Runner};

use crate::data::Precision;
use serde::{Deserialize, Serialize};

/// A fit, described: what `downhill fit` takes besides the data, its target and features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    // --- The model ---
    /// The model.
    pub model: ModelKind,
    /// The loss [default: squared for linear, log for logistic and softmax].
    pub loss: Option<LossKind>,
    /// Width of the quadratic zone of the Huber loss (positive).
    pub huber_delta: f64,
    /// Half-width of the epsilon-insensitive tube (at least 0).
    pub epsilon: f64,
    /// Add powers x^2 .. x^K of the features (or of `degree_columns`).
    pub degree: Option<u32>,
    /// The columns raised to powers with `degree` [default: every feature].
    pub degree_columns: Option<Vec<String>>,
    /// Fit an intercept (`--no-intercept` is `false`).
    pub fit_intercept: bool,
    /// The positive class of a two-class text target (logistic regression).
    pub positive: Option<String>,
    /// L2 penalty strength.
    pub l2: Option<f64>,
    /// L1 penalty strength.
    pub l1: Option<f64>,
    /// Elastic net: the L1 share of `penalty` (with `penalty`).
    pub l1_ratio: Option<f64>,
    /// Elastic net: the total strength (with `l1_ratio`; scikit-learn's alpha).
    pub penalty: Option<f64>,
    /// Fit on z-scores of the features and target (`--no-standardize` is `false`).
    pub standardize: bool,
    /// Storage precision of the data.
    pub precision: Precision,

    // --- The method ---
    /// Optimizer or solver by name, or `auto`.
    pub optimizer: String,
    /// Learning rate [default: the optimizer's].
    pub lr: Option<f64>,
    /// Momentum gamma.
    pub momentum: Option<f64>,
    /// beta1 of the Adam family.
    pub beta1: Option<f64>,
    /// beta2 of the Adam family.
    pub beta2: Option<f64>,
    /// epsilon of the adaptive methods.
    pub eps: Option<f64>,
    /// rho of adadelta and rmsprop.
    pub rho: Option<f64>,
    /// Decoupled weight decay (adamw).
    pub weight_decay: Option<f64>,
    /// `armijo` or `wolfe`, for gd.
    pub line_search: Option<String>,
    /// Curvature pairs kept by lbfgs.
    pub history_size: usize,
    /// Learning-rate schedule, as `--schedule` takes it (e.g. `step:100:0.5`).
    pub schedule: String,
    /// Clip the gradient to this global norm.
    pub clip_norm: Option<f64>,
    /// Gradient noise eta.
    pub gradient_noise: Option<f64>,
    /// Average the iterates from this step on.
    pub average: Option<u64>,

    // --- Batching ---
    /// Rows per mini-batch [default: full batch].
    pub batch_size: Option<usize>,
    /// Reshuffle the rows every epoch (`--no-shuffle` is `false`).
    pub shuffle: bool,

    // --- Stopping ---
    /// Maximum number of epochs [default: 10000].
    pub epochs: Option<usize>,
    /// Relative gradient-norm tolerance.
    pub gtol: f64,
    /// Relative cost tolerance over `patience` epochs [default: off, 1e-4 for mini-batches].
    pub tol: Option<f64>,
    /// Patience of `tol` and of early stopping, in epochs.
    pub patience: usize,
    /// Hold out this fraction of the rows and stop early on their cost.
    pub validation_fraction: Option<f64>,
    /// Stop after this many seconds.
    pub time_limit: Option<f64>,

    // --- The rest ---
    /// Seed of every random choice.
    pub seed: u64,
    /// Threads for full-batch passes (0: all cores).
    pub threads: usize,
    /// Starting parameters in original units: per output, the weights then the intercept.
    pub init: Option<Vec<f64>>,

    // --- Checkpoints (first-order optimizers) ---
    /// Save the run's state to this file (every `checkpoint_every` epochs and at the end).
    pub checkpoint: Option<String>,
    /// Epochs between checkpoints [default: only at the end].
    pub checkpoint_every: Option<usize>,
    /// Continue the run saved in this file.
    pub resume: Option<String>,
}

impl Default for RunSpec {
    /// The defaults of `downhill fit`.
    fn default() -> Self {
        RunSpec {
            model: ModelKind::Linear,
            loss: None,
            huber_delta: 1.0,
            epsilon: 0.1,
            degree: None,
            degree_columns: None,
            fit_intercept: true,
            positive: None,
            l2: None,
            l1: None,
            l1_ratio: None,
            penalty: None,
            standardize: true,
            precision: Precision::F64,
            optimizer: "gd".into(),
            lr: None,
            momentum: None,
            beta1: None,
            beta2: None,
            eps: None,
            rho: None,
            weight_decay: None,
            line_search: None,
            history_size: 10,
            schedule: "constant".into(),
            clip_norm: None,
            gradient_noise: None,
            average: None,
            batch_size: None,
            shuffle: true,
            epochs: None,
            gtol: 1e-13,
            tol: None,
            patience: 10,
            validation_fraction: None,
            time_limit: None,
            seed: 0,
            threads: 0,
            init: None,
            checkpoint: None,
            checkpoint_every: None,
            resume: None,
        }
    }
}

impl RunSpec {
    /// Checks every field on its own and the fields that go together, without data: what a
    /// front door can refuse before reading anything.
    pub fn validate(&self) -> crate::Result<()> {
        self.check_ranges()?;
        self.penalty_strengths()?;
        self.check_loss()?;
        self.build_method(MethodFacts::default())?;
        self.train_config()?;
        Ok(())
    }
}

/// The model fitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Linear regression.
    #[default]
    Linear,
    /// Two-class logistic regression.
    Logistic,
    /// Multinomial (softmax) regression.
    Softmax,
}

impl ModelKind {
    /// The name users type.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Logistic => "logistic",
            ModelKind::Softmax => "softmax",
        }
    }
}

/// The per-row loss, by the name users type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// (y - pred)^2.
    Squared,
    /// |y - pred|.
    Absolute,
    /// Quadratic within `huber_delta`, linear beyond.
    Huber,
    /// max(0, |y - pred| - epsilon).
    EpsilonInsensitive,
    /// Cross-entropy (logistic, softmax).
    Log,
    /// max(0, 1 - s*z) (logistic only).
    Hinge,
}

impl LossKind {
    /// The name users type.
    pub fn as_str(&self) -> &'static str {
        match self {
            LossKind::Squared => "squared",
            LossKind::Absolute => "absolute",
            LossKind::Huber => "huber",
            LossKind::EpsilonInsensitive => "epsilon-insensitive",
            LossKind::Log => "log",
            LossKind::Hinge => "hinge",
        }
    }
}

#[cfg(test)]
mod tests;

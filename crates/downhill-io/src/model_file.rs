//! The model file: everything `predict` and `evaluate` need, plus how the model was trained.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Marks a file as ours.
pub const FORMAT: &str = "downhill-model";
/// Bumped when the layout changes incompatibly.
pub const VERSION: u32 = 1;

/// A fitted model on disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] when written.
    pub version: u32,
    /// `linear`, `logistic` or `softmax`.
    pub model: String,
    /// The loss it was fitted with (`squared`, `log`, `hinge`, ...).
    pub loss: String,
    /// The target column.
    pub target: String,
    /// The columns read from the data, in order.
    pub features: Vec<String>,
    /// Powers added to some columns, if any.
    pub polynomial: Option<Polynomial>,
    /// Names of the model's inputs: `features`, then the added powers (`x^2`, ...).
    pub terms: Vec<String>,
    /// Class labels: logistic `[negative, positive]`, softmax every class in order.
    pub classes: Option<Vec<String>>,
    /// One row of weights (one per term) per output: one output for linear and logistic,
    /// one per class for softmax. Original units.
    pub weights: Vec<Vec<f64>>,
    /// One intercept per output (0 without one).
    pub intercept: Vec<f64>,
    /// Whether intercepts were fitted.
    pub fit_intercept: bool,
    /// The standardisation used inside the fit (of the terms).
    pub standardization: Option<Standardization>,
    /// How the model was trained.
    pub training: Training,
    /// Final cost on the training data (penalty included).
    pub cost: f64,
}

/// Powers of some columns appended as new terms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Polynomial {
    /// Highest power.
    pub degree: u32,
    /// The columns raised (names from `features`).
    pub columns: Vec<String>,
}

/// Column means and scales used inside the fit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Standardization {
    /// Means.
    pub mean: Vec<f64>,
    /// Standard deviations (root mean squares without an intercept).
    pub scale: Vec<f64>,
}

/// Training settings and outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Training {
    /// Optimizer name.
    pub optimizer: String,
    /// Starting learning rate (none for methods that choose their own steps).
    pub lr: Option<f64>,
    /// Learning-rate schedule.
    pub schedule: String,
    /// Rows per mini-batch (none: full batch).
    pub batch_size: Option<usize>,
    /// L1 and L2 penalty strengths.
    pub l1: f64,
    /// L2 penalty strength.
    pub l2: f64,
    /// Epoch limit.
    pub max_epochs: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Gradient tolerance (relative to the starting gradient norm).
    pub gtol: f64,
    /// Cost tolerance, if any.
    pub tol: Option<f64>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Why training stopped.
    pub stop_reason: String,
    /// Rows used.
    pub rows: usize,
}

impl ModelFile {
    /// Reads and checks a model file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a downhill model file (not JSON: {e})",
                path.display()
            )
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            bail!(
                "{}: not a downhill model file (no \"format\": \"{FORMAT}\")",
                path.display()
            );
        }
        let version = value.get("version").and_then(|v| v.as_u64());
        if version != Some(u64::from(VERSION)) {
            bail!(
                "{}: model file version {} is not supported (this downhill reads version {VERSION})",
                path.display(),
                version.map_or("?".to_string(), |v| v.to_string())
            );
        }
        let model: ModelFile = serde_json::from_value(value)
            .map_err(|e| anyhow::anyhow!("{}: damaged downhill model file: {e}", path.display()))?;
        model
            .check()
            .map_err(|e| anyhow::anyhow!("{}: damaged downhill model file: {e}", path.display()))?;
        Ok(model)
    }

    fn check(&self) -> Result<()> {
        let outputs = match (self.model.as_str(), &self.classes) {
            ("linear", None) | ("logistic", Some(_)) => 1,
            ("softmax", Some(c)) => c.len(),
            (m, _) => bail!("unknown model '{m}' or classes that do not fit it"),
        };
        if self.weights.len() != outputs || self.intercept.len() != outputs {
            bail!(
                "{} rows of weights and {} intercepts for {outputs} outputs",
                self.weights.len(),
                self.intercept.len()
            );
        }
        if let Some(row) = self.weights.iter().find(|r| r.len() != self.terms.len()) {
            bail!("{} weights for {} terms", row.len(), self.terms.len());
        }
        if self
            .weights
            .iter()
            .flatten()
            .chain(&self.intercept)
            .any(|w| !w.is_finite())
        {
            bail!("a parameter is not finite");
        }
        Ok(())
    }

    /// Writes the model atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        super::atomic::write(path, |out| {
            serde_json::to_writer_pretty(&mut *out, self)?;
            writeln!(out)?;
            Ok(())
        })
    }
}

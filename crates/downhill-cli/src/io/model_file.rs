//! The model file: everything `predict` needs, plus how the model was trained.

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
    /// `linear`.
    pub model: String,
    /// The target column.
    pub target: String,
    /// Feature columns, in the order of `weights`.
    pub features: Vec<String>,
    /// One weight per feature, in original units.
    pub weights: Vec<f64>,
    /// The intercept, in original units (0 without one).
    pub intercept: f64,
    /// Whether an intercept was fitted.
    pub fit_intercept: bool,
    /// The standardisation used inside the fit.
    pub standardization: Option<Standardization>,
    /// How the model was trained.
    pub training: Training,
    /// Final cost on the training data.
    pub cost: f64,
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
    /// Learning rate.
    pub lr: f64,
    /// Epoch limit.
    pub max_epochs: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Gradient tolerance (relative to the starting gradient norm).
    pub gtol: f64,
    /// Cost tolerance, if any.
    pub tol: Option<f64>,
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
        if model.weights.len() != model.features.len() {
            bail!(
                "{}: damaged downhill model file: {} weights for {} features",
                path.display(),
                model.weights.len(),
                model.features.len()
            );
        }
        if model
            .weights
            .iter()
            .chain([&model.intercept])
            .any(|w| !w.is_finite())
        {
            bail!(
                "{}: damaged downhill model file: a parameter is not finite",
                path.display()
            );
        }
        Ok(model)
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

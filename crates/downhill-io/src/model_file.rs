//! The model file: everything `predict` and `evaluate` need, plus how the model was trained.

use anyhow::{bail, Context, Result};
use downhill::data::PolynomialFeatures;
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
    /// Whether it stopped on a tolerance (false at the epoch or time limit, or interrupted).
    #[serde(default)]
    pub converged: bool,
    /// Rows used.
    pub rows: usize,
    /// What `l1` and `l2` penalise: `standardized_weights` (the weights of the z-scored
    /// features, glmnet's convention; the default fit) or `raw_weights` (with
    /// `--no-standardize`). The weights written are in original units either way.
    #[serde(default)]
    pub penalty_on: String,
    /// The run description as given (`auto` unresolved): what reproduces this fit. Kept as
    /// JSON so that a file naming fields a later version adds is still readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<serde_json::Value>,
}

/// The highest polynomial degree a model file may ask for: far above any useful fit (powers
/// of a value beyond 2 overflow a double long before), and it keeps the terms a lying file
/// asks for a small multiple of its features.
pub const MAX_DEGREE: u32 = 64;

impl ModelFile {
    /// Reads and checks a model file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_json(path, &text)
    }

    /// Parses and checks the text of a model file; `path` names it in messages. A file that
    /// parses but contradicts itself (class count, shapes, terms, non-finite numbers) is
    /// refused with a one-line error naming the field, so that whatever is accepted can be
    /// applied to data without a panic.
    pub fn from_json(path: &Path, text: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
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
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(model)
    }

    /// Number of outputs: one for linear and logistic models, one per class for softmax.
    pub fn outputs(&self) -> usize {
        match self.model.as_str() {
            "softmax" => self.classes.as_ref().map_or(0, Vec::len),
            _ => 1,
        }
    }

    /// The powers the model appends to its features, as column indices into `features`.
    pub fn powers(&self) -> Result<Option<PolynomialFeatures>> {
        let Some(p) = &self.polynomial else {
            return Ok(None);
        };
        if !(1..=MAX_DEGREE).contains(&p.degree) {
            bail!(
                "'polynomial.degree' is {} but must be between 1 and {MAX_DEGREE}",
                p.degree
            );
        }
        let mut columns = Vec::with_capacity(p.columns.len());
        for c in &p.columns {
            match self.features.iter().position(|f| f == c) {
                Some(j) if !columns.contains(&j) => columns.push(j),
                Some(_) => bail!("'polynomial.columns' lists '{c}' twice"),
                None => bail!("'polynomial.columns' names '{c}', which is not in 'features'"),
            }
        }
        Ok(Some(
            PolynomialFeatures::new(columns, p.degree)
                .map_err(|e| anyhow::anyhow!("'polynomial': {e}"))?,
        ))
    }

    /// The names of the terms that follow from `features` and `polynomial`.
    pub fn expected_terms(&self) -> Result<Vec<String>> {
        let mut terms = self.features.clone();
        if let Some(pf) = self.powers()? {
            for t in pf.terms() {
                terms.push(format!("{}^{}", self.features[t.column], t.power));
            }
        }
        Ok(terms)
    }

    /// Everything `predict` and `evaluate` rely on, checked.
    fn check(&self) -> Result<()> {
        let classes = self.classes.as_deref();
        match (self.model.as_str(), classes) {
            ("linear", None) => {}
            ("linear", Some(_)) => bail!("'classes' is given but a linear model has none"),
            ("logistic", Some(c)) if c.len() == 2 => {}
            ("softmax", Some(c)) if c.len() >= 2 => {}
            ("logistic", c) => bail!(
                "'classes' has {} but a logistic model needs 2",
                labels(c.map_or(0, <[String]>::len))
            ),
            ("softmax", c) => bail!(
                "'classes' has {} but a softmax model needs at least 2",
                labels(c.map_or(0, <[String]>::len))
            ),
            (m, _) => bail!("'model' is '{m}'; expected linear, logistic or softmax"),
        }
        if let Some(c) = classes {
            if let Some((i, label)) = c.iter().enumerate().find(|(i, l)| c[..*i].contains(l)) {
                bail!("'classes' lists '{label}' twice (label {})", i + 1);
            }
        }
        if self.features.is_empty() {
            bail!("'features' is empty");
        }
        if let Some((_, f)) = self
            .features
            .iter()
            .enumerate()
            .find(|(i, f)| self.features[..*i].contains(f))
        {
            bail!("'features' lists '{f}' twice");
        }
        let expected = self.expected_terms()?;
        if self.terms != expected {
            bail!(
                "'terms' ({}) do not follow from 'features' and 'polynomial' ({})",
                self.terms.join(", "),
                expected.join(", ")
            );
        }
        let outputs = self.outputs();
        let kind = match self.model.as_str() {
            "softmax" => format!("a softmax model with {outputs} classes"),
            m => format!("a {m} model"),
        };
        if self.weights.len() != outputs {
            bail!(
                "'weights' has {} but {kind} needs {outputs}",
                count(self.weights.len(), "row")
            );
        }
        for (i, row) in self.weights.iter().enumerate() {
            if row.len() != self.terms.len() {
                bail!(
                    "'weights' row {} has {} but the model has {}",
                    i + 1,
                    count(row.len(), "value"),
                    count(self.terms.len(), "term")
                );
            }
            if let Some(j) = row.iter().position(|w| !w.is_finite()) {
                bail!("'weights' row {} value {} is not finite", i + 1, j + 1);
            }
        }
        if self.intercept.len() != outputs {
            bail!(
                "'intercept' has {} but {kind} needs {outputs}",
                count(self.intercept.len(), "value")
            );
        }
        if let Some(j) = self.intercept.iter().position(|b| !b.is_finite()) {
            bail!("'intercept' value {} is not finite", j + 1);
        }
        if let Some(s) = &self.standardization {
            for (name, v) in [("mean", &s.mean), ("scale", &s.scale)] {
                if v.len() != self.terms.len() {
                    bail!(
                        "'standardization.{name}' has {} but the model has {}",
                        count(v.len(), "value"),
                        count(self.terms.len(), "term")
                    );
                }
                if let Some(j) = v.iter().position(|x| !x.is_finite()) {
                    bail!("'standardization.{name}' value {} is not finite", j + 1);
                }
            }
            if let Some((j, x)) = s.scale.iter().enumerate().find(|(_, x)| !(**x > 0.0)) {
                bail!(
                    "'standardization.scale' value {} is {x} but a scale must be positive",
                    j + 1
                );
            }
        }
        Ok(())
    }

    /// Writes the model atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::atomic::write(path, |out| {
            serde_json::to_writer_pretty(&mut *out, self)?;
            writeln!(out)?;
            Ok(())
        })
    }
}

/// `n label(s)`, for messages.
fn labels(n: usize) -> String {
    count(n, "label")
}

/// `n thing(s)`, for messages.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

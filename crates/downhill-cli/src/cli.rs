//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Gradient descent for fitting models and watching optimizers descend.
#[derive(Debug, Parser)]
#[command(name = "downhill", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a linear regression to a CSV file by gradient descent.
    #[command(after_help = FIT_EXAMPLES)]
    Fit(FitArgs),
    /// Predict with a fitted model on a CSV file.
    #[command(after_help = PREDICT_EXAMPLES)]
    Predict(PredictArgs),
}

const FIT_EXAMPLES: &str = "\
Examples:
  downhill fit data/engel.csv --target foodexp
  downhill fit data/stackloss.csv --target STACKLOSS --features AIRFLOW,WATERTEMP -o model.json
  downhill fit data/engel.csv --target foodexp --no-standardize --lr 1e-7 --epochs 50 --history h.csv
  downhill fit data/engel.csv --target foodexp --json";

const PREDICT_EXAMPLES: &str = "\
Examples:
  downhill fit data/engel.csv --target foodexp -o engel.json
  downhill predict engel.json data/engel.csv -o predictions.csv";

#[derive(Debug, Args)]
pub struct FitArgs {
    /// The data: a CSV file with a header row.
    pub data: PathBuf,

    /// The column to predict.
    #[arg(short, long)]
    pub target: String,

    /// Feature columns, comma-separated [default: every other column].
    #[arg(short, long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,

    #[command(flatten)]
    pub train: TrainArgs,

    /// Start from these parameters: one weight per feature, then the intercept, in the
    /// data's original units [default: zeros].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "W1,..,B"
    )]
    pub init: Option<Vec<f64>>,

    #[command(flatten)]
    pub out: OutputArgs,
}

/// Settings of the descent.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Learning rate.
    #[arg(long, default_value_t = 0.1, value_parser = positive, allow_negative_numbers = true)]
    pub lr: f64,

    /// Maximum number of epochs (passes over the data).
    #[arg(long, default_value_t = 10_000)]
    pub epochs: usize,

    /// Stop when the gradient norm falls to this fraction of its starting value.
    #[arg(long, default_value_t = 1e-13, value_parser = non_negative, allow_negative_numbers = true)]
    pub gtol: f64,

    /// Stop when the cost has not improved by this fraction for --n-iter-no-change epochs
    /// [default: off].
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    pub tol: Option<f64>,

    /// Patience of --tol, in epochs.
    #[arg(long, default_value_t = 10)]
    pub n_iter_no_change: usize,

    /// Use the raw features: the textbook update, exactly.
    #[arg(long)]
    pub no_standardize: bool,
}

/// Where results go.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the fitted model (JSON) here.
    #[arg(short, long, value_name = "MODEL.json")]
    pub output: Option<PathBuf>,

    /// Write every epoch (cost, gradient norm, learning rate, parameters) to this CSV file.
    #[arg(long, value_name = "HISTORY.csv")]
    pub history: Option<PathBuf>,

    /// Print the result as one JSON object on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model written by `downhill fit -o`.
    pub model: PathBuf,

    /// The data: a CSV file with the model's feature columns (others are ignored).
    pub data: PathBuf,

    /// Write predictions here (CSV) instead of stdout.
    #[arg(short, long, value_name = "PREDICTIONS.csv")]
    pub output: Option<PathBuf>,
}

fn number(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{s}' is not a finite number"))
    }
}

/// A finite number above zero.
pub fn positive(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} must be greater than 0"))
    }
}

/// A finite number at least zero.
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} must be at least 0"))
    }
}

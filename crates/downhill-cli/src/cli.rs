//! Command-line arguments: one struct per command, and the option groups they share.

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Fit a model (linear, logistic or softmax regression) to a CSV or Parquet file.
    #[command(after_help = FIT_EXAMPLES)]
    Fit(Box<FitArgs>),
    /// Predict with a fitted model on a CSV or Parquet file.
    #[command(after_help = PREDICT_EXAMPLES)]
    Predict(PredictArgs),
    /// Score a fitted model on a labelled CSV or Parquet file (R^2, RMSE, ...; accuracy, F1, ...).
    #[command(after_help = EVALUATE_EXAMPLES)]
    Evaluate(EvaluateArgs),
    /// Minimise a named test function or a formula, e.g. "(1-x)^2 + 100*(y-x^2)^2".
    #[command(after_help = crate::commands::minimize::EXAMPLES)]
    Minimize(Box<crate::commands::minimize::MinimizeArgs>),
    /// Race several optimizers from one start on one function or data set.
    #[command(after_help = crate::commands::compare::EXAMPLES)]
    Compare(Box<crate::commands::compare::CompareArgs>),
    /// List the optimizers with their update rules and defaults, and the schedules.
    Optimizers,
    /// Serve the playground: a page to race optimizers on a function, and its JSON API.
    #[command(after_help = crate::commands::serve::EXAMPLES)]
    Serve(crate::commands::serve::ServeArgs),
}

const FIT_EXAMPLES: &str = "\
Examples:
  downhill fit data/engel.csv --target foodexp
  downhill fit data/stackloss.csv --target STACKLOSS --optimizer adam --lr 0.01 -o model.json
  downhill fit data/stackloss.csv -t STACKLOSS --batch-size 4 --schedule step:100:0.5 --seed 7
  downhill fit data/engel.csv -t foodexp --no-standardize --lr 1e-7 --epochs 50 --history h.csv
  downhill fit data/breast_cancer.csv -t diagnosis --model logistic --l2 0.0017 --json
  downhill fit data/iris.csv -t species --model softmax --optimizer lbfgs
  downhill fit data/nist/Pontius.csv -t y --degree 2 --optimizer newton";

const PREDICT_EXAMPLES: &str = "\
Examples:
  downhill fit data/engel.csv --target foodexp -o engel.json
  downhill predict engel.json data/engel.csv -o predictions.csv";

const EVALUATE_EXAMPLES: &str = "\
Examples:
  downhill fit data/iris.csv -t species --model softmax -o iris.json
  downhill evaluate iris.json data/iris.csv --json";

#[derive(Debug, Args)]
pub struct FitArgs {
    /// The data: CSV with a header row, or Parquet (.parquet, .pq); or a glob pattern
    /// ('data/part-*.csv', quoted) of files with the same columns, their rows in name order.
    pub data: PathBuf,

    /// More files (or patterns) of the same data set: their rows follow DATA's, in order.
    #[arg(value_name = "MORE")]
    pub more_data: Vec<PathBuf>,

    /// The column to predict.
    #[arg(short, long)]
    pub target: String,

    /// Feature columns, comma-separated [default: every other column].
    #[arg(short, long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,

    #[command(flatten)]
    pub model: ModelArgs,

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

    #[command(flatten)]
    pub parallel: ParallelArgs,

    #[command(flatten)]
    pub checkpoints: CheckpointArgs,
}

/// Saving a run's state and continuing it (first-order optimizers).
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Save everything the run needs to continue (parameters, optimizer and schedule state,
    /// epoch, early-stopping state, random stream) to FILE, atomically: at the end, and
    /// every --checkpoint-every epochs.
    #[arg(long, value_name = "FILE", help_heading = "Checkpoints")]
    pub checkpoint: Option<PathBuf>,

    /// Epochs between checkpoints [default: only at the end].
    #[arg(
        long,
        value_name = "N",
        requires = "checkpoint",
        help_heading = "Checkpoints"
    )]
    pub checkpoint_every: Option<usize>,

    /// Continue the run saved in FILE (same data and settings; --epochs counts from the
    /// start of the first run). With --checkpoint FILE too, the same file is updated.
    #[arg(long, value_name = "FILE", help_heading = "Checkpoints")]
    pub resume: Option<PathBuf>,
}

/// Training over several processes (MPI ranks) or threads.
#[derive(Debug, Args)]
pub struct ParallelArgs {
    /// Train across the ranks of an MPI launch (needs a build with `--features mpi`);
    /// automatic under `mpirun`. Each rank reads its own share of the rows.
    #[arg(long, help_heading = "Parallel")]
    pub distributed: bool,

    /// Mini-batches across ranks: local SGD, each rank stepping on its own rows and the
    /// models averaged every K steps [default: gradients all-reduced every step].
    #[arg(long, value_name = "K", help_heading = "Parallel")]
    pub average_every: Option<usize>,

    /// Mini-batches across ranks: elastic averaging SGD with this pull (at most 1/ranks),
    /// every --average-every steps (default 1).
    #[arg(long, value_name = "ALPHA", help_heading = "Parallel")]
    pub elastic_alpha: Option<f64>,

    /// Mini-batch SGD on threads updating shared parameters without locks (Hogwild!): fast,
    /// not reproducible.
    #[arg(long, help_heading = "Parallel")]
    pub hogwild: bool,
}

/// The model, its loss and penalty.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model.
    #[arg(long, value_enum, default_value_t = ModelKind::Linear)]
    pub model: ModelKind,

    /// The loss [default: squared for linear, log for logistic and softmax].
    #[arg(long, value_enum)]
    pub loss: Option<LossKind>,

    /// Width of the quadratic zone of the Huber loss.
    #[arg(long, default_value_t = 1.0, value_parser = positive, allow_negative_numbers = true)]
    pub huber_delta: f64,

    /// Half-width of the epsilon-insensitive tube.
    #[arg(long, default_value_t = 0.1, value_parser = non_negative, allow_negative_numbers = true)]
    pub epsilon: f64,

    /// Add powers x^2 .. x^K of the features (or of --degree-columns).
    #[arg(long, value_name = "K")]
    pub degree: Option<u32>,

    /// The columns to raise to powers with --degree [default: every feature].
    #[arg(long, value_delimiter = ',')]
    pub degree_columns: Option<Vec<String>>,

    /// Fit without an intercept (the line goes through the origin).
    #[arg(long)]
    pub no_intercept: bool,

    /// The positive class of a two-class text target (logistic regression).
    #[arg(long, value_name = "LABEL")]
    pub positive: Option<String>,

    /// L2 penalty strength: + l2/2 * ||w||^2 (the intercept is never penalised). By default
    /// it penalises the weights of the standardised features (glmnet's convention, and
    /// scikit-learn's StandardScaler + a penalised model), though the weights are reported in
    /// original units; with --no-standardize, the raw weights.
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    pub l2: Option<f64>,

    /// L1 penalty strength: + l1 * ||w||_1, by a proximal step (exact zeros); on the
    /// standardised weights unless --no-standardize, as --l2.
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    pub l1: Option<f64>,

    /// Elastic net: split --penalty into l1 = penalty * ratio and l2 = penalty * (1 - ratio).
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true, requires = "penalty")]
    pub l1_ratio: Option<f64>,

    /// Total penalty strength for --l1-ratio (scikit-learn's alpha).
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true, requires = "l1_ratio")]
    pub penalty: Option<f64>,

    /// Fit on the raw features and target instead of z-scores: the textbook update, exactly.
    #[arg(long)]
    pub no_standardize: bool,

    /// Storage precision of the data (accumulation is always f64).
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Linear regression.
    Linear,
    /// Two-class logistic regression.
    Logistic,
    /// Multinomial (softmax) regression.
    Softmax,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossKind {
    /// (y - pred)^2.
    Squared,
    /// |y - pred|.
    Absolute,
    /// Quadratic within --huber-delta, linear beyond.
    Huber,
    /// max(0, |y - pred| - --epsilon).
    EpsilonInsensitive,
    /// Cross-entropy (logistic, softmax).
    Log,
    /// max(0, 1 - s*z): a linear SVM (logistic model only).
    Hinge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// 64-bit floats.
    F64,
    /// 32-bit floats: half the memory traffic.
    F32,
}

/// The descent: optimizer, learning rate, batches, stopping rules. Shared by every command
/// that runs one.
#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    /// Optimizer: gd, sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamax,
    /// nadam, amsgrad, adamw (first order); cg, cg-fr, lbfgs, newton (choose their own
    /// steps); auto (the most accurate the model allows: newton with exact second
    /// derivatives while its cost rule allows, lbfgs otherwise, gd with an L1 penalty, adam
    /// on mini-batches). `downhill optimizers` lists them.
    #[arg(long, default_value = "gd")]
    pub optimizer: String,

    /// Learning rate (the starting one, under a schedule) [default: the optimizer's].
    #[arg(long, value_parser = positive, allow_negative_numbers = true)]
    pub lr: Option<f64>,

    /// Momentum gamma (momentum, nesterov).
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,

    /// beta1 (adam, adamax, nadam, amsgrad, adamw).
    #[arg(long, allow_negative_numbers = true)]
    pub beta1: Option<f64>,

    /// beta2 (adam, adamax, nadam, amsgrad, adamw).
    #[arg(long, allow_negative_numbers = true)]
    pub beta2: Option<f64>,

    /// epsilon of the adaptive methods.
    #[arg(long, allow_negative_numbers = true)]
    pub eps: Option<f64>,

    /// rho: decay of the squared-gradient average (adadelta, rmsprop).
    #[arg(long, allow_negative_numbers = true)]
    pub rho: Option<f64>,

    /// Decoupled weight decay (adamw).
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,

    /// Line search for gd: armijo (backtracking) or wolfe (strong Wolfe).
    #[arg(long, value_name = "armijo|wolfe")]
    pub line_search: Option<String>,

    /// Curvature pairs kept by lbfgs.
    #[arg(long, default_value_t = 10)]
    pub history_size: usize,

    /// Learning-rate schedule: constant, step:STEP[:GAMMA], exp:GAMMA, invscaling[:POWER],
    /// cosine:T[:LR_MIN], plateau[:PATIENCE[:FACTOR]], warmup:N[+SCHEDULE].
    #[arg(long, default_value = "constant")]
    pub schedule: String,

    /// Rows per mini-batch (1: stochastic gradient descent) [default: full batch].
    #[arg(long)]
    pub batch_size: Option<usize>,

    /// Keep the rows in file order instead of reshuffling every epoch.
    #[arg(long)]
    pub no_shuffle: bool,

    /// Seed of every random choice (shuffles, validation split, gradient noise).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Maximum number of epochs (passes over the data; iterations for cg, lbfgs, newton)
    /// [default: 10000; minimize and compare: a named function's own budget when gd runs
    /// at its default rate].
    #[arg(long, value_name = "EPOCHS")]
    pub epochs: Option<usize>,

    /// Stop when the gradient norm falls to this fraction of its starting value.
    #[arg(long, default_value_t = 1e-13, value_parser = non_negative, allow_negative_numbers = true)]
    pub gtol: f64,

    /// Stop when the cost has not improved by this fraction for --patience epochs
    /// [default: off for full batch, 1e-4 for mini-batches].
    #[arg(long, value_parser = non_negative, allow_negative_numbers = true)]
    pub tol: Option<f64>,

    /// Patience of --tol and of early stopping, in epochs.
    #[arg(long, alias = "n-iter-no-change", default_value_t = 10)]
    pub patience: usize,

    /// Hold out this fraction of the rows (seeded) and stop when their cost stops
    /// improving, keeping the best epoch's parameters.
    #[arg(long, allow_negative_numbers = true)]
    pub validation_fraction: Option<f64>,

    /// Stop after this many seconds.
    #[arg(long, value_parser = positive, allow_negative_numbers = true, value_name = "SECONDS")]
    pub time_limit: Option<f64>,

    /// Clip the gradient to this global norm.
    #[arg(long, allow_negative_numbers = true)]
    pub clip_norm: Option<f64>,

    /// Add Gaussian noise of variance ETA/(1+t)^0.55 to the gradient (Neelakantan et al.).
    #[arg(long, value_name = "ETA", allow_negative_numbers = true)]
    pub gradient_noise: Option<f64>,

    /// Report the average of the iterates (Polyak-Ruppert), from step N on (default 0).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "0")]
    pub average: Option<u64>,

    /// Threads for full-batch passes [default: all cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,

    /// No progress bar, no note of what auto picked, and no warning when a run stops at its
    /// limit before converging.
    #[arg(short, long)]
    pub quiet: bool,

    /// fit: read the CSV file chunk by chunk every epoch instead of loading it (linear
    /// regression, first-order optimizers); automatic when the file exceeds --memory-limit.
    #[arg(long)]
    pub stream: bool,

    /// fit: memory budget for the data, e.g. 200MiB, 2GiB or bytes [default: half the
    /// available memory]; larger CSV files are streamed.
    #[arg(long, value_name = "BYTES")]
    pub memory_limit: Option<String>,
}

/// Where results go.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the fitted model (JSON) here.
    #[arg(short, long, value_name = "MODEL.json")]
    pub output: Option<PathBuf>,

    /// Write every epoch (cost, gradient norm, learning rate, validation cost, parameters)
    /// to this CSV file.
    #[arg(long, value_name = "HISTORY.csv")]
    pub history: Option<PathBuf>,

    /// Print the result as one JSON object on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,

    /// Draw the cost per epoch (and the validation cost) to this SVG or PNG file.
    #[arg(long, value_name = "FILE")]
    pub plot_loss: Option<PathBuf>,

    /// Draw the data and the fitted line (linear model, one feature).
    #[arg(long, value_name = "FILE")]
    pub plot_fit: Option<PathBuf>,

    /// Draw the cost surface over (weight, intercept) as filled contours with the path of
    /// steps (linear model, one feature).
    #[arg(long, value_name = "FILE")]
    pub plot_surface: Option<PathBuf>,

    /// The same surface and path in a 3-D view.
    #[arg(long, value_name = "FILE")]
    pub plot_3d: Option<PathBuf>,

    /// Draw the data and the decision line (logistic model, two features).
    #[arg(long, value_name = "FILE")]
    pub plot_boundary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model written by `downhill fit -o`.
    pub model: PathBuf,

    /// The data: CSV or Parquet with the model's feature columns (others are ignored).
    pub data: PathBuf,

    /// Write predictions here (CSV) instead of stdout.
    #[arg(short, long, value_name = "PREDICTIONS.csv")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A model written by `downhill fit -o`.
    pub model: PathBuf,

    /// The data: CSV or Parquet with the model's features and target.
    pub data: PathBuf,

    /// Print the metrics as one JSON object.
    #[arg(long)]
    pub json: bool,
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

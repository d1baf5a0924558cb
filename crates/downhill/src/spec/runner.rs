//! The runner of a fit: a [`RunSpec`] and a data set in, one [`Fitted`] for every model out,
//! in the data's original units.

use super::{Method, MethodFacts, ModelKind, RunSpec};
use crate::data::{Data, Dataset, PolynomialFeatures, Standardizer};
use crate::estimator::{LinearRegression, LogisticRegression, SoftmaxRegression};
use crate::metrics::Scores;
use crate::penalty::Penalty;
use crate::train::{History, Observer, StopReason, TrainConfig};
use crate::Result;
use std::time::Duration;

/// What the runner needs to know of the data besides the rows.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    /// Class labels in the order of the targets' class indices (logistic: two; softmax:
    /// every class), carried into [`Fitted::classes`].
    pub classes: Option<Vec<String>>,
    /// Powers the linear model adds to its features inside the fit (in a better-conditioned
    /// basis); the classifiers take their powers in the data.
    pub polynomial: Option<PolynomialFeatures>,
}

/// A fit of any model, in the data's original units.
#[derive(Debug)]
pub struct Fitted {
    /// Class labels (classification).
    pub classes: Option<Vec<String>>,
    /// One row of weights per output (one output but for softmax).
    pub weights: Vec<Vec<f64>>,
    /// One intercept per output.
    pub intercept: Vec<f64>,
    /// Standardisation used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// Final training cost.
    pub cost: f64,
    /// Final gradient norm.
    pub grad_norm: f64,
    /// Final held-out cost.
    pub validation_cost: Option<f64>,
    /// Epochs run.
    pub epochs: usize,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// Every epoch.
    pub history: History,
    /// Training time.
    pub train_time: Duration,
    /// Metrics on the training rows.
    pub train_scores: Option<Scores>,
    /// Metrics on the held-out rows.
    pub validation_scores: Option<Scores>,
    /// The optimizer's name as run (`auto` resolved).
    pub optimizer: String,
    /// Its starting learning rate (none for solvers).
    pub lr: Option<f64>,
    /// What `auto` picked and why.
    pub note: Option<String>,
    /// The loop settings run.
    pub config: TrainConfig,
    /// The penalty run (the elastic net resolved).
    pub penalty: Penalty,
}

impl Fitted {
    /// Whether the run met its tolerance.
    pub fn converged(&self) -> bool {
        self.stop_reason.converged()
    }
}

/// A description checked and its method built, ready to fit: what a front door holds
/// between saying what `auto` picked and running.
#[derive(Debug)]
pub struct Runner<'a> {
    pub(super) spec: &'a RunSpec,
    pub(super) method: Method,
    pub(super) config: TrainConfig,
    pub(super) penalty: Penalty,
}

impl RunSpec {
    /// Checks the description and builds its method for a model on `terms` feature
    /// columns (after powers), on a number of rows not known yet.
    pub fn runner(&self, terms: usize) -> Result<Runner<'_>> {
        self.runner_for(terms, None)
    }

    /// [`RunSpec::runner`] on `rows` rows, when known: `auto` weighs the cost of a Newton
    /// step by them ([`crate::solver::auto`]).
    pub fn runner_for(&self, terms: usize, rows: Option<usize>) -> Result<Runner<'_>> {
        self.check_ranges()?;
        let penalty = self.penalty_strengths()?;
        self.check_loss()?;
        let exact = self
            .has_exact_hessian()?
            .then_some(terms + usize::from(self.fit_intercept));
        let quadratic = self.model == ModelKind::Linear
            && self.regression_loss()? == crate::estimator::RegressionLoss::Squared;
        // Where Newton's kernel reads the data once for the cost and the Hessian
        // (`model::Linear`'s `fuses_hessian`).
        let one_pass = exact.is_some()
            && !quadratic
            && self.model != ModelKind::Softmax
            && crate::model::one_pass_kernel(terms);
        let method = self.build_method(MethodFacts {
            exact_hessian: exact,
            quadratic,
            one_pass,
            rows,
            l1: penalty.l1 > 0.0,
            first_order_only: false,
        })?;
        let config = self.train_config()?;
        Ok(Runner {
            spec: self,
            method,
            config,
            penalty,
        })
    }
}

impl Runner<'_> {
    /// What `auto` picked and why.
    pub fn note(&self) -> Option<&str> {
        self.method.note.as_deref()
    }

    /// The loop settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Fits the model to `data` (owned, or borrowed and read in place when the fit allows:
    /// [`LinearRegression::fit_with`]), telling `observer` of every epoch.
    pub fn fit<'a>(
        self,
        data: impl Into<Data<'a>>,
        problem: Problem,
        observer: &mut dyn Observer,
    ) -> Result<Fitted> {
        let s = self.spec;
        let mut data = data.into();
        // A run that saves or resumes its state is stamped with its data and settings.
        let mut stamped;
        let observer: &mut dyn Observer = if observer.checkpoints().is_some() {
            super::checkpoint::check_l1(&self.penalty, &self.config)?;
            let checks_data = observer.checkpoints().is_some_and(|c| c.checks_data());
            if checks_data {
                // The data print reads an owned data set (checkpointed runs come from files).
                data = Data::Owned(data.into_owned());
            }
            let owned = match &data {
                Data::Owned(d) => Some(d),
                Data::Borrowed(_) => None,
            };
            stamped = super::checkpoint::Stamped::new(observer, s, owned);
            &mut stamped
        } else {
            observer
        };
        let Method {
            name,
            lr,
            optimizer,
            schedule,
            solver,
            note,
        } = self.method;
        let config = self.config;
        let penalty = self.penalty;
        // The fields every fitted estimator shares; weights and intercepts differ in shape.
        macro_rules! fitted {
            ($f:ident, $weights:expr, $intercept:expr) => {
                Fitted {
                    classes: problem.classes,
                    weights: $weights,
                    intercept: $intercept,
                    standardizer: $f.standardizer,
                    cost: $f.cost,
                    grad_norm: $f.grad_norm,
                    validation_cost: $f.validation_cost,
                    epochs: $f.epochs,
                    stop_reason: $f.stop_reason,
                    history: $f.history,
                    train_time: $f.train_time,
                    train_scores: $f.train_scores,
                    validation_scores: $f.validation_scores,
                    optimizer: name,
                    lr,
                    note,
                    config,
                    penalty,
                }
            };
        }
        match s.model {
            ModelKind::Linear => {
                let mut est = LinearRegression {
                    standardize: s.standardize,
                    fit_intercept: s.fit_intercept,
                    polynomial: problem.polynomial.clone(),
                    loss: s.regression_loss()?,
                    penalty,
                    init: s.init.clone(),
                    validation_fraction: s.validation_fraction,
                    optimizer,
                    schedule,
                    solver,
                    config: config.clone(),
                    precision: s.precision,
                };
                let f = est.fit_with(data, observer)?;
                Ok(fitted!(f, vec![f.weights], vec![f.intercept]))
            }
            ModelKind::Logistic => {
                let mut est = LogisticRegression {
                    standardize: s.standardize,
                    fit_intercept: s.fit_intercept,
                    loss: s.classification_loss()?,
                    penalty,
                    init: s.init.clone(),
                    validation_fraction: s.validation_fraction,
                    optimizer,
                    schedule,
                    solver,
                    config: config.clone(),
                    precision: s.precision,
                };
                let f = est.fit_with(data, observer)?;
                Ok(fitted!(f, vec![f.weights], vec![f.intercept]))
            }
            ModelKind::Softmax => {
                let mut est = SoftmaxRegression {
                    standardize: s.standardize,
                    fit_intercept: s.fit_intercept,
                    penalty,
                    init: s.init.clone(),
                    validation_fraction: s.validation_fraction,
                    optimizer,
                    schedule,
                    solver,
                    config: config.clone(),
                    precision: s.precision,
                };
                let f = est.fit_with(data, observer)?;
                Ok(fitted!(
                    f,
                    f.weights.iter_rows().map(<[f64]>::to_vec).collect(),
                    f.intercepts
                ))
            }
        }
    }
}

/// Fits the model `spec` describes to `data`: [`RunSpec::runner`] then [`Runner::fit`].
pub fn fit(
    spec: &RunSpec,
    data: Dataset,
    problem: Problem,
    observer: &mut dyn Observer,
) -> Result<Fitted> {
    let (rows, cols) = (data.x.rows(), data.x.cols());
    let terms = problem
        .polynomial
        .as_ref()
        .map_or(cols, |p| p.n_output(cols));
    spec.runner_for(terms, Some(rows))?
        .fit(data, problem, observer)
}

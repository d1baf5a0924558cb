use super::common::{run, stage, Input, Method, Staged, Watch, MARGIN_RTOL};
use super::linear::{to_inner, to_outer};
use crate::data::{Data, Element, Matrix, MatrixRef, Precision, Standardizer};
use crate::loss::{sigmoid, Hinge, LogLoss};
use crate::metrics::{Scores, Tally};
use crate::model::gram::GramSum;
use crate::model::{Folded, Linear};
use crate::numeric::{dot, dot_wide};
use crate::optim::{Optimizer, Sgd};
use crate::penalty::Penalty;
use crate::schedule::{Constant, Schedule};
use crate::solver::Solver;
use crate::train::{History, NoObserver, Observer, StopReason, TrainConfig};
use crate::{Error, Result};
use std::time::Duration;

/// The per-row loss of [`LogisticRegression`], on the score `z = w . x + b`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClassificationLoss {
    /// Log-loss ([`LogLoss`]): logistic regression, with probabilities.
    #[default]
    Log,
    /// Hinge ([`Hinge`]): a linear support-vector machine; no probabilities.
    Hinge,
}

/// Binary logistic regression `P(y = 1 | x) = sigmoid(w . x + b)` fitted by gradient descent
/// on `f(w, b) = 1/N * sum_i logloss(w . x_i + b, y_i) + penalty(w)`, targets 0 or 1. With
/// [`ClassificationLoss::Hinge`] the same estimator is a linear SVM.
///
/// Standardisation works as in [`LinearRegression`](super::LinearRegression): inside the fit,
/// with the penalty on the standardised weights (as scikit-learn on scaled data) and the
/// result mapped back to the original units.
///
/// With `standardize` and an intercept, and no `init`, the intercept starts at the log-odds
/// of the class frequencies.
///
/// Without a penalty, classes that a hyperplane separates have no finite optimum (the
/// log-loss goes to 0 as the weights grow, and gradient descent creeps towards it for ever):
/// the fit stops with [`Error::Separable`] once a separating hyperplane is found. Gradient
/// descent's own iterates take far too long to separate (their direction converges like
/// `1 / ln t`), so when the cost first falls below `ln 2` the estimator also runs a bounded
/// probe, a finite Newton method on the squared hinge loss, whose minimum is 0 exactly when
/// the classes are separable (skipped when rows * (d+1)^2 exceeds 1e8, then only the
/// iterates are checked; above 1e6 it waits until at most 1 row in 20 is on the wrong side
/// of the iterate's boundary, which overlapping classes seldom reach). Whatever proposes a hyperplane, the margins are checked on the
/// training rows, so the error is never a guess. Classes that touch the boundary without
/// being strictly separable (quasi-separation) are not detected; the weights then grow until
/// the epoch limit.
#[derive(Debug)]
pub struct LogisticRegression {
    /// Standardise the features inside the fit.
    pub standardize: bool,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Penalty on the weights (in the optimizer's coordinates).
    pub penalty: Penalty,
    /// Log-loss (default) or hinge.
    pub loss: ClassificationLoss,
    /// Starting point `[w_1, .., w_d, b]` in original units (`b` only with an intercept);
    /// zeros when `None`.
    pub init: Option<Vec<f64>>,
    /// Share of rows held out (after a seeded shuffle) for early stopping.
    pub validation_fraction: Option<f64>,
    /// The update rule.
    pub optimizer: Box<dyn Optimizer>,
    /// The learning rate per epoch.
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps (`solver::by_name`: cg, lbfgs, newton, ...),
    /// used instead of `optimizer` and `schedule` when set.
    pub solver: Option<Box<dyn Solver>>,
    /// Loop settings (threads included: [`TrainConfig::threads`]).
    pub config: TrainConfig,
    /// How the (standardised) features are stored while training: [`Precision::F32`]
    /// halves the memory an epoch reads and the fit holds, arithmetic staying in `f64`, as
    /// in [`LinearRegression::precision`](super::LinearRegression::precision).
    pub precision: Precision,
}

impl Default for LogisticRegression {
    /// Plain batch gradient descent at learning rate 0.5 on standardised features, no
    /// penalty. (The log-loss's curvature is at most a quarter of the squared error's, so a
    /// larger rate than linear regression's is safe.)
    fn default() -> Self {
        LogisticRegression {
            standardize: true,
            fit_intercept: true,
            penalty: Penalty::default(),
            loss: ClassificationLoss::Log,
            init: None,
            validation_fraction: None,
            optimizer: Box::new(Sgd::new()),
            schedule: Box::new(Constant(0.5)),
            solver: None,
            config: TrainConfig::default(),
            precision: Precision::F64,
        }
    }
}

/// A fitted binary classifier, in the data's original units.
#[derive(Debug, Clone)]
pub struct FittedLogistic {
    /// One weight per feature.
    pub weights: Vec<f64>,
    /// The intercept (0 without one).
    pub intercept: f64,
    /// Whether an intercept was fitted.
    pub fit_intercept: bool,
    /// The loss it was fitted with.
    pub loss: ClassificationLoss,
    /// The standardisation used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// Final cost on the training rows (mean loss plus penalty).
    pub cost: f64,
    /// Final gradient norm (in the optimizer's coordinates; with an L1 penalty, the norm of
    /// the last proximal-gradient step over the learning rate).
    pub grad_norm: f64,
    /// Final cost on the held-out rows.
    pub validation_cost: Option<f64>,
    /// Epochs run.
    pub epochs: usize,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// Every epoch, parameters `[w.., b]` in original units.
    pub history: History,
    /// Wall-clock time of training.
    pub train_time: Duration,
    /// Metrics on the training rows.
    pub train_scores: Option<Scores>,
    /// Metrics on the held-out rows.
    pub validation_scores: Option<Scores>,
}

impl FittedLogistic {
    /// The score (logit) `w . x + b` of one row.
    pub fn decision_row(&self, x: &[f64]) -> f64 {
        dot(&self.weights, x) + self.intercept
    }

    /// The score of every row.
    pub fn decision_function(&self, x: &Matrix) -> Vec<f64> {
        x.iter_rows().map(|r| self.decision_row(r)).collect()
    }

    /// `P(y = 1)` for every row. A hinge-loss fit has no probabilities: that is an
    /// [`Error::InvalidSetting`].
    pub fn predict_proba(&self, x: &Matrix) -> Result<Vec<f64>> {
        match self.loss {
            ClassificationLoss::Log => Ok(x
                .iter_rows()
                .map(|r| sigmoid(self.decision_row(r)))
                .collect()),
            ClassificationLoss::Hinge => Err(Error::setting(
                "loss",
                "a hinge-loss (SVM) fit gives no probabilities: fit with log-loss",
            )),
        }
    }

    /// The predicted class, 1.0 where the score is positive and 0.0 elsewhere (a score of
    /// exactly 0 is class 0, as scikit-learn).
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        x.iter_rows()
            .map(|r| f64::from(self.decision_row(r) > 0.0))
            .collect()
    }

    /// The metrics of [`predict`](Self::predict) and [`predict_proba`](Self::predict_proba)
    /// on the rows `rows` of `x` with 0/1 targets `y`, worked out row by row (no vector of
    /// predictions or probabilities beside the data).
    fn scores_of(&self, x: &Matrix, y: &[f64], rows: std::ops::Range<usize>) -> Result<Scores> {
        let log = self.loss == ClassificationLoss::Log;
        let mut tally = Tally::new(2);
        for i in rows {
            let z = self.decision_row(x.row(i));
            tally.add_binary(y[i], f64::from(z > 0.0), log.then(|| sigmoid(z)))?;
        }
        tally.scores(log)
    }
}

/// The intercept of the best constant model, `ln(p / (1 - p))` for the share `p` of class 1:
/// with centred features, the start that leaves the optimizer only the weights to find (the
/// intercept would otherwise travel there at about one learning rate per step). 0 when a
/// class is missing. With row weights, the weighted share.
fn log_odds(y: &[f64], weights: Option<&[f64]>) -> f64 {
    let p = match weights {
        None => y.iter().sum::<f64>() / y.len().max(1) as f64,
        Some(w) => {
            let total: f64 = w.iter().sum();
            y.iter().zip(w).map(|(v, s)| v * s).sum::<f64>() / total
        }
    };
    if p > 0.0 && p < 1.0 {
        (p / (1.0 - p)).ln()
    } else {
        0.0
    }
}

impl LogisticRegression {
    /// Fits `data` (targets 0 or 1): a [`Dataset`](crate::data::Dataset) (consumed: standardised in place, no
    /// copy) or a [`DatasetRef`](crate::data::DatasetRef), read in place unless the fit
    /// must move or change its rows, as
    /// [`LinearRegression::fit_with`](super::LinearRegression::fit_with) says.
    pub fn fit<'a>(&mut self, data: impl Into<Data<'a>>) -> Result<FittedLogistic> {
        self.fit_with(data, &mut NoObserver)
    }

    /// Fits `data`, calling `observer` after every epoch.
    pub fn fit_with<'a>(
        &mut self,
        data: impl Into<Data<'a>>,
        observer: &mut dyn Observer,
    ) -> Result<FittedLogistic> {
        let data = data.into();
        check_binary(data.y())?;
        let d = data.n_features();
        let fit_intercept = self.fit_intercept;
        let dim = d + usize::from(fit_intercept);
        let prep = stage(
            data,
            self.standardize,
            fit_intercept,
            self.validation_fraction,
            &self.config,
            self.precision,
        )?;
        let init = match &self.init {
            None => {
                let mut p = vec![0.0; dim];
                if fit_intercept && prep.standardizer.is_some() {
                    let n = prep.n_train();
                    p[d] = log_odds(&prep.y[..n], prep.weights.as_ref().map(|w| &w[..n]));
                }
                p
            }
            Some(p) if p.len() != dim => {
                return Err(Error::Shape {
                    what: "initial parameters (weights, then intercept)",
                    expected: dim,
                    got: p.len(),
                })
            }
            Some(p) => to_inner(prep.standardizer.as_ref(), p, fit_intercept),
        };
        let n_train = prep.n_train();
        let Staged {
            x: input,
            y,
            config,
            standardizer,
            weights: row_weights,
        } = prep;
        let (x, y) = (input.view(), &y);
        // With the standardisation folded, the data is raw: the separation is tested on
        // the parameters in the data's units.
        let fold = input.folded().then_some(standardizer.as_ref()).flatten();
        let mut probed = false;
        let small = (n_train as f64) * (dim * dim) as f64 <= PROBE_ALWAYS;
        let mut separation = |p: &[f64]| {
            let train = &y[..n_train];
            // The probe costs a few Hessians: on a large problem, only once the iterate
            // shows signs of separation (few rows on the wrong side).
            let outer = fold.map(|s| to_outer(Some(s), p, fit_intercept));
            let p = outer.as_deref().unwrap_or(p);
            if !probed && (small || few_wrong(x, train, p, fit_intercept, n_train / WRONG_SHARE)) {
                probed = true;
                let found = separation_probe(x, train, fit_intercept);
                if found.is_some_and(|v| separates(x, train, &v, fit_intercept)) {
                    return true;
                }
            }
            separates(x, train, p, fit_intercept)
        };
        let mut watch = Watch::new(observer, &self.penalty, &config, dim);
        if self.penalty.is_none() && self.loss == ClassificationLoss::Log {
            // Hinge loss reaches 0 at finite weights: separation is no failure there.
            watch = watch.separation(&mut separation, 2);
        }
        let standardized = standardizer.is_some();
        let method = (&mut self.optimizer, &mut self.schedule, &mut self.solver);
        let sw = row_weights.as_deref();
        let setup = (fit_intercept, self.penalty, sw, fold);
        let result = match self.loss {
            ClassificationLoss::Log => train_on(
                method,
                Linear::new(x, y, LogLoss),
                setup,
                config.clone(),
                init,
                &mut watch,
                standardized,
            ),
            ClassificationLoss::Hinge => train_on(
                method,
                Linear::new(x, y, Hinge),
                setup,
                config.clone(),
                init,
                &mut watch,
                standardized,
            ),
        };
        let report = watch.settle(result?)?;
        let mut history = report.history;
        history.map_params(|p| {
            let outer = to_outer(standardizer.as_ref(), p, fit_intercept);
            p.copy_from_slice(&outer);
        });
        let outer = to_outer(standardizer.as_ref(), &report.params, fit_intercept);
        let mut fitted = FittedLogistic {
            weights: outer[..d].to_vec(),
            intercept: if fit_intercept { outer[d] } else { 0.0 },
            fit_intercept,
            loss: self.loss,
            standardizer,
            cost: report.cost,
            grad_norm: report.grad_norm,
            validation_cost: report.validation_cost,
            epochs: report.epochs,
            stop_reason: report.stop_reason,
            history,
            train_time: report.elapsed,
            train_scores: None,
            validation_scores: None,
        };
        match input {
            // Scored in original units, on the data put back in place of a second copy
            // (with f32 storage, the values the fit saw, widened back once the f32 copy is
            // dropped).
            Input::Stored(stored) => {
                let mut x = stored.into_f64();
                if let Some(s) = &fitted.standardizer {
                    s.inverse_transform(&mut x);
                }
                let train = fitted.scores_of(&x, y, 0..n_train)?;
                fitted.validation_scores = (n_train < y.len())
                    .then(|| fitted.scores_of(&x, y, n_train..y.len()))
                    .transpose()?;
                fitted.train_scores = Some(train);
            }
            // The caller's rows (all for training), read in place.
            Input::Raw(x) => {
                let log = fitted.loss == ClassificationLoss::Log;
                let mut tally = Tally::new(2);
                let mut bad = Ok(());
                x.for_each_row(|i, r| {
                    let z = fitted.decision_row(r);
                    if bad.is_ok() {
                        bad = tally.add_binary(y[i], f64::from(z > 0.0), log.then(|| sigmoid(z)));
                    }
                });
                bad?;
                fitted.train_scores = Some(tally.scores(log)?);
            }
        }
        Ok(fitted)
    }
}

/// Runs `model` (on the standardised copy, or on raw values with the standardisation
/// `fold` folded in) with the estimator's method.
fn train_on<L: crate::loss::Loss>(
    method: Method<'_>,
    model: Linear<'_, L>,
    (intercept, penalty, weights, fold): (bool, Penalty, Option<&[f64]>, Option<&Standardizer>),
    config: TrainConfig,
    init: Vec<f64>,
    observer: &mut dyn Observer,
    standardized: bool,
) -> Result<crate::train::Report> {
    let model = model.intercept(intercept).weights(weights);
    match fold {
        None => run(
            method,
            config,
            &model.penalty(penalty),
            init,
            observer,
            standardized,
        ),
        Some(s) => {
            let folded = Folded::new(model, s, intercept, penalty);
            run(method, config, &folded, init, observer, standardized)
        }
    }
}

/// Targets must be 0 or 1, with both present.
fn check_binary(y: &[f64]) -> Result<()> {
    if let Some(row) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(Error::InvalidClass {
            what: "target",
            value: y[row],
            row,
            expected: "0 or 1".into(),
        });
    }
    match y.first() {
        Some(&first) if y.iter().all(|&v| v == first) => Err(Error::OneClass {
            class: first as usize,
        }),
        _ => Ok(()),
    }
}

/// True when `[w, b]` puts every row on its side with a margin above rounding error.
pub(super) fn separates<'a>(
    x: impl Into<MatrixRef<'a>>,
    y: &[f64],
    p: &[f64],
    intercept: bool,
) -> bool {
    match x.into() {
        MatrixRef::F64(m) => separates_in(m.as_slice(), m.cols(), y, p, intercept),
        MatrixRef::F32(m) => separates_in(m.as_slice(), m.cols(), y, p, intercept),
    }
}

/// [`separates`] on rows of `d` values stored as `T`.
fn separates_in<T: Element>(x: &[T], d: usize, y: &[f64], p: &[f64], intercept: bool) -> bool {
    let (w, b) = (&p[..d], if intercept { p[d] } else { 0.0 });
    y.iter().enumerate().all(|(i, &t)| {
        let xi = &x[i * d..(i + 1) * d];
        let z = dot_wide(w, xi) + b;
        let size: f64 = w
            .iter()
            .zip(xi)
            .map(|(a, v)| (a * (*v).into()).abs())
            .sum::<f64>()
            + b.abs();
        (2.0 * t - 1.0) * z > MARGIN_RTOL * size
    })
}

/// `rows * params^2` up to which the probe runs at the first check whatever the iterate
/// (milliseconds of work).
const PROBE_ALWAYS: f64 = 1e6;

/// On larger problems the probe waits until at most one row in this many is on the wrong
/// side of the iterate's boundary: a fit of separable classes gets there (its iterates
/// classify ever more rows correctly), a fit of overlapping classes usually never does.
const WRONG_SHARE: usize = 20;

/// Rows spread evenly over the data that [`few_wrong`] looks at before counting.
const WRONG_SAMPLE: usize = 1024;

/// Whether at most `limit` rows have a score of the wrong sign (or zero) under `[w, b]`;
/// stops counting past the limit.
///
/// It runs after every early epoch of an unpenalised fit, single-threaded, so on data of
/// overlapping classes (the usual case) it must cost next to nothing: on more than
/// `4 * WRONG_SAMPLE` rows it first looks at `WRONG_SAMPLE` rows spread evenly over the
/// data, and answers no when their share of wrong rows is above twice the allowed share
/// plus 1%. Counting until the limit alone read a sixth of the data at a 30% error rate,
/// two thirds as long as the epoch itself on 1M x 20 (`bench/run.sh`). The answer only decides
/// when the separation probe runs; with at most the allowed share wrong, the sample's mean
/// sits many standard deviations below its threshold.
fn few_wrong<'a>(
    x: impl Into<MatrixRef<'a>>,
    y: &[f64],
    p: &[f64],
    intercept: bool,
    limit: usize,
) -> bool {
    fn count<T: Element>(x: &[T], d: usize, y: &[f64], p: &[f64], b: f64, limit: usize) -> bool {
        let n = y.len();
        let wrong_at = |i: usize| {
            let z = dot_wide(&p[..d], &x[i * d..(i + 1) * d]) + b;
            !((2.0 * y[i] - 1.0) * z > 0.0)
        };
        if n > 4 * WRONG_SAMPLE {
            let seen = (0..WRONG_SAMPLE)
                .filter(|&s| wrong_at(s * n / WRONG_SAMPLE))
                .count();
            let allowed = limit as f64 / n as f64;
            if seen as f64 > (2.0 * allowed + 0.01) * WRONG_SAMPLE as f64 {
                return false;
            }
        }
        let mut wrong = 0;
        for i in 0..n {
            if wrong_at(i) {
                wrong += 1;
                if wrong > limit {
                    return false;
                }
            }
        }
        true
    }
    let d = p.len() - usize::from(intercept);
    let b = if intercept { p[d] } else { 0.0 };
    match x.into() {
        MatrixRef::F64(m) => count(m.as_slice(), d, y, p, b, limit),
        MatrixRef::F32(m) => count(m.as_slice(), d, y, p, b, limit),
    }
}

/// Most Newton steps of the separation probe.
const PROBE_STEPS: usize = 50;

/// Largest `rows * params^2` the probe takes on: one of its steps costs about that many
/// multiply-adds.
const PROBE_BUDGET: f64 = 1e8;

/// Looks for a separating hyperplane of the rows of `x` (targets 0/1) by minimising the
/// squared hinge loss `1/2 * sum_i max(0, 1 - s_i z_i)^2` (plus a negligible ridge that keeps
/// the systems solvable) with Mangasarian's finite Newton method: each step solves the
/// least-squares problem of the rows inside the margin, with a backtracking line search. Its
/// minimum is 0 exactly when the classes are separable, and it gets there in a few steps.
///
/// Returns the candidate `[w, b]` once every row has a positive margin, `None` when it
/// stalls at a positive minimum, runs out of steps, or the problem exceeds
/// [`PROBE_BUDGET`]. The caller checks the candidate.
fn separation_probe<'a>(
    x: impl Into<MatrixRef<'a>>,
    y: &[f64],
    intercept: bool,
) -> Option<Vec<f64>> {
    match x.into() {
        MatrixRef::F64(m) => probe_in(m.as_slice(), m.cols(), y, intercept),
        MatrixRef::F32(m) => probe_in(m.as_slice(), m.cols(), y, intercept),
    }
}

/// [`separation_probe`] on rows of `d` values stored as `T`.
fn probe_in<T: Element>(x: &[T], d: usize, y: &[f64], intercept: bool) -> Option<Vec<f64>> {
    let n = y.len();
    let x_row = |i: usize| &x[i * d..(i + 1) * d];
    let p = d + usize::from(intercept);
    if n == 0 || (n as f64) * (p * p) as f64 > PROBE_BUDGET {
        return None;
    }
    let row = |i: usize, v: &[f64]| {
        let b = if intercept { v[d] } else { 0.0 };
        dot_wide(&v[..d], x_row(i)) + b
    };
    let sign = |i: usize| 2.0 * y[i] - 1.0;
    // A ridge far below the data's scale: only there to keep H positive definite.
    let mut xi = vec![0.0; p];
    let widen = |i: usize, out: &mut [f64]| {
        for (o, v) in out.iter_mut().zip(x_row(i)) {
            *o = (*v).into();
        }
    };
    let scale: f64 = (0..n)
        .map(|i| {
            widen(i, &mut xi[..d]);
            dot(&xi[..d], &xi[..d])
        })
        .sum::<f64>()
        / n as f64;
    let ridge = 1e-10 * (scale + 1.0);
    let cost = |v: &[f64]| {
        let hinge: f64 = (0..n)
            .map(|i| (1.0 - sign(i) * row(i, v)).max(0.0).powi(2))
            .sum();
        0.5 * hinge + 0.5 * ridge * dot(v, v)
    };
    let mut v = vec![0.0; p];
    let mut f = cost(&v);
    for _ in 0..PROBE_STEPS {
        // Gradient and generalised Hessian over the rows inside the margin.
        let mut g: Vec<f64> = v.iter().map(|vj| ridge * vj).collect();
        let mut h = vec![0.0; p * p];
        for j in 0..p {
            h[j * p + j] = ridge;
        }
        // The Hessian's sums in blocks at the multiply-add rate (the model's kernel).
        let mut gram = GramSum::new(p);
        let mut all_positive = true;
        for i in 0..n {
            let m = sign(i) * row(i, &v);
            all_positive &= m > 0.0;
            if m >= 1.0 {
                continue;
            }
            widen(i, &mut xi[..d]);
            if intercept {
                xi[d] = 1.0;
            }
            let c = -(1.0 - m) * sign(i);
            for (gj, a) in g.iter_mut().zip(&xi) {
                *gj += c * a;
            }
            gram.push(1.0, |z| z.copy_from_slice(&xi));
        }
        gram.finish(&mut h);
        if all_positive {
            return Some(v);
        }
        // Newton direction -H^-1 g (lower triangle of H filled).
        let mut dir: Vec<f64> = g.iter().map(|gj| -gj).collect();
        if !cholesky_solve(&mut h, p, &mut dir) {
            return None;
        }
        let slope = dot(&g, &dir);
        if !(slope < 0.0) {
            return None;
        }
        let mut t = 1.0;
        let mut trial = vec![0.0; p];
        let accepted = loop {
            for j in 0..p {
                trial[j] = v[j] + t * dir[j];
            }
            let ft = cost(&trial);
            if ft <= f + 1e-4 * t * slope {
                break Some(ft);
            }
            t *= 0.5;
            if t < 1e-10 {
                break None;
            }
        };
        let ft = accepted?;
        // Stalled at a positive minimum: not separable (as far as the probe can tell).
        if f - ft <= 1e-12 * f {
            return None;
        }
        v.copy_from_slice(&trial);
        f = ft;
    }
    None
}

/// Solves `A z = rhs` in place for a symmetric positive definite `A` (`p x p`, row-major,
/// lower triangle used) by Cholesky factorisation. False when `A` is not positive definite.
fn cholesky_solve(a: &mut [f64], p: usize, rhs: &mut [f64]) -> bool {
    for j in 0..p {
        let mut diag = a[j * p + j];
        for k in 0..j {
            diag -= a[j * p + k] * a[j * p + k];
        }
        if !(diag > 0.0) {
            return false;
        }
        let l = diag.sqrt();
        a[j * p + j] = l;
        for i in j + 1..p {
            let mut v = a[i * p + j];
            for k in 0..j {
                v -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = v / l;
        }
    }
    // L y = rhs, then L^T z = y.
    for i in 0..p {
        for k in 0..i {
            rhs[i] -= a[i * p + k] * rhs[k];
        }
        rhs[i] /= a[i * p + i];
    }
    for i in (0..p).rev() {
        for k in i + 1..p {
            rhs[i] -= a[k * p + i] * rhs[k];
        }
        rhs[i] /= a[i * p + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    fn data(x: &[[f64; 1]], y: &[f64]) -> Dataset {
        Dataset::new(Matrix::from_rows(x), y.to_vec()).unwrap()
    }

    #[test]
    fn overlapping_classes_have_a_finite_optimum() {
        // Class 1 is more likely for larger x, but the classes overlap.
        let d = data(
            &[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]],
            &[0.0, 0.0, 1.0, 0.0, 1.0, 1.0],
        );
        let mut est = LogisticRegression {
            schedule: Box::new(Constant(2.0)),
            ..LogisticRegression::default()
        };
        let fit = est.fit(d.clone()).unwrap();
        assert_eq!(fit.stop_reason, StopReason::GradientTolerance);
        assert!(fit.weights[0] > 0.0);
        // At the optimum of an intercept model the predicted probabilities sum to the count
        // of ones (the intercept's gradient is zero).
        let p = fit.predict_proba(&d.x).unwrap();
        assert!((p.iter().sum::<f64>() - 3.0).abs() < 1e-9);
        assert_eq!(fit.predict(&d.x), vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn separable_classes_are_an_error() {
        let d = data(&[[0.0], [1.0], [2.0], [3.0]], &[0.0, 0.0, 1.0, 1.0]);
        let err = LogisticRegression::default().fit(d.clone()).unwrap_err();
        assert!(
            matches!(err, Error::Separable { epoch } if epoch < 10),
            "{err:?}"
        );
        // With an L2 penalty the optimum is finite.
        let mut est = LogisticRegression {
            penalty: Penalty { l1: 0.0, l2: 0.1 },
            ..LogisticRegression::default()
        };
        assert_eq!(
            est.fit(d.clone()).unwrap().stop_reason,
            StopReason::GradientTolerance
        );
        // Hinge loss reaches zero loss at finite weights: no error either.
        let mut svm = LogisticRegression {
            loss: ClassificationLoss::Hinge,
            ..LogisticRegression::default()
        };
        let fit = svm.fit(d.clone()).unwrap();
        assert_eq!(fit.predict(&d.x), d.y);
        assert!(fit.predict_proba(&d.x).is_err());
    }

    #[test]
    fn probe_finds_a_separator_or_gives_up() {
        // Separable in 2-D only through both features (neither alone separates).
        let x = Matrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [2.0, 2.5], [2.5, 2.0], [1.5, 1.4]]);
        let y = [0.0, 0.0, 1.0, 1.0, 0.0];
        let v = separation_probe(&x, &y, true).unwrap();
        assert!(separates(&x, &y, &v, true));
        // XOR is not separable.
        let x = Matrix::from_rows(&[[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]);
        assert_eq!(separation_probe(&x, &[0.0, 0.0, 1.0, 1.0], true), None);
    }

    #[test]
    fn wrong_rows_are_counted_up_to_the_limit() {
        let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]]);
        let y = [0.0, 0.0, 1.0, 1.0];
        // Boundary at 1.5: none wrong. At 2.5: row 2 wrong. At -1 (w = 1, b = 1): rows 0
        // and 1 wrong. A zero score counts as wrong.
        assert!(few_wrong(&x, &y, &[1.0, -1.5], true, 0));
        assert!(!few_wrong(&x, &y, &[1.0, -2.5], true, 0));
        assert!(few_wrong(&x, &y, &[1.0, -2.5], true, 1));
        assert!(!few_wrong(&x, &y, &[1.0, 1.0], true, 1));
        assert!(few_wrong(&x, &y, &[1.0, 1.0], true, 2));
        assert!(!few_wrong(&x, &y, &[0.0, 0.0], true, 3));
        assert!(few_wrong(&x, &[1.0, 1.0, 1.0, 1.0], &[1.0], false, 1));
    }

    #[test]
    fn the_sample_agrees_with_the_count_away_from_the_limit() {
        // 20,000 rows, label 1 everywhere, a score of the wrong sign on a pseudo-random share
        // of them: the sampled answer is the exact count's for shares clearly on either side
        // of the allowed 1 in 20, and at the limit itself the full count decides.
        use rand::{Rng, SeedableRng};
        let n = 20_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        let y = vec![1.0; n];
        for share in [0.0, 0.01, 0.04, 0.07, 0.2, 0.5] {
            let rows: Vec<[f64; 1]> = (0..n)
                .map(|_| {
                    [if rng.random::<f64>() < share {
                        -1.0
                    } else {
                        1.0
                    }]
                })
                .collect();
            let x = Matrix::from_rows(&rows);
            let wrong = rows.iter().filter(|r| r[0] < 0.0).count();
            let limit = n / WRONG_SHARE;
            assert_eq!(
                few_wrong(&x, &y, &[1.0], false, limit),
                wrong <= limit,
                "share {share}: {wrong} wrong"
            );
            // At the limit and one below it, the answer is the count's.
            assert!(few_wrong(&x, &y, &[1.0], false, wrong));
            assert_eq!(
                few_wrong(&x, &y, &[1.0], false, wrong.saturating_sub(1)),
                wrong == 0
            );
        }
    }

    #[test]
    fn cholesky_by_hand() {
        // [[4, 2], [2, 3]] z = [2, 5] -> z = [-0.5, 2]
        let mut a = vec![4.0, 0.0, 2.0, 3.0];
        let mut b = vec![2.0, 5.0];
        assert!(cholesky_solve(&mut a, 2, &mut b));
        assert!((b[0] + 0.5).abs() < 1e-15 && (b[1] - 2.0).abs() < 1e-15);
        assert!(!cholesky_solve(
            &mut [1.0, 0.0, 2.0, 1.0],
            2,
            &mut [0.0, 0.0]
        ));
    }

    #[test]
    fn bad_targets_are_errors() {
        let x = [[0.0], [1.0], [2.0]];
        let err = LogisticRegression::default().fit(data(&x, &[0.0, 2.0, 1.0]));
        assert!(matches!(err, Err(Error::InvalidClass { row: 1, .. })));
        let err = LogisticRegression::default().fit(data(&x, &[1.0; 3]));
        assert_eq!(err.unwrap_err(), Error::OneClass { class: 1 });
    }
}

use super::common::{fold_plan, shuffle_for_batches, split_mean_one, Input, Placed, Stored, Watch};
use super::polynomial::{self, PolynomialBasis};
use crate::data::{
    Data, Dataset, DatasetRef, Matrix, MatrixRef, PolynomialFeatures, Precision, Standardizer,
    TargetScale,
};
use crate::loss::{Absolute, EpsilonInsensitive, Huber, Loss, Squared};
use crate::metrics::Scores;
use crate::model::{Folded, Linear};
use crate::numeric::{dot, CompensatedSum};
use crate::optim::{Optimizer, Sgd};
use crate::penalty::Penalty;
use crate::schedule::{Constant, Schedule};
use crate::solver::Solver;
use crate::train::{
    History, NoObserver, Observer, Report, StopReason, TargetUnits, TrainConfig, Trainer,
};
use crate::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Linear regression `y = w . x + b` fitted by gradient descent on
/// `f(w, b) = 1/N * sum_i l(w . x_i + b, y_i) + penalty(w)`, by default least squares
/// (`l = (y - pred)^2`); [`RegressionLoss`] gives robust alternatives.
///
/// With `standardize` (the default) the features are turned into z-scores inside the fit
/// (only scaled, not centred, without an intercept), and so is the target ([`TargetScale`]):
/// the optimizer works on those, in coordinates where every default learning rate works, and
/// the result (weights, intercept, cost, history, gradient norm) is mapped back exactly to the
/// data's units. Without it, the textbook update
/// `m -= lr * df/dm; b -= lr * df/db` runs on the raw data.
#[derive(Debug)]
pub struct LinearRegression {
    /// Standardise the features inside the fit.
    pub standardize: bool,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Polynomial terms: the data given to `fit` holds the base columns only, and the model
    /// is fitted on them and the powers `x_j^2 .. x_j^K` of the chosen columns
    /// ([`PolynomialFeatures::terms`] order, after the base columns). The fitted weights are
    /// for those terms, in original units (ordinary monomials); predict on
    /// [`PolynomialFeatures::transform`] of new data.
    ///
    /// With `standardize`, the fit runs in a better-conditioned basis
    /// ([`PolynomialBasis`]): powers of the *standardised* columns, standardised again,
    /// mapped back to monomials in double-double arithmetic. On NIST's Filip (degree 10)
    /// that takes the condition number from 3.8e9 to 1.9e3. A penalty then applies to the
    /// weights of that basis. Without `standardize`, the raw powers.
    pub polynomial: Option<PolynomialFeatures>,
    /// The per-row loss (default: squared error).
    pub loss: RegressionLoss,
    /// Penalty on the weights, in the data's cost units: with `standardize` it applies to the
    /// weights of the z-scored features (glmnet's convention, scikit-learn's `StandardScaler`
    /// then a penalised model), although the weights are reported in original units; without
    /// it, to the raw weights.
    pub penalty: Penalty,
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
    /// How the (standardised) features are stored while training. [`Precision::F32`]
    /// halves the memory an epoch reads and the fit holds: the features are rounded to
    /// `f32` once, before training, and the `f64` copy is freed; all arithmetic stays in
    /// `f64`. The answer then is the fit of the rounded data (each value to about 6e-8
    /// relative), which differs from the `f64` fit by about that rounding times the
    /// problem's condition number (1e-8 relative on stackloss).
    pub precision: Precision,
}

impl Default for LinearRegression {
    /// Plain batch gradient descent at learning rate 0.1, on standardised features.
    fn default() -> Self {
        LinearRegression {
            standardize: true,
            fit_intercept: true,
            polynomial: None,
            loss: RegressionLoss::Squared,
            penalty: Penalty::default(),
            init: None,
            validation_fraction: None,
            optimizer: Box::new(Sgd::new()),
            schedule: Box::new(Constant(0.1)),
            solver: None,
            config: TrainConfig::default(),
            precision: Precision::F64,
        }
    }
}

/// The per-row loss of [`LinearRegression`], in the residual `r = pred - y`, in the target's
/// units (inside a standardised fit, [`RegressionLoss::scaled`] restates it for the scaled
/// target).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum RegressionLoss {
    /// `r^2` ([`Squared`]): least squares.
    #[default]
    Squared,
    /// `|r|` ([`Absolute`]): median regression.
    Absolute,
    /// Huber with threshold `delta > 0` ([`Huber`], scikit-learn's convention: `0.5 r^2`
    /// inside, linear beyond).
    Huber(f64),
    /// `max(0, |r| - epsilon)` with `epsilon >= 0` ([`EpsilonInsensitive`]): linear SVR.
    EpsilonInsensitive(f64),
}

impl RegressionLoss {
    /// The same loss for a target divided by `s`, and the factor `c` that turns its cost back
    /// into this one's: `l(s r') = c l_s(r')`, `c = s^2` for the squared and Huber losses
    /// (Huber's threshold becomes `delta / s`), `c = s` for the absolute and
    /// epsilon-insensitive ones (`epsilon / s`).
    pub fn scaled(&self, s: f64) -> (RegressionLoss, f64) {
        match *self {
            RegressionLoss::Squared => (RegressionLoss::Squared, s * s),
            RegressionLoss::Huber(d) => (RegressionLoss::Huber(d / s), s * s),
            RegressionLoss::Absolute => (RegressionLoss::Absolute, s),
            RegressionLoss::EpsilonInsensitive(e) => (RegressionLoss::EpsilonInsensitive(e / s), s),
        }
    }

    /// The loss and penalty of the problem on a target scaled by `target`, and the factor that
    /// turns its cost back into the original problem's (which it equals divided by that
    /// factor, with the same minimiser: weights scale by `target.scale`, the intercept moves
    /// by the mean). The penalty's L1 part scales by `s / c`, its L2 part by `s^2 / c`.
    pub fn for_target(
        &self,
        penalty: Penalty,
        target: TargetScale,
    ) -> (RegressionLoss, Penalty, f64) {
        let s = target.scale;
        let (loss, c) = self.scaled(s);
        let penalty = Penalty {
            l1: penalty.l1 * s / c,
            l2: penalty.l2 * s * s / c,
        };
        (loss, penalty, c)
    }

    /// Checks the loss's parameter.
    fn check(&self) -> Result<()> {
        match *self {
            RegressionLoss::Huber(d) if !(d > 0.0 && d.is_finite()) => Err(Error::setting(
                "huber delta",
                format!("{d} is not a positive finite number"),
            )),
            RegressionLoss::EpsilonInsensitive(e) if !(e >= 0.0 && e.is_finite()) => {
                Err(Error::setting(
                    "epsilon",
                    format!("{e} is not a finite number of at least 0"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A fitted linear model, in the data's original units.
#[derive(Debug, Clone)]
pub struct FittedLinear {
    /// One weight per feature.
    pub weights: Vec<f64>,
    /// The intercept (0 without one).
    pub intercept: f64,
    /// Whether an intercept was fitted.
    pub fit_intercept: bool,
    /// The standardisation used inside the fit. With a polynomial [`basis`](Self::basis),
    /// the means and scales of the terms themselves (base columns, then powers) in
    /// original units, for reference: the fit's own stages are in the basis.
    pub standardizer: Option<Standardizer>,
    /// The basis of a polynomial fit with standardisation
    /// ([`LinearRegression::polynomial`]).
    pub basis: Option<PolynomialBasis>,
    /// Final cost on the training rows (penalty included).
    pub cost: f64,
    /// Final gradient norm (in the optimizer's coordinates). With an L1 penalty, the norm of
    /// the last proximal-gradient step over the learning rate, since the smooth gradient
    /// does not vanish at an L1 optimum.
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

impl FittedLinear {
    /// The prediction for one row of features (every term: with
    /// [`LinearRegression::polynomial`], the powers too).
    pub fn predict_row(&self, x: &[f64]) -> f64 {
        dot(&self.weights, x) + self.intercept
    }

    /// Predictions for every row.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        x.iter_rows().map(|r| self.predict_row(r)).collect()
    }

    /// [`Scores::regression`] on the targets `y[rows]` and the predictions of the rows
    /// `visit` passes (index and values, each of `rows` once, in order), summed row by row:
    /// the same sums in the same order, so the same values, without a vector of
    /// predictions (8 MB over the data at the fit's peak, on a million rows).
    fn scores(
        &self,
        y: &[f64],
        rows: std::ops::Range<usize>,
        visit: impl FnOnce(&mut dyn FnMut(usize, &[f64])),
    ) -> Result<Scores> {
        let n = rows.len();
        let mut mean = CompensatedSum::default();
        y[rows].iter().for_each(|v| mean.add(*v));
        let mean = mean.value() / n as f64;
        let mut sums = [CompensatedSum::default(); 3];
        visit(&mut |i, r| {
            let (t, p) = (y[i], self.predict_row(r));
            sums[0].add((t - p) * (t - p));
            sums[1].add((t - mean) * (t - mean));
            sums[2].add((t - p).abs());
        });
        let [res, tot, abs] = sums.map(|s| s.value());
        Scores::regression_of_sums(res, tot, abs, n)
    }
}

/// The data as the optimizer sees it, and what maps the fit back to the data's units.
struct Staged<'a> {
    /// Every term's values (the fit's copy, standardised in place; or the caller's, with
    /// the standardisation folded into the parameters).
    x: Input<'a>,
    /// Targets, scaled by `target`, in the rows' order.
    y: Vec<f64>,
    /// Row weights in the same order, scaled to mean 1 (training and held-out rows apart).
    weights: Option<Vec<f64>>,
    /// The loop settings with the held-out rows set.
    config: TrainConfig,
    standardizer: Option<Standardizer>,
    basis: Option<PolynomialBasis>,
    target: TargetScale,
}

impl LinearRegression {
    /// Fits `data`: a [`Dataset`] (consumed: standardised in place, no copy; with `f32`
    /// precision, converted and the `f64` values freed) or a
    /// [`DatasetRef`](crate::data::DatasetRef) (read in place when the rows need not move:
    /// see [`LinearRegression::fit_with`]).
    pub fn fit<'a>(&mut self, data: impl Into<Data<'a>>) -> Result<FittedLinear> {
        self.fit_with(data, &mut NoObserver)
    }

    /// Fits `data`, calling `observer` after every epoch.
    ///
    /// Borrowed features ([`Data::Borrowed`]) are trained on where they are, without a
    /// copy, unless the fit must move or change them: polynomial terms, rows held out for
    /// validation, mini-batches of more than one row with `shuffle`, `f32` precision on
    /// `f64` values, or standardisation of columns whose mean is more than
    /// [`FOLD_MAX_OFFSET`](super::FOLD_MAX_OFFSET) times their spread (see there). The standardisation is then
    /// folded into the parameters ([`Folded`]): the same fit, to rounding. Otherwise the
    /// values are copied once and fitted as a [`Dataset`].
    pub fn fit_with<'a>(
        &mut self,
        data: impl Into<Data<'a>>,
        observer: &mut dyn Observer,
    ) -> Result<FittedLinear> {
        self.loss.check()?;
        let staged = match data.into() {
            Data::Owned(d) => self.stage(d)?,
            Data::Borrowed(d) => match self.stage_in_place(d)? {
                Placed::InPlace(s) => s,
                Placed::Copy(d) => self.stage(d.into_owned())?,
            },
        };
        self.train(staged, observer)
    }

    /// The fit's own copy: terms added, rows split and shuffled, standardised in place.
    fn stage(&self, data: Dataset) -> Result<Staged<'static>> {
        let Dataset {
            x,
            mut y,
            mut weights,
        } = data;
        if weights.is_some() && self.polynomial.is_some() {
            return Err(Error::setting(
                "sample weight",
                "weights are not supported with polynomial features yet",
            ));
        }
        // From here on `x` holds every term (with `polynomial`, the powers appended).
        let (mut x, expanded) = polynomial::expand(
            x,
            self.polynomial.as_ref(),
            self.standardize,
            self.fit_intercept,
        )?;
        let mut config = self.config.clone();
        if let Some(frac) = self.validation_fraction {
            if !(frac > 0.0 && frac < 1.0) {
                return Err(Error::setting(
                    "validation fraction",
                    format!("{frac} is not strictly between 0 and 1"),
                ));
            }
            config.validation_rows = ((frac * y.len() as f64).ceil() as usize).max(1);
            shuffle_rows(&mut x, &mut y, weights.as_deref_mut(), config.seed);
        }
        let standardizer = match (self.standardize, self.fit_intercept) {
            (false, _) => None,
            (true, true) => Some(Standardizer::fit_weighted(&x, weights.as_deref())?),
            (true, false) => Some(Standardizer::fit_scale_only_weighted(
                &x,
                weights.as_deref(),
            )?),
        };
        if let Some(s) = &standardizer {
            s.transform(&mut x);
        }
        let basis = expanded.zip(standardizer.clone()).map(|(e, s)| e.finish(s));
        let target = self.target_scale(&y, weights.as_deref());
        target.transform(&mut y);
        if self.validation_fraction.is_none() {
            shuffle_for_batches(&mut x, &mut y, weights.as_deref_mut(), &config);
        }
        split_mean_one(weights.as_deref_mut(), config.validation_rows);
        Ok(Staged {
            x: Input::Stored(Stored::new(x, self.precision)?),
            y,
            weights,
            config,
            standardizer,
            basis,
            target,
        })
    }

    /// The caller's features as they are, when the fit need not move or change them.
    fn stage_in_place<'a>(&self, data: DatasetRef<'a>) -> Result<Placed<'a, Staged<'a>>> {
        if self.polynomial.is_some() {
            return Ok(Placed::Copy(data));
        }
        let plan = fold_plan(
            &data,
            self.standardize,
            self.fit_intercept,
            self.validation_fraction,
            &self.config,
            self.precision,
        )?;
        let Some(standardizer) = plan else {
            return Ok(Placed::Copy(data));
        };
        let DatasetRef {
            x,
            mut y,
            mut weights,
        } = data;
        let target = self.target_scale(&y, weights.as_deref());
        target.transform(&mut y);
        split_mean_one(weights.as_deref_mut(), 0);
        Ok(Placed::InPlace(Staged {
            x: Input::Raw(x),
            y,
            weights,
            config: self.config.clone(),
            standardizer,
            basis: None,
            target,
        }))
    }

    /// The target's standardisation (none without `standardize`).
    fn target_scale(&self, y: &[f64], weights: Option<&[f64]>) -> TargetScale {
        if self.standardize {
            TargetScale::fit_weighted(y, weights, self.fit_intercept)
        } else {
            TargetScale::IDENTITY
        }
    }

    /// Trains on the staged data and maps the result back to the data's units.
    fn train(&mut self, staged: Staged<'_>, observer: &mut dyn Observer) -> Result<FittedLinear> {
        let Staged {
            x: input,
            mut y,
            weights,
            config,
            standardizer,
            basis,
            target,
        } = staged;
        let x = input.view();
        let d = x.cols();
        let dim = d + usize::from(self.fit_intercept);
        // The scaled problem is the original one divided by `factor`: same minimiser.
        let (loss, penalty, factor) = self.loss.for_target(self.penalty, target);
        let sw = weights.as_deref();
        let init = match &self.init {
            None => vec![0.0; dim],
            Some(p) if p.len() != dim => {
                return Err(Error::Shape {
                    what: "initial parameters (weights, then intercept)",
                    expected: dim,
                    got: p.len(),
                })
            }
            Some(p) => {
                let mut inner = polynomial::to_inner(
                    basis.as_ref(),
                    standardizer.as_ref(),
                    p,
                    self.fit_intercept,
                );
                target.to_scaled(&mut inner, self.fit_intercept);
                inner
            }
        };
        let units = TargetUnits {
            target,
            factor,
            intercept: self.fit_intercept,
        };
        let mut observer = units.observer(observer);
        let mut watch = Watch::new(&mut observer, &penalty, &config, dim);
        let mut trainer = Trainer {
            config,
            optimizer: std::mem::replace(&mut self.optimizer, Box::new(Sgd::new())),
            schedule: std::mem::replace(&mut self.schedule, Box::new(Constant(0.0))),
            solver: self.solver.take(),
        };
        let fold = input.folded().then_some(standardizer.as_ref()).flatten();
        let (icpt, pen) = (self.fit_intercept, (penalty, sw, fold));
        let result = match loss {
            RegressionLoss::Squared => {
                run(&mut trainer, x, &y, Squared, icpt, pen, init, &mut watch)
            }
            RegressionLoss::Absolute => {
                run(&mut trainer, x, &y, Absolute, icpt, pen, init, &mut watch)
            }
            RegressionLoss::Huber(delta) => {
                let loss = Huber::new(delta);
                run(&mut trainer, x, &y, loss, icpt, pen, init, &mut watch)
            }
            RegressionLoss::EpsilonInsensitive(eps) => {
                let loss = EpsilonInsensitive::new(eps);
                run(&mut trainer, x, &y, loss, icpt, pen, init, &mut watch)
            }
        }
        .and_then(|r| watch.settle(r));
        self.optimizer = trainer.optimizer;
        self.schedule = trainer.schedule;
        self.solver = trainer.solver;
        let report = result.map_err(|e| match e {
            Error::Diverged {
                epoch, cost, lr, ..
            } => Error::Diverged {
                epoch,
                cost: cost * factor,
                lr,
                hint: if standardizer.is_none() {
                    ", or standardise the features"
                } else {
                    ""
                },
            },
            e => e,
        })?;
        target.inverse_transform(&mut y);
        let mut report = report;
        units.report(&mut report);
        let mut history = report.history;
        let fit_intercept = self.fit_intercept;
        let to_outer =
            polynomial::OuterMap::new(basis.as_ref(), standardizer.as_ref(), fit_intercept);
        history.map_params(|p| {
            let outer = to_outer.apply(p);
            p.copy_from_slice(&outer);
        });
        let outer = to_outer.apply(&report.params);
        let n_train = y.len() - trainer.config.validation_rows;
        let mut fitted = FittedLinear {
            weights: outer[..d].to_vec(),
            intercept: if fit_intercept { outer[d] } else { 0.0 },
            fit_intercept,
            standardizer,
            basis,
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
                if let Some(b) = &fitted.basis {
                    b.restore_terms(&mut x);
                    fitted.standardizer = polynomial::term_standardizer(&x, fit_intercept);
                } else if let Some(s) = &fitted.standardizer {
                    s.inverse_transform(&mut x);
                }
                fitted.train_scores = Some(fitted.scores(&y, 0..n_train, |f| {
                    (0..n_train).for_each(|i| f(i, x.row(i)))
                })?);
                if n_train < y.len() {
                    fitted.validation_scores = Some(fitted.scores(&y, n_train..y.len(), |f| {
                        (n_train..y.len()).for_each(|i| f(i, x.row(i)))
                    })?);
                }
            }
            // The caller's rows (all for training), not copied either.
            Input::Raw(x) => {
                fitted.train_scores =
                    Some(fitted.scores(&y, 0..y.len(), |f| x.for_each_row(|i, r| f(i, r)))?);
            }
        }
        Ok(fitted)
    }
}

/// Trains the linear model with loss `loss` (one monomorphised kernel per loss), on
/// standardised values, or on raw ones with the standardisation `fold` folded in.
#[allow(clippy::too_many_arguments)]
fn run<L: Loss>(
    trainer: &mut Trainer,
    x: MatrixRef<'_>,
    y: &[f64],
    loss: L,
    intercept: bool,
    (penalty, weights, fold): (Penalty, Option<&[f64]>, Option<&Standardizer>),
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report> {
    let model = Linear::new(x, y, loss)
        .intercept(intercept)
        .weights(weights);
    match fold {
        None => trainer.run(&model.penalty(penalty), init, observer),
        Some(s) => trainer.run(&Folded::new(model, s, intercept, penalty), init, observer),
    }
}

/// Original-unit parameters to the optimizer's coordinates.
pub(super) fn to_inner(s: Option<&Standardizer>, p: &[f64], intercept: bool) -> Vec<f64> {
    let Some(s) = s else { return p.to_vec() };
    let d = s.mean.len();
    let (w, b) = s.to_standardized(&p[..d], if intercept { p[d] } else { 0.0 });
    let mut out = w;
    if intercept {
        out.push(b);
    }
    out
}

/// The optimizer's coordinates to original-unit parameters.
pub(super) fn to_outer(s: Option<&Standardizer>, p: &[f64], intercept: bool) -> Vec<f64> {
    let Some(s) = s else { return p.to_vec() };
    let d = s.mean.len();
    let (w, b) = s.to_original(&p[..d], if intercept { p[d] } else { 0.0 });
    let mut out = w;
    if intercept {
        out.push(b);
    }
    out
}

/// The order in which the rows `0..n` are put before holding out the last ones for
/// validation (the held-out rows are the order's last): the split depends on the seed and
/// the row count only, so a fit across ranks holds out the same rows.
pub(crate) fn split_order(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    // A stream of its own, so that the split does not shift the batches' shuffles.
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5b11_7000));
    order
}

/// The rows put in a seeded random order, in place (held-out rows are then the last ones):
/// row `p` becomes the row `split_order(n, seed)[p]`. The rows move along the cycles of the
/// permutation with one row of scratch, so no second copy of the data is made.
pub(super) fn shuffle_rows(
    x: &mut Matrix,
    y: &mut [f64],
    mut weights: Option<&mut [f64]>,
    seed: u64,
) {
    let order = split_order(y.len(), seed);
    let d = x.cols();
    let values = x.as_mut_slice();
    let mut done = vec![false; y.len()];
    let mut row = vec![0.0; d];
    for start in 0..y.len() {
        if done[start] {
            continue;
        }
        // Around the cycle through `start`, each place takes the row `order` names, which is
        // still in place (the next one on the cycle); the last takes `start`'s, kept aside.
        row.copy_from_slice(&values[start * d..(start + 1) * d]);
        let y0 = y[start];
        let w0 = weights.as_deref().map_or(0.0, |w| w[start]);
        let mut p = start;
        loop {
            done[p] = true;
            let q = order[p];
            if q == start {
                values[p * d..(p + 1) * d].copy_from_slice(&row);
                y[p] = y0;
                if let Some(w) = weights.as_deref_mut() {
                    w[p] = w0;
                }
                break;
            }
            values.copy_within(q * d..(q + 1) * d, p * d);
            y[p] = y[q];
            if let Some(w) = weights.as_deref_mut() {
                w[p] = w[q];
            }
            p = q;
        }
    }
}

//! What the estimators share beyond [`LinearRegression`](super::LinearRegression)'s own
//! helpers: preparing the data, running the trainer with the estimator's optimizer, and
//! [`Watch`], an observer around the caller's that adds two stopping rules the training loop
//! cannot know about (a proximal stationarity test for L1, and a proof of separability for
//! unpenalised classifiers).

use super::linear::shuffle_rows;
use crate::data::{
    weights_to_mean_one, Data, Dataset, DatasetRef, Matrix, MatrixF32, MatrixRef, Precision,
    Standardizer,
};
use crate::optim::{Optimizer, Sgd};
use crate::penalty::Penalty;
use crate::schedule::{Constant, Schedule};
use crate::solver::Solver;
use crate::train::{EpochInfo, Observer, Report, StopReason, TrainConfig, Trainer};
use crate::{Error, FiniteSum, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::ops::ControlFlow;

/// The data as the optimizer sees it.
pub(super) struct Prepared {
    /// Features, standardised when asked (rows shuffled when holding some out).
    pub x: Matrix,
    /// Targets, in the same row order.
    pub y: Vec<f64>,
    /// The loop settings with the held-out rows set.
    pub config: TrainConfig,
    /// The standardisation applied to `x`.
    pub standardizer: Option<Standardizer>,
    /// Row weights in the same row order, scaled to mean 1 over the training rows and over
    /// the held-out rows apart ([`weights_to_mean_one`]); `None` unweighted.
    pub weights: Option<Vec<f64>>,
}

impl Prepared {
    /// Rows used for training (the held-out ones are last).
    pub fn n_train(&self) -> usize {
        self.y.len() - self.config.validation_rows
    }
}

/// Shuffles and holds out rows for validation, then standardises, exactly as
/// `LinearRegression` does.
pub(super) fn prepare(
    data: Dataset,
    standardize: bool,
    fit_intercept: bool,
    validation_fraction: Option<f64>,
    config: &TrainConfig,
) -> Result<Prepared> {
    let Dataset {
        mut x,
        mut y,
        mut weights,
    } = data;
    let mut config = config.clone();
    if let Some(frac) = validation_fraction {
        if !(frac > 0.0 && frac < 1.0) {
            return Err(Error::setting(
                "validation fraction",
                format!("{frac} is not strictly between 0 and 1"),
            ));
        }
        config.validation_rows = ((frac * y.len() as f64).ceil() as usize).max(1);
        shuffle_rows(&mut x, &mut y, weights.as_deref_mut(), config.seed);
    }
    let w = weights.as_deref();
    let standardizer = match (standardize, fit_intercept) {
        (false, _) => None,
        (true, true) => Some(Standardizer::fit_weighted(&x, w)?),
        (true, false) => Some(Standardizer::fit_scale_only_weighted(&x, w)?),
    };
    if let Some(s) = &standardizer {
        s.transform(&mut x);
    }
    if validation_fraction.is_none() {
        shuffle_for_batches(&mut x, &mut y, weights.as_deref_mut(), &config);
    }
    split_mean_one(weights.as_deref_mut(), config.validation_rows);
    Ok(Prepared {
        x,
        y,
        config,
        standardizer,
        weights,
    })
}

/// [`Prepared`] with the features where training reads them: the fit's copy (in the
/// storage precision) or the caller's values.
pub(super) struct Staged<'a> {
    /// Features: standardised in place, or raw with the standardisation to fold.
    pub x: Input<'a>,
    /// Targets, in the same row order.
    pub y: Vec<f64>,
    /// The loop settings with the held-out rows set.
    pub config: TrainConfig,
    /// The standardisation (applied to the copy, or folded).
    pub standardizer: Option<Standardizer>,
    /// Row weights as [`Prepared::weights`].
    pub weights: Option<Vec<f64>>,
}

impl Staged<'_> {
    /// Rows used for training (the held-out ones are last).
    pub fn n_train(&self) -> usize {
        self.y.len() - self.config.validation_rows
    }
}

/// [`prepare`] for owned data; borrowed data is staged in place when [`fold_plan`] allows,
/// and copied once otherwise. Features are stored in `precision`.
pub(super) fn stage<'a>(
    data: Data<'a>,
    standardize: bool,
    fit_intercept: bool,
    validation_fraction: Option<f64>,
    config: &TrainConfig,
    precision: Precision,
) -> Result<Staged<'a>> {
    let data = match data {
        Data::Owned(d) => d,
        Data::Borrowed(d) => {
            let plan = fold_plan(
                &d,
                standardize,
                fit_intercept,
                validation_fraction,
                config,
                precision,
            )?;
            match plan {
                Some(standardizer) => {
                    let DatasetRef { x, y, mut weights } = d;
                    split_mean_one(weights.as_deref_mut(), 0);
                    return Ok(Staged {
                        x: Input::Raw(x),
                        y,
                        config: config.clone(),
                        standardizer,
                        weights,
                    });
                }
                None => d.into_owned(),
            }
        }
    };
    let prep = prepare(
        data,
        standardize,
        fit_intercept,
        validation_fraction,
        config,
    )?;
    Ok(Staged {
        x: Input::Stored(Stored::new(prep.x, precision)?),
        y: prep.y,
        config: prep.config,
        standardizer: prep.standardizer,
        weights: prep.weights,
    })
}

/// Scales the training rows' weights (all but the last `held_out`) and the held-out rows'
/// each to mean 1, so that both costs are weighted means.
pub(super) fn split_mean_one(weights: Option<&mut [f64]>, held_out: usize) {
    if let Some(w) = weights {
        let (train, valid) = w.split_at_mut(w.len().saturating_sub(held_out));
        weights_to_mean_one(train);
        weights_to_mean_one(valid);
    }
}

/// An estimator's optimizer, schedule and solver, lent to a run.
pub(super) type Method<'a> = (
    &'a mut Box<dyn Optimizer>,
    &'a mut Box<dyn Schedule>,
    &'a mut Option<Box<dyn Solver>>,
);

/// Runs `problem` with the estimator's optimizer and schedule (lent to the trainer and
/// given back, whatever the outcome), adding the standardisation hint to a divergence.
pub(super) fn run<P: FiniteSum + ?Sized>(
    (optimizer, schedule, solver): Method<'_>,
    config: TrainConfig,
    problem: &P,
    init: Vec<f64>,
    observer: &mut dyn Observer,
    standardized: bool,
) -> Result<Report> {
    let mut trainer = Trainer {
        config,
        optimizer: std::mem::replace(optimizer, Box::new(Sgd::new())),
        schedule: std::mem::replace(schedule, Box::new(Constant(0.0))),
        solver: solver.take(),
    };
    let result = trainer.run(problem, init, observer);
    *optimizer = trainer.optimizer;
    *schedule = trainer.schedule;
    *solver = trainer.solver;
    result.map_err(|e| match e {
        Error::Diverged {
            epoch, cost, lr, ..
        } if !standardized => Error::Diverged {
            epoch,
            cost,
            lr,
            hint: ", or standardise the features",
        },
        e => e,
    })
}

/// A separation test, given the current parameters: true when it found parameters (these or
/// others) that put every training row strictly on its own side of the decision boundary.
pub(super) type SeparationTest<'a> = &'a mut dyn FnMut(&[f64]) -> bool;

/// Margins below this share of the row's score magnitude could be rounding error, so they
/// do not count as a separation.
pub(super) const MARGIN_RTOL: f64 = 1e-9;

/// The stopping rules an estimator adds around the caller's observer.
///
/// - **L1 stationarity.** At an L1 optimum the smooth gradient is not zero (it balances the
///   penalty's subgradient), so the loop's gradient test never fires. With full batches, each
///   step is `w+ = prox(w - lr * g)`, so `|w - w+| / lr` is the norm of the proximal-gradient
///   mapping at `w`, which is zero exactly at the optimum. The run stops when it falls to
///   `gtol` times its first value (or `gtol_abs`), the loop's own test on that quantity. For
///   optimizers other than plain gradient descent the step is not exactly this mapping, but
///   it still vanishes at convergence.
/// - **Separability.** Without a penalty, if some parameters classify every training row
///   correctly with a positive margin, multiplying them by `t -> inf` drives the log-loss to
///   0, which no finite parameters reach: there is no finite optimum. So parameters that
///   separate the rows are a proof, and the run stops with [`Error::Separable`]. The
///   estimator's test decides where to look for them (the current iterate, a probe); it
///   runs only once the cost is below `ln K` (a separable problem's cost goes to 0, so it
///   always gets there), on the first 100 epochs and every 10th after.
pub(super) struct Watch<'a, 'b> {
    user: &'a mut dyn Observer,
    prox: Option<ProxStop>,
    separation: Option<(SeparationTest<'b>, f64)>,
    verdict: Verdict,
    user_stopped: bool,
}

struct ProxStop {
    prev: Vec<f64>,
    gtol: f64,
    gtol_abs: f64,
    threshold: Option<f64>,
    last: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Running,
    Converged,
    Separable { epoch: usize },
}

impl<'a, 'b> Watch<'a, 'b> {
    /// Watches around `user`: the L1 rule when `penalty` has an L1 part and batches are
    /// full; no separation test until [`Watch::separation`].
    pub fn new(
        user: &'a mut dyn Observer,
        penalty: &Penalty,
        config: &TrainConfig,
        dim: usize,
    ) -> Self {
        let prox = (penalty.l1 > 0.0 && config.batch_size.is_none()).then(|| ProxStop {
            prev: vec![0.0; dim],
            gtol: config.gtol,
            gtol_abs: config.gtol_abs,
            threshold: None,
            last: None,
        });
        Watch {
            user,
            prox,
            separation: None,
            verdict: Verdict::Running,
            user_stopped: false,
        }
    }

    /// Adds the separability proof: `test` on the parameters, checked while the cost is
    /// below `ln(n_classes)`.
    pub fn separation(mut self, test: SeparationTest<'b>, n_classes: usize) -> Self {
        self.separation = Some((test, (n_classes as f64).ln()));
        self
    }

    /// Turns the run's outcome into the estimator's: a separation found is an error; a stop
    /// by the L1 rule is a converged run whose gradient norm is the proximal one.
    pub fn settle(&self, mut report: Report) -> Result<Report> {
        if let Verdict::Separable { epoch } = self.verdict {
            return Err(Error::Separable { epoch });
        }
        if let Some(p) = &self.prox {
            if let Some(g) = p.last {
                report.grad_norm = g;
            }
            let ours = self.verdict == Verdict::Converged && !self.user_stopped;
            if ours && report.stop_reason == StopReason::Interrupted {
                report.stop_reason = StopReason::GradientTolerance;
            }
        }
        Ok(report)
    }
}

impl Observer for Watch<'_, '_> {
    fn checkpoints(&mut self) -> Option<&mut dyn crate::train::Checkpoints> {
        self.user.checkpoints()
    }

    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        if self.user.observe(info).is_break() {
            self.user_stopped = true;
            return ControlFlow::Break(());
        }
        if let Some(p) = &mut self.prox {
            if info.epoch > 0 && info.lr > 0.0 {
                let step: f64 = p
                    .prev
                    .iter()
                    .zip(info.params)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                let g = step.sqrt() / info.lr;
                p.last = Some(g);
                let threshold = *p.threshold.get_or_insert((p.gtol * g).max(p.gtol_abs));
                if g <= threshold {
                    self.verdict = Verdict::Converged;
                    return ControlFlow::Break(());
                }
            }
            p.prev.copy_from_slice(info.params);
        }
        if let Some((test, ln_k)) = &mut self.separation {
            let due = info.epoch <= 100 || info.epoch.is_multiple_of(10);
            if due && info.cost < *ln_k && test(info.params) {
                self.verdict = Verdict::Separable { epoch: info.epoch };
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }
}

/// Mini-batches are runs of neighbouring rows ([`TrainConfig::shuffle`]): with `shuffle` on,
/// put the rows in a random order once, in place (no copy), so that batches are random
/// samples even when the data is stored sorted. Batches of one row are a random sample
/// already, and rows already shuffled to hold some out need not be (callers skip it then).
pub(super) fn shuffle_for_batches(
    x: &mut Matrix,
    y: &mut [f64],
    mut weights: Option<&mut [f64]>,
    config: &TrainConfig,
) {
    if !matches!(config.batch_size, Some(b) if b > 1) || !config.shuffle {
        return;
    }
    let d = x.cols();
    let values = x.as_mut_slice();
    // A stream of its own, apart from the split's and the epochs' (Fisher-Yates on rows).
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x0b47_c4e5_0000);
    for i in (1..y.len()).rev() {
        let j = rng.random_range(0..=i);
        if j != i {
            y.swap(i, j);
            if let Some(w) = weights.as_deref_mut() {
                w.swap(i, j);
            }
            let (head, tail) = values.split_at_mut(i * d);
            head[j * d..(j + 1) * d].swap_with_slice(&mut tail[..d]);
        }
    }
}

/// Largest `|mean| / scale` of a column for which a fit on borrowed data folds the
/// standardisation into the parameters ([`Folded`](crate::model::Folded)) rather than
/// standardising a copy of the data.
///
/// Folded, the prediction `sum_j w_j x_j + b` and the gradient's `g_j - g_b mean_j` cancel
/// terms about `|mean_j| / scale_j` times larger than their result, so their rounding
/// errors (about `1e-16` relative on the copy) grow by that factor. At 100 they stay near
/// `1e-14`: below the default gradient tolerance (`gtol`, `1e-13` of the starting norm)
/// and below what any fit reports, so the folded fit converges as the copy's does and to
/// the same parameters to about `1e-12` relative (tested at 50 in the estimators' tests).
/// Data further from the origin (a year column: mean 2000, spread 10) is copied once and
/// standardised there, where the centring subtracts exactly.
pub const FOLD_MAX_OFFSET: f64 = 100.0;

/// Where the features of a fit live.
pub(super) enum Input<'a> {
    /// The fit's own copy, standardised in place when the fit standardises.
    Stored(Stored),
    /// The caller's values as they are; the standardisation, if any, is folded into the
    /// parameters.
    Raw(MatrixRef<'a>),
}

impl Input<'_> {
    /// The matrix models read.
    pub fn view(&self) -> MatrixRef<'_> {
        match self {
            Input::Stored(s) => s.view(),
            Input::Raw(m) => *m,
        }
    }

    /// Whether a standardisation is to be folded into the parameters (the values are raw).
    pub fn folded(&self) -> bool {
        matches!(self, Input::Raw(_))
    }
}

/// Borrowed data staged in place, or given back to be copied.
pub(super) enum Placed<'a, S> {
    /// Staged where it is.
    InPlace(S),
    /// The fit needs its own copy.
    Copy(DatasetRef<'a>),
}

/// Whether a fit can train on the borrowed `data` where it is, and if so the
/// standardisation to fold (`Some(None)`: none asked). `None` when the fit must move rows
/// (held-out rows, mini-batches shuffled in place), narrow `f64` values to `f32`, or when
/// a column's mean exceeds [`FOLD_MAX_OFFSET`] times its spread. The standardizer's errors
/// (a constant column) are the copy's.
pub(super) fn fold_plan(
    data: &DatasetRef<'_>,
    standardize: bool,
    fit_intercept: bool,
    validation_fraction: Option<f64>,
    config: &TrainConfig,
    precision: Precision,
) -> Result<Option<Option<Standardizer>>> {
    let moves_rows = validation_fraction.is_some()
        || (matches!(config.batch_size, Some(b) if b > 1) && config.shuffle);
    // f32 storage of f64 values rounds them: a copy. f32 values in an f64 fit are widened
    // exactly as they are read.
    let narrows = precision == Precision::F32 && data.x.precision() == Precision::F64;
    if moves_rows || narrows {
        return Ok(None);
    }
    if !standardize {
        return Ok(Some(None));
    }
    let s = Standardizer::fit_in_place(data.x, data.weights.as_deref(), fit_intercept)?;
    Ok((s.max_offset() <= FOLD_MAX_OFFSET).then_some(Some(s)))
}

/// Features as training stores them: as given (`f64`) or rounded to `f32`.
pub(super) enum Stored {
    F64(Matrix),
    F32(MatrixF32),
}

impl Stored {
    /// `x` in `precision`. For `f32` the values are narrowed in their own memory, which
    /// shrinks to half: the fit holds the `f32` values only.
    pub fn new(x: Matrix, precision: Precision) -> Result<Self> {
        Ok(match precision {
            Precision::F64 => Stored::F64(x),
            Precision::F32 => Stored::F32(MatrixF32::narrow(x)?),
        })
    }

    /// The matrix models read.
    pub fn view(&self) -> MatrixRef<'_> {
        match self {
            Stored::F64(m) => m.into(),
            Stored::F32(m) => m.into(),
        }
    }

    /// The values as `f64` (widened back from `f32` in place: the values the fit saw).
    pub fn into_f64(self) -> Matrix {
        match self {
            Stored::F64(m) => m,
            Stored::F32(m) => m.widen(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place shuffle before holding rows out gives what gathering the rows in
    /// `split_order` into a new matrix gives.
    #[test]
    fn rows_shuffled_in_place_are_the_rows_gathered_in_the_split_order() {
        let (n, d) = (1000, 3);
        let values: Vec<f64> = (0..n * d).map(|v| (v as f64 * 0.7).sin()).collect();
        let mut x = Matrix::from_row_major(n, d, values.clone()).unwrap();
        let mut y: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut w: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        shuffle_rows(&mut x, &mut y, Some(&mut w), 42);
        let order = super::super::linear::split_order(n, 42);
        assert_ne!(order, (0..n).collect::<Vec<_>>());
        for (p, &i) in order.iter().enumerate() {
            assert_eq!(x.row(p), &values[i * d..(i + 1) * d]);
            assert_eq!((y[p], w[p]), (i as f64, 1.0 + i as f64));
        }
    }

    #[test]
    fn batch_shuffle_permutes_rows_with_their_targets() {
        let n = 50;
        let mut x = Matrix::from_row_major(n, 2, (0..2 * n).map(|v| v as f64).collect()).unwrap();
        let mut y: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let config = TrainConfig {
            batch_size: Some(4),
            ..TrainConfig::default()
        };
        shuffle_for_batches(&mut x, &mut y, None, &config);
        assert_ne!(y, (0..n).map(|i| i as f64).collect::<Vec<_>>());
        for (i, &t) in y.iter().enumerate() {
            assert_eq!(x.row(i), &[2.0 * t, 2.0 * t + 1.0]);
        }
        let mut sorted = y.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sorted, (0..n).map(|i| i as f64).collect::<Vec<_>>());
        // Full batch, or no shuffle: untouched.
        let mut y2 = y.clone();
        shuffle_for_batches(&mut x, &mut y2, None, &TrainConfig::default());
        assert_eq!(y2, y);
    }
}

//! Linear, logistic and softmax regression over the ranks of a [`Communicator`]: the
//! estimators' fits with every statistic and every sum combined across ranks, so that a
//! full-batch fit on `N` ranks gives the one-process answer up to the order of additions.
//! The metrics on the training rows are summed across ranks too
//! ([`distributed::scores`](crate::distributed::scores)), and the separability proof of an
//! unpenalised classifier tests the current parameters on every rank's rows (one
//! all-reduce when it runs).
//!
//! What the one-process estimators do that is not done across ranks: `f32` storage,
//! held-out rows with mini-batches, and the logistic fit's separation probe (the
//! one-process fit may so prove a separable problem some epochs earlier). Callers refuse
//! those settings before reading data.

use super::common::{shuffle_for_batches, Watch};
use super::linear::{split_order, to_inner, to_outer};
use super::polynomial::{self, PolynomialBasis};
use super::softmax::{log_frequencies_of, start, FittedSoftmax};
use super::{ClassificationLoss, RegressionLoss};
use crate::data::{Dataset, Matrix, PolynomialFeatures, Standardizer, TargetScale};
use crate::distributed::scores::{self, Probabilities};
use crate::distributed::{stats, train_data_parallel, Agreed, AllReduced, Averaging, Communicator};
use crate::loss::{sigmoid, Absolute, EpsilonInsensitive, Hinge, Huber, LogLoss, Squared};
use crate::metrics::Scores;
use crate::model::{Linear, Softmax};
use crate::numeric::dot;
use crate::optim::Optimizer;
use crate::penalty::Penalty;
use crate::schedule::Schedule;
use crate::solver::Solver;
use crate::train::{train_hogwild, History, Observer, Report, TargetUnits, TrainConfig, Trainer};
use crate::FiniteSum;
use crate::{Error, Result};

/// Whether the parameters put every one of these rows (features, targets) on its own side:
/// the estimator's separability test on one rank's rows.
type Separates<'a> = &'a dyn Fn(&Matrix, &[f64], &[f64]) -> bool;

/// A fit over ranks: everything but the data and the model's kind.
pub struct DistributedFit<'a, C: ?Sized> {
    /// The ranks.
    pub comm: &'a C,
    /// Standardise the features (and a regression target) with statistics of every rank.
    pub standardize: bool,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Polynomial terms of a linear model, fitted in the basis of
    /// [`PolynomialBasis`](super::PolynomialBasis) with both stages' statistics combined
    /// across ranks (the classifiers take their powers as columns of the data).
    pub polynomial: Option<PolynomialFeatures>,
    /// Penalty, as the estimators take it.
    pub penalty: Penalty,
    /// Starting point in original units; zeros (logistic: the log-odds intercept) if none.
    pub init: Option<Vec<f64>>,
    /// The update rule (first-order runs).
    pub optimizer: Box<dyn Optimizer>,
    /// Its learning rate per epoch.
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps, run on the all-reduced full batch.
    pub solver: Option<Box<dyn Solver>>,
    /// Loop settings; `batch_size` is the global batch of a mini-batch run.
    pub config: TrainConfig,
    /// Share of the rows held out for early stopping (full batches only): the rows the
    /// one-process fit holds out, by their index in the data of all ranks.
    pub validation_fraction: Option<f64>,
    /// How mini-batch runs combine the ranks.
    pub averaging: Averaging,
    /// Mini-batch SGD by Hogwild! on the threads of this one process
    /// ([`train_hogwild`](crate::train::train_hogwild)) instead.
    pub hogwild: bool,
}

/// A fit over ranks, in the data's original units (the same on every rank).
#[derive(Debug)]
pub struct FittedDistributed {
    /// One row of weights per output (one output but for softmax), one weight per feature.
    pub weights: Vec<Vec<f64>>,
    /// One intercept per output (0 without one).
    pub intercept: Vec<f64>,
    /// The standardisation of every rank's rows used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// The run (parameters and history in original units).
    pub report: Report,
    /// Rows over all ranks.
    pub rows: usize,
    /// The metrics on the training rows of every rank.
    pub train_scores: Scores,
    /// The metrics on the held-out rows of every rank.
    pub validation_scores: Option<Scores>,
}

impl<C: Communicator + ?Sized> DistributedFit<'_, C> {
    /// Linear regression with `loss`, `data` holding this rank's rows.
    pub fn linear(
        self,
        loss: RegressionLoss,
        data: Dataset,
        observer: &mut dyn Observer,
    ) -> Result<FittedDistributed> {
        let comm = self.comm;
        let Dataset {
            mut x,
            mut y,
            weights,
        } = data;
        no_weights(weights.as_deref())?;
        // From here on `x` holds every term (with `polynomial`, the powers appended).
        let expanded;
        (x, expanded) = polynomial::expand_across(
            x,
            self.polynomial.as_ref(),
            self.standardize,
            self.fit_intercept,
            comm,
        )?;
        let train = self.hold_out(&mut x, &mut y)?;
        let standardizer = self.standardizer(&mut x)?;
        let basis = expanded.zip(standardizer.clone()).map(|(e, s)| e.finish(s));
        let target = if self.standardize {
            stats::target_scale(&y, self.fit_intercept, self.comm)
        } else {
            TargetScale::IDENTITY
        };
        target.transform(&mut y);
        let (loss, penalty, factor) = loss.for_target(self.penalty, target);
        let d = x.cols();
        let mut init = match (&basis, &self.init) {
            (Some(b), Some(p)) if p.len() == d + usize::from(self.fit_intercept) => {
                polynomial::to_inner(Some(b), standardizer.as_ref(), p, self.fit_intercept)
            }
            _ => self.inner_init(standardizer.as_ref(), d, None)?,
        };
        // A start given in the target's units; zeros are zeros in either.
        if self.init.is_some() {
            target.to_scaled(&mut init, self.fit_intercept);
        }
        let units = TargetUnits {
            target,
            factor,
            intercept: self.fit_intercept,
        };
        let mut units_observer = units.observer(observer);
        let standardized = standardizer.is_some();
        let icpt = self.fit_intercept;
        let (x, y) = (&mut x, &mut y);
        let o = &mut units_observer;
        macro_rules! linear {
            ($loss:expr) => {
                self.run(
                    x,
                    y,
                    |x, y| Ok(Linear::new(x, y, $loss).intercept(icpt).penalty(penalty)),
                    penalty,
                    None,
                    train,
                    init,
                    o,
                )
            };
        }
        let result = match loss {
            RegressionLoss::Squared => linear!(Squared),
            RegressionLoss::Absolute => linear!(Absolute),
            RegressionLoss::Huber(delta) => linear!(Huber::new(delta)),
            RegressionLoss::EpsilonInsensitive(e) => linear!(EpsilonInsensitive::new(e)),
        };
        let (mut report, rows) = result.map_err(|e| match e {
            Error::Diverged {
                epoch, cost, lr, ..
            } => Error::Diverged {
                epoch,
                cost: cost * factor,
                lr,
                hint: if standardized {
                    ""
                } else {
                    ", or standardise the features"
                },
            },
            e => e,
        })?;
        units.report(&mut report);
        let (weights, intercept, report) = match &basis {
            None => outer(report, standardizer.as_ref(), d, 1),
            Some(b) => outer_polynomial(report, b, standardizer.as_ref(), d, icpt),
        };
        // Scored in original units, on the data put back (as the one-process fit does).
        let mut standardizer = standardizer;
        if let Some(b) = &basis {
            b.restore_terms(x);
            // The terms' own statistics, for reference (as the one-process fit reports).
            standardizer = stats::standardizer(x, icpt, comm).ok();
        } else if let Some(s) = &standardizer {
            s.inverse_transform(x);
        }
        target.inverse_transform(y);
        let pred: Vec<f64> = x
            .iter_rows()
            .map(|r| dot(&weights[0], r) + intercept[0])
            .collect();
        let t = train.unwrap_or(y.len());
        let train_scores = scores::regression(&y[..t], &pred[..t], comm)?;
        let validation_scores = train
            .map(|t| scores::regression(&y[t..], &pred[t..], comm))
            .transpose()?;
        Ok(FittedDistributed {
            weights,
            intercept,
            standardizer,
            report,
            rows,
            train_scores,
            validation_scores,
        })
    }

    /// Logistic regression (targets 0 or 1) with `loss`, `data` holding this rank's rows.
    pub fn logistic(
        self,
        loss: ClassificationLoss,
        data: Dataset,
        observer: &mut dyn Observer,
    ) -> Result<FittedDistributed> {
        let comm = self.comm;
        let Dataset {
            mut x,
            mut y,
            weights,
        } = data;
        no_weights(weights.as_deref())?;
        if let Some(row) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::InvalidClass {
                what: "target",
                value: y[row],
                row,
                expected: "0 or 1".into(),
            });
        }
        let train = self.hold_out(&mut x, &mut y)?;
        let t = train.unwrap_or(y.len());
        let standardizer = self.standardizer(&mut x)?;
        let d = x.cols();
        // As the one-process fit: with centred features, start at the log-odds intercept
        // (of the training rows).
        let share = stats::mean(&y[..t], self.comm);
        let log_odds = (self.fit_intercept && standardizer.is_some() && share > 0.0 && share < 1.0)
            .then(|| (share / (1.0 - share)).ln());
        let init = self.inner_init(standardizer.as_ref(), d, log_odds)?;
        let (penalty, icpt) = (self.penalty, self.fit_intercept);
        let separates =
            |x: &Matrix, y: &[f64], p: &[f64]| super::logistic::separates(x, y, p, icpt);
        // Hinge loss reaches 0 at finite weights: separation is no failure there.
        let separation = (penalty.is_none() && loss == ClassificationLoss::Log)
            .then_some((&separates as Separates<'_>, 2));
        let (x, y) = (&mut x, &mut y);
        let (report, rows) = match loss {
            ClassificationLoss::Log => self.run(
                x,
                y,
                |x, y| Ok(Linear::new(x, y, LogLoss).intercept(icpt).penalty(penalty)),
                penalty,
                separation,
                train,
                init,
                observer,
            ),
            ClassificationLoss::Hinge => self.run(
                x,
                y,
                |x, y| Ok(Linear::new(x, y, Hinge).intercept(icpt).penalty(penalty)),
                penalty,
                separation,
                train,
                init,
                observer,
            ),
        }?;
        let (weights, intercept, report) = outer(report, standardizer.as_ref(), d, 1);
        if let Some(s) = &standardizer {
            s.inverse_transform(x);
        }
        // As `FittedLogistic::predict` and `predict_proba`.
        let z: Vec<f64> = x
            .iter_rows()
            .map(|r| dot(&weights[0], r) + intercept[0])
            .collect();
        let pred: Vec<f64> = z.iter().map(|z| f64::from(*z > 0.0)).collect();
        let proba: Vec<f64> = z.iter().map(|z| sigmoid(*z)).collect();
        let score = |r: std::ops::Range<usize>| {
            let proba = match loss {
                ClassificationLoss::Log => Probabilities::Positive(&proba[r.clone()]),
                ClassificationLoss::Hinge => Probabilities::None,
            };
            scores::classification(&y[r.clone()], &pred[r], proba, 2, comm)
        };
        let train_scores = score(0..t)?;
        let validation_scores = train.map(|t| score(t..y.len())).transpose()?;
        Ok(FittedDistributed {
            weights,
            intercept,
            standardizer,
            report,
            rows,
            train_scores,
            validation_scores,
        })
    }

    /// Softmax regression over `n_classes` classes (targets are class indices; every class
    /// must have rows on some rank), `data` holding this rank's rows.
    pub fn softmax(
        self,
        n_classes: usize,
        data: Dataset,
        observer: &mut dyn Observer,
    ) -> Result<FittedDistributed> {
        let comm = self.comm;
        let Dataset {
            mut x,
            mut y,
            weights,
        } = data;
        no_weights(weights.as_deref())?;
        // Checks the targets are class indices (before any collective: the same on every
        // rank but for this rank's rows).
        Softmax::new(&x, &y, n_classes)?;
        let mut counts = vec![0.0; n_classes];
        for &c in &y {
            counts[c as usize] += 1.0;
        }
        comm.sum(&mut counts);
        let counts: Vec<usize> = counts.iter().map(|c| *c as usize).collect();
        if let Some(class) = counts.iter().position(|&c| c == 0) {
            return Err(Error::MissingClass { class, n_classes });
        }
        let train = self.hold_out(&mut x, &mut y)?;
        let t = train.unwrap_or(y.len());
        // The starting intercepts are the training rows' class shares.
        let mut counts = vec![0.0; n_classes];
        for &c in &y[..t] {
            counts[c as usize] += 1.0;
        }
        comm.sum(&mut counts);
        let standardizer = self.standardizer(&mut x)?;
        let d = x.cols();
        let icpt = self.fit_intercept;
        let s = standardizer.as_ref();
        // As the one-process fit: the intercepts of the best constant model.
        let init = start(self.init.as_deref(), s, d, icpt, n_classes, || {
            log_frequencies_of(&counts)
        })?;
        let penalty = self.penalty;
        let model = move |x, y| softmax_model(x, y, n_classes, icpt, penalty);
        let separates = |x: &Matrix, y: &[f64], p: &[f64]| {
            softmax_model(x, y, n_classes, icpt, penalty)
                .is_ok_and(|m| super::softmax::separates(&m, x, y, p))
        };
        let separation = penalty
            .is_none()
            .then_some((&separates as Separates<'_>, n_classes));
        let (x, y) = (&mut x, &mut y);
        let (report, rows) = self.run(x, y, model, penalty, separation, train, init, observer)?;
        let (weights, intercept, report) = outer(report, standardizer.as_ref(), d, n_classes);
        if let Some(s) = &standardizer {
            s.inverse_transform(x);
        }
        // Predicted by the fitted classifier's own rules (ties, probabilities).
        let mut w = Matrix::zeros(n_classes, d);
        for (k, row) in weights.iter().enumerate() {
            w.row_mut(k).copy_from_slice(row);
        }
        let classifier = FittedSoftmax {
            n_classes,
            weights: w,
            intercepts: intercept.clone(),
            fit_intercept: icpt,
            standardizer: None,
            cost: report.cost,
            grad_norm: report.grad_norm,
            validation_cost: None,
            epochs: report.epochs,
            stop_reason: report.stop_reason,
            history: History::new(0),
            train_time: report.elapsed,
            train_scores: None,
            validation_scores: None,
        };
        let pred = classifier.predict(x);
        let proba = classifier.predict_proba(x);
        let k = n_classes;
        let score = |r: std::ops::Range<usize>| {
            let p = Probabilities::Classes(&proba.as_slice()[r.start * k..r.end * k]);
            scores::classification(&y[r.clone()], &pred[r], p, k, comm)
        };
        let train_scores = score(0..t)?;
        let validation_scores = train.map(|t| score(t..y.len())).transpose()?;
        Ok(FittedDistributed {
            weights,
            intercept,
            standardizer,
            report,
            rows,
            train_scores,
            validation_scores,
        })
    }

    /// With a validation fraction, puts this rank's held-out rows last (the rows the
    /// one-process fit holds out: the last of [`split_order`] over the rows of every rank, in
    /// rank order) and returns the number of its training rows.
    fn hold_out(&self, x: &mut Matrix, y: &mut Vec<f64>) -> Result<Option<usize>> {
        let Some(fraction) = self.validation_fraction else {
            return Ok(None);
        };
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(Error::setting(
                "validation fraction",
                format!("{fraction} is not strictly between 0 and 1"),
            ));
        }
        let comm = self.comm;
        let counts: Vec<usize> = comm
            .gather(&(y.len() as u64).to_le_bytes())
            .iter()
            .map(|b| {
                u64::from_le_bytes(<[u8; 8]>::try_from(b.as_slice()).unwrap_or([0; 8])) as usize
            })
            .collect();
        let offset: usize = counts[..comm.rank()].iter().sum();
        let n: usize = counts.iter().sum();
        let held_out = ((fraction * n as f64).ceil() as usize).max(1);
        if held_out >= n {
            return Err(Error::setting(
                "validation fraction",
                format!("{held_out} of {n} rows held out leaves none to train on"),
            ));
        }
        let mine = offset..offset + y.len();
        let mut held = vec![false; y.len()];
        for &i in &split_order(n, self.config.seed)[n - held_out..] {
            if mine.contains(&i) {
                held[i - offset] = true;
            }
        }
        let d = x.cols();
        let (mut values, mut targets) = (Vec::with_capacity(x.as_slice().len()), Vec::new());
        for last in [false, true] {
            for (i, h) in held.iter().enumerate() {
                if *h == last {
                    values.extend_from_slice(x.row(i));
                    targets.push(y[i]);
                }
            }
        }
        *x = Matrix::from_row_major(y.len(), d, values)?;
        *y = targets;
        Ok(Some(held.iter().filter(|h| !**h).count()))
    }

    fn standardizer(&self, x: &mut Matrix) -> Result<Option<Standardizer>> {
        if !self.standardize {
            return Ok(None);
        }
        let s = stats::standardizer(x, self.fit_intercept, self.comm)?;
        s.transform(x);
        Ok(Some(s))
    }

    /// The starting point in the optimizer's coordinates.
    fn inner_init(
        &self,
        s: Option<&Standardizer>,
        d: usize,
        log_odds: Option<f64>,
    ) -> Result<Vec<f64>> {
        let dim = d + usize::from(self.fit_intercept);
        match &self.init {
            None => {
                let mut p = vec![0.0; dim];
                if let Some(b) = log_odds {
                    p[d] = b;
                }
                Ok(p)
            }
            Some(p) if p.len() != dim => Err(Error::Shape {
                what: "initial parameters (weights, then intercept)",
                expected: dim,
                got: p.len(),
            }),
            Some(p) => Ok(to_inner(s, p, self.fit_intercept)),
        }
    }

    /// Trains the model `build` makes of this rank's rows: full batch through the trainer
    /// on [`AllReduced`], mini-batches through [`train_data_parallel`]. With `separation`
    /// (a test and the number of classes), the separability proof across ranks: every rank
    /// tests its rows, and the parameters separate when they do on every rank.
    #[allow(clippy::too_many_arguments)]
    fn run<'x, M, B>(
        self,
        x: &'x mut Matrix,
        y: &'x mut [f64],
        build: B,
        penalty: Penalty,
        separation: Option<(Separates<'_>, usize)>,
        train: Option<usize>,
        init: Vec<f64>,
        observer: &mut dyn Observer,
    ) -> Result<(Report, usize)>
    where
        M: FiniteSum + Sync,
        B: FnOnce(&'x Matrix, &'x [f64]) -> Result<M>,
    {
        let DistributedFit {
            comm,
            fit_intercept,
            mut optimizer,
            mut schedule,
            solver,
            mut config,
            averaging,
            hogwild,
            ..
        } = self;
        let batches = config.batch_size.is_some() && solver.is_none();
        if train.is_some() && (batches || hogwild) {
            return Err(Error::setting(
                "validation fraction",
                "rows are held out across ranks for full batches only: leave out the batch size or the validation fraction",
            ));
        }
        if hogwild && (comm.size() > 1 || solver.is_some() || optimizer.name() != "sgd") {
            return Err(Error::setting(
                "hogwild",
                "Hogwild! is plain SGD on the threads of one process: use --optimizer sgd, without MPI ranks",
            ));
        }
        if batches && !hogwild {
            // Each rank's rows in an order of its own, from the seed and the rank.
            let mut own = config.clone();
            own.seed ^= (comm.rank() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            shuffle_for_batches(x, y, None, &own);
        }
        let (x, y): (&'x Matrix, &'x [f64]) = (x, y);
        let model = build(x, y)?;
        let dim = model.dim();
        debug_assert_eq!(dim % (x.cols() + usize::from(fit_intercept)), 0);
        // Every rank agrees on stopping first, so that the separation test (a collective)
        // runs on every rank or on none.
        let mut agreed = Agreed::new(observer, comm, config.time_limit.take());
        let mut test = |p: &[f64]| {
            let Some((separates, _)) = separation else {
                return false;
            };
            let t = train.unwrap_or(y.len());
            let mut not = [f64::from(u8::from(!separates(x, &y[..t], p)))];
            comm.max(&mut not);
            not[0] == 0.0
        };
        let mut watch = Watch::new(&mut agreed, &penalty, &config, dim);
        if hogwild && watch.checkpoints().is_some() {
            return Err(Error::setting(
                "checkpoint",
                "a --hogwild run is not reproducible, so it cannot be saved and resumed: leave out --hogwild, or --checkpoint and --resume",
            ));
        }
        if let Some((_, classes)) = separation {
            watch = watch.separation(&mut test, classes);
        }
        let whole = match train {
            Some(t) => AllReduced::with_held_out(&model, comm, config.threads, t),
            None => AllReduced::new(&model, comm, config.threads),
        };
        let rows = whole.global_rows();
        // The held-out rows are the trainer's last row (see `AllReduced::with_held_out`).
        config.validation_rows = usize::from(train.is_some());
        let report = if hogwild {
            train_hogwild(
                &model,
                config.threads,
                schedule.as_mut(),
                &config,
                init,
                &mut watch,
            )?
        } else if batches {
            train_data_parallel(
                &model,
                comm,
                optimizer.as_mut(),
                schedule.as_mut(),
                &config,
                averaging,
                init,
                &mut watch,
            )?
        } else {
            config.batch_size = None;
            let mut trainer = Trainer {
                config,
                optimizer,
                schedule,
                solver,
            };
            trainer.run(&whole, init, &mut watch)?
        };
        let mut report = watch.settle(report)?;
        drop(watch);
        agreed.settle(&mut report);
        Ok((report, rows))
    }
}

/// The report's parameters (and history) in original units, split into `outputs` rows of
/// weights and intercepts (each output's row `[w.., b]` mapped back on its own).
fn outer(
    mut report: Report,
    standardizer: Option<&Standardizer>,
    d: usize,
    outputs: usize,
) -> (Vec<Vec<f64>>, Vec<f64>, Report) {
    let stride = report.params.len() / outputs.max(1);
    let intercept = stride > d;
    let map = |p: &mut [f64]| {
        for row in p.chunks_exact_mut(stride.max(1)) {
            let o = to_outer(standardizer, row, intercept);
            row.copy_from_slice(&o);
        }
    };
    report.history.map_params(map);
    map(&mut report.params);
    let (mut weights, mut intercepts) = (Vec::new(), Vec::new());
    for row in report.params.chunks_exact(stride.max(1)) {
        weights.push(row[..d].to_vec());
        intercepts.push(if intercept { row[d] } else { 0.0 });
    }
    (weights, intercepts, report)
}

/// [`outer`] of a linear model fitted in a polynomial basis (one output).
fn outer_polynomial(
    mut report: Report,
    basis: &PolynomialBasis,
    standardizer: Option<&Standardizer>,
    d: usize,
    intercept: bool,
) -> (Vec<Vec<f64>>, Vec<f64>, Report) {
    let map = polynomial::OuterMap::new(Some(basis), standardizer, intercept);
    report.history.map_params(|p| {
        let o = map.apply(p);
        p.copy_from_slice(&o);
    });
    let o = map.apply(&report.params);
    let b = if intercept { o[d] } else { 0.0 };
    (vec![o[..d].to_vec()], vec![b], report)
}

/// The softmax model of `n_classes` on these rows.
fn softmax_model<'a>(
    x: &'a Matrix,
    y: &'a [f64],
    n_classes: usize,
    intercept: bool,
    penalty: Penalty,
) -> Result<Softmax<'a>> {
    Ok(Softmax::new(x, y, n_classes)?
        .intercept(intercept)
        .penalty(penalty))
}

/// Row weights are not summed across ranks yet: a weighted fit runs in one process.
fn no_weights(weights: Option<&[f64]>) -> Result<()> {
    match weights {
        None => Ok(()),
        Some(_) => Err(Error::setting(
            "sample weight",
            "weights are not supported across ranks yet: fit in one process",
        )),
    }
}

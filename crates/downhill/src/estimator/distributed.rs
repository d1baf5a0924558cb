//! Linear and logistic regression over the ranks of a [`Communicator`]: the estimators'
//! fits with every statistic and every sum combined across ranks, so that a full-batch fit
//! on `N` ranks gives the one-process answer up to the order of additions.
//!
//! What the one-process estimators do that is not done across ranks: polynomial terms,
//! held-out rows (early stopping), `f32` storage, the separability proof of an unpenalised
//! logistic fit (a separable problem then runs to its epoch limit), and the metrics on the
//! training rows. Callers refuse those settings before reading data.

use super::common::{shuffle_for_batches, Watch};
use super::linear::{to_inner, to_outer};
use super::{ClassificationLoss, RegressionLoss};
use crate::data::{Dataset, Matrix, Standardizer, TargetScale};
use crate::distributed::{stats, train_data_parallel, Agreed, AllReduced, Averaging, Communicator};
use crate::loss::{Absolute, EpsilonInsensitive, Hinge, Huber, LogLoss, Loss, Squared};
use crate::model::Linear;
use crate::optim::Optimizer;
use crate::penalty::Penalty;
use crate::schedule::Schedule;
use crate::solver::Solver;
use crate::train::{train_hogwild, Observer, Report, TargetUnits, TrainConfig, Trainer};
use crate::FiniteSum;
use crate::{Error, Result};

/// A fit over ranks: everything but the data and the model's kind.
pub struct DistributedFit<'a, C: ?Sized> {
    /// The ranks.
    pub comm: &'a C,
    /// Standardise the features (and a regression target) with statistics of every rank.
    pub standardize: bool,
    /// Fit an intercept.
    pub fit_intercept: bool,
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
    /// How mini-batch runs combine the ranks.
    pub averaging: Averaging,
    /// Mini-batch SGD by Hogwild! on the threads of this one process
    /// ([`train_hogwild`](crate::train::train_hogwild)) instead.
    pub hogwild: bool,
}

/// A fit over ranks, in the data's original units (the same on every rank).
#[derive(Debug)]
pub struct FittedDistributed {
    /// One weight per feature.
    pub weights: Vec<f64>,
    /// The intercept (0 without one).
    pub intercept: f64,
    /// The standardisation of every rank's rows used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// The run (parameters and history in original units).
    pub report: Report,
    /// Rows over all ranks.
    pub rows: usize,
}

impl<C: Communicator + ?Sized> DistributedFit<'_, C> {
    /// Linear regression with `loss`, `data` holding this rank's rows.
    pub fn linear(
        self,
        loss: RegressionLoss,
        data: Dataset,
        observer: &mut dyn Observer,
    ) -> Result<FittedDistributed> {
        let Dataset { mut x, mut y } = data;
        let standardizer = self.standardizer(&mut x)?;
        let target = if self.standardize {
            stats::target_scale(&y, self.fit_intercept, self.comm)
        } else {
            TargetScale::IDENTITY
        };
        target.transform(&mut y);
        let (loss, penalty, factor) = loss.for_target(self.penalty, target);
        let d = x.cols();
        let mut init = self.inner_init(standardizer.as_ref(), d, None)?;
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
        let result = match loss {
            RegressionLoss::Squared => {
                self.run(&mut x, &mut y, Squared, penalty, init, &mut units_observer)
            }
            RegressionLoss::Absolute => {
                self.run(&mut x, &mut y, Absolute, penalty, init, &mut units_observer)
            }
            RegressionLoss::Huber(delta) => self.run(
                &mut x,
                &mut y,
                Huber::new(delta),
                penalty,
                init,
                &mut units_observer,
            ),
            RegressionLoss::EpsilonInsensitive(e) => self.run(
                &mut x,
                &mut y,
                EpsilonInsensitive::new(e),
                penalty,
                init,
                &mut units_observer,
            ),
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
        Ok(finish(report, standardizer, d, rows))
    }

    /// Logistic regression (targets 0 or 1) with `loss`, `data` holding this rank's rows.
    pub fn logistic(
        self,
        loss: ClassificationLoss,
        data: Dataset,
        observer: &mut dyn Observer,
    ) -> Result<FittedDistributed> {
        let Dataset { mut x, mut y } = data;
        if let Some(row) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::InvalidClass {
                what: "target",
                value: y[row],
                row,
                expected: "0 or 1".into(),
            });
        }
        let standardizer = self.standardizer(&mut x)?;
        let d = x.cols();
        // As the one-process fit: with centred features, start at the log-odds intercept.
        let share = stats::mean(&y, self.comm);
        let log_odds = (self.fit_intercept && standardizer.is_some() && share > 0.0 && share < 1.0)
            .then(|| (share / (1.0 - share)).ln());
        let init = self.inner_init(standardizer.as_ref(), d, log_odds)?;
        let penalty = self.penalty;
        let (report, rows) = match loss {
            ClassificationLoss::Log => self.run(&mut x, &mut y, LogLoss, penalty, init, observer),
            ClassificationLoss::Hinge => self.run(&mut x, &mut y, Hinge, penalty, init, observer),
        }?;
        Ok(finish(report, standardizer, d, rows))
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

    /// Trains the linear model with `loss` on this rank's rows: full batch through the
    /// trainer on [`AllReduced`], mini-batches through [`train_data_parallel`].
    fn run<L: Loss>(
        self,
        x: &mut Matrix,
        y: &mut [f64],
        loss: L,
        penalty: Penalty,
        init: Vec<f64>,
        observer: &mut dyn Observer,
    ) -> Result<(Report, usize)> {
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
        if config.validation_rows > 0 {
            return Err(Error::setting(
                "validation fraction",
                "rows are not held out across ranks: leave out the validation fraction",
            ));
        }
        let dim = x.cols() + usize::from(fit_intercept);
        let mut watch = Watch::new(observer, &penalty, &config, dim);
        let batches = hogwild || (config.batch_size.is_some() && solver.is_none());
        if batches && watch.checkpoints().is_some() {
            return Err(Error::setting(
                "checkpoint",
                "across ranks and threads only full-batch runs save and resume their state: leave out --batch-size and --hogwild",
            ));
        }
        if hogwild {
            if comm.size() > 1 || solver.is_some() || optimizer.name() != "sgd" {
                return Err(Error::setting(
                    "hogwild",
                    "Hogwild! is plain SGD on the threads of one process: use --optimizer sgd, without MPI ranks",
                ));
            }
            let model = Linear::new(&*x, y, loss)
                .intercept(fit_intercept)
                .penalty(penalty);
            let rows = model_rows(&model);
            let report = train_hogwild(
                &model,
                config.threads,
                schedule.as_mut(),
                &config,
                init,
                &mut watch,
            )?;
            return Ok((watch.settle(report)?, rows));
        }
        if config.batch_size.is_some() && solver.is_none() {
            // Each rank's rows in an order of its own, from the seed and the rank.
            let mut own = config.clone();
            own.seed ^= (comm.rank() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            shuffle_for_batches(x, y, &own);
            let model = Linear::new(&*x, y, loss)
                .intercept(fit_intercept)
                .penalty(penalty);
            let whole = AllReduced::new(&model, comm, config.threads);
            let rows = whole.global_rows();
            let report = train_data_parallel(
                &model,
                comm,
                optimizer.as_mut(),
                schedule.as_mut(),
                &config,
                averaging,
                init,
                &mut watch,
            )?;
            return Ok((watch.settle(report)?, rows));
        }
        let model = Linear::new(&*x, y, loss)
            .intercept(fit_intercept)
            .penalty(penalty);
        let whole = AllReduced::new(&model, comm, config.threads);
        let rows = whole.global_rows();
        let mut agreed = Agreed::new(&mut watch, comm, config.time_limit.take());
        config.batch_size = None;
        let mut trainer = Trainer {
            config,
            optimizer,
            schedule,
            solver,
        };
        let mut report = trainer.run(&whole, init, &mut agreed)?;
        agreed.settle(&mut report);
        Ok((watch.settle(report)?, rows))
    }
}

fn model_rows<P: FiniteSum>(model: &P) -> usize {
    model.n_rows()
}

/// The report's parameters (and history) in original units, split into weights and
/// intercept.
fn finish(
    mut report: Report,
    standardizer: Option<Standardizer>,
    d: usize,
    rows: usize,
) -> FittedDistributed {
    let intercept = report.params.len() > d;
    report.history.map_params(|p| {
        let outer = to_outer(standardizer.as_ref(), p, intercept);
        p.copy_from_slice(&outer);
    });
    report.params = to_outer(standardizer.as_ref(), &report.params, intercept);
    FittedDistributed {
        weights: report.params[..d].to_vec(),
        intercept: if intercept { report.params[d] } else { 0.0 },
        standardizer,
        report,
        rows,
    }
}

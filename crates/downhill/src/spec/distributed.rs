//! The runner of a fit over ranks: the same description, the data a rank's share.

use super::{Fitted, ModelKind, Problem, Runner};
use crate::data::{Dataset, Precision};
use crate::distributed::{Averaging, Communicator};
use crate::estimator::DistributedFit;
use crate::train::Observer;
use crate::{Error, Result};

impl super::RunSpec {
    /// Refuses what a fit over ranks does not do, before any data is read: `f32` storage.
    /// A linear model's powers are fitted in its basis (both stages' statistics combined
    /// across ranks); the classifiers' are columns of each rank's rows.
    pub fn check_distributed(&self) -> Result<()> {
        let refuse =
            |setting: &'static str, why: &str| Err(Error::setting(setting, why.to_string()));
        if self.precision != Precision::F64 {
            return refuse(
                "precision",
                "a fit across ranks stores f64: leave out the precision",
            );
        }
        Ok(())
    }
}

impl Runner<'_> {
    /// Fits the model to the rows of every rank of `comm`, `data` holding this rank's, with
    /// `averaging` for mini-batches. Every rank calls it with the same description and gets
    /// the same fit. With `hogwild` (one rank: see
    /// [`train_hogwild`](crate::train::train_hogwild)), mini-batch SGD on lock-free threads. The
    /// training metrics are summed over every rank's rows.
    pub fn fit_distributed<C: Communicator + ?Sized>(
        self,
        data: Dataset,
        problem: Problem,
        comm: &C,
        averaging: Averaging,
        hogwild: bool,
        observer: &mut dyn Observer,
    ) -> Result<(Fitted, usize)> {
        let s = self.spec;
        s.check_distributed()?;
        // The settings of a run that saves or resumes its state are checked on resume.
        let mut stamped;
        let observer: &mut dyn Observer = if observer.checkpoints().is_some() {
            super::checkpoint::check_l1(&self.penalty, &self.config)?;
            stamped = super::checkpoint::Stamped::settings_only(observer, s);
            &mut stamped
        } else {
            observer
        };
        let super::Method {
            name,
            lr,
            optimizer,
            schedule,
            solver,
            note,
        } = self.method;
        let config = self.config;
        let fit = DistributedFit {
            comm,
            standardize: s.standardize,
            fit_intercept: s.fit_intercept,
            polynomial: match s.model {
                ModelKind::Linear => problem.polynomial.clone(),
                _ => None,
            },
            penalty: self.penalty,
            init: s.init.clone(),
            optimizer,
            schedule,
            solver,
            config: config.clone(),
            validation_fraction: s.validation_fraction,
            averaging,
            hogwild,
        };
        let f = match s.model {
            ModelKind::Linear => fit.linear(s.regression_loss()?, data, observer)?,
            ModelKind::Logistic => fit.logistic(s.classification_loss()?, data, observer)?,
            ModelKind::Softmax => {
                let k = problem.classes.as_ref().map_or(0, Vec::len);
                fit.softmax(k, data, observer)?
            }
        };
        let r = f.report;
        Ok((
            Fitted {
                classes: problem.classes,
                weights: f.weights,
                intercept: f.intercept,
                standardizer: f.standardizer,
                cost: r.cost,
                grad_norm: r.grad_norm,
                validation_cost: r.validation_cost,
                epochs: r.epochs,
                stop_reason: r.stop_reason,
                history: r.history,
                train_time: r.elapsed,
                train_scores: Some(f.train_scores),
                validation_scores: f.validation_scores,
                optimizer: name,
                lr,
                note,
                config,
                penalty: self.penalty,
            },
            f.rows,
        ))
    }
}

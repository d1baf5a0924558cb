//! The method of a [`RunSpec`]: an optimizer with its schedule and extras, or a solver that
//! chooses its own steps, with `auto` resolved.

use super::{flagged, RunSpec};
use crate::optim::{self, Extras, Hyper, Optimizer, Sgd};
use crate::schedule::{self, Constant, Schedule};
use crate::solver::{self, Solver, SolverOptions};
use crate::{Error, Result};

/// What runs the descent.
#[derive(Debug)]
pub struct Method {
    /// The optimizer's name as run (`auto` resolved; `gd+armijo` with a line search).
    pub name: String,
    /// The starting learning rate, for first-order optimizers.
    pub lr: Option<f64>,
    /// The update rule (unused when `solver` is set).
    pub optimizer: Box<dyn Optimizer>,
    /// The learning rate per epoch (unused when `solver` is set).
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps.
    pub solver: Option<Box<dyn Solver>>,
    /// What `auto` picked and why, to say to the user.
    pub note: Option<String>,
}

/// What `auto` needs to know of the problem. The default is a smooth problem of unknown
/// size whose Hessian, if any, is approximate (a function).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MethodFacts {
    /// The parameter count of a model with exact second derivatives, if it has them.
    pub exact_hessian: Option<usize>,
    /// The loss is quadratic (least squares): one Newton step solves it.
    pub quadratic: bool,
    /// Newton gets the Hessian with the cost in one pass ([`solver::AutoProblem::one_pass`]).
    pub one_pass: bool,
    /// The number of rows, when known (`auto` weighs a Newton step's cost by it).
    pub rows: Option<usize>,
    /// The penalty has an L1 part.
    pub l1: bool,
    /// Only first-order methods can run (a streamed fit).
    pub first_order_only: bool,
}

impl RunSpec {
    /// Builds the method; `auto` ([`solver::auto`]) picks Newton when `facts` give the
    /// parameter count of a model with exact second derivatives and its cost rule allows,
    /// and proximal gradient descent when the penalty has an L1 part. Errors name the flags.
    pub fn build_method(&self, facts: MethodFacts) -> Result<Method> {
        let mut name = self.optimizer.trim().to_ascii_lowercase();
        let mut note = None;
        if name == "auto" {
            let (picked, why) = solver::auto(solver::AutoProblem {
                mini_batches: self.batch_size.is_some(),
                exact_hessian: facts.exact_hessian.is_some(),
                quadratic: facts.quadratic,
                one_pass: facts.one_pass,
                params: facts.exact_hessian.unwrap_or(0),
                rows: facts.rows,
                l1: facts.l1,
                first_order_only: facts.first_order_only,
            });
            name = picked.to_string();
            note = Some(format!("--optimizer auto picked {picked} ({why})"));
        }
        if let Some(ls) = &self.line_search {
            let ls = ls.trim().to_ascii_lowercase();
            if ls != "armijo" && ls != "wolfe" {
                return Err(Error::spec(format!(
                    "--line-search: unknown line search '{ls}'; known: armijo, wolfe"
                )));
            }
            if name != "gd" && name != "sgd" {
                return Err(Error::spec(format!(
                    "--line-search goes with --optimizer gd (steepest descent); {name} cannot take one"
                )));
            }
            name = format!("gd+{ls}");
        }
        if self.history_size == 0 {
            return Err(Error::spec("--history-size must be at least 1"));
        }
        let options = SolverOptions {
            history: self.history_size,
            ..SolverOptions::default()
        };
        if let Some(s) = solver::by_name(&name, &options) {
            let first_order_only = [
                ("--lr", self.lr.is_some()),
                ("--momentum", self.momentum.is_some()),
                ("--beta1", self.beta1.is_some()),
                ("--beta2", self.beta2.is_some()),
                ("--eps", self.eps.is_some()),
                ("--rho", self.rho.is_some()),
                ("--weight-decay", self.weight_decay.is_some()),
                ("--batch-size", self.batch_size.is_some()),
                ("--schedule", self.schedule != "constant"),
                ("--clip-norm", self.clip_norm.is_some()),
                ("--gradient-noise", self.gradient_noise.is_some()),
                ("--average", self.average.is_some()),
                ("--validation-fraction", self.validation_fraction.is_some()),
            ];
            if let Some((flag, _)) = first_order_only.iter().find(|(_, given)| *given) {
                return Err(Error::spec(format!("{flag} does not apply to --optimizer {name}, which chooses its own steps on the full batch")));
            }
            return Ok(Method {
                name,
                lr: None,
                optimizer: Box::new(Sgd::new()),
                schedule: Box::new(Constant(1.0)),
                solver: Some(s),
                note,
            });
        }
        let hyper = Hyper {
            lr: self.lr,
            momentum: self.momentum,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            rho: self.rho,
            weight_decay: self.weight_decay,
        };
        let optimizer = optim::build(&name, &hyper).map_err(unknown_optimizer)?;
        let lr = hyper.lr_for(&name).map_err(flagged)?;
        let optimizer = optim::wrap(
            optimizer,
            &Extras {
                clip_norm: self.clip_norm,
                noise: self.gradient_noise,
                seed: self.seed,
                average: self.average,
            },
        )
        .map_err(flagged)?;
        let schedule = schedule::parse(&self.schedule, lr).map_err(|e| match e {
            Error::InvalidSetting { message, .. } => Error::spec(format!("--schedule: {message}")),
            e => flagged(e),
        })?;
        Ok(Method {
            name,
            lr: Some(lr),
            optimizer,
            schedule,
            solver: None,
            note,
        })
    }
}

/// An unknown optimizer's error, listing every name `--optimizer` takes.
fn unknown_optimizer(e: Error) -> Error {
    match e {
        Error::InvalidSetting {
            setting: "optimizer",
            message,
        } => Error::spec(format!(
            "--optimizer: {message}, {}",
            solver::NAMES
                .iter()
                .filter(|n| !n.starts_with("gd+"))
                .copied()
                .chain(["auto"])
                .collect::<Vec<_>>()
                .join(", ")
        )),
        e => flagged(e),
    }
}

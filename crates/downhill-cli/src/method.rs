//! From flags to a method: an optimizer with its schedule and extras, or a solver that
//! chooses its own steps, and the loop settings. Shared by every command that descends.

use crate::cli::TrainArgs;
use anyhow::{bail, Result};
use downhill::optim::{self, Extras, Hyper, Optimizer, Sgd};
use downhill::schedule::{self, Constant, Schedule};
use downhill::solver::{self, Solver, SolverOptions};
use downhill::train::TrainConfig;
use downhill::Error;
use std::time::Duration;

/// What runs the descent.
#[derive(Debug)]
pub struct Method {
    /// The optimizer's name as run (`auto` resolved).
    pub name: String,
    /// The starting learning rate, for first-order optimizers.
    pub lr: Option<f64>,
    /// The update rule (unused when `solver` is set).
    pub optimizer: Box<dyn Optimizer>,
    /// The learning rate per epoch (unused when `solver` is set).
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps.
    pub solver: Option<Box<dyn Solver>>,
    /// Said to the user, e.g. what `auto` picked.
    pub note: Option<String>,
}

/// Builds the method the flags ask for, `auto` resolved for a smooth problem whose curvature
/// and size are unknown (a function: its Hessian, if any, is approximate).
pub fn build(t: &TrainArgs) -> Result<Method> {
    build_for(t, None, false)
}

/// Builds the method the flags ask for; `auto` ([`solver::auto`]) picks Newton when
/// `exact_hessian` gives the parameter count of a model with exact second derivatives, and
/// proximal gradient descent when the penalty has an `l1` part.
pub fn build_for(t: &TrainArgs, exact_hessian: Option<usize>, l1: bool) -> Result<Method> {
    let mut name = t.optimizer.trim().to_ascii_lowercase();
    let mut note = None;
    if name == "auto" {
        let (picked, why) = solver::auto(solver::AutoProblem {
            mini_batches: t.batch_size.is_some(),
            exact_hessian: exact_hessian.is_some(),
            params: exact_hessian.unwrap_or(0),
            l1,
        });
        name = picked.to_string();
        note = Some(format!("--optimizer auto picked {picked} ({why})"));
    }
    if let Some(ls) = &t.line_search {
        let ls = ls.trim().to_ascii_lowercase();
        if ls != "armijo" && ls != "wolfe" {
            bail!("--line-search: unknown line search '{ls}'; known: armijo, wolfe");
        }
        if name != "gd" && name != "sgd" {
            bail!(
                "--line-search goes with --optimizer gd (steepest descent); {name} cannot take one"
            );
        }
        name = format!("gd+{ls}");
    }
    let options = SolverOptions {
        history: t.history_size,
        ..SolverOptions::default()
    };
    if t.history_size == 0 {
        bail!("--history-size must be at least 1");
    }
    if let Some(s) = solver::by_name(&name, &options) {
        let first_order_only = [
            ("--lr", t.lr.is_some()),
            ("--momentum", t.momentum.is_some()),
            ("--beta1", t.beta1.is_some()),
            ("--beta2", t.beta2.is_some()),
            ("--eps", t.eps.is_some()),
            ("--rho", t.rho.is_some()),
            ("--weight-decay", t.weight_decay.is_some()),
            ("--batch-size", t.batch_size.is_some()),
            ("--schedule", t.schedule != "constant"),
            ("--clip-norm", t.clip_norm.is_some()),
            ("--gradient-noise", t.gradient_noise.is_some()),
            ("--average", t.average.is_some()),
            ("--validation-fraction", t.validation_fraction.is_some()),
        ];
        if let Some((flag, _)) = first_order_only.iter().find(|(_, given)| *given) {
            bail!("{flag} does not apply to --optimizer {name}, which chooses its own steps on the full batch");
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
        lr: t.lr,
        momentum: t.momentum,
        beta1: t.beta1,
        beta2: t.beta2,
        eps: t.eps,
        rho: t.rho,
        weight_decay: t.weight_decay,
    };
    let unknown = |e: Error| match e {
        Error::InvalidSetting {
            setting: "optimizer",
            message,
        } => anyhow::anyhow!(
            "--optimizer: {message}, {}",
            solver::NAMES
                .iter()
                .filter(|n| !n.starts_with("gd+"))
                .copied()
                .chain(["auto"])
                .collect::<Vec<_>>()
                .join(", ")
        ),
        e => flagged(e),
    };
    let optimizer = optim::build(&name, &hyper).map_err(unknown)?;
    let lr = hyper.lr_for(&name).map_err(flagged)?;
    let optimizer = optim::wrap(
        optimizer,
        &Extras {
            clip_norm: t.clip_norm,
            noise: t.gradient_noise,
            seed: t.seed,
            average: t.average,
        },
    )
    .map_err(flagged)?;
    let schedule = schedule::parse(&t.schedule, lr).map_err(|e| match e {
        Error::InvalidSetting { message, .. } => anyhow::anyhow!("--schedule: {message}"),
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

/// The loop settings the flags ask for.
pub fn config(t: &TrainArgs) -> Result<TrainConfig> {
    if let Some(f) = t.validation_fraction {
        if !(f > 0.0 && f < 1.0) {
            bail!("--validation-fraction {f} must be strictly between 0 and 1");
        }
    }
    Ok(TrainConfig {
        max_epochs: t.epochs.unwrap_or(TrainConfig::default().max_epochs),
        batch_size: t.batch_size,
        shuffle: !t.no_shuffle,
        seed: t.seed,
        gtol: t.gtol,
        // Mini-batch costs are noisy and gradients never vanish: stop on a stalled cost.
        tol: t.tol.or(t.batch_size.map(|_| 1e-4)),
        n_iter_no_change: t.patience,
        time_limit: t.time_limit.map(Duration::from_secs_f64),
        threads: t.threads,
        ..TrainConfig::default()
    })
}

/// A library error, with the setting it names turned into the flag a user types.
pub fn flagged(e: Error) -> anyhow::Error {
    match e {
        Error::InvalidSetting { setting, message } => {
            let flag = match setting {
                "batch size" => "--batch-size",
                "validation fraction" => "--validation-fraction",
                "learning rate" => "--lr",
                "gtol" => "--gtol",
                "tol" => "--tol",
                "initial parameters" => "--init",
                "precision" => "--precision",
                "optimizer" => "--optimizer",
                "huber delta" | "delta" => "--huber-delta",
                "epsilon" => "--epsilon",
                "loss" => "--loss",
                "polynomial degree" => "--degree",
                "polynomial columns" => "--degree-columns",
                _ => "",
            };
            if flag.is_empty() || message.contains(flag) {
                anyhow::anyhow!("invalid {setting}: {message}")
            } else {
                anyhow::anyhow!("{flag}: {message}")
            }
        }
        e => anyhow::Error::new(e),
    }
}

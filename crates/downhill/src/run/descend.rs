//! One run of a method on a [`Function`], every step recorded, and how it ended: at a
//! stopping rule (converged or not), diverged at a step, or with the function unbounded
//! below along the path.

use super::{Function, Recording, Tap, Trace};
use crate::objective::FdHessian;
use crate::optim::{Optimizer, Sgd};
use crate::schedule::{Constant, Schedule};
use crate::solver::Solver;
use crate::train::{Observer, Report, StopReason, TrainConfig, Trainer};
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// What runs the descent, already built: an update rule at a rate per step, or a method
/// that chooses its own steps.
#[derive(Debug)]
pub enum Method {
    /// A first-order update rule and its learning rate per epoch.
    Rate {
        /// The update rule.
        optimizer: Box<dyn Optimizer>,
        /// The learning rate per epoch.
        schedule: Box<dyn Schedule>,
    },
    /// A line search, CG, L-BFGS or Newton (its Hessian by differences of the gradient).
    Solver(Box<dyn Solver>),
}

impl Method {
    /// `optimizer` with `schedule`, or `solver` when there is one (it runs instead).
    pub fn new(
        optimizer: Box<dyn Optimizer>,
        schedule: Box<dyn Schedule>,
        solver: Option<Box<dyn Solver>>,
    ) -> Method {
        match solver {
            Some(s) => Method::Solver(s),
            None => Method::Rate {
                optimizer,
                schedule,
            },
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum End {
    /// It ran to a stopping rule.
    Finished(Box<Report>),
    /// The value or the parameters stopped being finite (or, for a line search, the value
    /// kept falling as far as it looked) at `step`.
    Diverged {
        /// The step it diverged on.
        step: usize,
        /// The value there (infinite, NaN, or far above the start).
        value: f64,
        /// The learning rate of that step.
        lr: f64,
    },
}

/// Where a run ended, when it has an answer: its last step, or for a run that fell to
/// -inf, its last finite step.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The parameters.
    pub point: Vec<f64>,
    /// The value there.
    pub value: f64,
    /// The gradient norm there.
    pub grad_norm: f64,
    /// The steps that led there.
    pub steps: usize,
}

/// One run: the steps it took, how it ended, and whether the function looked unbounded
/// below along its path.
#[derive(Debug)]
pub struct Run {
    /// Every step, the start first.
    pub trace: Trace,
    /// How it ended.
    pub end: End,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The value fell to -inf, or the run stopped early while it was still falling
    /// ([`unbounded_along`]): the answer about the function, not a failure.
    pub unbounded_below: bool,
}

impl Run {
    /// Steps taken (the diverging one included).
    pub fn steps(&self) -> usize {
        match &self.end {
            End::Finished(r) => r.epochs,
            End::Diverged { step, .. } => *step,
        }
    }

    /// Whether the run diverged (upwards, or down to -inf).
    pub fn diverged(&self) -> bool {
        matches!(self.end, End::Diverged { .. })
    }

    /// Whether it diverged upwards: no answer, a rate too large or a start too far.
    pub fn lost(&self) -> bool {
        self.diverged() && !self.unbounded_below
    }

    /// Whether it reached a minimum: a stopping rule that means convergence
    /// ([`StopReason::converged`]) on a function not found unbounded below.
    pub fn converged(&self) -> bool {
        match &self.end {
            End::Finished(r) => r.stop_reason.converged() && !self.unbounded_below,
            End::Diverged { .. } => false,
        }
    }

    /// Whether it stopped at its epoch or time limit before any tolerance held, on a
    /// function with a bottom: a run that needs more steps or another method.
    pub fn stopped_short(&self) -> bool {
        match &self.end {
            End::Finished(r) => {
                matches!(r.stop_reason, StopReason::MaxEpochs | StopReason::TimeLimit)
                    && !self.unbounded_below
            }
            End::Diverged { .. } => false,
        }
    }

    /// A stable identifier of how it ended: the loop's stop reason
    /// ([`StopReason::as_str`]), `unbounded_below` for a value that fell to -inf, or
    /// `diverged`.
    pub fn stop_reason(&self) -> &'static str {
        match &self.end {
            End::Finished(r) => r.stop_reason.as_str(),
            End::Diverged { .. } if self.unbounded_below => "unbounded_below",
            End::Diverged { .. } => "diverged",
        }
    }

    /// Where it ended; `None` when it diverged upwards (no numbers that could pass for an
    /// answer).
    pub fn answer(&self) -> Option<Answer> {
        match &self.end {
            End::Finished(r) => Some(Answer {
                point: r.params.clone(),
                value: r.cost,
                grad_norm: r.grad_norm,
                steps: r.epochs,
            }),
            End::Diverged { .. } if self.unbounded_below => {
                let k = self.trace.finite_len().checked_sub(1)?;
                Some(Answer {
                    point: self.trace.at(k).to_vec(),
                    value: self.trace.values[k],
                    grad_norm: self.trace.grad_norms[k],
                    steps: k,
                })
            }
            End::Diverged { .. } => None,
        }
    }

    /// The final gradient norm as a fraction of the one at the start (what `gtol` is
    /// compared with); `None` without an answer or a nonzero starting gradient.
    pub fn grad_fraction(&self) -> Option<f64> {
        let g0 = self.trace.grad_norms.first().copied()?;
        let g = self.answer()?.grad_norm;
        (g0 > 0.0 && g0.is_finite()).then(|| g / g0)
    }

    /// The value at the start.
    pub fn start_value(&self) -> f64 {
        self.trace.values.first().copied().unwrap_or(f64::NAN)
    }

    /// The last finite value met along the path.
    pub fn last_value(&self) -> f64 {
        self.trace
            .values
            .iter()
            .rev()
            .find(|v| v.is_finite())
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Runs `method` on `f` from `start` under `config`, recording every step and passing it
/// on to `observer` (a progress bar, a Ctrl-C check). A divergence is an outcome
/// ([`End::Diverged`]), not an error; other errors (a setting out of range, a start of the
/// wrong size) are.
///
/// ```
/// use downhill::optim::Sgd;
/// use downhill::run::{self, Function, Method};
/// use downhill::schedule::Constant;
/// use downhill::train::{NoObserver, TrainConfig};
///
/// let f = Function::parse("booth", None).unwrap();
/// let gd = Method::Rate { optimizer: Box::new(Sgd::new()), schedule: Box::new(Constant(0.1)) };
/// let run = run::descend(&f, gd, TrainConfig::default(), f.start(None).unwrap(), &mut NoObserver).unwrap();
/// assert!(run.converged());
/// let end = run.answer().unwrap();
/// assert!((end.point[0] - 1.0).abs() < 1e-9 && (end.point[1] - 3.0).abs() < 1e-9);
/// ```
pub fn descend(
    f: &Function,
    method: Method,
    mut config: TrainConfig,
    start: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Run> {
    // The trace keeps the path; the history need not keep it twice.
    config.record_params = false;
    let (optimizer, schedule, solver): (_, Box<dyn Schedule>, _) = match method {
        Method::Rate {
            optimizer,
            schedule,
        } => (optimizer, schedule, None),
        Method::Solver(s) => (Box::new(Sgd::new()) as _, Box::new(Constant(1.0)), Some(s)),
    };
    let (optimizer, last) = Tap::wrap(optimizer);
    let mut trainer = Trainer {
        config,
        optimizer,
        schedule,
        solver,
    };
    // Newton needs second derivatives: differences of the exact gradient.
    let problem = FdHessian(f);
    let mut recording = Recording::new(f.vars().len(), observer);
    let began = Instant::now();
    let result = trainer.run(&problem, start, &mut recording);
    let elapsed = began.elapsed();
    let mut trace = recording.trace;
    let end = match result {
        Ok(report) => End::Finished(Box::new(report)),
        Err(Error::Diverged {
            epoch, cost, lr, ..
        }) => {
            trace.push_diverged(Tap::last(&last), cost, lr);
            End::Diverged {
                step: epoch,
                value: cost,
                lr,
            }
        }
        Err(e) => return Err(e),
    };
    let unbounded_below = unbounded_along(f, &trace, &end);
    Ok(Run {
        trace,
        end,
        elapsed,
        unbounded_below,
    })
}

/// Whether a run says the function is unbounded below along its path: the value fell to
/// -inf (or a line search found no bottom), or the run stopped early or at its limit while
/// the value was still falling at least as fast as before. A named function's own flag
/// decides when the run was not a divergence.
pub fn unbounded_along(f: &Function, trace: &Trace, end: &End) -> bool {
    let f0 = trace.values.first().copied().unwrap_or(f64::NAN);
    match end {
        End::Diverged { value, .. } => {
            let last = trace
                .values
                .iter()
                .rev()
                .find(|v| v.is_finite())
                .copied()
                .unwrap_or(f64::NAN);
            *value == f64::NEG_INFINITY
                // A line search that found no bottom reports a finite value below the start;
                // the loop only diverges upwards when the value stays finite.
                || (value.is_finite() && *value < f0)
                || (value.is_nan() && last < f0 - 1e6 * f0.abs().max(1.0))
        }
        End::Finished(report) => {
            let stopped_early = matches!(
                report.stop_reason,
                StopReason::MaxEpochs | StopReason::TimeLimit | StopReason::Interrupted
            );
            match f.as_named() {
                Some(named) => named.unbounded_below() && stopped_early,
                None => stopped_early && still_falling(&trace.values),
            }
        }
    }
}

/// The value fell over the last quarter of the run at least as much as over the quarter
/// before, and by a visible amount: a descent that is not slowing down.
fn still_falling(values: &[f64]) -> bool {
    let n = values.len();
    if n < 8 {
        return false;
    }
    let q = n / 4;
    let (a, b, c) = (values[n - 1 - 2 * q], values[n - 1 - q], values[n - 1]);
    let (earlier, later) = (a - b, b - c);
    later > 1e-6 * values[0].abs().max(1.0) && later >= 0.99 * earlier && c < values[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::{self, SolverOptions};
    use crate::train::NoObserver;

    fn gd(lr: f64) -> Method {
        Method::Rate {
            optimizer: Box::new(Sgd::new()),
            schedule: Box::new(Constant(lr)),
        }
    }

    fn run(spec: &str, method: Method, epochs: usize, from: Option<&[f64]>) -> Run {
        let f = Function::parse(spec, None).unwrap();
        let config = TrainConfig {
            max_epochs: epochs,
            ..TrainConfig::default()
        };
        descend(&f, method, config, f.start(from).unwrap(), &mut NoObserver).unwrap()
    }

    #[test]
    fn falling_and_levelling() {
        let linear: Vec<f64> = (0..100).map(|i| -(i as f64)).collect();
        assert!(still_falling(&linear));
        let settling: Vec<f64> = (0..100).map(|i| (-(i as f64) / 10.0).exp()).collect();
        assert!(!still_falling(&settling));
    }

    #[test]
    fn a_run_too_fast_diverges_at_its_step() {
        // gd at 0.1 on Rosenbrock from (-1.2, 1): the second step overflows the value.
        let r = run("rosenbrock", gd(0.1), 100, None);
        match r.end {
            End::Diverged { step, lr, .. } => assert_eq!((step, lr), (2, 0.1)),
            ref e => panic!("{e:?}"),
        }
        assert!(r.lost() && !r.converged() && !r.stopped_short());
        assert_eq!(r.stop_reason(), "diverged");
        assert!(r.answer().is_none());
        // The path holds the start, the finite step and where the diverging one went.
        assert_eq!((r.trace.finite_len(), r.trace.len()), (2, 3));
        assert_eq!(r.steps(), 2);
    }

    #[test]
    fn the_saddle_is_unbounded_below_not_lost() {
        // At its epoch limit, still falling.
        let r = run("saddle", gd(0.1), 200, None);
        assert!(r.unbounded_below && !r.converged() && !r.stopped_short());
        assert_eq!(r.stop_reason(), "max_epochs");
        // Run long enough, the value overflows to -inf: reported at the last finite step.
        let r = run("saddle", gd(0.1), 10_000, None);
        assert!(r.diverged() && r.unbounded_below && !r.lost());
        assert_eq!(r.stop_reason(), "unbounded_below");
        let a = r.answer().unwrap();
        assert!(a.value.is_finite() && a.value < -1e100, "{a:?}");
        assert_eq!(a.steps + 1, r.trace.finite_len());
        // A formula with no bottom is recognised by its fall.
        let r = run("x^2 - y^2", gd(0.1), 200, Some(&[1.0, 1e-3]));
        assert!(r.unbounded_below);
    }

    #[test]
    fn a_run_at_its_limit_on_a_bounded_function_stopped_short() {
        let r = run("rosenbrock", gd(0.001), 200, None);
        assert!(r.stopped_short() && !r.unbounded_below && !r.converged());
        let g = r.grad_fraction().unwrap();
        assert!(g > 1e-6 && g < 1.0, "{g}");
    }

    #[test]
    fn gd_at_each_functions_own_rate_converges_within_its_budget() {
        for f in crate::functions::ALL {
            let function = Function::named(*f);
            let d = function.gd_defaults().unwrap();
            let r = descend(
                &function,
                gd(d.lr),
                TrainConfig {
                    max_epochs: d.max_epochs,
                    ..TrainConfig::default()
                },
                f.start().to_vec(),
                &mut NoObserver,
            )
            .unwrap();
            // The saddle has no minimum to converge to.
            assert_eq!(
                r.converged(),
                !f.unbounded_below(),
                "{}: {:?}",
                f.name(),
                r.end
            );
            assert_eq!(r.unbounded_below, f.unbounded_below(), "{}", f.name());
        }
    }

    #[test]
    fn a_solver_converges_with_its_own_steps() {
        let newton = solver::by_name("newton", &SolverOptions::default()).unwrap();
        let r = run("rosenbrock", Method::Solver(newton), 100, None);
        assert!(r.converged(), "{:?}", r.end);
        assert_eq!(r.stop_reason(), "gradient_tolerance");
        let a = r.answer().unwrap();
        assert!(a.point.iter().all(|p| (p - 1.0).abs() < 1e-8), "{a:?}");
        assert_eq!(r.trace.len(), a.steps + 1);
    }
}

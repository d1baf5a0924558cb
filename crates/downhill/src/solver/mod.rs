//! Methods that choose their own step: drivers of a full-batch [`Objective`].
//!
//! First-order update rules ([`crate::optim`]) only see `(params, grad, lr)`. The methods here
//! evaluate the objective again to choose each step, so they sit beside the epoch loop, not
//! inside it: one iteration is one search direction, one line search and one move.
//!
//! - [`Steepest`]: gradient descent with a line search (`gd+armijo`, `gd+wolfe`);
//! - [`ConjugateGradient`]: nonlinear conjugate gradient, Polak-Ribière+ (`cg`) or
//!   Fletcher-Reeves (`cg-fr`);
//! - [`Lbfgs`]: limited-memory BFGS (`lbfgs`);
//! - [`Newton`]: damped Newton with a Levenberg shift (`newton`), which needs the
//!   [`Hessian`].
//!
//! The driver [`solve`] applies the stopping rules of [`TrainConfig`] (iterations count as
//! epochs), records one [`History`] row per iteration (the `lr` column holds the step `a`
//! chosen by the line search along the method's direction, 0 on the starting row), calls an
//! [`Observer`] after each, and returns a [`SolveReport`]: the training loop's [`Report`]
//! plus the number of evaluations.
//!
//! Only smooth objectives: an L1 penalty's proximal step is not applied.
//!
//! A model on data is a [`Problem`] in one of two ways:
//!
//! - `Problem::with_hessian(&FullBatch::new(&model), &second_order)`: the plain full-batch
//!   cost, as the training loop computes it, with the Hessian from a
//!   [`LinearSecondOrder`](crate::model::LinearSecondOrder) built on the same data;
//! - `Problem::second_order(&second_order)`: cost, gradient and Hessian all from the
//!   [`LinearSecondOrder`](crate::model::LinearSecondOrder), whose sums are compensated (the
//!   accurate choice on ill-conditioned data such as NIST's Longley).
//!
//! A run ends with [`SolveReport::stalled`] (stop reason [`StopReason::CostTolerance`]) when
//! no step lowers the cost any more: at a minimum to the precision of the cost and gradient,
//! typically when `gtol` asks for more than rounding allows.
//!
//! ```
//! use downhill::solver::{self, Problem, SolverOptions};
//! use downhill::train::{NoObserver, TrainConfig};
//! use downhill::Objective;
//!
//! /// f(x, y) = (x - 1)^2 + 10 (y + 2)^2
//! struct Bowl;
//! impl Objective for Bowl {
//!     fn dim(&self) -> usize { 2 }
//!     fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
//!         g[0] = 2.0 * (p[0] - 1.0);
//!         g[1] = 20.0 * (p[1] + 2.0);
//!         self.cost(p)
//!     }
//!     fn cost(&self, p: &[f64]) -> f64 { (p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2) }
//! }
//!
//! let mut lbfgs = solver::by_name("lbfgs", &SolverOptions::default()).unwrap();
//! let config = TrainConfig { gtol: 1e-10, ..TrainConfig::default() };
//! let out = lbfgs.minimize(Problem::new(&Bowl), vec![0.0, 0.0], &config, &mut NoObserver).unwrap();
//! assert!((out.report.params[0] - 1.0).abs() < 1e-9 && (out.report.params[1] + 2.0).abs() < 1e-9);
//! assert!(out.report.stop_reason.converged());
//! ```

mod auto;
mod cg;
mod lbfgs;
mod newton;
mod steepest;

pub use auto::{
    auto, newton_epochs, one_pass_epochs, AutoProblem, CORRECTIONS, HESSIAN_SPEEDUP,
    LBFGS_ITERATIONS, NEWTON_ITERATIONS, ONE_PASS_EXTRA, ONE_PASS_ITERATIONS, SMALL_FIT,
};
pub use cg::{Beta, ConjugateGradient};
pub use lbfgs::Lbfgs;
pub use newton::Newton;
pub use steepest::Steepest;

use crate::numeric::norm;
use crate::objective::Hessian;
use crate::search::{Backtracking, LineStep, SearchError, StrongWolfe};
use crate::train::{History, Observer, Report, StopReason, TrainConfig};
use crate::{Error, Objective, Result};
use std::fmt;
use std::time::Instant;

/// What a solver minimises: an objective and, for Newton, its Hessian.
#[derive(Clone, Copy)]
pub struct Problem<'a> {
    /// Cost and gradient.
    pub objective: &'a dyn Objective,
    /// Second derivatives of the same function, when available.
    pub hessian: Option<&'a dyn Hessian>,
}

impl fmt::Debug for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("dim", &self.objective.dim())
            .field("hessian", &self.hessian.is_some())
            .finish()
    }
}

impl<'a> Problem<'a> {
    /// An objective without second derivatives.
    pub fn new(objective: &'a dyn Objective) -> Self {
        Problem {
            objective,
            hessian: None,
        }
    }

    /// An objective and the Hessian of the same function, from two values (e.g. a
    /// [`FullBatch`](crate::objective::FullBatch) and the model's Hessian).
    pub fn with_hessian(objective: &'a dyn Objective, hessian: &'a dyn Hessian) -> Self {
        Problem {
            objective,
            hessian: Some(hessian),
        }
    }

    /// One value that computes both.
    pub fn second_order<T: Objective + Hessian>(f: &'a T) -> Self {
        Problem {
            objective: f,
            hessian: Some(f),
        }
    }
}

/// One iteration's input (the current point) and output buffers (the next point).
#[derive(Debug)]
pub struct Iterate<'a> {
    /// The iteration being computed, from 1.
    pub iteration: usize,
    /// The current parameters.
    pub x: &'a [f64],
    /// The cost at `x`.
    pub cost: f64,
    /// The gradient at `x`.
    pub grad: &'a [f64],
    /// Receives the next parameters.
    pub x_new: &'a mut [f64],
    /// Receives the gradient at `x_new`.
    pub grad_new: &'a mut [f64],
    /// The gradient norm at or below which the run stops (0: never by the gradient).
    pub gtol: f64,
    /// No iteration follows this one (the run's limit).
    pub last: bool,
}

/// What one iteration did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Moved to `x_new`, whose cost and gradient are in the [`Iterate`]'s buffers.
    Moved {
        /// The step along the direction, as chosen by the line search.
        step: f64,
        /// The cost at the new point.
        cost: f64,
        /// Objective evaluations spent.
        evaluations: usize,
        /// Hessian evaluations spent.
        hessians: usize,
    },
    /// No step along any direction the method tried lowered the cost: the point is a
    /// minimum to the precision of the cost and gradient, or the gradient is wrong.
    Stalled {
        /// Objective evaluations spent.
        evaluations: usize,
        /// Hessian evaluations spent.
        hessians: usize,
    },
    /// The cost kept falling as far as the line search looked
    /// ([`SearchError::Unbounded`]): the objective looks unbounded below.
    Unbounded {
        /// The longest step tried.
        step: f64,
        /// The cost there.
        cost: f64,
        /// Objective evaluations spent.
        evaluations: usize,
        /// Hessian evaluations spent.
        hessians: usize,
    },
}

/// A method that chooses its own steps. Its state (previous direction, curvature pairs,
/// buffers) is sized by [`Solver::init`]; [`Solver::iterate`] allocates nothing.
pub trait Solver: Send + fmt::Debug {
    /// The name users type (`--optimizer NAME`).
    fn name(&self) -> &'static str;

    /// Whether [`Problem::hessian`] is required.
    fn needs_hessian(&self) -> bool {
        false
    }

    /// Sizes the state for `dim` parameters and forgets earlier runs.
    fn init(&mut self, dim: usize);

    /// The start's cost, its gradient written into `grad`, after [`Solver::init`]; returns
    /// the cost and the Hessians computed with it. The default evaluates the objective
    /// (no Hessian); [`Newton`] takes the Hessian along where one pass gives both.
    fn start(&mut self, problem: &Problem<'_>, x: &[f64], grad: &mut [f64]) -> (f64, usize) {
        (problem.objective.cost_grad(x, grad), 0)
    }

    /// One iteration from `it.x`.
    fn iterate(&mut self, problem: &Problem<'_>, it: Iterate<'_>) -> Outcome;

    /// Minimises `problem` from `init`: [`solve`] with this solver.
    fn minimize(
        &mut self,
        problem: Problem<'_>,
        init: Vec<f64>,
        config: &TrainConfig,
        observer: &mut dyn Observer,
    ) -> Result<SolveReport> {
        solve(self, problem, init, config, observer)
    }
}

/// The outcome of [`solve`].
#[derive(Debug, Clone)]
pub struct SolveReport {
    /// Parameters, cost, gradient norm, iterations (as `epochs`), stop reason and history,
    /// as the training loop reports them.
    pub report: Report,
    /// Objective evaluations (cost and gradient), the starting point's included.
    pub evaluations: usize,
    /// Hessian evaluations.
    pub hessians: usize,
    /// The run ended because no step lowered the cost ([`Outcome::Stalled`]); the stop
    /// reason is then [`StopReason::CostTolerance`].
    pub stalled: bool,
}

/// Settings of the solvers made by [`by_name`].
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Curvature pairs kept by L-BFGS.
    pub history: usize,
    /// Conjugate gradient restarts with steepest descent every this many iterations;
    /// `None`: every `dim` iterations.
    pub restart: Option<usize>,
}

impl Default for SolverOptions {
    /// L-BFGS history 10, CG restart every `dim` iterations.
    fn default() -> Self {
        SolverOptions {
            history: 10,
            restart: None,
        }
    }
}

/// The solver named `name`:
///
/// | name | solver |
/// |---|---|
/// | `gd+armijo` | [`Steepest`] with [`Backtracking`] |
/// | `gd+wolfe` | [`Steepest`] with [`StrongWolfe`] (`c2 = 0.9`) |
/// | `cg` | [`ConjugateGradient`], Polak-Ribière+, [`StrongWolfe`] (`c2 = 0.1`) |
/// | `cg-fr` | [`ConjugateGradient`], Fletcher-Reeves |
/// | `lbfgs` | [`Lbfgs`] with `options.history` pairs, [`StrongWolfe`] (`c2 = 0.9`) |
/// | `newton` | [`Newton`] with [`Backtracking`] |
///
/// `None` for other names.
pub fn by_name(name: &str, options: &SolverOptions) -> Option<Box<dyn Solver>> {
    Some(match name {
        "gd+armijo" => Box::new(Steepest::new(Box::new(Backtracking::default()))),
        "gd+wolfe" => Box::new(Steepest::new(Box::new(StrongWolfe::quasi_newton()))),
        "cg" => Box::new(ConjugateGradient::new(Beta::PolakRibierePlus).restart(options.restart)),
        "cg-fr" => Box::new(ConjugateGradient::new(Beta::FletcherReeves).restart(options.restart)),
        "lbfgs" => Box::new(Lbfgs::new(options.history)),
        "newton" => Box::new(Newton::new()),
        _ => return None,
    })
}

/// Names accepted by [`by_name`].
pub const NAMES: &[&str] = &["gd+armijo", "gd+wolfe", "cg", "cg-fr", "lbfgs", "newton"];

/// Which of a cost and its gradient's norm is not finite, if either: the check every run
/// makes at its start, so that an overflow is never mistaken for a vanishing gradient.
pub(crate) fn non_finite(cost: f64, grad_norm: f64) -> Option<&'static str> {
    if !cost.is_finite() {
        Some("cost")
    } else if !grad_norm.is_finite() {
        Some("gradient")
    } else {
        None
    }
}

/// Advice appended to [`Error::Diverged`]'s message: the step came from a line search.
const DIVERGED_HINT: &str =
    " (the step was chosen by a line search: the objective may be unbounded below)";

/// Minimises `problem` with `solver` from `init`, calling `observer` after the starting point
/// and after every iteration.
///
/// Stopping rules, from `config` (the training loop's settings): `max_epochs` iterations;
/// gradient norm at most `max(gtol * |g0|, gtol_abs)`; with `tol`, the cost has not improved
/// on the best by more than `tol * |best|` for `n_iter_no_change` iterations; `time_limit`;
/// an observer's `Break` ([`StopReason::Interrupted`]); and a stall, when no step lowers the
/// cost ([`SolveReport::stalled`]). Mini-batches and held-out rows are the training loop's:
/// they are refused here.
///
/// # Errors
/// [`Error::Shape`] or [`Error::InvalidSetting`] for a bad start or setting, or a solver that
/// needs the Hessian without one; [`Error::NonFinite`] when the cost or gradient is not
/// finite at the start; [`Error::Diverged`] when the cost or the parameters stop being finite.
pub fn solve<S: Solver + ?Sized>(
    solver: &mut S,
    problem: Problem<'_>,
    init: Vec<f64>,
    config: &TrainConfig,
    observer: &mut dyn Observer,
) -> Result<SolveReport> {
    let dim = problem.objective.dim();
    check(solver, &problem, &init, config)?;
    let start = Instant::now();
    solver.init(dim);
    let mut x = init;
    let mut grad = vec![0.0; dim];
    let mut x_new = vec![0.0; dim];
    let mut grad_new = vec![0.0; dim];
    let mut history = History::new(if config.record_params { dim } else { 0 });

    let (mut cost, mut hessians) = solver.start(&problem, &x, &mut grad);
    let mut evaluations = 1;
    let mut grad_norm = norm(&grad);
    if let Some(what) = non_finite(cost, grad_norm) {
        return Err(Error::NonFinite { what });
    }
    let gtol = (config.gtol * grad_norm).max(config.gtol_abs);
    let mut patience = Patience::new(cost);

    let mut record = |history: &mut History, epoch, cost, grad_norm, lr, p: &[f64]| {
        history.record_epoch(config, observer, epoch, cost, grad_norm, lr, p)
    };

    let mut iteration = 0;
    let mut stalled = false;
    let mut stop = if record(&mut history, 0, cost, grad_norm, 0.0, &x).is_break() {
        Some(StopReason::Interrupted)
    } else if grad_norm <= gtol {
        Some(StopReason::GradientTolerance)
    } else {
        None
    };
    while stop.is_none() && iteration < config.max_epochs {
        let outcome = solver.iterate(
            &problem,
            Iterate {
                iteration: iteration + 1,
                x: &x,
                cost,
                grad: &grad,
                x_new: &mut x_new,
                grad_new: &mut grad_new,
                gtol,
                last: iteration + 1 >= config.max_epochs,
            },
        );
        let step = match outcome {
            Outcome::Stalled {
                evaluations: e,
                hessians: h,
            } => {
                evaluations += e;
                hessians += h;
                stalled = true;
                stop = Some(StopReason::CostTolerance);
                break;
            }
            Outcome::Unbounded { step, cost, .. } => {
                return Err(Error::Diverged {
                    epoch: iteration + 1,
                    cost,
                    lr: step,
                    hint: DIVERGED_HINT,
                });
            }
            Outcome::Moved {
                step,
                cost: c,
                evaluations: e,
                hessians: h,
            } => {
                evaluations += e;
                hessians += h;
                cost = c;
                step
            }
        };
        iteration += 1;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut grad, &mut grad_new);
        grad_norm = norm(&grad);
        if !cost.is_finite() || !grad_norm.is_finite() || x.iter().any(|p| !p.is_finite()) {
            return Err(Error::Diverged {
                epoch: iteration,
                cost,
                lr: step,
                hint: DIVERGED_HINT,
            });
        }
        let interrupted = record(&mut history, iteration, cost, grad_norm, step, &x).is_break();
        stop = if interrupted {
            Some(StopReason::Interrupted)
        } else if grad_norm <= gtol {
            Some(StopReason::GradientTolerance)
        } else if patience.out(config, cost) {
            Some(StopReason::CostTolerance)
        } else if config.time_limit.is_some_and(|t| start.elapsed() >= t) {
            Some(StopReason::TimeLimit)
        } else {
            None
        };
    }
    Ok(SolveReport {
        report: Report {
            params: x,
            cost,
            grad_norm,
            validation_cost: None,
            epochs: iteration,
            stop_reason: stop.unwrap_or(StopReason::MaxEpochs),
            history,
            elapsed: start.elapsed(),
            evaluations,
        },
        evaluations,
        hessians,
        stalled,
    })
}

/// Refuses what the driver cannot do before any evaluation.
fn check<S: Solver + ?Sized>(
    solver: &S,
    problem: &Problem<'_>,
    init: &[f64],
    config: &TrainConfig,
) -> Result<()> {
    let dim = problem.objective.dim();
    if init.len() != dim {
        return Err(Error::Shape {
            what: "initial parameters",
            expected: dim,
            got: init.len(),
        });
    }
    if let Some(i) = init.iter().position(|v| !v.is_finite()) {
        return Err(Error::setting(
            "initial parameters",
            format!("value {} is not finite", i + 1),
        ));
    }
    if solver.needs_hessian() && problem.hessian.is_none() {
        return Err(Error::setting(
            "optimizer",
            format!(
                "{} needs the Hessian, which this problem does not provide",
                solver.name()
            ),
        ));
    }
    if config.batch_size.is_some() {
        return Err(Error::setting(
            "batch size",
            format!(
                "{} evaluates the full batch: leave the batch size unset",
                solver.name()
            ),
        ));
    }
    if config.validation_rows > 0 {
        return Err(Error::setting(
            "validation fraction",
            format!("{} does not hold rows out: leave it unset", solver.name()),
        ));
    }
    for (name, v) in [("gtol", config.gtol), ("gtol_abs", config.gtol_abs)] {
        if !(v >= 0.0) {
            return Err(Error::setting(name, format!("{v} must be at least 0")));
        }
    }
    if let Some(t) = config.tol {
        if !(t >= 0.0) {
            return Err(Error::setting("tol", format!("{t} must be at least 0")));
        }
    }
    Ok(())
}

/// The `tol` rule: the cost has not improved on the best by more than `tol * |best|` for
/// `n_iter_no_change` iterations in a row (as the training loop counts it).
struct Patience {
    best: f64,
    stale: usize,
}

impl Patience {
    fn new(cost: f64) -> Self {
        Patience {
            best: cost,
            stale: 0,
        }
    }

    fn out(&mut self, config: &TrainConfig, cost: f64) -> bool {
        let Some(tol) = config.tol else {
            return false;
        };
        if cost < self.best - tol * self.best.abs() {
            self.stale = 0;
        } else {
            self.stale += 1;
        }
        self.best = self.best.min(cost);
        self.stale >= config.n_iter_no_change
    }
}

/// The outcome of a line search that gave up, after `spent` other evaluations and `hessians`
/// Hessian evaluations in the same iteration.
fn gave_up(e: SearchError, spent: usize, hessians: usize) -> Outcome {
    match e {
        SearchError::Unbounded {
            step,
            cost,
            evaluations,
        } => Outcome::Unbounded {
            step,
            cost,
            evaluations: spent + evaluations,
            hessians,
        },
        e => Outcome::Stalled {
            evaluations: spent + e.evaluations(),
            hessians,
        },
    }
}

/// The outcome of an accepted step.
fn moved(s: &LineStep, spent: usize, hessians: usize) -> Outcome {
    Outcome::Moved {
        step: s.step,
        cost: s.cost,
        evaluations: spent + s.evaluations,
        hessians,
    }
}

/// `dir = -grad`.
fn steepest_direction(grad: &[f64], dir: &mut [f64]) {
    for (d, g) in dir.iter_mut().zip(grad) {
        *d = -g;
    }
}

/// A first trial step that moves the parameters by a distance of about 1 along `-grad` (or
/// less when the gradient is small): used when nothing better is known.
fn first_step(grad_norm: f64) -> f64 {
    if grad_norm > 1.0 {
        1.0 / grad_norm
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EpochInfo, NoObserver};
    use std::ops::ControlFlow;

    /// f(x) = sum_i (i + 1) (x_i - 1)^2.
    struct Bowl(usize);

    impl Objective for Bowl {
        fn dim(&self) -> usize {
            self.0
        }
        fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
            for (i, (gi, pi)) in g.iter_mut().zip(p).enumerate() {
                *gi = 2.0 * (i + 1) as f64 * (pi - 1.0);
            }
            self.cost(p)
        }
        fn cost(&self, p: &[f64]) -> f64 {
            p.iter()
                .enumerate()
                .map(|(i, pi)| (i + 1) as f64 * (pi - 1.0).powi(2))
                .sum()
        }
    }

    impl Hessian for Bowl {
        fn hessian(&self, _p: &[f64], out: &mut [f64]) {
            out.fill(0.0);
            for i in 0..self.0 {
                out[i * self.0 + i] = 2.0 * (i + 1) as f64;
            }
        }
    }

    /// f(x) = -x: unbounded below.
    struct Slope;

    impl Objective for Slope {
        fn dim(&self) -> usize {
            1
        }
        fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
            g[0] = -1.0;
            -p[0]
        }
        fn cost(&self, p: &[f64]) -> f64 {
            -p[0]
        }
    }

    fn config() -> TrainConfig {
        TrainConfig {
            gtol: 1e-12,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn every_solver_minimises_a_bowl_and_keeps_one_record_per_iteration() {
        for name in NAMES {
            let mut s = by_name(name, &SolverOptions::default()).unwrap();
            assert_eq!(s.name(), *name);
            let out = s
                .minimize(
                    Problem::second_order(&Bowl(4)),
                    vec![0.0; 4],
                    &config(),
                    &mut NoObserver,
                )
                .unwrap();
            let r = &out.report;
            assert_eq!(r.stop_reason, StopReason::GradientTolerance, "{name}");
            assert!(
                r.params.iter().all(|p| (p - 1.0).abs() < 1e-10),
                "{name}: {:?}",
                r.params
            );
            assert_eq!(r.history.len(), r.epochs + 1);
            assert_eq!(r.history.records()[r.epochs].cost, r.cost);
            assert_eq!(r.history.params(r.epochs), Some(&r.params[..]));
            assert!(out.evaluations > r.epochs && !out.stalled);
            assert_eq!(out.hessians > 0, *name == "newton");
            // Costs never go up along a run of line searches.
            let costs: Vec<f64> = r.history.records().iter().map(|e| e.cost).collect();
            assert!(costs.windows(2).all(|w| w[1] <= w[0]), "{name}: {costs:?}");
        }
        assert!(by_name("adam", &SolverOptions::default()).is_none());
    }

    #[test]
    fn newton_without_hessian_and_bad_starts_are_refused() {
        let mut newton = Newton::new();
        let e = newton.minimize(
            Problem::new(&Bowl(2)),
            vec![0.0; 2],
            &config(),
            &mut NoObserver,
        );
        assert!(matches!(
            e,
            Err(Error::InvalidSetting {
                setting: "optimizer",
                ..
            })
        ));
        let mut cg = ConjugateGradient::new(Beta::PolakRibierePlus);
        let e = cg.minimize(
            Problem::new(&Bowl(2)),
            vec![0.0; 3],
            &config(),
            &mut NoObserver,
        );
        assert!(matches!(
            e,
            Err(Error::Shape {
                expected: 2,
                got: 3,
                ..
            })
        ));
        let batch = TrainConfig {
            batch_size: Some(1),
            ..config()
        };
        let e = cg.minimize(
            Problem::new(&Bowl(2)),
            vec![0.0; 2],
            &batch,
            &mut NoObserver,
        );
        assert!(matches!(
            e,
            Err(Error::InvalidSetting {
                setting: "batch size",
                ..
            })
        ));
    }

    #[test]
    fn observer_can_interrupt_and_max_epochs_stops() {
        let mut seen = 0;
        let mut stop_after_two = |info: &EpochInfo<'_>| {
            seen += 1;
            if info.epoch == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut s = Steepest::new(Box::new(Backtracking::default()));
        let out = s
            .minimize(
                Problem::new(&Bowl(6)),
                vec![0.0; 6],
                &config(),
                &mut stop_after_two,
            )
            .unwrap();
        assert_eq!(out.report.stop_reason, StopReason::Interrupted);
        assert_eq!((out.report.epochs, seen), (2, 3));
        let few = TrainConfig {
            max_epochs: 3,
            ..config()
        };
        let out = s
            .minimize(Problem::new(&Bowl(6)), vec![0.0; 6], &few, &mut NoObserver)
            .unwrap();
        assert_eq!(out.report.stop_reason, StopReason::MaxEpochs);
        assert_eq!(out.report.epochs, 3);
        // The step taken is recorded as the learning rate.
        assert!(out.report.history.records()[1..].iter().all(|e| e.lr > 0.0));
        assert_eq!(out.report.history.records()[0].lr, 0.0);
    }

    #[test]
    fn unbounded_objective_diverges_with_an_error() {
        let mut s = Lbfgs::new(5);
        let e = s.minimize(Problem::new(&Slope), vec![0.0], &config(), &mut NoObserver);
        assert!(
            matches!(
                e,
                Err(Error::Diverged {
                    hint: DIVERGED_HINT,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn tol_stops_on_a_stale_cost() {
        let cfg = TrainConfig {
            gtol: 0.0,
            tol: Some(1e-3),
            n_iter_no_change: 2,
            ..TrainConfig::default()
        };
        let mut s = Steepest::new(Box::new(Backtracking::default()));
        let out = s
            .minimize(Problem::new(&Bowl(3)), vec![0.0; 3], &cfg, &mut NoObserver)
            .unwrap();
        assert_eq!(out.report.stop_reason, StopReason::CostTolerance);
        assert!(!out.stalled);
    }
}

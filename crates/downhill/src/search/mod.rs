//! Line searches: given a point, its cost and gradient, and a descent direction `d`, choose a
//! step `a > 0` along `d` by evaluating the objective again.
//!
//! First-order update rules only ever see `(params, grad, lr)`; methods that choose their own
//! step (steepest descent with a line search, conjugate gradient, L-BFGS, Newton) need these
//! extra evaluations, so they drive a full-batch [`Objective`] (see [`crate::solver`]).
//!
//! Two searches, one per file:
//!
//! - [`Backtracking`]: start from a trial step, halve it until the Armijo (sufficient
//!   decrease) condition holds: `f(x + a d) <= f(x) + c1 a g.d`;
//! - [`StrongWolfe`]: bracketing and zoom (Nocedal & Wright, *Numerical Optimization*,
//!   algorithms 3.5 and 3.6) with safeguarded cubic interpolation, until the strong Wolfe
//!   conditions hold: sufficient decrease and `|g(x + a d).d| <= c2 |g.d|`.
//!
//! Every trial evaluates cost and gradient together ([`Objective::cost_grad`]) into the
//! caller's buffers, so the accepted point's cost and gradient come with the step, without an
//! extra pass. The searches allocate nothing.
//!
//! **Flat costs.** Near a minimum the cost stops changing in floating point long before the
//! gradient does, so a sufficient-decrease test on costs fails on steps that are in fact good.
//! With `flat_tol > 0`, a trial whose cost is within `flat_tol * |f(x)|` of `f(x)` is judged
//! on its slope instead (Hager & Zhang's *approximate Wolfe* conditions, 2005): it passes
//! when `g(x + a d).d <= (1 - 2 c1) |g.d|`, which is sufficient decrease on a quadratic. Such
//! a step is flagged [`LineStep::approximate`].

mod backtracking;
mod wolfe;

pub use backtracking::Backtracking;
pub use wolfe::StrongWolfe;

use crate::numeric::dot;
use crate::Objective;
use std::fmt;

/// Default relative cost band within which a cost counts as flat (see the module docs).
/// Costs of data problems carry rounding errors around `1e-13` relative; this is well above.
pub const FLAT_TOL: f64 = 1e-10;

/// Where a line search starts: a point, its cost and its gradient.
#[derive(Debug, Clone, Copy)]
pub struct Point<'a> {
    /// The parameters.
    pub x: &'a [f64],
    /// The cost at `x`.
    pub cost: f64,
    /// The gradient at `x`.
    pub grad: &'a [f64],
}

/// An accepted step. The new point `x + step * dir` and its gradient are in the buffers the
/// caller passed to [`LineSearch::search`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineStep {
    /// The step `a` along the direction.
    pub step: f64,
    /// The cost at the new point.
    pub cost: f64,
    /// The directional derivative `g(x + a d).d` at the new point.
    pub slope: f64,
    /// Objective evaluations spent, the accepted one included.
    pub evaluations: usize,
    /// Accepted by the approximate (slope-based) test on a flat cost, not by the exact
    /// sufficient-decrease test.
    pub approximate: bool,
}

/// Why no step was accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchError {
    /// The direction does not point downhill: `g.d >= 0` (or is not finite).
    NotDescent {
        /// `g.d`.
        slope: f64,
    },
    /// No step satisfied the conditions within the evaluation budget, or the trial steps
    /// shrank below what moves the parameters in floating point.
    NoStep {
        /// Objective evaluations spent.
        evaluations: usize,
    },
    /// The cost was still falling steeply at the longest step tried: the objective looks
    /// unbounded below along the direction.
    Unbounded {
        /// The longest step tried.
        step: f64,
        /// The cost there.
        cost: f64,
        /// Objective evaluations spent.
        evaluations: usize,
    },
}

impl SearchError {
    /// Objective evaluations spent before giving up.
    pub fn evaluations(&self) -> usize {
        match self {
            SearchError::NotDescent { .. } => 0,
            SearchError::NoStep { evaluations } | SearchError::Unbounded { evaluations, .. } => {
                *evaluations
            }
        }
    }
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchError::NotDescent { slope } => {
                write!(f, "not a descent direction (slope {slope:e})")
            }
            SearchError::NoStep { evaluations } => {
                write!(f, "no acceptable step after {evaluations} evaluations")
            }
            SearchError::Unbounded { step, cost, .. } => {
                write!(
                    f,
                    "the cost is still falling at step {step:e} (cost {cost:e})"
                )
            }
        }
    }
}

impl std::error::Error for SearchError {}

/// A rule that chooses a step along a descent direction.
pub trait LineSearch: Send + fmt::Debug {
    /// The name users type (`--line-search NAME`).
    fn name(&self) -> &'static str;

    /// Searches along `dir` from `from`, starting with the trial step `step` (replaced by 1
    /// when it is not a positive finite number).
    ///
    /// On success `x` holds `from.x + a * dir` and `grad` the gradient there, both from the
    /// last evaluation; on failure their content is unspecified.
    ///
    /// # Panics
    /// When `dir`, `x`, `grad` and `from.grad` are not as long as `from.x` (a programming
    /// error: solvers size them from the objective).
    fn search(
        &mut self,
        objective: &dyn Objective,
        from: Point<'_>,
        dir: &[f64],
        step: f64,
        x: &mut [f64],
        grad: &mut [f64],
    ) -> Result<LineStep, SearchError>;
}

/// The line search named `name`: `armijo` ([`Backtracking`]) or `wolfe` ([`StrongWolfe`] with
/// the quasi-Newton constant `c2 = 0.9`), with default settings.
pub fn by_name(name: &str) -> Option<Box<dyn LineSearch>> {
    match name {
        "armijo" | "backtracking" => Some(Box::new(Backtracking::default())),
        "wolfe" | "strong-wolfe" => Some(Box::new(StrongWolfe::default())),
        _ => None,
    }
}

/// Names accepted by [`by_name`] (the first of each pair of aliases).
pub const NAMES: &[&str] = &["armijo", "wolfe"];

/// What both searches need about the start and the direction.
#[derive(Debug, Clone, Copy)]
struct Line {
    f0: f64,
    s0: f64,
    c1: f64,
    flat_tol: f64,
}

/// One trial: step, cost, slope.
#[derive(Debug, Clone, Copy)]
struct Sample {
    a: f64,
    f: f64,
    s: f64,
}

impl Line {
    fn new(from: &Point<'_>, dir: &[f64], c1: f64, flat_tol: f64) -> Result<Self, SearchError> {
        let n = from.x.len();
        assert!(
            dir.len() == n && from.grad.len() == n,
            "direction and gradient must have one value per parameter"
        );
        let s0 = dot(from.grad, dir);
        if !(s0 < 0.0) || !s0.is_finite() || !from.cost.is_finite() {
            return Err(SearchError::NotDescent { slope: s0 });
        }
        Ok(Line {
            f0: from.cost,
            s0,
            c1,
            flat_tol,
        })
    }

    /// Exact sufficient decrease (Armijo).
    fn armijo(&self, t: &Sample) -> bool {
        t.f <= self.f0 + self.c1 * t.a * self.s0
    }

    /// Within rounding of the starting cost.
    fn flat(&self, f: f64) -> bool {
        (f - self.f0).abs() <= self.flat_tol * self.f0.abs()
    }

    /// Sufficient decrease, exact or (on a flat cost) approximate.
    fn decrease(&self, t: &Sample) -> bool {
        t.f.is_finite()
            && t.s.is_finite()
            && (self.armijo(t) || (self.flat(t.f) && t.s <= (1.0 - 2.0 * self.c1) * -self.s0))
    }

    /// `t` is higher than `u`, unless both are flat, where cost differences are noise.
    fn higher(&self, t: &Sample, u: &Sample) -> bool {
        !(self.flat(t.f) && self.flat(u.f)) && t.f >= u.f
    }

    fn accept(&self, t: &Sample, evaluations: usize) -> LineStep {
        LineStep {
            step: t.a,
            cost: t.f,
            slope: t.s,
            evaluations,
            approximate: !self.armijo(t),
        }
    }
}

/// Evaluations along one line: trial `a` writes `from.x + a * dir` into `x`, its gradient
/// into `grad`, and counts itself.
struct Ray<'r, 'p> {
    objective: &'r dyn Objective,
    from: &'r Point<'p>,
    dir: &'r [f64],
    x: &'r mut [f64],
    grad: &'r mut [f64],
    evaluations: usize,
}

impl<'r, 'p> Ray<'r, 'p> {
    fn new(
        objective: &'r dyn Objective,
        from: &'r Point<'p>,
        dir: &'r [f64],
        x: &'r mut [f64],
        grad: &'r mut [f64],
    ) -> Self {
        assert!(
            x.len() == from.x.len() && grad.len() == from.x.len(),
            "output buffers must have one value per parameter"
        );
        Ray {
            objective,
            from,
            dir,
            x,
            grad,
            evaluations: 0,
        }
    }

    fn at(&mut self, step: f64) -> Sample {
        for ((xi, x0), d) in self.x.iter_mut().zip(self.from.x).zip(self.dir) {
            *xi = x0 + step * d;
        }
        self.evaluations += 1;
        let f = self.objective.cost_grad(self.x, self.grad);
        Sample {
            a: step,
            f,
            s: dot(self.grad, self.dir),
        }
    }

    /// The last trial did not move any parameter: shorter steps cannot do better.
    fn stuck(&self) -> bool {
        self.x.iter().zip(self.from.x).all(|(a, b)| a == b)
    }
}

/// A usable initial trial step.
fn initial_step(step: f64) -> f64 {
    if step > 0.0 && step.is_finite() {
        step
    } else {
        1.0
    }
}

/// Checks `0 < c1 < 1`.
fn check_c1(c1: f64) -> crate::Result<()> {
    if !(c1 > 0.0 && c1 < 1.0) {
        return Err(crate::Error::setting(
            "line search c1",
            format!("{c1} is not strictly between 0 and 1"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x) = sum x_i^2 / 2.
    struct Bowl;

    impl Objective for Bowl {
        fn dim(&self) -> usize {
            2
        }
        fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
            g.copy_from_slice(p);
            0.5 * dot(p, p)
        }
        fn cost(&self, p: &[f64]) -> f64 {
            0.5 * dot(p, p)
        }
    }

    #[test]
    fn ascent_direction_is_refused_by_both() {
        let x = [1.0, 1.0];
        let from = Point {
            x: &x,
            cost: 1.0,
            grad: &x,
        };
        let (mut xn, mut gn) = ([0.0; 2], [0.0; 2]);
        for name in NAMES {
            let mut ls = by_name(name).unwrap();
            let r = ls.search(&Bowl, from, &[1.0, 0.0], 1.0, &mut xn, &mut gn);
            assert!(matches!(r, Err(SearchError::NotDescent { slope }) if slope == 1.0));
        }
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn flat_cost_is_judged_on_the_slope() {
        let line = Line {
            f0: 1e6,
            s0: -1e-3,
            c1: 1e-4,
            flat_tol: FLAT_TOL,
        };
        // Cost up by rounding noise, slope near zero: accepted approximately.
        let t = Sample {
            a: 1.0,
            f: 1e6 + 1e-9,
            s: 1e-6,
        };
        assert!(!line.armijo(&t) && line.decrease(&t));
        // The same with a slope still as steep as at the start: the step overshot.
        let t = Sample { s: 1e-3, ..t };
        assert!(!line.decrease(&t));
        // A real increase is never flat.
        let t = Sample {
            f: 1e6 + 1.0,
            s: 0.0,
            ..t
        };
        assert!(!line.decrease(&t));
    }
}

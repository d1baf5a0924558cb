//! What "auto" runs: the most accurate method the problem allows, chosen once for every front
//! door (the CLI's `--optimizer auto`, and any other that offers it), unless it costs too
//! much more than L-BFGS.
//!
//! ## The cost rule between Newton and L-BFGS
//!
//! Count work in *epochs*: one full-batch cost and gradient, `n p` multiply-adds for `n` rows
//! and `p` parameters. An L-BFGS iteration costs about one epoch. A Newton iteration costs
//! one epoch for its step, one for each correction after a full step
//! ([`Newton::DEFAULT_REFINE`], 2: iterations near the minimum take them all), plus the
//! Hessian's sums, `n p^2 / 2` multiply-adds, which the blocked kernel runs
//! [`HESSIAN_SPEEDUP`] times faster per multiply-add than an epoch's, plus a Cholesky
//! factorisation, `p^3 / 3` multiply-adds:
//!
//! `newton_epochs(p, n) = 1 + CORRECTIONS + (p / 2 + p^2 / (3 n)) / HESSIAN_SPEEDUP`
//!
//! (`examples/newton_cost.rs`, logistic regression on 1,000,000 x 20 with 21 parameters, 2
//! threads: the rule gives 5.3 epochs; a Newton iteration of the fit took 75.9 ms, 6.3
//! epochs of 12.0 ms, its first evaluation and the solves included.)
//!
//! Where the Hessian comes with the cost in one pass ([`AutoProblem::one_pass`]: a linear
//! model whose loss is not quadratic, up to 20 features), an iteration is that pass alone:
//! the Hessian's sums and a quarter of an epoch for the loss and gradient besides, one epoch
//! at least ([`one_pass_epochs`]; `newton_cost` on 1,000,000 x 20: the pass 7.3-9.3 ms, the
//! Hessian 6.1-7.7, an epoch 4.2-5.4). It makes no corrections, and so takes about
//! [`ONE_PASS_ITERATIONS`] iterations.
//!
//! Newton needs about [`NEWTON_ITERATIONS`] iterations where L-BFGS needs about
//! [`LBFGS_ITERATIONS`] to the same tolerance (one for a quadratic loss, whose Newton step
//! lands on the minimum). `auto` picks Newton when
//! `newton_iterations * newton_epochs(p, n) <= LBFGS_ITERATIONS`, or when a Newton fit is
//! cheap whatever the ratio (`n p^2 <= SMALL_FIT`: milliseconds, and Newton's accuracy is
//! the point). An unknown row count counts as many rows (the Cholesky term vanishes).

use super::Newton;

/// How many times faster the Hessian's sums run per multiply-add than an epoch's kernel
/// (`examples/newton_cost.rs` on logistic regression, 1,000,000 x 20: the Hessian of 21
/// parameters, 231 multiply-adds a row, took 2.4 epochs of 21 multiply-adds a row on one
/// thread and 2.1 on two, ratios of 4.4 and 5.0).
pub const HESSIAN_SPEEDUP: f64 = 4.5;

/// Evaluations of a Newton iteration besides its step's: the corrections after a full step
/// ([`Newton::DEFAULT_REFINE`]).
pub const CORRECTIONS: f64 = Newton::DEFAULT_REFINE as f64;

/// Newton iterations of a typical fit of a non-quadratic loss (logistic regression from the
/// estimators' start takes 2 to 8 to `gtol = 1e-10`; an estimate, not a bound).
pub const NEWTON_ITERATIONS: f64 = 6.0;

/// Newton iterations of the same fits where each Hessian comes with its step's cost
/// ([`AutoProblem::one_pass`]): one Newton step an iteration where the corrections made a
/// step and two chord steps (4 against 2 on `newton_cost`'s data).
pub const ONE_PASS_ITERATIONS: f64 = 2.0 * NEWTON_ITERATIONS;

/// The loss and gradient's share of a pass that sums them with the Hessian, in epochs.
pub const ONE_PASS_EXTRA: f64 = 0.25;

/// L-BFGS iterations of the same fits: 8 on `newton_cost`'s well-conditioned data, many
/// more on ill-conditioned data (an estimate, on the side of L-BFGS at this size).
pub const LBFGS_ITERATIONS: f64 = 60.0;

/// `n p^2` below which a Newton fit is cheap enough to run whatever L-BFGS would cost.
pub const SMALL_FIT: f64 = 1e8;

/// The cost of a Newton iteration in epochs (see the module's rule), for `params` parameters
/// and `rows` rows (`None`: many).
pub fn newton_epochs(params: usize, rows: Option<usize>) -> f64 {
    let p = params as f64;
    let cholesky = rows.map_or(0.0, |n| p * p / (3.0 * n.max(1) as f64));
    1.0 + CORRECTIONS + (p / 2.0 + cholesky) / HESSIAN_SPEEDUP
}

/// The cost in epochs of a Newton iteration that reads the data once
/// ([`AutoProblem::one_pass`]): the Hessian's sums, its Cholesky factorisation and
/// [`ONE_PASS_EXTRA`], and at least the one epoch that reading the data takes.
pub fn one_pass_epochs(params: usize, rows: Option<usize>) -> f64 {
    (newton_epochs(params, rows) - 1.0 - CORRECTIONS + ONE_PASS_EXTRA).max(1.0)
}

/// The problem as `auto` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoProblem {
    /// Mini-batches were asked for (only first-order methods take them).
    pub mini_batches: bool,
    /// The model provides exact second derivatives that are not zero almost everywhere
    /// (squared, Huber and log losses; not absolute, epsilon-insensitive or hinge).
    pub exact_hessian: bool,
    /// The loss is quadratic in the parameters (least squares): one Newton step solves it.
    pub quadratic: bool,
    /// Newton gets the Hessian with the cost in one pass (a linear model whose loss is not
    /// quadratic, up to 20 features, on a CPU with AVX2 and FMA): an iteration reads the data
    /// once and makes no corrections.
    pub one_pass: bool,
    /// The number of parameters.
    pub params: usize,
    /// The number of rows, when known.
    pub rows: Option<usize>,
    /// The penalty has an L1 part, which only first-order methods apply (by a proximal step).
    pub l1: bool,
    /// Only first-order methods can run (e.g. a fit streamed from disk, which reads the data
    /// once per step and has no line searches).
    pub first_order_only: bool,
}

/// The method `auto` picks for `problem`, by its name in [`by_name`](super::by_name) or
/// [`crate::optim::build`], and the reason, said to the user:
/// - mini-batches: `adam` (a first-order method; it adapts its step per parameter);
/// - first-order methods only (a streamed fit): `gd`;
/// - an L1 penalty: `gd`, whose proximal step applies it exactly;
/// - an exact Hessian and a Newton fit no dearer than L-BFGS's by the module's cost rule:
///   `newton`, which on NIST's ill-conditioned polynomials keeps 8 to 10 digits where
///   L-BFGS stops at about 6;
/// - otherwise `lbfgs`.
pub fn auto(problem: AutoProblem) -> (&'static str, String) {
    if problem.mini_batches {
        return (
            "adam",
            "mini-batches need a first-order method; adam adapts its step per parameter".into(),
        );
    }
    if problem.first_order_only {
        return (
            "gd",
            "only first-order methods run here; gd's rate works in the standardised coordinates"
                .into(),
        );
    }
    if problem.l1 {
        return (
            "gd",
            "an L1 penalty: proximal gradient descent applies it exactly (the solvers that choose \
             their own steps need a smooth objective)"
                .into(),
        );
    }
    if !problem.exact_hessian {
        return (
            "lbfgs",
            "full batch without exact second derivatives: it chooses its own steps, no \
             learning rate needed"
                .into(),
        );
    }
    let p = problem.params;
    let (per_iteration, iterations) = if problem.quadratic {
        (newton_epochs(p, problem.rows), 1.0)
    } else if problem.one_pass {
        (one_pass_epochs(p, problem.rows), ONE_PASS_ITERATIONS)
    } else {
        (newton_epochs(p, problem.rows), NEWTON_ITERATIONS)
    };
    let newton = iterations * per_iteration;
    let small = problem
        .rows
        .is_some_and(|n| n as f64 * (p * p) as f64 <= SMALL_FIT);
    let s = if p == 1 { "" } else { "s" };
    if small || newton <= LBFGS_ITERATIONS {
        (
            "newton",
            format!(
                "full batch, {p} parameter{s} and exact second derivatives: the most accurate \
                 method, a few steps of about {per_iteration:.1} epochs each"
            ),
        )
    } else {
        (
            "lbfgs",
            format!(
                "full batch, {p} parameters: a Newton step would cost about {per_iteration:.0} \
                 epochs, more than the L-BFGS steps it saves"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(mini_batches: bool, exact_hessian: bool, params: usize) -> AutoProblem {
        AutoProblem {
            mini_batches,
            exact_hessian,
            quadratic: false,
            one_pass: false,
            params,
            rows: None,
            l1: false,
            first_order_only: false,
        }
    }

    /// The largest parameter count for which `auto` picks Newton on `rows` rows.
    fn newton_up_to(quadratic: bool, rows: Option<usize>) -> usize {
        (1..100_000)
            .take_while(|&params| {
                let problem = AutoProblem {
                    quadratic,
                    rows,
                    ..p(false, true, params)
                };
                auto(problem).0 == "newton"
            })
            .last()
            .unwrap_or(0)
    }

    #[test]
    fn picks_by_batching_curvature_and_size() {
        assert_eq!(auto(p(true, true, 4)).0, "adam");
        assert_eq!(auto(p(false, true, 4)).0, "newton");
        assert_eq!(auto(p(false, false, 4)).0, "lbfgs");
        assert!(auto(p(false, true, 4)).1.contains("4 parameters"));
        let l1 = AutoProblem {
            l1: true,
            ..p(false, true, 4)
        };
        assert_eq!(auto(l1).0, "gd");
        let streamed = AutoProblem {
            first_order_only: true,
            ..p(false, true, 4)
        };
        assert_eq!(auto(streamed).0, "gd");
    }

    #[test]
    fn the_cost_rule_decides_between_newton_and_lbfgs() {
        // The break-even of the rule, solved by hand: a Newton iteration may cost
        // LBFGS_ITERATIONS / NEWTON_ITERATIONS epochs, so p / 2 / HESSIAN_SPEEDUP may be
        // that less the step's and the corrections' epochs (many rows).
        let budget = LBFGS_ITERATIONS / NEWTON_ITERATIONS - 1.0 - CORRECTIONS;
        let limit = (2.0 * HESSIAN_SPEEDUP * budget).floor() as usize;
        assert_eq!(newton_up_to(false, None), limit);
        let big = Some(10_000_000);
        // Many rows: the Cholesky term only nudges the break-even (here by one, the limit
        // itself being the exact equality).
        let with_rows = newton_up_to(false, big);
        assert!(
            with_rows == limit || with_rows + 1 == limit,
            "{with_rows} {limit}"
        );
        assert_eq!(
            auto(AutoProblem {
                rows: big,
                ..p(false, true, 21)
            })
            .0,
            "newton"
        );
        let wide = auto(AutoProblem {
            rows: big,
            ..p(false, true, limit + 1)
        });
        assert_eq!(wide.0, "lbfgs");
        assert!(wide.1.contains("epochs"), "{}", wide.1);
        // Few rows: the Cholesky term counts, but the whole fit is small.
        assert_eq!(
            auto(AutoProblem {
                rows: Some(100),
                ..p(false, true, 500)
            })
            .0,
            "newton"
        );
        // Few rows and many parameters: p^3 / 3 dominates and the fit is not small.
        assert_eq!(
            auto(AutoProblem {
                rows: Some(1000),
                ..p(false, true, 2000)
            })
            .0,
            "lbfgs"
        );
        // Least squares: one Newton iteration, so far wider problems.
        assert!(newton_up_to(true, None) > 5 * limit);
        assert!((newton_epochs(21, None) - (3.0 + 10.5 / HESSIAN_SPEEDUP)).abs() < 1e-12);
        // 21 parameters: the rule's cost of an iteration (newton_cost measured 6.3 epochs).
        assert!((newton_epochs(21, Some(1_000_000)) - 5.33).abs() < 0.01);
    }

    #[test]
    fn an_iteration_in_one_pass_costs_the_hessian_and_a_quarter_epoch() {
        // 21 parameters: 10.5 / 4.5 + 0.25 epochs an iteration, twice the iterations: Newton,
        // and the note says what a step costs.
        assert!((one_pass_epochs(21, None) - (0.25 + 10.5 / HESSIAN_SPEEDUP)).abs() < 1e-12);
        // A few parameters: the pass still reads the data once.
        assert_eq!(one_pass_epochs(4, Some(5000)), 1.0);
        let (name, why) = auto(AutoProblem {
            one_pass: true,
            rows: Some(10_000_000),
            ..p(false, true, 21)
        });
        assert_eq!(name, "newton");
        assert!(why.contains("about 2.6 epochs each"), "{why}");
        let (_, corrected) = auto(AutoProblem {
            rows: Some(10_000_000),
            ..p(false, true, 21)
        });
        assert!(corrected.contains("about 5.3 epochs each"), "{corrected}");
        // Least squares keeps its corrections (the Hessian does not change).
        let (_, ls) = auto(AutoProblem {
            one_pass: true,
            quadratic: true,
            rows: Some(10_000_000),
            ..p(false, true, 21)
        });
        assert!(ls.contains("about 5.3 epochs each"), "{ls}");
    }
}

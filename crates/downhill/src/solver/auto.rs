//! What "auto" runs: the most accurate method the problem allows, chosen once for every front
//! door (the CLI's `--optimizer auto`, and any other that offers it).

/// Newton's method up to this many parameters: a Newton step solves a `dim x dim` system
/// (`dim^3 / 3` multiply-adds) and its Hessian sums `rows x dim^2 / 2` more, which beyond a
/// few hundred parameters costs more than the many cheap L-BFGS steps it saves.
pub const NEWTON_MAX_PARAMS: usize = 300;

/// The problem as `auto` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoProblem {
    /// Mini-batches were asked for (only first-order methods take them).
    pub mini_batches: bool,
    /// The model provides exact second derivatives that are not zero almost everywhere
    /// (squared, Huber and log losses; not absolute, epsilon-insensitive or hinge).
    pub exact_hessian: bool,
    /// The number of parameters.
    pub params: usize,
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
/// - an exact Hessian and at most [`NEWTON_MAX_PARAMS`] parameters: `newton`, which on NIST's
///   ill-conditioned polynomials keeps 8 to 10 digits where L-BFGS stops at about 6;
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
    let p = problem.params;
    if problem.exact_hessian && p <= NEWTON_MAX_PARAMS {
        (
            "newton",
            format!(
                "full batch, {p} parameter{} and exact second derivatives: the most accurate \
                 method, a few steps",
                if p == 1 { "" } else { "s" }
            ),
        )
    } else if problem.exact_hessian {
        (
            "lbfgs",
            format!("full batch, {p} parameters: above {NEWTON_MAX_PARAMS} a Newton step costs too much"),
        )
    } else {
        (
            "lbfgs",
            "full batch without exact second derivatives: it chooses its own steps, no \
             learning rate needed"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_batching_curvature_and_size() {
        let p = |mini_batches, exact_hessian, params| AutoProblem {
            mini_batches,
            exact_hessian,
            params,
            l1: false,
            first_order_only: false,
        };
        assert_eq!(auto(p(true, true, 4)).0, "adam");
        assert_eq!(auto(p(false, true, 4)).0, "newton");
        assert_eq!(auto(p(false, true, NEWTON_MAX_PARAMS)).0, "newton");
        assert_eq!(auto(p(false, true, NEWTON_MAX_PARAMS + 1)).0, "lbfgs");
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
}

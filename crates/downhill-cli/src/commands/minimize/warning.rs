//! The warning for a run that stopped at its epoch or time limit before its tolerance held.
//! A run on a function unbounded below is reported as such instead, and a run stopped by
//! Ctrl-C was stopped on purpose: neither is warned about.

use super::function::is_solver;
use super::numbers::short;
use downhill::run::{End, Run};
use downhill::train::StopReason;

/// `stopped at the epoch limit after 10000 steps with the gradient norm at 3.1e-4 of its
/// start (--gtol 1e-13)`, or `None` when the run converged, diverged, was interrupted or
/// found no bottom.
pub fn shortfall(run: &Run, gtol: f64) -> Option<String> {
    let End::Finished(r) = &run.end else {
        return None;
    };
    if !run.stopped_short() {
        return None;
    }
    let limit = match r.stop_reason {
        StopReason::TimeLimit => "the time limit",
        _ => "the epoch limit",
    };
    let gradient = run.grad_fraction().map_or(String::new(), |g| {
        format!(
            " with the gradient norm at {g:.1e} of its start (--gtol {})",
            short(gtol)
        )
    });
    let steps = if r.epochs == 1 { "step" } else { "steps" };
    Some(format!(
        "stopped at {limit} after {} {steps}{gradient}",
        r.epochs
    ))
}

/// What to try when a run of `optimizer` stopped short.
pub fn advice(optimizer: &str) -> &'static str {
    match optimizer {
        "newton" => "more --epochs, or another --from",
        o if is_solver(o) => "--optimizer newton, or more --epochs",
        _ => "--optimizer lbfgs or --optimizer newton, more --epochs, or another --lr",
    }
}

//! `downhill optimizers`: the update rules, their defaults, and the schedules.

use anyhow::Result;
use downhill::optim::CATALOG;
use downhill::schedule::SCHEDULES;
use std::io::Write;

/// Prints the catalog.
pub fn run() -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "First-order optimizers (g = gradient, t = step from 1; --optimizer NAME):\n"
    )?;
    for o in CATALOG {
        writeln!(out, "{}", o.name)?;
        writeln!(out, "    rule      {}", o.rule)?;
        writeln!(out, "    defaults  {}", o.defaults)?;
        if !o.note.is_empty() {
            writeln!(out, "    form      {}", o.note)?;
        }
    }
    writeln!(
        out,
        "\nMethods that choose their own steps (full batch, no learning rate):\n"
    )?;
    for (name, what) in [
        ("gd --line-search armijo", "steepest descent, backtracking until the Armijo condition holds (c1 1e-4, halving)"),
        ("gd --line-search wolfe", "steepest descent, step satisfying the strong Wolfe conditions (c1 1e-4, c2 0.9)"),
        ("cg", "nonlinear conjugate gradient, Polak-Ribiere+ with restarts, strong Wolfe line search (c2 0.1)"),
        ("cg-fr", "nonlinear conjugate gradient, Fletcher-Reeves"),
        ("lbfgs", "limited-memory BFGS, two-loop recursion, --history-size pairs (default 10), strong Wolfe"),
        ("newton", "damped Newton: Cholesky with a Levenberg shift, backtracking; models with a Hessian"),
        ("auto", "lbfgs on full batches, adam on mini-batches"),
    ] {
        writeln!(out, "{name:<24}  {what}")?;
    }
    writeln!(
        out,
        "\nLearning-rate schedules (--schedule SPEC, from lr0 = --lr; epochs e from 1):\n"
    )?;
    for s in SCHEDULES {
        writeln!(out, "{:<36}  {}", s.syntax, s.formula)?;
    }
    Ok(())
}

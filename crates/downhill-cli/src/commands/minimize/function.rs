//! The function a command descends, from its argument and flags: the library's
//! [`Function`] with its errors said in terms of the flags, and what only the command line
//! checks.

use super::numbers::short;
use crate::cli::TrainArgs;
use anyhow::{anyhow, bail, Result};
use downhill::run::{Function, GdDefaults};
use downhill::Error;

/// A named test function or a formula; `vars` is `--vars`.
pub fn parse(spec: &str, vars: Option<&[String]>) -> Result<Function> {
    // A formula may start with '-' (`-x^2`), so clap passes anything that does: an option
    // typed wrong must not become a formula.
    if spec.trim_start().starts_with("--") {
        bail!(
            "unknown option '{}'; see --help (a formula may start with one '-', e.g. \"-x^2\")",
            spec.trim()
        );
    }
    Function::parse(spec, vars).map_err(|e| match e {
        // The first line says what and where; the formula and a caret follow.
        Error::Formula { formula, error } => match error.caret(&formula) {
            Some(caret) => {
                let caret: Vec<String> = caret.lines().map(|l| format!("  {l}")).collect();
                anyhow!("formula: {error}\n{}", caret.join("\n"))
            }
            None => anyhow!("formula: {error}"),
        },
        Error::InvalidSetting {
            setting: "variables",
            message,
        } => anyhow!("--vars: {message}"),
        Error::InvalidSetting {
            setting: "function",
            message,
        } => anyhow!("{message}"),
        e => anyhow::Error::new(e),
    })
}

/// The start: `--from`, or the function's usual one.
pub fn start(f: &Function, from: Option<&[f64]>) -> Result<Vec<f64>> {
    f.start(from).map_err(|e| match e {
        Error::InvalidSetting {
            setting: "start",
            message,
        } if from.is_some() => anyhow!("--from: {message}"),
        // Without --from, the only complaint can be about the usual start.
        Error::InvalidSetting {
            setting: "start",
            message,
        } => anyhow!("{message}: choose another start with --from"),
        e => anyhow::Error::new(e),
    })
}

/// `(x = 1, y = 2)`, each number in at most 10 digits.
pub fn point(f: &Function, p: &[f64]) -> String {
    let parts: Vec<String> = f
        .vars()
        .iter()
        .zip(p)
        .map(|(n, v)| format!("{n} = {}", short(*v)))
        .collect();
    format!("({})", parts.join(", "))
}

/// An error unless the function has two variables (for surface pictures).
pub fn check_2d(f: &Function, flag: &str) -> Result<()> {
    let vars = f.vars();
    if vars.len() != 2 {
        bail!(
            "{flag} draws a function of two variables; {} has {} ({})",
            f.describe(),
            vars.len(),
            vars.join(", ")
        );
    }
    Ok(())
}

/// The flags of `minimize` and `compare` that make no sense on a function (no rows).
pub fn refuse_data_flags(t: &TrainArgs) -> Result<()> {
    for (flag, given) in [
        ("--batch-size", t.batch_size.is_some()),
        ("--validation-fraction", t.validation_fraction.is_some()),
        ("--no-shuffle", t.no_shuffle),
    ] {
        if given {
            bail!("{flag} does not apply to a function: there are no rows of data");
        }
    }
    Ok(())
}

/// Plain gd with no `--lr` (nor a line search) on a named function runs at the function's
/// own stable rate and, without `--epochs`, within its step budget: `t` is changed to say
/// so, and the defaults used are returned. An explicit `--lr` is left exactly as given.
pub fn apply_gd_defaults(f: &Function, t: &mut TrainArgs) -> Option<GdDefaults> {
    let plain_gd =
        t.optimizer.trim().eq_ignore_ascii_case("gd") && t.lr.is_none() && t.line_search.is_none();
    let d = f.gd_defaults().filter(|_| plain_gd)?;
    t.lr = Some(d.lr);
    t.epochs.get_or_insert(d.max_epochs);
    Some(d)
}

/// Whether `name` (as `method::build` resolved it) chooses its own steps.
pub fn is_solver(name: &str) -> bool {
    downhill::solver::by_name(name, &downhill::solver::SolverOptions::default()).is_some()
}

/// The library's method from the one built from the flags.
pub fn method(m: crate::method::Method) -> downhill::run::Method {
    downhill::run::Method::new(m.optimizer, m.schedule, m.solver)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn train(args: &[&str]) -> TrainArgs {
        let mut all = vec!["downhill"];
        all.extend(args);
        Flags::parse_from(all).train
    }

    #[test]
    fn gd_defaults_only_without_a_rate() {
        let rosenbrock = parse("rosenbrock", None).unwrap();
        let mut t = train(&[]);
        let d = apply_gd_defaults(&rosenbrock, &mut t).unwrap();
        assert_eq!((t.lr, t.epochs), (Some(d.lr), Some(d.max_epochs)));
        assert_eq!(d.lr, 0.001);
        // --epochs stays as given.
        let mut t = train(&["--epochs", "50"]);
        apply_gd_defaults(&rosenbrock, &mut t).unwrap();
        assert_eq!(t.epochs, Some(50));
        // An explicit rate, another optimizer, a line search or a formula: nothing changes.
        for args in [
            &["--lr", "0.1"][..],
            &["--optimizer", "adam"],
            &["--line-search", "armijo"],
        ] {
            let mut t = train(args);
            let before = (t.lr, t.epochs);
            assert!(apply_gd_defaults(&rosenbrock, &mut t).is_none(), "{args:?}");
            assert_eq!((t.lr, t.epochs), before);
        }
        let formula = parse("x^2 + y^2", None).unwrap();
        assert!(apply_gd_defaults(&formula, &mut train(&[])).is_none());
    }

    #[test]
    fn errors_name_the_flags() {
        let e = parse("(1-x)^2 + (y", None).unwrap_err().to_string();
        assert!(e.starts_with("formula: expected ')' at column 13"), "{e}");
        assert!(e.ends_with("\n              ^"), "{e:?}");
        let e = parse("beale", Some(&["y".into(), "x".into()]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--vars: beale is a named function"), "{e}");
        let e = parse("--epoch", None).unwrap_err().to_string();
        assert!(e.starts_with("unknown option '--epoch'"), "{e}");
        let f = parse("beale", None).unwrap();
        let e = start(&f, Some(&[1.0])).unwrap_err().to_string();
        assert!(e.starts_with("--from: beale has 2 variables (x, y)"), "{e}");
        let g = parse("sqrt(x) + y^2", None).unwrap();
        let e = start(&g, None).unwrap_err().to_string();
        assert!(e.ends_with(": choose another start with --from"), "{e}");
        assert_eq!(point(&f, &[1.0, -0.5]), "(x = 1, y = -0.5)");
    }
}

use super::{Constant, Cosine, Exponential, InverseScaling, Plateau, Schedule, StepDecay, Warmup};
use crate::{Error, Result};

/// One schedule as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleInfo {
    /// The syntax [`parse`] accepts (`[...]` is optional).
    pub syntax: &'static str,
    /// The rate at epoch `e` (1-based), from the starting rate `lr0` (`--lr`).
    pub formula: &'static str,
    /// An example.
    pub example: &'static str,
}

/// Every schedule [`parse`] knows.
pub const SCHEDULES: &[ScheduleInfo] = &[
    ScheduleInfo {
        syntax: "constant",
        formula: "lr0",
        example: "constant",
    },
    ScheduleInfo {
        syntax: "step:STEP[:GAMMA]",
        formula: "lr0 * GAMMA^floor((e-1)/STEP), GAMMA 0.1 by default",
        example: "step:10:0.5",
    },
    ScheduleInfo {
        syntax: "exp:GAMMA",
        formula: "lr0 * GAMMA^(e-1)",
        example: "exp:0.99",
    },
    ScheduleInfo {
        syntax: "invscaling[:POWER]",
        formula: "lr0 / e^POWER, POWER 0.25 by default (scikit-learn, per epoch)",
        example: "invscaling:0.5",
    },
    ScheduleInfo {
        syntax: "cosine:T[:LR_MIN]",
        formula: "LR_MIN + (lr0-LR_MIN)*(1+cos(pi*min(e-1,T)/T))/2, LR_MIN 0 by default",
        example: "cosine:1000:1e-5",
    },
    ScheduleInfo {
        syntax: "plateau[:PATIENCE[:FACTOR[:TOL]]]",
        formula: "lr0, divided by FACTOR after PATIENCE epochs without a relative cost \
                  improvement of TOL (defaults 5, 5, 1e-4: scikit-learn's adaptive)",
        example: "plateau:10:2",
    },
    ScheduleInfo {
        syntax: "warmup:N[+SCHEDULE]",
        formula: "lr1 * e/N for e <= N (lr1: SCHEDULE's first rate), then SCHEDULE at e-N; \
                  SCHEDULE is constant by default",
        example: "warmup:5+cosine:100",
    },
];

fn bad(spec: &str, why: impl std::fmt::Display) -> Error {
    Error::setting(
        "schedule",
        format!(
            "`{spec}`: {why} (known: constant, step:STEP[:GAMMA], exp:GAMMA, \
             invscaling[:POWER], cosine:T[:LR_MIN], plateau[:PATIENCE[:FACTOR[:TOL]]], \
             warmup:N[+SCHEDULE])"
        ),
    )
}

fn number(spec: &str, what: &str, s: &str) -> Result<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad(spec, format!("{what} `{s}` is not a finite number"))),
    }
}

fn count(spec: &str, what: &str, s: &str) -> Result<usize> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(bad(
            spec,
            format!("{what} `{s}` is not a whole number of at least 1"),
        )),
    }
}

/// The schedule written `spec`, starting from the learning rate `lr0` (`--lr`).
///
/// | spec | learning rate at epoch `e` (1-based) |
/// |---|---|
/// | `constant` | `lr0` |
/// | `step:STEP[:GAMMA]` | `lr0 * GAMMA^floor((e-1)/STEP)`; `GAMMA` 0.1 by default, in (0, 1] |
/// | `exp:GAMMA` (or `exponential:`) | `lr0 * GAMMA^(e-1)`, `GAMMA` in (0, 1] |
/// | `invscaling[:POWER]` | `lr0 / e^POWER`, `POWER` 0.25 by default |
/// | `cosine:T[:LR_MIN]` | from `lr0` at epoch 1 to `LR_MIN` (default 0) at epoch `T+1`, then flat |
/// | `plateau[:PATIENCE[:FACTOR[:TOL]]]` (or `adaptive`) | `lr0`, divided by `FACTOR` (5) after `PATIENCE` (5) epochs without a relative improvement of `TOL` (1e-4) |
/// | `warmup:N[+SCHEDULE]` | linear from `lr1/N` to `lr1` over epochs 1..N, then `SCHEDULE` (default `constant`) renumbered from 1 |
///
/// Names are case-insensitive and spaces around parts are ignored. A warm-up holds one
/// schedule; it cannot be nested.
///
/// ```
/// use downhill::schedule::parse;
///
/// let s = parse("step:10:0.5", 0.1).unwrap();
/// assert_eq!(s.lr(1), 0.1);
/// assert_eq!(s.lr(11), 0.05);
/// let s = parse("warmup:4+cosine:100", 0.1).unwrap();
/// assert_eq!(s.lr(2), 0.05);
/// assert_eq!(s.lr(5), 0.1);
/// assert!(parse("cosine", 0.1).is_err());
/// ```
pub fn parse(spec: &str, lr0: f64) -> Result<Box<dyn Schedule>> {
    if !(lr0 > 0.0 && lr0.is_finite()) {
        return Err(Error::setting(
            "learning rate",
            format!("--lr {lr0} must be positive and finite"),
        ));
    }
    let lower = spec.trim().to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("warmup:") {
        let (n, inner) = match rest.split_once('+') {
            Some((n, inner)) => (n, inner),
            None => (rest, "constant"),
        };
        let n = count(spec, "warm-up length", n)?;
        if inner.trim_start().starts_with("warmup") {
            return Err(bad(spec, "a warm-up cannot hold another warm-up"));
        }
        return Ok(Box::new(Warmup::new(n, parse_one(spec, inner, lr0)?)));
    }
    parse_one(spec, &lower, lr0)
}

/// One schedule without warm-up; `spec` is the whole text, for error messages.
fn parse_one(spec: &str, text: &str, lr0: f64) -> Result<Box<dyn Schedule>> {
    let parts: Vec<&str> = text.trim().split(':').map(str::trim).collect();
    let (name, args) = (parts[0], &parts[1..]);
    let at_most = |n: usize| {
        if args.len() > n {
            Err(bad(spec, format!("{name} takes at most {n} value(s)")))
        } else {
            Ok(())
        }
    };
    let gamma = |s: &str| {
        let g = number(spec, "GAMMA", s)?;
        if g > 0.0 && g <= 1.0 {
            Ok(g)
        } else {
            Err(bad(spec, format!("GAMMA {g} must be in (0, 1]")))
        }
    };
    Ok(match name {
        "constant" => {
            at_most(0)?;
            Box::new(Constant(lr0))
        }
        "step" => {
            at_most(2)?;
            let step = match args.first() {
                Some(s) => count(spec, "STEP", s)?,
                None => return Err(bad(spec, "step needs STEP, e.g. step:10:0.5")),
            };
            let gamma = args.get(1).map_or(Ok(0.1), |s| gamma(s))?;
            Box::new(StepDecay { lr0, step, gamma })
        }
        "exp" | "exponential" => {
            at_most(1)?;
            let gamma = match args.first() {
                Some(s) => gamma(s)?,
                None => return Err(bad(spec, "exp needs GAMMA, e.g. exp:0.99")),
            };
            Box::new(Exponential { lr0, gamma })
        }
        "invscaling" => {
            at_most(1)?;
            let power = match args.first() {
                Some(s) => number(spec, "POWER", s)?,
                None => InverseScaling::POWER,
            };
            if power < 0.0 {
                return Err(bad(spec, format!("POWER {power} must be at least 0")));
            }
            Box::new(InverseScaling { lr0, power })
        }
        "cosine" => {
            at_most(2)?;
            let t_max = match args.first() {
                Some(s) => count(spec, "T", s)?,
                None => return Err(bad(spec, "cosine needs T, e.g. cosine:1000")),
            };
            let lr_min = match args.get(1) {
                Some(s) => number(spec, "LR_MIN", s)?,
                None => 0.0,
            };
            if !(0.0..=lr0).contains(&lr_min) {
                return Err(bad(
                    spec,
                    format!("LR_MIN {lr_min} must be in [0, lr {lr0}]"),
                ));
            }
            Box::new(Cosine { lr0, lr_min, t_max })
        }
        "plateau" | "adaptive" => {
            at_most(3)?;
            let patience = match args.first() {
                Some(s) => count(spec, "PATIENCE", s)?,
                None => Plateau::PATIENCE,
            };
            let factor = match args.get(1) {
                Some(s) => number(spec, "FACTOR", s)?,
                None => Plateau::FACTOR,
            };
            if !(factor > 1.0) {
                return Err(bad(spec, format!("FACTOR {factor} must be greater than 1")));
            }
            let tol = match args.get(2) {
                Some(s) => number(spec, "TOL", s)?,
                None => Plateau::TOL,
            };
            if !(tol >= 0.0) {
                return Err(bad(spec, format!("TOL {tol} must be at least 0")));
            }
            Box::new(Plateau::new(lr0, patience, factor, tol))
        }
        "" => return Err(bad(spec, "empty schedule")),
        other => return Err(bad(spec, format!("unknown schedule `{other}`"))),
    })
}

//! A race of several optimizers described as flags or JSON (`compare`'s `--optimizers`,
//! `--lrs` and training flags): the contestants, each a [`RunSpec`], and the report of the
//! race as `downhill compare --json` writes it. The command line and the playground both
//! answer with this code, so they agree.

use super::RunSpec;
use crate::optim::{self, Hyper};
use crate::run::{End, Function, Race, Run};
use crate::solver::{self, SolverOptions};
use crate::{Error, Result};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// One contestant: an optimizer at a learning rate, with the description it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Contestant {
    /// `adam (lr 0.05)`, for tables and legends.
    pub label: String,
    /// The optimizer's name, lower case.
    pub name: String,
    /// The learning rate it runs at, for first-order optimizers.
    pub lr: Option<f64>,
    /// Everything it runs with.
    pub spec: RunSpec,
}

/// The contestants of `optimizers` from the shared settings `base` (whose `lr` is `--lr`,
/// for all of them) and the rates `lrs` (`--lrs`: one per optimizer, `None` for its
/// default, or several for a single optimizer, one run each). Shared hyper-parameters go
/// only to the optimizers that take them. Errors name the flags.
pub fn contestants(
    base: &RunSpec,
    optimizers: &[String],
    lrs: Option<&[Option<f64>]>,
) -> Result<Vec<Contestant>> {
    let names: Vec<String> = optimizers
        .iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(Error::spec("--optimizers: name at least one optimizer"));
    }
    let rates: Vec<Option<f64>> = match lrs {
        None => vec![base.lr; names.len()],
        Some(list) => {
            if base.lr.is_some() {
                return Err(Error::spec("--lr and --lrs: give one or the other"));
            }
            if let Some(bad) = list
                .iter()
                .flatten()
                .find(|v| !(**v > 0.0 && v.is_finite()))
            {
                return Err(Error::spec(format!(
                    "--lrs: '{bad}' is not a positive learning rate (or '-' for the default)"
                )));
            }
            if list.len() == names.len() || names.len() == 1 {
                list.to_vec()
            } else {
                return Err(Error::spec(format!(
                    "--lrs: give one learning rate per optimizer ({} for {}), or name one optimizer to run at each rate",
                    names.len(),
                    names.join(", ")
                )));
            }
        }
    };
    let names: Vec<String> = if names.len() == 1 {
        vec![names[0].clone(); rates.len()]
    } else {
        names
    };
    let mut out = Vec::new();
    for (name, lr) in names.into_iter().zip(rates) {
        let mut t = base.clone();
        t.optimizer = name.clone();
        let is_solver = is_solver(&name) || t.line_search.is_some();
        if is_solver {
            if lrs.is_some() && lr.is_some() {
                return Err(Error::spec(format!(
                    "--lrs: {name} chooses its own steps, so give '-' for it"
                )));
            }
            // Shared first-order settings (--lr, --batch-size, ...) are for the optimizers
            // that take them.
            t.lr = None;
            t.batch_size = None;
            t.clip_norm = None;
            t.gradient_noise = None;
            t.average = None;
            t.validation_fraction = None;
            t.schedule = "constant".into();
            t.momentum = None;
            t.beta1 = None;
            t.beta2 = None;
            t.eps = None;
            t.rho = None;
            t.weight_decay = None;
        } else {
            t.lr = lr;
            keep_applicable(&name, &mut t);
        }
        let lr_shown = if is_solver {
            None
        } else {
            Some(lr.or_else(|| optim::default_lr(&name)).unwrap_or(f64::NAN))
        };
        let label = match lr_shown {
            Some(lr) if lr.is_finite() => format!("{name} (lr {})", short(lr)),
            _ => name.clone(),
        };
        out.push(Contestant {
            label,
            name,
            lr: lr_shown.filter(|v| v.is_finite()),
            spec: t,
        });
    }
    check_labels(&out)?;
    Ok(out)
}

/// Plain gd without a rate runs at the named function's own rate and step budget, as in
/// `minimize`; then two runs with one label are refused.
pub fn on_function(f: &Function, contestants: &mut [Contestant]) -> Result<()> {
    for c in contestants.iter_mut() {
        let t = &mut c.spec;
        let plain_gd = t.optimizer.trim().eq_ignore_ascii_case("gd")
            && t.lr.is_none()
            && t.line_search.is_none();
        if let Some(d) = f.gd_defaults().filter(|_| plain_gd) {
            t.lr = Some(d.lr);
            t.epochs.get_or_insert(d.max_epochs);
            c.lr = Some(d.lr);
            c.label = format!("{} (lr {})", c.name, short(d.lr));
        }
    }
    check_labels(contestants)
}

/// Whether `name` chooses its own steps (a line search, CG, L-BFGS, Newton).
pub fn is_solver(name: &str) -> bool {
    solver::by_name(name, &SolverOptions::default()).is_some()
}

/// Two runs with one label could not be told apart in the legend.
fn check_labels(c: &[Contestant]) -> Result<()> {
    for (i, e) in c.iter().enumerate() {
        if c[..i].iter().any(|o| o.label == e.label) {
            return Err(Error::spec(format!(
                "--optimizers: {} is listed twice",
                e.label
            )));
        }
    }
    Ok(())
}

/// Shared hyperparameters go to the optimizers that take them (--momentum to momentum
/// and nesterov, --beta1 to the Adam family, ...), not to the others.
fn keep_applicable(name: &str, t: &mut RunSpec) {
    let applies = |h: Hyper| match optim::build(name, &h) {
        Err(Error::InvalidSetting { message, .. }) => !message.contains("does not apply"),
        _ => true,
    };
    macro_rules! keep {
        ($field:ident) => {
            if let Some(v) = t.$field {
                if !applies(Hyper {
                    $field: Some(v),
                    ..Hyper::default()
                }) {
                    t.$field = None;
                }
            }
        };
    }
    keep!(momentum);
    keep!(beta1);
    keep!(beta2);
    keep!(eps);
    keep!(rho);
    keep!(weight_decay);
}

/// A number in at most 10 significant digits, for people.
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = v.abs().log10().floor() as i32;
    if (-4..10).contains(&e) {
        let decimals = (9 - e).max(0) as usize;
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    } else {
        let s = format!("{v:.9e}");
        match s.split_once('e') {
            Some((m, x)) if m.contains('.') => {
                format!("{}e{x}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    }
}

/// Names with values, written as one object in their order (`{"x": 1, "y": 2}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Named(pub Vec<(String, f64)>);

impl Named {
    /// `names` paired with `values`.
    pub fn new(names: &[String], values: &[f64]) -> Named {
        Named(names.iter().cloned().zip(values.iter().copied()).collect())
    }
}

impl Serialize for Named {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One run of a race as `compare --json` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunReport {
    pub optimizer: String,
    pub label: String,
    pub lr: Option<f64>,
    /// `None` for a run that diverged upwards: no numbers that could pass for an answer.
    pub value: Option<f64>,
    pub gradient_norm: Option<f64>,
    pub point: Option<Named>,
    pub steps: usize,
    pub steps_to_reach: Option<usize>,
    pub stop_reason: String,
    pub diverged: bool,
    pub unbounded_below: bool,
    pub converged: bool,
    pub seconds: f64,
}

/// A race as `compare --json` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompareReport {
    pub function: String,
    pub start: Named,
    pub minimum: Option<f64>,
    pub minimum_known: bool,
    pub target_tol: f64,
    pub runs: Vec<RunReport>,
}

/// The last parameters, value, gradient norm and stop reason of a run (a diverged one's
/// last finite step); `answer` replaces the last step's parameters when the answer is
/// elsewhere (a regression's, in the data's units).
pub fn final_state(run: &Run, answer: Option<&[f64]>) -> (Vec<f64>, f64, f64, String) {
    match &run.end {
        End::Finished(r) => (
            answer.map_or_else(|| r.params.clone(), <[f64]>::to_vec),
            r.cost,
            r.grad_norm,
            r.stop_reason.as_str().to_string(),
        ),
        End::Diverged { .. } => {
            let t = &run.trace;
            let stop = run.stop_reason();
            if t.finite_len() == 0 {
                return (Vec::new(), f64::NAN, f64::NAN, stop.into());
            }
            let k = t.finite_len() - 1;
            (
                answer.map_or_else(|| t.at(k).to_vec(), <[f64]>::to_vec),
                t.values[k],
                t.grad_norms[k],
                stop.into(),
            )
        }
    }
}

impl RunReport {
    /// The report of `run` by `c`, `steps_to_reach` measured by the caller.
    pub fn new(
        c: &Contestant,
        names: &[String],
        run: &Run,
        answer: Option<&[f64]>,
        steps_to_reach: Option<usize>,
    ) -> RunReport {
        let (point, value, grad, stop) = final_state(run, answer);
        let lost = run.lost();
        RunReport {
            optimizer: c.name.clone(),
            label: c.label.clone(),
            lr: c.lr,
            value: (!lost).then_some(value),
            gradient_norm: (!lost).then_some(grad),
            point: (!lost).then(|| Named::new(names, &point)),
            steps: run.steps(),
            steps_to_reach,
            stop_reason: stop,
            diverged: matches!(run.end, End::Diverged { .. }),
            unbounded_below: run.unbounded_below,
            converged: run.converged(),
            seconds: run.elapsed.as_secs_f64(),
        }
    }
}

impl CompareReport {
    /// The report of a race on a function.
    pub fn of_race(
        f: &Function,
        start: &[f64],
        contestants: &[Contestant],
        race: &Race,
        target_tol: f64,
    ) -> CompareReport {
        let names = f.vars();
        CompareReport {
            function: f.label(),
            start: Named::new(names, start),
            minimum: race.minimum,
            minimum_known: race.minimum_known,
            target_tol,
            runs: contestants
                .iter()
                .zip(&race.runs)
                .enumerate()
                .map(|(i, (c, run))| RunReport::new(c, names, run, None, race.steps_to_reach(i)))
                .collect(),
        }
    }
}

impl Contestant {
    /// The method and loop settings it runs with, built: errors name the flags.
    pub fn entrant(&self) -> Result<crate::run::Entrant> {
        let m = self
            .spec
            .build_method(super::MethodFacts::default())
            .map_err(super::flagged)?;
        let config = self.spec.train_config().map_err(super::flagged)?;
        Ok(crate::run::Entrant {
            method: crate::run::Method::new(m.optimizer, m.schedule, m.solver),
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rates_go_to_first_order_optimizers_and_shared_settings_where_they_apply() {
        let base = RunSpec {
            momentum: Some(0.5),
            ..RunSpec::default()
        };
        let c = contestants(
            &base,
            &names(&["momentum", "Adam", "lbfgs"]),
            Some(&[Some(0.01), None, None]),
        )
        .unwrap();
        assert_eq!(c[0].label, "momentum (lr 0.01)");
        assert_eq!(c[0].spec.momentum, Some(0.5));
        // adam at its default rate, without the momentum it does not take.
        assert_eq!(
            (c[1].name.as_str(), c[1].lr),
            ("adam", optim::default_lr("adam"))
        );
        assert_eq!(c[1].spec.momentum, None);
        assert_eq!(
            (c[2].label.as_str(), c[2].lr, c[2].spec.lr),
            ("lbfgs", None, None)
        );
        assert!(c.iter().all(|c| c.entrant().is_ok()));
    }

    #[test]
    fn one_optimizer_at_several_rates_and_the_refusals() {
        let c = contestants(
            &RunSpec::default(),
            &names(&["gd"]),
            Some(&[Some(0.1), Some(0.2)]),
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        let refused = |opts: &[&str], lrs: &[Option<f64>]| {
            contestants(&RunSpec::default(), &names(opts), Some(lrs))
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&["gd", "adam"], &[Some(0.1)]).contains("one learning rate per optimizer"));
        assert!(
            refused(&["lbfgs", "adam"], &[Some(0.1), None]).contains("lbfgs chooses its own steps")
        );
        assert!(refused(&["gd"], &[Some(-1.0)]).contains("not a positive learning rate"));
        assert!(refused(&["gd", "gd"], &[Some(0.1), Some(0.1)]).contains("listed twice"));
        assert!(contestants(&RunSpec::default(), &[], None).is_err());
    }

    #[test]
    fn plain_gd_takes_a_named_functions_own_rate() {
        let f = Function::parse("rosenbrock", None).unwrap();
        let mut c = contestants(&RunSpec::default(), &names(&["gd", "adam"]), None).unwrap();
        on_function(&f, &mut c).unwrap();
        let d = f.gd_defaults().unwrap();
        assert_eq!(
            (c[0].lr, c[0].spec.epochs),
            (Some(d.lr), Some(d.max_epochs))
        );
        assert_eq!(c[0].label, format!("gd (lr {})", short(d.lr)));
        assert_eq!(c[1].spec.epochs, None);
    }
}

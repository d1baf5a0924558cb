//! `downhill minimize`: descend a named test function or a typed formula with any method
//! of `fit`, report where it ended, and draw the descent.

pub mod function;
pub mod numbers;
pub mod pictures;
pub mod warning;
pub mod watch;

use crate::cli::TrainArgs;
use crate::method;
use crate::plot::{self, NamedPath, Series};
use crate::report::seconds;
use anyhow::{bail, Context, Result};
use clap::Args;
use downhill::run::{self, End, Function, Run};
use downhill_io::atomic;
use numbers::{full, short};
pub use pictures::Pictures;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Examples for `--help`.
pub const EXAMPLES: &str = "\
Examples:
  downhill minimize rosenbrock --optimizer lbfgs
  downhill minimize beale --from 3,4 --optimizer adam --lr 0.01 --plot-surface beale.png
  downhill minimize \"(1-x)^2 + 100*(y-x^2)^2\" --from -1.2,1 --optimizer newton --json
  downhill minimize \"(a-2)^2 + 3*(b+1)^2\" --vars b,a --path steps.csv --plot-loss loss.svg
  downhill minimize saddle --epochs 300 --lr 0.01 --plot-3d saddle.png

Named functions: rosenbrock, beale, booth, himmelblau, matyas, goldstein-price,
three-hump-camel, rastrigin, ackley, saddle, bowl (`0.1*x^2 + 2*y^2`). A formula's variables
are its parameters, sorted by name unless --vars orders them; it starts at zeros unless
--from says otherwise.

Plain gd (the default) with no --lr runs on a named function at the function's own rate,
stable from its usual start to the minimum, and stops when the gradient norm has fallen by
--gtol: rosenbrock 0.001 (within 100000 steps unless --epochs says otherwise), beale 0.02,
booth 0.1, himmelblau 0.01, matyas 0.1, goldstein-price 0.0001, three-hump-camel 0.1,
rastrigin 0.001, ackley 0.01, saddle 0.1, bowl 0.1. From their usual starts, rastrigin and
ackley end in the local minimum nearest the start, not in the global one at the origin
(ackley's is the tip of a cone, where the gradient never vanishes). An explicit --lr is used
as given; gd's rate on a formula is 0.1.

A run that stops at --epochs or --time-limit before its tolerance holds prints a warning on
stderr (not with -q); a function unbounded below is reported as such instead.";

/// Arguments of `downhill minimize`.
#[derive(Debug, Args)]
pub struct MinimizeArgs {
    /// The function: a name (rosenbrock, beale, ...) or a formula, e.g. "(1-x)^2 + 100*(y-x^2)^2".
    #[arg(value_name = "FUNCTION", allow_hyphen_values = true)]
    pub function: String,

    /// The starting point, one value per variable [default: the function's usual start;
    /// zeros for a formula].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "X,Y,.."
    )]
    pub from: Option<Vec<f64>>,

    /// The order of a formula's variables (its parameters) [default: sorted by name].
    #[arg(long, value_delimiter = ',', value_name = "A,B,..")]
    pub vars: Option<Vec<String>>,

    #[command(flatten)]
    pub train: TrainArgs,

    /// Print the result as one JSON object on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,

    /// Write every step (step, each variable, value, gradient norm, lr; step 0 is the
    /// start) to this CSV file.
    #[arg(long, value_name = "PATH.csv")]
    pub path: Option<PathBuf>,

    #[command(flatten)]
    pub pictures: Pictures,
}

/// Runs `downhill minimize`.
pub fn run(args: &MinimizeArgs) -> Result<()> {
    let f = function::parse(&args.function, args.vars.as_deref())?;
    let mut t = args.train.clone();
    function::refuse_data_flags(&t)?;
    let start = function::start(&f, args.from.as_deref())?;
    args.pictures.check(|flag| function::check_2d(&f, flag))?;
    let by_function = function::apply_gd_defaults(&f, &mut t).is_some();
    let method = method::build(&t)?;
    let config = method::config(&t)?;
    let gtol = config.gtol;
    let name = method.name.clone();
    let lr = method.lr;
    if let (Some(note), false) = (&method.note, args.json) {
        eprintln!("downhill: {note}");
    }
    let mut watcher = watch::Watcher::new(t.quiet || args.json);
    let run = run::descend(&f, function::method(method), config, start, &mut watcher)
        .map_err(method::flagged)?;
    drop(watcher);
    let mut result = Outcome::of(&f, &run, &name)?;
    result.default_rate = by_function;
    if !t.quiet {
        if let Some(what) = warning::shortfall(&run, gtol) {
            eprintln!(
                "downhill: warning: {} did not converge: it {what}; try {}",
                f.describe(),
                warning::advice(&name)
            );
        }
    }

    if let Some(path) = &args.path {
        write_path(path, &f, &run)?;
    }
    draw(&args.pictures, &f, &run, &name, lr)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", result.json(&f, &name, lr, &run))?;
    } else {
        result.summary(&mut out, &f, &name, lr, &run, args)?;
    }
    Ok(())
}

/// Where a run ended, as reported.
struct Outcome {
    point: Vec<f64>,
    value: f64,
    grad_norm: f64,
    steps: usize,
    /// A stable identifier: the loop's stop reason, or `unbounded_below` for a value that
    /// fell to -inf.
    stop_reason: &'static str,
    /// Said to people.
    stop_text: String,
    unbounded: bool,
    converged: bool,
    /// The rate is the named function's own (plain gd, no --lr).
    default_rate: bool,
}

impl Outcome {
    /// A divergence upwards (or to NaN) is an error, as in `fit`; a fall to -inf is the
    /// answer about the function, reported at the last finite step.
    fn of(f: &Function, run: &Run, optimizer: &str) -> Result<Outcome> {
        if let Some(a) = run.answer() {
            let stop_text = match &run.end {
                End::Finished(r) => r.stop_reason.to_string(),
                End::Diverged { step, .. } => {
                    format!("the value fell to -inf at step {step}: the last finite step is shown")
                }
            };
            return Ok(Outcome {
                point: a.point,
                value: a.value,
                grad_norm: a.grad_norm,
                steps: a.steps,
                stop_reason: run.stop_reason(),
                stop_text,
                unbounded: run.unbounded_below,
                converged: run.converged(),
                default_rate: false,
            });
        }
        let (step, value, lr) = match &run.end {
            End::Diverged { step, value, lr } => (*step, *value, *lr),
            End::Finished(_) => bail!("{}: the run has no answer", f.describe()),
        };
        let how = if run.trace.lrs.len() > 1 && lr.is_finite() {
            format!(" with learning rate {}", short(lr))
        } else {
            String::new()
        };
        let advice = if function::is_solver(optimizer) {
            "try another --optimizer or --from"
        } else {
            "try a smaller --lr"
        };
        let last = run.last_value();
        let falling = if value.is_nan() && last < run.start_value() {
            format!(
                ", after falling to {}: the steps left the function's domain, or it is unbounded below",
                short(last)
            )
        } else {
            String::new()
        };
        bail!(
            "{} diverged at step {step} (value {value:e}{falling}){how}: {advice}; nothing was written",
            f.describe()
        )
    }

    fn json(&self, f: &Function, optimizer: &str, lr: Option<f64>, run: &Run) -> Value {
        let named = |p: &[f64]| -> Map<String, Value> {
            f.vars()
                .iter()
                .zip(p)
                .map(|(n, v)| (n.clone(), json!(v)))
                .collect()
        };
        let mut o = json!({
            "point": named(&self.point),
            "value": self.value,
            "gradient_norm": self.grad_norm,
            "steps": self.steps,
            "stop_reason": self.stop_reason,
            "function": f.label(),
            "optimizer": optimizer,
            "lr": lr,
            "start": named(run.trace.at(0)),
            "unbounded_below": self.unbounded,
            "converged": self.converged,
            "seconds": run.elapsed.as_secs_f64(),
        });
        if let Some(named_fn) = f.as_named() {
            if let Some((m, d)) = named_fn.nearest_minimum(&self.point) {
                o["nearest_minimum"] = json!(named(m));
                o["distance_to_minimum"] = json!(d);
                o["min_value"] = json!(named_fn.min_value());
            }
        }
        o
    }

    fn summary(
        &self,
        out: &mut dyn Write,
        f: &Function,
        optimizer: &str,
        lr: Option<f64>,
        run: &Run,
        args: &MinimizeArgs,
    ) -> Result<()> {
        let method = match (lr, f.as_named()) {
            (Some(lr), Some(n)) if self.default_rate => {
                format!("{optimizer}, lr {}: {}'s default rate", short(lr), n.name())
            }
            (Some(lr), _) => format!("{optimizer}, lr {}", short(lr)),
            (None, _) => optimizer.to_string(),
        };
        match f.as_named() {
            Some(n) => writeln!(out, "{}: {}   ({method})", n.name(), n.formula())?,
            None => writeln!(out, "{}   ({method})", f.label())?,
        }
        writeln!(
            out,
            "start          {}",
            function::point(f, run.trace.at(0))
        )?;
        let width = f
            .vars()
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(1)
            .max(13);
        for (name, v) in f.vars().iter().zip(&self.point) {
            writeln!(out, "  {name:<width$}{:>24}", full(*v))?;
        }
        writeln!(out, "value          {}", full(self.value))?;
        writeln!(out, "gradient norm  {:e}", self.grad_norm)?;
        writeln!(out, "steps          {}  ({})", self.steps, self.stop_text)?;
        if let Some(n) = f.as_named() {
            if let Some((m, d)) = n.nearest_minimum(&self.point) {
                writeln!(
                    out,
                    "minimum        {} at distance {d:e} (value there {})",
                    function::point(f, m),
                    n.min_value().map_or("?".into(), short)
                )?;
            }
            if let Some(min) = n.min_value() {
                if self.converged && self.value - min > 1e-6 * min.abs().max(1.0) {
                    writeln!(
                        out,
                        "local minimum  the gradient vanished at value {}, above the global minimum's {}: a descent stops in the first minimum downhill of its start",
                        short(self.value),
                        short(min)
                    )?;
                }
            }
        }
        writeln!(out, "time           {}", seconds(run.elapsed.as_secs_f64()))?;
        if self.unbounded {
            writeln!(
                out,
                "{} is unbounded below along its path: the value fell from {} to {} and kept falling; there is no minimum to find",
                f.describe(),
                short(run.start_value()),
                short(self.value)
            )?;
        } else if f.as_named().is_some_and(|n| n.unbounded_below()) {
            writeln!(
                out,
                "{} is unbounded below: it has no minimum, and this run stopped at a point that is not one",
                f.describe()
            )?;
        }
        for (what, p) in [
            ("path", args.path.as_ref()),
            ("loss plot", args.pictures.plot_loss.as_ref()),
            ("surface", args.pictures.plot_surface.as_ref()),
            ("3-D plot", args.pictures.plot_3d.as_ref()),
        ] {
            if let Some(p) = p {
                writeln!(out, "{what:<15}{}", p.display())?;
            }
        }
        Ok(())
    }
}

/// Every step as CSV: step, each variable, value, gradient norm, lr.
fn write_path(path: &Path, f: &Function, run: &Run) -> Result<()> {
    atomic::write(path, |out| {
        let mut w = ::csv::Writer::from_writer(out);
        let mut head = vec!["step"];
        head.extend(f.vars().iter().map(String::as_str));
        head.extend(["value", "gradient_norm", "lr"]);
        w.write_record(&head)?;
        let t = &run.trace;
        let mut row = Vec::with_capacity(head.len());
        for k in 0..t.len() {
            row.clear();
            row.push(k.to_string());
            row.extend(t.at(k).iter().map(f64::to_string));
            row.extend([t.values[k], t.grad_norms[k], t.lrs[k]].map(|v| v.to_string()));
            w.write_record(&row)?;
        }
        w.flush().context("cannot write the path")?;
        Ok(())
    })
}

/// The pictures asked for.
fn draw(p: &Pictures, f: &Function, run: &Run, optimizer: &str, lr: Option<f64>) -> Result<()> {
    let name = match lr {
        Some(lr) => format!("{optimizer} (lr {})", short(lr)),
        None => optimizer.to_string(),
    };
    if let Some(path) = &p.plot_loss {
        let (curves, scale) =
            pictures::loss_curves(&[&run.trace.values], f.min_value(), run.unbounded_below);
        let label = format!("{name}{}", scale.suffix());
        plot::loss_curve(
            path,
            p.plot_size,
            &[Series {
                name: &label,
                values: &curves[0],
            }],
            true,
        )
        .with_context(|| format!("--plot-loss {}", path.display()))?;
    }
    if p.plot_surface.is_none() && p.plot_3d.is_none() {
        return Ok(());
    }
    let xy = run.trace.xy();
    let minima: Vec<(f64, f64)> = f.minima().iter().map(|m| (m[0], m[1])).collect();
    let bounds = match pictures::bounds(p.bounds.as_deref())? {
        Some(b) => Some(b),
        None => {
            let mut anchors = vec![xy[0]];
            anchors.extend(&minima);
            let runaway = run.diverged() || run.unbounded_below;
            pictures::region(&anchors, &[(&xy, runaway)], true)
        }
    };
    let paths = [NamedPath {
        name: &name,
        points: &xy,
    }];
    let labels = (f.vars()[0].as_str(), f.vars()[1].as_str());
    let at = |x: f64, y: f64| downhill::Objective::cost(f, &[x, y]);
    if let Some(path) = &p.plot_surface {
        plot::surface(path, p.plot_size, &at, bounds, &paths, &minima, labels)
            .with_context(|| format!("--plot-surface {}", path.display()))?;
    }
    if let Some(path) = &p.plot_3d {
        plot::surface_3d(path, p.plot_size, &at, bounds, &paths, &minima, labels)
            .with_context(|| format!("--plot-3d {}", path.display()))?;
    }
    Ok(())
}

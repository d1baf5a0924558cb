//! `downhill minimize`: descend a named test function or a typed formula with any method
//! of `fit`, report where it ended, and draw the descent.

pub mod descent;

use crate::cli::TrainArgs;
use crate::method;
use crate::plot::{self, NamedPath, Series, Size};
use anyhow::{bail, Context, Result};
use clap::Args;
use descent::{Function, Run};
use downhill_io::atomic;
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
three-hump-camel, rastrigin, ackley, saddle, bowl (`x^2 + y^2`). A formula's variables are
its parameters, sorted by name unless --vars orders them; it starts at zeros unless --from
says otherwise.";

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

/// The pictures of a descent (shared with `compare`).
#[derive(Debug, Args, Clone)]
pub struct Pictures {
    /// Draw the value per step (above the minimum, log scale, when it is known) to this
    /// SVG or PNG file.
    #[arg(long, value_name = "FILE.svg|png")]
    pub plot_loss: Option<PathBuf>,

    /// Draw the function's filled contours with the path of steps over them (two
    /// variables).
    #[arg(long, value_name = "FILE.svg|png")]
    pub plot_surface: Option<PathBuf>,

    /// Draw the function as a 3-D surface with the path of steps on it (two variables).
    #[arg(long = "plot-3d", value_name = "FILE.svg|png")]
    pub plot_3d: Option<PathBuf>,

    /// Size of the pictures in pixels.
    #[arg(long, value_name = "WxH", default_value = "900x700", value_parser = descent::plot_size)]
    pub plot_size: Size,

    /// The region of the surface pictures [default: around the start, the steps and the
    /// minima].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "XMIN,XMAX,YMIN,YMAX"
    )]
    pub bounds: Option<Vec<f64>>,
}

impl Pictures {
    /// Checks the file names and the region before any run.
    pub fn check(&self, surface_ok: impl Fn(&str) -> Result<()>) -> Result<()> {
        descent::check_picture(self.plot_loss.as_deref())?;
        descent::check_picture(self.plot_surface.as_deref())?;
        descent::check_picture(self.plot_3d.as_deref())?;
        if self.plot_surface.is_some() {
            surface_ok("--plot-surface")?;
        }
        if self.plot_3d.is_some() {
            surface_ok("--plot-3d")?;
        }
        descent::bounds(self.bounds.as_deref())?;
        Ok(())
    }
}

/// Runs `downhill minimize`.
pub fn run(args: &MinimizeArgs) -> Result<()> {
    let f = Function::parse(&args.function, args.vars.as_deref())?;
    let t = &args.train;
    descent::refuse_data_flags(t)?;
    let start = f.start(args.from.as_deref())?;
    args.pictures.check(|flag| f.check_2d(flag))?;
    let method = method::build(t)?;
    let config = method::config(t)?;
    let name = method.name.clone();
    let lr = method.lr;
    let note = method.note.clone();
    if let (Some(note), false) = (&note, args.json) {
        eprintln!("downhill: {note}");
    }
    let run = descent::descend(&f, method, config, start, t.quiet || args.json)?;
    let unbounded = descent::unbounded_along(&f, &run);
    let result = Outcome::of(&f, &run, unbounded, &name)?;

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
    stop_reason: String,
    /// Said to people.
    stop_text: String,
    unbounded: bool,
}

impl Outcome {
    /// A divergence upwards (or to NaN) is an error, as in `fit`; a fall to -inf is the
    /// answer about the function, reported at the last finite step.
    fn of(f: &Function, run: &Run, unbounded: bool, optimizer: &str) -> Result<Outcome> {
        match &run.end {
            descent::End::Finished(r) => Ok(Outcome {
                point: r.params.clone(),
                value: r.cost,
                grad_norm: r.grad_norm,
                steps: r.epochs,
                stop_reason: r.stop_reason.as_str().to_string(),
                stop_text: r.stop_reason.to_string(),
                unbounded,
            }),
            descent::End::Diverged { step, .. } if unbounded => {
                let k = run.trace.finite_len().saturating_sub(1);
                Ok(Outcome {
                    point: run.trace.at(k).to_vec(),
                    value: run.trace.values[k],
                    grad_norm: run.trace.grad_norms[k],
                    steps: k,
                    stop_reason: "unbounded_below".into(),
                    stop_text: format!(
                        "the value fell to -inf at step {step}: the last finite step is shown"
                    ),
                    unbounded,
                })
            }
            descent::End::Diverged { step, value, lr } => {
                let how = if run.trace.lrs.len() > 1 && lr.is_finite() {
                    format!(" with learning rate {}", descent::short(*lr))
                } else {
                    String::new()
                };
                let advice = if descent::is_solver(optimizer) {
                    "try another --optimizer or --from"
                } else {
                    "try a smaller --lr"
                };
                let last = run.last_value();
                let falling = if value.is_nan() && last < run.start_value() {
                    format!(
                        ", after falling to {}: the steps left the function's domain, or it is unbounded below",
                        descent::short(last)
                    )
                } else {
                    String::new()
                };
                bail!(
                    "{} diverged at step {step} (value {value:e}{falling}){how}: {advice}; nothing was written",
                    f.describe()
                )
            }
        }
    }

    fn json(&self, f: &Function, optimizer: &str, lr: Option<f64>, run: &Run) -> Value {
        let named = |p: &[f64]| -> Map<String, Value> {
            f.vars
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
            "seconds": run.elapsed.as_secs_f64(),
        });
        if let Some(named_fn) = f.named() {
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
        let method = match lr {
            Some(lr) => format!("{optimizer}, lr {}", descent::short(lr)),
            None => optimizer.to_string(),
        };
        match f.named() {
            Some(n) => writeln!(out, "{}: {}   ({method})", n.name(), n.formula())?,
            None => writeln!(out, "{}   ({method})", f.label())?,
        }
        writeln!(out, "start          {}", f.point(run.trace.at(0)))?;
        let width = f
            .vars
            .iter()
            .map(|v| v.chars().count())
            .max()
            .unwrap_or(1)
            .max(13);
        for (name, v) in f.vars.iter().zip(&self.point) {
            writeln!(out, "  {name:<width$}{:>24}", descent::full(*v))?;
        }
        writeln!(out, "value          {}", descent::full(self.value))?;
        writeln!(out, "gradient norm  {:e}", self.grad_norm)?;
        writeln!(out, "steps          {}  ({})", self.steps, self.stop_text)?;
        if let Some(n) = f.named() {
            if let Some((m, d)) = n.nearest_minimum(&self.point) {
                writeln!(
                    out,
                    "minimum        {} at distance {d:e} (value there {})",
                    f.point(m),
                    n.min_value().map_or("?".into(), descent::short)
                )?;
            }
        }
        writeln!(
            out,
            "time           {}",
            descent::seconds(run.elapsed.as_secs_f64())
        )?;
        if self.unbounded {
            writeln!(
                out,
                "{} is unbounded below along its path: the value fell from {} to {} and kept falling; there is no minimum to find",
                f.describe(),
                descent::short(run.start_value()),
                descent::short(self.value)
            )?;
        } else if f.named().is_some_and(|n| n.unbounded_below()) {
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
        head.extend(f.vars.iter().map(String::as_str));
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
        Some(lr) => format!("{optimizer} (lr {})", descent::short(lr)),
        None => optimizer.to_string(),
    };
    if let Some(path) = &p.plot_loss {
        let unbounded = descent::unbounded_along(f, run);
        let (curves, scale) = descent::loss_curves(&[&run.trace.values], f.min_value(), unbounded);
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
    let bounds = match descent::bounds(p.bounds.as_deref())? {
        Some(b) => Some(b),
        None => {
            let mut anchors = vec![xy[0]];
            anchors.extend(&minima);
            let runaway = run.diverged() || descent::unbounded_along(f, run);
            descent::region(&anchors, &[(&xy, runaway)], true)
        }
    };
    let paths = [NamedPath {
        name: &name,
        points: &xy,
    }];
    let labels = (f.vars[0].as_str(), f.vars[1].as_str());
    let at = |x: f64, y: f64| f.at(x, y);
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

//! `downhill compare`: several optimizers from one start on one function (named or a
//! formula) or on a data set (a linear regression), side by side: a table, their paths
//! over one contour plot, their loss curves on one chart.

use super::minimize::numbers::short;
use super::minimize::{function, pictures, warning, watch, Pictures};
use crate::cli::TrainArgs;
use crate::method::{self, Method};
use crate::plot::{self, Bounds, NamedPath, Series};
use crate::report::seconds;
use anyhow::{bail, Context, Result};
use clap::Args;
use downhill::data::{Dataset, Matrix, Standardizer};
use downhill::estimator::LinearRegression;
use downhill::run::{self, End, Entrant, Recording, Run, Tap, Trace};
use downhill::spec::{CompareReport, MethodFacts, Named, RunReport};
use downhill::train::TrainConfig;
use downhill::Error;
use downhill_io::table::{self, Target};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Examples for `--help`.
pub const EXAMPLES: &str = "\
Examples:
  downhill compare beale --from 3,4 --optimizers sgd,momentum,adam,lbfgs --lrs 0.01,0.0001,0.05,- \\
      --epochs 5000 --plot-surface beale.png --plot-loss beale-loss.png
  downhill compare saddle --optimizers gd,momentum,adam --lr 0.01 --epochs 300 --plot-surface saddle.png
  downhill compare \"(1-x)^2 + 100*(y-x^2)^2\" --from -1.2,1 --optimizers gd --lrs 0.0005,0.001,0.002
  downhill compare data/engel.csv --target foodexp --optimizers gd,momentum,adam,lbfgs --plot-surface engel.png

Each optimizer runs at its own default learning rate unless --lr (all of them) or --lrs
(one per optimizer, '-' for the default; or several for a single optimizer) says
otherwise; plain gd without a rate on a named function runs at that function's own rate and
step budget, as in `downhill minimize` (see its --help). A run that diverges is reported in
its row and drawn up to where it went; runs that stop at --epochs or --time-limit before
converging are named in one warning on stderr (not with -q).";

/// Arguments of `downhill compare`.
#[derive(Debug, Args)]
// The shared --optimizer names one; compare takes --optimizers.
#[command(mut_arg("optimizer", |a| a.hide(true)))]
pub struct CompareArgs {
    /// A named function (rosenbrock, beale, ...), a formula, or a data set (CSV or
    /// Parquet, with --target) to fit a linear regression to.
    #[arg(value_name = "FUNCTION|DATA", allow_hyphen_values = true)]
    pub function: String,

    /// The optimizers to race, comma-separated (any of `downhill optimizers`).
    #[arg(long, value_delimiter = ',', required = true, value_name = "A,B,..")]
    pub optimizers: Vec<String>,

    /// Learning rates: one per optimizer ('-' keeps its default), or several for a single
    /// optimizer (one run each).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "LR,.."
    )]
    pub lrs: Option<Vec<String>>,

    /// The starting point, one value per variable [default: the function's usual start;
    /// zeros for a formula; for a data set, the weights then the intercept, in the data's
    /// units, default zeros].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "X,Y,.."
    )]
    pub from: Option<Vec<f64>>,

    /// The order of a formula's variables [default: sorted by name].
    #[arg(long, value_delimiter = ',', value_name = "A,B,..")]
    pub vars: Option<Vec<String>>,

    /// A data set's column to predict (a linear regression is fitted).
    #[arg(short, long)]
    pub target: Option<String>,

    /// A data set's feature columns [default: every other column].
    #[arg(short, long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,

    /// Fit on the raw features instead of z-scores (data sets).
    #[arg(long)]
    pub no_standardize: bool,

    /// "Steps to reach" counts the steps until the value is within this of the minimum
    /// (relative to it when its size is above 1).
    #[arg(long, default_value_t = 1e-6, value_parser = crate::cli::positive, allow_negative_numbers = true)]
    pub target_tol: f64,

    #[command(flatten)]
    pub train: TrainArgs,

    /// Print the comparison as one JSON object on stdout instead of a table.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub pictures: Pictures,
}

use downhill::spec::Contestant as Entry;

/// One contestant's result.
struct Outcome {
    entry: Entry,
    run: Run,
    /// Parameters of every step in the picture's units (a regression's original units).
    path: Vec<(f64, f64)>,
    /// The answer when it is not the last step's parameters (a regression's, in the data's
    /// units).
    final_params: Option<Vec<f64>>,
}

/// Runs `downhill compare`.
pub fn run(args: &CompareArgs) -> Result<()> {
    if args.train.optimizer != "gd" {
        bail!("--optimizer: compare races several, so name them with --optimizers");
    }
    let entries = entries(args)?;
    let is_data = args.target.is_some() || looks_like_data(&args.function);
    if is_data {
        return compare_data(args, entries);
    }
    if args.features.is_some() || args.no_standardize {
        bail!(
            "--features and --no-standardize go with a data set and --target; '{}' is a function",
            args.function
        );
    }
    let f = function::parse(&args.function, args.vars.as_deref())?;
    function::refuse_data_flags(&args.train)?;
    let start = function::start(&f, args.from.as_deref())?;
    args.pictures.check(|flag| function::check_2d(&f, flag))?;
    // Plain gd without a rate runs at the named function's own, as in `minimize`.
    let mut entries = entries;
    downhill::spec::on_function(&f, &mut entries)?;
    let entrants: Vec<Entrant> = build_all(&entries)?
        .into_iter()
        .map(|(m, config)| Entrant {
            method: function::method(m),
            config,
        })
        .collect();
    let quiet = args.train.quiet || args.json;
    let race = run::race(&f, &start, entrants, args.target_tol, &mut |_| {
        Box::new(watch::Watcher::new(quiet)) as Box<dyn downhill::train::Observer>
    })
    .map_err(method::flagged)?;
    let outcomes: Vec<Outcome> = entries
        .into_iter()
        .zip(race.runs)
        .map(|(entry, run)| Outcome {
            path: run.trace.xy(),
            entry,
            run,
            final_params: None,
        })
        .collect();
    let scene = Scene {
        title: f.label(),
        start: start.clone(),
        names: f.vars().to_vec(),
        // The known minimum, else the best value any run found.
        minimum: race.minimum,
        minimum_known: race.minimum_known,
        minima: f
            .minima()
            .iter()
            .filter(|m| m.len() >= 2)
            .map(|m| (m[0], m[1]))
            .collect(),
        same_units: true,
        axes: (
            f.vars()[0].clone(),
            f.vars().get(1).cloned().unwrap_or_default(),
        ),
    };
    draw(args, &scene, &outcomes, &|x, y| {
        downhill::Objective::cost(&f, &[x, y])
    })?;
    report(args, &scene, &outcomes)
}

/// A path that names a table: `.csv`, `.parquet`, `.pq`.
fn looks_like_data(spec: &str) -> bool {
    let lower = spec.trim().to_ascii_lowercase();
    [".csv", ".parquet", ".pq", ".tsv"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The contestants, from --optimizers and --lr/--lrs.
fn entries(args: &CompareArgs) -> Result<Vec<Entry>> {
    let lrs = match &args.lrs {
        Some(list) => Some(
            list.iter()
                .map(|s| parse_lr(s))
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    };
    let base = crate::spec::of_train(&args.train);
    Ok(downhill::spec::contestants(
        &base,
        &args.optimizers,
        lrs.as_deref(),
    )?)
}

fn parse_lr(s: &str) -> Result<Option<f64>> {
    let s = s.trim();
    if s == "-" || s.eq_ignore_ascii_case("default") {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(Some(v)),
        _ => bail!("--lrs: '{s}' is not a positive learning rate (or '-' for the default)"),
    }
}

/// Every method and loop settings, before any run, so a bad flag fails at once.
fn build_all(entries: &[Entry]) -> Result<Vec<(Method, TrainConfig)>> {
    entries
        .iter()
        .map(|e| {
            let m = e
                .spec
                .build_method(MethodFacts::default())
                .map_err(method::flagged)
                .with_context(|| e.name.clone())?;
            let c = e.spec.train_config().map_err(method::flagged)?;
            Ok((m, c))
        })
        .collect()
}

/// What the table and the pictures need besides the runs.
struct Scene {
    title: String,
    start: Vec<f64>,
    names: Vec<String>,
    /// The minimum value the "steps to reach" column measures against.
    minimum: Option<f64>,
    /// Whether `minimum` is exact (a known minimum), rather than the best found.
    minimum_known: bool,
    minima: Vec<(f64, f64)>,
    same_units: bool,
    /// The surface's axis labels.
    axes: (String, String),
}

fn report(args: &CompareArgs, scene: &Scene, outcomes: &[Outcome]) -> Result<()> {
    if !args.train.quiet {
        if let Some(w) = not_converged(outcomes, args.train.gtol) {
            eprintln!("downhill: warning: {w}");
        }
    }
    let mut out = std::io::stdout().lock();
    let reach = |o: &Outcome| {
        scene
            .minimum
            .and_then(|m| run::steps_to_reach(&o.run.trace.values, m, args.target_tol))
    };
    if args.json {
        let report = CompareReport {
            function: scene.title.clone(),
            start: Named::new(&scene.names, &scene.start),
            minimum: scene.minimum,
            minimum_known: scene.minimum_known,
            target_tol: args.target_tol,
            runs: outcomes
                .iter()
                .map(|o| {
                    RunReport::new(
                        &o.entry,
                        &scene.names,
                        &o.run,
                        o.final_params.as_deref(),
                        reach(o),
                    )
                })
                .collect(),
        };
        let report = serde_json::to_string(&report)?;
        writeln!(out, "{report}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{} from {}",
        scene.title,
        point_text(&scene.names, &scene.start)
    )?;
    let tol = short(args.target_tol);
    match scene.minimum {
        Some(m) if scene.minimum_known => writeln!(
            out,
            "minimum {}; \"reached\": the first step within {tol} of it",
            short(m)
        )?,
        Some(m) => writeln!(
            out,
            "minimum unknown; \"reached\": the first step within {tol} of the best value found, {}",
            short(m)
        )?,
        None => writeln!(out, "no minimum known or found")?,
    }
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            let (_, value, _, _) = final_state(o);
            let value = match &o.run.end {
                End::Diverged { .. } if !o.run.unbounded_below => "diverged".to_string(),
                _ => format!("{value:.6e}"),
            };
            let stop = match &o.run.end {
                End::Diverged { step, .. } if o.run.unbounded_below => {
                    format!("unbounded below (-inf at step {step})")
                }
                End::Diverged { step, .. } => format!("diverged at step {step}"),
                End::Finished(r) if o.run.unbounded_below => {
                    format!("{}; unbounded below", short_reason(r.stop_reason))
                }
                End::Finished(r) => short_reason(r.stop_reason).to_string(),
            };
            [
                o.entry.label.clone(),
                value,
                reach(o).map_or("-".into(), |s| s.to_string()),
                o.run.steps().to_string(),
                stop,
                seconds(o.run.elapsed.as_secs_f64()),
            ]
        })
        .collect();
    let head = [
        "optimizer",
        "final value",
        "reached",
        "steps",
        "stop",
        "time",
    ];
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (k, (c, w)) in cells.iter().zip(widths).enumerate() {
            // Text left, numbers right.
            if matches!(k, 0 | 4) {
                s.push_str(&format!("{c:<w$}  "));
            } else {
                s.push_str(&format!("{c:>w$}  "));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(head))?;
    for r in &rows {
        writeln!(
            out,
            "{}",
            line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]].map(String::as_str))
        )?;
    }
    if outcomes.iter().any(|o| o.run.unbounded_below) {
        writeln!(
            out,
            "{} is unbounded below along these paths: there is no minimum to find",
            scene.title
        )?;
    }
    let p = &args.pictures;
    for (what, path) in [
        ("loss plot", p.plot_loss.as_ref()),
        ("surface", p.plot_surface.as_ref()),
        ("3-D plot", p.plot_3d.as_ref()),
    ] {
        if let Some(path) = path {
            writeln!(out, "{what:<10} {}", path.display())?;
        }
    }
    Ok(())
}

/// One line on the runs that stopped at their limit before converging (a run that
/// diverged says so in its row; one that found no bottom is reported as unbounded).
fn not_converged(outcomes: &[Outcome], gtol: f64) -> Option<String> {
    let short_runs: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            warning::shortfall(&o.run, gtol).map(|what| format!("{} {what}", o.entry.label))
        })
        .collect();
    if short_runs.is_empty() {
        return None;
    }
    Some(format!(
        "{} of {} runs did not converge: {}; try more --epochs, another --lr, or lbfgs or newton in --optimizers",
        short_runs.len(),
        outcomes.len(),
        short_runs.join("; ")
    ))
}

fn point_text(names: &[String], p: &[f64]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(p)
        .map(|(n, v)| format!("{n} = {}", short(*v)))
        .collect();
    format!("({})", parts.join(", "))
}

fn short_reason(r: downhill::train::StopReason) -> &'static str {
    use downhill::train::StopReason::*;
    match r {
        GradientTolerance => "converged (gtol)",
        CostTolerance => "converged (tol)",
        EarlyStopping => "early stopping",
        MaxEpochs => "epoch limit",
        TimeLimit => "time limit",
        Interrupted => "interrupted",
    }
}

/// The last parameters, value, gradient norm and stop reason of a run (a diverged one's
/// last finite step).
fn final_state(o: &Outcome) -> (Vec<f64>, f64, f64, String) {
    downhill::spec::final_state(&o.run, o.final_params.as_deref())
}

/// The surface, 3-D and loss pictures of the runs.
fn draw(
    args: &CompareArgs,
    scene: &Scene,
    outcomes: &[Outcome],
    f: &dyn Fn(f64, f64) -> f64,
) -> Result<()> {
    let p = &args.pictures;
    // Diverged runs first, so their lines (often along the same first direction as a
    // converging run's) lie under the others rather than hiding them.
    let mut order: Vec<&Outcome> = outcomes.iter().collect();
    order.sort_by_key(|o| !o.run.lost());
    let outcomes = order;
    let labels: Vec<String> = outcomes
        .iter()
        .map(|o| match &o.run.end {
            End::Diverged { step, .. } if !o.run.unbounded_below => {
                format!("{} - diverged at step {step}", o.entry.label)
            }
            _ => o.entry.label.clone(),
        })
        .collect();
    if let Some(path) = &p.plot_loss {
        let values: Vec<&[f64]> = outcomes
            .iter()
            .map(|o| o.run.trace.values.as_slice())
            .collect();
        // Above the minimum only when it is exact; a best-found one would hide the best run.
        let min = scene.minimum.filter(|_| scene.minimum_known);
        let unbounded = outcomes.iter().any(|o| o.run.unbounded_below);
        let (curves, scale) = pictures::loss_curves(&values, min, unbounded);
        let names: Vec<String> = labels
            .iter()
            .map(|l| format!("{l}{}", scale.suffix()))
            .collect();
        let series: Vec<Series> = names
            .iter()
            .zip(&curves)
            .map(|(n, v)| Series { name: n, values: v })
            .collect();
        plot::loss_curve(path, p.plot_size, &series, true)
            .with_context(|| format!("--plot-loss {}", path.display()))?;
    }
    if p.plot_surface.is_none() && p.plot_3d.is_none() {
        return Ok(());
    }
    let paths: Vec<NamedPath> = outcomes
        .iter()
        .zip(&labels)
        .map(|(o, l)| NamedPath {
            name: l,
            points: &o.path,
        })
        .collect();
    let bounds: Option<Bounds> = match pictures::bounds(p.bounds.as_deref())? {
        Some(b) => Some(b),
        None => {
            let mut anchors = vec![(scene.start[0], scene.start[1])];
            anchors.extend(&scene.minima);
            let all: Vec<(&[(f64, f64)], bool)> = outcomes
                .iter()
                .map(|o| (o.path.as_slice(), o.run.unbounded_below || o.run.diverged()))
                .collect();
            pictures::region(&anchors, &all, scene.same_units)
        }
    };
    let axes = (scene.axes.0.as_str(), scene.axes.1.as_str());
    if let Some(path) = &p.plot_surface {
        plot::surface(path, p.plot_size, f, bounds, &paths, &scene.minima, axes)
            .with_context(|| format!("--plot-surface {}", path.display()))?;
    }
    if let Some(path) = &p.plot_3d {
        plot::surface_3d(path, p.plot_size, f, bounds, &paths, &scene.minima, axes)
            .with_context(|| format!("--plot-3d {}", path.display()))?;
    }
    Ok(())
}

/// `compare DATA --target y`: a linear regression fitted by each optimizer.
fn compare_data(args: &CompareArgs, entries: Vec<Entry>) -> Result<()> {
    let data_path = PathBuf::from(args.function.trim());
    let Some(target_name) = &args.target else {
        bail!(
            "{}: a data set needs --target, the column to predict",
            data_path.display()
        );
    };
    if args.vars.is_some() {
        bail!("--vars orders a formula's variables; a data set's parameters are its --features");
    }
    let header = table::header(&data_path)?;
    let target = header.index(&data_path, target_name, "target")?;
    let feature_names: Vec<String> = match &args.features {
        Some(list) => list.iter().map(|s| s.trim().to_string()).collect(),
        None => header
            .names
            .iter()
            .filter(|n| *n != target_name)
            .cloned()
            .collect(),
    };
    if feature_names.is_empty() {
        bail!(
            "{}: no feature columns besides the target '{target_name}'",
            data_path.display()
        );
    }
    let mut features = Vec::new();
    for name in &feature_names {
        if name == target_name {
            bail!("--features: '{name}' is the target; a column cannot predict itself");
        }
        let j = header.index(&data_path, name, "feature")?;
        if features.contains(&j) {
            bail!("--features: '{name}' is listed twice");
        }
        features.push(j);
    }
    let d = features.len();
    let one = d == 1;
    args.pictures.check(|flag| {
        if one {
            Ok(())
        } else {
            bail!("{flag} draws the cost over (weight, intercept) of a one-feature regression; this one has {d} features")
        }
    })?;
    // The parameters are named as `fit --json` names them: each feature's weight, then
    // the intercept.
    let mut names = feature_names.clone();
    names.push("intercept".into());
    let init = match &args.from {
        Some(p) if p.len() != d + 1 => bail!(
            "--from: expected {} values (one weight per feature: {}, then the intercept), got {}",
            d + 1,
            feature_names.join(", "),
            p.len()
        ),
        Some(p) if p.iter().any(|v| !v.is_finite()) => bail!("--from: every value must be finite"),
        Some(p) => p.clone(),
        None => vec![0.0; d + 1],
    };
    let methods = build_all(&entries)?;
    let loaded = table::load(&data_path, &header, &features, Target::Numeric(target))?;
    let x = Matrix::from_row_major(loaded.rows, d, loaded.x)?;
    let y = loaded.y;
    let data = || Dataset::new(x.clone(), y.clone()).map_err(anyhow::Error::new);
    let standardize = !args.no_standardize;
    let explain = |e: Error| {
        super::fit::unstandardisable(&e, &data_path, &feature_names)
            .unwrap_or_else(|| method::flagged(e))
    };
    // The steps of a run that diverged are only known in the optimizer's coordinates.
    let standardizer = if standardize {
        Some(Standardizer::fit(&x).map_err(explain)?)
    } else {
        None
    };

    // The least-squares answer, to measure against: Newton on the exact Hessian.
    let reference = {
        let newton = downhill::solver::by_name("newton", &Default::default());
        let mut est = LinearRegression {
            standardize,
            solver: newton,
            config: TrainConfig {
                max_epochs: 100,
                record_params: false,
                ..TrainConfig::default()
            },
            ..LinearRegression::default()
        };
        est.fit(data()?).map_err(explain)?
    };

    // The recorder sees the optimizer's coordinates; pictures are in the data's units.
    let to_original = |trace: &mut Trace| {
        if let Some(s) = &standardizer {
            trace.map_params(|p| {
                let (w, b) = s.to_original(&p[..d], p[d]);
                p[..d].copy_from_slice(&w);
                p[d] = b;
            });
        }
    };
    let quiet = args.train.quiet || args.json;
    let mut outcomes = Vec::new();
    for (entry, (m, mut config)) in entries.into_iter().zip(methods) {
        config.record_params = true;
        let (optimizer, last) = Tap::wrap(m.optimizer);
        let mut est = LinearRegression {
            standardize,
            init: args.from.clone(),
            optimizer,
            schedule: m.schedule,
            solver: m.solver,
            config,
            validation_fraction: entry.spec.validation_fraction,
            ..LinearRegression::default()
        };
        let mut watcher = watch::Watcher::new(quiet);
        let mut recording = Recording::new(d + 1, &mut watcher);
        let began = Instant::now();
        let result = est.fit_with(data()?, &mut recording);
        let elapsed = began.elapsed();
        let mut trace = recording.trace;
        drop(watcher);
        let (end, final_params) = match result {
            Ok(fit) => {
                if fit.history.has_params() && fit.history.len() == trace.len() {
                    // The history holds every step in the data's units, exactly.
                    trace.params.clear();
                    for k in 0..fit.history.len() {
                        trace
                            .params
                            .extend_from_slice(fit.history.params(k).unwrap_or(&[]));
                    }
                } else {
                    to_original(&mut trace);
                }
                let mut params = fit.weights.clone();
                params.push(fit.intercept);
                let report = downhill::train::Report {
                    params: params.clone(),
                    cost: fit.cost,
                    grad_norm: fit.grad_norm,
                    validation_cost: fit.validation_cost,
                    epochs: fit.epochs,
                    stop_reason: fit.stop_reason,
                    history: downhill::train::History::new(0),
                    elapsed: fit.train_time,
                    evaluations: 0,
                };
                (End::Finished(Box::new(report)), Some(params))
            }
            Err(Error::Diverged {
                epoch, cost, lr, ..
            }) => {
                trace.push_diverged(Tap::last(&last), cost, lr);
                to_original(&mut trace);
                (
                    End::Diverged {
                        step: epoch,
                        value: cost,
                        lr,
                    },
                    None,
                )
            }
            Err(e) => return Err(explain(e)).with_context(|| entry.label.clone()),
        };
        let path = if one { trace.xy() } else { Vec::new() };
        outcomes.push(Outcome {
            entry,
            run: Run {
                trace,
                end,
                elapsed,
                // Least squares has a bottom.
                unbounded_below: false,
            },
            path,
            final_params,
        });
    }
    let mut minimum_point = reference.weights.clone();
    minimum_point.push(reference.intercept);
    let scene = Scene {
        title: format!(
            "{target_name} ~ {} (linear regression, MSE) on {}",
            feature_names.join(" + "),
            data_path.display()
        ),
        start: init,
        names,
        minimum: Some(reference.cost),
        minimum_known: true,
        minima: if one {
            vec![(minimum_point[0], minimum_point[1])]
        } else {
            Vec::new()
        },
        same_units: false,
        axes: (
            format!("weight of {}", feature_names[0]),
            "intercept".into(),
        ),
    };
    let xs: Vec<f64> = x.column(0).collect();
    let mse = |m: f64, b: f64| {
        let sum: f64 = xs
            .iter()
            .zip(&y)
            .map(|(xi, yi)| (yi - m * xi - b).powi(2))
            .sum();
        sum / xs.len() as f64
    };
    draw(args, &scene, &outcomes, &mse)?;
    report(args, &scene, &outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_paths_and_rates() {
        assert!(looks_like_data("data/engel.csv") && !looks_like_data("x^2"));
        assert_eq!(parse_lr("-").unwrap(), None);
        assert!(parse_lr("0").is_err());
    }
}

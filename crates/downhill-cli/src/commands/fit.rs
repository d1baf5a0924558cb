//! `downhill fit`: read a table, fit a model, report, draw, write the model.

use crate::checkpoint::Files;
use crate::cli::FitArgs;
use crate::design::Design;
use crate::method::flagged;
use crate::progress::Progress;
use crate::{labels, plot, report};
use anyhow::{bail, Result};
use downhill::data::{Dataset, Matrix};
use downhill::spec::{Fitted, ModelKind, Problem, RunSpec};
use downhill::Error;
use downhill_io::shards;
use downhill_io::table::{self, Loaded, Target};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs `downhill fit`.
pub fn run(args: &FitArgs) -> Result<()> {
    let spec = crate::spec::of_fit(args);
    if args.parallel.hogwild && !crate::commands::fit_ranks::wanted(args) {
        Files::refuse(&spec, "--hogwild (not reproducible)")?;
        return crate::commands::fit_ranks::run_hogwild(args);
    }
    if crate::commands::fit_ranks::wanted(args) {
        return crate::commands::fit_ranks::run(args);
    }
    if crate::commands::fit_stream::wanted(args)? {
        return crate::commands::fit_stream::run(args);
    }
    let files = Files::of(&spec)?;
    let load_start = Instant::now();
    let shards = data_files(args)?;
    let first = &shards[0];
    let header = table::header(first)?;
    let target = header.index(first, &args.target, "target")?;
    let design = Design::for_fit(
        first,
        &header,
        &args.target,
        args.features.as_deref(),
        spec.degree,
        spec.degree_columns.as_deref(),
    )?;
    check_plots(args, &spec, &design)?;
    let read = match spec.model {
        ModelKind::Linear => Target::Numeric(target),
        _ => Target::Text(target),
    };
    let Loaded { x, rows, y, labels } = load(&shards, &header, &design.columns, read)
        .map_err(|e| {
            let text = format!("{e:#}");
            if spec.model == ModelKind::Linear && text.contains(&format!("column '{}'", args.target)) && text.contains("not a number") {
                anyhow::anyhow!("{text}: the target of --model linear must be numeric; for class labels use --model logistic (two classes) or --model softmax")
            } else {
                e
            }
        })?;
    let (y, classes) = match spec.model {
        ModelKind::Linear => (y, None),
        ModelKind::Logistic => {
            let (c, y) =
                labels::binary(&args.data, &args.target, &labels, spec.positive.as_deref())?;
            (y, Some(c))
        }
        ModelKind::Softmax => {
            if spec.positive.is_some() {
                bail!("--positive goes with --model logistic (two classes)");
            }
            let (c, y) = labels::multiclass(&args.data, &args.target, &labels)?;
            (y, Some(c))
        }
    };
    // The classes are numbers now: the texts' codes are not needed during the fit.
    drop(labels);
    // Linear regression adds the powers itself, in a better-conditioned basis.
    let x = match spec.model {
        ModelKind::Linear => design.base_matrix(x, rows)?,
        _ => design.matrix(x, rows)?,
    };
    let rows = x.rows();
    // The pictures of the data need at most two columns: copy those, not the data.
    let picture = wants_data_picture(args).then(|| PictureData::copy(&x, &y));
    let data = Dataset::new(x, y).map_err(flagged)?;
    let load_seconds = load_start.elapsed().as_secs_f64();

    let runner = spec
        .runner_for(design.terms.len(), Some(rows))
        .map_err(flagged)?;
    // On stderr, so that it is said with --json too.
    if let Some(note) = runner.note() {
        if !args.train.quiet {
            eprintln!("downhill: {note}");
        }
    }
    let n_classes = classes.as_ref().map_or(1, Vec::len);
    check_init(&spec, &design, n_classes)?;
    let mut progress = Progress::new(
        runner.config().max_epochs,
        args.train.quiet || args.out.json,
    )
    .with_checkpoints(files);
    let problem = Problem {
        classes,
        polynomial: match spec.model {
            ModelKind::Linear => design.powers().cloned(),
            // The classifiers' powers are columns of the data already.
            _ => None,
        },
    };
    let fit = runner.fit(data, problem, &mut progress);
    progress.finish();
    let fit = fit.map_err(|e| explain(e, &args.data, &design.terms, &spec))?;

    draw(args, &design, &fit, picture.as_ref())?;
    let run = Run {
        spec: &spec,
        design: &design,
        rows,
        load_seconds,
    };
    finish(args, &run, &fit)
}

/// The files of the data set: DATA and MORE, each glob pattern replaced by its matches
/// sorted by name (see `downhill_io::shards`).
pub(crate) fn data_files(args: &FitArgs) -> Result<Vec<PathBuf>> {
    let mut paths = vec![args.data.clone()];
    paths.extend(args.more_data.iter().cloned());
    shards::expand(&paths)
}

/// The rows of `files` in order: one file read as always, several one after another.
pub(crate) fn load(
    files: &[PathBuf],
    header: &table::Header,
    columns: &[usize],
    read: Target,
) -> Result<table::Loaded> {
    match files {
        [one] => table::load(one, header, columns, read),
        _ => shards::load(files, header, columns, read),
    }
}

fn check_init(spec: &RunSpec, design: &Design, outputs: usize) -> Result<()> {
    let Some(init) = &spec.init else {
        return Ok(());
    };
    let per = design.terms.len() + usize::from(spec.fit_intercept);
    let want = per
        * if spec.model == ModelKind::Softmax {
            outputs
        } else {
            1
        };
    if init.len() != want {
        bail!(
            "--init: expected {want} values ({}{}), got {}",
            if spec.model == ModelKind::Softmax {
                "per class: "
            } else {
                ""
            },
            if !spec.fit_intercept {
                "one weight per term".to_string()
            } else {
                format!(
                    "one weight per term ({}), then the intercept",
                    design.terms.join(", ")
                )
            },
            init.len()
        );
    }
    Ok(())
}

/// History column names for the parameters, in the estimator's layout.
fn history_names(terms: &[String], classes: Option<&[String]>, intercept: bool) -> Vec<String> {
    let one = |prefix: &str| {
        let mut v: Vec<String> = terms.iter().map(|t| format!("{prefix}{t}")).collect();
        if intercept {
            v.push(format!("{prefix}intercept"));
        }
        v
    };
    match classes {
        Some(c) if c.len() > 2 => c.iter().flat_map(|c| one(&format!("{c}:"))).collect(),
        _ => one(""),
    }
}

/// A column that cannot be standardised, named as the user named it (`names`, in the
/// design's order); `None` for every other error. Shared with `compare`.
pub(crate) fn unstandardisable(e: &Error, data: &Path, names: &[String]) -> Option<anyhow::Error> {
    let (column, why) = match *e {
        Error::ConstantFeature { column } => (
            column,
            "is constant, so it cannot be standardised: leave it out of --features, or use --no-standardize",
        ),
        Error::FeatureOverflow { column } => (
            column,
            "is too large to standardise (the squares of its values overflow a double): divide the column by a power of ten",
        ),
        _ => return None,
    };
    let name = names.get(column).map_or("?", String::as_str);
    Some(anyhow::anyhow!(
        "{}: feature '{name}' {why}",
        data.display()
    ))
}

/// Library errors, reworded with the user's names and flags (shared with the streamed fit).
pub(crate) fn explain(e: Error, data: &Path, terms: &[String], spec: &RunSpec) -> anyhow::Error {
    if let Some(named) = unstandardisable(&e, data, terms) {
        return named;
    }
    match e {
        Error::Diverged { epoch, cost, lr, .. } => anyhow::anyhow!(
            "the run diverged at epoch {epoch} (cost {cost:e}) with learning rate {lr:e}: try a smaller --lr{}; no model was written",
            if spec.standardize { "" } else { ", or drop --no-standardize" }
        ),
        e @ Error::NonFinite { .. } => non_finite(&e, data, !spec.standardize),
        e @ Error::Separable { .. } => anyhow::anyhow!("{e}"),
        Error::Source(message) => anyhow::anyhow!("{message}"),
        e => flagged(e),
    }
}

/// An overflow of the cost or gradient at the start, with what to change.
pub(crate) fn non_finite(e: &Error, data: &Path, raw: bool) -> anyhow::Error {
    let Error::NonFinite { what } = e else {
        return anyhow::anyhow!("{e}");
    };
    let advice = if raw {
        "the raw features are too large for --no-standardize: drop --no-standardize, or rescale the columns"
    } else {
        "rescale the columns of the data"
    };
    anyhow::anyhow!(
        "{}: the {what} overflowed at the start (it is not finite): {advice}; no model was written",
        data.display()
    )
}

/// The columns the data pictures need, copied before the data goes to the estimator.
struct PictureData {
    x0: Vec<f64>,
    x1: Vec<f64>,
    y: Vec<f64>,
}

impl PictureData {
    fn copy(x: &Matrix, y: &[f64]) -> Self {
        PictureData {
            x0: x.column(0).collect(),
            x1: if x.cols() > 1 {
                x.column(1).collect()
            } else {
                Vec::new()
            },
            y: y.to_vec(),
        }
    }
}

fn wants_data_picture(args: &FitArgs) -> bool {
    let o = &args.out;
    o.plot_fit.is_some()
        || o.plot_surface.is_some()
        || o.plot_3d.is_some()
        || o.plot_boundary.is_some()
}

/// Refuses pictures that do not fit the model before any work is done.
fn check_plots(args: &FitArgs, m: &RunSpec, design: &Design) -> Result<()> {
    let o = &args.out;
    let one_feature_line = m.model == ModelKind::Linear && design.terms.len() == 1;
    for (flag, given) in [
        ("--plot-fit", o.plot_fit.is_some()),
        ("--plot-surface", o.plot_surface.is_some()),
        ("--plot-3d", o.plot_3d.is_some()),
    ] {
        if given && !one_feature_line {
            bail!(
                "{flag} needs a linear model with one feature (this one has {}: {})",
                design.terms.len(),
                design.terms.join(", ")
            );
        }
        if given && flag != "--plot-fit" && !m.fit_intercept {
            bail!("{flag} draws the cost over (weight, intercept): it needs the intercept (drop --no-intercept)");
        }
    }
    if o.plot_boundary.is_some() && !(m.model == ModelKind::Logistic && design.terms.len() == 2) {
        bail!("--plot-boundary needs a logistic model with two features (this one: {} model, {} features)", m.model.as_str(), design.terms.len());
    }
    for p in [
        &o.plot_loss,
        &o.plot_fit,
        &o.plot_surface,
        &o.plot_3d,
        &o.plot_boundary,
    ]
    .into_iter()
    .flatten()
    {
        plot::Format::of(p)?;
    }
    Ok(())
}

fn draw(args: &FitArgs, design: &Design, fit: &Fitted, data: Option<&PictureData>) -> Result<()> {
    let o = &args.out;
    let size = plot::Size::default();
    if let Some(path) = &o.plot_loss {
        let cost: Vec<f64> = fit.history.records().iter().map(|r| r.cost).collect();
        let valid: Vec<f64> = fit
            .history
            .records()
            .iter()
            .filter_map(|r| r.validation_cost)
            .collect();
        let mut series = vec![plot::Series {
            name: "training cost",
            values: &cost,
        }];
        if !valid.is_empty() {
            series.push(plot::Series {
                name: "validation cost",
                values: &valid,
            });
        }
        plot::loss_curve(path, size, &series, true)?;
    }
    let Some(data) = data else { return Ok(()) };
    let labels = (design.terms[0].as_str(), args.target.as_str());
    if let Some(path) = &o.plot_fit {
        plot::fit_line(
            path,
            size,
            &data.x0,
            &data.y,
            fit.weights[0][0],
            fit.intercept[0],
            labels,
        )?;
    }
    if o.plot_surface.is_some() || o.plot_3d.is_some() {
        let steps: Vec<(f64, f64)> = (0..fit.history.len())
            .filter_map(|k| fit.history.params(k).map(|p| (p[0], p[1])))
            .collect();
        let steps = plot::thin(&steps, plot::MAX_POINTS);
        let mse = |m: f64, b: f64| {
            data.x0
                .iter()
                .zip(&data.y)
                .map(|(x, y)| (y - (m * x + b)).powi(2))
                .sum::<f64>()
                / data.y.len() as f64
        };
        let name = format!(
            "{} (lr {})",
            args.train.optimizer,
            args.train.lr.map_or("default".into(), |l| l.to_string())
        );
        let paths = [plot::NamedPath {
            name: &name,
            points: &steps,
        }];
        // The end is the minimum only when the run converged.
        let end = (fit.weights[0][0], fit.intercept[0]);
        let minimum: Vec<(f64, f64)> = fit
            .stop_reason
            .converged()
            .then_some(end)
            .into_iter()
            .collect();
        let axes = (
            format!("weight of {}", design.terms[0]),
            "intercept".to_string(),
        );
        let axes = (axes.0.as_str(), axes.1.as_str());
        let bounds = Some(axis_bounds(&steps, end));
        if let Some(path) = &o.plot_surface {
            plot::surface(path, size, &mse, bounds, &paths, &minimum, axes)?;
        }
        if let Some(path) = &o.plot_3d {
            plot::surface_3d(path, size, &mse, bounds, &paths, &minimum, axes)?;
        }
    }
    if let Some(path) = &o.plot_boundary {
        let points: Vec<(f64, f64)> = data
            .x0
            .iter()
            .zip(&data.x1)
            .map(|(a, b)| (*a, *b))
            .collect();
        let positive: Vec<bool> = data.y.iter().map(|y| *y > 0.5).collect();
        let classes = fit.classes.clone().unwrap_or_default();
        let names = (
            classes.first().map_or("0", String::as_str),
            classes.get(1).map_or("1", String::as_str),
        );
        let w = &fit.weights[0];
        plot::boundary(
            path,
            size,
            &points,
            &positive,
            [w[0], w[1]],
            fit.intercept[0],
            (design.terms[0].as_str(), design.terms[1].as_str()),
            names,
        )?;
    }
    Ok(())
}

/// Bounds around the path and the minimum, each axis on its own scale (a weight and an
/// intercept can differ by orders of magnitude), with a margin of a quarter span.
fn axis_bounds(steps: &[(f64, f64)], minimum: (f64, f64)) -> plot::Bounds {
    let axis = |v: &mut dyn Iterator<Item = f64>, centre: f64| {
        let (lo, hi) = v.fold((centre, centre), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let span = (hi - lo).max(0.1 * centre.abs()).max(1e-9);
        (lo - 0.25 * span, hi + 0.25 * span)
    };
    plot::Bounds {
        x: axis(&mut steps.iter().map(|p| p.0), minimum.0),
        y: axis(&mut steps.iter().map(|p| p.1), minimum.1),
    }
}

/// What a fit ran on and with, for [`finish`].
pub(crate) struct Run<'a> {
    /// The description run.
    pub spec: &'a RunSpec,
    /// Columns and terms.
    pub design: &'a Design,
    /// Rows trained on.
    pub rows: usize,
    /// Time to read them.
    pub load_seconds: f64,
}

/// Everything after training, shared by in-memory and streamed fits: the model file, the
/// history, and the report on stdout.
pub(crate) fn finish(args: &FitArgs, run: &Run, fit: &Fitted) -> Result<()> {
    let spec = run.spec;
    let model = downhill_io::fitted::model_file(
        &downhill_io::fitted::FitOf {
            spec,
            target: &args.target,
            features: &run.design.features,
            terms: &run.design.terms,
            polynomial: run.design.polynomial.as_ref().map(|(_, p)| p),
            rows: run.rows,
        },
        fit,
    );
    if !args.train.quiet {
        if let Some(warning) = report::not_converged(fit) {
            eprintln!("downhill: warning: {warning}");
        }
    }
    if let Some(path) = &args.out.history {
        report::write_history(
            path,
            fit,
            &history_names(
                &run.design.terms,
                fit.classes.as_deref(),
                spec.fit_intercept,
            ),
        )?;
    }
    if let Some(path) = &args.out.output {
        model.write(path)?;
    }
    let info = report::FitInfo {
        data: &args.data,
        target: &args.target,
        terms: &run.design.terms,
        model: &model,
        rows: run.rows,
        load_seconds: run.load_seconds,
    };
    if args.out.json {
        report::json(&info, fit)
    } else {
        report::summary(&info, fit, args.out.output.as_deref())
    }
}

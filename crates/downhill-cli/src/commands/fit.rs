//! `downhill fit`: read a table, fit a model, report, draw, write the model.

use crate::cli::{FitArgs, LossKind, ModelArgs, ModelKind};
use crate::design::Design;
use crate::method::{self, flagged};
use crate::progress::Progress;
use crate::{labels, plot, report};
use anyhow::{bail, Result};
use downhill::data::{Dataset, Matrix, Standardizer};
use downhill::estimator::{
    ClassificationLoss, LinearRegression, LogisticRegression, RegressionLoss, SoftmaxRegression,
};
use downhill::metrics::Scores;
use downhill::penalty::Penalty;
use downhill::train::{History, StopReason};
use downhill::Error;
use downhill_io::model_file::{ModelFile, Standardization, Training, FORMAT, VERSION};
use downhill_io::table::{self, Target};
use std::path::Path;
use std::time::{Duration, Instant};

/// A fit of any model, as the command reports it (original units).
pub struct Outcome {
    /// Class labels (classification).
    pub classes: Option<Vec<String>>,
    /// One row of weights per output.
    pub weights: Vec<Vec<f64>>,
    /// One intercept per output.
    pub intercept: Vec<f64>,
    /// Standardisation used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// Final training cost.
    pub cost: f64,
    /// Final gradient norm.
    pub grad_norm: f64,
    /// Final held-out cost.
    pub validation_cost: Option<f64>,
    /// Epochs run.
    pub epochs: usize,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// Every epoch.
    pub history: History,
    /// Training time.
    pub train_time: Duration,
    /// Metrics on the training rows.
    pub train_scores: Option<Scores>,
    /// Metrics on the held-out rows.
    pub validation_scores: Option<Scores>,
}

/// The fields every fitted estimator shares, as an [`Outcome`]; weights, intercepts and
/// classes differ in shape per model and are given.
macro_rules! outcome {
    ($f:ident, $classes:expr, $weights:expr, $intercept:expr) => {
        Outcome {
            classes: $classes,
            weights: $weights,
            intercept: $intercept,
            standardizer: $f.standardizer,
            cost: $f.cost,
            grad_norm: $f.grad_norm,
            validation_cost: $f.validation_cost,
            epochs: $f.epochs,
            stop_reason: $f.stop_reason,
            history: $f.history,
            train_time: $f.train_time,
            train_scores: $f.train_scores,
            validation_scores: $f.validation_scores,
        }
    };
}

/// Runs `downhill fit`.
pub fn run(args: &FitArgs) -> Result<()> {
    if crate::commands::fit_stream::wanted(args)? {
        return crate::commands::fit_stream::run(args);
    }
    let load_start = Instant::now();
    let m = &args.model;
    let header = table::header(&args.data)?;
    let target = header.index(&args.data, &args.target, "target")?;
    let design = Design::for_fit(
        &args.data,
        &header,
        &args.target,
        args.features.as_deref(),
        m.degree,
        m.degree_columns.as_deref(),
    )?;
    check_plots(args, &design)?;
    let read = match m.model {
        ModelKind::Linear => Target::Numeric(target),
        _ => Target::Text(target),
    };
    let table = table::load(&args.data, &header, &design.columns, read).map_err(|e| {
        let text = format!("{e:#}");
        if m.model == ModelKind::Linear && text.contains(&format!("column '{}'", args.target)) && text.contains("not a number") {
            anyhow::anyhow!("{text}: the target of --model linear must be numeric; for class labels use --model logistic (two classes) or --model softmax")
        } else {
            e
        }
    })?;
    let (y, classes) = match m.model {
        ModelKind::Linear => (table.y, None),
        ModelKind::Logistic => {
            let (c, y) = labels::binary(
                &args.data,
                &args.target,
                &table.labels,
                m.positive.as_deref(),
            )?;
            (y, Some(c))
        }
        ModelKind::Softmax => {
            if m.positive.is_some() {
                bail!("--positive goes with --model logistic (two classes)");
            }
            let (c, y) = labels::multiclass(&args.data, &args.target, &table.labels)?;
            (y, Some(c))
        }
    };
    // Linear regression adds the powers itself, in a better-conditioned basis.
    let x = match m.model {
        ModelKind::Linear => design.base_matrix(table.x, table.rows)?,
        _ => design.matrix(table.x, table.rows)?,
    };
    let rows = x.rows();
    // The pictures of the data need at most two columns: copy those, not the data.
    let picture = wants_data_picture(args).then(|| PictureData::copy(&x, &y));
    let data = Dataset::new(x, y).map_err(flagged)?;
    let load_seconds = load_start.elapsed().as_secs_f64();

    let method = method::build(&args.train)?;
    if let Some(note) = &method.note {
        if !args.out.json {
            eprintln!("downhill: {note}");
        }
    }
    let config = method::config(&args.train)?;
    let penalty = penalty(m)?;
    let n_classes = classes.as_ref().map_or(1, Vec::len);
    check_init(args, &design, n_classes)?;
    let mut progress = Progress::new(config.max_epochs, args.train.quiet || args.out.json);
    let fit = match m.model {
        ModelKind::Linear => {
            let mut est = LinearRegression {
                standardize: !m.no_standardize,
                fit_intercept: !m.no_intercept,
                polynomial: design.powers().cloned(),
                loss: regression_loss(m)?,
                penalty,
                init: args.init.clone(),
                validation_fraction: args.train.validation_fraction,
                optimizer: method.optimizer,
                schedule: method.schedule,
                solver: method.solver,
                config: config.clone(),
                precision: precision(m),
            };
            est.fit_with(data, &mut progress)
                .map(|f| outcome!(f, None, vec![f.weights], vec![f.intercept]))
        }
        ModelKind::Logistic => {
            let mut est = LogisticRegression {
                standardize: !m.no_standardize,
                fit_intercept: !m.no_intercept,
                loss: classification_loss(m, false)?,
                penalty,
                init: args.init.clone(),
                validation_fraction: args.train.validation_fraction,
                optimizer: method.optimizer,
                schedule: method.schedule,
                solver: method.solver,
                config: config.clone(),
                precision: precision(m),
            };
            est.fit_with(data, &mut progress)
                .map(|f| outcome!(f, classes.clone(), vec![f.weights], vec![f.intercept]))
        }
        ModelKind::Softmax => {
            classification_loss(m, true)?;
            let mut est = SoftmaxRegression {
                standardize: !m.no_standardize,
                fit_intercept: !m.no_intercept,
                penalty,
                init: args.init.clone(),
                validation_fraction: args.train.validation_fraction,
                optimizer: method.optimizer,
                schedule: method.schedule,
                solver: method.solver,
                config: config.clone(),
                precision: precision(m),
            };
            est.fit_with(data, &mut progress).map(|f| {
                outcome!(
                    f,
                    classes.clone(),
                    f.weights.iter_rows().map(<[f64]>::to_vec).collect(),
                    f.intercepts
                )
            })
        }
    };
    progress.finish();
    let fit = fit.map_err(|e| explain(e, &args.data, &design.terms, m))?;

    draw(args, &design, &fit, picture.as_ref())?;
    let run = Run {
        design: &design,
        optimizer: &method.name,
        lr: method.lr,
        config: &config,
        penalty,
        rows,
        load_seconds,
    };
    finish(args, &run, &fit)
}

fn precision(m: &ModelArgs) -> downhill::data::Precision {
    match m.precision {
        crate::cli::Precision::F64 => downhill::data::Precision::F64,
        crate::cli::Precision::F32 => downhill::data::Precision::F32,
    }
}

fn model_name(k: ModelKind) -> &'static str {
    match k {
        ModelKind::Linear => "linear",
        ModelKind::Logistic => "logistic",
        ModelKind::Softmax => "softmax",
    }
}

fn loss_name(m: &ModelArgs) -> String {
    let loss = m.loss.unwrap_or(match m.model {
        ModelKind::Linear => LossKind::Squared,
        _ => LossKind::Log,
    });
    clap::ValueEnum::to_possible_value(&loss)
        .map_or_else(|| "?".into(), |v| v.get_name().to_string())
}

fn regression_loss(m: &ModelArgs) -> Result<RegressionLoss> {
    Ok(match m.loss.unwrap_or(LossKind::Squared) {
        LossKind::Squared => RegressionLoss::Squared,
        LossKind::Absolute => RegressionLoss::Absolute,
        LossKind::Huber => RegressionLoss::Huber(m.huber_delta),
        LossKind::EpsilonInsensitive => RegressionLoss::EpsilonInsensitive(m.epsilon),
        other => bail!(
            "--loss {}: not a regression loss; for classification use --model logistic or softmax",
            clap::ValueEnum::to_possible_value(&other)
                .map_or("?".into(), |v| v.get_name().to_string())
        ),
    })
}

fn classification_loss(m: &ModelArgs, softmax: bool) -> Result<ClassificationLoss> {
    match (m.loss.unwrap_or(LossKind::Log), softmax) {
        (LossKind::Log, _) => Ok(ClassificationLoss::Log),
        (LossKind::Hinge, false) => Ok(ClassificationLoss::Hinge),
        (LossKind::Hinge, true) => bail!("--loss hinge goes with --model logistic (two classes)"),
        (other, _) => bail!(
            "--loss {}: a regression loss; a classifier takes --loss log{}",
            clap::ValueEnum::to_possible_value(&other)
                .map_or("?".into(), |v| v.get_name().to_string()),
            if softmax { "" } else { " or hinge" }
        ),
    }
}

fn penalty(m: &ModelArgs) -> Result<Penalty> {
    match (m.l1_ratio, m.penalty) {
        (Some(r), Some(a)) => {
            if m.l1.is_some() || m.l2.is_some() {
                bail!("--l1-ratio with --penalty sets both strengths: leave out --l1 and --l2");
            }
            if r > 1.0 {
                bail!("--l1-ratio {r} must be between 0 and 1");
            }
            Ok(Penalty {
                l1: a * r,
                l2: a * (1.0 - r),
            })
        }
        _ => Ok(Penalty {
            l1: m.l1.unwrap_or(0.0),
            l2: m.l2.unwrap_or(0.0),
        }),
    }
}

fn check_init(args: &FitArgs, design: &Design, outputs: usize) -> Result<()> {
    let Some(init) = &args.init else {
        return Ok(());
    };
    let per = design.terms.len() + usize::from(!args.model.no_intercept);
    let want = per
        * if args.model.model == ModelKind::Softmax {
            outputs
        } else {
            1
        };
    if init.len() != want {
        bail!(
            "--init: expected {want} values ({}{}), got {}",
            if args.model.model == ModelKind::Softmax {
                "per class: "
            } else {
                ""
            },
            if args.model.no_intercept {
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

/// Library errors, reworded with the user's names and flags.
fn explain(e: Error, data: &Path, terms: &[String], m: &ModelArgs) -> anyhow::Error {
    match e {
        Error::ConstantFeature { column } => anyhow::anyhow!(
            "{}: feature '{}' is constant, so it cannot be standardised: leave it out of --features, or use --no-standardize",
            data.display(),
            terms.get(column).map_or("?", String::as_str)
        ),
        Error::Diverged { epoch, cost, lr, .. } => anyhow::anyhow!(
            "the run diverged at epoch {epoch} (cost {cost:e}) with learning rate {lr:e}: try a smaller --lr{}; no model was written",
            if m.no_standardize { ", or drop --no-standardize" } else { "" }
        ),
        e @ Error::Separable { .. } => anyhow::anyhow!("{e}"),
        e => flagged(e),
    }
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
fn check_plots(args: &FitArgs, design: &Design) -> Result<()> {
    let o = &args.out;
    let m = &args.model;
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
        if given && flag != "--plot-fit" && m.no_intercept {
            bail!("{flag} draws the cost over (weight, intercept): it needs the intercept (drop --no-intercept)");
        }
    }
    if o.plot_boundary.is_some() && !(m.model == ModelKind::Logistic && design.terms.len() == 2) {
        bail!("--plot-boundary needs a logistic model with two features (this one: {} model, {} features)", model_name(m.model), design.terms.len());
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

fn draw(args: &FitArgs, design: &Design, fit: &Outcome, data: Option<&PictureData>) -> Result<()> {
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
    /// Columns and terms.
    pub design: &'a Design,
    /// The optimizer's name, as run.
    pub optimizer: &'a str,
    /// Its starting learning rate (none for solvers).
    pub lr: Option<f64>,
    /// The loop settings.
    pub config: &'a downhill::train::TrainConfig,
    /// The penalty.
    pub penalty: Penalty,
    /// Rows trained on.
    pub rows: usize,
    /// Time to read them.
    pub load_seconds: f64,
}

/// Everything after training, shared by in-memory and streamed fits: the model file, the
/// history, and the report on stdout.
pub(crate) fn finish(args: &FitArgs, run: &Run, fit: &Outcome) -> Result<()> {
    let m = &args.model;
    let model = ModelFile {
        format: FORMAT.into(),
        version: VERSION,
        model: model_name(m.model).into(),
        loss: loss_name(m),
        target: args.target.clone(),
        features: run.design.features.clone(),
        polynomial: run.design.polynomial.as_ref().map(|(_, p)| p.clone()),
        terms: run.design.terms.clone(),
        classes: fit.classes.clone(),
        weights: fit.weights.clone(),
        intercept: fit.intercept.clone(),
        fit_intercept: !m.no_intercept,
        standardization: fit.standardizer.as_ref().map(|s| Standardization {
            mean: s.mean.clone(),
            scale: s.scale.clone(),
        }),
        training: Training {
            optimizer: run.optimizer.to_string(),
            lr: run.lr,
            schedule: args.train.schedule.clone(),
            batch_size: run.config.batch_size,
            l1: run.penalty.l1,
            l2: run.penalty.l2,
            max_epochs: run.config.max_epochs,
            epochs: fit.epochs,
            gtol: run.config.gtol,
            tol: run.config.tol,
            seed: run.config.seed,
            stop_reason: fit.stop_reason.as_str().into(),
            rows: run.rows,
        },
        cost: fit.cost,
    };
    if let Some(path) = &args.out.history {
        report::write_history(
            path,
            fit,
            &history_names(&run.design.terms, fit.classes.as_deref(), !m.no_intercept),
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

//! `downhill fit`: read a table, fit, report, write the model.

use crate::cli::FitArgs;
use crate::io::csv::{self, Header, Target};
use crate::io::model_file::{ModelFile, Standardization, Training, FORMAT, VERSION};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use downhill::data::{Dataset, Matrix};
use downhill::estimator::{FittedLinear, LinearRegression};
use downhill::schedule::Constant;
use downhill::train::TrainConfig;
use downhill::Error;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Runs `downhill fit`.
pub fn run(args: &FitArgs) -> Result<()> {
    let load_start = Instant::now();
    let header = Header::read(&args.data)?;
    let target = header.index(&args.data, &args.target, "target")?;
    let feature_names: Vec<String> = match &args.features {
        Some(list) => list.iter().map(|s| s.trim().to_string()).collect(),
        None => header
            .names
            .iter()
            .filter(|n| **n != args.target)
            .cloned()
            .collect(),
    };
    if feature_names.is_empty() {
        bail!(
            "{}: no feature columns besides the target '{}'",
            args.data.display(),
            args.target
        );
    }
    let mut features = Vec::with_capacity(feature_names.len());
    for name in &feature_names {
        if *name == args.target {
            bail!("--features: '{name}' is the target; a column cannot predict itself");
        }
        let j = header.index(&args.data, name, "feature")?;
        if features.contains(&j) {
            bail!("--features: '{name}' is listed twice");
        }
        features.push(j);
    }
    let table = csv::load(&args.data, &header, &features, Target::Numeric(target))?;
    let x = Matrix::from_row_major(table.rows, features.len(), table.x)?;
    let data = Dataset::new(x, table.y)?;
    let load_seconds = load_start.elapsed().as_secs_f64();

    let t = &args.train;
    if let Some(init) = &args.init {
        if init.len() != feature_names.len() + 1 {
            bail!(
                "--init: expected {} values (one weight per feature: {}, then the intercept), got {}",
                feature_names.len() + 1,
                feature_names.join(", "),
                init.len()
            );
        }
    }
    let mut estimator = LinearRegression {
        standardize: !t.no_standardize,
        init: args.init.clone(),
        schedule: Box::new(Constant(t.lr)),
        config: TrainConfig {
            max_epochs: t.epochs,
            gtol: t.gtol,
            tol: t.tol,
            n_iter_no_change: t.n_iter_no_change,
            ..TrainConfig::default()
        },
        ..LinearRegression::default()
    };
    let rows = data.n_rows();
    let mut progress = Progress::new(t.epochs, args.out.quiet || args.out.json);
    let result = estimator.fit_with(data, &mut progress);
    progress.finish();
    let fit = result.map_err(|e| explain(e, &args.data, &feature_names))?;

    let model = ModelFile {
        format: FORMAT.into(),
        version: VERSION,
        model: "linear".into(),
        target: args.target.clone(),
        features: feature_names.clone(),
        weights: fit.weights.clone(),
        intercept: fit.intercept,
        fit_intercept: fit.fit_intercept,
        standardization: fit.standardizer.as_ref().map(|s| Standardization {
            mean: s.mean.clone(),
            scale: s.scale.clone(),
        }),
        training: Training {
            optimizer: "gd".into(),
            lr: t.lr,
            max_epochs: t.epochs,
            epochs: fit.epochs,
            gtol: t.gtol,
            tol: t.tol,
            stop_reason: fit.stop_reason.as_str().into(),
            rows,
        },
        cost: fit.cost,
    };
    if let Some(path) = &args.out.history {
        write_history(path, &fit, &feature_names)?;
    }
    if let Some(path) = &args.out.output {
        model.write(path)?;
    }
    let mut out = std::io::stdout().lock();
    if args.out.json {
        let weights: serde_json::Map<String, serde_json::Value> = feature_names
            .iter()
            .zip(&fit.weights)
            .map(|(n, w)| (n.clone(), json!(w)))
            .collect();
        let report = json!({
            "weights": weights,
            "intercept": fit.intercept,
            "cost": fit.cost,
            "epochs": fit.epochs,
            "stop_reason": fit.stop_reason.as_str(),
            "gradient_norm": fit.grad_norm,
            "rows": rows,
            "load_seconds": load_seconds,
            "train_seconds": fit.train_time.as_secs_f64(),
        });
        writeln!(out, "{report}")?;
    } else {
        summary(&mut out, args, &fit, &feature_names, rows)?;
    }
    Ok(())
}

/// Library errors, reworded with the user's names and flags.
fn explain(e: Error, data: &Path, features: &[String]) -> anyhow::Error {
    match e {
        Error::ConstantFeature { column } => anyhow::anyhow!(
            "{}: feature '{}' is constant, so it cannot be standardised: leave it out of --features, or use --no-standardize",
            data.display(),
            features.get(column).map_or("?", String::as_str)
        ),
        Error::Diverged { epoch, cost, lr, hint } => anyhow::anyhow!(
            "the run diverged at epoch {epoch} (cost {cost:e}) with learning rate {lr:e}: try a smaller --lr{}; no model was written",
            if hint.is_empty() { "" } else { ", or drop --no-standardize" }
        ),
        e => anyhow::Error::new(e),
    }
}

fn summary(
    out: &mut dyn Write,
    args: &FitArgs,
    fit: &FittedLinear,
    names: &[String],
    rows: usize,
) -> Result<()> {
    writeln!(
        out,
        "{} ~ {}   ({} rows of {})",
        args.target,
        names.join(" + "),
        rows,
        args.data.display()
    )?;
    let width = names.iter().map(String::len).max().unwrap_or(0).max(9);
    for (n, w) in names.iter().zip(&fit.weights) {
        writeln!(out, "  {n:<width$}  {w:>24}")?;
    }
    writeln!(out, "  {:<width$}  {:>24}", "intercept", fit.intercept)?;
    writeln!(out, "cost (MSE)  {}", fit.cost)?;
    writeln!(out, "epochs      {}  ({})", fit.epochs, fit.stop_reason)?;
    writeln!(out, "time        {}", seconds(fit.train_time.as_secs_f64()))?;
    if let Some(path) = &args.out.output {
        writeln!(out, "model       {}", path.display())?;
    }
    Ok(())
}

fn write_history(path: &Path, fit: &FittedLinear, names: &[String]) -> Result<()> {
    crate::io::atomic::write(path, |out| {
        let mut w = ::csv::Writer::from_writer(out);
        let has_validation = fit.validation_cost.is_some();
        let mut head = vec!["epoch", "cost", "grad_norm", "lr"];
        if has_validation {
            head.push("validation_cost");
        }
        head.extend(names.iter().map(String::as_str));
        if fit.fit_intercept {
            head.push("intercept");
        }
        w.write_record(&head)?;
        let mut row = Vec::with_capacity(head.len());
        for (k, r) in fit.history.records().iter().enumerate() {
            row.clear();
            row.push(r.epoch.to_string());
            row.extend([r.cost, r.grad_norm, r.lr].map(|v| v.to_string()));
            if has_validation {
                row.push(r.validation_cost.map_or(String::new(), |v| v.to_string()));
            }
            if let Some(p) = fit.history.params(k) {
                row.extend(p.iter().map(|v| v.to_string()));
            }
            w.write_record(&row)?;
        }
        w.flush().context("cannot write the history")?;
        Ok(())
    })
}

/// A duration for people: `0.42 ms`, `1.3 s`.
fn seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

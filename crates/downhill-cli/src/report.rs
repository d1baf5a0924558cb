//! What `fit` says: a summary for people, one JSON object for programs, the history file.

use anyhow::{Context, Result};
use downhill::metrics::Scores;
use downhill::spec::Fitted;
use downhill::train::StopReason;
use downhill_io::model_file::ModelFile;

use std::io::Write;
use std::path::Path;

/// The fit's context.
pub struct FitInfo<'a> {
    /// The data file.
    pub data: &'a Path,
    /// The target column.
    pub target: &'a str,
    /// The model's terms.
    pub terms: &'a [String],
    /// The model as written.
    pub model: &'a ModelFile,
    /// Rows read.
    pub rows: usize,
    /// Time to read them.
    pub load_seconds: f64,
}

pub use downhill_io::fitted::scores_json;

/// Metrics on one line.
pub fn scores_line(s: &Scores) -> String {
    match s {
        Scores::Regression { r2, rmse, mae } => {
            format!("R^2 {r2:.6}  RMSE {rmse:.6}  MAE {mae:.6}")
        }
        Scores::Classification {
            accuracy,
            log_loss,
            precision,
            recall,
            f1,
            ..
        } => format!(
            "accuracy {accuracy:.4}{}  precision {precision:.4}  recall {recall:.4}  F1 {f1:.4}",
            log_loss.map_or(String::new(), |l| format!("  log-loss {l:.6}"))
        ),
    }
}

/// Prints the fit as one JSON object.
pub fn json(info: &FitInfo, fit: &Fitted) -> Result<()> {
    let out = downhill_io::fitted::report_json(info.model, fit, Some(info.load_seconds));
    writeln!(std::io::stdout().lock(), "{out}")?;
    Ok(())
}

/// The warning for a run that ended at its epoch or time limit before its tolerance: how far
/// the gradient norm fell, and what to try. `None` for a run that converged or was stopped by
/// the user.
pub fn not_converged(fit: &Fitted) -> Option<String> {
    let limit = match fit.stop_reason {
        StopReason::MaxEpochs => format!("the epoch limit (--epochs {})", fit.config.max_epochs),
        StopReason::TimeLimit => format!(
            "the time limit (--time-limit {} s)",
            fit.config.time_limit.map_or(0.0, |t| t.as_secs_f64())
        ),
        _ => return None,
    };
    let start = fit
        .history
        .records()
        .first()
        .map_or(f64::NAN, |r| r.grad_norm);
    let ratio = fit.grad_norm / start;
    // Methods that choose their own steps have no learning rate to change.
    let tries = if fit.lr.is_none() {
        "try more --epochs"
    } else {
        "try --optimizer auto, more --epochs, or another --lr"
    };
    Some(format!(
        "the fit did not converge: it stopped at {limit} with the gradient norm at {ratio:.1e} of its start (--gtol {:e}); {tries}",
        fit.config.gtol
    ))
}

/// Prints the fit for people.
pub fn summary(info: &FitInfo, fit: &Fitted, model_path: Option<&Path>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let m = info.model;
    writeln!(
        out,
        "{} ~ {}   ({} regression, {} loss; {} rows of {})",
        info.target,
        info.terms.join(" + "),
        m.model,
        m.loss,
        info.rows,
        info.data.display()
    )?;
    let width = info.terms.iter().map(String::len).max().unwrap_or(0).max(9);
    match (&fit.classes, m.model.as_str()) {
        (Some(classes), "softmax") => {
            write!(out, "  {:<width$}", "")?;
            for c in classes {
                write!(out, "  {c:>22}")?;
            }
            writeln!(out)?;
            for (j, t) in info.terms.iter().enumerate() {
                write!(out, "  {t:<width$}")?;
                for w in &fit.weights {
                    write!(out, "  {:>22}", w[j])?;
                }
                writeln!(out)?;
            }
            write!(out, "  {:<width$}", "intercept")?;
            for b in &fit.intercept {
                write!(out, "  {b:>22}")?;
            }
            writeln!(out)?;
        }
        _ => {
            if let Some(c) = &fit.classes {
                writeln!(out, "  positive class '{}' (negative '{}')", c[1], c[0])?;
            }
            for (n, w) in info.terms.iter().zip(&fit.weights[0]) {
                writeln!(out, "  {n:<width$}  {w:>24}")?;
            }
            writeln!(out, "  {:<width$}  {:>24}", "intercept", fit.intercept[0])?;
        }
    }
    let t = &m.training;
    let penalty = match (t.l1 > 0.0, t.l2 > 0.0) {
        (false, false) => String::new(),
        (true, false) => format!(" + L1 {}", t.l1),
        (false, true) => format!(" + L2 {}", t.l2),
        (true, true) => format!(" + L1 {} + L2 {}", t.l1, t.l2),
    };
    writeln!(
        out,
        "cost        {}  (mean {} loss{penalty})",
        fit.cost, m.loss
    )?;
    let lr = t.lr.map_or(String::new(), |lr| format!(", lr {lr}"));
    let batch = t
        .batch_size
        .map_or(", full batch".to_string(), |b| format!(", batches of {b}"));
    let schedule = if t.schedule == "constant" {
        String::new()
    } else {
        format!(", schedule {}", t.schedule)
    };
    writeln!(out, "optimizer   {}{lr}{schedule}{batch}", t.optimizer)?;
    writeln!(out, "epochs      {}  ({})", fit.epochs, fit.stop_reason)?;
    writeln!(out, "time        {}", seconds(fit.train_time.as_secs_f64()))?;
    if let Some(s) = &fit.train_scores {
        writeln!(out, "training    {}", scores_line(s))?;
    }
    if let Some(s) = &fit.validation_scores {
        writeln!(
            out,
            "validation  {}  (cost {})",
            scores_line(s),
            fit.validation_cost.unwrap_or(f64::NAN)
        )?;
    }
    if let (Some(Scores::Classification { confusion, .. }), Some(classes)) =
        (&fit.train_scores, &fit.classes)
    {
        confusion_table(&mut out, confusion, classes)?;
    }
    if let Some(path) = model_path {
        writeln!(out, "model       {}", path.display())?;
    }
    Ok(())
}

/// A confusion matrix with class names (rows: true class, columns: predicted).
pub fn confusion_table(
    out: &mut dyn Write,
    confusion: &[Vec<usize>],
    classes: &[String],
) -> Result<()> {
    let corner = "true \\ predicted";
    let first = classes
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(1)
        .max(corner.len());
    let w = classes.iter().map(String::len).max().unwrap_or(1).max(6);
    write!(out, "confusion   {corner:<first$}")?;
    for c in classes {
        write!(out, "  {c:>w$}")?;
    }
    writeln!(out)?;
    for (c, row) in classes.iter().zip(confusion) {
        write!(out, "            {c:<first$}")?;
        for n in row {
            write!(out, "  {n:>w$}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A duration for people: `0.42 ms`, `1.3 s`.
pub fn seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Writes every epoch: epoch, cost, gradient norm, learning rate, validation cost (when
/// there are held-out rows), then the parameters in original units.
pub fn write_history(path: &Path, fit: &Fitted, names: &[String]) -> Result<()> {
    downhill_io::atomic::write(path, |out| {
        let mut w = ::csv::Writer::from_writer(out);
        let has_validation = fit.validation_cost.is_some();
        let mut head = vec!["epoch", "cost", "grad_norm", "lr"];
        if has_validation {
            head.push("validation_cost");
        }
        if fit.history.has_params() {
            head.extend(names.iter().map(String::as_str));
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

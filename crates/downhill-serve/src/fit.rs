//! `POST /api/fit`: a fit of a shipped data set or an uploaded CSV, described by the JSON of
//! `downhill fit`'s flags (the library's `spec::RunSpec`) and run by the library's runner,
//! its epochs streamed as server-sent events while it runs.
//!
//! Everything that can be refused (the JSON, the data set, the columns, the CSV, the
//! settings) is refused with a 4xx before the stream starts. The stream then says `start`
//! (what is fitted, the command that reproduces it, the points to draw), `epoch` (batches of
//! epochs: training and validation cost, and the parameters in the data's units), and
//! `done` (the answer of `fit --json`, the model file and the path) or `error`.

use crate::api::{problem, Problem, MAX_EPOCHS};
use crate::datasets;
use crate::table;
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use downhill::data::{Dataset, Matrix, Standardizer};
use downhill::spec::{self, Fitted, ModelKind, RunSpec};
use downhill::train::EpochInfo;
use downhill_io::fitted::{self, FitOf};
use downhill_io::labels;
use downhill_io::table::Target;
use futures_util::Stream;
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The most seconds a fit may take (a longer `time_limit` is cut to this).
pub const MAX_FIT_SECONDS: f64 = 10.0;
/// The most points of the data sent to draw, and of the final path.
const MAX_DRAWN: usize = 2000;
/// The least time between two `epoch` events: the page redraws at most this often.
const EVENT_EVERY: Duration = Duration::from_millis(40);

/// The fields of a fit request that are not the run's description.
struct Data {
    /// The table's name in messages and in the command (`data/engel.csv`, or the upload's
    /// file name).
    name: String,
    bytes: Vec<u8>,
    target: String,
    features: Option<Vec<String>>,
}

/// Splits a request into its data and its run description.
fn parse(body: Value) -> Result<(Data, RunSpec), Problem> {
    let Value::Object(mut obj) = body else {
        return Err(Problem::bad("the body must be a JSON object"));
    };
    let text = |obj: &mut Map<String, Value>, key: &str| -> Result<Option<String>, Problem> {
        match obj.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Problem::bad(format!("{key}: expected a string"))),
        }
    };
    let dataset = text(&mut obj, "dataset")?;
    let csv = text(&mut obj, "csv")?;
    let csv_name = text(&mut obj, "csv_name")?;
    let target = text(&mut obj, "target")?.ok_or_else(|| Problem::bad("target: missing"))?;
    let features = match obj.remove("features") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<Vec<String>>(v)
                .map_err(|_| Problem::bad("features: expected a list of column names"))?,
        ),
    };
    let (name, bytes) =
        match (dataset, csv) {
            (Some(d), None) => {
                let d = datasets::find(&d).ok_or_else(|| {
                    Problem::bad(format!(
                        "dataset: no data set '{d}'; there are: {}",
                        datasets::DATASETS
                            .iter()
                            .map(|d| d.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
                (d.path.to_string(), d.bytes.to_vec())
            }
            (None, Some(c)) => (
                csv_name
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "upload.csv".into()),
                c.into_bytes(),
            ),
            _ => return Err(Problem::bad(
                "give either dataset (a shipped data set's name) or csv (the text of a CSV file)",
            )),
        };
    for (key, why) in [
        (
            "degree",
            "the playground fits the columns as they are; use downhill fit --degree",
        ),
        (
            "degree_columns",
            "the playground fits the columns as they are; use downhill fit --degree-columns",
        ),
        // The playground touches no file: checkpoints are the command line's.
        (
            "checkpoint",
            "the playground writes no files; use downhill fit --checkpoint",
        ),
        (
            "checkpoint_every",
            "the playground writes no files; use downhill fit --checkpoint-every",
        ),
        (
            "resume",
            "the playground reads no files; use downhill fit --resume",
        ),
    ] {
        if obj.get(key).is_some_and(|v| !v.is_null()) {
            return Err(Problem::bad(format!("{key}: {why}")));
        }
    }
    let spec: RunSpec = serde_json::from_value(Value::Object(obj))
        .map_err(|e| Problem::bad(crate::api::one_line(&e.to_string())))?;
    Ok((
        Data {
            name,
            bytes,
            target,
            features,
        },
        spec,
    ))
}

/// A table read and shaped as `fit` shapes it, ready for the runner.
struct Prepared {
    data: Dataset,
    problem: spec::Problem,
    features: Vec<String>,
    /// Up to [`MAX_DRAWN`] rows of the first two features and the target, to draw.
    drawn: Value,
    /// The features' standardisation inside the fit, to show the parameters in the data's
    /// units while it runs (the estimator fits the same on the same rows).
    standardizer: Option<Standardizer>,
}

/// Reads the columns and the target, as `downhill fit` does (`commands/fit.rs`).
fn prepare(d: &Data, spec: &RunSpec) -> Result<Prepared, Problem> {
    let name = d.name.as_str();
    let path = Path::new(name);
    let header = table::header(name, &d.bytes)?;
    let target = header
        .index(path, &d.target, "target")
        .map_err(|e| Problem::bad(format!("{e:#}")))?;
    let features: Vec<String> = match &d.features {
        Some(f) => f.clone(),
        None => header
            .names
            .iter()
            .filter(|n| **n != d.target)
            .cloned()
            .collect(),
    };
    if features.is_empty() {
        return Err(Problem::bad("features: at least one feature column"));
    }
    let mut columns = Vec::with_capacity(features.len());
    for (k, f) in features.iter().enumerate() {
        if *f == d.target {
            return Err(Problem::bad(format!(
                "features: '{f}' is the target column"
            )));
        }
        if features[..k].contains(f) {
            return Err(Problem::bad(format!("features: '{f}' is named twice")));
        }
        columns.push(
            header
                .index(path, f, "feature")
                .map_err(|e| Problem::bad(format!("{e:#}")))?,
        );
    }
    let read = match spec.model {
        ModelKind::Linear => Target::Numeric(target),
        _ => Target::Text(target),
    };
    let t = table::load(name, &d.bytes, &header, &columns, read).map_err(|mut p| {
        if spec.model == ModelKind::Linear && p.message().contains(&format!("column '{}'", d.target))
        {
            p.append(": the target of a linear model must be numeric; for class labels pick logistic (two classes) or softmax");
        }
        p
    })?;
    let bad = |e: anyhow::Error| Problem::bad(format!("{e:#}"));
    let (y, classes) = match spec.model {
        ModelKind::Linear => (t.y, None),
        ModelKind::Logistic => {
            let (c, y) = labels::binary(path, &d.target, &t.labels, spec.positive.as_deref())
                .map_err(bad)?;
            (y, Some(c))
        }
        ModelKind::Softmax => {
            if spec.positive.is_some() {
                return Err(Problem::bad(
                    "positive: goes with the logistic model (two classes)",
                ));
            }
            let (c, y) = labels::multiclass(path, &d.target, &t.labels).map_err(bad)?;
            (y, Some(c))
        }
    };
    let x = Matrix::from_row_major(t.rows, columns.len(), t.x).map_err(problem)?;
    let drawn = drawn(&x, &y);
    let standardizer = match (spec.standardize, spec.fit_intercept) {
        (false, _) => None,
        (true, true) => Standardizer::fit(&x).ok(),
        (true, false) => Standardizer::fit_scale_only(&x).ok(),
    };
    let data = Dataset::new(x, y).map_err(problem)?;
    Ok(Prepared {
        data,
        problem: spec::Problem {
            classes,
            polynomial: None,
        },
        features,
        drawn,
        standardizer,
    })
}

/// Evenly spaced rows (at most [`MAX_DRAWN`]) of the first two features and the target.
fn drawn(x: &Matrix, y: &[f64]) -> Value {
    let n = x.rows();
    let step = n.div_ceil(MAX_DRAWN).max(1);
    let rows: Vec<usize> = (0..n).step_by(step).collect();
    let col = |j: usize| -> Value {
        if j < x.cols() {
            json!(rows.iter().map(|&i| x.row(i)[j]).collect::<Vec<_>>())
        } else {
            Value::Null
        }
    };
    json!({ "x0": col(0), "x1": col(1), "y": rows.iter().map(|&i| y[i]).collect::<Vec<_>>() })
}

/// The epochs gathered between two events.
#[derive(Default)]
struct Batch {
    epochs: Vec<usize>,
    cost: Vec<f64>,
    validation_cost: Vec<Option<f64>>,
    params: Option<Vec<f64>>,
}

impl Batch {
    fn event(&mut self) -> Event {
        let b = std::mem::take(self);
        data_event(
            "epoch",
            &json!({
                "epochs": b.epochs,
                "cost": b.cost,
                "validation_cost": b.validation_cost,
                "params": b.params,
            }),
        )
    }
}

fn data_event(name: &str, v: &Value) -> Event {
    Event::default().event(name).data(v.to_string())
}

/// Parameters in the data's units: the weights then the intercept, for the models with one
/// output (softmax's are not sent while it runs).
fn original(p: &[f64], s: Option<&Standardizer>, intercept: bool, d: usize) -> Option<Vec<f64>> {
    if p.len() != d + usize::from(intercept) {
        return None;
    }
    let b = if intercept { p[d] } else { 0.0 };
    let (w, b) = match s {
        Some(s) => s.to_original(&p[..d], b),
        None => (p[..d].to_vec(), b),
    };
    let mut out = w;
    if intercept {
        out.push(b);
    }
    Some(out)
}

/// `POST /api/fit`.
pub(crate) async fn fit(
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let Json(body) = body.map_err(crate::api::rejected)?;
    let (data, mut spec) = parse(body)?;
    if let Some(e) = spec.epochs.filter(|e| *e > MAX_EPOCHS) {
        return Err(Problem::bad(format!(
            "epochs: {e} is over this server's limit of {MAX_EPOCHS}"
        )));
    }
    // One thread per fit: the pool bounds the fits, so that many at once queue.
    spec.threads = 1;
    spec.validate().map_err(problem)?;
    let mut command = vec![
        "downhill".to_string(),
        "fit".into(),
        data.name.clone(),
        "--target".into(),
        data.target.clone(),
    ];
    if let Some(f) = &data.features {
        command.push("--features".into());
        command.push(f.join(","));
    }
    command.extend(spec.to_command_args());
    spec.time_limit = Some(
        spec.time_limit
            .map_or(MAX_FIT_SECONDS, |t| t.min(MAX_FIT_SECONDS)),
    );

    let (prepared, spec) = tokio::task::spawn_blocking(move || {
        let p = prepare(&data, &spec)?;
        // Settings that need the data's shape (auto's pick, init's length) are refused now.
        spec.runner(p.features.len()).map_err(problem)?;
        Ok::<_, Problem>(((p, data), spec))
    })
    .await
    .map_err(|e| Problem::bad(format!("the data could not be read: {e}")))??;
    let (prepared, data) = prepared;

    let mut slot = crate::status::admit(&state).await?;
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::task::spawn_blocking(move || {
        if let Some((epochs, of)) = run(&data, &spec, prepared, command, &tx) {
            slot.cancelled("/api/fit", epochs, of);
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Runs the fit on this (blocking) thread, telling `tx` as it goes; a closed channel (the
/// client went away) stops the run at its next epoch, and then the answer is the epochs run
/// and the epochs asked.
fn run(
    data: &Data,
    spec: &RunSpec,
    p: Prepared,
    command: Vec<String>,
    tx: &mpsc::Sender<Event>,
) -> Option<(usize, usize)> {
    let Prepared {
        data: dataset,
        problem: prob,
        features,
        drawn,
        standardizer,
    } = p;
    let rows = dataset.y.len();
    let runner = match spec.runner(features.len()) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.blocking_send(error_event(e));
            return None;
        }
    };
    let asked = runner.config().max_epochs;
    let start = json!({
        "rows": rows,
        "target": data.target,
        "features": features,
        "classes": prob.classes,
        "model": spec.model.as_str(),
        "note": runner.note(),
        "max_epochs": runner.config().max_epochs,
        "command": command,
        "data": drawn,
    });
    if tx.blocking_send(data_event("start", &start)).is_err() {
        return Some((0, asked));
    }
    let d = features.len();
    let mut batch = Batch::default();
    let mut last_sent = Instant::now();
    let mut last_kept = 0usize;
    let mut last_params: Option<Vec<f64>> = None;
    // The epoch at which the client was found gone.
    let mut gone: Option<usize> = None;
    let mut observer = |info: &EpochInfo<'_>| -> ControlFlow<()> {
        if tx.is_closed() {
            gone = Some(info.epoch);
            return ControlFlow::Break(());
        }
        // The last epoch's parameters, for the event that follows the run.
        match &mut last_params {
            Some(p) if p.len() == info.params.len() => p.copy_from_slice(info.params),
            _ => last_params = Some(info.params.to_vec()),
        }
        // Every epoch of the first thousand, then about a thousand a decade.
        if info.epoch < 1000 || info.epoch - last_kept >= info.epoch / 1000 {
            last_kept = info.epoch;
            batch.epochs.push(info.epoch);
            batch.cost.push(info.cost);
            batch.validation_cost.push(info.validation_cost);
        }
        if info.epoch == 0 || last_sent.elapsed() >= EVENT_EVERY {
            batch.params = original(info.params, standardizer.as_ref(), spec.fit_intercept, d);
            if tx.blocking_send(batch.event()).is_err() {
                gone = Some(info.epoch);
                return ControlFlow::Break(());
            }
            last_sent = Instant::now();
        }
        ControlFlow::Continue(())
    };
    let result = runner.fit(dataset, prob, &mut observer);
    if !batch.epochs.is_empty() {
        batch.params = last_params
            .as_deref()
            .and_then(|p| original(p, standardizer.as_ref(), spec.fit_intercept, d));
        let _ = tx.blocking_send(batch.event());
    }
    if let Some(epoch) = gone {
        return Some((epoch, asked));
    }
    let event = match result {
        Ok(fit) => done_event(data, spec, &features, rows, &fit),
        Err(e) => error_event(e),
    };
    let _ = tx.blocking_send(event);
    None
}

fn error_event(e: downhill::Error) -> Event {
    data_event("error", &problem(e).body)
}

/// The answer of `fit --json` (without timings), the model file, and the path of the
/// parameters in the data's units (at most [`MAX_DRAWN`] epochs).
fn done_event(
    data: &Data,
    spec: &RunSpec,
    features: &[String],
    rows: usize,
    fit: &Fitted,
) -> Event {
    let model = fitted::model_file(
        &FitOf {
            spec,
            target: &data.target,
            features,
            terms: features,
            polynomial: None,
            rows,
        },
        fit,
    );
    let n = fit.history.len();
    let step = n.div_ceil(MAX_DRAWN).max(1);
    let mut keep: Vec<usize> = (0..n).step_by(step).collect();
    if n > 0 && keep.last() != Some(&(n - 1)) {
        keep.push(n - 1);
    }
    let path = json!({
        "epochs": keep.iter().map(|&k| fit.history.records()[k].epoch).collect::<Vec<_>>(),
        "params": keep.iter().map(|&k| fit.history.params(k)).collect::<Vec<_>>(),
    });
    data_event(
        "done",
        &json!({
            "fit": fitted::report_json(&model, fit, None),
            "train_seconds": fit.train_time.as_secs_f64(),
            "model_file": model,
            "path": path,
        }),
    )
}

//! The JSON API: what the page offers, and races answered as `downhill compare --json`.

use crate::status::{Gone, OnDrop};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use downhill::optim::{self, Hyper, CATALOG};
use downhill::run::{self, Function, Run};
use downhill::spec::{self, CompareReport, RunSpec};
use downhill::train::EpochInfo;
use downhill::{Error, Objective};
use serde::Deserialize;
use serde_json::{json, Value};
use std::ops::ControlFlow;

/// The largest request body, in bytes; a race's description is a few hundred.
pub const MAX_BODY: usize = 1 << 20;
/// The most steps a run may take.
pub const MAX_EPOCHS: usize = 1_000_000;
/// The most seconds a run may take (a longer `time_limit` is cut to this).
pub const MAX_SECONDS: f64 = 3.0;
/// The most points of a run's path sent back; longer paths are thinned evenly.
pub const MAX_POINTS: usize = 5000;
/// The most runs in one race, so that one request cannot hold a worker for long.
const MAX_RUNS: usize = 16;

/// `POST /api/compare`: the fields are `downhill compare`'s flags with `_` for `-`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// A named function or a formula.
    pub function: String,
    /// The start [default: the function's usual one; zeros for a formula].
    pub from: Option<Vec<f64>>,
    /// The order of a formula's variables.
    pub vars: Option<Vec<String>>,
    /// The optimizers to race.
    pub optimizers: Vec<String>,
    /// One learning rate per optimizer, `null` for its default.
    pub lrs: Option<Vec<Option<f64>>>,
    /// "Steps to reach" tolerance.
    #[serde(default = "default_target_tol")]
    pub target_tol: f64,
    /// A learning rate for every first-order optimizer (`--lr`).
    pub lr: Option<f64>,
    pub momentum: Option<f64>,
    pub beta1: Option<f64>,
    pub beta2: Option<f64>,
    pub eps: Option<f64>,
    pub rho: Option<f64>,
    pub weight_decay: Option<f64>,
    pub line_search: Option<String>,
    pub history_size: Option<usize>,
    pub schedule: Option<String>,
    pub clip_norm: Option<f64>,
    pub gradient_noise: Option<f64>,
    pub average: Option<u64>,
    pub epochs: Option<usize>,
    pub gtol: Option<f64>,
    pub tol: Option<f64>,
    pub patience: Option<usize>,
    pub time_limit: Option<f64>,
    pub seed: Option<u64>,
    /// Not a flag of `compare`: the page's contour grid, this many points per side (at most
    /// [`MAX_GRID`]), over the region the page draws (the start, the known minima and the
    /// paths), sent with the race so that the first picture takes one request.
    pub surface: Option<usize>,
}

fn default_target_tol() -> f64 {
    1e-6
}

impl CompareRequest {
    /// The shared settings as the run description `compare`'s flags give.
    fn base(&self) -> RunSpec {
        let d = RunSpec::default();
        RunSpec {
            lr: self.lr,
            momentum: self.momentum,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            rho: self.rho,
            weight_decay: self.weight_decay,
            line_search: self.line_search.clone(),
            history_size: self.history_size.unwrap_or(d.history_size),
            schedule: self.schedule.clone().unwrap_or(d.schedule),
            clip_norm: self.clip_norm,
            gradient_noise: self.gradient_noise,
            average: self.average,
            epochs: self.epochs,
            gtol: self.gtol.unwrap_or(d.gtol),
            tol: self.tol,
            patience: self.patience.unwrap_or(d.patience),
            time_limit: self.time_limit,
            seed: self.seed.unwrap_or(d.seed),
            ..d
        }
    }
}

/// A 4xx answer: `{"error": "one line"}`, with more fields for a formula's column.
pub(crate) struct Problem {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Problem {
    pub(crate) fn bad(message: impl Into<String>) -> Problem {
        Problem::with(StatusCode::BAD_REQUEST, json!({ "error": message.into() }))
    }

    pub(crate) fn with(status: StatusCode, body: Value) -> Problem {
        Problem { status, body }
    }

    /// The one-line message.
    pub(crate) fn message(&self) -> &str {
        self.body.get("error").and_then(Value::as_str).unwrap_or("")
    }

    /// Adds `more` to the end of the message.
    pub(crate) fn append(&mut self, more: &str) {
        if let Some(Value::String(m)) = self.body.get_mut("error") {
            m.push_str(more);
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// A library error as the page shows it: a formula's error with its column, settings
/// named as the request names them.
pub(crate) fn problem(e: Error) -> Problem {
    match e {
        Error::Formula { formula, error } => Problem {
            status: StatusCode::BAD_REQUEST,
            body: json!({
                "error": format!("formula: {error}"),
                "formula": formula,
                "column": error.column(),
            }),
        },
        Error::InvalidSetting { setting, message } => match setting {
            "function" => Problem::bad(message),
            "variables" => Problem::bad(format!("vars: {message}")),
            "start" => Problem::bad(format!("from: {message}")),
            _ => {
                Problem::bad(spec::flagged(Error::InvalidSetting { setting, message }).to_string())
            }
        },
        e => Problem::bad(e.to_string()),
    }
}

pub(crate) async fn not_found() -> Problem {
    Problem {
        status: StatusCode::NOT_FOUND,
        body: json!({ "error": "no such page; the API is /api/functions, /api/optimizers, /api/datasets, /api/compare, /api/surface, /api/table, /api/fit, /api/status" }),
    }
}

/// `GET /api/functions`.
pub(crate) async fn functions() -> Json<Value> {
    Json(function_list())
}

/// `GET /api/optimizers`.
pub(crate) async fn optimizers() -> Json<Value> {
    Json(optimizer_list())
}

/// Every named function, with what the page draws of it.
pub(crate) fn function_list() -> Value {
    let list: Vec<Value> = downhill::functions::ALL
        .iter()
        .map(|f| {
            json!({
                "name": f.name(),
                "description": f.description(),
                "formula": f.formula(),
                "start": f.start(),
                "minima": f.minima(),
                "min_value": f.min_value(),
                "unbounded_below": f.unbounded_below(),
                "gd_lr": f.gd_lr(),
                "gd_epochs": f.gd_epochs(),
            })
        })
        .collect();
    Value::Array(list)
}

/// Every first-order optimizer with its default rate and the hyper-parameters it takes,
/// then the methods that choose their own steps.
pub(crate) fn optimizer_list() -> Value {
    let takes = |name: &str| -> Vec<&'static str> {
        let probes: [(&str, Hyper); 6] = [
            (
                "momentum",
                Hyper {
                    momentum: Some(0.9),
                    ..Hyper::default()
                },
            ),
            (
                "beta1",
                Hyper {
                    beta1: Some(0.9),
                    ..Hyper::default()
                },
            ),
            (
                "beta2",
                Hyper {
                    beta2: Some(0.999),
                    ..Hyper::default()
                },
            ),
            (
                "eps",
                Hyper {
                    eps: Some(1e-8),
                    ..Hyper::default()
                },
            ),
            (
                "rho",
                Hyper {
                    rho: Some(0.9),
                    ..Hyper::default()
                },
            ),
            (
                "weight_decay",
                Hyper {
                    weight_decay: Some(0.01),
                    ..Hyper::default()
                },
            ),
        ];
        probes
            .into_iter()
            .filter(|(_, h)| match optim::build(name, h) {
                Err(Error::InvalidSetting { message, .. }) => !message.contains("does not apply"),
                _ => true,
            })
            .map(|(n, _)| n)
            .collect()
    };
    let mut list: Vec<Value> = CATALOG
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "kind": "first-order",
                "rule": o.rule,
                "defaults": o.defaults,
                "lr": optim::default_lr(o.name),
                "takes": takes(o.name),
            })
        })
        .collect();
    for name in downhill::solver::NAMES {
        list.push(json!({
            "name": name,
            "kind": "chooses its own steps",
            "lr": null,
            "takes": if *name == "lbfgs" { vec!["history_size"] } else { Vec::new() },
        }));
    }
    Value::Array(list)
}

/// `POST /api/compare`.
pub(crate) async fn compare(
    State(state): State<AppState>,
    body: Result<Json<CompareRequest>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let Json(req) = body.map_err(rejected)?;
    if let Some(e) = req.epochs.filter(|e| *e > MAX_EPOCHS) {
        return Err(Problem::bad(format!(
            "epochs: {e} is over this server's limit of {MAX_EPOCHS}"
        )));
    }
    if req
        .optimizers
        .len()
        .max(req.lrs.as_ref().map_or(0, Vec::len))
        > MAX_RUNS
    {
        return Err(Problem::bad(format!(
            "optimizers: at most {MAX_RUNS} runs in one race"
        )));
    }
    // Everything that can be refused is refused before a worker is taken.
    let f = Function::parse(&req.function, req.vars.as_deref()).map_err(problem)?;
    let start = f.start(req.from.as_deref()).map_err(problem)?;
    if let Some(n) = req.surface {
        grid_size(n, "surface")?;
        two_variables(&f)?;
    }
    let mut contestants =
        spec::contestants(&req.base(), &req.optimizers, req.lrs.as_deref()).map_err(problem)?;
    spec::on_function(&f, &mut contestants).map_err(problem)?;
    for c in &mut contestants {
        let t = c
            .spec
            .time_limit
            .map_or(MAX_SECONDS, |t| t.min(MAX_SECONDS));
        c.spec.time_limit = Some(t);
    }
    let entrants = contestants
        .iter()
        .map(|c| c.entrant().map_err(|e| problem_in(&c.name, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut slot = crate::status::admit(&state).await?;
    // A client that goes away stops the race at its next step, and the worker is free.
    let gone = Gone::default();
    let _on_drop = OnDrop(gone.clone());
    let tol = req.target_tol;
    let surface = req.surface;
    let asked: usize = entrants.iter().map(|e| e.config.max_epochs).sum();
    let answer = tokio::task::spawn_blocking(move || {
        let race = run::race(&f, &start, entrants, tol, &mut |_| {
            let gone = gone.clone();
            Box::new(move |_: &EpochInfo<'_>| {
                if gone.is_set() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
        });
        if gone.is_set() {
            let ran = race
                .as_ref()
                .map_or(0, |r| r.runs.iter().map(Run::steps).sum());
            slot.cancelled("/api/compare", ran, asked);
        }
        drop(slot);
        let race = race?;
        let report = CompareReport::of_race(&f, &start, &contestants, &race, tol);
        let mut value = serde_json::to_value(&report).map_err(|e| Error::spec(e.to_string()))?;
        if let Some(runs) = value.get_mut("runs").and_then(Value::as_array_mut) {
            for (r, run) in runs.iter_mut().zip(&race.runs) {
                if let Some(obj) = r.as_object_mut() {
                    obj.insert("path".into(), path(&f, run));
                }
            }
        }
        if let (Some(n), Some(obj)) = (surface, value.as_object_mut()) {
            let bounds = region(&f, &start, &race.runs);
            obj.insert(
                "surface".into(),
                json!({ "bounds": bounds, "n": n, "values": grid(&f, bounds, n) }),
            );
        }
        Ok::<Value, Error>(value)
    })
    .await
    .map_err(|e| Problem {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: json!({ "error": format!("the run failed: {e}") }),
    })?
    .map_err(problem)?;
    Ok(Json(answer))
}

/// An error of one contestant's settings, naming it.
fn problem_in(name: &str, e: Error) -> Problem {
    let mut p = problem(e);
    if let Some(Value::String(m)) = p.body.get_mut("error") {
        *m = format!("{name}: {m}");
    }
    p
}

/// axum's rejection text on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A run's steps: `steps` (their numbers), `points`, `values` and `grad` (the function's
/// exact gradient at each point, for the page's arrows), at most [`MAX_POINTS`] of them,
/// the first and the last always kept. Non-finite numbers are `null`.
fn path(f: &Function, run: &Run) -> Value {
    let t = &run.trace;
    let n = t.len();
    let keep: Vec<usize> = if n <= MAX_POINTS {
        (0..n).collect()
    } else {
        let mut k: Vec<usize> = (0..MAX_POINTS)
            .map(|i| i * (n - 1) / (MAX_POINTS - 1))
            .collect();
        k.dedup();
        k
    };
    json!({
        "steps": keep,
        "points": keep.iter().map(|&k| t.at(k).to_vec()).collect::<Vec<_>>(),
        "values": keep.iter().map(|&k| t.values[k]).collect::<Vec<_>>(),
        "grad": keep.iter().map(|&k| {
            let mut g = vec![0.0; f.dim()];
            f.cost_grad(t.at(k), &mut g);
            g
        }).collect::<Vec<_>>(),
    })
}

/// `POST /api/surface`: a function's values on a grid, for the page's contours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceRequest {
    /// A named function or a formula of two variables.
    pub function: String,
    /// The order of a formula's variables.
    pub vars: Option<Vec<String>>,
    /// `[x_min, x_max, y_min, y_max]`.
    pub bounds: [f64; 4],
    /// Points per side (at most [`MAX_GRID`]).
    #[serde(default = "default_grid")]
    pub n: usize,
}

/// The most points per side of a surface grid.
pub const MAX_GRID: usize = 400;

fn default_grid() -> usize {
    120
}

/// `POST /api/surface`: `{"vars": [..], "n": n, "values": [..]}`, `values` as [`grid`] lays
/// them out; a non-finite value is `null`.
pub(crate) async fn surface(
    body: Result<Json<SurfaceRequest>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let Json(req) = body.map_err(rejected)?;
    grid_size(req.n, "n")?;
    let [x0, x1, y0, y1] = req.bounds;
    if !(req.bounds.iter().all(|v| v.is_finite()) && x0 < x1 && y0 < y1) {
        return Err(Problem::bad(
            "bounds: [x_min, x_max, y_min, y_max], finite, min below max",
        ));
    }
    let f = Function::parse(&req.function, req.vars.as_deref()).map_err(problem)?;
    two_variables(&f)?;
    let values = grid(&f, req.bounds, req.n);
    Ok(Json(
        json!({ "vars": f.vars(), "n": req.n, "values": values }),
    ))
}

/// A grid's points per side, given as `field`.
fn grid_size(n: usize, field: &str) -> Result<(), Problem> {
    if (2..=MAX_GRID).contains(&n) {
        Ok(())
    } else {
        Err(Problem::bad(format!(
            "{field}: between 2 and {MAX_GRID} points per side"
        )))
    }
}

fn two_variables(f: &Function) -> Result<(), Problem> {
    if f.vars().len() == 2 {
        Ok(())
    } else {
        Err(Problem::bad(format!(
            "the playground draws functions of two variables; this one has {} ({})",
            f.vars().len(),
            f.vars().join(", ")
        )))
    }
}

/// `f` on an `n` x `n` grid over `[x_min, x_max, y_min, y_max]`, row by row from `y_min`
/// up, `x_min` first in each row.
fn grid(f: &Function, [x0, x1, y0, y1]: [f64; 4], n: usize) -> Vec<f64> {
    let step = |a: f64, b: f64, i: usize| a + (b - a) * i as f64 / (n - 1) as f64;
    (0..n)
        .flat_map(|j| (0..n).map(move |i| (i, j)))
        .map(|(i, j)| f.cost(&[step(x0, x1, i), step(y0, y1, j)]))
        .collect()
}

/// The square the page draws: the start and the known minima with a margin, widened to
/// the paths as far as four times its size (a diverged path would shrink the rest to a
/// dot).
fn region(f: &Function, start: &[f64], runs: &[Run]) -> [f64; 4] {
    let mut b = [start[0], start[0], start[1], start[1]];
    let take = |b: &mut [f64; 4], p: &[f64]| {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].max(p[0]);
        b[2] = b[2].min(p[1]);
        b[3] = b[3].max(p[1]);
    };
    for m in f.minima() {
        take(&mut b, &m);
    }
    let (w, h) = ((b[1] - b[0]).max(1.0), (b[3] - b[2]).max(1.0));
    let lim = [
        b[0] - 2.0 * w,
        b[1] + 2.0 * w,
        b[2] - 2.0 * h,
        b[3] + 2.0 * h,
    ];
    for run in runs {
        for k in 0..run.trace.len() {
            let p = run.trace.at(k);
            if p.len() == 2
                && (lim[0]..=lim[1]).contains(&p[0])
                && (lim[2]..=lim[3]).contains(&p[1])
            {
                take(&mut b, p);
            }
        }
    }
    let (w, h) = ((b[1] - b[0]).max(0.5), (b[3] - b[2]).max(0.5));
    let (cx, cy, s) = ((b[0] + b[1]) / 2.0, (b[2] + b[3]) / 2.0, w.max(h) * 0.6);
    [cx - s, cx + s, cy - s, cy + s]
}

/// A body the JSON extractor refused: 413 past the cap, 400 for anything else.
pub(crate) fn rejected(r: JsonRejection) -> Problem {
    Problem {
        status: if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            r.status()
        } else {
            StatusCode::BAD_REQUEST
        },
        body: json!({ "error": one_line(&r.body_text()) }),
    }
}

//! `_core.compare`: several optimizers raced on one formula, as `downhill compare --json`
//! reports it (the library's contestants and report, shared with the CLI and the server).

use crate::errors::{message, value_error};
use downhill::run::{self, Function};
use downhill::spec::{self, CompareReport, RunSpec};
use downhill::train::NoObserver;
use pyo3::prelude::*;

/// Races `optimizers` (at the rates `lrs`, `None` for an optimizer's default) on the
/// formula or named function `function` from `x0`; `spec` (JSON) holds the shared
/// settings; `tol` is how close to the best value counts as reaching it.
#[pyfunction]
// The arguments are the Python keywords of the call.
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (function, optimizers, spec, x0=None, lrs=None, vars=None, tol=1e-6))]
pub fn compare(
    py: Python<'_>,
    function: &str,
    optimizers: Vec<String>,
    spec: &str,
    x0: Option<Vec<f64>>,
    lrs: Option<Vec<Option<f64>>>,
    vars: Option<Vec<String>>,
    tol: f64,
) -> PyResult<String> {
    let base: RunSpec = serde_json::from_str(spec).map_err(message)?;
    let f = Function::parse(function, vars.as_deref()).map_err(value_error)?;
    let start = f.start(x0.as_deref()).map_err(value_error)?;
    let mut contestants =
        spec::contestants(&base, &optimizers, lrs.as_deref()).map_err(value_error)?;
    spec::on_function(&f, &mut contestants).map_err(value_error)?;
    let entrants = contestants
        .iter()
        .map(|c| {
            c.entrant()
                .map_err(|e| message(format!("{}: {}", c.name, spec::flagged(e))))
        })
        .collect::<PyResult<Vec<_>>>()?;
    // A formula keeps scratch space in a cell: it moves to the detached run.
    let report = py
        .detach(move || {
            let race = run::race(&f, &start, entrants, tol, &mut |_| Box::new(NoObserver))?;
            Ok::<_, downhill::Error>(CompareReport::of_race(&f, &start, &contestants, &race, tol))
        })
        .map_err(value_error)?;
    serde_json::to_string(&report).map_err(message)
}

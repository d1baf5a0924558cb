//! `_core.minimize_formula` and `_core.minimize_callable`: a method built from a run
//! description (JSON) descends a formula (in Rust, the interpreter released) or a Python
//! function; the outcome comes back as JSON shaped like scipy's `OptimizeResult`.

use crate::errors::{message, value_error};
use crate::signals::Signals;
use downhill::objective::FdHessian;
use downhill::run::Function;
use downhill::spec::{MethodFacts, RunSpec};
use downhill::train::{Report, Trainer};
use downhill::{FiniteSum, Objective};
use numpy::{AllowTypeChange, PyArray1, PyArrayLike1};
use pyo3::prelude::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs the method `spec` describes on `problem` from `x0`.
fn descend<P: FiniteSum>(
    problem: &P,
    x0: Vec<f64>,
    spec: &RunSpec,
    path: bool,
    signals: &mut Signals,
) -> downhill::Result<(Report, Option<String>, String)> {
    let method = spec.build_method(MethodFacts::default())?;
    let mut config = spec.train_config()?;
    config.record_params = path;
    let mut trainer = Trainer {
        config,
        optimizer: method.optimizer,
        schedule: method.schedule,
        solver: method.solver,
    };
    let report = trainer.run(problem, x0, signals)?;
    Ok((report, method.note, method.name))
}

/// The result as JSON: scipy's fields, downhill's stop reason, and the path when asked.
fn result(report: &Report, jac: Vec<f64>, note: Option<String>, name: String, path: bool) -> Value {
    let success = report.stop_reason.converged();
    let status = if success {
        0
    } else if matches!(report.stop_reason, downhill::train::StopReason::MaxEpochs) {
        1
    } else {
        2
    };
    let mut out = json!({
        "x": report.params,
        "fun": report.cost,
        "jac": jac,
        "nit": report.epochs,
        "nfev": report.evaluations,
        "success": success,
        "status": status,
        "message": report.stop_reason.to_string(),
        "stop_reason": report.stop_reason.as_str(),
        "optimizer": name,
        "note": note,
    });
    if path {
        let h = &report.history;
        let points: Vec<&[f64]> = (0..h.len()).filter_map(|k| h.params(k)).collect();
        let values: Vec<f64> = h.records().iter().map(|r| r.cost).collect();
        out["path"] = json!(points);
        out["path_values"] = json!(values);
    }
    out
}

/// Minimises a formula (or a named test function) of the variables `vars` (sorted by name
/// when not given) from `x0` (zeros, or the named function's usual start, when not given).
#[pyfunction]
#[pyo3(signature = (formula, x0, spec, vars=None, path=false))]
pub fn minimize_formula(
    py: Python<'_>,
    formula: &str,
    x0: Option<Vec<f64>>,
    spec: &str,
    vars: Option<Vec<String>>,
    path: bool,
) -> PyResult<String> {
    let spec: RunSpec = serde_json::from_str(spec).map_err(message)?;
    let f = Function::parse(formula, vars.as_deref()).map_err(value_error)?;
    let start = f.start(x0.as_deref()).map_err(value_error)?;
    // A formula keeps scratch space in a cell: it moves to the detached run and back.
    let (f, outcome, raised) = py.detach(move || {
        let mut signals = Signals::new();
        let outcome = descend(&FdHessian(&f), start, &spec, path, &mut signals);
        (f, outcome, signals.raised)
    });
    if let Some(e) = raised {
        return Err(e);
    }
    let (report, note, name) = outcome.map_err(value_error)?;
    let mut jac = vec![0.0; f.vars().len()];
    f.cost_grad(&report.params, &mut jac);
    let mut out = result(&report, jac, note, name, path);
    out["vars"] = json!(f.vars());
    serde_json::to_string(&out).map_err(message)
}

/// How a Python function gives its gradient.
enum Jac {
    /// `fun` returns `(value, gradient)`.
    Returned,
    /// A second callable returns the gradient.
    Callable(Py<PyAny>),
}

/// A Python function as an objective. The first exception it raises is kept (the run then
/// sees NaN and ends) and raised unchanged afterwards.
struct PyObjective {
    fun: Py<PyAny>,
    jac: Jac,
    dim: usize,
    raised: Mutex<Option<PyErr>>,
    calls: AtomicUsize,
}

impl PyObjective {
    fn failed(&self) -> bool {
        self.raised.lock().map_or(true, |r| r.is_some())
    }

    fn keep(&self, e: PyErr) {
        if let Ok(mut r) = self.raised.lock() {
            r.get_or_insert(e);
        }
    }

    /// Calls Python: the value, and the gradient into `grad` when given.
    fn call(&self, params: &[f64], grad: Option<&mut [f64]>) -> PyResult<f64> {
        Python::attach(|py| {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let x = PyArray1::from_slice(py, params);
            let (value, g) = match (&self.jac, grad.is_some()) {
                (Jac::Returned, true) => {
                    let r = self.fun.bind(py).call1((x,))?;
                    let (v, g): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                        r.extract().map_err(|_| {
                            pyo3::exceptions::PyTypeError::new_err(
                                "with jac=True, fun must return a pair (value, gradient)",
                            )
                        })?;
                    (v, Some(g))
                }
                (Jac::Returned, false) => {
                    let r = self.fun.bind(py).call1((x,))?;
                    (r.get_item(0)?, None)
                }
                (Jac::Callable(j), want) => {
                    let v = self.fun.bind(py).call1((x.clone(),))?;
                    let g = if want {
                        Some(j.bind(py).call1((x,))?)
                    } else {
                        None
                    };
                    (v, g)
                }
            };
            let value: f64 = value.extract()?;
            if let (Some(out), Some(g)) = (grad, g) {
                let g: PyArrayLike1<'_, f64, AllowTypeChange> = g.extract()?;
                let g = g.as_array();
                if g.len() != self.dim {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "the gradient has {} values for {} parameters",
                        g.len(),
                        self.dim
                    )));
                }
                for (o, v) in out.iter_mut().zip(g.iter()) {
                    *o = *v;
                }
            }
            Ok(value)
        })
    }
}

impl Objective for PyObjective {
    fn dim(&self) -> usize {
        self.dim
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        if !self.failed() {
            match self.call(params, Some(grad)) {
                Ok(v) => return v,
                Err(e) => self.keep(e),
            }
        }
        grad.fill(f64::NAN);
        f64::NAN
    }

    fn cost(&self, params: &[f64]) -> f64 {
        if !self.failed() {
            match self.call(params, None) {
                Ok(v) => return v,
                Err(e) => self.keep(e),
            }
        }
        f64::NAN
    }
}

/// Minimises the Python function `fun` from `x0`; `jac` is `True` when `fun` returns
/// `(value, gradient)`, or a callable that returns the gradient.
#[pyfunction]
#[pyo3(signature = (fun, x0, spec, jac, path=false))]
pub fn minimize_callable(
    fun: Py<PyAny>,
    x0: Vec<f64>,
    spec: &str,
    jac: &Bound<'_, PyAny>,
    path: bool,
) -> PyResult<String> {
    let spec: RunSpec = serde_json::from_str(spec).map_err(message)?;
    let jac = if jac.is_callable() {
        Jac::Callable(jac.clone().unbind())
    } else if jac.is_truthy()? {
        Jac::Returned
    } else {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "minimize needs the gradient of a Python function: pass jac=True when fun returns (value, gradient), or jac=a function returning the gradient (or give fun as a formula string)",
        ));
    };
    let objective = PyObjective {
        fun,
        jac,
        dim: x0.len(),
        raised: Mutex::new(None),
        calls: AtomicUsize::new(0),
    };
    let problem = FdHessian(objective);
    let mut signals = Signals::new();
    let outcome = descend(&problem, x0, &spec, path, &mut signals);
    let objective = problem.0;
    if let Some(e) = objective.raised.lock().ok().and_then(|mut r| r.take()) {
        return Err(e);
    }
    if let Some(e) = signals.raised {
        return Err(e);
    }
    let (report, note, name) = outcome.map_err(value_error)?;
    let mut jac = vec![0.0; objective.dim];
    objective.cost_grad(&report.params, &mut jac);
    if let Some(e) = objective.raised.lock().ok().and_then(|mut r| r.take()) {
        return Err(e);
    }
    let mut out = result(&report, jac, note, name, path);
    out["nfev"] = json!(objective.calls.load(Ordering::Relaxed));
    serde_json::to_string(&out).map_err(message)
}

//! `_core.fit`: NumPy arrays and a run description (JSON) in, the model file and the fit's
//! outcome (JSON) out. The interpreter is released while the model trains, reading a
//! C-contiguous float64 or float32 array in place.

use crate::errors::{message, value_error};
use crate::signals::Signals;
use downhill::data::{DatasetRef, Matrix, MatrixRef};
use downhill::spec::{Problem, RunSpec};
use downhill::train::Observer;
use downhill_io::fitted::{model_file, FitOf};
use numpy::PyReadonlyArray1;
use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use serde_json::json;

/// Feature rows from Python: a 2-D float64 or float32 array (the estimators hand over
/// C-contiguous ones; others are read through a copy).
#[derive(FromPyObject)]
pub enum Features<'py> {
    /// float64 values.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32 values, widened to float64 as the kernels read them.
    F32(PyReadonlyArray2<'py, f32>),
}

/// The values of `Features` where the library reads them: the NumPy buffer itself when it
/// is C-contiguous (row-major, no copy), else a row-major copy.
enum Held<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
    Copied(Matrix),
}

impl Features<'_> {
    fn dim(&self) -> (usize, usize) {
        match self {
            Features::F64(a) => a.as_array().dim(),
            Features::F32(a) => a.as_array().dim(),
        }
    }

    fn hold(&self) -> PyResult<Held<'_>> {
        let (rows, cols) = self.dim();
        Ok(match self {
            Features::F64(a) => match a.as_slice() {
                Ok(s) => Held::F64(s),
                // Not C-contiguous: ndarray iterates in logical (row-major) order.
                Err(_) => Held::Copied(
                    Matrix::from_row_major(rows, cols, a.as_array().iter().copied().collect())
                        .map_err(value_error)?,
                ),
            },
            Features::F32(a) => match a.as_slice() {
                Ok(s) => Held::F32(s),
                Err(_) => Held::Copied(
                    Matrix::from_row_major(
                        rows,
                        cols,
                        a.as_array().iter().map(|&v| f64::from(v)).collect(),
                    )
                    .map_err(value_error)?,
                ),
            },
        })
    }
}

impl Held<'_> {
    fn view(&self, rows: usize, cols: usize) -> downhill::Result<MatrixRef<'_>> {
        match self {
            Held::F64(s) => MatrixRef::f64(s, rows, cols),
            Held::F32(s) => MatrixRef::f32(s, rows, cols),
            Held::Copied(m) => Ok(m.into()),
        }
    }
}

/// Fits the model `spec` (a `RunSpec` as JSON) describes to the rows `x` and targets `y`
/// (class indices for a classifier, whose labels are `classes`), each row's loss counting
/// `sample_weight[i]` times when given, and returns the CLI's model file with the fit's
/// outcome, as JSON.
#[pyfunction]
#[pyo3(signature = (x, y, spec, features, target, classes=None, sample_weight=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit(
    py: Python<'_>,
    x: Features<'_>,
    y: PyReadonlyArray1<'_, f64>,
    spec: &str,
    features: Vec<String>,
    target: String,
    classes: Option<Vec<String>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<String> {
    let spec: RunSpec = serde_json::from_str(spec).map_err(message)?;
    let mut signals = Signals::new();
    let out = fit_with(
        py,
        x,
        y,
        &spec,
        features,
        target,
        classes,
        sample_weight,
        &mut signals,
    );
    if let Some(e) = signals.raised {
        return Err(e);
    }
    serde_json::to_string(&out?).map_err(message)
}

/// `fit`'s work, telling `observer` of every epoch (Ctrl-C, and `partial_fit`'s state):
/// the model file and the fit's outcome as a JSON value.
#[allow(clippy::too_many_arguments)]
pub fn fit_with<O: Observer + Send>(
    py: Python<'_>,
    x: Features<'_>,
    y: PyReadonlyArray1<'_, f64>,
    spec: &RunSpec,
    features: Vec<String>,
    target: String,
    classes: Option<Vec<String>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    observer: &mut O,
) -> PyResult<serde_json::Value> {
    let (rows, cols) = x.dim();
    let held = x.hold()?;
    let y = y.as_array().to_vec();
    if features.len() != cols {
        return Err(message(format!(
            "{} feature names for {cols} columns",
            features.len()
        )));
    }
    // The rows are read in place (a C-contiguous array is not copied); the fit copies them
    // only when it must move or change them (see LinearRegression::fit_with).
    let x = held.view(rows, cols).map_err(value_error)?;
    let mut data = DatasetRef::new(x, y).map_err(value_error)?;
    if let Some(w) = sample_weight {
        data = data
            .with_weights(w.as_array().to_vec())
            .map_err(value_error)?;
    }
    let problem = Problem {
        classes,
        polynomial: None,
    };
    let fitted = py
        .detach(|| {
            spec.runner_for(cols, Some(rows))
                .and_then(|r| r.fit(data, problem, observer))
        })
        .map_err(value_error)?;
    // The model file `downhill fit -o` writes for the same fit.
    let of = FitOf {
        spec,
        target: &target,
        features: &features,
        terms: &features,
        polynomial: None,
        rows,
    };
    let model = model_file(&of, &fitted);
    let records = fitted.history.records();
    // Row 0 is the start; one value per epoch run follows.
    let after_start = records.get(1..).unwrap_or(&[]);
    let out = json!({
        "model": model,
        "n_iter": fitted.epochs,
        "loss_curve": after_start.iter().map(|r| r.cost).collect::<Vec<_>>(),
        "validation_curve": after_start.iter().filter_map(|r| r.validation_cost).collect::<Vec<_>>(),
        "stop_reason": fitted.stop_reason.as_str(),
        "stop_text": fitted.stop_reason.to_string(),
        "converged": fitted.converged(),
        "optimizer": fitted.optimizer,
        "note": fitted.note,
        "lr": fitted.lr,
        "cost": fitted.cost,
        "grad_norm": fitted.grad_norm,
        "grad_fraction": records.first().map(|r| fitted.grad_norm / r.grad_norm),
    });
    Ok(out)
}

//! `_core.Optimizer`: one of the library's update rules for a user's own loop, stepping a
//! float64 NumPy array in place.

use crate::errors::value_error;
use downhill::optim::{self, Hyper};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Mutex;

/// Every optimizer's name.
#[pyfunction]
pub fn optimizer_names() -> Vec<&'static str> {
    optim::names().collect()
}

/// The learning rate an optimizer runs at when none is given.
#[pyfunction]
pub fn default_lr(name: &str) -> PyResult<f64> {
    optim::default_lr(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown optimizer '{name}'; known: {}",
            optim::names().collect::<Vec<_>>().join(", ")
        ))
    })
}

/// An update rule and the size of the state it holds.
struct State {
    rule: Box<dyn downhill::Optimizer>,
    dim: Option<usize>,
}

/// An update rule by name with its hyper-parameters (`None`: the rule's default).
#[pyclass(module = "downhill._core", subclass)]
pub struct Optimizer {
    state: Mutex<State>,
}

#[pymethods]
impl Optimizer {
    #[new]
    #[pyo3(signature = (name, momentum=None, beta1=None, beta2=None, eps=None, rho=None, weight_decay=None))]
    fn new(
        name: &str,
        momentum: Option<f64>,
        beta1: Option<f64>,
        beta2: Option<f64>,
        eps: Option<f64>,
        rho: Option<f64>,
        weight_decay: Option<f64>,
    ) -> PyResult<Self> {
        let hyper = Hyper {
            lr: None,
            momentum,
            beta1,
            beta2,
            eps,
            rho,
            weight_decay,
        };
        let rule = optim::build(name, &hyper).map_err(value_error)?;
        Ok(Optimizer {
            state: Mutex::new(State { rule, dim: None }),
        })
    }

    /// One update of `params` (float64, contiguous, changed in place) against `grad` at
    /// learning rate `lr`. The first call sizes the state; later ones must keep the size.
    fn step(
        &self,
        mut params: PyReadwriteArray1<'_, f64>,
        grad: PyReadonlyArray1<'_, f64>,
        lr: f64,
    ) -> PyResult<()> {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "lr {lr} must be positive and finite"
            )));
        }
        let p = params
            .as_slice_mut()
            .map_err(|_| PyValueError::new_err("params must be a contiguous float64 array"))?;
        let g = grad
            .as_slice()
            .map_err(|_| PyValueError::new_err("grad must be a contiguous float64 array"))?;
        if p.len() != g.len() {
            return Err(PyValueError::new_err(format!(
                "params has {} values but grad has {}",
                p.len(),
                g.len()
            )));
        }
        let mut s = self
            .state
            .lock()
            .map_err(|_| PyValueError::new_err("the optimizer failed in another thread"))?;
        match s.dim {
            None => {
                s.rule.init(p.len());
                s.dim = Some(p.len());
            }
            Some(d) if d != p.len() => {
                return Err(PyValueError::new_err(format!(
                    "this optimizer holds state for {d} parameters, not {}: call reset() first",
                    p.len()
                )))
            }
            Some(_) => {}
        }
        s.rule.step(p, g, lr);
        Ok(())
    }

    /// Forgets the state (moments, velocities): the next step starts afresh.
    fn reset(&self) -> PyResult<()> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| PyValueError::new_err("the optimizer failed in another thread"))?;
        s.dim = None;
        Ok(())
    }

    /// The rule's name.
    #[getter]
    fn name(&self) -> PyResult<&'static str> {
        let s = self
            .state
            .lock()
            .map_err(|_| PyValueError::new_err("the optimizer failed in another thread"))?;
        Ok(s.rule.name())
    }
}

//! `_core.partial_fit`: one more epoch of a fit, from the state (JSON) the previous call
//! returned, keeping the optimizer's state, the schedule's position and the random stream.
//! Each call may bring other rows: the state is checked against the settings, not the data.

use crate::errors::message;
use crate::fit::{fit_with, Features};
use crate::signals::Signals;
use downhill::spec::RunSpec;
use downhill::train::{Checkpoints, EpochInfo, Observer, TrainState};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use std::ops::ControlFlow;

/// Ctrl-C as in `fit`, and the state handed in and out.
struct Carry {
    signals: Signals,
    from: Option<TrainState>,
    saved: Option<TrainState>,
}

impl Observer for Carry {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        self.signals.observe(info)
    }

    fn checkpoints(&mut self) -> Option<&mut dyn Checkpoints> {
        Some(self)
    }
}

impl Checkpoints for Carry {
    fn resume(&mut self) -> downhill::Result<Option<TrainState>> {
        Ok(self.from.take())
    }

    fn due(&mut self, _epoch: usize) -> bool {
        // The run's last (and only) epoch is saved anyway.
        false
    }

    fn save(&mut self, state: &TrainState) -> downhill::Result<()> {
        self.saved = Some(state.clone());
        Ok(())
    }

    fn checks_data(&self) -> bool {
        false
    }
}

/// Runs one epoch of the fit `spec` describes on the rows `x` and targets `y`, continuing
/// from `state` (the JSON a previous call returned; `None`: the first epoch), and returns
/// what `fit` returns with the new state under `"state"`.
#[pyfunction]
#[pyo3(signature = (x, y, spec, features, target, classes=None, sample_weight=None, state=None))]
#[allow(clippy::too_many_arguments)]
pub fn partial_fit(
    py: Python<'_>,
    x: Features<'_>,
    y: PyReadonlyArray1<'_, f64>,
    spec: &str,
    features: Vec<String>,
    target: String,
    classes: Option<Vec<String>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    state: Option<&str>,
) -> PyResult<String> {
    let mut spec: RunSpec = serde_json::from_str(spec).map_err(message)?;
    let from: Option<TrainState> = match state {
        Some(s) => {
            let mut st: TrainState = serde_json::from_str(s).map_err(message)?;
            // partial_fit always runs its epoch, as scikit-learn's: a tolerance met on the
            // previous rows does not end the training for the next ones.
            st.stopped = None;
            Some(st)
        }
        None => None,
    };
    spec.epochs = Some(from.as_ref().map_or(0, |s| s.epoch) + 1);
    let mut carry = Carry {
        signals: Signals::new(),
        from,
        saved: None,
    };
    let outcome = fit_with(
        py,
        x,
        y,
        &spec,
        features,
        target,
        classes,
        sample_weight,
        &mut carry,
    );
    if let Some(e) = carry.signals.raised.take() {
        return Err(e);
    }
    let mut json = outcome?;
    let Some(saved) = carry.saved else {
        return Err(message("the fit saved no state"));
    };
    json["state"] = serde_json::Value::String(serde_json::to_string(&saved).map_err(message)?);
    serde_json::to_string(&json).map_err(message)
}

//! `downhill._core`: the Rust side of the Python package. It converts types and calls the
//! library's runners; everything a Python user sees (the estimators, `minimize`, the
//! optimizers' classes) is written in Python in `python/downhill/`.

mod compare;
mod errors;
mod fit;
mod minimize;
mod model;
mod optim;
mod partial;
mod signals;

use pyo3::prelude::*;

/// The module `downhill._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(fit::fit, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_fit, m)?)?;
    m.add_function(wrap_pyfunction!(model::save, m)?)?;
    m.add_function(wrap_pyfunction!(model::load, m)?)?;
    m.add_function(wrap_pyfunction!(minimize::minimize_formula, m)?)?;
    m.add_function(wrap_pyfunction!(minimize::minimize_callable, m)?)?;
    m.add_function(wrap_pyfunction!(compare::compare, m)?)?;
    m.add_function(wrap_pyfunction!(optim::optimizer_names, m)?)?;
    m.add_function(wrap_pyfunction!(optim::default_lr, m)?)?;
    m.add_class::<optim::Optimizer>()?;
    Ok(())
}

//! Library errors as Python's `ValueError`, worded as the command line words them.

use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

/// A library error, its message naming the flag (`--lr`) as `downhill fit` says it.
pub fn value_error(e: downhill::Error) -> PyErr {
    PyValueError::new_err(downhill::spec::flagged(e).to_string())
}

/// Any other error with a message (I/O, a model file, JSON).
pub fn message(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

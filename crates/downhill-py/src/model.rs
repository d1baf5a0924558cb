//! Model files: the format `downhill fit -o` writes and `downhill predict` reads.

use crate::errors::message;
use downhill_io::model_file::ModelFile;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Checks the model file `model` (JSON) and writes it to `path` (a temporary file, then
/// renamed).
#[pyfunction]
pub fn save(path: PathBuf, model: &str) -> PyResult<()> {
    let file = ModelFile::from_json(&path, model).map_err(|e| message(format!("{e:#}")))?;
    file.write(&path).map_err(|e| message(format!("{e:#}")))
}

/// Reads and checks the model file at `path`; returns it as JSON.
#[pyfunction]
pub fn load(path: PathBuf) -> PyResult<String> {
    let file = ModelFile::read(&path).map_err(|e| message(format!("{e:#}")))?;
    serde_json::to_string(&file).map_err(message)
}

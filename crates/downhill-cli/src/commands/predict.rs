//! `downhill predict`: apply a model file to a table.

use crate::cli::PredictArgs;
use crate::io::csv::{self, Header, Target};
use crate::io::model_file::ModelFile;
use anyhow::{Context, Result};
use std::io::Write;

/// Runs `downhill predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let model = ModelFile::read(&args.model)?;
    let header = Header::read(&args.data)?;
    let mut columns = Vec::with_capacity(model.features.len());
    for name in &model.features {
        let j = header
            .names
            .iter()
            .position(|n| n == name)
            .with_context(|| {
                format!(
                "{}: no column '{name}', which the model needs (features: {}); the columns are: {}",
                args.data.display(),
                model.features.join(", "),
                header.names.join(", ")
            )
            })?;
        columns.push(j);
    }
    let table = csv::load(&args.data, &header, &columns, Target::None)?;
    let d = columns.len();
    let predictions = (0..table.rows).map(|i| {
        let row = &table.x[i * d..(i + 1) * d];
        row.iter()
            .zip(&model.weights)
            .map(|(x, w)| x * w)
            .sum::<f64>()
            + model.intercept
    });
    let write = |out: &mut dyn Write| -> Result<()> {
        writeln!(out, "prediction")?;
        for p in predictions.clone() {
            writeln!(out, "{p}")?;
        }
        Ok(())
    };
    match &args.output {
        Some(path) => crate::io::atomic::write(path, write),
        None => write(&mut std::io::stdout().lock()),
    }
}

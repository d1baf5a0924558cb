//! `downhill evaluate`: score a model file on labelled data.

use crate::cli::EvaluateArgs;
use crate::design::Design;
use crate::{labels, report};
use anyhow::Result;
use downhill::metrics::Scores;
use downhill_io::model_file::ModelFile;
use downhill_io::predict::predict;
use downhill_io::table::{self, Target};
use serde_json::json;
use std::io::Write;

/// Runs `downhill evaluate`: the metrics of `fit`, on other data.
pub fn run(args: &EvaluateArgs) -> Result<()> {
    let model = ModelFile::read(&args.model)?;
    let header = table::header(&args.data)?;
    let design = Design::for_model(&args.data, &header, &model)?;
    let target = header.index(&args.data, &model.target, "target")?;
    let read = if model.classes.is_some() {
        Target::Text(target)
    } else {
        Target::Numeric(target)
    };
    let t = table::load(&args.data, &header, &design.columns, read)?;
    let x = design.matrix(t.x, t.rows)?;
    let p = predict(&model, &x).map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?;
    let scores = match &model.classes {
        None => Scores::regression(&t.y, &p.values)?,
        Some(classes) => {
            let y = labels::encode(&args.data, &model.target, &t.labels, classes)?;
            match (classes.len(), &p.proba) {
                (2, proba) => {
                    let p1: Option<Vec<f64>> = proba.as_ref().map(|m| m.column(1).collect());
                    Scores::binary(&y, &p.values, p1.as_deref())?
                }
                (_, Some(proba)) => Scores::multiclass(&y, &p.values, proba)?,
                (_, None) => {
                    Scores::multiclass(&y, &p.values, &downhill::data::Matrix::zeros(0, 0))?
                }
            }
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(
            out,
            "{}",
            json!({"rows": t.rows, "metrics": report::scores_json(&scores)})
        )?;
    } else {
        writeln!(
            out,
            "{} rows of {}: {}",
            t.rows,
            args.data.display(),
            report::scores_line(&scores)
        )?;
        if let (Scores::Classification { confusion, .. }, Some(classes)) = (&scores, &model.classes)
        {
            report::confusion_table(&mut out, confusion, classes)?;
        }
    }
    Ok(())
}

//! `downhill predict`: apply a model file to a table.

use crate::cli::PredictArgs;
use crate::design::Design;
use anyhow::Result;
use downhill_io::model_file::ModelFile;
use downhill_io::predict::predict;
use downhill_io::table::{self, Target};
use std::io::Write;

/// Runs `downhill predict`: one row per input row, `prediction` (the value, or the class
/// label), then for classifiers the probability of each class as `p_<class>`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let model = ModelFile::read(&args.model)?;
    let header = table::header(&args.data)?;
    let design = Design::for_model(&args.data, &header, &model)?;
    let t = table::load(&args.data, &header, &design.columns, Target::None)?;
    let x = design.matrix(t.x, t.rows)?;
    let p = predict(&model, &x).map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?;
    let write = |out: &mut dyn Write| -> Result<()> {
        let mut w = ::csv::Writer::from_writer(out);
        let mut head = vec!["prediction".to_string()];
        if let (Some(classes), Some(_)) = (&model.classes, &p.proba) {
            head.extend(classes.iter().map(|c| format!("p_{c}")));
        }
        w.write_record(&head)?;
        for (i, v) in p.values.iter().enumerate() {
            let mut row = vec![match &model.classes {
                Some(classes) => classes[*v as usize].clone(),
                None => v.to_string(),
            }];
            if let Some(proba) = &p.proba {
                row.extend(proba.row(i).iter().map(|q| q.to_string()));
            }
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    };
    match &args.output {
        Some(path) => downhill_io::atomic::write(path, write),
        None => write(&mut std::io::stdout().lock()),
    }
}

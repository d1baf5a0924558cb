//! Class labels: text (or numbers) in the file, class indices for the library.

use anyhow::{bail, Result};
use std::path::Path;

/// The distinct labels in order: numerically when every label is a number, else
/// alphabetically (as scikit-learn's `classes_`).
pub fn classes(labels: &[String]) -> Vec<String> {
    let mut distinct: Vec<String> = labels.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.iter().all(|l| l.parse::<f64>().is_ok()) {
        distinct.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        });
    }
    distinct
}

/// Two classes `[negative, positive]` and targets 0/1. The positive class is `positive`, or
/// the second in order (`1` for 0/1 targets; for names, the later one alphabetically).
pub fn binary(
    path: &Path,
    target: &str,
    labels: &[String],
    positive: Option<&str>,
) -> Result<(Vec<String>, Vec<f64>)> {
    let mut classes = classes(labels);
    match classes.len() {
        1 => bail!(
            "{}: target '{target}' has only one class ('{}'): a classifier needs at least two",
            path.display(),
            classes[0]
        ),
        2 => {}
        k => bail!(
            "{}: target '{target}' has {k} classes ({}): use --model softmax for more than two",
            path.display(),
            preview(&classes)
        ),
    }
    if let Some(p) = positive {
        match classes.iter().position(|c| c == p) {
            Some(0) => classes.swap(0, 1),
            Some(_) => {}
            None => bail!(
                "--positive: '{p}' is not a class of '{target}'; the classes are: {}",
                classes.join(", ")
            ),
        }
    }
    let y = encode(path, target, labels, &classes)?;
    Ok((classes, y))
}

/// Every class in order, and targets as class indices.
pub fn multiclass(path: &Path, target: &str, labels: &[String]) -> Result<(Vec<String>, Vec<f64>)> {
    let classes = classes(labels);
    if classes.len() < 2 {
        bail!(
            "{}: target '{target}' has only one class ('{}'): a classifier needs at least two",
            path.display(),
            classes.first().map_or("", String::as_str)
        );
    }
    let y = encode(path, target, labels, &classes)?;
    Ok((classes, y))
}

/// Targets as indices of `classes`; a label that is not a class is an error.
pub fn encode(
    path: &Path,
    target: &str,
    labels: &[String],
    classes: &[String],
) -> Result<Vec<f64>> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| match classes.iter().position(|c| c == l) {
            Some(k) => Ok(k as f64),
            None => bail!(
                "{}: data row {}: target '{target}' has class '{l}', which the model does not know (its classes: {})",
                path.display(),
                i + 1,
                classes.join(", ")
            ),
        })
        .collect()
}

fn preview(classes: &[String]) -> String {
    let mut s = classes
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if classes.len() > 5 {
        s.push_str(", ...");
    }
    s
}

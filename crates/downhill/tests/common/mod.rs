//! Shared by the integration tests: the project's example data.
#![allow(dead_code)]

use downhill::data::{Dataset, Matrix};

/// Path of a file under the repository's `data/`.
pub fn data_path(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A small CSV file as (header, rows of text cells).
pub fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(data_path(name)).expect("data file");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|s| s.trim().to_string()).collect())
        .collect();
    (header, rows)
}

/// Numeric `features` and `target` columns of a CSV file as a dataset.
pub fn dataset(name: &str, features: &[&str], target: &str) -> Dataset {
    let (header, rows) = read_csv(name);
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let fj: Vec<usize> = features.iter().map(|f| col(f)).collect();
    let tj = col(target);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for r in &rows {
        x.extend(fj.iter().map(|&j| r[j].parse::<f64>().expect("number")));
        y.push(r[tj].parse::<f64>().expect("number"));
    }
    Dataset::new(Matrix::from_row_major(rows.len(), fj.len(), x).unwrap(), y).unwrap()
}

/// Log relative error: the number of correct significant digits.
pub fn lre(estimate: f64, certified: f64) -> f64 {
    if estimate == certified {
        return 16.0;
    }
    -((estimate - certified).abs() / certified.abs()).log10()
}

/// Relative difference.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

use super::Matrix;
use crate::{Error, Result};

/// Features and targets: row `i` of `x` goes with `y[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, one row per observation.
    pub x: Matrix,
    /// Targets, one per row.
    pub y: Vec<f64>,
}

impl Dataset {
    /// Checks that the sizes agree, that there is at least one row and that every value is
    /// finite (the CLI gives file positions; this is the library's own guard).
    pub fn new(x: Matrix, y: Vec<f64>) -> Result<Self> {
        if y.len() != x.rows() {
            return Err(Error::Shape {
                what: "targets (one per row)",
                expected: x.rows(),
                got: y.len(),
            });
        }
        if y.is_empty() {
            return Err(Error::NoRows);
        }
        // Checked a chunk at a time without early exit inside it (so that it vectorises);
        // the row and column are looked for only when something is not finite.
        let finite = |v: &[f64]| {
            v.chunks(4096)
                .all(|c| c.iter().fold(true, |ok, t| ok & t.is_finite()))
        };
        if finite(x.as_slice()) && finite(&y) {
            return Ok(Dataset { x, y });
        }
        for (i, row) in x.iter_rows().enumerate() {
            if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                return Err(Error::NotFinite {
                    what: "a feature",
                    row: i,
                    column: j,
                });
            }
            if !y[i].is_finite() {
                return Err(Error::NotFinite {
                    what: "a target",
                    row: i,
                    column: x.cols(),
                });
            }
        }
        Ok(Dataset { x, y })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.y.len()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.x.cols()
    }
}

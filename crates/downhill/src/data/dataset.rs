use super::Matrix;
use crate::{Error, Result};

/// Features and targets: row `i` of `x` goes with `y[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, one row per observation.
    pub x: Matrix,
    /// Targets, one per row.
    pub y: Vec<f64>,
    /// Row weights, one per row (`None`: every row counts once): the cost is then the
    /// weighted mean `sum_i w_i l_i / sum_i w_i` ([`Dataset::with_weights`]).
    pub weights: Option<Vec<f64>>,
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
            return Ok(Dataset {
                x,
                y,
                weights: None,
            });
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
        Ok(Dataset {
            x,
            y,
            weights: None,
        })
    }

    /// With row weights: row `i`'s loss counts `weights[i]` times in a weighted mean, so
    /// integer weights fit as the rows repeated and weight 0 as the row left out. The
    /// weights must be one per row, finite, not negative, and not all zero.
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        if weights.len() != self.y.len() {
            return Err(Error::Shape {
                what: "sample weights (one per row)",
                expected: self.y.len(),
                got: weights.len(),
            });
        }
        if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::setting(
                "sample weight",
                format!(
                    "row {} has weight {}: weights must be finite and not negative",
                    i + 1,
                    weights[i]
                ),
            ));
        }
        if !(weights.iter().sum::<f64>() > 0.0) {
            return Err(Error::setting(
                "sample weight",
                "every weight is zero: at least one row must count",
            ));
        }
        self.weights = Some(weights);
        Ok(self)
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

/// `w` scaled in place to mean 1 (when its sum is positive), so that a model's mean over
/// `N` rows of `w_i l_i` is the weighted mean `sum w_i l_i / sum w_i`, and a mini-batch's
/// mean an unbiased estimate of it: the trainer and the solvers divide by row counts as
/// they do unweighted.
pub fn weights_to_mean_one(w: &mut [f64]) {
    let sum: f64 = w.iter().sum();
    if sum > 0.0 {
        let k = w.len() as f64 / sum;
        w.iter_mut().for_each(|v| *v *= k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_checked_and_scaled() {
        let data =
            || Dataset::new(Matrix::from_rows(&[[1.0], [2.0], [3.0]]), vec![1.0; 3]).unwrap();
        assert!(data().with_weights(vec![1.0, 2.0]).is_err());
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = data().with_weights(vec![1.0, bad, 1.0]).unwrap_err();
            assert!(err.to_string().contains("row 2"), "{err}");
        }
        assert!(data().with_weights(vec![0.0; 3]).is_err());
        let d = data().with_weights(vec![0.0, 1.0, 5.0]).unwrap();
        let mut w = d.weights.unwrap();
        weights_to_mean_one(&mut w);
        assert_eq!(w, vec![0.0, 0.5, 2.5]);
    }
}

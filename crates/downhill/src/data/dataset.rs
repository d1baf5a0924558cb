use super::{Element, Matrix, MatrixRef};
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
        check(MatrixRef::from(&x), &y)?;
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
        check_weights(&weights, self.y.len())?;
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

/// [`Dataset`] with the features borrowed (a caller's buffer, `f64` or `f32`, read in
/// place): what a front door whose data lives elsewhere (a NumPy array) hands the library,
/// so that a fit need not copy it. The estimators train on it in place when they can (see
/// [`Data`]) and take one owned copy otherwise.
#[derive(Debug, Clone)]
pub struct DatasetRef<'a> {
    /// Features, one row per observation.
    pub x: MatrixRef<'a>,
    /// Targets, one per row.
    pub y: Vec<f64>,
    /// Row weights, as [`Dataset::weights`].
    pub weights: Option<Vec<f64>>,
}

impl<'a> DatasetRef<'a> {
    /// The checks of [`Dataset::new`], reading the values in place.
    pub fn new(x: MatrixRef<'a>, y: Vec<f64>) -> Result<Self> {
        check(x, &y)?;
        Ok(DatasetRef {
            x,
            y,
            weights: None,
        })
    }

    /// With row weights, checked as [`Dataset::with_weights`].
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        check_weights(&weights, self.y.len())?;
        self.weights = Some(weights);
        Ok(self)
    }

    /// The owned data set: the features copied once (`f32` values widened exactly).
    pub fn into_owned(self) -> Dataset {
        Dataset {
            x: self.x.to_matrix(),
            y: self.y,
            weights: self.weights,
        }
    }
}

/// A data set owned by the fit, or borrowed from the caller: what the estimators take.
///
/// Owned features are standardised in place (no copy). Borrowed ones are read as they
/// are, the standardisation folded into the parameters, when the fit allows it (see the
/// estimators' `fit_with`); otherwise they are copied once and fitted as owned ones.
#[derive(Debug, Clone)]
pub enum Data<'a> {
    /// The fit's own copy, which it may change.
    Owned(Dataset),
    /// The caller's values, read in place.
    Borrowed(DatasetRef<'a>),
}

impl Data<'_> {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            Data::Owned(d) => d.y.len(),
            Data::Borrowed(d) => d.y.len(),
        }
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        match self {
            Data::Owned(d) => d.x.cols(),
            Data::Borrowed(d) => d.x.cols(),
        }
    }

    /// The targets.
    pub fn y(&self) -> &[f64] {
        match self {
            Data::Owned(d) => &d.y,
            Data::Borrowed(d) => &d.y,
        }
    }

    /// The owned data set (the borrowed values copied once).
    pub fn into_owned(self) -> Dataset {
        match self {
            Data::Owned(d) => d,
            Data::Borrowed(d) => d.into_owned(),
        }
    }
}

impl From<Dataset> for Data<'_> {
    fn from(d: Dataset) -> Self {
        Data::Owned(d)
    }
}

impl<'a> From<DatasetRef<'a>> for Data<'a> {
    fn from(d: DatasetRef<'a>) -> Self {
        Data::Borrowed(d)
    }
}

/// Sizes agree, at least one row, every value finite.
fn check(x: MatrixRef<'_>, y: &[f64]) -> Result<()> {
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
    fn finite<T: Element>(v: &[T]) -> bool {
        v.chunks(4096)
            .all(|c| c.iter().fold(true, |ok, t| ok & (*t).into().is_finite()))
    }
    let finite_x = match x {
        MatrixRef::F64(m) => finite(m.as_slice()),
        MatrixRef::F32(m) => finite(m.as_slice()),
    };
    if finite_x && finite(y) {
        return Ok(());
    }
    let mut bad = None;
    x.for_each_row(|i, row| {
        if bad.is_some() {
            return;
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            bad = Some(Error::NotFinite {
                what: "a feature",
                row: i,
                column: j,
            });
        } else if !y[i].is_finite() {
            bad = Some(Error::NotFinite {
                what: "a target",
                row: i,
                column: x.cols(),
            });
        }
    });
    bad.map_or(Ok(()), Err)
}

/// One weight per row, finite, not negative, not all zero.
fn check_weights(weights: &[f64], rows: usize) -> Result<()> {
    if weights.len() != rows {
        return Err(Error::Shape {
            what: "sample weights (one per row)",
            expected: rows,
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
    Ok(())
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

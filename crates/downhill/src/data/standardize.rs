use super::Matrix;
use crate::numeric::CompensatedSum;
use crate::{Error, Result};

/// Z-score standardisation of features: `z = (x - mean) / scale`, with the population
/// standard deviation (ddof = 0) as the scale, as scikit-learn's `StandardScaler`.
///
/// A linear function of the standardised features maps back exactly to one of the original
/// features: `w = w_std / scale`, `b = b_std - sum(w * mean)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations.
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Means and standard deviations of each column, with compensated two-pass sums so that
    /// a large mean does not swallow a small spread. A column whose spread is zero, or lost in
    /// rounding, is an [`Error::ConstantFeature`].
    pub fn fit(x: &Matrix) -> Result<Self> {
        let (n, d) = (x.rows(), x.cols());
        if n == 0 {
            return Err(Error::NoRows);
        }
        let mut sums = vec![CompensatedSum::default(); d];
        for row in x.iter_rows() {
            for (s, v) in sums.iter_mut().zip(row) {
                s.add(*v);
            }
        }
        let mean: Vec<f64> = sums.iter().map(|s| s.value() / n as f64).collect();
        let mut sq = vec![CompensatedSum::default(); d];
        let mut abs_max = vec![0.0f64; d];
        for row in x.iter_rows() {
            for j in 0..d {
                let dev = row[j] - mean[j];
                sq[j].add(dev * dev);
                abs_max[j] = abs_max[j].max(row[j].abs());
            }
        }
        let scale: Vec<f64> = sq.iter().map(|s| (s.value() / n as f64).sqrt()).collect();
        for j in 0..d {
            // Below this, the spread is rounding error of the values themselves.
            if !(scale[j] > 64.0 * f64::EPSILON * abs_max[j]) {
                return Err(Error::ConstantFeature { column: j });
            }
        }
        Ok(Standardizer { mean, scale })
    }

    /// Scales each column by its root mean square, without centring: for models without an
    /// intercept, where centring would change the model. Only an all-zero column is an error.
    pub fn fit_scale_only(x: &Matrix) -> Result<Self> {
        if x.rows() == 0 {
            return Err(Error::NoRows);
        }
        let mut sq = vec![CompensatedSum::default(); x.cols()];
        for row in x.iter_rows() {
            for (s, v) in sq.iter_mut().zip(row) {
                s.add(v * v);
            }
        }
        let n = x.rows() as f64;
        let scale: Vec<f64> = sq.iter().map(|s| (s.value() / n).sqrt()).collect();
        if let Some(j) = scale.iter().position(|s| !(*s > 0.0)) {
            return Err(Error::ConstantFeature { column: j });
        }
        Ok(Standardizer {
            mean: vec![0.0; x.cols()],
            scale,
        })
    }

    /// Standardises `x` in place (no copy of the data).
    pub fn transform(&self, x: &mut Matrix) {
        let d = x.cols();
        if d == 0 {
            return;
        }
        for row in x.as_mut_slice().chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
    }

    /// Undoes [`Standardizer::transform`] in place (up to rounding).
    pub fn inverse_transform(&self, x: &mut Matrix) {
        let d = x.cols();
        if d == 0 {
            return;
        }
        for row in x.as_mut_slice().chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = v.mul_add(*s, *m);
            }
        }
    }

    /// Weights and intercept for standardised features, mapped to the original units.
    pub fn to_original(&self, w_std: &[f64], b_std: f64) -> (Vec<f64>, f64) {
        let w: Vec<f64> = w_std.iter().zip(&self.scale).map(|(w, s)| w / s).collect();
        let mut b = CompensatedSum::default();
        b.add(b_std);
        for (wj, mj) in w.iter().zip(&self.mean) {
            // Error-free product split (fma) so that cancellation in b loses no extra digits.
            let p = wj * mj;
            b.add(-p);
            b.add(-wj.mul_add(*mj, -p));
        }
        (w, b.value())
    }

    /// Weights and intercept in original units, mapped to standardised features (the inverse
    /// of [`Standardizer::to_original`]).
    pub fn to_standardized(&self, w: &[f64], b: f64) -> (Vec<f64>, f64) {
        let w_std: Vec<f64> = w.iter().zip(&self.scale).map(|(w, s)| w * s).collect();
        let mut b_std = CompensatedSum::default();
        b_std.add(b);
        for (wj, mj) in w.iter().zip(&self.mean) {
            b_std.add(wj * mj);
        }
        (w_std, b_std.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_zero_mean_unit_variance() {
        let mut x = Matrix::from_rows(&[[1.0, 100.0], [2.0, 300.0], [3.0, 500.0], [6.0, 700.0]]);
        let s = Standardizer::fit(&x).unwrap();
        s.transform(&mut x);
        for j in 0..2 {
            let col: Vec<f64> = x.column(j).collect();
            let mean = col.iter().sum::<f64>() / 4.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
            assert!(mean.abs() < 1e-15 && (var - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn maps_back_and_forth() {
        let x = Matrix::from_rows(&[[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]]);
        let s = Standardizer::fit(&x).unwrap();
        let (w, b) = s.to_original(&[0.5, -2.0], 3.0);
        let (ws, bs) = s.to_standardized(&w, b);
        assert!((ws[0] - 0.5).abs() < 1e-14 && (ws[1] + 2.0).abs() < 1e-14);
        assert!((bs - 3.0).abs() < 1e-14);
        // Same prediction either way.
        let mut z = x.clone();
        s.transform(&mut z);
        let p_std = 0.5 * z.row(2)[0] - 2.0 * z.row(2)[1] + 3.0;
        let p = w[0] * 4.0 + w[1] * 20.0 + b;
        assert!((p - p_std).abs() < 1e-12);
    }

    #[test]
    fn constant_column_is_an_error() {
        let x = Matrix::from_rows(&[[1.0, 0.1], [2.0, 0.1], [3.0, 0.1]]);
        assert_eq!(
            Standardizer::fit(&x),
            Err(Error::ConstantFeature { column: 1 })
        );
    }
}

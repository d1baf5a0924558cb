use super::{Matrix, MatrixRef};
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

/// Rows summed plainly before each block's sums join a compensated total per column. A
/// compensated addition of every value was a dependent chain per column, the slowest pass
/// of a fit; the plain sum of a block of this many rows loses little against the block's
/// own size, and the blocks' sums are added with compensation.
const STATS_BLOCK: usize = 64;

/// Column sums over rows, in blocks of [`STATS_BLOCK`] rows.
#[derive(Debug, Clone)]
struct ColumnSums {
    total: Vec<CompensatedSum>,
    block: Vec<f64>,
    rows: usize,
}

impl ColumnSums {
    fn new(d: usize) -> Self {
        ColumnSums {
            total: vec![CompensatedSum::default(); d],
            block: vec![0.0; d],
            rows: 0,
        }
    }

    /// Adds one row's terms: `f` adds them to the block's sums.
    fn add(&mut self, f: impl FnOnce(&mut [f64])) {
        f(&mut self.block);
        self.rows += 1;
        if self.rows == STATS_BLOCK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (t, b) in self.total.iter_mut().zip(&mut self.block) {
            t.add(*b);
            *b = 0.0;
        }
        self.rows = 0;
    }

    /// The sums so far (the open block's added as a flush would add it).
    fn values(&self) -> Vec<f64> {
        self.total
            .iter()
            .zip(&self.block)
            .map(|(t, b)| {
                let mut t = *t;
                t.add(*b);
                t.value()
            })
            .collect()
    }
}

/// The first column that cannot be standardised: a spread that overflowed (squares of
/// values beyond about `1e154`) is an [`Error::FeatureOverflow`], one for which `varies`
/// is false (zero, or lost in rounding) an [`Error::ConstantFeature`].
pub fn check_spread(scale: &[f64], varies: impl Fn(usize) -> bool) -> Result<()> {
    for (j, s) in scale.iter().enumerate() {
        // The values are finite (checked where they are read), so a spread that is not
        // finite overflowed (to infinity, or to NaN in a compensated sum, which would fail
        // `varies` and read as constant): checked first.
        if !s.is_finite() {
            return Err(Error::FeatureOverflow { column: j });
        }
        if !varies(j) {
            return Err(Error::ConstantFeature { column: j });
        }
    }
    Ok(())
}

impl Standardizer {
    /// Means and standard deviations of each column, with two-pass sums (compensated over blocks of rows) so that
    /// a large mean does not swallow a small spread. A column whose spread is zero, or lost in
    /// rounding, is an [`Error::ConstantFeature`].
    pub fn fit(x: &Matrix) -> Result<Self> {
        Self::fit_weighted(x, None)
    }

    /// [`Standardizer::fit`] with row weights (`None`: every row once): weighted means and
    /// standard deviations, as scikit-learn's `StandardScaler` with `sample_weight`, so that
    /// integer weights give the statistics of the rows repeated, and rows of weight 0 count
    /// for nothing (not even in telling a constant column). The weights are finite, not
    /// negative, one per row, with a positive sum ([`Dataset::with_weights`](super::Dataset::with_weights)).
    pub fn fit_weighted(x: &Matrix, weights: Option<&[f64]>) -> Result<Self> {
        Self::fit_in_place(x.into(), weights, true)
    }

    /// Scales each column by its root mean square, without centring: for models without an
    /// intercept, where centring would change the model. Only an all-zero column is an error.
    pub fn fit_scale_only(x: &Matrix) -> Result<Self> {
        Self::fit_scale_only_weighted(x, None)
    }

    /// [`Standardizer::fit_scale_only`] with row weights, as [`Standardizer::fit_weighted`].
    pub fn fit_scale_only_weighted(x: &Matrix, weights: Option<&[f64]>) -> Result<Self> {
        Self::fit_in_place(x.into(), weights, false)
    }

    /// [`Standardizer::fit_weighted`] (`center`) or
    /// [`Standardizer::fit_scale_only_weighted`] on values read where they are (`f64` or
    /// `f32`), with the same bits for the same values.
    pub fn fit_in_place(x: MatrixRef<'_>, weights: Option<&[f64]>, center: bool) -> Result<Self> {
        if center {
            Self::centred(x, weights)
        } else {
            Self::scaled_only(x, weights)
        }
    }

    fn centred(x: MatrixRef<'_>, weights: Option<&[f64]>) -> Result<Self> {
        let (n, d) = (x.rows(), x.cols());
        if n == 0 {
            return Err(Error::NoRows);
        }
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let total = weights.map_or(n as f64, |w| w.iter().sum());
        let mut sums = ColumnSums::new(d);
        x.for_each_row(|i, row| {
            let s = weight(i);
            sums.add(|acc| acc.iter_mut().zip(row).for_each(|(a, v)| *a += s * v));
        });
        let mean: Vec<f64> = sums.values().iter().map(|s| s / total).collect();
        let mut sq = ColumnSums::new(d);
        let mut abs_max = vec![0.0f64; d];
        x.for_each_row(|i, row| {
            let s = weight(i);
            if s == 0.0 {
                return;
            }
            sq.add(|acc| {
                for ((a, v), m) in acc.iter_mut().zip(row).zip(&mean) {
                    let dev = v - m;
                    *a += s * (dev * dev);
                }
            });
            for (a, v) in abs_max.iter_mut().zip(row) {
                *a = a.max(v.abs());
            }
        });
        let sq = sq.values();
        let scale: Vec<f64> = sq.iter().map(|s| (s / total).sqrt()).collect();
        // Below this, the spread is rounding error of the values themselves.
        check_spread(&scale, |j| scale[j] > 64.0 * f64::EPSILON * abs_max[j])?;
        Ok(Standardizer { mean, scale })
    }

    fn scaled_only(x: MatrixRef<'_>, weights: Option<&[f64]>) -> Result<Self> {
        if x.rows() == 0 {
            return Err(Error::NoRows);
        }
        let mut sq = ColumnSums::new(x.cols());
        x.for_each_row(|i, row| {
            let w = weights.map_or(1.0, |w| w[i]);
            sq.add(|acc| acc.iter_mut().zip(row).for_each(|(a, v)| *a += w * (v * v)));
        });
        let n = weights.map_or(x.rows() as f64, |w| w.iter().sum());
        let scale: Vec<f64> = sq.values().iter().map(|s| (s / n).sqrt()).collect();
        check_spread(&scale, |j| scale[j] > 0.0)?;
        Ok(Standardizer {
            mean: vec![0.0; x.cols()],
            scale,
        })
    }

    /// The largest `|mean| / scale` over the columns: how far the data sits from the origin
    /// in units of its spread (0 without centring). Folding the standardisation into the
    /// parameters instead of applying it to the data multiplies rounding errors by about
    /// `1 +` this (see `estimator`'s `FOLD_MAX_OFFSET`).
    pub fn max_offset(&self) -> f64 {
        self.mean
            .iter()
            .zip(&self.scale)
            .map(|(m, s)| m.abs() / s)
            .fold(0.0, f64::max)
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
        // Built without FMA, `mul_add` is a library call per value (a tenth of a fit's time
        // on a million rows); where the CPU has FMA the loop is compiled with it, and gives
        // the same bits (a fused multiply-add is exactly rounded either way).
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: FMA is present.
            unsafe { unstandardize_fma(x.as_mut_slice(), d, &self.mean, &self.scale) };
            return;
        }
        unstandardize(x.as_mut_slice(), d, &self.mean, &self.scale);
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

/// [`Standardizer`] statistics gathered chunk by chunk, for data read in pieces (never
/// held whole in memory).
///
/// The means are sums over blocks of rows in row order, as [`Standardizer::fit`] adds
/// them, so they have the same bits as its. The spreads are exact two-pass sums of squared
/// deviations inside each chunk, merged across chunks with Chan et al.'s pairwise update,
/// so a large mean does not swallow a small spread; they agree with `fit`'s to rounding
/// (relative differences of about `eps * |mean| / spread`: 1e-15 for well-scaled
/// columns). Without centring ([`StandardizerBuilder::new`] with `center = false`), the
/// root mean squares have the bits of
/// [`Standardizer::fit_scale_only`].
#[derive(Debug, Clone)]
pub struct StandardizerBuilder {
    cols: usize,
    center: bool,
    rows: usize,
    /// Blocked as in [`Standardizer::fit`] (blocks run on across chunks), so that the
    /// mean and the scale-only scale are its bits.
    sums: ColumnSums,
    /// Running mean and sum of squared deviations of the chunks merged so far.
    mean: Vec<f64>,
    m2: Vec<CompensatedSum>,
    squares: ColumnSums,
    abs_max: Vec<f64>,
    /// A chunk's own mean and squared deviations (scratch, reused).
    chunk_mean: Vec<f64>,
    chunk_m2: Vec<CompensatedSum>,
}

impl StandardizerBuilder {
    /// Statistics of `cols` columns; `center`: z-scores (as [`Standardizer::fit`]),
    /// otherwise scaling only (as [`Standardizer::fit_scale_only`]).
    pub fn new(cols: usize, center: bool) -> Self {
        StandardizerBuilder {
            cols,
            center,
            rows: 0,
            sums: ColumnSums::new(cols),
            mean: vec![0.0; cols],
            m2: vec![CompensatedSum::default(); cols],
            squares: ColumnSums::new(cols),
            abs_max: vec![0.0; cols],
            chunk_mean: vec![0.0; cols],
            chunk_m2: vec![CompensatedSum::default(); cols],
        }
    }

    /// Rows seen so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Adds a chunk of rows, row-major (`cols` values per row; a trailing partial row is
    /// ignored).
    // Parallel per-column arrays: indexing by column is the clearest.
    #[allow(clippy::needless_range_loop)]
    pub fn add_rows(&mut self, x: &[f64]) {
        let d = self.cols;
        if d == 0 {
            return;
        }
        let nb = x.len() / d;
        if nb == 0 {
            return;
        }
        let x = &x[..nb * d];
        if !self.center {
            for row in x.chunks_exact(d) {
                self.squares
                    .add(|acc| acc.iter_mut().zip(row).for_each(|(a, v)| *a += v * v));
            }
            self.rows += nb;
            return;
        }
        let mut chunk_sums = vec![CompensatedSum::default(); d];
        for row in x.chunks_exact(d) {
            self.sums
                .add(|acc| acc.iter_mut().zip(row).for_each(|(a, v)| *a += v));
            for j in 0..d {
                chunk_sums[j].add(row[j]);
                self.abs_max[j] = self.abs_max[j].max(row[j].abs());
            }
        }
        for j in 0..d {
            self.chunk_mean[j] = chunk_sums[j].value() / nb as f64;
            self.chunk_m2[j] = CompensatedSum::default();
        }
        for row in x.chunks_exact(d) {
            for j in 0..d {
                let dev = row[j] - self.chunk_mean[j];
                self.chunk_m2[j].add(dev * dev);
            }
        }
        let (na, nbf) = (self.rows as f64, nb as f64);
        let n = na + nbf;
        let sums = self.sums.values();
        for j in 0..d {
            // The mean so far from the compensated sums, not a running update, so that
            // its error does not grow with the number of chunks.
            let delta = self.chunk_mean[j] - self.mean[j];
            self.mean[j] = sums[j] / n;
            self.m2[j].add(self.chunk_m2[j].value());
            self.m2[j].add(delta * delta * (na * nbf / n));
        }
        self.rows += nb;
    }

    /// Adds the rows of a matrix.
    pub fn add_chunk(&mut self, x: &Matrix) {
        self.add_rows(x.as_slice());
    }

    /// The standardizer; the errors of [`Standardizer::fit`] (no rows, a constant column).
    // Parallel per-column arrays: indexing by column is the clearest.
    #[allow(clippy::needless_range_loop)]
    pub fn finish(self) -> Result<Standardizer> {
        if self.rows == 0 {
            return Err(Error::NoRows);
        }
        let n = self.rows as f64;
        if !self.center {
            let scale: Vec<f64> = self
                .squares
                .values()
                .iter()
                .map(|s| (s / n).sqrt())
                .collect();
            check_spread(&scale, |j| scale[j] > 0.0)?;
            return Ok(Standardizer {
                mean: vec![0.0; self.cols],
                scale,
            });
        }
        let mean: Vec<f64> = self.sums.values().iter().map(|s| s / n).collect();
        let scale: Vec<f64> = self.m2.iter().map(|s| (s.value() / n).sqrt()).collect();
        // As in `fit`: below this, the spread is rounding error of the values.
        check_spread(&scale, |j| scale[j] > 64.0 * f64::EPSILON * self.abs_max[j])?;
        Ok(Standardizer { mean, scale })
    }
}

/// `v * scale + mean`, fused, for every value of `d`-column rows.
#[inline(always)]
fn unstandardize(values: &mut [f64], d: usize, mean: &[f64], scale: &[f64]) {
    for row in values.chunks_exact_mut(d) {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(scale) {
            *v = v.mul_add(*s, *m);
        }
    }
}

/// [`unstandardize`] compiled with the FMA instruction.
///
/// # Safety
/// The CPU must have FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn unstandardize_fma(values: &mut [f64], d: usize, mean: &[f64], scale: &[f64]) {
    unstandardize(values, d, mean, scale);
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

    #[test]
    fn a_spread_whose_squares_overflow_is_named_as_such_not_as_constant() {
        // Values of 1e300 are finite, their squared deviations are not: every way of
        // standardising says which column overflowed (not "constant"), and a constant
        // column before it is still named first.
        let x = Matrix::from_rows(&[[1.0, 1e300], [2.0, 2e300], [3.0, 3e300]]);
        let over = Err(Error::FeatureOverflow { column: 1 });
        assert_eq!(Standardizer::fit(&x), over);
        assert_eq!(Standardizer::fit_scale_only(&x), over);
        for center in [true, false] {
            let mut b = StandardizerBuilder::new(2, center);
            b.add_rows(x.as_slice());
            assert_eq!(b.finish(), over, "center {center}");
        }
        let x = Matrix::from_rows(&[[1.0, 1e300], [1.0, 2e300], [1.0, 3e300]]);
        assert_eq!(
            Standardizer::fit(&x),
            Err(Error::ConstantFeature { column: 0 })
        );
        // 1e150 squares to 1e300: still a double, and standardised.
        let x = Matrix::from_rows(&[[1.0, 1e150], [2.0, 2e150], [3.0, 3e150]]);
        let s = Standardizer::fit(&x).unwrap();
        assert!((s.scale[1] / 1e150 - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn weighted_statistics_are_those_of_repeated_rows() {
        let x = Matrix::from_rows(&[[1.0, 5.0], [2.0, -1.0], [4.0, 3.0], [100.0, 7.0]]);
        let w = [3.0, 1.0, 2.0, 0.0];
        let rep = Matrix::from_rows(&[
            [1.0, 5.0],
            [1.0, 5.0],
            [1.0, 5.0],
            [2.0, -1.0],
            [4.0, 3.0],
            [4.0, 3.0],
        ]);
        for center in [true, false] {
            let (a, b) = if center {
                (
                    Standardizer::fit_weighted(&x, Some(&w)).unwrap(),
                    Standardizer::fit(&rep).unwrap(),
                )
            } else {
                (
                    Standardizer::fit_scale_only_weighted(&x, Some(&w)).unwrap(),
                    Standardizer::fit_scale_only(&rep).unwrap(),
                )
            };
            for (u, v) in a
                .mean
                .iter()
                .chain(&a.scale)
                .zip(b.mean.iter().chain(&b.scale))
            {
                assert!((u - v).abs() <= 1e-14 * v.abs().max(1.0), "{u} vs {v}");
            }
        }
        // A column constant over the rows that count is constant, whatever the others hold.
        let x = Matrix::from_rows(&[[1.0, 2.0], [1.0, 3.0], [9.0, 4.0]]);
        assert_eq!(
            Standardizer::fit_weighted(&x, Some(&[1.0, 2.0, 0.0])),
            Err(Error::ConstantFeature { column: 0 })
        );
    }

    #[test]
    fn chunked_statistics_match_the_whole() {
        let rows: Vec<[f64; 2]> = (0..1000)
            .map(|i| {
                let t = i as f64;
                [1e6 + (t * 0.37).sin(), (t * 1.3).cos() * 40.0 - 7.0]
            })
            .collect();
        let x = Matrix::from_rows(&rows);
        for center in [true, false] {
            let whole = if center {
                Standardizer::fit(&x).unwrap()
            } else {
                Standardizer::fit_scale_only(&x).unwrap()
            };
            let mut b = StandardizerBuilder::new(2, center);
            for part in x.as_slice().chunks(2 * 77) {
                b.add_rows(part);
            }
            assert_eq!(b.rows(), 1000);
            let s = b.finish().unwrap();
            assert_eq!(s.mean, whole.mean);
            for (a, w) in s.scale.iter().zip(&whole.scale) {
                // Column 0 has a mean 1.4e6 times its spread: rounding of that order.
                assert!((a - w).abs() <= 1e-11 * w, "{a} vs {w}");
            }
        }
        let mut b = StandardizerBuilder::new(1, true);
        b.add_rows(&[2.0, 2.0, 2.0]);
        assert_eq!(b.finish(), Err(Error::ConstantFeature { column: 0 }));
        assert_eq!(
            StandardizerBuilder::new(1, true).finish(),
            Err(Error::NoRows)
        );
    }
}

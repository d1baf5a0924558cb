//! Weighted Gram sums `sum_i h_i z_i z_i^T` (the Hessian of a linear model's loss, with
//! `h_i` the loss's second derivative at row `i`) in blocks of rows, so that they run at the
//! machine's multiply-add rate rather than at the rate of loads and stores of the output.
//!
//! A row-by-row update `H += h z z^T` reads and writes every entry of `H` for every row: a
//! load and a store per multiply-add. Here rows are gathered [`ROWS`] at a time into a
//! padded copy (`Z`, and `U = diag(h) Z`), and `U^T Z` is summed tile by tile: a 4 x 8 tile
//! of the output stays in registers while the block's rows stream past, eight multiply-adds
//! for two loads and four broadcasts. Only the upper triangle's tiles are summed; the lower
//! triangle is its mirror.

/// Rows gathered per block: `2 * ROWS * width` values stay in the first-level cache for
/// widths up to a few dozen.
const ROWS: usize = 64;

/// Accumulates `sum_i h_i z_i z_i^T` for rows given one at a time, into a `dim x dim`
/// row-major matrix (both triangles) on [`GramSum::finish`].
pub(super) struct GramSum {
    dim: usize,
    /// `dim` rounded up to a multiple of 8 (the tile width): padding columns are zeros.
    width: usize,
    z: Vec<f64>,
    u: Vec<f64>,
    rows: usize,
    /// The upper triangle's tiles, `width x width`.
    acc: Vec<f64>,
}

impl GramSum {
    /// An empty sum of `dim x dim` matrices.
    pub fn new(dim: usize) -> Self {
        let width = dim.div_ceil(8) * 8;
        GramSum {
            dim,
            width,
            z: vec![0.0; ROWS * width],
            u: vec![0.0; ROWS * width],
            rows: 0,
            acc: vec![0.0; width * width],
        }
    }

    /// Adds `h z z^T` for the row `z` (`dim` values, written by `fill` into the slice it is
    /// given).
    #[inline]
    pub fn push(&mut self, h: f64, fill: impl FnOnce(&mut [f64])) {
        let at = self.rows * self.width;
        let z = &mut self.z[at..at + self.dim];
        fill(z);
        for (u, z) in self.u[at..at + self.dim].iter_mut().zip(z.iter()) {
            *u = h * z;
        }
        self.rows += 1;
        if self.rows == ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.rows > 0 {
            tiles(&self.u, &self.z, self.rows, self.width, &mut self.acc);
            self.rows = 0;
        }
    }

    /// Adds the sum into `out` (`dim x dim`, row-major), both triangles.
    pub fn finish(mut self, out: &mut [f64]) {
        self.flush();
        let (d, w) = (self.dim, self.width);
        for j in 0..d {
            for k in j..d {
                let v = self.acc[j * w + k];
                out[j * d + k] += v;
                if k != j {
                    out[k * d + j] += v;
                }
            }
        }
    }
}

/// `acc[j][k] += sum_i u[i][j] z[i][k]` over the upper triangle's 4 x 8 tiles, for `n` rows
/// of `width` values (a multiple of 8), with fused multiply-adds where the CPU has them.
fn tiles(u: &[f64], z: &[f64], n: usize, width: usize, acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            unsafe { tiles_fma(u, z, n, width, acc) };
            return;
        }
    }
    tiles_with(u, z, n, width, acc, |a, b, c| a * b + c);
}

/// [`tiles`] compiled for AVX2 with `mul_add` as one instruction.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tiles_fma(u: &[f64], z: &[f64], n: usize, width: usize, acc: &mut [f64]) {
    tiles_with(u, z, n, width, acc, f64::mul_add);
}

/// The tile loops, written so that the compiler keeps a tile in registers and vectorises
/// the eight columns; `fma(a, b, c)` is `a * b + c`, fused or not.
#[inline(always)]
fn tiles_with(
    u: &[f64],
    z: &[f64],
    n: usize,
    width: usize,
    acc: &mut [f64],
    fma: impl Fn(f64, f64, f64) -> f64 + Copy,
) {
    for j0 in (0..width).step_by(4) {
        for k0 in (j0 / 8 * 8..width).step_by(8) {
            let mut t = [[0.0f64; 8]; 4];
            for i in 0..n {
                let zr: &[f64; 8] = z[i * width + k0..i * width + k0 + 8]
                    .try_into()
                    .unwrap_or(&[0.0; 8]);
                let ur: &[f64; 4] = u[i * width + j0..i * width + j0 + 4]
                    .try_into()
                    .unwrap_or(&[0.0; 4]);
                for a in 0..4 {
                    for b in 0..8 {
                        t[a][b] = fma(ur[a], zr[b], t[a][b]);
                    }
                }
            }
            for (a, row) in t.iter().enumerate() {
                let o = (j0 + a) * width + k0;
                for (dst, v) in acc[o..o + 8].iter_mut().zip(row) {
                    *dst += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_row_by_row_sum() {
        // Widths around the tile sizes, row counts across block boundaries.
        for dim in [1, 3, 4, 5, 8, 9, 13, 21, 33] {
            for n in [0, 1, 63, 64, 65, 200] {
                let row = |i: usize| -> Vec<f64> {
                    (0..dim)
                        .map(|j| ((i * 7 + j * 3) % 11) as f64 * 0.37 - 1.1)
                        .collect()
                };
                let h = |i: usize| 0.5 + (i % 5) as f64;
                let mut g = GramSum::new(dim);
                for i in 0..n {
                    let r = row(i);
                    g.push(h(i), |z| z.copy_from_slice(&r));
                }
                let mut out = vec![1.0; dim * dim];
                g.finish(&mut out);
                for j in 0..dim {
                    for k in 0..dim {
                        let want: f64 =
                            1.0 + (0..n).map(|i| h(i) * row(i)[j] * row(i)[k]).sum::<f64>();
                        let got = out[j * dim + k];
                        assert!(
                            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                            "dim {dim}, n {n}, ({j}, {k}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}

use super::weights::{RowWeights, Unweighted};
use crate::data::Matrix;
#[cfg(target_arch = "x86_64")]
use crate::numeric::vmath::has_avx2_fma;
use crate::numeric::{axpy, dot, prefetch};
use crate::penalty::Penalty;
use crate::{Error, FiniteSum, Result, Rows};

/// Classes up to which the kernel keeps each row's `K` scores in a stack array. Beyond, it
/// recomputes the scores in a second pass instead (see [`Softmax`]).
pub const STACK_CLASSES: usize = 64;

/// Multinomial (softmax) regression with `K` classes: scores `z_k = w_k . x + b_k`,
/// probabilities `p_k = exp(z_k) / sum_j exp(z_j)`, and the cost
/// `f(W, b) = 1/N * sum_i (logsumexp(z_i) - z_{i, y_i}) + penalty(W)`,
/// the mean cross-entropy plus a penalty on every weight (never on the intercepts).
///
/// Targets are class indices `0..K` stored as `f64`.
///
/// Parameter layout: one row per class, `[w_k1, .., w_kd, b_k]` for `k = 0..K-1`, so
/// `K * (d + 1)` values (`K * d` without an intercept, each row then being `[w_k1, .., w_kd]`).
///
/// `logsumexp` subtracts the largest score first, so no score overflows `exp`. The kernel
/// reads each row once and never allocates: for `K <=` [`STACK_CLASSES`] it keeps the row's
/// scores in a stack array (the scores are needed twice: for the normaliser, then for each
/// class's gradient); for more classes it computes the normaliser online in one sweep over
/// the classes and recomputes each score in a second sweep, one extra dot product per class.
///
/// Without a penalty the parameters are determined only up to adding the same vector to
/// every class's row; with an L2 penalty the weights are unique (they sum to zero over the
/// classes) but the intercepts still only up to a common shift. Gradient descent from zero
/// keeps the intercepts summing to zero, which picks one.
#[derive(Debug, Clone, Copy)]
pub struct Softmax<'a> {
    x: &'a Matrix,
    y: &'a [f64],
    n_classes: usize,
    intercept: bool,
    penalty: Penalty,
    /// Row weights (`None`: every row counts once), as [`Linear::weights`](super::Linear::weights).
    weights: Option<&'a [f64]>,
}

impl<'a> Softmax<'a> {
    /// A softmax model of the classes `y` (indices `0..n_classes` as `f64`) on the columns
    /// of `x`. Checks that there is one target per row and that each is a class index, so
    /// that the kernel can index with them.
    pub fn new(x: &'a Matrix, y: &'a [f64], n_classes: usize) -> Result<Self> {
        if y.len() != x.rows() {
            return Err(Error::Shape {
                what: "targets (one per row)",
                expected: x.rows(),
                got: y.len(),
            });
        }
        if n_classes < 2 {
            return Err(Error::setting(
                "number of classes",
                format!("{n_classes} is fewer than 2"),
            ));
        }
        if let Some(row) = y.iter().position(|&v| class_index(v, n_classes).is_none()) {
            return Err(Error::InvalidClass {
                what: "target",
                value: y[row],
                row,
                expected: format!("an integer from 0 to {}", n_classes - 1),
            });
        }
        Ok(Softmax {
            x,
            y,
            n_classes,
            intercept: true,
            penalty: Penalty::default(),
            weights: None,
        })
    }

    /// Row weights, one per row (`None`: every row counts once): row `i`'s loss counts
    /// `weights[i]` times (unweighted kernels are separate copies, as fast as before).
    ///
    /// # Panics
    /// When `weights` does not have one value per row (a programming error).
    pub fn weights(mut self, weights: Option<&'a [f64]>) -> Self {
        if let Some(w) = weights {
            assert_eq!(w.len(), self.y.len(), "one weight per row");
        }
        self.weights = weights;
        self
    }

    /// With or without intercepts (default: with).
    pub fn intercept(mut self, yes: bool) -> Self {
        self.intercept = yes;
        self
    }

    /// A penalty on the weights (all classes; not the intercepts).
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// Number of classes `K`.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of features `d`.
    pub fn n_features(&self) -> usize {
        self.x.cols()
    }

    /// Parameters per class: `d + 1` with intercepts, `d` without.
    pub fn stride(&self) -> usize {
        self.x.cols() + usize::from(self.intercept)
    }

    /// The score of class `k` for the features `xi`.
    #[inline(always)]
    fn score(&self, params: &[f64], k: usize, xi: &[f64]) -> f64 {
        let d = self.x.cols();
        let row = &params[k * self.stride()..];
        let b = if self.intercept { row[d] } else { 0.0 };
        dot(&row[..d], xi) + b
    }

    /// `(logsumexp_k z_k, z_c)` for one row in a single sweep over the classes, with the
    /// running maximum rescaling the running sum (the "online softmax" normaliser).
    #[inline]
    fn online_lse(&self, params: &[f64], xi: &[f64], c: usize) -> (f64, f64) {
        let mut m = f64::NEG_INFINITY;
        let mut s = 0.0;
        let mut zc = 0.0;
        for k in 0..self.n_classes {
            let z = self.score(params, k, xi);
            if k == c {
                zc = z;
            }
            if z > m {
                s = s * (m - z).exp() + 1.0;
                m = z;
            } else {
                s += (z - m).exp();
            }
        }
        (m + s.ln(), zc)
    }

    /// The rows' sum by the kernel that fits: the scores buffered on the stack when `K <=`
    /// [`STACK_CLASSES`], else recomputed.
    #[inline(always)]
    fn kernel<W: RowWeights>(
        &self,
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        if self.n_classes <= STACK_CLASSES {
            let mut buf = [0.0; STACK_CLASSES];
            self.accumulate_buffered(sw, params, rows, grad, &mut buf[..self.n_classes])
        } else {
            self.accumulate_recompute(sw, params, rows, grad)
        }
    }

    /// [`Softmax::kernel`] compiled for AVX2 and FMA: the dot products and updates run four
    /// lanes wide. No multiply-add is fused (Rust does not contract `a * b + c`), so the sums
    /// are the portable code's, bit for bit.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel_avx2<W: RowWeights>(
        &self,
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        self.kernel(sw, params, rows, grad)
    }

    /// [`Softmax::kernel`], in AVX2 where the CPU has it (a cached check).
    fn dispatch<W: RowWeights>(
        &self,
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe {
                if self.n_classes <= STACK_CLASSES {
                    self.rows4::<W, true>(sw, params, rows, grad)
                } else {
                    self.kernel_avx2(sw, params, rows, grad)
                }
            };
        }
        self.kernel(sw, params, rows, grad)
    }

    /// The kernel with the row's scores in `buf` (length `K`).
    #[inline(always)]
    fn accumulate_buffered<W: RowWeights>(
        &self,
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
        buf: &mut [f64],
    ) -> f64 {
        let d = self.x.cols();
        let stride = self.stride();
        let mut loss = 0.0;
        rows.for_each(|i| {
            let xi = self.x.row(i);
            let c = self.y[i] as usize;
            let mut m = f64::NEG_INFINITY;
            for (k, z) in buf.iter_mut().enumerate() {
                *z = self.score(params, k, xi);
                m = m.max(*z);
            }
            let zc = buf[c];
            let mut s = 0.0;
            for z in buf.iter_mut() {
                *z = (*z - m).exp();
                s += *z;
            }
            let wi = sw.at(i);
            loss += wi * (m + s.ln() - zc);
            let inv = 1.0 / s;
            for (k, e) in buf.iter().enumerate() {
                let coef = wi * (e * inv - if k == c { 1.0 } else { 0.0 });
                let g = &mut grad[k * stride..(k + 1) * stride];
                axpy(coef, xi, &mut g[..d]);
                if self.intercept {
                    g[d] += coef;
                }
            }
        });
        loss
    }

    /// The kernel without a buffer: an online normaliser, then the scores again.
    #[inline(always)]
    fn accumulate_recompute<W: RowWeights>(
        &self,
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        let d = self.x.cols();
        let stride = self.stride();
        let mut loss = 0.0;
        rows.for_each(|i| {
            let xi = self.x.row(i);
            let c = self.y[i] as usize;
            let (lse, zc) = self.online_lse(params, xi, c);
            let wi = sw.at(i);
            loss += wi * (lse - zc);
            for k in 0..self.n_classes {
                let p = (self.score(params, k, xi) - lse).exp();
                let coef = wi * (p - if k == c { 1.0 } else { 0.0 });
                let g = &mut grad[k * stride..(k + 1) * stride];
                axpy(coef, xi, &mut g[..d]);
                if self.intercept {
                    g[d] += coef;
                }
            }
        });
        loss
    }
}

impl Softmax<'_> {
    /// The loss alone, rows weighted by `sw`.
    fn loss_sum_w<W: RowWeights>(&self, sw: W, params: &[f64], rows: Rows<'_>) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() && self.n_classes <= STACK_CLASSES {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above); no gradient is
            // written.
            return unsafe { self.rows4::<W, false>(sw, params, rows, &mut []) };
        }
        let mut loss = 0.0;
        rows.for_each(|i| {
            let c = self.y[i] as usize;
            let (lse, zc) = self.online_lse(params, self.x.row(i), c);
            loss += sw.at(i) * (lse - zc);
        });
        loss
    }
}

/// The kernel eight rows at a time in AVX2 (`K <=` [`STACK_CLASSES`]), then four: the rows
/// are the lanes (eight as a [`Pair`] of vectors: every step of the loss is a chain of
/// dependent operations across the classes, maximum, `exp`, their sum, `ln`, a division,
/// and twice the rows keep the core busy twice as long on each). Each class's scores are dot
/// products summed as [`Linear`](super::Linear)'s (four lanes of fused multiply-adds, then
/// `(l0 + l2) + (l1 + l3)`); the maximum, `exp`, the normaliser's `ln` and the
/// probabilities are vector code ([`crate::numeric::vmath`]); each class's gradient takes
/// the rows' terms in row order. A row's values do not depend on the rows beside it (a short
/// group is padded with copies of its last row, whose results are dropped), so ranges and
/// index lists, split anywhere, add the same terms. The sums differ from the portable
/// kernel's in the last bits (fused multiply-adds, vector `exp` and `ln` within an ulp of
/// the scalar ones).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Softmax, STACK_CLASSES};
    use crate::model::linear::avx2::{load, mask64, reduce4};
    use crate::model::weights::RowWeights;
    use crate::numeric::lanes::{Lanes, Pair};
    use crate::numeric::vmath;
    use crate::{FiniteSum, Rows};
    use std::arch::x86_64::*;

    /// The most rows a group takes.
    const MAX_ROWS: usize = 8;

    /// Eight rows, as two vectors of four.
    type Eight = Pair<__m256d>;

    impl Softmax<'_> {
        /// The loss over `rows`, and with `GRAD` each row's gradient added into `grad`.
        ///
        /// # Safety
        /// The CPU supports AVX2 and FMA; `n_classes <= STACK_CLASSES`; with `GRAD`,
        /// `grad.len() == self.dim()`.
        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn rows4<W: RowWeights, const GRAD: bool>(
            &self,
            sw: W,
            params: &[f64],
            rows: Rows<'_>,
            grad: &mut [f64],
        ) -> f64 {
            assert!(self.n_classes <= STACK_CLASSES && params.len() == self.dim());
            assert!(!GRAD || grad.len() == self.dim());
            let mut loss = 0.0;
            let mut ids = [0usize; MAX_ROWS];
            // Each group's scores, then its exponentials, per class (lanes are rows).
            let mut z = [[0.0f64; MAX_ROWS]; STACK_CLASSES];
            // Whole groups of eight, then fours (a last short one padded with copies of its
            // last row).
            let mut at = 0;
            let total = rows.len();
            while at < total {
                let n = if total - at >= 8 {
                    8
                } else {
                    (total - at).min(4)
                };
                for (k, id) in ids.iter_mut().enumerate() {
                    *id = match &rows {
                        Rows::Range(r) => r.start + at + k.min(n - 1),
                        Rows::Indices(idx) => idx[at + k.min(n - 1)],
                    };
                }
                if n == 8 {
                    self.group::<Eight, W, GRAD>(sw, params, &ids, n, &mut z, grad, &mut loss);
                } else {
                    self.group::<__m256d, W, GRAD>(sw, params, &ids, n, &mut z, grad, &mut loss);
                }
                at += n;
            }
            loss
        }

        /// Rows `ids[..n]` (the rest, up to `V::LANES`, copies of the last): their loss
        /// added into `loss`, and with `GRAD` their gradient terms into `grad`.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn group<V: Lanes, W: RowWeights, const GRAD: bool>(
            &self,
            sw: W,
            params: &[f64],
            ids: &[usize; MAX_ROWS],
            n: usize,
            z: &mut [[f64; MAX_ROWS]; STACK_CLASSES],
            grad: &mut [f64],
            loss: &mut f64,
        ) {
            let lanes = V::LANES;
            let (d, stride, classes) = (self.x.cols(), self.stride(), self.n_classes);
            let x = self.x.as_slice();
            let mut rows = [x.as_ptr(); MAX_ROWS];
            let (mut class, mut weight) = ([0.0f64; MAX_ROWS], [0.0f64; MAX_ROWS]);
            for r in 0..lanes {
                let i = ids[r];
                assert!((i + 1) * d <= x.len() && i < self.y.len());
                rows[r] = x.as_ptr().add(i * d);
                class[r] = self.y[i];
                weight[r] = sw.at(i);
            }
            // Scores (kept per class as lanes), their running maximum.
            let mut m = V::splat(f64::NEG_INFINITY);
            for (k, zk) in z.iter_mut().enumerate().take(classes) {
                let row = &params[k * stride..(k + 1) * stride];
                let b = if self.intercept { row[d] } else { 0.0 };
                let v = dots::<V>(&row[..d], &rows).add(V::splat(b));
                v.store(zk.as_mut_ptr());
                // `f64::max`'s choice: a NaN score leaves the maximum as it was.
                m = v.max(m);
            }
            let mut zc = [0.0f64; MAX_ROWS];
            for r in 0..lanes {
                // Targets are class indices below `classes` (checked when the model is made).
                zc[r] = z[class[r] as usize][r];
            }
            // e_k = exp(z_k - m) in place of the scores, and their sum.
            let mut s = V::splat(0.0);
            for zk in z.iter_mut().take(classes) {
                let e = vmath::exp(V::load(zk.as_ptr()).sub(m));
                e.store(zk.as_mut_ptr());
                s = s.add(e);
            }
            let wv = V::load(weight.as_ptr());
            let lse = m.add(vmath::ln(s));
            let l = wv.mul(lse.sub(V::load(zc.as_ptr())));
            let mut each = [0.0f64; MAX_ROWS];
            l.store(each.as_mut_ptr());
            // Summed four rows at a time into the total, as groups of four were.
            for four in each[..n].chunks(4) {
                *loss += four.iter().fold(0.0, |a, v| a + v);
            }
            if GRAD {
                let one = V::splat(1.0);
                let inv = one.div(s);
                let cv = V::load(class.as_ptr());
                for (k, e) in z.iter().enumerate().take(classes) {
                    let p = V::load(e.as_ptr()).mul(inv);
                    let hot = V::select(cv.ne(V::splat(k as f64)), V::splat(0.0), one);
                    let mut c = [0.0f64; MAX_ROWS];
                    wv.mul(p.sub(hot)).store(c.as_mut_ptr());
                    let g = &mut grad[k * stride..(k + 1) * stride];
                    add_rows(&c, &rows, n, d, g.as_mut_ptr());
                    if self.intercept {
                        for cr in &c[..n] {
                            g[d] += cr;
                        }
                    }
                }
            }
        }
    }

    /// `V::LANES` (4 or 8) rows' dot products with `w` (the rows at `rows`, `w.len()`
    /// values each), one row to a lane, each summed as [`reduce4`] sums four.
    #[inline(always)]
    unsafe fn dots<V: Lanes>(w: &[f64], rows: &[*const f64; MAX_ROWS]) -> V {
        let mut out = [0.0f64; MAX_ROWS];
        let mut q = 0;
        while q < V::LANES {
            let four = [rows[q], rows[q + 1], rows[q + 2], rows[q + 3]];
            _mm256_storeu_pd(out.as_mut_ptr().add(q), dots4(w, &four));
            q += 4;
        }
        V::load(out.as_ptr())
    }

    /// Four rows' dot products with `w` (the rows at `rows`, `w.len()` values each), one
    /// row to a lane (as [`reduce`] each, in one vector).
    #[inline(always)]
    unsafe fn dots4(w: &[f64], rows: &[*const f64; 4]) -> __m256d {
        let d = w.len();
        let mut s = [_mm256_setzero_pd(); 4];
        let mut j = 0;
        while j < d {
            let n = (d - j).min(4);
            let wj = load(w.as_ptr().add(j), n);
            for (sr, row) in s.iter_mut().zip(rows) {
                *sr = _mm256_fmadd_pd(wj, load(row.add(j), n), *sr);
            }
            j += 4;
        }
        reduce4(s)
    }

    /// `g += sum_r c_r x_r` over the first `n` rows, in row order.
    ///
    /// Whole groups of four go through plain loads and stores: the next group of rows
    /// reads what this one stored, and a load gets a plain store's value forwarded, while
    /// after a masked store it waits for the store to reach the cache (on AMD's Zen 3 that
    /// wait was a fifth of a ten-class epoch). Only a last short group is masked.
    #[inline(always)]
    unsafe fn add_rows(
        c: &[f64; MAX_ROWS],
        rows: &[*const f64; MAX_ROWS],
        n: usize,
        d: usize,
        g: *mut f64,
    ) {
        let mut cv = [_mm256_setzero_pd(); MAX_ROWS];
        for (v, c) in cv.iter_mut().zip(c) {
            *v = _mm256_set1_pd(*c);
        }
        let mut j = 0;
        while j + 4 <= d {
            let mut gj = _mm256_loadu_pd(g.add(j));
            for r in 0..n {
                gj = _mm256_fmadd_pd(cv[r], _mm256_loadu_pd(rows[r].add(j)), gj);
            }
            _mm256_storeu_pd(g.add(j), gj);
            j += 4;
        }
        if j < d {
            let k = d - j;
            let mask = mask64(k);
            let mut gj = _mm256_maskload_pd(g.add(j), mask);
            for r in 0..n {
                gj = _mm256_fmadd_pd(cv[r], load(rows[r].add(j), k), gj);
            }
            _mm256_maskstore_pd(g.add(j), mask, gj);
        }
    }
}

/// `v` as a class index below `n_classes`, if it is one.
fn class_index(v: f64, n_classes: usize) -> Option<usize> {
    (v >= 0.0 && v.fract() == 0.0 && v < n_classes as f64).then_some(v as usize)
}

impl FiniteSum for Softmax<'_> {
    fn n_rows(&self) -> usize {
        self.x.rows()
    }

    fn dim(&self) -> usize {
        self.n_classes * self.stride()
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        match self.weights {
            None => self.dispatch(Unweighted, params, rows, grad),
            Some(w) => self.dispatch(w, params, rows, grad),
        }
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        match self.weights {
            None => self.loss_sum_w(Unweighted, params, rows),
            Some(w) => self.loss_sum_w(w, params, rows),
        }
    }

    fn penalty(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        if self.penalty.l2 == 0.0 {
            return 0.0;
        }
        let (d, stride) = (self.x.cols(), self.stride());
        let mut v = 0.0;
        for k in 0..self.n_classes {
            let r = k * stride..k * stride + d;
            v += self.penalty.smooth(&params[r.clone()], &mut grad[r]);
        }
        v
    }

    fn penalty_value(&self, params: &[f64]) -> f64 {
        let (d, stride) = (self.x.cols(), self.stride());
        (0..self.n_classes)
            .map(|k| self.penalty.value(&params[k * stride..k * stride + d]))
            .sum()
    }

    fn as_sync(&self) -> Option<&(dyn FiniteSum + Sync)> {
        Some(self)
    }

    fn prefetch(&self, rows: std::ops::Range<usize>) {
        let d = self.x.cols();
        prefetch(
            self.x
                .as_slice()
                .get(rows.start * d..rows.end * d)
                .unwrap_or_default(),
        );
        prefetch(self.y.get(rows).unwrap_or_default());
    }

    fn prox(&self, params: &mut [f64], step: f64) {
        let (d, stride) = (self.x.cols(), self.stride());
        for k in 0..self.n_classes {
            self.penalty
                .prox(&mut params[k * stride..k * stride + d], step);
        }
    }

    fn has_prox(&self) -> bool {
        self.penalty.l1 > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::FullBatch;
    use crate::Objective;

    #[test]
    fn weights_count_rows_as_repeats() {
        let (x, y) = toy();
        let w = [2.0, 0.0, 1.0, 3.0];
        let rep = [0, 0, 2, 3, 3, 3];
        let xr =
            Matrix::from_row_major(6, 2, rep.iter().flat_map(|&i| x.row(i).to_vec()).collect())
                .unwrap();
        let yr: Vec<f64> = rep.iter().map(|&i| y[i]).collect();
        let params: Vec<f64> = (0..9).map(|j| 0.3 - 0.1 * j as f64).collect();
        let weighted = Softmax::new(&x, &y, 3).unwrap().weights(Some(&w));
        let repeated = Softmax::new(&xr, &yr, 3).unwrap();
        let (mut g1, mut g2) = (vec![0.0; 9], vec![0.0; 9]);
        let l1 = weighted.accumulate(&params, Rows::Range(0..4), &mut g1);
        let l2 = repeated.accumulate(&params, Rows::Range(0..6), &mut g2);
        assert!((l1 - l2).abs() < 1e-13, "{l1} vs {l2}");
        for (a, b) in g1.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-13, "{a} vs {b}");
        }
        assert!((weighted.loss_sum(&params, Rows::Range(0..4)) - l2).abs() < 1e-13);
    }

    fn toy() -> (Matrix, Vec<f64>) {
        let x = Matrix::from_rows(&[[0.5, -1.0], [1.5, 0.3], [-0.7, 2.0], [0.1, 0.1]]);
        (x, vec![0.0, 2.0, 1.0, 2.0])
    }

    #[test]
    fn two_classes_are_logistic_regression() {
        // With K = 2, rows [w0, b0] = 0 and [w1, b1] = theta, p_1 = sigmoid(theta . [x, 1]).
        let (x, y) = toy();
        let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.5)).collect();
        let m = Softmax::new(&x, &y, 2).unwrap();
        let theta = [0.3, -0.8, 0.2];
        let params = [0.0, 0.0, 0.0, theta[0], theta[1], theta[2]];
        let mut expected = 0.0;
        for (i, row) in x.iter_rows().enumerate() {
            let z = theta[0] * row[0] + theta[1] * row[1] + theta[2];
            let p = 1.0 / (1.0 + (-z).exp());
            expected -= y[i] * p.ln() + (1.0 - y[i]) * (1.0 - p).ln();
        }
        let obj = FullBatch::new(&m);
        assert!((obj.cost(&params) - expected / 4.0).abs() < 1e-14);
    }

    #[test]
    fn both_kernels_agree() {
        let (x, y) = toy();
        let m = Softmax::new(&x, &y, 3).unwrap();
        let params: Vec<f64> = (0..9).map(|i| (i as f64 * 0.37).sin()).collect();
        let (mut g1, mut g2) = (vec![0.0; 9], vec![0.0; 9]);
        let mut buf = [0.0; 3];
        let l1 = m.accumulate_buffered(Unweighted, &params, Rows::Range(0..4), &mut g1, &mut buf);
        let l2 = m.accumulate_recompute(Unweighted, &params, Rows::Range(0..4), &mut g2);
        let l3 = m.loss_sum(&params, Rows::Range(0..4));
        assert!((l1 - l2).abs() < 1e-14 && (l1 - l3).abs() < 1e-14);
        for (a, b) in g1.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-14);
        }
        // The class gradients sum to zero: softmax is invariant to a common shift.
        for j in 0..3 {
            let s: f64 = (0..3).map(|k| g1[k * 3 + j]).sum();
            assert!(s.abs() < 1e-14);
        }
    }

    /// `n x d` features and `k` classes, deterministic.
    fn grid(n: usize, d: usize, k: usize) -> (Matrix, Vec<f64>) {
        let x: Vec<f64> = (0..n * d)
            .map(|v| ((v * 37 % 101) as f64 / 50.0 - 1.0) * 1.7)
            .collect();
        let y = (0..n).map(|i| ((i * 7 + i / 3) % k) as f64).collect();
        (Matrix::from_row_major(n, d, x).unwrap(), y)
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_kernel_matches_the_portable_one() {
        if !has_avx2_fma() {
            return;
        }
        for (d, k) in [(1, 2), (3, 3), (4, 3), (5, 10), (20, 3), (9, 64)] {
            let (x, y) = grid(37, d, k);
            let w: Vec<f64> = (0..37).map(|i| 0.5 + (i % 4) as f64).collect();
            for (intercept, weights) in [(true, None), (false, None), (true, Some(&w[..]))] {
                let m = Softmax::new(&x, &y, k)
                    .unwrap()
                    .intercept(intercept)
                    .weights(weights);
                let params: Vec<f64> = (0..m.dim()).map(|i| (i as f64 * 0.37).sin()).collect();
                let (mut g1, mut g2) = (vec![0.0; m.dim()], vec![0.0; m.dim()]);
                let l1 = m.accumulate(&params, Rows::Range(0..37), &mut g1);
                let mut buf = [0.0; STACK_CLASSES];
                let l2 = match weights {
                    None => m.accumulate_buffered(
                        Unweighted,
                        &params,
                        Rows::Range(0..37),
                        &mut g2,
                        &mut buf[..k],
                    ),
                    Some(w) => m.accumulate_buffered(
                        w,
                        &params,
                        Rows::Range(0..37),
                        &mut g2,
                        &mut buf[..k],
                    ),
                };
                assert!(
                    (l1 - l2).abs() <= 1e-13 * l2.abs(),
                    "d {d} k {k}: {l1} vs {l2}"
                );
                for (a, b) in g1.iter().zip(&g2) {
                    assert!((a - b).abs() <= 1e-13, "d {d} k {k}: {a} vs {b}");
                }
                // The loss alone is the same kernel: the same bits.
                assert_eq!(m.loss_sum(&params, Rows::Range(0..37)), l1);
                // An index list of the same rows, and any row alone (every other weighted
                // 0): a row's terms do not depend on the rows grouped with it.
                let idx: Vec<usize> = (0..37).collect();
                let mut g3 = vec![0.0; m.dim()];
                assert_eq!(m.accumulate(&params, Rows::Indices(&idx), &mut g3), l1);
                assert_eq!(g3, g1);
                for i in [0, 5, 36] {
                    let only: Vec<f64> = (0..37).map(|r| f64::from(r == i)).collect();
                    let mo = m.weights(Some(&only));
                    let (mut ga, mut gb) = (vec![0.0; m.dim()], vec![0.0; m.dim()]);
                    let la = mo.accumulate(&params, Rows::Range(0..37), &mut ga);
                    let lb = mo.accumulate(&params, Rows::Range(i..i + 1), &mut gb);
                    assert_eq!((la, &ga), (lb, &gb), "row {i}");
                }
            }
        }
    }

    #[test]
    fn huge_scores_do_not_overflow() {
        let (x, y) = toy();
        let m = Softmax::new(&x, &y, 3).unwrap().intercept(false);
        let params = [1e300, 0.0, -1e300, 0.0, 0.0, 5e299];
        let mut g = vec![0.0; 6];
        let l = m.accumulate(&params, Rows::Range(0..4), &mut g);
        assert!(l.is_finite() && g.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_targets_are_errors() {
        let (x, _) = toy();
        assert!(matches!(
            Softmax::new(&x, &[0.0, 1.0, 3.0, 0.0], 3),
            Err(Error::InvalidClass { row: 2, .. })
        ));
        assert!(Softmax::new(&x, &[0.0, 1.5, 2.0, 0.0], 3).is_err());
        assert!(Softmax::new(&x, &[0.0, -1.0, 2.0, 0.0], 3).is_err());
        assert!(Softmax::new(&x, &[0.0, 1.0], 3).is_err());
    }

    #[test]
    fn prox_zeroes_weights_not_intercepts() {
        let (x, y) = toy();
        let pen = Penalty { l1: 1.0, l2: 0.0 };
        let m = Softmax::new(&x, &y, 3).unwrap().penalty(pen);
        let mut p = vec![0.5, -0.2, 0.3, 2.0, 0.1, -0.4, -3.0, 0.05, 0.25];
        m.prox(&mut p, 0.5);
        assert_eq!(p, vec![0.0, 0.0, 0.3, 1.5, 0.0, -0.4, -2.5, 0.0, 0.25]);
        assert_eq!(
            m.penalty_value(&[1.0, -2.0, 7.0, 0.0, 0.0, 7.0, 0.0, 3.0, 7.0]),
            6.0
        );
    }
}

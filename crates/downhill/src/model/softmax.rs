use super::weights::{RowWeights, Unweighted};
use crate::data::{Matrix, MatrixView};
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
    /// The features, viewed once: the kernels take the slice in their loops.
    x: MatrixView<'a, f64>,
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
            x: x.view(),
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

    /// Whether the eight-lane kernel ([`Softmax::rows8`]) runs: the CPU has AVX-512F, and
    /// the rows fit one block of [`avx2::BLOCK_COLUMNS`] or there are at least ten classes.
    /// Past a block, each group's rows are transposed for every class's scores together,
    /// and with few classes that costs more than the shorter sums save
    /// (`examples/epoch_bound`, alternated twice, medians against the four-lane kernel:
    /// 100,000 x 100 with 10 classes 7.8-7.9 ms -> 6.1-6.7, 20,000 x 784 with 10 23.3-23.8
    /// -> 18.6-19.1, 60,000 x 200 with 10 8.7-9.1 -> 8.3-8.6, with 6 5.9-6.0 -> 6.6-6.8,
    /// with 3 4.1-4.8 -> 5.1-5.9; 20,000 x 784 with 3 10.0-10.3 -> 10.3-11.1).
    #[cfg(target_arch = "x86_64")]
    fn wide(&self) -> bool {
        (self.x.cols() <= avx2::BLOCK_COLUMNS || self.n_classes >= 10)
            && crate::numeric::vmath::has_avx512f()
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
                if self.n_classes <= STACK_CLASSES && self.wide() {
                    // SAFETY: and AVX-512F (`wide`).
                    self.rows8::<W, true>(sw, params, rows, grad)
                } else if self.n_classes <= STACK_CLASSES {
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
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), and AVX-512F
            // where `wide`; no gradient is written.
            return unsafe {
                if self.wide() {
                    self.rows8::<W, false>(sw, params, rows, &mut [])
                } else {
                    self.rows4::<W, false>(sw, params, rows, &mut [])
                }
            };
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
/// the scalar ones). With AVX-512F, [`Softmax::rows8`] gives the same bits eight lanes a
/// vector (1,000,000 x 20 on two threads, `examples/epoch_bound 1000000 20 softmaxK 15 2`
/// alternated three times with the four-lane kernel before it and before the rows were
/// asked for ahead (`prefetch_ahead`): 10 classes 24.6-27.1 ms an epoch to 17.4-18.5 with
/// both, 3 classes 13.8-14.2 to 8.6-8.8), sixteen rows a group where sixteen are left.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Softmax, STACK_CLASSES};
    use crate::model::linear::avx2::{dot1, load, reduce4};
    use crate::model::weights::RowWeights;
    use crate::numeric::lanes::{Lanes, Pair};
    use crate::numeric::{first_level_takes_rows, prefetch_span_to, vmath};
    use crate::{FiniteSum, Rows};
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// The most rows a group takes ([`Sixteen`]).
    const MAX_ROWS: usize = 16;

    /// Rows of one AVX-512 vector's lanes: a transposed block's, and the gradient terms'
    /// (added eight rows at a time, [`add_rows8`]).
    const BLOCK_ROWS: usize = 8;

    /// Eight rows, as two vectors of four.
    type Eight = Pair<__m256d>;

    /// Sixteen rows, as two vectors of eight.
    type Sixteen = Pair<__m512d>;

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
            if let Some(i) = only_row(&rows) {
                self.one_row::<W, GRAD>(sw, params, i, grad, &mut loss);
                return loss;
            }
            let mut ids = [0usize; MAX_ROWS];
            // Each group's scores, then its exponentials, per class (lanes are rows).
            let mut z = Scores::new();
            // Whole groups of eight, then fours (a last short one padded with copies of its
            // last row). Rows wider than [`BLOCK_COLUMNS`] go four at a time: eight of them
            // and the classes' gradient rows crowd the first-level cache that every class's
            // pass reads them from (`examples/epoch_bound`, alternated twice, medians:
            // 60,000 x 200, 3 classes, 4.2-4.5 ms -> 3.6-3.7; 40,000 x 300 4.2 -> 3.5;
            // 20,000 x 784, 10 classes, 24.0 -> 22.7; 100,000 x 100 the same either way).
            let eights = self.x.cols() <= BLOCK_COLUMNS;
            let mut at = 0;
            let total = rows.len();
            while at < total {
                let n = if eights && total - at >= 8 {
                    8
                } else {
                    (total - at).min(4)
                };
                group_ids(&rows, at, n, &mut ids);
                self.prefetch_ahead(&rows, at, 8);
                if n == 8 {
                    self.group::<Eight, W, GRAD>(
                        sw,
                        params,
                        &ids,
                        n,
                        &mut z,
                        &mut (),
                        grad,
                        &mut loss,
                    );
                } else {
                    self.group::<__m256d, W, GRAD>(
                        sw,
                        params,
                        &ids,
                        n,
                        &mut z,
                        &mut (),
                        grad,
                        &mut loss,
                    );
                }
                at += n;
            }
            loss
        }

        /// [`Softmax::rows4`] in AVX-512, sixteen rows at a time ([`Sixteen`]), a last
        /// group of at most eight as one vector (a short group padded with copies of its
        /// last row): the same values and sums, to the bit, as four lanes at a time. A
        /// group's rows are transposed a block of [`BLOCK_COLUMNS`] at a time
        /// ([`transpose8`]) so that each class's eight scores are eight lanes of chains of
        /// multiply-adds ([`chains`]) instead of four rows' partial sums reduced across
        /// lanes; the loss runs on eight lanes a vector, and each class's gradient eight
        /// columns a vector ([`add_rows8`]).
        ///
        /// Sixteen rows rather than eight (`examples/epoch_bound ROWS COLS softmaxK ..`
        /// alternated with eight, medians): in cache on one thread (`4096 20 .. 7 1 2000`,
        /// four times) 10 classes 129-130 us an epoch -> 117-125, 3 classes 58-60 -> 51-52
        /// (the cost alone, its last argument `cost`, 73 -> 59 and 41 -> 33:
        /// its chain is what two vectors side by side overlap); three times, 4096 x 50 with
        /// 5 classes 138-140 -> 127-129, 4096 x 100 with 10 407-414 -> 383-404, 2048 x 784
        /// with 10 the same; from memory on two threads (`1000000 20 .. 9 2`, four times in
        /// a noisy hour) 10 classes 17.8-25.9 ms -> 16.0-22.7, 3 classes 11.9-16.8 ->
        /// 8.1-14.1.
        ///
        /// # Safety
        /// The CPU supports AVX-512F, AVX2 and FMA; `n_classes <= STACK_CLASSES`; with
        /// `GRAD`, `grad.len() == self.dim()`.
        #[target_feature(enable = "avx2,fma,avx512f")]
        pub(super) unsafe fn rows8<W: RowWeights, const GRAD: bool>(
            &self,
            sw: W,
            params: &[f64],
            rows: Rows<'_>,
            grad: &mut [f64],
        ) -> f64 {
            assert!(self.n_classes <= STACK_CLASSES && params.len() == self.dim());
            assert!(!GRAD || grad.len() == self.dim());
            let mut loss = 0.0;
            if let Some(i) = only_row(&rows) {
                self.one_row::<W, GRAD>(sw, params, i, grad, &mut loss);
                return loss;
            }
            let mut ids = [0usize; MAX_ROWS];
            let mut z = Scores::new();
            let plain_tail = matches!(rows, Rows::Indices(_));
            // A last group of at most eight uses the first half's.
            let mut both = [Blocks::new(plain_tail), Blocks::new(plain_tail)];
            let mut at = 0;
            let total = rows.len();
            while at < total {
                let n = (total - at).min(MAX_ROWS);
                group_ids(&rows, at, n, &mut ids);
                if n > BLOCK_ROWS {
                    self.prefetch_ahead(&rows, at, MAX_ROWS);
                    self.group::<Sixteen, W, GRAD>(
                        sw, params, &ids, n, &mut z, &mut both, grad, &mut loss,
                    );
                } else {
                    self.prefetch_ahead(&rows, at, BLOCK_ROWS);
                    self.group::<__m512d, W, GRAD>(
                        sw,
                        params,
                        &ids,
                        n,
                        &mut z,
                        std::array::from_mut(&mut both[0]),
                        grad,
                        &mut loss,
                    );
                }
                at += n;
            }
            loss
        }

        /// Asks for the eight rows of `rows` two groups past `at` (the group at `at` is
        /// next): a group's first touch of its rows waited on memory (a third of a ten-class
        /// epoch in AVX-512, sampled), the CPU's own prefetcher not far enough ahead of rows
        /// read this slowly. `examples/epoch_bound 1000000 20 softmax10 15 2`, alternated
        /// three times: median 22.4-23.0 ms without, 16.8-17.0 with (`softmax3` 10.0-10.4
        /// and 8.4-8.5). Into the second level where the first holds less than 48 KiB: on
        /// AMD's family 25 (32 KiB), alternated with the first-level requests three times
        /// (`.. 9 2`, a switch not kept, session 38), 3 classes 17.8-23.2 ms -> 11.9-17.3,
        /// 10 classes (twice) 30.5-41.8 -> 27.1-29.3; `examples/epoch_bound` against the
        /// build before, three times, 14.9-15.5 -> 12.3-13.8 and 33.1-35.9 -> 26.5-35.2. The
        /// four-lane kernel there, with the second level, 17.2-19.0 for 3 classes: the
        /// eight-lane one stays.
        #[inline(always)]
        fn prefetch_ahead(&self, rows: &Rows<'_>, at: usize, group: usize) {
            let (x, d) = (self.x.as_slice(), self.x.cols());
            // The first level, not `numeric::prefetch`'s second for more than 1 KiB: these
            // lines are read next but one; but the second where the first is small
            // ([`first_level_takes_rows`]). Every line, the last byte's too (a shuffled row
            // that starts past its line's middle ends a line further).
            let near = first_level_takes_rows();
            let ask = |values: &[f64]| {
                prefetch_span_to(values.as_ptr().cast(), size_of_val(values), near);
            };
            let ahead = at + 2 * group;
            match rows {
                Rows::Range(r) if ahead < r.len() => {
                    let (i, k) = (r.start + ahead, (r.len() - ahead).min(group));
                    ask(x.get(i * d..(i + k) * d).unwrap_or_default());
                }
                Rows::Indices(idx) => {
                    for &i in idx.iter().skip(ahead).take(group) {
                        ask(x.get(i * d..(i + 1) * d).unwrap_or_default());
                    }
                }
                Rows::Range(_) => {}
            }
        }

        /// Row `i`'s loss added into `loss`, and with `GRAD` its gradient terms into `grad`:
        /// what [`Softmax::group`] gives a group of one row, to the bit, without the lanes it
        /// would fill with copies of the row (a step of per-sample SGD). Its classes are the
        /// lanes instead: each score a row's dot product in four lanes ([`dot1`]), the
        /// exponentials and the logarithm by the same vector functions, and every other
        /// operation the group's, in the group's order.
        #[inline(always)]
        unsafe fn one_row<W: RowWeights, const GRAD: bool>(
            &self,
            sw: W,
            params: &[f64],
            i: usize,
            grad: &mut [f64],
            loss: &mut f64,
        ) {
            let (d, stride, classes) = (self.x.cols(), self.stride(), self.n_classes);
            let x = self.x.as_slice();
            assert!((i + 1) * d <= x.len() && i < self.y.len() && classes <= STACK_CLASSES);
            let row = x.as_ptr().add(i * d);
            let (class, weight) = (self.y[i], sw.at(i));
            // Scores, then their exponentials; room for whole vectors of four.
            let mut z = [0.0f64; STACK_CLASSES + 3];
            let mut m = f64::NEG_INFINITY;
            for (k, zk) in z.iter_mut().enumerate().take(classes) {
                let dot = dot1(&params[k * stride..k * stride + d], row);
                let b = if self.intercept {
                    params[k * stride + d]
                } else {
                    0.0
                };
                *zk = dot + b;
                // `_mm256_max_pd(z, m)`'s choice, as the group's.
                m = if *zk > m { *zk } else { m };
            }
            let zc = z[class as usize];
            // e_k = exp(z_k - m) in place of the scores, as the group's.
            let mv = _mm256_set1_pd(m);
            let mut k = 0;
            while k < classes {
                let v = vmath::exp(_mm256_sub_pd(_mm256_loadu_pd(z.as_ptr().add(k)), mv));
                _mm256_storeu_pd(z.as_mut_ptr().add(k), v);
                k += 4;
            }
            let s = z[..classes].iter().fold(0.0, |s, ek| s + ek);
            let ln_s = _mm256_cvtsd_f64(vmath::ln(_mm256_set1_pd(s)));
            let l = weight * ((m + ln_s) - zc);
            *loss += 0.0 + l;
            if GRAD {
                let inv = 1.0 / s;
                for (k, ek) in z.iter().enumerate().take(classes) {
                    let hot = if class != k as f64 { 0.0 } else { 1.0 };
                    let c = weight * (ek * inv - hot);
                    let g = &mut grad[k * stride..(k + 1) * stride];
                    add_rows(&[c; BLOCK_ROWS], &[row; BLOCK_ROWS], 1, d, g.as_mut_ptr());
                    if self.intercept {
                        g[d] += c;
                    }
                }
            }
        }

        /// Rows `ids[..n]` (the rest, up to `V::LANES`, copies of the last): their loss
        /// added into `loss`, and with `GRAD` their gradient terms into `grad`. Inlined into
        /// [`Softmax::rows4`] and [`Softmax::rows8`], whose target features it takes.
        #[allow(clippy::too_many_arguments)]
        #[inline(always)]
        unsafe fn group<V: Group, W: RowWeights, const GRAD: bool>(
            &self,
            sw: W,
            params: &[f64],
            ids: &[usize; MAX_ROWS],
            n: usize,
            z: &mut Scores,
            buf: &mut V::Buf,
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
            V::scores(params, stride, classes, &rows, d, buf, z);
            let mut m = V::splat(f64::NEG_INFINITY);
            for k in 0..classes {
                let b = if self.intercept {
                    params[k * stride + d]
                } else {
                    0.0
                };
                let zk = z.class(k);
                let v = V::load(zk).add(V::splat(b));
                v.store(zk);
                // `f64::max`'s choice: a NaN score leaves the maximum as it was.
                m = v.max(m);
            }
            let mut zc = [0.0f64; MAX_ROWS];
            for r in 0..lanes {
                // Targets are class indices below `classes` (checked when the model is made).
                zc[r] = *z.class(class[r] as usize).add(r);
            }
            // e_k = exp(z_k - m) in place of the scores, and their sum.
            let mut s = V::splat(0.0);
            for k in 0..classes {
                let zk = z.class(k);
                let e = vmath::exp(V::load(zk).sub(m));
                e.store(zk);
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
                for k in 0..classes {
                    let p = V::load(z.class(k)).mul(inv);
                    let hot = V::select(cv.ne(V::splat(k as f64)), V::splat(0.0), one);
                    let mut c = [0.0f64; MAX_ROWS];
                    wv.mul(p.sub(hot)).store(c.as_mut_ptr());
                    let g = &mut grad[k * stride..(k + 1) * stride];
                    V::add_rows(&c, &rows, n, d, g.as_mut_ptr());
                    if self.intercept {
                        for cr in &c[..n] {
                            g[d] += cr;
                        }
                    }
                }
            }
        }
    }

    /// The row of `rows` when it holds one ([`Softmax::one_row`]'s case).
    #[inline(always)]
    fn only_row(rows: &Rows<'_>) -> Option<usize> {
        match rows {
            Rows::Range(r) if r.len() == 1 => Some(r.start),
            Rows::Indices(&[i]) => Some(i),
            _ => None,
        }
    }

    /// The rows `at..at + n` of `rows` (their indices) into `ids`, the rest of its eight
    /// copies of the last.
    #[inline(always)]
    fn group_ids(rows: &Rows<'_>, at: usize, n: usize, ids: &mut [usize; MAX_ROWS]) {
        for (k, id) in ids.iter_mut().enumerate() {
            *id = match rows {
                Rows::Range(r) => r.start + at + k.min(n - 1),
                Rows::Indices(idx) => idx[at + k.min(n - 1)],
            };
        }
    }

    /// Columns a block of [`Softmax::rows8`] takes at a time: eight rows of them,
    /// transposed, fill 4 KiB (up to about 24 columns they stay in registers), and so do
    /// the rows themselves for the gradient, read once for every class. [`Softmax::rows4`]
    /// takes wider rows four at a time.
    pub(super) const BLOCK_COLUMNS: usize = 64;

    /// A group's scores, one row of `MAX_ROWS` lanes a class ([`Softmax::group`] turns
    /// them into exponentials in place): each class's lanes written by [`Group::scores`]
    /// before anything reads them, so left uninitialised, as [`Transposed`]. Zeroed (8
    /// KiB a call), a call of eight rows took 25.9-28.6 ns a row against 20.4-21.7 left so
    /// (`examples/epoch_bound 8 20 softmax3 9 1 400000`, alternated twice; 22.6 with groups
    /// of at most eight and 4 KiB zeroed), 32 rows with ten classes 32.4-33.8 against
    /// 30.3-30.5.
    pub(super) struct Scores([MaybeUninit<[f64; MAX_ROWS]>; STACK_CLASSES]);

    impl Scores {
        #[inline(always)]
        fn new() -> Self {
            Scores([const { MaybeUninit::uninit() }; STACK_CLASSES])
        }

        /// Class `k`'s lanes (`k < STACK_CLASSES`), to read only where written.
        #[inline(always)]
        fn class(&mut self, k: usize) -> *mut f64 {
            self.0[k].as_mut_ptr().cast()
        }
    }

    /// A block of a group's eight rows transposed: its column `j` as the eight values
    /// `8 j..8 j + 8` (lane `r`: row `r`'s), aligned for vector loads. Room for a whole
    /// last block of eight columns: storing only its first few took a call to `memcpy`.
    /// Written before it is read (through raw pointers), so left uninitialised: it is
    /// made for every call, and a call may be one row of a stochastic step.
    #[repr(align(64))]
    pub(super) struct Transposed([MaybeUninit<f64>; BLOCK_ROWS * (BLOCK_COLUMNS + 8)]);

    /// What [`Softmax::rows8`] keeps between a group's blocks, for each eight rows: the
    /// transposed block and each class's four partial sums of their scores (a class's
    /// written at one block before it is read at the next; uninitialised, as
    /// [`Transposed`], not 16 KiB of zeros a call).
    pub(super) struct Blocks {
        xt: Transposed,
        acc: [MaybeUninit<[__m512d; 4]>; STACK_CLASSES],
        /// Whether [`transpose8`] reads a row's last columns with plain loads (rows in any
        /// order) rather than a masked one (consecutive rows: see there).
        plain_tail: bool,
    }

    impl Blocks {
        #[inline(always)]
        pub(super) fn new(plain_tail: bool) -> Self {
            Blocks {
                xt: Transposed([const { MaybeUninit::uninit() }; BLOCK_ROWS * (BLOCK_COLUMNS + 8)]),
                acc: [const { MaybeUninit::uninit() }; STACK_CLASSES],
                plain_tail,
            }
        }
    }

    /// How a group whose rows are the lanes of `Self` sums its scores and gradient terms.
    ///
    /// # Safety
    /// As [`Lanes`]: the CPU supports the type's instructions.
    unsafe trait Group: Lanes {
        /// What the sums keep between calls (AVX-512: [`Blocks`]).
        type Buf;
        /// `z[k]`: each row's dot product with class `k`'s weights (`params[k * stride..]`,
        /// `d` of them), one row to a lane, summed as [`dots4`] sums; `k < classes`.
        unsafe fn scores(
            params: &[f64],
            stride: usize,
            classes: usize,
            rows: &[*const f64; MAX_ROWS],
            d: usize,
            buf: &mut Self::Buf,
            z: &mut Scores,
        );
        /// `g += sum_r c_r x_r` over the first `n` rows of `d` values, in row order.
        unsafe fn add_rows(
            c: &[f64; MAX_ROWS],
            rows: &[*const f64; MAX_ROWS],
            n: usize,
            d: usize,
            g: *mut f64,
        );
    }

    /// Lanes of four (one vector or a [`Pair`]): their groups sum four columns a vector.
    trait Fours: Lanes {}
    impl Fours for __m256d {}
    impl Fours for Eight {}

    /// Four rows at a time ([`dots4`]) class by class, and each class's gradient four
    /// columns a vector ([`add_rows`]).
    unsafe impl<V: Fours> Group for V {
        type Buf = ();
        #[inline(always)]
        unsafe fn scores(
            params: &[f64],
            stride: usize,
            classes: usize,
            rows: &[*const f64; MAX_ROWS],
            d: usize,
            _: &mut (),
            z: &mut Scores,
        ) {
            for k in 0..classes {
                dots::<V>(&params[k * stride..k * stride + d], rows).store(z.class(k));
            }
        }
        #[inline(always)]
        unsafe fn add_rows(
            c: &[f64; MAX_ROWS],
            rows: &[*const f64; MAX_ROWS],
            n: usize,
            d: usize,
            g: *mut f64,
        ) {
            add_rows(&eight_of(c, 0), &eight_of(rows, 0), n, d, g);
        }
    }

    /// Eight rows as lanes, a block of [`BLOCK_COLUMNS`] at a time: the block transposed
    /// once ([`transpose8`]), then every class's four chains of multiply-adds carried
    /// over it ([`chains`]), so that each class's eight scores are sums along the lanes,
    /// not four rows' partial sums reduced across them.
    unsafe impl Group for __m512d {
        type Buf = [Blocks; 1];
        #[inline(always)]
        unsafe fn scores(
            params: &[f64],
            stride: usize,
            classes: usize,
            rows: &[*const f64; MAX_ROWS],
            d: usize,
            buf: &mut [Blocks; 1],
            z: &mut Scores,
        ) {
            block_scores(params, stride, classes, rows, d, buf, z);
        }
        #[inline(always)]
        unsafe fn add_rows(
            c: &[f64; MAX_ROWS],
            rows: &[*const f64; MAX_ROWS],
            n: usize,
            d: usize,
            g: *mut f64,
        ) {
            add_rows8(&eight_of(c, 0), &eight_of(rows, 0), n, d, g);
        }
    }

    /// Sixteen rows as two vectors of eight lanes, each half summed as [`__m512d`]'s group,
    /// the two side by side: a group's loss is a chain of dependent steps (scores, maximum,
    /// `exp`, their sum, `ln`, a division), which one vector at a time left the core
    /// waiting on. The gradient terms go half by half, rows `0..8` then `8..16`, each
    /// column's in row order (all sixteen in one pass: 10 classes in cache, as in
    /// [`Softmax::rows8`], 137 us against eight-row groups' 133).
    unsafe impl Group for Sixteen {
        type Buf = [Blocks; 2];
        #[inline(always)]
        unsafe fn scores(
            params: &[f64],
            stride: usize,
            classes: usize,
            rows: &[*const f64; MAX_ROWS],
            d: usize,
            buf: &mut [Blocks; 2],
            z: &mut Scores,
        ) {
            block_scores(params, stride, classes, rows, d, buf, z);
        }
        #[inline(always)]
        unsafe fn add_rows(
            c: &[f64; MAX_ROWS],
            rows: &[*const f64; MAX_ROWS],
            n: usize,
            d: usize,
            g: *mut f64,
        ) {
            add_rows8(&eight_of(c, 0), &eight_of(rows, 0), BLOCK_ROWS, d, g);
            add_rows8(&eight_of(c, 8), &eight_of(rows, 8), n - BLOCK_ROWS, d, g);
        }
    }

    /// Rows `from..from + 8` of `rows`.
    #[inline(always)]
    fn eight_of<T: Copy>(rows: &[T; MAX_ROWS], from: usize) -> [T; BLOCK_ROWS] {
        std::array::from_fn(|r| rows[from + r])
    }

    /// The scores `z` of `8 H` rows, eight to a half ([`Blocks`] each): a block of
    /// [`BLOCK_COLUMNS`] at a time, every half's block transposed ([`transpose8`]), then
    /// each class's chains carried over the halves' blocks together ([`chains`]).
    #[inline(always)]
    unsafe fn block_scores<const H: usize>(
        params: &[f64],
        stride: usize,
        classes: usize,
        rows: &[*const f64; MAX_ROWS],
        d: usize,
        buf: &mut [Blocks; H],
        z: &mut Scores,
    ) {
        // At least one block, so that no feature at all still gives zeros.
        let mut j = 0;
        loop {
            let width = (d - j).min(BLOCK_COLUMNS);
            let (first, last) = (j == 0, j + width == d);
            for (h, b) in buf.iter_mut().enumerate() {
                transpose8(&eight_of(rows, 8 * h), j, width, b.plain_tail, &mut b.xt);
            }
            for k in 0..classes {
                let w = &params[k * stride + j..k * stride + j + width];
                let mut a = if first {
                    [[_mm512_setzero_pd(); 4]; H]
                } else {
                    // SAFETY: written at the block before (`first` is false).
                    std::array::from_fn(|h| buf[h].acc[k].assume_init())
                };
                chains(w, std::array::from_fn(|h| &buf[h].xt), &mut a);
                for (h, (ah, b)) in a.iter().zip(buf.iter_mut()).enumerate() {
                    if last {
                        // [`reduce4`]'s `(l0 + l2) + (l1 + l3)`.
                        let v =
                            _mm512_add_pd(_mm512_add_pd(ah[0], ah[2]), _mm512_add_pd(ah[1], ah[3]));
                        _mm512_storeu_pd(z.class(k).add(8 * h), v);
                    } else {
                        b.acc[k].write(*ah);
                    }
                }
            }
            j += width;
            if j >= d {
                break;
            }
        }
    }

    /// Columns `j..j + width` (`width <= BLOCK_COLUMNS`) of the eight rows at `rows`
    /// transposed into `out`, eight columns at a time: two rounds of pairing
    /// (`unpacklo`/`unpackhi`, then 128-bit halves) and one of quarters. A last partial
    /// group of eight is read with a masked load, or with `plain_tail` narrower plain loads
    /// (nothing past the row either way): a masked load waits for the line its masked-out
    /// lanes fall in, the next row's, which rows taken in order ask for anyway but shuffled
    /// ones do not; in order the plain loads cost 2-4 % (`examples/epoch_bound 1000000 20
    /// softmax10 9 2` 17.2-17.7 ms against 17.8-18.0). (A step on one row does not come
    /// here: [`Softmax::one_row`].)
    #[inline(always)]
    unsafe fn transpose8(
        rows: &[*const f64; BLOCK_ROWS],
        j: usize,
        width: usize,
        plain_tail: bool,
        out: &mut Transposed,
    ) {
        // Lanes [a.q0, a.q2, b.q0, b.q2] and [a.q1, a.q3, b.q1, b.q3] of 128-bit quarters.
        const EVEN: i32 = 0b10_00_10_00;
        const ODD: i32 = 0b11_01_11_01;
        let o = out.0.as_mut_ptr().cast::<f64>();
        let mut c0 = 0;
        while c0 < width {
            let at = j + c0;
            let eight = (width - c0).min(8);
            let mut r = [_mm512_setzero_pd(); BLOCK_ROWS];
            if eight == 8 {
                for (v, row) in r.iter_mut().zip(rows) {
                    *v = _mm512_loadu_pd(row.add(at));
                }
            } else if plain_tail {
                for (v, row) in r.iter_mut().zip(rows) {
                    let lo = load::<f64>(row.add(at), eight.min(4));
                    let hi = if eight > 4 {
                        load::<f64>(row.add(at + 4), eight - 4)
                    } else {
                        _mm256_setzero_pd()
                    };
                    *v = _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(lo), hi);
                }
            } else {
                let m = ((1u32 << eight) - 1) as __mmask8;
                for (v, row) in r.iter_mut().zip(rows) {
                    *v = _mm512_maskz_loadu_pd(m, row.add(at));
                }
            }
            // Row pairs: [r0 c0, r1 c0 | r0 c2, r1 c2 | r0 c4, r1 c4 | r0 c6, r1 c6] and
            // the odd columns.
            let t: [__m512d; 8] = [
                _mm512_unpacklo_pd(r[0], r[1]),
                _mm512_unpackhi_pd(r[0], r[1]),
                _mm512_unpacklo_pd(r[2], r[3]),
                _mm512_unpackhi_pd(r[2], r[3]),
                _mm512_unpacklo_pd(r[4], r[5]),
                _mm512_unpackhi_pd(r[4], r[5]),
                _mm512_unpacklo_pd(r[6], r[7]),
                _mm512_unpackhi_pd(r[6], r[7]),
            ];
            // Rows 0-3: columns (0, 4), (2, 6), (1, 5), (3, 7); then rows 4-7.
            let u = [
                _mm512_shuffle_f64x2::<EVEN>(t[0], t[2]),
                _mm512_shuffle_f64x2::<ODD>(t[0], t[2]),
                _mm512_shuffle_f64x2::<EVEN>(t[1], t[3]),
                _mm512_shuffle_f64x2::<ODD>(t[1], t[3]),
            ];
            let v = [
                _mm512_shuffle_f64x2::<EVEN>(t[4], t[6]),
                _mm512_shuffle_f64x2::<ODD>(t[4], t[6]),
                _mm512_shuffle_f64x2::<EVEN>(t[5], t[7]),
                _mm512_shuffle_f64x2::<ODD>(t[5], t[7]),
            ];
            let cols = [
                _mm512_shuffle_f64x2::<EVEN>(u[0], v[0]),
                _mm512_shuffle_f64x2::<EVEN>(u[2], v[2]),
                _mm512_shuffle_f64x2::<EVEN>(u[1], v[1]),
                _mm512_shuffle_f64x2::<EVEN>(u[3], v[3]),
                _mm512_shuffle_f64x2::<ODD>(u[0], v[0]),
                _mm512_shuffle_f64x2::<ODD>(u[2], v[2]),
                _mm512_shuffle_f64x2::<ODD>(u[1], v[1]),
                _mm512_shuffle_f64x2::<ODD>(u[3], v[3]),
            ];
            for (c, col) in cols.iter().enumerate() {
                _mm512_store_pd(o.add(8 * (c0 + c)), *col);
            }
            c0 += 8;
        }
    }

    /// Carries four chains of multiply-adds over each of `H` blocks of eight rows'
    /// transposed columns (`w.len()` of them, from a column that is a multiple of four):
    /// chain `l` adds the products of columns `l, l + 4, ..` in order, and a block's missing
    /// last products add zero (as [`dots4`]'s zero-padded lanes do). Lane `r` of each chain
    /// is then [`dots4`]'s lane `l` of row `r`: the same operations, so the same bits. The
    /// blocks' chains run side by side, `4 H` independent ones.
    #[inline(always)]
    unsafe fn chains<const H: usize>(w: &[f64], xt: [&Transposed; H], a: &mut [[__m512d; 4]; H]) {
        let d = w.len();
        let x = xt.map(|b| b.0.as_ptr().cast::<f64>());
        let mut j = 0;
        while j + 4 <= d {
            for l in 0..4 {
                let wl = _mm512_set1_pd(w[j + l]);
                for (ah, xh) in a.iter_mut().zip(x) {
                    ah[l] = _mm512_fmadd_pd(wl, _mm512_load_pd(xh.add(8 * (j + l))), ah[l]);
                }
            }
            j += 4;
        }
        if j < d {
            let zero = _mm512_setzero_pd();
            for l in 0..4 {
                for (ah, xh) in a.iter_mut().zip(x) {
                    ah[l] = if j + l < d {
                        let xj = _mm512_load_pd(xh.add(8 * (j + l)));
                        _mm512_fmadd_pd(_mm512_set1_pd(w[j + l]), xj, ah[l])
                    } else {
                        _mm512_fmadd_pd(zero, zero, ah[l])
                    };
                }
            }
        }
    }

    /// [`add_rows`] eight columns a vector, then as [`add_rows`] (four, then one at a
    /// time, not masked: the next group's load would wait, as [`add_rows`] says): each
    /// column's terms in row order, so the same bits.
    #[inline(always)]
    unsafe fn add_rows8(
        c: &[f64; BLOCK_ROWS],
        rows: &[*const f64; BLOCK_ROWS],
        n: usize,
        d: usize,
        g: *mut f64,
    ) {
        let j = add_columns::<__m512d>(c, rows, n, d, g, 0);
        let j = add_columns::<__m256d>(c, rows, n, d, g, j);
        add_last(c, rows, n, d, g, j);
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
    /// Every value goes through plain loads and stores: the next group of rows reads what
    /// this one stored, and a load gets a plain store's value forwarded, while after a
    /// masked store it waits for the store to reach the cache (on AMD's Zen 3 that wait was
    /// a fifth of a ten-class epoch). Groups of four columns, then the rest one at a time.
    #[inline(always)]
    unsafe fn add_rows(
        c: &[f64; BLOCK_ROWS],
        rows: &[*const f64; BLOCK_ROWS],
        n: usize,
        d: usize,
        g: *mut f64,
    ) {
        let j = add_columns::<__m256d>(c, rows, n, d, g, 0);
        add_last(c, rows, n, d, g, j);
    }

    /// [`add_rows`] over whole vectors of `V::LANES` columns from column `j`; returns the
    /// first column it left.
    #[inline(always)]
    unsafe fn add_columns<V: Lanes>(
        c: &[f64; BLOCK_ROWS],
        rows: &[*const f64; BLOCK_ROWS],
        n: usize,
        d: usize,
        g: *mut f64,
        mut j: usize,
    ) -> usize {
        let mut cv = [V::splat(0.0); BLOCK_ROWS];
        for (v, c) in cv.iter_mut().zip(c) {
            *v = V::splat(*c);
        }
        // A whole group's eight rows unrolled (a count known only at run time took a
        // compare and branch a row).
        if n == BLOCK_ROWS {
            while j + V::LANES <= d {
                let mut gj = V::load(g.add(j));
                for (cr, row) in cv.iter().zip(rows) {
                    gj = cr.mul_add(V::load(row.add(j)), gj);
                }
                gj.store(g.add(j));
                j += V::LANES;
            }
        }
        while j + V::LANES <= d {
            let mut gj = V::load(g.add(j));
            for r in 0..n {
                gj = cv[r].mul_add(V::load(rows[r].add(j)), gj);
            }
            gj.store(g.add(j));
            j += V::LANES;
        }
        j
    }

    /// [`add_rows`] over columns `j..d` (at most three) one at a time: the same fused
    /// multiply-add as a lane, so the same bits, and plain scalar stores, whose values the
    /// next group's loads (and the intercept's, right after) get forwarded: after a masked
    /// store they waited for the cache, half of a three-class epoch on 1,000,000 x 5
    /// (sampled).
    #[inline(always)]
    unsafe fn add_last(
        c: &[f64; BLOCK_ROWS],
        rows: &[*const f64; BLOCK_ROWS],
        n: usize,
        d: usize,
        g: *mut f64,
        mut j: usize,
    ) {
        while j < d {
            let mut gj = _mm_load_sd(g.add(j));
            for r in 0..n {
                gj = _mm_fmadd_sd(_mm_set_sd(c[r]), _mm_load_sd(rows[r].add(j)), gj);
            }
            _mm_store_sd(g.add(j), gj);
            j += 1;
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
        for (d, k) in [
            (1, 2),
            (3, 3),
            (4, 3),
            (5, 10),
            (20, 3),
            (9, 64),
            (70, 3),
            (101, 10),
        ] {
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

    /// The model of `x`, `y` and `k` classes with an intercept, and without one and with
    /// the rows weighted by `w` (whether it has an intercept, the model, parameters of
    /// every sign).
    #[cfg(target_arch = "x86_64")]
    fn both_ways<'a>(
        x: &'a Matrix,
        y: &'a [f64],
        k: usize,
        w: &'a [f64],
    ) -> [(bool, Softmax<'a>, Vec<f64>); 2] {
        [(true, None), (false, Some(w))].map(|(intercept, weights)| {
            let m = Softmax::new(x, y, k)
                .unwrap()
                .intercept(intercept)
                .weights(weights);
            let params = (0..m.dim()).map(|i| (i as f64 * 0.37).sin()).collect();
            (intercept, m, params)
        })
    }

    /// The eight-lane kernel (AVX-512) against the four-lane one, bit for bit: every width
    /// up to 66 and a few past (whole and partial groups of eight and four columns, one to
    /// five blocks of [`avx2::BLOCK_COLUMNS`], the four-lane kernel's groups of eight and
    /// of four rows), a few class counts, groups of sixteen with short last groups of 1 to
    /// 15 (up to eight as one vector, past eight as two), ranges (of 33 to 80 rows, and of
    /// 0 to 7) and index lists, weights and intercepts, with and without the gradient.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn eight_lanes_give_the_bits_of_four() {
        if !(has_avx2_fma() && crate::numeric::vmath::has_avx512f()) {
            return;
        }
        for d in (0..=66).chain([100, 127, 128, 131, 257]) {
            let k = [2, 3, 10, 64][d % 4];
            let n = 33 + d % 8 + 40 * (d % 2);
            let (x, y) = grid(n, d, k);
            let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64).collect();
            let idx: Vec<usize> = (0..n).rev().step_by(2).chain(0..n / 3).collect();
            for (_, m, params) in both_ways(&x, &y, k, &w) {
                for rows in [
                    Rows::Range(0..n),
                    Rows::Range(3..3 + d % 8),
                    Rows::Indices(&idx),
                ] {
                    let (mut g4, mut g8) = (vec![0.0; m.dim()], vec![0.0; m.dim()]);
                    // SAFETY: the CPU has AVX2, FMA and AVX-512F (checked above);
                    // k <= STACK_CLASSES, the gradients are dim() long.
                    let (l4, l8, s4, s8) = unsafe {
                        (
                            m.rows4::<_, true>(w.as_slice(), &params, rows.clone(), &mut g4),
                            m.rows8::<_, true>(w.as_slice(), &params, rows.clone(), &mut g8),
                            m.rows4::<_, false>(Unweighted, &params, rows.clone(), &mut []),
                            m.rows8::<_, false>(Unweighted, &params, rows.clone(), &mut []),
                        )
                    };
                    assert_eq!(l4.to_bits(), l8.to_bits(), "d {d} k {k}");
                    assert_eq!(s4.to_bits(), s8.to_bits(), "d {d} k {k}");
                    let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&g4), bits(&g8), "d {d} k {k}");
                }
            }
        }
    }

    /// A step on one row (`one_row`: the classes as lanes) against a group of two lanes
    /// that are both that row (the group's kernel), bit for bit: the group adds the row's
    /// loss and terms twice, as two one-row steps do. Every width up to 70 and a few past,
    /// class counts from 2 to 64, weights and intercepts, on both kernels.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn one_row_gives_the_bits_of_a_group() {
        if !has_avx2_fma() {
            return;
        }
        let wide = crate::numeric::vmath::has_avx512f();
        for d in (0..=70).chain([100, 131, 257]) {
            let k = [2, 3, 10, 64, 7][d % 5];
            let n = 9;
            let (x, y) = grid(n, d, k);
            let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64).collect();
            for (intercept, m, params) in both_ways(&x, &y, k, &w) {
                for i in [0, 4, n - 1] {
                    let twice = [i, i];
                    let (mut ga, mut gb) = (vec![0.0; m.dim()], vec![0.0; m.dim()]);
                    let (mut la, mut lb) = (0.0, 0.0);
                    // SAFETY: the CPU has AVX2 and FMA (checked above), and AVX-512F where
                    // `wide`; k <= STACK_CLASSES, the gradients are dim() long.
                    unsafe {
                        let sw = w.as_slice();
                        if wide {
                            la += m.rows8::<_, true>(sw, &params, Rows::Indices(&twice), &mut ga);
                            for _ in 0..2 {
                                lb +=
                                    m.rows8::<_, true>(sw, &params, Rows::Range(i..i + 1), &mut gb);
                            }
                        } else {
                            la += m.rows4::<_, true>(sw, &params, Rows::Indices(&twice), &mut ga);
                            for _ in 0..2 {
                                lb +=
                                    m.rows4::<_, true>(sw, &params, Rows::Range(i..i + 1), &mut gb);
                            }
                        }
                    }
                    // The group sums its rows' losses from zero (`0 + l0 + l1`), the steps
                    // each from zero and then into the total: the same additions.
                    let at = format!("d {d} k {k} row {i} intercept {intercept}");
                    assert_eq!(la.to_bits(), lb.to_bits(), "{at}");
                    let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&ga), bits(&gb), "{at}");
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

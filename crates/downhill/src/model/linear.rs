use super::gram::GramSum;
use super::weights::{scaled, RowWeights, Unweighted};
use crate::data::{Element, MatrixRef, Precision};
use crate::loss::Loss;
use crate::numeric::{axpy_wide, prefetch};
use crate::objective::{runs, separate_runs};
use crate::penalty::Penalty;
use crate::{FiniteSum, Rows};
use std::ops::Range;

/// A linear model `pred = w . x + b` with a per-row loss, e.g. least squares:
/// `f(w, b) = 1/N * sum_i (y_i - (w . x_i + b))^2 + penalty(w)`.
///
/// Parameters: `[w_1, .., w_d, b]` (no `b` without an intercept).
///
/// The features may be stored as `f64` ([`Matrix`](crate::data::Matrix)) or `f32`
/// ([`MatrixF32`](crate::data::MatrixF32)); either way every value is widened to `f64` as
/// it is read and all sums are in `f64`. The kernel reads each row once: the prediction, the
/// loss and its derivative, and the row's share of the gradient in one pass, without
/// allocating. On a range of rows it runs a copy compiled for the exact number of features
/// up to 20 (the gradient kept in registers over the whole range), written with AVX2
/// instructions where the CPU has them. Storage type, copy and instruction set are chosen
/// once per call, never per row, and all copies add in the same order: the same bits.
#[derive(Debug, Clone, Copy)]
pub struct Linear<'a, L> {
    x: MatrixRef<'a>,
    y: &'a [f64],
    loss: L,
    intercept: bool,
    penalty: Penalty,
    /// Row weights (`None`: every row counts once). A loss sum over rows is then
    /// `sum_i w_i l_i`; callers that want a weighted mean scale the weights to mean 1.
    weights: Option<&'a [f64]>,
}

/// Calls `$fixed` with the const `$D` equal to `$d` and `$C` the number of groups of four
/// that hold `$D` values (`ceil($D / 4)`) when `1 <= $d <= 20`, `$any` otherwise: one
/// `match` per kernel call. (Past 20 features a row's loops are long enough to run well
/// without knowing their length. 17 to 20 joined the fixed copies for the log loss, whose
/// epoch on 1,000,000 x 20 went from 1.34-1.52x to 1.15-1.22x the plain probe, medians of
/// `examples/epoch_bound` interleaved; five groups of weights, gradient and row still fit
/// the sixteen AVX2 registers.)
macro_rules! with_fixed_columns {
    ($d:expr, $D:ident, $C:ident => $fixed:expr, $any:expr) => {
        with_fixed_columns!(@arms $d, $D, $C, $fixed, $any;
            1 1, 2 1, 3 1, 4 1, 5 2, 6 2, 7 2, 8 2, 9 3, 10 3, 11 3, 12 3, 13 4, 14 4, 15 4, 16 4, 17 5, 18 5, 19 5, 20 5)
    };
    (@arms $d:expr, $D:ident, $C:ident, $fixed:expr, $any:expr; $($n:literal $c:literal),*) => {
        match $d {
            $($n => {
                const $D: usize = $n;
                const $C: usize = $c;
                $fixed
            })*
            _ => $any,
        }
    };
}

/// Whether a linear model of `cols` features has the kernel that sums its loss, gradient
/// and Hessian in one pass ([`FiniteSum::cost_grad_hessian_runs`]): the fixed-width Hessian
/// kernel, 1 to 20 features, on a CPU with AVX2 and FMA.
pub fn one_pass_kernel(cols: usize) -> bool {
    (1..=20).contains(&cols) && has_avx2_fma()
}

impl<'a, L: Loss> Linear<'a, L> {
    /// A linear model of `y` on the columns of `x` (a `&Matrix` or a `&MatrixF32`).
    ///
    /// # Panics
    /// When `y` does not have one value per row of `x` (a programming error; data from
    /// users goes through [`Dataset::new`](crate::data::Dataset::new) first).
    pub fn new(x: impl Into<MatrixRef<'a>>, y: &'a [f64], loss: L) -> Self {
        let x = x.into();
        assert_eq!(x.rows(), y.len(), "one target per row");
        Linear {
            x,
            y,
            loss,
            intercept: true,
            penalty: Penalty::default(),
            weights: None,
        }
    }

    /// Row weights, one per row (`None`: every row counts once): row `i`'s loss counts
    /// `weights[i]` times. The unweighted kernels are separate copies, as fast as before.
    ///
    /// # Panics
    /// When `weights` does not have one value per row (a programming error, as in
    /// [`Linear::new`]).
    pub fn weights(mut self, weights: Option<&'a [f64]>) -> Self {
        if let Some(w) = weights {
            assert_eq!(w.len(), self.y.len(), "one weight per row");
        }
        self.weights = weights;
        self
    }

    /// With or without an intercept (default: with).
    pub fn intercept(mut self, yes: bool) -> Self {
        self.intercept = yes;
        self
    }

    /// A penalty on the weights.
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.x.cols()
    }

    /// How the features are stored.
    pub fn precision(&self) -> Precision {
        self.x.precision()
    }

    fn split<'p>(&self, params: &'p [f64]) -> (&'p [f64], f64) {
        let d = self.x.cols();
        let b = if self.intercept { params[d] } else { 0.0 };
        (&params[..d], b)
    }

    /// The kernel on values stored as `T`, with or without weights.
    #[inline]
    fn accumulate_in<T: Element>(
        &self,
        x: &[T],
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        match self.weights {
            None => self.accumulate_w(x, Unweighted, params, rows, grad),
            Some(sw) => self.accumulate_w(x, sw, params, rows, grad),
        }
    }

    /// The kernel on values stored as `T`, rows weighted by `sw` (indexed from row 0).
    #[inline]
    fn accumulate_w<T: Element, W: RowWeights>(
        &self,
        x: &[T],
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        let (gw, gb) = grad.split_at_mut(d);
        let (loss, dsum) = match rows {
            Rows::Range(r) => {
                let (xs, ys) = (&x[r.start * d..r.end * d], &self.y[r.clone()]);
                range_grad(&self.loss, w, b, xs, ys, sw.range(r), gw)
            }
            Rows::Indices(idx) => {
                let (mut loss, mut dsum) = (0.0, 0.0);
                for &i in idx {
                    let xi = &x[i * d..(i + 1) * d];
                    let (l, dl) = scaled(
                        sw.at(i),
                        self.loss.value_deriv(dot_groups(w, xi) + b, self.y[i]),
                    );
                    loss += l;
                    dsum += dl;
                    axpy_wide(dl, xi, gw);
                }
                (loss, dsum)
            }
        };
        if self.intercept {
            gb[0] += dsum;
        }
        loss
    }

    /// [`FiniteSum::sgd_rows`] on values stored as `T`, with or without weights (the
    /// weights in registers up to 20 features, in memory past that): `None` without AVX2
    /// (the trainer's own loop then runs).
    fn sgd_in<T: Element>(
        &self,
        x: &[T],
        params: &mut [f64],
        rows: &[u32],
        lr: f64,
        epoch_grad: &mut [f64],
    ) -> Option<f64> {
        match self.weights {
            None => self.sgd_w(x, Unweighted, params, rows, lr, epoch_grad),
            Some(sw) => self.sgd_w(x, sw, params, rows, lr, epoch_grad),
        }
    }

    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    fn sgd_w<T: Element, W: RowWeights>(
        &self,
        x: &[T],
        sw: W,
        params: &mut [f64],
        rows: &[u32],
        lr: f64,
        epoch_grad: &mut [f64],
    ) -> Option<f64> {
        #[cfg(target_arch = "x86_64")]
        {
            let d = self.x.cols();
            if d > 0
                && has_avx2_fma()
                && params.len() == self.dim()
                && epoch_grad.len() == d + usize::from(self.intercept)
            {
                let (w, b) = params.split_at_mut(d);
                let b = b.first_mut();
                let pass = avx2::SgdPass {
                    loss: &self.loss,
                    l2: self.penalty.l2,
                    x,
                    y: self.y,
                    sw,
                    rows,
                    lr,
                };
                // SAFETY: the CPU supports AVX2 and FMA (checked just above); `x` holds
                // `y.len()` rows of `d` values, `epoch_grad` one entry per parameter.
                return unsafe {
                    with_fixed_columns!(d, D, C =>
                        Some(avx2::fixed_sgd::<D, C, T, L, W>(&pass, w, b, epoch_grad)),
                        Some(avx2::any_sgd(&pass, w, b, epoch_grad)))
                };
            }
        }
        None
    }

    /// The loss alone on values stored as `T`, with or without weights.
    #[inline]
    fn loss_sum_in<T: Element>(&self, x: &[T], params: &[f64], rows: Rows<'_>) -> f64 {
        match self.weights {
            None => self.loss_sum_w(x, Unweighted, params, rows),
            Some(sw) => self.loss_sum_w(x, sw, params, rows),
        }
    }

    /// The loss alone on values stored as `T`, rows weighted by `sw`.
    #[inline]
    fn loss_sum_w<T: Element, W: RowWeights>(
        &self,
        x: &[T],
        sw: W,
        params: &[f64],
        rows: Rows<'_>,
    ) -> f64 {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        match rows {
            Rows::Range(r) => {
                let (xs, ys) = (&x[r.start * d..r.end * d], &self.y[r.clone()]);
                range_loss(&self.loss, w, b, xs, ys, sw.range(r))
            }
            Rows::Indices(idx) => idx
                .iter()
                .map(|&i| {
                    let xi = &x[i * d..(i + 1) * d];
                    sw.at(i) * self.loss.value(dot_groups(w, xi) + b, self.y[i])
                })
                .fold(0.0, |a, l| a + l),
        }
    }

    /// [`FiniteSum::cost_grad_hessian_runs`] on values stored as `T`, in one pass with the
    /// fused kernel ([`avx2::fixed_hessian_rows`] with its first-order sums); `None`, with
    /// nothing written, where there is none (past 20 features, or without AVX2 and FMA).
    /// Each run as [`FiniteSum::accumulate`] and [`Linear::hessian_in`] sum it, its
    /// gradient and Hessian added as `separate_runs` adds them: the same bits.
    fn fused_runs_in<T: Element>(
        &self,
        x: &[T],
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> Option<f64> {
        #[cfg(target_arch = "x86_64")]
        {
            let d = self.x.cols();
            if !one_pass_kernel(d) {
                return None;
            }
            let (w, b) = self.split(params);
            let pass = avx2::HessianPass {
                loss: &self.loss,
                w,
                b,
                x,
                y: self.y,
                weights: self.weights,
                intercept: self.intercept,
            };
            let dim = self.dim();
            let mut block = vec![0.0; dim];
            let mut gram = GramSum::new(dim);
            grad.fill(0.0);
            let mut loss = 0.0;
            for r in runs(rows.clone(), run) {
                block.fill(0.0);
                // SAFETY: the CPU supports AVX2 and FMA and `1 <= d <= 20` (checked above);
                // `x` holds whole rows of `d` values.
                let (lsum, dsum) = unsafe {
                    with_fixed_columns!(d, D, C => {
                        let mut first = avx2::FirstOrder::<C>::new();
                        avx2::fixed_hessian_rows::<D, C, T, L, true>(
                            &pass, r.clone(), &mut gram, &mut first);
                        first.add_into::<D>(&mut block);
                        (first.lsum, first.dsum)
                    }, return None)
                };
                if self.intercept {
                    block[d] += dsum;
                }
                loss += lsum;
                for (g, v) in grad.iter_mut().zip(&block) {
                    *g += v;
                }
                gram.end_run();
            }
            gram.finish_runs(out);
            Some(loss)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (x, params, rows, run, grad, out);
            None
        }
    }

    /// Adds `sum_{i in rows} l''(pred_i) [x_i, 1] [x_i, 1]^T` on values stored as `T` into
    /// `out`, summed in blocks of rows ([`GramSum`]).
    fn hessian_in<T: Element>(&self, x: &[T], params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        let mut gram = GramSum::new(self.dim());
        self.gram_rows(x, params, rows, &mut gram);
        gram.finish(out);
    }

    /// [`FiniteSum::hessian_runs`] on values stored as `T`: one Gram sum, each run ended
    /// into its total ([`GramSum::end_run`]), the bits of the default's matrix a run.
    fn hessian_runs_in<T: Element>(
        &self,
        x: &[T],
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        out: &mut [f64],
    ) {
        let mut gram = GramSum::new(self.dim());
        for r in runs(rows, run) {
            self.gram_rows(x, params, Rows::Range(r), &mut gram);
            gram.end_run();
        }
        gram.finish_runs(out);
    }

    /// Adds the rows' `l''(pred_i) [x_i, 1] [x_i, 1]^T` into `gram`.
    fn gram_rows<T: Element>(&self, x: &[T], params: &[f64], rows: Rows<'_>, gram: &mut GramSum) {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        let intercept = self.intercept;
        #[cfg(target_arch = "x86_64")]
        if let Rows::Range(r) = &rows {
            if d > 0 && has_avx2_fma() {
                let pass = avx2::HessianPass {
                    loss: &self.loss,
                    w,
                    b,
                    x,
                    y: self.y,
                    weights: self.weights,
                    intercept,
                };
                // SAFETY: the CPU supports AVX2 and FMA (checked just above); `x` holds whole
                // rows of `d` values.
                unsafe {
                    with_fixed_columns!(d, D, C =>
                        avx2::fixed_hessian_rows::<D, C, T, L, false>(
                            &pass,
                            r.clone(),
                            gram,
                            &mut avx2::FirstOrder::new()
                        ),
                        avx2::hessian_rows(&pass, r.clone(), gram))
                };
                return;
            }
        }
        rows.for_each(|i| {
            let xi = &x[i * d..(i + 1) * d];
            let s = self.weights.map_or(1.0, |sw| sw[i]);
            let h = s * self.loss.second_deriv(dot_groups(w, xi) + b, self.y[i]);
            if h == 0.0 {
                return;
            }
            gram.push(h, |z| {
                for (zj, xj) in z.iter_mut().zip(xi) {
                    *zj = (*xj).into();
                }
                if intercept {
                    z[d] = 1.0;
                }
            });
        });
    }
}

/// The fused kernel on a range of rows (`x` row-major, `w.len()` values per row): `(loss
/// sum, sum of dl/dpred)`, the weights' gradient added into `g`.
///
/// Every kernel computes the same sums in the same order (so the same bits, whichever
/// runs): the prediction is `w . x` summed in four lanes, lane `l` taking products
/// `j = l, l + 4, ..` with the last group of four padded with zeros, the lanes added as
/// `(l0 + l2) + (l1 + l3)`, then `+ b`; gradient entry `j` adds `dl * x_j` row after row.
/// With AVX2 (checked once per call, a cached flag) an explicit vector kernel does it; the
/// portable one is written so that compilers can vectorise it too.
#[inline]
fn range_grad<T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
    g: &mut [f64],
) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if !w.is_empty() && has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above); `x` holds whole rows of
            // `w.len()` values, as the kernels require.
            return unsafe {
                with_fixed_columns!(w.len(), D, C =>
                    avx2::fixed_grad::<D, C, T, L, W>(loss, w, b, x, y, sw, g),
                    avx2::any_grad(loss, w, b, x, y, sw, g))
            };
        }
    }
    with_fixed_columns!(w.len(), D, C => fixed_grad::<D, C, T, L, W>(loss, w, b, x, y, sw, g),
        any_grad(loss, w, b, x, y, sw, g))
}

/// The loss-only kernel on a range of rows, dispatched and ordered as [`range_grad`].
#[inline]
fn range_loss<T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if !w.is_empty() && has_avx2_fma() {
            // SAFETY: as in `range_grad`.
            return unsafe {
                with_fixed_columns!(w.len(), D, C =>
                    avx2::fixed_loss::<D, C, T, L, W>(loss, w, b, x, y, sw),
                    avx2::any_loss(loss, w, b, x, y, sw))
            };
        }
    }
    with_fixed_columns!(w.len(), D, C => fixed_loss::<D, C, T, L, W>(loss, w, b, x, y, sw),
        any_loss(loss, w, b, x, y, sw))
}

/// The rows of `x` (row-major, `D` values each) as arrays, so that each row's loops unroll.
#[inline(always)]
fn fixed_rows<const D: usize, T: Element>(x: &[T]) -> impl Iterator<Item = &[T; D]> {
    x.chunks_exact(D)
        .map(|row| <&[T; D]>::try_from(row).expect("chunks_exact yields rows of D values"))
}

/// `D` values (`D <= 4 * C`) as `C` groups of four, the last padded with zeros: the shape
/// of a wide register.
#[inline(always)]
fn lanes<const D: usize, const C: usize, T: Element>(v: &[T; D]) -> [[f64; 4]; C] {
    let mut out = [[0.0f64; 4]; C];
    for (j, x) in v.iter().enumerate() {
        out[j / 4][j % 4] = (*x).into();
    }
    out
}

/// `w . x` on lanes, in the order of [`range_grad`] (the padding adds exact zeros).
#[inline(always)]
fn dot_lanes<const C: usize>(w: &[[f64; 4]; C], x: &[[f64; 4]; C]) -> f64 {
    let mut acc = [0.0f64; 4];
    for (wc, xc) in w.iter().zip(x) {
        for l in 0..4 {
            acc[l] += wc[l] * xc[l];
        }
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// `w . x` for any length, in the order of [`range_grad`].
#[inline(always)]
fn dot_groups<T: Element>(w: &[f64], x: &[T]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (wc, xc) = (w.chunks_exact(4), x.chunks_exact(4));
    let (wr, xr) = (wc.remainder(), xc.remainder());
    for (a, v) in wc.zip(xc) {
        for l in 0..4 {
            acc[l] += a[l] * v[l].into();
        }
    }
    if !wr.is_empty() {
        for (l, a) in acc.iter_mut().enumerate() {
            let (wl, vl) = match (wr.get(l), xr.get(l)) {
                (Some(&wl), Some(&vl)) => (wl, vl.into()),
                _ => (0.0, 0.0),
            };
            *a += wl * vl;
        }
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// The portable fused kernel for exactly `D` features (in `C` groups of four). The
/// gradient is summed in local lanes over the range, then added to `g` once (the same
/// bits as adding row by row into a `g` that starts at zero, as a block's does).
#[inline(always)]
fn fixed_grad<const D: usize, const C: usize, T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
    g: &mut [f64],
) -> (f64, f64) {
    let w = lanes::<D, C, f64>(<&[f64; D]>::try_from(w).expect("D weights"));
    let mut acc = [[0.0f64; 4]; C];
    let (mut lsum, mut dsum) = (0.0, 0.0);
    for (i, (xi, &yi)) in fixed_rows::<D, T>(x).zip(y).enumerate() {
        let xi = lanes::<D, C, T>(xi);
        let (l, dl) = scaled(sw.at(i), loss.value_deriv(dot_lanes(&w, &xi) + b, yi));
        lsum += l;
        dsum += dl;
        for (ac, xc) in acc.iter_mut().zip(&xi) {
            for k in 0..4 {
                ac[k] += dl * xc[k];
            }
        }
    }
    for (j, gj) in g.iter_mut().enumerate().take(D) {
        *gj += acc[j / 4][j % 4];
    }
    (lsum, dsum)
}

/// The portable fused kernel for any number of features (the gradient added row by row).
#[inline(always)]
fn any_grad<T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
    g: &mut [f64],
) -> (f64, f64) {
    let d = w.len();
    let (mut lsum, mut dsum) = (0.0, 0.0);
    if d == 0 {
        for (i, &yi) in y.iter().enumerate() {
            let (l, dl) = scaled(sw.at(i), loss.value_deriv(b, yi));
            lsum += l;
            dsum += dl;
        }
        return (lsum, dsum);
    }
    for (i, (xi, &yi)) in x.chunks_exact(d).zip(y).enumerate() {
        let (l, dl) = scaled(sw.at(i), loss.value_deriv(dot_groups(w, xi) + b, yi));
        lsum += l;
        dsum += dl;
        axpy_wide(dl, xi, g);
    }
    (lsum, dsum)
}

/// The portable loss-only kernel for exactly `D` features (in `C` groups of four).
#[inline(always)]
fn fixed_loss<const D: usize, const C: usize, T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
) -> f64 {
    let w = lanes::<D, C, f64>(<&[f64; D]>::try_from(w).expect("D weights"));
    let mut lsum = 0.0;
    for (i, (xi, &yi)) in fixed_rows::<D, T>(x).zip(y).enumerate() {
        lsum += sw.at(i) * loss.value(dot_lanes(&w, &lanes::<D, C, T>(xi)) + b, yi);
    }
    lsum
}

/// The portable loss-only kernel for any number of features.
#[inline(always)]
fn any_loss<T: Element, L: Loss, W: RowWeights>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    sw: W,
) -> f64 {
    let d = w.len();
    if d == 0 {
        return (y.iter().enumerate()).fold(0.0, |a, (i, &yi)| a + sw.at(i) * loss.value(b, yi));
    }
    (x.chunks_exact(d).zip(y).enumerate()).fold(0.0, |a, (i, (xi, &yi))| {
        a + sw.at(i) * loss.value(dot_groups(w, xi) + b, yi)
    })
}

#[cfg(target_arch = "x86_64")]
use crate::numeric::vmath::has_avx2_fma;

/// The kernels written with AVX2 instructions, four `f64` lanes per register. Compilers
/// vectorise the portable kernels unreliably (one build does, another keeps every lane in
/// its own register), so the hot loop is spelled out here, in the portable kernels' order
/// of operations. They fuse each multiply-add (a fifth less work per row, and one rounding
/// fewer), so their sums differ from the portable ones in the last bits; on a given machine
/// every run gives the same bits. Past 20 features four rows go together (four independent
/// chains of sums, one update of the gradient in memory): 200,000 x 100 went from 9.5-12.9
/// to 6.1-8.4 ms an epoch on two threads, in a run interleaved with the previous kernel.
/// Eight rows now (eight chains, as many as two FMA units with a latency of four cycles
/// keep busy): the same sums, a quarter off an epoch of 4,096 x 100 in cache (0.105 to
/// 0.079 ms on one thread of an AMD EPYC, `examples/epoch_bound 4096 100 linear 3000 1`).
///
/// The four rows' losses are taken together ([`Loss::value_deriv4`]), a short group at the
/// end of a range padded: for [`LogLoss`](crate::loss::LogLoss) that is vector `exp` and
/// `ln_1p` (a row's loss and derivative within a few ulps of the scalar code, see its docs),
/// and a row's values do not depend on where it falls in a group, so ranges split anywhere
/// still add the same terms. The fixed kernels group rows this way only for such losses
/// ([`Loss::VECTOR4`]); the others keep their row-by-row loop and bits. Logistic 1,000,000 x
/// 20 (two threads): 350 ms to 231 ms an epoch (medians of 5 interleaved runs of
/// `examples/epoch_bound.rs` on a machine at load 10, so both far above the memory bound).
#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use super::{scaled, Element, Loss, Precision, RowWeights};
    use crate::numeric::vmath::avx2::splat;
    use crate::numeric::{
        first_level_takes_rows, prefetch_every, prefetch_lines, prefetch_span, prefetch_span_to,
        FAR_HINT,
    };
    use std::arch::x86_64::*;

    /// Lanes `0..n` all ones (selected), the others zero.
    #[inline(always)]
    pub(in crate::model) unsafe fn mask64(n: usize) -> __m256i {
        let m = |l: usize| if l < n { -1 } else { 0 };
        _mm256_setr_epi64x(m(0), m(1), m(2), m(3))
    }

    /// Loads `n` (1 to 4) values from `p` as `f64` lanes, zeros above `n`. Reads only the
    /// `n` values, with narrower plain loads: a masked load (`vmaskmovpd`) also waits for
    /// the line its masked-out lanes fall in, a line past the row nobody asked for. With
    /// masked loads a shuffled SGD epoch on 1,000,000 x 10 (`examples/sgd_rows`) took
    /// 30.3-31.7 ms, 15.3-16.3 with them and the extra line prefetched, 14.6-15.4 with
    /// these loads; a full-batch epoch (`examples/epoch_bound 1000000 10 linear 41 2`)
    /// 3.70-3.84 ms median, 3.20-3.54 with these.
    ///
    /// # Safety
    /// AVX2; `p..p + n` readable values of type `T`.
    #[inline(always)]
    pub(in crate::model) unsafe fn load<T: Element>(p: *const T, n: usize) -> __m256d {
        // `Element` is sealed: `f64` and `f32` only, told apart by `PRECISION`.
        if T::PRECISION == Precision::F64 {
            let p = p.cast::<f64>();
            match n {
                1 => _mm256_zextpd128_pd256(_mm_load_sd(p)),
                2 => _mm256_zextpd128_pd256(_mm_loadu_pd(p)),
                3 => _mm256_insertf128_pd::<1>(
                    _mm256_zextpd128_pd256(_mm_loadu_pd(p)),
                    _mm_load_sd(p.add(2)),
                ),
                _ => _mm256_loadu_pd(p),
            }
        } else {
            let p = p.cast::<f32>();
            _mm256_cvtps_pd(match n {
                1 => _mm_load_ss(p),
                // Two `f32`s as one unaligned 64-bit load (`p` is only 4-aligned).
                2 => _mm_castsi128_ps(_mm_loadu_si64(p.cast())),
                3 => _mm_movelh_ps(
                    _mm_castsi128_ps(_mm_loadu_si64(p.cast())),
                    _mm_load_ss(p.add(2)),
                ),
                _ => _mm_loadu_ps(p),
            })
        }
    }

    /// Eight values from `p` as `f64` lanes (AVX-512F).
    #[inline(always)]
    unsafe fn load8<T: Element>(p: *const T) -> __m512d {
        if T::PRECISION == Precision::F64 {
            _mm512_loadu_pd(p.cast::<f64>())
        } else {
            _mm512_cvtps_pd(_mm256_loadu_ps(p.cast::<f32>()))
        }
    }

    /// `(l0 + l2) + (l1 + l3)`.
    #[inline(always)]
    pub(in crate::model) unsafe fn reduce(s: __m256d) -> f64 {
        let t = halves(s);
        _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)))
    }

    /// The weights as `C` padded groups.
    #[inline(always)]
    unsafe fn weights<const D: usize, const C: usize>(w: &[f64]) -> [__m256d; C] {
        let mut out = [_mm256_setzero_pd(); C];
        for (c, o) in out.iter_mut().enumerate() {
            *o = load(w.as_ptr().add(4 * c), (D - 4 * c).min(4));
        }
        out
    }

    /// Row `i`'s `D` values as `C` padded groups.
    #[inline(always)]
    unsafe fn row<const D: usize, const C: usize, T: Element>(x: *const T) -> [__m256d; C] {
        let mut out = [_mm256_setzero_pd(); C];
        for (c, o) in out.iter_mut().enumerate() {
            *o = load(x.add(4 * c), (D - 4 * c).min(4));
        }
        out
    }

    /// The most bytes of sixteen rows whose vector losses [`any_grad`] takes together: they
    /// stay in the first-level cache for the gradient pass that reads them again.
    const GROUP_BYTES: usize = 16 << 10;

    /// How far ahead of the row being summed its lines are asked for: the CPU's own
    /// prefetcher stops at page ends, and an epoch is a read of memory.
    const PF_BYTES: usize = 2048;

    /// How far ahead of a group of sixteen rows narrower than [`WIDE_ROW_BYTES`] a loss in
    /// vector code also asks for a group's lines: while the group's `exp` and `ln_1p` run,
    /// the memory would idle with only `PF_BYTES` asked for ahead of each row. Logistic
    /// 1M x 20 (before it took the wide rows' way): 32 to 256 rows ahead tried, 96 to 128
    /// best; `examples/epoch_bound 1000000 20 logistic 9 2` against the code without it,
    /// alternated: median 11.8-14.6 to 11.0-11.4 ms (one thread: 18.2-21.6 to 16.0-17.1). In
    /// cache it costs a few per cent at most (within the noise of
    /// `epoch_bound 2048 20 logistic 301 1`).
    const FAR_BYTES: usize = 16 << 10;

    /// Asks for the `values` values `FAR_BYTES` past `x`: a group of rows, before its loss.
    #[inline(always)]
    unsafe fn prefetch_far<T>(x: *const T, values: usize) {
        let bytes = values * std::mem::size_of::<T>();
        prefetch_bytes(x.cast::<i8>().wrapping_add(FAR_BYTES), bytes);
    }

    /// Rows of at least this many bytes have their group's lines asked for
    /// [`SPREAD_BYTES`] ahead into the second-level cache, a share before each few rows'
    /// gradient terms ([`prefetch_share`]), instead of all at once into the first level
    /// before the loss ([`prefetch_far`]). Into the first level each request holds one of
    /// the core's few miss buffers until its line arrives, which caps what one core has in
    /// flight below what memory can deliver (as [`FAR_HINT`] says); asked for all at once,
    /// the second-level requests queued behind those buffers too.
    /// `examples/epoch_bound 1000000 20 logistic 31 2`, alternated three times with the code
    /// before: median 5.50-5.62 ms -> 4.07-5.31, 1.25-1.70x its probe -> 1.05-1.15x. The
    /// variants were chosen with the old and the new code alternated call by call in one
    /// process (a harness not kept; 100 calls each, medians, logistic loss, 2 threads):
    /// 1,000,000 x 20 5.05-5.37 ms -> 3.99-4.86, one thread 10.3 -> 8.2;
    /// 1,250,000 x 16 6.1 -> 4.7; 833,333 x 24 6.5 -> 5.1; 400,000 x 50 6.3 -> 5.0;
    /// 200,000 x 100 6.0 -> 5.8. In cache (50,000 rows) it costs 3-6 % (16 to 32 features:
    /// the requests are issued where the gradient's loads want the same ports). Narrower
    /// rows lost with it (2,000,000 x 10 6.2 -> 7.3 ms, 4,000,000 x 5 11.0 -> 11.7), with
    /// either hint or distance.
    const WIDE_ROW_BYTES: usize = 128;

    /// How far ahead of a group of sixteen wide rows ([`WIDE_ROW_BYTES`]) its lines are
    /// asked for: at 20 features 4 KiB was too near (5.4 ms an epoch), 8 KiB best (4.2-4.6),
    /// 16 KiB (4.5-4.8) and 32 KiB (4.9-5.3) too far to stay.
    const SPREAD_BYTES: usize = 8 << 10;

    /// Asks for share `k` of `parts` of the `values` values [`SPREAD_BYTES`] past `x` into
    /// the second-level cache (a group of wide rows, [`WIDE_ROW_BYTES`]).
    #[inline(always)]
    unsafe fn prefetch_share<T>(x: *const T, values: usize, k: usize, parts: usize) {
        let share = (values * std::mem::size_of::<T>()).div_ceil(64 * parts) * 64;
        let at = x.cast::<i8>().wrapping_add(SPREAD_BYTES + k * share);
        prefetch_lines::<FAR_HINT>(at, share);
    }

    /// Asks for the lines of the row of `D` values `PF_BYTES` ahead of `x`, one per 64
    /// bytes of a row and at least two: consecutive rows then leave no line out (a row of
    /// `b` bytes starts at most `ceil(b / 64)` lines after the one before). Two a row, as
    /// before for every width, left every fifth line of 20 doubles (160 bytes) to the CPU's
    /// prefetcher, which stops at page ends (`examples/epoch_bound 1000000 20 logistic 7 2`,
    /// alternated with the old code six times: mean ratio to the probe 1.245 before, 1.185
    /// after).
    #[inline(always)]
    unsafe fn prefetch_row<const D: usize, T: Element>(x: *const T) {
        let lines = (D * std::mem::size_of::<T>()).div_ceil(64).max(2);
        let pf = x.cast::<i8>().wrapping_add(PF_BYTES);
        for l in 0..lines {
            _mm_prefetch::<_MM_HINT_T0>(pf.wrapping_add(64 * l));
        }
    }

    /// [`super::fixed_grad`] in AVX2 with fused multiply-adds.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w.len() == D <= 4 * C`; `g.len() >= D`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fixed_grad<
        const D: usize,
        const C: usize,
        T: Element,
        L: Loss,
        W: RowWeights,
    >(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
        g: &mut [f64],
    ) -> (f64, f64) {
        assert!(w.len() == D && g.len() >= D && D <= 4 * C);
        let wv = weights::<D, C>(w);
        let mut acc = [_mm256_setzero_pd(); C];
        let (mut lsum, mut dsum) = (0.0, 0.0);
        let rows = y.len().min(x.len() / D);
        if L::VECTOR4 {
            // A loss in vector code: sixteen rows' predictions, their losses together (as
            // in `any_grad`), then their gradient terms in row order (the same sums as row
            // by row); the rest four at a time.
            let wide = D * std::mem::size_of::<T>() >= WIDE_ROW_BYTES;
            let mut i = 0;
            while i + 16 <= rows {
                let xi = x.as_ptr().add(i * D);
                let z = fixed_predict16::<D, C, T, true>(&wv, b, xi);
                if !wide {
                    prefetch_far(xi, 16 * D);
                }
                // SAFETY: `i + 16 <= rows <= y.len()`.
                let t = &*y.as_ptr().add(i).cast::<[f64; 16]>();
                let (lv, dv) = loss.value_deriv16(&z, t);
                for q in 0..4 {
                    if wide {
                        prefetch_share(xi, 16 * D, q, 4);
                    }
                    for r in 4 * q..4 * q + 4 {
                        let (l, dl) = scaled(sw.at(i + r), (lv[r], dv[r]));
                        lsum += l;
                        dsum += dl;
                        let xv = row::<D, C, T>(xi.add(r * D));
                        let dv = _mm256_set1_pd(dl);
                        for c in 0..C {
                            acc[c] = _mm256_fmadd_pd(dv, xv[c], acc[c]);
                        }
                    }
                }
                i += 16;
            }
            while i < rows {
                let k = (rows - i).min(4);
                let (z, t) =
                    fixed_predict4::<D, C, T, true>(&wv, b, x.as_ptr().add(i * D), &y[i..i + k]);
                let (lv, dv) = loss.value_deriv4(z, t);
                for r in 0..k {
                    let (l, dl) = scaled(sw.at(i + r), (lv[r], dv[r]));
                    lsum += l;
                    dsum += dl;
                    let xv = row::<D, C, T>(x.as_ptr().add((i + r) * D));
                    let dv = _mm256_set1_pd(dl);
                    for c in 0..C {
                        acc[c] = _mm256_fmadd_pd(dv, xv[c], acc[c]);
                    }
                }
                i += k;
            }
        } else {
            for (i, &yi) in y.iter().enumerate().take(rows) {
                prefetch_row::<D, T>(x.as_ptr().wrapping_add(i * D));
                let xv = row::<D, C, T>(x.as_ptr().add(i * D));
                let mut s = _mm256_setzero_pd();
                for c in 0..C {
                    s = _mm256_fmadd_pd(wv[c], xv[c], s);
                }
                let (l, dl) = scaled(sw.at(i), loss.value_deriv(reduce(s) + b, yi));
                lsum += l;
                dsum += dl;
                let dv = _mm256_set1_pd(dl);
                for c in 0..C {
                    acc[c] = _mm256_fmadd_pd(dv, xv[c], acc[c]);
                }
            }
        }
        add_lanes::<D, C>(&acc, g);
        (lsum, dsum)
    }

    /// Adds the `C` vectors of a gradient's first `D` entries into `g`, lane by lane.
    #[inline(always)]
    fn add_lanes<const D: usize, const C: usize>(acc: &[__m256d; C], g: &mut [f64]) {
        for (c, a) in acc.iter().enumerate() {
            // SAFETY: a vector of four `f64` has their layout.
            let lanes: [f64; 4] = unsafe { std::mem::transmute(*a) };
            for (k, v) in lanes.iter().enumerate().take(D - 4 * c) {
                g[4 * c + k] += v;
            }
        }
    }

    /// What a fused SGD pass reads: the loss, the L2 strength, the data, the row weights,
    /// the rows in the order visited and the learning rate.
    pub(super) struct SgdPass<'a, T, L, W> {
        pub(super) loss: &'a L,
        pub(super) l2: f64,
        pub(super) x: &'a [T],
        pub(super) y: &'a [f64],
        pub(super) sw: W,
        pub(super) rows: &'a [u32],
        pub(super) lr: f64,
    }

    /// The intercept and its entry of the epoch's gradient through a fused pass, held in
    /// registers from row to row (`b`: 0 and untouched without an intercept).
    struct Intercept {
        b: f64,
        e: f64,
        on: bool,
    }

    impl Intercept {
        /// The intercept `b` (when there is one) and its entry `e[d]`.
        #[inline(always)]
        fn start(b: &Option<&mut f64>, e: &[f64], d: usize) -> Self {
            Intercept {
                b: b.as_deref().copied().unwrap_or(0.0),
                e: e.get(d).copied().unwrap_or(0.0),
                on: b.is_some(),
            }
        }

        /// One row's step: the trainer's intercept gradient `((0 + dl) + 0) + 0`, that is
        /// `dl + 0`, into the epoch's sum, then `b -= lr * g`.
        #[inline(always)]
        fn step(&mut self, dl: f64, lr: f64) {
            if self.on {
                let g = dl + 0.0;
                self.e += g;
                self.b -= lr * g;
            }
        }

        /// Writes the intercept and its entry `e[d]` back.
        #[inline(always)]
        fn finish(self, b: Option<&mut f64>, e: &mut [f64], d: usize) {
            if let Some(b) = b {
                *b = self.b;
                e[d] = self.e;
            }
        }
    }

    /// Rows ahead of the one stepped on whose lines are asked for in a fused SGD pass: a
    /// fused step takes about 12 ns (a chain of some 42 cycles), a random row from memory
    /// with its page walk well over a hundred. Shuffled 1,000,000 x 10
    /// (`examples/sgd_rows`, three alternations): 8 rows ahead 23.1-23.8 ms an epoch, 16
    /// 17.0-17.7, 32 15.6-16.7, 64 15.2-15.9, 128 15.6-16.7.
    const SGD_AHEAD: usize = 32;

    /// [`Linear::sgd_rows`](super::Linear) for `D <= 20` features: the weights stay in
    /// registers from row to row. Each row's operations are those of [`fixed_grad`] on the
    /// row alone (the gradient terms `dl * x_j + 0`, the four-lane loss on lane 0 when the
    /// loss has one), then those of the trainer: `e += g`, `g += l2 * w`, `w -= lr * g`,
    /// each rounded as the scalar code rounds it.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w.len() == D <= 4 * C`; `e.len() >= D`; `x` holds
    /// `y.len()` rows of `D` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fixed_sgd<
        const D: usize,
        const C: usize,
        T: Element,
        L: Loss,
        W: RowWeights,
    >(
        pass: &SgdPass<'_, T, L, W>,
        w: &mut [f64],
        b: Option<&mut f64>,
        e: &mut [f64],
    ) -> f64 {
        let &SgdPass {
            loss,
            l2,
            x,
            y,
            sw,
            rows,
            lr,
        } = pass;
        let with_b = usize::from(b.is_some());
        assert!(w.len() == D && e.len() >= D + with_b && D <= 4 * C && x.len() >= y.len() * D);
        let mut wv = weights::<D, C>(w);
        let mut ev = weights::<D, C>(e);
        let mut bias = Intercept::start(&b, e, D);
        let (zero, lrv, l2v) = (_mm256_setzero_pd(), _mm256_set1_pd(lr), _mm256_set1_pd(l2));
        let row_bytes = D * std::mem::size_of::<T>();
        let mut lsum = 0.0;
        for (at, &i) in rows.iter().enumerate() {
            if let Some(&next) = rows.get(at + SGD_AHEAD) {
                // Every line the row spans, and its target (hints: out of range is
                // harmless). Its first and last lines alone left out the middle line of
                // rows that span three (past eight doubles, a row at an offset in its line
                // that sends it over two boundaries): shuffled `examples/sgd_rows 1000000
                // F`, alternated, 12 features 35.1-36.2 -> 14.7-15.0 ms an epoch, 16
                // 48.7-49.6 -> 18.0-19.3, 20 63.5-64.5 -> 18.5-19.1 (file order 9-15 ms
                // either way; 10 features, at most two lines a row, unchanged).
                let next = next as usize;
                prefetch_span::<FAR_HINT>(x.as_ptr().wrapping_add(next * D).cast(), row_bytes);
                _mm_prefetch::<FAR_HINT>(y.as_ptr().wrapping_add(next).cast::<i8>());
            }
            let i = i as usize;
            // Indexing `y` checks `i` (and so the row of `x`).
            let yi = y[i];
            let xv = row::<D, C, T>(x.as_ptr().add(i * D));
            let mut s = _mm256_setzero_pd();
            for c in 0..C {
                s = _mm256_fmadd_pd(wv[c], xv[c], s);
            }
            let z = reduce(s) + bias.b;
            let ld = if L::VECTOR4 {
                let (lv, dv) = loss.value_deriv4([z, 0.0, 0.0, 0.0], [yi, 0.0, 0.0, 0.0]);
                (lv[0], dv[0])
            } else {
                loss.value_deriv(z, yi)
            };
            let (l, dl) = scaled(sw.at(i), ld);
            lsum += l;
            let dv = _mm256_set1_pd(dl);
            for c in 0..C {
                let mut g = _mm256_fmadd_pd(dv, xv[c], zero);
                ev[c] = _mm256_add_pd(ev[c], g);
                if l2 != 0.0 {
                    g = _mm256_add_pd(g, _mm256_mul_pd(l2v, wv[c]));
                }
                wv[c] = _mm256_sub_pd(wv[c], _mm256_mul_pd(lrv, g));
            }
            bias.step(dl, lr);
        }
        store::<D, C>(&wv, w);
        store::<D, C>(&ev, e);
        bias.finish(b, e, D);
        lsum
    }

    /// Writes the first `D` lanes of `C` groups (of [`weights`]'s shape) to `out`.
    #[inline(always)]
    unsafe fn store<const D: usize, const C: usize>(v: &[__m256d; C], out: &mut [f64]) {
        let mut lanes = [0.0f64; 4];
        for (c, g) in v.iter().enumerate() {
            _mm256_storeu_pd(lanes.as_mut_ptr(), *g);
            out[4 * c..(4 * c + 4).min(D)].copy_from_slice(&lanes[..(D - 4 * c).min(4)]);
        }
    }

    /// [`Linear::sgd_rows`](super::Linear) past 20 features: each row's operations are
    /// those of [`any_grad`] on the row alone ([`dot1`], the four-lane loss on lane 0, the
    /// terms `dl * x_j + 0`), then the trainer's update of the epoch's gradient and the
    /// weights in memory, four at a time, each rounded as the scalar code rounds it.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w` is not empty; `e.len() >= w.len()` (one more
    /// with an intercept); `x` holds `y.len()` rows of `w.len()` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn any_sgd<T: Element, L: Loss, W: RowWeights>(
        pass: &SgdPass<'_, T, L, W>,
        w: &mut [f64],
        b: Option<&mut f64>,
        e: &mut [f64],
    ) -> f64 {
        let &SgdPass {
            loss,
            l2,
            x,
            y,
            sw,
            rows,
            lr,
        } = pass;
        let d = w.len();
        let with_b = usize::from(b.is_some());
        assert!(d > 0 && e.len() >= d + with_b && x.len() >= y.len() * d);
        let mut bias = Intercept::start(&b, e, d);
        let (zero, lrv, l2v) = (_mm256_setzero_pd(), _mm256_set1_pd(lr), _mm256_set1_pd(l2));
        let row_bytes = d * std::mem::size_of::<T>();
        let ep = e.as_mut_ptr();
        let mut lsum = 0.0;
        for (at, &i) in rows.iter().enumerate() {
            if let Some(&next) = rows.get(at + SGD_AHEAD) {
                let p = x.as_ptr().wrapping_add(next as usize * d).cast::<i8>();
                prefetch_span::<FAR_HINT>(p, row_bytes);
                _mm_prefetch::<FAR_HINT>(y.as_ptr().wrapping_add(next as usize).cast::<i8>());
            }
            // Indexing `y` checks `i` (and so the row of `x`).
            let i = i as usize;
            let yi = y[i];
            let xi = x.as_ptr().add(i * d);
            let z = dot1(w, xi) + bias.b;
            let (lv, dv) = loss.value_deriv4([z, 0.0, 0.0, 0.0], [yi, 0.0, 0.0, 0.0]);
            let (l, dl) = scaled(sw.at(i), (lv[0], dv[0]));
            lsum += l;
            let dv = _mm256_set1_pd(dl);
            let wp = w.as_mut_ptr();
            // Whole groups of four with plain loads and stores: the next row's dot product
            // reads the weights stored here, and a load gets a plain store's value
            // forwarded, where after a masked store it waits for the cache. The last short
            // group masked.
            let mut j = 0;
            while j + 4 <= d {
                let mut g = _mm256_fmadd_pd(dv, load(xi.add(j), 4), zero);
                let ej = _mm256_loadu_pd(ep.add(j));
                _mm256_storeu_pd(ep.add(j), _mm256_add_pd(ej, g));
                let wj = _mm256_loadu_pd(wp.add(j));
                if l2 != 0.0 {
                    g = _mm256_add_pd(g, _mm256_mul_pd(l2v, wj));
                }
                _mm256_storeu_pd(wp.add(j), _mm256_sub_pd(wj, _mm256_mul_pd(lrv, g)));
                j += 4;
            }
            if j < d {
                let n = d - j;
                let m = mask64(n);
                let mut g = _mm256_fmadd_pd(dv, load(xi.add(j), n), zero);
                let ej = _mm256_maskload_pd(ep.add(j), m);
                _mm256_maskstore_pd(ep.add(j), m, _mm256_add_pd(ej, g));
                let wj = _mm256_maskload_pd(wp.add(j), m);
                if l2 != 0.0 {
                    g = _mm256_add_pd(g, _mm256_mul_pd(l2v, wj));
                }
                _mm256_maskstore_pd(wp.add(j), m, _mm256_sub_pd(wj, _mm256_mul_pd(lrv, g)));
            }
            bias.step(dl, lr);
        }
        bias.finish(b, e, d);
        lsum
    }

    /// [`super::fixed_loss`] in AVX2, the same operations as [`fixed_grad`].
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w.len() == D <= 4 * C`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fixed_loss<
        const D: usize,
        const C: usize,
        T: Element,
        L: Loss,
        W: RowWeights,
    >(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
    ) -> f64 {
        assert!(w.len() == D && D <= 4 * C);
        let wv = weights::<D, C>(w);
        let mut lsum = 0.0;
        let rows = y.len().min(x.len() / D);
        if L::VECTOR4 {
            let mut i = 0;
            while i + 16 <= rows {
                let xi = x.as_ptr().add(i * D);
                let z = fixed_predict16::<D, C, T, false>(&wv, b, xi);
                // SAFETY: `i + 16 <= rows <= y.len()`.
                let t = &*y.as_ptr().add(i).cast::<[f64; 16]>();
                let lv = loss.value16(&z, t);
                for (r, l) in lv.iter().enumerate() {
                    lsum += sw.at(i + r) * l;
                }
                i += 16;
            }
            while i < rows {
                let k = (rows - i).min(4);
                let (z, t) =
                    fixed_predict4::<D, C, T, false>(&wv, b, x.as_ptr().add(i * D), &y[i..i + k]);
                let lv = loss.value4(z, t);
                for (r, l) in lv.iter().enumerate().take(k) {
                    lsum += sw.at(i + r) * l;
                }
                i += k;
            }
            return lsum;
        }
        for (i, &yi) in y.iter().enumerate().take(rows) {
            let xv = row::<D, C, T>(x.as_ptr().add(i * D));
            let mut s = _mm256_setzero_pd();
            for c in 0..C {
                s = _mm256_fmadd_pd(wv[c], xv[c], s);
            }
            lsum += sw.at(i) * loss.value(reduce(s) + b, yi);
        }
        lsum
    }

    /// The predictions `w . x_r + b` of sixteen rows of `D` values from `x`, the fixed
    /// kernels' dot products; with `PREFETCH`, each row's lines `PF_BYTES` ahead asked for as
    /// [`fixed_grad`] does row by row. Written four to a store ([`reduce4`]): the loss reads
    /// them four or eight at a time, and a load that spans several stores waits for them to
    /// reach the cache (no store-to-load forwarding).
    #[inline(always)]
    unsafe fn fixed_predict16<const D: usize, const C: usize, T: Element, const PREFETCH: bool>(
        wv: &[__m256d; C],
        b: f64,
        x: *const T,
    ) -> [f64; 16] {
        let mut z = [0.0f64; 16];
        let bv = _mm256_set1_pd(b);
        for q in 0..4 {
            let mut s = [_mm256_setzero_pd(); 4];
            for (r, sr) in s.iter_mut().enumerate() {
                let xr = x.add((4 * q + r) * D);
                if PREFETCH {
                    prefetch_row::<D, T>(xr);
                }
                let xv = row::<D, C, T>(xr);
                for c in 0..C {
                    *sr = _mm256_fmadd_pd(wv[c], xv[c], *sr);
                }
            }
            _mm256_storeu_pd(z.as_mut_ptr().add(4 * q), _mm256_add_pd(reduce4(s), bv));
        }
        z
    }

    /// The predictions `w . x_r + b` and targets of the `k = y.len() <= 4` rows of `D`
    /// values from `x`, a short group padded with zeros (whose results the callers drop):
    /// the leftover rows of the fixed kernels, each row's dot product as in
    /// [`fixed_predict16`]; with `PREFETCH`, each row's lines `PF_BYTES` ahead asked for.
    #[inline(always)]
    unsafe fn fixed_predict4<const D: usize, const C: usize, T: Element, const PREFETCH: bool>(
        wv: &[__m256d; C],
        b: f64,
        x: *const T,
        y: &[f64],
    ) -> ([f64; 4], [f64; 4]) {
        let (mut z, mut t) = ([0.0f64; 4], [0.0f64; 4]);
        for (r, &yr) in y.iter().enumerate().take(4) {
            let xr = x.add(r * D);
            if PREFETCH {
                prefetch_row::<D, T>(xr);
            }
            let xv = row::<D, C, T>(xr);
            let mut s = _mm256_setzero_pd();
            for c in 0..C {
                s = _mm256_fmadd_pd(wv[c], xv[c], s);
            }
            z[r] = reduce(s) + b;
            t[r] = yr;
        }
        (z, t)
    }

    /// `[l0 + l2, l1 + l3]`: the first step of [`reduce`] and [`reduce4`].
    #[inline(always)]
    unsafe fn halves(v: __m256d) -> __m128d {
        _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v))
    }

    /// `[reduce(s0), reduce(s1), reduce(s2), reduce(s3)]` in one vector: each the same sum
    /// `(l0 + l2) + (l1 + l3)`, four rows' at once.
    #[inline(always)]
    pub(in crate::model) unsafe fn reduce4(s: [__m256d; 4]) -> __m256d {
        // [l0 + l2, l1 + l3] of each row (not a closure: it would not inherit the target
        // features).
        let (a0, a1, a2, a3) = (halves(s[0]), halves(s[1]), halves(s[2]), halves(s[3]));
        let u01 = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(a0), a1);
        let u23 = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(a2), a3);
        // [r0, r2, r1, r3], each (l0 + l2) + (l1 + l3); then rows in order.
        _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_hadd_pd(u01, u23))
    }

    /// Four rows' dot products with `w` (`d = w.len()` values each, the rows `stride` values
    /// apart from `x`), each summed in groups of four by fused multiply-adds as
    /// [`fixed_grad`] does ([`dot_sums`]), in one vector: the losses load their predictions
    /// four or eight at a time.
    #[inline(always)]
    unsafe fn dot4<T: Element>(w: &[f64], x: *const T, stride: usize, pf: Ahead) -> __m256d {
        reduce4(dot_sums::<4, T>(w, x, stride, pf))
    }

    /// [`dot4`] of eight rows, rows `0..4` in the first vector and `4..8` in the second:
    /// eight independent chains of multiply-adds, as many as keep two FMA units with a
    /// latency of four cycles busy (four chains of a wide row waited on latency half the
    /// time). Each row's sum is the same as [`dot4`]'s.
    #[inline(always)]
    unsafe fn dot8<T: Element>(w: &[f64], x: *const T, stride: usize, pf: Ahead) -> [__m256d; 2] {
        let s = dot_sums::<8, T>(w, x, stride, pf);
        [
            reduce4([s[0], s[1], s[2], s[3]]),
            reduce4([s[4], s[5], s[6], s[7]]),
        ]
    }

    /// The unreduced sums of `R` rows' dot products with `w`: lane `l` of row `r`'s vector
    /// sums the products `j = l, l + 4, ..` in order, the last group masked. `R`
    /// independent chains, so that a wide row does not wait on the latency of one long
    /// chain of additions.
    ///
    /// Meanwhile it asks for the rows of `pf`, a line or a few with each group of columns:
    /// asked for all at once before the rows were summed, the lines of wide rows (hundreds)
    /// queued behind the core's few line-fill buffers and held up the sums.
    #[inline(always)]
    unsafe fn dot_sums<const R: usize, T: Element>(
        w: &[f64],
        x: *const T,
        stride: usize,
        pf: Ahead,
    ) -> [__m256d; R] {
        let mut s = [_mm256_setzero_pd(); R];
        let j = dot_sums_from(w, x, stride, pf, 0, &mut s);
        pf.rest::<T>(j, w.len());
        s
    }

    /// [`dot_sums`] from column `j` (a multiple of four) on, into the sums `s` of the
    /// columns before it; returns where the whole groups of four end.
    #[inline(always)]
    unsafe fn dot_sums_from<const R: usize, T: Element>(
        w: &[f64],
        x: *const T,
        stride: usize,
        pf: Ahead,
        mut j: usize,
        s: &mut [__m256d; R],
    ) -> usize {
        let d = w.len();
        // Whole groups of four without masks or branches, then the last group masked: the
        // same products in the same order as one masked loop.
        while j + 4 <= d {
            pf.columns::<T>(j);
            let wj = _mm256_loadu_pd(w.as_ptr().add(j));
            for (r, sr) in s.iter_mut().enumerate() {
                *sr = _mm256_fmadd_pd(wj, load(x.add(r * stride + j), 4), *sr);
            }
            j += 4;
        }
        if j < d {
            let n = d - j;
            let wj = load(w.as_ptr().add(j), n);
            for (r, sr) in s.iter_mut().enumerate() {
                *sr = _mm256_fmadd_pd(wj, load(x.add(r * stride + j), n), *sr);
            }
        }
        j
    }

    /// Rows a pass over a group asks for while it works, spread over its groups of columns
    /// ([`Ahead::columns`]): `count` rows (as wide as the group's) from `at`, into the
    /// first-level cache (`near`) or the second ([`FAR_HINT`]): see [`Ahead::rows`].
    #[derive(Clone, Copy)]
    struct Ahead {
        at: *const i8,
        count: usize,
        near: bool,
    }

    impl Ahead {
        /// Nothing to ask for.
        const NONE: Ahead = Ahead {
            at: std::ptr::null(),
            count: 0,
            near: true,
        };

        /// The `count` rows `ahead` rows of `d` values on from `x`, asked for into the first
        /// level when they are at most [`NEAR_AHEAD_BYTES`] ahead and the first level is
        /// large enough ([`first_level_takes_rows`]).
        #[inline(always)]
        fn rows<T>(x: *const T, ahead: usize, count: usize, d: usize) -> Self {
            Ahead {
                at: x.wrapping_add(ahead * d).cast::<i8>(),
                count,
                near: Self::first_level::<T>(ahead, d) && first_level_takes_rows(),
            }
        }

        /// Whether rows `ahead` rows of `d` values on are asked for into the first level.
        #[inline(always)]
        fn first_level<T>(ahead: usize, d: usize) -> bool {
            ahead * d * std::mem::size_of::<T>() <= NEAR_AHEAD_BYTES
        }

        /// Asks for the share of the group of four columns from `j` (of a row's `d`): `4 / d`
        /// of the rows' bytes, `4 * count` values (`count / 2` lines of f64), from the same
        /// fraction of the way.
        #[inline(always)]
        fn columns<T>(self, j: usize) {
            let size = std::mem::size_of::<T>();
            let o = self.at.wrapping_add(self.count * j * size);
            let mut l = 0;
            while l < 4 * self.count * size {
                prefetch_line(o.wrapping_add(l), self.near);
                l += 64;
            }
        }

        /// What the groups of columns before `j` (of `d`) did not reach: a partial group's
        /// share, and the last line (at least the last byte: their lines may end a line
        /// short).
        #[inline(always)]
        fn rest<T>(self, j: usize, d: usize) {
            let size = std::mem::size_of::<T>();
            let all = self.count * d * size;
            if all == 0 {
                return;
            }
            let from = (self.count * j * size).min(all - 1);
            let (rest, bytes) = (self.at.wrapping_add(from), all - from);
            prefetch_span_to(rest, bytes, self.near);
        }
    }

    /// The farthest ahead [`dot_sums`] asks for rows into the first-level cache; farther,
    /// into the second ([`FAR_HINT`]), which holds what a first level of 32 KiB could not
    /// hold beside the rows being summed. On AMD's family 26 (48 KiB first level), rows
    /// asked for into the first level, at most this far ahead ([`AHEAD16`], [`ahead8`]),
    /// rather than 32 rows (groups of sixteen) or 16 (of eight) ahead into the second:
    /// `examples/epoch_bound ROWS COLS KIND 11 2` alternated three or four times, median
    /// epoch 200,000 x 100 linear 4.58-4.82 -> 3.83-4.03 ms (16 rows, 12.8 KiB ahead; one
    /// thread 5.74-6.21 -> 5.70-5.87), 600,000 x 32 linear 4.25-4.99 -> 3.92-4.08 (16 rows),
    /// 400,000 x 50 logistic 4.08-4.41 -> 3.81-3.99 (16 rows), 100,000 x 200 linear
    /// 3.83-4.36 -> 3.58-3.73 (8 rows, 12.8 KiB); 50,000 x 1,000 (8 rows, 64 KB: into the
    /// second level as before, a group nearer) 9.1-9.3 either way. The same bits.
    ///
    /// On AMD's family 25 (32 KiB first level) the first level lost: the same rows asked
    /// for into the second ([`first_level_takes_rows`] says which), `examples/epoch_bound
    /// ROWS COLS KIND 11 2` alternated three times with the first-level requests, median
    /// epoch 200,000 x 100 linear 8.4-10.5 -> 5.7-6.2 ms (one thread, `.. 9 1`, 12.3-16.7 ->
    /// 8.4-9.8), 100,000 x 200 8.7-10.3 -> 5.5-5.7, 400,000 x 50 logistic 5.9-6.7 ->
    /// 5.0-6.2, 200,000 x 50 the same (2.9-3.7). Into the first level half as far ahead (8
    /// rows of 100 doubles) was as slow as 12 rows, and no requests at all slower still
    /// (10.9-11.3 ms), so it is not the first level's size that the rows outgrow but the
    /// few requests it keeps in flight (a throwaway switch between the hints, session 38).
    const NEAR_AHEAD_BYTES: usize = 16 << 10;

    /// Asks for the line at `p` into the first-level cache if `near`, the second otherwise.
    #[inline(always)]
    fn prefetch_line(p: *const i8, near: bool) {
        // SAFETY: a prefetch never faults and reads nothing into the program.
        unsafe {
            if near {
                _mm_prefetch::<_MM_HINT_T0>(p);
            } else {
                _mm_prefetch::<FAR_HINT>(p);
            }
        }
    }

    /// One row's dot product with `w`, as one of [`dot4`]'s.
    #[inline(always)]
    pub(in crate::model) unsafe fn dot1<T: Element>(w: &[f64], x: *const T) -> f64 {
        let d = w.len();
        let mut s = _mm256_setzero_pd();
        let mut j = 0;
        while j + 4 <= d {
            s = _mm256_fmadd_pd(_mm256_loadu_pd(w.as_ptr().add(j)), load(x.add(j), 4), s);
            j += 4;
        }
        if j < d {
            let n = d - j;
            s = _mm256_fmadd_pd(load(w.as_ptr().add(j), n), load(x.add(j), n), s);
        }
        reduce(s)
    }

    /// `g += sum_r dl_r x_r` over `K` consecutive rows of `d` values from `x`, the rows'
    /// terms added in row order to each group of four (`K` a constant, so the rows unroll);
    /// if `WIDE` (the CPU has AVX-512F), whole groups of eight first, half the instructions
    /// for the same values (an epoch of 512 x 100 in cache on one thread,
    /// `examples/epoch_bound 512 100 linear 7 1 3000` alternated: 10.7-11.1 -> 10.0-10.3 ns
    /// a row; from memory no change beyond the noise).
    #[inline(always)]
    unsafe fn add_rows<const K: usize, const N: usize, T: Element, const WIDE: bool>(
        dv: &[__m256d; N],
        x: *const T,
        d: usize,
        gp: *mut f64,
    ) {
        let mut j = 0;
        if WIDE {
            let mut d8 = [_mm512_setzero_pd(); N];
            for (o, v) in d8.iter_mut().zip(dv) {
                *o = _mm512_broadcast_f64x4(*v);
            }
            while j + 8 <= d {
                let mut gj = _mm512_loadu_pd(gp.add(j));
                for (r, dr) in d8.iter().enumerate().take(K) {
                    gj = _mm512_fmadd_pd(*dr, load8(x.add(r * d + j)), gj);
                }
                _mm512_storeu_pd(gp.add(j), gj);
                j += 8;
            }
        }
        add_rows_from::<K, N, T>(dv, x, d, gp, j);
    }

    /// [`add_rows`] four columns a vector from column `j` on.
    #[inline(always)]
    unsafe fn add_rows_from<const K: usize, const N: usize, T: Element>(
        dv: &[__m256d; N],
        x: *const T,
        d: usize,
        gp: *mut f64,
        mut j: usize,
    ) {
        while j + 4 <= d {
            let mut gj = _mm256_loadu_pd(gp.add(j));
            for (r, dr) in dv.iter().enumerate().take(K) {
                gj = _mm256_fmadd_pd(*dr, load(x.add(r * d + j), 4), gj);
            }
            _mm256_storeu_pd(gp.add(j), gj);
            j += 4;
        }
        if j < d {
            let n = d - j;
            let m = mask64(n);
            let mut gj = _mm256_maskload_pd(gp.add(j), m);
            for (r, dr) in dv.iter().enumerate().take(K) {
                gj = _mm256_fmadd_pd(*dr, load(x.add(r * d + j), n), gj);
            }
            _mm256_maskstore_pd(gp.add(j), m, gj);
        }
    }

    /// The predictions `w . x_r + b` and targets of `k <= 4` rows of `d` values from `x`,
    /// a short group padded with zeros (whose results the callers drop): every row goes
    /// through the same four-lane loss, with the same dot products whatever its group.
    /// Asks for the rows `ahead` rows on meanwhile (hints: nothing is read there).
    #[inline(always)]
    unsafe fn predict4<T: Element>(
        w: &[f64],
        b: f64,
        x: *const T,
        d: usize,
        k: usize,
        y: &[f64],
        ahead: usize,
    ) -> ([f64; 4], [f64; 4]) {
        let (mut z, mut t) = ([0.0f64; 4], [0.0f64; 4]);
        let pf = Ahead::rows(x, ahead, 4, d);
        if k == 4 {
            _mm256_storeu_pd(
                z.as_mut_ptr(),
                _mm256_add_pd(dot4(w, x, d, pf), _mm256_set1_pd(b)),
            );
        } else {
            prefetch_bytes(pf.at, k * d * std::mem::size_of::<T>());
            for (r, zr) in z.iter_mut().enumerate().take(k) {
                *zr = dot1(w, x.add(r * d)) + b;
            }
        }
        t[..k].copy_from_slice(&y[..k]);
        (z, t)
    }

    /// [`predict4`] of `N` whole rows, `N` a multiple of eight ([`dot8`] on each eight), flat.
    /// If `ask`, each eight's dot products ask for the eight rows `ahead` rows on (not where
    /// the caller asks for them sparsely, [`SPARSE_STEP`]).
    #[inline(always)]
    unsafe fn predict_rows<const N: usize, T: Element>(
        w: &[f64],
        b: f64,
        x: *const T,
        d: usize,
        y: &[f64],
        ahead: usize,
        ask: bool,
    ) -> ([f64; N], [f64; N]) {
        let (mut z, mut t) = ([0.0f64; N], [0.0f64; N]);
        for h in 0..N / 8 {
            let xh = x.add(8 * h * d);
            let pf = if ask {
                Ahead::rows(xh, ahead, 8, d)
            } else {
                Ahead::NONE
            };
            plus_intercept(&dot8(w, xh, d, pf), b, z.as_mut_ptr().add(8 * h));
        }
        t.copy_from_slice(&y[..N]);
        (z, t)
    }

    /// Eight rows' predictions to `z` (room for eight): [`dot8`]'s sums `dots` plus the
    /// intercept `b`.
    #[inline(always)]
    unsafe fn plus_intercept(dots: &[__m256d; 2], b: f64, z: *mut f64) {
        let bv = _mm256_set1_pd(b);
        for (q, v) in dots.iter().enumerate() {
            _mm256_storeu_pd(z.add(4 * q), _mm256_add_pd(*v, bv));
        }
    }

    /// Rows ahead of a group of four (sixteen) that [`predict4`] ([`predict_rows`] of
    /// sixteen) asks for: far enough ahead to arrive in time, near enough to stay. Four rows
    /// ask for the group after next; sixteen for the next, into the first level where it
    /// fits ([`NEAR_AHEAD_BYTES`]); eight see [`ahead8`].
    const AHEAD4: usize = 8;
    const AHEAD16: usize = 16;

    /// Rows ahead of a group of eight rows of `row_bytes` bytes that [`predict_rows`] asks
    /// for: about [`NEAR_TARGET_BYTES`] ahead, but between the group after next (16 rows)
    /// and the next (8), where the sixteen rows fit [`NEAR_AHEAD_BYTES`] (into the first
    /// level); else the next group (into the first level up to 256 doubles a row, the second
    /// past that). One group ahead is too near for narrow rows (600,000 x 32: 2 KiB ahead,
    /// 4.10-4.42 ms an epoch against 3.75-4.32 at 4 KiB), two too far for wider ones
    /// (100,000 x 200: 25.6 KiB ahead into the second level, 3.83-4.36 against 3.58-3.73 at
    /// one group, 12.8 KiB into the first; 200,000 x 100: 12.8 KiB ahead slower than 9.6,
    /// see [`NEAR_TARGET_BYTES`]).
    #[inline(always)]
    fn ahead8(row_bytes: usize) -> usize {
        if 16 * row_bytes <= NEAR_AHEAD_BYTES {
            (NEAR_TARGET_BYTES / row_bytes.max(1)).clamp(8, 16)
        } else {
            8
        }
    }

    /// How far ahead groups of eight rows of 80 to 128 doubles ask for rows ([`ahead8`]),
    /// near what this machine's fastest read asks (`examples/bandwidth`'s prefetching sum,
    /// 8 KiB): at 100 doubles 16 rows (12.8 KiB) ran slower than 12 (9.6 KiB). Variants
    /// called in a random order call by call in one process (a harness not kept, session
    /// 35; 30-40 calls each, medians of two sittings): 200,000 x 100 on one thread 16 rows
    /// ahead 4.96-4.98 ms an epoch, 12 rows 4.58-4.64; on two threads 3.60-3.63 against
    /// 3.47-3.51. The dot products asking for seven of the eight rows and the gradient
    /// terms for the last (so that requests go out while the terms run) did no better: on
    /// one thread the same, on two 3.54-3.63. Rows of up to 80 doubles still ask 16 rows
    /// ahead, past 128 eight, as before. The same bits (requests only).
    const NEAR_TARGET_BYTES: usize = 10 << 10;

    /// Without AVX-512F (with it, such rows go through [`terms_then_dots`], which asks for
    /// nothing): rows ahead that a group of eight wide rows asks for into the second cache
    /// level ([`ahead8`] past [`NEAR_AHEAD_BYTES`]: past 256 doubles a row) are asked for a line
    /// every this many bytes, all at once after the dot products, not every line: the
    /// hardware prefetcher fetches the lines between, and the requests reach each page
    /// early. Variants called in a random order call by call in one process (a harness not
    /// kept, session 35, on this AVX-512 machine before [`terms_then_dots`]; 20-30 calls
    /// each, medians): on two threads every line asked for
    /// (half with the dot products, half with the gradient terms, as since session 33) took
    /// 50,000 x 1,000 10.94-11.16 ms an epoch (three sittings), a line a KiB 9.79-10.33,
    /// none 9.85-10.05; 50,000 x 400 4.12 against 3.97 (none 3.97); 20,000 x 2,500 16.68
    /// against 15.77 (none 15.65). On one thread it cost a little: 50,000 x 1,000 16.13 and
    /// 15.29 ms against 16.57 and 15.67 (none 16.25 and 15.43). The same bits (requests
    /// only). Four rows a group for rows past 512 doubles (32 KiB of them, which stay in the
    /// first level for the gradient terms), the next group asked for the same way, did no
    /// better (50,000 x 1,000 two threads 10.31-10.52 ms, one thread 16.83).
    const SPARSE_STEP: usize = 1024;

    /// Asks for the `bytes` bytes at `p` a line at a time into the first cache level: rows
    /// wider than a few lines run past what the CPU's prefetcher has fetched at every page
    /// end.
    #[inline(always)]
    fn prefetch_bytes(p: *const i8, bytes: usize) {
        prefetch_lines::<_MM_HINT_T0>(p, bytes);
    }

    /// The loss derivatives of eight rows from row `i` with predictions `z` and targets `t`,
    /// each group of four through the four-lane loss, their scaled losses and derivatives
    /// added to `sums` in row order.
    #[inline(always)]
    fn group_derivs<L: Loss, W: RowWeights>(
        loss: &L,
        z: &[f64; 8],
        t: &[f64],
        sw: &W,
        i: usize,
        sums: &mut (f64, f64),
    ) -> [f64; 8] {
        let mut dl = [0.0f64; 8];
        for q in 0..2 {
            let (lv, dv) = loss.value_deriv4(
                [z[4 * q], z[4 * q + 1], z[4 * q + 2], z[4 * q + 3]],
                [t[4 * q], t[4 * q + 1], t[4 * q + 2], t[4 * q + 3]],
            );
            for r in 0..4 {
                let (l, dr) = scaled(sw.at(i + 4 * q + r), (lv[r], dv[r]));
                sums.0 += l;
                sums.1 += dr;
                dl[4 * q + r] = dr;
            }
        }
        dl
    }

    /// [`add_rows`] of the eight rows at `xg` with loss derivatives `dl` (eight columns a
    /// vector, AVX-512F) and [`dot8`] of the eight rows at `xd`, in one pass over the
    /// columns: the same sums in the same order as the two apart, so the same bits.
    ///
    /// Rows past the first level's reach come from memory as the dot products load them,
    /// and a dot product is eight chains of dependent multiply-adds: a load that waits on
    /// memory holds up its chain, the core's window fills behind it, and the next loads
    /// wait too; the gradient terms, read from the second level, never waited. A pass of
    /// dot products alone over 50,000 x 1,000 on one thread took as long as a read of the
    /// data plus its time in cache (14.4-15.9 ms, a prefetching read 10.9-11.9, in cache
    /// 3.8); the gradient terms alone as long as a plain read (12.1). Beside the terms the
    /// dot products' loads have independent work between them. Variants called in a random
    /// order call by call in one process (a harness not kept, session 36; 20-25 calls each,
    /// medians): 50,000 x 1,000 on two threads 11.43-12.00 ms an epoch -> 10.05-10.74 (four
    /// sittings), on one 17.7-19.9 -> 16.9-17.5; 50,000 x 400 4.75 -> 4.19; 100,000 x 301
    /// 7.34 -> 6.22; 20,000 x 2,500 17.97 -> 16.29. Asking for rows ahead (a line a KiB,
    /// one to two groups on) gained nothing more, so it asks for none. `examples/epoch_bound
    /// ROWS COLS KIND 15 2` alternated with the code before, median epoch: 50,000 x 1,000
    /// linear 10.97-11.31 -> 9.95-10.50 ms (four times; one thread, `.. 11 1`, 17.6-17.9 ->
    /// 16.4-16.6), logistic 10.86-11.32 -> 10.19-10.50, 50,000 x 400 linear 4.46-4.76 ->
    /// 4.16-4.49; 200,000 x 100 (rows in the first level's reach, not run here) the same.
    /// Without AVX-512 the sixteen vectors of sums and derivatives would not fit the sixteen
    /// registers.
    #[inline(always)]
    unsafe fn terms_then_dots<T: Element>(
        dl: &[f64; 8],
        xg: *const T,
        w: &[f64],
        xd: *const T,
        d: usize,
        gp: *mut f64,
    ) -> [__m256d; 2] {
        let d8 = dl.map(|v| _mm512_set1_pd(v));
        let mut s = [_mm256_setzero_pd(); 8];
        let mut j = 0;
        while j + 8 <= d {
            let mut gj = _mm512_loadu_pd(gp.add(j));
            for (r, dr) in d8.iter().enumerate() {
                gj = _mm512_fmadd_pd(*dr, load8(xg.add(r * d + j)), gj);
            }
            _mm512_storeu_pd(gp.add(j), gj);
            for jj in [j, j + 4] {
                let wj = _mm256_loadu_pd(w.as_ptr().add(jj));
                for (r, sr) in s.iter_mut().enumerate() {
                    *sr = _mm256_fmadd_pd(wj, load(xd.add(r * d + jj), 4), *sr);
                }
            }
            j += 8;
        }
        dot_sums_from(w, xd, d, Ahead::NONE, j, &mut s);
        add_rows_from::<8, 8, T>(&splat(dl), xg, d, gp, j);
        [
            reduce4([s[0], s[1], s[2], s[3]]),
            reduce4([s[4], s[5], s[6], s[7]]),
        ]
    }

    /// [`super::any_grad`] in AVX2 with fused multiply-adds, eight rows at a time: their
    /// eight dot products in parallel chains, then one pass over the gradient in memory that
    /// adds the eight rows' terms in row order (an eighth of the loads and stores of a
    /// row-by-row update). Rows left over go four, then one at a time, in the same order:
    /// every row's prediction and every sum is the same whichever group a row falls in.
    /// Where the CPU has AVX-512F the gradient terms go eight columns a vector
    /// ([`add_rows`]): each entry's terms the same, in the same order, so the same bits;
    /// and rows past the first level's reach ([`ahead8`]) run each group's gradient terms
    /// beside the next group's dot products ([`terms_then_dots`]), the same bits again.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w` is not empty; `g.len() >= w.len()`.
    pub(super) unsafe fn any_grad<T: Element, L: Loss, W: RowWeights>(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
        g: &mut [f64],
    ) -> (f64, f64) {
        if crate::numeric::vmath::has_avx512f() {
            any_grad512(loss, w, b, x, y, sw, g)
        } else {
            any_grad256(loss, w, b, x, y, sw, g)
        }
    }

    /// [`any_grad`] with AVX2 and FMA alone.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn any_grad256<T: Element, L: Loss, W: RowWeights>(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
        g: &mut [f64],
    ) -> (f64, f64) {
        any_grad_in::<T, L, W, false>(loss, w, b, x, y, sw, g)
    }

    /// [`any_grad`] with AVX-512F too.
    #[target_feature(enable = "avx2,fma,avx512f")]
    unsafe fn any_grad512<T: Element, L: Loss, W: RowWeights>(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
        g: &mut [f64],
    ) -> (f64, f64) {
        any_grad_in::<T, L, W, true>(loss, w, b, x, y, sw, g)
    }

    /// [`any_grad`]'s body, its gradient terms eight columns a vector if `WIDE` (compiled
    /// only into [`any_grad512`]).
    #[inline(always)]
    unsafe fn any_grad_in<T: Element, L: Loss, W: RowWeights, const WIDE: bool>(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
        g: &mut [f64],
    ) -> (f64, f64) {
        let d = w.len();
        assert!(d > 0 && g.len() >= d);
        // The losses' and the derivatives' sums, row after row.
        let mut sums = (0.0, 0.0);
        let rows = y.len().min(x.len() / d);
        let gp = g.as_mut_ptr();
        let row_bytes = d * std::mem::size_of::<T>();
        // Wide rows ask for their groups ahead in shares ([`WIDE_ROW_BYTES`]).
        let wide = row_bytes >= WIDE_ROW_BYTES;
        let mut i = 0;
        if L::VECTOR4 && 16 * row_bytes <= GROUP_BYTES {
            // A loss in vector code is a long chain of dependent operations (exp, ln_1p,
            // divisions) on each group's dot products: sixteen rows' losses taken together
            // keep the core busy where four at a time wait on latency (and run eight lanes
            // wide with AVX-512). Every row gets the same operations, and the sums the same
            // order, as four rows at a time.
            while i + 16 <= rows {
                let xi = x.as_ptr().add(i * d);
                let (z, t) = predict_rows::<16, T>(w, b, xi, d, &y[i..i + 16], AHEAD16, true);
                if !wide {
                    prefetch_far(xi, 16 * d);
                }
                let (lv, dv) = loss.value_deriv16(&z, &t);
                for h in 0..2 {
                    if wide {
                        prefetch_share(xi, 16 * d, h, 2);
                    }
                    let mut dl = [0.0f64; 8];
                    for (r, dl) in dl.iter_mut().enumerate() {
                        let at = 8 * h + r;
                        let (l, dr) = scaled(sw.at(i + at), (lv[at], dv[at]));
                        sums.0 += l;
                        sums.1 += dr;
                        *dl = dr;
                    }
                    add_rows::<8, 8, T, WIDE>(&splat(&dl), xi.add(8 * h * d), d, gp);
                }
                i += 16;
            }
        }
        // Eight rows at a time ([`predict_rows`]), each group of four's losses as below: the
        // same values and sums, in the same order, as four at a time.
        let ahead = ahead8(row_bytes);
        let near = Ahead::first_level::<T>(ahead, d);
        if WIDE && !near && i + 16 <= rows {
            // Rows past the first level's reach: each group's gradient terms beside the next
            // group's dot products ([`terms_then_dots`]).
            let xi = x.as_ptr().add(i * d);
            let (z, _) = predict_rows::<8, T>(w, b, xi, d, &y[i..i + 8], ahead, false);
            let mut dl = group_derivs(loss, &z, &y[i..i + 8], &sw, i, &mut sums);
            while i + 16 <= rows {
                let xi = x.as_ptr().add(i * d);
                let next = xi.add(8 * d);
                let mut z = [0.0f64; 8];
                plus_intercept(&terms_then_dots(&dl, xi, w, next, d, gp), b, z.as_mut_ptr());
                i += 8;
                dl = group_derivs(loss, &z, &y[i..i + 8], &sw, i, &mut sums);
            }
            add_rows::<8, 8, T, WIDE>(&splat(&dl), x.as_ptr().add(i * d), d, gp);
            i += 8;
        }
        while i + 8 <= rows {
            let xi = x.as_ptr().add(i * d);
            let (z, _) = predict_rows::<8, T>(w, b, xi, d, &y[i..i + 8], ahead, near);
            let dl = group_derivs(loss, &z, &y[i..i + 8], &sw, i, &mut sums);
            if !near {
                let at = xi.wrapping_add(ahead * d).cast::<i8>();
                prefetch_every::<FAR_HINT>(at, 8 * row_bytes, SPARSE_STEP);
            }
            add_rows::<8, 8, T, WIDE>(&splat(&dl), xi, d, gp);
            i += 8;
        }
        while i < rows {
            let k = (rows - i).min(4);
            let xi = x.as_ptr().add(i * d);
            let (z, t) = predict4(w, b, xi, d, k, &y[i..i + k], AHEAD4);
            let (lv, dv) = loss.value_deriv4(z, t);
            let mut dl = [0.0f64; 4];
            for r in 0..k {
                let (l, dr) = scaled(sw.at(i + r), (lv[r], dv[r]));
                sums.0 += l;
                sums.1 += dr;
                dl[r] = dr;
            }
            let dv = splat(&dl);
            match k {
                4 => add_rows::<4, 4, T, WIDE>(&dv, xi, d, gp),
                3 => add_rows::<3, 4, T, WIDE>(&dv, xi, d, gp),
                2 => add_rows::<2, 4, T, WIDE>(&dv, xi, d, gp),
                _ => add_rows::<1, 4, T, WIDE>(&dv, xi, d, gp),
            }
            i += k;
        }
        sums
    }

    /// What a Hessian pass reads: the loss, the weights and intercept `b`, the data, the
    /// targets, the row weights and whether the model has an intercept (a last column of
    /// ones in the Gram sum).
    pub(super) struct HessianPass<'a, T, L> {
        pub(super) loss: &'a L,
        pub(super) w: &'a [f64],
        pub(super) b: f64,
        pub(super) x: &'a [T],
        pub(super) y: &'a [f64],
        pub(super) weights: Option<&'a [f64]>,
        pub(super) intercept: bool,
    }

    /// `x` as the `f64` values it holds, when it holds `f64`.
    #[inline(always)]
    fn as_f64<T: Element>(x: &[T]) -> Option<&[f64]> {
        // SAFETY: `Element` is sealed: a `T` of precision `F64` is `f64`.
        (T::PRECISION == Precision::F64)
            .then(|| unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f64>(), x.len()) })
    }

    /// Groups of sixteen rows in a Hessian block.
    const GROUPS_OF_16: usize = super::GramSum::BLOCK / 16;

    /// A value for each row of a Hessian block's groups of sixteen.
    type Groups = [[f64; 16]; GROUPS_OF_16];

    /// Writes into `h` the second derivatives of the whole groups of sixteen rows from
    /// `start` (at most [`GROUPS_OF_16`], none past `end`), `predict(i)` giving the
    /// predictions of rows `i..i + 16`, and with `first` their losses and derivatives too
    /// ([`Loss::all_derivs16`]: the same values, one `exp`); returns the number of groups.
    /// Every group's
    /// predictions come first, then every group's second derivatives, so that a block's
    /// `exp`s (two vectors of eight a group) are in flight together: a group at a time,
    /// between its dot products and its rows, each `exp`'s long chain of dependent
    /// operations waited alone (a Hessian of 20,000 x 20 in cache on one thread 0.336 ->
    /// 0.313-0.319 ms, of 1,000,000 x 20 on one thread 17.0-17.1 -> 16.2-16.5 ms; the same
    /// bits).
    #[inline(always)]
    fn second_derivs16<L: Loss>(
        (start, end): (usize, usize),
        loss: &L,
        y: &[f64],
        h: &mut Groups,
        mut first: Option<(&mut Groups, &mut Groups)>,
        mut predict: impl FnMut(usize) -> [f64; 16],
    ) -> usize {
        let groups = ((end - start) / 16).min(GROUPS_OF_16);
        let mut z = [[0.0; 16]; GROUPS_OF_16];
        for (g, z) in z.iter_mut().enumerate().take(groups) {
            *z = predict(start + 16 * g);
        }
        for (g, (h, z)) in h.iter_mut().zip(&z).enumerate().take(groups) {
            let i = start + 16 * g;
            let t: &[f64; 16] = y[i..i + 16].try_into().expect("sixteen targets");
            match first.as_mut() {
                Some((l, dl)) => (l[g], dl[g], *h) = loss.all_derivs16(z, t),
                None => *h = loss.second_deriv16(z, t),
            }
        }
        groups
    }

    /// A Hessian pass's blocks of [`GramSum::BLOCK`](super::GramSum) rows of `rows`: for each,
    /// `fill(gram, start, end, copy)` writes rows `start..end` into the block's slots (`Z`
    /// too when `copy`), then the block is summed, `Z` read in place from `f64` rows whose
    /// vectors the tiles can read whole ([`super::GramSum::reads_in_place`]).
    #[inline(always)]
    fn hessian_blocks<T: Element>(
        x: &[T],
        d: usize,
        rows: std::ops::Range<usize>,
        gram: &mut super::GramSum,
        mut fill: impl FnMut(&mut super::GramSum, usize, usize, bool),
    ) {
        let in_place = as_f64(x).filter(|_| gram.reads_in_place(d));
        let size = std::mem::size_of::<T>();
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + super::GramSum::BLOCK).min(rows.end);
            fill(gram, start, end, in_place.is_none());
            // A block's rows from a quarter block past this one (past the range too: the
            // next range a thread sums), asked for while this one is summed (a line with
            // each row of its tiles), which reads no memory: the CPU's prefetcher would idle
            // through it (`examples/newton_cost 1000000 20 2 9` against the code without it,
            // alternated: 23.5-25.2 to 22.0-24.6 ms; in cache, a few per cent at most).
            // Starting at the very next row instead cost 1,000,000 x 20 about a tenth
            // (Hessian on two threads 10.0 -> 9.2 ms, one thread 19.2 -> 17.4, medians of 20
            // to 40 calls, alternated), 1,000,000 x 10 and x 16 3-5 %; any skip from 8 rows to
            // a block gave the same, and 30 to 100 features were within 1 % either way. The
            // rows skipped were asked for a block earlier, with the rest of theirs.
            let from = (end + super::GramSum::BLOCK / 4).min(x.len() / d);
            let next = (from + super::GramSum::BLOCK)
                .min(x.len() / d)
                .saturating_sub(from);
            gram.sum_block_ahead(
                end - start,
                in_place.map(|x| (&x[start * d..end * d], d)),
                (x.as_ptr().wrapping_add(from * d).cast(), next * d * size),
            );
            start = end;
        }
    }

    /// [`Linear::hessian_in`](super::Linear) on a range of rows: the predictions four rows
    /// at a time ([`dot4`]), the loss's second derivatives four at a time
    /// ([`Loss::second_deriv4`]: vector `exp` for the log loss), then each row into the
    /// blocked Gram sum. Row by row with the portable dot product and the scalar `exp`, that
    /// part cost more than the Gram tiles themselves.
    ///
    /// The Gram sum's blocks are the range's rows [`GramSum::BLOCK`](super::GramSum) at a
    /// time, every row in (a row with `h = 0` adds zeros); `Z` is read in place from `f64`
    /// rows, copied otherwise (the same bits either way).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w` is not empty; `x` holds the rows of `rows`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn hessian_rows<T: Element, L: Loss>(
        pass: &HessianPass<'_, T, L>,
        rows: std::ops::Range<usize>,
        gram: &mut super::GramSum,
    ) {
        hessian_rows_in(pass, rows, gram, crate::numeric::vmath::has_avx512f())
    }

    /// [`hessian_rows`], its rows written in vectors of eight ([`block_rows8`]) if `wide`.
    ///
    /// # Safety
    /// As [`hessian_rows`]; the CPU has AVX-512F if `wide`.
    #[inline(always)]
    pub(super) unsafe fn hessian_rows_in<T: Element, L: Loss>(
        pass: &HessianPass<'_, T, L>,
        rows: std::ops::Range<usize>,
        gram: &mut super::GramSum,
        wide: bool,
    ) {
        let &HessianPass {
            loss,
            w,
            b,
            x,
            y,
            weights,
            intercept,
        } = pass;
        let d = w.len();
        assert!(d > 0 && rows.end <= y.len() && rows.end * d <= x.len());
        hessian_blocks(x, d, rows, gram, |gram, start, end, copy| {
            // Sixteen rows' second derivatives together (as `any_grad`'s losses), a block's
            // groups of sixteen one after another ([`second_derivs16`]), then the rest four
            // at a time: a row's value does not depend on which.
            let mut h = [[0.0; 16]; GROUPS_OF_16];
            let groups = second_derivs16((start, end), loss, y, &mut h, None, |i| {
                predict_rows::<16, T>(w, b, x.as_ptr().add(i * d), d, &y[i..i + 16], AHEAD16, true)
                    .0
            });
            // Rows `i..` with second derivatives `h` into the block.
            let put = |gram: &mut super::GramSum, h: &[f64], i: usize| {
                let rows = BlockRows {
                    h,
                    x: x.as_ptr().add(i * d),
                    d,
                    weights: weights.map(|sw| &sw[i..i + h.len()]),
                    intercept,
                    copy,
                    r0: i - start,
                };
                if wide {
                    block_rows8(rows, gram);
                } else {
                    block_rows(rows, gram);
                }
            };
            for (g, h) in h[..groups].iter().enumerate() {
                put(gram, h, start + 16 * g);
            }
            let mut i = start + 16 * groups;
            while i < end {
                let k = (end - i).min(4);
                let xi = x.as_ptr().add(i * d);
                let (z, t) = predict4(w, b, xi, d, k, &y[i..i + k], AHEAD4);
                put(gram, &loss.second_deriv4(z, t)[..k], i);
                i += k;
            }
        });
    }

    /// A fused pass's sums over one run of rows besides its Hessian: the losses, their
    /// derivatives (the intercept's gradient) and the weights' gradient in `C` vectors,
    /// each added row after row from zeros as [`fixed_grad`] adds them, for its bits.
    pub(super) struct FirstOrder<const C: usize> {
        pub(super) lsum: f64,
        pub(super) dsum: f64,
        pub(super) acc: [__m256d; C],
    }

    impl<const C: usize> FirstOrder<C> {
        /// Zeros.
        #[inline(always)]
        pub(super) fn new() -> Self {
            FirstOrder {
                lsum: 0.0,
                dsum: 0.0,
                // SAFETY: all-zero bits are a vector of zeros.
                acc: [unsafe { std::mem::zeroed() }; C],
            }
        }

        /// Adds the weights' gradient into `g` (`D` values), lane by lane as [`fixed_grad`].
        #[inline(always)]
        pub(super) fn add_into<const D: usize>(&self, g: &mut [f64]) {
            add_lanes::<D, C>(&self.acc, g);
        }
    }

    /// [`hessian_rows`] for exactly `D` features (in `C` groups of four): the fixed
    /// kernels' predictions ([`fixed_predict16`], each row a few whole vectors) and each
    /// row's `C` vectors into the Gram sum without a loop over groups or a branch per group.
    /// The same predictions, second derivatives, blocks and Gram rows as [`hessian_rows`]
    /// (sixteen rows together, the rest four at a time), so the same bits. At 20 features,
    /// in cache on one thread, the loop for any width spent as long on its dot products and
    /// copies as the Gram tiles on their sums; this one takes about a tenth off the whole
    /// Hessian.
    ///
    /// With `FIRST`, the same pass adds the rows' losses and gradient into `first` (a run
    /// of [`fixed_grad`]'s, with its bits: the same predictions, the loss's
    /// [`Loss::value_deriv16`] and `value_deriv4`, which give [`Loss::value_deriv`]'s
    /// values, and the same sums row after row): a Newton step's cost, gradient and
    /// Hessian for about the Hessian's time, where apart they took an epoch more.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w.len() == D <= 4 * C`; `x` holds the rows of `rows`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fixed_hessian_rows<
        const D: usize,
        const C: usize,
        T: Element,
        L: Loss,
        const FIRST: bool,
    >(
        pass: &HessianPass<'_, T, L>,
        rows: std::ops::Range<usize>,
        gram: &mut super::GramSum,
        first: &mut FirstOrder<C>,
    ) {
        let &HessianPass {
            loss,
            w,
            b,
            x,
            y,
            weights,
            intercept,
        } = pass;
        assert!(w.len() == D && D <= 4 * C && rows.end <= y.len() && rows.end * D <= x.len());
        let wv = self::weights::<D, C>(w);
        hessian_blocks(x, D, rows, gram, |gram, start, end, copy| {
            let mut h = [[0.0; 16]; GROUPS_OF_16];
            let (mut lv, mut dv) = ([[0.0; 16]; GROUPS_OF_16], [[0.0; 16]; GROUPS_OF_16]);
            let both = FIRST.then_some((&mut lv, &mut dv));
            let groups = second_derivs16((start, end), loss, y, &mut h, both, |i| {
                fixed_predict16::<D, C, T, true>(&wv, b, x.as_ptr().add(i * D))
            });
            for (g, h) in h[..groups].iter().enumerate() {
                let i = start + 16 * g;
                let rows = BlockRows {
                    h,
                    x: x.as_ptr().add(i * D),
                    d: D,
                    weights: weights.map(|sw| &sw[i..i + 16]),
                    intercept,
                    copy,
                    r0: i - start,
                };
                let ld = FIRST.then_some((&lv[g][..], &dv[g][..]));
                fixed_block_rows::<D, C, T, FIRST>(rows, gram, ld, first);
            }
            let mut i = start + 16 * groups;
            while i < end {
                let k = (end - i).min(4);
                let xi = x.as_ptr().add(i * D);
                let (z, t) = fixed_predict4::<D, C, T, false>(&wv, b, xi, &y[i..i + k]);
                let h = loss.second_deriv4(z, t);
                let ld = FIRST.then(|| loss.value_deriv4(z, t));
                let ld = ld.as_ref().map(|(l, d)| (&l[..k], &d[..k]));
                let rows = BlockRows {
                    h: &h[..k],
                    x: xi,
                    d: D,
                    weights: weights.map(|sw| &sw[i..i + k]),
                    intercept,
                    copy,
                    r0: i - start,
                };
                fixed_block_rows::<D, C, T, FIRST>(rows, gram, ld, first);
                i += k;
            }
        });
    }

    /// [`block_rows`] for rows of exactly `D` values (`rows.d == D`): each row's `C` vectors
    /// and `h` times them stored whole: no loop over groups and no branch per group. With
    /// `FIRST` and the rows' losses and derivatives `ld`, each row's share of them added into
    /// `first`.
    #[inline(always)]
    unsafe fn fixed_block_rows<const D: usize, const C: usize, T: Element, const FIRST: bool>(
        rows: BlockRows<'_, T>,
        gram: &mut super::GramSum,
        ld: Option<(&[f64], &[f64])>,
        first: &mut FirstOrder<C>,
    ) {
        let BlockRows { h, x, copy, .. } = rows;
        for r in 0..h.len() {
            let xv = row::<D, C, T>(x.add(r * D));
            if FIRST {
                if let Some((lv, dv)) = ld {
                    let (l, dl) = scaled(rows.weight(r), (lv[r], dv[r]));
                    first.lsum += l;
                    first.dsum += dl;
                    let dv = _mm256_set1_pd(dl);
                    for (a, v) in first.acc.iter_mut().zip(&xv) {
                        *a = _mm256_fmadd_pd(dv, *v, *a);
                    }
                }
            }
            let (hr, zs, us) = rows.slots(r, gram);
            let hv = _mm256_set1_pd(hr);
            // The slots hold `width >= 4 * C` values (the Gram sum's width is `D` plus the
            // intercept rounded up to whole vectors).
            assert!(zs.len() >= 4 * C && us.len() >= 4 * C);
            let (zp, up) = (zs.as_mut_ptr(), us.as_mut_ptr());
            for (c, v) in xv.iter().enumerate() {
                if copy {
                    _mm256_storeu_pd(zp.add(4 * c), *v);
                }
                _mm256_storeu_pd(up.add(4 * c), _mm256_mul_pd(hv, *v));
            }
            rows.intercept(hr, zs, us);
        }
    }

    /// [`block_rows`] in vectors of eight (AVX-512F; the same products, so the same values):
    /// its loop of four values a vector, which asks at each how many are left, took about a
    /// tenth of a Hessian of 20,000 x 100 in cache on one thread (sampled with `perf` on
    /// `examples/newton_cost 20000 100 1 1000 hessian`; this one about 8 %).
    ///
    /// # Safety
    /// As [`block_rows`]; the CPU has AVX-512F.
    #[target_feature(enable = "avx2,fma,avx512f")]
    unsafe fn block_rows8<T: Element>(rows: BlockRows<'_, T>, gram: &mut super::GramSum) {
        let BlockRows { h, x, d, copy, .. } = rows;
        let load8 = |p: *const T, m: __mmask8| -> __m512d {
            if T::PRECISION == Precision::F64 {
                _mm512_maskz_loadu_pd(m, p.cast::<f64>())
            } else {
                let v = _mm512_maskz_loadu_ps(__mmask16::from(m), p.cast::<f32>());
                _mm512_cvtps_pd(_mm512_castps512_ps256(v))
            }
        };
        for r in 0..h.len() {
            let (hr, zs, us) = rows.slots(r, gram);
            // Lanes past `d` are zeros, as `block_rows` pads the last group (the slots hold
            // `d` rounded up to four, so the last vector is stored masked).
            assert!(zs.len() >= d && us.len() >= d);
            let (zp, up) = (zs.as_mut_ptr(), us.as_mut_ptr());
            let hv = _mm512_set1_pd(hr);
            let xr = x.add(r * d);
            let mut j = 0;
            while j + 8 <= d {
                let v = load8(xr.add(j), 0xff);
                if copy {
                    _mm512_storeu_pd(zp.add(j), v);
                }
                _mm512_storeu_pd(up.add(j), _mm512_mul_pd(hv, v));
                j += 8;
            }
            if j < d {
                let pad = (d - j).div_ceil(4) * 4;
                let (data, kept) = ((1u8 << (d - j)) - 1, ((1u16 << pad) - 1) as u8);
                let v = load8(xr.add(j), data);
                if copy {
                    _mm512_mask_storeu_pd(zp.add(j), kept, v);
                }
                _mm512_mask_storeu_pd(up.add(j), kept, _mm512_mul_pd(hv, v));
            }
            rows.intercept(hr, zs, us);
        }
    }

    /// Rows for a Gram sum's block, from its row `r0`: `h.len()` rows from `x` (`d` values
    /// each) with second derivatives `h` (times their `weights`), `h z` to be written into
    /// `U`, and `z` into `Z` when `copy` (not read in place).
    #[derive(Clone, Copy)]
    struct BlockRows<'a, T> {
        h: &'a [f64],
        x: *const T,
        d: usize,
        weights: Option<&'a [f64]>,
        intercept: bool,
        copy: bool,
        r0: usize,
    }

    impl<T> BlockRows<'_, T> {
        /// Row `r`'s weight (1 without weights).
        #[inline(always)]
        fn weight(&self, r: usize) -> f64 {
            self.weights.map_or(1.0, |sw| sw[r])
        }

        /// Row `r`'s weighted second derivative and its slots in `Z` and `U`.
        #[inline(always)]
        fn slots<'g>(
            &self,
            r: usize,
            gram: &'g mut super::GramSum,
        ) -> (f64, &'g mut [f64], &'g mut [f64]) {
            let hr = self.weight(r) * self.h[r];
            let (zs, us) = gram.block_slots(self.r0 + r);
            (hr, zs, us)
        }

        /// A row's intercept: `h` in `U` past its `d` values, and 1 in `Z` when copied.
        #[inline(always)]
        fn intercept(&self, hr: f64, zs: &mut [f64], us: &mut [f64]) {
            if self.intercept {
                if self.copy {
                    zs[self.d] = 1.0;
                }
                us[self.d] = hr;
            }
        }
    }

    /// Writes `rows` into the Gram sum's block ([`BlockRows`]).
    #[inline(always)]
    unsafe fn block_rows<T: Element>(rows: BlockRows<'_, T>, gram: &mut super::GramSum) {
        let BlockRows { h, x, d, copy, .. } = rows;
        for r in 0..h.len() {
            let (hr, zs, us) = rows.slots(r, gram);
            // The row and h times it, four values a store; the last group's lanes past `d`
            // are zeros (the slots' padding), then the intercept's 1.
            let (zp, up) = (zs.as_mut_ptr(), us.as_mut_ptr());
            let hv = _mm256_set1_pd(hr);
            let xr = x.add(r * d);
            let mut j = 0;
            while j < d {
                let v = load(xr.add(j), d - j);
                if copy {
                    _mm256_storeu_pd(zp.add(j), v);
                }
                _mm256_storeu_pd(up.add(j), _mm256_mul_pd(hv, v));
                j += 4;
            }
            rows.intercept(hr, zs, us);
        }
    }

    /// [`super::any_loss`] in AVX2, the same dot products as [`any_grad`].
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `w` is not empty.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn any_loss<T: Element, L: Loss, W: RowWeights>(
        loss: &L,
        w: &[f64],
        b: f64,
        x: &[T],
        y: &[f64],
        sw: W,
    ) -> f64 {
        let d = w.len();
        assert!(d > 0);
        let rows = y.len().min(x.len() / d);
        let row_bytes = d * std::mem::size_of::<T>();
        let mut lsum = 0.0;
        let mut i = 0;
        if L::VECTOR4 && 16 * row_bytes <= GROUP_BYTES {
            // Sixteen rows' losses together, as `any_grad` (the same values).
            while i + 16 <= rows {
                let xi = x.as_ptr().add(i * d);
                let (z, t) = predict_rows::<16, T>(w, b, xi, d, &y[i..i + 16], AHEAD16, true);
                for (r, l) in loss.value16(&z, &t).iter().enumerate() {
                    lsum += sw.at(i + r) * l;
                }
                i += 16;
            }
        }
        // Eight rows' predictions at a time, as `any_grad` (the same values).
        while i + 8 <= rows {
            let xi = x.as_ptr().add(i * d);
            let (z, t) = predict_rows::<8, T>(w, b, xi, d, &y[i..i + 8], ahead8(row_bytes), true);
            for q in 0..2 {
                let lv = loss.value4(
                    [z[4 * q], z[4 * q + 1], z[4 * q + 2], z[4 * q + 3]],
                    [t[4 * q], t[4 * q + 1], t[4 * q + 2], t[4 * q + 3]],
                );
                for (r, l) in lv.iter().enumerate() {
                    lsum += sw.at(i + 4 * q + r) * l;
                }
            }
            i += 8;
        }
        while i < rows {
            let k = (rows - i).min(4);
            let xi = x.as_ptr().add(i * d);
            let (z, t) = predict4(w, b, xi, d, k, &y[i..i + k], AHEAD4);
            let lv = loss.value4(z, t);
            for (r, l) in lv.iter().enumerate().take(k) {
                lsum += sw.at(i + r) * l;
            }
            i += k;
        }
        lsum
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::loss::{LogLoss, Squared};
        use crate::model::weights::Unweighted;
        use rand::{Rng, SeedableRng};
        use rand_chacha::ChaCha8Rng;

        #[target_feature(enable = "avx2,fma")]
        unsafe fn both(v: &[[f64; 4]; 4]) -> ([f64; 4], [f64; 4]) {
            let s = [0, 1, 2, 3].map(|r| _mm256_loadu_pd(v[r].as_ptr()));
            let mut four = [0.0; 4];
            _mm256_storeu_pd(four.as_mut_ptr(), reduce4(s));
            (
                four,
                [reduce(s[0]), reduce(s[1]), reduce(s[2]), reduce(s[3])],
            )
        }

        /// The order of operations [`any_grad`] promises, one row and one value at a time:
        /// each prediction in four lanes of fused multiply-adds (a masked lane adds
        /// `0 * 0`), `(l0 + l2) + (l1 + l3) + b`; the loss of each row alone in a group of
        /// four; the gradient, loss and derivative sums in row order.
        fn scalar_grad<L: Loss>(
            loss: &L,
            w: &[f64],
            b: f64,
            x: &[f64],
            y: &[f64],
            g: &mut [f64],
        ) -> (f64, f64) {
            let d = w.len();
            let (mut lsum, mut dsum) = (0.0, 0.0);
            for (xi, &yi) in x.chunks_exact(d).zip(y) {
                let mut s = [0.0f64; 4];
                for j in (0..d).step_by(4) {
                    for (l, sl) in s.iter_mut().enumerate() {
                        *sl = match (w.get(j + l), xi.get(j + l)) {
                            (Some(wj), Some(xj)) => wj.mul_add(*xj, *sl),
                            _ => 0.0f64.mul_add(0.0, *sl),
                        };
                    }
                }
                let z = (s[0] + s[2]) + (s[1] + s[3]) + b;
                let (l, dl) = loss.value_deriv4([z; 4], [yi; 4]);
                lsum += l[0];
                dsum += dl[0];
                for (gj, xj) in g.iter_mut().zip(xi) {
                    *gj = dl[0].mul_add(*xj, *gj);
                }
            }
            (lsum, dsum)
        }

        /// [`any_grad`]'s kernels this CPU runs, by name: AVX2's, and AVX-512F's (whose
        /// gradient terms go eight columns a vector) where the CPU has it.
        fn wide_kernels<T: Element, L: Loss>() -> Vec<(&'static str, WideKernel<T, L>)> {
            let mut k: Vec<(&'static str, WideKernel<T, L>)> =
                vec![("avx2", any_grad256::<T, L, Unweighted>)];
            if crate::numeric::vmath::has_avx512f() {
                k.push(("avx512f", any_grad512::<T, L, Unweighted>));
            }
            k
        }

        type WideKernel<T, L> =
            unsafe fn(&L, &[f64], f64, &[T], &[f64], Unweighted, &mut [f64]) -> (f64, f64);

        /// Each of [`wide_kernels`] against [`scalar_grad`] on `x` (as `f64`, exact for
        /// `f32`): the same bits.
        fn check_wide<T: Element, L: Loss>(loss: &L, w: &[f64], x: &[T], y: &[f64], at: &str) {
            let d = w.len();
            let xf: Vec<f64> = x.iter().map(|&v| v.into()).collect();
            let mut want_g = vec![0.5; d];
            let want = scalar_grad(loss, w, 0.1, &xf, y, &mut want_g);
            for (name, kernel) in wide_kernels::<T, L>() {
                let mut g = vec![0.5; d];
                // SAFETY: the CPU has the kernel's instructions (`wide_kernels` checks AVX-512F,
                // the caller AVX2 and FMA); `w` is not empty and `g` holds `d` values.
                let got = unsafe { kernel(loss, w, 0.1, x, y, Unweighted, &mut g) };
                let at = format!("{at}, {name}");
                assert_eq!(got.0.to_bits(), want.0.to_bits(), "{at}");
                assert_eq!(got.1.to_bits(), want.1.to_bits(), "{at}");
                assert_eq!(
                    g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want_g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{at}"
                );
            }
        }

        #[test]
        fn wide_rows_eight_at_a_time_give_the_bits_of_one_at_a_time() {
            if !crate::numeric::vmath::has_avx2_fma() {
                return;
            }
            // Widths past the fixed kernels (whole and partial groups of four and eight; rows
            // within the first level's reach, whose dot products ask for the rows ahead, and
            // past it, 260 and 301 values and for `f32` 517, whose gradient terms run beside
            // the next group's dot products, or without AVX-512F ask sparsely), row counts
            // around the groups of eight and sixteen, a loss in vector code and one not, rows
            // of `f64` and of `f32`.
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            for d in [21, 24, 27, 100, 260, 301, 517] {
                for n in [1, 5, 7, 8, 9, 15, 16, 17, 23, 24, 31, 40] {
                    let x: Vec<f64> = (0..n * d)
                        .map(|_| rng.random::<f64>() * 4.0 - 2.0)
                        .collect();
                    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                    let y: Vec<f64> = (0..n).map(|i| f64::from(i % 3 == 0)).collect();
                    let w: Vec<f64> = (0..d).map(|_| rng.random::<f64>() - 0.5).collect();
                    let at = format!("d {d}, n {n}");
                    check_wide(&Squared, &w, &x, &y, &format!("{at}, squared, f64"));
                    check_wide(&LogLoss, &w, &x, &y, &format!("{at}, logistic, f64"));
                    check_wide(&Squared, &w, &x32, &y, &format!("{at}, squared, f32"));
                    check_wide(&LogLoss, &w, &x32, &y, &format!("{at}, logistic, f32"));
                }
            }
        }

        #[test]
        fn groups_of_eight_ask_past_the_next_group_and_within_the_first_level() {
            for row_bytes in (4..=4096).step_by(4) {
                let ahead = ahead8(row_bytes);
                // Never rows of the group being read, never past the group after next.
                assert!((8..=16).contains(&ahead), "{row_bytes} bytes: {ahead}");
                if 16 * row_bytes <= NEAR_AHEAD_BYTES {
                    assert!(ahead * row_bytes <= NEAR_AHEAD_BYTES, "{row_bytes} bytes");
                }
            }
            // 32, 80, 100, 128 and 200 doubles a row.
            let rows = [256, 640, 800, 1024, 1600].map(ahead8);
            assert_eq!(rows, [16, 16, 12, 10, 8]);
        }

        #[test]
        fn four_reductions_at_once_give_the_bits_of_one_at_a_time() {
            if !crate::numeric::vmath::has_avx2_fma() {
                return;
            }
            // Lanes where the order of the additions shows: (l0 + l2) + (l1 + l3) is 2 in
            // the first row, (l0 + l1) + (l2 + l3) would be 0; the rows differ too.
            let mut v = [
                [1e16, 1.0, -1e16, 1.0],
                [1.0, 1e16, 1.0, -1e16],
                [0.1, 0.2, 0.3, 0.4],
                [-3.5, 1e-300, f64::MAX, -f64::MAX],
            ];
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            let (four, one) = unsafe { both(&v) };
            assert_eq!(four.map(f64::to_bits), one.map(f64::to_bits));
            assert_eq!((four[0], four[1]), (2.0, 2.0));
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            for _ in 0..1000 {
                for x in v.iter_mut().flatten() {
                    let scale = 10f64.powi(rng.random_range(-20..20));
                    *x = (rng.random::<f64>() - 0.5) * scale;
                }
                // SAFETY: as above.
                let (four, one) = unsafe { both(&v) };
                assert_eq!(four.map(f64::to_bits), one.map(f64::to_bits), "{v:?}");
            }
        }
    }
}

impl<L: Loss> FiniteSum for Linear<'_, L> {
    fn n_rows(&self) -> usize {
        self.x.rows()
    }

    fn dim(&self) -> usize {
        self.x.cols() + usize::from(self.intercept)
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        match self.x {
            MatrixRef::F64(m) => self.accumulate_in(m.as_slice(), params, rows, grad),
            MatrixRef::F32(m) => self.accumulate_in(m.as_slice(), params, rows, grad),
        }
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        match self.x {
            MatrixRef::F64(m) => self.loss_sum_in(m.as_slice(), params, rows),
            MatrixRef::F32(m) => self.loss_sum_in(m.as_slice(), params, rows),
        }
    }

    fn as_sync(&self) -> Option<&(dyn FiniteSum + Sync)> {
        Some(self)
    }

    fn sgd_rows(
        &self,
        params: &mut [f64],
        rows: &[u32],
        lr: f64,
        epoch_grad: &mut [f64],
    ) -> Option<f64> {
        if self.penalty.l1 != 0.0 {
            return None;
        }
        match self.x {
            MatrixRef::F64(m) => self.sgd_in(m.as_slice(), params, rows, lr, epoch_grad),
            MatrixRef::F32(m) => self.sgd_in(m.as_slice(), params, rows, lr, epoch_grad),
        }
    }

    fn prefetch(&self, rows: Range<usize>) {
        let d = self.x.cols();
        let values = rows.start * d..rows.end * d;
        match self.x {
            MatrixRef::F64(m) => prefetch(m.as_slice().get(values).unwrap_or_default()),
            MatrixRef::F32(m) => prefetch(m.as_slice().get(values).unwrap_or_default()),
        }
        prefetch(self.y.get(rows).unwrap_or_default());
    }

    fn penalty(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.x.cols();
        self.penalty.smooth(&params[..d], &mut grad[..d])
    }

    fn penalty_value(&self, params: &[f64]) -> f64 {
        self.penalty.value(&params[..self.x.cols()])
    }

    fn has_hessian(&self) -> bool {
        true
    }

    fn hessian_sum(&self, params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        match self.x {
            MatrixRef::F64(m) => self.hessian_in(m.as_slice(), params, rows, out),
            MatrixRef::F32(m) => self.hessian_in(m.as_slice(), params, rows, out),
        }
    }

    fn hessian_runs(&self, params: &[f64], rows: Range<usize>, run: usize, out: &mut [f64]) {
        match self.x {
            MatrixRef::F64(m) => self.hessian_runs_in(m.as_slice(), params, rows, run, out),
            MatrixRef::F32(m) => self.hessian_runs_in(m.as_slice(), params, rows, run, out),
        }
    }

    /// Where the fused kernel runs ([`Linear::fused_runs_in`]: up to 20 features, AVX2
    /// and FMA), for a loss whose second derivative varies: a quadratic one's Hessian is
    /// the same at every point.
    fn fuses_hessian(&self) -> bool {
        !L::QUADRATIC && one_pass_kernel(self.x.cols())
    }

    fn cost_grad_hessian_runs(
        &self,
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> f64 {
        let fused = match self.x {
            MatrixRef::F64(m) => {
                self.fused_runs_in(m.as_slice(), params, rows.clone(), run, grad, out)
            }
            MatrixRef::F32(m) => {
                self.fused_runs_in(m.as_slice(), params, rows.clone(), run, grad, out)
            }
        };
        fused.unwrap_or_else(|| separate_runs(self, params, rows, run, grad, out))
    }

    fn penalty_hessian(&self, _params: &[f64], out: &mut [f64]) {
        let dim = self.dim();
        for j in 0..self.x.cols() {
            out[j * dim + j] += self.penalty.l2;
        }
    }

    fn prox(&self, params: &mut [f64], step: f64) {
        let d = self.x.cols();
        self.penalty.prox(&mut params[..d], step);
    }

    fn has_prox(&self) -> bool {
        self.penalty.l1 > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Matrix, MatrixF32};
    use crate::loss::{LogLoss, Squared};
    use crate::objective::FullBatch;
    use crate::Objective;

    #[test]
    fn textbook_mse_and_gradient() {
        // y = m x + b at m = 1, b = 0.5 on three points, by hand:
        // residuals y - pred: 2-1.5=0.5, 2.5-2.5=0, 5-3.5=1.5
        let x = Matrix::from_rows(&[[1.0], [2.0], [3.0]]);
        let y = [2.0, 2.5, 5.0];
        let model = Linear::new(&x, &y, Squared);
        let obj = FullBatch::new(&model);
        let mut g = [0.0; 2];
        let f = obj.cost_grad(&[1.0, 0.5], &mut g);
        assert!((f - (0.25 + 0.0 + 2.25) / 3.0).abs() < 1e-15);
        // dm = 1/3 * sum -2 x r = -2/3 * (0.5 + 0 + 4.5); db = -2/3 * (0.5 + 0 + 1.5)
        assert!((g[0] - (-2.0 / 3.0 * 5.0)).abs() < 1e-15);
        assert!((g[1] - (-2.0 / 3.0 * 2.0)).abs() < 1e-15);
        assert!((obj.cost(&[1.0, 0.5]) - f).abs() < 1e-15);
    }

    /// A matrix of `n x d` values in [-1, 1), deterministic, with targets.
    fn grid(n: usize, d: usize) -> (Matrix, Vec<f64>) {
        let v: Vec<f64> = (0..n * d)
            .map(|k| ((k * 7919 + 13) % 2003) as f64 / 1001.5 - 1.0)
            .collect();
        let y = (0..n).map(|i| ((i * 31) % 17) as f64 / 8.0 - 1.0).collect();
        (Matrix::from_row_major(n, d, v).unwrap(), y)
    }

    /// Equal to a few roundings of a sum of a few dozen terms (fused multiply-adds round
    /// once where the portable kernels round twice).
    fn close(a: f64, b: f64, d: usize) {
        assert!(
            (a - b).abs() <= 1e-13 * a.abs().max(b.abs()).max(1.0),
            "d = {d}: {a} vs {b}"
        );
    }

    #[test]
    fn the_blocked_hessian_of_a_range_matches_row_by_row_sums() {
        // A range of rows takes the vector path where the CPU has AVX2 (dot products and
        // second derivatives four rows at a time, rows stored with vector stores); a list of
        // the same rows takes the row-by-row one. Column counts around the vector width,
        // with and without intercept and weights, f64 and f32 storage, row counts that leave
        // short groups and short blocks.
        for d in [1, 3, 4, 5, 8, 20, 21, 33, 100, 101] {
            for (n, intercept) in [(37, true), (150, false), (4, true)] {
                let (x, y) = grid(n, d);
                let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
                let sw: Vec<f64> = (0..n).map(|i| [1.0, 0.5, 0.0, 2.0][i % 4]).collect();
                let x32 = MatrixF32::from_f64(&x).unwrap();
                let idx: Vec<usize> = (0..n).collect();
                for weights in [None, Some(&sw[..])] {
                    for xr in [MatrixRef::from(&x), MatrixRef::from(&x32)] {
                        let m = Linear::new(xr, &y, LogLoss)
                            .weights(weights)
                            .intercept(intercept);
                        let dim = m.dim();
                        let p: Vec<f64> = (0..dim).map(|j| 0.4 - 0.09 * j as f64).collect();
                        let (mut h1, mut h2) = (vec![0.0; dim * dim], vec![0.0; dim * dim]);
                        m.hessian_sum(&p, Rows::Range(0..n), &mut h1);
                        m.hessian_sum(&p, Rows::Indices(&idx), &mut h2);
                        for (a, b) in h1.iter().zip(&h2) {
                            close(*a, *b, d);
                        }
                        assert!(h1.iter().any(|v| *v != 0.0));
                    }
                }
            }
        }
    }

    #[test]
    fn rows_written_eight_values_a_vector_give_the_bits_of_four() {
        // `block_rows8` (AVX-512F) writes what `block_rows` writes: the same Hessian to the
        // bit, for widths that end in a whole vector of eight, of four, or a few values,
        // copied (f32) or read in place, with and without intercept and weights.
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() && crate::numeric::vmath::has_avx512f() {
            for d in [1, 5, 8, 9, 12, 21, 24, 27, 31, 100] {
                let n = 150;
                let (x, y) = grid(n, d);
                let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
                let sw: Vec<f64> = (0..n).map(|i| [1.0, 0.5, 0.0, 2.0][i % 4]).collect();
                let x32 = MatrixF32::from_f64(&x).unwrap();
                let w: Vec<f64> = (0..d).map(|j| 0.4 - 0.09 * j as f64).collect();
                for intercept in [true, false] {
                    for weights in [None, Some(&sw[..])] {
                        let dim = d + usize::from(intercept);
                        let sum = |wide: bool, f32: bool| {
                            let mut gram = GramSum::new(dim);
                            let mut h = vec![0.0; dim * dim];
                            macro_rules! run {
                                ($x:expr) => {{
                                    let pass = avx2::HessianPass {
                                        loss: &LogLoss,
                                        w: &w,
                                        b: 0.3,
                                        x: $x,
                                        y: &y,
                                        weights,
                                        intercept,
                                    };
                                    // SAFETY: AVX2, FMA and AVX-512F (checked above); `x`
                                    // holds `n` rows of `d` values.
                                    unsafe { avx2::hessian_rows_in(&pass, 2..n, &mut gram, wide) }
                                }};
                            }
                            if f32 {
                                run!(x32.as_slice())
                            } else {
                                run!(x.as_slice())
                            }
                            gram.finish(&mut h);
                            h
                        };
                        for f32 in [false, true] {
                            let (a, b) = (sum(true, f32), sum(false, f32));
                            assert!(a.iter().any(|v| *v != 0.0));
                            for (a, b) in a.iter().zip(&b) {
                                assert_eq!(a.to_bits(), b.to_bits(), "d = {d} {intercept} {f32}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn hessian_runs_give_the_bits_of_a_matrix_a_run() {
        // `Linear::hessian_runs` ends each run into one total (`GramSum::end_run`): the bits
        // of the trait's default, each run summed into a matrix of zeros and the matrices
        // added in order, at widths of the fixed kernels and of the any-width one.
        for d in [3, 20, 33, 100] {
            let n = 1300;
            let (x, y) = grid(n, d);
            let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
            let m = Linear::new(&x, &y, LogLoss);
            let dim = m.dim();
            let p: Vec<f64> = (0..dim).map(|j| 0.4 - 0.09 * j as f64).collect();
            for run in [1000, 512, 100] {
                let mut want = vec![0.0; dim * dim];
                for r in runs(7..n, run) {
                    let mut block = vec![0.0; dim * dim];
                    m.hessian_sum(&p, Rows::Range(r), &mut block);
                    for (w, b) in want.iter_mut().zip(&block) {
                        *w += b;
                    }
                }
                let mut got = vec![f64::NAN; dim * dim];
                m.hessian_runs(&p, 7..n, run, &mut got);
                for (a, b) in got.iter().zip(&want) {
                    assert_eq!(a.to_bits(), b.to_bits(), "d = {d}, runs of {run}");
                }
            }
        }
    }

    #[test]
    fn the_fixed_width_hessian_gives_the_bits_of_the_any_width_one() {
        // Widths 1 to 20 take `fixed_hessian_rows`; it must sum what `hessian_rows` sums, in
        // the same order: row counts that leave groups of sixteen, of four and fewer, with
        // and without intercept and weights (zeros among them), f64 and f32 storage.
        #[cfg(target_arch = "x86_64")]
        fn check<T: Element>(x: &[T], y: &[f64], d: usize, sw: Option<&[f64]>, intercept: bool) {
            let w: Vec<f64> = (0..d).map(|j| 0.4 - 0.09 * j as f64).collect();
            let n = y.len();
            let dim = d + usize::from(intercept);
            let (mut h1, mut h2) = (vec![0.0; dim * dim], vec![0.0; dim * dim]);
            for (h, fixed) in [(&mut h1, true), (&mut h2, false)] {
                let mut gram = GramSum::new(dim);
                let pass = avx2::HessianPass {
                    loss: &LogLoss,
                    w: &w,
                    b: 0.3,
                    x,
                    y,
                    weights: sw,
                    intercept,
                };
                // SAFETY: the caller checked AVX2 and FMA; `x` holds `n` rows of `d` values.
                unsafe {
                    if fixed {
                        with_fixed_columns!(d, D, C =>
                            avx2::fixed_hessian_rows::<D, C, T, LogLoss, false>(
                                &pass, 1..n, &mut gram, &mut avx2::FirstOrder::new()),
                            unreachable!("widths up to 20 are fixed"))
                    } else {
                        avx2::hessian_rows(&pass, 1..n, &mut gram)
                    }
                }
                gram.finish(h);
            }
            for (a, b) in h1.iter().zip(&h2) {
                assert_eq!(a.to_bits(), b.to_bits(), "d = {d}, n = {n}, {intercept}");
            }
            assert!(h1.iter().any(|v| *v != 0.0));
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            for d in [1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 17, 19, 20] {
                for n in [3, 18, 37, 150] {
                    let (x, y) = grid(n, d);
                    let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
                    let sw: Vec<f64> = (0..n).map(|i| [1.0, 0.5, 0.0, 2.0][i % 4]).collect();
                    let x32 = MatrixF32::from_f64(&x).unwrap();
                    for intercept in [true, false] {
                        for weights in [None, Some(&sw[..])] {
                            check(x.as_slice(), &y, d, weights, intercept);
                            check(x32.as_slice(), &y, d, weights, intercept);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_kernel_gives_the_same_sums() {
        // The dispatched kernel (AVX2 and FMA where the CPU has them) against the portable
        // ones, for fixed and any column counts, f64 and f32 storage, smooth and kinked
        // losses; ranges and index lists of the same rows give the same sums too.
        fn check<T: Element, L: Loss>(loss: L, x: &[T], y: &[f64], d: usize) {
            let w: Vec<f64> = (0..d).map(|j| 0.3 - 0.07 * j as f64).collect();
            let mut g1 = vec![0.0; d];
            let mut g2 = vec![0.0; d];
            let u = Unweighted;
            let r1 = range_grad(&loss, &w, 0.25, x, y, u, &mut g1);
            let r2 = with_fixed_columns!(d, D, C =>
                fixed_grad::<D, C, T, L, Unweighted>(&loss, &w, 0.25, x, y, u, &mut g2),
                any_grad(&loss, &w, 0.25, x, y, u, &mut g2));
            close(r1.0, r2.0, d);
            close(r1.1, r2.1, d);
            for (a, b) in g1.iter().zip(&g2) {
                close(*a, *b, d);
            }
            let l1 = range_loss(&loss, &w, 0.25, x, y, u);
            let l2 = with_fixed_columns!(d, D, C =>
                fixed_loss::<D, C, T, L, Unweighted>(&loss, &w, 0.25, x, y, u),
                any_loss(&loss, &w, 0.25, x, y, u));
            close(l1, l2, d);
            // The loss-only kernel and the fused one do the same operations: the same bits.
            assert_eq!(l1, r1.0, "d = {d}");
        }
        for d in [1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 17, 20, 21, 22, 40, 101] {
            let (x, y) = grid(37, d);
            let x32 = MatrixF32::from_f64(&x).unwrap();
            check(Squared, x.as_slice(), &y, d);
            check(Squared, x32.as_slice(), &y, d);
            check(crate::loss::Huber::new(0.3), x.as_slice(), &y, d);
            let yb: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
            check(LogLoss, x32.as_slice(), &yb, d);
            // Logits in the tails too (the vector exp and ln_1p against the scalar ones).
            let big: Vec<f64> = x.as_slice().iter().map(|v| 40.0 * v).collect();
            check(LogLoss, &big, &yb, d);

            let model = Linear::new(&x, &y, Squared);
            let params: Vec<f64> = (0..=d).map(|j| 0.1 * j as f64 - 0.2).collect();
            let idx: Vec<usize> = (5..30).collect();
            let (mut ga, mut gb) = (vec![0.0; d + 1], vec![0.0; d + 1]);
            let la = model.accumulate(&params, Rows::Range(5..30), &mut ga);
            let lb = model.accumulate(&params, Rows::Indices(&idx), &mut gb);
            close(la, lb, d);
            for (a, b) in ga.iter().zip(&gb) {
                close(*a, *b, d);
            }
            assert_eq!(model.loss_sum(&params, Rows::Indices(&idx)), lb);
            assert_eq!(model.loss_sum(&params, Rows::Range(5..30)), la);
        }
    }

    #[test]
    fn weights_count_rows_as_repeats_and_ones_change_no_bit() {
        // Integer weights: the sums of the rows repeated that many times (to rounding);
        // weights of one: the unweighted sums exactly; weight 0: the row left out.
        for d in [1, 3, 4, 6, 10, 16, 17, 25] {
            let (x, y) = grid(41, d);
            let w: Vec<f64> = (0..41).map(|i| (i % 4) as f64).collect();
            let rep: Vec<usize> = (0..41)
                .flat_map(|i| std::iter::repeat_n(i, i % 4))
                .collect();
            let xr = Matrix::from_row_major(
                rep.len(),
                d,
                rep.iter().flat_map(|&i| x.row(i).to_vec()).collect(),
            )
            .unwrap();
            let yr: Vec<f64> = rep.iter().map(|&i| y[i]).collect();
            let params: Vec<f64> = (0..=d).map(|j| 0.2 - 0.05 * j as f64).collect();
            let x32 = MatrixF32::from_f64(&x).unwrap();
            let xr32 = MatrixF32::from_f64(&xr).unwrap();
            for (xs, xrs) in [((&x).into(), (&xr).into()), ((&x32).into(), (&xr32).into())] {
                let xs: MatrixRef = xs;
                let xrs: MatrixRef = xrs;
                let weighted = Linear::new(xs, &y, Squared).weights(Some(&w));
                let repeated = Linear::new(xrs, &yr, Squared);
                let (mut g1, mut g2) = (vec![0.0; d + 1], vec![0.0; d + 1]);
                let l1 = weighted.accumulate(&params, Rows::Range(0..41), &mut g1);
                let l2 = repeated.accumulate(&params, Rows::Range(0..rep.len()), &mut g2);
                close(l1, l2, d);
                for (a, b) in g1.iter().zip(&g2) {
                    close(*a, *b, d);
                }
                close(weighted.loss_sum(&params, Rows::Range(0..41)), l2, d);
                let idx: Vec<usize> = (0..41).collect();
                let mut g3 = vec![0.0; d + 1];
                close(
                    weighted.accumulate(&params, Rows::Indices(&idx), &mut g3),
                    l2,
                    d,
                );
                for (a, b) in g3.iter().zip(&g2) {
                    close(*a, *b, d);
                }
                let (mut h1, mut h2) = (vec![0.0; (d + 1) * (d + 1)], vec![0.0; (d + 1) * (d + 1)]);
                weighted.hessian_sum(&params, Rows::Range(0..41), &mut h1);
                repeated.hessian_sum(&params, Rows::Range(0..rep.len()), &mut h2);
                for (a, b) in h1.iter().zip(&h2) {
                    close(*a, *b, d);
                }

                let ones = vec![1.0; 41];
                let plain = Linear::new(xs, &y, LogLoss);
                let unit = Linear::new(xs, &y, LogLoss).weights(Some(&ones));
                let yb: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
                let (plain, unit) = (Linear { y: &yb, ..plain }, Linear { y: &yb, ..unit });
                for rows in [Rows::Range(3..40), Rows::Indices(&idx[5..30])] {
                    let (mut ga, mut gb) = (vec![0.0; d + 1], vec![0.0; d + 1]);
                    let la = plain.accumulate(&params, rows.clone(), &mut ga);
                    let lb = unit.accumulate(&params, rows.clone(), &mut gb);
                    assert_eq!((la, &ga), (lb, &gb), "d = {d}");
                    assert_eq!(
                        plain.loss_sum(&params, rows.clone()),
                        unit.loss_sum(&params, rows)
                    );
                }
            }
        }
    }

    #[test]
    fn f32_storage_reads_the_rounded_values() {
        let (x, y) = grid(50, 6);
        let x32 = MatrixF32::from_f64(&x).unwrap();
        let widened = x32.to_f64();
        let params = [0.5, -0.25, 0.125, 1.0, -2.0, 0.75, 0.3];
        for loss in [true, false] {
            let (mut g1, mut g2) = (vec![0.0; 7], vec![0.0; 7]);
            let (l1, l2) = if loss {
                let m1 = Linear::new(&x32, &y, Squared);
                let m2 = Linear::new(&widened, &y, Squared);
                assert_eq!(m1.precision(), Precision::F32);
                (
                    m1.accumulate(&params, Rows::Range(0..50), &mut g1),
                    m2.accumulate(&params, Rows::Range(0..50), &mut g2),
                )
            } else {
                let yb: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
                let m1 = Linear::new(&x32, &yb, LogLoss).intercept(false);
                let m2 = Linear::new(&widened, &yb, LogLoss).intercept(false);
                (
                    m1.accumulate(&params[..6], Rows::Range(0..50), &mut g1[..6]),
                    m2.accumulate(&params[..6], Rows::Range(0..50), &mut g2[..6]),
                )
            };
            assert_eq!(l1, l2);
            assert_eq!(g1, g2);
        }
        // The Hessian reads them the same way.
        let m1 = Linear::new(&x32, &y, Squared);
        let m2 = Linear::new(&widened, &y, Squared);
        let (mut h1, mut h2) = (vec![0.0; 49], vec![0.0; 49]);
        m1.hessian_sum(&params, Rows::Range(0..50), &mut h1);
        m2.hessian_sum(&params, Rows::Range(0..50), &mut h2);
        assert_eq!(h1, h2);
    }

    #[test]
    fn prefetch_ignores_rows_out_of_range() {
        let (x, y) = grid(10, 3);
        let model = Linear::new(&x, &y, Squared);
        model.prefetch(0..10);
        model.prefetch(8..40);
        model.prefetch(50..60);
        assert!(model.as_sync().is_some());
    }

    #[test]
    fn the_fused_pass_gives_the_bits_of_separate_ones() {
        // Loss, gradient and Hessian in one pass against the loss and gradient run by run
        // (`accumulate`) and the Hessian apart (`hessian_runs`): the same bits, for widths
        // with and without a fixed kernel, runs that leave groups of sixteen, of four and
        // fewer, a range not from row 0, weights (zeros among them), f32 storage, a smooth
        // and a kinked loss and logits in the exp's tails.
        fn check<L: Loss>(model: &Linear<'_, L>, d: usize, scale: f64) {
            let dim = model.dim();
            let params: Vec<f64> = (0..dim).map(|j| scale * (0.3 - 0.07 * j as f64)).collect();
            let n = model.n_rows();
            for (rows, run) in [(0..n, 512), (3..n, 100), (5..n - 2, 7), (0..n, n)] {
                let (mut g1, mut g2) = (vec![f64::NAN; dim], vec![f64::NAN; dim]);
                let (mut h1, mut h2) = (vec![f64::NAN; dim * dim], vec![f64::NAN; dim * dim]);
                let l1 = model.cost_grad_hessian_runs(&params, rows.clone(), run, &mut g1, &mut h1);
                let l2 = separate_runs(model, &params, rows.clone(), run, &mut g2, &mut h2);
                let what = format!("d {d}, rows {rows:?}, run {run}");
                assert_eq!(l1.to_bits(), l2.to_bits(), "loss, {what}");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&g1), bits(&g2), "gradient, {what}");
                assert_eq!(bits(&h1), bits(&h2), "Hessian, {what}");
                assert!(l1.is_finite() && g1.iter().chain(&h1).all(|v| v.is_finite()));
            }
        }
        for d in [1, 3, 4, 5, 8, 13, 17, 20, 23] {
            let (x, y) = grid(1203, d);
            let x32 = MatrixF32::from_f64(&x).unwrap();
            let yb: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
            let sw: Vec<f64> = (0..1203).map(|i| (i % 5) as f64 * 0.5).collect();
            for intercept in [true, false] {
                let m = Linear::new(&x, &yb, LogLoss).intercept(intercept);
                check(&m, d, 1.0);
                check(&m, d, 60.0);
                check(&m.weights(Some(&sw)), d, 1.0);
                check(
                    &Linear::new(&x32, &yb, LogLoss).intercept(intercept),
                    d,
                    1.0,
                );
                let huber = Linear::new(&x, &y, crate::loss::Huber::new(0.3));
                check(&huber.intercept(intercept).weights(Some(&sw)), d, 1.0);
            }
            // Newton is told to fuse only where the kernel runs and the Hessian varies.
            let fused = d <= 20 && crate::numeric::vmath::has_avx2_fma();
            assert_eq!(Linear::new(&x, &yb, LogLoss).fuses_hessian(), fused);
            assert!(!Linear::new(&x, &y, Squared).fuses_hessian());
        }
    }
}

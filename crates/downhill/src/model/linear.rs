use crate::data::{Element, MatrixRef, Precision};
use crate::loss::Loss;
use crate::numeric::{axpy_wide, dot_wide};
use crate::penalty::Penalty;
use crate::{FiniteSum, Rows};

/// A linear model `pred = w . x + b` with a per-row loss, e.g. least squares:
/// `f(w, b) = 1/N * sum_i (y_i - (w . x_i + b))^2 + penalty(w)`.
///
/// Parameters: `[w_1, .., w_d, b]` (no `b` without an intercept).
///
/// The features may be stored as `f64` ([`Matrix`](crate::data::Matrix)) or `f32`
/// ([`MatrixF32`](crate::data::MatrixF32)); either way every value is widened to `f64` as
/// it is read and all sums are in `f64`. The kernel reads each row once: the prediction, the
/// loss and its derivative, and the row's share of the gradient in one pass. On a range of
/// rows with up to 16 features it runs a copy compiled for that exact
/// number of features, with the gradient kept in registers for the whole range; the
/// storage type and the copy are chosen once per call, never per row.
#[derive(Debug, Clone, Copy)]
pub struct Linear<'a, L> {
    x: MatrixRef<'a>,
    y: &'a [f64],
    loss: L,
    intercept: bool,
    penalty: Penalty,
}

/// Calls `$fixed` with the const `$D` equal to `$d` when `1 <= $d <= 16`, `$any`
/// otherwise: one `match` per kernel call. (Past 16 features the row loops are long enough
/// to run well without knowing their length.)
macro_rules! with_fixed_columns {
    ($d:expr, $D:ident => $fixed:expr, $any:expr) => {
        with_fixed_columns!(@arms $d, $D, $fixed, $any; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    };
    (@arms $d:expr, $D:ident, $fixed:expr, $any:expr; $($n:literal)*) => {
        match $d {
            $($n => {
                const $D: usize = $n;
                $fixed
            })*
            _ => $any,
        }
    };
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
        }
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

    /// The kernel on values stored as `T`.
    #[inline]
    fn accumulate_in<T: Element>(
        &self,
        x: &[T],
        params: &[f64],
        rows: Rows<'_>,
        grad: &mut [f64],
    ) -> f64 {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        let (gw, gb) = grad.split_at_mut(d);
        let (loss, dsum) = match rows {
            Rows::Range(r) => {
                let (xs, ys) = (&x[r.start * d..r.end * d], &self.y[r]);
                range_grad(&self.loss, w, b, xs, ys, gw)
            }
            Rows::Indices(idx) => {
                let (mut loss, mut dsum) = (0.0, 0.0);
                for &i in idx {
                    let xi = &x[i * d..(i + 1) * d];
                    let (l, dl) = self.loss.value_deriv(dot_wide(w, xi) + b, self.y[i]);
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

    /// The loss alone on values stored as `T`.
    #[inline]
    fn loss_sum_in<T: Element>(&self, x: &[T], params: &[f64], rows: Rows<'_>) -> f64 {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        match rows {
            Rows::Range(r) => {
                let (xs, ys) = (&x[r.start * d..r.end * d], &self.y[r]);
                range_loss(&self.loss, w, b, xs, ys)
            }
            Rows::Indices(idx) => idx
                .iter()
                .map(|&i| {
                    let xi = &x[i * d..(i + 1) * d];
                    self.loss.value(dot_wide(w, xi) + b, self.y[i])
                })
                .fold(0.0, |a, l| a + l),
        }
    }

    /// `sum_{i in rows} l''(pred_i) [x_i, 1] [x_i, 1]^T` on values stored as `T`.
    fn hessian_in<T: Element>(&self, x: &[T], params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        let d = self.x.cols();
        let dim = self.dim();
        let (w, b) = self.split(params);
        rows.for_each(|i| {
            let xi = &x[i * d..(i + 1) * d];
            let h = self.loss.second_deriv(dot_wide(w, xi) + b, self.y[i]);
            if h == 0.0 {
                return;
            }
            // [x, 1] h [x, 1]^T, upper and lower triangle alike.
            for j in 0..d {
                let hx = h * xi[j].into();
                axpy_wide(hx, xi, &mut out[j * dim..j * dim + d]);
                if self.intercept {
                    out[j * dim + d] += hx;
                    out[d * dim + j] += hx;
                }
            }
            if self.intercept {
                out[d * dim + d] += h;
            }
        });
    }
}


/// The fused kernel on a range of rows (`x` row-major, `w.len()` values per row): `(loss
/// sum, sum of dl/dpred)`, the weights' gradient added into `g`. The CPU's instruction set
/// is checked once per call (a cached flag): with AVX2 the same code runs compiled for it,
/// twice the values per instruction. Only the instructions differ, never the order of the
/// operations (no fused multiply-add), so both give the same bits.
#[inline]
fn range_grad<T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    g: &mut [f64],
) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { range_grad_avx2(loss, w, b, x, y, g) };
        }
    }
    range_grad_base(loss, w, b, x, y, g)
}

/// [`range_grad_base`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn range_grad_avx2<T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    g: &mut [f64],
) -> (f64, f64) {
    range_grad_base(loss, w, b, x, y, g)
}

/// [`range_grad`] for the instruction set it is inlined into.
#[inline(always)]
fn range_grad_base<T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    g: &mut [f64],
) -> (f64, f64) {
    with_fixed_columns!(w.len(), D => fixed_grad::<D, T, L>(loss, w, b, x, y, g),
        any_grad(loss, w, b, x, y, g))
}

/// The loss-only kernel on a range of rows, dispatched as [`range_grad`].
#[inline]
fn range_loss<T: Element, L: Loss>(loss: &L, w: &[f64], b: f64, x: &[T], y: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { range_loss_avx2(loss, w, b, x, y) };
        }
    }
    range_loss_base(loss, w, b, x, y)
}

/// [`range_loss_base`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn range_loss_avx2<T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
) -> f64 {
    range_loss_base(loss, w, b, x, y)
}

/// [`range_loss`] for the instruction set it is inlined into.
#[inline(always)]
fn range_loss_base<T: Element, L: Loss>(loss: &L, w: &[f64], b: f64, x: &[T], y: &[f64]) -> f64 {
    with_fixed_columns!(w.len(), D => fixed_loss::<D, T, L>(loss, w, b, x, y),
        any_loss(loss, w, b, x, y))
}

/// The rows of `x` (row-major, `D` values each) as arrays, so that each row's loops unroll.
#[inline(always)]
fn fixed_rows<const D: usize, T: Element>(x: &[T]) -> impl Iterator<Item = &[T; D]> {
    x.chunks_exact(D)
        .map(|row| <&[T; D]>::try_from(row).expect("chunks_exact yields rows of D values"))
}

/// The fused kernel for exactly `D` features: `(loss sum, sum of dl/dpred)`, the weights'
/// gradient added into `g`. The gradient is summed in a local array (registers) over the
/// range, in the same order as adding row by row into `g`, then added to `g` once.
#[inline(always)]
fn fixed_grad<const D: usize, T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    g: &mut [f64],
) -> (f64, f64) {
    let w = <&[f64; D]>::try_from(w).expect("D weights");
    let mut acc = [0.0f64; D];
    let (mut lsum, mut dsum) = (0.0, 0.0);
    for (xi, &yi) in fixed_rows::<D, T>(x).zip(y) {
        let (l, dl) = loss.value_deriv(dot_wide(w, xi) + b, yi);
        lsum += l;
        dsum += dl;
        for (a, v) in acc.iter_mut().zip(xi) {
            *a += dl * (*v).into();
        }
    }
    for (gj, a) in g.iter_mut().zip(acc) {
        *gj += a;
    }
    (lsum, dsum)
}

/// The fused kernel for any number of features.
#[inline(always)]
fn any_grad<T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
    g: &mut [f64],
) -> (f64, f64) {
    let d = w.len();
    let (mut lsum, mut dsum) = (0.0, 0.0);
    if d == 0 {
        for &yi in y {
            let (l, dl) = loss.value_deriv(b, yi);
            lsum += l;
            dsum += dl;
        }
        return (lsum, dsum);
    }
    for (xi, &yi) in x.chunks_exact(d).zip(y) {
        let (l, dl) = loss.value_deriv(dot_wide(w, xi) + b, yi);
        lsum += l;
        dsum += dl;
        axpy_wide(dl, xi, g);
    }
    (lsum, dsum)
}

/// The loss-only kernel for exactly `D` features.
#[inline(always)]
fn fixed_loss<const D: usize, T: Element, L: Loss>(
    loss: &L,
    w: &[f64],
    b: f64,
    x: &[T],
    y: &[f64],
) -> f64 {
    let w = <&[f64; D]>::try_from(w).expect("D weights");
    let mut lsum = 0.0;
    for (xi, &yi) in fixed_rows::<D, T>(x).zip(y) {
        lsum += loss.value(dot_wide(w, xi) + b, yi);
    }
    lsum
}

/// The loss-only kernel for any number of features.
#[inline(always)]
fn any_loss<T: Element, L: Loss>(loss: &L, w: &[f64], b: f64, x: &[T], y: &[f64]) -> f64 {
    let d = w.len();
    if d == 0 {
        return y.iter().fold(0.0, |a, &yi| a + loss.value(b, yi));
    }
    x.chunks_exact(d)
        .zip(y)
        .fold(0.0, |a, (xi, &yi)| a + loss.value(dot_wide(w, xi) + b, yi))
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
}

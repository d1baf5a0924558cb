use super::Linear;
use crate::data::Matrix;
use crate::loss::Loss;
use crate::numeric::CompensatedSum;
use crate::objective::Hessian;
use crate::penalty::Penalty;
use crate::Objective;
use std::cell::RefCell;

/// The linear model of [`Linear`] as a full-batch [`Objective`] with its [`Hessian`], for
/// second-order and line-search drivers ([`crate::solver`]) where accuracy is the point.
///
/// Cost `f(w, b) = 1/N * sum_i l(w . x_i + b, y_i) + l2/2 * |w|^2`, the same function as
/// [`FullBatch`](crate::objective::FullBatch) of [`Linear`] (with an L2 penalty only: the
/// drivers do not take proximal steps), evaluated more accurately:
///
/// - each prediction is an error-free dot product (products split by `fma`, sums by
///   two-sum), so `pred = hi + lo` keeps the digits that cancel between nearly collinear
///   features and between prediction and target;
/// - the loss and its derivative are taken at `hi` and corrected to first order with the
///   next derivative (`l'(hi) + l''(hi) lo`), exact for squared error;
/// - every sum over rows (loss, gradient, Hessian) is compensated.
///
/// Hessian: `1/N * sum_i l''(pred_i) z_i z_i^T + l2` on the weights' diagonal, with
/// `z_i = [x_i, 1]` (`[x_i]` without an intercept), dense row-major.
///
/// A separate type because [`Linear`]'s data is private to its module: build both from the
/// same data with [`LinearSecondOrder::model`].
#[derive(Debug)]
pub struct LinearSecondOrder<'a, L> {
    x: &'a Matrix,
    y: &'a [f64],
    loss: L,
    intercept: bool,
    l2: f64,
    /// Gradient and Hessian accumulators, allocated on first use.
    grad_sums: RefCell<Vec<CompensatedSum>>,
    hess_sums: RefCell<Vec<CompensatedSum>>,
}

impl<'a, L: Loss> LinearSecondOrder<'a, L> {
    /// A linear model of `y` on the columns of `x`, with an intercept and no penalty.
    ///
    /// # Panics
    /// When `y` does not have one value per row of `x`, as [`Linear::new`].
    pub fn new(x: &'a Matrix, y: &'a [f64], loss: L) -> Self {
        assert_eq!(x.rows(), y.len(), "one target per row");
        LinearSecondOrder {
            x,
            y,
            loss,
            intercept: true,
            l2: 0.0,
            grad_sums: RefCell::new(Vec::new()),
            hess_sums: RefCell::new(Vec::new()),
        }
    }

    /// With or without an intercept (default: with).
    pub fn intercept(mut self, yes: bool) -> Self {
        self.intercept = yes;
        self
    }

    /// Strength of the L2 penalty `l2/2 * |w|^2` on the weights.
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }

    /// The same model as a [`Linear`] (a [`FiniteSum`](crate::FiniteSum) for the training
    /// loop and [`FullBatch`](crate::objective::FullBatch)).
    pub fn model(&self) -> Linear<'a, L> {
        Linear::new(self.x, self.y, self.loss)
            .intercept(self.intercept)
            .penalty(Penalty {
                l1: 0.0,
                l2: self.l2,
            })
    }

    fn n_params(&self) -> usize {
        self.x.cols() + usize::from(self.intercept)
    }

    /// `w . x_i + b` as an unevaluated sum `hi + lo` (`hi` the rounded value).
    #[inline]
    fn predict(&self, params: &[f64], i: usize) -> (f64, f64) {
        let d = self.x.cols();
        let mut s = 0.0;
        let mut err = 0.0;
        for (w, x) in params[..d].iter().zip(self.x.row(i)) {
            let p = w * x;
            err += w.mul_add(*x, -p);
            let (t, e) = two_sum(s, p);
            s = t;
            err += e;
        }
        if self.intercept {
            let (t, e) = two_sum(s, params[d]);
            s = t;
            err += e;
        }
        let hi = s + err;
        (hi, err - (hi - s))
    }

    /// Value of the L2 penalty.
    fn penalty_value(&self, params: &[f64]) -> f64 {
        let w = &params[..self.x.cols()];
        0.5 * self.l2 * crate::numeric::dot(w, w)
    }
}

/// Knuth's two-sum: `a + b = s + e` exactly.
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let z = s - a;
    (s, (a - (s - z)) + (b - z))
}

/// `sum += a * b` with the product's rounding error (by `fma`) added too.
#[inline]
fn add_product(sum: &mut CompensatedSum, a: f64, b: f64) {
    let p = a * b;
    sum.add(p);
    sum.add(a.mul_add(b, -p));
}

impl<L: Loss> Objective for LinearSecondOrder<'_, L> {
    fn dim(&self) -> usize {
        self.n_params()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let (n, d, dim) = (self.x.rows(), self.x.cols(), self.n_params());
        let mut sums = self.grad_sums.borrow_mut();
        sums.clear();
        sums.resize(dim, CompensatedSum::default());
        let mut loss = CompensatedSum::default();
        for i in 0..n {
            let (hi, lo) = self.predict(params, i);
            let (l, dl) = self.loss.value_deriv(hi, self.y[i]);
            loss.add(l);
            loss.add(dl * lo);
            let dl = dl + self.loss.second_deriv(hi, self.y[i]) * lo;
            for (s, x) in sums[..d].iter_mut().zip(self.x.row(i)) {
                add_product(s, dl, *x);
            }
            if self.intercept {
                sums[d].add(dl);
            }
        }
        let inv = 1.0 / n as f64;
        for (g, s) in grad.iter_mut().zip(sums.iter()) {
            *g = s.value() * inv;
        }
        for (g, w) in grad[..d].iter_mut().zip(params) {
            *g += self.l2 * w;
        }
        loss.value() * inv + self.penalty_value(params)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        let mut loss = CompensatedSum::default();
        for i in 0..self.x.rows() {
            let (hi, lo) = self.predict(params, i);
            let (l, dl) = self.loss.value_deriv(hi, self.y[i]);
            loss.add(l);
            loss.add(dl * lo);
        }
        loss.value() / self.x.rows() as f64 + self.penalty_value(params)
    }
}

impl<L: Loss> Hessian for LinearSecondOrder<'_, L> {
    fn hessian(&self, params: &[f64], out: &mut [f64]) {
        let (n, d, dim) = (self.x.rows(), self.x.cols(), self.n_params());
        assert_eq!(out.len(), dim * dim, "the Hessian has dim * dim entries");
        let mut sums = self.hess_sums.borrow_mut();
        sums.clear();
        sums.resize(dim * dim, CompensatedSum::default());
        let z = |i: usize, j: usize| if j < d { self.x.row(i)[j] } else { 1.0 };
        for i in 0..n {
            let (hi, _) = self.predict(params, i);
            let h = self.loss.second_deriv(hi, self.y[i]);
            if h == 0.0 {
                continue;
            }
            // Upper triangle only; mirrored below.
            for j in 0..dim {
                let a = h * z(i, j);
                for k in j..dim {
                    sums[j * dim + k].add(a * z(i, k));
                }
            }
        }
        let inv = 1.0 / n as f64;
        for j in 0..dim {
            for k in j..dim {
                let v = sums[j * dim + k].value() * inv;
                out[j * dim + k] = v;
                out[k * dim + j] = v;
            }
        }
        for j in 0..d {
            out[j * dim + j] += self.l2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Squared;
    use crate::objective::FullBatch;

    fn data() -> (Matrix, Vec<f64>) {
        let x = Matrix::from_rows(&[[1.0, 2.0], [2.0, -1.0], [3.0, 0.5], [-1.0, 4.0], [0.5, 0.5]]);
        let y = vec![1.0, -2.0, 0.5, 3.0, 1.5];
        (x, y)
    }

    #[test]
    fn agrees_with_the_plain_model() {
        let (x, y) = data();
        let acc = LinearSecondOrder::new(&x, &y, Squared).l2(0.3);
        let model = acc.model();
        let plain = FullBatch::new(&model);
        let p = [0.7, -0.2, 0.4];
        let (mut g1, mut g2) = ([0.0; 3], [0.0; 3]);
        let f1 = acc.cost_grad(&p, &mut g1);
        let f2 = plain.cost_grad(&p, &mut g2);
        assert!((f1 - f2).abs() < 1e-14 && (acc.cost(&p) - f1).abs() < 1e-15);
        for (a, b) in g1.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-14, "{g1:?} {g2:?}");
        }
    }

    #[test]
    fn hessian_matches_differences_of_gradients() {
        let (x, y) = data();
        for intercept in [true, false] {
            let acc = LinearSecondOrder::new(&x, &y, Squared)
                .intercept(intercept)
                .l2(0.3);
            let dim = acc.dim();
            let p: Vec<f64> = (0..dim).map(|j| 0.3 * j as f64 - 0.5).collect();
            let mut h = vec![0.0; dim * dim];
            acc.hessian(&p, &mut h);
            // The cost is quadratic: central differences of the gradient are exact up to
            // rounding.
            let (mut gp, mut gm) = (vec![0.0; dim], vec![0.0; dim]);
            for k in 0..dim {
                let (mut pp, mut pm) = (p.clone(), p.clone());
                pp[k] += 1e-3;
                pm[k] -= 1e-3;
                acc.cost_grad(&pp, &mut gp);
                acc.cost_grad(&pm, &mut gm);
                for j in 0..dim {
                    let fd = (gp[j] - gm[j]) / 2e-3;
                    assert!(
                        (h[j * dim + k] - fd).abs() < 1e-9,
                        "{j},{k}: {} {fd}",
                        h[j * dim + k]
                    );
                }
            }
        }
    }

    #[test]
    fn residuals_lost_to_cancellation_are_kept() {
        // w = (1 + 2^-52, -1), b = 0: the exact prediction (1e8 + i) * 2^-52 is a double, and
        // it is the target, so the exact gradient is 0. A plain dot product rounds the first
        // product by about a third of the prediction.
        let eps = f64::EPSILON;
        let rows: Vec<[f64; 2]> = (0..4).map(|i| [1e8 + i as f64; 2]).collect();
        let x = Matrix::from_rows(&rows);
        let y: Vec<f64> = (0..4).map(|i| (1e8 + i as f64) * eps).collect();
        let p = [1.0 + eps, -1.0, 0.0];
        let acc = LinearSecondOrder::new(&x, &y, Squared);
        let mut g = [1.0; 3];
        assert_eq!(acc.cost_grad(&p, &mut g), 0.0);
        assert_eq!(g, [0.0; 3]);
        let model = acc.model();
        FullBatch::new(&model).cost_grad(&p, &mut g);
        assert!(g[0].abs() > 1.0 && g[1].abs() > 1.0 && g[2] != 0.0, "{g:?}");
    }
}

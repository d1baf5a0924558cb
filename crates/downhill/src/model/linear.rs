use crate::data::Matrix;
use crate::loss::Loss;
use crate::numeric::{axpy, dot};
use crate::penalty::Penalty;
use crate::{FiniteSum, Rows};

/// A linear model `pred = w . x + b` with a per-row loss, e.g. least squares:
/// `f(w, b) = 1/N * sum_i (y_i - (w . x_i + b))^2 + penalty(w)`.
///
/// Parameters: `[w_1, .., w_d, b]` (no `b` without an intercept).
#[derive(Debug, Clone, Copy)]
pub struct Linear<'a, L> {
    x: &'a Matrix,
    y: &'a [f64],
    loss: L,
    intercept: bool,
    penalty: Penalty,
}

impl<'a, L: Loss> Linear<'a, L> {
    /// A linear model of `y` on the columns of `x`.
    ///
    /// # Panics
    /// When `y` does not have one value per row of `x` (a programming error; data from
    /// users goes through [`Dataset::new`](crate::data::Dataset::new) first).
    pub fn new(x: &'a Matrix, y: &'a [f64], loss: L) -> Self {
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

    fn split<'p>(&self, params: &'p [f64]) -> (&'p [f64], f64) {
        let d = self.x.cols();
        let b = if self.intercept { params[d] } else { 0.0 };
        (&params[..d], b)
    }
}

impl<L: Loss> FiniteSum for Linear<'_, L> {
    fn n_rows(&self) -> usize {
        self.x.rows()
    }

    fn dim(&self) -> usize {
        self.x.cols() + usize::from(self.intercept)
    }

    #[inline]
    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        let d = self.x.cols();
        let (w, b) = self.split(params);
        let (gw, gb) = grad.split_at_mut(d);
        let mut loss = 0.0;
        let mut dsum = 0.0;
        rows.for_each(|i| {
            let xi = self.x.row(i);
            let (l, dl) = self.loss.value_deriv(dot(w, xi) + b, self.y[i]);
            loss += l;
            dsum += dl;
            axpy(dl, xi, gw);
        });
        if self.intercept {
            gb[0] += dsum;
        }
        loss
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        let (w, b) = self.split(params);
        let mut loss = 0.0;
        rows.for_each(|i| loss += self.loss.value(dot(w, self.x.row(i)) + b, self.y[i]));
        loss
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
        let d = self.x.cols();
        let dim = self.dim();
        let (w, b) = self.split(params);
        rows.for_each(|i| {
            let xi = self.x.row(i);
            let h = self.loss.second_deriv(dot(w, xi) + b, self.y[i]);
            if h == 0.0 {
                return;
            }
            // [x, 1] h [x, 1]^T, upper and lower triangle alike.
            for j in 0..d {
                let hx = h * xi[j];
                axpy(hx, xi, &mut out[j * dim..j * dim + d]);
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
    use crate::loss::Squared;
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

use crate::data::Standardizer;
use crate::objective::runs;
use crate::penalty::Penalty;
use crate::{FiniteSum, Rows};
use std::ops::Range;

/// Parameters up to which the scratch vectors of a call live on the stack.
const STACK_DIM: usize = 64;

/// A linear model in standardised coordinates on data that is not standardised: the
/// standardisation folded into the parameters instead of applied to a copy of the data.
///
/// The optimizer sees `[w_s, b_s]`, the parameters of the model on z-scores
/// `z_j = (x_j - mean_j) / scale_j`; each evaluation maps them to the raw data's
/// `w_j = w_s,j / scale_j`, `b = b_s - sum_j w_j mean_j` (the same function of `x`), runs the
/// inner model's kernel on the raw rows, and chains the gradient back,
/// `g_s,j = (g_j - g_b mean_j) / scale_j`, `g_s,b = g_b` (the Hessian likewise,
/// `J^T H J`). The cost, the gradient and the optimizer's path are those of the fit on the
/// standardised copy, up to rounding: the folded sums cancel terms of about
/// `|mean_j| / scale_j` times the standardised ones, so their rounding errors grow by about
/// that factor (the estimators fold only when it is small; `estimator`'s `FOLD_MAX_OFFSET`).
///
/// The penalty applies to `w_s` (as on the standardised copy): the inner model must have
/// none. Parameter layout of both: weights, then the intercept when there is one; without
/// an intercept the means must be 0 (scaling only).
#[derive(Debug, Clone, Copy)]
pub struct Folded<'s, P> {
    inner: P,
    mean: &'s [f64],
    scale: &'s [f64],
    intercept: bool,
    penalty: Penalty,
}

impl<'s, P: FiniteSum> Folded<'s, P> {
    /// `inner` (a linear model on the raw features, without a penalty) seen in the
    /// coordinates `standardizer` defines, with `penalty` on the standardised weights.
    ///
    /// # Panics
    /// When the standardizer's columns are not the model's weights, or a model without an
    /// intercept has non-zero means (programming errors).
    pub fn new(
        inner: P,
        standardizer: &'s Standardizer,
        intercept: bool,
        penalty: Penalty,
    ) -> Self {
        let d = standardizer.scale.len();
        assert_eq!(
            inner.dim(),
            d + usize::from(intercept),
            "one scale per weight"
        );
        assert!(
            intercept || standardizer.mean.iter().all(|m| *m == 0.0),
            "centring needs an intercept"
        );
        Folded {
            inner,
            mean: &standardizer.mean,
            scale: &standardizer.scale,
            intercept,
            penalty,
        }
    }

    fn d(&self) -> usize {
        self.scale.len()
    }

    /// The raw data's parameters for the standardised ones, into `raw`.
    fn to_raw(&self, params: &[f64], raw: &mut [f64]) {
        let d = self.d();
        let mut b = if self.intercept { params[d] } else { 0.0 };
        for j in 0..d {
            let w = params[j] / self.scale[j];
            raw[j] = w;
            b -= w * self.mean[j];
        }
        if self.intercept {
            raw[d] = b;
        }
    }

    /// Adds the raw parameters' Hessian `h` (`dim x dim`) seen in the standardised ones,
    /// `J^T h J`, into `out`.
    fn fold_hessian(&self, h: &[f64], out: &mut [f64]) {
        let dim = self.inner.dim();
        // J maps the standardised parameters to the raw ones: column k of J is the raw
        // parameters' change per unit of parameter k. H_s = J^T H J, J sparse (a diagonal
        // and, with an intercept, the row of the intercept).
        let d = self.d();
        let jac = |p: usize, k: usize| -> f64 {
            match (p < d, k < d) {
                (true, true) if p == k => 1.0 / self.scale[k],
                (true, _) => 0.0,
                (false, true) => -self.mean[k] / self.scale[k],
                (false, false) => 1.0,
            }
        };
        // HJ first (dim^2 entries, each a sum over the two non-zeros of J's column).
        let mut hj = vec![0.0; dim * dim];
        for p in 0..dim {
            for k in 0..dim {
                let mut v = h[p * dim + k] * jac(k, k);
                if self.intercept && k < d {
                    v += h[p * dim + d] * jac(d, k);
                }
                hj[p * dim + k] = v;
            }
        }
        for a in 0..dim {
            for k in 0..dim {
                let mut v = jac(a, a) * hj[a * dim + k];
                if self.intercept && a < d {
                    v += jac(d, a) * hj[d * dim + k];
                }
                out[a * dim + k] += v;
            }
        }
    }

    /// Adds the standardised coordinates' gradient for the raw one `g` into `grad`.
    fn chain(&self, g: &[f64], grad: &mut [f64]) {
        let d = self.d();
        let gb = if self.intercept { g[d] } else { 0.0 };
        for j in 0..d {
            grad[j] += (g[j] - gb * self.mean[j]) / self.scale[j];
        }
        if self.intercept {
            grad[d] += gb;
        }
    }

    /// Calls `f` with two zeroed scratch vectors of the parameters' length (on the stack
    /// up to [`STACK_DIM`]: kernels are called per block and per mini-batch).
    #[inline]
    fn scratch<R>(&self, f: impl FnOnce(&mut [f64], &mut [f64]) -> R) -> R {
        let dim = self.inner.dim();
        if dim <= STACK_DIM {
            let mut a = [0.0; STACK_DIM];
            let mut b = [0.0; STACK_DIM];
            f(&mut a[..dim], &mut b[..dim])
        } else {
            f(&mut vec![0.0; dim], &mut vec![0.0; dim])
        }
    }
}

impl<P: FiniteSum + Sync> FiniteSum for Folded<'_, P> {
    fn n_rows(&self) -> usize {
        self.inner.n_rows()
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        self.scratch(|raw, g| {
            self.to_raw(params, raw);
            let loss = self.inner.accumulate(raw, rows, g);
            self.chain(g, grad);
            loss
        })
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        self.scratch(|raw, _| {
            self.to_raw(params, raw);
            self.inner.loss_sum(raw, rows)
        })
    }

    fn penalty(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.d();
        self.penalty.smooth(&params[..d], &mut grad[..d])
    }

    fn penalty_value(&self, params: &[f64]) -> f64 {
        self.penalty.value(&params[..self.d()])
    }

    fn prox(&self, params: &mut [f64], step: f64) {
        let d = self.d();
        self.penalty.prox(&mut params[..d], step);
    }

    fn has_prox(&self) -> bool {
        self.penalty.l1 > 0.0
    }

    fn has_hessian(&self) -> bool {
        self.inner.has_hessian()
    }

    fn hessian_sum(&self, params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        let dim = self.dim();
        let mut raw = vec![0.0; dim];
        self.to_raw(params, &mut raw);
        let mut h = vec![0.0; dim * dim];
        self.inner.hessian_sum(&raw, rows, &mut h);
        self.fold_hessian(&h, out);
    }

    /// The inner model's runs, folded once: `J^T (sum_k H_k) J` rather than the default's
    /// `sum_k J^T H_k J` (the same matrix, rounded once instead of once a run, with one
    /// parameter mapping and two scratch matrices a call instead of a run).
    fn hessian_runs(&self, params: &[f64], rows: Range<usize>, run: usize, out: &mut [f64]) {
        let dim = self.dim();
        let mut raw = vec![0.0; dim];
        self.to_raw(params, &mut raw);
        let mut h = vec![0.0; dim * dim];
        self.inner.hessian_runs(&raw, rows, run, &mut h);
        out.fill(0.0);
        self.fold_hessian(&h, out);
    }

    fn fuses_hessian(&self) -> bool {
        self.inner.fuses_hessian()
    }

    /// The inner model's pass run by run, each run's gradient chained back as
    /// [`FiniteSum::accumulate`] chains it and the runs' Hessians folded once as
    /// [`FiniteSum::hessian_runs`] folds them: the bits of those two.
    fn cost_grad_hessian_runs(
        &self,
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> f64 {
        let dim = self.dim();
        let (mut raw, mut g, mut block) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
        self.to_raw(params, &mut raw);
        let (mut h, mut total) = (vec![0.0; dim * dim], vec![0.0; dim * dim]);
        grad.fill(0.0);
        let mut loss = 0.0;
        for r in runs(rows.clone(), run) {
            let l = self
                .inner
                .cost_grad_hessian_runs(&raw, r.clone(), r.len(), &mut g, &mut h);
            block.fill(0.0);
            self.chain(&g, &mut block);
            loss += l;
            for (a, b) in grad.iter_mut().zip(&block) {
                *a += b;
            }
            for (a, b) in total.iter_mut().zip(&h) {
                *a += b;
            }
        }
        out.fill(0.0);
        self.fold_hessian(&total, out);
        loss
    }

    fn penalty_hessian(&self, _params: &[f64], out: &mut [f64]) {
        let dim = self.dim();
        for j in 0..self.d() {
            out[j * dim + j] += self.penalty.l2;
        }
    }

    fn prefetch(&self, rows: Range<usize>) {
        self.inner.prefetch(rows);
    }

    fn as_sync(&self) -> Option<&(dyn FiniteSum + Sync)> {
        Some(self)
    }
}

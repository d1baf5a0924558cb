//! What is minimised.
//!
//! Two traits, because two kinds of problem exist:
//!
//! - [`Objective`]: any differentiable function of a flat parameter vector, its cost and
//!   gradient computed together (a test function, a typed formula, a full-batch loss);
//! - [`FiniteSum`]: a mean of per-row losses over a data set, plus an optional penalty. Its
//!   kernel walks a set of rows once and returns `(loss_sum, gradient_sum)`; full batch,
//!   mini-batches and threads are all made of such calls ([`BlockSum`] sums them block by
//!   block, over threads in a fixed order).
//!
//! [`FullBatch`] turns a [`FiniteSum`] into an [`Objective`] (for drivers that evaluate the
//! whole objective, such as line searches), and [`Single`] turns an [`Objective`] into a
//! [`FiniteSum`] of one row (so that the training loop also minimises plain functions).

mod block_sum;
mod fd_hessian;
mod full_batch;
mod hessian;
mod single;

pub use block_sum::{
    resolve_threads, BlockSum, BLOCK_ROWS, MIN_BLOCKS_PER_THREAD, MIN_GRADIENT_WORK_PER_THREAD,
    MIN_HESSIAN_BLOCKS_PER_THREAD, MIN_HESSIAN_WORK_PER_THREAD,
};
pub use fd_hessian::FdHessian;
pub use full_batch::FullBatch;
pub use hessian::Hessian;
pub use single::Single;

use std::ops::Range;

/// A differentiable function of a flat parameter vector.
pub trait Objective {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// The cost at `params`; its gradient is written into `grad` (overwritten), in one pass.
    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64;

    /// The cost alone.
    fn cost(&self, params: &[f64]) -> f64;
}

/// A set of rows of a data set: a contiguous range (full batch, blocks) or a list of row
/// indices (a shuffled mini-batch).
#[derive(Debug, Clone)]
pub enum Rows<'a> {
    /// Rows `start..end`.
    Range(Range<usize>),
    /// These rows, in this order.
    Indices(&'a [usize]),
}

impl Rows<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::Range(r) => r.len(),
            Rows::Indices(i) => i.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each row index, in order.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize)) {
        match self {
            Rows::Range(r) => r.clone().for_each(f),
            Rows::Indices(idx) => idx.iter().for_each(|&i| f(i)),
        }
    }
}

/// A cost that is a mean of per-row losses plus a penalty on the parameters:
/// `f(theta) = 1/N * sum_i loss_i(theta) + penalty(theta)`.
pub trait FiniteSum {
    /// Number of rows `N`.
    fn n_rows(&self) -> usize;

    /// Number of parameters.
    fn dim(&self) -> usize;

    /// Adds `sum_{i in rows} grad loss_i(params)` into `grad` and returns
    /// `sum_{i in rows} loss_i(params)`, in one pass over those rows, without allocating.
    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64;

    /// `sum_{i in rows} loss_i(params)`, without the gradient (validation sets).
    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64;

    /// The smooth part of the penalty: its value, with its gradient added into `grad`.
    fn penalty(&self, _params: &[f64], _grad: &mut [f64]) -> f64 {
        0.0
    }

    /// The value of the whole penalty (smooth and non-smooth parts).
    fn penalty_value(&self, _params: &[f64]) -> f64 {
        0.0
    }

    /// The proximal step of the non-smooth part of the penalty (L1) after an update with
    /// step size `step`. Nothing by default.
    fn prox(&self, _params: &mut [f64], _step: f64) {}

    /// Whether [`FiniteSum::prox`] does anything (an L1 part): methods that choose their own
    /// steps work on the smooth part only, so they refuse such problems.
    fn has_prox(&self) -> bool {
        false
    }

    /// Whether [`FiniteSum::hessian_sum`] is available (Newton's method needs it).
    fn has_hessian(&self) -> bool {
        false
    }

    /// Adds `sum_{i in rows}` of the per-row loss Hessians into `out` (dense, row-major,
    /// `dim x dim`). Only called when [`FiniteSum::has_hessian`] is true.
    fn hessian_sum(&self, _params: &[f64], _rows: Rows<'_>, _out: &mut [f64]) {}

    /// Overwrites `out` with `sum_{i in rows}` of the per-row loss Hessians summed in two
    /// levels, as the blocked sums ([`BlockSum`]) add gradients: each run of `run` rows
    /// (counted from `rows.start`, the last one shorter) summed alone by
    /// [`FiniteSum::hessian_sum`] from zeros, and the runs' sums added in order into `out`
    /// from zeros. A problem may override it where less work between the runs gives the
    /// same matrix (the folded model maps the runs' total once instead of each run); only
    /// called when [`FiniteSum::has_hessian`] is true.
    fn hessian_runs(&self, params: &[f64], rows: Range<usize>, run: usize, out: &mut [f64]) {
        out.fill(0.0);
        let mut block = vec![0.0; out.len()];
        for r in runs(rows.clone(), run) {
            block.fill(0.0);
            self.hessian_sum(params, Rows::Range(r.clone()), &mut block);
            for (o, b) in out.iter_mut().zip(&block) {
                *o += b;
            }
        }
    }

    /// Whether [`FiniteSum::cost_grad_hessian_runs`] reads the rows once for all three sums
    /// (Newton's method then asks for the Hessian with the cost at each point it reaches).
    /// False by default.
    fn fuses_hessian(&self) -> bool {
        false
    }

    /// Overwrites `grad` with `sum_{i in rows}` of the rows' gradients and `out` with their
    /// Hessians, and returns the sum of their losses, all in runs of `run` rows as
    /// [`BlockSum`] sums them: the loss and gradient with the bits of its
    /// [`BlockSum::sum`] over one thread's rows (each run by [`FiniteSum::accumulate`] into
    /// zeros, then added in order), the Hessian with those of
    /// [`FiniteSum::hessian_runs`]. The default makes those two passes
    /// ([`separate_runs`]); a problem that [`fuses_hessian`](FiniteSum::fuses_hessian)
    /// makes one, with the same bits. Only called when [`FiniteSum::has_hessian`] is true.
    fn cost_grad_hessian_runs(
        &self,
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> f64 {
        separate_runs(self, params, rows, run, grad, out)
    }

    /// Adds the Hessian of the smooth part of the penalty into `out`.
    fn penalty_hessian(&self, _params: &[f64], _out: &mut [f64]) {}

    /// Plain stochastic gradient descent on single rows, fused into one pass: for each row
    /// `i` of `rows` in turn, with `g` the gradient of row `i`'s loss at `params`, adds `g`
    /// into `epoch_grad`, then the smooth penalty's gradient into `g`, and steps
    /// `params -= lr * g`; returns the sum of the rows' losses. It gives the bits of the
    /// loop it stands for (per row: [`FiniteSum::accumulate`] on the row alone into a
    /// zeroed gradient, that gradient added into `epoch_grad`, [`FiniteSum::penalty`], the
    /// step, [`FiniteSum::prox`]), without that loop's calls and buffers per row. `None`
    /// (the default) when the problem has no such pass, or none for its settings (an L1
    /// part): the caller then runs the loop itself, and nothing was changed.
    fn sgd_rows(
        &self,
        _params: &mut [f64],
        _rows: &[u32],
        _lr: f64,
        _epoch_grad: &mut [f64],
    ) -> Option<f64> {
        None
    }

    /// A hint that `rows` will be read soon (the next mini-batch), so that a model on data
    /// can have the CPU start loading them while the current batch is computed: batches
    /// visited in a random order otherwise wait for memory at every jump. Nothing by
    /// default; rows out of range are ignored.
    fn prefetch(&self, _rows: Range<usize>) {}

    /// This problem as one that threads may share, when it is one. [`BlockSum`] splits
    /// full-batch sums over threads only for problems that return `Some`: the trait has no
    /// `Sync` bound because some problems (a formula with its scratch tape) are not.
    /// Models on data override it with `Some(self)`.
    fn as_sync(&self) -> Option<&(dyn FiniteSum + Sync)> {
        None
    }
}

/// The runs of `run` rows (at least one) that `rows` is summed in, in order, from
/// `rows.start`, the last one shorter.
pub(crate) fn runs(rows: Range<usize>, run: usize) -> impl Iterator<Item = Range<usize>> {
    let step = run.max(1);
    (rows.start..rows.end)
        .step_by(step)
        .map(move |start| start..start.saturating_add(step).min(rows.end))
}

/// [`FiniteSum::cost_grad_hessian_runs`] in two passes: [`FiniteSum::hessian_runs`], then
/// the loss and gradient run by run.
pub fn separate_runs<P: FiniteSum + ?Sized>(
    problem: &P,
    params: &[f64],
    rows: Range<usize>,
    run: usize,
    grad: &mut [f64],
    out: &mut [f64],
) -> f64 {
    problem.hessian_runs(params, rows.clone(), run, out);
    grad.fill(0.0);
    let mut block = vec![0.0; grad.len()];
    let mut loss = 0.0;
    for r in runs(rows.clone(), run) {
        block.fill(0.0);
        loss += problem.accumulate(params, Rows::Range(r.clone()), &mut block);
        for (g, b) in grad.iter_mut().zip(&block) {
            *g += b;
        }
    }
    loss
}

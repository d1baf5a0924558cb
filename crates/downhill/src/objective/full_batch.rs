use super::{BlockSum, FiniteSum, Hessian, Objective};
use std::cell::RefCell;

/// A [`FiniteSum`] seen as one [`Objective`]: the mean loss over all rows plus the penalty.
///
/// Sums run block by block ([`BlockSum`]); with [`FullBatch::with_threads`] they are split
/// over threads in a fixed order (the same bits for the same thread count), the Hessian
/// ([`BlockSum::hessian`]) as the gradient.
#[derive(Debug)]
pub struct FullBatch<'a, P: ?Sized> {
    problem: &'a P,
    work: RefCell<BlockSum>,
}

impl<'a, P: FiniteSum + ?Sized> FullBatch<'a, P> {
    /// Wraps `problem`, evaluated on the calling thread.
    pub fn new(problem: &'a P) -> Self {
        FullBatch::with_threads(problem, 1)
    }

    /// Wraps `problem`, evaluated on `threads` threads (0: one per core) when it has enough
    /// rows and can be shared ([`FiniteSum::as_sync`]).
    pub fn with_threads(problem: &'a P, threads: usize) -> Self {
        FullBatch {
            problem,
            work: RefCell::new(BlockSum::with_threads(problem.dim(), threads)),
        }
    }
}

impl<P: FiniteSum + ?Sized> Objective for FullBatch<'_, P> {
    fn dim(&self) -> usize {
        self.problem.dim()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let n = self.problem.n_rows();
        let loss = self.work.borrow_mut().sum(self.problem, params, 0..n, grad);
        let inv = 1.0 / n as f64;
        grad.iter_mut().for_each(|g| *g *= inv);
        loss * inv + self.problem.penalty(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        let n = self.problem.n_rows();
        self.work.borrow_mut().loss_sum(self.problem, params, 0..n) / n as f64
            + self.problem.penalty_value(params)
    }
}

impl<P: FiniteSum + ?Sized> FullBatch<'_, P> {
    /// Whether the wrapped problem has second derivatives.
    pub fn has_hessian(&self) -> bool {
        self.problem.has_hessian()
    }
}

impl<P: FiniteSum + ?Sized> Hessian for FullBatch<'_, P> {
    fn hessian(&self, params: &[f64], out: &mut [f64]) {
        let n = self.problem.n_rows();
        // Blocked like the gradient (rounding grows with the block, not with N), and over
        // the same threads.
        self.work
            .borrow_mut()
            .hessian(self.problem, params, 0..n, out);
        let inv = 1.0 / n as f64;
        out.iter_mut().for_each(|o| *o *= inv);
        self.problem.penalty_hessian(params, out);
    }

    /// Where the problem [fuses](FiniteSum::fuses_hessian) its Hessian with its loss and
    /// gradient, and the threads split them alike ([`BlockSum::cost_grad_hessian`]).
    fn cost_grad_hessian(&self, params: &[f64], grad: &mut [f64], out: &mut [f64]) -> Option<f64> {
        if !(self.problem.has_hessian() && self.problem.fuses_hessian()) {
            return None;
        }
        let n = self.problem.n_rows();
        let loss =
            self.work
                .borrow_mut()
                .cost_grad_hessian(self.problem, params, 0..n, grad, out)?;
        // As `cost_grad` and `hessian` finish theirs.
        let inv = 1.0 / n as f64;
        grad.iter_mut().for_each(|g| *g *= inv);
        out.iter_mut().for_each(|o| *o *= inv);
        self.problem.penalty_hessian(params, out);
        Some(loss * inv + self.problem.penalty(params, grad))
    }
}

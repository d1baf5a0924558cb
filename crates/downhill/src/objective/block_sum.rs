use super::{FiniteSum, Rows};
use std::ops::Range;

/// Rows per block in full-batch sums.
pub const BLOCK_ROWS: usize = 512;

/// Sums a [`FiniteSum`]'s loss and gradient over many rows in two levels: each block of
/// [`BLOCK_ROWS`] rows is summed into a scratch buffer, then added to the total. Rounding
/// error then grows with `BLOCK_ROWS + N / BLOCK_ROWS` instead of `N`, at the price of
/// one buffer of `dim` values, allocated once.
#[derive(Debug, Clone)]
pub struct BlockSum {
    block: Vec<f64>,
}

impl BlockSum {
    /// A workspace for problems with `dim` parameters.
    pub fn new(dim: usize) -> Self {
        BlockSum {
            block: vec![0.0; dim],
        }
    }

    /// Overwrites `grad` with the sum of the rows' gradients and returns the sum of their
    /// losses.
    pub fn sum<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
    ) -> f64 {
        grad.fill(0.0);
        let mut loss = 0.0;
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + BLOCK_ROWS).min(rows.end);
            self.block.fill(0.0);
            loss += problem.accumulate(params, Rows::Range(start..end), &mut self.block);
            for (g, b) in grad.iter_mut().zip(&self.block) {
                *g += b;
            }
            start = end;
        }
        loss
    }

    /// The sum of the rows' losses (no gradient), blocked the same way.
    pub fn loss_sum<P: FiniteSum + ?Sized>(
        &self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
    ) -> f64 {
        let mut loss = 0.0;
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + BLOCK_ROWS).min(rows.end);
            loss += problem.loss_sum(params, Rows::Range(start..end));
            start = end;
        }
        loss
    }
}

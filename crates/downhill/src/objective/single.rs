use super::{FiniteSum, Objective, Rows};

/// An [`Objective`] seen as a [`FiniteSum`] of one row, so that the training loop (with its
/// optimizers, schedules and stopping rules) minimises plain functions too.
#[derive(Debug, Clone)]
pub struct Single<O>(pub O);

impl<O: Objective> FiniteSum for Single<O> {
    fn n_rows(&self) -> usize {
        1
    }

    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        if rows.is_empty() {
            return 0.0;
        }
        // The objective overwrites; a FiniteSum adds. Use the gradient slot as scratch
        // only when it starts at zero, which is how the training loop calls it.
        debug_assert!(grad.iter().all(|g| *g == 0.0));
        self.0.cost_grad(params, grad)
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        if rows.is_empty() {
            0.0
        } else {
            self.0.cost(params)
        }
    }
}

use super::Schedule;

/// Reduce on plateau (scikit-learn's `learning_rate="adaptive"`, PyTorch's
/// `ReduceLROnPlateau`): the rate stays at `lr0` while the cost keeps improving and is
/// divided by `factor` each time `patience` epochs in a row fail to improve the best cost
/// by more than `tol * |best|`; then the count starts again.
///
/// scikit-learn divides by 5 after `n_iter_no_change = 5` epochs, with an absolute `tol`
/// of 1e-3 on the summed loss; here `tol` is relative (1e-4 by default), like
/// [`TrainConfig::tol`](crate::train::TrainConfig::tol), so that it does not depend on the
/// scale of the cost. There is no floor: the loop's stopping rules end the run.
///
/// The state belongs to one run: observing epoch 1 starts afresh, and epoch 1's rate is
/// always `lr0`, so a schedule reused for a second fit does not keep the first one's rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Plateau {
    /// The starting rate.
    pub lr0: f64,
    /// Epochs without improvement before a reduction (at least 1).
    pub patience: usize,
    /// The divisor of each reduction (greater than 1).
    pub factor: f64,
    /// Relative improvement that counts (at least 0).
    pub tol: f64,
    lr: f64,
    best: f64,
    stale: usize,
}

impl Plateau {
    /// Default patience (scikit-learn's `n_iter_no_change`).
    pub const PATIENCE: usize = 5;
    /// Default divisor (scikit-learn's).
    pub const FACTOR: f64 = 5.0;
    /// Default relative tolerance.
    pub const TOL: f64 = 1e-4;

    /// Starts at `lr0` with the given patience, divisor and relative tolerance.
    pub fn new(lr0: f64, patience: usize, factor: f64, tol: f64) -> Self {
        Plateau {
            lr0,
            patience,
            factor,
            tol,
            lr: lr0,
            best: f64::INFINITY,
            stale: 0,
        }
    }

    /// Starts at `lr0` with the defaults (patience 5, divide by 5, tol 1e-4).
    pub fn with_defaults(lr0: f64) -> Self {
        Self::new(lr0, Self::PATIENCE, Self::FACTOR, Self::TOL)
    }
}

impl Schedule for Plateau {
    fn state(&self) -> Vec<f64> {
        // The count is exact in a double.
        vec![self.lr, self.best, self.stale as f64]
    }

    fn restore(&mut self, state: &[f64]) -> crate::Result<()> {
        match *state {
            [lr, best, stale] => {
                (self.lr, self.best, self.stale) = (lr, best, stale as usize);
                Ok(())
            }
            _ => Err(crate::Error::setting(
                "schedule",
                format!(
                    "the saved schedule state has {} values, reduce-on-plateau 3",
                    state.len()
                ),
            )),
        }
    }

    fn lr(&self, epoch: usize) -> f64 {
        if epoch <= 1 {
            self.lr0
        } else {
            self.lr
        }
    }

    fn observe(&mut self, epoch: usize, cost: f64) {
        if epoch <= 1 {
            self.lr = self.lr0;
            self.best = f64::INFINITY;
            self.stale = 0;
        }
        // The first cost always improves on the infinite start; NaN never improves.
        let threshold = if self.best.is_finite() {
            self.best - self.tol * self.best.abs()
        } else {
            self.best
        };
        if cost < threshold {
            self.stale = 0;
        } else {
            self.stale += 1;
        }
        if cost < self.best {
            self.best = cost;
        }
        if self.stale >= self.patience.max(1) {
            self.lr /= self.factor;
            self.stale = 0;
        }
    }
}

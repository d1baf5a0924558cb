use std::time::Duration;

/// Settings of the training loop. The defaults aim at an accurate answer for full-batch
/// gradient descent: stop when the gradient norm has fallen by `gtol` relative to its value
/// at the start, or after `max_epochs`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// At most this many epochs (one epoch = one pass over the training rows).
    pub max_epochs: usize,
    /// Rows per mini-batch; `None` is full batch. The last batch of an epoch holds what is
    /// left (it may be smaller), as PyTorch's `DataLoader` without `drop_last`.
    pub batch_size: Option<usize>,
    /// Reshuffle the rows before every epoch (mini-batch only).
    pub shuffle: bool,
    /// Seed of every random choice of the run.
    pub seed: u64,
    /// Stop when the gradient norm is at most `gtol` times its norm at the start. Scale-free:
    /// multiplying the cost by a constant changes nothing.
    pub gtol: f64,
    /// Stop when the gradient norm is at most this (absolute); 0 turns it off.
    pub gtol_abs: f64,
    /// Stop when the cost has not improved on the best so far by more than `tol * |best|`
    /// for `n_iter_no_change` epochs in a row (scikit-learn's `tol`, relative). `None`: off,
    /// because near the optimum the cost stops changing in float64 long before the
    /// parameters are accurate.
    pub tol: Option<f64>,
    /// Patience of `tol` and of early stopping, in epochs.
    pub n_iter_no_change: usize,
    /// Rows at the end of the data held out for validation (0: none). With some, the loop
    /// stops when the validation cost has not improved for `n_iter_no_change` epochs and
    /// returns the parameters of the best validation epoch.
    pub validation_rows: usize,
    /// Stop after this much wall-clock time.
    pub time_limit: Option<Duration>,
    /// Keep every epoch's parameters in the history (costs and norms are always kept).
    pub record_params: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            max_epochs: 10_000,
            batch_size: None,
            shuffle: true,
            seed: 0,
            gtol: 1e-13,
            gtol_abs: 0.0,
            tol: None,
            n_iter_no_change: 10,
            validation_rows: 0,
            time_limit: None,
            record_params: true,
        }
    }
}

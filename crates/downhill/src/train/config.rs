use std::time::Duration;

/// Settings of the training loop. The defaults aim at an accurate answer for full-batch
/// gradient descent: stop when the gradient norm has fallen by `gtol` relative to its value
/// at the start, or after `max_epochs`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// At most this many epochs (one epoch = one pass over the training rows).
    pub max_epochs: usize,
    /// Rows per mini-batch; `None` is full batch. One batch per epoch holds what is left
    /// when the batch size does not divide the training rows (it may be smaller), as
    /// PyTorch's `DataLoader` without `drop_last`. Each batch is a run of contiguous rows
    /// (see `shuffle`), so it is read from memory in order.
    pub batch_size: Option<usize>,
    /// Mini-batch only: a new order of batches before every epoch, drawn from `seed`.
    ///
    /// Exactly: the training rows, in storage order, are rotated by an offset drawn
    /// uniformly each epoch (row `offset` comes first, the rows before it go to the end),
    /// cut into consecutive batches of `batch_size` rows (the last one may be smaller), and
    /// the batches are visited in a uniformly random order. Every row is visited once per
    /// epoch, and each batch reads contiguous memory (two runs when it wraps around the end).
    ///
    /// What differs from scikit-learn's per-epoch reshuffle of the rows: a batch holds rows
    /// that are neighbours in storage order (within `batch_size` of one another), not a
    /// random sample of all rows; only which neighbours share a batch, and the order of the
    /// batches, change from epoch to epoch. With `batch_size = 1` it is the same thing (no
    /// rotation then: a uniformly random order of the rows every epoch). Data stored in a
    /// meaningful order (sorted by target, by time) would give unrepresentative batches, so
    /// with batches of more than one row the estimators shuffle the training rows once,
    /// before training (in place, from `seed`; rows shuffled to hold some out for
    /// validation already are); callers of [`Trainer`](super::Trainer) itself should store
    /// their rows in random order. `false`: the rows in storage order, batch after batch,
    /// every epoch.
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
    /// Threads for full-batch sums (0: one per core). They are used only for problems that
    /// can be shared between threads ([`FiniteSum::as_sync`](crate::FiniteSum::as_sync):
    /// the models on data) with at least
    /// [`MIN_BLOCKS_PER_THREAD`](crate::objective::MIN_BLOCKS_PER_THREAD) blocks of rows
    /// per thread, or a block and
    /// [`MIN_GRADIENT_WORK_PER_THREAD`](crate::objective::MIN_GRADIENT_WORK_PER_THREAD)
    /// values (Hessian sums:
    /// [`MIN_HESSIAN_BLOCKS_PER_THREAD`](crate::objective::MIN_HESSIAN_BLOCKS_PER_THREAD) and
    /// [`MIN_HESSIAN_WORK_PER_THREAD`](crate::objective::MIN_HESSIAN_WORK_PER_THREAD)), which
    /// includes mini-batches that large. The rows are split into one
    /// contiguous run per thread and the runs' sums added in thread order, so a given
    /// number of threads gives the same bits on every run; another number changes only the
    /// order of those additions (results agree to rounding, about 1e-15 relative). With 0,
    /// that number is the machine's core count. With more than one, a shuffled order of
    /// 2^16 batches or more (per-sample steps on large data) is reshuffled for the next
    /// epoch on a second thread while an epoch steps: the same order, the same bits.
    pub threads: usize,
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
            threads: 0,
        }
    }
}

/// One epoch of a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRecord {
    /// 0 is the starting point; epoch `e` is the state after `e` passes over the data.
    pub epoch: usize,
    /// Cost at this epoch's parameters (full batch); for mini-batches, the mean of the
    /// losses met during the epoch plus the penalty, as scikit-learn reports.
    pub cost: f64,
    /// Norm of the gradient at this epoch's parameters (full batch); for mini-batches, the
    /// norm of the mean of the batch gradients met during the epoch.
    pub grad_norm: f64,
    /// The learning rate in force during the epoch (row 0: the one the first epoch uses).
    pub lr: f64,
    /// Cost on the held-out rows, when there are some.
    pub validation_cost: Option<f64>,
}

/// Every epoch of a run, parameters stored flat (one allocation that grows, not one per
/// epoch).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    dim: usize,
    records: Vec<EpochRecord>,
    params: Vec<f64>,
}

impl History {
    /// Appends a full-batch epoch (no held-out cost; the parameters when `config` records
    /// them) and shows it to `observer`: the bookkeeping of every loop besides the trainer's.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_epoch(
        &mut self,
        config: &super::TrainConfig,
        observer: &mut dyn super::Observer,
        epoch: usize,
        cost: f64,
        grad_norm: f64,
        lr: f64,
        params: &[f64],
    ) -> std::ops::ControlFlow<()> {
        self.push(
            EpochRecord {
                epoch,
                cost,
                grad_norm,
                lr,
                validation_cost: None,
            },
            if config.record_params { params } else { &[] },
        );
        observer.observe(&super::EpochInfo {
            epoch,
            max_epochs: config.max_epochs,
            cost,
            grad_norm,
            lr,
            validation_cost: None,
            params,
        })
    }

    /// An empty history for `dim` parameters.
    pub fn new(dim: usize) -> Self {
        History {
            dim,
            records: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Appends an epoch; `params` may be empty when parameters are not recorded.
    pub fn push(&mut self, record: EpochRecord, params: &[f64]) {
        self.records.push(record);
        self.params.extend_from_slice(params);
    }

    /// The epochs, in order.
    pub fn records(&self) -> &[EpochRecord] {
        &self.records
    }

    /// Number of recorded epochs.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether parameters were recorded.
    pub fn has_params(&self) -> bool {
        self.dim > 0 && self.params.len() == self.dim * self.records.len()
    }

    /// Parameters of the `k`-th record, if recorded.
    pub fn params(&self, k: usize) -> Option<&[f64]> {
        if self.has_params() && k < self.records.len() {
            Some(&self.params[k * self.dim..(k + 1) * self.dim])
        } else {
            None
        }
    }

    /// Number of parameters per record.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Rewrites every record (e.g. costs into the data's units).
    pub fn map_records(&mut self, f: impl FnMut(&mut EpochRecord)) {
        self.records.iter_mut().for_each(f);
    }

    /// Rewrites every recorded parameter vector (e.g. into original units).
    pub fn map_params(&mut self, mut f: impl FnMut(&mut [f64])) {
        if self.dim == 0 {
            return;
        }
        for p in self.params.chunks_exact_mut(self.dim) {
            f(p);
        }
    }
}

use super::TrainState;
use crate::Result;
use std::ops::ControlFlow;

/// What an observer sees after each epoch.
#[derive(Debug, Clone, Copy)]
pub struct EpochInfo<'a> {
    /// The epoch just finished (0: the starting point).
    pub epoch: usize,
    /// The epoch limit.
    pub max_epochs: usize,
    /// The cost (see [`EpochRecord`](super::EpochRecord)).
    pub cost: f64,
    /// The gradient norm.
    pub grad_norm: f64,
    /// The learning rate in force.
    pub lr: f64,
    /// Cost on the held-out rows.
    pub validation_cost: Option<f64>,
    /// The parameters (in the optimizer's coordinates for the features: standardised ones
    /// when the estimator standardises; the target's own units).
    pub params: &'a [f64],
}

/// Watches a run, once per epoch: progress bars, recorders, Ctrl-C. Returning
/// `ControlFlow::Break(())` ends the run with [`StopReason::Interrupted`](super::StopReason).
pub trait Observer {
    /// Called after every epoch, and once for the starting point.
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()>;

    /// The run's checkpoints, when it saves or resumes its state. Observers around another
    /// forward it.
    fn checkpoints(&mut self) -> Option<&mut dyn Checkpoints> {
        None
    }
}

/// A run that starts from a saved state and hands its state over after epochs: checkpoints
/// and resume, `partial_fit`. Only the first-order loop takes part; the solvers refuse.
pub trait Checkpoints {
    /// The state to continue from, asked once before the first epoch (`None`: start
    /// afresh).
    fn resume(&mut self) -> Result<Option<TrainState>>;

    /// Whether to save the state after `epoch` (the run's last epoch is always saved).
    fn due(&mut self, epoch: usize) -> bool;

    /// Takes the state after an epoch; an error ends the run.
    fn save(&mut self, state: &TrainState) -> Result<()>;

    /// Whether a resume checks that the data is the data the state was made for (rows,
    /// columns, checksum). `partial_fit` says no: each call brings other rows.
    fn checks_data(&self) -> bool {
        true
    }
}

impl<F: FnMut(&EpochInfo<'_>) -> ControlFlow<()>> Observer for F {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        self(info)
    }
}

/// Watches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _info: &EpochInfo<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

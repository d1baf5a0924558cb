use std::fmt;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The gradient norm fell below its tolerance: converged.
    GradientTolerance,
    /// The cost stopped improving by more than `tol` for `n_iter_no_change` epochs.
    CostTolerance,
    /// The validation cost stopped improving; the best epoch's parameters were restored.
    EarlyStopping,
    /// The epoch limit was reached.
    MaxEpochs,
    /// The wall-clock limit was reached.
    TimeLimit,
    /// An observer asked to stop (Ctrl-C in the CLI).
    Interrupted,
}

impl StopReason {
    /// A stable identifier for files and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            StopReason::GradientTolerance => "gradient_tolerance",
            StopReason::CostTolerance => "cost_tolerance",
            StopReason::EarlyStopping => "early_stopping",
            StopReason::MaxEpochs => "max_epochs",
            StopReason::TimeLimit => "time_limit",
            StopReason::Interrupted => "interrupted",
        }
    }

    /// True for the reasons that mean the run reached a minimum.
    pub fn converged(&self) -> bool {
        matches!(
            self,
            StopReason::GradientTolerance | StopReason::CostTolerance | StopReason::EarlyStopping
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::GradientTolerance => "converged: gradient norm below tolerance",
            StopReason::CostTolerance => "converged: cost stopped improving (tol)",
            StopReason::EarlyStopping => {
                "early stopping: validation cost stopped improving (best epoch restored)"
            }
            StopReason::MaxEpochs => "reached the epoch limit",
            StopReason::TimeLimit => "reached the time limit",
            StopReason::Interrupted => "interrupted",
        })
    }
}

//! Ctrl-C during a run: an observer that asks Python for pending signals a few times a
//! second and ends the run when a handler raises (`KeyboardInterrupt`).

use downhill::train::{EpochInfo, Observer};
use pyo3::{PyErr, Python};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How often pending signals are checked: rare enough to cost nothing per epoch.
const EVERY: Duration = Duration::from_millis(100);

/// Ends the run when a signal handler raised; keeps the exception to raise afterwards.
pub struct Signals {
    last: Instant,
    /// The exception a handler raised, if any.
    pub raised: Option<PyErr>,
}

impl Signals {
    /// Starts watching.
    pub fn new() -> Self {
        Signals {
            last: Instant::now(),
            raised: None,
        }
    }
}

impl Observer for Signals {
    fn observe(&mut self, _info: &EpochInfo<'_>) -> ControlFlow<()> {
        if self.last.elapsed() < EVERY {
            return ControlFlow::Continue(());
        }
        self.last = Instant::now();
        // Signal handlers run on the main thread with the interpreter attached.
        match Python::attach(|py| py.check_signals()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.raised = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

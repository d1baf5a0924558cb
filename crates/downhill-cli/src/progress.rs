//! Progress on stderr while training, and Ctrl-C as a clean stop.

use crate::checkpoint::Files;
use downhill::train::{Checkpoints, EpochInfo, Observer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Set by Ctrl-C; the running fit stops after its current epoch and writes its results.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // Without a handler Ctrl-C kills the process, which is the right fallback.
        let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

/// A progress bar (only when stderr is a terminal and not `--quiet`) that also relays
/// Ctrl-C to the training loop.
pub struct Progress {
    bar: Option<ProgressBar>,
    stop: Arc<AtomicBool>,
    last: Instant,
    checkpoints: Option<Files>,
}

impl Progress {
    /// A bar for a run of at most `max_epochs` epochs.
    pub fn new(max_epochs: usize, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(max_epochs as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            bar.set_style(
                ProgressStyle::with_template("{bar:30} epoch {pos}/{len}  {msg}  eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            stop: interrupt_flag(),
            last: Instant::now(),
            checkpoints: None,
        }
    }

    /// Saves and resumes the run's state with `files`.
    pub fn with_checkpoints(mut self, files: Option<Files>) -> Self {
        self.checkpoints = files;
        self
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn checkpoints(&mut self) -> Option<&mut dyn Checkpoints> {
        self.checkpoints.as_mut().map(|c| c as &mut dyn Checkpoints)
    }

    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        if let Some(bar) = &self.bar {
            // Formatting the message every epoch would cost more than a small epoch.
            if self.last.elapsed() > Duration::from_millis(100) {
                bar.set_position(info.epoch as u64);
                bar.set_message(format!("cost {:.6e}  lr {:.3e}", info.cost, info.lr));
                self.last = Instant::now();
            }
        }
        if self.stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

//! What watches a descent on the command line: a progress bar once a run has taken more
//! than a second (short runs, the usual case, never flash one), and Ctrl-C as a clean stop.

use crate::progress::{self, Progress};
use downhill::train::{EpochInfo, Observer};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs shorter than this show no progress bar.
const BAR_AFTER: Duration = Duration::from_secs(1);

/// Relays Ctrl-C and shows a bar on long runs; the bar goes when the watcher does.
pub struct Watcher {
    quiet: bool,
    started: Instant,
    bar: Option<Progress>,
    stop: Arc<AtomicBool>,
}

impl Watcher {
    /// A watcher; `quiet` never shows a bar.
    pub fn new(quiet: bool) -> Self {
        Watcher {
            quiet,
            started: Instant::now(),
            bar: None,
            stop: progress::interrupt_flag(),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl Observer for Watcher {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        // Reading the clock every step would cost as much as a step of a small function.
        if self.bar.is_none()
            && !self.quiet
            && info.epoch.is_multiple_of(256)
            && self.started.elapsed() >= BAR_AFTER
        {
            self.bar = Some(Progress::new(info.max_epochs, false));
        }
        match &mut self.bar {
            Some(bar) => bar.observe(info),
            None if self.stop.load(Ordering::Relaxed) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    }
}

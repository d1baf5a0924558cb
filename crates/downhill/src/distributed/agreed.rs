use super::Communicator;
use crate::train::{EpochInfo, Observer, Report, StopReason};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// An observer around a rank's own that makes every rank stop at the same epoch.
///
/// Each rank's observer may want to stop for reasons of its own (Ctrl-C seen by one
/// process, a progress bar on rank 0), and each rank's clock reads its own time: were each
/// rank to decide alone, one would leave the loop while the others wait in the next
/// all-reduce. So after every epoch the ranks all-reduce their wishes (one message of two
/// values, a maximum) and all stop when any wants to, or when the slowest clock passes the
/// time limit (give the run no `time_limit` of its own: this observer applies it).
pub struct Agreed<'a, C: ?Sized> {
    user: &'a mut dyn Observer,
    comm: &'a C,
    limit: Option<Duration>,
    start: Instant,
    timed_out: bool,
}

impl<'a, C: Communicator + ?Sized> Agreed<'a, C> {
    /// Around `user`, stopping every rank once any has run for `limit`.
    pub fn new(user: &'a mut dyn Observer, comm: &'a C, limit: Option<Duration>) -> Self {
        Agreed {
            user,
            comm,
            limit,
            start: Instant::now(),
            timed_out: false,
        }
    }

    /// The run's stop reason as the ranks agreed it: a stop for the time limit is
    /// [`StopReason::TimeLimit`], not an interruption.
    pub fn settle(&self, report: &mut Report) {
        if self.timed_out && report.stop_reason == StopReason::Interrupted {
            report.stop_reason = StopReason::TimeLimit;
        }
    }
}

impl<C: Communicator + ?Sized> Observer for Agreed<'_, C> {
    fn checkpoints(&mut self) -> Option<&mut dyn crate::train::Checkpoints> {
        self.user.checkpoints()
    }

    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        let mine = f64::from(u8::from(self.user.observe(info).is_break()));
        let late = self
            .limit
            .map_or(0.0, |t| f64::from(u8::from(self.start.elapsed() >= t)));
        let mut wishes = [mine, late];
        self.comm.max(&mut wishes);
        if wishes[1] > 0.0 && wishes[0] == 0.0 {
            self.timed_out = true;
        }
        if wishes.iter().any(|w| *w > 0.0) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

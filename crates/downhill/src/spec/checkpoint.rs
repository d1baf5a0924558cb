//! What a checkpoint of a fit is made for: the settings that change the result and the
//! data, added to the trainer's own [`Fingerprint`] when a state is saved and checked when
//! one is resumed, so that a checkpoint made for other data or settings is refused with the
//! difference named.

use super::RunSpec;
use crate::data::Dataset;
use crate::penalty::Penalty;
use crate::train::TrainConfig;
use crate::train::{Checkpoints, DataPrint, EpochInfo, Fingerprint, Observer, TrainState};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

impl RunSpec {
    /// The settings that change a fit's result, flag by flag (a switch's value is `on`):
    /// every flag but the epoch and time limits, which a resumed run may raise, and the
    /// checkpoint flags themselves.
    pub fn settings_print(&self) -> BTreeMap<String, String> {
        let kept = RunSpec {
            epochs: None,
            time_limit: None,
            checkpoint: None,
            checkpoint_every: None,
            resume: None,
            ..self.clone()
        };
        let args = kept.to_command_args();
        let mut out = BTreeMap::new();
        let mut i = 0;
        while i < args.len() {
            let takes_value = args.get(i + 1).is_some_and(|v| !v.starts_with("--"));
            let value = if takes_value {
                args[i + 1].clone()
            } else {
                "on".into()
            };
            out.insert(args[i].clone(), value);
            i += 1 + usize::from(takes_value);
        }
        out
    }
}

/// Refuses a checkpoint of a full-batch L1 fit: it stops on the proximal step's size measured
/// against its first epoch's, a memory of the estimator's that a state does not hold.
pub(super) fn check_l1(penalty: &Penalty, config: &TrainConfig) -> Result<()> {
    if penalty.l1 > 0.0 && config.batch_size.is_none() {
        return Err(Error::setting(
            "checkpoint",
            "a full-batch fit with an L1 penalty cannot be saved or resumed: add --batch-size, or leave out --checkpoint and --resume",
        ));
    }
    Ok(())
}

/// The caller's observer, with the data and settings stamped on every state it saves and
/// checked on the state it resumes.
pub struct Stamped<'a> {
    user: &'a mut dyn Observer,
    data: Option<DataPrint>,
    settings: BTreeMap<String, String>,
}

impl<'a> Stamped<'a> {
    /// Around `user`; the data print is taken only when `user`'s checkpoints check the data
    /// (which needs `data`: `None` only when they do not).
    pub(super) fn new(user: &'a mut dyn Observer, spec: &RunSpec, data: Option<&Dataset>) -> Self {
        let checks = user.checkpoints().is_some_and(|c| c.checks_data());
        let data = data
            .filter(|_| checks)
            .map(|data| DataPrint::of(data.x.rows(), data.x.cols(), data.x.as_slice(), &data.y));
        Stamped {
            user,
            data,
            settings: spec.settings_print(),
        }
    }

    /// Around `user`, stamping the settings only: the data of a run across ranks is each
    /// rank's own share, and a streamed run never holds its data, so no one print
    /// describes it.
    pub fn settings_only(user: &'a mut dyn Observer, spec: &RunSpec) -> Self {
        Stamped {
            user,
            data: None,
            settings: spec.settings_print(),
        }
    }

    fn print(&self) -> Fingerprint {
        Fingerprint {
            data: self.data.clone(),
            settings: Some(self.settings.clone()),
            ..Fingerprint::default()
        }
    }
}

impl Observer for Stamped<'_> {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        self.user.observe(info)
    }

    fn checkpoints(&mut self) -> Option<&mut dyn Checkpoints> {
        Some(self)
    }
}

impl Checkpoints for Stamped<'_> {
    fn resume(&mut self) -> Result<Option<TrainState>> {
        let Some(c) = self.user.checkpoints() else {
            return Ok(None);
        };
        let state = c.resume()?;
        if let Some(s) = &state {
            let now = self.print();
            let then = Fingerprint {
                data: s.fingerprint.data.clone().filter(|_| now.data.is_some()),
                settings: s.fingerprint.settings.clone(),
                ..Fingerprint::default()
            };
            then.check(&now)?;
        }
        Ok(state)
    }

    fn due(&mut self, epoch: usize) -> bool {
        self.user.checkpoints().is_some_and(|c| c.due(epoch))
    }

    fn save(&mut self, state: &TrainState) -> Result<()> {
        let mut stamped = state.clone();
        stamped.fingerprint.data = self.data.clone();
        stamped.fingerprint.settings = Some(self.settings.clone());
        match self.user.checkpoints() {
            Some(c) => c.save(&stamped),
            None => Ok(()),
        }
    }

    fn checks_data(&self) -> bool {
        self.data.is_some()
    }
}

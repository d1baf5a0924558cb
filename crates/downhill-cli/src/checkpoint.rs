//! `fit --checkpoint FILE [--checkpoint-every N]` and `fit --resume FILE`: the run's state
//! saved to and read from checkpoint files (format: `downhill_io::checkpoint`).

use anyhow::{bail, Result};
use downhill::spec::RunSpec;
use downhill::train::{Checkpoints, TrainState};
use downhill::Error;
use std::path::PathBuf;

/// The checkpoint files of one run.
#[derive(Debug)]
pub struct Files {
    save: Option<PathBuf>,
    every: Option<usize>,
    resume: Option<PathBuf>,
}

impl Files {
    /// The files `spec` names, if any.
    pub fn of(spec: &RunSpec) -> Result<Option<Files>> {
        if spec.checkpoint_every == Some(0) {
            bail!("--checkpoint-every 0: give a number of epochs of at least 1");
        }
        if spec.checkpoint.is_none() && spec.resume.is_none() {
            return Ok(None);
        }
        Ok(Some(Files {
            save: spec.checkpoint.as_ref().map(PathBuf::from),
            every: spec.checkpoint_every,
            resume: spec.resume.as_ref().map(PathBuf::from),
        }))
    }

    /// Reads a checkpoint but never writes one (the ranks but rank 0).
    pub fn reading_only(self) -> Self {
        Files { save: None, ..self }
    }

    /// Refuses the checkpoint flags for a way of training that does not keep them.
    pub fn refuse(spec: &RunSpec, how: &str) -> Result<()> {
        if spec.checkpoint.is_some() || spec.resume.is_some() {
            bail!("--checkpoint and --resume do not work with {how}: train without it to save or resume a run");
        }
        Ok(())
    }
}

impl Checkpoints for Files {
    fn resume(&mut self) -> downhill::Result<Option<TrainState>> {
        match &self.resume {
            Some(path) => downhill_io::checkpoint::read(path)
                .map(Some)
                .map_err(|e| Error::spec(format!("{e:#}"))),
            None => Ok(None),
        }
    }

    fn due(&mut self, epoch: usize) -> bool {
        self.every.is_some_and(|n| epoch.is_multiple_of(n))
    }

    fn save(&mut self, state: &TrainState) -> downhill::Result<()> {
        match &self.save {
            Some(path) => downhill_io::checkpoint::write(path, state)
                .map_err(|e| Error::spec(format!("{e:#}"))),
            None => Ok(()),
        }
    }
}

//! Checkpoint files: a run's [`TrainState`] as JSON, under a format name and version,
//! written atomically (a crash while saving leaves the previous checkpoint whole). Doubles
//! are written as the shortest text that reads back to the same bits, and read back exactly
//! (serde_json's `float_roundtrip`), so a resumed run continues bit for bit.

use crate::atomic;
use anyhow::{bail, Context, Result};
use downhill::train::TrainState;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format's name, first in every file.
pub const FORMAT: &str = "downhill-checkpoint";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    format: &'static str,
    version: u32,
    state: &'a TrainState,
}

#[derive(Deserialize)]
struct In {
    format: String,
    version: u32,
    state: TrainState,
}

/// Writes `state` to `path`, atomically.
pub fn write(path: &Path, state: &TrainState) -> Result<()> {
    atomic::write(path, |out| {
        let file = Out {
            format: FORMAT,
            version: VERSION,
            state,
        };
        serde_json::to_writer(&mut *out, &file)
            .with_context(|| format!("cannot write {}", path.display()))?;
        out.write_all(b"\n")
            .with_context(|| format!("cannot write {}", path.display()))
    })
}

/// Reads the state saved in `path`: one line naming the file when it cannot be read, is
/// not a checkpoint, or is one of another version.
pub fn read(path: &Path) -> Result<TrainState> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read checkpoint {}", path.display()))?;
    // The format first, so that another JSON file is named as such, not by a missing field.
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        version: Option<u32>,
    }
    let not_one = || format!("{}: not a downhill checkpoint", path.display());
    let head: Head = serde_json::from_str(&text).with_context(not_one)?;
    if head.format.as_deref() != Some(FORMAT) {
        bail!("{}: the file has no \"format\": \"{FORMAT}\"", not_one());
    }
    if head.version != Some(VERSION) {
        bail!(
            "{}: checkpoint version {:?}, this build reads version {VERSION}",
            path.display(),
            head.version
        );
    }
    let file: In = serde_json::from_str(&text)
        .with_context(|| format!("{}: damaged checkpoint", path.display()))?;
    debug_assert_eq!((file.format.as_str(), file.version), (FORMAT, VERSION));
    Ok(file.state)
}

//! Library errors restated with the flag (= the [`RunSpec`](super::RunSpec) field) a user sets.

use crate::Error;

/// An [`Error::InvalidSetting`] whose setting is a field of the run description, restated
/// as an [`Error::Spec`] naming its flag (`--lr: ...`); other errors unchanged.
pub fn flagged(e: Error) -> Error {
    match e {
        Error::InvalidSetting { setting, message } => {
            let flag = match setting {
                "batch size" => "--batch-size",
                "validation fraction" => "--validation-fraction",
                "learning rate" => "--lr",
                "gtol" => "--gtol",
                "tol" => "--tol",
                "initial parameters" => "--init",
                "precision" => "--precision",
                "optimizer" => "--optimizer",
                "huber delta" | "delta" => "--huber-delta",
                "epsilon" => "--epsilon",
                "loss" => "--loss",
                "polynomial degree" => "--degree",
                "polynomial columns" => "--degree-columns",
                _ => "",
            };
            if flag.is_empty() || message.contains(flag) {
                Error::InvalidSetting { setting, message }
            } else {
                Error::spec(format!("{flag}: {message}"))
            }
        }
        e => e,
    }
}

//! From flags to a method and loop settings, through the run description: shared by every
//! command that descends.

use crate::cli::TrainArgs;
use anyhow::Result;
use downhill::spec::MethodFacts;
use downhill::train::TrainConfig;
use downhill::Error;

pub use downhill::spec::Method;

/// Builds the method the flags ask for, `auto` resolved for a smooth problem whose curvature
/// and size are unknown (a function: its Hessian, if any, is approximate).
pub fn build(t: &TrainArgs) -> Result<Method> {
    crate::spec::of_train(t)
        .build_method(MethodFacts::default())
        .map_err(flagged)
}

/// The loop settings the flags ask for.
pub fn config(t: &TrainArgs) -> Result<TrainConfig> {
    crate::spec::of_train(t).train_config().map_err(flagged)
}

/// A library error, with the setting it names turned into the flag a user types.
pub fn flagged(e: Error) -> anyhow::Error {
    anyhow::Error::new(downhill::spec::flagged(e))
}

//! One file per command.

pub mod fit;
pub mod predict;

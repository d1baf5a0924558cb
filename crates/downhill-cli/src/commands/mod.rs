//! One file per command.

pub mod compare;
pub mod evaluate;
pub mod fit;
pub mod fit_ranks;
pub mod fit_stream;
pub mod minimize;
pub mod optimizers;
pub mod predict;
pub mod serve;

//! The I/O every downhill front door shares (the CLI today; a web server, a Python binding
//! and an MPI launch tomorrow): tables from CSV and Parquet, the same tables chunk by chunk
//! for streaming, model files (read, checked, written, and applied to data) and atomic
//! writes. The core crate `downhill` does no I/O; this crate does nothing else.
//!
//! Errors are `anyhow` values whose one-line message names the file, and the line and column
//! where there is one.

pub mod atomic;
pub mod checkpoint;
pub mod chunks;
pub mod contain;
pub mod csv;
mod decimal;
mod fast_csv;
pub mod fitted;
pub mod labels;
pub mod model_file;
pub mod parquet;
pub mod predict;
mod separators;
pub mod shards;
pub mod share;
pub mod table;

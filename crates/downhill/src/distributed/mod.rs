//! Data parallelism: one model trained over several processes (ranks), each holding a share
//! of the rows.
//!
//! Every full-batch evaluation of a model on data is a sum over rows, so processes are one
//! more level of the same sum: [`AllReduced`] sums its rank's rows and then all-reduces
//! `(loss sum, gradient sum, row count)` in one message, and every rank applies the same
//! update to the same numbers. The trainer, the line searches, CG, L-BFGS and Newton (with
//! Hessian sums) run on it unchanged. [`stats`] combines the standardisation and target
//! statistics the same way, and [`data_parallel`] trains on mini-batches across ranks
//! (synchronous SGD, local SGD with model averaging, elastic averaging).
//!
//! The library does no I/O and knows nothing of MPI: a [`Communicator`] is the only
//! channel between ranks, [`Solo`] the one-process one; the `downhill` command implements it
//! on MPI.

mod agreed;
mod all_reduced;
mod comm;
pub mod data_parallel;
pub mod scores;
pub mod stats;

pub use agreed::Agreed;
pub use all_reduced::AllReduced;
pub use comm::{Communicator, Solo};
pub use data_parallel::{train_data_parallel, Averaging};

#[cfg(test)]
mod tests;

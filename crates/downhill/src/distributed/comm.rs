/// The channel between the ranks of a data-parallel run: collective operations that every
/// rank calls in the same order with buffers of the same length.
///
/// Implementations must give every rank the same bits (an MPI all-reduce does, for a given
/// number of ranks), since every rank then takes the same decisions: the same step, the
/// same stopping epoch, the same number of evaluations.
pub trait Communicator {
    /// This process's rank, `0..size()`.
    fn rank(&self) -> usize;

    /// Number of ranks.
    fn size(&self) -> usize;

    /// Replaces every value by its sum over the ranks.
    fn sum(&self, values: &mut [f64]);

    /// Replaces every value by its maximum over the ranks.
    fn max(&self, values: &mut [f64]);

    /// Every rank's `bytes`, in rank order (on every rank).
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
}

/// One process alone: every collective is the identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Solo;

impl Communicator for Solo {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn sum(&self, _values: &mut [f64]) {}

    fn max(&self, _values: &mut [f64]) {}

    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
}

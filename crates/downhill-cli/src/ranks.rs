//! The MPI ranks of a launch (`mpirun -n N downhill fit ...`), as the library's
//! [`Communicator`]: rsmpi over the system's MPI library. Only with `--features mpi`.

use anyhow::{Context, Result};
use downhill::distributed::Communicator;
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator as _;
use mpi::traits::*;
use mpi::Count;
use std::cell::Cell;
use std::time::Instant;

/// MPI, started: the world communicator. Dropping it finalises MPI.
pub struct Mpi {
    world: SimpleCommunicator,
    /// Collectives called and the seconds spent in them (waiting for the slowest rank
    /// included), for `--comm-stats`-like reports.
    spent: Cell<(u64, f64)>,
    _universe: Universe,
}

impl Mpi {
    /// Starts MPI (once per process).
    pub fn start() -> Result<Mpi> {
        let universe = mpi::initialize().context("MPI could not start")?;
        Ok(Mpi {
            world: universe.world(),
            spent: Cell::new((0, 0.0)),
            _universe: universe,
        })
    }

    /// Collectives called so far, and the seconds this rank spent in them.
    pub fn traffic(&self) -> (u64, f64) {
        self.spent.get()
    }

    fn timed<R>(&self, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let out = f();
        let (n, t) = self.spent.get();
        self.spent.set((n + 1, t + start.elapsed().as_secs_f64()));
        out
    }

    /// Ends every rank of the job with `code`, now: a rank that failed alone cannot leave
    /// the others waiting in the next collective.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

impl Communicator for Mpi {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn sum(&self, values: &mut [f64]) {
        let send = values.to_vec();
        self.timed(|| {
            self.world
                .all_reduce_into(&send[..], values, SystemOperation::sum())
        });
    }

    fn max(&self, values: &mut [f64]) {
        let send = values.to_vec();
        self.timed(|| {
            self.world
                .all_reduce_into(&send[..], values, SystemOperation::max())
        });
    }

    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let size = self.size();
        let mine = bytes.len() as Count;
        let mut counts = vec![0 as Count; size];
        self.world.all_gather_into(&mine, &mut counts[..]);
        let displs: Vec<Count> = counts
            .iter()
            .scan(0, |at, &c| {
                let d = *at;
                *at += c;
                Some(d)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(bytes, &mut partition);
        }
        counts
            .iter()
            .zip(&displs)
            .map(|(&c, &d)| all[d as usize..(d + c) as usize].to_vec())
            .collect()
    }
}

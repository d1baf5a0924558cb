use super::{FiniteSum, Rows};
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::ops::Range;
use std::sync::Arc;

/// Rows per block in full-batch sums.
pub const BLOCK_ROWS: usize = 512;

/// Blocks of rows each thread must get before a loss or gradient sum is split over threads:
/// below that, waking the threads costs more than the rows do. On this project's 2-core
/// virtual machine a sleeping thread takes about 50 us to wake (two 20 us halves of a job
/// took 85-95 us, median, on two pool threads, in a harness not kept), and with 4 blocks a
/// thread (2,048 rows) the full-batch fits of 8,192 to 16,384 rows measured ran about as
/// fast on two threads as on one or slower (`downhill fit --optimizer gd --threads 1|2` on
/// seeded Parquet sets, as `bench/threads.py` times them; microseconds an epoch: linear
/// 8,192 x 20 29-37 against 42-66, 16,384 x 10 38-48 against 48-62; logistic 8,192 x 20
/// 58-61 against 59-76, 16,384 x 20 117-124 against 104-145). From 32 blocks a thread
/// (32,768 rows on two) logistic fits gain (x 20: 243-261 against 161-260, most runs under
/// 225); linear ones gain or lose with the hour up to about 100,000 rows (32,768 x 20:
/// 112-123 against 72-142), their epochs bound by the caches rather than by arithmetic.
pub const MIN_BLOCKS_PER_THREAD: usize = 32;

/// Values (rows times parameters) each thread must get before a loss or gradient sum of
/// fewer than [`MIN_BLOCKS_PER_THREAD`] blocks a thread is split over the threads, with at
/// least one block each: long rows pay for the waking with fewer of them. Without it a set
/// of 20,000 rows of 2,500 values (400 MB) was summed on one thread, 2.2x the read bound of
/// its size on two (`examples/epoch_bound 20000 2500 linear 11 2`, session 40).
pub const MIN_GRADIENT_WORK_PER_THREAD: usize = 1 << 20;

/// [`MIN_BLOCKS_PER_THREAD`] for Hessian sums, which cost about `dim / 2` times a gradient's
/// multiply-adds a row and so pay for the threads' waking with fewer rows: at least this
/// many blocks a thread, and [`MIN_HESSIAN_WORK_PER_THREAD`].
pub const MIN_HESSIAN_BLOCKS_PER_THREAD: usize = 4;

/// Rows times parameters squared each thread must get before a Hessian sum is split over
/// threads. Newton fits of logistic regression through the CLI (`--optimizer newton --gtol
/// 0 --threads 1|2`, microseconds an iteration, where below 32,768 rows only the Hessian was
/// split): 8,192 x 20 (3.6 million for 21 parameters) 349-373 on one thread against 385-410
/// on two, 16,384 x 20 (7.2 million) 575-594 against 583-630, 8,192 x 50 (21 million)
/// 1,144-1,174 against 984-1,207, 16,384 x 50 (43 million) 2,242-2,289 against 1,881-1,910.
pub const MIN_HESSIAN_WORK_PER_THREAD: usize = 5_000_000;

/// The number of threads a setting of `threads` means: itself, or every core the system
/// reports for 0 (1 when it cannot tell).
pub fn resolve_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    }
}

/// Sums a [`FiniteSum`]'s loss and gradient over many rows in two levels: each block of
/// [`BLOCK_ROWS`] rows is summed into a scratch buffer, then added to the total. Rounding
/// error then grows with `BLOCK_ROWS + N / BLOCK_ROWS` instead of `N`, at the price of
/// one buffer of `dim` values, allocated once.
///
/// With threads ([`BlockSum::with_threads`]), a sum over enough rows (at least
/// [`MIN_BLOCKS_PER_THREAD`] blocks per thread; for a Hessian
/// [`MIN_HESSIAN_BLOCKS_PER_THREAD`] and [`MIN_HESSIAN_WORK_PER_THREAD`]) of a problem that can be shared
/// ([`FiniteSum::as_sync`]) is split into `T` contiguous runs of whole blocks, one per
/// thread; each thread sums its run block by block into a buffer of its own, and the
/// buffers are added in thread order. The blocks are those of the one-thread sum, and the
/// order of every addition is fixed by `T` alone, never by scheduling: a given thread count
/// gives the same bits on every run, and different counts differ only in the order the
/// blocks' partial sums are added. The pool and the buffers are made on the first sum that
/// uses them, once per workspace (so once per training run).
#[derive(Debug, Clone)]
pub struct BlockSum {
    block: Vec<f64>,
    threads: usize,
    par: Option<Parallel>,
}

/// What the threads need, made once.
#[derive(Debug, Clone)]
struct Parallel {
    pool: Arc<ThreadPool>,
    /// Each thread's total, `threads * dim` values.
    totals: Vec<f64>,
    /// Each thread's block scratch, `threads * dim` values.
    blocks: Vec<f64>,
    /// Each thread's loss.
    losses: Vec<f64>,
    /// Each thread's Hessian total, `threads * dim^2` values, made on the first Hessian.
    hess_totals: Vec<f64>,
}

impl BlockSum {
    /// A one-thread workspace for problems with `dim` parameters.
    pub fn new(dim: usize) -> Self {
        BlockSum::with_threads(dim, 1)
    }

    /// A workspace for problems with `dim` parameters that splits large sums over
    /// `threads` threads (0: one per core, see [`resolve_threads`]). Should the thread pool
    /// fail to start (the system refuses threads), sums run on the calling thread.
    pub fn with_threads(dim: usize, threads: usize) -> Self {
        BlockSum {
            block: vec![0.0; dim],
            threads: resolve_threads(threads),
            par: None,
        }
    }

    /// The number of threads large sums are split over.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Overwrites `grad` with the sum of the rows' gradients and returns the sum of their
    /// losses.
    pub fn sum<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
    ) -> f64 {
        grad.fill(0.0);
        self.add(problem, params, rows, grad)
    }

    /// Adds the sum of the rows' gradients into `grad` and returns the sum of their losses
    /// (blocked and threaded as [`BlockSum::sum`]).
    pub fn add<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
    ) -> f64 {
        if self.sum_pays(rows.len()) && grad.len() == self.block.len() {
            if let Some(shared) = problem.as_sync() {
                if let Some(par) = self.parallel() {
                    return par.add(shared, params, rows, grad);
                }
            }
        }
        add_blocks(problem, params, rows, &mut self.block, grad)
    }

    /// The sum of the rows' losses (no gradient), blocked (and threaded) the same way.
    pub fn loss_sum<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
    ) -> f64 {
        if self.sum_pays(rows.len()) {
            if let Some(shared) = problem.as_sync() {
                if let Some(par) = self.parallel() {
                    return par.loss_sum(shared, params, rows);
                }
            }
        }
        loss_blocks(problem, params, rows)
    }

    /// Overwrites `out` with the sum of the rows' Hessians (`dim x dim`, row-major): each
    /// block of [`BLOCK_ROWS`] rows summed alone, then added to the total
    /// ([`FiniteSum::hessian_runs`]), split over the threads as [`BlockSum::sum`] splits the
    /// gradient (the same blocks, the threads' totals added in thread order: the same bits
    /// for the same thread count). The Hessian sums cost `dim / 2` times a gradient's
    /// multiply-adds per row, so they pay for threads sooner
    /// ([`MIN_HESSIAN_BLOCKS_PER_THREAD`], [`MIN_HESSIAN_WORK_PER_THREAD`]).
    pub fn hessian<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
        out: &mut [f64],
    ) {
        let dim = self.block.len();
        if self.hessian_pays(rows.len()) && out.len() == dim * dim {
            if let Some(shared) = problem.as_sync() {
                if let Some(par) = self.parallel() {
                    par.hessian(shared, params, rows, out);
                    return;
                }
            }
        }
        problem.hessian_runs(params, rows, BLOCK_ROWS, out);
    }

    /// [`BlockSum::sum`] and [`BlockSum::hessian`] at once, in one pass over the rows where
    /// the problem has one ([`FiniteSum::cost_grad_hessian_runs`]): overwrites `grad` and
    /// `out` and returns the loss sum, the bits of those two calls. `None`, with nothing
    /// written, when the two would not split the rows over the same threads (a Hessian
    /// pays for threads with fewer rows): the caller then makes them apart.
    pub fn cost_grad_hessian<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> Option<f64> {
        let dim = self.block.len();
        let shared = problem.as_sync();
        let by_grad = self.sum_pays(rows.len()) && shared.is_some();
        let by_hessian = self.hessian_pays(rows.len()) && shared.is_some();
        if by_grad != by_hessian || grad.len() != dim || out.len() != dim * dim {
            return None;
        }
        if let (true, Some(shared)) = (by_grad, shared) {
            let par = self.parallel()?;
            return Some(par.cost_grad_hessian(shared, params, rows, grad, out));
        }
        Some(problem.cost_grad_hessian_runs(params, rows, BLOCK_ROWS, grad, out))
    }

    /// Whether a loss or gradient sum of `n` rows is worth splitting over the threads
    /// ([`MIN_BLOCKS_PER_THREAD`], [`MIN_GRADIENT_WORK_PER_THREAD`]).
    fn sum_pays(&self, n: usize) -> bool {
        let dim = self.block.len();
        self.pays(n, MIN_BLOCKS_PER_THREAD)
            || (self.pays(n, 1)
                && n.saturating_mul(dim) >= MIN_GRADIENT_WORK_PER_THREAD * self.threads)
    }

    /// Whether a Hessian of `n` rows is worth splitting over the threads
    /// ([`MIN_HESSIAN_BLOCKS_PER_THREAD`], [`MIN_HESSIAN_WORK_PER_THREAD`]).
    fn hessian_pays(&self, n: usize) -> bool {
        let dim = self.block.len();
        self.pays(n, MIN_HESSIAN_BLOCKS_PER_THREAD)
            && n.saturating_mul(dim * dim) >= MIN_HESSIAN_WORK_PER_THREAD * self.threads
    }

    /// Whether `n` rows are enough to split over the threads, at `min_blocks` blocks a thread.
    fn pays(&self, n: usize, min_blocks: usize) -> bool {
        self.threads > 1 && !self.block.is_empty() && n >= min_blocks * BLOCK_ROWS * self.threads
    }

    /// The pool and buffers, made on first use; `None` (and one thread from then on) when
    /// the pool cannot start.
    fn parallel(&mut self) -> Option<&mut Parallel> {
        if self.par.is_none() {
            let t = self.threads;
            match ThreadPoolBuilder::new()
                .num_threads(t)
                .thread_name(|i| format!("downhill-{i}"))
                .build()
            {
                Ok(pool) => {
                    let dim = self.block.len();
                    self.par = Some(Parallel {
                        pool: Arc::new(pool),
                        totals: vec![0.0; t * dim],
                        blocks: vec![0.0; t * dim],
                        losses: vec![0.0; t],
                        hess_totals: Vec::new(),
                    });
                }
                Err(_) => self.threads = 1,
            }
        }
        self.par.as_mut()
    }
}

impl Parallel {
    fn threads(&self) -> usize {
        self.losses.len()
    }

    fn add(
        &mut self,
        problem: &(dyn FiniteSum + Sync),
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
    ) -> f64 {
        let (t, dim) = (self.threads(), grad.len());
        let Parallel {
            pool,
            totals,
            blocks,
            losses,
            ..
        } = self;
        pool.install(|| {
            totals
                .par_chunks_mut(dim)
                .zip(blocks.par_chunks_mut(dim))
                .zip(losses.par_iter_mut())
                .enumerate()
                .for_each(|(k, ((total, block), loss))| {
                    total.fill(0.0);
                    *loss = add_blocks(problem, params, part(&rows, t, k), block, total);
                });
        });
        add_totals(grad, totals);
        losses.iter().sum()
    }

    fn hessian(
        &mut self,
        problem: &(dyn FiniteSum + Sync),
        params: &[f64],
        rows: Range<usize>,
        out: &mut [f64],
    ) {
        let (t, len) = (self.threads(), out.len());
        self.hess_totals.resize(t * len, 0.0);
        let Parallel {
            pool, hess_totals, ..
        } = self;
        pool.install(|| {
            hess_totals
                .par_chunks_mut(len)
                .enumerate()
                .for_each(|(k, total)| {
                    problem.hessian_runs(params, part(&rows, t, k), BLOCK_ROWS, total);
                });
        });
        out.fill(0.0);
        add_totals(out, hess_totals);
    }

    fn cost_grad_hessian(
        &mut self,
        problem: &(dyn FiniteSum + Sync),
        params: &[f64],
        rows: Range<usize>,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> f64 {
        let (t, dim, len) = (self.threads(), grad.len(), out.len());
        self.hess_totals.resize(t * len, 0.0);
        let Parallel {
            pool,
            totals,
            losses,
            hess_totals,
            ..
        } = self;
        pool.install(|| {
            totals
                .par_chunks_mut(dim)
                .zip(hess_totals.par_chunks_mut(len))
                .zip(losses.par_iter_mut())
                .enumerate()
                .for_each(|(k, ((total, hess), loss))| {
                    let part = part(&rows, t, k);
                    *loss = problem.cost_grad_hessian_runs(params, part, BLOCK_ROWS, total, hess);
                });
        });
        // The orders of `add` and `hessian`.
        grad.fill(0.0);
        add_totals(grad, totals);
        out.fill(0.0);
        add_totals(out, hess_totals);
        losses.iter().sum()
    }

    fn loss_sum(
        &mut self,
        problem: &(dyn FiniteSum + Sync),
        params: &[f64],
        rows: Range<usize>,
    ) -> f64 {
        let t = self.threads();
        let Parallel { pool, losses, .. } = self;
        pool.install(|| {
            losses.par_iter_mut().enumerate().for_each(|(k, loss)| {
                *loss = loss_blocks(problem, params, part(&rows, t, k));
            });
        });
        losses.iter().sum()
    }
}

/// Adds the threads' totals (`totals`, one of `out.len()` values a thread) into `out` in
/// the fixed order, thread 0's first: the same bits for the same thread count.
fn add_totals(out: &mut [f64], totals: &[f64]) {
    for total in totals.chunks_exact(out.len()) {
        for (o, v) in out.iter_mut().zip(total) {
            *o += v;
        }
    }
}

/// Part `k` of `t` of `rows`: a contiguous run of whole blocks (counted from `rows.start`,
/// as the one-thread sum counts them), the parts as equal as blocks allow.
fn part(rows: &Range<usize>, t: usize, k: usize) -> Range<usize> {
    let blocks = rows.len().div_ceil(BLOCK_ROWS);
    let at = |k: usize| (rows.start + k * blocks / t * BLOCK_ROWS).min(rows.end);
    at(k)..at(k + 1)
}

/// The one-thread two-level sum: each block into `block`, then into `grad`.
fn add_blocks<P: FiniteSum + ?Sized>(
    problem: &P,
    params: &[f64],
    rows: Range<usize>,
    block: &mut [f64],
    grad: &mut [f64],
) -> f64 {
    let mut loss = 0.0;
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + BLOCK_ROWS).min(rows.end);
        block.fill(0.0);
        loss += problem.accumulate(params, Rows::Range(start..end), block);
        for (g, b) in grad.iter_mut().zip(block.iter()) {
            *g += b;
        }
        start = end;
    }
    loss
}

/// The one-thread blocked loss sum.
fn loss_blocks<P: FiniteSum + ?Sized>(problem: &P, params: &[f64], rows: Range<usize>) -> f64 {
    let mut loss = 0.0;
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + BLOCK_ROWS).min(rows.end);
        loss += problem.loss_sum(params, Rows::Range(start..end));
        start = end;
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Matrix;

    /// `n` rows of `d` features spread over [-1.6, 1.8] and 0/1 labels, every third a 1.
    fn rows_and_labels(n: usize, d: usize) -> (Matrix, Vec<f64>) {
        let values = (0..n * d).map(|k| ((k * 37) % 101) as f64 / 30.0 - 1.6);
        let x = Matrix::from_row_major(n, d, values.collect()).unwrap();
        (x, (0..n).map(|i| f64::from(i % 3 == 0)).collect())
    }

    #[test]
    fn parts_are_whole_blocks_covering_the_rows_in_order() {
        for (rows, t) in [(7..10_007, 3), (0..4096, 2), (5..6, 4), (0..0, 2)] {
            let parts: Vec<_> = (0..t).map(|k| part(&rows, t, k)).collect();
            assert_eq!(parts[0].start, rows.start);
            assert_eq!(parts[t - 1].end, rows.end);
            for w in parts.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!((w[0].end - rows.start) % BLOCK_ROWS, 0);
            }
        }
        // 19.5 blocks over 3 threads: 6, 7 and 6.5 blocks.
        let parts: Vec<_> = (0..3).map(|k| part(&(0..9984), 3, k).len()).collect();
        assert_eq!(parts, vec![6 * 512, 7 * 512, 9984 - 13 * 512]);
    }

    #[test]
    fn threaded_hessian_is_the_definition_and_repeats_bit_for_bit() {
        use crate::loss::{sigmoid, LogLoss};
        use crate::model::Linear;
        let (d, dim) = (20, 21);
        // Enough rows for three threads, and a part block at the end.
        let n = (MIN_HESSIAN_WORK_PER_THREAD * 3).div_ceil(dim * dim) + 77;
        assert!(n >= MIN_HESSIAN_BLOCKS_PER_THREAD * BLOCK_ROWS * 3);
        let (x, y) = rows_and_labels(n, d);
        let model = Linear::new(&x, &y, LogLoss);
        let params: Vec<f64> = (0..dim)
            .map(|j| [0.1, -0.2, 0.05, 0.3, -0.1][j % 5])
            .collect();
        // sum_i p_i (1 - p_i) z_i z_i^T, z_i = [x_i, 1], row by row.
        let mut want = vec![0.0; dim * dim];
        for i in 0..n {
            let mut z = x.row(i).to_vec();
            z.push(1.0);
            let p = sigmoid(z.iter().zip(&params).map(|(a, b)| a * b).sum());
            for j in 0..dim {
                for k in 0..dim {
                    want[j * dim + k] += p * (1.0 - p) * z[j] * z[k];
                }
            }
        }
        for t in [1, 2, 3] {
            let mut work = BlockSum::with_threads(dim, t);
            // What `out` held is overwritten.
            let (mut a, mut b) = (vec![0.0; dim * dim], vec![5.0; dim * dim]);
            work.hessian(&model, &params, 0..n, &mut a);
            work.hessian(&model, &params, 0..n, &mut b);
            assert_eq!(a, b, "{t} threads, twice");
            for (got, want) in a.iter().zip(&want) {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{got} {want}"
                );
            }
        }
    }

    #[test]
    fn a_gradient_sum_splits_over_threads_from_its_threshold_on() {
        use crate::loss::LogLoss;
        use crate::model::Linear;
        let d = 3;
        let params = [0.3, -0.2, 0.1, 0.05];
        let at = MIN_BLOCKS_PER_THREAD * BLOCK_ROWS * 2;
        for n in [at - 1, at, at + 77] {
            let (x, y) = rows_and_labels(n, d);
            let model = Linear::new(&x, &y, LogLoss);
            two_threads_sum_in_parts(&model, &params, n, if n < at { 1 } else { 2 });
        }
    }

    /// Checks that a sum of rows `0..n` on two threads is the one-thread sums of `parts`
    /// runs added in order: below a threshold (1) the calling thread sums every block in
    /// order; from it on (2) each half is summed alone and the halves added, thread 0's
    /// first. The loss alone ([`BlockSum::loss_sum`]) splits the same way.
    fn two_threads_sum_in_parts<P: FiniteSum>(model: &P, params: &[f64], n: usize, parts: usize) {
        let dim = params.len();
        let mut two = vec![0.0; dim];
        let mut sums = BlockSum::with_threads(dim, 2);
        let loss = sums.sum(model, params, 0..n, &mut two);
        let loss_alone = sums.loss_sum(model, params, 0..n);
        let (mut want, mut want_loss) = (vec![0.0; dim], 0.0);
        for rows in (0..parts).map(|k| part(&(0..n), parts, k)) {
            let mut half = vec![0.0; dim];
            want_loss += BlockSum::new(dim).sum(model, params, rows, &mut half);
            want.iter_mut().zip(&half).for_each(|(w, h)| *w += h);
        }
        assert_eq!(loss.to_bits(), want_loss.to_bits(), "{n} rows");
        assert_eq!(loss_alone.to_bits(), want_loss.to_bits(), "{n} rows");
        assert_eq!(two, want, "{n} rows");
    }

    #[test]
    fn a_gradient_sum_of_long_rows_splits_over_threads_from_its_work_on() {
        use crate::loss::Squared;
        use crate::model::Linear;
        let d = 300;
        let dim = d + 1;
        let params: Vec<f64> = (0..dim).map(|j| 0.02 - 0.001 * j as f64).collect();
        // Fewer rows than the blocks' threshold, enough values from `at` on.
        let at = (MIN_GRADIENT_WORK_PER_THREAD * 2).div_ceil(dim);
        assert!(at < MIN_BLOCKS_PER_THREAD * BLOCK_ROWS * 2 && at > 2 * BLOCK_ROWS);
        let (x, y) = rows_and_labels(at, d);
        for n in [at - 1, at] {
            let x = crate::data::MatrixRef::f64(&x.as_slice()[..n * d], n, d).unwrap();
            let model = Linear::new(x, &y[..n], Squared);
            two_threads_sum_in_parts(&model, &params, n, if n < at { 1 } else { 2 });
        }
    }

    #[test]
    fn a_hessian_splits_over_threads_from_its_work_on() {
        use crate::loss::LogLoss;
        use crate::model::Linear;
        let (d, dim) = (20, 21);
        let params: Vec<f64> = (0..dim).map(|j| 0.05 - 0.01 * j as f64).collect();
        let at = (MIN_HESSIAN_WORK_PER_THREAD * 2).div_ceil(dim * dim);
        for n in [at - 1, at] {
            let (x, y) = rows_and_labels(n, d);
            let model = Linear::new(&x, &y, LogLoss);
            let mut two = vec![0.0; dim * dim];
            BlockSum::with_threads(dim, 2).hessian(&model, &params, 0..n, &mut two);
            // Below the threshold every block in order on the calling thread; from it on,
            // each half alone, the halves added in order.
            let mut want = vec![0.0; dim * dim];
            let parts = if n < at { 1 } else { 2 };
            for rows in (0..parts).map(|k| part(&(0..n), parts, k)) {
                let mut half = vec![0.0; dim * dim];
                BlockSum::new(dim).hessian(&model, &params, rows, &mut half);
                want.iter_mut().zip(&half).for_each(|(w, h)| *w += h);
            }
            assert_eq!(two, want, "{n} rows");
        }
    }

    #[test]
    fn cost_gradient_and_hessian_in_one_pass_are_those_of_two() {
        use crate::loss::LogLoss;
        use crate::model::Linear;
        use crate::objective::{FullBatch, Hessian};
        use crate::Objective;
        // 40,000 x 20 on two threads: the gradient and the Hessian both split; 25,000 x 20:
        // only the Hessian would, so there is no pass for both (and nothing is written).
        for (n, threads, fused) in [(40_000, 2, true), (40_000, 1, true), (25_000, 2, false)] {
            let (x, y) = rows_and_labels(n, 20);
            let model = Linear::new(&x, &y, LogLoss);
            let objective = FullBatch::with_threads(&model, threads);
            let p: Vec<f64> = (0..21).map(|j| 0.02 * j as f64 - 0.2).collect();
            let (mut g1, mut g2) = (vec![f64::NAN; 21], vec![f64::NAN; 21]);
            let (mut h1, mut h2) = (vec![f64::NAN; 441], vec![f64::NAN; 441]);
            let c1 = objective.cost_grad_hessian(&p, &mut g1, &mut h1);
            if !fused || !crate::numeric::vmath::has_avx2_fma() {
                assert_eq!(c1, None);
                assert!(g1.iter().chain(&h1).all(|v| v.is_nan()), "nothing written");
                continue;
            }
            let c2 = objective.cost_grad(&p, &mut g2);
            objective.hessian(&p, &mut h2);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                c1.map(f64::to_bits),
                Some(c2.to_bits()),
                "{n} rows, {threads} threads"
            );
            assert_eq!(bits(&g1), bits(&g2));
            assert_eq!(bits(&h1), bits(&h2));
        }
    }

    #[test]
    fn zero_threads_means_every_core() {
        assert!(resolve_threads(0) >= 1);
        assert_eq!(resolve_threads(3), 3);
        assert_eq!(BlockSum::with_threads(2, 5).threads(), 5);
    }
}

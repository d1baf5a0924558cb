//! Weighted Gram sums `sum_i h_i z_i z_i^T` (the Hessian of a linear model's loss, with
//! `h_i` the loss's second derivative at row `i`) in blocks of rows, so that they run at the
//! machine's multiply-add rate rather than at the rate of loads and stores of the output.
//!
//! A row-by-row update `H += h z z^T` reads and writes every entry of `H` for every row: a
//! load and a store per multiply-add. Here rows are gathered [`ROWS`] at a time into a
//! padded copy (`Z`, and `U = diag(h) Z`), or `Z` is read in place from the caller's rows of
//! `f64` (an intercept's column of ones implied), and `U^T Z` is summed tile by tile, each
//! tile of the output in registers while the block's rows stream past from the first-level
//! cache:
//!
//! - the first `m = 4 * floor(dim / 4)` columns four rows of the output at a time, each such
//!   row band from the diagonal on in tiles of up to ten vectors of four columns (with
//!   AVX-512F five vectors of eight: 20 accumulators, five loads and four broadcasts a row,
//!   in 32 registers; two vectors of four, eight accumulators, where the CPU has AVX2 only);
//!   a band of one vector (the last, on the diagonal) alternates rows between two sets of
//!   accumulators, so that eight chains keep two FMA ports with a latency of four cycles
//!   busy;
//! - the last `dim - m` columns (at most three) as columns of `U^T z_k`, four rows of the
//!   output per vector, up to eight vectors at a time; with AVX-512VL the last of them (an
//!   intercept's column of ones, say) is summed inside the first tile of two to four
//!   vectors: there its few vectors a row cost next to nothing beside the tile's
//!   multiply-adds, while alone, a handful of chains waiting on their latency, they took
//!   about a fifth of the sums' time at 21 parameters.
//!
//! With AVX-512F the tiles' vectors of four columns go in pairs, as vectors of eight (`tile8`:
//! half the multiply-add instructions; on AMD's family 26, whose 512-bit multiply-adds run at
//! the full rate, a Hessian of 1,000,000 x 20 on two threads took 5.2-5.4 ms against 6.1, of
//! 200,000 x 100 16.1-16.2 against 21.1-21.3, `examples/newton_cost` alternated three times).
//! Tiles of up to ten vectors rather than five leave a vector of four only at the end of a
//! band whose count is odd, not in every tile (200,000 x 100, two threads: 16.1 -> 15.3 ms),
//! and the last columns go in vectors of eight too (`column8`).
//!
//! Every entry adds the block's rows in order in one chain, except those of a one-vector
//! band (even rows and odd rows apart, then added): the order does not depend on the tiles,
//! so the kernels of either instruction set give the same bits. For 21 parameters (20
//! features and an intercept) that is 264 multiply-adds per row for the 231 the triangle
//! needs (row by row it would be 231 loads and stores of the output as well). The vector
//! kernels are written with intrinsics, chosen once per block; a portable one computes the
//! same sums in the same order with `mul_add` or `a * b + c`.

/// The buffers of a sum's [`GramSum::new`] larger than this are not kept for the next sum
/// ([`SPARE`]): past it, allocating costs little against the sums themselves (a 64-row
/// block of 180 columns already takes a million multiply-adds).
const SPARE_BYTES: usize = 1 << 20;

thread_local! {
    /// The buffers of this thread's last finished sum, taken by its next [`GramSum::new`] of
    /// the same size. A Hessian is summed in blocks of 512 rows, a new `GramSum` each; made
    /// afresh, each block's buffers were allocated and zeroed, and above the allocator's
    /// trim threshold (128 KiB in glibc) handed back to the system and faulted in again:
    /// 200,000 x 100 on two threads took 41 ms against 31 ms with the buffers kept, 10,000
    /// x 100 in cache 3.10 ms against 2.82, 1,000,000 x 20 a few per cent
    /// (`examples/newton_cost`).
    static SPARE: std::cell::Cell<Option<GramSum>> = const { std::cell::Cell::new(None) };
}

/// Rows gathered per block: `2 * ROWS * width` values stay in the first-level cache for
/// widths up to a few dozen.
const ROWS: usize = 64;

/// Vectors of the last columns summed at once (eight chains of multiply-adds).
const TAIL_GROUP: usize = 8;

/// Accumulates `sum_i h_i z_i z_i^T` for rows given one at a time, into a `dim x dim`
/// row-major matrix (both triangles) on [`GramSum::finish`].
pub(crate) struct GramSum {
    dim: usize,
    /// `dim` rounded up to a multiple of 4 (the vector width): columns past `dim` are
    /// padding (zeros when new; read only into entries that are dropped).
    width: usize,
    z: Vec<f64>,
    u: Vec<f64>,
    rows: usize,
    /// The upper triangle, `width x width` row-major (entries below the diagonal unused).
    acc: Vec<f64>,
    /// The runs ended so far ([`GramSum::end_run`]), laid out as `acc`; empty until the
    /// first run ends.
    total: Vec<f64>,
}

impl GramSum {
    /// An empty sum of `dim x dim` matrices: this thread's spare buffers ([`SPARE`]) if they
    /// have this size, new ones otherwise.
    pub fn new(dim: usize) -> Self {
        if let Some(mut spare) = SPARE.take().filter(|g| g.dim == dim) {
            spare.rows = 0;
            spare.acc.fill(0.0);
            spare.total.clear();
            // Columns past `dim` are never summed into kept entries: what the last sum left
            // there (a caller of `block_slots` may leave anything) stays.
            return spare;
        }
        let width = dim.div_ceil(4) * 4;
        GramSum {
            dim,
            width,
            z: vec![0.0; ROWS * width],
            u: vec![0.0; ROWS * width],
            rows: 0,
            acc: vec![0.0; width * width],
            total: Vec::new(),
        }
    }

    /// Adds `h z z^T` for the row `z` (`dim` values, written by `fill` into the slice it is
    /// given).
    #[inline]
    pub fn push(&mut self, h: f64, fill: impl FnOnce(&mut [f64])) {
        let at = self.rows * self.width;
        let z = &mut self.z[at..at + self.dim];
        fill(z);
        for (u, z) in self.u[at..at + self.dim].iter_mut().zip(z.iter()) {
            *u = h * z;
        }
        self.rows += 1;
        if self.rows == ROWS {
            self.flush();
        }
    }

    /// Rows in a block of [`GramSum::block_slots`] at most.
    pub const BLOCK: usize = ROWS;

    /// Whether [`GramSum::sum_block`] can read a block's `Z` in place from rows of `cols`
    /// values: the tiles read the first `dim / 4 * 4` columns whole, and a last column past
    /// `cols` (an intercept's) is taken as ones.
    pub fn reads_in_place(&self, cols: usize) -> bool {
        self.dim / 4 * 4 <= cols && self.dim <= cols + 1
    }

    /// Row `r` of a block's `Z` and `U`, `width` values each (those past `dim` are read only
    /// into entries below the diagonal or past `dim`, which are dropped), for a caller that writes `z` (unless `Z` is read in place)
    /// and `h z` itself with vector stores; then [`GramSum::sum_block`]. Not mixed with
    /// [`GramSum::push`].
    #[inline]
    pub fn block_slots(&mut self, r: usize) -> (&mut [f64], &mut [f64]) {
        let at = r * self.width;
        (
            &mut self.z[at..at + self.width],
            &mut self.u[at..at + self.width],
        )
    }

    /// Adds the block of `rows` rows written into [`GramSum::block_slots`]; with `in_place =
    /// Some((z, cols))`, `Z` is read from `z` (row `i` at `i * cols`, `cols` values, then ones
    /// if `dim == cols + 1`; [`GramSum::reads_in_place`]) instead of the slots: a copy of
    /// every row less (stores were the most of a Hessian's work besides the sums).
    pub fn sum_block(&mut self, rows: usize, in_place: Option<(&[f64], usize)>) {
        self.sum_block_ahead(rows, in_place, (std::ptr::null(), 0));
    }

    /// [`GramSum::sum_block`], asking meanwhile for the `ahead.1` bytes at `ahead.0` (the
    /// next block's rows, a hint: never read) into the second-level cache
    /// ([`FAR_HINT`](crate::numeric::FAR_HINT)), a line with each
    /// row of the tiles' loops. Asked for all at once before the block, the requests queued
    /// behind the core's few miss buffers while the tiles waited behind them
    /// (`examples/newton_cost 1000000 20 2 7`, three alternations: a Hessian 11.6 ms ->
    /// 10.6-10.8; 400,000 x 50 19.9-20.1 -> 18.4-18.8; 200,000 x 100 43.3-43.7 -> 42.8-42.9;
    /// 1,000,000 x 10 and in cache within the noise).
    pub fn sum_block_ahead(
        &mut self,
        rows: usize,
        in_place: Option<(&[f64], usize)>,
        ahead: (*const i8, usize),
    ) {
        assert!(
            self.rows == 0 && rows <= ROWS,
            "a block of at most {ROWS} rows, not mixed with pushed rows"
        );
        if rows == 0 {
            return;
        }
        let (z, z_stride, z_cols) = match in_place {
            Some((z, cols)) => {
                assert!(self.reads_in_place(cols) && z.len() >= rows * cols);
                (z, cols, cols)
            }
            None => (&self.z[..], self.width, self.width),
        };
        let block = Block {
            u: &self.u,
            z,
            rows,
            width: self.width,
            dim: self.dim,
            z_stride,
            z_cols,
            ahead,
        };
        block.sum_into(&mut self.acc);
    }

    fn flush(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        self.sum_block(rows, None);
    }

    /// Adds the sum into `out` (`dim x dim`, row-major), both triangles. Not after
    /// [`GramSum::end_run`] (whose total [`GramSum::finish_runs`] gives).
    pub fn finish(mut self, out: &mut [f64]) {
        assert!(
            self.total.is_empty(),
            "runs ended: finish_runs gives their total"
        );
        self.flush();
        let (d, w) = (self.dim, self.width);
        for j in 0..d {
            for k in j..d {
                let v = self.acc[j * w + k];
                out[j * d + k] += v;
                if k != j {
                    out[k * d + j] += v;
                }
            }
        }
        self.keep();
    }

    /// Ends a run of rows: adds the run's sum into the total of the runs ended before it,
    /// entry by entry, and starts the next run from zeros: the bits of summing each run
    /// into a matrix of zeros and adding those matrices in order, without a matrix of
    /// `dim x dim` to clear, fill both triangles of and add a run (runs of 512 rows at 100
    /// features: about 8 % of a Hessian's time in cache, 2 % after, sampled with `perf` on
    /// `examples/newton_cost 20000 100 1 1000 hessian`).
    pub fn end_run(&mut self) {
        self.flush();
        let (d, w) = (self.dim, self.width);
        if self.total.is_empty() {
            self.total.resize(w * w, 0.0);
        }
        for j in 0..d {
            let row = j * w + j..j * w + d;
            for (t, a) in self.total[row.clone()].iter_mut().zip(&mut self.acc[row]) {
                *t += *a;
                *a = 0.0;
            }
        }
    }

    /// Overwrites `out` (`dim x dim`, row-major) with the total of the ended runs
    /// ([`GramSum::end_run`]; zeros if none), both triangles.
    pub fn finish_runs(self, out: &mut [f64]) {
        assert!(self.rows == 0, "the last run ended");
        let (d, w) = (self.dim, self.width);
        out[..d * d].fill(0.0);
        if !self.total.is_empty() {
            for j in 0..d {
                for k in j..d {
                    let v = self.total[j * w + k];
                    out[j * d + k] = v;
                    out[k * d + j] = v;
                }
            }
        }
        self.keep();
    }

    /// Keeps the buffers for this thread's next sum of the same size ([`SPARE`]) unless
    /// they are large.
    fn keep(self) {
        let bytes = 8 * (self.z.len() + self.u.len() + self.acc.len() + self.total.capacity());
        if bytes <= SPARE_BYTES {
            SPARE.set(Some(self));
        }
    }
}

/// One block of gathered rows: `rows` rows of `width` values in `u`, the first `dim` of them
/// data and the rest padding (read only into dropped entries); in `z`, row `i` at
/// `i * z_stride`, its first `z_cols` columns stored and a column `z_cols` (if `dim` reaches
/// it) of ones.
#[derive(Clone, Copy)]
struct Block<'a> {
    u: &'a [f64],
    z: &'a [f64],
    rows: usize,
    width: usize,
    dim: usize,
    z_stride: usize,
    z_cols: usize,
    /// Bytes to ask the second-level cache for while the tiles are summed
    /// ([`GramSum::sum_block_ahead`]): a hint, never read.
    ahead: (*const i8, usize),
}

impl Block<'_> {
    /// Adds the block's `U^T Z` into the upper triangle of `acc` (`width x width`).
    fn sum_into(self, acc: &mut [f64]) {
        // The tiles read `Z`'s first `dim / 4 * 4` columns, the last columns one value each
        // (those below `z_cols`).
        let z_read = (self.dim / 4 * 4).max(self.dim.min(self.z_cols));
        assert!(
            self.rows > 0
                && self.u.len() >= self.rows * self.width
                && self.z.len() >= (self.rows - 1) * self.z_stride + z_read
                && self.dim / 4 * 4 <= self.z_cols
                && self.dim <= self.z_cols + 1
                && acc.len() >= self.width * self.width
                && self.width.is_multiple_of(4)
                && self.dim <= self.width,
            "a block's buffers hold its rows"
        );
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let wide = std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl");
                // SAFETY: the CPU has AVX2 and FMA (checked just above), and AVX-512F and
                // AVX-512VL if `wide`; the buffers hold the rows the kernel reads and the
                // tiles it writes (asserted above).
                unsafe { avx2::sum_into(self, acc, wide) };
                return;
            }
        }
        self.portable(acc, |a, b, c| a * b + c);
    }

    /// The kernel's sums, in the kernel's order, one value at a time: `fma(a, b, c)` is
    /// `a * b + c`, fused or not.
    fn portable(self, acc: &mut [f64], fma: impl Fn(f64, f64, f64) -> f64 + Copy) {
        let Block {
            u,
            z,
            rows: n,
            width,
            dim,
            z_stride,
            z_cols,
            ..
        } = self;
        let main = dim / 4 * 4;
        let z_at = |i: usize, k: usize| if k < z_cols { z[i * z_stride + k] } else { 1.0 };
        let entry = |i: usize, j: usize, k: usize, t: f64| fma(u[i * width + j], z_at(i, k), t);
        for j0 in (0..main).step_by(4) {
            for j in j0..j0 + 4 {
                for k in j0..main {
                    acc[j * width + k] += if j0 + 4 == main {
                        // A band of one vector: even rows and odd rows apart.
                        let even = (0..n).step_by(2).fold(0.0, |t, i| entry(i, j, k, t));
                        let odd = (1..n).step_by(2).fold(0.0, |t, i| entry(i, j, k, t));
                        even + odd
                    } else {
                        (0..n).fold(0.0, |t, i| entry(i, j, k, t))
                    };
                }
            }
        }
        for k in main..dim {
            for j in 0..=k {
                acc[j * width + k] += (0..n).fold(0.0, |t, i| entry(i, j, k, t));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Block, TAIL_GROUP};
    use crate::numeric::FAR_HINT;
    use std::arch::x86_64::*;

    /// Vectors of four columns in a tile with AVX-512F (five of eight: 20 accumulators, 5
    /// loads and a broadcast, 26 of its 32 registers), and with AVX2 alone (8 of 16
    /// registers: a third vector spilled one).
    const WIDE_TILE: usize = 10;
    const NARROW_TILE: usize = 2;

    /// Vectors of a last column summed within a tile of at most [`FUSED_TILE`] vectors (4 x 4
    /// accumulators, 4 loads, a broadcast and these: 27 registers).
    const FUSED_VECTORS: usize = 6;
    const FUSED_TILE: usize = 4;

    /// [`Block::sum_into`] with AVX2 vectors and fused multiply-adds, in AVX-512VL's 32
    /// registers if `wide` (the same sums in the same order either way).
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA, and AVX-512F and AVX-512VL if `wide`; `u` and `z` hold
    /// `rows * width` values, `acc` holds `width * width`, `width` is a multiple of 4 and
    /// `dim <= width`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_into(b: Block<'_>, acc: &mut [f64], wide: bool) {
        let main = b.dim / 4 * 4;
        let most = if wide { WIDE_TILE } else { NARROW_TILE };
        // The last column, to be summed in the first tile of 2 to FUSED_TILE vectors.
        let mut fuse = (wide && b.dim > main)
            .then_some(b.dim - 1)
            .filter(|k| k / 4 < FUSED_VECTORS);
        // The lines asked for ahead: one with each row of the tiles, from the first tile on;
        // those more than the tiles have rows for, at once now.
        let (at, bytes) = b.ahead;
        let tiles: usize = (0..main)
            .step_by(4)
            .map(|j0| ((main - j0) / 4).div_ceil(most))
            .sum();
        let spread = bytes.div_ceil(64).min(tiles * b.rows);
        crate::numeric::prefetch_lines::<FAR_HINT>(
            at.wrapping_add(64 * spread),
            bytes.saturating_sub(64 * spread),
        );
        let (mut asked, mut fused) = (0, false);
        for j0 in (0..main).step_by(4) {
            let vectors = (main - j0) / 4;
            let mut v = 0;
            while v < vectors {
                let n = (vectors - v).min(most);
                let k0 = j0 + 4 * v;
                let m = (spread - asked).min(b.rows);
                let ahead = (at.wrapping_add(64 * asked), m);
                asked += m;
                v += n;
                let tail = fuse.filter(|_| (2..=FUSED_TILE).contains(&n));
                if let Some(k) = tail {
                    (fuse, fused) = (None, true);
                    let ones = k >= b.z_cols;
                    fused_tile(b, j0, k0, n, k, ones, acc, ahead);
                    continue;
                }
                match (n, wide) {
                    (1, true) if vectors == 1 => wide_tile_4x4(b, j0, k0, acc, ahead),
                    (1, false) if vectors == 1 => tile_4x4(b, j0, k0, acc, ahead),
                    (1, true) => wide_tile::<1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (2, true) => tile8::<1, 0, 0, false>(b, j0, k0, acc, ahead, 0),
                    (3, true) => tile8::<1, 1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (4, true) => tile8::<2, 0, 0, false>(b, j0, k0, acc, ahead, 0),
                    (5, true) => tile8::<2, 1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (6, true) => tile8::<3, 0, 0, false>(b, j0, k0, acc, ahead, 0),
                    (7, true) => tile8::<3, 1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (8, true) => tile8::<4, 0, 0, false>(b, j0, k0, acc, ahead, 0),
                    (9, true) => tile8::<4, 1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (_, true) => tile8::<5, 0, 0, false>(b, j0, k0, acc, ahead, 0),
                    // AVX2 alone: inlined here, in this function's 16 registers.
                    (1, false) => tile::<1, 0, false>(b, j0, k0, acc, ahead, 0),
                    (_, false) => tile::<NARROW_TILE, 0, false>(b, j0, k0, acc, ahead, 0),
                }
            }
        }
        for k in main..b.dim - usize::from(fused) {
            // Rows 0..=k of column k, in vectors of four rows, up to eight vectors at once
            // (with AVX-512F, up to sixteen as eight of eight).
            let vectors = k / 4 + 1;
            let mut v0 = 0;
            if wide {
                while v0 < vectors {
                    match (vectors - v0).min(2 * TAIL_GROUP) {
                        1 => column::<1>(b, k, v0, acc),
                        2 => column8::<1, 0>(b, k, v0, acc),
                        3 => column8::<1, 1>(b, k, v0, acc),
                        4 => column8::<2, 0>(b, k, v0, acc),
                        5 => column8::<2, 1>(b, k, v0, acc),
                        6 => column8::<3, 0>(b, k, v0, acc),
                        7 => column8::<3, 1>(b, k, v0, acc),
                        8 => column8::<4, 0>(b, k, v0, acc),
                        9 => column8::<4, 1>(b, k, v0, acc),
                        10 => column8::<5, 0>(b, k, v0, acc),
                        11 => column8::<5, 1>(b, k, v0, acc),
                        12 => column8::<6, 0>(b, k, v0, acc),
                        13 => column8::<6, 1>(b, k, v0, acc),
                        14 => column8::<7, 0>(b, k, v0, acc),
                        15 => column8::<7, 1>(b, k, v0, acc),
                        _ => column8::<8, 0>(b, k, v0, acc),
                    }
                    v0 += 2 * TAIL_GROUP;
                }
                continue;
            }
            while v0 < vectors {
                match (vectors - v0).min(TAIL_GROUP) {
                    1 => column::<1>(b, k, v0, acc),
                    2 => column::<2>(b, k, v0, acc),
                    3 => column::<3>(b, k, v0, acc),
                    4 => column::<4>(b, k, v0, acc),
                    5 => column::<5>(b, k, v0, acc),
                    6 => column::<6>(b, k, v0, acc),
                    7 => column::<7>(b, k, v0, acc),
                    _ => column::<8>(b, k, v0, acc),
                }
                v0 += TAIL_GROUP;
            }
        }
    }

    /// A tile of `n` vectors (2 to [`FUSED_TILE`]) with column `k`'s `k / 4 + 1` vectors
    /// (at most [`FUSED_VECTORS`]) summed alongside: [`wide_tile`] for the pair.
    ///
    /// # Safety
    /// As [`wide_tile`]; the CPU has AVX-512F and AVX-512VL.
    #[allow(clippy::too_many_arguments)]
    unsafe fn fused_tile(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        n: usize,
        k: usize,
        ones: bool,
        acc: &mut [f64],
        ahead: (*const i8, usize),
    ) {
        macro_rules! by_vectors {
            ($g:expr) => {
                // Vectors of four as eight-column vectors and a last one of four ([`tile8`]).
                match (n, ones) {
                    (2, true) => tile8::<1, 0, { $g }, true>(b, j0, k0, acc, ahead, k),
                    (3, true) => tile8::<1, 1, { $g }, true>(b, j0, k0, acc, ahead, k),
                    (_, true) => tile8::<2, 0, { $g }, true>(b, j0, k0, acc, ahead, k),
                    (2, false) => tile8::<1, 0, { $g }, false>(b, j0, k0, acc, ahead, k),
                    (3, false) => tile8::<1, 1, { $g }, false>(b, j0, k0, acc, ahead, k),
                    (_, false) => tile8::<2, 0, { $g }, false>(b, j0, k0, acc, ahead, k),
                }
            };
        }
        match k / 4 + 1 {
            1 => by_vectors!(1),
            2 => by_vectors!(2),
            3 => by_vectors!(3),
            4 => by_vectors!(4),
            5 => by_vectors!(5),
            _ => by_vectors!(FUSED_VECTORS),
        }
    }

    /// [`tile`] compiled for AVX-512VL's 32 registers.
    ///
    /// # Safety
    /// As [`tile`]; the CPU has AVX-512F and AVX-512VL.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
    unsafe fn wide_tile<const V: usize, const G: usize, const ONES: bool>(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        acc: &mut [f64],
        ahead: (*const i8, usize),
        k: usize,
    ) {
        tile::<V, G, ONES>(b, j0, k0, acc, ahead, k)
    }

    /// Output rows `j0..j0 + 4`, columns `k0..k0 + 4 V`, each entry one chain over the
    /// block's rows; with `G > 0` also rows `0..4 G` (those at most `k`) of column `k`,
    /// whose values are ones (`ONES`: added) or read from `Z`. Row `i < ahead.1` also asks
    /// for the line `i` after `ahead.0` (a hint: never read).
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA (and the registers the caller's features give); rows
    /// `0..rows` hold columns `k0 + 4 V <= width`, `j0 + 4 <= width` and `4 G <= width`.
    #[inline(always)]
    unsafe fn tile<const V: usize, const G: usize, const ONES: bool>(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        acc: &mut [f64],
        ahead: (*const i8, usize),
        k: usize,
    ) {
        let w = b.width;
        let (u, z) = (b.u.as_ptr(), b.z.as_ptr());
        let mut t = [[_mm256_setzero_pd(); V]; 4];
        let mut c = [_mm256_setzero_pd(); G];
        for i in 0..b.rows {
            if i < ahead.1 {
                _mm_prefetch::<FAR_HINT>(ahead.0.wrapping_add(64 * i));
            }
            // SAFETY: row i < rows; the columns are within the row (the caller's contract).
            let zr = unsafe { z.add(i * b.z_stride) };
            let ur = unsafe { u.add(i * w) };
            let mut zv = [_mm256_setzero_pd(); V];
            for (v, zv) in zv.iter_mut().enumerate() {
                *zv = unsafe { _mm256_loadu_pd(zr.add(k0 + 4 * v)) };
            }
            for (a, t) in t.iter_mut().enumerate() {
                let s = unsafe { _mm256_broadcast_sd(&*ur.add(j0 + a)) };
                for (t, zv) in t.iter_mut().zip(&zv) {
                    *t = _mm256_fmadd_pd(s, *zv, *t);
                }
            }
            if G > 0 {
                // `u + t` is `fma(u, 1, t)` rounded once: the bits of a stored one.
                let s = if ONES {
                    _mm256_set1_pd(1.0)
                } else {
                    unsafe { _mm256_broadcast_sd(&*zr.add(k)) }
                };
                for (g, c) in c.iter_mut().enumerate() {
                    let uv = unsafe { _mm256_loadu_pd(ur.add(4 * g)) };
                    *c = if ONES {
                        _mm256_add_pd(uv, *c)
                    } else {
                        _mm256_fmadd_pd(uv, s, *c)
                    };
                }
            }
        }
        for (a, t) in t.iter().enumerate() {
            let o = (j0 + a) * w + k0;
            let out = &mut acc[o..o + 4 * V];
            for (v, t) in t.iter().enumerate() {
                // SAFETY: `out` holds 4 V values.
                unsafe {
                    let p = out.as_mut_ptr().add(4 * v);
                    _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), *t));
                }
            }
        }
        add_column(&c, 0, k, w, acc);
    }

    /// [`tile`] with its columns in AVX-512 vectors: `W` vectors of eight columns, then `H`
    /// (0 or 1) of four, the `2 W + H` vectors of four of `tile::<2 W + H, G, ONES>` with
    /// every entry's chain of multiply-adds unchanged, so the same bits, in half the
    /// multiply-add instructions. Where the CPU runs 512-bit multiply-adds at the full rate
    /// (AMD family 26: `examples/fma_peak` 130 Gflop/s a thread against 66 with AVX2) that
    /// is fewer cycles; where it splits them in two (family 25) the count stays. The tile
    /// only reads the columns [`tile`] reads, so the same rows and buffers serve.
    ///
    /// # Safety
    /// As [`tile`] for `V = 2 W + H`; the CPU has AVX-512F and AVX-512VL.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
    unsafe fn tile8<const W: usize, const H: usize, const G: usize, const ONES: bool>(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        acc: &mut [f64],
        ahead: (*const i8, usize),
        k: usize,
    ) {
        let w = b.width;
        let (u, z) = (b.u.as_ptr(), b.z.as_ptr());
        let mut t = [[_mm512_setzero_pd(); W]; 4];
        let mut th = [[_mm256_setzero_pd(); H]; 4];
        // Column `k`'s `G` vectors of four as `G / 2` of eight and, if `G` is odd, one of four
        // (only the first `G / 2` of `c8` are used: the array's length cannot be `G / 2`).
        let mut c8 = [_mm512_setzero_pd(); G];
        let mut c4 = _mm256_setzero_pd();
        for i in 0..b.rows {
            if i < ahead.1 {
                _mm_prefetch::<FAR_HINT>(ahead.0.wrapping_add(64 * i));
            }
            // SAFETY: row i < rows; columns k0 + 8 W + 4 H <= width (the caller's contract).
            let zr = unsafe { z.add(i * b.z_stride) };
            let ur = unsafe { u.add(i * w) };
            let mut zv = [_mm512_setzero_pd(); W];
            for (v, zv) in zv.iter_mut().enumerate() {
                *zv = unsafe { _mm512_loadu_pd(zr.add(k0 + 8 * v)) };
            }
            let mut zh = [_mm256_setzero_pd(); H];
            for (v, zh) in zh.iter_mut().enumerate() {
                *zh = unsafe { _mm256_loadu_pd(zr.add(k0 + 8 * W + 4 * v)) };
            }
            for (a, (t, th)) in t.iter_mut().zip(th.iter_mut()).enumerate() {
                let x = unsafe { *ur.add(j0 + a) };
                let s = _mm512_set1_pd(x);
                for (t, zv) in t.iter_mut().zip(&zv) {
                    *t = _mm512_fmadd_pd(s, *zv, *t);
                }
                let s = _mm256_set1_pd(x);
                for (t, zh) in th.iter_mut().zip(&zh) {
                    *t = _mm256_fmadd_pd(s, *zh, *t);
                }
            }
            if G > 0 {
                // As in `tile`: `u + t` is `fma(u, 1, t)` rounded once.
                let x = if ONES { 1.0 } else { unsafe { *zr.add(k) } };
                let s = _mm512_set1_pd(x);
                for (g, c) in c8.iter_mut().enumerate().take(G / 2) {
                    let uv = unsafe { _mm512_loadu_pd(ur.add(8 * g)) };
                    *c = if ONES {
                        _mm512_add_pd(uv, *c)
                    } else {
                        _mm512_fmadd_pd(uv, s, *c)
                    };
                }
                if G % 2 == 1 {
                    let uv = unsafe { _mm256_loadu_pd(ur.add(8 * (G / 2))) };
                    c4 = if ONES {
                        _mm256_add_pd(uv, c4)
                    } else {
                        _mm256_fmadd_pd(uv, _mm256_set1_pd(x), c4)
                    };
                }
            }
        }
        for (a, (t, th)) in t.iter().zip(&th).enumerate() {
            let o = (j0 + a) * w + k0;
            let out = &mut acc[o..o + 8 * W + 4 * H];
            // SAFETY: `out` holds 8 W + 4 H values.
            unsafe {
                for (v, t) in t.iter().enumerate() {
                    let p = out.as_mut_ptr().add(8 * v);
                    _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), *t));
                }
                for (v, t) in th.iter().enumerate() {
                    let p = out.as_mut_ptr().add(8 * W + 4 * v);
                    _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), *t));
                }
            }
        }
        let mut c = [_mm256_setzero_pd(); G];
        for (g, c) in c.iter_mut().enumerate() {
            let v = c8[g / 2];
            *c = match (g % 2, g + 1 == G && G % 2 == 1) {
                (_, true) => c4,
                (0, _) => _mm512_castpd512_pd256(v),
                _ => _mm512_extractf64x4_pd::<1>(v),
            };
        }
        add_column(&c, 0, k, w, acc);
    }

    /// [`tile_4x4`] compiled for AVX-512VL's 32 registers: in AVX2's 16 its eight
    /// accumulators, loads and broadcasts left a pointer to reload from the stack every row
    /// (a Hessian of 20,000 x 20 in cache on one thread 0.316-0.320 -> 0.312-0.314 ms, of
    /// 20,000 x 16 0.235-0.236 -> 0.232-0.233; the same bits).
    ///
    /// # Safety
    /// As [`tile_4x4`]; the CPU has AVX-512F and AVX-512VL.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl")]
    unsafe fn wide_tile_4x4(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        acc: &mut [f64],
        ahead: (*const i8, usize),
    ) {
        tile_4x4(b, j0, k0, acc, ahead)
    }

    /// Output rows `j0..j0 + 4`, columns `k0..k0 + 4` (a band of one vector, on the
    /// diagonal): even and odd rows in separate accumulators (eight chains), added at the
    /// end; row `i < ahead.1` asks for a line as [`tile`].
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; rows `0..rows` hold columns `k0 + 4 <= width` and
    /// `j0 + 4 <= width`.
    #[inline(always)]
    unsafe fn tile_4x4(
        b: Block<'_>,
        j0: usize,
        k0: usize,
        acc: &mut [f64],
        ahead: (*const i8, usize),
    ) {
        let w = b.width;
        let (u, z) = (b.u.as_ptr(), b.z.as_ptr());
        let mut t = [_mm256_setzero_pd(); 8];
        let mut i = 0;
        while i < b.rows {
            for (half, t) in t.chunks_exact_mut(4).enumerate() {
                if i + half >= b.rows {
                    break;
                }
                if i + half < ahead.1 {
                    _mm_prefetch::<FAR_HINT>(ahead.0.wrapping_add(64 * (i + half)));
                }
                // SAFETY: row i + half < rows, columns k0 + 4 <= width, j0 + 4 <= width.
                let zr = unsafe { _mm256_loadu_pd(z.add((i + half) * b.z_stride + k0)) };
                let ur = unsafe { u.add((i + half) * w + j0) };
                for (a, t) in t.iter_mut().enumerate() {
                    let s = unsafe { _mm256_broadcast_sd(&*ur.add(a)) };
                    *t = _mm256_fmadd_pd(s, zr, *t);
                }
            }
            i += 2;
        }
        for a in 0..4 {
            let o = (j0 + a) * w + k0;
            let out = &mut acc[o..o + 4];
            // SAFETY: `out` holds 4 values.
            unsafe {
                let p = out.as_mut_ptr();
                let sum = _mm256_add_pd(t[a], t[4 + a]);
                _mm256_storeu_pd(p, _mm256_add_pd(_mm256_loadu_pd(p), sum));
            }
        }
    }

    /// Column `k`, output rows `4 * v0 .. 4 * (v0 + G)` (those at most `k` kept):
    /// `sum_i u_i[rows] * z_ik`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn column<const G: usize>(b: Block<'_>, k: usize, v0: usize, acc: &mut [f64]) {
        let w = b.width;
        let (u, z) = (b.u.as_ptr(), b.z.as_ptr());
        let mut t = [_mm256_setzero_pd(); G];
        // A column of ones (an intercept's, `Z` read in place): `fma(u, 1, t)` is `u + t`
        // rounded once, the bits of a stored column of ones.
        let ones = k >= b.z_cols;
        for i in 0..b.rows {
            // SAFETY: row i < rows; k < z_cols (or no read) and 4 * (v0 + G) <= width (the
            // caller's groups end at the vector holding row k).
            let s = if ones {
                _mm256_set1_pd(1.0)
            } else {
                unsafe { _mm256_broadcast_sd(&*z.add(i * b.z_stride + k)) }
            };
            let ur = unsafe { u.add(i * w + 4 * v0) };
            for (g, t) in t.iter_mut().enumerate() {
                *t = _mm256_fmadd_pd(unsafe { _mm256_loadu_pd(ur.add(4 * g)) }, s, *t);
            }
        }
        add_column(&t, v0, k, w, acc);
    }

    /// [`column`] for `2 W + H` vectors of four rows, as `W` of eight (AVX-512F) and `H`
    /// (0 or 1) of four: every lane's chain unchanged, so the same bits, in half the loads
    /// and adds.
    ///
    /// # Safety
    /// As [`column`] for `G = 2 W + H`; the CPU has AVX-512F.
    #[target_feature(enable = "avx2,fma,avx512f")]
    unsafe fn column8<const W: usize, const H: usize>(
        b: Block<'_>,
        k: usize,
        v0: usize,
        acc: &mut [f64],
    ) {
        let w = b.width;
        let (u, z) = (b.u.as_ptr(), b.z.as_ptr());
        let mut t = [_mm512_setzero_pd(); W];
        let mut th = [_mm256_setzero_pd(); H];
        let ones = k >= b.z_cols;
        for i in 0..b.rows {
            // SAFETY: as in `column`.
            let x = if ones {
                1.0
            } else {
                unsafe { *z.add(i * b.z_stride + k) }
            };
            let ur = unsafe { u.add(i * w + 4 * v0) };
            let s = _mm512_set1_pd(x);
            for (g, t) in t.iter_mut().enumerate() {
                *t = _mm512_fmadd_pd(unsafe { _mm512_loadu_pd(ur.add(8 * g)) }, s, *t);
            }
            let s = _mm256_set1_pd(x);
            for (g, t) in th.iter_mut().enumerate() {
                *t = _mm256_fmadd_pd(unsafe { _mm256_loadu_pd(ur.add(8 * W + 4 * g)) }, s, *t);
            }
        }
        let mut halves = [[_mm256_setzero_pd(); 2]; W];
        for (h, t) in halves.iter_mut().zip(&t) {
            *h = [_mm512_castpd512_pd256(*t), _mm512_extractf64x4_pd::<1>(*t)];
        }
        add_column(halves.as_flattened(), v0, k, w, acc);
        add_column(&th, v0 + 2 * W, k, w, acc);
    }

    /// Adds vectors `t` (output rows `4 * v0 ..`, column `k`) into `acc`, rows at most `k`.
    #[inline(always)]
    unsafe fn add_column(t: &[__m256d], v0: usize, k: usize, w: usize, acc: &mut [f64]) {
        for (g, t) in t.iter().enumerate() {
            let mut lanes = [0.0; 4];
            // SAFETY: `lanes` holds 4 values.
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), *t) };
            for (l, v) in lanes.iter().enumerate() {
                let j = 4 * (v0 + g) + l;
                if j <= k {
                    acc[j * w + k] += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize, dim: usize) -> Vec<f64> {
        (0..dim)
            .map(|j| ((i * 7 + j * 3) % 11) as f64 * 0.37 - 1.1)
            .collect()
    }

    fn h(i: usize) -> f64 {
        0.5 + (i % 5) as f64
    }

    /// `1 + sum_i h_i z_ij z_ik`, by the definition.
    fn want(dim: usize, n: usize, j: usize, k: usize) -> f64 {
        1.0 + (0..n)
            .map(|i| h(i) * row(i, dim)[j] * row(i, dim)[k])
            .sum::<f64>()
    }

    #[test]
    fn equals_the_row_by_row_sum() {
        // Widths around the tile sizes (remainders 0 to 3, 4 x 4 tiles, more than eight
        // vectors in a last column), row counts across block boundaries.
        for dim in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 20, 21, 23, 33, 35] {
            for n in [0, 1, 2, 63, 64, 65, 200] {
                check_pushed(GramSum::new(dim), dim, n);
            }
        }
    }

    /// Pushes rows `0..n` into `g`, adds its sum onto ones and checks every entry against
    /// the definition.
    fn check_pushed(mut g: GramSum, dim: usize, n: usize) {
        for i in 0..n {
            let r = row(i, dim);
            g.push(h(i), |z| z.copy_from_slice(&r));
        }
        let mut out = vec![1.0; dim * dim];
        g.finish(&mut out);
        for j in 0..dim {
            for k in 0..dim {
                let (got, want) = (out[j * dim + k], want(dim, n, j, k));
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "dim {dim}, n {n}, ({j}, {k}): {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn a_sum_on_the_buffers_of_the_last_one_starts_from_nothing() {
        // The first sum leaves its total in the buffers, NaN in `Z`'s slots (read in place,
        // so never read) and in `U`'s padding; the next of the same size on this thread
        // takes them as they are.
        for (dim, cols) in [(21, 20), (7, 7)] {
            let mut first = GramSum::new(dim);
            let data = vec![2.0; 5 * cols];
            for r in 0..5 {
                let (z, u) = first.block_slots(r);
                z.fill(f64::NAN);
                u[..dim].fill(3.0);
                // Padding is read only into entries that are dropped.
                u[dim..].fill(f64::NAN);
            }
            first.sum_block(5, Some((&data, cols)));
            let mut sink = vec![0.0; dim * dim];
            first.finish(&mut sink);
            assert!(sink.iter().all(|&v| v == 30.0 || v == 15.0), "{dim}");

            let second = GramSum::new(dim);
            assert!(second.acc.iter().all(|&v| v == 0.0) && second.rows == 0);
            check_pushed(second, dim, 70);
        }
    }

    #[test]
    fn the_portable_kernel_sums_the_same_in_the_same_order() {
        // The vector kernel and the portable one with fused multiply-adds add the same
        // products in the same order: the same bits (where the CPU has the vector kernel),
        // with `Z` in the block's slots, read in place (a stride of `dim`), or read in place
        // with a last column of ones implied.
        // Widths with no last column, with one summed inside a tile of 2, 3 or 4 vectors or
        // alone, with bands of up to ten vectors and of more, last columns of up to 26
        // vectors (groups of sixteen).
        for dim in [3usize, 5, 8, 9, 12, 13, 17, 21, 22, 24, 35, 47, 58, 63, 101] {
            for layout in 0..3 {
                let n = 37;
                let width = dim.div_ceil(4) * 4;
                let ones = layout == 2;
                let value = |i: usize, j: usize| {
                    if ones && j == dim - 1 {
                        1.0
                    } else {
                        row(i, dim)[j]
                    }
                };
                let (mut u, mut z) = (vec![0.0; n * width], vec![0.0; n * width]);
                for i in 0..n {
                    for j in 0..dim {
                        z[i * width + j] = value(i, j);
                        u[i * width + j] = h(i) * value(i, j);
                    }
                }
                let stored = if ones { dim - 1 } else { dim };
                let rows: Vec<f64> = (0..n)
                    .flat_map(|i| (0..stored).map(move |j| value(i, j)))
                    .collect();
                let (z, z_stride, z_cols) = match layout {
                    0 => (&z[..], width, width),
                    _ => (&rows[..], stored, stored),
                };
                if dim / 4 * 4 > z_cols {
                    continue;
                }
                let block = Block {
                    u: &u,
                    z,
                    rows: n,
                    width,
                    dim,
                    z_stride,
                    z_cols,
                    ahead: (std::ptr::null(), 0),
                };
                let (mut fused, mut dispatched) =
                    (vec![0.0; width * width], vec![0.0; width * width]);
                block.portable(&mut fused, f64::mul_add);
                block.sum_into(&mut dispatched);
                // The AVX2 kernel's 16 registers where the CPU has more (its own tiles).
                let mut narrow = vec![0.0; width * width];
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has AVX2 and FMA; the block's buffers hold its rows.
                    unsafe { avx2::sum_into(block, &mut narrow, false) };
                }
                let mut plain = vec![0.0; width * width];
                block.portable(&mut plain, |a, b, c| a * b + c);
                for j in 0..dim {
                    for k in j..dim {
                        let at = j * width + k;
                        let want: f64 = (0..n).map(|i| h(i) * value(i, j) * value(i, k)).sum();
                        assert!((fused[at] - want).abs() <= 1e-12 * want.abs().max(1.0));
                        assert!((plain[at] - want).abs() <= 1e-12 * want.abs().max(1.0));
                        #[cfg(target_arch = "x86_64")]
                        if std::arch::is_x86_feature_detected!("avx2")
                            && std::arch::is_x86_feature_detected!("fma")
                        {
                            assert_eq!(
                                dispatched[at].to_bits(),
                                fused[at].to_bits(),
                                "{dim} {layout} ({j}, {k})"
                            );
                            assert_eq!(
                                narrow[at].to_bits(),
                                fused[at].to_bits(),
                                "AVX2 alone: {dim} {layout} ({j}, {k})"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rows_read_in_place_give_the_bits_of_rows_copied() {
        // `Z` read from the caller's rows (an intercept's ones implied past the last column)
        // sums what the copied rows sum, in the same order; both equal the definition.
        for cols in [1usize, 2, 3, 4, 5, 8, 9, 13, 20, 21, 22] {
            for intercept in [false, true] {
                let dim = cols + usize::from(intercept);
                let n = 150;
                let data: Vec<f64> = (0..n).flat_map(|i| row(i, cols)).collect();
                let (mut copied, mut in_place) = (GramSum::new(dim), GramSum::new(dim));
                if !in_place.reads_in_place(cols) {
                    // Only an intercept that completes a vector is refused.
                    assert!(intercept && dim.is_multiple_of(4), "{cols}");
                    continue;
                }
                let mut start = 0;
                while start < n {
                    let rows = (n - start).min(GramSum::BLOCK);
                    for r in 0..rows {
                        let i = start + r;
                        let mut z = row(i, cols);
                        if intercept {
                            z.push(1.0);
                        }
                        for g in [&mut copied, &mut in_place] {
                            let (zs, us) = g.block_slots(r);
                            zs[..dim].copy_from_slice(&z);
                            for (u, z) in us.iter_mut().zip(&z) {
                                *u = h(i) * z;
                            }
                        }
                        // Rows read in place: their slots in `Z` must not be read.
                        in_place.block_slots(r).0.fill(f64::NAN);
                    }
                    copied.sum_block(rows, None);
                    in_place.sum_block(rows, Some((&data[start * cols..], cols)));
                    start += rows;
                }
                let (mut a, mut b) = (vec![1.0; dim * dim], vec![1.0; dim * dim]);
                copied.finish(&mut a);
                in_place.finish(&mut b);
                let z = |i: usize, k: usize| if k < cols { row(i, cols)[k] } else { 1.0 };
                for j in 0..dim {
                    for k in 0..dim {
                        let at = j * dim + k;
                        assert_eq!(a[at].to_bits(), b[at].to_bits(), "{cols} {intercept}");
                        let want = 1.0 + (0..n).map(|i| h(i) * z(i, j) * z(i, k)).sum::<f64>();
                        assert!((a[at] - want).abs() <= 1e-12 * want.abs().max(1.0));
                    }
                }
            }
        }
    }
}

//! Small numeric helpers shared by kernels, estimators and drivers.

pub mod dd;
pub(crate) mod lanes;
pub mod vmath;

pub use dd::DoubleDouble;

use crate::data::Element;

/// Euclidean norm: the plain sum of squares, unless the squares overflow while the entries
/// are finite (entries past about `1e154`): then scaled by the largest entry, so that a
/// finite vector has a finite norm.
pub fn norm(v: &[f64]) -> f64 {
    let squares = dot(v, v);
    if squares != f64::INFINITY || v.iter().any(|x| !x.is_finite()) {
        return squares.sqrt();
    }
    let max = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let scaled: f64 = v.iter().map(|x| (x / max) * (x / max)).sum();
    max * scaled.sqrt()
}

/// Dot product with four accumulators, so that the loop vectorises and rounding error
/// grows more slowly than with one running sum.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    dot_wide(a, b)
}

/// [`dot`] of `f64` weights with values stored as `f64` or `f32`, each widened to `f64` as
/// it is read (the same four accumulators, so for `f64` values the same bits as [`dot`]).
/// Always inlined, so that kernels compiled for a wider instruction set get it compiled
/// for that set too.
#[inline(always)]
pub fn dot_wide<T: Element>(a: &[f64], b: &[T]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0].into();
        acc[1] += x[1] * y[1].into();
        acc[2] += x[2] * y[2].into();
        acc[3] += x[3] * y[3].into();
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * (*y).into();
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `y += a * x`.
#[inline]
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    axpy_wide(a, x, y);
}

/// [`axpy`] with `x` stored as `f64` or `f32`, widened as it is read.
#[inline(always)]
pub fn axpy_wide<T: Element>(a: f64, x: &[T], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * (*xi).into();
    }
}

/// Most bytes [`prefetch`] asks for: enough to cover the start of a mini-batch while the
/// previous one is computed; the CPU's own prefetcher follows a longer run by itself.
pub const PREFETCH_BYTES: usize = 8 * 1024;

/// Most bytes [`prefetch`] asks for into the first cache level; more go to the second. A
/// first-level request holds one of the core's few line-fill buffers until memory answers,
/// and a mini-batch's forty lines and more fill them all, so that the instruction stalls.
/// `fit --optimizer sgd --batch-size B` on the bench's 1,000,000 x 10 (epoch ms, three
/// alternations; 1 KiB holds 12 rows): B = 8 first level 26.5-27.5, second 28.5-31.8; B =
/// 16 18.6-22.4 and 17.2-21.5; B = 32 16.4-17.3 and 11.4-13.7; B = 128 10.8-11.3 and 6.4-8.7.
const NEAR_BYTES: usize = 1024;

/// Asks the CPU to start loading the first [`PREFETCH_BYTES`] of `values` into cache (a
/// hint: nothing is read, no fault can occur, and it does nothing on CPUs other than
/// x86-64). Jumping to a random place in a large array otherwise waits for memory on every
/// cache line, since the CPU's own prefetcher only learns a run after a few misses.
#[inline]
pub fn prefetch<T>(values: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::_MM_HINT_T0;
        let bytes = std::mem::size_of_val(values).min(PREFETCH_BYTES);
        let start = values.as_ptr().cast::<i8>();
        if bytes > NEAR_BYTES {
            prefetch_span::<FAR_HINT>(start, bytes);
        } else {
            prefetch_span::<_MM_HINT_T0>(start, bytes);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

/// The cache level asked for when many lines are in flight from memory (the second): a
/// mini-batch's rows past [`NEAR_BYTES`], the Hessian's next block, wide rows ahead of their
/// dot products, the rows a shuffled SGD pass visits next, a vector loss's groups of wide
/// rows. Into the first level each request holds one of the core's few line-fill buffers
/// until its line arrives, so few are in flight; the lines reach the first level when the
/// sums load them. Alternated with the first-level hint, 3-4 times each, on a 32 KiB-L1,
/// 1 MiB-L2 core: `examples/epoch_bound 50000 1000 linear 41 2` 12.1-13.3 ms an epoch ->
/// 9.4-10.4 (200,000 x 100: 5.0-5.4 -> 4.8-4.9); `examples/newton_cost 1000000 20 2 15`
/// 13.6-14.5 ms a Hessian -> 12.9-13.2; `examples/sgd_rows`, shuffled, 1,000,000 x 10
/// 29.5-30.9 ms -> 28.8-29.7 and 108,910 x 100 15.9-18.5 -> 13.4-14.5 (file order
/// unchanged); since row tails load without masks, 1,000,000 x 10 27.6-27.7 ms -> 17.0-17.7
/// (16 rows ahead). Narrow rows read in order keep the first level: there the second made
/// 1,000,000 x 10 slower (1.71-1.92 ms -> 1.97-2.11) and the Hessian's rows too
/// (12.95-13.1 -> 13.9-14.2).
#[cfg(target_arch = "x86_64")]
pub(crate) const FAR_HINT: i32 = std::arch::x86_64::_MM_HINT_T1;

/// Whether this CPU's first-level data cache is large enough (48 KiB or more) that rows
/// coming from memory a few KiB ahead of the sums are best asked for into it rather than
/// into the second level ([`FAR_HINT`]). Read once (CPUID, through `cache-size`); `false`
/// when it cannot be read.
#[cfg(target_arch = "x86_64")]
pub(crate) fn first_level_takes_rows() -> bool {
    static TAKES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TAKES.get_or_init(|| takes_rows(cache_size::l1_cache_size()))
}

/// [`first_level_takes_rows`] for a first level of `l1` bytes. The first level won on a core
/// with 48 KiB of it (AMD family 26) and lost on one with 32 KiB (family 25), at the same
/// distance ahead and at half of it, so the size stands for the generation's number of
/// line-fill buffers, which decides it (see `model::linear`'s `NEAR_AHEAD_BYTES`).
#[cfg(any(target_arch = "x86_64", test))]
fn takes_rows(l1: Option<usize>) -> bool {
    l1.is_some_and(|bytes| bytes >= 48 << 10)
}

/// Asks for every 64-byte line of the `bytes` bytes from `p` into the cache level of `HINT`
/// (an `_MM_HINT_*`): a hint, so any address is harmless.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch_lines<const HINT: i32>(p: *const i8, bytes: usize) {
    prefetch_every::<HINT>(p, bytes, 64);
}

/// Asks for the line at every `step` bytes of the `bytes` bytes from `p` (the first at `p`)
/// into the cache level of `HINT`: a hint, so any address is harmless. `step > 0`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch_every<const HINT: i32>(p: *const i8, bytes: usize, step: usize) {
    use std::arch::x86_64::_mm_prefetch;
    let mut at = 0;
    while at < bytes {
        // SAFETY: a prefetch never faults and reads nothing into the program.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<HINT>(p.wrapping_add(at));
        }
        at += step;
    }
}

/// [`prefetch_lines`] and the line of the last byte: a line every 64 bytes from `p` leaves
/// out the last line when `p` is past a line's start (rows of 160 bytes from a
/// 16-byte-aligned allocation: half of them). Nothing for `bytes == 0`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch_span<const HINT: i32>(p: *const i8, bytes: usize) {
    if bytes > 0 {
        prefetch_lines::<HINT>(p, bytes);
        prefetch_lines::<HINT>(p.wrapping_add(bytes - 1), 1);
    }
}

/// [`prefetch_span`] into the first cache level if `near`, else into the second
/// ([`FAR_HINT`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn prefetch_span_to(p: *const i8, bytes: usize, near: bool) {
    if near {
        prefetch_span::<{ std::arch::x86_64::_MM_HINT_T0 }>(p, bytes);
    } else {
        prefetch_span::<FAR_HINT>(p, bytes);
    }
}

/// Neumaier's compensated sum: the error does not grow with the number of terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompensatedSum {
    sum: f64,
    carry: f64,
}

impl CompensatedSum {
    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.carry += (self.sum - t) + x;
        } else {
            self.carry += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum so far.
    pub fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

/// Compensated sum of a sequence.
pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut s = CompensatedSum::default();
    for v in values {
        s.add(v);
    }
    s.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_ahead_go_to_the_first_level_only_where_it_holds_48_kib() {
        assert!(!takes_rows(Some(32 << 10)));
        assert!(takes_rows(Some(48 << 10)));
        assert!(takes_rows(Some(64 << 10)));
        assert!(!takes_rows(None));
    }

    #[test]
    fn compensated_sum_keeps_small_terms() {
        // 1 + 1e-16 * 10 loses every small term in plain summation.
        let terms = std::iter::once(1.0).chain(std::iter::repeat_n(1e-16, 10));
        assert_eq!(sum(terms), 1.000_000_000_000_001);
    }

    #[test]
    fn dot_matches_plain_loop() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 1.0 - i as f64).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-12);
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        // Squares that overflow: the norm of finite entries is still finite and right.
        assert_eq!(norm(&[3e300, 4e300]), 5e300);
        assert_eq!(norm(&[-1e200, 0.0]), 1e200);
        assert_eq!(norm(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(norm(&[f64::NAN, 1e300]).is_nan());
        // f32 storage: the same sums of the widened values.
        let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
        assert_eq!(dot_wide(&a, &b32), dot(&a, &b));
        let mut y = vec![1.0; 11];
        axpy_wide(2.0, &b32, &mut y);
        assert_eq!(y[10], 1.0 + 2.0 * -9.0);
    }
}

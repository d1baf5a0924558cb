//! The machine's multiply-add peak, measured: the rate at which one core (and two) retire
//! fused multiply-adds on `f64` when nothing else limits them.
//!
//! Each thread runs `CHAINS` independent chains `acc = acc * m + c` of fused multiply-adds,
//! 4-wide AVX2 (`_mm256_fmadd_pd`) and, where the CPU has it, 8-wide AVX-512
//! (`_mm512_fmadd_pd`): enough chains in flight to cover the instruction's latency on every
//! FMA port (latency 4 cycles x 2 ports needs 8; 12 leaves headroom), no loads or stores in
//! the loop. The rate counts 2 flops per lane per multiply-add (Gflop/s = 1e9 flops per
//! second), the best of `PASSES` timed passes, on 1 thread and on 2 (`std::thread::scope`,
//! the same work on each). The machine's peak is the wider of the two; the AVX2 one is the
//! peak of the instructions most of downhill's kernels use.
//!
//! ```sh
//! cargo run --release --example fma_peak -p downhill -- [PASSES]
//! ```
//!
//! The last line printed is JSON: `{"gflops_avx2_1_thread": .., "gflops_avx2_2_threads": ..,
//! "gflops_avx512_1_thread": .., "gflops_avx512_2_threads": ..}` (the AVX-512 rates `null`
//! without AVX-512F). On a machine without AVX2 and FMA it says so and exits.

use std::hint::black_box;
use std::time::Instant;

/// Independent chains per thread.
const CHAINS: usize = 12;
/// Multiply-adds per chain per pass.
const STEPS: usize = 20_000_000;

#[cfg(target_arch = "x86_64")]
mod kernels {
    use super::{CHAINS, STEPS};
    use std::arch::x86_64::*;

    /// `STEPS` rounds of `CHAINS` 4-wide multiply-adds; returns a sum of the chains so that
    /// none can be optimised away.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn avx2(seed: f64) -> f64 {
        // A contraction towards c / (1 - m): values stay normal and finite for ever.
        let m = _mm256_set1_pd(0.999_999);
        let c = _mm256_set1_pd(1e-6);
        let mut acc = [_mm256_set1_pd(seed); CHAINS];
        for (k, a) in acc.iter_mut().enumerate() {
            *a = _mm256_add_pd(*a, _mm256_set1_pd(k as f64));
        }
        for _ in 0..STEPS {
            for a in acc.iter_mut() {
                *a = _mm256_fmadd_pd(*a, m, c);
            }
        }
        let mut s = _mm256_setzero_pd();
        for a in acc {
            s = _mm256_add_pd(s, a);
        }
        let mut out = [0.0; 4];
        _mm256_storeu_pd(out.as_mut_ptr(), s);
        out.iter().sum()
    }

    /// [`avx2`] with 8-wide AVX-512 multiply-adds.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(seed: f64) -> f64 {
        let m = _mm512_set1_pd(0.999_999);
        let c = _mm512_set1_pd(1e-6);
        let mut acc = [_mm512_set1_pd(seed); CHAINS];
        for (k, a) in acc.iter_mut().enumerate() {
            *a = _mm512_add_pd(*a, _mm512_set1_pd(k as f64));
        }
        for _ in 0..STEPS {
            for a in acc.iter_mut() {
                *a = _mm512_fmadd_pd(*a, m, c);
            }
        }
        let mut s = _mm512_setzero_pd();
        for a in acc {
            s = _mm512_add_pd(s, a);
        }
        _mm512_reduce_add_pd(s)
    }
}

/// Gflop/s of the best of `passes` passes of `kernel` on `threads` threads at once.
fn rate(kernel: fn(f64) -> f64, flops_per_thread: f64, threads: usize, passes: usize) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let start = Instant::now();
        let total: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| s.spawn(move || kernel(black_box(t as f64))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(f64::NAN))
                .sum()
        });
        black_box(total);
        best = best.min(start.elapsed().as_secs_f64());
    }
    flops_per_thread * threads as f64 / best / 1e9
}

#[cfg(target_arch = "x86_64")]
fn main() {
    let passes: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 5,
        Some(Ok(p)) if p > 0 => p,
        Some(_) => {
            eprintln!("PASSES must be a positive whole number");
            std::process::exit(2);
        }
    };
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        eprintln!("this CPU has no AVX2 with FMA: nothing to measure");
        std::process::exit(1);
    }
    // SAFETY: AVX2 and FMA checked just above.
    let avx2: fn(f64) -> f64 = |s| unsafe { kernels::avx2(s) };
    let flops = (STEPS * CHAINS * 4 * 2) as f64;
    black_box(rate(avx2, flops, 2, 1)); // wake the cores
    let a1 = rate(avx2, flops, 1, passes);
    let a2 = rate(avx2, flops, 2, passes);
    println!("AVX2 + FMA, {CHAINS} chains: 1 thread {a1:.1} Gflop/s, 2 threads {a2:.1} Gflop/s");
    let (w1, w2) = if is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F checked just above.
        let avx512: fn(f64) -> f64 = |s| unsafe { kernels::avx512(s) };
        let (w1, w2) = (
            rate(avx512, 2.0 * flops, 1, passes),
            rate(avx512, 2.0 * flops, 2, passes),
        );
        println!("AVX-512, {CHAINS} chains: 1 thread {w1:.1} Gflop/s, 2 threads {w2:.1} Gflop/s");
        (format!("{w1:.2}"), format!("{w2:.2}"))
    } else {
        println!("no AVX-512F");
        ("null".into(), "null".into())
    };
    println!(
        "{{\"gflops_avx2_1_thread\": {a1:.2}, \"gflops_avx2_2_threads\": {a2:.2}, \
         \"gflops_avx512_1_thread\": {w1}, \"gflops_avx512_2_threads\": {w2}}}"
    );
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("fma_peak measures x86-64 AVX2 and AVX-512 only");
    std::process::exit(1);
}

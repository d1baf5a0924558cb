//! Memory read bandwidth of this machine, measured with a streaming sum.
//!
//! Sums a large `f64` array many times, on 1 and on 2 threads (`std::thread::scope`, each
//! thread a contiguous half), two ways: a plain sum with eight independent accumulators over
//! an ordinary `Vec` (4 KiB pages), and, where the CPU has AVX2, a vector sum that also asks
//! for the data 8 KiB ahead (`prefetcht0`) over an anonymous mapping advised to use huge
//! pages (`madvise(MADV_HUGEPAGE)` through `memmap2`): fewer TLB misses and a prefetch that
//! runs past page ends, which BLAS's kernels reach too (on this machine the plain sum read
//! about 15 GB/s on two threads, the prefetching one on huge pages about 20). It reports
//! the best rate of each thread count in GB/s (1 GB = 1e9 bytes) over both ways;
//! `bench/run.sh` uses the best as the bound of an epoch: bytes of the data set / bandwidth.
//!
//! ```sh
//! cargo run --release --example bandwidth -p downhill -- [MIB] [PASSES]
//! ```
//!
//! MIB is the array size (default 512), PASSES the passes timed per thread count (default 20).
//! The last line printed is JSON:
//! `{"bytes": .., "passes": .., "gbps_1_thread": .., "gbps_2_threads": .., "gbps_best": ..}`.
//! `{.., "plain_gbps_2_threads": ..}` keeps the plain sum's two-thread rate.

use std::hint::black_box;
use std::time::Instant;

/// Sum of a slice with eight accumulators, so the loop vectorises on stable Rust and is not
/// bound by the latency of one floating-point add.
fn stream_sum(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        let c: &[f64; 8] = c.try_into().expect("chunks of 8");
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let mut s = tail.iter().sum::<f64>();
    for a in acc {
        s += a;
    }
    s
}

/// The sum of `x` four vectors at a time, asking for the data 1024 values ahead.
#[cfg(target_arch = "x86_64")]
fn prefetch_sum(x: &[f64]) -> f64 {
    #[target_feature(enable = "avx2")]
    unsafe fn sum(x: &[f64]) -> f64 {
        use std::arch::x86_64::*;
        let mut a = [_mm256_setzero_pd(); 4];
        let p = x.as_ptr();
        let whole = x.len() / 16 * 16;
        let mut i = 0;
        while i < whole {
            // A hint only: an address past the end is never read.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + 1024).cast());
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i + 1032).cast());
            for (k, ak) in a.iter_mut().enumerate() {
                *ak = _mm256_add_pd(*ak, _mm256_loadu_pd(p.add(i + 4 * k)));
            }
            i += 16;
        }
        let mut out = [0.0; 4];
        let s = _mm256_add_pd(_mm256_add_pd(a[0], a[1]), _mm256_add_pd(a[2], a[3]));
        _mm256_storeu_pd(out.as_mut_ptr(), s);
        out.iter().sum::<f64>() + x[whole..].iter().sum::<f64>()
    }
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { sum(x) }
    } else {
        stream_sum(x)
    }
}

/// Seconds of the fastest of `passes` sums of `x` split into `threads` contiguous parts.
fn best_pass(x: &[f64], threads: usize, passes: usize, sum: fn(&[f64]) -> f64) -> f64 {
    let part = x.len().div_ceil(threads);
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let start = Instant::now();
        let total: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = x
                .chunks(part)
                .map(|chunk| s.spawn(move || sum(black_box(chunk))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let secs = start.elapsed().as_secs_f64();
        black_box(total);
        best = best.min(secs);
    }
    best
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args
        .next()
        .map(|a| a.parse().expect("MIB must be a whole number"))
        .unwrap_or(512);
    let passes: usize = args
        .next()
        .map(|a| a.parse().expect("PASSES must be a whole number"))
        .unwrap_or(20);
    let n = mib * 1024 * 1024 / 8;
    let bytes = (n * 8) as f64;

    // Touch every page (and give the sum something non-trivial to add).
    let value = |i: usize| (i % 1024) as f64 * 0.5;
    let x: Vec<f64> = (0..n).map(value).collect();
    // The same values in an anonymous mapping advised to use huge pages (a hint: the kernel
    // may decline, and then the pages are ordinary ones).
    let mut map = memmap2::MmapOptions::new()
        .len(n * 8)
        .map_anon()
        .expect("an anonymous mapping");
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    // SAFETY: the mapping is page-aligned (so aligned for f64), `n * 8` bytes, and owned here.
    let huge: &mut [f64] = unsafe { std::slice::from_raw_parts_mut(map.as_mut_ptr().cast(), n) };
    huge.iter_mut().enumerate().for_each(|(i, v)| *v = value(i));
    let huge: &[f64] = huge;
    #[cfg(target_arch = "x86_64")]
    let fast: fn(&[f64]) -> f64 = prefetch_sum;
    #[cfg(not(target_arch = "x86_64"))]
    let fast: fn(&[f64]) -> f64 = stream_sum;
    // Warm up: fault in pages, wake the cores.
    black_box(best_pass(&x, 2, 2, stream_sum));
    black_box(best_pass(huge, 2, 2, fast));

    let mut rates = Vec::new();
    let mut plain2 = 0.0;
    for threads in [1usize, 2] {
        let plain = bytes / best_pass(&x, threads, passes, stream_sum) / 1e9;
        let prefetched = bytes / best_pass(huge, threads, passes, fast) / 1e9;
        println!(
            "{threads} thread(s): plain sum {plain:.2} GB/s, prefetching sum on huge pages \
             {prefetched:.2} GB/s"
        );
        rates.push(plain.max(prefetched));
        plain2 = plain;
    }
    let best = rates.iter().cloned().fold(0.0f64, f64::max);
    println!(
        "{{\"bytes\": {}, \"passes\": {passes}, \"gbps_1_thread\": {:.4}, \"gbps_2_threads\": {:.4}, \"gbps_best\": {best:.4}, \"plain_gbps_2_threads\": {plain2:.4}}}",
        n * 8,
        rates[0],
        rates[1]
    );
}

//! Memory read bandwidth of this machine, measured with a streaming sum.
//!
//! Sums a large `f64` array many times, on 1 and on 2 threads (`std::thread::scope`, each
//! thread a contiguous half), two ways: a plain sum with eight independent accumulators over
//! an ordinary `Vec` (4 KiB pages), and, where the CPU has AVX2, a vector sum that also asks
//! for the data 8 KiB ahead (`prefetcht0`) over an anonymous mapping advised to use huge
//! pages (`madvise(MADV_HUGEPAGE)` through `memmap2`): fewer TLB misses and a prefetch that
//! runs past page ends, which BLAS's kernels reach too (on this machine the plain sum read
//! about 15 GB/s on two threads, the prefetching one on huge pages about 20; on a later one
//! the prefetching sum read nearly as fast over 4 KiB pages: its edge is the requests). It reports
//! the best rate of each thread count in GB/s (1 GB = 1e9 bytes) over both ways, and the
//! best mean rate; `bench/run.sh` takes the mean over as long as it times an epoch as the
//! bound of an epoch (bytes of the data set / bandwidth), the fastest pass beside it.
//!
//! ```sh
//! cargo run --release --example bandwidth -p downhill -- [MIB] [PASSES] [SECONDS]
//! ```
//!
//! MIB is the array size (default 512), PASSES the passes timed per thread count and way
//! (default 20), each way and thread count running on until SECONDS have passed if given
//! (default 0). The last line printed is JSON:
//! `{"bytes": .., "passes": .., "gbps_1_thread": .., "gbps_2_threads": .., "gbps_best": ..}`.
//! `{.., "plain_gbps_2_threads": ..}` keeps the plain sum's two-thread rate, and
//! `{.., "gbps_mean": ..}` the best way's and thread count's mean rate over its passes
//! (bytes of all its passes / their time): a rate taken as an epoch's time is, over a run of
//! many back to back, not the fastest of them.

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

/// The fastest and the mean seconds of `passes` sums of `x` split into `threads` contiguous
/// parts, or of as many more as fill `seconds`.
fn timed_passes(
    x: &[f64],
    threads: usize,
    passes: usize,
    seconds: f64,
    sum: fn(&[f64]) -> f64,
) -> (f64, f64) {
    let part = x.len().div_ceil(threads);
    let (mut best, mut total, mut done) = (f64::INFINITY, 0.0, 0usize);
    while done < passes.max(1) || total < seconds {
        let start = Instant::now();
        let sums: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = x
                .chunks(part)
                .map(|chunk| s.spawn(move || sum(black_box(chunk))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let secs = start.elapsed().as_secs_f64();
        black_box(sums);
        best = best.min(secs);
        total += secs;
        done += 1;
    }
    (best, total / done as f64)
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
    let seconds: f64 = args
        .next()
        .map(|a| a.parse().expect("SECONDS must be a number"))
        .unwrap_or(0.0);
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
    black_box(timed_passes(&x, 2, 2, 0.0, stream_sum));
    black_box(timed_passes(huge, 2, 2, 0.0, fast));

    let mut rates = Vec::new();
    let (mut plain2, mut mean) = (0.0, 0.0f64);
    for threads in [1usize, 2] {
        let (plain, plain_mean) = timed_passes(&x, threads, passes, seconds, stream_sum);
        let (prefetched, prefetched_mean) = timed_passes(huge, threads, passes, seconds, fast);
        let (plain, prefetched) = (bytes / plain / 1e9, bytes / prefetched / 1e9);
        println!(
            "{threads} thread(s): plain sum {plain:.2} GB/s, prefetching sum on huge pages \
             {prefetched:.2} GB/s (the fastest pass); means {:.2} and {:.2}",
            bytes / plain_mean / 1e9,
            bytes / prefetched_mean / 1e9
        );
        rates.push(plain.max(prefetched));
        plain2 = plain;
        mean = mean.max(bytes / plain_mean.min(prefetched_mean) / 1e9);
    }
    let best = rates.iter().cloned().fold(0.0f64, f64::max);
    println!(
        "{{\"bytes\": {}, \"passes\": {passes}, \"gbps_1_thread\": {:.4}, \"gbps_2_threads\": {:.4}, \"gbps_best\": {best:.4}, \"plain_gbps_2_threads\": {plain2:.4}, \"gbps_mean\": {mean:.4}}}",
        n * 8,
        rates[0],
        rates[1]
    );
}

//! Memory read bandwidth of this machine, measured with a streaming sum.
//!
//! Sums a large `f64` array (far larger than the caches) many times with eight independent
//! accumulators, on 1 and on 2 threads (`std::thread::scope`, each thread a contiguous half),
//! and reports the best rate of each in GB/s (1 GB = 1e9 bytes). `bench/run.sh` uses the best
//! of them as the bound of an epoch: bytes of the data set / bandwidth.
//!
//! ```sh
//! cargo run --release --example bandwidth -p downhill -- [MIB] [PASSES]
//! ```
//!
//! MIB is the array size (default 512), PASSES the passes timed per thread count (default 20).
//! The last line printed is JSON:
//! `{"bytes": .., "passes": .., "gbps_1_thread": .., "gbps_2_threads": .., "gbps_best": ..}`.
//! No dependencies.

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

/// Seconds of the fastest of `passes` sums of `x` split into `threads` contiguous parts.
fn best_pass(x: &[f64], threads: usize, passes: usize) -> f64 {
    let part = x.len().div_ceil(threads);
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let start = Instant::now();
        let total: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = x
                .chunks(part)
                .map(|chunk| s.spawn(move || stream_sum(black_box(chunk))))
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
    let x: Vec<f64> = (0..n).map(|i| (i % 1024) as f64 * 0.5).collect();
    // Warm up: fault in pages, wake the cores.
    black_box(best_pass(&x, 2, 2));

    let mut rates = Vec::new();
    for threads in [1usize, 2] {
        let secs = best_pass(&x, threads, passes);
        let gbps = bytes / secs / 1e9;
        println!(
            "{threads} thread(s): best pass {:.3} ms, {gbps:.2} GB/s",
            secs * 1e3
        );
        rates.push(gbps);
    }
    let best = rates.iter().cloned().fold(0.0f64, f64::max);
    println!(
        "{{\"bytes\": {}, \"passes\": {passes}, \"gbps_1_thread\": {:.4}, \"gbps_2_threads\": {:.4}, \"gbps_best\": {best:.4}}}",
        n * 8,
        rates[0],
        rates[1]
    );
}

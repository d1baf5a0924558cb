//! Whether a full-batch epoch reads its rows faster from huge pages: the same values in two
//! matrices, one in memory advised to use transparent huge pages (`madvise(MADV_HUGEPAGE)`
//! before its first touch) and one in ordinary 4 KiB pages, their epochs (one cost and
//! gradient, [`FullBatch`] of [`Linear`]) alternated call by call in one process, so that both
//! see the same load. Linux only (elsewhere it says so and exits).
//!
//! ```sh
//! cargo run --release --example huge_pages -p downhill -- ROWS COLS [linear|logistic] [CALLS] [THREADS]
//! ```
//!
//! Defaults: 1,000,000 x 20, logistic, 30 calls each, 2 threads. It prints how much of the
//! process's memory the kernel gave huge pages (`AnonHugePages`; 0 where the kernel's
//! `transparent_hugepage` setting is `never`), then the best, first quartile and median of
//! each; the last line is JSON. The loaders do not ask for huge pages (the README's Speed
//! section says what asking did).

use downhill::data::Matrix;
use downhill::loss::{LogLoss, Squared};
use downhill::model::Linear;
use downhill::objective::FullBatch;
use downhill::Objective;
use std::hint::black_box;
use std::time::Instant;

#[cfg(target_os = "linux")]
extern "C" {
    /// The C library's `madvise(2)`.
    fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
}

/// Linux's `MADV_HUGEPAGE`.
#[cfg(target_os = "linux")]
const MADV_HUGEPAGE: i32 = 14;

/// `n` seeded values about uniform on [-0.5, 0.5); with `huge`, their buffer's whole 2 MiB
/// stretches advised to use huge pages before they are written.
fn values(n: usize, huge: bool) -> Vec<f64> {
    let mut v: Vec<f64> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    if huge {
        const HUGE: usize = 2 << 20;
        let p = v.as_mut_ptr() as usize;
        let start = p.next_multiple_of(HUGE);
        let end = (p + n * 8) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside the vector's allocation, and the advice changes
            // no values.
            let r = unsafe { madvise(start as *mut _, end - start, MADV_HUGEPAGE) };
            if r != 0 {
                eprintln!("madvise refused: {}", std::io::Error::last_os_error());
            }
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    v.extend((0..n).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }));
    v
}

/// Best, first quartile and median of `t` (sorted in place), in ms.
fn summary(t: &mut [f64]) -> [f64; 3] {
    t.sort_by(f64::total_cmp);
    [t[0], t[t.len() / 4], t[t.len() / 2]]
}

fn main() {
    if !cfg!(target_os = "linux") {
        println!("huge_pages: Linux only");
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: usize| -> usize {
        match args.get(i).map(|a| a.parse::<usize>()) {
            None => default,
            Some(Ok(v)) if v > 0 => v,
            Some(_) => {
                eprintln!(
                    "usage: huge_pages [ROWS] [COLS] [linear|logistic] [CALLS] [THREADS] \
                     (positive integers)"
                );
                std::process::exit(2);
            }
        }
    };
    let (n, d) = (num(0, 1_000_000), num(1, 20));
    let logistic = args.get(2).is_none_or(|k| k != "linear");
    let (calls, threads) = (num(3, 30), num(4, 2));
    let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let xs = [false, true]
        .map(|huge| Matrix::from_row_major(n, d, values(n * d, huge)).expect("rows x cols values"));
    let huge_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("AnonHugePages:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0);
    println!("AnonHugePages: {} MiB", huge_kb / 1024);
    let params: Vec<f64> = (0..=d).map(|j| 0.01 * (j % 7) as f64).collect();
    let mut g = vec![0.0; d + 1];
    let mut times = [Vec::new(), Vec::new()];
    macro_rules! alternate {
        ($loss:expr) => {{
            let models = xs.each_ref().map(|x| Linear::new(x, &y, $loss));
            let objectives = models
                .each_ref()
                .map(|m| FullBatch::with_threads(m, threads));
            for o in &objectives {
                // The threads start and the pages are touched before the timing.
                black_box(o.cost_grad(&params, &mut g));
            }
            for _ in 0..calls {
                for (o, t) in objectives.iter().zip(times.iter_mut()) {
                    let start = Instant::now();
                    black_box(o.cost_grad(black_box(&params), &mut g));
                    t.push(start.elapsed().as_secs_f64() * 1e3);
                }
            }
        }};
    }
    if logistic {
        alternate!(LogLoss)
    } else {
        alternate!(Squared)
    }
    let [small, huge] = times.map(|mut t| summary(&mut t));
    for (name, [best, q1, median]) in [("4 KiB pages", small), ("huge pages", huge)] {
        println!("{name}: best {best:.3} ms, first quartile {q1:.3}, median {median:.3}");
    }
    println!(
        "{{\"rows\": {n}, \"cols\": {d}, \"kind\": \"{}\", \"threads\": {threads}, \
         \"small_q1_ms\": {:.4}, \"huge_q1_ms\": {:.4}, \"small_median_ms\": {:.4}, \
         \"huge_median_ms\": {:.4}, \"anon_huge_mib\": {}}}",
        if logistic { "logistic" } else { "linear" },
        small[1],
        huge[1],
        small[2],
        huge[2],
        huge_kb / 1024
    );
}

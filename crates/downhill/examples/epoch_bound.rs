//! A full-batch epoch (one cost and gradient, [`FullBatch`] of [`Linear`] or [`Softmax`]) against a read of
//! as many bytes as the data set (the bound of an epoch that reads each value once),
//! interleaved in one process so that both see the same load.
//!
//! ```sh
//! cargo run --release --example epoch_bound -p downhill -- ROWS COLS [linear|logistic|softmaxK] [ROUNDS] [THREADS] [REPEAT] [grad|cost]
//! ```
//!
//! Features are about N(0, 1) (sums of uniforms), so logits spread as in `bench/compare.py`'s
//! sets; `softmaxK` draws K classes (`softmax10`: ten). Each round times one probe (a streaming sum over a buffer the size of the data,
//! split over THREADS threads as `examples/bandwidth.rs` does) and one epoch on THREADS
//! threads (REPEAT epochs back to back, 1 unless given, timed together: after the first, the
//! rows are where it left them, in cache when they fit, so a large REPEAT times the kernel's
//! arithmetic rather than memory; `cost` times the cost alone, without the gradient, the pass
//! a line search makes). The last line is JSON with the medians and the best of
//! each (an epoch's), their ratios, and the median epoch in nanoseconds a row.
//! No dependencies beyond `downhill`.

use downhill::data::Matrix;
use downhill::loss::{LogLoss, Squared};
use downhill::model::{Linear, Softmax};
use downhill::objective::FullBatch;
use downhill::{FiniteSum, Objective};
use std::hint::black_box;
use std::time::Instant;

/// Sum of a slice with eight accumulators (as `examples/bandwidth.rs`).
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
    tail.iter().sum::<f64>() + acc.iter().sum::<f64>()
}

/// Seconds of one pass over `x` split into `threads` contiguous parts.
fn probe(x: &[f64], threads: usize) -> f64 {
    let part = x.len().div_ceil(threads);
    let start = Instant::now();
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = x
            .chunks(part)
            .map(|chunk| s.spawn(move || stream_sum(black_box(chunk))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("probe thread"))
            .sum()
    });
    black_box(total);
    start.elapsed().as_secs_f64()
}

/// Seconds of one epoch, the mean of `repeat` back to back.
fn epoch(obj: &dyn Objective, params: &[f64], grad: &mut [f64], repeat: usize, cost: bool) -> f64 {
    let start = Instant::now();
    for _ in 0..repeat {
        if cost {
            black_box(obj.cost(black_box(params)));
        } else {
            black_box(obj.cost_grad(black_box(params), grad));
        }
    }
    start.elapsed().as_secs_f64() / repeat as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: usize| -> usize {
        args.get(i)
            .map(|a| a.parse().expect("a whole number"))
            .unwrap_or(default)
    };
    let (n, d) = (num(0, 200_000), num(1, 100));
    let kind = args.get(2).map_or("linear", String::as_str);
    let (rounds, threads, repeat) = (num(3, 15), num(4, 2), num(5, 1).max(1));
    let cost = match args.get(6).map(String::as_str) {
        None | Some("grad") => false,
        Some("cost") => true,
        Some(other) => {
            eprintln!("epoch_bound: the seventh argument is grad or cost, not {other}");
            std::process::exit(2);
        }
    };

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    // About N(0, 1): four uniforms, centred and scaled to variance 1.
    let mut normal = move || (uniform() + uniform() + uniform() + uniform() - 2.0) * 3.0f64.sqrt();
    let x: Vec<f64> = (0..n * d).map(|_| normal()).collect();
    let w: Vec<f64> = (0..d)
        .map(|j| ((j * 37 % 17) as f64 / 8.0 - 1.0) * 0.5)
        .collect();
    // `softmaxK`: K classes, each row's the largest of K noisy scores (class k's weights
    // `w` shifted by k columns).
    let classes = match kind.strip_prefix("softmax").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(k)) if k >= 2 => k,
        Some(_) => {
            eprintln!("epoch_bound: softmaxK needs K >= 2 classes, as in softmax10");
            std::process::exit(2);
        }
    };
    let score = |row: &[f64], k: usize| -> f64 {
        row.iter()
            .enumerate()
            .map(|(j, a)| a * w[(j + k) % d])
            .sum::<f64>()
    };
    let y: Vec<f64> = x
        .chunks_exact(d)
        .map(|row| {
            let z: f64 = score(row, 0) + 0.5;
            match kind {
                "logistic" => f64::from(z + normal() > 0.0),
                _ if classes > 0 => {
                    let noisy: Vec<f64> = (0..classes).map(|k| score(row, k) + normal()).collect();
                    (0..classes).fold(0, |b, k| if noisy[k] > noisy[b] { k } else { b }) as f64
                }
                _ => z + 0.1 * normal(),
            }
        })
        .collect();
    let x = Matrix::from_row_major(n, d, x).expect("shape");
    let buf: Vec<f64> = (0..n * (d + 1)).map(|i| (i % 1024) as f64).collect();

    let linear = Linear::new(&x, &y, Squared);
    let logistic = Linear::new(&x, &y, LogLoss);
    let softmax = (classes > 0).then(|| Softmax::new(&x, &y, classes).expect("class indices"));
    let model: &dyn FiniteSum = match &softmax {
        Some(m) => m,
        None if kind == "logistic" => &logistic,
        None => &linear,
    };
    // Half the generating weights: logits of a fit part-way (each class's own).
    let w = &w;
    let params: Vec<f64> = (0..classes.max(1))
        .flat_map(|k| (0..d).map(move |j| 0.5 * w[(j + k) % d]).chain([0.25]))
        .collect();
    let mut grad = vec![0.0; model.dim()];
    let obj = FullBatch::with_threads(model, threads);

    for _ in 0..2 {
        probe(&buf, threads);
        epoch(&obj, &params, &mut grad, repeat, cost);
    }
    let (mut pt, mut et) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        pt.push(probe(&buf, threads));
        et.push(epoch(&obj, &params, &mut grad, repeat, cost));
    }
    let (pmin, emin) = (
        pt.iter().cloned().fold(f64::INFINITY, f64::min),
        et.iter().cloned().fold(f64::INFINITY, f64::min),
    );
    let (pmed, emed) = (median(&mut pt), median(&mut et));
    println!(
        "{{\"rows\": {n}, \"cols\": {d}, \"kind\": \"{kind}\", \"threads\": {threads}, \
         \"epoch_ms_median\": {:.3}, \"epoch_ms_best\": {:.3}, \"probe_ms_median\": {:.3}, \
         \"probe_ms_best\": {:.3}, \"ratio_median\": {:.3}, \"ratio_best\": {:.3}, \
         \"epoch_ns_per_row_median\": {:.2}, \"grad0\": {:e}}}",
        emed * 1e3,
        emin * 1e3,
        pmed * 1e3,
        pmin * 1e3,
        emed / pmed,
        emin / pmin,
        emed * 1e9 / n as f64,
        grad[0]
    );
}

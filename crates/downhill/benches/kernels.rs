//! Kernel throughput: `cargo bench -p downhill --bench kernels` (add `-- --quick` for a
//! fast pass). Not run by CI.
//!
//! - `full_<rows>x<cols>/stream_sum_t<T>`: summing the feature values and targets with
//!   eight accumulators, the memory-bandwidth bound a pass over the data cannot beat;
//! - `full_<rows>x<cols>/cost_grad_<f64|f32>_t<T>`: one full-batch cost and gradient of
//!   least squares ([`FullBatch`] of [`Linear`]) on `T` threads, the work of one
//!   full-batch epoch; `cost_grad_f64_weighted_t<T>` the same with row weights;
//! - `minibatch_<rows>x<cols>_b32/epochs_<E>`: a training run of `E` mini-batch epochs of
//!   plain SGD, batch 32 (plus the full evaluations at its start and end);
//! - `hessian_1000000x21/logistic_t<T>`: the full-batch Hessian of logistic regression on 20
//!   features and an intercept, on `T` threads, with a line in Gflop/s.
//!
//! Throughput is in bytes read per second (feature values and targets), so full-batch and
//! streaming numbers compare directly; a line after each benchmark gives rows per second.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use downhill::data::{Matrix, MatrixF32};
use downhill::loss::{LogLoss, Squared};
use downhill::model::Linear;
use downhill::objective::{FullBatch, Hessian};
use downhill::optim::Sgd;
use downhill::train::{NoObserver, TrainConfig, Trainer};
use downhill::Objective;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A reproducible data set: uniform features in [-0.5, 0.5), a linear target plus noise.
fn data(n: usize, d: usize) -> (Matrix, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let x: Vec<f64> = (0..n * d).map(|_| uniform()).collect();
    let y = (0..n)
        .map(|i| {
            let row = &x[i * d..(i + 1) * d];
            row.iter()
                .enumerate()
                .map(|(j, v)| v * (j as f64 + 1.0))
                .sum::<f64>()
                + 0.1 * uniform()
        })
        .collect();
    (Matrix::from_row_major(n, d, x).expect("shape"), y)
}

/// The sum of `v` with eight independent accumulators (vectorised): a pass at memory speed.
fn stream(v: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let chunks = v.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// [`stream`] over the features and targets, split in `threads` contiguous parts.
fn stream_all(x: &[f64], y: &[f64], threads: usize) -> f64 {
    if threads == 1 {
        return stream(x) + stream(y);
    }
    let (xl, xr) = x.split_at(x.len() / 2);
    let (yl, yr) = y.split_at(y.len() / 2);
    let (a, b) = rayon::join(|| stream(xl) + stream(yl), || stream(xr) + stream(yr));
    a + b
}

/// Prints rows per second of `f` (the median of five timed calls).
fn rows_per_second(name: &str, rows: usize, mut f: impl FnMut()) {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{name}: {:.3e} rows/s", rows as f64 / times[2]);
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

fn full_batch(c: &mut Criterion) {
    for (n, d) in [(1_000_000, 10), (200_000, 100)] {
        let (x, y) = data(n, d);
        let x32 = MatrixF32::from_f64(&x).expect("fits in f32");
        let name = format!("full_{n}x{d}");
        let mut g = group(c, &name);
        let bytes = |value: usize| (n * d * value + n * 8) as u64;
        g.throughput(Throughput::Bytes(bytes(8)));
        for t in [1, 2] {
            g.bench_function(format!("stream_sum_t{t}"), |b| {
                b.iter(|| black_box(stream_all(x.as_slice(), &y, t)))
            });
        }
        let params: Vec<f64> = (0..=d).map(|j| 0.01 * j as f64).collect();
        let mut grad = vec![0.0; d + 1];
        // Row weights (all 1 here) run a separate kernel: its cost is the weighted one's.
        let ones = vec![1.0; n];
        for (label, model, size) in [
            ("f64", Linear::new(&x, &y, Squared), 8),
            ("f32", Linear::new(&x32, &y, Squared), 4),
            (
                "f64_weighted",
                Linear::new(&x, &y, Squared).weights(Some(&ones)),
                8,
            ),
        ] {
            g.throughput(Throughput::Bytes(bytes(size)));
            for t in [1, 2] {
                let objective = FullBatch::with_threads(&model, t);
                let id = format!("cost_grad_{label}_t{t}");
                g.bench_function(&id, |b| {
                    b.iter(|| black_box(objective.cost_grad(&params, &mut grad)))
                });
                rows_per_second(&format!("{name}/{id}"), n, || {
                    black_box(objective.cost_grad(&params, &mut grad));
                });
            }
        }
        g.finish();
    }
}

fn mini_batch(c: &mut Criterion) {
    let (n, d, batch, epochs) = (1_000_000, 10, 32, 3);
    let (x, y) = data(n, d);
    let model = Linear::new(&x, &y, Squared);
    let run = |max_epochs: usize| {
        let config = TrainConfig {
            max_epochs,
            batch_size: Some(batch),
            record_params: false,
            threads: 1,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(Box::new(Sgd::new()), 0.01).with_config(config);
        let report = trainer.run(&model, vec![0.0; d + 1], &mut NoObserver);
        black_box(report.expect("the run succeeds").cost)
    };
    let name = format!("minibatch_{n}x{d}_b{batch}");
    let mut g = group(c, &name);
    g.throughput(Throughput::Bytes((epochs * (n * d * 8 + n * 8)) as u64));
    g.bench_function(format!("epochs_{epochs}"), |b| b.iter(|| run(epochs)));
    g.finish();
    // One epoch alone: a run of `epochs` epochs less one of none (both evaluate the full
    // batch at their start and end).
    let time = |e: usize| {
        let mut t: Vec<f64> = (0..3)
            .map(|_| {
                let s = Instant::now();
                run(e);
                s.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[1]
    };
    let epoch = (time(epochs) - time(0)) / epochs as f64;
    println!(
        "{name}: {:.1} ms per epoch, {:.3e} rows/s",
        epoch * 1e3,
        n as f64 / epoch
    );
}

/// The full-batch Hessian `X^T D X / N` of logistic regression, 20 features and an
/// intercept; Gflop/s count the 231 multiply-adds a row of the upper triangle (the peak to
/// compare with: `cargo run --release --example fma_peak -p downhill`).
fn hessian(c: &mut Criterion) {
    let (n, d) = (1_000_000, 20);
    let (x, y) = data(n, d);
    let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
    let model = Linear::new(&x, &y, LogLoss);
    let dim = d + 1;
    let params: Vec<f64> = (0..dim).map(|j| 0.01 * j as f64).collect();
    let mut h = vec![0.0; dim * dim];
    let name = format!("hessian_{n}x{dim}");
    let mut g = group(c, &name);
    g.throughput(Throughput::Elements(n as u64));
    for t in [1, 2] {
        let objective = FullBatch::with_threads(&model, t);
        g.bench_function(format!("logistic_t{t}"), |b| {
            b.iter(|| objective.hessian(black_box(&params), &mut h))
        });
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let s = Instant::now();
                objective.hessian(black_box(&params), &mut h);
                s.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let flops = (n * dim * (dim + 1)) as f64;
        println!(
            "{name}/logistic_t{t}: {:.2} Gflop/s",
            flops / times[2] / 1e9
        );
    }
    g.finish();
}

criterion_group!(benches, full_batch, mini_batch, hessian);
criterion_main!(benches);

//! What a Newton iteration costs against an L-BFGS iteration, on logistic regression.
//!
//! On `ROWS x FEATURES` standardised features with labels drawn from a logistic model (a
//! fixed seed), with an L2 penalty of 1e-4 and an intercept (`FEATURES + 1` parameters):
//!
//! - the full-batch Hessian `X^T D X / N` ([`FullBatch`]'s [`Hessian`]) and its rate in
//!   Gflop/s, counting the `dim (dim + 1) / 2` multiply-adds per row that the upper triangle
//!   needs (2 flops each; padding and the computation of `D` not counted);
//! - the same Hessian as one rank of a distributed fit ([`AllReduced`] over [`Solo`]), and
//!   with the standardisation folded into the parameters ([`Folded`], as fits on borrowed
//!   rows run);
//! - one full-batch cost and gradient (an epoch);
//! - a Newton fit and an L-BFGS fit to `gtol = 1e-10` (relative), each timed whole: seconds
//!   per iteration, iterations, evaluations and Hessians; and Newton without its
//!   corrections after full steps (`refine(0)`).
//!
//! Every timing is the median of `REPS` runs, on `THREADS` threads.
//!
//! ```sh
//! cargo run --release --example newton_cost -p downhill -- [ROWS] [FEATURES] [THREADS] [REPS] [hessian]
//! ```
//!
//! Defaults: 1,000,000 rows, 20 features, 1 thread, 5 runs. The last line printed is JSON.
//! With `hessian` last, only the Hessian is timed and printed: a harness for a profiler
//! (`perf record -e cpu-clock target/release/examples/newton_cost 20000 100 1 1000 hessian`
//! samples little but the Hessian's kernels).

use downhill::data::{Matrix, Standardizer};
use downhill::distributed::{AllReduced, Solo};
use downhill::loss::LogLoss;
use downhill::model::{Folded, Linear};
use downhill::objective::{FullBatch, Hessian};
use downhill::penalty::Penalty;
use downhill::solver::{self, Newton, Problem, SolverOptions};
use downhill::train::{NoObserver, TrainConfig};
use downhill::Objective;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

/// `println!` that ends the program quietly when standard output is closed (`| head -1`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    };
}

/// Standardised features (uniform, scaled to unit variance) and 0/1 labels drawn with
/// probability `sigmoid(w . x - 0.3)`, `w_j` spread over [-1, 1] / sqrt(d).
fn data(n: usize, d: usize) -> (Matrix, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let scale = 12f64.sqrt();
    let x: Vec<f64> = (0..n * d).map(|_| (uniform() - 0.5) * scale).collect();
    let w: Vec<f64> = (0..d)
        .map(|j| (2.0 * j as f64 / (d.max(2) - 1) as f64 - 1.0) / (d as f64).sqrt())
        .collect();
    let y = (0..n)
        .map(|i| {
            let z: f64 = x[i * d..(i + 1) * d]
                .iter()
                .zip(&w)
                .map(|(a, b)| a * b)
                .sum();
            let p = 1.0 / (1.0 + (0.3 - z).exp());
            f64::from(uniform() < p)
        })
        .collect();
    (Matrix::from_row_major(n, d, x).expect("shape"), y)
}

/// Median seconds of `reps` calls of `f`.
fn median(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn arg(i: usize, default: usize) -> usize {
    match std::env::args().nth(i).map(|a| a.parse::<usize>()) {
        None => default,
        Some(Ok(v)) if v > 0 => v,
        Some(_) => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: newton_cost [ROWS] [FEATURES] [THREADS] [REPS] [hessian] (positive integers)"
    );
    std::process::exit(2);
}

fn main() {
    let (n, d, threads, reps) = (arg(1, 1_000_000), arg(2, 20), arg(3, 1), arg(4, 5));
    let only_hessian = match std::env::args().nth(5).as_deref() {
        None => false,
        Some("hessian") => true,
        Some(_) => usage(),
    };
    let (x, y) = data(n, d);
    let model = Linear::new(&x, &y, LogLoss).penalty(Penalty { l1: 0.0, l2: 1e-4 });
    let objective = FullBatch::with_threads(&model, threads);
    let dim = d + 1;
    let params: Vec<f64> = (0..dim).map(|j| 0.01 * j as f64).collect();

    let mut h = vec![0.0; dim * dim];
    objective.hessian(&params, &mut h); // warm up: threads, pages
    let t_hess = median(reps, || objective.hessian(black_box(&params), &mut h));
    let flops = (n * dim * (dim + 1)) as f64;
    let gflops = flops / t_hess / 1e9;
    if only_hessian {
        say!(
            "{n} x {d} (+ intercept), {threads} thread(s): Hessian {:.3} ms ({gflops:.2} Gflop/s)",
            t_hess * 1e3
        );
        return;
    }
    let mut g = vec![0.0; dim];
    let t_epoch = median(reps, || {
        black_box(objective.cost_grad(black_box(&params), &mut g));
    });
    // Cost, gradient and Hessian in one pass, as Newton's steps ask for them (up to 20
    // features; NaN where there is no such pass).
    let t_fused = match objective.cost_grad_hessian(&params, &mut g, &mut h) {
        Some(_) => median(reps, || {
            black_box(objective.cost_grad_hessian(black_box(&params), &mut g, &mut h));
        }),
        None => f64::NAN,
    };
    // The same Hessian as one rank of a distributed fit (a communicator of one process):
    // summed over the rank's threads like one process's.
    let rank = AllReduced::new(&model, &Solo, threads);
    let rank = FullBatch::new(&rank);
    rank.hessian(&params, &mut h);
    let t_rank = median(reps, || rank.hessian(black_box(&params), &mut h));
    // And with the data's standardisation folded into the parameters, as fits on borrowed
    // rows (the Python package's) run.
    let scaler = Standardizer::fit(&x).expect("no constant column");
    let raw = Linear::new(&x, &y, LogLoss);
    let folded = Folded::new(raw, &scaler, true, Penalty { l1: 0.0, l2: 1e-4 });
    let folded = FullBatch::with_threads(&folded, threads);
    folded.hessian(&params, &mut h);
    let t_folded = median(reps, || folded.hessian(black_box(&params), &mut h));
    say!(
        "{n} x {d} (+ intercept), {threads} thread(s): Hessian {:.2} ms ({gflops:.2} Gflop/s; \
         as one rank of a distributed fit {:.2} ms, standardisation folded in {:.2} ms), cost \
         and gradient {:.2} ms, {}",
        t_hess * 1e3,
        t_rank * 1e3,
        t_folded * 1e3,
        t_epoch * 1e3,
        if t_fused.is_nan() {
            "no pass for all three at this width".to_string()
        } else {
            format!("all three in one pass {:.2} ms", t_fused * 1e3)
        }
    );

    let config = TrainConfig {
        gtol: 1e-10,
        threads,
        ..TrainConfig::default()
    };
    let mut per_iteration = Vec::new();
    let mut json = String::new();
    for name in ["newton", "lbfgs", "newton-refine0"] {
        let mut out = None;
        let t = median(reps, || {
            let mut s: Box<dyn solver::Solver> = match name {
                // Newton without its corrections after a full step.
                "newton-refine0" => Box::new(Newton::new().refine(0)),
                _ => solver::by_name(name, &SolverOptions::default()).expect("a solver"),
            };
            let fit = FullBatch::with_threads(&model, threads);
            let problem = Problem::with_hessian(&fit, &fit);
            out = Some(
                solver::solve(
                    s.as_mut(),
                    problem,
                    vec![0.0; dim],
                    &config,
                    &mut NoObserver,
                )
                .expect("the fit runs"),
            );
        });
        let out = out.expect("at least one run");
        let iters = out.report.epochs.max(1);
        per_iteration.push(t / iters as f64);
        say!(
            "{name}: {:.1} ms, {} iterations ({:.2} ms each), {} evaluations, {} Hessians, \
             cost {:.15}, stop {:?}",
            t * 1e3,
            out.report.epochs,
            t / iters as f64 * 1e3,
            out.evaluations,
            out.hessians,
            out.report.cost,
            out.report.stop_reason
        );
        let name = name.replace('-', "_");
        json.push_str(&format!(
            ", \"{name}_ms\": {:.3}, \"{name}_iterations\": {}, \"{name}_ms_per_iteration\": {:.3}, \
             \"{name}_evaluations\": {}, \"{name}_hessians\": {}",
            t * 1e3,
            out.report.epochs,
            t / iters as f64 * 1e3,
            out.evaluations,
            out.hessians
        ));
    }
    let ratio = per_iteration[0] / per_iteration[1];
    say!("Newton iteration / L-BFGS iteration: {ratio:.2}x");
    say!(
        "{{\"rows\": {n}, \"features\": {d}, \"threads\": {threads}, \"hessian_ms\": {:.3}, \
         \"rank_hessian_ms\": {:.3}, \"folded_hessian_ms\": {:.3}, \"hessian_gflops\": {gflops:.3}, \
         \"epoch_ms\": {:.3}, \"fused_ms\": {}{json}, \"iteration_ratio\": {ratio:.3}}}",
        t_hess * 1e3,
        t_rank * 1e3,
        t_folded * 1e3,
        t_epoch * 1e3,
        if t_fused.is_nan() {
            "null".to_string()
        } else {
            format!("{:.3}", t_fused * 1e3)
        }
    );
}

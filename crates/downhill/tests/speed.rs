//! The speed work's guarantees, without timing anything: threads change sums only by
//! rounding and never from run to run, `f32` storage fits what `f64` fits, and mini-batch
//! epochs (contiguous batches in a seeded order) repeat exactly and visit every row once.

mod common;

use common::dataset;
use downhill::data::{Dataset, Matrix, MatrixF32, Precision};
use downhill::estimator::{LinearRegression, LogisticRegression, SoftmaxRegression};
use downhill::functions::by_name;
use downhill::loss::{Huber, LogLoss, Squared};
use downhill::model::Linear;
use downhill::objective::{FullBatch, Single, BLOCK_ROWS};
use downhill::optim::Sgd;
use downhill::penalty::Penalty;
use downhill::solver::{self, SolverOptions};
use downhill::train::{NoObserver, Report, TrainConfig, Trainer};
use downhill::{Error, FiniteSum, Objective, Rows};
use std::cell::RefCell;
use std::ops::Range;

/// A reproducible stream of uniform numbers in [0, 1) (xorshift).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n x d` features of different scales and offsets, a linear target with noise, and a
/// 0/1 target drawn from the logistic model of the same scores (so not separable).
fn generated(n: usize, d: usize, seed: u64) -> (Matrix, Vec<f64>, Vec<f64>) {
    let mut u = Uniform(seed | 1);
    let x: Vec<f64> = (0..n * d)
        .map(|k| {
            let j = k % d;
            (j as f64 + 1.0) * (u.next() - 0.5) + 0.3 * j as f64
        })
        .collect();
    let (mut y, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for row in x.chunks(d) {
        let score: f64 = row
            .iter()
            .enumerate()
            .map(|(j, v)| v * (0.5 - 0.2 * j as f64))
            .sum::<f64>()
            + 0.7;
        y.push(score + 0.3 * (u.next() - 0.5));
        c.push(f64::from(u.next() < 1.0 / (1.0 + (-score).exp())));
    }
    (Matrix::from_row_major(n, d, x).unwrap(), y, c)
}

/// Largest difference between `a` and `b`, relative to the largest entry of `b`.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The gradient, then the cost of `cost_grad`, then the cost alone, of `problem` on
/// `threads` threads.
fn evaluate<P: FiniteSum + ?Sized>(problem: &P, params: &[f64], threads: usize) -> Vec<f64> {
    let objective = FullBatch::with_threads(problem, threads);
    let mut out = vec![0.0; params.len()];
    let cost = objective.cost_grad(params, &mut out);
    out.push(cost);
    out.push(objective.cost(params));
    out
}

#[test]
fn threads_agree_to_rounding_and_repeat_bit_for_bit() {
    let (x, y, c) = generated(50_000, 7, 1);
    let x32 = MatrixF32::from_f64(&x).unwrap();
    let params: Vec<f64> = (0..8).map(|j| 0.2 - 0.05 * j as f64).collect();
    let least_squares = Linear::new(&x, &y, Squared);
    let huber_f32 = Linear::new(&x32, &y, Huber::new(0.5));
    let logistic = Linear::new(&x, &c, LogLoss);
    let problems: [(&str, &dyn FiniteSum); 3] = [
        ("least squares", &least_squares),
        ("huber on f32", &huber_f32),
        ("logistic", &logistic),
    ];
    let mut reordered = false;
    for (name, problem) in problems {
        let one = evaluate(problem, &params, 1);
        for threads in [2, 3] {
            let many = evaluate(problem, &params, threads);
            let diff = rel_diff(&many, &one);
            assert!(diff < 1e-12, "{name}, {threads} threads: {diff:e}");
            reordered |= bits(&many) != bits(&one);
            assert_eq!(
                bits(&many),
                bits(&evaluate(problem, &params, threads)),
                "{name}, {threads} threads, twice"
            );
        }
    }
    // The threads did split the sums (another order of additions shows in the last bits).
    assert!(reordered);
}

#[test]
fn threaded_training_repeats_and_agrees_with_one_thread() {
    let (x, y, _) = generated(50_000, 7, 2);
    let model = Linear::new(&x, &y, Squared);
    let run = |threads: usize| -> Report {
        let config = TrainConfig {
            max_epochs: 25,
            threads,
            ..TrainConfig::default()
        };
        Trainer::new(Box::new(Sgd::new()), 0.01)
            .with_config(config)
            .run(&model, vec![0.0; 8], &mut NoObserver)
            .unwrap()
    };
    let one = run(1);
    for threads in [2, 3] {
        let (a, b) = (run(threads), run(threads));
        assert_eq!(bits(&a.params), bits(&b.params), "{threads} threads, twice");
        assert_eq!(a.cost.to_bits(), b.cost.to_bits());
        let diff = rel_diff(&a.params, &one.params);
        assert!(diff < 1e-12, "{threads} threads: {diff:e}");
        assert!((a.cost - one.cost).abs() <= 1e-12 * one.cost);
    }
    // Zero means every core: whatever that is, the answer agrees.
    assert!(rel_diff(&run(0).params, &one.params) < 1e-12);
}

#[test]
fn threads_fall_back_to_one_for_problems_that_cannot_be_shared() {
    // A plain function as a one-row problem is not `Sync`-shareable: threads change nothing.
    let bowl = Single(by_name("rosenbrock").unwrap());
    assert!(bowl.as_sync().is_none());
    let p = [-1.2, 1.0];
    assert_eq!(bits(&evaluate(&bowl, &p, 4)), bits(&evaluate(&bowl, &p, 1)));
    // Too few rows for the threads: the one-thread sum, exactly.
    let (x, y, _) = generated(3 * BLOCK_ROWS, 3, 3);
    let model = Linear::new(&x, &y, Squared);
    assert!(model.as_sync().is_some());
    let p = [0.1, 0.2, 0.3, 0.4];
    assert_eq!(
        bits(&evaluate(&model, &p, 2)),
        bits(&evaluate(&model, &p, 1))
    );
}

/// Relative difference of two fits' `[w.., b]`, against the largest of them.
fn fit_diff(a: (&[f64], f64), b: (&[f64], f64)) -> f64 {
    let mut pa = a.0.to_vec();
    pa.push(a.1);
    let mut pb = b.0.to_vec();
    pb.push(b.1);
    rel_diff(&pa, &pb)
}

fn lbfgs() -> Option<Box<dyn solver::Solver>> {
    solver::by_name("lbfgs", &SolverOptions::default())
}

#[test]
fn f32_fits_agree_with_f64_fits() {
    let stackloss = || {
        dataset(
            "stackloss.csv",
            &["AIRFLOW", "WATERTEMP", "ACIDCONC"],
            "STACKLOSS",
        )
    };
    let engel = || dataset("engel.csv", &["income"], "foodexp");
    let (x, y, c) = generated(10_000, 5, 4);
    let generated_set = || Dataset::new(x.clone(), y.clone()).unwrap();
    type Data<'a> = &'a dyn Fn() -> Dataset;
    let sets: [(&str, Data, bool); 3] = [
        ("stackloss", &stackloss, false),
        ("engel", &engel, false),
        ("generated 10000 x 5", &generated_set, true),
    ];
    for (name, data, quasi_newton) in sets {
        let fit = |precision| {
            let mut est = LinearRegression {
                precision,
                ..LinearRegression::default()
            };
            if quasi_newton {
                est.solver = lbfgs();
                est.config.gtol = 1e-10;
            }
            est.fit(data()).unwrap()
        };
        let (a, b) = (fit(Precision::F64), fit(Precision::F32));
        let diff = fit_diff((&b.weights, b.intercept), (&a.weights, a.intercept));
        assert!(diff < 1e-5, "{name}: {diff:e}");
        println!("{name}: f32 against f64 {diff:e}");
        // Rounding to f32 did change the data the fit saw.
        assert_ne!(a.weights, b.weights, "{name}");
    }
    let fit = |precision| {
        LogisticRegression {
            precision,
            solver: lbfgs(),
            ..LogisticRegression::default()
        }
        .fit(Dataset::new(x.clone(), c.clone()).unwrap())
        .unwrap()
    };
    let (a, b) = (fit(Precision::F64), fit(Precision::F32));
    let diff = fit_diff((&b.weights, b.intercept), (&a.weights, a.intercept));
    assert!(diff < 1e-5, "logistic: {diff:e}");
    println!("logistic: f32 against f64 {diff:e}");
}

#[test]
fn precision_is_refused_where_it_cannot_work() {
    let (x, _, c) = generated(200, 3, 5);
    let err = SoftmaxRegression {
        precision: Precision::F32,
        ..SoftmaxRegression::default()
    }
    .fit(Dataset::new(x, c).unwrap())
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidSetting {
                setting: "precision",
                ..
            }
        ),
        "{err:?}"
    );
    // Values beyond f32's range, unstandardised: an error, not infinities.
    let x = Matrix::from_rows(&[[1e300], [2e300], [3e300]]);
    let err = LinearRegression {
        precision: Precision::F32,
        standardize: false,
        ..LinearRegression::default()
    }
    .fit(Dataset::new(x, vec![1.0, 2.0, 3.0]).unwrap())
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidSetting {
                setting: "precision",
                ..
            }
        ),
        "{err:?}"
    );
}

fn minibatch_fit(seed: u64, precision: Precision, threads: usize) -> Vec<f64> {
    let (x, y, _) = generated(10_000, 5, 6);
    let fit = LinearRegression {
        precision,
        schedule: Box::new(downhill::schedule::Constant(0.01)),
        config: TrainConfig {
            max_epochs: 3,
            batch_size: Some(32),
            seed,
            threads,
            ..TrainConfig::default()
        },
        ..LinearRegression::default()
    }
    .fit(Dataset::new(x, y).unwrap())
    .unwrap();
    let mut p = fit.weights;
    p.push(fit.intercept);
    p.push(fit.cost);
    p
}

#[test]
fn minibatch_runs_repeat_bit_for_bit_under_a_seed() {
    for precision in [Precision::F64, Precision::F32] {
        let a = minibatch_fit(7, precision, 1);
        assert_eq!(
            bits(&a),
            bits(&minibatch_fit(7, precision, 1)),
            "{precision}"
        );
        assert_ne!(
            a,
            minibatch_fit(8, precision, 1),
            "{precision}: another seed"
        );
        // Batches of 32 rows are far too small to split: threads change no step, so the
        // parameters are the same bits. The final cost is a full-data sum, which two threads
        // add in another order: equal to rounding.
        let b = minibatch_fit(7, precision, 2);
        let (pa, pb) = (&a[..a.len() - 1], &b[..b.len() - 1]);
        assert_eq!(bits(pa), bits(pb), "{precision}");
        let (ca, cb) = (a[a.len() - 1], b[b.len() - 1]);
        assert!(
            (ca - cb).abs() <= 1e-12 * ca.abs(),
            "{precision}: {ca} vs {cb}"
        );
    }
}

/// A problem that records which rows each call reads (in `calls`), with the loss of a
/// constant model so that training runs.
struct Recorder {
    n: usize,
    calls: RefCell<Vec<Range<usize>>>,
}

impl FiniteSum for Recorder {
    fn n_rows(&self) -> usize {
        self.n
    }

    fn dim(&self) -> usize {
        1
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        let Rows::Range(r) = rows else {
            panic!("mini-batches are ranges of rows");
        };
        self.calls.borrow_mut().push(r.clone());
        grad[0] += 2.0 * params[0] * r.len() as f64;
        params[0] * params[0] * r.len() as f64
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        params[0] * params[0] * rows.len() as f64
    }
}

/// The calls of each epoch of a mini-batch run on `n` rows (a batch that wraps around
/// the end of the rows comes as two calls).
fn epochs(n: usize, batch: usize, shuffle: bool, seed: u64) -> Vec<Vec<Range<usize>>> {
    let rec = Recorder {
        n,
        calls: RefCell::new(Vec::new()),
    };
    let config = TrainConfig {
        max_epochs: 4,
        batch_size: Some(batch),
        shuffle,
        seed,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(Box::new(Sgd::new()), 0.01).with_config(config);
    trainer.run(&rec, vec![1.0], &mut NoObserver).unwrap();
    let calls = rec.calls.into_inner();
    // The full evaluations at the start and the end are the first and last calls.
    assert_eq!((&calls[0], &calls[calls.len() - 1]), (&(0..n), &(0..n)));
    let mut out = Vec::new();
    let (mut epoch, mut rows) = (Vec::new(), 0);
    for r in &calls[1..calls.len() - 1] {
        rows += r.len();
        epoch.push(r.clone());
        if rows == n {
            out.push(std::mem::take(&mut epoch));
            rows = 0;
        }
    }
    assert!(epoch.is_empty(), "a partial epoch");
    out
}

#[test]
fn every_epoch_visits_each_row_once_in_contiguous_batches() {
    let (n, batch) = (103, 10);
    let shuffled = epochs(n, batch, true, 5);
    assert_eq!(shuffled.len(), 4);
    for (e, calls) in shuffled.iter().enumerate() {
        // 11 batches, one of them split in two when it wraps around the end.
        assert!(calls.len() == 11 || calls.len() == 12, "epoch {e}");
        let mut rows: Vec<usize> = calls.iter().flat_map(|r| r.clone()).collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..n).collect::<Vec<_>>(), "epoch {e}");
        let short = calls.iter().filter(|r| r.len() < batch).count();
        assert!(short <= 3, "epoch {e}: {calls:?}");
    }
    // Epochs differ from one another, and the same seed repeats them.
    assert_ne!(shuffled[0], shuffled[1]);
    assert_eq!(shuffled, epochs(n, batch, true, 5));
    assert_ne!(shuffled, epochs(n, batch, true, 6));
    // Without shuffling: the rows in order, batch after batch, every epoch.
    let plain = epochs(n, batch, false, 5);
    let expected: Vec<Range<usize>> = (0..11).map(|k| k * 10..(k * 10 + 10).min(n)).collect();
    assert!(plain.iter().all(|calls| *calls == expected), "{plain:?}");
}

#[test]
fn large_minibatches_use_the_threads_and_still_agree() {
    let (x, y, _) = generated(40_000, 4, 8);
    let model = Linear::new(&x, &y, Squared);
    let run = |threads: usize| -> Vec<f64> {
        let config = TrainConfig {
            max_epochs: 3,
            batch_size: Some(10_000),
            seed: 1,
            threads,
            ..TrainConfig::default()
        };
        let r = Trainer::new(Box::new(Sgd::new()), 0.05)
            .with_config(config)
            .run(&model, vec![0.0; 5], &mut NoObserver)
            .unwrap();
        r.params
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(bits(&two), bits(&run(2)));
    assert!(rel_diff(&two, &one) < 1e-12);
}

/// A problem that hides the fused per-sample pass of the one it wraps, so the trainer runs
/// its own loop (every other method forwarded).
struct Unfused<'a, P>(&'a P);

impl<P: FiniteSum> FiniteSum for Unfused<'_, P> {
    fn n_rows(&self) -> usize {
        self.0.n_rows()
    }
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        self.0.accumulate(params, rows, grad)
    }
    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        self.0.loss_sum(params, rows)
    }
    fn penalty(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.0.penalty(params, grad)
    }
    fn penalty_value(&self, params: &[f64]) -> f64 {
        self.0.penalty_value(params)
    }
    fn prox(&self, params: &mut [f64], step: f64) {
        self.0.prox(params, step)
    }
    fn has_prox(&self) -> bool {
        self.0.has_prox()
    }
}

/// Orders long enough to be reshuffled on a second thread while an epoch steps (2^16
/// batches or more, with two threads) give the bits of the in-place shuffle of one thread:
/// per-sample steps (the fused pass) and batches of two (a rotation drawn after each
/// shuffle, before the next one starts).
#[test]
fn shuffling_ahead_on_a_second_thread_gives_the_bits_of_one_thread() {
    let n = (1 << 17) + 5;
    let (x, y, _) = generated(n, 3, 29);
    let lr = 0.1 / (1.0 + x.as_slice().iter().map(|v| v * v).sum::<f64>() / n as f64);
    let problem = Linear::new(&x, &y, Squared);
    for batch in [1, 2] {
        let run = |threads: usize| {
            let config = TrainConfig {
                max_epochs: 3,
                batch_size: Some(batch),
                seed: 5,
                gtol: 0.0,
                threads,
                ..TrainConfig::default()
            };
            Trainer::new(Box::new(Sgd::new()), lr)
                .with_config(config)
                .run(&problem, vec![0.1; problem.dim()], &mut NoObserver)
                .unwrap()
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(bits(&one.params), bits(&two.params), "batch {batch}");
        let costs = |r: &Report| -> Vec<u64> {
            r.history
                .records()
                .iter()
                .map(|e| e.cost.to_bits())
                .collect()
        };
        // Epoch 0 is a full-batch sum (its bits depend on the thread count); the epochs'
        // costs are sums of per-batch losses in visiting order.
        assert_eq!(costs(&one)[1..], costs(&two)[1..], "batch {batch}");
        assert_eq!(one.epochs, 3);
    }
}

/// Per-sample SGD through the fused pass and through the trainer's own loop: the same
/// bits, epoch by epoch.
#[test]
fn fused_per_sample_steps_give_the_bits_of_the_loop() {
    let n = 157;
    let run = |p: &dyn FiniteSum, shuffle: bool, lr: f64| {
        let config = TrainConfig {
            max_epochs: 4,
            batch_size: Some(1),
            shuffle,
            seed: 11,
            gtol: 0.0,
            record_params: true,
            ..TrainConfig::default()
        };
        Trainer::new(Box::new(Sgd::new()), lr)
            .with_config(config)
            .run(p, vec![0.1; p.dim()], &mut NoObserver)
            .unwrap()
    };
    let same = |a: &Report, b: &Report, what: &str| {
        assert_eq!(bits(&a.params), bits(&b.params), "{what}: parameters");
        assert_eq!(a.history, b.history, "{what}: history");
        assert!(
            a.epochs == 4 && a.params.iter().all(|v| v.is_finite()),
            "{what}"
        );
    };
    let mut fused_ran = 0;
    for d in [1, 3, 4, 5, 8, 10, 13, 16, 17, 20, 22, 40] {
        let (x, y, c) = generated(n, d, d as u64);
        let x32 = MatrixF32::from_f64(&x).unwrap();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64 / 4.0).collect();
        // A stable rate: a fraction of 1 / (the mean squared norm of a row and the intercept).
        let lr = 0.1 / (1.0 + x.as_slice().iter().map(|v| v * v).sum::<f64>() / n as f64);
        for (l2, l1) in [(0.0, 0.0), (0.2, 0.0), (0.0, 0.05)] {
            for (intercept, weights, shuffle) in [
                (true, None, true),
                (false, Some(&w[..]), true),
                (true, Some(&w[..]), false),
            ] {
                let penalty = Penalty { l1, l2 };
                let what = format!(
                    "d {d}, l2 {l2}, l1 {l1}, intercept {intercept}, weights {}, shuffle {shuffle}",
                    weights.is_some()
                );
                let squared = Linear::new(&x, &y, Squared)
                    .intercept(intercept)
                    .weights(weights)
                    .penalty(penalty);
                let squared32 = Linear::new(&x32, &y, Squared)
                    .intercept(intercept)
                    .weights(weights)
                    .penalty(penalty);
                let logistic = Linear::new(&x, &c, LogLoss)
                    .intercept(intercept)
                    .weights(weights)
                    .penalty(penalty);
                let huber = Linear::new(&x, &y, Huber::new(0.3))
                    .intercept(intercept)
                    .weights(weights)
                    .penalty(penalty);
                same(
                    &run(&squared, shuffle, lr),
                    &run(&Unfused(&squared), shuffle, lr),
                    &format!("squared, {what}"),
                );
                same(
                    &run(&squared32, shuffle, lr),
                    &run(&Unfused(&squared32), shuffle, lr),
                    &format!("f32, {what}"),
                );
                same(
                    &run(&logistic, shuffle, lr),
                    &run(&Unfused(&logistic), shuffle, lr),
                    &format!("log loss, {what}"),
                );
                same(
                    &run(&huber, shuffle, lr),
                    &run(&Unfused(&huber), shuffle, lr),
                    &format!("huber, {what}"),
                );
                let mut p = vec![0.0; squared.dim()];
                let mut e = vec![0.0; squared.dim()];
                if squared.sgd_rows(&mut p, &[0, 1], 0.1, &mut e).is_some() {
                    fused_ran += 1;
                    assert!(l1 == 0.0, "{what}: fused with an L1 part");
                }
            }
        }
    }
    // Where the CPU has AVX2 the fused pass ran on every case without an L1 part (12 widths
    // x 2 penalties x 3 settings; past 20 features the weights stay in memory); elsewhere
    // it never runs.
    let expected = if cfg!(target_arch = "x86_64")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        72
    } else {
        0
    };
    assert_eq!(fused_ran, expected);
}

//! Hogwild! (Niu, Recht, Ré & Wright 2011; Ruder §5): mini-batch SGD on several threads
//! that read and update one shared parameter vector without locks.
//!
//! Each thread takes the next batch of the epoch (batches of neighbouring rows, visited in a
//! random order from the seed), reads the parameters as they are at that moment, computes
//! the batch's gradient, and subtracts `lr * gradient` coordinate by coordinate through
//! relaxed atomic loads and stores. Updates by other threads in between are neither waited
//! for nor locked out: an update may be computed from parameters a few steps old, and two
//! threads writing one coordinate at once may lose one of the writes. On sparse or
//! well-conditioned problems this costs little accuracy and removes all synchronisation.
//! The result depends on the threads' timing: **not reproducible**, even for a given seed.

use super::{History, Observer, Report, StopReason, TrainConfig};
use crate::numeric::norm;
use crate::objective::FullBatch;
use crate::schedule::Schedule;
use crate::{Error, FiniteSum, Objective, Result, Rows};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// A cost this many times the starting one counts as divergence (as in the other loops).
const DIVERGENCE_FACTOR: f64 = 1e10;

/// Trains `problem` by Hogwild! SGD on `threads` threads (0: one per core) with batches of
/// `config.batch_size` rows (1 if unset) at the rates of `schedule`; stopping rules
/// `max_epochs`, `tol` with `n_iter_no_change`, `time_limit` and the observer. An L1 penalty
/// (a proximal step) is refused: its update is not a sum of coordinates.
pub fn train_hogwild<P: FiniteSum + Sync + ?Sized>(
    problem: &P,
    threads: usize,
    schedule: &mut dyn Schedule,
    config: &TrainConfig,
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report> {
    let start = Instant::now();
    let (dim, n) = (problem.dim(), problem.n_rows());
    if init.len() != dim {
        return Err(Error::Shape {
            what: "initial parameters",
            expected: dim,
            got: init.len(),
        });
    }
    if problem.has_prox() {
        return Err(Error::setting(
            "hogwild",
            "an L1 penalty needs a proximal step after each update: use l2, or leave out hogwild",
        ));
    }
    if config.validation_rows > 0 {
        return Err(Error::setting(
            "validation fraction",
            "hogwild holds out no rows: leave out the validation fraction",
        ));
    }
    let batch = config.batch_size.unwrap_or(1);
    if batch == 0 || batch > n {
        return Err(Error::setting(
            "batch size",
            format!("{batch} is not between 1 and the {n} rows"),
        ));
    }
    let threads = crate::objective::resolve_threads(threads).max(1);
    let shared: Vec<AtomicU64> = init.iter().map(|v| AtomicU64::new(v.to_bits())).collect();
    let read = |out: &mut [f64]| {
        for (o, s) in out.iter_mut().zip(&shared) {
            *o = f64::from_bits(s.load(Relaxed));
        }
    };
    let full = FullBatch::with_threads(problem, threads);
    let mut params = init;
    let mut grad = vec![0.0; dim];
    let mut cost = full.cost_grad(&params, &mut grad);
    let mut grad_norm = norm(&grad);
    if let Some(what) = crate::solver::non_finite(cost, grad_norm) {
        return Err(Error::NonFinite { what });
    }
    let f0 = cost;
    let mut history = History::new(if config.record_params { dim } else { 0 });
    let mut lr = schedule.lr(1);
    let mut record = |history: &mut History, epoch, cost, grad_norm, lr, p: &[f64]| {
        history
            .record_epoch(config, observer, epoch, cost, grad_norm, lr, p)
            .is_break()
    };
    let mut stop =
        record(&mut history, 0, cost, grad_norm, lr, &params).then_some(StopReason::Interrupted);
    let batches = n.div_ceil(batch);
    let mut order: Vec<usize> = (0..batches).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut best = (cost, 0usize);
    let mut epoch = 0;
    while stop.is_none() && epoch < config.max_epochs {
        epoch += 1;
        lr = schedule.lr(epoch);
        if config.shuffle {
            order.shuffle(&mut rng);
        }
        let next = AtomicUsize::new(0);
        // Each thread's loss and gradient sums over the batches it took.
        let sums: Vec<(f64, Vec<f64>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut local = vec![0.0; dim];
                        let mut g = vec![0.0; dim];
                        let mut total = vec![0.0; dim];
                        let mut loss = 0.0;
                        loop {
                            let at = next.fetch_add(1, Relaxed);
                            let Some(&k) = order.get(at) else { break };
                            let rows = k * batch..((k + 1) * batch).min(n);
                            let inv = 1.0 / rows.len() as f64;
                            read(&mut local);
                            g.fill(0.0);
                            loss += problem.accumulate(&local, Rows::Range(rows), &mut g);
                            for (t, v) in total.iter_mut().zip(g.iter_mut()) {
                                *t += *v;
                                *v *= inv;
                            }
                            problem.penalty(&local, &mut g);
                            // The lock-free update: load, subtract, store.
                            for (s, v) in shared.iter().zip(&g) {
                                let p = f64::from_bits(s.load(Relaxed));
                                s.store((p - lr * v).to_bits(), Relaxed);
                            }
                        }
                        (loss, total)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        read(&mut params);
        let inv = 1.0 / n as f64;
        grad.fill(0.0);
        let mut loss = 0.0;
        for (l, t) in &sums {
            loss += l;
            for (g, v) in grad.iter_mut().zip(t) {
                *g += v * inv;
            }
        }
        problem.penalty(&params, &mut grad);
        cost = loss * inv + problem.penalty_value(&params);
        grad_norm = norm(&grad);
        if !cost.is_finite()
            || !grad_norm.is_finite()
            || cost - f0 > DIVERGENCE_FACTOR * f0.abs().max(f64::MIN_POSITIVE)
            || params.iter().any(|p| !p.is_finite())
        {
            return Err(Error::Diverged {
                epoch,
                cost,
                lr,
                hint: "",
            });
        }
        schedule.observe(epoch, cost);
        stop = if record(&mut history, epoch, cost, grad_norm, lr, &params) {
            Some(StopReason::Interrupted)
        } else if config.time_limit.is_some_and(|t| start.elapsed() >= t) {
            Some(StopReason::TimeLimit)
        } else if let Some(tol) = config.tol {
            if cost < best.0 - tol * best.0.abs() {
                best.1 = 0;
            } else {
                best.1 += 1;
            }
            best.0 = best.0.min(cost);
            (best.1 >= config.n_iter_no_change).then_some(StopReason::CostTolerance)
        } else {
            None
        };
    }
    let cost = full.cost_grad(&params, &mut grad);
    Ok(Report {
        params,
        cost,
        grad_norm: norm(&grad),
        validation_cost: None,
        epochs: epoch,
        stop_reason: stop.unwrap_or(StopReason::MaxEpochs),
        history,
        elapsed: start.elapsed(),
        evaluations: 2 + epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Matrix;
    use crate::loss::Squared;
    use crate::model::Linear;
    use crate::schedule::Constant;
    use crate::train::NoObserver;

    #[test]
    fn hogwild_on_two_threads_finds_the_least_squares_line() {
        // y = 2 x - 1 exactly: every row's gradient vanishes at the answer.
        let x: Vec<[f64; 1]> = (0..400).map(|i| [(i as f64 / 400.0 - 0.5) * 4.0]).collect();
        let y: Vec<f64> = x.iter().map(|r| 2.0 * r[0] - 1.0).collect();
        let m = Matrix::from_rows(&x);
        let model = Linear::new(&m, &y, Squared);
        let config = TrainConfig {
            batch_size: Some(8),
            max_epochs: 200,
            ..TrainConfig::default()
        };
        let r = train_hogwild(
            &model,
            2,
            &mut Constant(0.05),
            &config,
            vec![0.0, 0.0],
            &mut NoObserver,
        )
        .unwrap();
        assert!((r.params[0] - 2.0).abs() < 1e-6, "{:?}", r.params);
        assert!((r.params[1] + 1.0).abs() < 1e-6, "{:?}", r.params);
        assert_eq!(r.epochs, 200);
    }
}

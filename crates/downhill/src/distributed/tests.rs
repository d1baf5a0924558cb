//! Ranks simulated by threads: the combined statistics and sums equal one process's.

use super::{stats, AllReduced, Communicator};
use crate::data::{Matrix, Standardizer, TargetScale};
use crate::loss::Squared;
use crate::model::Linear;
use crate::objective::FullBatch;
use crate::Objective;
use std::sync::{Arc, Barrier, Mutex};

/// Ranks as threads meeting at a barrier; sums in rank order.
struct Sim {
    rank: usize,
    size: usize,
    slots: Arc<Mutex<Vec<Vec<u8>>>>,
    barrier: Arc<Barrier>,
}

impl Sim {
    fn exchange(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.slots.lock().unwrap()[self.rank] = bytes.to_vec();
        self.barrier.wait();
        let all = self.slots.lock().unwrap().clone();
        self.barrier.wait();
        all
    }

    fn reduce(&self, values: &mut [f64], op: fn(f64, f64) -> f64) {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let all = self.exchange(&bytes);
        for (i, v) in values.iter_mut().enumerate() {
            let at = |r: &Vec<u8>| f64::from_le_bytes(r[8 * i..8 * i + 8].try_into().unwrap());
            *v = all[1..].iter().fold(at(&all[0]), |acc, r| op(acc, at(r)));
        }
    }
}

impl Communicator for Sim {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn sum(&self, values: &mut [f64]) {
        self.reduce(values, |a, b| a + b)
    }
    fn max(&self, values: &mut [f64]) {
        self.reduce(values, f64::max)
    }
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.exchange(bytes)
    }
}

/// Runs `f` on each of `parts` (rows of `x`, `y`) as a rank, returning the ranks' results.
fn on_ranks<R: Send>(
    x: &Matrix,
    y: &[f64],
    parts: &[usize],
    f: impl Fn(&Sim, Matrix, Vec<f64>) -> R + Sync,
) -> Vec<R> {
    let size = parts.len();
    let slots = Arc::new(Mutex::new(vec![Vec::new(); size]));
    let barrier = Arc::new(Barrier::new(size));
    let d = x.cols();
    let mut bounds = vec![0];
    for p in parts {
        bounds.push(bounds.last().unwrap() + p);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let sim = Sim {
                    rank,
                    size,
                    slots: slots.clone(),
                    barrier: barrier.clone(),
                };
                let rows = bounds[rank]..bounds[rank + 1];
                let xs = x.as_slice()[rows.start * d..rows.end * d].to_vec();
                let part = Matrix::from_row_major(rows.len(), d, xs).unwrap();
                let ys = y[rows].to_vec();
                let f = &f;
                s.spawn(move || f(&sim, part, ys))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn data(n: usize) -> (Matrix, Vec<f64>) {
    let rows: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = i as f64;
            [1e3 + (t * 0.37).sin() * 5.0, (t * 1.3).cos() * 40.0 - 7.0]
        })
        .collect();
    let y = rows
        .iter()
        .map(|r| 0.3 * r[0] - 2.0 * r[1] + 1.0 + (r[0] * 7.0).sin())
        .collect();
    (Matrix::from_rows(&rows), y)
}

#[test]
fn statistics_over_ranks_are_the_whole_datas() {
    let (x, y) = data(1000);
    let whole = Standardizer::fit(&x).unwrap();
    let target = TargetScale::fit(&y, true);
    // Uneven shares, one of them empty.
    for parts in [&[1000][..], &[100, 0, 450, 450], &[333, 333, 334]] {
        for (s, t) in on_ranks(&x, &y, parts, |c, x, y| {
            (
                stats::standardizer(&x, true, c).unwrap(),
                stats::target_scale(&y, true, c),
            )
        }) {
            for j in 0..2 {
                assert!((s.mean[j] - whole.mean[j]).abs() <= 1e-14 * whole.mean[j].abs());
                assert!((s.scale[j] - whole.scale[j]).abs() <= 1e-12 * whole.scale[j]);
            }
            assert!((t.mean - target.mean).abs() <= 1e-14 * target.mean.abs());
            assert!((t.scale - target.scale).abs() <= 1e-12 * target.scale);
        }
    }
}

#[test]
fn the_all_reduced_objective_is_the_full_batch() {
    let (x, y) = data(2000);
    let model = Linear::new(&x, &y, Squared);
    let p = [0.1, -0.5, 2.0];
    let mut g = [0.0; 3];
    let f = FullBatch::new(&model).cost_grad(&p, &mut g);
    for parts in [&[2000][..], &[1, 999, 1000], &[700, 0, 1300]] {
        for (cost, grad, n) in on_ranks(&x, &y, parts, |c, x, y| {
            let local = Linear::new(&x, &y, Squared);
            let all = AllReduced::new(&local, c, 1);
            let mut g = [0.0; 3];
            let cost = FullBatch::new(&all).cost_grad(&p, &mut g);
            (cost, g, all.global_rows())
        }) {
            assert_eq!(n, 2000);
            assert!((cost - f).abs() <= 1e-13 * f.abs(), "{cost} vs {f}");
            for (a, b) in grad.iter().zip(&g) {
                assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }
}

#[test]
fn the_all_reduced_hessian_is_the_full_batchs() {
    use crate::loss::LogLoss;
    use crate::objective::{Hessian, MIN_HESSIAN_WORK_PER_THREAD};
    // Over ranks: the one-process Hessian up to the order of additions.
    let (x, y) = data(2000);
    let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
    let model = Linear::new(&x, &y, LogLoss);
    let p = [0.01, -0.02, 0.3];
    let mut want = [0.0; 9];
    FullBatch::new(&model).hessian(&p, &mut want);
    for parts in [&[2000][..], &[1, 999, 1000], &[700, 0, 1300]] {
        for h in on_ranks(&x, &y, parts, |c, x, y| {
            let local = Linear::new(&x, &y, LogLoss);
            let mut h = [0.0; 9];
            FullBatch::new(&AllReduced::new(&local, c, 1)).hessian(&p, &mut h);
            h
        }) {
            for (a, b) in h.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-13 * b.abs().max(1e-300), "{a} vs {b}");
            }
        }
    }
    // One rank with the rows to split over two threads: the bits of one process's Hessian
    // on two threads (the rank's sum split as the process's is).
    let (d, dim) = (20, 21);
    let n = (MIN_HESSIAN_WORK_PER_THREAD * 2).div_ceil(dim * dim) + 33;
    let values: Vec<f64> = (0..n * d)
        .map(|k| ((k * 7919 + 13) % 2003) as f64 / 1001.5 - 1.0)
        .collect();
    let x = Matrix::from_row_major(n, d, values).unwrap();
    let y: Vec<f64> = (0..n).map(|i| f64::from(i % 3 == 0)).collect();
    let p: Vec<f64> = (0..dim).map(|j| 0.05 - 0.01 * j as f64).collect();
    let model = Linear::new(&x, &y, LogLoss);
    let (mut one, mut two) = (vec![0.0; dim * dim], vec![0.0; dim * dim]);
    FullBatch::with_threads(&model, 1).hessian(&p, &mut one);
    FullBatch::with_threads(&model, 2).hessian(&p, &mut two);
    assert_ne!(one, two, "two threads add in another order");
    let h = on_ranks(&x, &y, &[n], |c, x, y| {
        let local = Linear::new(&x, &y, LogLoss);
        let mut h = vec![0.0; dim * dim];
        FullBatch::new(&AllReduced::new(&local, c, 2)).hessian(&p, &mut h);
        h
    });
    assert_eq!(h[0], two);
}

/// A linear model's powers over ranks (both stages of its basis combined across ranks) give
/// the one-process fit: weights of every term in original units, intercept, cost.
#[test]
fn a_linear_polynomial_fit_over_ranks_is_the_one_process_fit() {
    use crate::data::{Dataset, PolynomialFeatures};
    use crate::spec::{fit, Problem, RunSpec};
    use crate::train::NoObserver;
    // Column 0 sits near 1e3: raw powers would be nearly collinear.
    let (x, y) = data(900);
    let spec = RunSpec {
        degree: Some(3),
        optimizer: "lbfgs".into(),
        ..RunSpec::default()
    };
    let problem = || Problem {
        classes: None,
        polynomial: Some(PolynomialFeatures::new(vec![0, 1], 3).unwrap()),
    };
    let one = fit(
        &spec,
        Dataset::new(x.clone(), y.clone()).unwrap(),
        problem(),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(one.weights[0].len(), 6, "x0, x1, x0^2, x0^3, x1^2, x1^3");
    for parts in [&[900][..], &[100, 0, 800], &[300, 300, 300]] {
        for (many, rows) in on_ranks(&x, &y, parts, |c, x, y| {
            spec.runner(6)
                .unwrap()
                .fit_distributed(
                    // (`Dataset::new` refuses a rank's empty share.)
                    Dataset {
                        x,
                        y,
                        weights: None,
                    },
                    problem(),
                    c,
                    super::Averaging::Gradients,
                    false,
                    &mut NoObserver,
                )
                .unwrap()
        }) {
            assert_eq!(rows, 900);
            assert_eq!(many.epochs, one.epochs, "{parts:?}");
            let size = one.weights[0]
                .iter()
                .fold(one.intercept[0].abs(), |m, w| m.max(w.abs()));
            for (a, b) in many.weights[0]
                .iter()
                .chain(&many.intercept)
                .zip(one.weights[0].iter().chain(&one.intercept))
            {
                assert!((a - b).abs() <= 1e-12 * size, "{parts:?}: {a} vs {b}");
            }
            assert!((many.cost - one.cost).abs() <= 1e-12 * one.cost.abs());
        }
    }
}

#[test]
fn the_all_reduced_pass_gives_the_bits_of_its_separate_sums() {
    use crate::loss::LogLoss;
    use crate::objective::Hessian;
    // Over 1 to 3 simulated ranks (one without rows): cost, gradient and Hessian in one
    // pass are those of `cost_grad` and `hessian`, bit for bit, on every rank.
    let (x, y) = data(2000);
    let y: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.0)).collect();
    let p = [0.01, -0.02, 0.3];
    for parts in [&[2000][..], &[1, 999, 1000], &[700, 0, 1300]] {
        for (c1, c2, g1, g2, h1, h2) in on_ranks(&x, &y, parts, |c, x, y| {
            let local = Linear::new(&x, &y, LogLoss);
            let all = AllReduced::new(&local, c, 1);
            let fit = FullBatch::new(&all);
            let (mut g1, mut g2, mut h1, mut h2) = ([0.0; 3], [0.0; 3], [0.0; 9], [0.0; 9]);
            let c1 = fit.cost_grad_hessian(&p, &mut g1, &mut h1);
            let c2 = fit.cost_grad(&p, &mut g2);
            fit.hessian(&p, &mut h2);
            (c1, c2, g1, g2, h1, h2)
        }) {
            if !crate::numeric::vmath::has_avx2_fma() {
                assert_eq!(c1, None);
                continue;
            }
            assert_eq!(c1.map(f64::to_bits), Some(c2.to_bits()), "{parts:?}");
            assert_eq!(g1.map(f64::to_bits), g2.map(f64::to_bits));
            assert_eq!(h1.map(f64::to_bits), h2.map(f64::to_bits));
        }
    }
}

//! Mini-batch training across ranks, the three ways practice knows.
//!
//! An epoch is `S = ceil(N / B)` steps for `N` rows over all ranks and a global batch of
//! `B` rows ([`TrainConfig::batch_size`]). Each rank cuts its own rows (put in a random
//! order once, from the seed and the rank) into `S` runs of neighbouring rows, as equal as
//! the count allows, and visits them in a random order each epoch (with
//! [`TrainConfig::shuffle`]); step `k` of every rank together covers about `B` rows.
//!
//! - [`Averaging::Gradients`], synchronous data-parallel SGD (the rule of Horovod and
//!   PyTorch DDP): every step all-reduces `(loss, gradient, count)` of the step's rows of
//!   every rank, and every rank applies the same update, so the optimizer's state needs no
//!   communication. It is mini-batch SGD with batches of about `B` rows.
//! - [`Averaging::Models`], local SGD: each rank steps on its own rows with its own
//!   optimizer, and every `every` steps the parameters are replaced by their mean over the
//!   ranks (one all-reduce of the parameters). The optimizer's state (momentum, moments)
//!   stays local.
//! - [`Averaging::Elastic`], elastic averaging SGD (Zhang, Choromanska & LeCun 2015) in its
//!   synchronous, all-reduce form: every `every` steps each rank is pulled towards a centre
//!   variable `c` by `x_i -= alpha (x_i - c)`, and the centre towards the ranks by
//!   `c += alpha * sum_i (x_i - c)` (the paper's `beta = p alpha` with `p` ranks, stable for
//!   `beta <= 1`). The answer is the centre.
//!
//! At the end of each epoch one all-reduce gives every rank the epoch's mean loss and
//! gradient (as the one-process loop reports them) and the model it reports: the parameters
//! (gradients), their mean over the ranks (models) or the centre (elastic). So every rank
//! takes the same decisions (divergence, tolerance, time limit through [`Agreed`]). A run is
//! reproducible for a given rank count, thread count and seed.
//!
//! Checkpoints gather every rank's own state (parameters, optimizer, random stream, order of
//! its runs) into the one state rank 0 saves; a resume on the same rank count gives each
//! rank its part back, so a stopped and resumed run ends with the straight run's bits.

use super::{Agreed, AllReduced, Communicator};
use crate::numeric::norm;
use crate::objective::{BlockSum, FullBatch};
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use crate::train::{
    BestState, Fingerprint, History, Observer, RankState, RanksState, Report, RngState, StopReason,
    TrainConfig, TrainState,
};
use crate::{Error, FiniteSum, Objective, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// A cost this many times the starting one (in absolute value) counts as divergence (as in
/// the one-process loop).
const DIVERGENCE_FACTOR: f64 = 1e10;

/// How the ranks combine their work on mini-batches (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Averaging {
    /// Synchronous SGD: gradients all-reduced every step.
    Gradients,
    /// Local SGD: parameters averaged every `every` steps.
    Models {
        /// Steps between averages.
        every: usize,
    },
    /// Elastic averaging SGD: an elastic pull of strength `alpha` every `every` steps.
    Elastic {
        /// The pull, `0 < alpha <= 1 / ranks`.
        alpha: f64,
        /// Steps between pulls.
        every: usize,
    },
}

impl Averaging {
    fn check(&self, ranks: usize) -> Result<()> {
        let every = match *self {
            Averaging::Gradients => return Ok(()),
            Averaging::Models { every } => every,
            Averaging::Elastic { alpha, every } => {
                if !(alpha > 0.0 && alpha * ranks as f64 <= 1.0) {
                    return Err(Error::setting(
                        "elastic alpha",
                        format!(
                            "{alpha} must be above 0 and at most 1/ranks = {} (the centre's pull, alpha times the {ranks} ranks, at most 1)",
                            1.0 / ranks as f64
                        ),
                    ));
                }
                every
            }
        };
        if every == 0 {
            return Err(Error::setting("average every", "0 steps: give at least 1"));
        }
        Ok(())
    }
}

/// Trains on mini-batches across the ranks of `comm`, `problem` holding this rank's rows;
/// the settings of [`TrainConfig`] (with `batch_size` the global batch; `validation_rows`
/// must be 0). Every rank must call it with the same settings; every rank gets the same
/// report, whose parameters are the model described above.
#[allow(clippy::too_many_arguments)]
pub fn train_data_parallel<P, C>(
    problem: &P,
    comm: &C,
    optimizer: &mut dyn Optimizer,
    schedule: &mut dyn Schedule,
    config: &TrainConfig,
    averaging: Averaging,
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report>
where
    P: FiniteSum + ?Sized,
    C: Communicator + ?Sized,
{
    let start = Instant::now();
    let dim = problem.dim();
    let ranks = comm.size();
    averaging.check(ranks)?;
    if init.len() != dim {
        return Err(Error::Shape {
            what: "initial parameters",
            expected: dim,
            got: init.len(),
        });
    }
    if config.validation_rows > 0 {
        return Err(Error::setting(
            "validation fraction",
            "rows are not held out across ranks: leave out the validation fraction",
        ));
    }
    let whole = AllReduced::new(problem, comm, config.threads);
    let n = whole.global_rows();
    let batch = config.batch_size.unwrap_or(n);
    if batch == 0 || batch > n {
        return Err(Error::setting(
            "batch size",
            format!("{batch} is not between 1 and the {n} rows of all ranks"),
        ));
    }
    let steps = n.div_ceil(batch);
    let local = problem.n_rows();
    let run = |k: usize| k * local / steps..(k + 1) * local / steps;

    let mut agreed = Agreed::new(observer, comm, config.time_limit);
    let full = FullBatch::new(&whole);
    let mut params = init;
    let mut grad = vec![0.0; dim];
    let mut cost = full.cost_grad(&params, &mut grad);
    let mut grad_norm = norm(&grad);
    if let Some(what) = crate::solver::non_finite(cost, grad_norm) {
        return Err(Error::NonFinite { what });
    }
    let mut f0 = cost;
    let mut history = History::new(if config.record_params { dim } else { 0 });
    let mut lr = schedule.lr(1);
    optimizer.init(dim);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(comm.rank() as u64);
    let mut order: Vec<usize> = (0..steps).collect();
    let mut work = BlockSum::with_threads(dim, config.threads);
    // `[loss, gradient.., count]` of a step, then of an epoch (with a flag: non-finite
    // local parameters).
    let mut step = vec![0.0; dim + 2];
    let mut epoch_sum = vec![0.0; dim + 3];
    let mut centre = params.clone();
    let mut model = params.clone();
    let mut taken = 0usize;
    let mut best = (cost, 0usize);
    let mut epoch = 0;
    let fingerprint = Fingerprint {
        params: dim,
        validation_rows: 0,
        batch_size: config.batch_size,
        shuffle: config.shuffle,
        seed: config.seed,
        threads: config.threads,
        chunk_rows: None,
        data: None,
        settings: None,
    };
    let checkpoints = agreed.checkpoints().is_some();
    let resume = match agreed.checkpoints() {
        Some(c) => c.resume()?,
        None => None,
    };
    let mut stop = if let Some(state) = resume {
        // Every rank read the same file; each takes its own part.
        state.fingerprint.check(&fingerprint)?;
        let Some(own) = state.ranks.filter(|r| r.ranks.len() == ranks) else {
            return Err(Error::spec(format!(
                "the checkpoint was not made by a mini-batch run on {ranks} ranks: resume on the rank count that made it, or start afresh"
            )));
        };
        let mine = &own.ranks[comm.rank()];
        if state.params.len() != dim || mine.params.len() != dim || mine.order.len() != steps {
            return Err(Error::spec(
                "the checkpoint's parameters or batches do not fit this run: start afresh",
            ));
        }
        params.copy_from_slice(&mine.params);
        model.copy_from_slice(&state.params);
        optimizer.restore(&mine.optimizer)?;
        schedule.restore(&state.schedule)?;
        rng = mine.rng.to_rng()?;
        order.copy_from_slice(&mine.order);
        if own.centre.len() == dim {
            centre.copy_from_slice(&own.centre);
        }
        taken = own.steps;
        f0 = state.start_cost;
        best = (state.best.cost, state.best.cost_stale);
        history = state.history;
        epoch = state.epoch;
        state.stopped
    } else {
        history
            .record_epoch(config, &mut agreed, 0, cost, grad_norm, lr, &params)
            .is_break()
            .then_some(StopReason::Interrupted)
    };
    // The run's state after the current epoch, gathered from every rank (a collective:
    // every rank calls it at the same epochs); rank 0's checkpoints write it.
    let save = |agreed: &mut Agreed<'_, C>,
                epoch: usize,
                stop: Option<StopReason>,
                (params, model, centre): (&[f64], &[f64], &[f64]),
                optimizer: &dyn Optimizer,
                schedule: &dyn Schedule,
                (rng, order): (&ChaCha8Rng, &[usize]),
                (taken, best): (usize, (f64, usize)),
                history: &History|
     -> Result<()> {
        let mine = RankState {
            params: params.to_vec(),
            optimizer: optimizer.state(),
            rng: RngState::of(rng),
            order: order.to_vec(),
        };
        let bytes = serde_json::to_vec(&mine).map_err(|e| Error::spec(e.to_string()))?;
        let all = comm
            .gather(&bytes)
            .iter()
            .map(|b| serde_json::from_slice(b).map_err(|e| Error::spec(e.to_string())))
            .collect::<Result<Vec<RankState>>>()?;
        let state = TrainState {
            fingerprint: fingerprint.clone(),
            epoch,
            stopped: stop.filter(StopReason::converged),
            params: model.to_vec(),
            optimizer: mine.optimizer,
            schedule: schedule.state(),
            rng: mine.rng,
            order: mine.order,
            start_cost: f0,
            gtol: 0.0,
            best: BestState {
                cost: best.0,
                cost_stale: best.1,
                valid: f64::INFINITY,
                valid_stale: 0,
                params: Vec::new(),
            },
            history: history.clone(),
            ranks: Some(RanksState {
                steps: taken,
                centre: if matches!(averaging, Averaging::Elastic { .. }) {
                    centre.to_vec()
                } else {
                    Vec::new()
                },
                ranks: all,
            }),
        };
        match agreed.checkpoints() {
            Some(c) => c.save(&state),
            None => Ok(()),
        }
    };
    while stop.is_none() && epoch < config.max_epochs {
        epoch += 1;
        lr = schedule.lr(epoch);
        if config.shuffle {
            order.shuffle(&mut rng);
        }
        epoch_sum.fill(0.0);
        for &k in &order {
            let rows = run(k);
            step.fill(0.0);
            let (loss, rest) = step.split_at_mut(1);
            loss[0] = work.add(problem, &params, rows.clone(), &mut rest[..dim]);
            rest[dim] = rows.len() as f64;
            if averaging == Averaging::Gradients {
                comm.sum(&mut step);
            }
            for (e, s) in epoch_sum.iter_mut().zip(&step) {
                *e += s;
            }
            let count = step[dim + 1];
            if count > 0.0 {
                let inv = 1.0 / count;
                for (g, s) in grad.iter_mut().zip(&step[1..=dim]) {
                    *g = s * inv;
                }
                problem.penalty(&params, &mut grad);
                optimizer.step(&mut params, &grad, lr);
                problem.prox(&mut params, lr);
            }
            taken += 1;
            match averaging {
                Averaging::Gradients => {}
                Averaging::Models { every } if taken.is_multiple_of(every) => {
                    comm.sum(&mut params);
                    params.iter_mut().for_each(|p| *p /= ranks as f64);
                }
                Averaging::Elastic { alpha, every } if taken.is_multiple_of(every) => {
                    model.copy_from_slice(&params);
                    comm.sum(&mut model);
                    for (x, c) in params.iter_mut().zip(&centre) {
                        *x -= alpha * (*x - c);
                    }
                    for (c, s) in centre.iter_mut().zip(&model) {
                        *c += alpha * (s - ranks as f64 * *c);
                    }
                }
                _ => {}
            }
        }
        // The model the epoch reports, the same on every rank.
        match averaging {
            Averaging::Gradients => model.copy_from_slice(&params),
            Averaging::Models { .. } => {
                model.copy_from_slice(&params);
                comm.sum(&mut model);
                model.iter_mut().for_each(|p| *p /= ranks as f64);
            }
            Averaging::Elastic { .. } => model.copy_from_slice(&centre),
        }
        if averaging != Averaging::Gradients {
            epoch_sum[dim + 2] = f64::from(u8::from(params.iter().any(|p| !p.is_finite())));
            comm.sum(&mut epoch_sum);
        }
        let inv = 1.0 / n as f64;
        for (g, s) in grad.iter_mut().zip(&epoch_sum[1..=dim]) {
            *g = s * inv;
        }
        problem.penalty(&model, &mut grad);
        cost = epoch_sum[0] * inv + problem.penalty_value(&model);
        grad_norm = norm(&grad);
        if !cost.is_finite()
            || !grad_norm.is_finite()
            || cost - f0 > DIVERGENCE_FACTOR * f0.abs().max(f64::MIN_POSITIVE)
            || model.iter().any(|p| !p.is_finite())
            || epoch_sum[dim + 2] > 0.0
        {
            return Err(Error::Diverged {
                epoch,
                cost,
                lr,
                hint: "",
            });
        }
        schedule.observe(epoch, cost);
        let interrupted = history
            .record_epoch(config, &mut agreed, epoch, cost, grad_norm, lr, &model)
            .is_break();
        stop = if interrupted {
            Some(StopReason::Interrupted)
        } else if let Some(tol) = config.tol {
            // `tol` with patience, on the training cost, as the one-process loop.
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
        let last = stop.is_some() || epoch >= config.max_epochs;
        let due = agreed.checkpoints().is_some_and(|c| c.due(epoch));
        if checkpoints && !last && due {
            save(
                &mut agreed,
                epoch,
                stop,
                (&params, &model, &centre),
                optimizer,
                schedule,
                (&rng, &order),
                (taken, best),
                &history,
            )?;
        }
    }
    if checkpoints {
        save(
            &mut agreed,
            epoch,
            stop,
            (&params, &model, &centre),
            optimizer,
            schedule,
            (&rng, &order),
            (taken, best),
            &history,
        )?;
    }
    let mut params = model;
    if averaging == Averaging::Gradients {
        optimizer.finish(&mut params);
    }
    let cost = full.cost_grad(&params, &mut grad);
    let mut report = Report {
        params,
        cost,
        grad_norm: norm(&grad),
        validation_cost: None,
        epochs: epoch,
        stop_reason: stop.unwrap_or(StopReason::MaxEpochs),
        history,
        elapsed: start.elapsed(),
        evaluations: 2 + epoch,
    };
    agreed.settle(&mut report);
    Ok(report)
}

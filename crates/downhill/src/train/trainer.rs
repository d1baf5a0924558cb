use super::order::{Order, ShuffleAhead, SHUFFLE_AHEAD_MIN};
use super::{
    BestState, EpochInfo, EpochRecord, Fingerprint, History, Observer, RngState, StopReason,
    TrainConfig, TrainState,
};
use crate::numeric::norm;
use crate::objective::{BlockSum, FullBatch};
use crate::optim::Optimizer;
use crate::schedule::{Constant, Schedule};
use crate::solver::{self, Problem, Solver};
use crate::{Error, FiniteSum, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::ops::Range;
use std::time::{Duration, Instant};

/// A cost this many times the starting one (in absolute value) counts as divergence.
const DIVERGENCE_FACTOR: f64 = 1e10;

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Final parameters (the best validation epoch's with early stopping).
    pub params: Vec<f64>,
    /// Full-batch cost at `params` on the training rows, penalty included.
    pub cost: f64,
    /// Norm of the full-batch gradient at `params`.
    pub grad_norm: f64,
    /// Cost on the held-out rows at `params`.
    pub validation_cost: Option<f64>,
    /// Epochs run.
    pub epochs: usize,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// Every epoch.
    pub history: History,
    /// Wall-clock time of the loop.
    pub elapsed: Duration,
    /// Evaluations of the full-batch cost and gradient (passes over the data; for
    /// mini-batches, the epochs' passes plus the full evaluations).
    pub evaluations: usize,
}

/// Runs an optimizer with a schedule on a [`FiniteSum`] under a [`TrainConfig`].
///
/// Full batch: each epoch is one pass that gives the cost and gradient at the current
/// parameters, then one update. Epoch `e` of the history is the state after `e` updates, so
/// the cost, gradient norm and parameters of a row belong together.
///
/// Mini-batch: each epoch visits every training row once, in batches of contiguous rows
/// (rotated and visited in a random order from the seed when `shuffle`: see
/// [`TrainConfig::shuffle`]), with one update per batch.
///
/// Full-batch sums (and mini-batches of many rows) run on [`TrainConfig::threads`] threads
/// when the problem can be shared ([`FiniteSum::as_sync`]), in a fixed order: the same
/// thread count gives the same bits.
#[derive(Debug)]
pub struct Trainer {
    /// Loop settings.
    pub config: TrainConfig,
    /// The update rule.
    pub optimizer: Box<dyn Optimizer>,
    /// The learning rate per epoch.
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps (line search, CG, L-BFGS, Newton). When set, it
    /// runs instead of `optimizer` and `schedule`, on the full batch.
    pub solver: Option<Box<dyn Solver>>,
}

impl Trainer {
    /// `optimizer` at a constant learning rate `lr`, default settings.
    pub fn new(optimizer: Box<dyn Optimizer>, lr: f64) -> Self {
        Trainer {
            config: TrainConfig::default(),
            optimizer,
            schedule: Box::new(Constant(lr)),
            solver: None,
        }
    }

    /// A method that chooses its own steps, instead of the optimizer.
    pub fn with_solver(mut self, solver: Box<dyn Solver>) -> Self {
        self.solver = Some(solver);
        self
    }

    /// Replaces the settings.
    pub fn with_config(mut self, config: TrainConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the schedule.
    pub fn with_schedule(mut self, schedule: Box<dyn Schedule>) -> Self {
        self.schedule = schedule;
        self
    }

    fn check<P: FiniteSum + ?Sized>(&self, problem: &P, init: &[f64]) -> Result<Range<usize>> {
        let c = &self.config;
        if init.len() != problem.dim() {
            return Err(Error::Shape {
                what: "initial parameters",
                expected: problem.dim(),
                got: init.len(),
            });
        }
        if let Some(i) = init.iter().position(|v| !v.is_finite()) {
            return Err(Error::setting(
                "initial parameters",
                format!("value {} is not finite", i + 1),
            ));
        }
        let n = problem.n_rows();
        if c.validation_rows >= n {
            return Err(Error::setting(
                "validation fraction",
                format!(
                    "{} of {n} rows held out leaves none to train on",
                    c.validation_rows
                ),
            ));
        }
        let n_train = n - c.validation_rows;
        if let Some(b) = c.batch_size {
            if b == 0 || b > n_train {
                return Err(Error::setting(
                    "batch size",
                    format!("{b} is not between 1 and the {n_train} training rows"),
                ));
            }
        }
        for (name, v) in [("gtol", c.gtol), ("gtol_abs", c.gtol_abs)] {
            if !(v >= 0.0) {
                return Err(Error::setting(name, format!("{v} must be at least 0")));
            }
        }
        if let Some(t) = c.tol {
            if !(t >= 0.0) {
                return Err(Error::setting("tol", format!("{t} must be at least 0")));
            }
        }
        Ok(0..n_train)
    }

    /// Minimises `problem` from `init`, calling `observer` after every epoch.
    pub fn run<P: FiniteSum + ?Sized>(
        &mut self,
        problem: &P,
        init: Vec<f64>,
        observer: &mut dyn Observer,
    ) -> Result<Report> {
        let train = self.check(problem, &init)?;
        if let Some(solver) = self.solver.as_mut() {
            if observer.checkpoints().is_some() {
                return Err(Error::setting(
                    "optimizer",
                    format!(
                        "{} keeps state of its own (search directions, curvature pairs) that a \
                         checkpoint does not hold: use a first-order optimizer (gd, sgd, adam, ...) \
                         to save or resume a run",
                        solver.name()
                    ),
                ));
            }
            return solve_full_batch(solver.as_mut(), problem, init, &self.config, observer);
        }
        let start = Instant::now();
        let cfg = self.config.clone();
        let dim = problem.dim();
        let n_train = train.len();
        let valid = train.end..problem.n_rows();
        let mut params = init;
        let mut grad = vec![0.0; dim];
        let mut work = BlockSum::with_threads(dim, cfg.threads);
        let mut history = History::new(if cfg.record_params { dim } else { 0 });
        self.optimizer.init(dim);

        let eval_valid = |work: &mut BlockSum, p: &[f64]| {
            (!valid.is_empty())
                .then(|| work.loss_sum(problem, p, valid.clone()) / valid.len() as f64)
        };

        // The starting point: epoch 0.
        let mut cost = full_cost_grad(problem, &mut work, &params, train.clone(), &mut grad);
        let mut grad_norm = norm(&grad);
        if let Some(what) = solver::non_finite(cost, grad_norm) {
            return Err(Error::NonFinite { what });
        }
        let mut validation_cost = eval_valid(&mut work, &params);
        let mut f0 = cost;
        let mut gtol = (cfg.gtol * grad_norm).max(cfg.gtol_abs);
        let mut lr = self.schedule.lr(1);
        let mut best = Best::new(cost, validation_cost, &params);

        let record = |observer: &mut dyn Observer,
                      history: &mut History,
                      epoch,
                      cost,
                      grad_norm,
                      lr,
                      vc,
                      p: &[f64]| {
            history.push(
                EpochRecord {
                    epoch,
                    cost,
                    grad_norm,
                    lr,
                    validation_cost: vc,
                },
                if cfg.record_params { p } else { &[] },
            );
            observer.observe(&EpochInfo {
                epoch,
                max_epochs: cfg.max_epochs,
                cost,
                grad_norm,
                lr,
                validation_cost: vc,
                params: p,
            })
        };

        // Mini-batch state, allocated once: the order in which an epoch visits its batches
        // (each epoch shuffles the previous epoch's order).
        let n_batches = cfg.batch_size.map_or(0, |b| n_train.div_ceil(b));
        let mut order = Order::new(n_batches);
        // Long orders are reshuffled on a second thread while an epoch steps, when the run
        // has one (the stepping itself is sequential).
        let mut ahead_shuffle = ShuffleAhead::default();
        let shuffle_ahead = cfg.shuffle && n_batches >= SHUFFLE_AHEAD_MIN && work.threads() > 1;
        let mut epoch_grad = vec![0.0; if cfg.batch_size.is_some() { dim } else { 0 }];
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let fingerprint = Fingerprint {
            params: dim,
            validation_rows: cfg.validation_rows,
            batch_size: cfg.batch_size,
            shuffle: cfg.shuffle,
            seed: cfg.seed,
            threads: cfg.threads,
            chunk_rows: None,
            data: None,
            settings: None,
        };
        let resume = match observer.checkpoints() {
            Some(c) => c.resume()?,
            None => None,
        };

        let mut epoch = 0;
        let mut stop = if let Some(state) = resume {
            // Continue where the saved run was after its last epoch; epoch 0 is not seen again.
            state.fingerprint.check(&fingerprint)?;
            if state.params.len() != dim {
                return Err(Error::Shape {
                    what: "saved parameters",
                    expected: dim,
                    got: state.params.len(),
                });
            }
            let Some(last) = state.history.records().last().copied() else {
                return Err(Error::spec("the saved state has no history"));
            };
            params.copy_from_slice(&state.params);
            self.optimizer.restore(&state.optimizer)?;
            self.schedule.restore(&state.schedule)?;
            rng = state.rng.to_rng()?;
            if state.order.len() == order.len() && !order.restore(&state.order) {
                return Err(Error::spec("the saved batch order is damaged"));
            }
            if cfg.batch_size.is_none() {
                // The same sum as the saved run's last one, so the same bits.
                full_cost_grad(problem, &mut work, &params, train.clone(), &mut grad);
            }
            (cost, grad_norm, validation_cost) = (last.cost, last.grad_norm, last.validation_cost);
            (f0, gtol) = (state.start_cost, state.gtol);
            best = Best::from_state(state.best, &params);
            history = state.history;
            epoch = state.epoch;
            state.stopped
        } else if record(
            observer,
            &mut history,
            0,
            cost,
            grad_norm,
            lr,
            validation_cost,
            &params,
        )
        .is_break()
        {
            Some(StopReason::Interrupted)
        } else if grad_norm <= gtol {
            Some(StopReason::GradientTolerance)
        } else {
            None
        };
        // The run's state after the current epoch, for a checkpoint.
        let snapshot = |this: &Self,
                        epoch: usize,
                        stop: Option<StopReason>,
                        params: &[f64],
                        rng: &ChaCha8Rng,
                        order: &Order,
                        best: &Best,
                        history: &History| TrainState {
            fingerprint: fingerprint.clone(),
            epoch,
            stopped: stop.filter(StopReason::converged),
            params: params.to_vec(),
            optimizer: this.optimizer.state(),
            schedule: this.schedule.state(),
            rng: RngState::of(rng),
            order: order.to_vec(),
            start_cost: f0,
            gtol,
            best: best.to_state(),
            history: history.clone(),
            ranks: None,
        };

        while stop.is_none() && epoch < cfg.max_epochs {
            epoch += 1;
            lr = self.schedule.lr(epoch);
            match cfg.batch_size {
                None => {
                    self.optimizer.step(&mut params, &grad, lr);
                    problem.prox(&mut params, lr);
                    cost = full_cost_grad(problem, &mut work, &params, train.clone(), &mut grad);
                    grad_norm = norm(&grad);
                }
                Some(batch) => {
                    if cfg.shuffle {
                        ahead_shuffle.shuffle(&mut order, &mut rng);
                    }
                    // Single rows in a random order are already a uniform permutation.
                    let offset = if cfg.shuffle && batch > 1 {
                        rng.random_range(0..n_train)
                    } else {
                        0
                    };
                    if shuffle_ahead && epoch < cfg.max_epochs {
                        ahead_shuffle.start(&order, &rng);
                    }
                    epoch_grad.fill(0.0);
                    // Plain SGD on single rows: the problem's fused pass when it has one
                    // (the same bits as the loop below, without its calls per row).
                    let fused = match order.narrow() {
                        Some(rows)
                            if batch == 1 && train.start == 0 && self.optimizer.is_plain() =>
                        {
                            problem.sgd_rows(&mut params, rows, lr, &mut epoch_grad)
                        }
                        _ => None,
                    };
                    let mut loss = fused.unwrap_or(0.0);
                    let batch_rows = |k: usize| {
                        rotated(&train, offset, k * batch..((k + 1) * batch).min(n_train))
                    };
                    // The batches `ahead` places on start loading while this one is
                    // computed (hints only: the sums and their order are unchanged).
                    let ahead = batches_ahead(batch);
                    let visits = if fused.is_some() { 0 } else { order.len() };
                    for k in order.iter().take(ahead.min(visits)) {
                        problem.prefetch(batch_rows(k).0);
                    }
                    for (at, k) in order.iter().enumerate().take(visits) {
                        let (first, second) = batch_rows(k);
                        if let Some(next) = order.get(at + ahead) {
                            problem.prefetch(batch_rows(next).0);
                        }
                        let rows = first.len() + second.len();
                        grad.fill(0.0);
                        loss += work.add(problem, &params, first, &mut grad);
                        if !second.is_empty() {
                            loss += work.add(problem, &params, second, &mut grad);
                        }
                        let inv = 1.0 / rows as f64;
                        for (e, g) in epoch_grad.iter_mut().zip(grad.iter_mut()) {
                            *e += *g;
                            *g *= inv;
                        }
                        problem.penalty(&params, &mut grad);
                        self.optimizer.step(&mut params, &grad, lr);
                        problem.prox(&mut params, lr);
                    }
                    let inv = 1.0 / n_train as f64;
                    epoch_grad.iter_mut().for_each(|g| *g *= inv);
                    problem.penalty(&params, &mut epoch_grad);
                    cost = loss * inv + problem.penalty_value(&params);
                    grad_norm = norm(&epoch_grad);
                }
            }
            // An overflowing gradient with a finite cost diverges too (it would otherwise
            // stall the loop with NaN steps, or pass the gradient test with a NaN norm).
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
            validation_cost = eval_valid(&mut work, &params);
            self.schedule.observe(epoch, cost);
            let interrupted = record(
                observer,
                &mut history,
                epoch,
                cost,
                grad_norm,
                lr,
                validation_cost,
                &params,
            )
            .is_break();
            let patience_out = best.update(&cfg, cost, validation_cost, &params);
            stop = if interrupted {
                Some(StopReason::Interrupted)
            } else if cfg.batch_size.is_none() && grad_norm <= gtol {
                Some(StopReason::GradientTolerance)
            } else if let Some(reason) = patience_out {
                Some(reason)
            } else if cfg.time_limit.is_some_and(|t| start.elapsed() >= t) {
                Some(StopReason::TimeLimit)
            } else {
                None
            };
            let last = stop.is_some() || epoch >= cfg.max_epochs;
            if let Some(c) = observer.checkpoints() {
                if !last && c.due(epoch) {
                    let state = snapshot(self, epoch, stop, &params, &rng, &order, &best, &history);
                    c.save(&state)?;
                }
            }
        }
        if observer.checkpoints().is_some() {
            let state = snapshot(self, epoch, stop, &params, &rng, &order, &best, &history);
            if let Some(c) = observer.checkpoints() {
                c.save(&state)?;
            }
        }
        let stop_reason = stop.unwrap_or(StopReason::MaxEpochs);

        // The optimizer may report other parameters than its last iterate (averaging).
        let last = params.clone();
        self.optimizer.finish(&mut params);
        let finished = params != last;
        // With held-out rows, the answer is the best validation epoch's parameters.
        let restore = !valid.is_empty() && best.params != params;
        if restore {
            params.copy_from_slice(&best.params);
        }
        let reevaluate = restore || finished || cfg.batch_size.is_some();
        if reevaluate {
            cost = full_cost_grad(problem, &mut work, &params, train.clone(), &mut grad);
            grad_norm = norm(&grad);
            validation_cost = eval_valid(&mut work, &params);
        }
        Ok(Report {
            params,
            cost,
            grad_norm,
            validation_cost,
            epochs: epoch,
            stop_reason,
            history,
            elapsed: start.elapsed(),
            evaluations: 1 + epoch + usize::from(reevaluate),
        })
    }
}

/// Runs a solver on the full-batch objective, with second derivatives when the problem has
/// them.
fn solve_full_batch<P: FiniteSum + ?Sized>(
    solver: &mut dyn Solver,
    problem: &P,
    init: Vec<f64>,
    config: &TrainConfig,
    observer: &mut dyn Observer,
) -> Result<Report> {
    if problem.has_prox() {
        return Err(Error::setting(
            "optimizer",
            format!(
                "{} works on smooth objectives and would ignore the L1 penalty: use a first-order \
                 optimizer (gd, adam, ...), whose proximal step applies it",
                solver.name()
            ),
        ));
    }
    if solver.needs_hessian() && !problem.has_hessian() {
        return Err(Error::setting(
            "optimizer",
            format!(
                "{} needs second derivatives, which this model does not provide: use lbfgs or cg",
                solver.name()
            ),
        ));
    }
    let objective = FullBatch::with_threads(problem, config.threads);
    let p = if problem.has_hessian() {
        Problem::with_hessian(&objective, &objective)
    } else {
        Problem::new(&objective)
    };
    let out = solver::solve(solver, p, init, config, observer)?;
    Ok(Report {
        evaluations: out.evaluations,
        ..out.report
    })
}

/// Rows of the batches in flight ahead of the one computed: a batch of a few rows takes
/// less time than a read from memory, so small batches visited in a random order are asked
/// for several batches ahead (single rows 8 ahead); a larger batch is asked for one ahead,
/// and the CPU's own prefetcher follows its run of rows.
const ROWS_AHEAD: usize = 8;

/// How many batches ahead of the one computed the trainer asks for ([`ROWS_AHEAD`]).
fn batches_ahead(batch: usize) -> usize {
    ROWS_AHEAD.div_ceil(batch.max(1)).max(1)
}

/// Positions `pos` of an epoch's sequence of the training rows `train` rotated by `offset`
/// (position `p` is row `train.start + (offset + p) mod n`), as one range of rows or, when
/// they wrap around the end, two (the second empty otherwise).
fn rotated(train: &Range<usize>, offset: usize, pos: Range<usize>) -> (Range<usize>, Range<usize>) {
    let (n, s) = (train.len(), train.start);
    let (a, b) = (offset + pos.start, offset + pos.end);
    if b <= n {
        (s + a..s + b, s..s)
    } else if a >= n {
        (s + a - n..s + b - n, s..s)
    } else {
        (s + a..s + n, s..s + b - n)
    }
}

/// Mean loss over `rows` plus the penalty; the gradient overwrites `grad`.
fn full_cost_grad<P: FiniteSum + ?Sized>(
    problem: &P,
    work: &mut BlockSum,
    params: &[f64],
    rows: Range<usize>,
    grad: &mut [f64],
) -> f64 {
    let inv = 1.0 / rows.len() as f64;
    let loss = work.sum(problem, params, rows, grad);
    grad.iter_mut().for_each(|g| *g *= inv);
    problem.penalty(params, grad);
    loss * inv + problem.penalty_value(params)
}

/// The patience rules: `tol` on the training cost, early stopping on the validation cost.
struct Best {
    cost: f64,
    cost_stale: usize,
    valid: f64,
    valid_stale: usize,
    params: Vec<f64>,
}

impl Best {
    fn from_state(s: BestState, params: &[f64]) -> Self {
        Best {
            cost: s.cost,
            cost_stale: s.cost_stale,
            valid: s.valid,
            valid_stale: s.valid_stale,
            // A state without held-out rows keeps no parameters; the loop never reads them.
            params: if s.params.len() == params.len() {
                s.params
            } else {
                Vec::new()
            },
        }
    }

    fn to_state(&self) -> BestState {
        BestState {
            cost: self.cost,
            cost_stale: self.cost_stale,
            valid: self.valid,
            valid_stale: self.valid_stale,
            params: self.params.clone(),
        }
    }

    fn new(cost: f64, valid: Option<f64>, params: &[f64]) -> Self {
        Best {
            cost,
            cost_stale: 0,
            valid: valid.unwrap_or(f64::INFINITY),
            valid_stale: 0,
            params: if valid.is_some() {
                params.to_vec()
            } else {
                Vec::new()
            },
        }
    }

    fn update(
        &mut self,
        cfg: &TrainConfig,
        cost: f64,
        valid: Option<f64>,
        params: &[f64],
    ) -> Option<StopReason> {
        let tol = cfg.tol.unwrap_or(0.0);
        if let Some(v) = valid {
            if v < self.valid - tol * self.valid.abs() {
                self.valid_stale = 0;
            } else {
                self.valid_stale += 1;
            }
            if v < self.valid {
                self.valid = v;
                self.params.copy_from_slice(params);
            }
            if self.valid_stale >= cfg.n_iter_no_change {
                return Some(StopReason::EarlyStopping);
            }
        }
        if cfg.tol.is_some() {
            if cost < self.cost - tol * self.cost.abs() {
                self.cost_stale = 0;
            } else {
                self.cost_stale += 1;
            }
            self.cost = self.cost.min(cost);
            if self.cost_stale >= cfg.n_iter_no_change {
                return Some(StopReason::CostTolerance);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_batches_cover_every_row_once() {
        let train = 3..13; // 10 rows
        for offset in 0..10 {
            let mut seen = [0; 13];
            for k in 0..4 {
                let (a, b) = rotated(&train, offset, k * 3..((k + 1) * 3).min(10));
                assert!(a.len() + b.len() == if k == 3 { 1 } else { 3 });
                for i in a.chain(b) {
                    seen[i] += 1;
                }
            }
            assert_eq!(&seen[3..], &[1; 10], "offset {offset}");
        }
        assert_eq!(rotated(&(0..10), 8, 0..3), (8..10, 0..1));
        assert_eq!(rotated(&(0..10), 8, 3..6), (1..4, 0..0));
    }
}

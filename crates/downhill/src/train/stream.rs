//! Training on data larger than memory: the rows come chunk by chunk from a
//! [`ChunkSource`] (a file read again every epoch, say) into one buffer of fixed capacity,
//! so that memory stays bounded by that buffer whatever the number of rows.
//!
//! - Full batch: each epoch is one pass over every chunk, summing the loss and gradient
//!   through the model's kernel in two levels (blocks of rows inside a chunk, as
//!   [`BlockSum`] does, then chunk after chunk), then one update. The sums are those of the
//!   in-memory [`Trainer`](super::Trainer) up to rounding (the order of additions differs),
//!   so a converged run gives the in-memory answer to about 1e-13 relative.
//! - Mini-batch: batches are cut inside each chunk, one update per batch. With `shuffle`,
//!   the rows of each chunk are visited in a random order (from the seed) before they are
//!   cut: a **bounded-buffer shuffle**, not a global one. A batch only ever holds rows of
//!   one chunk, and chunks come in file order every epoch, so data stored in a meaningful
//!   order (sorted by target, by time) gives unrepresentative batches: shuffle such a file
//!   once before streaming it.
//! - Across ranks ([`train_streaming_across`]): each rank streams its share, and every
//!   pass's sums are all-reduced, so every rank takes the one-process full-batch step.
//!
//! The library does no I/O: the caller's source reads, this module computes.

use super::{
    BestState, EpochInfo, EpochRecord, Fingerprint, History, Observer, Report, RngState,
    StopReason, TrainConfig, TrainState,
};
use crate::data::{Matrix, Standardizer, TargetScale};
use crate::distributed::{Agreed, Communicator, Solo};
use crate::estimator::RegressionLoss;
use crate::loss::{Absolute, EpsilonInsensitive, Huber, Loss, Squared};
use crate::model::Linear;
use crate::numeric::norm;
use crate::objective::BlockSum;
use crate::optim::Optimizer;
use crate::penalty::Penalty;
use crate::schedule::Schedule;
use crate::{Error, FiniteSum, Result, Rows};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// A cost this many times the starting one (in absolute value) counts as divergence (as in
/// the in-memory loop).
const DIVERGENCE_FACTOR: f64 = 1e10;

/// A reusable buffer of rows: features (row-major) and targets. Its capacity is fixed when
/// it is made; filling it never allocates, so memory does not grow from epoch to epoch.
#[derive(Debug, Clone)]
pub struct Chunk {
    cols: usize,
    capacity: usize,
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Chunk {
    /// An empty buffer for up to `capacity` rows (at least 1) of `cols` features.
    pub fn new(cols: usize, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Chunk {
            cols,
            capacity,
            x: Vec::with_capacity(capacity * cols),
            y: Vec::with_capacity(capacity),
        }
    }

    /// Features per row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows it can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Rows it holds.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// True when it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// True when it holds `capacity` rows.
    pub fn is_full(&self) -> bool {
        self.y.len() >= self.capacity
    }

    /// Forgets the rows (keeps the memory).
    pub fn clear(&mut self) {
        self.x.clear();
        self.y.clear();
    }

    /// Appends a row. An error when the buffer is full or `x` is not `cols` values long.
    pub fn push_row(&mut self, x: &[f64], y: f64) -> Result<()> {
        if x.len() != self.cols {
            return Err(Error::Shape {
                what: "features in a row of a chunk",
                expected: self.cols,
                got: x.len(),
            });
        }
        if self.is_full() {
            return Err(Error::Shape {
                what: "rows in a chunk (its capacity)",
                expected: self.capacity,
                got: self.capacity + 1,
            });
        }
        self.x.extend_from_slice(x);
        self.y.push(y);
        Ok(())
    }

    /// The features, row-major.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// The targets.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Standardises the features in place, with the arithmetic of
    /// [`Standardizer::transform`] (so the same bits as standardising the whole data).
    pub fn standardize(&mut self, s: &Standardizer) {
        if self.cols == 0 {
            return;
        }
        for row in self.x.chunks_exact_mut(self.cols) {
            for ((v, m), sc) in row.iter_mut().zip(&s.mean).zip(&s.scale) {
                *v = (*v - m) / sc;
            }
        }
    }

    /// Scales the targets in place ([`TargetScale::transform`]).
    pub fn scale_target(&mut self, t: &TargetScale) {
        t.transform(&mut self.y);
    }

    /// Calls `f` with the features as a [`Matrix`] (moved in and out: no copy, no
    /// allocation) and the targets.
    pub fn with_matrix<R>(&mut self, f: impl FnOnce(&Matrix, &[f64]) -> R) -> Result<R> {
        let values = std::mem::take(&mut self.x);
        let m = Matrix::from_row_major(self.y.len(), self.cols, values)?;
        let out = f(&m, &self.y);
        self.x = m.into_vec();
        Ok(out)
    }
}

/// Where the rows come from, chunk by chunk, every epoch again.
pub trait ChunkSource {
    /// Goes back to the first row (reopens the file).
    fn rewind(&mut self) -> Result<()>;

    /// Clears `chunk` and fills it with the next rows, up to its capacity. Returns false
    /// (with `chunk` empty) when there are no more rows. Errors of the source (a bad cell,
    /// a read failure) are [`Error::Source`] with a message saying where.
    fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool>;
}

/// The model trained on streamed data: linear regression with a regression loss.
#[derive(Debug, Clone)]
pub struct StreamModel {
    /// The per-row loss.
    pub loss: RegressionLoss,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Penalty on the weights (in the optimizer's coordinates). An L1 part is applied by
    /// its proximal step; the L1 stationarity stopping rule of the estimators is not
    /// applied here (runs with L1 stop on the other rules).
    pub penalty: Penalty,
    /// Standardisation applied to each chunk after it is read (statistics from a first
    /// pass, e.g. [`StandardizerBuilder`](crate::data::StandardizerBuilder)).
    pub standardizer: Option<Standardizer>,
    /// The target's scaling inside the fit ([`TargetScale`], as `LinearRegression` does when
    /// standardising; [`TargetScale::IDENTITY`] for none). Parameters, costs and gradients
    /// going in and out of [`train_streaming`] are in the target's own units.
    pub target: TargetScale,
}

impl StreamModel {
    /// Parameters for `cols` features: the weights, then the intercept if any.
    pub fn dim(&self, cols: usize) -> usize {
        cols + usize::from(self.fit_intercept)
    }
}

/// Trains `model` on the rows of `source`, read into `chunk` (whose capacity bounds the
/// memory used), from `init` (in the optimizer's coordinates: standardised features when
/// the model has a standardizer), calling `observer` after every epoch.
///
/// The settings are those of [`TrainConfig`] except `validation_rows` (must be 0) and
/// `shuffle`, which shuffles inside each chunk only (see the module documentation). Stopping
/// rules: `max_epochs`, `gtol`/`gtol_abs` (full batch), `tol` with `n_iter_no_change`,
/// `time_limit`, an observer's `Break`; divergence is [`Error::Diverged`]. The report's
/// parameters and history are in the coordinates of `init` (standardised features, the
/// target's units); `evaluations` counts passes over the data.
#[allow(clippy::too_many_arguments)]
pub fn train_streaming(
    source: &mut dyn ChunkSource,
    chunk: &mut Chunk,
    model: &StreamModel,
    optimizer: &mut dyn Optimizer,
    schedule: &mut dyn Schedule,
    config: &TrainConfig,
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report> {
    train_on(
        &Solo, source, chunk, model, optimizer, schedule, config, init, observer,
    )
}

/// [`train_streaming`] over the ranks of `comm`, `source` holding this rank's rows (a share
/// of every rank's, which may be empty): every pass's sums (loss, gradient, row count) are
/// all-reduced in one message, so that every rank takes the same step, and the run is the
/// one-process run up to the order of additions. Full batches only (a batch size is
/// refused); the ranks agree on stopping after every epoch ([`Agreed`]: an interruption of
/// one rank, the time limit of the slowest). A failing source fails its rank alone: the
/// caller must end the others (MPI_Abort), since they wait in the next all-reduce.
#[allow(clippy::too_many_arguments)]
pub fn train_streaming_across(
    comm: &dyn Communicator,
    source: &mut dyn ChunkSource,
    chunk: &mut Chunk,
    model: &StreamModel,
    optimizer: &mut dyn Optimizer,
    schedule: &mut dyn Schedule,
    config: &TrainConfig,
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report> {
    if config.batch_size.is_some() && comm.size() > 1 {
        return Err(Error::setting(
            "batch size",
            "a streamed fit across ranks takes full batches: leave out the batch size",
        ));
    }
    let mut config = config.clone();
    let mut agreed = Agreed::new(observer, comm, config.time_limit.take());
    let mut report = train_on(
        comm,
        source,
        chunk,
        model,
        optimizer,
        schedule,
        &config,
        init,
        &mut agreed,
    )?;
    agreed.settle(&mut report);
    Ok(report)
}

/// [`train_streaming`] with every pass's sums added over `comm`.
#[allow(clippy::too_many_arguments)]
fn train_on(
    comm: &dyn Communicator,
    source: &mut dyn ChunkSource,
    chunk: &mut Chunk,
    model: &StreamModel,
    optimizer: &mut dyn Optimizer,
    schedule: &mut dyn Schedule,
    config: &TrainConfig,
    init: Vec<f64>,
    observer: &mut dyn Observer,
) -> Result<Report> {
    let target = model.target;
    let (loss, penalty, factor) = model.loss.for_target(model.penalty, target);
    let scaled = StreamModel {
        loss,
        penalty,
        ..model.clone()
    };
    let mut init = init;
    target.to_scaled(&mut init, model.fit_intercept);
    let mut run = Run {
        comm,
        source,
        chunk,
        model: &scaled,
        optimizer,
        schedule,
        config,
    };
    let units = super::TargetUnits {
        target,
        factor,
        intercept: model.fit_intercept,
    };
    let mut observer = units.observer(observer);
    let mut report = run.train_loss(&mut observer, init).map_err(|e| match e {
        Error::Diverged {
            epoch,
            cost,
            lr,
            hint,
        } => Error::Diverged {
            epoch,
            cost: cost * factor,
            lr,
            hint,
        },
        e => e,
    })?;
    units.report(&mut report);
    Ok(report)
}

impl Run<'_> {
    /// Trains with the model's loss (one monomorphised kernel per loss).
    fn train_loss(&mut self, observer: &mut dyn Observer, init: Vec<f64>) -> Result<Report> {
        let run = self;
        match run.model.loss {
            RegressionLoss::Squared => run.train(Squared, init, observer),
            RegressionLoss::Absolute => run.train(Absolute, init, observer),
            RegressionLoss::Huber(delta) => {
                if !(delta > 0.0 && delta.is_finite()) {
                    return Err(Error::setting(
                        "huber delta",
                        format!("{delta} is not a positive finite number"),
                    ));
                }
                run.train(Huber::new(delta), init, observer)
            }
            RegressionLoss::EpsilonInsensitive(eps) => {
                if !(eps >= 0.0 && eps.is_finite()) {
                    return Err(Error::setting(
                        "epsilon",
                        format!("{eps} is not a finite number of at least 0"),
                    ));
                }
                run.train(EpsilonInsensitive::new(eps), init, observer)
            }
        }
    }
}

/// One run's borrowed state.
struct Run<'a> {
    /// The ranks whose sums are added ([`Solo`] for one process).
    comm: &'a dyn Communicator,
    source: &'a mut dyn ChunkSource,
    chunk: &'a mut Chunk,
    model: &'a StreamModel,
    optimizer: &'a mut dyn Optimizer,
    schedule: &'a mut dyn Schedule,
    config: &'a TrainConfig,
}

/// Scratch of the passes, allocated once per run.
struct Work {
    sum: BlockSum,
    chunk_grad: Vec<f64>,
    /// Row count of the first pass: every later pass must see as many.
    rows: Option<usize>,
    passes: usize,
    /// The all-reduced message of a pass across ranks.
    message: Vec<f64>,
}

impl Run<'_> {
    fn check(&self, init: &[f64], dim: usize) -> Result<()> {
        let c = self.config;
        if init.len() != dim {
            return Err(Error::Shape {
                what: "initial parameters",
                expected: dim,
                got: init.len(),
            });
        }
        if let Some(i) = init.iter().position(|v| !v.is_finite()) {
            return Err(Error::setting(
                "initial parameters",
                format!("value {} is not finite", i + 1),
            ));
        }
        if c.validation_rows > 0 {
            return Err(Error::setting(
                "validation fraction",
                "held-out rows are not supported when streaming",
            ));
        }
        if let Some(b) = c.batch_size {
            if b == 0 || b > self.chunk.capacity() {
                return Err(Error::setting(
                    "batch size",
                    format!(
                        "{b} is not between 1 and the {} rows of a chunk",
                        self.chunk.capacity()
                    ),
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
        Ok(())
    }

    /// Reads the next chunk and standardises it; false at the end of the data.
    fn next(&mut self) -> Result<bool> {
        if !self.source.next_chunk(self.chunk)? {
            return Ok(false);
        }
        if let Some(s) = &self.model.standardizer {
            self.chunk.standardize(s);
        }
        self.chunk.scale_target(&self.model.target);
        Ok(!self.chunk.is_empty())
    }

    /// Checks a pass's row count against the first pass's.
    fn counted(work: &mut Work, n: usize) -> Result<()> {
        work.passes += 1;
        if n == 0 {
            return Err(Error::NoRows);
        }
        match work.rows {
            None => work.rows = Some(n),
            Some(n0) if n0 != n => {
                return Err(Error::Source(format!(
                    "the data changed while training: {n0} rows on the first pass, {n} on pass {}",
                    work.passes
                )))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// One pass over every chunk: the full-batch cost at `params`, its gradient in `grad`.
    fn full_pass<L: Loss>(
        &mut self,
        loss: L,
        work: &mut Work,
        params: &[f64],
        grad: &mut [f64],
    ) -> Result<f64> {
        self.source.rewind()?;
        grad.fill(0.0);
        let (mut total, mut n) = (0.0, 0usize);
        let (intercept, penalty) = (self.model.fit_intercept, self.model.penalty);
        while self.next()? {
            let rows = self.chunk.rows();
            let Work {
                sum, chunk_grad, ..
            } = &mut *work;
            chunk_grad.fill(0.0);
            // Level one: blocks inside the chunk (threaded as in memory); level two: chunks.
            total += self.chunk.with_matrix(|x, y| {
                let m = Linear::new(x, y, loss)
                    .intercept(intercept)
                    .penalty(penalty);
                sum.add(&m, params, 0..rows, chunk_grad)
            })?;
            for (g, c) in grad.iter_mut().zip(chunk_grad.iter()) {
                *g += c;
            }
            n += rows;
        }
        if self.comm.size() > 1 {
            // Every rank's sums, in one message: loss, row count, gradient.
            let message = &mut work.message;
            message.clear();
            message.extend([total, n as f64]);
            message.extend_from_slice(grad);
            self.comm.sum(message);
            (total, n) = (message[0], message[1] as usize);
            grad.copy_from_slice(&message[2..]);
        }
        Self::counted(work, n)?;
        let inv = 1.0 / n as f64;
        grad.iter_mut().for_each(|g| *g *= inv);
        let d = self.chunk.cols();
        penalty.smooth(&params[..d], &mut grad[..d]);
        Ok(total * inv + penalty.value(&params[..d]))
    }

    /// One mini-batch epoch: every chunk's rows (shuffled inside the chunk when asked) cut
    /// into batches, one update per batch. Returns the mean of the losses met plus the
    /// penalty, with the mean of the batch gradients (plus the penalty's) in `epoch_grad`.
    #[allow(clippy::too_many_arguments)]
    fn batch_epoch<L: Loss>(
        &mut self,
        loss: L,
        work: &mut Work,
        batch: usize,
        lr: f64,
        rng: &mut ChaCha8Rng,
        order: &mut Vec<usize>,
        params: &mut [f64],
        grad: &mut [f64],
        epoch_grad: &mut [f64],
    ) -> Result<f64> {
        self.source.rewind()?;
        epoch_grad.fill(0.0);
        let (mut total, mut n) = (0.0, 0usize);
        let (intercept, penalty) = (self.model.fit_intercept, self.model.penalty);
        let shuffle = self.config.shuffle;
        let d = self.chunk.cols();
        while self.next()? {
            let rows = self.chunk.rows();
            order.clear();
            order.extend(0..rows);
            if shuffle {
                order.shuffle(rng);
            }
            let optimizer = &mut *self.optimizer;
            total += self.chunk.with_matrix(|x, y| {
                let m = Linear::new(x, y, loss)
                    .intercept(intercept)
                    .penalty(penalty);
                let mut sum = 0.0;
                for part in order.chunks(batch) {
                    grad.fill(0.0);
                    sum += if shuffle {
                        m.accumulate(params, Rows::Indices(part), grad)
                    } else {
                        // In file order a batch is a run of rows: the range kernel.
                        let start = part[0];
                        m.accumulate(params, Rows::Range(start..start + part.len()), grad)
                    };
                    let inv = 1.0 / part.len() as f64;
                    for (e, g) in epoch_grad.iter_mut().zip(grad.iter_mut()) {
                        *e += *g;
                        *g *= inv;
                    }
                    FiniteSum::penalty(&m, params, grad);
                    optimizer.step(params, grad, lr);
                    m.prox(params, lr);
                }
                sum
            })?;
            n += rows;
        }
        Self::counted(work, n)?;
        let inv = 1.0 / n as f64;
        epoch_grad.iter_mut().for_each(|g| *g *= inv);
        penalty.smooth(&params[..d], &mut epoch_grad[..d]);
        Ok(total * inv + penalty.value(&params[..d]))
    }

    fn train<L: Loss>(
        &mut self,
        loss: L,
        init: Vec<f64>,
        observer: &mut dyn Observer,
    ) -> Result<Report> {
        let start = Instant::now();
        let cfg = self.config.clone();
        let dim = self.model.dim(self.chunk.cols());
        self.check(&init, dim)?;
        let mut params = init;
        let mut grad = vec![0.0; dim];
        let mut work = Work {
            sum: BlockSum::with_threads(dim, cfg.threads),
            chunk_grad: vec![0.0; dim],
            rows: None,
            passes: 0,
            message: Vec::with_capacity(dim + 2),
        };
        let mut history = History::new(if cfg.record_params { dim } else { 0 });
        self.optimizer.init(dim);
        let fingerprint = Fingerprint {
            params: dim,
            validation_rows: 0,
            batch_size: cfg.batch_size,
            shuffle: cfg.shuffle,
            seed: cfg.seed,
            threads: cfg.threads,
            chunk_rows: Some(self.chunk.capacity()),
            data: None,
            settings: None,
        };
        let resume = match observer.checkpoints() {
            Some(c) => c.resume()?,
            None => None,
        };
        if let Some(state) = &resume {
            state.fingerprint.check(&fingerprint)?;
            if state.params.len() != dim {
                return Err(Error::Shape {
                    what: "saved parameters",
                    expected: dim,
                    got: state.params.len(),
                });
            }
            params.copy_from_slice(&state.params);
        }

        // The starting point: epoch 0 (or, resumed, the pass the saved run's last epoch
        // ended with: the same sums, so the same bits).
        let mut cost = self.full_pass(loss, &mut work, &params, &mut grad)?;
        let mut grad_norm = norm(&grad);
        if let Some(what) = crate::solver::non_finite(cost, grad_norm) {
            return Err(Error::NonFinite { what });
        }
        let mut f0 = cost;
        let mut gtol = (cfg.gtol * grad_norm).max(cfg.gtol_abs);
        let mut lr = self.schedule.lr(1);
        let (mut best, mut stale) = (cost, 0usize);

        let record = |observer: &mut dyn Observer,
                      history: &mut History,
                      epoch,
                      cost,
                      grad_norm,
                      lr,
                      p: &[f64]| {
            history.push(
                EpochRecord {
                    epoch,
                    cost,
                    grad_norm,
                    lr,
                    validation_cost: None,
                },
                if cfg.record_params { p } else { &[] },
            );
            observer.observe(&EpochInfo {
                epoch,
                max_epochs: cfg.max_epochs,
                cost,
                grad_norm,
                lr,
                validation_cost: None,
                params: p,
            })
        };

        // Mini-batch state, allocated once: the visiting order of a chunk's rows.
        let batched = cfg.batch_size.is_some();
        let mut order: Vec<usize> =
            Vec::with_capacity(if batched { self.chunk.capacity() } else { 0 });
        let mut epoch_grad = vec![0.0; if batched { dim } else { 0 }];
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);

        let mut epoch = 0;
        let mut stop = if let Some(state) = resume {
            self.optimizer.restore(&state.optimizer)?;
            self.schedule.restore(&state.schedule)?;
            rng = state.rng.to_rng()?;
            (f0, gtol) = (state.start_cost, state.gtol);
            (best, stale) = (state.best.cost, state.best.cost_stale);
            history = state.history;
            epoch = state.epoch;
            state.stopped
        } else if record(observer, &mut history, 0, cost, grad_norm, lr, &params).is_break() {
            Some(StopReason::Interrupted)
        } else if grad_norm <= gtol {
            Some(StopReason::GradientTolerance)
        } else {
            None
        };
        // The run's state after the current epoch, for a checkpoint (every chunk's order
        // is drawn afresh from the stream, so the stream's position is all it needs).
        let snapshot = |this: &Self,
                        epoch: usize,
                        stop: Option<StopReason>,
                        params: &[f64],
                        rng: &ChaCha8Rng,
                        (best, stale): (f64, usize),
                        history: &History| TrainState {
            fingerprint: fingerprint.clone(),
            epoch,
            stopped: stop.filter(StopReason::converged),
            params: params.to_vec(),
            optimizer: this.optimizer.state(),
            schedule: this.schedule.state(),
            rng: RngState::of(rng),
            order: Vec::new(),
            start_cost: f0,
            gtol,
            best: BestState {
                cost: best,
                cost_stale: stale,
                valid: f64::INFINITY,
                valid_stale: 0,
                params: Vec::new(),
            },
            history: history.clone(),
            ranks: None,
        };

        while stop.is_none() && epoch < cfg.max_epochs {
            epoch += 1;
            lr = self.schedule.lr(epoch);
            match cfg.batch_size {
                None => {
                    self.optimizer.step(&mut params, &grad, lr);
                    let d = self.chunk.cols();
                    self.model.penalty.prox(&mut params[..d], lr);
                    cost = self.full_pass(loss, &mut work, &params, &mut grad)?;
                    grad_norm = norm(&grad);
                }
                Some(batch) => {
                    cost = self.batch_epoch(
                        loss,
                        &mut work,
                        batch,
                        lr,
                        &mut rng,
                        &mut order,
                        &mut params,
                        &mut grad,
                        &mut epoch_grad,
                    )?;
                    grad_norm = norm(&epoch_grad);
                }
            }
            if !cost.is_finite()
                || !grad_norm.is_finite()
                || cost - f0 > DIVERGENCE_FACTOR * f0.abs().max(f64::MIN_POSITIVE)
                || params.iter().any(|p| !p.is_finite())
            {
                return Err(Error::Diverged {
                    epoch,
                    cost,
                    lr,
                    hint: if self.model.standardizer.is_none() {
                        ", or standardise the features"
                    } else {
                        ""
                    },
                });
            }
            self.schedule.observe(epoch, cost);
            let interrupted =
                record(observer, &mut history, epoch, cost, grad_norm, lr, &params).is_break();
            let patience_out = cfg.tol.is_some_and(|tol| {
                if cost < best - tol * best.abs() {
                    stale = 0;
                } else {
                    stale += 1;
                }
                best = best.min(cost);
                stale >= cfg.n_iter_no_change
            });
            stop = if interrupted {
                Some(StopReason::Interrupted)
            } else if !batched && grad_norm <= gtol {
                Some(StopReason::GradientTolerance)
            } else if patience_out {
                Some(StopReason::CostTolerance)
            } else if cfg.time_limit.is_some_and(|t| start.elapsed() >= t) {
                Some(StopReason::TimeLimit)
            } else {
                None
            };
            let last = stop.is_some() || epoch >= cfg.max_epochs;
            if let Some(c) = observer.checkpoints() {
                if !last && c.due(epoch) {
                    c.save(&snapshot(
                        self,
                        epoch,
                        stop,
                        &params,
                        &rng,
                        (best, stale),
                        &history,
                    ))?;
                }
            }
        }
        if let Some(c) = observer.checkpoints() {
            c.save(&snapshot(
                self,
                epoch,
                stop,
                &params,
                &rng,
                (best, stale),
                &history,
            ))?;
        }
        let stop_reason = stop.unwrap_or(StopReason::MaxEpochs);

        // The optimizer may report other parameters than its last iterate (averaging).
        let last = params.clone();
        self.optimizer.finish(&mut params);
        let reevaluate = params != last || batched;
        if reevaluate {
            cost = self.full_pass(loss, &mut work, &params, &mut grad)?;
            grad_norm = norm(&grad);
        }
        Ok(Report {
            params,
            cost,
            grad_norm,
            validation_cost: None,
            epochs: epoch,
            stop_reason,
            history,
            elapsed: start.elapsed(),
            evaluations: work.passes,
        })
    }
}

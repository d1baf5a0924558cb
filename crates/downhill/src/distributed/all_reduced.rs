use super::Communicator;
use crate::objective::{runs, BlockSum};
use crate::{FiniteSum, Rows};
use std::cell::RefCell;
use std::ops::Range;

/// A model on one rank's share of the rows, seen as the whole data set: a [`FiniteSum`] of
/// **one row** whose loss is the mean loss over every rank's rows.
///
/// Evaluating that row sums the rank's own rows (block by block, on threads, as
/// [`BlockSum`] does), then all-reduces `(loss sum, gradient sum, row count)` in one
/// message and divides by the count. Wrapped in [`FullBatch`](crate::objective::FullBatch)
/// (as the trainer and the solvers do), it is exactly the full-batch objective of all the
/// rows: the sums differ from one process's only in the order of additions. The Hessian
/// sum (blocked and threaded as well) is all-reduced the same way, so Newton's method runs
/// on it too; the penalty needs no communication (every rank holds the same parameters).
///
/// One row cannot be cut into mini-batches (see
/// [`train_data_parallel`](super::train_data_parallel) for those). Held-out rows are a
/// second row ([`AllReduced::with_held_out`]): the mean loss over every rank's held-out
/// rows, so that the trainer holding out its last row (`validation_rows = 1`) trains on
/// every rank's training rows and validates on every rank's held-out ones.
#[derive(Debug)]
pub struct AllReduced<'a, P: ?Sized, C: ?Sized> {
    local: &'a P,
    comm: &'a C,
    /// This rank's training rows, `0..train`; the held-out ones follow.
    train: usize,
    /// Whether the held-out rows are a second row (on every rank, even one without any).
    held_out: bool,
    work: RefCell<Work>,
}

#[derive(Debug)]
struct Work {
    sum: BlockSum,
    /// `[loss, gradient.., count]`, the one message.
    message: Vec<f64>,
    /// `[hessian.., count]`.
    hessian: Vec<f64>,
}

impl<'a, P: FiniteSum + ?Sized, C: Communicator + ?Sized> AllReduced<'a, P, C> {
    /// `local` (this rank's rows) over the ranks of `comm`, its sums on `threads` threads
    /// (0: one per core).
    pub fn new(local: &'a P, comm: &'a C, threads: usize) -> Self {
        let dim = local.dim();
        AllReduced {
            local,
            comm,
            train: local.n_rows(),
            held_out: false,
            work: RefCell::new(Work {
                sum: BlockSum::with_threads(dim, threads),
                message: vec![0.0; dim + 2],
                hessian: Vec::new(),
            }),
        }
    }

    /// [`AllReduced::new`] with this rank's rows `train..` held out: row 0 is the training
    /// rows of every rank, row 1 the held-out rows of every rank. Every rank must hold out
    /// (some rows or none) for the ranks to agree on the rows.
    pub fn with_held_out(local: &'a P, comm: &'a C, threads: usize, train: usize) -> Self {
        AllReduced {
            train: train.min(local.n_rows()),
            held_out: true,
            ..AllReduced::new(local, comm, threads)
        }
    }

    /// This rank's rows making up row `part` of the sum (0: training; 1: held out).
    fn part(&self, part: usize) -> std::ops::Range<usize> {
        if part == 0 {
            0..self.train
        } else {
            self.train..self.local.n_rows()
        }
    }

    /// The parts `rows` asks for, each once, in order.
    fn parts(&self, rows: &Rows<'_>) -> [bool; 2] {
        let mut asked = [false; 2];
        rows.for_each(|r| {
            if let Some(a) = asked.get_mut(r) {
                *a = true;
            }
        });
        asked
    }

    /// Rows over every rank (one all-reduce).
    pub fn global_rows(&self) -> usize {
        let mut n = [self.local.n_rows() as f64];
        self.comm.sum(&mut n);
        n[0] as usize
    }
}

impl<P: FiniteSum + ?Sized, C: Communicator + ?Sized> FiniteSum for AllReduced<'_, P, C> {
    fn n_rows(&self) -> usize {
        1 + usize::from(self.held_out)
    }

    fn dim(&self) -> usize {
        self.local.dim()
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        let mut loss = 0.0;
        for (part, asked) in self.parts(&rows).into_iter().enumerate() {
            if asked {
                loss += self.accumulate_part(params, part, grad);
            }
        }
        loss
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        let mut loss = 0.0;
        for (part, asked) in self.parts(&rows).into_iter().enumerate() {
            if !asked {
                continue;
            }
            let range = self.part(part);
            let n = range.len();
            let mut message = [
                self.work
                    .borrow_mut()
                    .sum
                    .loss_sum(self.local, params, range),
                n as f64,
            ];
            self.comm.sum(&mut message);
            if message[1] > 0.0 {
                loss += message[0] * (1.0 / message[1]);
            }
        }
        loss
    }

    fn penalty(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.local.penalty(params, grad)
    }

    fn penalty_value(&self, params: &[f64]) -> f64 {
        self.local.penalty_value(params)
    }

    fn prox(&self, params: &mut [f64], step: f64) {
        self.local.prox(params, step)
    }

    fn has_prox(&self) -> bool {
        self.local.has_prox()
    }

    fn has_hessian(&self) -> bool {
        self.local.has_hessian()
    }

    fn hessian_sum(&self, params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        for (part, asked) in self.parts(&rows).into_iter().enumerate() {
            if asked {
                self.hessian_part(params, part, out);
            }
        }
    }

    fn penalty_hessian(&self, params: &[f64], out: &mut [f64]) {
        self.local.penalty_hessian(params, out)
    }

    fn fuses_hessian(&self) -> bool {
        self.local.fuses_hessian()
    }

    /// Each part's rows in one pass where the rank's model has one, then the part's two
    /// all-reduces of `separate_runs` (the Hessian's, then the loss's and gradient's), so
    /// that a distributed Newton fit takes the one-process fit's steps.
    fn cost_grad_hessian_runs(
        &self,
        params: &[f64],
        rows: Range<usize>,
        run: usize,
        grad: &mut [f64],
        out: &mut [f64],
    ) -> f64 {
        // The runs and parts as `separate_runs` adds them (its Hessian's runs, then its
        // gradient's, each from zeros).
        let (mut g, mut h) = (vec![0.0; grad.len()], vec![0.0; out.len()]);
        grad.fill(0.0);
        out.fill(0.0);
        let mut loss = 0.0;
        for r in runs(rows.clone(), run) {
            g.fill(0.0);
            h.fill(0.0);
            let mut l = 0.0;
            for (part, asked) in self.parts(&Rows::Range(r.clone())).into_iter().enumerate() {
                if asked {
                    l += self.fused_part(params, part, &mut g, &mut h);
                }
            }
            loss += l;
            for (a, b) in grad.iter_mut().zip(&g) {
                *a += b;
            }
            for (a, b) in out.iter_mut().zip(&h) {
                *a += b;
            }
        }
        loss
    }
}

impl<P: FiniteSum + ?Sized, C: Communicator + ?Sized> AllReduced<'_, P, C> {
    /// Adds the mean gradient of part `part` of every rank's rows to `grad`; returns the
    /// mean loss (one all-reduce).
    fn accumulate_part(&self, params: &[f64], part: usize, grad: &mut [f64]) -> f64 {
        let range = self.part(part);
        let mut work = self.work.borrow_mut();
        let Work { sum, message, .. } = &mut *work;
        let (d, n) = (grad.len(), range.len());
        let (head, rest) = message.split_at_mut(1);
        head[0] = sum.sum(self.local, params, range, &mut rest[..d]);
        rest[d] = n as f64;
        self.comm.sum(message);
        if !(message[d + 1] > 0.0) {
            return 0.0;
        }
        // The same arithmetic as one process's full batch: the sum times 1/N.
        let inv = 1.0 / message[d + 1];
        for (g, m) in grad.iter_mut().zip(&message[1..=d]) {
            *g += m * inv;
        }
        message[0] * inv
    }

    /// [`AllReduced::hessian_part`] and [`AllReduced::accumulate_part`] with the rank's
    /// sums in one pass ([`BlockSum::cost_grad_hessian`]; apart where it has none) and the
    /// same two all-reduces in the same order: adds the mean gradient and Hessian, returns
    /// the mean loss.
    fn fused_part(&self, params: &[f64], part: usize, grad: &mut [f64], out: &mut [f64]) -> f64 {
        let range = self.part(part);
        let mut work = self.work.borrow_mut();
        let Work {
            sum,
            message,
            hessian,
        } = &mut *work;
        let (d, len, n) = (grad.len(), out.len(), range.len() as f64);
        hessian.resize(len + 1, 0.0);
        let (head, rest) = message.split_at_mut(1);
        let (g, h) = (&mut rest[..d], &mut hessian[..len]);
        head[0] = match sum.cost_grad_hessian(self.local, params, range.clone(), g, h) {
            Some(loss) => loss,
            None => {
                sum.hessian(self.local, params, range.clone(), h);
                sum.sum(self.local, params, range, g)
            }
        };
        (rest[d], hessian[len]) = (n, n);
        self.comm.sum(hessian);
        self.comm.sum(message);
        if hessian[len] > 0.0 {
            let inv = 1.0 / hessian[len];
            for (o, h) in out.iter_mut().zip(hessian.iter()) {
                *o += h * inv;
            }
        }
        if !(message[d + 1] > 0.0) {
            return 0.0;
        }
        let inv = 1.0 / message[d + 1];
        for (g, m) in grad.iter_mut().zip(&message[1..=d]) {
            *g += m * inv;
        }
        message[0] * inv
    }

    /// Adds the mean Hessian of part `part` of every rank's rows to `out`.
    fn hessian_part(&self, params: &[f64], part: usize, out: &mut [f64]) {
        let range = self.part(part);
        let mut work = self.work.borrow_mut();
        let Work { sum, hessian, .. } = &mut *work;
        let len = out.len();
        hessian.resize(len + 1, 0.0);
        // Blocked and threaded as one process's full-batch Hessian.
        sum.hessian(self.local, params, range.clone(), &mut hessian[..len]);
        hessian[len] = range.len() as f64;
        self.comm.sum(hessian);
        if !(hessian[len] > 0.0) {
            return;
        }
        let inv = 1.0 / hessian[len];
        for (o, h) in out.iter_mut().zip(hessian.iter()) {
            *o += h * inv;
        }
    }
}

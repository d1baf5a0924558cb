use super::{first_step, gave_up, moved, steepest_direction, Iterate, Outcome, Problem, Solver};
use crate::numeric::{dot, norm, CompensatedSum};
use crate::objective::Hessian;
use crate::search::{Backtracking, LineSearch, Point, SearchError};
use crate::Objective;
use std::cell::{Cell, RefCell};

/// Damped Newton: solve `(H + tau I) d = -g` by Cholesky, then backtrack from the unit step
/// (Armijo).
///
/// `tau` is 0 when `H` is positive definite; otherwise it grows from
/// `1e-3 * max |H_ii|` (doubling) until the factorisation succeeds: a Levenberg-style shift
/// that turns the step towards steepest descent (Nocedal & Wright, algorithm 3.3).
///
/// The solve is refined: the residual `-g - (H + tau I) d` is computed with compensated
/// (error-free product) sums and solved for a correction, twice by default, so that the step
/// is as accurate as the Hessian and gradient allow even when `H` is ill-conditioned.
///
/// After a full step (`tau = 0`, unit step accepted), the same factorisation serves for as
/// many corrections ([`Newton::refine`]) `-H^-1 g(x_new)` with the gradient at the new
/// point, each kept only when it lowers the gradient norm without raising the cost beyond
/// rounding. On a quadratic (least squares) the step lands on the minimum up to the rounding
/// of `H`, and the corrections are iterative refinement of the normal equations with a
/// freshly computed gradient: they remove that rounding within the iteration, before the
/// stopping test (which a least-squares fit passes after one step) ends the run. Each
/// correction costs one evaluation of cost and gradient, none of the Hessian.
///
/// Where the Hessian comes with the cost in one pass ([`Hessian::cost_grad_hessian`]: a
/// linear model whose loss is not quadratic, e.g. logistic regression), the start's
/// evaluation and each unit step's trial ask for the Hessian there too, unless the step is
/// predicted to end the run. When the step is taken, the next iteration starts from that
/// Hessian and the corrections are left out: a Newton step with the Hessian at the new
/// point does better than a correction with the old one, and costs one pass where the
/// correction took one and the next Hessian another. An iteration then reads the data once
/// (`examples/newton_cost`). The iterates are those of the same steps without corrections
/// made with separate passes, to the bit.
///
/// Costs `dim^2` memory and `dim^3 / 3` operations per iteration: sensible up to a few
/// hundred parameters. Needs [`Problem::hessian`].
#[derive(Debug, Clone)]
pub struct Newton {
    search: Backtracking,
    refine: usize,
    dim: usize,
    hess: Vec<f64>,
    chol: Vec<f64>,
    dir: Vec<f64>,
    rhs: Vec<f64>,
    resid: Vec<f64>,
    /// A corrected point and its gradient, kept when better.
    trial: Vec<f64>,
    trial_grad: Vec<f64>,
    /// The shift used at the last iteration (0: the Hessian was positive definite).
    shift: f64,
    /// The Hessian at `next_at`, from the pass that evaluated the last step taken, when
    /// `ready`.
    next: Vec<f64>,
    next_at: Vec<f64>,
    ready: bool,
    /// The gradient norm where the last iteration started, when it took a full Newton step.
    last_from: Option<f64>,
    /// The Hessian comes with the cost in one pass: no corrections.
    fuses: bool,
}

/// Shifts tried before giving up on the factorisation (a Hessian with NaNs never factors).
const MAX_SHIFTS: usize = 64;

impl Default for Newton {
    fn default() -> Self {
        Newton::new()
    }
}

impl Newton {
    /// Refinement steps of each solve, and corrections after a full step, by default: each
    /// correction costs an evaluation, so a default iteration evaluates up to three times
    /// (once where the Hessian comes with the cost, which makes no corrections).
    pub const DEFAULT_REFINE: usize = 2;

    /// Damped Newton with a default backtracking search and [`Newton::DEFAULT_REFINE`]
    /// refinement steps.
    pub fn new() -> Self {
        Newton {
            search: Backtracking::default(),
            refine: Self::DEFAULT_REFINE,
            dim: 0,
            hess: Vec::new(),
            chol: Vec::new(),
            dir: Vec::new(),
            rhs: Vec::new(),
            resid: Vec::new(),
            trial: Vec::new(),
            trial_grad: Vec::new(),
            shift: 0.0,
            next: Vec::new(),
            next_at: Vec::new(),
            ready: false,
            last_from: None,
            fuses: false,
        }
    }

    /// Steps of iterative refinement of each linear solve, and corrections after a full
    /// step (0: none).
    pub fn refine(mut self, steps: usize) -> Self {
        self.refine = steps;
        self
    }

    /// The shift `tau` added to the Hessian's diagonal at the last iteration.
    pub fn last_shift(&self) -> f64 {
        self.shift
    }

    /// Factors `hess + tau I` into `chol`, raising `tau` until it works. False when no
    /// shift does (non-finite Hessian).
    fn factor(&mut self) -> bool {
        let n = self.dim;
        let diag = (0..n).map(|i| self.hess[i * n + i]);
        let min = diag.clone().fold(f64::INFINITY, f64::min);
        let scale = diag.fold(0.0f64, |m, d| m.max(d.abs()));
        let beta = 1e-3 * if scale > 0.0 { scale } else { 1.0 };
        let mut tau = if min > 0.0 { 0.0 } else { beta - min };
        for _ in 0..MAX_SHIFTS {
            if !tau.is_finite() {
                break;
            }
            self.chol.copy_from_slice(&self.hess);
            for i in 0..n {
                self.chol[i * n + i] += tau;
            }
            if cholesky(&mut self.chol, n) {
                self.shift = tau;
                return true;
            }
            tau = (2.0 * tau).max(beta);
        }
        false
    }

    /// `dir = (H + tau I)^-1 rhs`, refined.
    fn solve(&mut self) {
        let n = self.dim;
        self.dir.copy_from_slice(&self.rhs);
        substitute(&self.chol, n, &mut self.dir);
        for _ in 0..self.refine {
            for i in 0..n {
                let mut r = CompensatedSum::default();
                r.add(self.rhs[i]);
                let row = &self.hess[i * n..(i + 1) * n];
                for (h, d) in row.iter().zip(&self.dir) {
                    two_product_sub(&mut r, *h, *d);
                }
                two_product_sub(&mut r, self.shift, self.dir[i]);
                self.resid[i] = r.value();
            }
            if self.resid.iter().all(|r| *r == 0.0) {
                break;
            }
            substitute(&self.chol, n, &mut self.resid);
            for (d, c) in self.dir.iter_mut().zip(&self.resid) {
                *d += c;
            }
        }
    }

    /// Corrects the point `x` reached by a full step (cost `cost`, gradient `grad`, updated
    /// in place) with the current factorisation: `x - H^-1 g(x)`, kept while the gradient
    /// norm falls and the cost does not rise beyond rounding. Returns the cost and the
    /// evaluations spent.
    fn correct(
        &mut self,
        objective: &dyn Objective,
        x: &mut [f64],
        grad: &mut [f64],
        mut cost: f64,
    ) -> (f64, usize) {
        let mut evaluations = 0;
        let mut grad_norm = norm(grad);
        for _ in 0..self.refine {
            if grad_norm == 0.0 {
                break;
            }
            for (r, g) in self.rhs.iter_mut().zip(grad.iter()) {
                *r = -g;
            }
            self.solve();
            for ((t, x), d) in self.trial.iter_mut().zip(x.iter()).zip(&self.dir) {
                *t = x + d;
            }
            let c = objective.cost_grad(&self.trial, &mut self.trial_grad);
            evaluations += 1;
            let n = norm(&self.trial_grad);
            // Near the minimum the cost changes by less than its rounding: the gradient
            // decides, the cost only guards against a step that is really uphill.
            if !(n < grad_norm && c <= cost + 4.0 * f64::EPSILON * cost.abs()) {
                break;
            }
            x.copy_from_slice(&self.trial);
            grad.copy_from_slice(&self.trial_grad);
            cost = c;
            grad_norm = n;
        }
        (cost, evaluations)
    }
}

/// `sum -= a * b`, exactly: the product's rounding error (by fma) is subtracted too.
#[inline]
fn two_product_sub(sum: &mut CompensatedSum, a: f64, b: f64) {
    let p = a * b;
    sum.add(-p);
    sum.add(-a.mul_add(b, -p));
}

/// In-place Cholesky factorisation of the symmetric positive definite `n x n` row-major
/// matrix `a` (lower triangle read and overwritten with `L`, `a = L L'`). False when a pivot
/// is not positive (the matrix is not numerically positive definite).
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let (row_j, below) = a[j * n..].split_at_mut(n);
        let pivot = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if !(pivot > 0.0 && pivot.is_finite()) {
            return false;
        }
        let ljj = pivot.sqrt();
        row_j[j] = ljj;
        for row_i in below.chunks_exact_mut(n) {
            row_i[j] = (row_i[j] - dot(&row_i[..j], &row_j[..j])) / ljj;
        }
    }
    true
}

/// Solves `L L' x = b` in place (`b` becomes `x`), `L` from [`cholesky`].
fn substitute(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        b[i] = (b[i] - dot(row, &b[..i])) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

impl Solver for Newton {
    fn name(&self) -> &'static str {
        "newton"
    }

    fn needs_hessian(&self) -> bool {
        true
    }

    fn init(&mut self, dim: usize) {
        self.dim = dim;
        self.hess = vec![0.0; dim * dim];
        self.chol = vec![0.0; dim * dim];
        self.dir = vec![0.0; dim];
        self.rhs = vec![0.0; dim];
        self.resid = vec![0.0; dim];
        self.trial = vec![0.0; dim];
        self.trial_grad = vec![0.0; dim];
        self.shift = 0.0;
        self.next = vec![0.0; dim * dim];
        self.next_at = vec![0.0; dim];
        self.ready = false;
        self.last_from = None;
        self.fuses = false;
    }

    /// With the Hessian where one pass gives both: the first iteration needs it there.
    fn start(&mut self, problem: &Problem<'_>, x: &[f64], grad: &mut [f64]) -> (f64, usize) {
        if let Some(cost) = problem
            .hessian
            .and_then(|h| h.cost_grad_hessian(x, grad, &mut self.next))
        {
            self.next_at.copy_from_slice(x);
            (self.ready, self.fuses) = (true, true);
            return (cost, 1);
        }
        (problem.objective.cost_grad(x, grad), 0)
    }

    fn iterate(&mut self, problem: &Problem<'_>, it: Iterate<'_>) -> Outcome {
        let Some(hessian) = problem.hessian else {
            // The driver refuses this before the first iteration.
            return Outcome::Stalled {
                evaluations: 0,
                hessians: 0,
            };
        };
        // The Hessian that came with this point's cost, or a pass of its own.
        let reused = std::mem::take(&mut self.ready) && self.next_at.as_slice() == it.x;
        if reused {
            std::mem::swap(&mut self.hess, &mut self.next);
        } else {
            hessian.hessian(it.x, &mut self.hess);
        }
        let mut steepest = true;
        if self.factor() {
            for (r, g) in self.rhs.iter_mut().zip(it.grad) {
                *r = -g;
            }
            self.solve();
            steepest = !(dot(it.grad, &self.dir) < 0.0);
        }
        if steepest {
            steepest_direction(it.grad, &mut self.dir);
        }
        let from = Point {
            x: it.x,
            cost: it.cost,
            grad: it.grad,
        };
        let mut spent = 0;
        // The unit step's trial brings the Hessian along where a pass gives both, unless no
        // iteration will need it: the run's last, or a step that should end the run. Near
        // the minimum a full step squares the gradient's norm up to a factor `c`, which the
        // last full step measured (`g_k = c g_(k-1)^2`); predicted ten times below the
        // tolerance, the run is taken to stop there. (On `newton_cost`'s logistic
        // regression `c` was 1.7 to 1.9 over the last three steps, and the last step's
        // norm was predicted within 1 %, as in this module's test.) A wrong guess costs a
        // Hessian apart at the next iteration.
        let g = norm(it.grad);
        let ends = it.last
            || self
                .last_from
                .is_some_and(|g0| g / (g0 * g0) * g * g <= 0.1 * it.gtol);
        self.last_from = None;
        let ahead = WithHessian {
            objective: problem.objective,
            hessian,
            out: RefCell::new(&mut self.next),
            ask: Cell::new(!ends),
            fused: Cell::new(false),
        };
        let result = loop {
            let step = if steepest {
                first_step(norm(it.grad))
            } else {
                1.0
            };
            let objective: &dyn Objective = if steepest { problem.objective } else { &ahead };
            let r = self
                .search
                .search(objective, from, &self.dir, step, it.x_new, it.grad_new);
            match r {
                Err(SearchError::NoStep { evaluations }) if !steepest => {
                    spent += evaluations;
                    steepest = true;
                    steepest_direction(it.grad, &mut self.dir);
                }
                r => break r,
            }
        };
        let fused = ahead.fused.get();
        self.fuses |= fused;
        let hessians = usize::from(!reused) + usize::from(fused);
        if let Ok(s) = &result {
            if !steepest && s.step == 1.0 && self.shift == 0.0 {
                self.last_from = Some(g);
            }
        }
        match result {
            Ok(s) if fused && !steepest && s.step == 1.0 && s.evaluations == 1 => {
                // The first trial was taken: its Hessian serves the next iteration.
                self.next_at.copy_from_slice(it.x_new);
                self.ready = true;
                moved(&s, spent, hessians)
            }
            Ok(mut s) => {
                if !self.fuses && !steepest && s.step == 1.0 && self.shift == 0.0 {
                    let (cost, extra) =
                        self.correct(problem.objective, it.x_new, it.grad_new, s.cost);
                    s.cost = cost;
                    s.evaluations += extra;
                }
                moved(&s, spent, hessians)
            }
            Err(e) => gave_up(e, spent, hessians),
        }
    }
}

/// The objective, but its first evaluation (when `ask`) also writes the Hessian there into
/// `out`, in the same pass, where the [`Hessian`] has one ([`Hessian::cost_grad_hessian`];
/// `fused` then): the rest as the objective evaluates them.
struct WithHessian<'a> {
    objective: &'a dyn Objective,
    hessian: &'a dyn Hessian,
    out: RefCell<&'a mut Vec<f64>>,
    ask: Cell<bool>,
    fused: Cell<bool>,
}

impl Objective for WithHessian<'_> {
    fn dim(&self) -> usize {
        self.objective.dim()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        if self.ask.replace(false) {
            let mut out = self.out.borrow_mut();
            if let Some(cost) = self.hessian.cost_grad_hessian(params, grad, &mut out[..]) {
                self.fused.set(true);
                return cost;
            }
        }
        self.objective.cost_grad(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        self.objective.cost(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -1, 2] -> b = A x.
        let a = [4.0, 2.0, 0.0, 2.0, 5.0, 1.0, 0.0, 1.0, 3.0];
        let mut l = a;
        assert!(cholesky(&mut l, 3));
        let mut b = [2.0, -1.0, 5.0];
        substitute(&l, 3, &mut b);
        for (x, want) in b.iter().zip([1.0, -1.0, 2.0]) {
            assert!((x - want).abs() < 1e-15, "{b:?}");
        }
        // Indefinite: refused.
        let mut m = [1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut m, 2));
    }

    /// `f(x) = 1/2 x'Ax - b'x` with its exact gradient, and a Hessian 1e-3 off.
    struct Quadratic;
    const A: [f64; 4] = [4.0, 1.0, 1.0, 3.0];
    const B: [f64; 2] = [1.0, 2.0];

    impl Objective for Quadratic {
        fn dim(&self) -> usize {
            2
        }
        fn cost_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = A[0] * x[0] + A[1] * x[1] - B[0];
            g[1] = A[2] * x[0] + A[3] * x[1] - B[1];
            self.cost(x)
        }
        fn cost(&self, x: &[f64]) -> f64 {
            let ax = [A[0] * x[0] + A[1] * x[1], A[2] * x[0] + A[3] * x[1]];
            0.5 * (x[0] * ax[0] + x[1] * ax[1]) - B[0] * x[0] - B[1] * x[1]
        }
    }

    impl crate::objective::Hessian for Quadratic {
        fn hessian(&self, _x: &[f64], out: &mut [f64]) {
            for (o, a) in out.iter_mut().zip(A) {
                *o = a * (1.0 + 1e-3);
            }
        }
    }

    #[test]
    fn corrections_with_fresh_gradients_remove_the_hessians_error() {
        // The minimum: A x = b, x = [1/11, 7/11].
        let want = [1.0 / 11.0, 7.0 / 11.0];
        let config = crate::train::TrainConfig {
            max_epochs: 1,
            ..Default::default()
        };
        let problem = Problem::second_order(&Quadratic);
        let mut err = Vec::new();
        for refine in [0, 2, 4] {
            let mut n = Newton::new().refine(refine);
            let out = crate::solver::solve(
                &mut n,
                problem,
                vec![0.0; 2],
                &config,
                &mut crate::train::NoObserver,
            )
            .unwrap();
            let x = &out.report.params;
            err.push((x[0] - want[0]).abs().max((x[1] - want[1]).abs()));
            // One iteration, one Hessian, one evaluation per correction.
            assert_eq!(out.report.epochs, 1);
            assert_eq!(out.hessians, 1);
            assert_eq!(out.evaluations, 2 + refine, "refine {refine}");
        }
        // Each correction takes off a factor of about 1e-3.
        assert!(err[0] > 1e-4 && err[0] < 1e-3, "{err:?}");
        assert!(err[1] < 1e-9, "{err:?}");
        assert!(err[2] < 1e-15, "{err:?}");
    }

    #[test]
    fn indefinite_hessian_is_shifted_until_it_factors() {
        let mut n = Newton::new();
        n.init(2);
        n.hess.copy_from_slice(&[1.0, 0.0, 0.0, -2.0]);
        assert!(n.factor());
        // The shift makes the smallest eigenvalue positive, and is the smallest such of the
        // doubling sequence from 1e-3 * 2 + 2.
        assert!(
            n.last_shift() > 2.0 && n.last_shift() < 2.1,
            "{}",
            n.last_shift()
        );
        n.hess.copy_from_slice(&[1.0, f64::NAN, f64::NAN, 1.0]);
        assert!(!n.factor());
    }

    /// A logistic model whose fused pass is the trait's default, two passes (`fused`), or
    /// that has none, so that Newton corrects its steps instead.
    struct Apart<'a> {
        model: &'a crate::model::Linear<'a, crate::loss::LogLoss>,
        fused: bool,
    }

    impl crate::FiniteSum for Apart<'_> {
        fn n_rows(&self) -> usize {
            self.model.n_rows()
        }
        fn dim(&self) -> usize {
            self.model.dim()
        }
        fn accumulate(&self, p: &[f64], rows: crate::Rows<'_>, g: &mut [f64]) -> f64 {
            self.model.accumulate(p, rows, g)
        }
        fn loss_sum(&self, p: &[f64], rows: crate::Rows<'_>) -> f64 {
            self.model.loss_sum(p, rows)
        }
        fn penalty(&self, p: &[f64], g: &mut [f64]) -> f64 {
            self.model.penalty(p, g)
        }
        fn penalty_value(&self, p: &[f64]) -> f64 {
            self.model.penalty_value(p)
        }
        fn has_hessian(&self) -> bool {
            true
        }
        fn hessian_sum(&self, p: &[f64], rows: crate::Rows<'_>, out: &mut [f64]) {
            self.model.hessian_sum(p, rows, out)
        }
        fn penalty_hessian(&self, p: &[f64], out: &mut [f64]) {
            self.model.penalty_hessian(p, out)
        }
        fn fuses_hessian(&self) -> bool {
            self.fused
        }
    }

    #[test]
    fn hessians_that_come_with_the_cost_give_the_iterates_of_separate_passes() {
        use crate::objective::FullBatch;
        use crate::FiniteSum;
        // Logistic regression, 3,000 x 6, labels drawn from a logistic model (a fixed LCG).
        let (n, d) = (3000, 6);
        let mut state = 12345u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<f64> = (0..n * d).map(|_| 2.0 * uniform() - 1.0).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let z: f64 = (0..d).map(|j| x[i * d + j] * (j as f64 - 2.0)).sum::<f64>() + 0.5;
                f64::from(uniform() < 1.0 / (1.0 + (-z).exp()))
            })
            .collect();
        let x = crate::data::Matrix::from_row_major(n, d, x).unwrap();
        let penalty = crate::penalty::Penalty { l1: 0.0, l2: 1e-3 };
        let model = crate::model::Linear::new(&x, &y, crate::loss::LogLoss).penalty(penalty);
        let config = crate::train::TrainConfig {
            gtol: 1e-12,
            ..Default::default()
        };
        let fit = |p: &dyn FiniteSum| {
            let objective = FullBatch::new(p);
            let problem = Problem::with_hessian(&objective, &objective);
            let init = vec![0.0; d + 1];
            let mut newton = Newton::new();
            crate::solver::solve(
                &mut newton,
                problem,
                init,
                &config,
                &mut crate::train::NoObserver,
            )
            .unwrap()
        };
        let one = fit(&model);
        let two = fit(&Apart {
            model: &model,
            fused: true,
        });
        let corrected = fit(&Apart {
            model: &model,
            fused: false,
        });
        assert!(model.fuses_hessian() || !crate::numeric::vmath::has_avx2_fma());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.report.params), bits(&two.report.params));
        assert_eq!(one.report.cost.to_bits(), two.report.cost.to_bits());
        assert_eq!(
            (one.report.epochs, one.evaluations),
            (two.report.epochs, two.evaluations)
        );
        assert!(
            one.report.stop_reason.converged(),
            "{:?}",
            one.report.stop_reason
        );
        // Every step a unit step: one evaluation an iteration and one at the start, each
        // with the Hessian there but the last, whose norm the one before predicts
        // (3.1e-15 against a tolerance of 2.1e-13).
        let k = one.report.epochs;
        assert!(k >= 3, "{k} iterations");
        assert_eq!((one.evaluations, one.hessians), (k + 1, k));
        let norms: Vec<f64> = one
            .report
            .history
            .records()
            .iter()
            .map(|r| r.grad_norm)
            .collect();
        let (g0, g1, g2) = (norms[k - 2], norms[k - 1], norms[k]);
        let predicted = g1 / (g0 * g0) * g1 * g1;
        assert!(
            (predicted / g2 - 1.0).abs() < 0.05,
            "{predicted} against {g2}"
        );
        // With corrections instead: fewer iterations, more evaluations each, the same
        // minimum.
        assert!(corrected.report.epochs < k && corrected.evaluations > corrected.report.epochs + 1);
        assert_eq!(corrected.hessians, corrected.report.epochs);
        for (a, b) in one.report.params.iter().zip(&corrected.report.params) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} against {b}");
        }
    }
}

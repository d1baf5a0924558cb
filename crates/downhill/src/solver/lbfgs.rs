use super::{first_step, gave_up, moved, steepest_direction, Iterate, Outcome, Problem, Solver};
use crate::numeric::{axpy, dot, norm};
use crate::search::{LineSearch, Point, SearchError, StrongWolfe};

/// Limited-memory BFGS (Nocedal & Wright, algorithms 7.4 and 7.5): the direction is
/// `-H g`, where `H` approximates the inverse Hessian from the last `history` pairs
/// `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, applied by the two-loop recursion, starting from
/// `gamma I` with `gamma = s.y / y.y` of the newest pair. The line search is strong Wolfe
/// with `c2 = 0.9`, trying the unit step first.
///
/// A pair with `s.y <= 0` (no positive curvature, which the Wolfe conditions rule out but
/// rounding does not) is skipped. When the line search fails along `-H g`, the memory is
/// cleared and steepest descent is tried once.
#[derive(Debug, Clone)]
pub struct Lbfgs {
    history: usize,
    search: StrongWolfe,
    dim: usize,
    /// `history` vectors `s`, then `y`, each `dim` long, in a ring.
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    alpha: Vec<f64>,
    /// Pairs held and the slot the next one goes to.
    len: usize,
    next: usize,
    gamma: f64,
    dir: Vec<f64>,
}

impl Lbfgs {
    /// L-BFGS keeping `history` pairs (at least 1; 10 is the usual choice).
    pub fn new(history: usize) -> Self {
        Lbfgs {
            history: history.max(1),
            search: StrongWolfe::quasi_newton(),
            dim: 0,
            s: Vec::new(),
            y: Vec::new(),
            rho: Vec::new(),
            alpha: Vec::new(),
            len: 0,
            next: 0,
            gamma: 1.0,
            dir: Vec::new(),
        }
    }

    /// Replaces the line search's constants.
    pub fn with_search(mut self, search: StrongWolfe) -> Self {
        self.search = search;
        self
    }

    fn slot(&self, k: usize) -> std::ops::Range<usize> {
        k * self.dim..(k + 1) * self.dim
    }

    /// `dir = -H grad` by the two-loop recursion.
    fn two_loop(&mut self, grad: &[f64]) {
        let m = self.history;
        self.dir.copy_from_slice(grad);
        // Newest to oldest.
        for i in 0..self.len {
            let k = (self.next + m - 1 - i) % m;
            let r = self.slot(k);
            let a = self.rho[k] * dot(&self.s[r.clone()], &self.dir);
            self.alpha[k] = a;
            axpy(-a, &self.y[r], &mut self.dir);
        }
        self.dir.iter_mut().for_each(|d| *d *= self.gamma);
        // Oldest to newest.
        for i in (0..self.len).rev() {
            let k = (self.next + m - 1 - i) % m;
            let r = self.slot(k);
            let b = self.rho[k] * dot(&self.y[r.clone()], &self.dir);
            axpy(self.alpha[k] - b, &self.s[r], &mut self.dir);
        }
        self.dir.iter_mut().for_each(|d| *d = -*d);
    }

    /// Stores the pair of the step just taken, if its curvature is positive.
    fn remember(&mut self, x: &[f64], x_new: &[f64], grad: &[f64], grad_new: &[f64]) {
        let r = self.slot(self.next);
        for (((s, y), (a, b)), (g, h)) in self.s[r.clone()]
            .iter_mut()
            .zip(&mut self.y[r.clone()])
            .zip(x.iter().zip(x_new))
            .zip(grad.iter().zip(grad_new))
        {
            *s = b - a;
            *y = h - g;
        }
        let sy = dot(&self.s[r.clone()], &self.y[r.clone()]);
        let yy = dot(&self.y[r.clone()], &self.y[r]);
        if sy > 0.0 && yy > 0.0 && sy.is_finite() && yy.is_finite() {
            self.rho[self.next] = 1.0 / sy;
            self.gamma = sy / yy;
            self.next = (self.next + 1) % self.history;
            self.len = (self.len + 1).min(self.history);
        }
    }

    fn forget(&mut self) {
        self.len = 0;
        self.next = 0;
        self.gamma = 1.0;
    }
}

impl Solver for Lbfgs {
    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn init(&mut self, dim: usize) {
        self.dim = dim;
        self.s = vec![0.0; self.history * dim];
        self.y = vec![0.0; self.history * dim];
        self.rho = vec![0.0; self.history];
        self.alpha = vec![0.0; self.history];
        self.dir = vec![0.0; dim];
        self.forget();
    }

    fn iterate(&mut self, problem: &Problem<'_>, it: Iterate<'_>) -> Outcome {
        let mut steepest = self.len == 0;
        if !steepest {
            self.two_loop(it.grad);
            if !(dot(it.grad, &self.dir) < 0.0) {
                steepest = true;
            }
        }
        if steepest {
            self.forget();
            steepest_direction(it.grad, &mut self.dir);
        }
        let from = Point {
            x: it.x,
            cost: it.cost,
            grad: it.grad,
        };
        let mut spent = 0;
        let result = loop {
            // The quasi-Newton step is scaled: try 1. Steepest descent is not: move by ~1.
            let step = if steepest {
                first_step(norm(it.grad))
            } else {
                1.0
            };
            let r = self.search.search(
                problem.objective,
                from,
                &self.dir,
                step,
                it.x_new,
                it.grad_new,
            );
            match r {
                Err(SearchError::NoStep { evaluations }) if !steepest => {
                    spent += evaluations;
                    steepest = true;
                    self.forget();
                    steepest_direction(it.grad, &mut self.dir);
                }
                r => break r,
            }
        };
        match result {
            Ok(s) => {
                self.remember(it.x, it.x_new, it.grad, it.grad_new);
                moved(&s, spent, 0)
            }
            Err(e) => gave_up(e, spent, 0),
        }
    }
}

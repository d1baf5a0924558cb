use super::{first_step, gave_up, moved, steepest_direction, Iterate, Outcome, Problem, Solver};
use crate::numeric::{dot, norm};
use crate::search::{LineSearch, Point, SearchError, StrongWolfe};

/// How the next direction `d = -g + beta * d_prev` mixes in the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beta {
    /// Polak-Ribière+, `beta = max(0, g.(g - g_prev) / |g_prev|^2)`: restarts by itself when
    /// progress stalls (`beta` clipped at 0).
    PolakRibierePlus,
    /// Fletcher-Reeves, `beta = |g|^2 / |g_prev|^2`: globally convergent with a strong
    /// Wolfe search with `c2 < 1/2`, usually slower than Polak-Ribière+.
    FletcherReeves,
}

/// Nonlinear conjugate gradient with a strong Wolfe line search (`c2 = 0.1`).
///
/// Restarts with steepest descent every `restart` iterations (default: the number of
/// parameters), whenever the mixed direction is not a descent direction, and when the line
/// search fails along it. On a quadratic with exact line searches it would reach the minimum
/// in at most `dim` iterations.
///
/// The first trial step of each search follows Nocedal & Wright's eq. 3.60,
/// `a_prev * (g_prev . d_prev) / (g . d)`: the step that would repeat the last first-order
/// change in the cost.
#[derive(Debug, Clone)]
pub struct ConjugateGradient {
    beta: Beta,
    restart: Option<usize>,
    search: StrongWolfe,
    dir: Vec<f64>,
    grad_prev: Vec<f64>,
    /// Slope `g.d` and step of the last iteration.
    last: Option<(f64, f64)>,
    since_restart: usize,
}

impl ConjugateGradient {
    /// Conjugate gradient with this `beta`.
    pub fn new(beta: Beta) -> Self {
        ConjugateGradient {
            beta,
            restart: None,
            search: StrongWolfe::conjugate_gradient(),
            dir: Vec::new(),
            grad_prev: Vec::new(),
            last: None,
            since_restart: 0,
        }
    }

    /// Restart every `every` iterations (`None`: every `dim`; 0 counts as 1, i.e. steepest
    /// descent).
    pub fn restart(mut self, every: Option<usize>) -> Self {
        self.restart = every;
        self
    }

    /// Replaces the line search's constants.
    pub fn with_search(mut self, search: StrongWolfe) -> Self {
        self.search = search;
        self
    }

    /// Mixes the last direction into `-grad`; false when a restart is due instead.
    fn conjugate(&mut self, grad: &[f64]) -> bool {
        let period = self.restart.unwrap_or(self.dir.len()).max(1);
        if self.last.is_none() || self.since_restart >= period {
            return false;
        }
        let gg_prev = dot(&self.grad_prev, &self.grad_prev);
        let gg = dot(grad, grad);
        let beta = match self.beta {
            Beta::PolakRibierePlus => ((gg - dot(grad, &self.grad_prev)) / gg_prev).max(0.0),
            Beta::FletcherReeves => gg / gg_prev,
        };
        if !(beta > 0.0 && beta.is_finite()) {
            return false;
        }
        for (d, g) in self.dir.iter_mut().zip(grad) {
            *d = beta * *d - g;
        }
        dot(grad, &self.dir) < 0.0
    }
}

impl Solver for ConjugateGradient {
    fn name(&self) -> &'static str {
        match self.beta {
            Beta::PolakRibierePlus => "cg",
            Beta::FletcherReeves => "cg-fr",
        }
    }

    fn init(&mut self, dim: usize) {
        self.dir = vec![0.0; dim];
        self.grad_prev = vec![0.0; dim];
        self.last = None;
        self.since_restart = 0;
    }

    fn iterate(&mut self, problem: &Problem<'_>, it: Iterate<'_>) -> Outcome {
        let mut restarted = !self.conjugate(it.grad);
        if restarted {
            steepest_direction(it.grad, &mut self.dir);
        }
        let from = Point {
            x: it.x,
            cost: it.cost,
            grad: it.grad,
        };
        let mut spent = 0;
        let result = loop {
            let slope = dot(it.grad, &self.dir);
            let step = match self.last {
                Some((slope_prev, step_prev)) => step_prev * slope_prev / slope,
                None => first_step(norm(it.grad)),
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
                Err(SearchError::NoStep { evaluations }) if !restarted => {
                    // The conjugate direction led nowhere: try steepest descent once.
                    spent += evaluations;
                    restarted = true;
                    steepest_direction(it.grad, &mut self.dir);
                }
                r => break r.map(|s| (s, slope)),
            }
        };
        match result {
            Ok((s, slope)) => {
                if restarted {
                    self.since_restart = 0;
                }
                self.since_restart += 1;
                self.grad_prev.copy_from_slice(it.grad);
                self.last = Some((slope, s.step));
                moved(&s, spent, 0)
            }
            Err(e) => gave_up(e, spent, 0),
        }
    }
}

use super::{first_step, gave_up, moved, steepest_direction, Iterate, Outcome, Problem, Solver};
use crate::numeric::dot;
use crate::search::{LineSearch, Point};

/// Steepest descent with a line search: the direction is `-grad`, the step is whatever the
/// line search accepts along it (`--optimizer gd --line-search armijo|wolfe`).
///
/// The first trial step moves the parameters by about 1; later ones follow Nocedal &
/// Wright's eq. 3.60, `2 (f_k - f_{k-1}) / (g_k . d_k)`: the step that would repeat the last
/// decrease on a quadratic, so that even a search that only shrinks (Armijo) can lengthen
/// steps from one iteration to the next.
#[derive(Debug)]
pub struct Steepest {
    search: Box<dyn LineSearch>,
    dir: Vec<f64>,
    /// Cost before, and step of, the last iteration.
    last: Option<(f64, f64)>,
}

impl Steepest {
    /// Steepest descent with `search`.
    pub fn new(search: Box<dyn LineSearch>) -> Self {
        Steepest {
            search,
            dir: Vec::new(),
            last: None,
        }
    }
}

impl Solver for Steepest {
    fn name(&self) -> &'static str {
        match self.search.name() {
            "armijo" => "gd+armijo",
            "wolfe" => "gd+wolfe",
            _ => "gd+line-search",
        }
    }

    fn init(&mut self, dim: usize) {
        self.dir = vec![0.0; dim];
        self.last = None;
    }

    fn iterate(&mut self, problem: &Problem<'_>, it: Iterate<'_>) -> Outcome {
        steepest_direction(it.grad, &mut self.dir);
        let gg = dot(it.grad, it.grad);
        let step = match self.last {
            Some((cost_prev, step_prev)) => {
                let a = 2.0 * (cost_prev - it.cost) / gg;
                if a > 0.0 && a.is_finite() {
                    a
                } else {
                    step_prev
                }
            }
            None => first_step(gg.sqrt()),
        };
        let from = Point {
            x: it.x,
            cost: it.cost,
            grad: it.grad,
        };
        match self.search.search(
            problem.objective,
            from,
            &self.dir,
            step,
            it.x_new,
            it.grad_new,
        ) {
            Ok(s) => {
                self.last = Some((it.cost, s.step));
                moved(&s, 0, 0)
            }
            Err(e) => gave_up(e, 0, 0),
        }
    }
}

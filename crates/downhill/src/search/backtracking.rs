use super::{check_c1, initial_step, Line, LineSearch, LineStep, Point, Ray, SearchError};
use crate::{Error, Objective, Result};

/// Backtracking with the Armijo condition: try the initial step, multiply it by `shrink`
/// until `f(x + a d) <= f(x) + c1 a g.d`.
///
/// It never lengthens the step, so it suits methods whose natural step is known (Newton's 1)
/// or whose initial trial adapts from one iteration to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtracking {
    /// Sufficient-decrease constant, in (0, 1).
    pub c1: f64,
    /// Factor applied to a rejected step, in (0, 1).
    pub shrink: f64,
    /// Evaluations before giving up.
    pub max_evals: usize,
    /// Relative band within which a cost counts as flat and the slope decides (0: off). See
    /// the [module docs](super).
    pub flat_tol: f64,
}

impl Default for Backtracking {
    /// `c1 = 1e-4`, `shrink = 0.5`, 60 evaluations (2^-60 of the first step, below rounding).
    fn default() -> Self {
        Backtracking {
            c1: 1e-4,
            shrink: 0.5,
            max_evals: 60,
            flat_tol: super::FLAT_TOL,
        }
    }
}

impl Backtracking {
    /// A search with these constants; `0 < c1 < 1`, `0 < shrink < 1`.
    pub fn new(c1: f64, shrink: f64) -> Result<Self> {
        check_c1(c1)?;
        if !(shrink > 0.0 && shrink < 1.0) {
            return Err(Error::setting(
                "line search shrink factor",
                format!("{shrink} is not strictly between 0 and 1"),
            ));
        }
        Ok(Backtracking {
            c1,
            shrink,
            ..Backtracking::default()
        })
    }
}

impl LineSearch for Backtracking {
    fn name(&self) -> &'static str {
        "armijo"
    }

    fn search(
        &mut self,
        objective: &dyn Objective,
        from: Point<'_>,
        dir: &[f64],
        step: f64,
        x: &mut [f64],
        grad: &mut [f64],
    ) -> Result<LineStep, SearchError> {
        let line = Line::new(&from, dir, self.c1, self.flat_tol)?;
        let mut ray = Ray::new(objective, &from, dir, x, grad);
        let mut a = initial_step(step);
        while ray.evaluations < self.max_evals {
            let t = ray.at(a);
            if line.decrease(&t) {
                return Ok(line.accept(&t, ray.evaluations));
            }
            if ray.stuck() {
                break;
            }
            a *= self.shrink;
        }
        Err(SearchError::NoStep {
            evaluations: ray.evaluations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x) = x^4 - x: a steep start, so the first trials are rejected.
    struct Quartic;

    impl Objective for Quartic {
        fn dim(&self) -> usize {
            1
        }
        fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
            g[0] = 4.0 * p[0].powi(3) - 1.0;
            self.cost(p)
        }
        fn cost(&self, p: &[f64]) -> f64 {
            p[0].powi(4) - p[0]
        }
    }

    #[test]
    fn halves_until_sufficient_decrease() {
        // From x = 2: f = 14, g = 31; along d = -31 the first steps overshoot wildly.
        let x0 = [2.0];
        let g0 = [31.0];
        let from = Point {
            x: &x0,
            cost: 14.0,
            grad: &g0,
        };
        let (mut x, mut g) = ([0.0], [0.0]);
        let step = Backtracking::default()
            .search(&Quartic, from, &[-31.0], 1.0, &mut x, &mut g)
            .unwrap();
        // The accepted step is a power of two and the previous one (twice as long) failed.
        assert_eq!(step.step, 0.5f64.powi(step.evaluations as i32 - 1));
        assert!(step.evaluations > 1 && !step.approximate);
        assert!(step.cost <= 14.0 + 1e-4 * step.step * -(31.0 * 31.0));
        let longer = 2.0 - 2.0 * step.step * 31.0;
        assert!(Quartic.cost(&[longer]) > 14.0 + 1e-4 * 2.0 * step.step * -(31.0 * 31.0));
        // The buffers hold the accepted point and its gradient.
        assert_eq!(x[0], 2.0 - step.step * 31.0);
        assert_eq!(g[0], 4.0 * x[0].powi(3) - 1.0);
        assert_eq!(step.cost, Quartic.cost(&x));
    }

    #[test]
    fn bad_constants_are_refused() {
        assert!(Backtracking::new(0.0, 0.5).is_err());
        assert!(Backtracking::new(1e-4, 1.0).is_err());
        assert!(Backtracking::new(f64::NAN, 0.5).is_err());
        assert!(Backtracking::new(1e-4, 0.5).is_ok());
    }
}

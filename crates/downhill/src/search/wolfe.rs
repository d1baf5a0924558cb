use super::{check_c1, initial_step, Line, LineSearch, LineStep, Point, Ray, Sample, SearchError};
use crate::{Error, Objective, Result};

/// A line search satisfying the strong Wolfe conditions
///
/// - sufficient decrease: `f(x + a d) <= f(x) + c1 a g.d`,
/// - curvature: `|g(x + a d).d| <= c2 |g.d|`,
///
/// by Nocedal & Wright's bracketing phase (algorithm 3.5), which lengthens the step until it
/// brackets an acceptable one, and zoom (algorithm 3.6), which shrinks the bracket by
/// safeguarded cubic interpolation (bisection when the cubic's minimiser falls outside the
/// middle 80% of the bracket or does not exist).
///
/// `c2 = 0.9` suits quasi-Newton methods, whose unit step is usually accepted at once; `0.1`
/// suits conjugate gradient, which needs nearly exact minimisation along each direction.
#[derive(Debug, Clone, PartialEq)]
pub struct StrongWolfe {
    /// Sufficient-decrease constant.
    pub c1: f64,
    /// Curvature constant, `c1 < c2 < 1`.
    pub c2: f64,
    /// Evaluations before giving up.
    pub max_evals: usize,
    /// Relative band within which a cost counts as flat and slopes decide (0: off). See the
    /// [module docs](super).
    pub flat_tol: f64,
}

/// Extrapolation bounds of the bracketing phase, as multiples of the last step increase
/// (the bounds Moré & Thuente use): grow by at least 1.1 and at most 4 times it.
const EXTRAPOLATE_MIN: f64 = 1.1;
const EXTRAPOLATE_MAX: f64 = 4.0;

/// Interpolated trials must keep this fraction of the bracket's width from either end, so
/// that the bracket shrinks by a fixed factor.
const SAFEGUARD: f64 = 0.1;

impl Default for StrongWolfe {
    /// The quasi-Newton constants, `c1 = 1e-4`, `c2 = 0.9`.
    fn default() -> Self {
        StrongWolfe::quasi_newton()
    }
}

impl StrongWolfe {
    /// `c2` for quasi-Newton methods (L-BFGS).
    pub const C2_QUASI_NEWTON: f64 = 0.9;
    /// `c2` for conjugate gradient.
    pub const C2_CONJUGATE_GRADIENT: f64 = 0.1;

    /// A search with these constants; `0 < c1 < c2 < 1`.
    pub fn new(c1: f64, c2: f64) -> Result<Self> {
        check_c1(c1)?;
        if !(c2 > c1 && c2 < 1.0) {
            return Err(Error::setting(
                "line search c2",
                format!("{c2} is not strictly between c1 = {c1} and 1"),
            ));
        }
        Ok(StrongWolfe {
            c1,
            c2,
            max_evals: 40,
            flat_tol: super::FLAT_TOL,
        })
    }

    /// `c1 = 1e-4`, `c2 = 0.9`.
    pub fn quasi_newton() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: Self::C2_QUASI_NEWTON,
            max_evals: 40,
            flat_tol: super::FLAT_TOL,
        }
    }

    /// `c1 = 1e-4`, `c2 = 0.1`.
    pub fn conjugate_gradient() -> Self {
        StrongWolfe {
            c2: Self::C2_CONJUGATE_GRADIENT,
            ..StrongWolfe::quasi_newton()
        }
    }

    fn curvature(&self, line: &Line, t: &Sample) -> bool {
        t.s.abs() <= self.c2 * -line.s0
    }
}

impl LineSearch for StrongWolfe {
    fn name(&self) -> &'static str {
        "wolfe"
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
        let mut prev = Sample {
            a: 0.0,
            f: line.f0,
            s: line.s0,
        };
        let mut a = initial_step(step);
        // Algorithm 3.5: lengthen the step until [prev, a] brackets an acceptable one.
        let (lo, hi) = loop {
            if ray.evaluations >= self.max_evals {
                // Every trial so far went down steeply, each step 2.1 to 5 times the last:
                // Nocedal & Wright's step limit.
                return Err(if prev.a > 0.0 {
                    SearchError::Unbounded {
                        step: prev.a,
                        cost: prev.f,
                        evaluations: ray.evaluations,
                    }
                } else {
                    SearchError::NoStep {
                        evaluations: ray.evaluations,
                    }
                });
            }
            let t = ray.at(a);
            if !line.decrease(&t) || (prev.a > 0.0 && line.higher(&t, &prev)) {
                break (prev, t);
            }
            if self.curvature(&line, &t) {
                return Ok(line.accept(&t, ray.evaluations));
            }
            if t.s >= 0.0 {
                break (t, prev);
            }
            a = extrapolate(&prev, &t);
            prev = t;
        };
        self.zoom(&line, &mut ray, lo, hi)
    }
}

impl StrongWolfe {
    /// Algorithm 3.6. Invariants: `lo` satisfies sufficient decrease and is the lowest such
    /// trial so far; the slope at `lo` points towards `hi`, so an acceptable step lies between.
    fn zoom(
        &self,
        line: &Line,
        ray: &mut Ray<'_, '_>,
        mut lo: Sample,
        mut hi: Sample,
    ) -> Result<LineStep, SearchError> {
        while ray.evaluations < self.max_evals {
            let width = (hi.a - lo.a).abs();
            // The bracket has shrunk to rounding: no step in it can be told apart.
            if width <= f64::EPSILON * lo.a.abs().max(hi.a.abs()) {
                break;
            }
            let t = ray.at(interpolate(line, &lo, &hi));
            if !line.decrease(&t) || line.higher(&t, &lo) {
                hi = t;
            } else {
                if self.curvature(line, &t) {
                    return Ok(line.accept(&t, ray.evaluations));
                }
                if t.s * (hi.a - lo.a) >= 0.0 {
                    hi = lo;
                }
                lo = t;
            }
        }
        Err(SearchError::NoStep {
            evaluations: ray.evaluations,
        })
    }
}

/// The minimiser of the cubic that matches cost and slope at `p` and `q` (Nocedal & Wright
/// eq. 3.59), if it has one.
fn cubic_min(p: &Sample, q: &Sample) -> Option<f64> {
    let d1 = p.s + q.s - 3.0 * (p.f - q.f) / (p.a - q.a);
    let disc = d1 * d1 - p.s * q.s;
    if !(disc >= 0.0) {
        return None;
    }
    let d2 = (q.a - p.a).signum() * disc.sqrt();
    let t = q.a - (q.a - p.a) * (q.s + d2 - d1) / (q.s - p.s + 2.0 * d2);
    t.is_finite().then_some(t)
}

/// Where the slope interpolates to zero between `p` and `q` (exact on a quadratic, and free
/// of the cost values, which are noise on a flat stretch).
fn secant(p: &Sample, q: &Sample) -> Option<f64> {
    let t = p.a - p.s * (q.a - p.a) / (q.s - p.s);
    t.is_finite().then_some(t)
}

/// The next trial inside the bracket: cubic (secant on a flat stretch) interpolation, or
/// bisection when that lands too near an end or the upper end's values are not finite.
fn interpolate(line: &Line, lo: &Sample, hi: &Sample) -> f64 {
    let (left, right) = (lo.a.min(hi.a), lo.a.max(hi.a));
    let margin = SAFEGUARD * (right - left);
    let guess = if !(hi.f.is_finite() && hi.s.is_finite()) {
        None
    } else if line.flat(lo.f) && line.flat(hi.f) {
        secant(lo, hi)
    } else {
        cubic_min(lo, hi)
    };
    match guess {
        Some(t) if t >= left + margin && t <= right - margin => t,
        _ => left + 0.5 * (right - left),
    }
}

/// The next, longer, trial of the bracketing phase.
fn extrapolate(prev: &Sample, cur: &Sample) -> f64 {
    let grow = cur.a - prev.a;
    let (min, max) = (
        cur.a + EXTRAPOLATE_MIN * grow,
        cur.a + EXTRAPOLATE_MAX * grow,
    );
    match cubic_min(prev, cur) {
        Some(t) if t > cur.a => t.clamp(min, max),
        _ => max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(a: f64, phi: impl Fn(f64) -> (f64, f64)) -> Sample {
        let (f, s) = phi(a);
        Sample { a, f, s }
    }

    #[test]
    fn cubic_interpolation_is_exact_on_cubics_and_quadratics() {
        // phi(a) = (a - 1)^2: minimiser 1, from either side.
        let quad = |a: f64| ((a - 1.0).powi(2), 2.0 * (a - 1.0));
        let t = cubic_min(&sample(0.0, quad), &sample(3.0, quad)).unwrap();
        assert!((t - 1.0).abs() < 1e-15);
        let t = cubic_min(&sample(3.0, quad), &sample(0.5, quad)).unwrap();
        assert!((t - 1.0).abs() < 1e-15);
        // phi(a) = a^3 - 3a: local minimiser 1.
        let cubic = |a: f64| (a.powi(3) - 3.0 * a, 3.0 * a * a - 3.0);
        let t = cubic_min(&sample(0.0, cubic), &sample(2.0, cubic)).unwrap();
        assert!((t - 1.0).abs() < 1e-14);
        let t = secant(&sample(0.0, quad), &sample(4.0, quad)).unwrap();
        assert!((t - 1.0).abs() < 1e-15);
    }

    #[test]
    fn interpolation_is_safeguarded() {
        let line = Line {
            f0: 1.0,
            s0: -1.0,
            c1: 1e-4,
            flat_tol: 0.0,
        };
        // A cubic minimiser at 0.001 of a [0, 1] bracket is too near the end: bisect.
        let quad = |a: f64| ((a - 0.001).powi(2), 2.0 * (a - 0.001));
        let t = interpolate(&line, &sample(0.0, quad), &sample(1.0, quad));
        assert_eq!(t, 0.5);
        // A non-finite upper end: bisect.
        let inf = Sample {
            a: 2.0,
            f: f64::INFINITY,
            s: f64::NAN,
        };
        assert_eq!(interpolate(&line, &sample(0.0, quad), &inf), 1.0);
        // Extrapolation grows by 1.1 to 4 times the last increase.
        let down = |a: f64| (-a, -1.0);
        let e = extrapolate(&sample(0.0, down), &sample(1.0, down));
        assert!((2.1..=5.0).contains(&e));
    }

    #[test]
    fn bad_constants_are_refused() {
        assert!(StrongWolfe::new(1e-4, 1e-5).is_err());
        assert!(StrongWolfe::new(1e-4, 1.0).is_err());
        assert!(StrongWolfe::new(0.5, 0.5).is_err());
        assert_eq!(
            StrongWolfe::new(1e-4, 0.1),
            Ok(StrongWolfe::conjugate_gradient())
        );
    }
}

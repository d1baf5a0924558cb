//! The line searches satisfy their conditions at the steps they return, on quadratics,
//! Rosenbrock's function along various directions and a 1-D function with a known minimiser;
//! the returned point's cost and gradient are those of the last evaluation.

use downhill::numeric::dot;
use downhill::search::{Backtracking, LineSearch, LineStep, Point, SearchError, StrongWolfe};
use downhill::Objective;
use std::cell::Cell;

/// Counts `cost_grad` calls.
struct Counted<'a> {
    f: &'a dyn Objective,
    calls: Cell<usize>,
}

impl Objective for Counted<'_> {
    fn dim(&self) -> usize {
        self.f.dim()
    }
    fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
        self.calls.set(self.calls.get() + 1);
        self.f.cost_grad(p, g)
    }
    fn cost(&self, p: &[f64]) -> f64 {
        self.calls.set(self.calls.get() + 1);
        self.f.cost(p)
    }
}

/// `f(x) = 1/2 sum_i d_i x_i^2 - sum_i x_i`.
struct Quadratic(Vec<f64>);

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
        for ((gi, pi), di) in g.iter_mut().zip(p).zip(&self.0) {
            *gi = di * pi - 1.0;
        }
        self.cost(p)
    }
    fn cost(&self, p: &[f64]) -> f64 {
        p.iter()
            .zip(&self.0)
            .map(|(pi, di)| 0.5 * di * pi * pi - pi)
            .sum()
    }
}

/// `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`.
struct Rosenbrock;

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
        g[1] = 200.0 * (y - x * x);
        self.cost(p)
    }
    fn cost(&self, p: &[f64]) -> f64 {
        (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2)
    }
}

/// `f(x) = e^x - 2x`, minimised at `ln 2`.
struct ExpLinear;

impl Objective for ExpLinear {
    fn dim(&self) -> usize {
        1
    }
    fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
        g[0] = p[0].exp() - 2.0;
        self.cost(p)
    }
    fn cost(&self, p: &[f64]) -> f64 {
        p[0].exp() - 2.0 * p[0]
    }
}

/// A search from `x` along `dir`, checked: the step's bookkeeping is right, and it satisfies
/// sufficient decrease exactly. Returns the step and the slope at the start.
fn run(
    ls: &mut dyn LineSearch,
    f: &dyn Objective,
    x: &[f64],
    dir: &[f64],
    step: f64,
    c1: f64,
) -> (LineStep, f64) {
    let n = x.len();
    let mut g0 = vec![0.0; n];
    let f0 = f.cost_grad(x, &mut g0);
    let counted = Counted {
        f,
        calls: Cell::new(0),
    };
    let (mut xn, mut gn) = (vec![0.0; n], vec![0.0; n]);
    let from = Point {
        x,
        cost: f0,
        grad: &g0,
    };
    let s = ls
        .search(&counted, from, dir, step, &mut xn, &mut gn)
        .unwrap_or_else(|e| panic!("{}: {e} from {x:?} along {dir:?}", ls.name()));
    // One evaluation per trial, all counted, none after the accepted one.
    assert_eq!(s.evaluations, counted.calls.get());
    let expect: Vec<f64> = x.iter().zip(dir).map(|(x, d)| x + s.step * d).collect();
    assert_eq!(xn, expect);
    let mut g = vec![0.0; n];
    assert_eq!(s.cost, f.cost_grad(&xn, &mut g));
    assert_eq!(gn, g);
    assert_eq!(s.slope, dot(&g, dir));
    // Armijo at the step returned, exactly (these costs are far from flat).
    let slope0 = dot(&g0, dir);
    assert!(s.step > 0.0 && !s.approximate);
    assert!(
        s.cost <= f0 + c1 * s.step * slope0,
        "{}: no sufficient decrease at {} ({} vs {f0})",
        ls.name(),
        s.step,
        s.cost
    );
    (s, slope0)
}

/// A function, a starting point and a descent direction.
type Case = (Box<dyn Objective>, Vec<f64>, Vec<f64>);

/// Starting points and directions: steepest descent, coordinate directions (signed
/// downhill), and mixed ones.
fn cases() -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    let rosen_points = [[-1.2, 1.0], [0.0, 0.0], [2.0, 2.0], [1.5, -0.5], [0.9, 0.8]];
    let rosen_dirs = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -2.0], [-0.3, 1.0]];
    for p in rosen_points {
        let mut g = [0.0; 2];
        Rosenbrock.cost_grad(&p, &mut g);
        out.push((Box::new(Rosenbrock), p.to_vec(), vec![-g[0], -g[1]]));
        for d in rosen_dirs {
            if dot(&g, &d).abs() < 1e-3 {
                continue; // (nearly) orthogonal to the gradient: not a descent direction
            }
            let sign = -dot(&g, &d).signum();
            out.push((
                Box::new(Rosenbrock),
                p.to_vec(),
                vec![sign * d[0], sign * d[1]],
            ));
        }
    }
    // An ill-conditioned quadratic along the gradient and along a poorly scaled direction.
    let diag = vec![1.0, 10.0, 100.0, 1000.0, 1e4];
    let x = vec![0.5, -0.3, 0.2, 0.01, -1e-3];
    let mut g = vec![0.0; 5];
    Quadratic(diag.clone()).cost_grad(&x, &mut g);
    out.push((
        Box::new(Quadratic(diag.clone())),
        x.clone(),
        g.iter().map(|v| -v).collect(),
    ));
    out.push((Box::new(Quadratic(diag)), x, vec![1.0, 0.1, 0.0, 0.0, 0.0]));
    // 1-D, from either side of the minimiser.
    out.push((Box::new(ExpLinear), vec![-3.0], vec![1.0]));
    out.push((Box::new(ExpLinear), vec![4.0], vec![-1.0]));
    out
}

#[test]
fn armijo_holds_at_the_returned_step() {
    let mut ls = Backtracking::default();
    let c1 = ls.c1;
    let mut tested = 0;
    for (f, x, d) in cases() {
        for step in [1e-4, 1.0, 1e3] {
            let (s, _) = run(&mut ls, f.as_ref(), &x, &d, step, c1);
            // It only shrinks, by halves.
            let k = (step / s.step).log2();
            assert!(s.step <= step && (k - k.round()).abs() < 1e-9);
            assert_eq!(k.round() as usize + 1, s.evaluations);
            tested += 1;
        }
    }
    assert_eq!(tested, 3 * cases().len());
}

#[test]
fn strong_wolfe_holds_at_the_returned_step() {
    for wolfe in [
        StrongWolfe::quasi_newton(),
        StrongWolfe::conjugate_gradient(),
    ] {
        let mut ls = wolfe.clone();
        for (f, x, d) in cases() {
            // Too short, about right and far too long first trials.
            for step in [1e-6, 1e-2, 1.0, 1e4] {
                let (s, slope0) = run(&mut ls, f.as_ref(), &x, &d, step, wolfe.c1);
                assert!(
                    s.slope.abs() <= wolfe.c2 * slope0.abs(),
                    "curvature fails at {} from {x:?} along {d:?}: {} vs {slope0}",
                    s.step,
                    s.slope
                );
            }
        }
    }
}

#[test]
fn wolfe_with_a_small_c2_finds_the_known_minimiser() {
    // |phi'(a)| <= c2 |phi'(0)| with e^x - 2 near ln 2 means |x - ln 2| <~ c2 |phi'(0)| / 2.
    let mut ls = StrongWolfe::new(1e-10, 1e-8).unwrap();
    for (x0, d) in [(-3.0, 1.0), (0.0, 2.0), (4.0, -1.0), (1.0, -0.25)] {
        let (s, slope0) = run(&mut ls, &ExpLinear, &[x0], &[d], 1.0, 1e-10);
        let x = x0 + s.step * d;
        assert!(
            (x - 2f64.ln()).abs() <= 1e-8 * slope0.abs(),
            "{x} from {x0}"
        );
        // Safeguarded cubic interpolation gets there in a handful of evaluations.
        assert!(
            s.evaluations <= 12,
            "{} evaluations from {x0}",
            s.evaluations
        );
    }
}

#[test]
fn a_quadratic_is_minimised_exactly_by_one_interpolation() {
    // Along any direction a quadratic's line is a parabola: from a trial that overshoots, the
    // cubic through two points with slopes is the parabola itself. (At 5 times the exact
    // step, the minimiser is inside the safeguarded part of the bracket.)
    let f = Quadratic(vec![1.0, 10.0, 100.0]);
    let x = [1.0, 1.0, 1.0];
    let mut g = [0.0; 3];
    f.cost_grad(&x, &mut g);
    let d: Vec<f64> = g.iter().map(|v| -v).collect();
    let exact = dot(&g, &g) / g.iter().zip(&f.0).map(|(g, h)| h * g * g).sum::<f64>();
    let mut ls = StrongWolfe::new(1e-10, 1e-6).unwrap();
    let (s, _) = run(&mut ls, &f, &x, &d, 5.0 * exact, 1e-10);
    assert_eq!(s.evaluations, 2);
    assert!((s.step - exact).abs() < 1e-12 * exact);
}

#[test]
fn failures_are_reported_with_their_cost() {
    // Uphill direction (the gradient at the origin is (-2, 0)): refused.
    let x = [0.0, 0.0];
    let mut g = [0.0; 2];
    let f0 = Rosenbrock.cost_grad(&x, &mut g);
    let from = Point {
        x: &x,
        cost: f0,
        grad: &g,
    };
    let (mut xn, mut gn) = ([0.0; 2], [0.0; 2]);
    let r = Backtracking::default().search(&Rosenbrock, from, &[-1.0, 0.0], 1.0, &mut xn, &mut gn);
    assert_eq!(r, Err(SearchError::NotDescent { slope: 2.0 }));
    // A budget too small to bracket: no step, and the evaluations spent are counted.
    let mut ls = StrongWolfe {
        max_evals: 2,
        ..StrongWolfe::conjugate_gradient()
    };
    let r = ls.search(
        &ExpLinear,
        Point {
            x: &[-30.0],
            cost: (-30f64).exp() + 60.0,
            grad: &[(-30f64).exp() - 2.0],
        },
        &[1.0],
        1e-6,
        &mut [0.0],
        &mut [0.0],
    );
    assert!(matches!(r, Err(e) if e.evaluations() == 2), "{r:?}");
}

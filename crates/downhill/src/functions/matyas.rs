//! Matyas' function: a quadratic bowl, narrow along the diagonal (condition number 25).

use super::TestFunction;

/// `0.26*(x^2 + y^2) - 0.48*x*y`.
pub(super) const MATYAS: TestFunction = TestFunction {
    name: "matyas",
    description: "a quadratic bowl stretched along the diagonal (Matyas)",
    formula: "0.26*(x^2 + y^2) - 0.48*x*y",
    start: &[2.0, -1.0],
    minima: &[&[0.0, 0.0]],
    min_value: Some(0.0),
    gd_lr: 0.1,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    0.26 * (x * x + y * y) - 0.48 * x * y
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    g[0] = 0.52 * x - 0.48 * y;
    g[1] = 0.52 * y - 0.48 * x;
    cost(p)
}

//! Booth's function: a plain quadratic bowl, tilted; an easy first test.

use super::TestFunction;

/// `(x + 2*y - 7)^2 + (2*x + y - 5)^2`.
pub(super) const BOOTH: TestFunction = TestFunction {
    name: "booth",
    description: "a tilted quadratic bowl (Booth); easy",
    formula: "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
    start: &[0.0, 0.0],
    minima: &[&[1.0, 3.0]],
    min_value: Some(0.0),
    gd_lr: 0.1,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    let (a, b) = (p[0] + 2.0 * p[1] - 7.0, 2.0 * p[0] + p[1] - 5.0);
    a * a + b * b
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (a, b) = (p[0] + 2.0 * p[1] - 7.0, 2.0 * p[0] + p[1] - 5.0);
    g[0] = 2.0 * a + 4.0 * b;
    g[1] = 4.0 * a + 2.0 * b;
    a * a + b * b
}

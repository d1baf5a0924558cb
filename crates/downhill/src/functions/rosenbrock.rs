//! Rosenbrock's banana: a long, curved, flat-bottomed valley. Finding the valley is easy;
//! following it to the minimum is slow for plain gradient descent.

use super::TestFunction;

/// `(1-x)^2 + 100*(y-x^2)^2`.
pub(super) const ROSENBROCK: TestFunction = TestFunction {
    name: "rosenbrock",
    description: "a curved, flat-bottomed valley (Rosenbrock's banana); slow to follow",
    formula: "(1-x)^2 + 100*(y-x^2)^2",
    start: &[-1.2, 1.0],
    minima: &[&[1.0, 1.0]],
    min_value: Some(0.0),
    gd_lr: 0.001,
    gd_epochs: 100_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let (a, b) = (1.0 - x, y - x * x);
    a * a + 100.0 * b * b
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let (a, b) = (1.0 - x, y - x * x);
    g[0] = -2.0 * a - 400.0 * x * b;
    g[1] = 200.0 * b;
    a * a + 100.0 * b * b
}

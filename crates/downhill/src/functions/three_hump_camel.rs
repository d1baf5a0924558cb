//! The three-hump camel: a global minimum at the origin between two local ones.

use super::TestFunction;

/// `2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2`.
pub(super) const THREE_HUMP_CAMEL: TestFunction = TestFunction {
    name: "three-hump-camel",
    description: "a global minimum between two local ones (three-hump camel)",
    formula: "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
    start: &[0.5, -0.5],
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
    let x2 = x * x;
    2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let x2 = x * x;
    g[0] = 4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y;
    g[1] = x + 2.0 * y;
    cost(p)
}

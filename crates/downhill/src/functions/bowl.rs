//! An ill-conditioned bowl, `0.1*x^2 + 2*y^2` (condition number 20): plain gradient
//! descent zigzags across the steep `y` direction while it crawls along `x`.

use super::TestFunction;

/// `0.1*x^2 + 2*y^2`.
pub(super) const BOWL: TestFunction = TestFunction {
    name: "bowl",
    description: "an ill-conditioned quadratic bowl (condition number 20)",
    formula: "0.1*x^2 + 2*y^2",
    start: &[10.0, 1.0],
    minima: &[&[0.0, 0.0]],
    min_value: Some(0.0),
    gd_lr: 0.1,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    0.1 * p[0] * p[0] + 2.0 * p[1] * p[1]
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    g[0] = 0.2 * p[0];
    g[1] = 4.0 * p[1];
    cost(p)
}

//! A saddle, `x^2 - y^2`: no minimum, unbounded below along `y`. Gradient descent started
//! near the ridge `y = 0` first slides towards the saddle point, then away from it for ever.

use super::TestFunction;

/// `x^2 - y^2`.
pub(super) const SADDLE: TestFunction = TestFunction {
    name: "saddle",
    description: "a saddle, unbounded below: no minimum to find",
    formula: "x^2 - y^2",
    start: &[1.0, 1e-3],
    minima: &[],
    min_value: None,
    gd_lr: 0.1,
    gd_epochs: 10_000,
    unbounded_below: true,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    p[0] * p[0] - p[1] * p[1]
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    g[0] = 2.0 * p[0];
    g[1] = -2.0 * p[1];
    cost(p)
}

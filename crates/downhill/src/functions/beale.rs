//! Beale's function: flat plateaus and steep ridges near the corners of its usual domain.

use super::TestFunction;

/// `(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2`.
pub(super) const BEALE: TestFunction = TestFunction {
    name: "beale",
    description: "flat plateaus and steep ridges (Beale); minimum in a narrow valley",
    formula: "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    start: &[1.0, 1.0],
    minima: &[&[3.0, 0.5]],
    min_value: Some(0.0),
    gd_lr: 0.02,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

/// The three residuals.
fn terms(x: f64, y: f64) -> [f64; 3] {
    [
        1.5 - x + x * y,
        2.25 - x + x * y * y,
        2.625 - x + x * y * y * y,
    ]
}

fn cost(p: &[f64]) -> f64 {
    terms(p[0], p[1]).iter().map(|t| t * t).sum()
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let [t1, t2, t3] = terms(x, y);
    let y2 = y * y;
    g[0] = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y2 * y - 1.0));
    g[1] = 2.0 * x * (t1 + t2 * 2.0 * y + t3 * 3.0 * y2);
    t1 * t1 + t2 * t2 + t3 * t3
}

//! The Goldstein-Price function: values spanning six orders of magnitude and several local
//! minima; the global minimum is 3 at (0, -1).

use super::TestFunction;

/// `A * B` with `A = 1 + (x+y+1)^2 * q` and `B = 30 + (2x-3y)^2 * s`.
pub(super) const GOLDSTEIN_PRICE: TestFunction = TestFunction {
    name: "goldstein-price",
    description: "steep walls, values over six orders of magnitude, local minima (Goldstein-Price)",
    formula: "(1 + (x + y + 1)^2 * (19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2)) \
              * (30 + (2*x - 3*y)^2 * (18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))",
    start: &[0.5, -0.5],
    minima: &[&[0.0, -1.0]],
    min_value: Some(3.0),
    gd_lr: 1e-4,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

/// The two factors' pieces: `p = x+y+1`, `q`, `r = 2x-3y`, `s`.
fn parts(x: f64, y: f64) -> [f64; 4] {
    [
        x + y + 1.0,
        19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y,
        2.0 * x - 3.0 * y,
        18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y,
    ]
}

fn cost(p: &[f64]) -> f64 {
    let [p1, q, r, s] = parts(p[0], p[1]);
    (1.0 + p1 * p1 * q) * (30.0 + r * r * s)
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let [p1, q, r, s] = parts(x, y);
    let a = 1.0 + p1 * p1 * q;
    let b = 30.0 + r * r * s;
    // dq/dx = dq/dy = -14 + 6x + 6y; dp/dx = dp/dy = 1.
    let dq = -14.0 + 6.0 * x + 6.0 * y;
    let da = 2.0 * p1 * q + p1 * p1 * dq;
    let dsx = -32.0 + 24.0 * x - 36.0 * y;
    let dsy = 48.0 - 36.0 * x + 54.0 * y;
    let dbx = 4.0 * r * s + r * r * dsx;
    let dby = -6.0 * r * s + r * r * dsy;
    g[0] = da * b + a * dbx;
    g[1] = da * b + a * dby;
    a * b
}

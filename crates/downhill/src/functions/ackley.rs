//! Ackley's function (2-D): a nearly flat, bumpy plateau around a sharp cone-shaped hole.
//! Plain gradient descent from the usual start stops in a local minimum.

use super::TestFunction;
use std::f64::consts::{E, PI};

/// `-20*exp(-0.2*sqrt(0.5*(x^2+y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20`.
pub(super) const ACKLEY: TestFunction = TestFunction {
    name: "ackley",
    description: "a bumpy plateau around a sharp cone-shaped hole (Ackley)",
    formula: "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
    start: &[2.2, -1.3],
    minima: &[&[0.0, 0.0]],
    min_value: Some(0.0),
    gd_lr: 0.01,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

/// `r = sqrt(0.5*(x^2+y^2))` and the two exponentials.
fn parts(x: f64, y: f64) -> (f64, f64, f64) {
    let r = (0.5 * (x * x + y * y)).sqrt();
    let e1 = (-0.2 * r).exp();
    let e2 = (0.5 * ((2.0 * PI * x).cos() + (2.0 * PI * y).cos())).exp();
    (r, e1, e2)
}

fn cost(p: &[f64]) -> f64 {
    let (_, e1, e2) = parts(p[0], p[1]);
    -20.0 * e1 - e2 + E + 20.0
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let (r, e1, e2) = parts(x, y);
    // d/dx of -20 exp(-0.2 r) is 2 x exp(-0.2 r) / r. The cone's tip (r = 0) has no
    // derivative; 0 there is its minimum-norm subgradient, and the cosine term's gradient
    // vanishes there too.
    let cone = if r > 0.0 { 2.0 * e1 / r } else { 0.0 };
    g[0] = cone * x + PI * (2.0 * PI * x).sin() * e2;
    g[1] = cone * y + PI * (2.0 * PI * y).sin() * e2;
    -20.0 * e1 - e2 + E + 20.0
}

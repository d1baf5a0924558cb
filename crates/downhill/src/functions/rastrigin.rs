//! Rastrigin's function (2-D, A = 10): a bowl covered in a regular grid of local minima.
//! Plain gradient descent from the usual start stops in the local minimum nearest to it.

use super::TestFunction;
use std::f64::consts::PI;

/// `20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)`.
pub(super) const RASTRIGIN: TestFunction = TestFunction {
    name: "rastrigin",
    description: "a bowl covered in local minima (Rastrigin); local methods stop in one",
    formula: "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
    start: &[2.2, -1.3],
    minima: &[&[0.0, 0.0]],
    min_value: Some(0.0),
    gd_lr: 0.001,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

const A: f64 = 10.0;

fn cost(p: &[f64]) -> f64 {
    p.iter()
        .map(|&x| x * x - A * (2.0 * PI * x).cos())
        .sum::<f64>()
        + A * p.len() as f64
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    for (gi, &x) in g.iter_mut().zip(p) {
        *gi = 2.0 * x + 2.0 * PI * A * (2.0 * PI * x).sin();
    }
    cost(p)
}

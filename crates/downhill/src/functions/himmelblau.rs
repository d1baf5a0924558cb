//! Himmelblau's function: four global minima of value 0; which one a run finds depends on
//! where it starts.

use super::TestFunction;

/// `(x^2 + y - 11)^2 + (x + y^2 - 7)^2`. The three irrational minima were found by
/// Newton's method in 50-digit arithmetic and rounded to the nearest `f64`.
pub(super) const HIMMELBLAU: TestFunction = TestFunction {
    name: "himmelblau",
    description: "four global minima (Himmelblau); the start decides which one is found",
    formula: "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    start: &[0.0, 0.0],
    minima: &[
        &[3.0, 2.0],
        &[-2.805_118_086_952_745, 3.131_312_518_250_573],
        &[-3.779_310_253_377_747, -3.283_185_991_286_169_6],
        &[3.584_428_340_330_491_7, -1.848_126_526_964_403_6],
    ],
    min_value: Some(0.0),
    gd_lr: 0.01,
    gd_epochs: 10_000,
    unbounded_below: false,
    cost,
    cost_grad,
};

fn cost(p: &[f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
    a * a + b * b
}

fn cost_grad(p: &[f64], g: &mut [f64]) -> f64 {
    let (x, y) = (p[0], p[1]);
    let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
    g[0] = 4.0 * x * a + 2.0 * b;
    g[1] = 2.0 * a + 4.0 * y * b;
    a * a + b * b
}

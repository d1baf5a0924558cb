//! A formula typed by anyone: parsing never panics, and where it parses and is smooth and
//! finite at a point, the tape's reverse-mode gradient agrees with forward-mode dual numbers
//! over the parsed tree (`downhill::expr::dual`), to rounding.
#![no_main]

use arbitrary::Arbitrary;
use downhill::expr::dual::forward_gradient;
use downhill::expr::Formula;
use downhill::Objective;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// The point, as small fixed-point numbers: the interesting places of most formulas
    /// (0, 1, -1, between) are hit often, and no coordinate is NaN.
    point: [i16; 4],
    formula: String,
}

fuzz_target!(|input: Input| {
    let Ok(f) = Formula::parse(&input.formula) else {
        return;
    };
    let n = f.dim();
    let point: Vec<f64> = (0..n)
        .map(|k| f64::from(input.point[k % 4]) / 256.0 + 0.125 * (k / 4) as f64)
        .collect();
    let mut grad = vec![0.0; n];
    let value = f.cost_grad(&point, &mut grad);
    assert_eq!(
        value.to_bits(),
        f.eval(&point).to_bits(),
        "cost and cost_grad differ"
    );
    let dual = forward_gradient(&f, &point).expect("a formula that parsed parses again");
    if !dual.smooth || !value.is_finite() || dual.largest > 1e100 || dual.smallest < 1e-100 {
        return;
    }
    assert_eq!(value, dual.value, "{:?} at {point:?}", input.formula);
    for k in 0..n {
        let err = (grad[k] - dual.gradient[k]).abs();
        assert!(
            err <= 1e-9 * dual.magnitude[k] + 1e-280,
            "{:?} at {point:?}: d/d{} tape {} forward {} (magnitude {})",
            input.formula,
            f.vars()[k],
            grad[k],
            dual.gradient[k],
            dual.magnitude[k]
        );
    }
});

//! A second way to a formula's gradient, for checking the tape: forward-mode dual numbers
//! over the parsed tree, with no constant folding and no reverse sweep. Tests and the fuzzer
//! (`fuzz/fuzz_targets/formula.rs`) compare [`Formula`]'s gradient with it.
//!
//! Each node carries its value, its derivative along every parameter, and a bound on the
//! rounding of that derivative: the same sums taken over absolute values (`magnitude`). Two
//! correct gradients that add the same terms in different orders differ by a few ulps of
//! the magnitude, not of the gradient, which may cancel to nothing.

use super::ast::{BinOp, Func, Node};
use super::parser::parse;
use super::Formula;

/// The value and gradient of a formula at a point, by forward-mode differentiation.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardGradient {
    /// The value.
    pub value: f64,
    /// The derivative along each parameter, in [`Formula::vars`] order.
    pub gradient: Vec<f64>,
    /// For each derivative, the sum of the absolute values of its terms: rounding errors
    /// scale with it.
    pub magnitude: Vec<f64>,
    /// False where a non-smooth function is at its kink (`abs` at 0, a tie of `min` or
    /// `max`) or a value on the way is not finite: there the gradient is a convention.
    pub smooth: bool,
    /// The largest size of a value or derivative on the way: near the ends of the doubles,
    /// overflow and underflow in either sweep make the two gradients differ legitimately.
    pub largest: f64,
    /// The smallest size of a non-zero value on the way: dividing by it, or a chain of large
    /// partial derivatives above a zero, overflows in the reverse sweep (`inf * 0`) where the
    /// forward one sees only zeros.
    pub smallest: f64,
}

/// One node's value, derivatives and their magnitudes.
#[derive(Clone)]
struct Dual {
    v: f64,
    d: Vec<f64>,
    m: Vec<f64>,
    /// Whether the node depends on a parameter at all (a power with a constant exponent
    /// is differentiated as `c x^(c-1)`, as `x^2` must have a gradient at negative `x`).
    varying: bool,
}

/// `a^c` as the tape computes a constant power: small integer exponents by repeated
/// multiplication, so that both sides see the same values.
fn powc(a: f64, c: f64) -> f64 {
    if c.fract() == 0.0 && c.abs() <= 64.0 {
        a.powi(c as i32)
    } else {
        a.powf(c)
    }
}

/// The formula's value and gradient at `params` by forward-mode differentiation; `None` if
/// `params` does not have one value per variable.
#[doc(hidden)]
pub fn forward_gradient(formula: &Formula, params: &[f64]) -> Option<ForwardGradient> {
    let n = formula.vars().len();
    if params.len() != n {
        return None;
    }
    // The formula parsed once already, so it parses again.
    let ast = parse(formula.source()).ok()?;
    let slot: Vec<usize> = ast
        .vars
        .iter()
        .map(|v| formula.vars().iter().position(|name| *name == v.name))
        .collect::<Option<_>>()?;
    let mut smooth = true;
    let mut largest = 0.0f64;
    let mut smallest = f64::INFINITY;
    let mut nodes: Vec<Dual> = Vec::with_capacity(ast.nodes.len());
    let constant = |v: f64| Dual {
        v,
        d: vec![0.0; n],
        m: vec![0.0; n],
        varying: false,
    };
    // `a` scaled by the partial derivative `p`: the chain rule for one argument.
    let chain = |a: &Dual, v: f64, p: f64| Dual {
        v,
        d: a.d.iter().map(|d| p * d).collect(),
        m: a.m.iter().map(|m| p.abs() * m).collect(),
        varying: a.varying,
    };
    // `p` times `a` plus `q` times `b`: the chain rule for two arguments.
    let chain2 = |a: &Dual, b: &Dual, v: f64, p: f64, q: f64| Dual {
        v,
        d: a.d.iter().zip(&b.d).map(|(x, y)| p * x + q * y).collect(),
        m: a.m
            .iter()
            .zip(&b.m)
            .map(|(x, y)| p.abs() * x + q.abs() * y)
            .collect(),
        varying: a.varying || b.varying,
    };
    for node in &ast.nodes {
        let out = match *node {
            Node::Num(v) => constant(v),
            Node::Var(k) => {
                let mut d = constant(params[slot[k]]);
                d.d[slot[k]] = 1.0;
                d.m[slot[k]] = 1.0;
                d.varying = true;
                d
            }
            Node::Neg(a) => chain(&nodes[a], -nodes[a].v, -1.0),
            Node::Bin(op, a, b) => {
                let (x, y) = (&nodes[a], &nodes[b]);
                let (u, w) = (x.v, y.v);
                match op {
                    BinOp::Add => chain2(x, y, u + w, 1.0, 1.0),
                    BinOp::Sub => chain2(x, y, u - w, 1.0, -1.0),
                    BinOp::Mul => chain2(x, y, u * w, w, u),
                    BinOp::Div => {
                        let v = u / w;
                        chain2(x, y, v, 1.0 / w, -v / w)
                    }
                    BinOp::Pow if !y.varying && x.varying => {
                        // A constant exponent: x^0 is the constant 1.
                        let p = if w == 0.0 { 0.0 } else { w * powc(u, w - 1.0) };
                        chain(x, powc(u, w), p)
                    }
                    BinOp::Pow => {
                        let v = u.powf(w);
                        // d/dy x^y = x^y ln x, flat at x = 0 for y > 0.
                        let q = if u == 0.0 && w > 0.0 { 0.0 } else { v * u.ln() };
                        chain2(x, y, v, w * u.powf(w - 1.0), q)
                    }
                }
            }
            Node::Call1(f, a) => {
                let x = &nodes[a];
                let u = x.v;
                match f {
                    Func::Sqrt => {
                        let v = u.sqrt();
                        chain(x, v, 0.5 / v)
                    }
                    Func::Exp => chain(x, u.exp(), u.exp()),
                    Func::Ln => chain(x, u.ln(), 1.0 / u),
                    Func::Sin => chain(x, u.sin(), u.cos()),
                    Func::Cos => chain(x, u.cos(), -u.sin()),
                    Func::Tan => {
                        let v = u.tan();
                        chain(x, v, 1.0 + v * v)
                    }
                    Func::Tanh => {
                        let v = u.tanh();
                        chain(x, v, 1.0 - v * v)
                    }
                    Func::Abs => {
                        if u == 0.0 {
                            smooth = false;
                        }
                        chain(x, u.abs(), if u < 0.0 { -1.0 } else { 1.0 })
                    }
                    Func::Min | Func::Max => return None,
                }
            }
            Node::Call2(f, a, b) => {
                let (x, y) = (&nodes[a], &nodes[b]);
                if x.v == y.v || x.v.is_nan() || y.v.is_nan() {
                    smooth = false;
                }
                let first = match f {
                    Func::Min => x.v < y.v,
                    _ => x.v > y.v,
                };
                if first {
                    x.clone()
                } else {
                    y.clone()
                }
            }
        };
        if !out.v.is_finite() || out.d.iter().chain(&out.m).any(|d| !d.is_finite()) {
            smooth = false;
        }
        largest = out
            .m
            .iter()
            .fold(largest.max(out.v.abs()), |a, m| a.max(*m));
        if out.v != 0.0 {
            smallest = smallest.min(out.v.abs());
        }
        nodes.push(out);
    }
    let root = nodes.pop()?;
    Some(ForwardGradient {
        value: root.v,
        gradient: root.d,
        magnitude: root.m,
        smooth,
        largest,
        smallest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Objective;

    /// The tape and the dual numbers agree on the README's formulas at a few points.
    #[test]
    fn forward_and_reverse_mode_agree() {
        let formulas = [
            "(1-x)^2 + 100*(y-x^2)^2",
            "(a-2)^2 + 3*(b+1)^2",
            "sin(x) * cos(y) + 0.1*(x^2 + y^2)",
            "x^y + exp(-x*y) / (1 + tanh(y)^2) - ln(sqrt(x^2 + 1)) + tan(x/7)",
            "max(x, y)^3 - min(2*x, abs(y)) + 2^x",
        ];
        for src in formulas {
            let f = Formula::parse(src).unwrap();
            for point in [[0.3, -1.7], [1.5, 2.25], [-0.8, 0.4]] {
                let mut g = [0.0; 2];
                let value = f.cost_grad(&point, &mut g);
                let dual = forward_gradient(&f, &point).unwrap();
                if !dual.smooth {
                    continue;
                }
                assert_eq!(value.to_bits(), dual.value.to_bits(), "{src} at {point:?}");
                for k in 0..2 {
                    let err = (g[k] - dual.gradient[k]).abs();
                    assert!(
                        err <= 1e-12 * dual.magnitude[k],
                        "{src} at {point:?}: {g:?} vs {dual:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn kinks_are_flagged() {
        let f = Formula::parse("abs(x) + max(x, y)").unwrap();
        assert!(!forward_gradient(&f, &[0.0, 1.0]).unwrap().smooth);
        assert!(!forward_gradient(&f, &[1.0, 1.0]).unwrap().smooth);
        assert!(forward_gradient(&f, &[1.0, 2.0]).unwrap().smooth);
        assert_eq!(forward_gradient(&f, &[1.0]), None);
    }

    /// Where the reverse sweep meets `inf * 0` (large partials above a zero), the forward
    /// sweep sees only zeros; the sizes on the way say so.
    #[test]
    fn extreme_sizes_are_reported() {
        let f = Formula::parse("(0*x)/1e-200/1e-200").unwrap();
        let mut g = [0.0];
        f.cost_grad(&[0.0], &mut g);
        assert!(g[0].is_nan());
        let dual = forward_gradient(&f, &[0.0]).unwrap();
        assert_eq!(dual.gradient, [0.0]);
        assert_eq!(dual.smallest, 1e-200);
        let f = Formula::parse("exp(x)*1e300").unwrap();
        assert!(forward_gradient(&f, &[1.0]).unwrap().largest >= 1e300);
    }
}

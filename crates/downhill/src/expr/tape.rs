//! The compiled formula: a flat list of operations in evaluation order (a Wengert list).
//! The forward sweep fills one value slot per operation; the reverse sweep walks the list
//! backwards and accumulates adjoints, which is reverse-mode automatic differentiation:
//! the whole gradient costs a small constant times one evaluation, and it is exact up to
//! rounding.
//!
//! Sub-expressions without variables are folded into constants when compiling, and a power
//! with a constant exponent becomes [`Op::PowConst`], whose derivative does not involve
//! `ln(base)` (so `x^2` has a finite gradient at negative `x`).

use super::ast::{Ast, BinOp, Func, Node};

/// One operation; `usize` fields are slots of earlier operations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Const(f64),
    /// Parameter `k`.
    Var(usize),
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    /// Base and exponent both vary.
    Pow(usize, usize),
    /// A constant exponent.
    PowConst(usize, f64),
    Sqrt(usize),
    Exp(usize),
    Ln(usize),
    Sin(usize),
    Cos(usize),
    Tan(usize),
    Tanh(usize),
    Abs(usize),
    Min(usize, usize),
    Max(usize, usize),
}

/// `a^c`; small integer exponents by repeated multiplication, which is exact for squares.
fn powc(a: f64, c: f64) -> f64 {
    if c.fract() == 0.0 && c.abs() <= 64.0 {
        a.powi(c as i32)
    } else {
        a.powf(c)
    }
}

/// The smaller of two values; unlike `f64::min`, a NaN (a domain error upstream) wins.
fn min_nan(a: f64, b: f64) -> f64 {
    if a <= b {
        a
    } else if b < a {
        b
    } else {
        f64::NAN
    }
}

fn max_nan(a: f64, b: f64) -> f64 {
    if a >= b {
        a
    } else if b > a {
        b
    } else {
        f64::NAN
    }
}

impl Op {
    /// The slots this operation reads.
    fn args(&self) -> [Option<usize>; 2] {
        use Op::*;
        match *self {
            Const(_) | Var(_) => [None, None],
            Neg(a)
            | PowConst(a, _)
            | Sqrt(a)
            | Exp(a)
            | Ln(a)
            | Sin(a)
            | Cos(a)
            | Tan(a)
            | Tanh(a)
            | Abs(a) => [Some(a), None],
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | Pow(a, b) | Min(a, b) | Max(a, b) => {
                [Some(a), Some(b)]
            }
        }
    }

    /// The same operation reading slots renumbered by `map`.
    fn remap(&self, map: &[usize]) -> Op {
        use Op::*;
        let m = |i: usize| map[i];
        match *self {
            Const(v) => Const(v),
            Var(k) => Var(k),
            Neg(a) => Neg(m(a)),
            Add(a, b) => Add(m(a), m(b)),
            Sub(a, b) => Sub(m(a), m(b)),
            Mul(a, b) => Mul(m(a), m(b)),
            Div(a, b) => Div(m(a), m(b)),
            Pow(a, b) => Pow(m(a), m(b)),
            PowConst(a, c) => PowConst(m(a), c),
            Sqrt(a) => Sqrt(m(a)),
            Exp(a) => Exp(m(a)),
            Ln(a) => Ln(m(a)),
            Sin(a) => Sin(m(a)),
            Cos(a) => Cos(m(a)),
            Tan(a) => Tan(m(a)),
            Tanh(a) => Tanh(m(a)),
            Abs(a) => Abs(m(a)),
            Min(a, b) => Min(m(a), m(b)),
            Max(a, b) => Max(m(a), m(b)),
        }
    }

    /// The value, given the values of earlier slots.
    #[inline]
    fn value(&self, vals: &[f64], params: &[f64]) -> f64 {
        use Op::*;
        match *self {
            Const(v) => v,
            Var(k) => params[k],
            Neg(a) => -vals[a],
            Add(a, b) => vals[a] + vals[b],
            Sub(a, b) => vals[a] - vals[b],
            Mul(a, b) => vals[a] * vals[b],
            Div(a, b) => vals[a] / vals[b],
            Pow(a, b) => vals[a].powf(vals[b]),
            PowConst(a, c) => powc(vals[a], c),
            Sqrt(a) => vals[a].sqrt(),
            Exp(a) => vals[a].exp(),
            Ln(a) => vals[a].ln(),
            Sin(a) => vals[a].sin(),
            Cos(a) => vals[a].cos(),
            Tan(a) => vals[a].tan(),
            Tanh(a) => vals[a].tanh(),
            Abs(a) => vals[a].abs(),
            Min(a, b) => min_nan(vals[a], vals[b]),
            Max(a, b) => max_nan(vals[a], vals[b]),
        }
    }
}

/// The operation of function `f` on slots `a` (and `b` for two arguments).
fn call(f: Func, a: usize, b: usize) -> Op {
    match f {
        Func::Sqrt => Op::Sqrt(a),
        Func::Exp => Op::Exp(a),
        Func::Ln => Op::Ln(a),
        Func::Sin => Op::Sin(a),
        Func::Cos => Op::Cos(a),
        Func::Tan => Op::Tan(a),
        Func::Tanh => Op::Tanh(a),
        Func::Abs => Op::Abs(a),
        Func::Min => Op::Min(a, b),
        Func::Max => Op::Max(a, b),
    }
}

/// A compiled formula.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tape {
    ops: Vec<Op>,
}

impl Tape {
    /// Compiles `ast`; `var_slot[k]` is the parameter index of the `k`-th variable of the
    /// formula (in order of first appearance).
    pub(crate) fn compile(ast: &Ast, var_slot: &[usize]) -> Tape {
        let n = ast.nodes.len();
        // Pass 1, in order: translate, and fold what does not depend on a variable.
        let mut ops = Vec::with_capacity(n);
        let mut is_const = vec![false; n];
        let mut vals = vec![0.0; n];
        for (i, node) in ast.nodes.iter().enumerate() {
            let mut op = match *node {
                Node::Num(v) => Op::Const(v),
                Node::Var(k) => Op::Var(var_slot[k]),
                Node::Neg(a) => Op::Neg(a),
                Node::Bin(op, a, b) => match op {
                    BinOp::Add => Op::Add(a, b),
                    BinOp::Sub => Op::Sub(a, b),
                    BinOp::Mul => Op::Mul(a, b),
                    BinOp::Div => Op::Div(a, b),
                    BinOp::Pow => Op::Pow(a, b),
                },
                Node::Call1(f, a) => call(f, a, a),
                Node::Call2(f, a, b) => call(f, a, b),
            };
            if let Op::Pow(a, b) = op {
                if is_const[b] && !is_const[a] {
                    op = Op::PowConst(a, vals[b]);
                }
            }
            is_const[i] = match op {
                Op::Const(_) => true,
                Op::Var(_) => false,
                _ => op.args().iter().flatten().all(|&c| is_const[c]),
            };
            if is_const[i] {
                vals[i] = op.value(&vals, &[]);
                op = Op::Const(vals[i]);
            }
            ops.push(op);
        }
        // Pass 2, backwards: keep only what the root reads (folded sub-trees drop out).
        let mut needed = vec![false; n];
        if let Some(last) = needed.last_mut() {
            *last = true;
        }
        for i in (0..n).rev() {
            if needed[i] {
                for c in ops[i].args().into_iter().flatten() {
                    needed[c] = true;
                }
            }
        }
        // Pass 3, in order: renumber.
        let mut map = vec![0; n];
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if needed[i] {
                map[i] = out.len();
                out.push(ops[i].remap(&map));
            }
        }
        Tape { ops: out }
    }

    /// Number of operations (the size of the scratch buffers).
    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }

    /// Forward sweep: fills `vals` (one slot per operation) and returns the value.
    pub(crate) fn forward(&self, params: &[f64], vals: &mut [f64]) -> f64 {
        debug_assert_eq!(vals.len(), self.ops.len());
        for (i, op) in self.ops.iter().enumerate() {
            vals[i] = op.value(vals, params);
        }
        vals.last().copied().unwrap_or(f64::NAN)
    }

    /// Reverse sweep after [`Tape::forward`] filled `vals`: the gradient overwrites `grad`.
    ///
    /// Where a function has no derivative the result follows the formulas below, so it may
    /// be infinite or NaN (e.g. `sqrt` at 0). Conventions at kinks: `abs'(0) = 0`, and
    /// `min`/`max` pass the whole gradient to the first argument on ties.
    pub(crate) fn backward(&self, vals: &[f64], adj: &mut [f64], grad: &mut [f64]) {
        use Op::*;
        grad.fill(0.0);
        adj.fill(0.0);
        let Some(last) = adj.last_mut() else {
            return;
        };
        *last = 1.0;
        for (i, op) in self.ops.iter().enumerate().rev() {
            let g = adj[i];
            let v = vals[i];
            match *op {
                Const(_) => {}
                Var(k) => grad[k] += g,
                Neg(a) => adj[a] -= g,
                Add(a, b) => {
                    adj[a] += g;
                    adj[b] += g;
                }
                Sub(a, b) => {
                    adj[a] += g;
                    adj[b] -= g;
                }
                Mul(a, b) => {
                    adj[a] += g * vals[b];
                    adj[b] += g * vals[a];
                }
                Div(a, b) => {
                    adj[a] += g / vals[b];
                    adj[b] -= g * v / vals[b];
                }
                Pow(a, b) => {
                    let (x, y) = (vals[a], vals[b]);
                    adj[a] += g * y * x.powf(y - 1.0);
                    // d/dy x^y = x^y ln x; at x = 0 the power is flat (0) for y > 0, where
                    // 0 * ln 0 would give NaN.
                    adj[b] += if x == 0.0 && y > 0.0 {
                        0.0
                    } else {
                        g * v * x.ln()
                    };
                }
                PowConst(a, c) => {
                    // `c * x^(c-1)` would be `0 * inf` at x = 0 for c = 0.
                    if c != 0.0 {
                        adj[a] += g * c * powc(vals[a], c - 1.0);
                    }
                }
                Sqrt(a) => adj[a] += g * 0.5 / v,
                Exp(a) => adj[a] += g * v,
                Ln(a) => adj[a] += g / vals[a],
                Sin(a) => adj[a] += g * vals[a].cos(),
                Cos(a) => adj[a] -= g * vals[a].sin(),
                Tan(a) => adj[a] += g * (1.0 + v * v),
                Tanh(a) => adj[a] += g * (1.0 - v * v),
                Abs(a) => {
                    let x = vals[a];
                    adj[a] += if x == 0.0 { 0.0 } else { g * x.signum() };
                }
                Min(a, b) | Max(a, b) => {
                    // Ties go to the first argument; a NaN result poisons both.
                    if v == vals[a] {
                        adj[a] += g;
                    } else if v == vals[b] {
                        adj[b] += g;
                    } else {
                        adj[a] = f64::NAN;
                        adj[b] = f64::NAN;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse;
    use super::*;

    fn tape(src: &str) -> Tape {
        let ast = parse(src).unwrap();
        let slots: Vec<usize> = (0..ast.vars.len()).collect();
        Tape::compile(&ast, &slots)
    }

    #[test]
    fn constants_are_folded() {
        assert_eq!(tape("2*pi*3 + 1").ops.len(), 1);
        let t = tape("x^(1+1)");
        assert_eq!(t.ops, vec![Op::Var(0), Op::PowConst(0, 2.0)]);
        let t = tape("x * (2^3)");
        assert_eq!(t.ops, vec![Op::Var(0), Op::Const(8.0), Op::Mul(0, 1)]);
    }

    #[test]
    fn repeated_variable_gets_every_contribution() {
        // x*x: d/dx = 2x.
        let t = tape("x*x");
        let mut vals = vec![0.0; t.len()];
        let mut adj = vec![0.0; t.len()];
        let mut grad = [7.0];
        assert_eq!(t.forward(&[3.0], &mut vals), 9.0);
        t.backward(&vals, &mut adj, &mut grad);
        assert_eq!(grad, [6.0]);
    }

    #[test]
    fn square_of_a_negative_has_a_finite_gradient() {
        let t = tape("x^2");
        let mut vals = vec![0.0; t.len()];
        let mut adj = vec![0.0; t.len()];
        let mut grad = [0.0];
        assert_eq!(t.forward(&[-3.0], &mut vals), 9.0);
        t.backward(&vals, &mut adj, &mut grad);
        assert_eq!(grad, [-6.0]);
    }

    #[test]
    fn kinks_follow_the_documented_conventions() {
        let t = tape("abs(x) + max(x, y)");
        let mut vals = vec![0.0; t.len()];
        let mut adj = vec![0.0; t.len()];
        let mut grad = [0.0; 2];
        t.forward(&[0.0, 0.0], &mut vals);
        t.backward(&vals, &mut adj, &mut grad);
        assert_eq!(grad, [1.0, 0.0]);
    }

    #[test]
    fn nan_wins_in_min_and_max() {
        assert!(min_nan(f64::NAN, 1.0).is_nan());
        assert!(min_nan(1.0, f64::NAN).is_nan());
        assert!(max_nan(f64::NAN, 1.0).is_nan());
        assert_eq!(min_nan(1.0, 2.0), 1.0);
        assert_eq!(max_nan(1.0, 2.0), 2.0);
    }
}

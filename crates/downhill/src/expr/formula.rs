//! [`Formula`]: a parsed, compiled formula that is an [`Objective`].

use super::parser::parse;
use super::tape::Tape;
use super::vars::resolve;
use super::ExprError;
use crate::Objective;
use std::cell::RefCell;
use std::fmt;

/// A formula typed by a user, compiled to a tape, with an exact gradient by reverse-mode
/// automatic differentiation. See the [module documentation](super) for the syntax.
///
/// ```
/// use downhill::expr::Formula;
/// use downhill::Objective;
///
/// let f = Formula::parse("(1-x)^2 + 100*(y-x^2)^2").unwrap();
/// assert_eq!(f.vars(), ["x", "y"]);
/// let mut grad = [0.0; 2];
/// let cost = f.cost_grad(&[1.0, 1.0], &mut grad);
/// assert_eq!((cost, grad), (0.0, [0.0, 0.0]));
/// ```
///
/// Evaluation does not allocate: the value and adjoint slots live in a buffer inside the
/// formula (a `RefCell`, as [`Objective`] takes `&self`), so a `Formula` is `Send` but not
/// `Sync`; clone it to use it on several threads.
#[derive(Clone)]
pub struct Formula {
    source: String,
    vars: Vec<String>,
    tape: Tape,
    scratch: RefCell<Scratch>,
}

/// Value and adjoint slots, one per operation of the tape.
#[derive(Debug, Clone)]
struct Scratch {
    vals: Vec<f64>,
    adj: Vec<f64>,
}

impl Formula {
    /// Parses and compiles `src`. Its variables become the parameters, sorted by name
    /// (alphabetically, with digit runs compared as numbers: `x2` before `x10`).
    pub fn parse(src: &str) -> Result<Formula, ExprError> {
        Self::build(src, None::<&[&str]>)
    }

    /// Parses and compiles `src` with the parameters in the order `vars`, e.g.
    /// `&["y", "x"]`. A name of `vars` that the formula does not use is a parameter the
    /// cost does not depend on (its gradient is 0); a variable of the formula that `vars`
    /// does not list is an error, as are duplicates and names that are functions or
    /// constants.
    pub fn parse_with_vars<S: AsRef<str>>(src: &str, vars: &[S]) -> Result<Formula, ExprError> {
        Self::build(src, Some(vars))
    }

    fn build<S: AsRef<str>>(src: &str, order: Option<&[S]>) -> Result<Formula, ExprError> {
        let ast = parse(src)?;
        let (vars, slots) = resolve(&ast.vars, order)?;
        let tape = Tape::compile(&ast, &slots);
        let n = tape.len();
        Ok(Formula {
            source: src.to_owned(),
            vars,
            tape,
            scratch: RefCell::new(Scratch {
                vals: vec![0.0; n],
                adj: vec![0.0; n],
            }),
        })
    }

    /// The parameter names, in parameter order.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }

    /// The formula as typed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value at `params` (the same as [`Objective::cost`]).
    pub fn eval(&self, params: &[f64]) -> f64 {
        self.cost(params)
    }
}

impl Objective for Formula {
    fn dim(&self) -> usize {
        self.vars.len()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        debug_assert_eq!(params.len(), self.vars.len());
        debug_assert_eq!(grad.len(), self.vars.len());
        let mut s = self.scratch.borrow_mut();
        let Scratch { vals, adj } = &mut *s;
        let cost = self.tape.forward(params, vals);
        self.tape.backward(vals, adj, grad);
        cost
    }

    fn cost(&self, params: &[f64]) -> f64 {
        debug_assert_eq!(params.len(), self.vars.len());
        let mut s = self.scratch.borrow_mut();
        self.tape.forward(params, &mut s.vals)
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Formula")
            .field("source", &self.source)
            .field("vars", &self.vars)
            .field("ops", &self.tape.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_listed_variable_has_zero_gradient() {
        let f = Formula::parse_with_vars("x^2", &["x", "unused"]).unwrap();
        assert_eq!(f.dim(), 2);
        let mut g = [9.0, 9.0];
        assert_eq!(f.cost_grad(&[3.0, 5.0], &mut g), 9.0);
        assert_eq!(g, [6.0, 0.0]);
    }

    #[test]
    fn constant_formula_has_no_parameters() {
        let f = Formula::parse("2*pi").unwrap();
        assert_eq!(f.dim(), 0);
        assert_eq!(f.cost_grad(&[], &mut []), 2.0 * std::f64::consts::PI);
    }

    #[test]
    fn evaluations_reuse_the_scratch() {
        let f = Formula::parse("x*y + sin(x)").unwrap();
        let mut g = [0.0; 2];
        let a = f.cost_grad(&[1.0, 2.0], &mut g);
        let b = f.cost_grad(&[1.0, 2.0], &mut g);
        assert_eq!(a, b);
        assert_eq!(g, [2.0 + 1f64.cos(), 1.0]);
        assert_eq!(f.eval(&[0.0, 3.0]), 0.0);
    }
}

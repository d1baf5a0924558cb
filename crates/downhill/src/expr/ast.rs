//! The parsed formula: a tree stored flat in an arena, children before parents.
//!
//! Flat storage matters: a formula such as `x+x+...+x` with a hundred thousand terms is a
//! tree that deep, and a tree of boxes would overflow the stack when dropped or walked
//! recursively. Here every pass is a loop over a vector.

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Sqrt,
    Exp,
    Ln,
    Sin,
    Cos,
    Tan,
    Tanh,
    Abs,
    Min,
    Max,
}

/// The names users may call, in the order error messages list them. `log` is the natural
/// logarithm, as in NumPy and C; `ln` is the same function.
pub const FUNCTION_NAMES: &[&str] = &[
    "sqrt", "exp", "ln", "log", "sin", "cos", "tan", "tanh", "abs", "min", "max",
];

/// The named constants: `pi` and `e` (Euler's number). They cannot be used as variables.
pub const CONSTANTS: &[(&str, f64)] = &[("pi", std::f64::consts::PI), ("e", std::f64::consts::E)];

impl Func {
    /// The function called `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sqrt" => Func::Sqrt,
            "exp" => Func::Exp,
            "ln" | "log" => Func::Ln,
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "tanh" => Func::Tanh,
            "abs" => Func::Abs,
            "min" => Func::Min,
            "max" => Func::Max,
            _ => return None,
        })
    }

    /// Number of arguments.
    pub(crate) fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max => 2,
            _ => 1,
        }
    }
}

/// The value of the constant `name`, if it is one.
pub(crate) fn constant(name: &str) -> Option<f64> {
    CONSTANTS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// One node; children are indices of earlier nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Node {
    /// A literal or a named constant.
    Num(f64),
    /// The `k`-th distinct variable, in order of first appearance.
    Var(usize),
    /// Unary minus.
    Neg(usize),
    Bin(BinOp, usize, usize),
    /// A one-argument function.
    Call1(Func, usize),
    /// A two-argument function.
    Call2(Func, usize, usize),
}

/// A variable as first met in the formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarRef {
    pub name: String,
    /// 1-based character column of its first occurrence.
    pub column: usize,
}

/// A parsed formula: the root is the last node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ast {
    pub nodes: Vec<Node>,
    /// Distinct variables, in order of first appearance.
    pub vars: Vec<VarRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_a_function() {
        for name in FUNCTION_NAMES {
            assert!(Func::from_name(name).is_some(), "{name}");
        }
        assert_eq!(Func::from_name("log"), Func::from_name("ln"));
        assert_eq!(Func::from_name("sine"), None);
    }

    #[test]
    fn constants_are_known() {
        assert_eq!(constant("pi"), Some(std::f64::consts::PI));
        assert_eq!(constant("e"), Some(std::f64::consts::E));
        assert_eq!(constant("x"), None);
    }
}

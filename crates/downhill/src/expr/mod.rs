//! Formulas typed by a user, e.g. `(1-x)^2 + 100*(y-x^2)^2`, compiled into an
//! [`Objective`](crate::Objective) whose gradient is computed by reverse-mode automatic
//! differentiation (exact, not finite differences).
//!
//! # Syntax
//!
//! - Numbers in any float notation: `1`, `1.5`, `.5`, `5.`, `1e-3`, `2.5E+4`.
//! - Operators, from the loosest to the tightest: `+ -` (left-associative), `* /`
//!   (left-associative), unary `-` and `+`, `^` (right-associative; `**` is the same). So
//!   `2-3-4` is -5, `8/4/2` is 1, `2^3^2` is 512, `-x^2` is `-(x^2)` and `2^-1` is 0.5.
//! - Parentheses.
//! - Functions: `sqrt exp ln log sin cos tan tanh abs`, and `min max` of two arguments.
//!   **`log` is the natural logarithm**, as in NumPy and C; `ln` is the same function.
//! - Constants: `pi` and `e` (Euler's number). They, and the function names, cannot be
//!   variables.
//! - Variables: any other name, a letter (Unicode letters included) or `_` followed by
//!   letters, digits or `_`. They are the parameters, sorted by name (digit runs compared
//!   as numbers, so `x2` comes before `x10`) unless [`Formula::parse_with_vars`] gives the
//!   order.
//! - Implicit multiplication (`2x`, `(a)(b)`) is an error: write `*`.
//!
//! # Errors and domains
//!
//! A malformed formula is an [`ExprError`] pointing at a 1-based character column, never
//! a panic; [`ExprError::caret`] draws the formula with a caret under that column.
//!
//! Values outside a function's domain are not errors: `sqrt(-1)`, `ln(0)`, `1/0` give NaN
//! or an infinity, as in IEEE arithmetic, and the training loop reports the divergence.
//! NaN propagates through `min` and `max` too. Where a function has no derivative the
//! gradient follows the derivative's formula, so it may be infinite or NaN (`sqrt` at 0);
//! at kinks, `abs'(0) = 0`, and on ties `min` and `max` pass the gradient to their first
//! argument.

mod ast;
#[doc(hidden)]
pub mod dual;
mod error;
mod formula;
mod lexer;
mod parser;
mod tape;
mod vars;

pub use ast::{CONSTANTS, FUNCTION_NAMES};
pub use error::ExprError;
pub use formula::Formula;

/// How deeply parentheses, unary minus and powers may nest. The parser recurses once per
/// level, so a bound keeps a hostile formula from overflowing the stack.
pub const MAX_DEPTH: usize = 256;

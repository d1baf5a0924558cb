//! A recursive-descent parser, one function per precedence level:
//!
//! ```text
//! sum     = product { ("+" | "-") product }          left-associative
//! product = unary { ("*" | "/") unary }               left-associative
//! unary   = ("-" | "+") unary | power
//! power   = primary [ "^" unary ]                     right-associative, binds tighter
//!                                                     than a unary minus on its left
//! primary = number | constant | variable | function "(" sum { "," sum } ")" | "(" sum ")"
//! ```
//!
//! So `-x^2` is `-(x^2)`, `2^3^2` is `2^(3^2)` and `2^-1` is `0.5`. The loops for `+ -`
//! and `* /` keep long chains from recursing; only nesting recurses, and it is bounded by
//! [`MAX_DEPTH`].

use super::ast::{constant, Ast, BinOp, Func, Node, VarRef};
use super::lexer::{lex, Tok, Token};
use super::{ExprError, MAX_DEPTH};

/// Parses `src` into a flat tree.
pub(crate) fn parse(src: &str) -> Result<Ast, ExprError> {
    let toks = lex(src)?;
    if toks.len() == 1 {
        return Err(ExprError::Empty);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        ast: Ast {
            nodes: Vec::new(),
            vars: Vec::new(),
        },
    };
    p.sum()?;
    if p.peek().tok != Tok::End {
        return Err(p.unexpected("an operator or end of formula"));
    }
    Ok(p.ast)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    ast: Ast,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `End`, and `advance` never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn push(&mut self, node: Node) -> usize {
        self.ast.nodes.push(node);
        self.ast.nodes.len() - 1
    }

    /// The error for the current token when `expected` should have come.
    fn unexpected(&self, expected: &'static str) -> ExprError {
        let t = self.peek();
        if t.tok.starts_operand() && self.pos > 0 {
            ExprError::MissingOperator {
                found: t.tok.describe(),
                column: t.column,
            }
        } else {
            ExprError::Expected {
                expected,
                found: t.tok.describe(),
                column: t.column,
            }
        }
    }

    fn sum(&mut self) -> Result<usize, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.product()?;
            left = self.push(Node::Bin(op, left, right));
        }
    }

    fn product(&mut self) -> Result<usize, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.unary()?;
            left = self.push(Node::Bin(op, left, right));
        }
    }

    /// Every cycle of the recursion passes through here, so the depth is counted here.
    fn unary(&mut self) -> Result<usize, ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(ExprError::TooDeep {
                column: self.peek().column,
            });
        }
        self.depth += 1;
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<usize, ExprError> {
        match self.peek().tok {
            Tok::Minus => {
                self.advance();
                let a = self.unary()?;
                Ok(self.push(Node::Neg(a)))
            }
            Tok::Plus => {
                self.advance();
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<usize, ExprError> {
        let base = self.primary()?;
        if self.peek().tok != Tok::Caret {
            return Ok(base);
        }
        self.advance();
        let exponent = self.unary()?;
        Ok(self.push(Node::Bin(BinOp::Pow, base, exponent)))
    }

    fn primary(&mut self) -> Result<usize, ExprError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Num(v) => {
                self.advance();
                Ok(self.push(Node::Num(v)))
            }
            Tok::LParen => {
                self.advance();
                let inner = self.sum()?;
                self.close()?;
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.advance();
                if self.peek().tok == Tok::LParen {
                    self.call(name, t.column)
                } else if Func::from_name(&name).is_some() {
                    Err(ExprError::Expected {
                        expected: "'(' after a function name",
                        found: self.peek().tok.describe(),
                        column: self.peek().column,
                    })
                } else if let Some(v) = constant(&name) {
                    Ok(self.push(Node::Num(v)))
                } else {
                    let k = match self.ast.vars.iter().position(|v| v.name == name) {
                        Some(k) => k,
                        None => {
                            self.ast.vars.push(VarRef {
                                name,
                                column: t.column,
                            });
                            self.ast.vars.len() - 1
                        }
                    };
                    Ok(self.push(Node::Var(k)))
                }
            }
            _ => Err(self.unexpected("a number, a variable, a function or '('")),
        }
    }

    fn close(&mut self) -> Result<(), ExprError> {
        if self.peek().tok == Tok::RParen {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected("')'"))
        }
    }

    /// `name(` has been read; the current token is the `(`.
    fn call(&mut self, name: String, column: usize) -> Result<usize, ExprError> {
        let Some(func) = Func::from_name(&name) else {
            return Err(ExprError::UnknownFunction { name, column });
        };
        self.advance();
        let mut args = Vec::with_capacity(2);
        if self.peek().tok != Tok::RParen {
            loop {
                args.push(self.sum()?);
                match self.peek().tok {
                    Tok::Comma => {
                        self.advance();
                    }
                    Tok::RParen => break,
                    _ => return Err(self.unexpected("',' or ')'")),
                }
            }
        }
        self.advance();
        match (func.arity(), args.as_slice()) {
            (1, &[a]) => Ok(self.push(Node::Call1(func, a))),
            (2, &[a, b]) => Ok(self.push(Node::Call2(func, a, b))),
            (expected, got) => Err(ExprError::ArgumentCount {
                name,
                expected,
                got: got.len(),
                column,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(src: &str) -> Vec<Node> {
        parse(src).unwrap().nodes
    }

    #[test]
    fn minus_binds_looser_than_power() {
        assert_eq!(
            nodes("-x^2"),
            vec![
                Node::Var(0),
                Node::Num(2.0),
                Node::Bin(BinOp::Pow, 0, 1),
                Node::Neg(2)
            ]
        );
    }

    #[test]
    fn power_is_right_associative() {
        assert_eq!(
            nodes("a^b^c"),
            vec![
                Node::Var(0),
                Node::Var(1),
                Node::Var(2),
                Node::Bin(BinOp::Pow, 1, 2),
                Node::Bin(BinOp::Pow, 0, 3)
            ]
        );
    }

    #[test]
    fn subtraction_is_left_associative() {
        assert_eq!(
            nodes("a-b-c"),
            vec![
                Node::Var(0),
                Node::Var(1),
                Node::Bin(BinOp::Sub, 0, 1),
                Node::Var(2),
                Node::Bin(BinOp::Sub, 2, 3)
            ]
        );
    }

    #[test]
    fn variables_in_order_of_first_appearance() {
        let ast = parse("y + x*y + pi").unwrap();
        let names: Vec<&str> = ast.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, vec!["y", "x"]);
        assert_eq!(ast.vars[1].column, 5);
    }

    #[test]
    fn errors_point_at_the_token() {
        assert_eq!(
            parse("(1-x"),
            Err(ExprError::Expected {
                expected: "')'",
                found: "end of formula".into(),
                column: 5
            })
        );
        assert!(matches!(
            parse("2x"),
            Err(ExprError::MissingOperator { column: 2, .. })
        ));
        assert!(matches!(
            parse("sin x"),
            Err(ExprError::Expected { column: 5, .. })
        ));
        assert!(matches!(
            parse("max(1)"),
            Err(ExprError::ArgumentCount {
                expected: 2,
                got: 1,
                column: 1,
                ..
            })
        ));
        assert_eq!(parse("   "), Err(ExprError::Empty));
        assert!(matches!(
            parse(")"),
            Err(ExprError::Expected { column: 1, .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(parse(&deep), Err(ExprError::TooDeep { .. })));
        let minus = format!("{}x", "-".repeat(100_000));
        assert!(matches!(parse(&minus), Err(ExprError::TooDeep { .. })));
        let just_under = format!(
            "{}x{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&just_under).is_ok());
    }

    #[test]
    fn long_flat_chains_do_not_recurse() {
        let long = vec!["x"; 100_000].join("+");
        assert_eq!(parse(&long).unwrap().nodes.len(), 199_999);
    }
}

//! What can be wrong with a formula. Columns are 1-based and count characters (not bytes),
//! so that a caret printed under the formula lands on the right character.

use super::ast::FUNCTION_NAMES;
use thiserror::Error;

/// A formula that cannot be compiled. Every malformed input gives one of these, never a
/// panic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExprError {
    /// Nothing but white space.
    #[error("empty formula")]
    Empty,
    /// A character that starts no token.
    #[error("unexpected character '{ch}' at column {column}")]
    UnexpectedChar {
        /// The character.
        ch: char,
        /// Where it is.
        column: usize,
    },
    /// A malformed or out-of-range number such as `1.2.3` or `1e999`.
    #[error("invalid number '{text}' at column {column}")]
    InvalidNumber {
        /// The number as typed.
        text: String,
        /// Where it starts.
        column: usize,
    },
    /// The next token is not one that may come here.
    #[error("expected {expected} at column {column}, found {found}")]
    Expected {
        /// What may come here, e.g. `')'`.
        expected: &'static str,
        /// What came instead, e.g. `end of formula`.
        found: String,
        /// Where.
        column: usize,
    },
    /// Two operands in a row, as in `2x` or `(a)(b)`.
    #[error("missing operator before {found} at column {column}: implicit multiplication is not supported, write '*'")]
    MissingOperator {
        /// The operand that follows another one.
        found: String,
        /// Where it starts.
        column: usize,
    },
    /// A call of a function that does not exist.
    #[error("unknown function '{name}' at column {column}; known: {}", FUNCTION_NAMES.join(", "))]
    UnknownFunction {
        /// The name as typed.
        name: String,
        /// Where the name starts.
        column: usize,
    },
    /// A call with the wrong number of arguments.
    #[error("function '{name}' at column {column} takes {expected} argument{}, got {got}", if *.expected == 1 { "" } else { "s" })]
    ArgumentCount {
        /// The function.
        name: String,
        /// How many it takes.
        expected: usize,
        /// How many it was given.
        got: usize,
        /// Where the name starts.
        column: usize,
    },
    /// Parentheses, unary minus or powers nested deeper than
    /// [`MAX_DEPTH`](super::MAX_DEPTH) (which keeps the parser's recursion bounded).
    #[error(
        "formula nested too deeply at column {column} (at most {} levels)",
        super::MAX_DEPTH
    )]
    TooDeep {
        /// Where the limit was passed.
        column: usize,
    },
    /// A variable of the formula that the explicit variable order does not list.
    #[error("variable '{name}' at column {column} is not in the variable list ({})", .list.join(", "))]
    MissingVariable {
        /// The variable.
        name: String,
        /// Its first occurrence.
        column: usize,
        /// The list given.
        list: Vec<String>,
    },
    /// An entry of the explicit variable order that cannot be a variable.
    #[error("'{name}' in the variable list is not a variable name: {reason}")]
    InvalidVariable {
        /// The entry.
        name: String,
        /// Why not, e.g. `it is a function`.
        reason: &'static str,
    },
    /// An entry of the explicit variable order given twice.
    #[error("variable '{name}' appears twice in the variable list")]
    DuplicateVariable {
        /// The entry.
        name: String,
    },
}

impl ExprError {
    /// The 1-based character column the error points at, when it points into the formula.
    pub fn column(&self) -> Option<usize> {
        match self {
            ExprError::UnexpectedChar { column, .. }
            | ExprError::InvalidNumber { column, .. }
            | ExprError::Expected { column, .. }
            | ExprError::MissingOperator { column, .. }
            | ExprError::UnknownFunction { column, .. }
            | ExprError::ArgumentCount { column, .. }
            | ExprError::TooDeep { column }
            | ExprError::MissingVariable { column, .. } => Some(*column),
            ExprError::Empty
            | ExprError::InvalidVariable { .. }
            | ExprError::DuplicateVariable { .. } => None,
        }
    }

    /// The formula on one line and a caret under the column of the error, for a terminal:
    ///
    /// ```text
    /// (1-x)^2 + 100*(y-x^2
    ///                     ^
    /// ```
    ///
    /// `source` must be the formula that was parsed. White space (tabs, new lines) is
    /// shown as spaces so that the caret stays aligned. `None` when the error has no
    /// position.
    pub fn caret(&self, source: &str) -> Option<String> {
        let column = self.column()?;
        let line: String = source
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let pad = " ".repeat(column.saturating_sub(1));
        Some(format!("{line}\n{pad}^"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_column() {
        let e = ExprError::Expected {
            expected: "')'",
            found: "end of formula".into(),
            column: 12,
        };
        assert_eq!(
            e.to_string(),
            "expected ')' at column 12, found end of formula"
        );
        let e = ExprError::ArgumentCount {
            name: "sin".into(),
            expected: 1,
            got: 2,
            column: 3,
        };
        assert_eq!(
            e.to_string(),
            "function 'sin' at column 3 takes 1 argument, got 2"
        );
    }

    #[test]
    fn caret_lands_under_the_column() {
        let e = ExprError::UnexpectedChar { ch: '#', column: 3 };
        assert_eq!(e.caret("x\t#").as_deref(), Some("x #\n  ^"));
        assert_eq!(ExprError::Empty.caret(""), None);
    }
}

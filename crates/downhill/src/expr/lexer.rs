//! Splits a formula into tokens, each with its 1-based character column.

use super::ExprError;

/// A token's kind (and value).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Ident(String),
    Plus,
    Minus,
    Star,
    Slash,
    /// `^`, or `**` as in Python.
    Caret,
    LParen,
    RParen,
    Comma,
    End,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub column: usize,
}

impl Tok {
    /// How an error message names the token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Num(v) => format!("number {v}"),
            Tok::Ident(name) => format!("'{name}'"),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Star => "'*'".into(),
            Tok::Slash => "'/'".into(),
            Tok::Caret => "'^'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::End => "end of formula".into(),
        }
    }

    /// True for tokens that start an operand; one right after another operand means the
    /// user wrote an implicit multiplication.
    pub(crate) fn starts_operand(&self) -> bool {
        matches!(self, Tok::Num(_) | Tok::Ident(_) | Tok::LParen)
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// True when `name` is an identifier as the lexer reads one.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_continue)
}

/// The tokens of `src`, ending with [`Tok::End`].
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    // Columns count characters; formulas are short, so indexing a char vector is simplest.
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let starts_number =
            c.is_ascii_digit() || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit()));
        let tok = if starts_number {
            let start = i;
            while at(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            if at(i) == Some('.') {
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
            }
            // An exponent only when digits follow, so that `2e` stays "2 then e" and the
            // parser can say that implicit multiplication is not supported.
            if matches!(at(i), Some('e' | 'E')) {
                let digits_at = if matches!(at(i + 1), Some('+' | '-')) {
                    i + 2
                } else {
                    i + 1
                };
                if at(digits_at).is_some_and(|d| d.is_ascii_digit()) {
                    i = digits_at;
                    while at(i).is_some_and(|d| d.is_ascii_digit()) {
                        i += 1;
                    }
                }
            }
            // `1.2.3`: swallow the rest so that the message shows the whole number.
            let malformed = at(i) == Some('.');
            while at(i).is_some_and(|d| d.is_ascii_digit() || d == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(v) if !malformed && v.is_finite() => Tok::Num(v),
                _ => return Err(ExprError::InvalidNumber { text, column }),
            }
        } else if is_ident_start(c) {
            let start = i;
            while at(i).is_some_and(is_ident_continue) {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' => Tok::Plus,
                '-' => Tok::Minus,
                '*' if at(i) == Some('*') => {
                    i += 1;
                    Tok::Caret
                }
                '*' => Tok::Star,
                '/' => Tok::Slash,
                '^' => Tok::Caret,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                _ => return Err(ExprError::UnexpectedChar { ch: c, column }),
            }
        };
        out.push(Token { tok, column });
    }
    out.push(Token {
        tok: Tok::End,
        column: chars.len() + 1,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_in_every_float_notation() {
        for (src, v) in [
            ("1", 1.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e-3", 1e-3),
            ("2.5E+4", 2.5e4),
            ("3e2", 300.0),
        ] {
            assert_eq!(toks(src), vec![Tok::Num(v), Tok::End], "{src}");
        }
    }

    #[test]
    fn exponent_needs_digits() {
        assert_eq!(
            toks("2e"),
            vec![Tok::Num(2.0), Tok::Ident("e".into()), Tok::End]
        );
        assert_eq!(
            toks("2e+x"),
            vec![
                Tok::Num(2.0),
                Tok::Ident("e".into()),
                Tok::Plus,
                Tok::Ident("x".into()),
                Tok::End
            ]
        );
    }

    #[test]
    fn columns_count_characters() {
        let t = lex("θ + x2_b**2").unwrap();
        let cols: Vec<usize> = t.iter().map(|t| t.column).collect();
        assert_eq!(cols, vec![1, 3, 5, 9, 11, 12]);
        assert_eq!(t[2].tok, Tok::Ident("x2_b".into()));
        assert_eq!(t[3].tok, Tok::Caret);
    }

    #[test]
    fn bad_input_is_an_error_with_its_column() {
        assert_eq!(
            lex("x # y"),
            Err(ExprError::UnexpectedChar { ch: '#', column: 3 })
        );
        assert_eq!(
            lex("1+1.2.3"),
            Err(ExprError::InvalidNumber {
                text: "1.2.3".into(),
                column: 3
            })
        );
        assert!(matches!(
            lex("1e999"),
            Err(ExprError::InvalidNumber { column: 1, .. })
        ));
        assert_eq!(
            lex("x . y"),
            Err(ExprError::UnexpectedChar { ch: '.', column: 3 })
        );
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("x"));
        assert!(is_identifier("_a1"));
        assert!(is_identifier("θ"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
    }
}

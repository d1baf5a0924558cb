//! Which parameter each variable of a formula is: sorted by name, or in an order given.

use super::ast::{constant, Func, VarRef};
use super::lexer::is_identifier;
use super::ExprError;
use std::cmp::Ordering;

/// Compares names alphabetically, with runs of digits compared as numbers, so that `x2`
/// comes before `x10` and `x1, x2, ..., x10` keep the order a user typed them in.
/// Otherwise characters compare by code point (upper case before lower case). Names that
/// differ only in leading zeros (`x01`, `x1`) fall back to plain string order.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (nx, rx) = split_digits(x);
                let (ny, ry) = split_digits(y);
                let (tx, ty) = (nx.trim_start_matches('0'), ny.trim_start_matches('0'));
                // Without leading zeros, a longer run is a larger number.
                let ord = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if ord != Ordering::Equal {
                    return ord;
                }
                (x, y) = (rx, ry);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                (x, y) = (&x[c.len_utf8()..], &y[d.len_utf8()..]);
            }
        }
    }
}

/// The leading ASCII digits of `s`, and the rest.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// The parameter names, and for each formula variable (in order of first appearance) its
/// parameter index. `order`: the names in parameter order; `None` sorts them.
pub(crate) fn resolve<S: AsRef<str>>(
    found: &[VarRef],
    order: Option<&[S]>,
) -> Result<(Vec<String>, Vec<usize>), ExprError> {
    let names: Vec<String> = match order {
        None => {
            let mut names: Vec<String> = found.iter().map(|v| v.name.clone()).collect();
            names.sort_by(|a, b| natural_cmp(a, b));
            names
        }
        Some(order) => {
            let names: Vec<String> = order.iter().map(|s| s.as_ref().to_owned()).collect();
            for (i, name) in names.iter().enumerate() {
                let reason = if !is_identifier(name) {
                    Some("a name is a letter or '_' followed by letters, digits or '_'")
                } else if Func::from_name(name).is_some() {
                    Some("it is a function")
                } else if constant(name).is_some() {
                    Some("it is a constant")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(ExprError::InvalidVariable {
                        name: name.clone(),
                        reason,
                    });
                }
                if names[..i].contains(name) {
                    return Err(ExprError::DuplicateVariable { name: name.clone() });
                }
            }
            names
        }
    };
    let slots = found
        .iter()
        .map(|v| {
            names
                .iter()
                .position(|n| *n == v.name)
                .ok_or_else(|| ExprError::MissingVariable {
                    name: v.name.clone(),
                    column: v.column,
                    list: names.clone(),
                })
        })
        .collect::<Result<Vec<usize>, ExprError>>()?;
    Ok((names, slots))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a, b));
        v
    }

    #[test]
    fn digits_compare_as_numbers() {
        assert_eq!(
            sorted(&["x10", "x2", "x1", "y", "b", "a"]),
            vec!["a", "b", "x1", "x2", "x10", "y"]
        );
        assert_eq!(
            sorted(&["a1b2", "a1b10", "a01b3"]),
            vec!["a1b2", "a01b3", "a1b10"]
        );
        assert_eq!(natural_cmp("x01", "x1"), "x01".cmp("x1"));
        assert_eq!(natural_cmp("x", "x1"), Ordering::Less);
        assert_eq!(natural_cmp("θ", "x"), Ordering::Greater);
    }

    fn refs(names: &[&str]) -> Vec<VarRef> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| VarRef {
                name: n.to_string(),
                column: 1 + 4 * i,
            })
            .collect()
    }

    #[test]
    fn explicit_order_is_checked() {
        let found = refs(&["y", "x"]);
        let (names, slots) = resolve(&found, Some(&["x", "z", "y"])).unwrap();
        assert_eq!(names, vec!["x", "z", "y"]);
        assert_eq!(slots, vec![2, 0]);
        assert!(matches!(
            resolve(&found, Some(&["y"])),
            Err(ExprError::MissingVariable { column: 5, .. })
        ));
        assert!(matches!(
            resolve(&found, Some(&["x", "y", "x"])),
            Err(ExprError::DuplicateVariable { .. })
        ));
        for bad in ["sin", "pi", "1x", ""] {
            assert!(
                matches!(
                    resolve(&found, Some(&["x", "y", bad])),
                    Err(ExprError::InvalidVariable { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn default_order_is_sorted() {
        let (names, slots) = resolve::<&str>(&refs(&["y", "x"]), None).unwrap();
        assert_eq!(names, vec!["x", "y"]);
        assert_eq!(slots, vec![1, 0]);
    }
}

//! What a run descends: a named test function or a typed formula, with its variables'
//! names, its usual start and what is known about its minima.

use crate::expr::{ExprError, Formula};
use crate::functions::{self, TestFunction};
use crate::{Error, Objective, Result};

/// What is minimised.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A named test function, with its hand-written gradient and known minima.
    Named(TestFunction),
    /// A formula typed by a user, differentiated automatically.
    Formula(Formula),
}

/// A function of named variables: an [`Objective`] with names for its parameters.
///
/// ```
/// use downhill::run::Function;
/// use downhill::Objective;
///
/// let f = Function::parse("(a-2)^2 + b^2", None).unwrap();
/// assert_eq!(f.vars(), ["a", "b"]);
/// assert_eq!(f.start(None).unwrap(), [0.0, 0.0]);
/// assert_eq!(f.cost(&[2.0, 0.0]), 0.0);
/// assert!(Function::parse("rosenbrok", None).unwrap_err().to_string().contains("did you mean rosenbrock?"));
/// ```
#[derive(Debug, Clone)]
pub struct Function {
    kind: Kind,
    /// The variables, in parameter order.
    vars: Vec<String>,
}

/// Plain gradient descent's defaults on a named function: a rate that is stable along the
/// way from its usual start, and a step budget that rate needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GdDefaults {
    /// The learning rate.
    pub lr: f64,
    /// The most steps to take.
    pub max_epochs: usize,
}

impl Function {
    /// A named test function (variables `x`, `y`).
    pub fn named(f: TestFunction) -> Function {
        Function {
            kind: Kind::Named(f),
            vars: ["x", "y"].map(String::from).to_vec(),
        }
    }

    /// A formula; one without variables has nothing to minimise and is refused.
    pub fn formula(f: Formula) -> Result<Function> {
        if f.vars().is_empty() {
            return Err(Error::setting(
                "function",
                format!(
                    "formula \"{}\" has no variables: there is nothing to minimise",
                    f.source()
                ),
            ));
        }
        Ok(Function {
            vars: f.vars().to_vec(),
            kind: Kind::Formula(f),
        })
    }

    /// A named test function or, failing that, a formula. `vars` orders a formula's
    /// variables (sorted by name without it).
    ///
    /// Errors: a word that is no known name is an unknown function (with the nearest name
    /// when one is close) rather than a one-variable formula; a malformed formula is
    /// [`Error::Formula`]; `vars` that do not fit are an invalid `variables` setting.
    pub fn parse(spec: &str, vars: Option<&[String]>) -> Result<Function> {
        let vars: Option<Vec<String>> =
            vars.map(|v| v.iter().map(|s| s.trim().to_string()).collect());
        if let Some(f) = functions::by_name(spec) {
            if let Some(v) = &vars {
                if v.as_slice() != ["x", "y"] {
                    return Err(Error::setting(
                        "variables",
                        format!(
                            "{} is a named function of x, y; the variables' order is for a formula (its formula is \"{}\")",
                            f.name(),
                            f.formula()
                        ),
                    ));
                }
            }
            return Ok(Function::named(f));
        }
        if let Some(err) = unknown_name(spec) {
            return Err(err);
        }
        let formula = match &vars {
            Some(v) => Formula::parse_with_vars(spec, v),
            None => Formula::parse(spec),
        }
        .map_err(|e| match e {
            ExprError::InvalidVariable { .. } | ExprError::DuplicateVariable { .. } => {
                Error::setting("variables", e.to_string())
            }
            e => Error::Formula {
                formula: spec.to_string(),
                error: e,
            },
        })?;
        Function::formula(formula)
    }

    /// What it is.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The variables' names, in parameter order.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }

    /// The name for titles and legends: the test function's name or the formula.
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Named(f) => f.name().to_string(),
            Kind::Formula(f) => f.source().trim().to_string(),
        }
    }

    /// `rosenbrock` or `the formula "..."`, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Named(f) => f.name().to_string(),
            Kind::Formula(f) => format!("the formula \"{}\"", f.source().trim()),
        }
    }

    /// The named test function, if it is one.
    pub fn as_named(&self) -> Option<&TestFunction> {
        match &self.kind {
            Kind::Named(f) => Some(f),
            Kind::Formula(_) => None,
        }
    }

    /// The known global minima (empty for formulas).
    pub fn minima(&self) -> Vec<Vec<f64>> {
        match &self.kind {
            Kind::Named(f) => f.minima().iter().map(|m| m.to_vec()).collect(),
            Kind::Formula(_) => Vec::new(),
        }
    }

    /// The value at the global minima, when known.
    pub fn min_value(&self) -> Option<f64> {
        self.as_named().and_then(TestFunction::min_value)
    }

    /// Plain gradient descent's rate and budget on a named function; `None` for a formula,
    /// whose scale is unknown.
    pub fn gd_defaults(&self) -> Option<GdDefaults> {
        self.as_named().map(|f| GdDefaults {
            lr: f.gd_lr(),
            max_epochs: f.gd_epochs(),
        })
    }

    /// The starting point: `from` (checked), or the test function's usual start, or zeros
    /// for a formula. Errors (setting `start`): a wrong count or a value that is not finite
    /// in `from`, or a start where the value or gradient is not finite.
    pub fn start(&self, from: Option<&[f64]>) -> Result<Vec<f64>> {
        let n = self.vars.len();
        let start = match from {
            Some(p) => {
                if p.len() != n {
                    let s = if n == 1 { "" } else { "s" };
                    return Err(Error::setting(
                        "start",
                        format!(
                            "{} has {n} variable{s} ({}), so give {n} value{s}, not {}",
                            self.describe(),
                            self.vars.join(", "),
                            p.len()
                        ),
                    ));
                }
                if let Some(v) = p.iter().find(|v| !v.is_finite()) {
                    return Err(Error::setting(
                        "start",
                        format!("{v} is not a finite number"),
                    ));
                }
                p.to_vec()
            }
            None => match &self.kind {
                Kind::Named(f) => f.start().to_vec(),
                Kind::Formula(_) => vec![0.0; n],
            },
        };
        let mut grad = vec![0.0; n];
        let value = self.cost_grad(&start, &mut grad);
        if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            let at: Vec<String> = self
                .vars
                .iter()
                .zip(&start)
                .map(|(name, v)| format!("{name} = {v}"))
                .collect();
            return Err(Error::setting(
                "start",
                format!(
                    "{} is not differentiable at the start ({}) (value {value})",
                    self.describe(),
                    at.join(", ")
                ),
            ));
        }
        Ok(start)
    }
}

impl Objective for Function {
    fn dim(&self) -> usize {
        self.vars.len()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        match &self.kind {
            Kind::Named(f) => f.cost_grad(params, grad),
            Kind::Formula(f) => f.cost_grad(params, grad),
        }
    }

    fn cost(&self, params: &[f64]) -> f64 {
        match &self.kind {
            Kind::Named(f) => f.cost(params),
            Kind::Formula(f) => f.cost(params),
        }
    }
}

/// Lets [`FdHessian`](crate::objective::FdHessian), which owns what it wraps, borrow the
/// function instead.
impl Objective for &Function {
    fn dim(&self) -> usize {
        (*self).dim()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        (*self).cost_grad(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        (*self).cost(params)
    }
}

/// A word that is no known function is a misspelt name, not a one-variable formula: say so
/// (a formula has operators). Words with dashes that are close to a name count too, since
/// `goldstein-prize` would otherwise parse as a subtraction.
fn unknown_name(spec: &str) -> Option<Error> {
    let s = spec.trim();
    let wordlike = s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '));
    if !wordlike {
        return None;
    }
    let lower = s.to_lowercase().replace(['_', ' '], "-");
    let nearest = functions::names()
        .map(|n| (n, edit_distance(&lower, n)))
        .min_by_key(|&(_, d)| d);
    let close = nearest.filter(|&(n, d)| d <= 2.max(n.len() / 4));
    let bare_word = !s.contains(['-', ' ']);
    if !bare_word && close.is_none() {
        return None;
    }
    let hint = close.map_or(String::new(), |(n, _)| format!(" (did you mean {n}?)"));
    Some(Error::setting(
        "function",
        format!(
            "unknown function '{s}'{hint}; known: {}; or type a formula such as \"(1-x)^2 + 100*(y-x^2)^2\"",
            functions::names().collect::<Vec<_>>().join(", ")
        ),
    ))
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: Error) -> String {
        match e {
            Error::InvalidSetting { message, .. } => message,
            e => e.to_string(),
        }
    }

    #[test]
    fn names_and_formulas() {
        let f = Function::parse("Rosenbrock", None).unwrap();
        assert_eq!(f.label(), "rosenbrock");
        assert_eq!(f.min_value(), Some(0.0));
        let f = Function::parse("y^2 + (x-1)^2", Some(&["y".into(), "x".into()])).unwrap();
        assert_eq!(f.vars(), ["y", "x"]);
        assert_eq!(f.cost(&[0.0, 1.0]), 0.0);
        assert!(f.minima().is_empty() && f.gd_defaults().is_none());
        let e = message(Function::parse("rosenbrok", None).unwrap_err());
        assert!(
            e.starts_with("unknown function 'rosenbrok' (did you mean rosenbrock?)"),
            "{e}"
        );
        let e = message(Function::parse("goldstein-prize", None).unwrap_err());
        assert!(e.contains("did you mean goldstein-price"), "{e}");
        // A subtraction of two words is a formula.
        assert!(Function::parse("apple - pear", None).is_ok());
        match Function::parse("(1-x)^2 + (y", None).unwrap_err() {
            Error::Formula { formula, error } => {
                assert_eq!(formula, "(1-x)^2 + (y");
                assert_eq!(error.column(), Some(13));
            }
            e => panic!("{e:?}"),
        }
        let e = Function::parse("beale", Some(&["y".into(), "x".into()])).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidSetting {
                    setting: "variables",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(Function::parse("3 + 4", None).is_err(), "no variables");
    }

    #[test]
    fn starts() {
        let f = Function::parse("beale", None).unwrap();
        assert_eq!(f.start(None).unwrap(), [1.0, 1.0]);
        let e = message(f.start(Some(&[1.0])).unwrap_err());
        assert_eq!(e, "beale has 2 variables (x, y), so give 2 values, not 1");
        assert!(f.start(Some(&[1.0, f64::NAN])).is_err());
        let g = Function::parse("sqrt(x) + y^2", None).unwrap();
        let e = message(g.start(None).unwrap_err());
        assert!(
            e.contains("not differentiable at the start (x = 0, y = 0)"),
            "{e}"
        );
        assert_eq!(g.start(Some(&[1.0, 2.0])).unwrap(), [1.0, 2.0]);
    }
}

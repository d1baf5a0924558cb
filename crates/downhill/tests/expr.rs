//! Formulas: syntax, values, automatic derivatives, errors.

use downhill::expr::{ExprError, Formula, FUNCTION_NAMES};
use downhill::Objective;
use proptest::prelude::*;

/// The value of a formula without variables, or of one variable at `x`.
fn value(src: &str, params: &[f64]) -> f64 {
    let f = Formula::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(f.dim(), params.len(), "{src}");
    f.cost(params)
}

#[test]
fn precedence_and_associativity() {
    let cases: &[(&str, f64)] = &[
        ("2^3^2", 512.0),
        ("(2^3)^2", 64.0),
        ("2**3**2", 512.0),
        ("2*3+4", 10.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("2-3-4", -5.0),
        ("2-(3-4)", 3.0),
        ("8/4/2", 1.0),
        ("8/(4/2)", 4.0),
        ("2*3/4*5", 7.5),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^-1", 0.5),
        ("-2^-2", -0.25),
        ("2*-3", -6.0),
        ("1 - -1", 2.0),
        ("--3", 3.0),
        ("+3", 3.0),
        ("-3*-2", 6.0),
        ("2^3*2", 16.0),
        ("2*3^2", 18.0),
        ("-(1+2)*3", -9.0),
        ("max(1, 2)^2", 4.0),
    ];
    for &(src, want) in cases {
        assert_eq!(value(src, &[]), want, "{src}");
    }
}

#[test]
fn unary_minus_applies_after_the_power() {
    for x in [-3.0, -0.5, 0.0, 2.0] {
        assert_eq!(value("-x^2", &[x]), -(x * x), "x = {x}");
        assert_eq!(value("(-x)^2", &[x]), x * x, "x = {x}");
        assert_eq!(value("2^-x", &[x]), 2f64.powf(-x), "x = {x}");
    }
}

#[test]
fn number_formats() {
    let cases: &[(&str, f64)] = &[
        ("1", 1.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e-3", 1e-3),
        ("1E3", 1e3),
        ("2.5E+4", 2.5e4),
        ("2.5e+4", 2.5e4),
        ("007", 7.0),
        (".5e1", 5.0),
        ("1.25e-2", 0.0125),
        ("0", 0.0),
    ];
    for &(src, want) in cases {
        assert_eq!(value(src, &[]), want, "{src}");
    }
}

#[test]
fn constants_and_log_is_natural() {
    assert_eq!(value("pi", &[]), std::f64::consts::PI);
    assert_eq!(value("e", &[]), std::f64::consts::E);
    assert!((value("log(e)", &[]) - 1.0).abs() < 1e-15);
    assert_eq!(value("ln(x)", &[7.0]), value("log(x)", &[7.0]));
    // `2e` is 2 times e only with a `*`: implicit multiplication is an error.
    assert_eq!(value("2*e", &[]), 2.0 * std::f64::consts::E);
}

#[test]
fn functions_take_the_values_of_the_standard_library() {
    let x = 0.7_f64;
    let cases: &[(&str, f64)] = &[
        ("sqrt(x)", x.sqrt()),
        ("exp(x)", x.exp()),
        ("ln(x)", x.ln()),
        ("log(x)", x.ln()),
        ("sin(x)", x.sin()),
        ("cos(x)", x.cos()),
        ("tan(x)", x.tan()),
        ("tanh(x)", x.tanh()),
        ("abs(-x)", x),
        ("min(x, 0.5)", 0.5),
        ("max(x, 0.5)", x),
    ];
    for &(src, want) in cases {
        assert_eq!(value(src, &[x]), want, "{src}");
    }
}

/// The automatic gradient against central finite differences, relative to the larger of 1
/// and the derivative's size.
fn check_against_finite_differences(src: &str, points: &[&[f64]]) {
    let f = Formula::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut grad = vec![0.0; f.dim()];
    for p in points {
        let v = f.cost_grad(p, &mut grad);
        assert_eq!(v, f.cost(p), "{src} at {p:?}");
        for i in 0..f.dim() {
            let h = 1e-6 * p[i].abs().max(1.0);
            let (mut plus, mut minus) = (p.to_vec(), p.to_vec());
            plus[i] += h;
            minus[i] -= h;
            let fd = (f.cost(&plus) - f.cost(&minus)) / (2.0 * h);
            let err = (grad[i] - fd).abs() / grad[i].abs().max(1.0);
            assert!(
                err < 1e-6,
                "{src} at {p:?}, d/d{}: automatic {} vs finite differences {fd}",
                f.vars()[i],
                grad[i]
            );
        }
    }
}

#[test]
fn every_function_differentiates_like_finite_differences() {
    let points: &[&[f64]] = &[&[0.3], &[1.7], &[2.9]];
    for src in [
        "sqrt(x)", "exp(x)", "ln(x)", "log(x)", "sin(x)", "cos(x)", "tan(x)", "tanh(x)",
    ] {
        check_against_finite_differences(src, points);
    }
    check_against_finite_differences("abs(x)", &[&[-1.3], &[0.4]]);
    // Away from ties, min and max follow the smaller / larger argument.
    for src in [
        "min(x, y)",
        "max(x, y)",
        "min(x^2, 3*y)",
        "max(sin(x), y*x)",
    ] {
        check_against_finite_differences(src, &[&[0.5, 1.5], &[2.0, -1.0], &[-0.7, 0.2]]);
    }
}

#[test]
fn every_operator_differentiates_like_finite_differences() {
    let points: &[&[f64]] = &[&[0.5, 1.5], &[2.0, -1.0], &[1.3, 0.4]];
    for src in [
        "x + y",
        "x - y",
        "x * y",
        "x / y",
        "-x * y",
        "x^3 - 2*y^2",
        "x^-2 + y^0.5^2",
        "x^0 + y",
        "2^x * y",
        "(x*x)^(y/2)",
        "x^y",
        "(1-x)^2 + 100*(y-x^2)^2",
        "exp(-(x^2 + y^2)) * cos(x*y) / (1 + tanh(y)^2)",
    ] {
        let pts: Vec<&[f64]> = if src == "x^y" || src.starts_with("x^-2") {
            // Real powers need a positive base.
            points
                .iter()
                .copied()
                .filter(|p| p[0] > 0.0 && p[1] > 0.0)
                .collect()
        } else {
            points.to_vec()
        };
        check_against_finite_differences(src, &pts);
    }
}

#[test]
fn derivatives_of_integer_powers_hold_at_negative_bases() {
    let f = Formula::parse("x^3").unwrap();
    let mut g = [0.0];
    assert_eq!(f.cost_grad(&[-2.0], &mut g), -8.0);
    assert_eq!(g, [12.0]);
}

#[test]
fn domain_errors_are_values_not_panics() {
    assert!(value("sqrt(x)", &[-1.0]).is_nan());
    assert_eq!(value("ln(x)", &[0.0]), f64::NEG_INFINITY);
    assert!(value("log(x)", &[-1.0]).is_nan());
    assert_eq!(value("1/x", &[0.0]), f64::INFINITY);
    assert!(value("min(sqrt(x), 1)", &[-1.0]).is_nan());
    assert!(value("max(1, sqrt(x))", &[-1.0]).is_nan());
    let f = Formula::parse("sqrt(x)").unwrap();
    let mut g = [0.0];
    assert!(f.cost_grad(&[-1.0], &mut g).is_nan());
    assert!(g[0].is_nan());
}

#[test]
fn gradient_overwrites() {
    let f = Formula::parse("x*y").unwrap();
    let mut g = [100.0, -100.0];
    f.cost_grad(&[2.0, 3.0], &mut g);
    assert_eq!(g, [3.0, 2.0]);
}

#[test]
fn variables_are_sorted_unless_ordered() {
    let f = Formula::parse("y + 10*x").unwrap();
    assert_eq!(f.vars(), ["x", "y"]);
    assert_eq!(f.cost(&[1.0, 2.0]), 12.0);

    let f = Formula::parse_with_vars("y + 10*x", &["y", "x"]).unwrap();
    assert_eq!(f.vars(), ["y", "x"]);
    assert_eq!(f.cost(&[1.0, 2.0]), 21.0);
    let mut g = [0.0; 2];
    f.cost_grad(&[1.0, 2.0], &mut g);
    assert_eq!(g, [1.0, 10.0]);

    // Digit runs compare as numbers.
    let f = Formula::parse("x10 + x2 + x1 + b").unwrap();
    assert_eq!(f.vars(), ["b", "x1", "x2", "x10"]);

    // A listed variable the formula does not use is a parameter of gradient 0.
    let names = vec!["x".to_string(), "z".to_string(), "y".to_string()];
    let f = Formula::parse_with_vars("x*y", &names).unwrap();
    assert_eq!(f.dim(), 3);
    let mut g = [9.0; 3];
    f.cost_grad(&[2.0, 5.0, 3.0], &mut g);
    assert_eq!(g, [3.0, 0.0, 2.0]);
}

#[test]
fn a_variable_missing_from_the_order_is_an_error() {
    let err = Formula::parse_with_vars("x + 2*y", &["x"]).unwrap_err();
    assert_eq!(
        err,
        ExprError::MissingVariable {
            name: "y".into(),
            column: 7,
            list: vec!["x".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "variable 'y' at column 7 is not in the variable list (x)"
    );
    assert!(matches!(
        Formula::parse_with_vars("x", &["x", "x"]),
        Err(ExprError::DuplicateVariable { .. })
    ));
    assert!(matches!(
        Formula::parse_with_vars("x", &["x", "sin"]),
        Err(ExprError::InvalidVariable { .. })
    ));
}

/// The error of `src`, checking that its column (if any) is within the formula.
fn error(src: &str) -> ExprError {
    let err = match Formula::parse(src) {
        Ok(f) => panic!("{src} parsed: {f:?}"),
        Err(e) => e,
    };
    if let Some(c) = err.column() {
        assert!((1..=src.chars().count() + 1).contains(&c), "{src}: {err}");
    }
    err
}

#[test]
fn syntax_errors_point_at_the_character() {
    let src = "(1-x)^2 + 100*(y-x^2";
    let err = error(src);
    assert_eq!(err.column(), Some(21));
    assert_eq!(
        err.to_string(),
        "expected ')' at column 21, found end of formula"
    );
    assert_eq!(
        err.caret(src).unwrap(),
        "(1-x)^2 + 100*(y-x^2\n                    ^"
    );

    let cases: &[(&str, usize)] = &[
        ("x + * y", 5),
        ("x +", 4),
        ("(x", 3),
        ("x)", 2),
        ("()", 2),
        ("x $ y", 3),
        ("1.2.3 + x", 1),
        ("x + 1e999", 5),
        ("sin", 4),
        ("sin x", 5),
        ("min(x y)", 7),
        ("min(x,)", 7),
        ("x ^ ^ 2", 5),
        ("  x y", 5),
        ("x,y", 2),
        ("θ + #", 5),
    ];
    for &(src, column) in cases {
        assert_eq!(error(src).column(), Some(column), "{src}: {}", error(src));
    }
}

#[test]
fn implicit_multiplication_is_an_error() {
    for (src, column) in [
        ("2x", 2),
        ("2 (x+1)", 3),
        ("(x)(y)", 4),
        ("x y", 3),
        ("2e", 2),
    ] {
        let err = error(src);
        assert!(
            matches!(err, ExprError::MissingOperator { .. }),
            "{src}: {err}"
        );
        assert_eq!(err.column(), Some(column), "{src}");
        assert!(err.to_string().contains("write '*'"), "{err}");
    }
}

#[test]
fn unknown_function_is_named() {
    let err = error("sine(x)");
    assert_eq!(
        err,
        ExprError::UnknownFunction {
            name: "sine".into(),
            column: 1
        }
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown function 'sine' at column 1; known: sqrt, exp, ln, log, sin"),
        "{msg}"
    );
    for name in FUNCTION_NAMES {
        assert!(msg.contains(name), "{msg}");
    }
    assert_eq!(error("x + foo(2)").column(), Some(5));
}

#[test]
fn wrong_argument_count() {
    assert_eq!(
        error("1 + min(x)"),
        ExprError::ArgumentCount {
            name: "min".into(),
            expected: 2,
            got: 1,
            column: 5
        }
    );
    assert_eq!(
        error("sin(x, y)").to_string(),
        "function 'sin' at column 1 takes 1 argument, got 2"
    );
    assert!(matches!(
        error("exp()"),
        ExprError::ArgumentCount { got: 0, .. }
    ));
    assert!(matches!(
        error("max(1, 2, 3)"),
        ExprError::ArgumentCount { got: 3, .. }
    ));
}

#[test]
fn empty_formula() {
    for src in ["", "   ", "\t\n"] {
        assert_eq!(error(src), ExprError::Empty);
        assert_eq!(error(src).caret(src), None);
    }
}

#[test]
fn hostile_nesting_is_an_error() {
    let deep = format!("{}x{}", "(".repeat(50_000), ")".repeat(50_000));
    assert!(matches!(error(&deep), ExprError::TooDeep { .. }));
    let powers = vec!["x"; 50_000].join("^");
    assert!(matches!(error(&powers), ExprError::TooDeep { .. }));
    // Long flat sums are fine.
    let long = vec!["x"; 50_000].join("+");
    assert_eq!(value(&long, &[2.0]), 100_000.0);
}

/// Parses anything; a formula that parses evaluates without panicking, and an error's
/// column is within the formula.
fn parse_never_panics(src: &str) {
    match Formula::parse(src) {
        Ok(f) => {
            let p: Vec<f64> = (0..f.dim()).map(|i| 0.5 + i as f64).collect();
            let mut g = vec![0.0; f.dim()];
            let v = f.cost_grad(&p, &mut g);
            assert!(v.is_nan() || v == f.cost(&p));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            if let Some(c) = e.column() {
                assert!((1..=src.chars().count() + 1).contains(&c), "{src:?}: {e}");
                assert!(e.caret(src).is_some());
            }
        }
    }
}

proptest! {
    #[test]
    fn formula_like_strings_never_panic(src in "[xyz0-9+*/^(),. eE-]{0,40}|[a-z(),]{0,20}") {
        parse_never_panics(&src);
    }

    #[test]
    fn arbitrary_strings_never_panic(src in "\\PC{0,40}") {
        parse_never_panics(&src);
    }
}

//! Numbers as `minimize` and `compare` print them (durations: `report::seconds`).

/// A number to the last digit (shortest round trip), with an exponent when it is very
/// large or small.
pub fn full(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A number in at most 10 significant digits, for people (the library's, so that labels
/// the library writes agree).
pub use downhill::spec::short;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(short(1.0), "1");
        assert_eq!(short(-1.2), "-1.2");
        assert_eq!(short(0.999999999999), "1");
        assert_eq!(short(1.5e-12), "1.5e-12");
        assert_eq!(short(123456.5), "123456.5");
        assert_eq!(full(1e-7), "1e-7");
    }
}

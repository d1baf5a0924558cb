//! Double-double arithmetic: a value as the unevaluated sum of two `f64`, about 106
//! significant bits, from error-free transformations (two-sum, and two-product by `fma`).
//!
//! For short computations whose cancellation would cost an `f64` its digits, e.g. expanding
//! `((x - m) / s)^k` into powers of `x`: each operation's relative error is about `2^-104`,
//! so sums of terms that cancel to a million times below their size still leave the result
//! accurate to full `f64` precision. Not for long loops over data (about ten `f64`
//! operations each, with no vectorisation).
//!
//! The algorithms are the classic ones (Dekker 1971; Knuth, TAOCP vol. 2, 4.2.2; as in
//! Hida, Li & Bailey's QD library).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A double-double number `hi + lo`, normalised so that `hi` is `hi + lo` rounded to `f64`
/// (`|lo| <= ulp(hi) / 2`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DoubleDouble {
    /// The leading part: the value rounded to `f64`.
    pub hi: f64,
    /// The trailing part: what `hi` leaves out.
    pub lo: f64,
}

/// `a + b = s + e` exactly, `s = fl(a + b)` (Knuth's two-sum, any magnitudes).
#[inline]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let z = s - a;
    (s, (a - (s - z)) + (b - z))
}

/// `a + b = s + e` exactly when `|a| >= |b|` (or `a` is 0): Dekker's fast two-sum.
#[inline]
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a * b = p + e` exactly, `p = fl(a * b)` (the error by one fused multiply-add), barring
/// overflow and underflow.
#[inline]
pub fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl DoubleDouble {
    /// Zero.
    pub const ZERO: DoubleDouble = DoubleDouble { hi: 0.0, lo: 0.0 };
    /// One.
    pub const ONE: DoubleDouble = DoubleDouble { hi: 1.0, lo: 0.0 };

    /// The exact `f64` value `x`.
    #[inline]
    pub const fn new(x: f64) -> Self {
        DoubleDouble { hi: x, lo: 0.0 }
    }

    /// The exact sum `a + b` of two `f64`.
    #[inline]
    pub fn from_sum(a: f64, b: f64) -> Self {
        let (hi, lo) = two_sum(a, b);
        DoubleDouble { hi, lo }
    }

    /// The exact product `a * b` of two `f64` (barring overflow and underflow).
    #[inline]
    pub fn from_product(a: f64, b: f64) -> Self {
        let (hi, lo) = two_prod(a, b);
        DoubleDouble { hi, lo }
    }

    /// The value rounded to `f64`.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    /// Whether both parts are finite.
    pub fn is_finite(self) -> bool {
        self.hi.is_finite() && self.lo.is_finite()
    }

    /// `self^n` by repeated squaring (`n = 0` gives 1).
    pub fn powi(self, mut n: u32) -> Self {
        let mut base = self;
        let mut out = DoubleDouble::ONE;
        while n > 0 {
            if n & 1 == 1 {
                out *= base;
            }
            n >>= 1;
            if n > 0 {
                base *= base;
            }
        }
        out
    }

    /// `self * b` for an `f64` `b`.
    #[inline]
    fn mul_f64(self, b: f64) -> Self {
        let (p, e) = two_prod(self.hi, b);
        let (hi, lo) = quick_two_sum(p, self.lo.mul_add(b, e));
        DoubleDouble { hi, lo }
    }
}

impl From<f64> for DoubleDouble {
    fn from(x: f64) -> Self {
        DoubleDouble::new(x)
    }
}

impl fmt::Display for DoubleDouble {
    /// Both parts, e.g. `0.1 + 5.551115123125783e-18`, since `f64` printing would drop `lo`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} + {:?}", self.hi, self.lo)
    }
}

impl Add for DoubleDouble {
    type Output = DoubleDouble;

    /// The accurate sum (both parts' errors carried), good to about `2^-104` relative even
    /// when the operands cancel.
    #[inline]
    fn add(self, b: DoubleDouble) -> DoubleDouble {
        let (s, e) = two_sum(self.hi, b.hi);
        let (t, f) = two_sum(self.lo, b.lo);
        let (s, e) = quick_two_sum(s, e + t);
        let (hi, lo) = quick_two_sum(s, e + f);
        DoubleDouble { hi, lo }
    }
}

impl Add<f64> for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn add(self, b: f64) -> DoubleDouble {
        let (s, e) = two_sum(self.hi, b);
        let (hi, lo) = quick_two_sum(s, e + self.lo);
        DoubleDouble { hi, lo }
    }
}

impl Neg for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn neg(self) -> DoubleDouble {
        DoubleDouble {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Sub for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn sub(self, b: DoubleDouble) -> DoubleDouble {
        self + -b
    }
}

impl Sub<f64> for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn sub(self, b: f64) -> DoubleDouble {
        self + -b
    }
}

impl Mul for DoubleDouble {
    type Output = DoubleDouble;

    /// The product, dropping only `lo * lo` (below `2^-106` relative).
    #[inline]
    fn mul(self, b: DoubleDouble) -> DoubleDouble {
        let (p, e) = two_prod(self.hi, b.hi);
        let e = self.hi.mul_add(b.lo, self.lo.mul_add(b.hi, e));
        let (hi, lo) = quick_two_sum(p, e);
        DoubleDouble { hi, lo }
    }
}

impl Mul<f64> for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn mul(self, b: f64) -> DoubleDouble {
        self.mul_f64(b)
    }
}

impl Div for DoubleDouble {
    type Output = DoubleDouble;

    /// The quotient: the `f64` quotient, corrected by the remainder computed in
    /// double-double, twice.
    #[inline]
    fn div(self, b: DoubleDouble) -> DoubleDouble {
        let q1 = self.hi / b.hi;
        let r = self - b * q1;
        let q2 = r.hi / b.hi;
        let r = r - b * q2;
        let q3 = r.hi / b.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        DoubleDouble { hi: q1, lo: q2 } + q3
    }
}

impl Div<f64> for DoubleDouble {
    type Output = DoubleDouble;

    #[inline]
    fn div(self, b: f64) -> DoubleDouble {
        self / DoubleDouble::new(b)
    }
}

impl AddAssign for DoubleDouble {
    #[inline]
    fn add_assign(&mut self, b: DoubleDouble) {
        *self = *self + b;
    }
}

impl AddAssign<f64> for DoubleDouble {
    #[inline]
    fn add_assign(&mut self, b: f64) {
        *self = *self + b;
    }
}

impl SubAssign for DoubleDouble {
    #[inline]
    fn sub_assign(&mut self, b: DoubleDouble) {
        *self = *self - b;
    }
}

impl MulAssign for DoubleDouble {
    #[inline]
    fn mul_assign(&mut self, b: DoubleDouble) {
        *self = *self * b;
    }
}

impl MulAssign<f64> for DoubleDouble {
    #[inline]
    fn mul_assign(&mut self, b: f64) {
        *self = *self * b;
    }
}

impl Sum for DoubleDouble {
    fn sum<I: Iterator<Item = DoubleDouble>>(iter: I) -> DoubleDouble {
        iter.fold(DoubleDouble::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Dd = DoubleDouble;

    #[test]
    fn error_free_transformations_are_exact() {
        let (s, e) = two_sum(1.0, 1e-20);
        assert_eq!((s, e), (1.0, 1e-20));
        // 0.1 * 3: the f64 product rounds; the pair holds the exact value of the product
        // of the two doubles.
        let (p, e) = two_prod(0.1, 3.0);
        assert_eq!(p, 0.30000000000000004);
        assert!(e != 0.0 && e.abs() < f64::EPSILON * p);
        let d = Dd::from_product(0.1, 3.0) - Dd::new(p);
        assert_eq!(d.to_f64(), e);
    }

    #[test]
    fn keeps_what_cancellation_would_lose() {
        // (1 + 2^-70) - 1 is 2^-70; in f64 the small term is gone before the subtraction.
        let tiny = 2f64.powi(-70);
        let x = Dd::new(1.0) + tiny - 1.0;
        assert_eq!(x.to_f64(), tiny);
        assert_eq!((1.0 + tiny) - 1.0, 0.0);
        // A sum of large terms that cancel to a small one.
        let terms = [1e16, 3.0, -1e16, 0.5, 1e-17];
        let s: Dd = terms.iter().map(|&t| Dd::new(t)).sum();
        assert_eq!(s.to_f64(), 3.5 + 1e-17);
    }

    #[test]
    fn arithmetic_is_accurate_to_about_2_to_the_minus_104() {
        let third = Dd::ONE / Dd::new(3.0);
        let back = third * 3.0 - 1.0;
        assert!(back.to_f64().abs() < 1e-31, "{back}");
        let x = Dd::new(7.0) / 11.0;
        let r = x * Dd::new(11.0) - Dd::new(7.0);
        assert!(r.to_f64().abs() < 7.0 * 1e-31, "{r}");
        // (1 + 1e-10)^10 = 1 + 1e-9 + 45e-20 + ..., its tail beyond f64 kept.
        let p = (Dd::ONE + Dd::new(1e-10)).powi(10) - 1.0;
        let want = 1e-9 + 45e-20 + 120e-30;
        assert!((p.to_f64() - want).abs() < 1e-24, "{p}");
        assert_eq!(Dd::new(2.0).powi(0), Dd::ONE);
        assert_eq!(Dd::new(2.0).powi(10).to_f64(), 1024.0);
        assert_eq!((-Dd::new(2.5)).to_f64(), -2.5);
    }
}

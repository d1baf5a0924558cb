//! `exp` and `ln(1 + x)` on vectors of `f64` lanes (`Lanes`: four with AVX2 and FMA, eight
//! with AVX-512F), for kernels that have rows in flight (the log loss's `softplus` and
//! `sigmoid`). Written once for both widths, with the same operations in every lane: a value
//! gets the same bits whichever lane and width computes it, whatever its neighbours are.
//!
//! Accuracy, against the standard library's (correctly rounded in practice) scalar
//! functions, checked by the tests below over every argument the log loss produces
//! (`exp` on `[-750, 0]` and on `[0, 710]`, `ln_1p` on `[0, 1]`, tails, zeros, infinities
//! and NaN): [`exp4`] within 1 ulp (subnormal results within 1 unit of the last place
//! of the smallest subnormal), [`ln_1p_unit4`] within 1 ulp. Special values as the
//! scalar functions: `exp(-inf) = 0`, `exp(inf) = inf`, overflow to `inf` above
//! `709.78`, underflow through the subnormals to `0` below `-745.13`, NaN in, NaN out.
//!
//! Method: `exp(x) = 2^k e^r` with `k = round(x / ln 2)`, `r = x - k ln 2` in two parts
//! (`|r| <= ln 2 / 2`), `e^r = 1 + r (1 + r P(r))` with `P` the Taylor polynomial of degree
//! 11 summed in Estrin's scheme (a short chain of dependent operations), and `2^k` applied as
//! two exact powers of two so that subnormal results round once. `ln(1 + x)` for
//! `0 <= x <= 1`: `u = 1 + x` rounded, its rounding error `c = x - (u - 1)` (exact), `u` written
//! as `2^k (1 + f)` with `1 + f` in `[sqrt(1/2), sqrt(2)]`, `ln(1 + f) = 2 atanh(s)`,
//! `s = f / (2 + f)`, by the classic minimax polynomial in `s^2`, and `c / u` (as `c` times
//! a rounded `1 / u`, which a caller may share) added as the first-order correction.

use super::lanes::Lanes;

/// Whether the CPU has AVX2 and FMA (the standard library caches the answer).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `e^x` on four values: the vector code where the CPU has AVX2 and FMA, else the scalar
/// `f64::exp` (to the accuracy stated in the [module](self) docs, the same results).
pub fn exp4(x: [f64; 4]) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { avx2::on_array(avx2::exp, x) };
    }
    x.map(f64::exp)
}

/// `ln(1 + x)` on four values in `[0, 1]` (or NaN): the vector code where the CPU has AVX2 and
/// FMA, else the scalar `f64::ln_1p`. Outside `[0, 1]` the vector code's results are not
/// specified.
pub fn ln_1p_unit4(x: [f64; 4]) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: as in `exp4`.
        return unsafe { avx2::on_array(avx2::ln_1p_unit, x) };
    }
    x.map(f64::ln_1p)
}

/// Whether the CPU has AVX-512F (the standard library caches the answer).
#[inline]
pub fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// ln 2 = `LN2_HI + LN2_LO`; `LN2_HI` has 32 significant bits, so `k * LN2_HI` is exact.
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;

/// `1 / n!` for `n` in `0..14` (each from the last by one division: the rounding of the
/// high coefficients is far below that of the sum).
const INV_FACTORIAL: [f64; 14] = {
    let mut a = [1.0; 14];
    let mut n = 1;
    while n < 14 {
        a[n] = a[n - 1] / n as f64;
        n += 1;
    }
    a
};

/// The minimax coefficients of `(ln(1 + f) - f + f^2 / 2 - s f^2 / 2) / s`, in `s^2` (Sun's
/// fdlibm, public domain): `ln(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2)))`.
const LG: [f64; 7] = [
    0.6666666666666735,
    0.3999999999940942,
    0.2857142874366239,
    0.22222198432149784,
    0.1818357216161805,
    0.15313837699209373,
    0.14798198605116586,
];

/// `e^x` on every lane (see the [module](self) docs for accuracy and special values).
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
pub(crate) unsafe fn exp<V: Lanes>(x: V) -> V {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // Clamp so that `k` stays in range; `x` in the second place keeps a NaN (min/max
    // return their second operand when one is NaN). Past the clamps the result is already
    // 0 or infinite.
    let x = V::splat(-746.0).max(V::splat(710.0).min(x));
    let k = x.mul(V::splat(LOG2E)).round();
    let r = k.neg_mul_add(V::splat(LN2_HI), x);
    let r = k.neg_mul_add(V::splat(LN2_LO), r);
    // P(r) = sum_{n=2}^{13} r^(n-2) / n!, in Estrin's scheme.
    let r2 = r.mul(r);
    let r4 = r2.mul(r2);
    let r8 = r4.mul(r4);
    let p23 = V::splat(INV_FACTORIAL[3]).mul_add(r, V::splat(INV_FACTORIAL[2]));
    let p45 = V::splat(INV_FACTORIAL[5]).mul_add(r, V::splat(INV_FACTORIAL[4]));
    let p67 = V::splat(INV_FACTORIAL[7]).mul_add(r, V::splat(INV_FACTORIAL[6]));
    let p89 = V::splat(INV_FACTORIAL[9]).mul_add(r, V::splat(INV_FACTORIAL[8]));
    let p1011 = V::splat(INV_FACTORIAL[11]).mul_add(r, V::splat(INV_FACTORIAL[10]));
    let p1213 = V::splat(INV_FACTORIAL[13]).mul_add(r, V::splat(INV_FACTORIAL[12]));
    let q0 = p45.mul_add(r2, p23);
    let q1 = p89.mul_add(r2, p67);
    let q2 = p1213.mul_add(r2, p1011);
    let s0 = q1.mul_add(r4, q0);
    let p = q2.mul_add(r8, s0);
    // e^r = 1 + r (1 + r P): the last two steps round least.
    let one = V::splat(1.0);
    let er = p.mul_add(r, one).mul_add(r, one);
    // er * 2^k, rounded once (a subnormal result too).
    er.scale2(k)
}

/// `ln(1 + x)` on every lane for `x` in `[0, 1]` or NaN (see the [module](self) docs).
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
pub(crate) unsafe fn ln_1p_unit<V: Lanes>(x: V) -> V {
    let u = V::splat(1.0).add(x);
    ln_1p_unit_of(x, u, V::splat(1.0).div(u))
}

/// [`ln_1p_unit`] given `u = 1 + x` and `inv_u = 1 / u` (both rounded), for a caller that
/// needs `1 / (1 + x)` itself (the log loss's sigmoid): one division fewer.
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
pub(crate) unsafe fn ln_1p_unit_of<V: Lanes>(x: V, u: V, inv_u: V) -> V {
    let one = V::splat(1.0);
    // u - 1 is exact (u in [1, 2]), and so is its difference from x; c / u is a correction
    // far below the result's last place, so c times a rounded 1 / u serves.
    let c = x.sub(u.sub(one));
    // u = 2^k (1 + f), k in {0, 1}.
    let big = u.gt(V::splat(std::f64::consts::SQRT_2));
    let k = V::keep(big, one);
    let m = V::select(big, u.mul(V::splat(0.5)), u);
    let f = m.sub(one);
    let s = f.div(V::splat(2.0).add(f));
    let z = s.mul(s);
    let w = z.mul(z);
    // R = z (LG0 + z (LG1 + ...)), in two interleaved halves (as fdlibm) for a short chain.
    let t1 = w.mul(w.mul_add(w.mul_add(V::splat(LG[5]), V::splat(LG[3])), V::splat(LG[1])));
    let t2 = z.mul(w.mul_add(
        w.mul_add(w.mul_add(V::splat(LG[6]), V::splat(LG[4])), V::splat(LG[2])),
        V::splat(LG[0]),
    ));
    let r = t1.add(t2);
    let hfsq = V::splat(0.5).mul(f.mul(f));
    let lo = k.mul_add(V::splat(LN2_LO), c.mul(inv_u));
    let tail = s.mul_add(hfsq.add(r), lo);
    let lnf = f.sub(hfsq.sub(tail));
    k.mul_add(V::splat(LN2_HI), lnf)
}

/// `ln(x)` on every lane for positive normal `x` (or NaN, which stays NaN): `x = 2^e m` with
/// `m` in `[1, 2)`, `ln(x) = e ln 2 + ln_1p(m - 1)` (`m - 1` exact), the two parts of `ln 2`
/// added so that the result is within about an ulp.
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
pub(crate) unsafe fn ln<V: Lanes>(x: V) -> V {
    let e = x.exponent();
    let lm = ln_1p_unit(x.mantissa().sub(V::splat(1.0)));
    let r = e.mul_add(V::splat(LN2_HI), e.mul_add(V::splat(LN2_LO), lm));
    V::select(x.ne(x), x, r)
}

/// `exp` and `ln_1p_unit` on four lanes, compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    use std::arch::x86_64::*;

    /// `f(x)` on an array (for the scalar-facing wrappers and tests).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn on_array(f: unsafe fn(__m256d) -> __m256d, x: [f64; 4]) -> [f64; 4] {
        let mut out = [0.0; 4];
        _mm256_storeu_pd(out.as_mut_ptr(), f(_mm256_loadu_pd(x.as_ptr())));
        out
    }

    /// Each constant in all four lanes. (Not `array::map` with a closure: neither inherits
    /// the target features, so the map was a call passing registers through memory, an
    /// eighth of the logistic epoch.)
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn splat<const N: usize>(v: &[f64; N]) -> [__m256d; N] {
        let mut out = [_mm256_setzero_pd(); N];
        for (o, &x) in out.iter_mut().zip(v) {
            *o = _mm256_set1_pd(x);
        }
        out
    }

    /// `super::exp` on four lanes.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp(x: __m256d) -> __m256d {
        super::exp(x)
    }

    /// `super::ln_1p_unit` on four lanes.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn ln_1p_unit(x: __m256d) -> __m256d {
        super::ln_1p_unit(x)
    }

    /// `super::ln` on four lanes (positive normal values).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn ln(x: __m256d) -> __m256d {
        super::ln(x)
    }
}

/// `exp` and `ln_1p_unit` on eight lanes, compiled for AVX-512F: the same bits as
/// [`avx2`]'s in every lane.
#[cfg(target_arch = "x86_64")]
pub mod avx512 {
    use std::arch::x86_64::*;

    /// `f(x)` on an array (for tests).
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn on_array(f: unsafe fn(__m512d) -> __m512d, x: [f64; 8]) -> [f64; 8] {
        let mut out = [0.0; 8];
        _mm512_storeu_pd(out.as_mut_ptr(), f(_mm512_loadu_pd(x.as_ptr())));
        out
    }

    /// `super::exp` on eight lanes.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn exp(x: __m512d) -> __m512d {
        super::exp(x)
    }

    /// `super::ln_1p_unit` on eight lanes.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn ln_1p_unit(x: __m512d) -> __m512d {
        super::ln_1p_unit(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::{__m256d, __m512d};

    /// The distance between `a` and `b` in units in the last place of `b` (the reference);
    /// 0 when both are the same NaN-ness or infinity, and subnormals counted in units of the
    /// smallest subnormal (the bits' distance, which is what the ulp is there).
    pub(crate) fn ulps(a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if a == b {
            return 0.0;
        }
        if a.is_infinite() || b.is_infinite() || a.signum() != b.signum() {
            return f64::INFINITY;
        }
        // Same sign, finite: ordered bits count representable values between them.
        let (ia, ib) = (a.abs().to_bits() as i64, b.abs().to_bits() as i64);
        (ia - ib).unsigned_abs() as f64
    }

    /// Arguments across `[lo, hi]`: an even grid plus a logarithmic spread near 0 and the
    /// ends themselves.
    fn args(lo: f64, hi: f64, n: usize) -> Vec<f64> {
        let mut v: Vec<f64> = (0..=n)
            .map(|i| lo + (hi - lo) * i as f64 / n as f64)
            .collect();
        for e in -320..=3 {
            for m in [1.0, 1.234_567_890_123, 3.0, 7.777] {
                let t = m * 10f64.powi(e);
                v.extend([t, -t]);
            }
        }
        v.retain(|t| (lo..=hi).contains(t));
        v.extend([lo, hi, 0.0, -0.0]);
        v
    }

    fn max_ulps(f: fn([f64; 4]) -> [f64; 4], g: fn(f64) -> f64, xs: &[f64]) -> (f64, f64) {
        let mut worst = (0.0, f64::NAN);
        for chunk in xs.chunks(4) {
            let mut a = [0.0; 4];
            a[..chunk.len()].copy_from_slice(chunk);
            let got = f(a);
            for (x, y) in a.iter().zip(got).take(chunk.len()) {
                let e = ulps(y, g(*x));
                if e > worst.0 || worst.1.is_nan() && e == worst.0 {
                    worst = (e, *x);
                }
            }
        }
        worst
    }

    #[test]
    fn exp4_is_within_one_ulp_of_the_scalar_exp() {
        let xs = args(-750.0, 710.0, 400_000);
        let (e, at) = max_ulps(exp4, f64::exp, &xs);
        assert!(e <= 1.0, "exp4 is {e} ulps off at {at}");
        // Special values exactly as the scalar function.
        let sp = exp4([f64::NEG_INFINITY, f64::INFINITY, f64::NAN, -745.2]);
        assert_eq!(sp[..2], [0.0, f64::INFINITY]);
        assert!(sp[2].is_nan());
        assert_eq!(sp[3], 0.0);
        assert_eq!(
            exp4([709.9, 1e300, 0.0, -0.0]),
            [f64::INFINITY, f64::INFINITY, 1.0, 1.0]
        );
    }

    /// The eight-lane functions against the four-lane ones, bit for bit, where the CPU has
    /// both (elsewhere only one of them ever runs).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn eight_lanes_give_the_bits_of_four() {
        if !(has_avx512f() && has_avx2_fma()) {
            eprintln!("no AVX-512F here: nothing to compare");
            return;
        }
        let mut xs = args(-750.0, 710.0, 100_000);
        xs.extend(args(0.0, 1.0, 100_000));
        xs.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            -745.2,
            709.9,
        ]);
        type Pair = (unsafe fn(__m256d) -> __m256d, unsafe fn(__m512d) -> __m512d);
        let pairs: [Pair; 2] = [
            (avx2::exp, avx512::exp),
            (avx2::ln_1p_unit, avx512::ln_1p_unit),
        ];
        for (f4, f8) in pairs {
            for chunk in xs.chunks(8) {
                let mut a = [0.5; 8];
                a[..chunk.len()].copy_from_slice(chunk);
                // SAFETY: the CPU has AVX2, FMA and AVX-512F (checked above).
                let (lo, hi, wide) = unsafe {
                    (
                        avx2::on_array(f4, [a[0], a[1], a[2], a[3]]),
                        avx2::on_array(f4, [a[4], a[5], a[6], a[7]]),
                        avx512::on_array(f8, a),
                    )
                };
                let four: Vec<u64> = lo.iter().chain(&hi).map(|v| v.to_bits()).collect();
                let eight: Vec<u64> = wide.iter().map(|v| v.to_bits()).collect();
                assert_eq!(four, eight, "at {a:?}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn ln_is_within_one_ulp_of_the_scalar_ln() {
        if !has_avx2_fma() {
            return;
        }
        // Softmax's normaliser: sums from 1 up to the class count, and far beyond.
        let mut xs = args(1.0, 64.0, 200_000);
        xs.extend((0..1000).map(|e| 2f64.powi(e)));
        xs.extend((1..1000).map(|e| 1.5f64.powi(e)));
        xs.extend((-1021..0).map(|e| 3.0 * 2f64.powi(e)));
        // The domain: positive normal values.
        xs.retain(|v| *v >= f64::MIN_POSITIVE);
        let ln4 = |x: [f64; 4]| unsafe { avx2::on_array(avx2::ln, x) };
        let (e, at) = max_ulps(ln4, f64::ln, &xs);
        assert!(e <= 1.0, "ln is {e} ulps off at {at}");
        let sp = ln4([1.0, std::f64::consts::E, f64::NAN, 2.0]);
        assert_eq!(sp[0], 0.0);
        assert_eq!(sp[1], 1.0);
        assert!(sp[2].is_nan());
        assert_eq!(sp[3], std::f64::consts::LN_2);
    }

    #[test]
    fn ln_1p_unit4_is_within_one_ulp_of_the_scalar_ln_1p() {
        let mut xs = args(0.0, 1.0, 400_000);
        // Every binade down to the smallest subnormal, and just around sqrt(2) - 1.
        xs.extend((0..1075).map(|e| 2f64.powi(-e)));
        xs.extend((0..1074).map(|e| 1.5 * 2f64.powi(-e)).filter(|v| *v <= 1.0));
        let r = std::f64::consts::SQRT_2 - 1.0;
        xs.extend((-50..=50).map(|k| r + k as f64 * f64::EPSILON));
        let (e, at) = max_ulps(ln_1p_unit4, f64::ln_1p, &xs);
        assert!(e <= 1.0, "ln_1p_unit4 is {e} ulps off at {at}");
        let sp = ln_1p_unit4([0.0, 1.0, f64::NAN, 5e-324]);
        assert_eq!(sp[0], 0.0);
        assert_eq!(sp[1], std::f64::consts::LN_2);
        assert!(sp[2].is_nan());
        assert_eq!(sp[3], 5e-324);
    }
}

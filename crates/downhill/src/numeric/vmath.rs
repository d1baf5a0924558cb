//! `exp` and `ln(1 + x)` on four `f64` lanes with AVX2 and FMA, for kernels that have four
//! rows in flight (the log loss's `softplus` and `sigmoid`). The lanes are independent: a
//! value gets the same bits whichever lane it is in and whatever its neighbours are.
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
//! `s = f / (2 + f)`, by the classic minimax polynomial in `s^2`, and `c / u` added as the
//! first-order correction.

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

/// The vector functions. Each is `#[inline]` with the same target features as the kernels,
/// so that it is inlined into them.
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

    /// `1.5 * 2^52`: adding it rounds a value below `2^51` in magnitude to an integer held
    /// in the low bits of the sum's representation.
    const ROUNDER: f64 = 6_755_399_441_055_744.0;

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

    /// `2^k` for integer-valued `k` in `[-1022, 1023]`, from its bits.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn pow2(k: __m256d) -> __m256d {
        let bits = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(ROUNDER)));
        let rounder = _mm256_castpd_si256(_mm256_set1_pd(ROUNDER));
        let biased = _mm256_add_epi64(_mm256_sub_epi64(bits, rounder), _mm256_set1_epi64x(1023));
        _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased))
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

    /// `e^x` on four lanes (see the [module](super) docs for accuracy and special values).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp(x: __m256d) -> __m256d {
        const LOG2E: f64 = std::f64::consts::LOG2_E;
        // Clamp so that `k` stays in range; `x` in the second place keeps a NaN (min/max
        // return their second operand when one is NaN). Past the clamps the result is
        // already 0 or infinite.
        let x = _mm256_max_pd(
            _mm256_set1_pd(-746.0),
            _mm256_min_pd(_mm256_set1_pd(710.0), x),
        );
        let k = _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm256_mul_pd(x, _mm256_set1_pd(LOG2E)),
        );
        let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_HI), x);
        let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_LO), r);
        // P(r) = sum_{n=2}^{13} r^(n-2) / n!, in Estrin's scheme.
        let c = splat(&INV_FACTORIAL);
        let r2 = _mm256_mul_pd(r, r);
        let r4 = _mm256_mul_pd(r2, r2);
        let r8 = _mm256_mul_pd(r4, r4);
        let p23 = _mm256_fmadd_pd(c[3], r, c[2]);
        let p45 = _mm256_fmadd_pd(c[5], r, c[4]);
        let p67 = _mm256_fmadd_pd(c[7], r, c[6]);
        let p89 = _mm256_fmadd_pd(c[9], r, c[8]);
        let p1011 = _mm256_fmadd_pd(c[11], r, c[10]);
        let p1213 = _mm256_fmadd_pd(c[13], r, c[12]);
        let q0 = _mm256_fmadd_pd(p45, r2, p23);
        let q1 = _mm256_fmadd_pd(p89, r2, p67);
        let q2 = _mm256_fmadd_pd(p1213, r2, p1011);
        let s0 = _mm256_fmadd_pd(q1, r4, q0);
        let p = _mm256_fmadd_pd(q2, r8, s0);
        // e^r = 1 + r (1 + r P): the last two steps round least.
        let er = _mm256_fmadd_pd(
            _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0)),
            r,
            _mm256_set1_pd(1.0),
        );
        // 2^k as 2^k1 * 2^k2 (k1 = floor(k / 2)): both exact powers in range, and a
        // subnormal result rounds once, in the last multiplication.
        let k1 = _mm256_floor_pd(_mm256_mul_pd(k, _mm256_set1_pd(0.5)));
        let k2 = _mm256_sub_pd(k, k1);
        _mm256_mul_pd(_mm256_mul_pd(er, pow2(k1)), pow2(k2))
    }

    /// `ln(1 + x)` on four lanes for `x` in `[0, 1]` or NaN (see the [module](super) docs).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn ln_1p_unit(x: __m256d) -> __m256d {
        // The minimax coefficients of (ln(1 + f) - f + f^2 / 2 - s f^2 / 2) / s, in s^2
        // (Sun's fdlibm, public domain): `ln(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2)))`.
        const LG: [f64; 7] = [
            0.6666666666666735,
            0.3999999999940942,
            0.2857142874366239,
            0.22222198432149784,
            0.1818357216161805,
            0.15313837699209373,
            0.14798198605116586,
        ];
        let one = _mm256_set1_pd(1.0);
        let u = _mm256_add_pd(one, x);
        // u - 1 is exact (u in [1, 2]), and so is its difference from x.
        let c = _mm256_sub_pd(x, _mm256_sub_pd(u, one));
        // u = 2^k (1 + f), k in {0, 1}.
        let big = _mm256_cmp_pd::<_CMP_GT_OQ>(u, _mm256_set1_pd(std::f64::consts::SQRT_2));
        let k = _mm256_and_pd(big, one);
        let m = _mm256_blendv_pd(u, _mm256_mul_pd(u, _mm256_set1_pd(0.5)), big);
        let f = _mm256_sub_pd(m, one);
        let s = _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f));
        let z = _mm256_mul_pd(s, s);
        let w = _mm256_mul_pd(z, z);
        let lg = splat(&LG);
        // R = z (LG0 + z (LG1 + ...)), in two interleaved halves (as fdlibm) for a short chain.
        let t1 = _mm256_mul_pd(
            w,
            _mm256_fmadd_pd(w, _mm256_fmadd_pd(w, lg[5], lg[3]), lg[1]),
        );
        let t2 = _mm256_mul_pd(
            z,
            _mm256_fmadd_pd(
                w,
                _mm256_fmadd_pd(w, _mm256_fmadd_pd(w, lg[6], lg[4]), lg[2]),
                lg[0],
            ),
        );
        let r = _mm256_add_pd(t1, t2);
        let hfsq = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(f, f));
        let lo = _mm256_fmadd_pd(k, _mm256_set1_pd(LN2_LO), _mm256_div_pd(c, u));
        let tail = _mm256_fmadd_pd(s, _mm256_add_pd(hfsq, r), lo);
        let lnf = _mm256_sub_pd(f, _mm256_sub_pd(hfsq, tail));
        _mm256_fmadd_pd(k, _mm256_set1_pd(LN2_HI), lnf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

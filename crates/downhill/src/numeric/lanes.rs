//! Vectors of `f64` lanes as one type with the operations [`super::vmath`] needs, so that
//! its functions are written once and run on four lanes (AVX2 and FMA) or eight (AVX-512).
//!
//! Every operation is the same IEEE operation in each lane on both (a fused multiply-add is
//! one rounding, `max`/`min` return the second operand when either is NaN, rounding to an
//! integer is exact), so a value gets the same bits whichever width computes it; the tests
//! of `vmath` check that on every argument they try.
//!
//! The methods are `#[inline(always)]` without target features of their own: they are
//! inlined into the `#[target_feature]` functions that call them, where the intrinsics
//! inline too.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `f64` lanes in a vector register.
///
/// # Safety
/// Every method may only be called where the CPU supports the implementing type's
/// instructions ([`__m256d`]: AVX2 and FMA; [`__m512d`]: AVX-512F).
pub(crate) unsafe trait Lanes: Copy {
    /// A lane-wise condition.
    type Mask: Copy;
    /// The number of lanes.
    const LANES: usize;
    /// `v` in every lane.
    unsafe fn splat(v: f64) -> Self;
    /// `N` values from `p` (unaligned).
    unsafe fn load(p: *const f64) -> Self;
    /// The lanes to `p..p + N` (unaligned).
    unsafe fn store(self, p: *mut f64);
    unsafe fn add(self, b: Self) -> Self;
    unsafe fn sub(self, b: Self) -> Self;
    unsafe fn mul(self, b: Self) -> Self;
    unsafe fn div(self, b: Self) -> Self;
    /// `b` where either is NaN.
    unsafe fn max(self, b: Self) -> Self;
    /// `b` where either is NaN.
    unsafe fn min(self, b: Self) -> Self;
    /// `self * b + c`, rounded once.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// `c - self * b`, rounded once.
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self;
    /// To the nearest integer, ties to even.
    unsafe fn round(self) -> Self;
    unsafe fn floor(self) -> Self;
    /// The sign bit set: `-|x|` (NaN stays NaN).
    unsafe fn neg_abs(self) -> Self;
    /// The sign bit flipped.
    unsafe fn neg(self) -> Self;
    /// `2^k` for integer-valued `k` in `[-1022, 1023]`, from its bits.
    unsafe fn pow2(self) -> Self;
    /// `self * 2^k` for `self` in `[0.5, 2]` (or NaN) and integer-valued `k` in
    /// `[-1076, 1025]` (or NaN), rounded once: by two exact powers `2^floor(k / 2)` and
    /// `2^(k - floor(k / 2))`, the first product exact and normal, the second the only
    /// rounding (to a subnormal, zero or infinity at the ends).
    #[inline(always)]
    unsafe fn scale2(self, k: Self) -> Self {
        let k1 = k.mul(Self::splat(0.5)).floor();
        let k2 = k.sub(k1);
        self.mul(k1.pow2()).mul(k2.pow2())
    }
    /// The unbiased binary exponent of a positive normal value, as a float.
    unsafe fn exponent(self) -> Self;
    /// The significand of a positive normal value, in `[1, 2)`.
    unsafe fn mantissa(self) -> Self;
    unsafe fn gt(self, b: Self) -> Self::Mask;
    unsafe fn ge(self, b: Self) -> Self::Mask;
    /// Not equal, or unordered (NaN).
    unsafe fn ne(self, b: Self) -> Self::Mask;
    /// `yes` where `m`, else `no`.
    unsafe fn select(m: Self::Mask, yes: Self, no: Self) -> Self;
    /// `x` where `m`, else `+0`.
    unsafe fn keep(m: Self::Mask, x: Self) -> Self;
}

/// `1.5 * 2^52`: adding it rounds a value below `2^51` in magnitude to an integer held in
/// the low bits of the sum's representation.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `2^52`'s bits: or-ed with an integer below `2^52`, a double `2^52 + integer`.
const TWO52_BITS: i64 = 0x4330_0000_0000_0000;
/// The significand's bits, and `1.0`'s.
const MANTISSA_BITS: i64 = 0x000F_FFFF_FFFF_FFFF;
const ONE_BITS: i64 = 0x3FF0_0000_0000_0000;

#[cfg(target_arch = "x86_64")]
unsafe impl Lanes for __m256d {
    type Mask = __m256d;
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        _mm256_set1_pd(v)
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        _mm256_loadu_pd(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        _mm256_storeu_pd(p, self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm256_add_pd(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm256_sub_pd(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        _mm256_mul_pd(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm256_div_pd(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_max_pd(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_min_pd(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        _mm256_fmadd_pd(self, b, c)
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        _mm256_fnmadd_pd(self, b, c)
    }
    #[inline(always)]
    unsafe fn round(self) -> Self {
        _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self)
    }
    #[inline(always)]
    unsafe fn floor(self) -> Self {
        _mm256_floor_pd(self)
    }
    #[inline(always)]
    unsafe fn neg_abs(self) -> Self {
        _mm256_or_pd(self, _mm256_set1_pd(-0.0))
    }
    #[inline(always)]
    unsafe fn neg(self) -> Self {
        _mm256_xor_pd(self, _mm256_set1_pd(-0.0))
    }
    #[inline(always)]
    unsafe fn pow2(self) -> Self {
        let bits = _mm256_castpd_si256(_mm256_add_pd(self, _mm256_set1_pd(ROUNDER)));
        let rounder = _mm256_castpd_si256(_mm256_set1_pd(ROUNDER));
        let biased = _mm256_add_epi64(_mm256_sub_epi64(bits, rounder), _mm256_set1_epi64x(1023));
        _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased))
    }
    #[inline(always)]
    unsafe fn exponent(self) -> Self {
        let e = _mm256_srli_epi64::<52>(_mm256_castpd_si256(self));
        let v = _mm256_castsi256_pd(_mm256_or_si256(e, _mm256_set1_epi64x(TWO52_BITS)));
        _mm256_sub_pd(v, _mm256_set1_pd(4_503_599_627_371_519.0))
    }
    #[inline(always)]
    unsafe fn mantissa(self) -> Self {
        let m = _mm256_and_si256(_mm256_castpd_si256(self), _mm256_set1_epi64x(MANTISSA_BITS));
        _mm256_castsi256_pd(_mm256_or_si256(m, _mm256_set1_epi64x(ONE_BITS)))
    }
    #[inline(always)]
    unsafe fn gt(self, b: Self) -> Self::Mask {
        _mm256_cmp_pd::<_CMP_GT_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn ge(self, b: Self) -> Self::Mask {
        _mm256_cmp_pd::<_CMP_GE_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn ne(self, b: Self) -> Self::Mask {
        _mm256_cmp_pd::<_CMP_NEQ_UQ>(self, b)
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, yes: Self, no: Self) -> Self {
        _mm256_blendv_pd(no, yes, m)
    }
    #[inline(always)]
    unsafe fn keep(m: Self::Mask, x: Self) -> Self {
        _mm256_and_pd(m, x)
    }
}

#[cfg(target_arch = "x86_64")]
unsafe impl Lanes for __m512d {
    type Mask = __mmask8;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        _mm512_set1_pd(v)
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        _mm512_loadu_pd(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        _mm512_storeu_pd(p, self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm512_add_pd(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm512_sub_pd(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        _mm512_mul_pd(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm512_div_pd(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_pd(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_pd(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        _mm512_fmadd_pd(self, b, c)
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        _mm512_fnmadd_pd(self, b, c)
    }
    #[inline(always)]
    unsafe fn round(self) -> Self {
        _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self)
    }
    #[inline(always)]
    unsafe fn floor(self) -> Self {
        _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(self)
    }
    #[inline(always)]
    unsafe fn neg_abs(self) -> Self {
        let sign = _mm512_castpd_si512(_mm512_set1_pd(-0.0));
        _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(self), sign))
    }
    #[inline(always)]
    unsafe fn neg(self) -> Self {
        let sign = _mm512_castpd_si512(_mm512_set1_pd(-0.0));
        _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(self), sign))
    }
    #[inline(always)]
    unsafe fn pow2(self) -> Self {
        let bits = _mm512_castpd_si512(_mm512_add_pd(self, _mm512_set1_pd(ROUNDER)));
        let rounder = _mm512_castpd_si512(_mm512_set1_pd(ROUNDER));
        let biased = _mm512_add_epi64(_mm512_sub_epi64(bits, rounder), _mm512_set1_epi64(1023));
        _mm512_castsi512_pd(_mm512_slli_epi64::<52>(biased))
    }
    /// One `vscalefpd`: the same single rounding as the default's two products.
    #[inline(always)]
    unsafe fn scale2(self, k: Self) -> Self {
        _mm512_scalef_pd(self, k)
    }
    #[inline(always)]
    unsafe fn exponent(self) -> Self {
        let e = _mm512_srli_epi64::<52>(_mm512_castpd_si512(self));
        let v = _mm512_castsi512_pd(_mm512_or_si512(e, _mm512_set1_epi64(TWO52_BITS)));
        _mm512_sub_pd(v, _mm512_set1_pd(4_503_599_627_371_519.0))
    }
    #[inline(always)]
    unsafe fn mantissa(self) -> Self {
        let m = _mm512_and_si512(_mm512_castpd_si512(self), _mm512_set1_epi64(MANTISSA_BITS));
        _mm512_castsi512_pd(_mm512_or_si512(m, _mm512_set1_epi64(ONE_BITS)))
    }
    #[inline(always)]
    unsafe fn gt(self, b: Self) -> Self::Mask {
        _mm512_cmp_pd_mask::<_CMP_GT_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn ge(self, b: Self) -> Self::Mask {
        _mm512_cmp_pd_mask::<_CMP_GE_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn ne(self, b: Self) -> Self::Mask {
        _mm512_cmp_pd_mask::<_CMP_NEQ_UQ>(self, b)
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, yes: Self, no: Self) -> Self {
        _mm512_mask_blend_pd(m, no, yes)
    }
    #[inline(always)]
    unsafe fn keep(m: Self::Mask, x: Self) -> Self {
        _mm512_maskz_mov_pd(m, x)
    }
}

/// Two vectors as one of twice the lanes: every operation issued on both halves back to
/// back. A function of [`super::vmath`] on a `Pair` runs two independent chains of
/// dependent operations side by side (the log loss is a chain of about a hundred cycles:
/// one vector at a time, the core waits on it), with the same operations, so the same
/// bits, in every lane. Written out half by half (no closures: a closure does not inherit
/// the caller's target features, and its intrinsics would not inline).
#[derive(Clone, Copy)]
pub(crate) struct Pair<V>(pub V, pub V);

unsafe impl<V: Lanes> Lanes for Pair<V> {
    type Mask = Pair<V::Mask>;
    const LANES: usize = 2 * V::LANES;
    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        let h = V::splat(v);
        Pair(h, h)
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        Pair(V::load(p), V::load(p.add(V::LANES)))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        self.0.store(p);
        self.1.store(p.add(V::LANES));
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        Pair(self.0.add(b.0), self.1.add(b.1))
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        Pair(self.0.sub(b.0), self.1.sub(b.1))
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        Pair(self.0.mul(b.0), self.1.mul(b.1))
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        Pair(self.0.div(b.0), self.1.div(b.1))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        Pair(self.0.max(b.0), self.1.max(b.1))
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        Pair(self.0.min(b.0), self.1.min(b.1))
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        Pair(self.0.mul_add(b.0, c.0), self.1.mul_add(b.1, c.1))
    }
    #[inline(always)]
    unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
        Pair(self.0.neg_mul_add(b.0, c.0), self.1.neg_mul_add(b.1, c.1))
    }
    #[inline(always)]
    unsafe fn round(self) -> Self {
        Pair(self.0.round(), self.1.round())
    }
    #[inline(always)]
    unsafe fn floor(self) -> Self {
        Pair(self.0.floor(), self.1.floor())
    }
    #[inline(always)]
    unsafe fn neg_abs(self) -> Self {
        Pair(self.0.neg_abs(), self.1.neg_abs())
    }
    #[inline(always)]
    unsafe fn neg(self) -> Self {
        Pair(self.0.neg(), self.1.neg())
    }
    #[inline(always)]
    unsafe fn pow2(self) -> Self {
        Pair(self.0.pow2(), self.1.pow2())
    }
    #[inline(always)]
    unsafe fn scale2(self, k: Self) -> Self {
        Pair(self.0.scale2(k.0), self.1.scale2(k.1))
    }
    #[inline(always)]
    unsafe fn exponent(self) -> Self {
        Pair(self.0.exponent(), self.1.exponent())
    }
    #[inline(always)]
    unsafe fn mantissa(self) -> Self {
        Pair(self.0.mantissa(), self.1.mantissa())
    }
    #[inline(always)]
    unsafe fn gt(self, b: Self) -> Self::Mask {
        Pair(self.0.gt(b.0), self.1.gt(b.1))
    }
    #[inline(always)]
    unsafe fn ge(self, b: Self) -> Self::Mask {
        Pair(self.0.ge(b.0), self.1.ge(b.1))
    }
    #[inline(always)]
    unsafe fn ne(self, b: Self) -> Self::Mask {
        Pair(self.0.ne(b.0), self.1.ne(b.1))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, yes: Self, no: Self) -> Self {
        Pair(V::select(m.0, yes.0, no.0), V::select(m.1, yes.1, no.1))
    }
    #[inline(always)]
    unsafe fn keep(m: Self::Mask, x: Self) -> Self {
        Pair(V::keep(m.0, x.0), V::keep(m.1, x.1))
    }
}

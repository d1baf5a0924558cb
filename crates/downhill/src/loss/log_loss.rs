use super::Loss;
use crate::numeric::lanes::Lanes;
use crate::numeric::vmath;

/// Logistic log-loss on the logit `z = w . x + b` for a 0/1 target:
/// `-(y * ln(p) + (1 - y) * ln(1 - p))` with `p = sigmoid(z)`.
///
/// Computed as `y * softplus(-z) + (1 - y) * softplus(z)` with
/// `softplus(t) = ln(1 + e^t) = max(t, 0) + ln_1p(e^-|t|)`: finite for every finite `z`,
/// and accurate when the loss is tiny (a well-classified row), where the textbook
/// `softplus(z) - y * z` cancels to 0. The derivative is `sigmoid(z) - y`, the second
/// derivative `sigmoid(z) * (1 - sigmoid(z))`.
///
/// On four rows at once ([`Loss::value_deriv4`], [`Loss::value4`], which the kernels with
/// AVX2 and FMA call) and sixteen ([`Loss::value_deriv16`], eight lanes at a time with
/// AVX-512F, the same bits as four at a time) `e^-|z|` is computed once for the loss and the
/// derivative, and so is `1 / (1 + e^-|z|)` (for `ln_1p` and the sigmoid, which is
/// `e^-|z|` times it for `z < 0`); `exp` and `ln_1p` are vector code
/// ([`crate::numeric::vmath`], each within 1 ulp of the scalar functions): a row's loss and
/// derivative may then differ from [`Loss::value_deriv`]'s in the last bits (the tests bound
/// it: 4 ulps on the loss, 4 ulps on the derivative's `sigmoid`), never in special values
/// (infinite and NaN logits give what the scalar code gives). Every run on a machine gives
/// the same bits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogLoss;

/// `ln(1 + e^t)` without overflow for large `t` nor loss of accuracy for very negative `t`.
#[inline]
pub fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// `1 / (1 + e^-z)` without overflow: only `e^-|z|` is ever computed.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// [`Loss::value_deriv`] of [`LogLoss`] on four rows, one at a time (the scalar reference).
#[inline(always)]
fn value_deriv4_scalar(pred: [f64; 4], target: [f64; 4]) -> ([f64; 4], [f64; 4]) {
    let mut out = ([0.0; 4], [0.0; 4]);
    for r in 0..4 {
        (out.0[r], out.1[r]) = LogLoss.value_deriv(pred[r], target[r]);
    }
    out
}

impl Loss for LogLoss {
    const VECTOR4: bool = true;

    #[inline(always)]
    fn value_deriv4(&self, pred: [f64; 4], target: [f64; 4]) -> ([f64; 4], [f64; 4]) {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { avx2::value_deriv4(pred, target) };
        }
        value_deriv4_scalar(pred, target)
    }

    #[inline(always)]
    fn value4(&self, pred: [f64; 4], target: [f64; 4]) -> [f64; 4] {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: as in `value_deriv4`.
            return unsafe { avx2::value_deriv4(pred, target).0 };
        }
        value_deriv4_scalar(pred, target).0
    }

    #[inline]
    fn value(&self, pred: f64, target: f64) -> f64 {
        // Skip a term whose weight is 0 so that 0 * huge stays 0 (targets are 0 or 1).
        let mut l = 0.0;
        if target != 0.0 {
            l += target * softplus(-pred);
        }
        if target != 1.0 {
            l += (1.0 - target) * softplus(pred);
        }
        l
    }

    #[inline]
    fn value_deriv(&self, pred: f64, target: f64) -> (f64, f64) {
        (self.value(pred, target), sigmoid(pred) - target)
    }

    #[inline]
    fn second_deriv(&self, pred: f64, _target: f64) -> f64 {
        // p (1 - p) as e / (1 + e)^2 with e = exp(-|z|): no cancellation in 1 - p when p
        // is near 1, so accurate to a few ulps at every logit.
        let e = (-pred.abs()).exp();
        let d = 1.0 + e;
        e / (d * d)
    }

    #[inline(always)]
    fn value_deriv16(&self, pred: &[f64; 16], target: &[f64; 16]) -> ([f64; 16], [f64; 16]) {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx512f() {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { avx512::value_deriv16(pred, target) };
        }
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { avx2::value_deriv16(pred, target) };
        }
        super::value_deriv16_by_fours(self, pred, target)
    }

    #[inline(always)]
    fn value16(&self, pred: &[f64; 16], target: &[f64; 16]) -> [f64; 16] {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx512f() {
            // SAFETY: as in `value_deriv16`.
            return unsafe { avx512::value_deriv16(pred, target).0 };
        }
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: as in `value_deriv16`.
            return unsafe { avx2::value_deriv16(pred, target).0 };
        }
        super::value_deriv16_by_fours(self, pred, target).0
    }

    #[inline(always)]
    fn second_deriv16(&self, pred: &[f64; 16], target: &[f64; 16]) -> [f64; 16] {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx512f() {
            // SAFETY: as in `value_deriv16`.
            return unsafe { avx512::second_deriv16(pred) };
        }
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: as in `value_deriv16`.
            return unsafe { avx2::second_deriv16(pred) };
        }
        super::second_deriv16_by_fours(self, pred, target)
    }

    #[inline(always)]
    fn all_derivs16(
        &self,
        pred: &[f64; 16],
        target: &[f64; 16],
    ) -> ([f64; 16], [f64; 16], [f64; 16]) {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx512f() {
            // SAFETY: as in `value_deriv16`.
            return unsafe { avx512::all_derivs16(pred, target) };
        }
        let (l, dl) = self.value_deriv16(pred, target);
        (l, dl, self.second_deriv16(pred, target))
    }

    #[inline(always)]
    fn second_deriv4(&self, pred: [f64; 4], target: [f64; 4]) -> [f64; 4] {
        #[cfg(target_arch = "x86_64")]
        if vmath::has_avx2_fma() {
            // SAFETY: as in `value_deriv4`.
            return unsafe { avx2::second_deriv4(pred) };
        }
        let mut out = [0.0; 4];
        for r in 0..4 {
            out[r] = self.second_deriv(pred[r], target[r]);
        }
        out
    }
}

/// `(loss, dloss/dz)` on every lane, the scalar code's operations on each with one
/// `e^-|z|` (an unused derivative compiles away).
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
unsafe fn lanes_value_deriv<V: Lanes>(z: V, t: V) -> (V, V) {
    let (l, dl, _) = lanes_all_derivs(z, t);
    (l, dl)
}

/// [`lanes_value_deriv`] and [`lanes_second_deriv`] from one `e^-|z|` (the same
/// operations, so the same bits; what is not used compiles away).
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
unsafe fn lanes_all_derivs<V: Lanes>(z: V, t: V) -> (V, V, V) {
    let (zero, one) = (V::splat(0.0), V::splat(1.0));
    // e = exp(-|z|), shared by softplus(z), softplus(-z) and sigmoid(z).
    let e = vmath::exp(z.neg_abs());
    // 1 / (1 + e) serves both ln_1p(e) and the sigmoid: one division fewer.
    let u = one.add(e);
    let inv_u = one.div(u);
    let lp = vmath::ln_1p_unit_of(e, u, inv_u);
    // softplus(t) = max(t, 0) + ln_1p(e): `max` returns its second operand (0) for a NaN
    // first, as f64::max does.
    let sp_neg = z.neg().max(zero).add(lp);
    let sp_pos = z.max(zero).add(lp);
    // l = 0 (+ t softplus(-z) where t != 0) (+ (1 - t) softplus(z) where t != 1): a term left
    // out is never computed as 0 * inf.
    let a = V::keep(t.ne(zero), t.mul(sp_neg));
    let b = V::keep(t.ne(one), one.sub(t).mul(sp_pos));
    let l = zero.add(a).add(b);
    // sigmoid(z) = 1 / (1 + e) for z >= 0, e / (1 + e) otherwise (and for NaN).
    let num = V::select(z.ge(zero), one, e);
    // The second derivative e / (1 + e)^2, as `lanes_second_deriv` divides.
    (l, num.mul(inv_u).sub(t), e.div(u.mul(u)))
}

/// `e / (1 + e)^2` with `e = exp(-|z|)` on every lane, the scalar code's operations.
///
/// # Safety
/// The CPU supports `V`'s instructions ([`Lanes`]).
#[inline(always)]
unsafe fn lanes_second_deriv<V: Lanes>(z: V) -> V {
    let e = vmath::exp(z.neg_abs());
    let d = V::splat(1.0).add(e);
    e.div(d.mul(d))
}

/// The log loss on four lanes (AVX2 and FMA), inlined into the kernels.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Lanes;
    use crate::numeric::lanes::Pair;
    use std::arch::x86_64::*;

    /// The lanes the sixteen-row functions compute at once.
    type Wide = Pair<Pair<__m256d>>;

    /// `(loss, dloss/dz)` of sixteen rows, all in flight together ([`Pair`]): one group of
    /// four at a time, the loss's long chain of dependent operations left the core idle.
    /// The same operations in every lane as [`value_deriv4`], so the same bits.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn value_deriv16(
        pred: &[f64; 16],
        target: &[f64; 16],
    ) -> ([f64; 16], [f64; 16]) {
        let mut out = ([0.0; 16], [0.0; 16]);
        let mut at = 0;
        while at < 16 {
            let (l, dl) = super::lanes_value_deriv(
                Wide::load(pred.as_ptr().add(at)),
                Wide::load(target.as_ptr().add(at)),
            );
            l.store(out.0.as_mut_ptr().add(at));
            dl.store(out.1.as_mut_ptr().add(at));
            at += Wide::LANES;
        }
        out
    }

    /// The second derivative of sixteen rows, as [`value_deriv16`] (the bits of
    /// [`second_deriv4`]).
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn second_deriv16(pred: &[f64; 16]) -> [f64; 16] {
        let mut out = [0.0; 16];
        let mut at = 0;
        while at < 16 {
            super::lanes_second_deriv(Wide::load(pred.as_ptr().add(at)))
                .store(out.as_mut_ptr().add(at));
            at += Wide::LANES;
        }
        out
    }

    /// `(loss, dloss/dz)` of four rows.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn value_deriv4(pred: [f64; 4], target: [f64; 4]) -> ([f64; 4], [f64; 4]) {
        let (l, dl) =
            super::lanes_value_deriv(__m256d::load(pred.as_ptr()), __m256d::load(target.as_ptr()));
        let mut out = ([0.0; 4], [0.0; 4]);
        l.store(out.0.as_mut_ptr());
        dl.store(out.1.as_mut_ptr());
        out
    }

    /// The second derivative of four rows.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn second_deriv4(pred: [f64; 4]) -> [f64; 4] {
        let mut out = [0.0; 4];
        super::lanes_second_deriv(__m256d::load(pred.as_ptr())).store(out.as_mut_ptr());
        out
    }
}

/// The log loss on sixteen rows in eight-lane halves (AVX-512F): the same bits as four
/// calls of the AVX2 code, at about half the instructions. Not inlined (the kernels are
/// compiled for AVX2), so called once per sixteen rows.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// Eight values as two 256-bit loads: the kernels write predictions four to a store,
    /// and a load spanning two stores would wait for both to reach the cache.
    ///
    /// # Safety
    /// AVX-512F; eight readable values at `p`.
    #[inline(always)]
    unsafe fn load8(p: *const f64) -> __m512d {
        _mm512_insertf64x4::<1>(
            _mm512_castpd256_pd512(_mm256_loadu_pd(p)),
            _mm256_loadu_pd(p.add(4)),
        )
    }

    /// `(loss, dloss/dz)` of sixteen rows.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn value_deriv16(
        pred: &[f64; 16],
        target: &[f64; 16],
    ) -> ([f64; 16], [f64; 16]) {
        let mut out = ([0.0; 16], [0.0; 16]);
        for h in [0, 8] {
            let (l, dl) = super::lanes_value_deriv(
                load8(pred.as_ptr().add(h)),
                load8(target.as_ptr().add(h)),
            );
            l.store(out.0.as_mut_ptr().add(h));
            dl.store(out.1.as_mut_ptr().add(h));
        }
        out
    }

    /// `(loss, dloss/dz, d2loss/dz2)` of sixteen rows, one `exp` for the three.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn all_derivs16(
        pred: &[f64; 16],
        target: &[f64; 16],
    ) -> ([f64; 16], [f64; 16], [f64; 16]) {
        let mut out = ([0.0; 16], [0.0; 16], [0.0; 16]);
        for h in [0, 8] {
            let (l, dl, d2) =
                super::lanes_all_derivs(load8(pred.as_ptr().add(h)), load8(target.as_ptr().add(h)));
            l.store(out.0.as_mut_ptr().add(h));
            dl.store(out.1.as_mut_ptr().add(h));
            d2.store(out.2.as_mut_ptr().add(h));
        }
        out
    }

    /// The second derivative of sixteen rows.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn second_deriv16(pred: &[f64; 16]) -> [f64; 16] {
        let mut out = [0.0; 16];
        for h in [0, 8] {
            super::lanes_second_deriv(load8(pred.as_ptr().add(h))).store(out.as_mut_ptr().add(h));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_logits_stay_finite_and_accurate() {
        // ln(1 + e^-40) = e^-40 to double precision.
        assert_eq!(LogLoss.value(40.0, 1.0), (-40.0f64).exp());
        assert_eq!(LogLoss.value(-40.0, 0.0), (-40.0f64).exp());
        assert_eq!(LogLoss.value(1e308, 0.0), 1e308);
        assert_eq!(LogLoss.value(-1e308, 1.0), 1e308);
        assert_eq!(sigmoid(-1e308), 0.0);
        assert_eq!(sigmoid(1e308), 1.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((LogLoss.value(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-16);
        assert_eq!(LogLoss.second_deriv(0.0, 1.0), 0.25);
    }

    /// Distance in representable values (ulps), 0 for two NaNs or equal values.
    fn ulps(a: f64, b: f64) -> f64 {
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
        if a.is_infinite() || b.is_infinite() || (a < 0.0) != (b < 0.0) {
            return f64::INFINITY;
        }
        (a.abs().to_bits() as i64 - b.abs().to_bits() as i64).unsigned_abs() as f64
    }

    /// Logits over every range a fit meets (-750 to 750, tiny, huge, special values).
    fn logits() -> Vec<f64> {
        let mut zs: Vec<f64> = (0..=300_000).map(|i| -750.0 + i as f64 * 0.005).collect();
        for e in -320..=308 {
            for m in [1.0, 2.5, 9.9] {
                zs.extend([m * 10f64.powi(e), -m * 10f64.powi(e)]);
            }
        }
        zs.extend([
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN,
        ]);
        zs
    }

    #[test]
    fn sixteen_rows_at_once_give_the_bits_of_four_at_a_time() {
        // Kernels mix them (groups of sixteen, then the rest by four): a row's values must
        // not depend on which it went through, eight lanes (AVX-512), sixteen in flight
        // (AVX2, `Pair`s of vectors) or four.
        let zs = logits();
        let four = |v: &[f64; 16], i: usize| [v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]];
        let mut checked = 0;
        for target in [0.0, 1.0, 0.25] {
            for (n, chunk) in zs.chunks(16).enumerate() {
                let mut p = [0.5; 16];
                p[..chunk.len()].copy_from_slice(chunk);
                // Targets differ between lanes too.
                let t: [f64; 16] = std::array::from_fn(|r| {
                    if (n + r) % 3 == 0 {
                        1.0 - target
                    } else {
                        target
                    }
                });
                let (l16, d16) = LogLoss.value_deriv16(&p, &t);
                let h16 = LogLoss.second_deriv16(&p, &t);
                assert_eq!(
                    LogLoss.value16(&p, &t).map(f64::to_bits),
                    l16.map(f64::to_bits)
                );
                for i in 0..4 {
                    let (l4, d4) = LogLoss.value_deriv4(four(&p, i), four(&t, i));
                    let h4 = LogLoss.second_deriv4(four(&p, i), four(&t, i));
                    assert_eq!(
                        four(&l16, i).map(f64::to_bits),
                        l4.map(f64::to_bits),
                        "{p:?}"
                    );
                    assert_eq!(
                        four(&d16, i).map(f64::to_bits),
                        d4.map(f64::to_bits),
                        "{p:?}"
                    );
                    assert_eq!(
                        four(&h16, i).map(f64::to_bits),
                        h4.map(f64::to_bits),
                        "{p:?}"
                    );
                    checked += 4;
                }
            }
        }
        assert!(checked >= 3 * zs.len());
    }

    #[test]
    fn four_rows_at_once_match_the_scalar_code() {
        // Targets 0, 1 and in between; against value_deriv row by row: the loss within 4
        // ulps, the derivative's sigmoid within 4 ulps, special values identical.
        let zs = logits();
        let mut worst = (0.0f64, 0.0f64);
        for target in [0.0, 1.0, 0.25] {
            for chunk in zs.chunks(4) {
                let mut p = [0.5; 4];
                p[..chunk.len()].copy_from_slice(chunk);
                let t = [target; 4];
                let (l4, d4) = LogLoss.value_deriv4(p, t);
                assert_eq!(LogLoss.value4(p, t).map(f64::to_bits), l4.map(f64::to_bits));
                for r in 0..chunk.len() {
                    let (l, d) = LogLoss.value_deriv(p[r], target);
                    // The derivative is sigmoid(z) - y: for y = 0 the sigmoid itself, in
                    // ulps; otherwise its error as a multiple of 2^-52 (sigmoid <= 1).
                    let el = ulps(l4[r], l);
                    let ed = match (target == 0.0, d.is_nan()) {
                        (_, true) => ulps(d4[r], d),
                        (true, false) => ulps(d4[r], d),
                        (false, false) => (d4[r] - d).abs() / f64::EPSILON,
                    };
                    assert!(
                        el <= 4.0,
                        "loss at z = {}, y = {target}: {} vs {l}",
                        p[r],
                        l4[r]
                    );
                    assert!(ed <= 4.0, "sigmoid at z = {}: {} vs {}", p[r], d4[r], d);
                    worst = (worst.0.max(el), worst.1.max(ed));
                }
            }
        }
        // A row's value does not depend on the others in its group.
        let (a, _) = LogLoss.value_deriv4([3.0, -700.0, f64::NAN, 0.1], [1.0, 0.0, 1.0, 0.0]);
        let (b, _) = LogLoss.value_deriv4([3.0, 1.0, 2.0, 0.1], [1.0, 1.0, 1.0, 0.0]);
        assert_eq!(
            (a[0].to_bits(), a[3].to_bits()),
            (b[0].to_bits(), b[3].to_bits())
        );
        assert!(a[2].is_nan());
        assert!(worst.0 <= 4.0 && worst.1 <= 4.0);
    }

    #[test]
    fn second_derivatives_four_at_once_match_the_scalar_code() {
        // Over the logits a fit meets and the tails: within 4 ulps of the scalar code, which
        // is itself p (1 - p) to a few ulps where the sigmoid does not round to 1.
        let mut zs: Vec<f64> = (0..=150_000).map(|i| -750.0 + i as f64 * 0.01).collect();
        zs.extend([
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
            -1e300,
        ]);
        for chunk in zs.chunks(4) {
            let mut p = [0.5; 4];
            p[..chunk.len()].copy_from_slice(chunk);
            let h4 = LogLoss.second_deriv4(p, [1.0; 4]);
            for r in 0..chunk.len() {
                let h = LogLoss.second_deriv(p[r], 1.0);
                assert!(ulps(h4[r], h) <= 4.0, "at z = {}: {} vs {h}", p[r], h4[r]);
                if p[r].abs() < 20.0 {
                    let s = sigmoid(p[r]);
                    assert!(
                        (h - s * (1.0 - s)).abs() <= 4.0 * f64::EPSILON,
                        "at z = {}",
                        p[r]
                    );
                }
            }
        }
        assert_eq!(LogLoss.second_deriv(800.0, 0.0), 0.0);
        assert!(LogLoss.second_deriv(f64::NAN, 0.0).is_nan());
    }

    #[test]
    fn matches_the_textbook_formula_at_moderate_logits() {
        for &z in &[-3.0f64, -0.5, 0.2, 2.5] {
            let p: f64 = 1.0 / (1.0 + (-z).exp());
            for &y in &[0.0, 1.0] {
                let textbook = -(y * p.ln() + (1.0 - y) * (1.0 - p).ln());
                assert!((LogLoss.value(z, y) - textbook).abs() < 1e-14);
            }
        }
    }
}

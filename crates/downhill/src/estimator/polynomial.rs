//! Polynomial terms for [`LinearRegression`](super::LinearRegression), fitted in a
//! well-conditioned basis and reported as ordinary monomials in original units.
//!
//! Powers of a raw column are nearly collinear when the column sits far from 0 (NIST's Filip:
//! `x` in `[-8.8, -3.1]`, degree 10; standardised powers of `x` have condition number 3.8e9),
//! and standardising each power afterwards does not undo that. Powers of the *standardised*
//! column `z = (x - m) / s`, standardised again, span the same polynomials with condition
//! number 1.9e3 there. The fit runs on those; the answer is expanded back into powers of `x`
//! with the binomial theorem, in double-double arithmetic, since the expansion's terms can
//! cancel to far below their size.

use super::linear::to_outer as plain_to_outer;
use crate::data::{Matrix, PolynomialFeatures, Standardizer};
use crate::distributed::{stats, Communicator};
use crate::numeric::DoubleDouble as Dd;
use crate::{Error, Result};

/// The basis a polynomial fit of [`LinearRegression`](super::LinearRegression) works in
/// (its `polynomial` option, with standardisation).
///
/// The data's columns `x_j` are standardised, `z_j = (x_j - m_j) / s_j` (the [`base`]
/// stage), the chosen columns gain their powers `z_j^2 .. z_j^K` (as
/// [`PolynomialFeatures`] appends them), and that design is standardised again (the
/// [`design`] stage). Weights of that design map back exactly to weights of the terms
/// `[x_1 .., x_j^2 .. x_j^K ..]` in original units: [`PolynomialBasis::to_original`].
///
/// [`base`]: PolynomialBasis::base
/// [`design`]: PolynomialBasis::design
#[derive(Debug, Clone, PartialEq)]
pub struct PolynomialBasis {
    /// Which columns are raised, and the degree.
    pub features: PolynomialFeatures,
    /// The first stage, on the data's columns: means (zeros without an intercept, where
    /// centring would change the model) and scales. Each scale is the standard deviation (root
    /// mean square without an intercept) rounded to a power of two, so that dividing by it
    /// and its powers in the mapping back are exact.
    pub base: Standardizer,
    /// The second stage, on the design `[z_1 .., z_j^2 .. z_j^K ..]` (only scaled without an
    /// intercept).
    pub design: Standardizer,
}

impl PolynomialBasis {
    /// Weights and intercept of the standardised design mapped to the terms in original
    /// units (weights for the data's columns, then for the powers in
    /// [`PolynomialFeatures::terms`] order). Carried out in double-double arithmetic and
    /// rounded once at the end, so each result is as accurate as an `f64` can be, whatever
    /// the cancellation between the binomial expansion's terms.
    ///
    /// # Panics
    /// When `w_std` does not hold one weight per column of the design, or the stages do not
    /// fit `features` (as a fit builds them, they do).
    pub fn to_original(&self, w_std: &[f64], b_std: f64) -> (Vec<f64>, f64) {
        let w_std: Vec<Dd> = w_std.iter().map(|&v| Dd::new(v)).collect();
        let (w, b) = self.to_original_dd(&w_std, Dd::new(b_std));
        (w.iter().map(|c| c.to_f64()).collect(), b.to_f64())
    }

    /// [`PolynomialBasis::to_original`] in double-double, unrounded.
    fn to_original_dd(&self, w_std: &[Dd], b_std: Dd) -> (Vec<Dd>, Dd) {
        // Undo the second stage: u = v / s, a = b - sum u m.
        let u: Vec<Dd> = w_std
            .iter()
            .zip(&self.design.scale)
            .map(|(v, s)| *v / *s)
            .collect();
        let mut a = b_std;
        for (uj, m) in u.iter().zip(&self.design.mean) {
            a -= *uj * *m;
        }
        // Undo the first stage, column by column: with z = (x - m) / s,
        // z^k = sum_i C(k, i) x^i (-m)^(k - i) / s^k.
        let mut out = vec![Dd::ZERO; u.len()];
        for (j, slots) in self.slots().iter().enumerate() {
            let top = slots.len();
            let binom = pascal(top);
            let neg_m = powers(Dd::new(-self.base.mean[j]), top);
            let inv_s = powers(Dd::ONE / self.base.scale[j], top);
            for k in 1..=top {
                let q = u[slots[k - 1]] * inv_s[k];
                for i in 0..=k {
                    let term = q * binom[k][i] * neg_m[k - i];
                    match i {
                        0 => a += term,
                        _ => out[slots[i - 1]] += term,
                    }
                }
            }
        }
        (out, a)
    }

    /// The inverse of [`PolynomialBasis::to_original`]: weights and intercept of the terms in
    /// original units to those of the standardised design (double-double too).
    ///
    /// # Panics
    /// As [`PolynomialBasis::to_original`], when `w` does not hold one weight per term.
    pub fn to_standardized(&self, w: &[f64], b: f64) -> (Vec<f64>, f64) {
        // With x = m + s z: x^i = sum_k C(i, k) m^(i - k) s^k z^k.
        let mut u = vec![Dd::ZERO; w.len()];
        let mut a = Dd::new(b);
        for (j, slots) in self.slots().iter().enumerate() {
            let top = slots.len();
            let binom = pascal(top);
            let m = powers(Dd::new(self.base.mean[j]), top);
            let s = powers(Dd::new(self.base.scale[j]), top);
            for i in 1..=top {
                let c = Dd::new(w[slots[i - 1]]);
                for k in 0..=i {
                    let term = c * binom[i][k] * m[i - k] * s[k];
                    match k {
                        0 => a += term,
                        _ => u[slots[k - 1]] += term,
                    }
                }
            }
        }
        // Then the second stage: v = u s, b = a + sum u m.
        for (uj, m) in u.iter().zip(&self.design.mean) {
            a += *uj * *m;
        }
        let v = u
            .iter()
            .zip(&self.design.scale)
            .map(|(uj, s)| (*uj * *s).to_f64())
            .collect();
        (v, a.to_f64())
    }

    /// Turns rows of the standardised design back, in place, into the terms in original
    /// units `[x_1 .., x_j^2 .. x_j^K ..]`: the data's columns by undoing both stages, the
    /// powers by repeated products in `f64`, as a model fitted on them is used.
    pub fn restore_terms(&self, x: &mut Matrix) {
        let d = self.base.mean.len();
        let p = x.cols();
        if p == 0 {
            return;
        }
        let degree = self.features.degree();
        for row in x.as_mut_slice().chunks_exact_mut(p) {
            for (j, v) in row[..d].iter_mut().enumerate() {
                let z = v.mul_add(self.design.scale[j], self.design.mean[j]);
                *v = z.mul_add(self.base.scale[j], self.base.mean[j]);
            }
            let mut at = d;
            for &c in self.features.columns() {
                let v = row[c];
                let mut pow = v;
                for _ in 2..=degree {
                    pow *= v;
                    row[at] = pow;
                    at += 1;
                }
            }
        }
    }

    /// For each data column, the positions in the design of `z_j, z_j^2, ..` (its own
    /// column, then its powers' columns, in order).
    fn slots(&self) -> Vec<Vec<usize>> {
        let d = self.base.mean.len();
        let mut slots: Vec<Vec<usize>> = (0..d).map(|j| vec![j]).collect();
        for (t, term) in self.features.terms().iter().enumerate() {
            slots[term.column].push(d + t);
        }
        slots
    }
}

/// `[1, x, .., x^n]`.
fn powers(x: Dd, n: usize) -> Vec<Dd> {
    let mut out = Vec::with_capacity(n + 1);
    let mut p = Dd::ONE;
    for _ in 0..=n {
        out.push(p);
        p *= x;
    }
    out
}

/// Binomial coefficients `C(k, i)` for `k <= n`, exact (integers up to 2^106).
fn pascal(n: usize) -> Vec<Vec<Dd>> {
    let mut rows: Vec<Vec<Dd>> = vec![vec![Dd::ONE]];
    for k in 1..=n {
        let prev = &rows[k - 1];
        let mut row = vec![Dd::ONE; k + 1];
        for i in 1..k {
            row[i] = prev[i - 1] + prev[i];
        }
        rows.push(row);
    }
    rows
}

/// The first stage of a polynomial fit, before the design is standardised.
#[derive(Debug)]
pub(super) struct Expanded {
    features: PolynomialFeatures,
    base: Standardizer,
}

impl Expanded {
    /// The basis, once the design's own standardisation is known.
    pub fn finish(self, design: Standardizer) -> PolynomialBasis {
        PolynomialBasis {
            features: self.features,
            base: self.base,
            design,
        }
    }
}

/// The terms the fit works on. Without `poly`, `x` itself. Without standardisation, the
/// raw powers ([`PolynomialFeatures::transform`]). Otherwise the data's columns
/// standardised, then their powers (the caller standardises that design again), and the
/// first stage to map back with.
///
/// Powers that overflow in original units are refused ([`Error::PolynomialOverflow`]) even
/// though the fit does not use them: the fitted model predicts with them.
pub(super) fn expand(
    x: Matrix,
    poly: Option<&PolynomialFeatures>,
    standardize: bool,
    intercept: bool,
) -> Result<(Matrix, Option<Expanded>)> {
    let Some(features) = poly else {
        return Ok((x, None));
    };
    if !standardize {
        return Ok((features.transform(&x)?, None));
    }
    check_columns(&x, features)?;
    check_powers(&x, features)?;
    let base = if intercept {
        Standardizer::fit(&x)?
    } else {
        Standardizer::fit_scale_only(&x)?
    };
    expand_on(x, features, base)
}

/// [`expand`] of the rows of every rank of `comm`, `x` holding this rank's: the first stage
/// from the statistics of every rank's rows, and the same error on every rank (an overflow
/// named by its row in the rows of every rank, in rank order), so that no rank is left
/// waiting in a collective.
pub(super) fn expand_across<C: Communicator + ?Sized>(
    x: Matrix,
    poly: Option<&PolynomialFeatures>,
    standardize: bool,
    intercept: bool,
    comm: &C,
) -> Result<(Matrix, Option<Expanded>)> {
    let Some(features) = poly else {
        return Ok((x, None));
    };
    check_columns(&x, features)?;
    // This rank's rows and its first overflow (column, power, row), gathered.
    let mine = match check_powers(&x, features) {
        Err(Error::PolynomialOverflow { column, power, row }) => {
            [x.rows(), 1, column, power as usize, row]
        }
        _ => [x.rows(), 0, 0, 0, 0],
    };
    let bytes: Vec<u8> = mine
        .iter()
        .flat_map(|v| (*v as u64).to_le_bytes())
        .collect();
    let mut offset = 0;
    for theirs in comm.gather(&bytes) {
        let v: Vec<usize> = theirs
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(<[u8; 8]>::try_from(b).unwrap_or([0; 8])) as usize)
            .collect();
        if let [rows, found, column, power, row] = v[..] {
            if found == 1 {
                return Err(Error::PolynomialOverflow {
                    column,
                    power: u32::try_from(power).unwrap_or(u32::MAX),
                    row: offset + row,
                });
            }
            offset += rows;
        }
    }
    if !standardize {
        return Ok((features.transform(&x)?, None));
    }
    let base = stats::standardizer(&x, intercept, comm)?;
    // A power of a standardised value may still overflow (a scale below 1): agreed too.
    let expanded = expand_on(x, features, base);
    let mut failed = [f64::from(u8::from(expanded.is_err()))];
    comm.max(&mut failed);
    if failed[0] != 0.0 && expanded.is_ok() {
        return Err(Error::setting(
            "polynomial degree",
            "a power of another rank's standardised rows overflows: use a smaller degree",
        ));
    }
    expanded
}

/// Refuses a raised column the data does not have.
fn check_columns(x: &Matrix, features: &PolynomialFeatures) -> Result<()> {
    let d = x.cols();
    if let Some(c) = features.columns().iter().find(|&&c| c >= d) {
        return Err(Error::setting(
            "polynomial columns",
            format!("column {c} does not exist (the data has {d} columns)"),
        ));
    }
    Ok(())
}

/// The first stage on `base` (its scales rounded to powers of two), and the powers of the
/// standardised columns.
fn expand_on(
    x: Matrix,
    features: &PolynomialFeatures,
    mut base: Standardizer,
) -> Result<(Matrix, Option<Expanded>)> {
    for s in &mut base.scale {
        *s = power_of_two(*s);
    }
    let mut z = x;
    base.transform(&mut z);
    let design = features.transform(&z)?;
    let expanded = Expanded {
        features: features.clone(),
        base,
    };
    Ok((design, Some(expanded)))
}

/// Refuses data whose powers overflow in original units, naming the first one (as
/// [`PolynomialFeatures::transform`] would), without storing them.
fn check_powers(x: &Matrix, features: &PolynomialFeatures) -> Result<()> {
    for (row, xi) in x.iter_rows().enumerate() {
        for &column in features.columns() {
            let v = xi[column];
            let mut p = v;
            for power in 2..=features.degree() {
                p *= v;
                if !p.is_finite() {
                    return Err(Error::PolynomialOverflow { column, power, row });
                }
            }
        }
    }
    Ok(())
}

/// The means and scales of the terms in original units, as standardising them would use
/// (none when one is constant: it was not used).
pub(super) fn term_standardizer(x: &Matrix, intercept: bool) -> Option<Standardizer> {
    if intercept {
        Standardizer::fit(x).ok()
    } else {
        Standardizer::fit_scale_only(x).ok()
    }
}

/// The power of two nearest `s > 0` (in log scale), kept in the range of normal numbers.
fn power_of_two(s: f64) -> f64 {
    let e = (s.log2().round() as i64).clamp(-1022, 1023);
    // The bits of 2^e: exponent field e + 1023, zero mantissa.
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// Parameters `[w.., b]` (no `b` without an intercept) from the optimizer's coordinates to
/// original units, for a whole run (the answer and every history row): through the
/// polynomial basis when there is one, as a matrix built once (in double-double: the same
/// accuracy as [`PolynomialBasis::to_original`], at a matrix-vector product per row), else
/// as [`LinearRegression`](super::LinearRegression) maps its standardisation.
pub(super) struct OuterMap<'a> {
    standardizer: Option<&'a Standardizer>,
    intercept: bool,
    /// With a basis: the map's `dim x dim` matrix, row-major.
    matrix: Option<Vec<Dd>>,
}

impl<'a> OuterMap<'a> {
    /// The map of a fit with `basis`, or else standardisation `s`.
    pub fn new(
        basis: Option<&PolynomialBasis>,
        s: Option<&'a Standardizer>,
        intercept: bool,
    ) -> Self {
        let matrix = basis.map(|b| {
            let p = b.design.mean.len();
            let dim = p + usize::from(intercept);
            let mut m = vec![Dd::ZERO; dim * dim];
            // Column j is the image of the j-th unit vector (the intercept's last).
            for j in 0..dim {
                let mut w = vec![Dd::ZERO; p];
                let mut icpt = Dd::ZERO;
                match w.get_mut(j) {
                    Some(v) => *v = Dd::ONE,
                    None => icpt = Dd::ONE,
                }
                let (w, a) = b.to_original_dd(&w, icpt);
                for (i, v) in w.into_iter().chain(intercept.then_some(a)).enumerate() {
                    m[i * dim + j] = v;
                }
            }
            m
        });
        OuterMap {
            standardizer: s,
            intercept,
            matrix,
        }
    }

    /// `p` in original units.
    pub fn apply(&self, p: &[f64]) -> Vec<f64> {
        let Some(m) = &self.matrix else {
            return plain_to_outer(self.standardizer, p, self.intercept);
        };
        m.chunks_exact(p.len())
            .map(|row| {
                let mut sum = Dd::ZERO;
                // About half the entries are 0 (x^i only takes terms of z^k, k >= i).
                for (mij, pj) in row.iter().zip(p).filter(|(m, _)| m.hi != 0.0) {
                    sum += *mij * *pj;
                }
                sum.to_f64()
            })
            .collect()
    }
}

/// The inverse of [`OuterMap::apply`].
pub(super) fn to_inner(
    basis: Option<&PolynomialBasis>,
    s: Option<&Standardizer>,
    p: &[f64],
    intercept: bool,
) -> Vec<f64> {
    let Some(basis) = basis else {
        return super::linear::to_inner(s, p, intercept);
    };
    let d = basis.design.mean.len();
    let (mut v, b) = basis.to_standardized(&p[..d], if intercept { p[d] } else { 0.0 });
    if intercept {
        v.push(b);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A basis on two columns, the second raised to the 4th power, with the stages' values
    /// chosen by hand: column 1 centred at `m1`, scaled by 1/4.
    fn basis(intercept: bool, m1: f64) -> PolynomialBasis {
        let m = |v: f64| if intercept { v } else { 0.0 };
        PolynomialBasis {
            features: PolynomialFeatures::new(vec![1], 4).unwrap(),
            base: Standardizer {
                mean: vec![m(3.0), m(m1)],
                scale: vec![2.0, 0.25],
            },
            design: Standardizer {
                mean: vec![m(0.5), m(-0.25), m(1.5), m(-0.75), m(4.0)],
                scale: vec![1.25, 0.5, 2.0, 4.0, 8.0],
            },
        }
    }

    #[test]
    fn maps_a_known_polynomial_exactly() {
        // The model 4 z_0 + z_1^4 + 5 with z_0 = (x_0 - 3) / 2, z_1 = (x_1 - m) / (1/4),
        // m = 1000.5, is 2 x_0 - 6 + 256 (x_1 - m)^4 + 5: every coefficient of the expansion
        // is an integer below 2^53, so exactly representable, and they must come out exact.
        let m = 1000.5;
        let b = basis(true, m);
        let u = [4.0, 0.0, 0.0, 0.0, 1.0];
        let v: Vec<f64> = u.iter().zip(&b.design.scale).map(|(u, s)| u * s).collect();
        // In the design's coordinates the intercept also carries sum u * design mean.
        let b_std = 5.0 + 4.0 * 0.5 + 1.0 * 4.0;
        let (w, icpt) = b.to_original(&v, b_std);
        let m2 = 1_001_000.25; // m^2
        let m3 = 1_001_500_750.125; // m^3
        let m4 = 1_002_001_500_500.062_5; // m^4
        assert_eq!(m * m, m2);
        assert_eq!(m2 * m, m3);
        assert_eq!(m3 * m, m4);
        assert_eq!(
            w,
            [2.0, -1024.0 * m3, 1536.0 * m2, -1024.0 * m, 256.0],
            "{w:?}"
        );
        assert_eq!(icpt, 256.0 * m4 - 1.0);
        // And back.
        let (v2, b2) = b.to_standardized(&w, icpt);
        assert_eq!(v2, v);
        assert_eq!(b2, b_std);

        // (z_1 + r)^4 - r^4 with r = m / s = 4002 is 256 x_1^4 - r^4: the terms of every
        // lower power's coefficient, up to 2.6e14 in size, cancel to exactly 0.
        let r = 4002.0;
        let u = [0.0, 4.0 * r * r * r, 6.0 * r * r, 4.0 * r, 1.0];
        let v: Vec<f64> = u.iter().zip(&b.design.scale).map(|(u, s)| u * s).collect();
        let r4 = r * r * r * r;
        let b_std = u
            .iter()
            .zip(&b.design.mean)
            .map(|(u, m)| u * m)
            .sum::<f64>();
        let (w, icpt) = b.to_original(&v, b_std);
        assert_eq!(w, [0.0, 0.0, 0.0, 0.0, 256.0]);
        assert_eq!(icpt, -r4);
        // The matrix form too.
        let mut p = v.clone();
        p.push(b_std);
        let got = OuterMap::new(Some(&b), None, true).apply(&p);
        assert_eq!(got, [0.0, 0.0, 0.0, 0.0, 256.0, -r4]);
    }

    #[test]
    fn round_trips_and_predicts_alike() {
        for intercept in [true, false] {
            let b = basis(intercept, -10.1);
            let v = [0.3, -1.2, 0.05, 2.5, -0.75];
            let b_std = if intercept { 0.6 } else { 0.0 };
            let (w, icpt) = b.to_original(&v, b_std);
            if !intercept {
                assert_eq!(icpt, 0.0);
            }
            // The matrix form used for whole runs gives the same values (both in
            // double-double, rounded once).
            let mut p = v.to_vec();
            if intercept {
                p.push(b_std);
            }
            let mut want = w.clone();
            if intercept {
                want.push(icpt);
            }
            let got = OuterMap::new(Some(&b), None, intercept).apply(&p);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= f64::EPSILON * w.abs(), "{got:?} {want:?}");
            }
            // Rounding the monomial coefficients to f64 loses a little, amplified by the
            // expansion (about (1 + |m| / s)^4 here).
            let (v2, b2) = b.to_standardized(&w, icpt);
            for (x, y) in v.iter().zip(&v2) {
                assert!((x - y).abs() < 1e-9, "{v:?} {v2:?}");
            }
            assert!((b2 - b_std).abs() < 1e-9, "{b2} {b_std}");
            // The same predictions either way, at a point of the data's range.
            let x = [2.5, if intercept { -10.3 } else { 0.3 }];
            let z0 = (x[0] - b.base.mean[0]) / b.base.scale[0];
            let z1 = (x[1] - b.base.mean[1]) / b.base.scale[1];
            let terms_std = [z0, z1, z1 * z1, z1 * z1 * z1, z1 * z1 * z1 * z1];
            let mut p_std = Dd::new(b_std);
            for j in 0..5 {
                let e = (Dd::new(terms_std[j]) - b.design.mean[j]) / b.design.scale[j];
                p_std += e * v[j];
            }
            let terms = [x[0], x[1], x[1].powi(2), x[1].powi(3), x[1].powi(4)];
            let mut p = Dd::new(icpt);
            let mut size = icpt.abs();
            for j in 0..5 {
                p += Dd::new(w[j]) * terms[j];
                size = size.max((w[j] * terms[j]).abs());
            }
            // Within rounding of the largest term of the monomial sum.
            let diff = (p - p_std).to_f64().abs();
            assert!(diff < 1e-14 * size, "{diff} vs size {size}");
        }
    }

    #[test]
    fn restores_terms_and_refuses_overflow() {
        let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, -1.0], [2.0, 0.5], [0.0, 4.0]]);
        let pf = PolynomialFeatures::new(vec![1], 3).unwrap();
        let (mut design, expanded) = expand(x.clone(), Some(&pf), true, true).unwrap();
        let stage1 = expanded.unwrap();
        // Scales are powers of two.
        for s in &stage1.base.scale {
            assert_eq!(s.log2().fract(), 0.0, "{s}");
        }
        let second = Standardizer::fit(&design).unwrap();
        second.transform(&mut design);
        let b = stage1.finish(second);
        b.restore_terms(&mut design);
        let want = pf.transform(&x).unwrap();
        for (g, w) in design.as_slice().iter().zip(want.as_slice()) {
            assert!((g - w).abs() < 1e-14 * w.abs().max(1.0), "{g} {w}");
        }
        let big = Matrix::from_rows(&[[1.0, 2.0], [1.0, 1e120]]);
        assert_eq!(
            expand(big, Some(&pf), true, true).unwrap_err(),
            Error::PolynomialOverflow {
                column: 1,
                power: 3,
                row: 1
            }
        );
        assert_eq!(power_of_two(3.0), 4.0);
        assert_eq!(power_of_two(0.7), 0.5);
        assert_eq!(power_of_two(1e-320), f64::MIN_POSITIVE);
    }
}

//! Statistics of the rows of every rank, combined: the standardisation of the features, the
//! scaling of a regression target, the share of a class. Each is the one-process
//! computation ([`Standardizer::fit`], [`TargetScale::fit`]) with its sums all-reduced, so
//! it differs from that only in the order of additions (about one rounding).

use super::Communicator;
use crate::data::{check_spread, Matrix, Standardizer, TargetScale};
use crate::numeric::CompensatedSum;
use crate::{Error, Result};

/// Column sums of the rows of every rank (compensated on each rank), and the row count.
fn column_sums<C: Communicator + ?Sized>(
    x: &Matrix,
    comm: &C,
    value: impl Fn(usize, f64) -> f64,
) -> (Vec<f64>, f64) {
    let d = x.cols();
    let mut sums = vec![CompensatedSum::default(); d];
    for row in x.iter_rows() {
        for (j, (s, v)) in sums.iter_mut().zip(row).enumerate() {
            s.add(value(j, *v));
        }
    }
    let mut message: Vec<f64> = sums.iter().map(CompensatedSum::value).collect();
    message.push(x.rows() as f64);
    comm.sum(&mut message);
    let n = message.pop().unwrap_or(0.0);
    (message, n)
}

/// [`Standardizer::fit`] (`center`) or [`Standardizer::fit_scale_only`] of the rows of every
/// rank, `x` holding this rank's; the same errors (no rows anywhere, a constant column).
pub fn standardizer<C: Communicator + ?Sized>(
    x: &Matrix,
    center: bool,
    comm: &C,
) -> Result<Standardizer> {
    let d = x.cols();
    if !center {
        let (sq, n) = column_sums(x, comm, |_, v| v * v);
        if n == 0.0 {
            return Err(Error::NoRows);
        }
        let scale: Vec<f64> = sq.iter().map(|s| (s / n).sqrt()).collect();
        check_spread(&scale, |j| scale[j] > 0.0)?;
        return Ok(Standardizer {
            mean: vec![0.0; d],
            scale,
        });
    }
    let (sums, n) = column_sums(x, comm, |_, v| v);
    if n == 0.0 {
        return Err(Error::NoRows);
    }
    let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
    let (sq, _) = column_sums(x, comm, |j, v| (v - mean[j]) * (v - mean[j]));
    let mut abs_max = vec![0.0f64; d];
    for row in x.iter_rows() {
        for (m, v) in abs_max.iter_mut().zip(row) {
            *m = m.max(v.abs());
        }
    }
    comm.max(&mut abs_max);
    let scale: Vec<f64> = sq.iter().map(|s| (s / n).sqrt()).collect();
    // As in `Standardizer::fit`: below this, the spread is rounding error.
    check_spread(&scale, |j| scale[j] > 64.0 * f64::EPSILON * abs_max[j])?;
    Ok(Standardizer { mean, scale })
}

/// [`TargetScale::fit`] of the targets of every rank, `y` holding this rank's.
pub fn target_scale<C: Communicator + ?Sized>(y: &[f64], center: bool, comm: &C) -> TargetScale {
    let mut first = [compensated(y.iter().copied()), y.len() as f64];
    comm.sum(&mut first);
    let n = first[1];
    if n == 0.0 {
        return TargetScale::IDENTITY;
    }
    let mean = if center { first[0] / n } else { 0.0 };
    let mut sq = [compensated(y.iter().map(|v| (v - mean) * (v - mean)))];
    comm.sum(&mut sq);
    let mut abs_max = [y.iter().fold(0.0f64, |m, v| m.max(v.abs()))];
    comm.max(&mut abs_max);
    let scale = (sq[0] / n).sqrt();
    // As in `TargetScale::fit`: a spread lost in rounding of the values is none.
    let scale = if scale.is_finite() && scale > 64.0 * f64::EPSILON * abs_max[0] {
        scale
    } else {
        1.0
    };
    TargetScale { mean, scale }
}

/// The mean of `y` over every rank (the share of class 1 for 0/1 targets); 0 without rows.
pub fn mean<C: Communicator + ?Sized>(y: &[f64], comm: &C) -> f64 {
    let mut m = [y.iter().sum::<f64>(), y.len() as f64];
    comm.sum(&mut m);
    if m[1] > 0.0 {
        m[0] / m[1]
    } else {
        0.0
    }
}

fn compensated(values: impl Iterator<Item = f64>) -> f64 {
    let mut s = CompensatedSum::default();
    values.for_each(|v| s.add(v));
    s.value()
}

//! Regression metrics: R², RMSE, MAE.

use super::same_len;
use crate::numeric::CompensatedSum;
use crate::Result;

/// Coefficient of determination `R² = 1 - SS_res / SS_tot`, with
/// `SS_tot = sum (y - mean(y))^2`. 1 is a perfect fit, 0 predicting the mean; it can be
/// negative. When the targets are constant (`SS_tot = 0`) it is 1 for a perfect fit and 0
/// otherwise, as scikit-learn's `r2_score`.
pub fn r2(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    same_len("predictions (one per target)", y_true.len(), y_pred.len())?;
    let mut mean = CompensatedSum::default();
    y_true.iter().for_each(|v| mean.add(*v));
    let mean = mean.value() / y_true.len() as f64;
    let (mut ss_res, mut ss_tot) = (CompensatedSum::default(), CompensatedSum::default());
    for (t, p) in y_true.iter().zip(y_pred) {
        ss_res.add((t - p) * (t - p));
        ss_tot.add((t - mean) * (t - mean));
    }
    Ok(r2_of_sums(ss_res.value(), ss_tot.value()))
}

/// [`r2`] from its two sums of squares (residuals, deviations from the mean), for callers
/// that sum them elsewhere (over chunks, over ranks).
pub fn r2_of_sums(ss_res: f64, ss_tot: f64) -> f64 {
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Root mean squared error `sqrt(1/N * sum (y - pred)^2)`.
pub fn rmse(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    same_len("predictions (one per target)", y_true.len(), y_pred.len())?;
    let mut s = CompensatedSum::default();
    for (t, p) in y_true.iter().zip(y_pred) {
        s.add((t - p) * (t - p));
    }
    Ok((s.value() / y_true.len() as f64).sqrt())
}

/// Mean absolute error `1/N * sum |y - pred|`.
pub fn mae(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    same_len("predictions (one per target)", y_true.len(), y_pred.len())?;
    let mut s = CompensatedSum::default();
    for (t, p) in y_true.iter().zip(y_pred) {
        s.add((t - p).abs());
    }
    Ok(s.value() / y_true.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn by_hand() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let p = [1.5, 2.0, 2.0, 4.0];
        // residuals -0.5, 0, 1, 0: SS_res = 1.25, SS_tot = 5 (mean 2.5)
        assert_eq!(r2(&y, &p).unwrap(), 1.0 - 1.25 / 5.0);
        assert_eq!(rmse(&y, &p).unwrap(), (1.25f64 / 4.0).sqrt());
        assert_eq!(mae(&y, &p).unwrap(), 1.5 / 4.0);
        assert_eq!(r2(&y, &y).unwrap(), 1.0);
        // Predicting the mean scores 0; worse than that is negative.
        assert_eq!(r2(&y, &[2.5; 4]).unwrap(), 0.0);
        assert!(r2(&y, &[4.0, 3.0, 2.0, 1.0]).unwrap() < 0.0);
    }

    #[test]
    fn constant_targets_and_bad_sizes() {
        assert_eq!(r2(&[3.0, 3.0], &[3.0, 3.0]).unwrap(), 1.0);
        assert_eq!(r2(&[3.0, 3.0], &[3.0, 4.0]).unwrap(), 0.0);
        assert!(matches!(
            rmse(&[1.0], &[1.0, 2.0]),
            Err(Error::Shape { .. })
        ));
        assert_eq!(mae(&[], &[]), Err(Error::NoRows));
    }
}

//! Classification metrics on class indices `0..K` stored as `f64`.
//!
//! Precision, recall and F1 follow scikit-learn's defaults: with two classes they are those
//! of the positive class 1 (`average="binary"`); with more, the unweighted mean over the
//! classes that occur in the targets or the predictions (`average="macro"`; for F1 the mean
//! of the per-class F1 scores, not the F1 of the mean precision and recall). A ratio with
//! nothing to count (`0/0`, e.g. the precision of a class never predicted) is 0, as
//! scikit-learn's `zero_division` default gives.

use super::same_len;
use crate::data::Matrix;
use crate::numeric::CompensatedSum;
use crate::{Error, Result};

/// Probabilities are clipped to `[EPS, 1 - EPS]` in the log-loss so that one confident
/// mistake costs `-ln(EPS) ≈ 36` rather than infinity (scikit-learn clips the same way).
pub(super) const EPS: f64 = f64::EPSILON;

/// Share of rows whose predicted label equals the target.
pub fn accuracy(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    same_len("predictions (one per target)", y_true.len(), y_pred.len())?;
    let hits = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// Counts of (true class, predicted class): `m[t][p]` rows of class `t` were predicted as
/// `p`. Rows are true classes, columns predicted ones, both `0..n_classes`.
pub fn confusion_matrix(
    y_true: &[f64],
    y_pred: &[f64],
    n_classes: usize,
) -> Result<Vec<Vec<usize>>> {
    same_len("predictions (one per target)", y_true.len(), y_pred.len())?;
    let mut m = vec![vec![0usize; n_classes]; n_classes];
    for (row, (t, p)) in y_true.iter().zip(y_pred).enumerate() {
        let t = label(*t, "true label", row, n_classes)?;
        let p = label(*p, "predicted label", row, n_classes)?;
        m[t][p] += 1;
    }
    Ok(m)
}

/// Scores of one class against the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScore {
    /// Of the rows predicted as this class, the share that are (0 when none is predicted).
    pub precision: f64,
    /// Of the rows of this class, the share predicted as it (0 when there are none).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Rows of this class among the targets.
    pub support: usize,
}

/// Precision, recall, F1 and support of each class `0..n_classes`.
pub fn class_scores(y_true: &[f64], y_pred: &[f64], n_classes: usize) -> Result<Vec<ClassScore>> {
    let m = confusion_matrix(y_true, y_pred, n_classes)?;
    Ok(class_scores_of(&m))
}

/// [`class_scores`] of a confusion matrix (rows true classes, columns predicted ones).
pub fn class_scores_of(m: &[Vec<usize>]) -> Vec<ClassScore> {
    let n_classes = m.len();
    (0..n_classes)
        .map(|k| {
            let tp = m[k][k] as f64;
            let predicted: usize = m.iter().map(|row| row[k]).sum();
            let support: usize = m[k].iter().sum();
            let precision = ratio(tp, predicted as f64);
            let recall = ratio(tp, support as f64);
            ClassScore {
                precision,
                recall,
                f1: ratio(2.0 * precision * recall, precision + recall),
                support,
            }
        })
        .collect()
}

/// Precision: of the positive class 1 with two classes, else the macro average (see the
/// module documentation).
pub fn precision(y_true: &[f64], y_pred: &[f64], n_classes: usize) -> Result<f64> {
    averaged(y_true, y_pred, n_classes, |s| s.precision)
}

/// Recall: of the positive class 1 with two classes, else the macro average.
pub fn recall(y_true: &[f64], y_pred: &[f64], n_classes: usize) -> Result<f64> {
    averaged(y_true, y_pred, n_classes, |s| s.recall)
}

/// F1: of the positive class 1 with two classes, else the macro average of the per-class F1.
pub fn f1(y_true: &[f64], y_pred: &[f64], n_classes: usize) -> Result<f64> {
    averaged(y_true, y_pred, n_classes, |s| s.f1)
}

/// Mean binary log-loss `-1/N * sum (y ln p + (1 - y) ln(1 - p))` of 0/1 targets against
/// the predicted probabilities `p` of class 1, clipped to `[eps, 1 - eps]` (`eps` = machine
/// epsilon). A probability outside `[0, 1]` (or NaN) is an error.
pub fn log_loss(y_true: &[f64], p_positive: &[f64]) -> Result<f64> {
    same_len(
        "probabilities (one per target)",
        y_true.len(),
        p_positive.len(),
    )?;
    Ok(log_loss_sum(y_true, p_positive)? / y_true.len() as f64)
}

/// The sum of [`log_loss`]'s terms (compensated), for callers that divide elsewhere (over
/// ranks); 0 without rows.
pub fn log_loss_sum(y_true: &[f64], p_positive: &[f64]) -> Result<f64> {
    let mut s = CompensatedSum::default();
    for (row, (t, p)) in y_true.iter().zip(p_positive).enumerate() {
        let t = label(*t, "true label", row, 2)?;
        let p = probability(*p, row)?;
        s.add(
            -(if t == 1 { p } else { 1.0 - p })
                .clamp(EPS, 1.0 - EPS)
                .ln(),
        );
    }
    Ok(s.value())
}

/// Mean multiclass log-loss (cross-entropy) `-1/N * sum ln p_{i, y_i}` of class indices
/// against a matrix of probabilities, one row per target and one column per class, each
/// clipped to `[eps, 1]`. Rows are used as given (not renormalised); a value outside
/// `[0, 1]` is an error.
pub fn log_loss_multiclass(y_true: &[f64], proba: &Matrix) -> Result<f64> {
    same_len(
        "probability rows (one per target)",
        y_true.len(),
        proba.rows(),
    )?;
    Ok(log_loss_multiclass_sum(y_true, proba)? / y_true.len() as f64)
}

/// The sum of [`log_loss_multiclass`]'s terms (compensated); 0 without rows.
pub fn log_loss_multiclass_sum(y_true: &[f64], proba: &Matrix) -> Result<f64> {
    let mut s = CompensatedSum::default();
    for (row, (t, p)) in y_true.iter().zip(proba.iter_rows()).enumerate() {
        let t = label(*t, "true label", row, proba.cols())?;
        for v in p {
            probability(*v, row)?;
        }
        s.add(-p[t].max(EPS).ln());
    }
    Ok(s.value())
}

fn averaged(
    y_true: &[f64],
    y_pred: &[f64],
    n_classes: usize,
    score: impl Fn(&ClassScore) -> f64,
) -> Result<f64> {
    if n_classes < 2 {
        return Err(Error::setting(
            "number of classes",
            format!("{n_classes} is fewer than 2"),
        ));
    }
    let m = confusion_matrix(y_true, y_pred, n_classes)?;
    Ok(averaged_of(&m, score))
}

/// Precision, recall or F1 (`score`) of a confusion matrix of at least two classes, as
/// [`precision`], [`recall`] and [`f1`] average them.
pub fn averaged_of(m: &[Vec<usize>], score: impl Fn(&ClassScore) -> f64) -> f64 {
    let scores = class_scores_of(m);
    if m.len() == 2 {
        return score(&scores[1]);
    }
    // Macro average over the classes that occur (scikit-learn's default label set): in the
    // targets (a row) or the predictions (a column).
    let present = |k: usize| m[k].iter().any(|&c| c > 0) || m.iter().any(|row| row[k] > 0);
    let (sum, count) = scores
        .iter()
        .enumerate()
        .filter(|(k, _)| present(*k))
        .fold((0.0, 0usize), |(s, c), (_, sc)| (s + score(sc), c + 1));
    sum / count as f64
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// `v` as a class index below `n_classes`, or an error naming the row.
pub(super) fn label(v: f64, what: &'static str, row: usize, n_classes: usize) -> Result<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v < n_classes as f64 {
        Ok(v as usize)
    } else {
        Err(Error::InvalidClass {
            what,
            value: v,
            row,
            expected: format!("an integer from 0 to {}", n_classes.saturating_sub(1)),
        })
    }
}

pub(super) fn probability(p: f64, row: usize) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(Error::setting(
            "probabilities",
            format!("{p} at row {row} is not between 0 and 1"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_by_hand() {
        // tp = 2 (rows 0, 1), fn = 1 (row 2), fp = 1 (row 3), tn = 2 (rows 4, 5)
        let t = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let p = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(accuracy(&t, &p).unwrap(), 4.0 / 6.0);
        assert_eq!(
            confusion_matrix(&t, &p, 2).unwrap(),
            vec![vec![2, 1], vec![1, 2]]
        );
        assert_eq!(precision(&t, &p, 2).unwrap(), 2.0 / 3.0);
        assert_eq!(recall(&t, &p, 2).unwrap(), 2.0 / 3.0);
        assert!((f1(&t, &p, 2).unwrap() - 2.0 / 3.0).abs() < 1e-15);
        // Skewed: precision 1/2 (1 of 2 predicted positives), recall 1/3.
        let p2 = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(precision(&t, &p2, 2).unwrap(), 0.5);
        assert_eq!(recall(&t, &p2, 2).unwrap(), 1.0 / 3.0);
        assert!((f1(&t, &p2, 2).unwrap() - 0.4).abs() < 1e-15);
        // Nothing predicted positive: precision 0/0 counts as 0.
        assert_eq!(precision(&t, &[0.0; 6], 2).unwrap(), 0.0);
        assert_eq!(f1(&t, &[0.0; 6], 2).unwrap(), 0.0);
    }

    #[test]
    fn multiclass_macro_by_hand() {
        let t = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0];
        let p = [0.0, 1.0, 1.0, 1.0, 2.0, 0.0];
        // class 0: P 1/2, R 1/2; class 1: P 2/3, R 1; class 2: P 1, R 1/2
        let m = confusion_matrix(&t, &p, 3).unwrap();
        assert_eq!(m, vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]);
        let prec = (0.5 + 2.0 / 3.0 + 1.0) / 3.0;
        let rec = (0.5 + 1.0 + 0.5) / 3.0;
        let f = (0.5 + 0.8 + 2.0 / 3.0) / 3.0;
        assert!((precision(&t, &p, 3).unwrap() - prec).abs() < 1e-15);
        assert!((recall(&t, &p, 3).unwrap() - rec).abs() < 1e-15);
        assert!((f1(&t, &p, 3).unwrap() - f).abs() < 1e-15);
        let s = class_scores(&t, &p, 3).unwrap();
        assert_eq!(s[1].support, 2);
        // A class that never occurs (3 of 0..4) is left out of the macro average.
        assert!((precision(&t, &p, 4).unwrap() - prec).abs() < 1e-15);
    }

    #[test]
    fn log_losses_by_hand() {
        let t = [1.0, 0.0, 1.0];
        let p = [0.8, 0.4, 1.0];
        let expected = -(0.8f64.ln() + 0.6f64.ln() + (1.0 - EPS).ln()) / 3.0;
        assert!((log_loss(&t, &p).unwrap() - expected).abs() < 1e-15);
        // A confident mistake costs -ln(eps), not infinity.
        let worst = log_loss(&[1.0], &[0.0]).unwrap();
        assert!((worst + EPS.ln()).abs() < 1e-12);
        let proba = Matrix::from_rows(&[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]);
        let m = log_loss_multiclass(&[0.0, 2.0], &proba).unwrap();
        assert!((m - -(0.7f64.ln() + 0.8f64.ln()) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            confusion_matrix(&[0.0, 3.0], &[0.0, 1.0], 3),
            Err(Error::InvalidClass { row: 1, .. })
        ));
        assert!(matches!(
            confusion_matrix(&[0.0, 1.0], &[0.5, 1.0], 3),
            Err(Error::InvalidClass {
                what: "predicted label",
                ..
            })
        ));
        assert!(log_loss(&[1.0], &[1.5]).is_err());
        assert!(log_loss(&[2.0], &[0.5]).is_err());
        assert!(accuracy(&[1.0], &[]).is_err());
        assert!(precision(&[0.0], &[0.0], 1).is_err());
    }
}

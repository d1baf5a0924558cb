//! Classification metrics summed row by row.

use super::classification::{label, probability, EPS};
use super::Scores;
use crate::numeric::CompensatedSum;
use crate::Result;

/// The counts and sums behind [`Scores::binary`] and [`Scores::multiclass`], added one row
/// at a time, for a caller that computes each row's prediction and probabilities on the fly
/// instead of holding them for every row (a million rows of ten classes would hold 80 MB of
/// probabilities). The rows added in order give the very values those functions give on
/// the same rows: the same counts, and the log-loss's terms in the same compensated sum.
#[derive(Debug, Clone)]
pub struct Tally {
    confusion: Vec<Vec<usize>>,
    log_loss: CompensatedSum,
    rows: usize,
}

impl Tally {
    /// No rows yet, of `n_classes` classes.
    pub fn new(n_classes: usize) -> Self {
        Tally {
            confusion: vec![vec![0; n_classes]; n_classes],
            log_loss: CompensatedSum::default(),
            rows: 0,
        }
    }

    /// Counts a row of true class `t` predicted as `pred`.
    fn count(&mut self, t: usize, pred: f64) -> Result<()> {
        let k = self.confusion.len();
        let p = label(pred, "predicted label", self.rows, k)?;
        self.confusion[t][p] += 1;
        self.rows += 1;
        Ok(())
    }

    /// A row of two classes: its target (0/1), predicted class, and probability of class 1
    /// when the model gives one ([`Scores::binary`]).
    pub fn add_binary(&mut self, t: f64, pred: f64, p_positive: Option<f64>) -> Result<()> {
        let t = label(t, "true label", self.rows, self.confusion.len())?;
        if let Some(p) = p_positive {
            let p = probability(p, self.rows)?;
            self.log_loss.add(
                -(if t == 1 { p } else { 1.0 - p })
                    .clamp(EPS, 1.0 - EPS)
                    .ln(),
            );
        }
        self.count(t, pred)
    }

    /// A row of any number of classes: its target class, predicted class, and the
    /// probability of every class ([`Scores::multiclass`]).
    pub fn add_multiclass(&mut self, t: f64, pred: f64, proba: &[f64]) -> Result<()> {
        let t = label(t, "true label", self.rows, proba.len())?;
        for v in proba {
            probability(*v, self.rows)?;
        }
        self.log_loss.add(-proba[t].max(EPS).ln());
        self.count(t, pred)
    }

    /// The metrics of the rows added, with the mean log-loss when `log_loss` (the rows came
    /// with probabilities).
    pub fn scores(self, log_loss: bool) -> Result<Scores> {
        let mean = self.log_loss.value() / self.rows as f64;
        Scores::of_confusion(self.confusion, log_loss.then_some(mean))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Matrix;

    /// Row by row, the same scores (bit for bit) as the functions on whole slices.
    #[test]
    fn a_tally_gives_the_scores_of_the_whole_slices() {
        let n = 1000;
        let y: Vec<f64> = (0..n).map(|i| ((i * 7) % 3) as f64).collect();
        let pred: Vec<f64> = (0..n).map(|i| ((i * 5) % 3) as f64).collect();
        let proba: Vec<f64> = (0..n)
            .flat_map(|i| {
                let a = ((i as f64) * 0.37).sin().abs() * 0.9;
                let b = (1.0 - a) * 0.25;
                [a, b, 1.0 - a - b]
            })
            .collect();
        let whole = Scores::multiclass(
            &y,
            &pred,
            &Matrix::from_row_major(n, 3, proba.clone()).unwrap(),
        )
        .unwrap();
        let mut t = Tally::new(3);
        for i in 0..n {
            t.add_multiclass(y[i], pred[i], &proba[3 * i..3 * i + 3])
                .unwrap();
        }
        assert_eq!(t.scores(true).unwrap(), whole);

        let yb: Vec<f64> = y.iter().map(|v| f64::from(*v > 0.5)).collect();
        let pb: Vec<f64> = pred.iter().map(|v| f64::from(*v > 1.5)).collect();
        let p1: Vec<f64> = proba.iter().step_by(3).copied().collect();
        let mut t = Tally::new(2);
        let mut hinge = Tally::new(2);
        for i in 0..n {
            t.add_binary(yb[i], pb[i], Some(p1[i])).unwrap();
            hinge.add_binary(yb[i], pb[i], None).unwrap();
        }
        assert_eq!(
            t.scores(true).unwrap(),
            Scores::binary(&yb, &pb, Some(&p1)).unwrap()
        );
        assert_eq!(
            hinge.scores(false).unwrap(),
            Scores::binary(&yb, &pb, None).unwrap()
        );
        assert!(Tally::new(2).scores(true).is_err());
        assert!(Tally::new(2).add_binary(2.0, 0.0, None).is_err());
    }
}

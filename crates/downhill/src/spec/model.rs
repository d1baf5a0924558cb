//! The model's part of a [`RunSpec`]: its loss, its penalty, the ranges of its numbers.

use super::{LossKind, ModelKind, RunSpec};
use crate::estimator::{ClassificationLoss, RegressionLoss};
use crate::penalty::Penalty;
use crate::{Error, Result};

impl RunSpec {
    /// The loss's name as run: the one given, or the model's default.
    pub fn loss_name(&self) -> &'static str {
        self.loss
            .unwrap_or(match self.model {
                ModelKind::Linear => LossKind::Squared,
                _ => LossKind::Log,
            })
            .as_str()
    }

    /// The loss of linear regression.
    pub fn regression_loss(&self) -> Result<RegressionLoss> {
        Ok(match self.loss.unwrap_or(LossKind::Squared) {
            LossKind::Squared => RegressionLoss::Squared,
            LossKind::Absolute => RegressionLoss::Absolute,
            LossKind::Huber => RegressionLoss::Huber(self.huber_delta),
            LossKind::EpsilonInsensitive => RegressionLoss::EpsilonInsensitive(self.epsilon),
            other => {
                return Err(Error::spec(format!(
                    "--loss {}: not a regression loss; for classification use --model logistic or softmax",
                    other.as_str()
                )))
            }
        })
    }

    /// The loss of a classifier (`softmax`: multinomial, which has no hinge).
    pub fn classification_loss(&self) -> Result<ClassificationLoss> {
        let softmax = self.model == ModelKind::Softmax;
        match (self.loss.unwrap_or(LossKind::Log), softmax) {
            (LossKind::Log, _) => Ok(ClassificationLoss::Log),
            (LossKind::Hinge, false) => Ok(ClassificationLoss::Hinge),
            (LossKind::Hinge, true) => Err(Error::spec(
                "--loss hinge goes with --model logistic (two classes)",
            )),
            (other, _) => Err(Error::spec(format!(
                "--loss {}: a regression loss; a classifier takes --loss log{}",
                other.as_str(),
                if softmax { "" } else { " or hinge" }
            ))),
        }
    }

    /// Whether the loss suits the model.
    pub(super) fn check_loss(&self) -> Result<()> {
        match self.model {
            ModelKind::Linear => self.regression_loss().map(|_| ()),
            _ => self.classification_loss().map(|_| ()),
        }
    }

    /// Whether the model's loss has exact second derivatives that are not zero almost
    /// everywhere (what `auto` needs to pick Newton).
    pub fn has_exact_hessian(&self) -> Result<bool> {
        Ok(match self.model {
            ModelKind::Linear => matches!(
                self.regression_loss()?,
                RegressionLoss::Squared | RegressionLoss::Huber(_)
            ),
            ModelKind::Logistic => self.classification_loss()? == ClassificationLoss::Log,
            // The softmax model provides no Hessian.
            ModelKind::Softmax => false,
        })
    }

    /// The penalty: `l1` and `l2`, or the elastic net `penalty` split by `l1_ratio`.
    pub fn penalty_strengths(&self) -> Result<Penalty> {
        match (self.l1_ratio, self.penalty) {
            (Some(r), Some(a)) => {
                if self.l1.is_some() || self.l2.is_some() {
                    return Err(Error::spec(
                        "--l1-ratio with --penalty sets both strengths: leave out --l1 and --l2",
                    ));
                }
                if r > 1.0 {
                    return Err(Error::spec(format!(
                        "--l1-ratio {r} must be between 0 and 1"
                    )));
                }
                Ok(Penalty {
                    l1: a * r,
                    l2: a * (1.0 - r),
                })
            }
            (Some(_), None) => Err(Error::spec("--l1-ratio goes with --penalty")),
            (None, Some(_)) => Err(Error::spec("--penalty goes with --l1-ratio")),
            (None, None) => Ok(Penalty {
                l1: self.l1.unwrap_or(0.0),
                l2: self.l2.unwrap_or(0.0),
            }),
        }
    }

    /// The ranges the command line checks as it parses, for descriptions from elsewhere.
    pub(super) fn check_ranges(&self) -> Result<()> {
        let positive = [
            ("--huber-delta", Some(self.huber_delta)),
            ("--lr", self.lr),
            ("--time-limit", self.time_limit),
        ];
        for (flag, v) in positive {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(Error::spec(format!("{flag} {v} must be greater than 0")));
            }
        }
        let non_negative = [
            ("--epsilon", Some(self.epsilon)),
            ("--l2", self.l2),
            ("--l1", self.l1),
            ("--l1-ratio", self.l1_ratio),
            ("--penalty", self.penalty),
            ("--gtol", Some(self.gtol)),
            ("--tol", self.tol),
        ];
        for (flag, v) in non_negative {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::spec(format!("{flag} {v} must be at least 0")));
            }
        }
        if self.model == ModelKind::Softmax && self.positive.is_some() {
            return Err(Error::spec(
                "--positive goes with --model logistic (two classes)",
            ));
        }
        Ok(())
    }
}

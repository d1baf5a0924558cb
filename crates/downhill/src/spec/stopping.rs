//! The loop settings of a [`RunSpec`]: batching and stopping.

use super::RunSpec;
use crate::train::TrainConfig;
use crate::{Error, Result};
use std::time::Duration;

impl RunSpec {
    /// The training loop's settings.
    pub fn train_config(&self) -> Result<TrainConfig> {
        if let Some(f) = self.validation_fraction {
            if !(f > 0.0 && f < 1.0) {
                return Err(Error::spec(format!(
                    "--validation-fraction {f} must be strictly between 0 and 1"
                )));
            }
        }
        let time_limit = match self.time_limit {
            None => None,
            Some(t) if t > 0.0 => Some(Duration::try_from_secs_f64(t).map_err(|_| {
                Error::spec(format!("--time-limit {t} is not a number of seconds"))
            })?),
            Some(t) => {
                return Err(Error::spec(format!(
                    "--time-limit {t} must be greater than 0"
                )))
            }
        };
        Ok(TrainConfig {
            max_epochs: self.epochs.unwrap_or(TrainConfig::default().max_epochs),
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            seed: self.seed,
            gtol: self.gtol,
            // Mini-batch costs are noisy and gradients never vanish: stop on a stalled cost.
            tol: self.tol.or(self.batch_size.map(|_| 1e-4)),
            n_iter_no_change: self.patience,
            time_limit,
            threads: self.threads,
            ..TrainConfig::default()
        })
    }
}

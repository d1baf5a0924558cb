//! The state of a training run after an epoch, as plain (serde) data: what a checkpoint
//! holds and what `partial_fit` keeps between calls. A run handed its state back after
//! epoch `k` and resumed from it ends with the same bits as the run that went straight on
//! (same thread count): every piece of the loop that carries from one epoch to the next is
//! here, and the rest is recomputed from the data exactly as the straight run computed it.

use super::{History, StopReason};
use crate::optim::OptimizerState;
use crate::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the loop carries from one epoch to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainState {
    /// What the run was made for; a resume on anything else is refused.
    pub fingerprint: Fingerprint,
    /// Epochs run.
    pub epoch: usize,
    /// Set when the run met a stopping rule of its own (converged, early stopping): a resume
    /// then runs no further epoch, as the straight run would not have.
    pub stopped: Option<StopReason>,
    /// The parameters after `epoch` epochs (the last iterate, in the optimizer's coordinates).
    pub params: Vec<f64>,
    /// The optimizer's state.
    pub optimizer: OptimizerState,
    /// The schedule's state ([`Schedule::state`](crate::schedule::Schedule::state)).
    #[serde(with = "floats")]
    pub schedule: Vec<f64>,
    /// The mini-batch order's random stream.
    pub rng: RngState,
    /// The order of the batches in the last epoch (each epoch shuffles the one before).
    pub order: Vec<usize>,
    /// The cost at the start (the divergence test's reference).
    #[serde(with = "float")]
    pub start_cost: f64,
    /// The gradient-norm threshold fixed at the start.
    #[serde(with = "float")]
    pub gtol: f64,
    /// The patience rules: `tol` on the training cost and early stopping.
    pub best: BestState,
    /// Every epoch so far.
    pub history: History,
    /// Mini-batches across ranks: what each rank carries on its own (`None` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<RanksState>,
}

/// The part of a mini-batch run across ranks that differs from rank to rank, and the
/// averaging's memory. The state's own parameters are then the model the epoch reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RanksState {
    /// Steps taken (the averaging period counts them).
    pub steps: usize,
    /// The elastic average's centre (empty for the other ways).
    pub centre: Vec<f64>,
    /// Each rank's own state, by rank.
    pub ranks: Vec<RankState>,
}

/// One rank's own state in a mini-batch run across ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankState {
    /// The rank's parameters (with model averaging, they differ between averages).
    pub params: Vec<f64>,
    /// The rank's optimizer.
    pub optimizer: OptimizerState,
    /// The rank's random stream (the order of its runs of rows).
    pub rng: RngState,
    /// The order of its runs of rows in the last epoch.
    pub order: Vec<usize>,
}

/// What a state was made for: checked on resume, each difference named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Number of parameters.
    pub params: usize,
    /// Rows held out for validation.
    pub validation_rows: usize,
    /// Rows per mini-batch (`None`: full batch).
    pub batch_size: Option<usize>,
    /// Reshuffled mini-batches.
    pub shuffle: bool,
    /// The seed.
    pub seed: u64,
    /// Threads of the full-batch sums (another count changes the rounding).
    pub threads: usize,
    /// Rows per chunk of a streamed fit (the chunks order the sums); `None` in memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_rows: Option<usize>,
    /// The data: rows, columns and a checksum of every value, set by the caller that
    /// holds the data ([`DataPrint`]).
    #[serde(default)]
    pub data: Option<DataPrint>,
    /// The settings that change the result, flag by flag as `downhill fit` takes them
    /// (the run description without its epoch and time limits), set by the caller that
    /// holds them.
    #[serde(default)]
    pub settings: Option<BTreeMap<String, String>>,
}

/// Rows, columns and a checksum of the data a run was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPrint {
    /// Rows.
    pub rows: usize,
    /// Feature columns.
    pub columns: usize,
    /// FNV-1a (64 bits) of the bits of every feature value, row by row, then of every
    /// target, as 16 hex digits.
    pub checksum: String,
}

impl DataPrint {
    /// The print of `rows` x `columns` features `x` (row-major) and targets `y`.
    pub fn of(rows: usize, columns: usize, x: &[f64], y: &[f64]) -> Self {
        let mut h = Fnv::new();
        x.iter().chain(y).for_each(|v| h.write(v.to_bits()));
        DataPrint {
            rows,
            columns,
            checksum: format!("{:016x}", h.0),
        }
    }
}

/// FNV-1a over 64-bit words (a checksum, not a defence against tampering).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, word: u64) {
        for b in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Fingerprint {
    /// Checks that a state made for `self` may continue in a run made for `now`: an error
    /// naming the first difference (the settings flag by flag). The data and settings are
    /// compared only when both sides carry them.
    pub fn check(&self, now: &Fingerprint) -> Result<()> {
        let differs = |what: &str, then: String, now: String| {
            Err(Error::spec(format!(
                "the checkpoint was made for {what} {then}, this run has {now}: resume with the \
                 same data and settings, or start afresh"
            )))
        };
        if let (Some(a), Some(b)) = (&self.data, &now.data) {
            if (a.rows, a.columns) != (b.rows, b.columns) {
                return differs(
                    "data of",
                    format!("{} rows x {} columns", a.rows, a.columns),
                    format!("{} rows x {} columns", b.rows, b.columns),
                );
            }
            if a.checksum != b.checksum {
                return differs(
                    "data with checksum",
                    a.checksum.clone(),
                    format!("{} (same shape, other values)", b.checksum),
                );
            }
        }
        if let (Some(a), Some(b)) = (&self.settings, &now.settings) {
            if let Some((key, x, y)) = first_difference(a, b) {
                return differs(&key, x, y);
            }
        }
        let loop_settings = [
            (
                "parameters:",
                self.params.to_string(),
                now.params.to_string(),
            ),
            (
                "validation rows:",
                self.validation_rows.to_string(),
                now.validation_rows.to_string(),
            ),
            (
                "batch size",
                format!("{:?}", self.batch_size),
                format!("{:?}", now.batch_size),
            ),
            ("shuffle", self.shuffle.to_string(), now.shuffle.to_string()),
            ("seed", self.seed.to_string(), now.seed.to_string()),
            ("threads", self.threads.to_string(), now.threads.to_string()),
            (
                "rows per chunk (from --memory-limit):",
                format!("{:?}", self.chunk_rows),
                format!("{:?}", now.chunk_rows),
            ),
        ];
        for (what, a, b) in loop_settings {
            if a != b {
                return differs(what, a, b);
            }
        }
        Ok(())
    }
}

/// The first setting that differs between two sets: its flag and both values (`default`
/// for a flag one set leaves out).
fn first_difference(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) -> Option<(String, String, String)> {
    let show = |v: Option<&String>| v.map_or("default".to_string(), |v| v.clone());
    a.keys().chain(b.keys()).find_map(|k| {
        let (x, y) = (a.get(k), b.get(k));
        (x != y).then(|| (k.clone(), show(x), show(y)))
    })
}

/// The patience rules' memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestState {
    /// Best training cost so far.
    #[serde(with = "float")]
    pub cost: f64,
    /// Epochs since it last improved by `tol`.
    pub cost_stale: usize,
    /// Best validation cost so far (infinite without held-out rows).
    #[serde(with = "float")]
    pub valid: f64,
    /// Epochs since it last improved by `tol`.
    pub valid_stale: usize,
    /// The parameters of the best validation epoch (empty without held-out rows).
    pub params: Vec<f64>,
}

/// A ChaCha8 stream's position: its seed, stream and word position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RngState {
    /// The 32-byte seed, as 64 hex digits.
    pub seed: String,
    /// The stream number.
    pub stream: u64,
    /// The position in the stream, in 32-bit words, as a decimal string (it may pass 2^64).
    pub word_pos: String,
}

impl RngState {
    /// The position of `rng`.
    pub fn of(rng: &ChaCha8Rng) -> Self {
        RngState {
            seed: rng.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    /// The stream at this position (an error on a damaged state).
    pub fn to_rng(&self) -> Result<ChaCha8Rng> {
        let bad = || Error::spec("the saved random stream is damaged");
        if self.seed.len() != 64 || !self.seed.is_ascii() {
            return Err(bad());
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&self.seed[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        let pos: u128 = self.word_pos.parse().map_err(|_| bad())?;
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(pos);
        Ok(rng)
    }
}

/// One double in JSON, infinities and NaN as the strings `inf`, `-inf` and `nan` (JSON has
/// no number for them). Finite values round-trip exactly (serde_json's `float_roundtrip`).
pub(crate) mod float {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    pub(crate) enum Real {
        Number(f64),
        Text(String),
    }

    pub(crate) fn to_real(v: f64) -> Real {
        if v.is_finite() {
            Real::Number(v)
        } else if v.is_nan() {
            Real::Text("nan".into())
        } else if v > 0.0 {
            Real::Text("inf".into())
        } else {
            Real::Text("-inf".into())
        }
    }

    pub(crate) fn from_real<E: serde::de::Error>(r: Real) -> Result<f64, E> {
        match r {
            Real::Number(v) => Ok(v),
            Real::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                _ => Err(E::custom(format!("'{t}' is not a number"))),
            },
        }
    }

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_real(*v).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        from_real(Real::deserialize(d)?)
    }
}

/// A list of doubles as [`float`] writes each.
pub(crate) mod floats {
    use super::float::{from_real, to_real, Real};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|x| to_real(*x))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Real>::deserialize(d)?
            .into_iter()
            .map(from_real)
            .collect()
    }
}

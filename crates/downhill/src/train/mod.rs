//! The training loop: epochs of full-batch or mini-batch updates, a learning-rate schedule,
//! stopping rules, a history of every epoch and observers called after each one.

mod config;
mod history;
mod hogwild;
mod observer;
mod order;
mod state;
mod stop;
mod stream;
mod target_units;
mod trainer;

pub use config::TrainConfig;
pub use history::{EpochRecord, History};
pub use hogwild::train_hogwild;
pub use observer::{Checkpoints, EpochInfo, NoObserver, Observer};
pub(crate) use state::floats;
pub use state::{BestState, DataPrint, Fingerprint, RankState, RanksState, RngState, TrainState};
pub use stop::StopReason;
pub use stream::{train_streaming, train_streaming_across, Chunk, ChunkSource, StreamModel};
pub(crate) use target_units::TargetUnits;
pub use trainer::{Report, Trainer};

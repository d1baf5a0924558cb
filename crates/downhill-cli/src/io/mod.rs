//! Files: CSV tables in, models and tables out (always atomically).

pub mod atomic;
pub mod chunks;
pub mod csv;
mod fast_csv;
pub mod model_file;
pub mod parquet;
pub mod table;

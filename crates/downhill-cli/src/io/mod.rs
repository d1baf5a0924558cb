//! Files: CSV tables in, models and tables out (always atomically).

pub mod atomic;
pub mod chunks;
pub mod csv;
mod decimal;
mod fast_csv;
pub mod model_file;
pub mod parquet;
mod separators;
pub mod table;

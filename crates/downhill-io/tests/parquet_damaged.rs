//! Damaged Parquet files found by the fuzzer (`fuzz/fuzz_targets/parquet.rs`) are errors
//! naming the file, never a panic inside the parquet crate.

use downhill_io::parquet::{header, table_bytes};
use std::path::Path;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A column chunk whose offset is negative: `ColumnChunkMetaData::byte_range` asserts on it.
#[test]
fn a_negative_column_offset_is_refused() {
    let path = data("negative-offset.parquet");
    let err = header(&path).unwrap_err().to_string();
    assert!(
        err.contains("negative-offset.parquet: damaged Parquet file: column"),
        "{err}"
    );
    assert!(err.contains("has a negative offset or size"), "{err}");
    assert_eq!(table_bytes(&path), None);
}

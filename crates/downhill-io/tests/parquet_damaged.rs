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

/// A dictionary page whose header claims billions of values: the parquet crate would size the
/// dictionary from that count (7.5 GB) before decoding one value.
#[test]
fn a_dictionary_that_claims_more_values_than_its_bytes_is_refused() {
    let err = load_all("dictionary-count.parquet");
    assert!(
        err.contains("dictionary-count.parquet: damaged Parquet file: column"),
        "{err}"
    );
    assert!(err.contains("the dictionary claims"), "{err}");
}

/// A data page encoded against a dictionary its column chunk does not have: the parquet crate
/// panics ("Decoder for dict should have been set").
#[test]
fn a_data_page_without_its_dictionary_is_refused() {
    let err = load_all("dictionary-missing.parquet");
    assert!(
        err.contains("dictionary-missing.parquet: damaged Parquet file: column"),
        "{err}"
    );
    assert!(
        err.contains("a data page uses a dictionary the column does not have"),
        "{err}"
    );
}

/// The error of loading every column of a damaged file (as the fuzz target does).
fn load_all(name: &str) -> String {
    use downhill_io::table::Target;
    let path = data(name);
    let head = header(&path).expect("the footer is intact");
    let all: Vec<usize> = (0..head.names.len()).collect();
    downhill_io::parquet::load(&path, &head, &all, Target::None)
        .unwrap_err()
        .to_string()
}

/// Definition levels that run past their buffer: arrow's `BitChunks` asserted ("offset + len
/// out of bounds") inside the parquet crate. The walk over the pages now refuses the file first;
/// had it not, the panic would be contained as an error (`downhill_io::contain`).
#[test]
fn damaged_definition_levels_are_an_error() {
    let err = load_all("definition-levels.parquet");
    let start = format!(
        "{}: damaged Parquet file: ",
        data("definition-levels.parquet").display()
    );
    assert!(err.starts_with(&start), "{err}");
}

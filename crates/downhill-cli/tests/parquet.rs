//! Parquet input: the same data as CSV gives the identical fit; text labels, integer
//! columns, nulls and non-Parquet files are handled.

use arrow_array::{ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use assert_cmd::Command;
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn fit(path: &Path, args: &[&str]) -> Value {
    let out = downhill()
        .arg("fit")
        .arg(path)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stackloss() -> (Vec<String>, Vec<Vec<f64>>) {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/stackloss.csv");
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

#[test]
fn parquet_and_csv_of_the_same_data_give_identical_fits() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = stackloss();
    let col = |j: usize| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r[j]).collect::<Vec<_>>(),
        ))
    };
    let pq = dir.path().join("stackloss.parquet");
    write_parquet(
        &pq,
        header
            .iter()
            .enumerate()
            .map(|(j, h)| (h.as_str(), col(j)))
            .collect(),
    );
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/stackloss.csv");
    for opt in ["gd", "lbfgs"] {
        let a = fit(&pq, &["-t", "STACKLOSS", "--optimizer", opt]);
        let b = fit(&csv, &["-t", "STACKLOSS", "--optimizer", opt]);
        assert_eq!(a["weights"], b["weights"], "{opt}");
        assert_eq!(a["intercept"], b["intercept"], "{opt}");
        assert_eq!(a["epochs"], b["epochs"], "{opt}");
    }
}

#[test]
fn integer_float32_and_text_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("mixed.parquet");
    let n = 40;
    let a: Vec<i64> = (0..n).collect();
    let b: Vec<f32> = (0..n).map(|i| ((i * 7) % 11) as f32 * 0.5).collect();
    let label: Vec<&str> = (0..n)
        .map(|i| {
            if (i * 7) % 11 + i / 4 > 9 {
                "yes"
            } else {
                "no"
            }
        })
        .collect();
    write_parquet(
        &pq,
        vec![
            ("a", Arc::new(Int64Array::from(a)) as ArrayRef),
            ("b", Arc::new(Float32Array::from(b)) as ArrayRef),
            ("label", Arc::new(StringArray::from(label)) as ArrayRef),
        ],
    );
    let v = fit(
        &pq,
        &[
            "-t",
            "label",
            "--model",
            "logistic",
            "--l2",
            "0.1",
            "--optimizer",
            "lbfgs",
        ],
    );
    assert_eq!(v["classes"], serde_json::json!(["no", "yes"]));
    assert_eq!(v["rows"], 40);
}

#[test]
fn nulls_and_broken_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("nulls.parquet");
    write_parquet(
        &pq,
        vec![
            (
                "x",
                Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)])) as ArrayRef,
            ),
            (
                "y",
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])) as ArrayRef,
            ),
        ],
    );
    let out = downhill()
        .arg("fit")
        .arg(&pq)
        .args(["-t", "y"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("row 2") && err.contains("'x'") && err.contains("null"),
        "{err}"
    );

    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, "x,y\n1,2\n").unwrap();
    let out = downhill()
        .arg("fit")
        .arg(&fake)
        .args(["-t", "y"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

/// Writes the fuzzer's Parquet seed, `fuzz/seeds/parquet/mixed.parquet`: a few rows of float,
/// integer and text columns with a null. Run by hand when the seed should change:
/// `cargo test -p downhill-cli --test parquet -- --ignored write_the_fuzz_seed`.
#[test]
#[ignore]
fn write_the_fuzz_seed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/parquet");
    std::fs::create_dir_all(&dir).unwrap();
    write_parquet(
        &dir.join("mixed.parquet"),
        vec![
            (
                "x",
                Arc::new(Float64Array::from(vec![1.5, -2.0, 0.25])) as ArrayRef,
            ),
            (
                "n",
                Arc::new(Int64Array::from(vec![Some(3), None, Some(-7)])) as ArrayRef,
            ),
            (
                "f",
                Arc::new(Float32Array::from(vec![0.5f32, 1.0, 2.0])) as ArrayRef,
            ),
            (
                "label",
                Arc::new(StringArray::from(vec!["a", "b", "a"])) as ArrayRef,
            ),
        ],
    );
}

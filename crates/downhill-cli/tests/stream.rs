//! `fit --stream`: the file read chunk by chunk gives the in-memory answer, bad cells keep
//! their file:line message, and big files stream on their own.

use assert_cmd::Command;
use std::io::Write;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn json_fit(args: &[&str]) -> serde_json::Value {
    let out = downhill()
        .arg("fit")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

/// The same fit, weights, intercept, cost and metrics to 1e-12 relative.
fn same_fit(a: &serde_json::Value, b: &serde_json::Value) {
    let w = a["weights"].as_object().unwrap();
    assert_eq!(w.len(), b["weights"].as_object().unwrap().len());
    for (name, v) in w {
        let (x, y) = (v.as_f64().unwrap(), b["weights"][name].as_f64().unwrap());
        assert!(rel(x, y) < 1e-12, "{name}: {x} vs {y}");
    }
    for key in ["intercept", "cost"] {
        let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!(rel(x, y) < 1e-12, "{key}: {x} vs {y}");
    }
    for key in ["r2", "rmse", "mae"] {
        let (x, y) = (
            a["metrics"][key].as_f64().unwrap(),
            b["metrics"][key].as_f64().unwrap(),
        );
        assert!(rel(x, y) < 1e-12, "{key}: {x} vs {y}");
    }
    assert_eq!(a["stop_reason"], b["stop_reason"]);
    assert_eq!(a["rows"], b["rows"]);
    for key in ["epochs", "load_seconds", "train_seconds"] {
        assert!(a[key].is_number(), "{key}");
    }
}

/// A CSV of `n` rows: three features on different scales and a noisy linear target.
fn generated(dir: &Path, n: usize, bad_line: Option<usize>) -> PathBuf {
    let path = dir.join("gen.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "a,b,c,y").unwrap();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..n {
        let (a, b, c) = (next() * 4.0 - 2.0, 50.0 + next() * 10.0, next() * 0.01);
        let y = 2.0 * a - 0.5 * b + 300.0 * c + 1.0 + next() - 0.5;
        // Line 1 is the header: row i is on line i + 2.
        if bad_line == Some(i + 2) {
            writeln!(f, "{a},oops,{c},{y}").unwrap();
        } else {
            writeln!(f, "{a},{b},{c},{y}").unwrap();
        }
    }
    path
}

#[test]
fn stackloss_streamed_equals_in_memory() {
    let file = data("stackloss.csv");
    let file = file.to_str().unwrap();
    let common = ["-t", "STACKLOSS", "--threads", "1"];
    let memory = json_fit(&[&[file][..], &common].concat());
    let streamed = json_fit(&[&[file][..], &common, &["--stream"]].concat());
    same_fit(&streamed, &memory);
    assert_eq!(streamed["stop_reason"], "gradient_tolerance");
}

#[test]
fn many_small_chunks_give_the_in_memory_answer_and_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 20_000, None);
    let file = file.to_str().unwrap();
    let common = ["-t", "y", "--lr", "0.5", "--threads", "1"];
    let memory = json_fit(&[&[file][..], &common].concat());
    let m1 = dir.path().join("m1.json");
    let h1 = dir.path().join("h1.csv");
    let streamed = json_fit(
        &[
            &[file][..],
            &common,
            &["--stream", "--memory-limit", "64KiB"],
            &[
                "-o",
                m1.to_str().unwrap(),
                "--history",
                h1.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    same_fit(&streamed, &memory);
    // The model file has the in-memory layout, and predicts.
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m1).unwrap()).unwrap();
    assert_eq!(model["format"], "downhill-model");
    assert_eq!(model["training"]["rows"], 20_000);
    assert_eq!(model["terms"], serde_json::json!(["a", "b", "c"]));
    let history = std::fs::read_to_string(&h1).unwrap();
    assert!(history.starts_with("epoch,cost,grad_norm,lr,a,b,c,intercept\n"));
    assert_eq!(
        history.lines().count(),
        streamed["epochs"].as_u64().unwrap() as usize + 2
    );
    let out = downhill()
        .args(["evaluate", m1.to_str().unwrap(), file, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let eval: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r2 = eval["r2"]
        .as_f64()
        .or_else(|| eval["metrics"]["r2"].as_f64())
        .unwrap();
    assert!(rel(r2, memory["metrics"]["r2"].as_f64().unwrap()) < 1e-12);

    // Mini-batches: the same seed gives the same bits.
    let batch = [
        &[file][..],
        &["-t", "y", "--stream", "--memory-limit", "64KiB"],
        &["--batch-size", "16", "--lr", "0.01", "--epochs", "3"],
    ]
    .concat();
    let a = json_fit(&batch);
    let b = json_fit(&batch);
    assert_eq!(a["weights"], b["weights"]);
    assert!(a["metrics"]["r2"].as_f64().unwrap() > 0.98);
}

#[test]
fn a_bad_cell_deep_in_the_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 5_000, Some(4_321));
    let out_model = dir.path().join("m.json");
    let out = downhill()
        .args(["fit", file.to_str().unwrap(), "-t", "y", "--stream"])
        .args(["--memory-limit", "16KiB", "-o", out_model.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
    assert!(
        err.contains(&format!(
            "{}:4321: column 'b': 'oops' is not a number",
            file.display()
        )),
        "{err}"
    );
    assert!(!out_model.exists());
}

#[test]
fn big_files_stream_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 3_000, None);
    let file = file.to_str().unwrap();
    let out = downhill()
        .args(["fit", file, "-t", "y", "--memory-limit", "32KiB", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("larger than the memory limit") && err.contains("--stream"),
        "{err}"
    );
    // Under the limit: loaded as before, nothing said.
    let out = downhill()
        .args(["fit", file, "-t", "y", "--memory-limit", "1GiB", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn unsupported_combinations_are_refused_by_name() {
    let file = data("stackloss.csv");
    let file = file.to_str().unwrap();
    for (extra, needle) in [
        (
            &["--optimizer", "lbfgs"][..],
            "--stream trains first-order optimizers only",
        ),
        (
            &["--validation-fraction", "0.2"][..],
            "--validation-fraction",
        ),
        (&["--degree", "2"][..], "--degree"),
        (&["--model", "softmax"][..], "--model linear only"),
        (&["--l1", "0.1"][..], "--l1"),
        (&["--memory-limit", "lots"][..], "--memory-limit"),
    ] {
        let out = downhill()
            .args(["fit", file, "-t", "STACKLOSS", "--stream"])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}

/// The rows of a generated CSV as a Parquet file (float64 columns of the same names), in
/// batches of `batch` rows, with the target of row `null_row` (from 0) left out if given.
fn parquet_of(csv: &Path, batch: usize, null_row: Option<usize>) -> PathBuf {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    use std::sync::Arc;
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    let path = csv.with_extension("parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = None;
    for (b, part) in rows.chunks(batch).enumerate() {
        let columns: Vec<(&str, ArrayRef, bool)> = names
            .iter()
            .enumerate()
            .map(|(j, &name)| {
                let values = part.iter().enumerate().map(|(i, r)| {
                    let last = j + 1 == names.len();
                    (!(last && null_row == Some(b * batch + i))).then_some(r[j])
                });
                let array = Arc::new(values.collect::<Float64Array>()) as ArrayRef;
                (name, array, true)
            })
            .collect();
        let batch = RecordBatch::try_from_iter_with_nullable(columns).unwrap();
        let w = writer.get_or_insert_with(|| {
            parquet::arrow::ArrowWriter::try_new(file.try_clone().unwrap(), batch.schema(), None)
                .unwrap()
        });
        w.write(&batch).unwrap();
        w.flush().unwrap(); // one row group per batch
    }
    writer.unwrap().close().unwrap();
    path
}

#[test]
fn parquet_streams_to_the_in_memory_answer() {
    let dir = tempfile::tempdir().unwrap();
    let csv = generated(dir.path(), 20_000, None);
    // Row groups of 3,000 rows, batches of 8,192 and chunks of a few hundred rows: no two
    // boundaries line up.
    let parquet = parquet_of(&csv, 3_000, None);
    let common = [
        "-t",
        "y",
        "--threads",
        "1",
        "--optimizer",
        "gd",
        "--epochs",
        "30",
    ];
    let memory = json_fit(&[&[csv.to_str().unwrap()][..], &common].concat());
    for limit in ["20KiB", "1GiB"] {
        let streamed = json_fit(
            &[
                &[parquet.to_str().unwrap()][..],
                &common,
                &["--stream", "--memory-limit", limit],
            ]
            .concat(),
        );
        same_fit(&streamed, &memory);
        assert_eq!(streamed["rows"], 20_000);
    }
}

#[test]
fn a_null_deep_in_a_streamed_parquet_file_names_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = generated(dir.path(), 12_000, None);
    let parquet = parquet_of(&csv, 5_000, Some(10_123));
    let out = downhill()
        .arg("fit")
        .arg(&parquet)
        .args(["-t", "y", "--stream", "--memory-limit", "20KiB"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("row 10124, column 'y'"), "{err}");
    assert!(err.contains("null"), "{err}");
}

/// Issue 15 item 6 for streamed runs: stopped after 5 epochs with `--checkpoint` and
/// resumed, a streamed run (many chunks; full batch, and shuffled mini-batches) ends with
/// the straight run's bits; a resume with another chunking is refused by name.
#[test]
fn streamed_runs_resume_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 3000, None);
    let file = file.to_str().unwrap();
    let ways: [&[&str]; 2] = [
        &["--optimizer", "adam", "--lr", "0.05"],
        &[
            "--optimizer",
            "momentum",
            "--lr",
            "0.01",
            "--batch-size",
            "32",
        ],
    ];
    for (k, way) in ways.iter().enumerate() {
        let ckpt = dir.path().join(format!("run-{k}.ckpt"));
        let c = ckpt.to_str().unwrap();
        let base = [file, "-t", "y", "--stream", "--memory-limit", "64KiB"];
        let run = |extra: &[&str]| json_fit(&[&base[..], way, extra].concat());
        let straight = run(&["--epochs", "12"]);
        let half = run(&[
            "--epochs",
            "5",
            "--checkpoint",
            c,
            "--checkpoint-every",
            "2",
        ]);
        let resumed = run(&["--epochs", "12", "--resume", c]);
        for key in ["weights", "intercept", "cost", "epochs"] {
            assert_eq!(straight[key], resumed[key], "{way:?}: {key}");
        }
        assert_ne!(straight["weights"], half["weights"], "{way:?}");
        // The state is used, not only read: told it is at epoch 11, the run ends elsewhere.
        let mut state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&ckpt).unwrap()).unwrap();
        state["state"]["epoch"] = 11.into();
        std::fs::write(&ckpt, state.to_string()).unwrap();
        let skipped = run(&["--epochs", "12", "--resume", c]);
        assert_ne!(straight["weights"], skipped["weights"], "{way:?}");
        let out = downhill()
            .args([
                "fit",
                file,
                "-t",
                "y",
                "--stream",
                "--memory-limit",
                "128KiB",
            ])
            .args(*way)
            .args(["--epochs", "12", "--resume", c])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("--memory-limit"), "{err}");
    }
}

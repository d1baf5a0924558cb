//! Issue 15 item 6: `fit --checkpoint FILE [--checkpoint-every N]` and `fit --resume FILE`.
//! A run stopped after k epochs and resumed to 2k ends with the same model file values, bit
//! for bit, as one run of 2k epochs; other data, other settings, a solver and a damaged file
//! are refused with one line.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

fn fit(data: &Path, flags: &[&str], extra: &[&str]) -> std::process::Output {
    downhill()
        .arg("fit")
        .arg(data)
        .args(["--target", "STACKLOSS", "--quiet"])
        .args(flags)
        .args(extra)
        .output()
        .expect("run")
}

fn ok(out: std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stderr of a failed run, checked to be one line without a panic.
fn fails(out: std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

/// The model file without its timings: what must not differ between the two runs (its run
/// description leaves out where the checkpoints were kept).
fn model(path: &Path) -> Value {
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    strip_times(&mut v);
    v
}

fn strip_times(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.contains("time") && !k.contains("seconds"));
            m.values_mut().for_each(strip_times);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_times),
        _ => {}
    }
}

/// The straight run of `2k` epochs and the run stopped at `k` then resumed to `2k`.
fn straight_and_resumed(flags: &[&str], k: usize) -> (Value, Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (k, k2) = (k.to_string(), (2 * k).to_string());
    let stack = data("stackloss.csv");
    let p = |n: &str| d.join(n).display().to_string();
    ok(fit(
        &stack,
        flags,
        &["--epochs", &k2, "-o", &p("straight.json")],
    ));
    let ckpt = p("run.ckpt");
    ok(fit(
        &stack,
        flags,
        &["--epochs", &k, "--checkpoint", &ckpt, "-o", &p("half.json")],
    ));
    ok(fit(
        &stack,
        flags,
        &["--epochs", &k2, "--resume", &ckpt, "-o", &p("resumed.json")],
    ));
    let names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    (
        model(&d.join("straight.json")),
        model(&d.join("resumed.json")),
        model(&d.join("half.json")),
    )
}

#[test]
fn resumed_runs_end_with_the_straight_runs_model() {
    let cases: [&[&str]; 4] = [
        &["--optimizer", "adam", "--lr", "0.05", "--batch-size", "4"],
        &[
            "--optimizer",
            "momentum",
            "--schedule",
            "plateau:2:2",
            "--threads",
            "2",
        ],
        &[
            "--optimizer",
            "sgd",
            "--lr",
            "0.05",
            "--batch-size",
            "2",
            "--validation-fraction",
            "0.25",
            "--patience",
            "3",
        ],
        &[
            "--optimizer",
            "nadam",
            "--lr",
            "0.02",
            "--batch-size",
            "3",
            "--gradient-noise",
            "0.1",
            "--average",
            "5",
        ],
    ];
    for flags in cases {
        let (straight, resumed, half) = straight_and_resumed(flags, 15);
        assert_eq!(straight, resumed, "{flags:?}");
        assert_ne!(straight, half, "{flags:?}: the first half alone differs");
    }
}

#[test]
fn early_stopping_resumed_stops_at_the_same_epoch() {
    let flags = [
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--batch-size",
        "2",
        "--schedule",
        "exp:0.5",
        "--validation-fraction",
        "0.25",
        "--patience",
        "3",
    ];
    let (straight, resumed, _) = straight_and_resumed(&flags, 300);
    assert_eq!(straight, resumed);
    let text = straight.to_string();
    assert!(text.contains("early_stopping"), "{text}");
}

#[test]
fn checkpoints_every_n_epochs_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("c.json");
    let c = ckpt.display().to_string();
    ok(fit(
        &data("stackloss.csv"),
        &["--optimizer", "adam", "--batch-size", "4"],
        &[
            "--epochs",
            "12",
            "--checkpoint",
            &c,
            "--checkpoint-every",
            "5",
        ],
    ));
    let v: Value = serde_json::from_slice(&std::fs::read(&ckpt).unwrap()).unwrap();
    assert_eq!(v["format"], "downhill-checkpoint");
    assert_eq!(v["version"], 1);
    assert_eq!(v["state"]["epoch"], 12);
    assert_eq!(v["state"]["optimizer"]["name"], "adam");
    let err = fails(fit(
        &data("stackloss.csv"),
        &[],
        &["--checkpoint", &c, "--checkpoint-every", "0"],
    ));
    assert!(err.contains("--checkpoint-every"), "{err}");
}

#[test]
fn other_data_or_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.json").display().to_string();
    let flags = ["--optimizer", "adam", "--lr", "0.05"];
    ok(fit(
        &data("stackloss.csv"),
        &flags,
        &["--epochs", "5", "--checkpoint", &c],
    ));
    // One value changed: same shape, other checksum.
    let text = std::fs::read_to_string(data("stackloss.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[2] = lines[2].replacen("80", "81", 1);
    assert_eq!(lines[2], "37,81,27,88");
    let other = dir.path().join("other.csv");
    std::fs::write(&other, lines.join("\n") + "\n").unwrap();
    let err = fails(fit(&other, &flags, &["--epochs", "9", "--resume", &c]));
    assert!(err.contains("data with checksum"), "{err}");
    // Fewer rows.
    std::fs::write(&other, lines[..10].join("\n") + "\n").unwrap();
    let err = fails(fit(&other, &flags, &["--epochs", "9", "--resume", &c]));
    assert!(
        err.contains("21 rows x 3 columns, this run has 9 rows"),
        "{err}"
    );
    // Another learning rate.
    let err = fails(fit(
        &data("stackloss.csv"),
        &["--optimizer", "adam", "--lr", "0.01"],
        &["--epochs", "9", "--resume", &c],
    ));
    assert!(err.contains("--lr 0.05, this run has 0.01"), "{err}");
    // Another optimizer.
    let err = fails(fit(
        &data("stackloss.csv"),
        &["--optimizer", "nadam", "--lr", "0.05"],
        &["--epochs", "9", "--resume", &c],
    ));
    assert!(
        err.contains("--optimizer adam, this run has nadam"),
        "{err}"
    );
}

#[test]
fn damaged_files_and_solvers_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let stack = data("stackloss.csv");
    let bad = dir.path().join("bad.ckpt");
    let b = bad.display().to_string();
    for (content, says) in [
        ("garbage\n", "not a downhill checkpoint"),
        ("{\"a\": 1}", "not a downhill checkpoint"),
        (
            "{\"format\": \"downhill-checkpoint\", \"version\": 99, \"state\": {}}",
            "version",
        ),
        (
            "{\"format\": \"downhill-checkpoint\", \"version\": 1, \"state\": {\"epoch\": 3}}",
            "damaged checkpoint",
        ),
    ] {
        std::fs::write(&bad, content).unwrap();
        let err = fails(fit(&stack, &[], &["--resume", &b]));
        assert!(err.contains("bad.ckpt") && err.contains(says), "{err}");
    }
    let missing = dir.path().join("none.ckpt").display().to_string();
    let err = fails(fit(&stack, &[], &["--resume", &missing]));
    assert!(err.contains("none.ckpt"), "{err}");
    let err = fails(fit(
        &stack,
        &["--optimizer", "lbfgs"],
        &["--checkpoint", &b],
    ));
    assert!(err.contains("lbfgs keeps state of its own"), "{err}");
}

//! End-to-end runs of the `downhill` binary: fits, predictions, and every kind of bad input
//! (clear one-line error, non-zero exit, no panic, no output file left behind).

use assert_cmd::Command;
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
    (a - b).abs() / b.abs()
}

/// Runs and expects failure: returns stderr, checked to be one line without a panic.
fn fails(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    if code == 1 {
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("downhill: error: "), "{err}");
    }
    err
}

/// Files in `dir` (to check that nothing, not even a temporary file, was left).
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
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

#[test]
fn fit_prints_a_summary_with_each_parameter() {
    let out = downhill()
        .args([
            "fit",
            data("engel.csv").to_str().unwrap(),
            "--target",
            "foodexp",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["income", "intercept", "cost", "epochs", "converged", "time"] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("income"))
        .unwrap();
    let w: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(rel(w, 0.48517842367692343) < 1e-9);
}

#[test]
fn fit_json_has_the_documented_keys_and_the_least_squares_answer() {
    let v = json_fit(&[
        data("stackloss.csv").to_str().unwrap(),
        "--target",
        "STACKLOSS",
    ]);
    let w = &v["weights"];
    assert!(rel(w["AIRFLOW"].as_f64().unwrap(), 0.7156402004852839) < 1e-9);
    assert!(rel(w["WATERTEMP"].as_f64().unwrap(), 1.295286124388572) < 1e-9);
    assert!(rel(w["ACIDCONC"].as_f64().unwrap(), -0.15212251914865257) < 1e-9);
    assert!(rel(v["intercept"].as_f64().unwrap(), -39.919674420124025) < 1e-9);
    assert!(v["cost"].as_f64().unwrap() > 0.0);
    assert!(v["epochs"].as_u64().unwrap() > 0);
    assert_eq!(v["stop_reason"], "gradient_tolerance");
    // Feature order is the file's.
    let keys: Vec<&String> = w.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["AIRFLOW", "WATERTEMP", "ACIDCONC"]);
}

#[test]
fn fit_with_chosen_features_and_raw_textbook_settings() {
    let v = json_fit(&[
        data("stackloss.csv").to_str().unwrap(),
        "--target",
        "STACKLOSS",
        "--features",
        "AIRFLOW",
        "--no-standardize",
        "--lr",
        "1e-4",
        "--epochs",
        "3",
    ]);
    assert_eq!(v["weights"].as_object().unwrap().len(), 1);
    assert_eq!(v["epochs"], 3);
    assert_eq!(v["stop_reason"], "max_epochs");
}

#[test]
fn fit_writes_model_and_history_then_predict_uses_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let history = dir.path().join("history.csv");
    downhill()
        .args([
            "fit",
            data("engel.csv").to_str().unwrap(),
            "-t",
            "foodexp",
            "-q",
        ])
        .arg("-o")
        .arg(&model)
        .arg("--history")
        .arg(&history)
        .assert()
        .success();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["format"], "downhill-model");
    assert_eq!(m["version"], 1);
    assert_eq!(m["features"][0], "income");
    assert_eq!(m["target"], "foodexp");
    assert!(m["standardization"]["mean"][0].as_f64().unwrap() > 0.0);
    assert_eq!(m["training"]["lr"], 0.1);
    assert_eq!(m["model"], "linear");
    assert_eq!(m["terms"][0], "income");
    let (w, b) = (
        m["weights"][0][0].as_f64().unwrap(),
        m["intercept"][0].as_f64().unwrap(),
    );

    let h = std::fs::read_to_string(&history).unwrap();
    let mut lines = h.lines();
    assert_eq!(
        lines.next().unwrap(),
        "epoch,cost,grad_norm,lr,income,intercept"
    );
    assert_eq!(
        lines.clone().count(),
        m["training"]["epochs"].as_u64().unwrap() as usize + 1
    );
    assert!(lines.next().unwrap().starts_with("0,"));

    // Extra columns (and a different order) are fine: features are found by name.
    let input = dir.path().join("new.csv");
    std::fs::write(&input, "id,other,income\na,1,100\nb,2,1000.5\n").unwrap();
    let preds = dir.path().join("preds.csv");
    downhill()
        .arg("predict")
        .arg(&model)
        .arg(&input)
        .arg("-o")
        .arg(&preds)
        .assert()
        .success();
    let p: Vec<f64> = std::fs::read_to_string(&preds)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(p.len(), 2);
    assert!(rel(p[0], w * 100.0 + b) < 1e-14 && rel(p[1], w * 1000.5 + b) < 1e-14);

    // To stdout without -o.
    let out = downhill()
        .arg("predict")
        .arg(&model)
        .arg(&input)
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("prediction\n"));

    // A missing feature column is an error naming it.
    std::fs::write(&input, "id,other\na,1\n").unwrap();
    let err = fails(downhill().arg("predict").arg(&model).arg(&input), 1);
    assert!(err.contains("'income'"), "{err}");
    assert!(!err.contains("separated by"), "{err}");
    // And a file separated by semicolons, read as one column, is named as such.
    std::fs::write(&input, "id;income\na;100\n").unwrap();
    let err = fails(downhill().arg("predict").arg(&model).arg(&input), 1);
    assert!(
        err.contains("'income'") && err.contains("separated by ';'"),
        "{err}"
    );
}

#[test]
fn help_has_examples() {
    for cmd in ["fit", "predict"] {
        let out = downhill().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Examples:") && text.contains("downhill "),
            "{cmd}: {text}"
        );
    }
}

/// Writes `content` to a file, runs `fit` on it with `-o`, and checks the failure.
fn bad_fit(content: impl AsRef<[u8]>, extra: &[&str], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, content).unwrap();
    let model = dir.path().join("model.json");
    let err = fails(
        downhill()
            .arg("fit")
            .arg(&input)
            .args(["--target", "y"])
            .args(extra)
            .arg("-o")
            .arg(&model)
            .arg("--history")
            .arg(dir.path().join("h.csv")),
        1,
    );
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
    assert_eq!(files(dir.path()), vec!["in.csv"], "no output may be left");
}

#[test]
fn bad_csv_inputs_get_one_line_errors_with_positions() {
    bad_fit("", &[], &["in.csv", "empty"]);
    bad_fit("x,y\n", &[], &["in.csv", "no data rows"]);
    bad_fit(
        "x,y\n1,2\n3\n4,5\n",
        &[],
        &["in.csv:3", "1 fields", "header has 2"],
    );
    bad_fit(
        "x,y\n1,2\n3,abc\n",
        &[],
        &["in.csv:3", "column 'y'", "'abc'", "not a number"],
    );
    bad_fit(
        "x,y\n1,2\nNaN,3\n",
        &[],
        &["in.csv:3", "column 'x'", "'NaN'", "not a finite number"],
    );
    bad_fit(
        "x,y\n1,2\n2,inf\n",
        &[],
        &["in.csv:3", "column 'y'", "'inf'"],
    );
    bad_fit("x,y\n1,2\n,3\n", &[], &["in.csv:3", "column 'x'", "empty"]);
    // Finite values whose squares overflow: named as too large, not as constant.
    bad_fit(
        "x,y\n1e300,2\n2e300,3\n3e300,5\n",
        &[],
        &[
            "in.csv: feature 'x' is too large to standardise",
            "power of ten",
        ],
    );
    bad_fit(
        "x,z\n1,2\n",
        &[],
        &["no target column 'y'", "the columns are: x, z"],
    );
    // A file separated by something else reads as one column: the error says so.
    bad_fit(
        "x;y\n1;2\n2;3\n",
        &[],
        &[
            "no target column 'y'",
            "x;y",
            "separated by ';'",
            "comma-separated",
        ],
    );
    bad_fit(
        "x\ty\n1\t2\n2\t3\n",
        &[],
        &["no target column 'y'", "separated by tabs"],
    );
    bad_fit(
        "x,y\n1,2\n2,3\n",
        &["--features", "x,w"],
        &["no feature column 'w'", "x, y"],
    );
    bad_fit(
        "x,c,y\n1,5,2\n2,5,3\n3,5,5\n",
        &[],
        &["in.csv: feature 'c' is constant", "--no-standardize"],
    );
    bad_fit(
        "x,y\n1,2\n2,3\n",
        &["--init", "1,2,3"],
        &["--init", "expected 2 values"],
    );
    bad_fit(
        b"x,y\n1,2\n2,\xff\n",
        &[],
        &["in.csv:3", "column 'y'", "not UTF-8"],
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let err = fails(downhill().args(["fit", "no/such/file.csv", "-t", "y"]), 1);
    assert!(err.contains("cannot read no/such/file.csv"), "{err}");
}

#[test]
fn divergence_names_the_learning_rate_and_writes_no_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let err = fails(
        downhill()
            .args(["fit", data("engel.csv").to_str().unwrap(), "-t", "foodexp"])
            .args(["--no-standardize", "--lr", "0.001", "-o"])
            .arg(&model),
        1,
    );
    assert!(err.contains("diverged") && err.contains("1e-3"), "{err}");
    assert!(
        err.contains("smaller --lr") && err.contains("--no-standardize"),
        "{err}"
    );
    assert!(files(dir.path()).is_empty());
}

#[test]
fn invalid_settings_name_the_flag() {
    let err = fails(
        downhill().args(["fit", "x.csv", "-t", "y", "--lr", "-1"]),
        2,
    );
    assert!(err.contains("--lr"), "{err}");
    let err = fails(
        downhill().args(["fit", "x.csv", "-t", "y", "--epochs", "ten"]),
        2,
    );
    assert!(err.contains("--epochs"), "{err}");
}

#[test]
fn a_file_that_is_not_our_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("engel.csv");
    for (content, expect) in [
        ("not json at all", "not a downhill model file"),
        ("{\"weights\": [1]}", "not a downhill model file"),
        (
            "{\"format\": \"downhill-model\", \"version\": 99}",
            "version 99 is not supported",
        ),
        (
            "{\"format\": \"downhill-model\", \"version\": 1}",
            "damaged",
        ),
    ] {
        let model = dir.path().join("m.json");
        std::fs::write(&model, content).unwrap();
        let err = fails(downhill().arg("predict").arg(&model).arg(&input), 1);
        assert!(err.contains(expect) && err.contains("m.json"), "{err}");
    }
}

#[test]
fn padded_and_signed_numbers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "x,y\n 1 ,+2.0\n2, 4e0 \n3,6.\n-1,-2\n").unwrap();
    let out = downhill()
        .arg("fit")
        .arg(&input)
        .args(["-t", "y", "--json", "--optimizer", "newton"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        (v["weights"]["x"].as_f64().unwrap() - 2.0).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(v["rows"], 4);
}

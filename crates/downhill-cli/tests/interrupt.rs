//! Ctrl-C ends a fit cleanly: exit 0, stop reason `interrupted`, the model still written.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn ctrl_c_stops_the_run_and_keeps_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/engel.csv");
    // A run that would take hours: a tiny learning rate, no tolerance.
    let child = Command::new(env!("CARGO_BIN_EXE_downhill"))
        .arg("fit")
        .arg(&data)
        .args([
            "-t",
            "foodexp",
            "--no-standardize",
            "--lr",
            "1e-12",
            "--gtol",
            "0",
        ])
        .args(["--epochs", "1000000000", "--json", "-o"])
        .arg(&model)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The handler is installed before the first epoch, a few milliseconds after start;
    // a second is a wide margin, and the run is far from done by then.
    std::thread::sleep(Duration::from_secs(1));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stop_reason"], "interrupted");
    assert!(v["epochs"].as_u64().unwrap() > 0);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["training"]["stop_reason"], "interrupted");
}

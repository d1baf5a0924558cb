//! The CSV reader: plain files go through the parallel block reader, quoted ones through the
//! `csv` crate; both must give the same numbers, and errors keep their line numbers across
//! block boundaries.

use assert_cmd::Command;
use std::fmt::Write as _;

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

/// `fit --json` of `content` (written to a file in a temporary directory): the JSON, or the
/// error text.
fn fit(content: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, content).unwrap();
    let out = downhill()
        .arg("fit")
        .arg(&input)
        .args(["--json", "--optimizer", "newton"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        assert_eq!(out.status.code(), Some(1), "{err}");
        Err(err)
    }
}

/// Rows of `a,b,y` with `y = 3a - 2b + 1` plus a small wobble, `n` of them: about 60 bytes
/// a row, so 100,000 rows span several blocks of the reader.
fn rows(n: usize) -> String {
    let mut s = String::from("a,b,y\n");
    for i in 0..n {
        let a = (i as f64 * 0.37).sin() * 10.0;
        let b = (i as f64 * 0.11).cos() * 3.0 + 0.001 * i as f64;
        let y = 3.0 * a - 2.0 * b + 1.0 + 1e-3 * ((i * 7919) % 13) as f64;
        writeln!(s, "{a:?},{b:?},{y:?}").unwrap();
    }
    s
}

fn weights(v: &serde_json::Value) -> (f64, f64, f64) {
    (
        v["weights"]["a"].as_f64().unwrap(),
        v["weights"]["b"].as_f64().unwrap(),
        v["intercept"].as_f64().unwrap(),
    )
}

#[test]
fn a_large_file_reads_the_same_with_every_line_ending_and_quoting() {
    let plain = rows(100_000);
    let base = fit(&plain, &["-t", "y"]).unwrap();
    assert_eq!(base["rows"], 100_000);
    let w = weights(&base);
    assert!(
        (w.0 - 3.0).abs() < 1e-3 && (w.1 + 2.0).abs() < 1e-3,
        "{w:?}"
    );

    // Windows line ends, and no line end after the last row.
    let crlf = plain.replace('\n', "\r\n");
    let v = fit(crlf.trim_end(), &["-t", "y"]).unwrap();
    assert_eq!(weights(&v), w);
    assert_eq!(v["rows"], 100_000);

    // Every cell quoted (the careful reader): the same numbers, the same fit.
    let quoted: String = plain
        .lines()
        .map(|l| {
            let cells: Vec<String> = l.split(',').map(|c| format!("\"{c}\"")).collect();
            cells.join(",") + "\n"
        })
        .collect();
    let v = fit(&quoted, &["-t", "y"]).unwrap();
    assert_eq!(weights(&v), w);

    // A quote only near the end, in a column that is not read, after many plain blocks.
    let mut late = plain.clone();
    late = late.replacen("a,b,y\n", "a,b,y,note\n", 1);
    let late: String = late
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l}\n"),
            99_990 => format!("{l},\"x, y\"\n"),
            _ => format!("{l},z\n"),
        })
        .collect();
    let v = fit(&late, &["-t", "y", "--features", "a,b"]).unwrap();
    assert_eq!(weights(&v), w);
}

#[test]
fn errors_deep_in_a_large_file_name_the_right_line() {
    let plain = rows(100_000);
    let mut lines: Vec<&str> = plain.lines().collect();
    // Line numbers count the header as line 1; blank lines count too.
    lines.insert(40_000, "");
    lines[90_001] = "1.5,oops,2";
    let text = lines.join("\n") + "\n";
    let err = fit(&text, &["-t", "y"]).unwrap_err();
    assert!(
        err.contains("in.csv:90002: column 'b': 'oops' is not a number"),
        "{err}"
    );

    let mut lines: Vec<&str> = plain.lines().collect();
    lines[77_777] = "1,2";
    let err = fit(&(lines.join("\n") + "\n"), &["-t", "y"]).unwrap_err();
    assert!(
        err.contains("in.csv:77778: the row has 2 fields but the header has 3"),
        "{err}"
    );
}

#[test]
fn columns_are_taken_by_name_in_any_order() {
    let text = "note,y,b,a,extra\nx,5,1,2,q\nx,9,2,3,q\nx,7,0,3,q\nx,15,5,4,q\n";
    // y = 3a + b - 2 exactly on these rows.
    let v = fit(text, &["-t", "y", "--features", "a,b"]).unwrap();
    let (a, b, c) = weights(&v);
    assert!((a - 3.0).abs() < 1e-9 && (b - 1.0).abs() < 1e-9 && (c + 2.0).abs() < 1e-9);
}

#[test]
fn class_labels_are_read_plain_or_quoted() {
    let mut plain = String::from("x,label\n");
    let mut quoted = String::from("\"x\",\"label\"\n");
    for i in 0..200 {
        let x = i as f64 / 20.0 - 5.0 + if i % 7 == 0 { 1.5 } else { 0.0 };
        let label = if x > 0.3 { "yes" } else { "no" };
        writeln!(plain, "{x},{label}").unwrap();
        writeln!(quoted, "{x},\"{label}\"").unwrap();
    }
    let args = ["-t", "label", "--model", "logistic", "--l2", "0.1"];
    let a = fit(&plain, &args).unwrap();
    let b = fit(&quoted, &args).unwrap();
    assert_eq!(a["weights"], b["weights"]);
    assert_eq!(a["classes"], b["classes"]);
}

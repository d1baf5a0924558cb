//! A data set kept as several files (a list, or a glob pattern) in one process: the fit of
//! the files is the fit of their concatenation; files whose columns differ and a pattern
//! that matches nothing are refused with a message.

use assert_cmd::Command;
use std::io::Write;
use std::path::{Path, PathBuf};

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
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

/// `rows` rows of `a,b,y` (y linear in a and b plus noise), as one file `all.csv` and as
/// the files `part-K.csv` of the rows `cuts[K]..cuts[K + 1]`.
fn write_parts(dir: &Path, rows: usize, cuts: &[usize]) -> PathBuf {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut unif = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let lines: Vec<String> = (0..rows)
        .map(|_| {
            let (a, b, e) = (unif() * 4.0, 5.0 + unif() * 6.0, unif());
            format!("{a:.9},{b:.9},{:.9}", 1.5 * a - 0.7 * b + 3.0 + e)
        })
        .collect();
    let write = |path: &Path, rows: &[String]| {
        let mut f = std::fs::File::create(path).unwrap();
        writeln!(f, "a,b,y").unwrap();
        for r in rows {
            writeln!(f, "{r}").unwrap();
        }
    };
    for (k, w) in cuts.windows(2).enumerate() {
        write(&dir.join(format!("part-{k}.csv")), &lines[w[0]..w[1]]);
    }
    let all = dir.join("all.csv");
    write(&all, &lines);
    all
}

#[test]
fn a_glob_or_a_list_of_files_is_their_concatenation() {
    let dir = tempfile::tempdir().unwrap();
    let all = write_parts(dir.path(), 1000, &[0, 100, 400, 1000]);
    let flags = ["--target", "y", "--optimizer", "lbfgs", "--quiet"];
    let one = json_fit(&[&[all.to_str().unwrap()][..], &flags].concat());
    let pattern = dir.path().join("part-*.csv");
    let globbed = json_fit(&[&[pattern.to_str().unwrap()][..], &flags].concat());
    let files: Vec<String> = (0..3)
        .map(|k| {
            dir.path()
                .join(format!("part-{k}.csv"))
                .display()
                .to_string()
        })
        .collect();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend_from_slice(&flags);
    let listed = json_fit(&args);
    // The same rows in the same order: the same numbers, bit for bit.
    for fit in [&globbed, &listed] {
        for key in ["weights", "intercept", "cost", "epochs", "rows", "metrics"] {
            assert_eq!(fit[key], one[key], "{key}");
        }
    }
    assert_eq!(one["rows"], 1000);
}

#[test]
fn streamed_shards_are_the_streamed_concatenation() {
    let dir = tempfile::tempdir().unwrap();
    let all = write_parts(dir.path(), 3000, &[0, 700, 1900, 3000]);
    let pattern = dir.path().join("part-*.csv");
    // Chunks of 512 rows (32 KiB / 2 / 32 bytes a row) run on across the files' ends, so
    // that batches and sums are those of the one file.
    for extra in [
        &["--optimizer", "gd", "--epochs", "50"][..],
        &[
            "--optimizer",
            "sgd",
            "--batch-size",
            "64",
            "--epochs",
            "5",
            "--seed",
            "4",
        ],
    ] {
        let flags = [
            &[
                "--target",
                "y",
                "--stream",
                "--memory-limit",
                "32KiB",
                "--quiet",
            ][..],
            extra,
        ]
        .concat();
        let one = json_fit(&[&[all.to_str().unwrap()][..], &flags].concat());
        let globbed = json_fit(&[&[pattern.to_str().unwrap()][..], &flags].concat());
        for key in ["weights", "intercept", "cost", "epochs", "rows", "metrics"] {
            assert_eq!(globbed[key], one[key], "{extra:?}: {key}");
        }
    }
}

#[test]
fn shards_with_other_columns_and_patterns_without_a_match_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_parts(dir.path(), 100, &[0, 50, 100]);
    std::fs::write(dir.path().join("part-2.csv"), "b,a,y\n1,2,3\n").unwrap();
    let pattern = dir.path().join("part-*.csv");
    downhill()
        .args(["fit", pattern.to_str().unwrap(), "--target", "y"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "part-2.csv: its columns (b, a, y) are not the first file's (a, b, y)",
        ));
    let none = dir.path().join("none-*.csv");
    downhill()
        .args(["fit", none.to_str().unwrap(), "--target", "y"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no file matches this pattern"));
}

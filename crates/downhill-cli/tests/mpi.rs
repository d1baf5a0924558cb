//! Training across MPI ranks, launched by `mpirun` as separate processes (MPI starts once
//! per process, so these are not in-process tests). Built only with `--features mpi`;
//! `scripts/mpi_test.sh` runs them.
#![cfg(feature = "mpi")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_downhill");

/// `mpirun -n ranks downhill fit args`, under `timeout` so that a hang fails the test.
fn mpirun(ranks: usize, args: &[&str], limit_seconds: u32) -> Command {
    let mut c = Command::new("timeout");
    c.arg(limit_seconds.to_string())
        .args(["mpirun", "--oversubscribe", "--allow-run-as-root"])
        .args([
            "--mca",
            "btl",
            "self,vader",
            "-n",
            &ranks.to_string(),
            BIN,
            "fit",
        ])
        .args(args)
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    c
}

fn json(out: Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON object on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn single(args: &[&str]) -> serde_json::Value {
    json(
        Command::new(BIN)
            .arg("fit")
            .args(args)
            .arg("--json")
            .output()
            .unwrap(),
    )
}

fn ranked(ranks: usize, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    json(mpirun(ranks, &a, 120).output().unwrap())
}

/// Weights, intercept (relative to the parameters' size) and cost agree to `tol`.
fn agree(a: &serde_json::Value, b: &serde_json::Value, tol: f64, what: &str) {
    let params = |v: &serde_json::Value| -> Vec<f64> {
        let mut p: Vec<f64> = v["weights"]
            .as_object()
            .unwrap()
            .values()
            .map(|w| w.as_f64().unwrap())
            .collect();
        p.push(v["intercept"].as_f64().unwrap());
        p
    };
    let (pa, pb) = (params(a), params(b));
    let size = pb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (x, y) in pa.iter().zip(&pb) {
        assert!((x - y).abs() <= tol * size, "{what}: {x} vs {y}");
    }
    let (ca, cb) = (a["cost"].as_f64().unwrap(), b["cost"].as_f64().unwrap());
    assert!(
        (ca - cb).abs() <= tol * cb.abs(),
        "{what}: cost {ca} vs {cb}"
    );
    assert_eq!(a["rows"], b["rows"], "{what}");
    metrics_agree(a, b, tol, what);
}

/// Every number in `v`, depth first, in key order.
fn numbers(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Number(n) => out.push(n.as_f64().unwrap()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| numbers(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

/// The training metrics (R^2, RMSE, MAE; accuracy, log-loss, precision, recall, F1, the
/// confusion matrix) agree, each to `tol` of its size.
fn metrics_agree(a: &serde_json::Value, b: &serde_json::Value, tol: f64, what: &str) {
    let (mut ma, mut mb) = (Vec::new(), Vec::new());
    numbers(&a["metrics"], &mut ma);
    numbers(&b["metrics"], &mut mb);
    assert!(mb.len() >= 3, "{what}: metrics printed: {}", b["metrics"]);
    assert_eq!(
        ma.len(),
        mb.len(),
        "{what}: {} vs {}",
        a["metrics"],
        b["metrics"]
    );
    for (x, y) in ma.iter().zip(&mb) {
        assert!(
            (x - y).abs() <= tol * y.abs(),
            "{what}: metrics {} vs {}",
            a["metrics"],
            b["metrics"]
        );
    }
}

/// Weights and intercepts of every class (relative to their size), cost and metrics agree.
fn agree_classes(a: &serde_json::Value, b: &serde_json::Value, tol: f64, what: &str) {
    let params = |v: &serde_json::Value| {
        let mut p = Vec::new();
        numbers(&v["weights"], &mut p);
        numbers(&v["intercept"], &mut p);
        p
    };
    let (pa, pb) = (params(a), params(b));
    assert_eq!(pa.len(), pb.len(), "{what}");
    let size = pb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (x, y) in pa.iter().zip(&pb) {
        assert!((x - y).abs() <= tol * size, "{what}: {x} vs {y}");
    }
    let (ca, cb) = (a["cost"].as_f64().unwrap(), b["cost"].as_f64().unwrap());
    assert!(
        (ca - cb).abs() <= tol * cb.abs(),
        "{what}: cost {ca} vs {cb}"
    );
    assert_eq!(a["rows"], b["rows"], "{what}");
    assert_eq!(a["classes"], b["classes"], "{what}");
    metrics_agree(a, b, tol, what);
}

/// A data set whose rows have very different lengths, so that equal byte ranges hold
/// unequal numbers of rows.
fn write_data(dir: &Path, name: &str, rows: usize, labels: bool) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "a,b,c,y").unwrap();
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut unif = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..rows {
        let (a, b, c) = (unif() * 4.0, 5.0 + unif() * 6.0, unif());
        let noise = unif();
        let z = 1.5 * a - 0.7 * b + 0.2 * c + 3.0 + noise;
        // Long rows early, short rows late.
        let digits = if i < rows / 3 { 12 } else { 2 };
        let y = if labels {
            (if 1.2 * a - 0.5 * (b - 5.0) + 2.0 * noise > 0.0 {
                "yes"
            } else {
                "no"
            })
            .to_string()
        } else {
            format!("{z:.digits$}")
        };
        writeln!(f, "{a:.digits$},{b:.digits$},{c:.digits$},{y}").unwrap();
    }
    path
}

#[test]
fn a_fit_across_ranks_is_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 2000, false);
    let log = write_data(dir.path(), "log.csv", 2000, true);
    for (data, model) in [(&lin, "linear"), (&log, "logistic")] {
        let data = data.to_str().unwrap();
        for method in [
            &["--optimizer", "gd", "--epochs", "300"][..],
            // Adam divides each step by the gradient's size, so a coordinate whose gradient
            // is rounding noise (the intercept on a centred target starts at exactly 0 up to
            // rounding) steps by the learning rate in the direction of that noise, and the
            // order of additions then shows at 1e-10. On the raw data no gradient is noise.
            &[
                "--optimizer",
                "adam",
                "--lr",
                "0.05",
                "--epochs",
                "300",
                "--no-standardize",
            ],
            &["--optimizer", "lbfgs"],
            &["--optimizer", "newton"],
        ] {
            let mut args = vec![data, "--target", "y", "--model", model, "--quiet"];
            args.extend_from_slice(method);
            let one = single(&args);
            for ranks in 1..=3 {
                let many = ranked(ranks, &args);
                let what = format!("{model} {method:?} on {ranks} ranks");
                agree(&many, &one, 1e-12, &what);
                assert_eq!(many["epochs"], one["epochs"], "{what}");
            }
        }
    }
}

/// Three classes (labels `c0` < `c1` < `c2`, by the largest of three linear scores plus
/// noise; without noise the classes are separable), rows of uneven lengths. With
/// `late_class`, class `c2` appears only in the last tenth of the rows (so only on the last
/// rank): the class list is the union of every rank's.
fn write_classes(dir: &Path, name: &str, rows: usize, noise: f64, late_class: bool) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "a,b,y").unwrap();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut unif = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..rows {
        let (a, b) = (unif() * 4.0, 3.0 + unif() * 2.0);
        let mut z = [a, -a + 2.0 * (b - 3.0), 1.5 * (b - 3.0) - 0.2 * a];
        for v in &mut z {
            *v += noise * unif();
        }
        if late_class && i < rows * 9 / 10 {
            z[2] = f64::NEG_INFINITY;
        }
        let class = (0..3).fold(0, |m, k| if z[k] > z[m] { k } else { m });
        let digits = if i < rows / 3 { 12 } else { 3 };
        writeln!(f, "{a:.digits$},{b:.digits$},c{class}").unwrap();
    }
    path
}

#[test]
fn softmax_across_ranks_is_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write_classes(dir.path(), "three.csv", 1500, 2.0, false);
    let late = write_classes(dir.path(), "late.csv", 1500, 2.0, true);
    for data in [&plain, &late] {
        let data = data.to_str().unwrap();
        for method in [
            &["--optimizer", "gd", "--epochs", "200"][..],
            &["--optimizer", "lbfgs", "--l2", "0.001"],
        ] {
            let mut args = vec![data, "--target", "y", "--model", "softmax", "--quiet"];
            args.extend_from_slice(method);
            let one = single(&args);
            assert_eq!(one["classes"], serde_json::json!(["c0", "c1", "c2"]));
            for ranks in 1..=3 {
                let many = ranked(ranks, &args);
                let what = format!("softmax {method:?} on {ranks} ranks, {data}");
                agree_classes(&many, &one, 1e-12, &what);
                assert_eq!(many["epochs"], one["epochs"], "{what}");
            }
        }
    }
}

/// Three well-apart clusters of `rows` rows (classes `c0`, `c1`, `c2`): linearly separable.
fn write_clusters(dir: &Path, name: &str, rows: usize, classes: usize) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "a,b,y").unwrap();
    let centres = [(0.0, 0.0), (5.0, 0.0), (0.0, 5.0)];
    for i in 0..rows {
        let k = i % classes;
        // A spread of about one, without a generator: the golden ratio's fractional parts.
        let (u, v) = ((i as f64 * 0.618_034) % 1.0, (i as f64 * 0.754_878) % 1.0);
        let (a, b) = (centres[k].0 + u - 0.5, centres[k].1 + v - 0.5);
        writeln!(f, "{a:.6},{b:.6},c{k}").unwrap();
    }
    path
}

#[test]
fn classifier_powers_across_ranks_are_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_data(dir.path(), "log.csv", 1500, true);
    let three = write_classes(dir.path(), "three.csv", 1500, 2.0, false);
    for (data, model) in [(&log, "logistic"), (&three, "softmax")] {
        let args = [
            data.to_str().unwrap(),
            "--target",
            "y",
            "--model",
            model,
            "--degree",
            "2",
            "--optimizer",
            "lbfgs",
            "--l2",
            "0.001",
            "--quiet",
        ];
        let one = single(&args);
        assert!(one["weights"].to_string().contains("\"a^2\""), "{one}");
        for ranks in 1..=3 {
            let many = ranked(ranks, &args);
            let what = format!("{model} with powers on {ranks} ranks");
            agree_classes(&many, &one, 1e-12, &what);
            assert_eq!(many["epochs"], one["epochs"], "{what}");
        }
    }
}

#[test]
fn separable_classes_are_refused_across_ranks() {
    let dir = tempfile::tempdir().unwrap();
    for (classes, model) in [(3, "softmax"), (2, "logistic")] {
        let data = write_clusters(dir.path(), &format!("{model}.csv"), 900, classes);
        let data = data.to_str().unwrap();
        let args = [data, "--target", "y", "--model", model, "--quiet"];
        let one = Command::new(BIN).arg("fit").args(args).output().unwrap();
        let one_err = String::from_utf8_lossy(&one.stderr);
        assert!(
            !one.status.success() && one_err.contains("linearly separable"),
            "{one_err}"
        );
        for ranks in [2, 3] {
            let out = mpirun(ranks, &args, 60).output().unwrap();
            assert!(!out.status.success());
            assert_ne!(out.status.code(), Some(124), "hung");
            let err = String::from_utf8_lossy(&out.stderr);
            if model == "softmax" {
                // The same test on the same parameters: the same epoch, the same message.
                assert!(
                    err.contains(one_err.trim()),
                    "{ranks} ranks: {err} vs {one_err}"
                );
            } else {
                // The logistic fit's probe is not run across ranks: the iterate shows it.
                assert!(err.contains("linearly separable"), "{ranks} ranks: {err}");
            }
        }
    }
}

#[test]
fn held_out_rows_across_ranks_are_the_one_process_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 1200, false);
    let log = write_data(dir.path(), "log.csv", 1200, true);
    let three = write_classes(dir.path(), "three.csv", 1200, 2.0, false);
    for (data, model) in [(&lin, "linear"), (&log, "logistic"), (&three, "softmax")] {
        let data = data.to_str().unwrap();
        // Early stopping: patience 3 on the held-out cost; a rate that overshoots on the
        // raw features, so that the held-out cost turns up before the epoch limit for some.
        let args = [
            data,
            "--target",
            "y",
            "--model",
            model,
            "--quiet",
            "--optimizer",
            "gd",
            "--epochs",
            "400",
            "--validation-fraction",
            "0.3",
            "--patience",
            "3",
            "--seed",
            "11",
        ];
        let one = single(&args);
        assert!(one["validation_cost"].as_f64().is_some(), "{one}");
        for ranks in 1..=3 {
            let many = ranked(ranks, &args);
            let what = format!("{model}, held out, on {ranks} ranks");
            agree_classes(&many, &one, 1e-12, &what);
            assert_eq!(many["epochs"], one["epochs"], "{what}");
            assert_eq!(many["stop_reason"], one["stop_reason"], "{what}");
            let (va, vb) = (
                many["validation_cost"].as_f64().unwrap(),
                one["validation_cost"].as_f64().unwrap(),
            );
            assert!((va - vb).abs() <= 1e-12 * vb.abs(), "{what}: {va} vs {vb}");
            let (mut ma, mut mb) = (Vec::new(), Vec::new());
            numbers(&many["validation_metrics"], &mut ma);
            numbers(&one["validation_metrics"], &mut mb);
            assert!(!mb.is_empty() && ma.len() == mb.len(), "{what}");
            for (x, y) in ma.iter().zip(&mb) {
                assert!((x - y).abs() <= 1e-12 * y.abs(), "{what}: {x} vs {y}");
            }
        }
    }
}

/// The CSV file `csv` (numbers only) as a Parquet file with row groups of `group_rows` rows.
fn csv_to_parquet(csv: &Path, path: &Path, group_rows: usize) {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut columns = vec![Vec::new(); names.len()];
    for line in lines {
        for (c, v) in columns.iter_mut().zip(line.split(',')) {
            c.push(v.parse::<f64>().unwrap());
        }
    }
    let batch = RecordBatch::try_from_iter(names.iter().zip(columns).map(|(n, c)| {
        let a: ArrayRef = std::sync::Arc::new(Float64Array::from(c));
        (*n, a)
    }))
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_row_groups_across_ranks_are_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_data(dir.path(), "lin.csv", 2000, false);
    let many_groups = dir.path().join("groups.parquet");
    csv_to_parquet(&csv, &many_groups, 300);
    // Two groups on three ranks: one rank reads none.
    let two_groups = dir.path().join("two.parquet");
    csv_to_parquet(&csv, &two_groups, 1000);
    for (path, groups) in [(&many_groups, 7), (&two_groups, 2)] {
        use parquet::file::reader::FileReader;
        let file = std::fs::File::open(path).unwrap();
        let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), groups);
    }
    for data in [&many_groups, &two_groups] {
        let args = [
            data.to_str().unwrap(),
            "--target",
            "y",
            "--optimizer",
            "lbfgs",
            "--quiet",
        ];
        let one = single(&args);
        for ranks in 1..=3 {
            let many = ranked(ranks, &args);
            let what = format!("{} on {ranks} ranks", data.display());
            agree(&many, &one, 1e-12, &what);
            assert_eq!(many["epochs"], one["epochs"], "{what}");
        }
    }
}

#[test]
fn mini_batches_across_ranks_are_reproducible_and_fit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 3000, false);
    let data = lin.to_str().unwrap();
    let exact = single(&[data, "--target", "y", "--optimizer", "lbfgs"]);
    for rule in [
        &[][..],
        &["--average-every", "4"],
        &["--elastic-alpha", "0.3", "--average-every", "2"],
    ] {
        let mut args = vec![
            data,
            "--target",
            "y",
            "--optimizer",
            "sgd",
            "--lr",
            "0.02",
            "--batch-size",
            "64",
            "--epochs",
            "40",
            "--seed",
            "7",
            "--quiet",
        ];
        args.extend_from_slice(rule);
        let a = ranked(3, &args);
        let b = ranked(3, &args);
        assert_eq!(
            a["weights"], b["weights"],
            "{rule:?}: same seed, same ranks, same bits"
        );
        // Near the least-squares answer (SGD's noise at this rate is about 1e-2).
        agree(&a, &exact, 5e-2, &format!("{rule:?} near the optimum"));
    }
}

#[test]
fn a_bad_row_in_one_share_ends_every_rank_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_data(dir.path(), "bad.csv", 900, false);
    // A bad cell near the end: in the last rank's share.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[880] = "0.5,oops,0.1,2.0";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let model = dir.path().join("model.json");
    let start = Instant::now();
    let out = mpirun(
        3,
        &[
            path.to_str().unwrap(),
            "--target",
            "y",
            "-o",
            model.to_str().unwrap(),
        ],
        60,
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rank 2: "), "{err}");
    assert!(err.contains("bad.csv:881:"), "{err}");
    assert!(err.contains("'oops'") || err.contains("oops"), "{err}");
    assert!(!model.exists(), "no model is written");
}

#[test]
fn a_killed_rank_ends_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_data(dir.path(), "big.csv", 20000, false);
    let model = dir.path().join("model.json");
    let mut child = mpirun(
        3,
        &[
            path.to_str().unwrap(),
            "--target",
            "y",
            "--optimizer",
            "gd",
            "--epochs",
            "100000000",
            "--gtol",
            "0",
            "-o",
            model.to_str().unwrap(),
            "--quiet",
        ],
        90,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait for the three ranks to be training, then kill one.
    let deadline = Instant::now() + Duration::from_secs(30);
    let victim = loop {
        let ranks = descendants_named(child.id(), "downhill");
        if ranks.len() == 3 {
            std::thread::sleep(Duration::from_millis(1500));
            break ranks[1];
        }
        assert!(Instant::now() < deadline, "the ranks did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    let killed = Instant::now();
    let status = Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert!(!status.success());
    // `timeout` exits with 124 when it had to stop a hang.
    assert_ne!(
        status.code(),
        Some(124),
        "the job hung after a rank was killed"
    );
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "took {:?}",
        killed.elapsed()
    );
    assert!(!model.exists(), "no model is written");
}

/// Processes below `root` whose command is `name`.
fn descendants_named(root: u32, name: &str) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = &stat[stat.find('(').unwrap_or(0) + 1..close];
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parents.push((pid, ppid, comm.to_string()));
    }
    let mut below = vec![root];
    let mut found = Vec::new();
    while let Some(p) = below.pop() {
        for (pid, ppid, comm) in &parents {
            if *ppid == p {
                below.push(*pid);
                if comm == name {
                    found.push(*pid);
                }
            }
        }
    }
    found.sort_unstable();
    found
}

/// Issue 15 item 6 across ranks: a 2-rank run stopped after k epochs with `--checkpoint`
/// (rank 0 writes) and resumed with `--resume` (every rank reads) ends with the straight
/// 2-rank run's parameters, bit for bit; other settings are refused on every rank.
#[test]
fn a_run_across_ranks_resumes_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 2000, false);
    let data = lin.to_str().unwrap();
    let ckpt = dir.path().join("run.ckpt");
    let c = ckpt.to_str().unwrap();
    let flags = ["--target", "y", "--optimizer", "adam"];
    fn with<'a>(data: &'a str, flags: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![data];
        a.extend_from_slice(flags);
        a.extend_from_slice(extra);
        a
    }
    let straight = ranked(2, &with(data, &flags, &["--lr", "0.05", "--epochs", "40"]));
    let half = ranked(
        2,
        &with(
            data,
            &flags,
            &["--lr", "0.05", "--epochs", "20", "--checkpoint", c],
        ),
    );
    assert!(ckpt.exists(), "rank 0 wrote the checkpoint");
    let resumed = ranked(
        2,
        &with(
            data,
            &flags,
            &["--lr", "0.05", "--epochs", "40", "--resume", c],
        ),
    );
    for key in ["weights", "intercept", "cost", "epochs"] {
        assert_eq!(straight[key], resumed[key], "{key}");
    }
    assert_ne!(straight["weights"], half["weights"]);
    let out = mpirun(
        2,
        &with(
            data,
            &flags,
            &["--epochs", "40", "--resume", c, "--lr", "0.01"],
        ),
        60,
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--lr 0.05, this run has 0.01"), "{err}");
}

/// Issue 15 item 6 for mini-batches across ranks, the three ways: a 3-rank run stopped
/// after 5 epochs and resumed ends with the straight run's parameters, bit for bit (each
/// rank's own parameters, optimizer, random stream and order are in the one file); a resume
/// on another rank count is refused.
#[test]
fn mini_batches_across_ranks_resume_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 1500, false);
    let data = lin.to_str().unwrap();
    let base = [
        data,
        "--target",
        "y",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "64",
    ];
    let ways: [&[&str]; 3] = [
        &[],
        &["--average-every", "3"],
        &["--elastic-alpha", "0.2", "--average-every", "2"],
    ];
    for (k, way) in ways.iter().enumerate() {
        let ckpt = dir.path().join(format!("run-{k}.ckpt"));
        let c = ckpt.to_str().unwrap();
        let run = |ranks: usize, extra: &[&str]| {
            let mut a = base.to_vec();
            a.extend_from_slice(way);
            a.extend_from_slice(extra);
            ranked(ranks, &a)
        };
        let straight = run(3, &["--epochs", "12"]);
        let half = run(
            3,
            &[
                "--epochs",
                "5",
                "--checkpoint",
                c,
                "--checkpoint-every",
                "2",
            ],
        );
        let resumed = run(3, &["--epochs", "12", "--resume", c]);
        for key in ["weights", "intercept", "cost", "epochs"] {
            assert_eq!(straight[key], resumed[key], "{way:?}: {key}");
        }
        assert_ne!(straight["weights"], half["weights"], "{way:?}");
        // The state is used, not only read: told it is at epoch 11, the run ends elsewhere.
        let mut state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&ckpt).unwrap()).unwrap();
        state["state"]["epoch"] = 11.into();
        std::fs::write(&ckpt, state.to_string()).unwrap();
        let skipped = run(3, &["--epochs", "12", "--resume", c]);
        assert_ne!(straight["weights"], skipped["weights"], "{way:?}");
        let mut a = base.to_vec();
        a.extend_from_slice(way);
        a.extend_from_slice(&["--epochs", "12", "--resume", c]);
        let out = mpirun(2, &a, 60).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains("on 2 ranks"), "{way:?}: {err}");
    }
}

/// Issue 15 item 6 for a streamed run across ranks: 2 ranks streaming their shares of one
/// file, stopped and resumed, end with the straight run's bits.
#[test]
fn a_streamed_run_across_ranks_resumes_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 2000, false);
    let data = lin.to_str().unwrap();
    let ckpt = dir.path().join("run.ckpt");
    let c = ckpt.to_str().unwrap();
    let base = [
        data,
        "--target",
        "y",
        "--stream",
        "--memory-limit",
        "64KiB",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
    ];
    let run = |extra: &[&str]| ranked(2, &[&base[..], extra].concat());
    let straight = run(&["--epochs", "30"]);
    let half = run(&["--epochs", "10", "--checkpoint", c]);
    let resumed = run(&["--epochs", "30", "--resume", c]);
    for key in ["weights", "intercept", "cost", "epochs"] {
        assert_eq!(straight[key], resumed[key], "{key}");
    }
    assert_ne!(straight["weights"], half["weights"]);
}

/// The CSV file `csv` cut into files `dir/part-K.csv` of the rows `cuts[K]..cuts[K + 1]`
/// (each with the header); with `parquet`, part `K = parquet` is written as Parquet instead.
fn split_into_shards(csv: &Path, dir: &Path, cuts: &[usize], parquet: Option<usize>) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    for (k, w) in cuts.windows(2).enumerate() {
        let path = dir.join(format!("part-{k}.csv"));
        let mut body = format!("{header}\n");
        for row in &rows[w[0]..w[1]] {
            body.push_str(row);
            body.push('\n');
        }
        std::fs::write(&path, body).unwrap();
        if parquet == Some(k) {
            csv_to_parquet(&path, &dir.join(format!("part-{k}.parquet")), 200);
            std::fs::remove_file(&path).unwrap();
        }
    }
}

/// Issue 15: a list or glob of shard files, a run of whole files per rank, gives the
/// one-process fit of the concatenated file (CSV and Parquet mixed; more ranks than files).
#[test]
fn shards_across_ranks_are_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 2000, false);
    let log = write_data(dir.path(), "log.csv", 1500, true);
    let parts = dir.path().join("lin");
    std::fs::create_dir(&parts).unwrap();
    // Uneven shards, the third one Parquet.
    split_into_shards(&lin, &parts, &[0, 300, 900, 1400, 2000], Some(2));
    let class_parts = dir.path().join("log");
    std::fs::create_dir(&class_parts).unwrap();
    split_into_shards(&log, &class_parts, &[0, 700, 1000, 1500], None);
    let pattern = parts.join("part-*");
    let pattern = pattern.to_str().unwrap();
    let flags = ["--target", "y", "--optimizer", "lbfgs", "--quiet"];
    let one = single(&[&[lin.to_str().unwrap()][..], &flags].concat());
    for ranks in [1, 2, 3, 5] {
        let many = ranked(ranks, &[&[pattern][..], &flags].concat());
        let what = format!("linear shards on {ranks} ranks");
        agree(&many, &one, 1e-12, &what);
        assert_eq!(many["epochs"], one["epochs"], "{what}");
    }
    // A list of files (the shell's expansion of a pattern), and held-out rows: the rows
    // the one-process fit holds out, since the ranks' files in rank order are the data's.
    let list: Vec<String> = (0..3)
        .map(|k| {
            class_parts
                .join(format!("part-{k}.csv"))
                .display()
                .to_string()
        })
        .collect();
    let flags = [
        "--target",
        "y",
        "--model",
        "logistic",
        "--optimizer",
        "gd",
        "--epochs",
        "200",
        "--validation-fraction",
        "0.2",
        "--seed",
        "5",
        "--quiet",
    ];
    let one = single(&[&[log.to_str().unwrap()][..], &flags].concat());
    for ranks in 1..=3 {
        let mut args: Vec<&str> = list.iter().map(String::as_str).collect();
        args.extend_from_slice(&flags);
        let many = ranked(ranks, &args);
        let what = format!("logistic shards on {ranks} ranks");
        agree_classes(&many, &one, 1e-12, &what);
        assert_eq!(many["epochs"], one["epochs"], "{what}");
        let (va, vb) = (
            many["validation_cost"].as_f64().unwrap(),
            one["validation_cost"].as_f64().unwrap(),
        );
        assert!((va - vb).abs() <= 1e-12 * vb.abs(), "{what}: {va} vs {vb}");
    }
}

/// A bad row in a shard names the rank that read it, the file and its line; a pattern that
/// matches nothing is a clear error; neither hangs nor writes a model.
#[test]
fn shard_errors_name_the_rank_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 900, false);
    split_into_shards(&lin, dir.path(), &[0, 300, 600, 900], None);
    let last = dir.path().join("part-2.csv");
    let text = std::fs::read_to_string(&last).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[250] = "0.5,oops,0.1,2.0";
    std::fs::write(&last, lines.join("\n") + "\n").unwrap();
    let model = dir.path().join("model.json");
    let pattern = dir.path().join("part-*.csv");
    let args = [
        pattern.to_str().unwrap(),
        "--target",
        "y",
        "-o",
        model.to_str().unwrap(),
    ];
    let out = mpirun(3, &args, 60).output().unwrap();
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(124), "hung");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rank 2: "), "{err}");
    assert!(err.contains("part-2.csv:251:"), "{err}");
    assert!(err.contains("oops"), "{err}");
    assert!(!model.exists(), "no model is written");

    let none = dir.path().join("nothing-*.csv");
    let out = mpirun(2, &[none.to_str().unwrap(), "--target", "y"], 60)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(124), "hung");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no file matches"), "{err}");
}

/// Issue 15: `--stream` across ranks. Each rank streams its share chunk by chunk (of one
/// file, its bytes cut at newlines; of shards, its run of files), every pass's sums are
/// all-reduced: the one-process streamed fit of the whole data, on 1-3 ranks.
#[test]
fn streamed_fits_across_ranks_are_the_one_process_streamed_fit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 5000, false);
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    split_into_shards(&lin, &parts, &[0, 1000, 1700, 3300, 5000], Some(1));
    let pattern = parts.join("part-*");
    // Chunks of 409 rows (32 KiB / 2 / 40 bytes a row): several a rank. (Not adam: see
    // `a_fit_across_ranks_is_the_one_process_fit`.)
    let flags = [
        "--target",
        "y",
        "--stream",
        "--memory-limit",
        "32KiB",
        "--optimizer",
        "gd",
        "--epochs",
        "150",
        "--quiet",
    ];
    let one = single(&[&[lin.to_str().unwrap()][..], &flags].concat());
    assert_eq!(one["rows"], 5000);
    for data in [lin.to_str().unwrap(), pattern.to_str().unwrap()] {
        for ranks in 1..=3 {
            let many = ranked(ranks, &[&[data][..], &flags].concat());
            let what = format!("streamed {data} on {ranks} ranks");
            agree(&many, &one, 1e-12, &what);
            assert_eq!(many["epochs"], one["epochs"], "{what}");
        }
    }
    // Mini-batches are not streamed across ranks: refused on every rank, no hang.
    let out = mpirun(
        2,
        &[
            &[lin.to_str().unwrap()][..],
            &flags,
            &["--batch-size", "32"],
        ]
        .concat(),
        60,
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(124), "hung");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("full batches"), "{err}");
}

/// Issue 15: one CSV file streamed across ranks, each rank reading only its bytes: a bad cell
/// in the last rank's share names that rank, the file and the line in the whole file, and
/// ends every rank (no hang, no model).
#[test]
fn a_bad_row_in_a_streamed_share_names_its_line_in_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_data(dir.path(), "bad.csv", 900, false);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // Line 881 of the file: the rows are long early and short late, so the last rank's
    // bytes hold it with many lines before them.
    lines[880] = "0.5,oops,0.1,2.0";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let model = dir.path().join("model.json");
    let args = [
        path.to_str().unwrap(),
        "--target",
        "y",
        "--stream",
        "--memory-limit",
        "32KiB",
        "--epochs",
        "20",
        "-o",
        model.to_str().unwrap(),
    ];
    let out = mpirun(3, &args, 60).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_ne!(out.status.code(), Some(124), "hung");
    assert!(err.contains("rank 2: "), "{err}");
    assert!(err.contains("bad.csv:881:"), "{err}");
    assert!(err.contains("oops"), "{err}");
    assert!(
        !err.contains("rank 0: ") && !err.contains("rank 1: "),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no rank printed a result");
    assert!(!model.exists(), "no model is written");
}

/// Issue 15: one Parquet file streamed across ranks, each rank reading only its row groups
/// (on three ranks with two groups, one rank reads none), and a CSV file with quotes (which
/// every rank reads whole, keeping its blocks of rows): the one-process streamed fit.
#[test]
fn streamed_parquet_and_quoted_csv_across_ranks_are_the_one_process_streamed_fit() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_data(dir.path(), "lin.csv", 3000, false);
    let groups = dir.path().join("groups.parquet");
    csv_to_parquet(&csv, &groups, 300);
    let two = dir.path().join("two.parquet");
    csv_to_parquet(&csv, &two, 1500);
    // The same rows, a few cells quoted late in the file (in the last rank's bytes).
    let quoted = dir.path().join("quoted.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for line in &mut lines[2900..2910] {
        let (rest, y) = line.rsplit_once(',').unwrap();
        *line = format!("{rest},\"{y}\"");
    }
    std::fs::write(&quoted, lines.join("\n") + "\n").unwrap();
    let flags = [
        "--target",
        "y",
        "--stream",
        "--memory-limit",
        "32KiB",
        "--optimizer",
        "gd",
        "--epochs",
        "150",
        "--quiet",
    ];
    let one = single(&[&[groups.to_str().unwrap()][..], &flags].concat());
    assert_eq!(one["rows"], 3000);
    for (data, ranks) in [(&groups, 2), (&groups, 3), (&two, 3), (&quoted, 2)] {
        let many = ranked(ranks, &[&[data.to_str().unwrap()][..], &flags].concat());
        let what = format!("streamed {} on {ranks} ranks", data.display());
        agree(&many, &one, 1e-12, &what);
        assert_eq!(many["epochs"], one["epochs"], "{what}");
    }
}

/// Issue 15: a linear model's powers across ranks, fitted in its basis with both stages'
/// statistics combined across ranks: the one-process fit (weights of every term in
/// original units, cost, metrics), with held-out rows too.
#[test]
fn linear_powers_across_ranks_are_the_one_process_fit() {
    let dir = tempfile::tempdir().unwrap();
    let lin = write_data(dir.path(), "lin.csv", 1500, false);
    let data = lin.to_str().unwrap();
    for extra in [
        &["--degree", "2", "--optimizer", "lbfgs"][..],
        &[
            "--degree",
            "3",
            "--degree-columns",
            "b",
            "--optimizer",
            "newton",
        ],
        &[
            "--degree",
            "2",
            "--optimizer",
            "gd",
            "--epochs",
            "200",
            "--validation-fraction",
            "0.25",
            "--seed",
            "3",
        ],
    ] {
        let mut args = vec![data, "--target", "y", "--quiet"];
        args.extend_from_slice(extra);
        let one = single(&args);
        assert!(one["weights"].to_string().contains("\"b^2\""), "{one}");
        for ranks in 1..=3 {
            let many = ranked(ranks, &args);
            let what = format!("linear {extra:?} on {ranks} ranks");
            agree(&many, &one, 1e-12, &what);
            assert_eq!(many["epochs"], one["epochs"], "{what}");
            assert_eq!(
                many["validation_cost"].is_null(),
                one["validation_cost"].is_null()
            );
        }
    }
}

//! Issue 12, "right by default", through the command line: an overflow is an error and never
//! convergence; a run that stops at its limit says so; every first-order optimizer converges
//! at its default rate in the standardised coordinates; `auto` picks the most accurate method
//! and says so; the penalty's convention is recorded.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
        .to_string_lossy()
        .to_string()
}

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

/// Runs `fit ARGS --json`: the JSON and stderr.
fn fit_json(args: &[&str]) -> (Value, String) {
    let out = downhill()
        .arg("fit")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {err}");
    (
        serde_json::from_slice(&out.stdout).expect("one JSON object"),
        err,
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Case 1: features at the edge of the float range overflow the gradient at the start.
#[test]
fn an_overflow_at_the_start_is_an_error_not_convergence() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "huge.csv",
        "income,foodexp\n1e308,1\n-1e308,2\n1e308,3\n",
    );
    let model = dir.path().join("m.json");
    for extra in [&[][..], &["--stream"][..]] {
        let out = downhill()
            .args(["fit", file.to_str().unwrap(), "--target", "foodexp"])
            .args(["--no-standardize", "-o", model.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(
            err.contains("huge.csv: the gradient overflowed at the start (it is not finite): the raw features are too large for --no-standardize"),
            "{extra:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!model.exists(), "no model may be written");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("converged"));
    }
}

/// Case 2: Longley at the default settings ends at the epoch limit: a warning on stderr, and
/// `converged: false` in the JSON and the model file; `-q` silences the warning.
#[test]
fn a_run_stopped_at_its_limit_says_it_did_not_converge() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let longley = data("nist/Longley.csv");
    let args = [
        longley.as_str(),
        "-t",
        "y",
        "--epochs",
        "2000",
        "-o",
        model.to_str().unwrap(),
    ];
    let (v, err) = fit_json(&args);
    assert_eq!(v["stop_reason"], "max_epochs");
    assert_eq!(v["converged"], false);
    let warning = err
        .lines()
        .find(|l| l.starts_with("downhill: warning: "))
        .unwrap_or_else(|| panic!("no warning in {err:?}"));
    assert!(
        warning.contains("the fit did not converge: it stopped at the epoch limit (--epochs 2000) with the gradient norm at ")
            && warning.contains("of its start (--gtol 1e-13); try --optimizer auto, more --epochs, or another --lr"),
        "{warning}"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["training"]["converged"], false);

    let (_, quiet) = fit_json(&[&args[..], &["-q"]].concat());
    assert!(!quiet.contains("warning"), "{quiet}");

    // A run that converges says so, and warns of nothing.
    let (v, err) = fit_json(&[data("stackloss.csv").as_str(), "-t", "STACKLOSS"]);
    assert_eq!(v["converged"], true);
    assert!(err.is_empty(), "{err}");

    // The time limit too.
    let (v, err) = fit_json(&[
        longley.as_str(),
        "-t",
        "y",
        "--epochs",
        "100000000",
        "--time-limit",
        "0.05",
    ]);
    assert_eq!(v["stop_reason"], "time_limit");
    assert_eq!(v["converged"], false);
    assert!(
        err.contains("stopped at the time limit (--time-limit 0.05 s)"),
        "{err}"
    );
}

/// Case 4: every first-order optimizer at its default learning rate reaches the stack loss
/// least-squares cost to 1e-3 relative within 50,000 epochs.
#[test]
fn every_first_order_optimizer_converges_at_its_default_rate() {
    const OPTIMUM: f64 = 8.515712457064696;
    let file = data("stackloss.csv");
    for name in [
        "gd", "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamax",
        "nadam", "amsgrad", "adamw",
    ] {
        let (v, _) = fit_json(&[
            file.as_str(),
            "-t",
            "STACKLOSS",
            "--optimizer",
            name,
            "--epochs",
            "50000",
            "-q",
        ]);
        let cost = v["cost"].as_f64().unwrap();
        assert!(
            (cost - OPTIMUM) / OPTIMUM < 1e-3,
            "{name}: cost {cost} after {} epochs",
            v["epochs"]
        );
    }
}

/// The default fit still gives the least-squares answer to twelve digits (5e-12 relative), and the seed-exact
/// textbook path is unchanged: five raw steps at lr 1e-7 from zeros.
#[test]
fn defaults_keep_the_least_squares_answer_and_the_textbook_path() {
    let (v, _) = fit_json(&[data("stackloss.csv").as_str(), "-t", "STACKLOSS"]);
    for (name, want) in [
        ("AIRFLOW", 0.7156402004852839),
        ("WATERTEMP", 1.295286124388572),
        ("ACIDCONC", -0.15212251914865257),
    ] {
        let got = v["weights"][name].as_f64().unwrap();
        assert!((got - want).abs() / want.abs() < 5e-12, "{name}: {got}");
    }
    let b = v["intercept"].as_f64().unwrap();
    assert!((b + 39.919674420124025).abs() / 39.92 < 5e-12, "{b}");

    // The textbook update by hand: m -= lr dm; b -= lr db on Engel's raw data.
    let text = std::fs::read_to_string(data("engel.csv")).unwrap();
    let rows: Vec<(f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',').map(|v| v.parse::<f64>().unwrap());
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    let (mut m, mut b) = (0.0f64, 0.0f64);
    let n = rows.len() as f64;
    for _ in 0..5 {
        let (mut dm, mut db) = (0.0, 0.0);
        for (x, y) in &rows {
            let r = y - (m * x + b);
            dm += -2.0 * x * r / n;
            db += -2.0 * r / n;
        }
        m -= 1e-7 * dm;
        b -= 1e-7 * db;
    }
    let (v, _) = fit_json(&[
        data("engel.csv").as_str(),
        "-t",
        "foodexp",
        "--no-standardize",
        "--lr",
        "1e-7",
        "--epochs",
        "5",
        "--init",
        "0,0",
        "-q",
    ]);
    let got_m = v["weights"]["income"].as_f64().unwrap();
    let got_b = v["intercept"].as_f64().unwrap();
    assert!((got_m - m).abs() <= 1e-12 * m.abs(), "{got_m} vs {m}");
    assert!((got_b - b).abs() <= 1e-12 * b.abs(), "{got_b} vs {b}");
}

/// Case 3: `auto` picks Newton where the model has an exact Hessian, says so on stderr even
/// with --json, and then reaches every NIST StRD set's target digits.
#[test]
fn auto_picks_newton_and_reaches_every_nist_target() {
    let sets = [
        ("Norris", 9.0),
        ("Pontius", 9.0),
        ("NoInt1", 9.0),
        ("NoInt2", 9.0),
        ("Filip", 5.0),
        ("Longley", 7.0),
        ("Wampler1", 7.0),
        ("Wampler2", 7.0),
        ("Wampler3", 7.0),
        ("Wampler4", 7.0),
        ("Wampler5", 7.0),
    ];
    for (name, target) in sets {
        let spec: Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("nist/{name}.json"))).unwrap(),
        )
        .unwrap();
        let file = data(&format!("nist/{name}.csv"));
        let mut args = vec![file.clone(), "-t".into(), "y".into()];
        args.extend(["--optimizer".into(), "auto".into()]);
        let degree = spec["degree"].as_u64();
        if let Some(k) = degree.filter(|k| *k > 1) {
            args.extend(["--degree".into(), k.to_string()]);
        }
        let intercept = spec["intercept"].as_bool().unwrap();
        if !intercept {
            args.push("--no-intercept".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (v, err) = fit_json(&args);
        assert!(
            err.contains("downhill: --optimizer auto picked newton (full batch, "),
            "{name}: {err}"
        );
        assert_eq!(v["optimizer"], "newton");
        assert_eq!(v["converged"], true, "{name}");
        let names: Vec<String> = match degree {
            None => (1..=6).map(|i| format!("x{i}")).collect(),
            Some(k) => std::iter::once("x".to_string())
                .chain((2..=k).map(|p| format!("x^{p}")))
                .collect(),
        };
        let mut coef: Vec<f64> = Vec::new();
        if intercept {
            coef.push(v["intercept"].as_f64().unwrap());
        }
        coef.extend(names.iter().map(|n| v["weights"][n].as_f64().unwrap()));
        let certified = spec["certified"].as_object().unwrap();
        assert_eq!(certified.len(), coef.len(), "{name}");
        // Without an intercept NIST numbers the one coefficient B1.
        let first = usize::from(!intercept);
        for (k, got) in coef.iter().enumerate() {
            let k = k + first;
            let want: f64 = certified[&format!("B{k}")]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let lre = if *got == want {
                15.0
            } else {
                -((got - want).abs() / want.abs()).log10()
            };
            assert!(lre >= target, "{name} B{k}: LRE {lre:.1} < {target}");
        }
    }
}

/// `auto` with mini-batches picks adam, with an L1 penalty gd, on absolute loss lbfgs; the
/// solvers refuse an L1 penalty they would ignore.
#[test]
fn auto_says_what_it_picked_and_why() {
    let file = data("stackloss.csv");
    let base = [file.as_str(), "-t", "STACKLOSS", "--optimizer", "auto"];
    let (v, err) = fit_json(&[&base[..], &["--batch-size", "4"]].concat());
    assert_eq!(v["optimizer"], "adam");
    assert!(
        err.contains("--optimizer auto picked adam (mini-batches"),
        "{err}"
    );
    let (v, err) = fit_json(&[&base[..], &["--l1", "0.1"]].concat());
    assert_eq!(v["optimizer"], "gd");
    assert!(
        err.contains("--optimizer auto picked gd (an L1 penalty"),
        "{err}"
    );
    let (v, _) = fit_json(&[&base[..], &["--loss", "absolute"]].concat());
    assert_eq!(v["optimizer"], "lbfgs");
    let (v, err) = fit_json(&[&base[..], &["-q"]].concat());
    assert_eq!(v["optimizer"], "newton");
    assert!(err.is_empty(), "{err}");

    let out = downhill()
        .args([
            "fit",
            &file,
            "-t",
            "STACKLOSS",
            "--optimizer",
            "lbfgs",
            "--l1",
            "0.1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("would ignore the L1 penalty"), "{err}");
}

/// Logistic and softmax fits start their intercepts at the log-odds of the class
/// frequencies: epoch 0 of the history is already the best constant model.
#[test]
fn classifiers_start_at_the_class_log_odds() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.csv");
    let (v, _) = fit_json(&[
        data("breast_cancer.csv").as_str(),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "--l2",
        "0.0017574692442882249",
        "--epochs",
        "1",
        "--history",
        history.to_str().unwrap(),
    ]);
    let classes = v["classes"].as_array().unwrap().clone();
    let text = std::fs::read_to_string(&history).unwrap();
    let first = text.lines().nth(1).unwrap();
    let cost0: f64 = first.split(',').nth(1).unwrap().parse().unwrap();
    // Counts of the two classes in the file.
    let csv = std::fs::read_to_string(data("breast_cancer.csv")).unwrap();
    let mut header = csv.lines().next().unwrap().split(',');
    let col = header.position(|h| h == "diagnosis").unwrap();
    let labels: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap())
        .collect();
    let positive = classes[1].as_str().unwrap();
    let p = labels.iter().filter(|l| **l == positive).count() as f64 / labels.len() as f64;
    let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
    assert!((cost0 - entropy).abs() < 1e-12, "{cost0} vs {entropy}");
}

/// The model file says what the penalty applied to.
#[test]
fn the_model_file_records_the_penalty_convention() {
    let dir = tempfile::tempdir().unwrap();
    let file = data("stackloss.csv");
    for (extra, want) in [
        (&[][..], "standardized_weights"),
        (
            &["--no-standardize", "--lr", "1e-4", "--epochs", "10"][..],
            "raw_weights",
        ),
    ] {
        let model = dir.path().join("m.json");
        downhill()
            .args(["fit", &file, "-t", "STACKLOSS", "--l2", "0.1", "-q", "-o"])
            .arg(&model)
            .args(extra)
            .assert()
            .success();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(v["training"]["penalty_on"], want);
    }
}

/// A streamed fit runs first-order methods only: `auto` picks gd there, and says why.
#[test]
fn auto_on_a_streamed_fit_picks_a_first_order_method() {
    let (v, err) = fit_json(&[
        data("stackloss.csv").as_str(),
        "-t",
        "STACKLOSS",
        "--stream",
        "--optimizer",
        "auto",
    ]);
    assert_eq!(v["optimizer"], "gd");
    assert_eq!(v["converged"], true);
    assert!(
        err.contains("--optimizer auto picked gd (only first-order methods run here"),
        "{err}"
    );
}

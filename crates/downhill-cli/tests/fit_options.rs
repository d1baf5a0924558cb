//! End-to-end runs of `fit` with the options of issues 3, 4 and 7 (optimizers, batches,
//! schedules, stopping rules; models, losses, penalties, metrics; methods that choose their
//! own steps), of `predict`/`evaluate` on classifiers, of `optimizers`, and the pictures.

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

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn fit_json(args: &[&str]) -> Value {
    let out = downhill()
        .arg("fit")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn fit_error(args: &[&str]) -> (i32, String) {
    let out = downhill().arg("fit").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code().unwrap_or(-1), err)
}

const STACKLOSS: [(&str, f64); 3] = [
    ("AIRFLOW", 0.7156402004852839),
    ("WATERTEMP", 1.295286124388572),
    ("ACIDCONC", -0.15212251914865257),
];

fn assert_stackloss(v: &Value, tol: f64, what: &str) {
    for (name, want) in STACKLOSS {
        let got = v["weights"][name].as_f64().unwrap();
        assert!(rel(got, want) < tol, "{what}: {name} {got} vs {want}");
    }
    assert!(
        rel(v["intercept"].as_f64().unwrap(), -39.919674420124025) < tol,
        "{what}"
    );
}

#[test]
fn optimizers_lists_every_rule_and_schedule() {
    let out = downhill().arg("optimizers").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "gd",
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "adadelta",
        "rmsprop",
        "adam",
        "adamax",
        "nadam",
        "amsgrad",
        "adamw",
        "cg",
        "lbfgs",
        "newton",
        "armijo",
        "wolfe",
        "cosine",
        "invscaling",
        "plateau",
        "warmup",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
}

#[test]
fn every_first_order_optimizer_runs_from_the_command_line() {
    // Settings from the optimizer catalog (documented per optimizer).
    for (opt, lr, schedule, epochs) in [
        ("momentum", "0.01", "constant", "5000"),
        ("nesterov", "0.01", "constant", "5000"),
        ("adagrad", "1", "constant", "10000"),
        ("adam", "0.05", "constant", "20000"),
        ("amsgrad", "0.03", "constant", "20000"),
        ("rmsprop", "0.1", "exp:0.995", "5000"),
    ] {
        let v = fit_json(&[
            &data("stackloss.csv"),
            "-t",
            "STACKLOSS",
            "--optimizer",
            opt,
            "--lr",
            lr,
            "--schedule",
            schedule,
            "--epochs",
            epochs,
        ]);
        assert_eq!(v["optimizer"], opt);
        assert_stackloss(&v, 1e-4, opt);
    }
}

#[test]
fn methods_that_choose_their_own_steps_need_no_learning_rate() {
    for opt in ["cg", "lbfgs", "newton", "auto"] {
        let v = fit_json(&[
            &data("stackloss.csv"),
            "-t",
            "STACKLOSS",
            "--optimizer",
            opt,
        ]);
        assert_stackloss(&v, 1e-9, opt);
        assert!(
            v["epochs"].as_u64().unwrap() < 100,
            "{opt}: {}",
            v["epochs"]
        );
        assert!(v["lr"].is_null());
    }
    let v = fit_json(&[
        &data("stackloss.csv"),
        "-t",
        "STACKLOSS",
        "--line-search",
        "wolfe",
        "--epochs",
        "5000",
    ]);
    assert_eq!(v["optimizer"], "gd+wolfe");
    assert_stackloss(&v, 1e-6, "gd+wolfe");
    // auto says what it picked (on stderr, when not --json).
    let out = downhill()
        .args([
            "fit",
            &data("engel.csv"),
            "-t",
            "foodexp",
            "--optimizer",
            "auto",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("picked newton (full batch, 2 parameters")
    );
    let (code, err) = fit_error(&[
        &data("engel.csv"),
        "-t",
        "foodexp",
        "--optimizer",
        "lbfgs",
        "--lr",
        "0.1",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--lr does not apply to --optimizer lbfgs"),
        "{err}"
    );
}

#[test]
fn bad_optimizer_settings_name_the_flag() {
    let f = data("stackloss.csv");
    for (args, expect) in [
        (
            vec!["--optimizer", "adamm"],
            "--optimizer: unknown optimizer",
        ),
        (vec!["--optimizer", "adam", "--beta1", "1"], "--beta1"),
        (vec!["--optimizer", "adam", "--rho", "0.9"], "--rho"),
        (vec!["--batch-size", "0"], "--batch-size"),
        (vec!["--batch-size", "22"], "--batch-size"),
        (vec!["--schedule", "zigzag"], "--schedule"),
        (
            vec!["--validation-fraction", "1.5"],
            "--validation-fraction",
        ),
        (
            vec!["--line-search", "armijo", "--optimizer", "adam"],
            "--line-search",
        ),
    ] {
        let mut all = vec![f.as_str(), "-t", "STACKLOSS"];
        all.extend(args.iter().copied());
        let (code, err) = fit_error(&all);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let (code, err) = fit_error(&[&f, "-t", "STACKLOSS", "--lr", "-0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--lr"), "{err}");
}

#[test]
fn mini_batches_are_reproducible_from_the_seed() {
    let run = |seed: &str| {
        fit_json(&[
            &data("stackloss.csv"),
            "-t",
            "STACKLOSS",
            "--optimizer",
            "sgd",
            "--lr",
            "0.01",
            "--batch-size",
            "4",
            "--epochs",
            "50",
            "--seed",
            seed,
        ])
    };
    let (a, b, c) = (run("7"), run("7"), run("8"));
    assert_eq!(a["weights"], b["weights"]);
    assert_eq!(a["intercept"], b["intercept"]);
    assert_ne!(a["weights"], c["weights"]);
}

#[test]
fn early_stopping_reports_validation_metrics_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.csv");
    let v = fit_json(&[
        &data("engel.csv"),
        "-t",
        "foodexp",
        "--validation-fraction",
        "0.2",
        "--patience",
        "3",
        "--history",
        h.to_str().unwrap(),
    ]);
    assert!(v["validation_metrics"]["r2"].as_f64().unwrap() > 0.5);
    assert!(v["metrics"]["rmse"].as_f64().unwrap() > 0.0);
    let text = std::fs::read_to_string(&h).unwrap();
    assert!(text.starts_with("epoch,cost,grad_norm,lr,validation_cost,income,intercept"));
}

#[test]
fn a_schedule_shows_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.csv");
    fit_json(&[
        &data("engel.csv"),
        "-t",
        "foodexp",
        "--lr",
        "0.2",
        "--schedule",
        "step:3:0.5",
        "--epochs",
        "7",
        "--gtol",
        "0",
        "--history",
        h.to_str().unwrap(),
    ]);
    let lrs: Vec<f64> = std::fs::read_to_string(&h)
        .unwrap()
        .lines()
        .skip(2) // header, epoch 0
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    // lr0 * 0.5^floor((epoch - 1) / 3) for epochs 1..=7
    assert_eq!(lrs, vec![0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05]);
}

#[test]
fn time_limit_stops_the_run() {
    let v = fit_json(&[
        &data("engel.csv"),
        "-t",
        "foodexp",
        "--lr",
        "1e-9",
        "--epochs",
        "100000000",
        "--gtol",
        "0",
        "--time-limit",
        "0.2",
        "--no-standardize",
    ]);
    assert_eq!(v["stop_reason"], "time_limit");
}

#[test]
fn logistic_regression_on_text_labels_with_metrics() {
    let v = fit_json(&[
        &data("breast_cancer.csv"),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "--l2",
        "0.0017574692442882249",
        "--optimizer",
        "lbfgs",
    ]);
    assert_eq!(v["classes"], serde_json::json!(["benign", "malignant"]));
    let m = &v["metrics"];
    assert!(
        rel(m["log_loss"].as_f64().unwrap(), 0.05339185780994301) < 1e-6,
        "{m}"
    );
    assert!(m["accuracy"].as_f64().unwrap() > 0.98);
    for k in ["precision", "recall", "f1"] {
        assert!(m[k].as_f64().unwrap() > 0.95, "{k}");
    }
    let c = &m["confusion"];
    let total: u64 = (0..2)
        .flat_map(|i| (0..2).map(move |j| (i, j)))
        .map(|(i, j)| c[i][j].as_u64().unwrap())
        .sum();
    assert_eq!(total, 569);

    // --positive flips the classes.
    let w = fit_json(&[
        &data("breast_cancer.csv"),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "--l2",
        "0.01",
        "--optimizer",
        "lbfgs",
        "--positive",
        "benign",
    ]);
    assert_eq!(w["classes"], serde_json::json!(["malignant", "benign"]));
}

#[test]
fn separable_data_without_a_penalty_is_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let (code, err) = fit_error(&[
        &data("breast_cancer.csv"),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("separable") && err.contains("--l2"), "{err}");
    assert!(!model.exists());
}

#[test]
fn target_errors_suggest_the_right_model() {
    let (_, err) = fit_error(&[&data("iris.csv"), "-t", "species"]);
    assert!(
        err.contains("--model logistic") && err.contains("softmax"),
        "{err}"
    );
    let (_, err) = fit_error(&[&data("iris.csv"), "-t", "species", "--model", "logistic"]);
    assert!(
        err.contains("3 classes") && err.contains("--model softmax"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.csv");
    std::fs::write(&one, "x,y\n1,a\n2,a\n").unwrap();
    let (_, err) = fit_error(&[one.to_str().unwrap(), "-t", "y", "--model", "logistic"]);
    assert!(err.contains("only one class"), "{err}");
    let (_, err) = fit_error(&[
        &data("breast_cancer.csv"),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "--positive",
        "maybe",
    ]);
    assert!(
        err.contains("--positive") && err.contains("benign, malignant"),
        "{err}"
    );
}

#[test]
fn softmax_predict_and_evaluate_give_labels_probabilities_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.json");
    let v = fit_json(&[
        &data("iris.csv"),
        "-t",
        "species",
        "--model",
        "softmax",
        "--l2",
        "0.01",
        "--optimizer",
        "lbfgs",
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(v["weights"].as_object().unwrap().len(), 3);
    assert!(v["weights"]["setosa"]["petal_length"].is_f64());
    assert!(v["intercept"]["virginica"].is_f64());
    let out = downhill()
        .arg("predict")
        .arg(&model)
        .arg(data("iris.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "prediction,p_setosa,p_versicolor,p_virginica"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "setosa");
    let p: f64 = first[1..].iter().map(|s| s.parse::<f64>().unwrap()).sum();
    assert!((p - 1.0).abs() < 1e-12);

    let out = downhill()
        .arg("evaluate")
        .arg(&model)
        .arg(data("iris.csv"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["metrics"]["accuracy"], v["metrics"]["accuracy"]);
    assert_eq!(e["rows"], 150);

    // A class the model never saw.
    let odd = dir.path().join("odd.csv");
    std::fs::write(
        &odd,
        "sepal_length,sepal_width,petal_length,petal_width,species\n5,3,1,0.2,daisy\n",
    )
    .unwrap();
    let out = downhill()
        .arg("evaluate")
        .arg(&model)
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'daisy'"));
}

#[test]
fn polynomial_terms_no_intercept_and_l1() {
    let v = fit_json(&[
        &data("nist/Pontius.csv"),
        "-t",
        "y",
        "--degree",
        "2",
        "--optimizer",
        "newton",
    ]);
    let w = &v["weights"];
    assert!(
        rel(w["x"].as_f64().unwrap(), 0.732059160401003e-06) < 1e-6,
        "{w}"
    );
    assert!(
        rel(w["x^2"].as_f64().unwrap(), -0.316081871345029e-14) < 1e-6,
        "{w}"
    );
    let (_, err) = fit_error(&[&data("nist/Pontius.csv"), "-t", "y", "--degree", "200"]);
    assert!(
        err.contains("--degree") && err.contains("overflow"),
        "{err}"
    );

    let v = fit_json(&[
        &data("nist/NoInt1.csv"),
        "-t",
        "y",
        "--no-intercept",
        "--optimizer",
        "newton",
    ]);
    assert!(
        rel(v["weights"]["x"].as_f64().unwrap(), 2.07438016528926) < 1e-9,
        "{v}"
    );
    assert_eq!(v["intercept"], 0.0);

    let v = fit_json(&[
        &data("stackloss.csv"),
        "-t",
        "STACKLOSS",
        "--l1",
        "2",
        "--lr",
        "0.2",
    ]);
    let zeros = STACKLOSS
        .iter()
        .filter(|(n, _)| v["weights"][n] == 0.0)
        .count();
    assert!(zeros >= 1, "{v}");
}

fn png_size(path: &PathBuf) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

#[test]
fn fit_pictures_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    downhill()
        .args([
            "fit",
            &data("engel.csv"),
            "-t",
            "foodexp",
            "-q",
            "--validation-fraction",
            "0.2",
        ])
        .arg("--plot-loss")
        .arg(p("loss.svg"))
        .arg("--plot-fit")
        .arg(p("fit.png"))
        .arg("--plot-surface")
        .arg(p("surface.svg"))
        .arg("--plot-3d")
        .arg(p("3d.png"))
        .assert()
        .success();
    for svg in ["loss.svg", "surface.svg"] {
        let text = std::fs::read_to_string(p(svg)).unwrap();
        let doc = roxmltree::Document::parse(&text).expect("SVG is XML");
        assert!(
            doc.descendants()
                .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("path"))
                .count()
                > 0
        );
    }
    for png in ["fit.png", "3d.png"] {
        assert_eq!(png_size(&p(png)), (900, 700));
    }
    downhill()
        .args([
            "fit",
            &data("breast_cancer.csv"),
            "-t",
            "diagnosis",
            "--model",
            "logistic",
        ])
        .args([
            "--features",
            "mean_radius,mean_texture",
            "--l2",
            "0.01",
            "-q",
            "--optimizer",
            "lbfgs",
        ])
        .arg("--plot-boundary")
        .arg(p("boundary.png"))
        .assert()
        .success();
    assert_eq!(png_size(&p("boundary.png")), (900, 700));
    // A picture that does not fit the model is refused before any work.
    let (_, err) = fit_error(&[
        &data("stackloss.csv"),
        "-t",
        "STACKLOSS",
        "--plot-fit",
        p("x.png").to_str().unwrap(),
    ]);
    assert!(
        err.contains("--plot-fit needs a linear model with one feature"),
        "{err}"
    );
    let (_, err) = fit_error(&[
        &data("engel.csv"),
        "-t",
        "foodexp",
        "--plot-loss",
        p("x.gif").to_str().unwrap(),
    ]);
    assert!(err.contains("gif"), "{err}");
    assert!(!p("x.png").exists() && !p("x.gif").exists());
}

#[test]
fn precision_and_threads_change_speed_not_answers() {
    let f = data("engel.csv");
    let base = fit_json(&[&f, "-t", "foodexp"]);
    let f32 = fit_json(&[&f, "-t", "foodexp", "--precision", "f32"]);
    let one = fit_json(&[&f, "-t", "foodexp", "--threads", "1"]);
    let two = fit_json(&[&f, "-t", "foodexp", "--threads", "2"]);
    for v in [&f32, &one, &two] {
        let w = v["weights"]["income"].as_f64().unwrap();
        assert!(
            rel(w, base["weights"]["income"].as_f64().unwrap()) < 1e-5,
            "{v}"
        );
    }
    assert!(
        rel(
            one["weights"]["income"].as_f64().unwrap(),
            two["weights"]["income"].as_f64().unwrap()
        ) < 1e-12
    );
    let (code, err) = fit_error(&[
        &data("iris.csv"),
        "-t",
        "species",
        "--model",
        "softmax",
        "--precision",
        "f32",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--precision"), "{err}");
}

/// The model file's `training.spec` is the run description as given: its flags, written
/// back, fit the same model again.
#[test]
fn model_file_holds_the_run_description() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let csv = data("stackloss.csv");
    let args = [
        "-t",
        "STACKLOSS",
        "--optimizer",
        "auto",
        "--l2",
        "0.01",
        "--seed",
        "3",
    ];
    downhill()
        .args(["fit", &csv])
        .args(args)
        .arg("-o")
        .arg(&first)
        .assert()
        .success();
    let model: Value = serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let spec = &model["training"]["spec"];
    assert_eq!(spec["optimizer"], "auto");
    assert_eq!(spec["l2"], 0.01);
    assert_eq!(spec["seed"], 3);
    assert_eq!(spec["standardize"], true);
    assert_eq!(spec["batch_size"], Value::Null);
    assert_eq!(model["training"]["optimizer"], "newton");

    // The description read back and written as flags ("copy as command") fits the same model.
    let spec: downhill::spec::RunSpec = serde_json::from_value(spec.clone()).unwrap();
    let flags = spec.to_command_args();
    assert_eq!(
        flags,
        ["--l2", "0.01", "--optimizer", "auto", "--seed", "3"]
    );
    let mut again: Vec<&str> = vec![&csv, "-t", "STACKLOSS"];
    again.extend(flags.iter().map(String::as_str));
    let again = fit_json(&again);
    for (name, _) in STACKLOSS {
        assert_eq!(again["weights"][name], model_weight(&model, name));
    }
}

fn model_weight(model: &Value, name: &str) -> Value {
    let terms = model["terms"].as_array().unwrap();
    let j = terms.iter().position(|t| t == name).unwrap();
    model["weights"][0][j].clone()
}

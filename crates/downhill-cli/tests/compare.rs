//! End-to-end runs of `downhill compare`: optimizers raced on a function, a formula and a
//! data set; diverging runs reported in their row, not fatal; both pictures written.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn run(args: &[&str]) -> String {
    let out = downhill().arg("compare").args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&run(&all)).expect("one JSON object on stdout")
}

fn fails(args: &[&str]) -> String {
    let out = downhill().arg("compare").args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("downhill: error: "), "{err}");
    err
}

/// The table's row for `label`, split into cells on runs of two spaces.
fn row<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
    let line = table
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no row for {label} in:\n{table}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// `(stroke, point count)` of every polyline of a well-formed SVG.
fn polylines(path: &Path) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(path).expect("read svg");
    let doc = roxmltree::Document::parse(&text).expect("SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            (
                n.attribute("stroke").unwrap_or("").to_ascii_uppercase(),
                n.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .count(),
            )
        })
        .collect()
}

/// All text drawn in an SVG (legends, labels).
fn texts(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read svg");
    let doc = roxmltree::Document::parse(&text).expect("SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("open png");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    (info.width, info.height)
}

#[test]
fn a_row_per_optimizer_and_both_plots_on_a_function() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("surface.svg");
    let loss = dir.path().join("loss.svg");
    let out = run(&[
        "rosenbrock",
        "--optimizers",
        "gd,momentum,adam,lbfgs",
        "--lrs",
        "0.001,0.001,0.02,-",
        "--epochs",
        "3000",
        "--plot-surface",
        surface.to_str().unwrap(),
        "--plot-loss",
        loss.to_str().unwrap(),
    ]);
    assert!(
        out.starts_with("rosenbrock from (x = -1.2, y = 1)"),
        "{out}"
    );
    let header = out.lines().nth(2).unwrap();
    for col in [
        "optimizer",
        "final value",
        "reached",
        "steps",
        "stop",
        "time",
    ] {
        assert!(header.contains(col), "{header}");
    }
    for label in [
        "gd (lr 0.001)",
        "momentum (lr 0.001)",
        "adam (lr 0.02)",
        "lbfgs",
    ] {
        assert!(row(&out, label).len() >= 6, "{label}: {out}");
    }
    let lbfgs = row(&out, "lbfgs");
    assert_ne!(lbfgs[2], "-", "lbfgs reaches the minimum: {out}");
    assert_eq!(lbfgs[4], "converged (gtol)");
    assert_eq!(row(&out, "gd (lr 0.001)")[3], "3000");

    // Four paths over the contours, each a polyline of its own colour with all its steps
    // (gd and momentum's 3000 are at most the plot's limit), and a legend naming them.
    let v = json(&[
        "rosenbrock",
        "--optimizers",
        "gd,momentum,adam,lbfgs",
        "--lrs",
        "0.001,0.001,0.02,-",
        "--epochs",
        "3000",
    ]);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    let lines = polylines(&surface);
    for r in runs {
        let n = r["steps"].as_u64().unwrap() as usize + 1;
        assert!(
            lines.iter().any(|(_, k)| *k == n),
            "{}: {n} in {lines:?}",
            r["label"]
        );
    }
    let colours: std::collections::HashSet<&String> = lines
        .iter()
        .filter(|(c, k)| *k > 20 && c != "#FFFFFF" && c != "#000000")
        .map(|(c, _)| c)
        .collect();
    assert!(colours.len() >= 3, "distinct colours: {colours:?}");
    let legend = texts(&surface);
    for label in ["gd (lr 0.001)", "adam (lr 0.02)", "lbfgs", "minimum"] {
        assert!(legend.contains(label), "{label}: {legend}");
    }
    // One loss curve per optimizer, each the value after every step.
    let curves = polylines(&loss);
    for r in runs {
        let n = r["steps"].as_u64().unwrap() as usize;
        assert!(curves.iter().any(|(_, k)| *k == n), "{n} in {curves:?}");
    }
    assert!(texts(&loss).contains("momentum (lr 0.001)"));
}

#[test]
fn beale_from_3_4_reports_a_diverged_sgd_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("beale.svg");
    let loss = dir.path().join("beale.png");
    let args = [
        "beale",
        "--from",
        "3,4",
        "--optimizers",
        "sgd,adam,lbfgs",
        "--lrs",
        "0.01,0.05,-",
        "--epochs",
        "2000",
    ];
    let mut with_plots = args.to_vec();
    with_plots.extend([
        "--plot-surface",
        surface.to_str().unwrap(),
        "--plot-loss",
        loss.to_str().unwrap(),
        "--plot-size",
        "700x500",
    ]);
    let out = run(&with_plots);
    let sgd = row(&out, "sgd (lr 0.01)");
    assert_eq!(sgd[1], "diverged", "{out}");
    assert!(sgd[4].starts_with("diverged at step"), "{out}");
    assert_eq!(row(&out, "lbfgs")[4], "converged (gtol)", "{out}");
    assert!(
        row(&out, "adam (lr 0.05)")[1].parse::<f64>().is_ok(),
        "{out}"
    );

    // The diverged path is drawn up to where it went: the start and its diverging step.
    let lines = polylines(&surface);
    assert!(lines.iter().any(|(_, n)| *n == 2), "{lines:?}");
    assert!(texts(&surface).contains("sgd (lr 0.01) - diverged at step 1"));
    assert_eq!(png_size(&loss), (700, 500));

    let v = json(&args);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs[0]["diverged"], true);
    assert_eq!(runs[0]["stop_reason"], "diverged");
    assert!(runs[0]["value"].is_null());
    let lbfgs = &runs[2];
    assert!((lbfgs["point"]["x"].as_f64().unwrap() - 3.0).abs() < 1e-6);
    assert!((lbfgs["point"]["y"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    assert!(lbfgs["steps_to_reach"].as_u64().unwrap() <= lbfgs["steps"].as_u64().unwrap());
}

#[test]
fn the_saddle_shows_escapes_and_says_it_is_unbounded() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("saddle.png");
    let out = run(&[
        "saddle",
        "--optimizers",
        "gd,momentum,adam",
        "--lr",
        "0.01",
        "--epochs",
        "300",
        "--plot-surface",
        surface.to_str().unwrap(),
    ]);
    assert!(out.contains("unbounded below"), "{out}");
    let v = json(&[
        "saddle",
        "--optimizers",
        "gd,momentum,adam",
        "--lr",
        "0.01",
        "--epochs",
        "300",
    ]);
    let y = |k: usize| v["runs"][k]["point"]["y"].as_f64().unwrap();
    // gd crawls near the ridge; momentum and adam have escaped along y.
    assert!(y(0) < 1.0, "{v}");
    assert!(y(1) > 10.0 && y(2) > 2.0, "{v}");
    assert!(v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["unbounded_below"] == true));
    assert_eq!(png_size(&surface), (900, 700));
}

#[test]
fn a_one_feature_regression_on_engel() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("engel.svg");
    let loss = dir.path().join("engel-loss.svg");
    let engel = data("engel.csv");
    let out = run(&[
        engel.to_str().unwrap(),
        "--target",
        "foodexp",
        "--optimizers",
        "gd,adam,lbfgs,sgd",
        "--lrs",
        "-,0.1,-,5",
        "--plot-surface",
        surface.to_str().unwrap(),
        "--plot-loss",
        loss.to_str().unwrap(),
    ]);
    assert!(out.starts_with("foodexp ~ income"), "{out}");
    for label in ["gd (lr 0.1)", "adam (lr 0.1)", "lbfgs", "sgd (lr 5)"] {
        row(&out, label);
    }
    assert_eq!(row(&out, "sgd (lr 5)")[1], "diverged", "{out}");
    let v = json(&[
        engel.to_str().unwrap(),
        "--target",
        "foodexp",
        "--optimizers",
        "gd,lbfgs",
    ]);
    // Least squares on Engel's data (Koenker's quantreg; R's lm): 147.4754 + 0.4852 income.
    for r in v["runs"].as_array().unwrap() {
        let w = r["point"]["income"].as_f64().unwrap();
        let b = r["point"]["intercept"].as_f64().unwrap();
        assert!((w - 0.485178).abs() < 1e-5, "{r}");
        assert!((b - 147.4754).abs() < 1e-3, "{r}");
        assert!(r["steps_to_reach"].is_u64(), "{r}");
    }
    let min = v["minimum"].as_f64().unwrap();
    assert!(v["runs"][1]["value"].as_f64().unwrap() - min < 1e-9 * min);
    // The surface is over (weight, intercept) with each path on it.
    let legend = texts(&surface);
    assert!(
        legend.contains("weight of income") && legend.contains("intercept"),
        "{legend}"
    );
    assert!(legend.contains("sgd (lr 5) - diverged at step"), "{legend}");
    assert!(polylines(&surface).iter().any(|(_, n)| *n > 10));
    assert!(polylines(&loss).len() >= 4);
}

#[test]
fn formulas_and_one_optimizer_at_several_rates() {
    let v = json(&[
        "(x-1)^2 + 4*(y+1)^2",
        "--optimizers",
        "gd",
        "--lrs",
        "0.01,0.1",
    ]);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["label"], "gd (lr 0.01)");
    assert_eq!(runs[1]["label"], "gd (lr 0.1)");
    // The bigger step gets there in fewer steps; the minimum is the best value found.
    assert!(runs[1]["steps"].as_u64() < runs[0]["steps"].as_u64());
    assert_eq!(v["minimum_known"], false);
    assert!(v["minimum"].as_f64().unwrap() < 1e-20);
}

#[test]
fn bad_input_is_one_line() {
    let e = fails(&["rosenbrock", "--optimizers", "gd,adam", "--lrs", "0.1"]);
    assert!(e.contains("one learning rate per optimizer"), "{e}");
    let e = fails(&["rosenbrock", "--optimizers", "gd,adam", "--lrs", "0.1,x"]);
    assert!(e.contains("'x'"), "{e}");
    let e = fails(&["rosenbrock", "--optimizers", "gd,lbfgs", "--lrs", "0.1,0.1"]);
    assert!(e.contains("lbfgs chooses its own steps"), "{e}");
    let e = fails(&["rosenbrock", "--optimizers", "gd,adamm"]);
    assert!(e.contains("adamm"), "{e}");
    let e = fails(&["rosenbrok", "--optimizers", "gd"]);
    assert!(e.contains("unknown function 'rosenbrok'"), "{e}");
    let stack = data("stackloss.csv");
    let e = fails(&[
        stack.to_str().unwrap(),
        "--target",
        "STACKLOSS",
        "--optimizers",
        "gd",
        "--plot-surface",
        "/tmp/never-written.png",
    ]);
    assert!(e.contains("one-feature regression"), "{e}");
    let e = fails(&[data("engel.csv").to_str().unwrap(), "--optimizers", "gd"]);
    assert!(e.contains("--target"), "{e}");
    let e = fails(&[
        "x^2+y^2+z^2",
        "--optimizers",
        "gd",
        "--plot-surface",
        "/tmp/never.png",
    ]);
    assert!(e.contains("two variables"), "{e}");
}

#[test]
fn gd_without_a_rate_takes_the_functions_and_runs_say_if_they_converged() {
    let v = json(&["rosenbrock", "--optimizers", "gd,lbfgs", "-q"]);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs[0]["label"], "gd (lr 0.001)");
    assert_eq!(runs[0]["stop_reason"], "gradient_tolerance");
    assert_eq!(runs[0]["converged"], true);
    assert_eq!(runs[1]["converged"], true);
    // An explicit rate is used as given, within gd's own budget.
    let args = [
        "rosenbrock",
        "--optimizers",
        "gd,adam,lbfgs",
        "--lrs",
        "0.001,0.02,-",
        "--epochs",
        "300",
    ];
    let out = downhill()
        .arg("compare")
        .args(args)
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let converged: Vec<&Value> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["converged"])
        .collect();
    assert_eq!(converged, [false, false, true]);
    // One line names the two runs that stopped at the limit.
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("downhill: warning: 2 of 3 runs did not converge: gd (lr 0.001) stopped at the epoch limit after 300 steps with the gradient norm at "),
        "{err}"
    );
    assert!(
        err.contains("; adam (lr 0.02) stopped at the epoch limit after 300 steps"),
        "{err}"
    );
    assert!(!err.contains("lbfgs stopped"), "{err}");
    // -q silences it.
    let out = downhill()
        .arg("compare")
        .args(args)
        .arg("-q")
        .output()
        .expect("run");
    assert!(out.status.success() && out.stderr.is_empty());
    // A diverged run is not converged, and says so in its row rather than the warning.
    let v = json(&[
        "beale",
        "--from",
        "3,4",
        "--optimizers",
        "sgd,lbfgs",
        "--lrs",
        "0.01,-",
    ]);
    assert_eq!(v["runs"][0]["converged"], false);
    assert_eq!(v["runs"][0]["diverged"], true);
}

//! End-to-end runs of `downhill minimize`: named functions and formulas, every kind of
//! method, the unbounded saddle, the path file and the pictures, and bad input (one-line
//! error, exit 1, nothing written).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn downhill() -> Command {
    Command::cargo_bin("downhill").expect("binary")
}

/// Runs `minimize ARGS --json`, expects success, returns the JSON object.
fn json(args: &[&str]) -> Value {
    let out = downhill()
        .arg("minimize")
        .args(args)
        .arg("--json")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

/// Runs `minimize ARGS`, expects success, returns stdout.
fn text(args: &[&str]) -> String {
    let out = downhill().arg("minimize").args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `minimize ARGS`, expects exit 1 and no panic; returns stderr, whose first line is
/// the error.
fn fails(args: &[&str]) -> String {
    let out = downhill().arg("minimize").args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(err.starts_with("downhill: error: "), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    err
}

fn point(v: &Value) -> Vec<(String, f64)> {
    v["point"]
        .as_object()
        .expect("point")
        .iter()
        .map(|(k, x)| (k.clone(), x.as_f64().expect("number")))
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Point counts of every polyline of a well-formed SVG of the given size.
fn svg_polylines(path: &Path, width: u32, height: u32) -> Vec<usize> {
    let text = std::fs::read_to_string(path).expect("read svg");
    let doc = roxmltree::Document::parse(&text).expect("SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {width} {height}").as_str())
    );
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .collect()
}

/// Width and height of a decoded PNG.
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
fn lbfgs_finds_the_minimum_of_rosenbrock() {
    let v = json(&["rosenbrock", "--optimizer", "lbfgs"]);
    let p = point(&v);
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].0.as_str(), p[1].0.as_str()), ("x", "y"));
    assert!(
        (p[0].1 - 1.0).abs() < 1e-6 && (p[1].1 - 1.0).abs() < 1e-6,
        "{p:?}"
    );
    assert!(v["value"].as_f64().unwrap() < 1e-12);
    assert!(v["gradient_norm"].as_f64().unwrap() < 1e-6);
    assert_eq!(v["stop_reason"], "gradient_tolerance");
    assert!(v["steps"].as_u64().unwrap() > 10);
    assert!(v["distance_to_minimum"].as_f64().unwrap() < 1e-6);
    // It started at the usual start.
    assert_eq!(v["start"]["x"], -1.2);
    assert_eq!(v["start"]["y"], 1.0);
}

#[test]
fn a_formula_of_rosenbrock_gives_the_same_answer() {
    let named = json(&["rosenbrock", "--optimizer", "lbfgs"]);
    let typed = json(&[
        "(1-x)^2 + 100*(y-x^2)^2",
        "--from",
        "-1.2,1",
        "--optimizer",
        "lbfgs",
    ]);
    for ((n1, a), (n2, b)) in point(&named).iter().zip(&point(&typed)) {
        assert_eq!(n1, n2);
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    assert_eq!(typed["stop_reason"], "gradient_tolerance");
    // A formula has no known minimum.
    assert!(typed.get("distance_to_minimum").is_none());
}

#[test]
fn newton_uses_a_finite_difference_hessian() {
    for f in ["rosenbrock", "(1-x)^2 + 100*(y-x^2)^2"] {
        let v = json(&[f, "--from", "-1.2,1", "--optimizer", "newton"]);
        let p = point(&v);
        assert!(
            (p[0].1 - 1.0).abs() < 1e-8 && (p[1].1 - 1.0).abs() < 1e-8,
            "{f}: {p:?}"
        );
        assert_eq!(v["optimizer"], "newton");
        // Newton's few steps, not gradient descent's thousands.
        assert!(v["steps"].as_u64().unwrap() < 50, "{v}");
    }
}

#[test]
fn vars_order_the_parameters() {
    // Minimum at a = 1, b = -2.
    let f = "(a-1)^2 + 10*(b+2)^2";
    let v = json(&[f, "--vars", "b,a", "--from", "0,5", "--optimizer", "lbfgs"]);
    let p = point(&v);
    assert_eq!(p[0].0, "b");
    assert_eq!(p[1].0, "a");
    assert!(
        (p[0].1 + 2.0).abs() < 1e-8 && (p[1].1 - 1.0).abs() < 1e-8,
        "{p:?}"
    );
    // --from follows the same order.
    assert_eq!(v["start"]["b"], 0.0);
    assert_eq!(v["start"]["a"], 5.0);
    // Sorted by name without --vars; a formula starts at zeros.
    let v = json(&[f, "--optimizer", "lbfgs"]);
    assert_eq!(point(&v)[0].0, "a");
    assert_eq!(v["start"]["a"], 0.0);
    // A variable missing from --vars is named.
    let e = fails(&[f, "--vars", "a"]);
    assert!(e.contains("'b'"), "{e}");
}

#[test]
fn a_syntax_error_shows_the_column() {
    let e = fails(&["(1-x)^2 + 100*(y-x^2"]);
    let lines: Vec<&str> = e.lines().collect();
    assert!(
        lines[0].starts_with("downhill: error: formula: expected ')' at column 21"),
        "{e}"
    );
    // The formula, then a caret under column 21.
    assert_eq!(lines.len(), 3, "{e}");
    assert_eq!(lines[1].trim(), "(1-x)^2 + 100*(y-x^2");
    let caret = lines[2].find('^').expect("caret");
    let start = lines[1].find('(').expect("formula");
    assert_eq!(caret - start, 20, "{e}");
    let e = fails(&["x + * y"]);
    assert!(e.contains("column 5"), "{e}");
}

#[test]
fn an_unknown_function_is_named() {
    let e = fails(&["rosenbrok"]);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("unknown function 'rosenbrok'"), "{e}");
    assert!(e.contains("did you mean rosenbrock"), "{e}");
    assert!(e.contains("himmelblau"), "the known names are listed: {e}");
}

#[test]
fn the_saddle_is_unbounded_below() {
    let out = text(&["saddle", "--epochs", "200"]);
    assert!(out.contains("unbounded below along its path"), "{out}");
    assert!(out.contains("reached the epoch limit"), "{out}");
    let v = json(&["saddle", "--epochs", "200"]);
    assert_eq!(v["stop_reason"], "max_epochs");
    assert_eq!(v["steps"], 200);
    assert_eq!(v["unbounded_below"], true);
    assert!(v["value"].as_f64().unwrap() < -1e6);
    // Long enough for the value to overflow: still an answer, at the last finite step.
    let v = json(&["saddle"]);
    assert_eq!(v["stop_reason"], "unbounded_below");
    assert!(v["value"].as_f64().unwrap().is_finite());
    // A formula heading to -inf says the same.
    let out = text(&["x^2 - y^2", "--from", "1,0.001", "--epochs", "200"]);
    assert!(out.contains("unbounded below along its path"), "{out}");
    // A formula may start with '-'; a mistyped option is not a formula.
    let v = json(&["-x^2 - y^2", "--from", "0.1,0.1", "--epochs", "50"]);
    assert_eq!(v["unbounded_below"], true);
    let e = fails(&["--no-such-flag"]);
    assert!(e.contains("unknown option '--no-such-flag'"), "{e}");
    // A bounded function that is still converging at the limit does not.
    let out = text(&["rosenbrock", "--lr", "0.001", "--epochs", "200"]);
    assert!(!out.contains("unbounded"), "{out}");
}

#[test]
fn path_file_has_a_row_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steps.csv");
    let v = json(&[
        "(a-1)^2 + 10*(b+2)^2",
        "--vars",
        "b,a",
        "--optimizer",
        "momentum",
        "--path",
        path.to_str().unwrap(),
    ]);
    let steps = v["steps"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "step,b,a,value,gradient_norm,lr");
    // The start (step 0) and every step after it.
    assert_eq!(lines.len(), 1 + steps + 1);
    assert!(lines[1].starts_with("0,0,0,"), "{}", lines[1]);
    let last: Vec<f64> = lines[steps + 1]
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(last[0] as usize, steps);
    // serde_json reads floats to within a rounding, Rust's parser exactly.
    let close = |a: f64, b: &Value| (a - b.as_f64().unwrap()).abs() <= 1e-15 * a.abs().max(1e-300);
    assert!(close(last[1], &v["point"]["b"]), "{last:?} {v}");
    assert!(close(last[2], &v["point"]["a"]), "{last:?} {v}");
    assert!(close(last[3], &v["value"]), "{last:?} {v}");
    assert_eq!(last[5], 0.01, "momentum's default lr");
    // Nothing else (no temporary file) is left beside it.
    assert_eq!(files(dir.path()), ["steps.csv"]);
}

#[test]
fn every_picture_is_written_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let v = json(&[
        "rosenbrock",
        "--optimizer",
        "lbfgs",
        "--plot-surface",
        p("surface.svg").to_str().unwrap(),
        "--plot-3d",
        p("3d.svg").to_str().unwrap(),
        "--plot-loss",
        p("loss.svg").to_str().unwrap(),
        "--plot-size",
        "800x600",
    ]);
    let steps = v["steps"].as_u64().unwrap() as usize;
    // The path over the contours: one point per step and the start.
    let surface = svg_polylines(&p("surface.svg"), 800, 600);
    assert!(surface.contains(&(steps + 1)), "{steps}: {surface:?}");
    // The loss: the value after each step.
    let loss = svg_polylines(&p("loss.svg"), 800, 600);
    assert!(loss.contains(&steps), "{steps}: {loss:?}");
    let d3 = svg_polylines(&p("3d.svg"), 800, 600);
    assert!(d3.iter().any(|&n| n > steps), "{d3:?}");

    for name in ["surface.png", "3d.png", "loss.png"] {
        let flag = match name {
            "surface.png" => "--plot-surface",
            "3d.png" => "--plot-3d",
            _ => "--plot-loss",
        };
        text(&[
            "beale",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            "--epochs",
            "500",
            flag,
            p(name).to_str().unwrap(),
            "--plot-size",
            "640x480",
        ]);
        assert_eq!(png_size(&p(name)), (640, 480), "{name}");
    }
}

#[test]
fn a_million_steps_are_thinned_in_the_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("s.svg");
    let loss = dir.path().join("l.svg");
    let v = json(&[
        "bowl",
        "--from",
        "3,-2",
        "--lr",
        "1e-7",
        "--epochs",
        "1000000",
        "--gtol",
        "0",
        "--plot-surface",
        surface.to_str().unwrap(),
        "--plot-loss",
        loss.to_str().unwrap(),
    ]);
    assert_eq!(v["steps"], 1_000_000);
    let longest = |path: &Path| svg_polylines(path, 900, 700).into_iter().max().unwrap_or(0);
    let (s, l) = (longest(&surface), longest(&loss));
    assert!(s > 100 && s <= 5_000, "{s}");
    assert!(l > 100 && l <= 5_000, "{l}");
}

#[test]
fn bad_input_fails_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // Wrong --from count: the expected count is said.
    let e = fails(&["beale", "--from", "1,2,3"]);
    assert!(
        e.contains("2 variables (x, y)") && e.contains("not 3"),
        "{e}"
    );
    // A surface of three variables.
    let e = fails(&[
        "x^2 + y^2 + z^2",
        "--plot-surface",
        &out("s.png"),
        "--path",
        &out("p.csv"),
    ]);
    assert!(
        e.contains("two variables") && e.contains("(x, y, z)"),
        "{e}"
    );
    // A picture format that does not exist, refused before the run.
    let e = fails(&["rosenbrock", "--plot-loss", &out("loss.jpg")]);
    assert!(e.contains(".jpg"), "{e}");
    // A divergence on a bounded function is an error, and nothing is written.
    let e = fails(&[
        "rosenbrock",
        "--lr",
        "0.1",
        "--path",
        &out("p.csv"),
        "--plot-loss",
        &out("l.svg"),
    ]);
    assert!(e.contains("diverged") && e.contains("--lr"), "{e}");
    // Not differentiable at the default start.
    let e = fails(&["sqrt(x) + y^2"]);
    assert!(e.contains("--from"), "{e}");
    // A flag for rows of data.
    let e = fails(&["rosenbrock", "--batch-size", "2"]);
    assert!(e.contains("--batch-size"), "{e}");
    // --vars on a named function.
    let e = fails(&["beale", "--vars", "y,x"]);
    assert!(e.contains("--vars"), "{e}");
    // A solver refuses a learning rate.
    let e = fails(&["rosenbrock", "--optimizer", "lbfgs", "--lr", "0.1"]);
    assert!(e.contains("--lr"), "{e}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[test]
fn summary_names_each_variable_and_the_minimum() {
    let out = text(&["himmelblau", "--optimizer", "lbfgs", "--from", "1,1"]);
    assert!(out.starts_with("himmelblau: "), "{out}");
    assert!(out.contains("\n  x "), "{out}");
    assert!(out.contains("\n  y "), "{out}");
    assert!(
        out.contains("minimum        (x = 3, y = 2) at distance"),
        "{out}"
    );
    assert!(out.contains("converged"), "{out}");
}

/// Runs `minimize ARGS`, expects success, returns (stdout, stderr).
fn both(args: &[&str]) -> (String, String) {
    let out = downhill().arg("minimize").args(args).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    (String::from_utf8(out.stdout).expect("utf-8"), err)
}

#[test]
fn every_named_function_bare_reaches_a_minimum() {
    // (name, the minimum gd reaches from the usual start, how close). Rastrigin's and
    // Ackley's are the local minima nearest their start (2.2, -1.3), from this test's runs
    // (and a plain Python gd at the same rates, to the digits given).
    let cases: [(&str, [f64; 2], f64); 10] = [
        ("rosenbrock", [1.0, 1.0], 1e-9),
        ("beale", [3.0, 0.5], 1e-9),
        ("booth", [1.0, 3.0], 1e-9),
        ("himmelblau", [3.0, 2.0], 1e-9),
        ("matyas", [0.0, 0.0], 1e-9),
        ("goldstein-price", [0.0, -1.0], 1e-9),
        ("three-hump-camel", [0.0, 0.0], 1e-9),
        (
            "rastrigin",
            [1.989_912_233_708_5, -0.994_958_637_652_3],
            1e-9,
        ),
        ("ackley", [1.964_616_662_862_9, -0.982_416_035_079_1], 1e-9),
        ("bowl", [0.0, 0.0], 1e-9),
    ];
    for (name, want, tol) in cases {
        let v = json(&[name]);
        assert_eq!(v["stop_reason"], "gradient_tolerance", "{name}: {v}");
        assert_eq!(v["converged"], true, "{name}: {v}");
        assert_eq!(v["optimizer"], "gd", "{name}");
        let p = point(&v);
        let d = ((p[0].1 - want[0]).powi(2) + (p[1].1 - want[1]).powi(2)).sqrt();
        assert!(d < tol, "{name}: {p:?} is {d:e} from {want:?}");
        // The rate is the function's own, and the budget was enough.
        let f = downhill::functions::by_name(name).unwrap();
        assert_eq!(v["lr"].as_f64(), Some(f.gd_lr()), "{name}");
        assert!(
            v["steps"].as_u64().unwrap() < f.gd_epochs() as u64,
            "{name}"
        );
    }
    // The local minima are said to be local.
    for name in ["rastrigin", "ackley"] {
        let (out, err) = both(&[name]);
        assert!(
            out.contains("local minimum  the gradient vanished"),
            "{out}"
        );
        assert!(out.contains(&format!(": {name}'s default rate)")), "{out}");
        assert!(err.is_empty(), "{err}");
    }
    let (out, _) = both(&["booth"]);
    assert!(!out.contains("local minimum"), "{out}");
    // The saddle has no minimum: unbounded below, as before.
    let v = json(&["saddle"]);
    assert_eq!(v["stop_reason"], "unbounded_below");
    assert_eq!(v["unbounded_below"], true);
    assert_eq!(v["converged"], false);
}

#[test]
fn an_explicit_rate_is_used_as_given() {
    // gd's own default budget (10000), not rosenbrock's.
    let v = json(&["rosenbrock", "--lr", "0.001", "-q"]);
    assert_eq!(v["lr"], 0.001);
    assert_eq!(v["steps"], 10_000);
    assert_eq!(v["stop_reason"], "max_epochs");
    // --epochs holds with the function's rate too.
    let v = json(&["rosenbrock", "--epochs", "300", "-q"]);
    assert_eq!(
        (v["lr"].as_f64(), v["steps"].as_u64()),
        (Some(0.001), Some(300))
    );
    // Another optimizer keeps its own default.
    let v = json(&["bowl", "--optimizer", "momentum", "--epochs", "10", "-q"]);
    assert_eq!(v["lr"], 0.01);
    // The summary says whose rate it is only when it is the function's.
    let (out, _) = both(&["rosenbrock", "--lr", "0.001", "--epochs", "10", "-q"]);
    assert!(
        out.starts_with("rosenbrock: (1-x)^2 + 100*(y-x^2)^2   (gd, lr 0.001)\n"),
        "{out}"
    );
    let (out, _) = both(&["rosenbrock", "--epochs", "10", "-q"]);
    assert!(
        out.starts_with(
            "rosenbrock: (1-x)^2 + 100*(y-x^2)^2   (gd, lr 0.001: rosenbrock's default rate)\n"
        ),
        "{out}"
    );
}

#[test]
fn help_lists_each_functions_rate() {
    let out = downhill()
        .args(["minimize", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    for f in downhill::functions::ALL {
        let said = format!("{} {}", f.name(), f.gd_lr());
        assert!(help.contains(&said), "{said} in {help}");
    }
    assert!(help.contains("100000 steps"), "{help}");
}

#[test]
fn a_run_that_stops_at_its_limit_says_so() {
    let args = ["rosenbrock", "--lr", "0.001", "--epochs", "200"];
    let (_, err) = both(&args);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(
        lines[0].starts_with(
            "downhill: warning: rosenbrock did not converge: it stopped at the epoch limit after 200 steps with the gradient norm at "
        ),
        "{err}"
    );
    assert!(
        lines[0].ends_with(
            " of its start (--gtol 1e-13); try --optimizer lbfgs or --optimizer newton, more --epochs, or another --lr"
        ),
        "{err}"
    );
    // The fraction is the final gradient norm over the start's.
    let v = json(&args);
    assert_eq!(v["converged"], false);
    // The gradient at (-1.2, 1) is (-215.6, -88).
    let start = (215.6_f64.powi(2) + 88.0_f64.powi(2)).sqrt();
    let said: f64 = lines[0]
        .split("gradient norm at ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("a number");
    let want = v["gradient_norm"].as_f64().unwrap() / start;
    assert!((said - want).abs() <= 0.06 * want, "{said} vs {want}");
    // -q silences it; so does converging.
    let mut quiet = args.to_vec();
    quiet.push("-q");
    assert!(both(&quiet).1.is_empty());
    assert!(both(&["booth"]).1.is_empty());
    // A solver is told about Newton and epochs, not a rate.
    let (_, err) = both(&["rosenbrock", "--optimizer", "lbfgs", "--epochs", "5"]);
    assert!(
        err.ends_with("try --optimizer newton, or more --epochs\n"),
        "{err}"
    );
    // The time limit too: a microsecond is less than 10000 steps of gd.
    let (_, err) = both(&["rosenbrock", "--lr", "0.0001", "--time-limit", "0.000001"]);
    assert!(
        err.contains("did not converge: it stopped at the time limit after"),
        "{err}"
    );
    // A function with no bottom is reported as such, not warned about.
    let (out, err) = both(&["saddle", "--epochs", "200"]);
    assert!(out.contains("unbounded below"), "{out}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(json(&["saddle", "--epochs", "200"])["converged"], false);
}

//! The API in-process (`tower::ServiceExt::oneshot`): what it answers, each refusal's
//! status, a burst, and that a race answers as `downhill compare --json` does.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn send(app: &Router, method: &str, uri: &str, body: Body) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    let (s, b) = send(app, "GET", uri, Body::empty()).await;
    (s, serde_json::from_slice(&b).unwrap())
}

async fn compare(app: &Router, body: Value) -> (StatusCode, Value) {
    let (s, b) = send(app, "POST", "/api/compare", Body::from(body.to_string())).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&b) }));
    (s, v)
}

#[tokio::test]
async fn the_page_and_its_assets_are_served() {
    let app = downhill_serve::router(2);
    for (uri, needle) in [
        ("/", "<canvas"),
        ("/app.js", "/api/compare"),
        ("/style.css", "body"),
    ] {
        let (s, b) = send(&app, "GET", uri, Body::empty()).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert!(String::from_utf8_lossy(&b).contains(needle), "{uri}");
    }
    let (s, v) = get(&app, "/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
}

#[tokio::test]
async fn functions_and_optimizers_are_listed() {
    let app = downhill_serve::router(2);
    let (s, v) = get(&app, "/api/functions").await;
    assert_eq!(s, StatusCode::OK);
    let rosen = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "rosenbrock")
        .unwrap();
    assert_eq!(rosen["minima"], json!([[1.0, 1.0]]));
    assert_eq!(rosen["min_value"], json!(0.0));
    assert!(rosen["formula"].as_str().unwrap().contains('x'));
    assert!(rosen["gd_lr"].as_f64().unwrap() > 0.0);

    let (s, v) = get(&app, "/api/optimizers").await;
    assert_eq!(s, StatusCode::OK);
    let by = |n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == n)
            .unwrap()
            .clone()
    };
    let adam = by("adam");
    assert!(adam["lr"].as_f64().unwrap() > 0.0);
    assert!(adam["takes"].as_array().unwrap().contains(&json!("beta1")));
    assert!(!adam["takes"]
        .as_array()
        .unwrap()
        .contains(&json!("momentum")));
    assert!(by("momentum")["takes"]
        .as_array()
        .unwrap()
        .contains(&json!("momentum")));
    assert_eq!(by("lbfgs")["lr"], Value::Null);
}

/// The start a report names, as a point.
fn got_start(report: &Value) -> Vec<f64> {
    report["start"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// `compare --json` without timings, as JSON.
fn cli_json(args: &[&str]) -> Value {
    let out = std::process::Command::new(common::downhill())
        .arg("compare")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in v["runs"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("seconds");
    }
    v
}

#[tokio::test]
async fn a_race_answers_as_compare_json_does_plus_paths() {
    let app = downhill_serve::router(2);
    let settings: [(&[&str], Value); 3] = [
        (
            &[
                "rosenbrock",
                "--from",
                "-1.2,1",
                "--optimizers",
                "gd,adam,lbfgs",
                "--lrs",
                "-,0.05,-",
            ],
            json!({"function": "rosenbrock", "from": [-1.2, 1.0], "optimizers": ["gd", "adam", "lbfgs"], "lrs": [null, 0.05, null]}),
        ),
        // A run that diverges (gd at 0.1 on Rosenbrock) beside one that does not.
        (
            &[
                "(1-x)^2 + 100*(y-x^2)^2",
                "--from",
                "-1.2,1",
                "--optimizers",
                "gd,momentum",
                "--lrs",
                "0.1,0.0001",
                "--epochs",
                "500",
            ],
            json!({"function": "(1-x)^2 + 100*(y-x^2)^2", "from": [-1.2, 1.0], "optimizers": ["gd", "momentum"], "lrs": [0.1, 0.0001], "epochs": 500}),
        ),
        // The saddle has no bottom.
        (
            &[
                "saddle",
                "--optimizers",
                "gd,adam",
                "--lr",
                "0.01",
                "--epochs",
                "300",
                "--momentum",
                "0.5",
            ],
            json!({"function": "saddle", "optimizers": ["gd", "adam"], "lr": 0.01, "epochs": 300, "momentum": 0.5}),
        ),
    ];
    let mut saw = (false, false);
    for (args, body) in settings {
        let expected = cli_json(args);
        let (s, mut got) = compare(&app, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{got}");
        for (r, e) in got["runs"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(expected["runs"].as_array().unwrap())
        {
            let r = r.as_object_mut().unwrap();
            assert!(r.remove("seconds").unwrap().as_f64().unwrap() >= 0.0);
            let path = r.remove("path").unwrap();
            let steps = path["steps"].as_array().unwrap();
            assert_eq!(steps.len(), path["points"].as_array().unwrap().len());
            assert_eq!(steps.len(), path["values"].as_array().unwrap().len());
            assert_eq!(steps[0], json!(0));
            assert_eq!(path["points"][0], json!(got_start(&expected)));
            saw.0 |= e["diverged"] == json!(true) && e["unbounded_below"] == json!(false);
            saw.1 |= e["unbounded_below"] == json!(true);
        }
        assert_eq!(got, expected, "{body}");
    }
    assert!(
        saw.0 && saw.1,
        "a diverged run and an unbounded one were compared"
    );
}

/// Rosenbrock's gradient, by hand: f = (1 - x)^2 + 100 (y - x^2)^2.
fn rosenbrock_grad(x: f64, y: f64) -> [f64; 2] {
    [
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ]
}

#[tokio::test]
async fn each_path_point_carries_the_exact_gradient() {
    let app = downhill_serve::router(2);
    // The named function and the same formula, with a run that diverges (gd at 0.1): where
    // its points leave the numbers, their gradient is null.
    for function in ["rosenbrock", "(1-x)^2 + 100*(y-x^2)^2"] {
        let (s, v) = compare(
            &app,
            json!({"function": function, "from": [-1.2, 1.0], "optimizers": ["adam", "lbfgs", "gd"],
                   "lrs": [0.05, null, 0.1], "epochs": 300}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut checked = 0;
        for run in v["runs"].as_array().unwrap() {
            let path = &run["path"];
            let grads = path["grad"].as_array().unwrap();
            assert_eq!(grads.len(), path["points"].as_array().unwrap().len());
            for (p, g) in path["points"].as_array().unwrap().iter().zip(grads) {
                let (Some(x), Some(y)) = (p[0].as_f64(), p[1].as_f64()) else {
                    assert!(g[0].is_null() || g[1].is_null(), "{p} {g}");
                    continue;
                };
                if x.abs() > 1e3 || y.abs() > 1e3 {
                    continue; // on the way out of the numbers
                }
                let want = rosenbrock_grad(x, y);
                for (k, want) in want.into_iter().enumerate() {
                    let got = g[k].as_f64().unwrap();
                    assert!(
                        (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                        "{function} at ({x}, {y}): {got} against {want}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 300, "{checked}");
    }
}

#[tokio::test]
async fn the_race_can_bring_the_contour_grid_of_its_region() {
    let app = downhill_serve::router(2);
    let race = json!({"function": "rosenbrock", "from": [-1.2, 1.0], "optimizers": ["gd", "adam"],
                      "lrs": [0.001, 0.05], "epochs": 500});
    let (s, plain) = compare(&app, race.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(plain.get("surface").is_none(), "only when asked");
    let mut asked = race.clone();
    asked["surface"] = json!(30);
    let (s, v) = compare(&app, asked).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let b: Vec<f64> = v["surface"]["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    // A square holding the start, the minimum (1, 1) and every point of both paths.
    assert!((b[1] - b[0] - (b[3] - b[2])).abs() < 1e-12, "{b:?}");
    let inside = |x: f64, y: f64| b[0] < x && x < b[1] && b[2] < y && y < b[3];
    assert!(inside(-1.2, 1.0) && inside(1.0, 1.0), "{b:?}");
    for run in v["runs"].as_array().unwrap() {
        for p in run["path"]["points"].as_array().unwrap() {
            assert!(
                inside(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()),
                "{p} {b:?}"
            );
        }
    }
    // The grid is /api/surface's over those bounds.
    let (s, grid) = send(
        &app,
        "POST",
        "/api/surface",
        Body::from(json!({"function": "rosenbrock", "bounds": b, "n": 30}).to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let grid: Value = serde_json::from_slice(&grid).unwrap();
    assert_eq!(v["surface"]["values"], grid["values"]);
    assert_eq!(v["surface"]["n"], 30);
    assert_eq!(grid["values"].as_array().unwrap().len(), 900);
    // Without the grid the race is the same.
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("surface");
        for r in v["runs"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("seconds");
        }
        v
    };
    assert_eq!(strip(v), strip(plain));
    // A bad grid size is refused before anything runs.
    let mut bad = race;
    bad["surface"] = json!(1);
    let (s, e) = compare(&app, bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["error"].as_str().unwrap().starts_with("surface:"), "{e}");
}

#[tokio::test]
async fn long_paths_are_thinned_keeping_both_ends() {
    let app = downhill_serve::router(2);
    let (s, v) = compare(
        &app,
        json!({"function": "rosenbrock", "optimizers": ["gd"], "lrs": [0.0001], "epochs": 20000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let run = &v["runs"][0];
    let steps = run["path"]["steps"].as_array().unwrap();
    assert!(
        steps.len() <= downhill_serve::MAX_POINTS && steps.len() > 1000,
        "{}",
        steps.len()
    );
    assert_eq!(steps[0], json!(0));
    assert_eq!(steps.last().unwrap(), &run["steps"]);
}

#[tokio::test]
async fn bad_requests_are_4xx_with_one_line() {
    let app = downhill_serve::router(2);
    // A bad formula: the message and the column for the caret.
    let (s, v) = compare(
        &app,
        json!({"function": "(1-x)^2 + 100*(y-x^2", "optimizers": ["adam"]}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["column"], json!(21), "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("formula: "), "{v}");
    // Unknown names are named.
    for (body, name) in [
        (
            json!({"function": "rosenbrok", "optimizers": ["adam"]}),
            "rosenbrok",
        ),
        (
            json!({"function": "beale", "optimizers": ["adam", "adamm"]}),
            "adamm",
        ),
        (
            json!({"function": "beale", "optimizers": ["adam"], "learning_rate": 1}),
            "learning_rate",
        ),
        (
            json!({"function": "beale", "optimizers": ["adam"], "epochs": 2_000_000}),
            "epochs",
        ),
        (
            json!({"function": "beale", "optimizers": ["adam", "gd"], "lrs": [0.1]}),
            "lrs",
        ),
        (
            json!({"function": "beale", "optimizers": ["adam"], "lrs": [-1.0]}),
            "lrs",
        ),
        (
            json!({"function": "beale", "from": [1.0], "optimizers": ["adam"]}),
            "from",
        ),
    ] {
        let (s, v) = compare(&app, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        let m = v["error"].as_str().unwrap();
        assert!(m.contains(name) && !m.contains('\n'), "{body}: {m}");
    }
    // Malformed JSON.
    let (s, b) = send(&app, "POST", "/api/compare", Body::from("{\"function\": ")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert!(!v["error"].as_str().unwrap().is_empty());
    // A body over the cap.
    let big = format!(
        "{{\"function\": \"{}\"}}",
        "x".repeat(downhill_serve::MAX_BODY + 10)
    );
    let (s, _) = send(&app, "POST", "/api/compare", Body::from(big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // The server still answers.
    let (s, _) = get(&app, "/api/functions").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_queues_and_every_request_is_answered() {
    // Two workers for twenty races: most wait for a permit.
    let app = downhill_serve::router(2);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = json!({"function": "beale", "optimizers": ["adam", "lbfgs"], "from": [1.0, 1.0 + i as f64 / 10.0]});
                compare(&app, body).await
            })
        })
        .collect();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    }
}

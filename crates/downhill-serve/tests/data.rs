//! Data mode's API in-process: the shipped data sets, uploads read by `fit`'s reader (their
//! errors with line and column), fits streamed as server-sent events whose answer is
//! `downhill fit --json`'s for the command the stream gives, every refusal's status, and a
//! burst of fits.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tower::ServiceExt;

async fn send(app: &Router, uri: &str, ctype: &str, body: Body) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", ctype)
        .body(body)
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes)
}

/// A fit's events, in order, as (name, data); or the 4xx answer.
async fn fit(app: &Router, body: Value) -> Result<Vec<(String, Value)>, (StatusCode, Value)> {
    let (s, b) = send(
        app,
        "/api/fit",
        "application/json",
        Body::from(body.to_string()),
    )
    .await;
    if s != StatusCode::OK {
        return Err((s, serde_json::from_slice(&b).unwrap()));
    }
    let text = String::from_utf8(b).unwrap();
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut name = String::new();
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        if !data.is_empty() {
            events.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    Ok(events)
}

fn event<'a>(events: &'a [(String, Value)], name: &str) -> &'a Value {
    &events
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} event in {events:?}"))
        .1
}

async fn refused(app: &Router, body: Value) -> (StatusCode, Value) {
    match fit(app, body.clone()).await {
        Ok(events) => panic!("{body} was run: {events:?}"),
        Err(e) => e,
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test]
async fn the_shipped_data_sets_are_listed_with_their_columns() {
    let app = downhill_serve::router(2);
    let req = Request::builder()
        .uri("/api/datasets")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let by = |n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == n)
            .unwrap()
    };
    // data/README.md's row counts.
    assert_eq!(by("engel")["rows"], json!(235));
    assert_eq!(by("stackloss")["rows"], json!(21));
    assert_eq!(by("breast_cancer")["rows"], json!(569));
    assert_eq!(
        by("engel")["columns"],
        json!([{"name": "income", "numeric": true}, {"name": "foodexp", "numeric": true}])
    );
    let iris = by("iris");
    assert_eq!(iris["rows"], json!(150));
    assert_eq!(
        iris["columns"][4],
        json!({"name": "species", "numeric": false})
    );
    assert_eq!(iris["path"], json!("data/iris.csv"));
}

/// `downhill fit ARGS --json` run from the repository's root, without its timings.
fn cli_fit(args: &[String]) -> Value {
    let out = std::process::Command::new(common::downhill())
        .current_dir(root())
        .args(args)
        .arg("--json")
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("load_seconds").unwrap();
    o.remove("train_seconds").unwrap();
    v
}

#[tokio::test]
async fn a_fit_answers_as_the_command_it_gives() {
    let app = downhill_serve::router(2);
    for body in [
        // Mini-batches, a held-out share and a seed.
        json!({"dataset": "stackloss", "target": "STACKLOSS", "optimizer": "adam", "lr": 0.01,
               "batch_size": 5, "epochs": 300, "seed": 3, "validation_fraction": 0.2}),
        // One feature, full batch: the picture's line and the cost surface's path.
        json!({"dataset": "engel", "target": "foodexp", "features": ["income"], "epochs": 200}),
        // Two features, a logistic model: the decision boundary.
        json!({"dataset": "breast_cancer", "target": "diagnosis", "features": ["mean_radius", "mean_texture"],
               "model": "logistic", "optimizer": "momentum", "epochs": 150}),
        json!({"dataset": "iris", "target": "species", "model": "softmax", "optimizer": "lbfgs"}),
    ] {
        let events = fit(&app, body.clone()).await.unwrap();
        assert_eq!(events[0].0, "start", "{body}");
        assert_eq!(events.last().unwrap().0, "done", "{body}: {events:?}");
        let start = event(&events, "start");
        let command: Vec<String> = start["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(&command[..2], ["downhill", "fit"]);
        let done = event(&events, "done");
        assert_eq!(done["fit"], cli_fit(&command[1..]), "{body}");
        // The model file is the one `fit --output` writes.
        assert_eq!(done["model_file"]["target"], body["target"]);
        assert_eq!(
            done["model_file"]["weights"][0].as_array().unwrap().len(),
            done["model_file"]["terms"].as_array().unwrap().len()
        );

        // Every epoch's cost was streamed, from 0 to the last, in order.
        let epochs: Vec<u64> = events
            .iter()
            .filter(|(n, _)| n == "epoch")
            .flat_map(|(_, e)| {
                e["epochs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap())
            })
            .collect();
        let last = done["fit"]["epochs"].as_u64().unwrap();
        assert_eq!(epochs, (0..=last).collect::<Vec<_>>(), "{body}");
    }
}

#[tokio::test]
async fn the_streamed_parameters_are_in_the_data_units_and_end_at_the_fit() {
    let app = downhill_serve::router(2);
    for body in [
        json!({"dataset": "engel", "target": "foodexp", "features": ["income"], "epochs": 50}),
        json!({"dataset": "breast_cancer", "target": "diagnosis", "features": ["mean_radius", "mean_texture"],
               "model": "logistic", "epochs": 40}),
    ] {
        let events = fit(&app, body.clone()).await.unwrap();
        let done = event(&events, "done");
        let streamed = events
            .iter()
            .rev()
            .find(|(n, e)| n == "epoch" && e["params"].is_array())
            .unwrap();
        let p: Vec<f64> = streamed.1["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let path = done["path"]["params"].as_array().unwrap();
        let end: Vec<f64> = path
            .last()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let fit = &done["fit"];
        let mut want: Vec<f64> = body["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| fit["weights"][f.as_str().unwrap()].as_f64().unwrap())
            .collect();
        want.push(fit["intercept"].as_f64().unwrap());
        for ((a, b), w) in p.iter().zip(&end).zip(&want) {
            assert!(
                (a - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{body}: streamed {p:?}, fit {want:?}"
            );
            assert!(
                (b - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{body}: path {end:?}, fit {want:?}"
            );
        }
        assert_eq!(p.len(), want.len());
        // The path starts elsewhere: the parameters moved.
        assert_ne!(path[0], *path.last().unwrap());
    }
}

#[tokio::test]
async fn an_upload_is_read_by_fits_reader_and_its_errors_name_line_and_column() {
    let app = downhill_serve::router(2);
    // Columns, numeric or text.
    let csv = "a,b,label\n1,2,yes\n2,3.5,no\n3,1,yes\n4,0,no\n";
    let (s, b) = send(
        &app,
        "/api/table?name=mine.csv",
        "text/csv",
        Body::from(csv),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["rows"], json!(4));
    assert_eq!(
        v["columns"],
        json!([{"name": "a", "numeric": true}, {"name": "b", "numeric": true}, {"name": "label", "numeric": false}])
    );
    // A bad cell: the file's line 3, the header's column 2.
    let bad = "x,y\n1,2\n2,oops\n3,4\n";
    let (s, b) = send(&app, "/api/table?name=bad.csv", "text/csv", Body::from(bad)).await;
    assert_eq!(s, StatusCode::OK, "a text column is a column");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["columns"][1]["numeric"], json!(false));
    let (s, v) = refused(
        &app,
        json!({"csv": bad, "csv_name": "bad.csv", "target": "y"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        (v["line"].clone(), v["column"].clone()),
        (json!(3), json!(2)),
        "{v}"
    );
    let m = v["error"].as_str().unwrap();
    assert!(
        m.starts_with("bad.csv:3: column 'y': 'oops' is not a number"),
        "{m}"
    );
    // A row of the wrong width, as `fit` says it (CRLF line ends counted as lines).
    let ragged = "x,y\r\n1,2\r\n2\r\n";
    let (s, b) = send(&app, "/api/table", "text/csv", Body::from(ragged)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["line"], json!(3), "{v}");
    assert!(!v["error"].as_str().unwrap().contains('\n'));
    // An upload's fit runs.
    let events = fit(
        &app,
        json!({"csv": "x,y\n1,2.1\n2,3.9\n3,6.2\n4,7.8\n", "csv_name": "line.csv", "target": "y", "optimizer": "newton"}),
    )
    .await
    .unwrap();
    let done = event(&events, "done");
    assert!(
        (done["fit"]["weights"]["x"].as_f64().unwrap() - 1.94).abs() < 1e-9,
        "{done}"
    );
    assert_eq!(event(&events, "start")["command"][2], json!("line.csv"));
}

#[tokio::test]
async fn bad_fits_are_4xx_with_one_line() {
    let app = downhill_serve::router(2);
    for (body, needle) in [
        (json!({"dataset": "stackloss"}), "target"),
        (json!({"dataset": "nope", "target": "y"}), "nope"),
        (json!({"dataset": "stackloss", "target": "NOPE"}), "NOPE"),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "features": ["AIRFLOW", "WIND"]}),
            "WIND",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "features": ["STACKLOSS"]}),
            "STACKLOSS",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "learning_rate": 0.1}),
            "learning_rate",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "epochs": 2_000_000}),
            "epochs",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "optimizer": "adamm"}),
            "adamm",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "lr": -1.0}),
            "lr",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "degree": 2}),
            "degree",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "resume": "/etc/passwd"}),
            "reads no files",
        ),
        (
            json!({"dataset": "stackloss", "target": "STACKLOSS", "checkpoint": "x.json"}),
            "writes no files",
        ),
        (json!({"dataset": "iris", "target": "species"}), "numeric"),
        (
            json!({"dataset": "iris", "target": "species", "model": "logistic"}),
            "softmax",
        ),
        (
            json!({"dataset": "stackloss", "csv": "a\n1\n", "target": "a"}),
            "either",
        ),
        (json!({"csv": "", "target": "a"}), "empty"),
        (json!(["not", "an", "object"]), "object"),
    ] {
        let (s, v) = refused(&app, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        let m = v["error"].as_str().unwrap();
        assert!(m.contains(needle) && !m.contains('\n'), "{body}: {m}");
    }
    // Malformed JSON.
    let (s, b) = send(
        &app,
        "/api/fit",
        "application/json",
        Body::from("{\"dataset\": "),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert!(!v["error"].as_str().unwrap().is_empty());
    // Uploads over the cap, as a table and inside a fit.
    let big = "x".repeat(downhill_serve::MAX_UPLOAD + downhill_serve::MAX_BODY + 10);
    let (s, _) = send(&app, "/api/table", "text/csv", Body::from(big.clone())).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let body = json!({"csv": big, "target": "x"}).to_string();
    let (s, _) = send(&app, "/api/fit", "application/json", Body::from(body)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_fits_queues_and_every_one_is_answered() {
    // Two workers for twelve fits: most wait for a permit.
    let app = downhill_serve::router(2);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = json!({"dataset": "stackloss", "target": "STACKLOSS", "optimizer": "adam",
                                  "batch_size": 4, "epochs": 200, "seed": i});
                fit(&app, body).await
            })
        })
        .collect();
    let mut costs = Vec::new();
    for t in tasks {
        let events = t.await.unwrap().unwrap();
        let done = event(&events, "done");
        costs.push(done["fit"]["cost"].as_f64().unwrap());
    }
    assert_eq!(costs.len(), 12);
    // Each seed shuffles its own way.
    costs.dedup();
    assert!(costs.len() > 1);
}

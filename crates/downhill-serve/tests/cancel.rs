//! A client that goes away cancels its run: over a real socket, a long fit (and a long race)
//! is started, the connection is dropped, and `GET /api/status` must then count the run
//! cancelled, short of the epochs it asked for, with its worker free again. No timing: the
//! status is polled until it says so, within a generous bound.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A server with `workers` workers on a free loopback port, on a runtime of its own.
fn server(workers: usize) -> (tokio::runtime::Runtime, SocketAddr) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, downhill_serve::router(workers)).await });
    (rt, addr)
}

/// Sends a POST with a JSON body; the server closes the connection after its answer if
/// `close`.
fn post(addr: SocketAddr, path: &str, body: &Value, close: bool) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "connection: close\r\n" } else { "" }
    )
    .unwrap();
    s
}

fn status(addr: SocketAddr) -> Value {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /api/status HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

/// Polls the status until `done` holds (at most a minute: a loaded machine is slow, but a
/// run that is never cancelled ends on its own limits well before).
fn wait_for(addr: SocketAddr, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let began = Instant::now();
    loop {
        let s = status(addr);
        if done(&s) {
            return s;
        }
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "still not {what}: {s}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_fit_whose_client_goes_away_is_cancelled_and_frees_its_worker() {
    let (_rt, addr) = server(1);
    let before = status(addr);
    assert_eq!(before["workers"], 1);
    assert_eq!(before["idle"], 1);
    assert_eq!(before["cancelled"], 0);
    // Full-batch gd (penalised: these classes are separable) that never meets its
    // tolerance: 10^6 epochs, far more than the fit's seconds allow, so that only a
    // cancellation ends it early.
    let body = json!({"dataset": "breast_cancer", "target": "diagnosis", "model": "logistic",
                      "optimizer": "gd", "lr": 1e-6, "l2": 1e-3, "gtol": 0,
                      "epochs": 1_000_000});
    let s = post(addr, "/api/fit", &body, false);
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    // Read up to the first epoch event: the fit is running.
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended");
        if line.trim() == "event: epoch" {
            break;
        }
    }
    let running = status(addr);
    if running["running"] != 1 {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        panic!("{running} {}", &rest[..rest.len().min(3000)]);
    }
    assert_eq!(running["idle"], 0, "{running}");
    drop(reader);
    let after = wait_for(addr, "cancelled", |s| {
        s["cancelled"] == 1 && s["running"] == 0 && s["idle"] == 1
    });
    assert_eq!(after["finished"], 0, "{after}");
    let last = &after["last_cancelled"];
    assert_eq!(last["route"], "/api/fit");
    assert_eq!(last["of"], 1_000_000);
    let epochs = last["epochs"].as_u64().unwrap();
    assert!(epochs < 1_000_000, "{after}");

    // The freed worker runs the next fit to its end.
    let short = json!({"dataset": "stackloss", "target": "STACKLOSS", "epochs": 50, "gtol": 0});
    let mut s = post(addr, "/api/fit", &short, true);
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.contains("event: done"), "{text}");
    wait_for(addr, "finished", |s| s["finished"] == 1 && s["idle"] == 1);
}

#[test]
fn a_race_whose_client_goes_away_is_cancelled_and_frees_its_worker() {
    let (_rt, addr) = server(1);
    // Eight first-order runs that never meet their tolerance, each up to its 3 s cap.
    let body = json!({"function": "rosenbrock", "lr": 1e-7, "gtol": 0, "epochs": 1_000_000,
        "optimizers": ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam"]});
    let s = post(addr, "/api/compare", &body, false);
    wait_for(addr, "running", |s| s["running"] == 1);
    drop(s);
    let after = wait_for(addr, "cancelled", |s| {
        s["cancelled"] == 1 && s["running"] == 0 && s["idle"] == 1
    });
    assert_eq!(after["finished"], 0, "{after}");
    let last = &after["last_cancelled"];
    assert_eq!(last["route"], "/api/compare");
    assert_eq!(last["of"], 8_000_000);
    assert!(last["epochs"].as_u64().unwrap() < 8_000_000, "{after}");
}

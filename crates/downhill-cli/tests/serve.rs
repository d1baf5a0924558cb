//! `downhill serve` itself: it prints its URL, serves the page there, ends cleanly on
//! Ctrl-C, and says in one line that a busy port is busy.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

/// `GET path` over plain HTTP/1.1: the status line and the body.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.lines().next().unwrap_or("").to_string();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

#[test]
fn serve_prints_its_url_serves_the_page_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_downhill"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "downhill playground at http://127.0.0.1:PORT/ (Ctrl-C to stop)"
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let (status, body) = get(&addr, "/");
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("<canvas"), "{body}");
    let (status, body) = get(&addr, "/api/datasets");
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("\"engel\""), "{body}");

    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_busy_port_is_one_line_and_a_failure() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_downhill"))
        .args(["serve", "--port", &port])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("port {port}")) && err.contains("busy"),
        "{err}"
    );
}

#[test]
fn another_host_is_warned_about() {
    // An address that is not this machine's cannot be bound: the warning comes first, then
    // the error, and the server never listens.
    let out = Command::new(env!("CARGO_BIN_EXE_downhill"))
        .args(["serve", "--host", "192.0.2.1", "--port", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: --host 192.0.2.1"), "{err}");
    assert!(!out.status.success(), "{err}");
}

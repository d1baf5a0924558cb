//! What the serve tests share: the `downhill` binary their answers are compared with.

use std::path::PathBuf;
use std::process::Command;

/// The `downhill` binary of this build (built here if the workspace's tests have not).
pub fn downhill() -> PathBuf {
    // scripts/test.sh names the binary its `cargo test` builds: a build from here would use
    // other features and wait on that run's lock.
    if let Some(bin) = std::env::var_os("DOWNHILL_BIN") {
        return PathBuf::from(bin);
    }
    let ok = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "downhill-cli",
            "--bin",
            "downhill",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cargo build -p downhill-cli failed");
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/api-HASH -> target/debug/downhill
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(format!("downhill{}", std::env::consts::EXE_SUFFIX))
}

//! Shared by the command-line test binaries: run the harness, read its JSON.

#![allow(
    dead_code,
    reason = "each test binary compiles this module and uses only part of it"
)]

use std::process::{Command, Output};

/// Runs the `xtask` binary built for this test run with `args`.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

/// The JSON a successful run printed on standard output.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON on stdout")
}

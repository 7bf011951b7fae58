//! Shared by the command-line tests: run the harness, read its JSON.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `xtask` binary built for this test run with `args`.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

/// Asserts exit code 2 and that stderr mentions every one of `needles`.
pub fn fails_naming(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr should name {n:?}: {err}");
    }
}

/// Writes `text` to `name` in a temporary folder of this test binary (`tag` keeps the
/// binaries apart) and returns its path.
pub fn tmp_file(tag: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("creditlab-{tag}-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
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

/// Checks `value` against a JSON Schema (creditlab-study's validator, shared with the
/// soak); returns every violation, each with its JSON path.
pub use creditlab_study::soak::schema_violations;

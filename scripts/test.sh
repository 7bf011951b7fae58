#!/usr/bin/env bash
# The test command README.md gives and CI runs: formatting, clippy, the whole Rust suite and
# the docs. Each later step sets up what it needs on a fresh machine itself.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser test (crates/creditlab-study/tests/browser.rs) opens report.html in headless
# Chromium and reads the printed PDF with pdftotext: install both where missing, as root
# (CI); otherwise say what to install (the test then skips with the same message).
if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update && apt-get install -y --no-install-recommends chromium poppler-utils
    else
        echo "browser test: install chromium and poppler-utils (apt-get install chromium poppler-utils)" >&2
    fi
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
scripts/test-python.sh

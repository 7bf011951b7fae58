#!/usr/bin/env bash
# The test command README.md gives and CI runs: formatting, clippy, the whole Rust suite and
# the docs. Each later step sets up what it needs on a fresh machine itself.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
scripts/test-python.sh

//! criterion benchmarks of creditlab's hot paths live in `benches/benches/`, one file per
//! topic (`harness = false`). `cargo xtask bench` runs them and writes docs/PERFORMANCE.md.

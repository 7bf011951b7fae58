//! criterion benchmarks of creditlab's hot paths live in `benches/benches/`, one file per
//! topic (`harness = false`). `cargo xtask bench` measures the same workloads in-process and
//! writes docs/PERFORMANCE.md.
//!
//! The workloads are defined here once, so the criterion benches and their documentation
//! agree on what is measured.

/// Loans in the plain Monte Carlo benchmark (`Portfolio::standard_book`).
pub const MC_LOANS: usize = 10_000;
/// Asset correlation of the plain Monte Carlo benchmark (one-factor Gaussian).
pub const MC_RHO: f64 = 0.2;
/// Scenarios per iteration of the plain Monte Carlo benchmark.
pub const MC_SCENARIOS: u64 = 20_000;
/// Loss level of the Glasserman-Li benchmark: `P(L > 0.27)` is about 1e-4.
pub const GL_LEVEL: f64 = 0.27;
/// Scenarios per iteration of the importance-sampling benchmark.
pub const GL_SCENARIOS: u64 = 2_000;
/// Seed of every benchmark.
pub const SEED: u64 = 2026;
/// Loans in the exact-recursion benchmark (`Portfolio::standard_book`: 5 PDs, 7 EADs).
pub const EXACT_LOANS: usize = 1_000;
/// Gauss-Hermite nodes of the exact-recursion benchmark.
pub const EXACT_NODES: usize = 64;

//! `cargo xtask fuzz` and `soak`: the campaigns of docs/RELIABILITY.md.
use crate::cli::{TaskError, TaskResult, write_stdout};
/// Runs scripts/fuzz.sh (AFL++ on creditlab_study::fuzz) with `--minutes N`, `--target T`.
pub fn fuzz(flags: Vec<String>) -> TaskResult {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fuzz.sh");
    let mut bash = std::process::Command::new("bash");
    let ok = bash.arg(script).args(flags).status()?.success();
    ok.then_some(()).ok_or(TaskError::msg("fuzzing failed"))
}

/// Runs creditlab_study::soak: `runs` quick studies from `seed` on `threads` (the sampled
/// thread comparisons choose their own); an error unless every one passed.
pub fn soak(runs: usize, seed: u64, threads: crate::cli::Threads) -> TaskResult {
    let spec = creditlab_study::soak::Soak {
        seed,
        ..creditlab_study::soak::Soak::new(runs)
    };
    let pool = threads.pool()?;
    let summary = pool.install(|| spec.run(&mut |l| eprintln!("{l}")))?;
    write_stdout(format_args!("{summary}\n"))
}

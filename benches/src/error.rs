//! The crate's error type: a workload that could not be built or run.

use thiserror::Error;

/// Why a measurement failed. The models' errors pass through unchanged.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A correlated-default model rejected the workload.
    #[error(transparent)]
    Contagion(#[from] creditlab_contagion::Error),
    /// The waterfall or its scenarios rejected the workload.
    #[error(transparent)]
    Pool(#[from] creditlab_pool::PoolError),
    /// The DeFi simulation rejected the workload.
    #[error(transparent)]
    Defi(#[from] creditlab_defi::DefiError),
    /// The study's built-in scenario could not be read.
    #[error(transparent)]
    Study(#[from] creditlab_study::StudyError),
    /// The one-thread pool of the Monte Carlo measurement could not be built.
    #[error("cannot build a thread pool: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
    /// A measured child process (`pipeline`, `loss`) could not be started or waited for.
    #[error("cannot {action} the {task}: {source}")]
    Child {
        /// The xtask task the child runs.
        task: &'static str,
        /// `run` or `wait for`.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A measured child process failed.
    #[error("the {task} failed: {status}")]
    ChildFailed {
        /// The xtask task the child runs.
        task: &'static str,
        /// How it ended.
        status: std::process::ExitStatus,
    },
    /// A workload's input file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, BenchError>;

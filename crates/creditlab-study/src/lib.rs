//! The study as a library: is DeFi lending subprime securitization again, per unit of money
//! lent? A [`Scenario`] (TOML, docs/schemas/scenario.md) says what to compare; [`Study::run`]
//! runs every stage (the two books, their cash flows, grading, diversification,
//! securitization and the CDO squared, the DeFi book as a lending pool, contagion through
//! clearing networks) and judges the thesis claim by claim ([`verdict`]); the result is plain
//! data, serialized as report.json and laid out as a report ([`Study::report`], rendered by
//! creditlab-report).
//!
//! What `cargo xtask pipeline` and `cargo xtask sweep` do is reachable here: a notebook, a
//! Python binding or a shard on another machine calls the same functions.
//!
//! ```
//! use creditlab_study::{Scenario, Study, progress::Silent};
//! let mut scenario = Scenario::builtin()?;
//! scenario.quicken(); // 500 loans per book, 200 DeFi paths
//! let study = Study::run(&scenario, &Silent)?;
//! assert_eq!(study.verdict.claims.len(), 8);
//! for claim in &study.verdict.claims {
//!     println!("claim {}: {}", claim.number, claim.judgement().as_str());
//! }
//! let out = std::env::temp_dir().join(format!("creditlab-doc-{}", std::process::id()));
//! study.write(&out)?;
//! assert!(out.join("report.html").exists());
//! # std::fs::remove_dir_all(&out).ok();
//! # Ok::<(), creditlab_study::StudyError>(())
//! ```

pub mod chain;
pub mod config;
pub mod contagion;
pub mod defi_pool;
mod error;
pub mod flips;
pub mod fuzz;
pub mod methodology;
pub mod originate;
mod output;
pub mod progress;
pub mod real_borrowers;
mod render;
mod render_chain;
pub mod rules;
pub mod scenario;
pub mod shard;
pub mod soak;
mod study;
pub mod sweep;
pub mod verdict;

pub use error::{Result, StudyError};
pub use output::{OUTPUT_MARKER, Overwrite, check_output, write_atomically, write_output};
pub use scenario::Scenario;
pub use study::*;

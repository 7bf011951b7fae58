//! DeFi lending as it runs on chain: the market its collateral trades in, the pool that
//! lends against it, and the Monte Carlo of the two together.
//!
//! - [`market`]: correlated jump-diffusions of collateral prices, scripted shocks such as
//!   March 2020, and a lagging oracle;
//! - [`impact`]: fire-sale price impact (a constant-product market maker, exponential
//!   impact) and its relaxation between steps;
//! - [`aave`]: Aave v3's published reserve configurations (Ethereum, 31 October 2023);
//! - [`lending`]: the pool's mechanics (Aave v3 and Compound): deposits and shares, the
//!   utilization-kink rate model, health factors, liquidations at a bonus, bad debt;
//! - [`simulation`]: the pool under a moving market, path by path: liquidation cascades with
//!   fire-sale feedback, depositor runs, a parallel deterministic Monte Carlo; each path
//!   runs one [`lending::LendingPool`], the pool's one balance sheet;
//! - [`shard`]: the Monte Carlo split into shards of paths, and their exact merge;
//! - [`stats`]: per-path figures summarized over paths, each with its Monte Carlo
//!   standard error;
//! - [`config`]: the simulation's config, the documented TOML as serde types
//!   (docs/schemas/defi-toml.md), and its one validator, whose errors carry the key's path.
//!
//! It knows loans only to turn a creditlab-loan book into positions
//! ([`config::positions_from_book`]); it knows nothing of grades, copulas or tranches.
//!
//! ```
//! use creditlab_defi::config::DefiSimConfig;
//! use creditlab_defi::simulation::simulate;
//! // 200 WETH positions through the March-2020 crash, 8 paths of seed 42.
//! let mut config = DefiSimConfig::example(200);
//! (config.paths, config.seed) = (8, 42);
//! let result = simulate(&config)?;
//! assert!(result.bad_debt.mean >= 0.0 && result.bad_debt.p999 <= 1.0);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

pub mod aave;
pub mod config;
mod error;
pub mod impact;
pub mod lending;
pub mod market;
pub mod methodology;
pub mod shard;
pub mod simulation;
pub mod stats;

/// The seed of a simulation, a type of its own (see [`simulation::DefiSim::run`]).
pub use creditlab_numerics::rng::Seed;
pub use error::{DefiError, Result};

//! A first program on creditlab-defi, using only its public API: a lending pool of 200
//! WETH positions through the March-2020 crash. Run it with
//! `cargo run -p creditlab-defi --example defi_quickstart`; `cargo test` runs it too.

use creditlab_defi::config::DefiSimConfig;
use creditlab_defi::simulation::simulate;

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_defi::DefiError> {
    let mut config = DefiSimConfig::example(200);
    (config.paths, config.seed) = (8, 42);
    let result = simulate(&config)?;
    println!(
        "bad debt: mean {:.4}%, 99.9% {:.4}% of the debt",
        100.0 * result.bad_debt.mean,
        100.0 * result.bad_debt.p999
    );
    Ok(())
}

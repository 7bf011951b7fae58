//! A first program on creditlab-pool, using only its public API: a capital structure over
//! a large-pool loss distribution, each tranche's risk, its rating on the master scale and
//! its securitization risk weight. Run it with
//! `cargo run -p creditlab-pool --example pool_quickstart`; `cargo test` runs it too.

use creditlab_contagion::LargePool;
use creditlab_pool::{CapitalStructure, MasterScale, capital, rate_by_default_probability};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_pool::PoolError> {
    // A pool of PD 2% over the horizon, asset correlation 15%, LGD 50%.
    let pool = LargePool::from_parameters(0.02, 0.15, 0.5)?;
    let s = CapitalStructure::new([
        ("equity", 0.0, 0.05),
        ("mezzanine", 0.05, 0.15),
        ("senior", 0.15, 1.0),
    ])?;
    let scale = MasterScale::standard();
    for r in s.risk(&pool, 0.0)? {
        let grade = rate_by_default_probability(&scale, r.default_probability.value, 1.0)?;
        let rw = capital::sec_sa_risk_weight(0.08, r.attach, r.detach, false)?;
        println!(
            "{:>9}: EL {:.4}%  P(loss) {:.4}%  grade {grade:?}  SEC-SA RW {:.0}%",
            r.name,
            100.0 * r.expected_loss.value,
            100.0 * r.default_probability.value,
            100.0 * rw
        );
    }
    Ok(())
}

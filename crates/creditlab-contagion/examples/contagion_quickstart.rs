//! A first program on creditlab-contagion, using only its public API: a portfolio, a
//! copula, four methods through one trait, and the tail by importance sampling. Run it
//! with `cargo run -p creditlab-contagion --example contagion_quickstart`; `cargo test` runs it too
//! (tests/tests.rs), so it keeps compiling and working.

use creditlab_contagion::{
    BinomialExpansion, Copula, ExactConfig, ExactLoss, ImportanceSampler, LargePool,
    LossDistribution, MonteCarlo, Portfolio, Scenarios, Seed, Tranche,
};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_contagion::Error> {
    // 500 loans: PDs 0.5% to 10%, EADs 1 to 7, LGD 45%; asset correlation 20%.
    let book = Portfolio::standard_book(500)?;
    let copula = Copula::gaussian(0.2)?;
    let methods: Vec<(&str, Box<dyn LossDistribution>)> = vec![
        (
            "large pool",
            Box::new(LargePool::pool_average(&book, &copula)?),
        ),
        (
            "exact",
            Box::new(ExactLoss::new(&book, &copula, &ExactConfig::default())?),
        ),
        (
            "binomial",
            Box::new(BinomialExpansion::new(&book, &copula)?),
        ),
        (
            "monte carlo",
            Box::new(MonteCarlo::new(&book, &copula)?.run(Seed(1), Scenarios::new(20_000)?)),
        ),
    ];
    let mezzanine = Tranche::new(0.03, 0.07)?;
    for (name, dist) in &methods {
        println!(
            "{name:>12}: EL {:.3}%  VaR 99.9% {:.2}%  mezzanine EL {:.3}%",
            100.0 * dist.expected_loss().value,
            100.0 * dist.value_at_risk(0.999)?.value,
            100.0 * dist.tranche(mezzanine).expected_loss.value
        );
    }
    let tail = ImportanceSampler::new(&book, &copula, 0.15)?.run(Seed(2), Scenarios::new(5_000)?);
    println!(
        "P(L > 15%) = {:.2e} ± {:.1e} (importance sampling)",
        tail.probability.value,
        tail.probability.std_error.unwrap_or(0.0)
    );
    Ok(())
}

//! criterion benchmarks of creditlab's hot paths live in `benches/benches/`, one file per
//! topic (`harness = false`). `cargo xtask bench` measures the same workloads in-process and
//! writes docs/PERFORMANCE.md.
//!
//! The workloads are defined here once, so the criterion benches and their documentation
//! agree on what is measured; [`measure`] runs and times them, [`markdown`] writes the page.

mod error;
pub mod markdown;
pub mod measure;

pub use error::{BenchError, Result};

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

/// Loans in the waterfall benchmark (a creditlab-loan synthetic bank book).
pub const WF_LOANS: usize = 10_000;
/// Scenarios of the waterfall benchmark (each its own Vasicek default rate).
pub const WF_SCENARIOS: usize = 1_000;

/// The waterfall benchmark's pool: `bank_book` of [`WF_LOANS`] loans (seed [`SEED`],
/// total principal 1e9) with each note rate rounded to the nearest eighth of a percent,
/// as note rates are quoted, so the loans merge into a few dozen cohorts.
pub fn waterfall_pool() -> Vec<creditlab_loan::Loan> {
    use creditlab_loan::synthetic::{BookSpec, bank_book};
    let book = bank_book(&BookSpec {
        loans: WF_LOANS,
        total_principal: Some(1.0e9),
        seed: SEED,
    })
    .expect("valid book");
    book.iter()
        .map(|r| {
            let l = &r.loan;
            let annual = (l.rate().current() * 800.0).round() / 800.0;
            creditlab_loan::Loan::new(
                l.id(),
                l.principal(),
                creditlab_loan::Rate::Fixed { annual },
                l.term_months(),
                l.amortization(),
                l.channel(),
                l.recourse(),
            )
            .expect("valid loan")
        })
        .collect()
}

/// The waterfall benchmark's deal: five notes (70/10/7/5/3% of the 1e9 pool, coupons 4-10%)
/// with OC and IC tests, 50 bp senior fees, pro rata principal with a 5% loss trigger, a
/// reserve and a 10% clean-up call.
pub fn waterfall_deal() -> creditlab_pool::waterfall::Waterfall {
    use creditlab_pool::waterfall::{NoteSpec, PrincipalRule, ReserveSpec, Waterfall};
    let notes = [
        ("A", 0.70, 0.04),
        ("B", 0.10, 0.05),
        ("C", 0.07, 0.06),
        ("D", 0.05, 0.08),
        ("E", 0.03, 0.10),
    ]
    .iter()
    .map(|&(n, f, c)| NoteSpec {
        name: n.into(),
        balance: f * 1.0e9,
        coupon: c,
        oc_trigger: Some(1.02),
        ic_trigger: Some(1.05),
    })
    .collect();
    Waterfall::new(
        notes,
        0.005,
        PrincipalRule::ProRata { loss_trigger: 0.05 },
        ReserveSpec {
            initial: 10.0e6,
            target_fraction: 0.01,
            floor: 5.0e6,
        },
        0.1,
    )
    .expect("valid deal")
}

/// One run of the waterfall benchmark: cohorts of `loans`, [`WF_SCENARIOS`] Vasicek
/// scenarios (CDR 2%, rho 0.15, CPR 8%, 12-month recovery lag, 40% severity) projected at
/// pool level over 360 months, then the waterfall of `deal` over every scenario. Returns
/// the senior note's expected loss.
pub fn waterfall_run(
    loans: &[creditlab_loan::Loan],
    deal: &creditlab_pool::waterfall::Waterfall,
) -> f64 {
    use creditlab_pool::cohort::{Cohorts, cohort_scenarios};
    let cohorts = Cohorts::new(loans).expect("loans");
    let flows = cohort_scenarios(
        &cohorts,
        &creditlab_loan::Prepayment::Cpr(0.08),
        0.02,
        &creditlab_contagion::Copula::gaussian(0.15).expect("a correlation"),
        12,
        0.4,
        false,
        WF_SCENARIOS,
        SEED,
    )
    .expect("valid assumptions");
    deal.simulate(&flows).expect("runs")[0].expected_loss
}

/// Positions in the DeFi lending-pool benchmark (a creditlab-loan synthetic DeFi book).
pub const DEFI_POSITIONS: usize = 10_000;
/// Price paths of the DeFi benchmark.
pub const DEFI_PATHS: u64 = 1_000;
/// Steps per path of the DeFi benchmark: one day of five-minute steps.
pub const DEFI_STEPS: usize = 288;
/// Step length of the DeFi benchmark, in hours (five minutes).
pub const DEFI_STEP_HOURS: f64 = 5.0 / 60.0;

/// The DeFi benchmark's pool: `defi_book` of [`DEFI_POSITIONS`] positions (seed [`SEED`],
/// total principal 1e9) on one WETH-like asset (Aave v3 risk parameters, 2,000 per ETH,
/// 80% volatility, 10 jumps a year of mean log size -5%), 80% utilization, a USDC-like
/// rate curve, a constant-product fire-sale market holding the total debt in cash, a
/// one-step oracle delay, liquidation capacity 5% of the debt per hour, runs on a
/// share-price drop; [`DEFI_STEPS`] five-minute steps, no scripted shock (a calm day: the
/// ordering by liquidation price is what keeps a step from touching every position).
pub fn defi_config() -> creditlab_defi::config::DefiSimConfig {
    use creditlab_defi::config::{BookConfig, DefiSimConfig, ImpactConfig, positions_from_book};
    use creditlab_loan::synthetic::{BookSpec, defi_book};
    let book = defi_book(&BookSpec {
        loans: DEFI_POSITIONS,
        total_principal: Some(1.0e9),
        seed: SEED,
    })
    .expect("valid book");
    let mut c = DefiSimConfig::example(1);
    c.book = BookConfig::positions(
        positions_from_book(&book, &c.assets).expect("positions within the LTV"),
    );
    // Cash side of the fire-sale market: the total debt (1e9).
    c.assets[0].impact = ImpactConfig::ConstantProduct {
        depth: 1.0,
        fee: 0.003,
    };
    c.market.horizon_hours = DEFI_STEPS as f64 * DEFI_STEP_HOURS;
    c.market.step_hours = DEFI_STEP_HOURS;
    c.market.oracle_delay_hours = DEFI_STEP_HOURS;
    c.market.impact_half_life_hours = 0.5;
    // The workload as it was measured before deficit accounting and the reference oracle.
    c.market.oracle_source = creditlab_defi::config::OracleSource::Amm;
    c.pool.bad_debt_accounting = creditlab_defi::lending::BadDebtAccounting::SharePrice;
    c.calm()
}

/// Positions of the year-long DeFi benchmark.
pub const DEFI_YEAR_POSITIONS: usize = 10_000;
/// Paths of the year-long DeFi benchmark.
pub const DEFI_YEAR_PATHS: u64 = 20;

/// The year-long DeFi benchmark: the market and pool of the default `scenarios/defi.toml`
/// (WETH and WBTC with Aave v3's parameters of 31 October 2023, 8,760 hourly steps, crash
/// days common to both assets, the March-2020 shape at a random hour, deficit accounting,
/// runs on the deficit), built here from the same numbers, with its costlier option,
/// profit-driven liquidators with its gas, on a `defi_book` of [`DEFI_YEAR_POSITIONS`]
/// positions.
pub fn defi_year_config() -> creditlab_defi::config::DefiSimConfig {
    use creditlab_defi::config::{
        AssetConfig, BookConfig, CrashDaysConfig, DefiSimConfig, GasConfig, ImpactConfig,
        Liquidators, RandomShockConfig, RunSignal, ShockKind, positions_from_book,
    };
    use creditlab_defi::market::AssetDynamics;
    use creditlab_loan::synthetic::{BookSpec, defi_book};
    let impact = ImpactConfig::ConstantProduct {
        depth: 1.0,
        fee: 0.003,
    };
    let asset = |name: &str, price: f64, vol: f64, crash: (f64, f64)| {
        let mut a = AssetConfig::new(
            creditlab_defi::aave::collateral(name).expect("in Aave's table"),
            price,
            AssetDynamics::new(0.0, vol, 0.0, 0.0, 0.0).expect("valid dynamics"),
            impact,
        );
        (a.crash_jump_mean, a.crash_jump_sd) = crash;
        a
    };
    let mut c = DefiSimConfig::example(1);
    c.assets = vec![
        asset("WETH", 2000.0, 0.7644, (-0.1403, 0.0413)),
        asset("WBTC", 30_000.0, 0.6197, (-0.1014, 0.0354)),
    ];
    c.pool.initial_reserve = 0.005;
    c.pool.rates = creditlab_defi::aave::rates("USDC").expect("in Aave's table");
    c.market.step_hours = 1.0;
    c.market.horizon_hours = 8760.0;
    c.market.correlation = vec![vec![1.0, 0.727], vec![0.727, 1.0]];
    c.market.oracle_delay_hours = 0.0;
    c.market.impact_half_life_hours = 1.0;
    c.market.shock = ShockKind::None;
    c.market.crash_days = Some(CrashDaysConfig {
        per_year: 8.86,
        correlation: vec![vec![1.0, 0.375], vec![0.375, 1.0]],
    });
    c.market.random_shock = Some(RandomShockConfig {
        shape: ShockKind::March2020,
        knots: None,
        per_year: 0.1528,
    });
    c.liquidation.liquidators = Liquidators::Profit;
    c.liquidation.gas = Some(GasConfig {
        units: 600_000.0,
        gwei: 13.0,
        peak_multiplier: 6.0,
        reference_fall: 0.4235,
        eth_price: 2000.0,
    });
    c.runs.signal = RunSignal::Deficit;
    c.runs.cohorts = 100;
    c.runs.thresholds = creditlab_defi::config::ThresholdDistribution::LogNormal {
        median: 0.001,
        sigma: 1.0,
    };
    let book = defi_book(&BookSpec {
        loans: DEFI_YEAR_POSITIONS,
        total_principal: Some(1.0e9),
        seed: SEED,
    })
    .expect("valid book");
    c.book = BookConfig::positions(
        positions_from_book(&book, &c.assets).expect("positions within the LTV"),
    );
    c
}

/// One run of the DeFi benchmark: [`DEFI_PATHS`] paths of `sim`; returns the mean
/// liquidation volume per unit of debt.
pub fn defi_run(sim: &creditlab_defi::simulation::DefiSim) -> f64 {
    sim.run(DEFI_PATHS, creditlab_defi::Seed(SEED))
        .expect("valid path count")
        .liquidation_volume
        .mean
}

/// Loans of the benchmark loan tape (issue 12: `Portfolio::benchmark_book`).
pub const TAPE_LOANS: usize = 100_000;
/// Sectors of the multi-sector variant of the tape (`Copula::benchmark(TAPE_SECTORS)`:
/// distinct loadings per sector).
pub const TAPE_SECTORS: usize = 10;
/// Scenarios per timed run of the tape workloads.
pub const TAPE_SCENARIOS: u64 = 10_000;
/// Scenarios of the numpy peer on the one-factor tape: it costs one normal per loan and
/// scenario, so fewer scenarios give the same loan-scenarios per second in less time.
pub const PEER_SCENARIOS: u64 = 500;
/// Tranches of the tape workloads: `cargo xtask loss`'s default tiling.
pub const TAPE_TRANCHES: [(f64, f64); 6] = [
    (0.0, 0.03),
    (0.03, 0.07),
    (0.07, 0.1),
    (0.1, 0.15),
    (0.15, 0.3),
    (0.3, 1.0),
];
/// Tail points `P(L > x)` of the tape workloads: `cargo xtask loss`'s defaults.
pub const TAPE_TAIL: [f64; 3] = [0.05, 0.1, 0.2];

/// The benchmark tape of `sectors` sectors ([`TAPE_LOANS`] loans, seed [`SEED`]) and its
/// copula.
pub fn tape(
    sectors: usize,
) -> Result<(creditlab_contagion::Portfolio, creditlab_contagion::Copula)> {
    Ok((
        creditlab_contagion::Portfolio::benchmark_book(TAPE_LOANS, sectors, SEED)?,
        creditlab_contagion::Copula::benchmark(sectors)?,
    ))
}

/// Writes a one-factor tape to `path` as the numpy peer reads it
/// (`benches/peers/tape_mc.py`): a header `ead,pd,lgd,threshold` and one row per loan, the
/// threshold `Phi^-1(pd)` as `copula` computes it, every number in Rust's shortest
/// round-trip form (so the peer simulates exactly this book).
pub fn write_tape_csv(
    book: &creditlab_contagion::Portfolio,
    copula: &creditlab_contagion::Copula,
    path: &std::path::Path,
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let thresholds = copula.thresholds(book.pd());
    let mut text = String::from("ead,pd,lgd,threshold\n");
    for (i, threshold) in thresholds.iter().enumerate() {
        let _ = writeln!(
            text,
            "{},{},{},{threshold}",
            book.ead()[i],
            book.pd()[i],
            book.lgd()[i].mean(),
        );
    }
    std::fs::write(path, text)
}

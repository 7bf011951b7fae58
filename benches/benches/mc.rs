//! Plain Monte Carlo on the standard book (10,000 loans, Gaussian rho 0.2) and on issue 12's
//! benchmark loan tape (100,000 loans with a PD, EAD and LGD each; one-factor and 10
//! sectors). Throughput is reported in loan-scenarios (loans x scenarios) per second.

use creditlab_benches::{MC_LOANS, MC_RHO, MC_SCENARIOS, SEED, TAPE_LOANS, TAPE_SECTORS};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{Copula, LossDistribution, Portfolio};
use creditlab_contagion::{Scenarios, Seed};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn plain_mc(c: &mut Criterion) {
    let book = Portfolio::standard_book(MC_LOANS).expect("valid book");
    let copula = Copula::gaussian(MC_RHO).expect("valid rho");
    let mc = MonteCarlo::new(&book, &copula).expect("supported model");
    let mut g = c.benchmark_group("mc");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(MC_LOANS as u64 * MC_SCENARIOS));
    g.bench_function("standard_book_10000_gaussian_0.2", |b| {
        b.iter(|| {
            black_box(
                mc.run(
                    Seed(SEED),
                    Scenarios::new(MC_SCENARIOS).expect("a positive scenario count"),
                )
                .expected_loss(),
            )
        })
    });
    g.finish();
}

/// Scenarios per iteration of the tape benches: a tenth of `cargo xtask bench`'s, so that
/// criterion's ten samples stay within its measurement time.
const TAPE_BENCH_SCENARIOS: u64 = 1_000;

fn tape_mc(c: &mut Criterion) {
    let mut g = c.benchmark_group("mc_tape");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(
            TAPE_LOANS as u64 * TAPE_BENCH_SCENARIOS,
        ));
    for sectors in [1, TAPE_SECTORS] {
        let (book, copula) = creditlab_benches::tape(sectors).expect("valid tape");
        let mc = MonteCarlo::new(&book, &copula).expect("supported model");
        g.bench_function(
            format!("benchmark_tape_{TAPE_LOANS}_{sectors}_sectors"),
            |b| {
                b.iter(|| {
                    black_box(
                        mc.run(
                            Seed(SEED),
                            Scenarios::new(TAPE_BENCH_SCENARIOS)
                                .expect("a positive scenario count"),
                        )
                        .value_at_risk(0.999)
                        .expect("a valid level"),
                    )
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, plain_mc, tape_mc);
criterion_main!(benches);

//! Plain Monte Carlo on the standard book: 10,000 loans, Gaussian rho 0.2. Throughput is
//! reported in loan-scenarios (loans x scenarios) per second.

use creditlab_benches::{MC_LOANS, MC_RHO, MC_SCENARIOS, SEED};
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

criterion_group!(benches, plain_mc);
criterion_main!(benches);

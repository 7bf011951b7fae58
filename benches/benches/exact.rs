//! The exact finite-pool recursion (Andersen-Sidenius-Basu) on 1,000 heterogeneous loans
//! (the standard book: 5 PDs, 7 EADs), one-factor Gaussian rho 0.2, 64 Gauss-Hermite nodes.

use creditlab_benches::{EXACT_LOANS, EXACT_NODES, MC_RHO};
use creditlab_contagion::{Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn exact(c: &mut Criterion) {
    let book = Portfolio::standard_book(EXACT_LOANS).expect("valid book");
    let copula = Copula::gaussian(MC_RHO).expect("valid rho");
    let config = ExactConfig {
        nodes: EXACT_NODES,
        ..ExactConfig::default()
    };
    let mut g = c.benchmark_group("exact");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("standard_book_1000_gaussian_64_nodes", |b| {
        b.iter(|| {
            black_box(
                ExactLoss::new(&book, &copula, &config)
                    .expect("supported")
                    .expected_loss(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, exact);
criterion_main!(benches);

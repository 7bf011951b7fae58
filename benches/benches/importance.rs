//! Glasserman-Li importance sampling of P(L > 0.27) on their 10-factor, 1,000-obligor
//! portfolio (about 1e-4).

use creditlab_benches::{GL_LEVEL, GL_SCENARIOS, SEED};
use creditlab_contagion::importance::{ImportanceSampler, glasserman_li_portfolio};
use creditlab_contagion::{Scenarios, Seed};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn glasserman_li(c: &mut Criterion) {
    let (book, copula) = glasserman_li_portfolio().expect("valid portfolio");
    let mut g = c.benchmark_group("importance");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("glasserman_li_shift", |b| {
        b.iter(|| black_box(ImportanceSampler::new(&book, &copula, GL_LEVEL).expect("supported")))
    });
    let is = ImportanceSampler::new(&book, &copula, GL_LEVEL).expect("supported");
    g.throughput(Throughput::Elements(GL_SCENARIOS));
    g.bench_function("glasserman_li_2000_scenarios", |b| {
        b.iter(|| {
            black_box(
                is.run(
                    Seed(SEED),
                    Scenarios::new(GL_SCENARIOS).expect("a positive scenario count"),
                )
                .probability,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, glasserman_li);
criterion_main!(benches);

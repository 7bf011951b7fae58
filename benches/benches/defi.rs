//! The DeFi lending pool over a calm day: 10,000 positions x 1,000 price paths x 288
//! five-minute steps (liquidations, fire sales, runs), the Monte Carlo timed whole; and
//! over a year: 10,000 positions x 20 paths x 8,760 hourly steps of the default
//! scenario's market (crash days, a random March 2020, profit-driven liquidators).

use creditlab_benches::{DEFI_YEAR_PATHS, SEED, defi_config, defi_run, defi_year_config};
use creditlab_defi::simulation::DefiSim;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn defi(c: &mut Criterion) {
    let sim = DefiSim::new(&defi_config()).expect("valid config");
    let mut g = c.benchmark_group("defi");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.bench_function("positions_10000_paths_1000_steps_288", |b| {
        b.iter(|| black_box(defi_run(&sim)))
    });
    let year = DefiSim::new(&defi_year_config()).expect("valid config");
    g.bench_function("positions_10000_paths_20_steps_8760", |b| {
        b.iter(|| {
            black_box(
                year.run(DEFI_YEAR_PATHS, creditlab_defi::Seed(SEED))
                    .expect("runs")
                    .loss
                    .mean,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, defi);
criterion_main!(benches);

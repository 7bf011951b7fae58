//! The waterfall of a 10,000-loan, 360-month deal with five notes over 1,000 scenarios:
//! cohort aggregation, per-scenario pool-level projection and the waterfall, all timed.

use creditlab_benches::{waterfall_deal, waterfall_pool, waterfall_run};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn waterfall(c: &mut Criterion) {
    let loans = waterfall_pool();
    let deal = waterfall_deal();
    let mut g = c.benchmark_group("waterfall");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("loans_10000_months_360_notes_5_scenarios_1000", |b| {
        b.iter(|| black_box(waterfall_run(&loans, &deal)))
    });
    g.finish();
}

criterion_group!(benches, waterfall);
criterion_main!(benches);

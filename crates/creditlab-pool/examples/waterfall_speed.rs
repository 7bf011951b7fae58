//! Times the waterfall on the benchmark shape: 1,000 scenarios of 360 months of
//! pool-level collections through five notes (`cargo run --release --example waterfall_speed`).

use creditlab_pool::waterfall::{
    NoteSpec, PoolFlows, PoolPeriod, PrincipalRule, ReserveSpec, Waterfall,
};
use std::time::Instant;

fn main() {
    let notes = [
        ("A", 70.0, 0.04),
        ("B", 10.0, 0.05),
        ("C", 7.0, 0.06),
        ("D", 5.0, 0.08),
        ("E", 3.0, 0.10),
    ]
    .iter()
    .map(|&(n, b, c)| NoteSpec {
        name: n.into(),
        balance: b * 1e6,
        coupon: c,
        oc_trigger: Some(1.02),
        ic_trigger: Some(1.05),
    })
    .collect();
    let reserve = ReserveSpec {
        initial: 1e6,
        target_fraction: 0.01,
        floor: 0.5e6,
    };
    let w = Waterfall::new(
        notes,
        0.005,
        PrincipalRule::ProRata { loss_trigger: 0.05 },
        reserve,
        0.1,
    )
    .expect("valid deal");
    let scenarios: Vec<PoolFlows> = (0..1000)
        .map(|s| {
            let loss = 0.0002 * (s % 50) as f64;
            let mut b = 100.0e6;
            let periods = (0..360)
                .map(|_| {
                    let (i, p, l) = (b * 0.07 / 12.0, b * 0.01, b * loss);
                    b -= p + l;
                    PoolPeriod {
                        interest: i,
                        principal: p,
                        losses: l,
                        collateral_balance: b,
                    }
                })
                .collect();
            PoolFlows {
                opening_balance: 100.0e6,
                periods,
            }
        })
        .collect();
    let t = Instant::now();
    let stats = w.simulate(&scenarios).expect("runs");
    println!(
        "{:?} for 1000 scenarios; senior EL {:.6}",
        t.elapsed(),
        stats[0].expected_loss
    );
}

//! `cargo xtask originate`: claim 1 over time, the bank that sells its loans as notes
//! against the same bank holding them (docs/methodology/originate.md).

use crate::cli::{Table, TaskResult, out, outln, print_json};
use creditlab_study::originate::{self, OriginateSpec};
use creditlab_study::rules::Measured;
use std::path::PathBuf;

/// Flags of `cargo xtask originate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An originate TOML (docs/schemas/originate-toml.md); the built-in
    /// scenarios/originate.toml without it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of the credit-cycle paths (the default study's seed plus 6 without it, as in
    /// the pipeline).
    #[arg(long)]
    seed: Option<u64>,
    /// Override the number of paths.
    #[arg(long)]
    paths: Option<u64>,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

fn pm(m: Measured, digits: usize) -> String {
    format!("{:.digits$} ± {:.digits$}", m.value, m.se)
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let mut spec = match &args.config {
        Some(path) => {
            let text = creditlab_study::config::read(path)?;
            OriginateSpec::parse(&text, &path.display().to_string())?
        }
        None => OriginateSpec::default(),
    };
    if let Some(paths) = args.paths {
        spec.paths = paths;
    }
    let (bytes, seconds) = spec.estimated_cost();
    crate::guard::check(&crate::guard::Cost {
        what: format!(
            "originate on {} paths x {} quarters",
            spec.paths, spec.quarters
        ),
        bytes,
        seconds,
    })?;
    let seed = args.seed.unwrap_or_else(|| {
        creditlab_study::Scenario::builtin()
            .map(|s| s.seed.wrapping_add(6))
            .unwrap_or(6)
    });
    let pool = args.threads.pool()?;
    let s = pool.install(|| originate::study(&spec, seed))?;
    let (w, h) = (&s.with_securitization, &s.without);
    if args.json {
        return print_json(&s.json());
    }
    let mut t = Table::new(["over the horizon", "sells its notes", "holds its loans"]);
    t.row([
        "money lent".into(),
        pm(w.originated, 2),
        pm(h.originated, 2),
    ]);
    t.row([
        "share sold".into(),
        pm(w.share_sold, 3),
        pm(h.share_sold, 3),
    ]);
    t.row([
        "assets / equity at the end".into(),
        pm(w.leverage_end, 2),
        pm(h.leverage_end, 2),
    ]);
    t.row([
        "return on equity, a year".into(),
        pm(w.return_on_equity, 4),
        pm(h.return_on_equity, 4),
    ]);
    t.row([
        "losses borne by the bank".into(),
        pm(w.losses_bank, 3),
        pm(h.losses_bank, 3),
    ]);
    t.row([
        "losses borne by investors".into(),
        pm(w.losses_investors, 3),
        pm(h.losses_investors, 3),
    ]);
    for (y, (a, b)) in w.pd_by_vintage.iter().zip(&h.pd_by_vintage).enumerate() {
        t.row([
            format!("PD of vintage year {}", y + 1),
            pm(*a, 4),
            pm(*b, 4),
        ]);
    }
    out!("{t}");
    outln!(
        "lending ratio (sells / holds) {}, PD ratio {} ({} quarters, {} paths, seed {seed})",
        pm(s.ratio, 3),
        pm(s.pd_ratio, 3),
        s.quarters,
        s.paths
    );
    let mut t = Table::new(["variant", "lending ratio", "PD ratio", "share sold"]);
    for c in &s.cases {
        t.row([
            c.name.clone(),
            pm(c.ratio, 3),
            pm(c.pd_ratio, 3),
            pm(c.share_sold, 3),
        ]);
    }
    out!("{t}");
    outln!(
        "DeFi pool: lending at the end {} of the start; deposits shrink in {} of quarters",
        pm(s.defi.growth, 3),
        pm(s.defi.shrinking_quarters, 3)
    );
    outln!(
        "accuracy: balance sheets balance to {:.0e} of assets; tabulated fair spreads within \
         {:.2e} a year of the closed form",
        s.max_imbalance.max(1e-16),
        s.spread_table_error
    );
    Ok(())
}

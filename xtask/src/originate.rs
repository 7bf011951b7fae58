//! `cargo xtask originate`: claim 1 over time, the bank that sells its loans as notes
//! against the same bank holding them (docs/methodology/originate.md).

use crate::cli::{Table, TaskResult, out, outln, print_json};
use creditlab_study::originate::{self, OriginateSpec, OriginateStudy};
use creditlab_study::rules::Measured;
use serde::Serialize;
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
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// The JSON of the task: the headline keys, then the whole study.
#[derive(Serialize)]
struct Json<'a> {
    originate_to_distribute: Headline,
    detail: &'a OriginateStudy,
}

#[derive(Serialize)]
struct Headline {
    originated_with_securitization: f64,
    originated_with_securitization_se: f64,
    originated_without: f64,
    originated_without_se: f64,
    ratio: f64,
    ratio_se: f64,
    pd_ratio: f64,
    pd_ratio_se: f64,
    pd_by_vintage_with: Vec<f64>,
    pd_by_vintage_without: Vec<f64>,
    leverage_with: f64,
    leverage_without: f64,
    cases: Vec<CaseJson>,
}

#[derive(Serialize)]
struct CaseJson {
    name: String,
    ratio: f64,
    ratio_se: f64,
    pd_ratio: f64,
}

fn values(v: &[Measured]) -> Vec<f64> {
    v.iter().map(|m| m.value).collect()
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
    // Every path's two banks are kept until the means are taken: about 16 series of
    // `quarters` numbers each, for twelve pairs (the scenario and its variants); about
    // 3 microseconds a bank-quarter on two cores.
    let bank_quarters = (spec.paths as f64) * (spec.quarters as f64) * 2.0 * 12.0;
    crate::guard::check(&crate::guard::Cost {
        what: format!(
            "originate on {} paths x {} quarters",
            spec.paths, spec.quarters
        ),
        bytes: (spec.paths as f64) * (spec.quarters as f64) * 2.0 * 16.0 * 8.0,
        seconds: bank_quarters * 3e-6,
    })?;
    let seed = args.seed.unwrap_or_else(|| {
        creditlab_study::Scenario::builtin()
            .map(|s| s.seed.wrapping_add(6))
            .unwrap_or(6)
    });
    let s = originate::study(&spec, seed)?;
    let (w, h) = (&s.with_securitization, &s.without);
    if args.json {
        return print_json(&Json {
            originate_to_distribute: Headline {
                originated_with_securitization: w.originated.value,
                originated_with_securitization_se: w.originated.se,
                originated_without: h.originated.value,
                originated_without_se: h.originated.se,
                ratio: s.ratio.value,
                ratio_se: s.ratio.se,
                pd_ratio: s.pd_ratio.value,
                pd_ratio_se: s.pd_ratio.se,
                pd_by_vintage_with: values(&w.pd_by_vintage),
                pd_by_vintage_without: values(&h.pd_by_vintage),
                leverage_with: w.leverage_end.value,
                leverage_without: h.leverage_end.value,
                cases: s
                    .cases
                    .iter()
                    .map(|c| CaseJson {
                        name: c.name.clone(),
                        ratio: c.ratio.value,
                        ratio_se: c.ratio.se,
                        pd_ratio: c.pd_ratio.value,
                    })
                    .collect(),
            },
            detail: &s,
        });
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

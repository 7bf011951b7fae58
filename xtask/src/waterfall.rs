//! `cargo xtask waterfall --deal FILE`: the month-by-month cash flows of every note for one
//! scenario, from the deal's `[waterfall]` section (docs/schemas/deal-toml.md), or with
//! `--scenarios N` each note's statistics over copula scenarios (creditlab-pool's
//! `DealSpec::run_waterfall` and `DealSpec::simulate_waterfall`).

use crate::cli::{Table, TaskResult, print_json};
use crate::cli::{out, outln};
use crate::guard::Cost;
use crate::tranche::DealFile;
use creditlab_contagion::CopulaSpec;
use creditlab_loan::DefaultRate;
use std::path::PathBuf;

/// Flags of `cargo xtask waterfall`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The deal file (TOML, docs/schemas/deal-toml.md) with a `[waterfall]` section.
    #[arg(long)]
    deal: PathBuf,
    /// Instead of the one scenario: simulate this many, each with its own constant CDR,
    /// the pool's default rate conditional on one draw of the copula's systematic state
    /// around the scenario's `default` (which must be a `cdr`), and print each note's
    /// expected loss, P(loss), WAL and yield percentiles.
    #[arg(long, default_value_t = 0)]
    scenarios: usize,
    /// Asset correlation of the CDR draws (with --scenarios).
    #[arg(long, default_value_t = 0.15)]
    rho: f64,
    /// One-factor copula of the CDR draws (with --scenarios): gaussian (Vasicek), t:NU or
    /// double-t:NU_M,NU_Z.
    #[arg(long, default_value = "gaussian")]
    copula: CopulaSpec,
    /// Seed of the draws (with --scenarios).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// Print JSON (every month, amounts in cents) instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let file = DealFile::read(&args.deal)?;
    let w = file.spec.waterfall_spec().map_err(|e| file.error(e))?;
    file.spec.validate().map_err(|e| file.error(e))?;
    if args.scenarios > 0 {
        // Each scenario holds its pool's monthly flows (8 series of f64) and the notes'
        // results while the statistics are formed; about 1 ms each on two cores.
        let months = f64::from(w.collateral.term_months);
        let n = args.scenarios as f64;
        crate::guard::check(&Cost {
            what: format!("waterfall --scenarios {}", args.scenarios),
            bytes: n * (months * 8.0 * 8.0 + w.notes.len() as f64 * 256.0),
            seconds: n * 1e-3,
        })?;
        let copula = crate::pricing::one_factor_copula(&args.copula, args.rho)?;
        let pool = args.threads.pool()?;
        let stats = pool
            .install(|| {
                file.spec
                    .simulate_waterfall(&copula, args.scenarios, args.seed)
            })
            .map_err(|e| file.error(e))?;
        if args.json {
            return print_json(&stats);
        }
        let pct = |y: &[f64], q: f64| {
            if y.is_empty() {
                "-".to_string()
            } else {
                let i = ((y.len() - 1) as f64 * q).round() as usize;
                format!("{:.3}%", 100.0 * y[i])
            }
        };
        let mut t = Table::new([
            "note",
            "expected loss",
            "P(loss)",
            "mean WAL",
            "yield 5%",
            "yield 50%",
            "yield 95%",
        ]);
        for n in &stats {
            t.row([
                n.name.clone(),
                format!("{:.6}", n.expected_loss),
                format!("{:.4}", n.probability_of_loss),
                n.mean_wal.map_or("-".into(), |w| format!("{w:.3}")),
                pct(&n.yields, 0.05),
                pct(&n.yields, 0.5),
                pct(&n.yields, 0.95),
            ]);
        }
        let cdr = match w.scenario.default_rate() {
            DefaultRate::Cdr(cdr) => *cdr,
            _ => f64::NAN,
        };
        outln!(
            "{} scenarios, CDR drawn around {cdr} with rho {} ({} copula)",
            args.scenarios,
            args.rho,
            args.copula
        );
        out!("{t}");
        return Ok(());
    }
    let run = file.spec.run_waterfall().map_err(|e| file.error(e))?;
    if args.json {
        return print_json(&run);
    }
    let names: Vec<String> = w.notes.iter().map(|n| n.name.clone()).collect();
    let mut header = vec!["month".to_string(), "collected".into(), "fees".into()];
    for n in &names {
        header.push(format!("{n} int"));
        header.push(format!("{n} prin"));
        header.push(format!("{n} bal"));
    }
    header.extend(["reserve".into(), "residual".into(), "tests".into()]);
    let money = |c: i64| format!("{:.2}", c as f64 / 100.0);
    let mut t = Table::new(header);
    for p in &run.periods {
        let mut row = vec![p.month.to_string(), money(p.collected), money(p.fees_paid)];
        for i in 0..names.len() {
            row.push(money(p.interest_paid[i]));
            row.push(money(p.principal_paid[i]));
            row.push(money(p.note_balance[i]));
        }
        let fail = p.oc_pass.iter().chain(&p.ic_pass).any(|ok| !ok);
        row.push(money(p.reserve_balance));
        row.push(money(p.residual));
        row.push(format!(
            "{}{}{}",
            if fail { "fail" } else { "pass" },
            if p.sequential { " seq" } else { "" },
            if p.called { " called" } else { "" }
        ));
        t.row(row);
    }
    out!("{t}");
    let mut s = Table::new(["note", "loss", "WAL (years)", "yield"]);
    for n in &run.notes {
        s.row([
            n.name.clone(),
            format!("{:.6}", n.loss),
            n.wal.map_or("-".into(), |w| format!("{w:.3}")),
            n.yield_rate
                .map_or("-".into(), |y| format!("{:.4}%", 100.0 * y)),
        ]);
    }
    out!("{s}");
    Ok(())
}

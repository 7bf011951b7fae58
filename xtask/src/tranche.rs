//! `cargo xtask tranche --deal FILE [--el-scale FILE]`: per tranche expected loss, default
//! probability, rating (by default probability, S&P style, and by expected loss, Moody's
//! style) and SEC-SA capital of a deal described in TOML (docs/schemas/deal-toml.md).
//!
//! The deal spec, its validation and the analysis are creditlab-pool's
//! (`creditlab_pool::deal`); this task reads the file, turns an error's field path into the
//! file's line, and prints.
//!
//! The expected-loss rating uses creditlab's built-in scale (derived from the PD master
//! scale; not Moody's table) unless `--el-scale` loads a table, TOML or CSV (formats in
//! creditlab_pool::el_scale).

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use creditlab_pool::deal::DealSpec;
use creditlab_pool::{ExpectedLossScale, PoolError};
use creditlab_study::config::{line_of, parse_toml, read};
use std::path::{Path, PathBuf};

/// A deal file read and parsed, with its text for locating errors.
pub(crate) struct DealFile {
    /// The file as given on the command line.
    pub origin: String,
    /// Its text.
    pub text: String,
    /// The parsed spec (not yet validated).
    pub spec: DealSpec,
}

impl DealFile {
    /// Reads and parses `path` strictly; errors name the file, the line and the key.
    pub fn read(path: &Path) -> Result<Self, TaskError> {
        let origin = path.display().to_string();
        let text = read(path)?;
        let spec = parse_toml(&text, &origin)?;
        Ok(Self { origin, text, spec })
    }

    /// `e` as `FILE, line N: field = value: reason`, the line of the error's field when the
    /// file has it.
    pub fn error(&self, e: PoolError) -> TaskError {
        let at = e
            .field()
            .and_then(|f| line_of(&self.text, f))
            .map_or(String::new(), |l| format!(", line {l}"));
        TaskError::msg(format!("{}{at}: {e}", self.origin))
    }
}

/// Flags of `cargo xtask tranche`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The deal file (TOML, docs/schemas/deal-toml.md).
    #[arg(long)]
    deal: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// An expected-loss rating table, e.g. a licensed Moody's table: TOML (`horizons`,
    /// `[[grade]]` with `name` and `el`) or CSV when named `.csv` (`grade,T1,T2,...` then one
    /// row per grade); default creditlab's built-in scale.
    #[arg(long, value_name = "FILE")]
    el_scale: Option<PathBuf>,
    /// Seed of the Monte Carlo draws (method `mc`), in place of the deal's `model.seed`.
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    threads: crate::cli::Threads,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let mut file = DealFile::read(&args.deal)?;
    if let (Some(seed), Some(model)) = (args.seed, file.spec.model.as_mut()) {
        model.seed = seed;
    }
    let el_scale = match &args.el_scale {
        Some(path) => ExpectedLossScale::load(path).map_err(|e| TaskError::msg(e.to_string()))?,
        None => ExpectedLossScale::standard(),
    };
    // What the deal's model will cost (crate::guard), with the loss task's rates: Monte
    // Carlo 5 ns a loan and scenario, the exact recursion at its default budget.
    if let Some(model) = &file.spec.model {
        let names = file.spec.pool.as_ref().map_or(0, |p| {
            p.names.unwrap_or(0) + p.segments.iter().map(|s| s.count).sum::<usize>()
        }) as f64;
        let scenarios = model.scenarios as f64;
        let (bytes, seconds) = match model.method {
            creditlab_pool::deal::LossMethod::MonteCarlo => {
                (scenarios * 16.0, scenarios * names * 5e-9)
            }
            creditlab_pool::deal::LossMethod::Exact => {
                let budget = creditlab_contagion::ExactConfig::default().max_work;
                (0.0, crate::loss::exact_seconds(names, budget))
            }
        };
        crate::guard::check(&crate::guard::Cost {
            what: format!("tranche on {} loans ({} method)", names, model.method),
            bytes: names * 256.0 + bytes,
            seconds,
        })?;
    }
    // The analysis checks the sections it needs, then validates the whole deal.
    let pool = args.threads.pool()?;
    let output = pool
        .install(|| file.spec.tranche_analysis(&el_scale))
        .map_err(|e| file.error(e))?;
    if args.json {
        return print_json(&output);
    }
    let mut t = Table::new([
        "tranche",
        "attach",
        "detach",
        "expected loss",
        "P(any loss)",
        "LGD",
        "rating",
        "EL rating",
        "risk weight",
    ]);
    for r in &output.tranches {
        t.row([
            r.name.clone(),
            format!("{:.4}", r.attach),
            format!("{:.4}", r.detach),
            format!("{:.6}", r.expected_loss),
            format!("{:.6}", r.default_probability),
            r.loss_given_default
                .map_or("-".into(), |l| format!("{:.4}", l)),
            r.rating.to_string(),
            r.el_rating.to_string(),
            r.risk_weight
                .map_or("-".into(), |w| format!("{:.2}%", 100.0 * w)),
        ]);
    }
    outln!(
        "{} ({} method, {}-year horizon): pool expected loss {:.6}",
        output.deal.as_deref().unwrap_or("deal"),
        output.method,
        output.horizon,
        output.pool_expected_loss
    );
    out!("{t}");
    outln!(
        "rating: by P(any loss) on the master scale; EL rating: by expected loss on {}",
        output.el_scale
    );
    if !output.stress.is_empty() {
        outln!("\nmodel risk (Gaussian copula, exact finite pool): P(any loss) and rating");
        let deal = &file.spec;
        let base_pd = deal.pool.as_ref().and_then(|p| p.pd).unwrap_or(f64::NAN);
        let rho = deal.model.as_ref().map_or(f64::NAN, |m| m.rho);
        let mut header = vec![format!("tranche (rated at pd {base_pd}, rho {rho})")];
        header.push("base".into());
        for p in &deal.stress {
            header.push(format!("pd {}, rho {}", p.pd, p.rho));
        }
        let mut t = Table::new(header);
        for r in &output.stress {
            let cell = |m: &creditlab_pool::stress::TrancheUnderModel| {
                format!("{:.6} {}", m.default_probability, m.rating)
            };
            let mut row = vec![r.name.clone(), cell(&r.base)];
            row.extend(r.stressed.iter().map(cell));
            t.row(row);
        }
        out!("{t}");
    }
    Ok(())
}

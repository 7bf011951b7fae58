//! `cargo xtask irb`: Basel IRB capital K and risk weight of one exposure.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use creditlab_grade::irb::AssetClass;
use creditlab_grade::report::IrbReport;
use std::str::FromStr;

/// Flags of `cargo xtask irb`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Asset class: corporate, sme:SALES_MEUR (e.g. sme:5), mortgage, qrre or other-retail.
    #[arg(long, value_parser = AssetClass::from_str)]
    class: AssetClass,
    /// One-year probability of default, in [0, 1] (floored at 0.03%).
    #[arg(long)]
    pd: f64,
    /// Loss given default, in [0, 1].
    #[arg(long)]
    lgd: f64,
    /// Effective maturity in years (corporate and SME only; clamped to [1, 5]).
    #[arg(long, default_value_t = 2.5)]
    maturity: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Checks a flag's value is a probability.
fn check_unit(flag: &str, v: f64) -> TaskResult {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(TaskError::msg(format!("{flag} must be in [0, 1], got {v}")))
    }
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    check_unit("--pd", args.pd)?;
    check_unit("--lgd", args.lgd)?;
    if !(args.maturity.is_finite() && args.maturity > 0.0) {
        return Err(TaskError::msg(format!(
            "--maturity must be a positive number of years, got {}",
            args.maturity
        )));
    }
    let c = IrbReport::new(args.class, args.pd, args.lgd, args.maturity)?;
    if args.json {
        return print_json(&c);
    }
    let mut t = Table::new(["quantity", "value"]);
    t.row([
        "pd (floored)".to_string(),
        format!("{:.4}%", 100.0 * c.pd_used),
    ]);
    t.row(["lgd".to_string(), format!("{:.2}%", 100.0 * args.lgd)]);
    t.row(["correlation R".to_string(), format!("{:.4}", c.correlation)]);
    t.row([
        "maturity adjustment".to_string(),
        format!("{:.4}", c.maturity_adjustment),
    ]);
    t.row(["k".to_string(), format!("{:.6}", c.k)]);
    t.row([
        "risk_weight".to_string(),
        format!("{:.2}%", 100.0 * c.risk_weight),
    ]);
    out!("{t}");
    outln!("risk weight = 12.5 × K (Basel II Annex 5 convention, no 1.06 scaling factor)");
    Ok(())
}

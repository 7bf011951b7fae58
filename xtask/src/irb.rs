//! `cargo xtask irb`: Basel IRB capital K and risk weight of one exposure.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_grade::irb::{self, AssetClass};
use serde::Serialize;

/// Flags of `cargo xtask irb`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Asset class: corporate, sme:SALES_MEUR (e.g. sme:5), mortgage, qrre or other-retail.
    #[arg(long, value_parser = parse_class)]
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

/// Parses `--class`.
fn parse_class(s: &str) -> Result<AssetClass, String> {
    match s {
        "corporate" => Ok(AssetClass::Corporate),
        "mortgage" => Ok(AssetClass::ResidentialMortgage),
        "qrre" => Ok(AssetClass::QualifyingRevolving),
        "other-retail" => Ok(AssetClass::OtherRetail),
        _ => {
            if let Some(sales) = s.strip_prefix("sme:") {
                let sales_meur: f64 = sales
                    .parse()
                    .map_err(|_| format!("SME sales {sales:?} is not a number (EUR million)"))?;
                if !(sales_meur.is_finite() && sales_meur >= 0.0) {
                    return Err(format!("SME sales {sales_meur} must be >= 0 (EUR million)"));
                }
                Ok(AssetClass::Sme { sales_meur })
            } else {
                Err(format!(
                    "unknown class {s:?}: expected corporate, sme:SALES_MEUR, mortgage, qrre or \
                     other-retail"
                ))
            }
        }
    }
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output {
    asset_class: AssetClass,
    pd: f64,
    pd_used: f64,
    lgd: f64,
    maturity: f64,
    correlation: f64,
    maturity_adjustment: f64,
    k: f64,
    risk_weight: f64,
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
    let c = irb::capital(args.class, args.pd, args.lgd, args.maturity)?;
    let out = Output {
        asset_class: args.class,
        pd: args.pd,
        pd_used: c.pd,
        lgd: args.lgd,
        maturity: args.maturity,
        correlation: c.correlation,
        maturity_adjustment: c.maturity_adjustment,
        k: c.k,
        risk_weight: c.risk_weight,
    };
    if args.json {
        return print_json(&out);
    }
    let mut t = Table::new(["quantity", "value"]);
    t.row(["pd (floored)".to_string(), format!("{:.4}%", 100.0 * c.pd)]);
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
    print!("{t}");
    println!("risk weight = 12.5 × K (Basel II Annex 5 convention, no 1.06 scaling factor)");
    Ok(())
}

//! `cargo xtask tranche --deal FILE`: per tranche expected loss, default probability,
//! rating and SEC-SA capital of a deal described in TOML (docs/schemas/deal-toml.md).
//!
//! The deal file is shared with `cargo xtask waterfall`, which reads its `[waterfall]`
//! section; this task reads `[pool]`, `[model]`, `[capital]` and `[[tranches]]`.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{Copula, LossDistribution, Portfolio};
use creditlab_grade::MasterScale;
use creditlab_pool::capital::{IrbaPool, SecIrba};
use creditlab_pool::pricing::HomogeneousBasket;
use creditlab_pool::stress::{ModelPoint, ModelRisk, model_risk};
use creditlab_pool::waterfall::{NoteSpec, PrincipalRule, ReserveSpec};
use creditlab_pool::{CapitalStructure, capital, rate_by_default_probability};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A deal file (docs/schemas/deal-toml.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Deal {
    /// The deal's name, printed with the results.
    #[serde(default)]
    pub name: Option<String>,
    pub pool: Option<PoolSpec>,
    pub model: Option<ModelSpec>,
    pub capital: Option<CapitalSpec>,
    pub tranches: Option<Vec<TrancheSpec>>,
    pub waterfall: Option<WaterfallSpec>,
    /// Model-risk stresses: the tranches re-measured at other PDs and correlations.
    #[serde(default)]
    pub stress: Vec<StressSpec>,
}

/// One stressed model point (one-factor Gaussian, exact finite pool).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StressSpec {
    pub pd: f64,
    pub rho: f64,
}

/// A homogeneous pool: `names` equal exposures with one PD over `horizon` and one LGD.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolSpec {
    pub names: usize,
    pub pd: f64,
    pub lgd: f64,
    pub horizon: f64,
}

/// The default model and loss method.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelSpec {
    pub rho: f64,
    #[serde(default = "default_copula")]
    pub copula: String,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_scenarios")]
    pub scenarios: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_copula() -> String {
    "gaussian".into()
}
fn default_method() -> String {
    "exact".into()
}
fn default_scenarios() -> u64 {
    100_000
}
fn default_seed() -> u64 {
    1
}

/// SEC-SA inputs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapitalSpec {
    /// `K_A` (SEC-SA) or `K_IRB` (SEC-IRBA) of the pool.
    pub ka: f64,
    #[serde(default)]
    pub resecuritization: bool,
    /// `sec-sa` (default) or `sec-irba`.
    #[serde(default = "default_approach")]
    pub approach: String,
    /// SEC-IRBA: retail pool (default wholesale).
    #[serde(default)]
    pub retail: bool,
}

fn default_approach() -> String {
    "sec-sa".into()
}

/// One tranche, junior first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrancheSpec {
    pub name: String,
    pub attach: f64,
    pub detach: f64,
}

/// The cash-flow waterfall of `cargo xtask waterfall`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaterfallSpec {
    pub collateral: CollateralSpec,
    pub scenario: creditlab_loan::Assumptions,
    #[serde(default)]
    pub fee_rate: f64,
    pub principal: PrincipalRule,
    pub reserve: Option<ReserveSpec>,
    #[serde(default)]
    pub cleanup_call: f64,
    pub notes: Vec<NoteSpec>,
}

/// The representative loan of the collateral pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CollateralSpec {
    pub balance: f64,
    pub coupon: f64,
    pub term_months: u32,
}

/// Reads and parses a deal file; errors name the file (and TOML's line and column).
pub(crate) fn read_deal(path: &Path) -> Result<Deal, TaskError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| TaskError::msg(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| TaskError::msg(format!("{}: {e}", path.display())))
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
}

#[derive(Debug, Serialize)]
struct TrancheOut {
    name: String,
    attach: f64,
    detach: f64,
    expected_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_loss_std_error: Option<f64>,
    default_probability: f64,
    loss_given_default: Option<f64>,
    rating: String,
    /// SEC-SA risk weight (1.0 = 100%), `null` without a `[capital]` section.
    risk_weight: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Output {
    deal: Option<String>,
    method: String,
    horizon: f64,
    pool_expected_loss: f64,
    tranches: Vec<TrancheOut>,
    /// Model risk: each tranche at the deal's PD and rho and at every `[[stress]]` point.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stress: Vec<ModelRisk>,
}

/// Parses the model's copula string.
fn copula(m: &ModelSpec, file: &str) -> Result<Copula, TaskError> {
    let bad = |why: String| TaskError::msg(format!("{file}: model.copula {:?}: {why}", m.copula));
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| bad(format!("{v:?} is not a number")))
    };
    let c = if m.copula == "gaussian" {
        Copula::gaussian(m.rho)
    } else if let Some(nu) = m.copula.strip_prefix("t:") {
        Copula::student_t(m.rho, num(nu)?)
    } else if let Some(nus) = m.copula.strip_prefix("double-t:") {
        let (a, b) = nus
            .split_once(',')
            .ok_or_else(|| bad("expected double-t:NU_M,NU_Z".into()))?;
        Copula::double_t(m.rho, num(a)?, num(b)?)
    } else {
        return Err(bad("expected gaussian, t:NU or double-t:NU_M,NU_Z".into()));
    };
    c.map_err(|e| TaskError::msg(format!("{file}: model: {e}")))
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let file = args.deal.display().to_string();
    let deal = read_deal(&args.deal)?;
    let missing = |s: &str| TaskError::msg(format!("{file}: the deal has no [{s}] section"));
    let pool = deal.pool.as_ref().ok_or_else(|| missing("pool"))?;
    let model = deal.model.as_ref().ok_or_else(|| missing("model"))?;
    let tranches = deal
        .tranches
        .as_ref()
        .ok_or_else(|| missing("[tranches]"))?;
    let structure = CapitalStructure::new(
        tranches
            .iter()
            .map(|t| (t.name.clone(), t.attach, t.detach)),
    )
    .map_err(|e| TaskError::msg(format!("{file}: {e}")))?;
    let in_file = |e: String| TaskError::msg(format!("{file}: {e}"));
    if !(pool.horizon.is_finite() && pool.horizon > 0.0) {
        return Err(in_file(format!(
            "pool.horizon {} must be > 0",
            pool.horizon
        )));
    }
    if !(0.0..=1.0).contains(&pool.pd) || !(0.0..=1.0).contains(&pool.lgd) {
        return Err(in_file("pool.pd and pool.lgd must be in [0, 1]".into()));
    }
    let copula = copula(model, &file)?;
    let dist: Box<dyn LossDistribution> = match model.method.as_str() {
        "exact" => {
            if pool.pd >= 1.0 || pool.lgd <= 0.0 {
                return Err(in_file(
                    "method exact needs pool.pd < 1 and pool.lgd > 0".into(),
                ));
            }
            let hazard = -(-pool.pd).ln_1p() / pool.horizon;
            let basket = HomogeneousBasket::new(pool.names, hazard, 1.0 - pool.lgd, copula)
                .map_err(|e| in_file(format!("pool: {e}")))?;
            Box::new(
                basket
                    .loss_distribution(pool.horizon)
                    .map_err(|e| in_file(e.to_string()))?,
            )
        }
        "mc" => {
            let portfolio = Portfolio::homogeneous(pool.names, pool.pd, pool.lgd)
                .map_err(|e| in_file(format!("pool: {e}")))?;
            if model.scenarios == 0 {
                return Err(in_file("model.scenarios must be > 0".into()));
            }
            Box::new(
                MonteCarlo::new(&portfolio, &copula)
                    .map_err(|e| in_file(format!("model: {e}")))?
                    .run(model.seed, model.scenarios),
            )
        }
        other => {
            return Err(in_file(format!(
                "model.method {other:?}: expected exact or mc"
            )));
        }
    };
    let scale = MasterScale::standard();
    let risks = structure
        .risk(dist.as_ref(), 0.0)
        .map_err(|e| in_file(e.to_string()))?;
    let mut out = Vec::with_capacity(risks.len());
    for r in risks {
        let rating = rate_by_default_probability(&scale, r.default_probability.value, pool.horizon)
            .map_err(|e| in_file(format!("tranche {}: {e}", r.name)))?;
        let risk_weight = match &deal.capital {
            Some(c) if c.approach == "sec-sa" => Some(
                capital::sec_sa_risk_weight(c.ka, r.attach, r.detach, c.resecuritization)
                    .map_err(|e| in_file(format!("capital: {e}")))?,
            ),
            Some(c) if c.approach == "sec-irba" => {
                if c.resecuritization {
                    return Err(in_file(
                        "capital: re-securitizations are not eligible for sec-irba".into(),
                    ));
                }
                let t = SecIrba {
                    kirb: c.ka,
                    attach: r.attach,
                    detach: r.detach,
                    n: pool.names as f64,
                    lgd: pool.lgd,
                    maturity: pool.horizon,
                    pool: if c.retail {
                        IrbaPool::Retail
                    } else {
                        IrbaPool::Wholesale
                    },
                    senior: r.detach >= 1.0,
                };
                Some(
                    t.risk_weight()
                        .map_err(|e| in_file(format!("capital: {e}")))?,
                )
            }
            Some(c) => {
                return Err(in_file(format!(
                    "capital.approach {:?}: expected sec-sa or sec-irba",
                    c.approach
                )));
            }
            None => None,
        };
        out.push(TrancheOut {
            name: r.name,
            attach: r.attach,
            detach: r.detach,
            expected_loss: r.expected_loss.value,
            expected_loss_std_error: r.expected_loss.std_error,
            default_probability: r.default_probability.value,
            loss_given_default: r.loss_given_default,
            rating: rating.to_string(),
            risk_weight,
        });
    }
    let stress = if deal.stress.is_empty() {
        Vec::new()
    } else {
        let points: Vec<ModelPoint> = deal
            .stress
            .iter()
            .map(|p| ModelPoint {
                pd: p.pd,
                rho: p.rho,
            })
            .collect();
        let base = ModelPoint {
            pd: pool.pd,
            rho: model.rho,
        };
        model_risk(
            &structure,
            pool.names,
            pool.lgd,
            pool.horizon,
            base,
            &points,
            &scale,
        )
        .map_err(|e| in_file(format!("stress: {e}")))?
    };
    let output = Output {
        deal: deal.name,
        method: model.method.clone(),
        horizon: pool.horizon,
        pool_expected_loss: dist.expected_loss().value,
        tranches: out,
        stress,
    };
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
            r.rating.clone(),
            r.risk_weight
                .map_or("-".into(), |w| format!("{:.2}%", 100.0 * w)),
        ]);
    }
    println!(
        "{} ({} method, {}-year horizon): pool expected loss {:.6}",
        output.deal.as_deref().unwrap_or("deal"),
        output.method,
        output.horizon,
        output.pool_expected_loss
    );
    print!("{t}");
    if !output.stress.is_empty() {
        println!("\nmodel risk (Gaussian copula, exact finite pool): P(any loss) and rating");
        let mut header = vec![format!(
            "tranche (rated at pd {}, rho {})",
            pool.pd, model.rho
        )];
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
        print!("{t}");
    }
    Ok(())
}

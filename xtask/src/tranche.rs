//! `cargo xtask tranche --deal FILE [--el-scale FILE]`: per tranche expected loss, default
//! probability, rating (by default probability, S&P style, and by expected loss, Moody's
//! style) and SEC-SA capital of a deal described in TOML (docs/schemas/deal-toml.md).
//!
//! The expected-loss rating uses creditlab's built-in scale (derived from the PD master
//! scale; not Moody's table) unless `--el-scale` loads a table, TOML or CSV (formats in
//! creditlab_pool::el_scale).
//!
//! The deal file is shared with `cargo xtask waterfall`, which reads its `[waterfall]`
//! section; this task reads `[pool]`, `[model]`, `[capital]` and `[[tranches]]`.
//!
//! The pool is homogeneous (`names`, `pd`, `lgd`) or a list of segments
//! (`[[pool.segments]]`: `count`, `ead`, `pd`, `lgd`), whose loss distribution comes from
//! contagion's exact recursion or Monte Carlo over the heterogeneous portfolio.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{
    Copula, ExactConfig, ExactLoss, Exposure, Lgd, LossDistribution, Portfolio,
};
use creditlab_grade::MasterScale;
use creditlab_pool::capital::{IrbaPool, SecIrba};
use creditlab_pool::pricing::HomogeneousBasket;
use creditlab_pool::stress::{ModelPoint, ModelRisk, model_risk};
use creditlab_pool::waterfall::{NoteSpec, PrincipalRule, ReserveSpec};
use creditlab_pool::{
    CapitalStructure, ExpectedLossScale, capital, rate_by_default_probability,
    rate_by_expected_loss,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;

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
    /// The file's text, to turn the byte spans of checked keys into line numbers.
    #[serde(skip)]
    pub source: String,
}

impl Deal {
    /// The 1-based line of byte offset `at` in the file.
    fn line(&self, at: usize) -> usize {
        1 + self
            .source
            .get(..at)
            .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count())
    }
}

/// One stressed model point (one-factor Gaussian, exact finite pool).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StressSpec {
    pub pd: f64,
    pub rho: f64,
}

/// The pool over `horizon` years: homogeneous (`names` equal exposures with one PD and one
/// LGD) or heterogeneous (`segments`). Values keep their spans so errors give the line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolSpec {
    pub names: Option<Spanned<usize>>,
    pub pd: Option<Spanned<f64>>,
    pub lgd: Option<Spanned<f64>>,
    pub horizon: Spanned<f64>,
    #[serde(default)]
    pub segments: Vec<SegmentSpec>,
}

/// `count` equal exposures of `ead` each, with one PD over the horizon and one LGD.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentSpec {
    pub count: Spanned<usize>,
    pub ead: Spanned<f64>,
    pub pd: Spanned<f64>,
    pub lgd: Spanned<f64>,
}

/// A validated pool.
#[derive(Debug, Clone, PartialEq)]
enum Pool {
    /// `names` equal exposures.
    Homogeneous { names: usize, pd: f64, lgd: f64 },
    /// `(count, ead, pd, lgd)` segments.
    Segments(Vec<(usize, f64, f64, f64)>),
}

impl Pool {
    /// The pool as contagion's portfolio (EAD 1 each when homogeneous).
    fn portfolio(&self) -> Result<Portfolio, creditlab_contagion::Error> {
        match self {
            Pool::Homogeneous { names, pd, lgd } => Portfolio::homogeneous(*names, *pd, *lgd),
            Pool::Segments(segments) => {
                Portfolio::new(segments.iter().flat_map(|&(count, ead, pd, lgd)| {
                    (0..count).map(move |_| Exposure::new(ead, pd, Lgd::Constant(lgd)))
                }))
            }
        }
    }

    /// SEC-IRBA's effective number of exposures `(sum EAD)^2 / sum EAD^2` and
    /// exposure-weighted average LGD.
    fn effective_n_and_lgd(&self) -> (f64, f64) {
        match self {
            Pool::Homogeneous { names, lgd, .. } => (*names as f64, *lgd),
            Pool::Segments(segments) => {
                let (mut sum, mut sum_sq, mut loss) = (0.0, 0.0, 0.0);
                for &(count, ead, _, lgd) in segments {
                    let n = count as f64;
                    sum += n * ead;
                    sum_sq += n * ead * ead;
                    loss += n * ead * lgd;
                }
                (sum * sum / sum_sq, loss / sum)
            }
        }
    }
}

/// Validates `[pool]`: either `names`, `pd` and `lgd`, or one or more `[[pool.segments]]`,
/// each with `count >= 1`, `ead > 0`, `pd` and `lgd` in [0, 1]. Errors give the file, the
/// line and the key.
fn resolve_pool(deal: &Deal, pool: &PoolSpec, file: &str) -> Result<Pool, TaskError> {
    let at = |span: std::ops::Range<usize>, what: String| {
        TaskError::msg(format!("{file}:{}: {what}", deal.line(span.start)))
    };
    let horizon = *pool.horizon.get_ref();
    if !(horizon.is_finite() && horizon > 0.0) {
        return Err(at(
            pool.horizon.span(),
            format!("pool.horizon = {horizon}: must be > 0 (years)"),
        ));
    }
    let unit = |key: &str, v: &Spanned<f64>| {
        let x = *v.get_ref();
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(at(v.span(), format!("{key} = {x}: must be in [0, 1]")))
        }
    };
    if pool.segments.is_empty() {
        let (Some(names), Some(pd), Some(lgd)) = (&pool.names, &pool.pd, &pool.lgd) else {
            let missing: Vec<&str> = [
                ("names", pool.names.is_none()),
                ("pd", pool.pd.is_none()),
                ("lgd", pool.lgd.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            return Err(TaskError::msg(format!(
                "{file}: [pool] lacks {}: give names, pd and lgd (a homogeneous pool) or one \
                 or more [[pool.segments]] with count, ead, pd and lgd",
                missing.join(", ")
            )));
        };
        if *names.get_ref() == 0 {
            return Err(at(names.span(), "pool.names = 0: must be >= 1".into()));
        }
        return Ok(Pool::Homogeneous {
            names: *names.get_ref(),
            pd: unit("pool.pd", pd)?,
            lgd: unit("pool.lgd", lgd)?,
        });
    }
    let homogeneous_key = [
        ("names", pool.names.as_ref().map(|v| v.span())),
        ("pd", pool.pd.as_ref().map(|v| v.span())),
        ("lgd", pool.lgd.as_ref().map(|v| v.span())),
    ]
    .into_iter()
    .find_map(|(k, span)| span.map(|s| (k, s)));
    if let Some((key, span)) = homogeneous_key {
        return Err(at(
            span,
            format!(
                "pool.{key}: a pool has either names, pd and lgd (homogeneous) or \
                 [[pool.segments]], not both"
            ),
        ));
    }
    let mut segments = Vec::with_capacity(pool.segments.len());
    for (i, seg) in pool.segments.iter().enumerate() {
        let key = |k: &str| format!("[[pool.segments]] #{}: {k}", i + 1);
        let count = *seg.count.get_ref();
        if count == 0 {
            return Err(at(
                seg.count.span(),
                format!("{} = 0: must be >= 1", key("count")),
            ));
        }
        let ead = *seg.ead.get_ref();
        if !(ead.is_finite() && ead > 0.0) {
            return Err(at(
                seg.ead.span(),
                format!("{} = {ead}: must be finite and > 0", key("ead")),
            ));
        }
        segments.push((
            count,
            ead,
            unit(&key("pd"), &seg.pd)?,
            unit(&key("lgd"), &seg.lgd)?,
        ));
    }
    Ok(Pool::Segments(segments))
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
    let mut deal: Deal =
        toml::from_str(&text).map_err(|e| TaskError::msg(format!("{}: {e}", path.display())))?;
    deal.source = text;
    Ok(deal)
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
    /// Grade of the expected loss over the horizon on the expected-loss scale.
    el_rating: String,
    /// SEC-SA risk weight (1.0 = 100%), `null` without a `[capital]` section.
    risk_weight: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Output {
    deal: Option<String>,
    method: String,
    horizon: f64,
    pool_expected_loss: f64,
    /// Where the expected-loss scale comes from (the built-in one or the loaded file).
    el_scale: String,
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
    let el_scale = match &args.el_scale {
        Some(path) => ExpectedLossScale::load(path).map_err(|e| TaskError::msg(e.to_string()))?,
        None => ExpectedLossScale::standard(),
    };
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
    let resolved = resolve_pool(&deal, pool, &file)?;
    let horizon = *pool.horizon.get_ref();
    let copula = copula(model, &file)?;
    let dist: Box<dyn LossDistribution> = match (model.method.as_str(), &resolved) {
        ("exact", Pool::Homogeneous { names, pd, lgd }) => {
            if *pd >= 1.0 || *lgd <= 0.0 {
                return Err(in_file(
                    "method exact needs pool.pd < 1 and pool.lgd > 0".into(),
                ));
            }
            let hazard = -(-pd).ln_1p() / horizon;
            let basket = HomogeneousBasket::new(*names, hazard, 1.0 - lgd, copula)
                .map_err(|e| in_file(format!("pool: {e}")))?;
            Box::new(
                basket
                    .loss_distribution(horizon)
                    .map_err(|e| in_file(e.to_string()))?,
            )
        }
        ("exact", Pool::Segments(_)) => {
            let portfolio = resolved
                .portfolio()
                .map_err(|e| in_file(format!("pool.segments: {e}")))?;
            Box::new(
                ExactLoss::new(&portfolio, &copula, &ExactConfig::default())
                    .map_err(|e| in_file(format!("model: {e}")))?,
            )
        }
        ("mc", _) => {
            let portfolio = resolved
                .portfolio()
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
        (other, _) => {
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
        let rating = rate_by_default_probability(&scale, r.default_probability.value, horizon)
            .map_err(|e| in_file(format!("tranche {}: {e}", r.name)))?;
        let el_rating = rate_by_expected_loss(&el_scale, r.expected_loss.value, horizon)
            .map_err(|e| in_file(format!("tranche {}: expected-loss rating: {e}", r.name)))?;
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
                let (n, lgd) = resolved.effective_n_and_lgd();
                let t = SecIrba {
                    kirb: c.ka,
                    attach: r.attach,
                    detach: r.detach,
                    n,
                    lgd,
                    maturity: horizon,
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
            el_rating: el_rating.to_string(),
            risk_weight,
        });
    }
    let stress = match (&resolved, deal.stress.is_empty()) {
        (_, true) => Vec::new(),
        (Pool::Segments(_), false) => {
            return Err(in_file(
                "[[stress]] re-measures a homogeneous pool (pool.names, pd, lgd); this deal's \
                 pool is given by [[pool.segments]]"
                    .into(),
            ));
        }
        (Pool::Homogeneous { names, pd, lgd }, false) => {
            let points: Vec<ModelPoint> = deal
                .stress
                .iter()
                .map(|p| ModelPoint {
                    pd: p.pd,
                    rho: p.rho,
                })
                .collect();
            let base = ModelPoint {
                pd: *pd,
                rho: model.rho,
            };
            model_risk(&structure, *names, *lgd, horizon, base, &points, &scale)
                .map_err(|e| in_file(format!("stress: {e}")))?
        }
    };
    let output = Output {
        deal: deal.name,
        method: model.method.clone(),
        horizon,
        pool_expected_loss: dist.expected_loss().value,
        el_scale: el_scale.source().to_string(),
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
            r.rating.clone(),
            r.el_rating.clone(),
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
    println!(
        "rating: by P(any loss) on the master scale; EL rating: by expected loss on {}",
        output.el_scale
    );
    if !output.stress.is_empty() {
        println!("\nmodel risk (Gaussian copula, exact finite pool): P(any loss) and rating");
        let base_pd = match &resolved {
            Pool::Homogeneous { pd, .. } => *pd,
            Pool::Segments(_) => f64::NAN,
        };
        let mut header = vec![format!(
            "tranche (rated at pd {base_pd}, rho {})",
            model.rho
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_give_sec_irba_its_effective_n_and_weighted_lgd() {
        // 60 x 1.0 at LGD 40% and 40 x 2.5 at LGD 50%: sum EAD 160, sum EAD^2 310.
        let pool = Pool::Segments(vec![(60, 1.0, 0.03, 0.4), (40, 2.5, 0.08, 0.5)]);
        let (n, lgd) = pool.effective_n_and_lgd();
        assert!((n - 160.0 * 160.0 / 310.0).abs() < 1e-9, "{n}");
        assert!((lgd - (24.0 + 50.0) / 160.0).abs() < 1e-12, "{lgd}");
        let p = pool.portfolio().unwrap();
        assert_eq!(p.len(), 100);
        assert!((p.expected_loss() - 4.72 / 160.0).abs() < 1e-12);
        let h = Pool::Homogeneous {
            names: 30,
            pd: 0.1,
            lgd: 0.45,
        };
        assert_eq!(h.effective_n_and_lgd(), (30.0, 0.45));
    }

    #[test]
    fn line_numbers_count_from_one() {
        let deal: Deal = toml::from_str("").unwrap();
        let deal = Deal {
            source: "a\nb\nc".into(),
            ..deal
        };
        assert_eq!(deal.line(0), 1);
        assert_eq!(deal.line(2), 2);
        assert_eq!(deal.line(4), 3);
        assert_eq!(deal.line(99), 1);
    }
}

//! The deal file (`docs/schemas/deal-toml.md`): a pool, its loss model, its capital
//! structure, Basel capital, model-risk stresses and a cash-flow waterfall, as one serde
//! spec ([`DealSpec`]) with one validator ([`DealSpec::validate`]) whose errors carry the
//! path of the field at fault (`pool.segments[1].pd`, `tranches[2].attach`,
//! `model.copula`, `capital.approach`) as data ([`PoolError::field`]).
//!
//! Two analyses read it: [`DealSpec::tranche_analysis`] (each tranche's expected loss,
//! default probability, ratings and risk weight; `cargo xtask tranche`) and
//! [`DealSpec::run_waterfall`] / [`DealSpec::simulate_waterfall`] (the month-by-month
//! waterfall of one scenario, or note statistics over copula scenarios; `cargo xtask
//! waterfall`). Both return serializable outputs.
//!
//! The spec holds no file positions: a caller that read it from a file turns the field path
//! back into a line (creditlab-study's `config::line_of`).

use crate::capital::{self, IrbaPool, SecIrba};
use crate::el_scale::ExpectedLossScale;
use crate::error::{PoolError, Result};
use crate::pricing::HomogeneousBasket;
use crate::rating::{rate_by_default_probability, rate_by_expected_loss};
use crate::stress::{ModelPoint, ModelRisk, model_risk};
use crate::structure::CapitalStructure;
use crate::waterfall::{
    NoteSpec, NoteStatistics, PoolFlows, PrincipalRule, ReserveSpec, Waterfall, WaterfallRun,
    copula_scenarios,
};
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{
    Copula, CopulaSpec, ExactConfig, ExactLoss, Exposure, Lgd, LossDistribution, Portfolio,
};
use creditlab_contagion::{Scenarios, Seed};
use creditlab_grade::{Grade, MasterScale};
use creditlab_loan::{Assumptions, DefaultRate, project_pool};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A deal file: every section is optional, each analysis says which it needs
/// ([`DealSpec::tranche_analysis`]: `pool`, `model`, `tranches`; the waterfall:
/// `waterfall`). Unknown keys are refused when deserializing.
///
/// ```
/// use creditlab_pool::deal::DealSpec;
/// use creditlab_pool::ExpectedLossScale;
/// let deal: DealSpec = toml::from_str(
///     r#"
///     [pool]
///     names = 50
///     pd = 0.05
///     lgd = 0.45
///     horizon = 5
///     [model]
///     rho = 0.1
///     [[tranches]]
///     name = "equity"
///     attach = 0.0
///     detach = 0.1
///     [[tranches]]
///     name = "senior"
///     attach = 0.1
///     detach = 1.0
///     "#,
/// )?;
/// deal.validate()?;
/// let analysis = deal.tranche_analysis(&ExpectedLossScale::standard())?;
/// assert_eq!(analysis.tranches.len(), 2);
/// assert!(analysis.tranches[0].expected_loss > analysis.tranches[1].expected_loss);
///
/// // Errors carry the path of the field at fault.
/// let mut bad = deal.clone();
/// bad.tranches.as_mut().unwrap()[1].attach = 0.2;
/// assert_eq!(bad.validate().unwrap_err().field(), Some("tranches[1].attach"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealSpec {
    /// The deal's name, printed with the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The pool of the loss model (`[pool]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolSpec>,
    /// The default model and loss method (`[model]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSpec>,
    /// Basel securitization capital (`[capital]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<CapitalSpec>,
    /// The capital structure, junior first (`[[tranches]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tranches: Option<Vec<TrancheSpec>>,
    /// The cash-flow waterfall (`[waterfall]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waterfall: Option<WaterfallSpec>,
    /// Model-risk stresses: the tranches re-measured at other PDs and correlations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stress: Vec<StressSpec>,
}

/// The pool over `horizon` years: homogeneous (`names` equal exposures with one PD and one
/// LGD) or heterogeneous (`segments`), not both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    /// Homogeneous: number of equal exposures, >= 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<usize>,
    /// Homogeneous: default probability of each over the horizon, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// Homogeneous: loss given default, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lgd: Option<f64>,
    /// Years (> 0), of the PDs; also the horizon of the ratings and SEC-IRBA's `M_T`.
    pub horizon: f64,
    /// Heterogeneous: segments of equal loans (`[[pool.segments]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentSpec>,
}

/// `count` equal exposures of `ead` each, with one PD over the horizon and one LGD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// Number of loans, >= 1.
    pub count: usize,
    /// Exposure of each loan, > 0 (any unit: losses are fractions of the total EAD).
    pub ead: f64,
    /// Default probability of each over the horizon, in [0, 1].
    pub pd: f64,
    /// Loss given default, in [0, 1].
    pub lgd: f64,
}

/// How the pool's loss distribution is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LossMethod {
    /// The exact finite-pool distribution: conditional binomial by quadrature for a
    /// homogeneous pool ([`HomogeneousBasket`]), contagion's exact recursion for segments.
    #[default]
    #[serde(rename = "exact")]
    Exact,
    /// Contagion's Monte Carlo ([`MonteCarlo`]), `scenarios` draws with `seed`.
    #[serde(rename = "mc")]
    MonteCarlo,
}

impl fmt::Display for LossMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LossMethod::Exact => "exact",
            LossMethod::MonteCarlo => "mc",
        })
    }
}

/// The default model: one-factor copula at asset correlation `rho`, and the loss method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Asset correlation, in [0, 1].
    pub rho: f64,
    /// One-factor copula: `gaussian` (default), `t:NU` or `double-t:NU_M,NU_Z`.
    #[serde(default = "gaussian")]
    pub copula: CopulaSpec,
    /// Loss method, `exact` (default) or `mc`.
    #[serde(default)]
    pub method: LossMethod,
    /// Monte Carlo scenarios (`mc`), > 0; default 100,000.
    #[serde(default = "default_scenarios")]
    pub scenarios: u64,
    /// Monte Carlo seed (`mc`); default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn gaussian() -> CopulaSpec {
    CopulaSpec::Gaussian
}
fn default_scenarios() -> u64 {
    100_000
}
fn default_seed() -> u64 {
    1
}

impl ModelSpec {
    /// The copula at `rho`.
    pub fn copula(&self) -> Result<Copula> {
        Ok(self.copula.one_factor(self.rho)?)
    }
}

/// Basel securitization approach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CapitalApproach {
    /// SEC-SA: the SSFA with `K_A`, `p = 1` (1.5 for a re-securitization).
    #[default]
    #[serde(rename = "sec-sa")]
    SecSa,
    /// SEC-IRBA: the SSFA with `K_IRB` and the supervisory `p`.
    #[serde(rename = "sec-irba")]
    SecIrba,
}

/// Basel securitization capital of every tranche.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalSpec {
    /// `K_A` (SEC-SA) or `K_IRB` (SEC-IRBA) of the pool, in [0, 1].
    pub ka: f64,
    /// SEC-SA: a re-securitization (`p = 1.5`, floor 100%); refused under SEC-IRBA.
    #[serde(default)]
    pub resecuritization: bool,
    /// `sec-sa` (default) or `sec-irba`.
    #[serde(default)]
    pub approach: CapitalApproach,
    /// SEC-IRBA: a retail pool (default wholesale).
    #[serde(default)]
    pub retail: bool,
}

/// One tranche of the capital structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrancheSpec {
    /// Unique name.
    pub name: String,
    /// Attachment, fraction of the pool.
    pub attach: f64,
    /// Detachment, fraction of the pool.
    pub detach: f64,
}

/// One stressed model point (one-factor Gaussian copula, exact finite pool).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressSpec {
    /// Stressed default probability over the horizon, in [0, 1).
    pub pd: f64,
    /// Stressed asset correlation, in [0, 1].
    pub rho: f64,
}

/// The cash-flow waterfall: collateral, one scenario of its performance, fees, principal
/// rule, reserve, clean-up call and notes (most senior first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterfallSpec {
    /// The representative loan of the collateral pool.
    pub collateral: CollateralSpec,
    /// creditlab-loan's projection assumptions of the one scenario.
    pub scenario: Assumptions,
    /// Senior fees, annual, on the collateral balance; default 0.
    #[serde(default)]
    pub fee_rate: f64,
    /// How principal collections are shared among the notes.
    pub principal: PrincipalRule,
    /// The reserve account; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve: Option<ReserveSpec>,
    /// Clean-up call when the collateral falls to this fraction of its opening balance.
    #[serde(default)]
    pub cleanup_call: f64,
    /// The notes, most senior first.
    pub notes: Vec<NoteSpec>,
}

/// The representative level-payment loan of the collateral pool (creditlab-loan's `Pool`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralSpec {
    /// Opening balance (currency units), > 0.
    pub balance: f64,
    /// Annual coupon, in [0, 1].
    pub coupon: f64,
    /// Term in months, 1 to 600.
    pub term_months: u32,
}

/// One tranche's figures in [`TrancheAnalysis`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatedTranche {
    /// The tranche's name.
    pub name: String,
    /// Attachment point.
    pub attach: f64,
    /// Detachment point.
    pub detach: f64,
    /// Expected loss, fraction of the tranche notional.
    pub expected_loss: f64,
    /// Monte Carlo standard error of the expected loss (method `mc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_loss_std_error: Option<f64>,
    /// Probability of any loss, `P(L > attach)`.
    pub default_probability: f64,
    /// Loss given tranche default, `None` when the tranche cannot lose.
    pub loss_given_default: Option<f64>,
    /// Master-scale grade of the annualized default probability.
    pub rating: Grade,
    /// Grade of the expected loss over the horizon on the expected-loss scale.
    pub el_rating: Grade,
    /// SEC-SA (or SEC-IRBA) risk weight (1.0 = 100%); `None` without `[capital]`.
    pub risk_weight: Option<f64>,
}

/// What `cargo xtask tranche` reports of a deal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrancheAnalysis {
    /// The deal's name.
    pub deal: Option<String>,
    /// The loss method used.
    pub method: LossMethod,
    /// The horizon in years.
    pub horizon: f64,
    /// The pool's expected loss, fraction of its total exposure.
    pub pool_expected_loss: f64,
    /// Where the expected-loss scale comes from (the built-in one or a loaded table).
    pub el_scale: String,
    /// Every tranche, junior first.
    pub tranches: Vec<RatedTranche>,
    /// Model risk: each tranche at the deal's PD and rho and at every stress point.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stress: Vec<ModelRisk>,
}

/// A validated pool.
#[derive(Debug, Clone, PartialEq)]
enum ResolvedPool {
    /// `names` equal exposures.
    Homogeneous { names: usize, pd: f64, lgd: f64 },
    /// The segments.
    Segments(Vec<SegmentSpec>),
}

impl ResolvedPool {
    /// The pool as contagion's portfolio (EAD 1 each when homogeneous).
    fn portfolio(&self) -> Result<Portfolio> {
        Ok(match self {
            ResolvedPool::Homogeneous { names, pd, lgd } => {
                Portfolio::homogeneous(*names, *pd, *lgd)?
            }
            ResolvedPool::Segments(segments) => Portfolio::new(segments.iter().flat_map(|s| {
                (0..s.count).map(move |_| Exposure::new(s.ead, s.pd, Lgd::Constant(s.lgd)))
            }))?,
        })
    }

    /// SEC-IRBA's effective number of exposures `(sum EAD)^2 / sum EAD^2` and
    /// exposure-weighted average LGD.
    fn effective_n_and_lgd(&self) -> (f64, f64) {
        match self {
            ResolvedPool::Homogeneous { names, lgd, .. } => (*names as f64, *lgd),
            ResolvedPool::Segments(segments) => {
                let (mut sum, mut sum_sq, mut loss) = (0.0, 0.0, 0.0);
                for s in segments {
                    let n = s.count as f64;
                    sum += n * s.ead;
                    sum_sq += n * s.ead * s.ead;
                    loss += n * s.ead * s.lgd;
                }
                (sum * sum / sum_sq, loss / sum)
            }
        }
    }
}

/// `Err` at `field` with `value` unless `ok`.
fn require(ok: bool, field: impl Into<String>, value: impl fmt::Display, why: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(PoolError::spec(field, value, why))
    }
}

/// `x` in [0, 1] at `field`.
fn unit(field: impl Into<String>, x: f64) -> Result<()> {
    require((0.0..=1.0).contains(&x), field, x, "must be in [0, 1]")
}

/// A section the analysis needs but the deal lacks.
fn missing(field: &str, section: &str) -> PoolError {
    PoolError::Spec {
        field: field.into(),
        value: None,
        reason: format!("the deal has no {section} section"),
    }
}

impl PoolSpec {
    /// Validates and resolves: either `names`, `pd` and `lgd`, or one or more segments,
    /// each with `count >= 1`, `ead > 0`, `pd` and `lgd` in [0, 1].
    fn resolve(&self) -> Result<ResolvedPool> {
        let h = self.horizon;
        require(
            h.is_finite() && h > 0.0,
            "pool.horizon",
            h,
            "must be > 0 (years)",
        )?;
        if self.segments.is_empty() {
            let (Some(names), Some(pd), Some(lgd)) = (self.names, self.pd, self.lgd) else {
                let lacking: Vec<&str> = [
                    ("names", self.names.is_none()),
                    ("pd", self.pd.is_none()),
                    ("lgd", self.lgd.is_none()),
                ]
                .into_iter()
                .filter_map(|(k, m)| m.then_some(k))
                .collect();
                return Err(PoolError::Spec {
                    field: "pool".into(),
                    value: None,
                    reason: format!(
                        "lacks {}: give names, pd and lgd (a homogeneous pool) or one or more \
                         [[pool.segments]] with count, ead, pd and lgd",
                        lacking.join(", ")
                    ),
                });
            };
            require(names >= 1, "pool.names", names, "must be >= 1")?;
            unit("pool.pd", pd)?;
            unit("pool.lgd", lgd)?;
            return Ok(ResolvedPool::Homogeneous { names, pd, lgd });
        }
        let homogeneous_key = [
            ("names", self.names.is_some()),
            ("pd", self.pd.is_some()),
            ("lgd", self.lgd.is_some()),
        ]
        .into_iter()
        .find_map(|(k, given)| given.then_some(k));
        if let Some(key) = homogeneous_key {
            return Err(PoolError::Spec {
                field: format!("pool.{key}"),
                value: None,
                reason: "a pool has either names, pd and lgd (homogeneous) or [[pool.segments]], \
                         not both"
                    .into(),
            });
        }
        for (i, s) in self.segments.iter().enumerate() {
            let key = |k: &str| format!("pool.segments[{i}].{k}");
            require(s.count >= 1, key("count"), s.count, "must be >= 1")?;
            require(
                s.ead.is_finite() && s.ead > 0.0,
                key("ead"),
                s.ead,
                "must be finite and > 0",
            )?;
            unit(key("pd"), s.pd)?;
            unit(key("lgd"), s.lgd)?;
        }
        Ok(ResolvedPool::Segments(self.segments.clone()))
    }
}

impl ModelSpec {
    /// Validates `rho`, the copula (one-factor, valid at `rho`) and the scenario count.
    fn check(&self) -> Result<Copula> {
        unit("model.rho", self.rho)?;
        require(
            self.copula.is_one_factor(),
            "model.copula",
            &self.copula,
            "a deal's pool loads on one factor: gaussian, t:NU or double-t:NU_M,NU_Z",
        )?;
        let copula = self
            .copula()
            .map_err(|e| PoolError::spec("model.copula", &self.copula, e.to_string()))?;
        if self.method == LossMethod::MonteCarlo {
            require(
                self.scenarios > 0,
                "model.scenarios",
                self.scenarios,
                "must be > 0",
            )?;
        }
        Ok(copula)
    }
}

impl DealSpec {
    /// Validates every section the deal has, each in full: the pool, the model (and that
    /// method `exact` can handle the pool), the capital inputs, the capital structure
    /// (bounds, unique names, tiling the pool exactly), the stresses and the waterfall.
    /// The error's [`PoolError::field`] is the path of the key at fault from the file's
    /// root, e.g. `pool.segments[1].pd`, `tranches[2].attach`, `model.copula`,
    /// `capital.resecuritization`, `stress[0].pd`, `waterfall.notes[1].coupon`.
    pub fn validate(&self) -> Result<()> {
        let pool = self.pool.as_ref().map(PoolSpec::resolve).transpose()?;
        if let Some(model) = &self.model {
            model.check()?;
            if let (LossMethod::Exact, Some(ResolvedPool::Homogeneous { pd, lgd, .. })) =
                (model.method, &pool)
            {
                let why = "method exact needs pool.pd < 1 and pool.lgd > 0";
                require(*pd < 1.0, "pool.pd", pd, why)?;
                require(*lgd > 0.0, "pool.lgd", lgd, why)?;
            }
        }
        if let Some(c) = &self.capital {
            unit("capital.ka", c.ka)?;
            require(
                !(c.resecuritization && c.approach == CapitalApproach::SecIrba),
                "capital.resecuritization",
                c.resecuritization,
                "re-securitizations are not eligible for sec-irba",
            )?;
        }
        if let Some(tranches) = &self.tranches {
            self.structure(tranches)?;
        }
        for (i, s) in self.stress.iter().enumerate() {
            require(
                (0.0..1.0).contains(&s.pd),
                format!("stress[{i}].pd"),
                s.pd,
                "must be in [0, 1)",
            )?;
            unit(format!("stress[{i}].rho"), s.rho)?;
        }
        if !self.stress.is_empty() && matches!(pool, Some(ResolvedPool::Segments(_))) {
            return Err(PoolError::Spec {
                field: "stress".into(),
                value: None,
                reason: "[[stress]] re-measures a homogeneous pool (pool.names, pd, lgd); this \
                         deal's pool is given by [[pool.segments]]"
                    .into(),
            });
        }
        if let Some(w) = &self.waterfall {
            w.build()?;
        }
        Ok(())
    }

    fn structure(&self, tranches: &[TrancheSpec]) -> Result<CapitalStructure> {
        CapitalStructure::located(
            tranches
                .iter()
                .map(|t| (t.name.clone(), t.attach, t.detach)),
        )
        .map_err(|e| e.under("tranches"))
    }

    /// The analysis of `cargo xtask tranche`: the pool's loss distribution by the model's
    /// method and copula, each tranche's expected loss, default probability and loss given
    /// default, its rating by default probability (master scale) and by expected loss on
    /// `el_scale`, its risk weight when the deal has `[capital]`, and the model-risk table
    /// of `[[stress]]`. Needs `[pool]`, `[model]` and `[[tranches]]` (checked first), and
    /// validates the deal. Monte Carlo runs on the current rayon pool, with the same result on any
    /// number of threads.
    pub fn tranche_analysis(&self, el_scale: &ExpectedLossScale) -> Result<TrancheAnalysis> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| missing("pool", "[pool]"))?;
        let model = self
            .model
            .as_ref()
            .ok_or_else(|| missing("model", "[model]"))?;
        let tranches = self
            .tranches
            .as_ref()
            .ok_or_else(|| missing("tranches", "[[tranches]]"))?;
        self.validate()?;
        let structure = self.structure(tranches)?;
        let resolved = pool.resolve()?;
        let horizon = pool.horizon;
        let copula = model.check()?;
        let dist: Box<dyn LossDistribution> = match (model.method, &resolved) {
            (LossMethod::Exact, ResolvedPool::Homogeneous { names, pd, lgd }) => {
                let hazard = -(-pd).ln_1p() / horizon;
                let basket = HomogeneousBasket::new(*names, hazard, 1.0 - lgd, copula)
                    .map_err(|e| e.at("pool"))?;
                Box::new(basket.loss_distribution(horizon)?)
            }
            (LossMethod::Exact, ResolvedPool::Segments(_)) => {
                let portfolio = resolved.portfolio().map_err(|e| e.at("pool.segments"))?;
                Box::new(
                    ExactLoss::new(&portfolio, &copula, &ExactConfig::default())
                        .map_err(|e| PoolError::from(e).at("model"))?,
                )
            }
            (LossMethod::MonteCarlo, _) => {
                let portfolio = resolved.portfolio().map_err(|e| e.at("pool"))?;
                let scenarios =
                    Scenarios::new(model.scenarios).map_err(|e| PoolError::from(e).at("model"))?;
                Box::new(
                    MonteCarlo::new(&portfolio, &copula)
                        .map_err(|e| PoolError::from(e).at("model"))?
                        .run(Seed(model.seed), scenarios),
                )
            }
        };
        let scale = MasterScale::standard();
        let risks = structure.risk(dist.as_ref(), 0.0)?;
        let mut out = Vec::with_capacity(risks.len());
        for (i, r) in risks.into_iter().enumerate() {
            let at = |e: PoolError, what: &str| PoolError::Spec {
                field: format!("tranches[{i}]"),
                value: None,
                reason: format!("tranche {}: {what}{e}", r.name),
            };
            let rating = rate_by_default_probability(&scale, r.default_probability.value, horizon)
                .map_err(|e| at(e, ""))?;
            let el_rating = rate_by_expected_loss(el_scale, r.expected_loss.value, horizon)
                .map_err(|e| at(e, "expected-loss rating: "))?;
            let risk_weight = self
                .capital
                .as_ref()
                .map(|c| risk_weight(c, &resolved, r.attach, r.detach, horizon))
                .transpose()?;
            out.push(RatedTranche {
                name: r.name,
                attach: r.attach,
                detach: r.detach,
                expected_loss: r.expected_loss.value,
                expected_loss_std_error: r.expected_loss.std_error,
                default_probability: r.default_probability.value,
                loss_given_default: r.loss_given_default,
                rating,
                el_rating,
                risk_weight,
            });
        }
        let stress = match (&resolved, self.stress.is_empty()) {
            (ResolvedPool::Homogeneous { names, pd, lgd }, false) => {
                let points: Vec<ModelPoint> = self
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
                    .map_err(|e| e.at("stress"))?
            }
            // Segments with stresses were refused by validate.
            _ => Vec::new(),
        };
        Ok(TrancheAnalysis {
            deal: self.name.clone(),
            method: model.method,
            horizon,
            pool_expected_loss: dist.expected_loss().value,
            el_scale: el_scale.source().to_string(),
            tranches: out,
            stress,
        })
    }

    /// The `[waterfall]` section, or an error naming it.
    pub fn waterfall_spec(&self) -> Result<&WaterfallSpec> {
        self.waterfall
            .as_ref()
            .ok_or_else(|| missing("waterfall", "[waterfall]"))
    }

    /// `cargo xtask waterfall`: the month-by-month waterfall of the deal's one scenario.
    /// Needs `[waterfall]` (checked first), and validates the deal.
    pub fn run_waterfall(&self) -> Result<WaterfallRun> {
        let w = self.waterfall_spec()?;
        self.validate()?;
        let (pool, waterfall) = w.build()?;
        waterfall.run(&PoolFlows::from_cashflows(&project_pool(
            &pool,
            &w.scenario,
        )))
    }

    /// `cargo xtask waterfall --scenarios N`: each note's loss, WAL and yield statistics
    /// over `scenarios` projections of the collateral, each at a constant CDR drawn around
    /// the scenario's (a `cdr` default rate) from one state of `copula` per scenario
    /// ([`copula_scenarios`], seeded by `seed`). Runs on the current rayon pool, with the
    /// same result on any number of threads. Needs `[waterfall]` (checked first), and
    /// validates the deal.
    pub fn simulate_waterfall(
        &self,
        copula: &Copula,
        scenarios: usize,
        seed: u64,
    ) -> Result<Vec<NoteStatistics>> {
        let w = self.waterfall_spec()?;
        self.validate()?;
        let (pool, waterfall) = w.build()?;
        let s = &w.scenario;
        let DefaultRate::Cdr(cdr) = *s.default_rate() else {
            return Err(PoolError::Spec {
                field: "waterfall.scenario.default".into(),
                value: None,
                reason: "simulated scenarios draw a constant CDR around it: it must be \
                         { type = \"cdr\", value = ... }"
                    .into(),
            });
        };
        let flows = copula_scenarios(
            &pool,
            s.prepayment(),
            cdr,
            copula,
            s.recovery_lag(),
            s.severity(),
            s.advancing(),
            scenarios,
            seed,
        )
        .map_err(|e| e.at("waterfall.scenario"))?;
        waterfall.simulate(&flows)
    }
}

/// The risk weight of tranche `[attach, detach)` under `capital`.
fn risk_weight(
    c: &CapitalSpec,
    pool: &ResolvedPool,
    attach: f64,
    detach: f64,
    horizon: f64,
) -> Result<f64> {
    let rw = match c.approach {
        CapitalApproach::SecSa => {
            capital::sec_sa_risk_weight(c.ka, attach, detach, c.resecuritization)
        }
        CapitalApproach::SecIrba => {
            let (n, lgd) = pool.effective_n_and_lgd();
            SecIrba {
                kirb: c.ka,
                attach,
                detach,
                n,
                lgd,
                maturity: horizon,
                pool: if c.retail {
                    IrbaPool::Retail
                } else {
                    IrbaPool::Wholesale
                },
                senior: detach >= 1.0,
            }
            .risk_weight()
        }
    };
    rw.map_err(|e| e.at("capital"))
}

/// Relative slack on "notes total at most the collateral": rounding of balances typed in
/// a TOML file, nothing more.
const NOTES_OVER_COLLATERAL_TOLERANCE: f64 = 1e-9;

impl WaterfallSpec {
    /// The collateral pool and the validated waterfall.
    fn build(&self) -> Result<(creditlab_loan::Pool, Waterfall)> {
        let c = &self.collateral;
        let pool = creditlab_loan::Pool::new(c.balance, c.coupon, c.term_months).map_err(|e| {
            let key = match &e {
                creditlab_loan::Error::Invalid { field: "term", .. } => "term_months",
                creditlab_loan::Error::Invalid { field, .. } => field,
                _ => "",
            };
            PoolError::Spec {
                field: if key.is_empty() {
                    "waterfall.collateral".into()
                } else {
                    format!("waterfall.collateral.{key}")
                },
                value: None,
                reason: e.to_string(),
            }
        })?;
        // Notes above the collateral cannot all be repaid from it: 860M of notes on 100M
        // used to run as if nothing were wrong. The first note that takes the total past
        // the collateral is named.
        let mut issued = 0.0;
        for (i, note) in self.notes.iter().enumerate() {
            issued += note.balance;
            if issued > c.balance * (1.0 + NOTES_OVER_COLLATERAL_TOLERANCE) {
                return Err(PoolError::Spec {
                    field: format!("waterfall.notes[{i}].balance"),
                    value: Some(note.balance.to_string()),
                    reason: format!(
                        "the notes so far total {issued}, above the collateral's balance {} \
                         (waterfall.collateral.balance): notes are paid from the collateral, \
                         so together they must not exceed it",
                        c.balance
                    ),
                });
            }
        }
        let reserve = self.reserve.unwrap_or(ReserveSpec {
            initial: 0.0,
            target_fraction: 0.0,
            floor: 0.0,
        });
        let waterfall = Waterfall::located(
            self.notes.clone(),
            self.fee_rate,
            self.principal,
            reserve,
            self.cleanup_call,
        )
        .map_err(|e| e.under("waterfall"))?;
        Ok((pool, waterfall))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    const DEAL: &str = include_str!("../../../scenarios/deal.toml");
    const SEGMENTS: &str = include_str!("../../../scenarios/deal-segments.toml");

    fn deal(text: &str) -> DealSpec {
        toml::from_str(text).unwrap()
    }

    fn field_of(text: &str) -> String {
        deal(text)
            .validate()
            .unwrap_err()
            .field()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_example_deals_validate_and_analyze() {
        for text in [DEAL, SEGMENTS] {
            let d = deal(text);
            d.validate().unwrap();
            let a = d.tranche_analysis(&ExpectedLossScale::standard()).unwrap();
            assert_eq!(a.tranches.len(), 3);
            // Thickness-weighted tranche losses add up to the pool's expected loss.
            let sum: f64 = a
                .tranches
                .iter()
                .map(|t| t.expected_loss * (t.detach - t.attach))
                .sum();
            assert!((sum - a.pool_expected_loss).abs() <= prec::ACCUMULATED);
        }
        let run = deal(DEAL).run_waterfall().unwrap();
        assert_eq!(run.notes.len(), 2);
        let g = Copula::gaussian(0.2).unwrap();
        let stats = deal(DEAL).simulate_waterfall(&g, 50, 1).unwrap();
        assert!(stats[1].expected_loss > stats[0].expected_loss);
    }

    #[test]
    fn errors_carry_the_path_of_the_field() {
        let cases = [
            (
                SEGMENTS.replace("pd = 0.08", "pd = 1.08"),
                "pool.segments[1].pd",
            ),
            (
                SEGMENTS.replace("ead = 2.5", "ead = -2.5"),
                "pool.segments[1].ead",
            ),
            (
                SEGMENTS.replace("count = 60", "count = 0"),
                "pool.segments[0].count",
            ),
            (
                SEGMENTS.replace("horizon = 5 ", "horizon = 0 "),
                "pool.horizon",
            ),
            (
                SEGMENTS.replace("horizon = 5 ", "horizon = 5\nnames = 100 "),
                "pool.names",
            ),
            (DEAL.replace("names = 100", ""), "pool"),
            (DEAL.replace("rho = 0.05", "rho = 1.5"), "model.rho"),
            (
                DEAL.replace("copula = \"gaussian\"", "copula = \"multi\""),
                "model.copula",
            ),
            (
                DEAL.replace("copula = \"gaussian\"", "copula = \"double-t:2,4\""),
                "model.copula",
            ),
            (DEAL.replace("pd = 0.05 ", "pd = 1.0 "), "pool.pd"),
            (DEAL.replace("ka = 0.08", "ka = 1.08"), "capital.ka"),
            (
                DEAL.replace(
                    "resecuritization = false",
                    "resecuritization = true\napproach = \"sec-irba\"",
                ),
                "capital.resecuritization",
            ),
            (
                DEAL.replace("attach = 0.05", "attach = 0.06"),
                "tranches[1].attach",
            ),
            (
                DEAL.replace("detach = 1.0", "detach = 0.9"),
                "tranches[2].detach",
            ),
            (
                DEAL.replace("name = \"senior\"", "name = \"equity\""),
                "tranches[2].name",
            ),
            (
                DEAL.replace("detach = 0.05", "detach = 1.5"),
                "tranches[0].detach",
            ),
            (DEAL.replace("pd = 0.20", "pd = 1.20"), "stress[1].pd"),
            (
                DEAL.replace("coupon = 0.065", "coupon = 1.065"),
                "waterfall.notes[1].coupon",
            ),
            (
                DEAL.replace("term_months = 360", "term_months = 0"),
                "waterfall.collateral.term_months",
            ),
            (
                DEAL.replace("loss_trigger = 0.03", "loss_trigger = 3"),
                "waterfall.principal.loss_trigger",
            ),
            (
                DEAL.replace("floor = 500000.0", "floor = -1.0"),
                "waterfall.reserve.floor",
            ),
            (
                SEGMENTS.to_string() + "\n[[stress]]\npd = 0.1\nrho = 0.3\n",
                "stress",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(field_of(&text), want, "{want}");
        }
        // The message names the field and the value.
        let e = deal(&SEGMENTS.replace("pd = 0.08", "pd = 1.08"))
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "pool.segments[1].pd = 1.08: must be in [0, 1]"
        );
        let e = deal(&DEAL.replace("attach = 0.05", "attach = 0.06"))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("tranche mezzanine") && e.contains("gap"), "{e}");
    }

    #[test]
    fn analyses_name_the_section_they_lack() {
        let no_waterfall = deal(SEGMENTS);
        let e = no_waterfall.run_waterfall().unwrap_err();
        assert_eq!(e.field(), Some("waterfall"));
        assert!(e.to_string().contains("[waterfall]"));
        let only_waterfall = DealSpec {
            pool: None,
            ..deal(DEAL)
        };
        let e = only_waterfall
            .tranche_analysis(&ExpectedLossScale::standard())
            .unwrap_err();
        assert_eq!(e.field(), Some("pool"));
        only_waterfall.run_waterfall().unwrap();
        let mdr = deal(&DEAL.replace(
            "default = { type = \"cdr\", value = 0.03 }",
            "default = { type = \"mdr\", value = 0.003 }",
        ));
        let e = mdr
            .simulate_waterfall(&Copula::gaussian(0.1).unwrap(), 5, 1)
            .unwrap_err();
        assert_eq!(e.field(), Some("waterfall.scenario.default"));
    }

    #[test]
    fn segments_give_sec_irba_its_effective_n_and_weighted_lgd() {
        // 60 x 1.0 at LGD 40% and 40 x 2.5 at LGD 50%: sum EAD 160, sum EAD^2 310.
        let seg = |count, ead, pd, lgd| SegmentSpec {
            count,
            ead,
            pd,
            lgd,
        };
        let pool = ResolvedPool::Segments(vec![seg(60, 1.0, 0.03, 0.4), seg(40, 2.5, 0.08, 0.5)]);
        let (n, lgd) = pool.effective_n_and_lgd();
        assert!(
            (n - 160.0 * 160.0 / 310.0).abs() <= prec::IDENTITY * n,
            "{n}"
        );
        assert!(
            (lgd - (24.0 + 50.0) / 160.0).abs() <= prec::IDENTITY,
            "{lgd}"
        );
        let p = pool.portfolio().unwrap();
        assert_eq!(p.len(), 100);
        assert!((p.expected_loss() - 4.72 / 160.0).abs() <= prec::ACCUMULATED);
        let h = ResolvedPool::Homogeneous {
            names: 30,
            pd: 0.1,
            lgd: 0.45,
        };
        assert_eq!(h.effective_n_and_lgd(), (30.0, 0.45));
    }

    #[test]
    fn the_spec_round_trips_through_toml() {
        let d = deal(DEAL);
        let text = toml::to_string(&d).unwrap();
        assert_eq!(deal(&text), d);
    }
}

//! The loss report: one method ([`LossMethod`]) run on a portfolio and a copula, summarised
//! at confidence levels, tail points and tranches, in the shape `cargo xtask loss --json`
//! prints (docs/schemas/loss-json.md). The command line, the study and a Python caller get
//! the same figures from the same call.

use crate::bet::BinomialExpansion;
use crate::copula::Copula;
use crate::distribution::{
    AtLevel, Estimate, LossDistribution, LossSummary, STANDARD_LEVELS, Tranche,
};
use crate::error::{Error, Result};
use crate::exact::{ExactConfig, ExactLoss};
use crate::importance::ImportanceSampler;
use crate::lhp::LargePool;
use crate::mc::MonteCarlo;
use crate::portfolio::Portfolio;
use crate::spec::{CopulaSpec, LossMethod};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Scenarios of a [`LossRequest::new`] (the command line's default too).
pub const DEFAULT_SCENARIOS: u64 = 100_000;

/// What to compute: the method, the copula and its correlation, and what to report.
///
/// ```
/// use creditlab_contagion::report::LossRequest;
/// use creditlab_contagion::spec::{LossMethod, parse_tranches};
/// use creditlab_contagion::Portfolio;
/// let book = Portfolio::standard_book(100)?;
/// let mut request = LossRequest::new(LossMethod::Exact, "gaussian".parse()?, vec![0.2]);
/// request.tail = vec![0.05];
/// request.tranches = parse_tranches("0-0.03,0.03-1")?;
/// let report = request.run(&book)?;
/// assert!((report.expected_loss - book.expected_loss()).abs() < 1e-12);
/// assert_eq!((report.copula.as_str(), report.tranches.len()), ("gaussian", 2));
/// assert!(report.scenarios.is_none() && report.var["0.999"] > report.var["0.99"]);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LossRequest {
    /// The method.
    pub method: LossMethod,
    /// The copula, by name.
    pub copula: CopulaSpec,
    /// Asset correlation: one value, or one per sector for `multi:FILE`
    /// ([`CopulaSpec::build`]).
    pub rho: Vec<f64>,
    /// Monte Carlo scenarios, at least 1 (used by `mc` and `mc-is`).
    pub scenarios: u64,
    /// Seed of the random streams (used by `mc` and `mc-is`).
    pub seed: u64,
    /// Confidence levels of VaR and ES, each in (0, 1).
    pub levels: Vec<f64>,
    /// Loss levels `x` of the tail probabilities `P(L > x)`, each in [0, 1).
    pub tail: Vec<f64>,
    /// Tranches to report.
    pub tranches: Vec<Tranche>,
}

/// One tail probability of a [`LossReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TailReport {
    /// Loss level, a fraction of total exposure.
    pub x: f64,
    /// `P(L > x)`.
    pub probability: f64,
    /// Its standard error (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
    /// Importance sampling only: plain MC variance / IS variance per scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance_reduction: Option<f64>,
}

/// One tranche of a [`LossReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrancheReport {
    /// Attachment, a fraction of total exposure.
    pub attach: f64,
    /// Detachment, a fraction of total exposure.
    pub detach: f64,
    /// Expected tranche loss, a fraction of the tranche notional.
    pub expected_loss: f64,
    /// `P(L > attach)`: the tranche loses anything.
    pub default_probability: f64,
    /// Standard error of `expected_loss` (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
    /// Standard error of `default_probability` (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_probability_std_error: Option<f64>,
}

/// The figures of one method on one portfolio (schema: docs/schemas/loss-json.md). Losses
/// are fractions of total exposure; level keys are the levels printed as decimals
/// (`"0.99"`, `"0.999"`, `"0.9997"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossReport {
    /// The method.
    pub method: LossMethod,
    /// The copula's name ([`CopulaSpec`]'s `Display`).
    pub copula: String,
    /// Number of exposures.
    pub exposures: usize,
    /// Sum of EAD, in the portfolio's money unit.
    pub total_exposure: f64,
    /// Scenarios (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenarios: Option<u64>,
    /// Seed (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `E[L]`.
    pub expected_loss: f64,
    /// Its standard error (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_loss_std_error: Option<f64>,
    /// Standard deviation of L.
    pub unexpected_loss: f64,
    /// Its standard error (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unexpected_loss_std_error: Option<f64>,
    /// VaR by level.
    pub var: BTreeMap<String, f64>,
    /// Standard errors of VaR by level (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var_std_error: Option<BTreeMap<String, f64>>,
    /// Expected shortfall by level.
    pub es: BTreeMap<String, f64>,
    /// Standard errors of ES by level (simulation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub es_std_error: Option<BTreeMap<String, f64>>,
    /// Tail probabilities, in request order.
    pub tail: Vec<TailReport>,
    /// Tranches, in request order.
    pub tranches: Vec<TrancheReport>,
}

impl LossRequest {
    /// A request at the standard levels ([`STANDARD_LEVELS`]), [`DEFAULT_SCENARIOS`]
    /// scenarios of seed 1, no tail points and no tranches (set the fields to add them).
    pub fn new(method: LossMethod, copula: CopulaSpec, rho: Vec<f64>) -> Self {
        Self {
            method,
            copula,
            rho,
            scenarios: DEFAULT_SCENARIOS,
            seed: 1,
            levels: STANDARD_LEVELS.to_vec(),
            tail: Vec::new(),
            tranches: Vec::new(),
        }
    }

    /// Checks what does not depend on the portfolio: at least one scenario, levels in
    /// (0, 1), tail points in [0, 1). Errors name the field (`scenarios`, `levels[i]`,
    /// `tail[i]`); see [`Error::field`].
    pub fn validate(&self) -> Result<()> {
        if self.scenarios == 0 {
            return Err(Error::InvalidParameter {
                field: "scenarios".into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        let bad = |name: &str, i: usize, value: f64, reason| Error::InvalidParameter {
            field: format!("{name}[{i}]"),
            value,
            reason,
        };
        if let Some((i, &l)) = self
            .levels
            .iter()
            .enumerate()
            .find(|&(_, l)| !(*l > 0.0 && *l < 1.0))
        {
            return Err(bad("levels", i, l, "must be in (0, 1)"));
        }
        if let Some((i, &x)) = self
            .tail
            .iter()
            .enumerate()
            .find(|&(_, x)| !(0.0..1.0).contains(x))
        {
            return Err(bad("tail", i, x, "must be in [0, 1)"));
        }
        Ok(())
    }

    /// Builds the copula for `portfolio` ([`CopulaSpec::build`]) and runs the method.
    pub fn run(&self, portfolio: &Portfolio) -> Result<LossReport> {
        self.validate()?;
        let copula = self.copula.build(&self.rho, portfolio)?;
        self.run_with(portfolio, &copula)
    }

    /// Runs the method on `portfolio` under `copula` (the one `self.copula` names, built by
    /// the caller). Simulations use the rayon pool the caller installs; the figures do not
    /// depend on its size. For `mc-is` every importance sampler is prepared before any
    /// scenario runs, so an unsupported copula or LGD fails at once.
    pub fn run_with(&self, portfolio: &Portfolio, copula: &Copula) -> Result<LossReport> {
        self.validate()?;
        copula.check_portfolio(portfolio)?;
        let summarise = |dist: &dyn LossDistribution| {
            LossSummary::of(dist, &self.levels, &self.tail, &self.tranches)
        };
        let mut tail_is = None;
        let summary = match self.method {
            LossMethod::MonteCarlo | LossMethod::ImportanceSampling => {
                let samplers = match self.method {
                    LossMethod::ImportanceSampling => Some(
                        self.tail
                            .iter()
                            .map(|&x| ImportanceSampler::new(portfolio, copula, x))
                            .collect::<Result<Vec<_>>>()?,
                    ),
                    _ => None,
                };
                let mc = MonteCarlo::new(portfolio, copula)?;
                let summary = summarise(&mc.run(self.seed, self.scenarios));
                tail_is = samplers.map(|s| {
                    s.iter()
                        .map(|is| {
                            let t = is.run(self.seed, self.scenarios);
                            TailReport {
                                x: t.x,
                                probability: t.probability.value,
                                std_error: t.probability.std_error,
                                variance_reduction: Some(t.variance_reduction),
                            }
                        })
                        .collect()
                });
                summary
            }
            // Vasicek's large pool with the portfolio's loss-weighted PD and EAD-weighted
            // LGD (exact parameters for a homogeneous pool).
            LossMethod::LargePool => summarise(&LargePool::pool_average(portfolio, copula)?),
            // The recursion with its default settings (64 Gauss-Hermite nodes; see
            // docs/methodology/exact-recursion.md).
            LossMethod::Exact => {
                summarise(&ExactLoss::new(portfolio, copula, &ExactConfig::default())?)
            }
            // The copula-implied diversity score.
            LossMethod::BinomialExpansion => summarise(&BinomialExpansion::new(portfolio, copula)?),
        };
        Ok(self.report(portfolio, summary, tail_is))
    }

    /// Assembles the report from the method's summary (and the importance-sampling tail,
    /// which replaces the plain one).
    fn report(
        &self,
        portfolio: &Portfolio,
        summary: LossSummary,
        tail_is: Option<Vec<TailReport>>,
    ) -> LossReport {
        let simulated = self.method.is_simulation();
        let by_level = |v: &[AtLevel], pick: fn(&Estimate) -> Option<f64>| {
            v.iter()
                .filter_map(|a| Some((format!("{}", a.level), pick(&a.estimate)?)))
                .collect::<BTreeMap<_, _>>()
        };
        let value = |e: &Estimate| Some(e.value);
        let std_error = |e: &Estimate| e.std_error;
        let tail = tail_is.unwrap_or_else(|| {
            summary
                .tail
                .iter()
                .map(|t| TailReport {
                    x: t.x,
                    probability: t.probability.value,
                    std_error: t.probability.std_error,
                    variance_reduction: None,
                })
                .collect()
        });
        LossReport {
            method: self.method,
            copula: self.copula.to_string(),
            exposures: portfolio.len(),
            total_exposure: portfolio.total_ead(),
            scenarios: simulated.then_some(self.scenarios),
            seed: simulated.then_some(self.seed),
            expected_loss: summary.expected_loss.value,
            expected_loss_std_error: summary.expected_loss.std_error,
            unexpected_loss: summary.unexpected_loss.value,
            unexpected_loss_std_error: summary.unexpected_loss.std_error,
            var: by_level(&summary.var, value),
            var_std_error: simulated.then(|| by_level(&summary.var, std_error)),
            es: by_level(&summary.es, value),
            es_std_error: simulated.then(|| by_level(&summary.es, std_error)),
            tail,
            tranches: summary
                .tranches
                .iter()
                .map(|t| TrancheReport {
                    attach: t.tranche.attach(),
                    detach: t.tranche.detach(),
                    expected_loss: t.expected_loss.value,
                    default_probability: t.default_probability.value,
                    std_error: t.expected_loss.std_error,
                    default_probability_std_error: t.default_probability.std_error,
                })
                .collect(),
        }
    }
}

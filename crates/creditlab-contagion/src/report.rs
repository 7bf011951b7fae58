//! The loss report: one method ([`LossMethod`]) run on a portfolio and a copula, summarised
//! at confidence levels, tail points and tranches, in the shape `cargo xtask loss --json`
//! prints (docs/schemas/loss-json.md). The command line, the study and a Python caller get
//! the same figures from the same call.

use crate::accuracy::{AccuracyReport, FigureError, Tolerance};
use crate::bet::BinomialExpansion;
use crate::copula::Copula;
use crate::creditrisk::{CreditRiskPlus, CreditRiskPlusSpec};
use crate::distribution::{
    AtLevel, Estimate, LossDistribution, LossSummary, STANDARD_LEVELS, Tranche,
};
use crate::error::{Error, Result};
use crate::exact::{ExactConfig, ExactLoss, Targets};
use crate::importance::{ImportanceSampler, TailEstimate};
use crate::lhp::{GranularPool, LargePool};
use crate::mc::{McDistribution, MonteCarlo, Scenarios, Seed};
use crate::portfolio::Portfolio;
use crate::saddlepoint::Saddlepoint;
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
    /// The accuracy `exact` reaches on every reported figure (default 1e-4 relative or
    /// 1e-8 absolute; see [`Tolerance`]).
    pub accuracy: Tolerance,
    /// Whether `exact` may return a result short of `accuracy` (with its convergence
    /// evidence, `met = false`) when its budget runs out, instead of refusing.
    pub accept_coarser: bool,
    /// `exact`'s work budget in cell updates ([`ExactConfig::max_work`]).
    pub max_work: f64,
    /// `creditrisk+`'s sector variances, correlation and loss unit (required by it).
    pub creditrisk: Option<CreditRiskPlusSpec>,
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
    /// Importance sampling only: plain MC variance / IS variance per scenario; absent also
    /// under importance sampling when it is not defined (the weighted indicator did not
    /// vary: one scenario, or a level no scenario reached).
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
    /// How accurate the figures are: the exact method's convergence evidence, a
    /// simulation's standard errors, an analytic method's statement.
    pub accuracy: AccuracyReport,
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
            accuracy: Tolerance::default(),
            accept_coarser: false,
            max_work: ExactConfig::default().max_work,
            creditrisk: None,
        }
    }

    /// Checks what does not depend on the portfolio: at least one scenario, levels in
    /// (0, 1), tail points in [0, 1), tolerances in (0, 1). Errors name the field
    /// (`scenarios`, `levels[i]`, `tail[i]`, `accuracy.relative`, `accuracy.absolute`); see
    /// [`Error::field`].
    pub fn validate(&self) -> Result<()> {
        self.accuracy.validate()?;
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
        let accuracy;
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
                let (seed, scenarios) = (Seed(self.seed), Scenarios::new(self.scenarios)?);
                let tail = samplers.map(|s| s.iter().map(|is| is.run(seed, scenarios)).collect());
                let (n, total) = (portfolio.len(), portfolio.total_ead());
                return self.simulation_report(n, total, &mc.run(seed, scenarios), tail);
            }
            // Vasicek's large pool with the portfolio's loss-weighted PD and EAD-weighted
            // LGD (exact parameters for a homogeneous pool); with an LGD that moves with the
            // factor, the heterogeneous limit L(z), which keeps the PD-LGD correlation.
            LossMethod::LargePool => {
                if portfolio.lgd().iter().any(|l| l.moves_with_factor()) {
                    accuracy = Some(AccuracyReport::analytic(
                        "lhp: the large-pool limit L(z) = sum EAD p(z) E[LGD | z] / sum EAD, \
                         quantiles through the factor, integrals by adaptive Gauss-Legendre to \
                         1e-13; the limit itself approximates the finite pool (a model error, \
                         not measured here)",
                    ));
                    summarise(&GranularPool::new(portfolio, copula)?)?
                } else {
                    accuracy = Some(AccuracyReport::analytic(
                        "lhp: Vasicek's large homogeneous pool with the pool-average PD and \
                         LGD, closed forms through the normal and bivariate normal CDFs (about \
                         1e-14); the large pool itself approximates the finite pool (a model \
                         error, not measured here)",
                    ));
                    summarise(&LargePool::pool_average(portfolio, copula)?)?
                }
            }
            // The recursion to the requested accuracy on exactly the reported figures.
            LossMethod::Exact => {
                let config = ExactConfig {
                    accuracy: Some(self.accuracy),
                    targets: Targets {
                        levels: self.levels.clone(),
                        tail: self.tail.clone(),
                        tranches: self.tranches.clone(),
                    },
                    accept_coarser: self.accept_coarser,
                    max_work: self.max_work,
                    ..ExactConfig::default()
                };
                let exact = ExactLoss::new(portfolio, copula, &config)?;
                accuracy = Some(exact.accuracy().clone());
                summarise(&exact)?
            }
            // Its own model: Poisson defaults under gamma sector factors.
            LossMethod::CreditRiskPlus => {
                let spec = self.creditrisk.as_ref().ok_or_else(|| Error::Unsupported {
                    method: "creditrisk+",
                    reason: "needs the sector variances and the loss unit".into(),
                })?;
                let c = CreditRiskPlus::new(portfolio, spec)?;
                accuracy = Some(c.accuracy().clone());
                summarise(&c)?
            }
            LossMethod::Saddlepoint => {
                // The figures, then the same at a coarser setting: convergence evidence.
                let s = Saddlepoint::new(portfolio, copula)?;
                let summary = summarise(&s)?;
                accuracy = Some(s.convergence(
                    portfolio,
                    &summary,
                    &self.levels,
                    &self.tail,
                    &self.tranches,
                )?);
                summary
            }
            // The copula-implied diversity score.
            LossMethod::BinomialExpansion => {
                accuracy = Some(AccuracyReport::analytic(
                    "bet: binomial probabilities in closed form; the diversity score's \
                     replacement of the pool by independent equal exposures is a model error, \
                     not measured here",
                ));
                summarise(&BinomialExpansion::new(portfolio, copula)?)?
            }
        };
        let mut report = self.report(portfolio.len(), portfolio.total_ead(), summary, None);
        report.accuracy = accuracy.unwrap_or_else(|| standard_errors(&report));
        Ok(report)
    }

    /// The report of a simulation (`mc`, or `mc-is` with its importance-sampling tail
    /// estimates, one per `tail` level) of a portfolio of `exposures` exposures totalling
    /// `total_exposure`: what [`LossRequest::run_with`] returns for a simulation, from its
    /// distribution. A merge of shards ([`crate::shard`]) calls it on the merged run, so
    /// its report is the single run's.
    pub fn simulation_report(
        &self,
        exposures: usize,
        total_exposure: f64,
        dist: &McDistribution,
        tail_is: Option<Vec<TailEstimate>>,
    ) -> Result<LossReport> {
        let summary = LossSummary::of(dist, &self.levels, &self.tail, &self.tranches)?;
        let tail_is = tail_is.map(|v| {
            v.iter()
                .map(|t| TailReport {
                    x: t.x,
                    probability: t.probability.value,
                    std_error: t.probability.std_error,
                    variance_reduction: t.variance_reduction,
                })
                .collect()
        });
        let mut report = self.report(exposures, total_exposure, summary, tail_is);
        report.accuracy = standard_errors(&report);
        Ok(report)
    }

    /// Assembles the report from the method's summary (and the importance-sampling tail,
    /// which replaces the plain one).
    fn report(
        &self,
        exposures: usize,
        total_exposure: f64,
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
            exposures,
            total_exposure,
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
            accuracy: AccuracyReport::analytic(""),
        }
    }
}

/// A simulation's accuracy: the standard error of every figure of `report` (the
/// importance-sampling ones for `mc-is`'s tail).
fn standard_errors(report: &LossReport) -> AccuracyReport {
    let what = match report.method {
        LossMethod::ImportanceSampling => {
            "mc-is: Monte Carlo, the tail probabilities by Glasserman-Li importance sampling; \
             standard errors of every figure"
        }
        _ => "mc: Monte Carlo; standard errors of every figure (methods in monte-carlo.md)",
    };
    let mut r = AccuracyReport::analytic(what);
    r.evidence = crate::accuracy::Evidence::StandardErrors;
    let mut push = |figure: String, value: f64, se: Option<f64>| {
        if let Some(std_error) = se {
            r.standard_errors.push(FigureError {
                figure,
                value,
                std_error,
            });
        }
    };
    push(
        "expected_loss".into(),
        report.expected_loss,
        report.expected_loss_std_error,
    );
    push(
        "unexpected_loss".into(),
        report.unexpected_loss,
        report.unexpected_loss_std_error,
    );
    for (name, values, errors) in [
        ("var", &report.var, &report.var_std_error),
        ("es", &report.es, &report.es_std_error),
    ] {
        for (level, v) in values {
            push(
                format!("{name}[{level}]"),
                *v,
                errors.as_ref().and_then(|e| e.get(level).copied()),
            );
        }
    }
    for t in &report.tail {
        push(format!("tail[{}]", t.x), t.probability, t.std_error);
    }
    for t in &report.tranches {
        let name = format!("tranche[{}-{}]", t.attach, t.detach);
        push(
            format!("{name}.expected_loss"),
            t.expected_loss,
            t.std_error,
        );
        push(
            format!("{name}.default_probability"),
            t.default_probability,
            t.default_probability_std_error,
        );
    }
    r
}

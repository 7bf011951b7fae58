//! The logistic scorecard over the four factors, and the PD posterior when factors are
//! missing.
//!
//! ## Features
//!
//! | factor             | feature                     | design value `x`           | default β |
//! |--------------------|-----------------------------|----------------------------|-----------|
//! | credit history     | credit score (300–850)      | (score − 700) / 100        | −1.30     |
//! | collateral quality | loan-to-value               | min(LTV, 1.25) − 0.70      | +2.50     |
//! | collateral quality | collateral price volatility | σ − 0.20                   | +1.50     |
//! | collateral quality | liquidation haircut         | h − 0.10                   | +1.00     |
//! | repayment capacity | payment-to-income coverage  | ln(income / payment / 4)   | −0.80     |
//! | cash flow          | annual income               | ln(income / 60 000)        | −0.40     |
//! | cash flow          | debt-to-income              | DTI − 0.35                 | +2.00     |
//!
//! The intercept −3.892 = logit(2%): the one-year PD of a borrower at every reference
//! value. The logit of the one-year PD is `β₀ + Σ βⱼ xⱼ`.
//!
//! ## Missing information
//!
//! A factor the borrower did not reveal is not imputed. Its design value is treated as an
//! unknown draw from the population, `xⱼ ~ N(mⱼ, sⱼ²)` (documented population moments,
//! re-estimated by [`Scorecard::fit`]). The logit is then normal,
//!
//! `logit PD ~ N(β₀ + Σ_known βⱼ xⱼ + Σ_missing βⱼ mⱼ, Σ_missing βⱼ² sⱼ² + parameter variance)`,
//!
//! a logit-normal posterior on the PD whose quantiles are closed form. The grade uses its
//! conservative quantile ([`Scorecard::conservative_quantile`], 95% by default): the less
//! is known, the wider the posterior and the higher that quantile. See
//! [docs/methodology/grading.md](crate::methodology::grading).

use crate::error::{GradeError, Result};
use crate::logistic::{IrlsOptions, LogisticFit, fit_logistic};
use creditlab_numerics::special::{logistic, logit, norm_pdf, norm_ppf};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// The four factors behind a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Factor {
    /// Credit history: the credit score.
    CreditHistory,
    /// Quality of the collateral: LTV, price volatility, haircut.
    CollateralQuality,
    /// Likelihood of repaying principal and interest: payment-to-income coverage.
    RepaymentCapacity,
    /// The borrower's cash flow: income and debt-to-income.
    CashFlow,
}

impl Factor {
    /// Whether the factor is about the borrower (unknown for an anonymous DeFi borrower)
    /// rather than about the collateral.
    pub fn is_borrower_side(&self) -> bool {
        !matches!(self, Factor::CollateralQuality)
    }
}

/// One scorecard feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// Credit score on the 300–850 scale.
    CreditScore,
    /// Loan-to-value (principal / collateral value).
    Ltv,
    /// Annualized volatility of the collateral's price.
    CollateralVolatility,
    /// Liquidation haircut of the collateral.
    Haircut,
    /// Payment-to-income coverage: annual income / annual payment on this loan.
    PaymentCoverage,
    /// Annual income (currency).
    Income,
    /// Debt-to-income: annual debt service on all debts / annual income.
    Dti,
}

/// Number of features.
pub const N_FEATURES: usize = 7;
/// LTV above which the LTV feature is capped (deeply underwater loans and unsecured loans).
pub const LTV_CAP: f64 = 1.25;

impl Feature {
    /// All features, in design-matrix order (after the intercept).
    pub const ALL: [Feature; N_FEATURES] = [
        Feature::CreditScore,
        Feature::Ltv,
        Feature::CollateralVolatility,
        Feature::Haircut,
        Feature::PaymentCoverage,
        Feature::Income,
        Feature::Dti,
    ];

    /// The feature's name as printed and serialized.
    pub fn name(&self) -> &'static str {
        match self {
            Feature::CreditScore => "credit-score",
            Feature::Ltv => "ltv",
            Feature::CollateralVolatility => "collateral-volatility",
            Feature::Haircut => "haircut",
            Feature::PaymentCoverage => "payment-coverage",
            Feature::Income => "income",
            Feature::Dti => "dti",
        }
    }

    /// The factor the feature measures.
    pub fn factor(&self) -> Factor {
        match self {
            Feature::CreditScore => Factor::CreditHistory,
            Feature::Ltv | Feature::CollateralVolatility | Feature::Haircut => {
                Factor::CollateralQuality
            }
            Feature::PaymentCoverage => Factor::RepaymentCapacity,
            Feature::Income | Feature::Dti => Factor::CashFlow,
        }
    }

    /// The design value `x` of a raw observation (see the module table), or an error naming
    /// the feature if the raw value is outside its domain.
    pub fn design_value(&self, raw: f64) -> Result<f64> {
        let bad = |reason| GradeError::InvalidParameter {
            field: self.name().to_string(),
            value: raw,
            reason,
        };
        if !raw.is_finite() {
            return Err(bad("must be finite"));
        }
        Ok(match self {
            Feature::CreditScore => (raw - 700.0) / 100.0,
            Feature::Ltv => {
                if raw < 0.0 {
                    return Err(bad("must be >= 0"));
                }
                raw.min(LTV_CAP) - 0.70
            }
            Feature::CollateralVolatility => {
                if raw < 0.0 {
                    return Err(bad("must be >= 0"));
                }
                raw - 0.20
            }
            Feature::Haircut => {
                if !(0.0..=1.0).contains(&raw) {
                    return Err(bad("must be in [0, 1]"));
                }
                raw - 0.10
            }
            Feature::PaymentCoverage => {
                if raw <= 0.0 {
                    return Err(bad("must be > 0"));
                }
                (raw / 4.0).ln()
            }
            Feature::Income => {
                if raw <= 0.0 {
                    return Err(bad("must be > 0"));
                }
                (raw / 60_000.0).ln()
            }
            Feature::Dti => {
                if raw < 0.0 {
                    return Err(bad("must be >= 0"));
                }
                raw - 0.35
            }
        })
    }
}

/// What is known about one loan and its borrower, raw units. `None` means not revealed:
/// never replaced by an average.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Observation {
    /// Credit score (300–850).
    pub credit_score: Option<f64>,
    /// Loan-to-value; for an unsecured loan use [`LTV_CAP`] (known: no collateral).
    pub ltv: Option<f64>,
    /// Annualized collateral price volatility.
    pub collateral_volatility: Option<f64>,
    /// Liquidation haircut of the collateral.
    pub haircut: Option<f64>,
    /// Annual income / annual payment on this loan.
    pub payment_coverage: Option<f64>,
    /// Annual income.
    pub income: Option<f64>,
    /// Debt-to-income ratio.
    pub dti: Option<f64>,
}

impl Observation {
    /// The raw values in [`Feature::ALL`] order.
    pub fn raw(&self) -> [Option<f64>; N_FEATURES] {
        [
            self.credit_score,
            self.ltv,
            self.collateral_volatility,
            self.haircut,
            self.payment_coverage,
            self.income,
            self.dti,
        ]
    }

    /// The same observation with every borrower-side factor (credit history, repayment
    /// capacity, cash flow) withheld: what a lender would know of an anonymous borrower.
    pub fn without_borrower_side(&self) -> Self {
        Self {
            ltv: self.ltv,
            collateral_volatility: self.collateral_volatility,
            haircut: self.haircut,
            ..Self::default()
        }
    }

    /// The design values in [`Feature::ALL`] order, `None` where not revealed.
    pub fn design(&self) -> Result<[Option<f64>; N_FEATURES]> {
        let raw = self.raw();
        let mut out = [None; N_FEATURES];
        for (j, f) in Feature::ALL.iter().enumerate() {
            out[j] = raw[j].map(|v| f.design_value(v)).transpose()?;
        }
        Ok(out)
    }

    /// The factors with at least one feature not revealed.
    pub fn missing_factors(&self) -> Vec<Factor> {
        let mut out: Vec<Factor> = Vec::new();
        for (f, v) in Feature::ALL.iter().zip(self.raw()) {
            if v.is_none() && !out.contains(&f.factor()) {
                out.push(f.factor());
            }
        }
        out
    }
}

/// A feature's coefficient and the population distribution of its design value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// The feature.
    pub feature: Feature,
    /// Its coefficient β on the logit of the one-year PD.
    pub coefficient: f64,
    /// Population mean of the design value (used only when the feature is missing).
    pub population_mean: f64,
    /// Population standard deviation of the design value (ditto).
    pub population_sd: f64,
}

/// The logit-normal posterior of a one-year PD: `logit PD ~ N(logit_mean, logit_sd²)`.
///
/// ```
/// use creditlab_grade::PdPosterior;
/// use creditlab_numerics::special::logistic;
/// let p = PdPosterior { logit_mean: -3.9, logit_sd: 1.0 };
/// assert_eq!(p.median(), logistic(-3.9));
/// // Uncertainty raises the mean PD above the median (Jensen) and widens the interval.
/// assert!(p.mean() > p.median());
/// let (lo, hi) = p.interval(0.9);
/// assert!(lo < p.median() && p.median() < hi && hi == p.quantile(0.95));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PdPosterior {
    /// Mean of the logit.
    pub logit_mean: f64,
    /// Standard deviation of the logit (0 when everything is known and the coefficients
    /// are taken as exact).
    pub logit_sd: f64,
}

impl PdPosterior {
    /// The `q`-quantile of the PD, closed form: `logistic(μ + s G(q))`. `q` in (0, 1).
    pub fn quantile(&self, q: f64) -> f64 {
        logistic(self.logit_mean + self.logit_sd * norm_ppf(q))
    }

    /// The median PD, `logistic(μ)`.
    pub fn median(&self) -> f64 {
        logistic(self.logit_mean)
    }

    /// The mean PD `E[logistic(μ + s Z)]`, by Simpson's rule over z in [−10, 10] (no closed
    /// form exists; the integrand is smooth, 400 panels give ~1e-12 accuracy).
    pub fn mean(&self) -> f64 {
        self.expect(|p| p)
    }

    /// `E[g(PD)]` for a smooth function `g` (Simpson's rule as in [`Self::mean`]).
    pub fn expect(&self, g: impl Fn(f64) -> f64) -> f64 {
        if self.logit_sd == 0.0 {
            return g(self.median());
        }
        let n = 400;
        let (a, b) = (-10.0, 10.0);
        let h = (b - a) / n as f64;
        let f = |z: f64| g(logistic(self.logit_mean + self.logit_sd * z)) * norm_pdf(z);
        let mut sum = f(a) + f(b);
        for i in 1..n {
            sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(a + i as f64 * h);
        }
        sum * h / 3.0
    }

    /// The central interval holding `level` of the posterior, e.g. 0.9 → (5%, 95%).
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let tail = 0.5 * (1.0 - level);
        (self.quantile(tail), self.quantile(1.0 - tail))
    }
}

/// The PD side of a grade: the posterior and the numbers drawn from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PdAssessment {
    /// The posterior on the one-year PD.
    pub posterior: PdPosterior,
    /// Expected one-year PD (the posterior mean): what enters expected loss.
    pub pd: f64,
    /// Lower end of the central interval of the one-year PD.
    pub pd_lower: f64,
    /// Upper end of the central interval of the one-year PD.
    pub pd_upper: f64,
    /// Level of that interval (e.g. 0.90).
    pub interval_level: f64,
    /// The conservative one-year PD: the posterior's conservative quantile. The grade and
    /// the capital use it.
    pub pd_conservative: f64,
    /// The loan's life in years, over which the lifetime PDs are measured.
    pub life_years: f64,
    /// Expected PD over the loan's life, `E[1 − (1 − PD)^T]` (constant annual hazard).
    pub pd_lifetime: f64,
    /// The conservative quantile of the lifetime PD.
    pub pd_lifetime_conservative: f64,
    /// The factors the borrower did not (fully) reveal.
    pub missing_factors: Vec<Factor>,
}

/// A logistic scorecard for the one-year PD, with the population moments of its features
/// for missing information and, when fitted, the coefficients' covariance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The intercept β₀: logit of the PD at every design value 0.
    pub intercept: f64,
    /// The features, in [`Feature::ALL`] order.
    pub features: [FeatureSpec; N_FEATURES],
    /// Covariance of (β₀, β₁ … β₇) from a fit, row-major 8 × 8; `None` for the documented
    /// default coefficients, taken as exact.
    pub covariance: Option<Vec<f64>>,
    /// The posterior quantile used as the conservative PD (default 0.95).
    pub conservative_quantile: f64,
    /// The level of the reported PD interval (default 0.90: 5% to 95%).
    pub interval_level: f64,
}

impl Default for Scorecard {
    fn default() -> Self {
        let spec = |feature, coefficient, population_sd| FeatureSpec {
            feature,
            coefficient,
            population_mean: 0.0,
            population_sd,
        };
        Self {
            intercept: logit(0.02),
            features: [
                spec(Feature::CreditScore, -1.30, 0.80),
                spec(Feature::Ltv, 2.50, 0.15),
                spec(Feature::CollateralVolatility, 1.50, 0.15),
                spec(Feature::Haircut, 1.00, 0.08),
                spec(Feature::PaymentCoverage, -0.80, 0.50),
                spec(Feature::Income, -0.40, 0.60),
                spec(Feature::Dti, 2.00, 0.12),
            ],
            covariance: None,
            conservative_quantile: 0.95,
            interval_level: 0.90,
        }
    }
}

/// A design column whose standard deviation is below this share of (1 + |mean|) is constant:
/// only rounding makes it vary, and it cannot be told apart from the intercept.
const CONSTANT_COLUMN: f64 = 1e-9;

/// A fitted scorecard and how the fit went.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardFit {
    /// The scorecard with fitted coefficients, covariance and population moments.
    pub scorecard: Scorecard,
    /// The raw logistic fit over the identifiable columns.
    pub fit: LogisticFit,
    /// Names of the design columns fitted, `"intercept"` first.
    pub columns: Vec<&'static str>,
    /// Features constant in the data: not identifiable, coefficient set to 0.
    pub constant_features: Vec<Feature>,
    /// Rows used (every feature and the outcome observed).
    pub rows_used: usize,
    /// Rows skipped because a feature was missing.
    pub rows_skipped: usize,
}

impl Scorecard {
    /// The documented default scorecard (same as `Default`).
    pub fn standard() -> Self {
        Self::default()
    }

    /// Checks the quantile and interval settings.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("conservative quantile", self.conservative_quantile),
            ("interval level", self.interval_level),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(GradeError::InvalidParameter {
                    field: field.into(),
                    value: v,
                    reason: "must be in (0, 1)",
                });
            }
        }
        Ok(())
    }

    /// The PD posterior of one observation.
    pub fn posterior(&self, obs: &Observation) -> Result<PdPosterior> {
        let x = obs.design()?;
        let mut mean = self.intercept;
        let mut var = 0.0;
        // The design vector with missing values at their population means, for the
        // parameter-uncertainty term v'Σv.
        let mut v = [0.0; N_FEATURES + 1];
        v[0] = 1.0;
        for (j, (spec, xj)) in self.features.iter().zip(x).enumerate() {
            match xj {
                Some(xj) => {
                    mean += spec.coefficient * xj;
                    v[j + 1] = xj;
                }
                None => {
                    mean += spec.coefficient * spec.population_mean;
                    var += spec.coefficient.powi(2) * spec.population_sd.powi(2);
                    v[j + 1] = spec.population_mean;
                    if let Some(cov) = &self.covariance {
                        // Var(βⱼ xⱼ) with both uncertain adds Var(βⱼ) sⱼ² beyond v'Σv.
                        let d = (j + 1) * (N_FEATURES + 1) + j + 1;
                        var += cov[d] * spec.population_sd.powi(2);
                    }
                }
            }
        }
        if let Some(cov) = &self.covariance {
            let n = N_FEATURES + 1;
            for a in 0..n {
                for b in 0..n {
                    var += v[a] * cov[a * n + b] * v[b];
                }
            }
        }
        Ok(PdPosterior {
            logit_mean: mean,
            logit_sd: var.max(0.0).sqrt(),
        })
    }

    /// The PD assessment of one observation for a loan of `life_years` remaining life.
    pub fn assess(&self, obs: &Observation, life_years: f64) -> Result<PdAssessment> {
        self.validate()?;
        if !(life_years.is_finite() && life_years > 0.0) {
            return Err(GradeError::InvalidParameter {
                field: "loan life".into(),
                value: life_years,
                reason: "must be finite and > 0 years",
            });
        }
        let posterior = self.posterior(obs)?;
        let (pd_lower, pd_upper) = posterior.interval(self.interval_level);
        let pd_conservative = posterior.quantile(self.conservative_quantile);
        let lifetime = |p: f64| 1.0 - (1.0 - p).powf(life_years);
        Ok(PdAssessment {
            posterior,
            pd: posterior.mean(),
            pd_lower,
            pd_upper,
            interval_level: self.interval_level,
            pd_conservative,
            life_years,
            pd_lifetime: posterior.expect(lifetime),
            // 1 − (1 − p)^T is increasing in p: quantiles map through it.
            pd_lifetime_conservative: lifetime(pd_conservative),
            missing_factors: obs.missing_factors(),
        })
    }

    /// Fits the coefficients by logistic regression (IRLS) on rows whose every feature and
    /// outcome is observed, and re-estimates the population moments of each design value
    /// from those rows. Outcomes should be one-year default flags for the coefficients to
    /// be one-year PDs. Features constant in the data cannot be told apart from the
    /// intercept: they get coefficient 0 and are listed in the result.
    pub fn fit(rows: &[(Observation, bool)], options: &IrlsOptions) -> Result<ScorecardFit> {
        let mut designs = Vec::with_capacity(rows.len());
        let mut outcomes = Vec::with_capacity(rows.len());
        for (obs, d) in rows {
            let x = obs.design()?;
            if x.iter().all(Option::is_some) {
                designs.push(x.map(|v| v.unwrap_or_default()));
                outcomes.push(*d);
            }
        }
        let used = designs.len();
        if used == 0 {
            return Err(GradeError::NotEnoughData(format!(
                "none of {} rows has every factor observed (an anonymous book cannot fit \
                 the borrower-side coefficients)",
                rows.len()
            )));
        }
        // Population moments and constant columns.
        let mut moments = [(0.0, 0.0); N_FEATURES];
        for (j, m) in moments.iter_mut().enumerate() {
            let mean = designs.iter().map(|x| x[j]).sum::<f64>() / used as f64;
            let var = designs.iter().map(|x| (x[j] - mean).powi(2)).sum::<f64>()
                / (used.max(2) - 1) as f64;
            *m = (mean, var.sqrt());
        }
        let varying: Vec<usize> = (0..N_FEATURES)
            .filter(|&j| moments[j].1 > CONSTANT_COLUMN * (1.0 + moments[j].0.abs()))
            .collect();
        let constant_features: Vec<Feature> = (0..N_FEATURES)
            .filter(|j| !varying.contains(j))
            .map(|j| Feature::ALL[j])
            .collect();
        let k = varying.len() + 1;
        let x = DMatrix::from_fn(used, k, |i, c| {
            if c == 0 {
                1.0
            } else {
                designs[i][varying[c - 1]]
            }
        });
        let fit = fit_logistic(&x, &outcomes, options)?;

        let mut card = Scorecard {
            intercept: fit.coefficients[0],
            ..Scorecard::default()
        };
        let n = N_FEATURES + 1;
        let mut cov = vec![0.0; n * n];
        // Column index in the full (intercept + 7) layout of each fitted column.
        let full: Vec<usize> = std::iter::once(0)
            .chain(varying.iter().map(|j| j + 1))
            .collect();
        for (a, &fa) in full.iter().enumerate() {
            for (b, &fb) in full.iter().enumerate() {
                cov[fa * n + fb] = fit.covariance[(a, b)];
            }
        }
        for (j, spec) in card.features.iter_mut().enumerate() {
            spec.coefficient = varying
                .iter()
                .position(|&v| v == j)
                .map_or(0.0, |c| fit.coefficients[c + 1]);
            spec.population_mean = moments[j].0;
            spec.population_sd = moments[j].1;
        }
        card.covariance = Some(cov);
        let columns = std::iter::once("intercept")
            .chain(varying.iter().map(|&j| Feature::ALL[j].name()))
            .collect();
        Ok(ScorecardFit {
            scorecard: card,
            fit,
            columns,
            constant_features,
            rows_used: used,
            rows_skipped: rows.len() - used,
        })
    }

    /// The coefficients as a vector (β₀, β₁ … β₇), e.g. for reports.
    pub fn coefficient_vector(&self) -> DVector<f64> {
        DVector::from_iterator(
            N_FEATURES + 1,
            std::iter::once(self.intercept).chain(self.features.iter().map(|f| f.coefficient)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::{Grade, MasterScale};
    use creditlab_numerics::prec;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal, StandardNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn prime() -> Observation {
        Observation {
            credit_score: Some(800.0),
            ltv: Some(0.5),
            collateral_volatility: Some(0.10),
            haircut: Some(0.10),
            payment_coverage: Some(6.0),
            income: Some(90_000.0),
            dti: Some(0.25),
        }
    }

    #[test]
    fn logit_normal_quantiles_and_mean_match_monte_carlo() {
        let post = PdPosterior {
            logit_mean: -3.1,
            logit_sd: 1.2,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 400_000;
        let mut draws: Vec<f64> = (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                logistic(post.logit_mean + post.logit_sd * z)
            })
            .collect();
        draws.sort_by(f64::total_cmp);
        // An empirical quantile of 400 000 draws: within 1% of the closed form (its standard
        // error is about 0.4% of the value at the 5% and 99% quantiles, less between).
        const QUANTILE_RELATIVE: f64 = 0.01;
        for q in [0.05, 0.5, 0.9, 0.95, 0.99] {
            let mc = draws[(q * n as f64) as usize];
            let closed = post.quantile(q);
            assert!(
                (mc - closed).abs() < QUANTILE_RELATIVE * closed,
                "q {q}: {mc} vs {closed}"
            );
        }
        let mc_mean = draws.iter().sum::<f64>() / n as f64;
        // The standard error of the Monte Carlo mean is sd/√n ≈ 1.4e-4 here, so this bound
        // is about 3.7 standard errors (`prec::MC_SIGMAS` of them would be looser).
        const MEAN_TOLERANCE: f64 = 5e-4;
        assert!(
            (mc_mean - post.mean()).abs() < MEAN_TOLERANCE,
            "{mc_mean} vs {}",
            post.mean()
        );
        // Jensen: the mean PD exceeds the PD at the mean logit (the logit is below 0).
        assert!(post.mean() > post.median());
    }

    #[test]
    fn full_information_has_a_point_posterior() {
        let card = Scorecard::default();
        let a = card.assess(&prime(), 1.0).unwrap();
        assert!(a.posterior.logit_sd.abs() < prec::IDENTITY);
        assert!((a.pd - a.pd_conservative).abs() < prec::IDENTITY);
        assert!(a.missing_factors.is_empty());
        // Hand computation of the logit for the prime borrower.
        let logit = logit(0.02) - 1.3 * 1.0 + 2.5 * (0.5 - 0.7) + 1.5 * (0.1 - 0.2) + 1.0 * 0.0
            - 0.8 * (6.0f64 / 4.0).ln()
            - 0.4 * (90_000.0f64 / 60_000.0).ln()
            + 2.0 * (0.25 - 0.35);
        assert!((a.posterior.logit_mean - logit).abs() < prec::ACCUMULATED);
        // Over one year the lifetime PD is the one-year PD: 1 − (1 − p) rounds once.
        assert!((a.pd_lifetime - a.pd).abs() < prec::IDENTITY);
    }

    #[test]
    fn no_borrower_information_gives_a_low_grade_despite_good_collateral() {
        let card = Scorecard::default();
        let scale = MasterScale::standard();
        let full = card.assess(&prime(), 5.0).unwrap();
        let anon_obs = prime().without_borrower_side();
        let anon = card.assess(&anon_obs, 5.0).unwrap();
        // The missing factors are named and widen the posterior.
        assert_eq!(
            anon.missing_factors,
            vec![
                Factor::CreditHistory,
                Factor::RepaymentCapacity,
                Factor::CashFlow
            ]
        );
        let want_sd = (1.3f64.powi(2) * 0.8f64.powi(2)
            + 0.8f64.powi(2) * 0.5f64.powi(2)
            + 0.4f64.powi(2) * 0.6f64.powi(2)
            + 2.0f64.powi(2) * 0.12f64.powi(2))
        .sqrt();
        assert!((anon.posterior.logit_sd - want_sd).abs() < prec::IDENTITY);
        assert!(anon.pd_upper - anon.pd_lower > 10.0 * (full.pd_upper - full.pd_lower));
        // Same collateral, same loan: the full-information borrower is investment grade,
        // the anonymous one is speculative, two or more notches below.
        let g_full = scale.grade(full.pd_conservative).unwrap();
        let g_anon = scale.grade(anon.pd_conservative).unwrap();
        assert!(g_full.is_investment_grade(), "{g_full}");
        assert!(g_anon >= Grade::B, "{g_anon}");
        assert!(anon.pd_conservative > anon.pd && anon.pd > anon.posterior.median());
        // Lifetime PD over five years exceeds the one-year PD and stays below 5×.
        assert!(anon.pd_lifetime > anon.pd && anon.pd_lifetime < 5.0 * anon.pd);
    }

    #[test]
    fn each_missing_factor_widens_the_posterior() {
        let card = Scorecard::default();
        let mut obs = prime();
        let mut last = card.posterior(&obs).unwrap().logit_sd;
        for drop in 0..3 {
            match drop {
                0 => obs.credit_score = None,
                1 => obs.payment_coverage = None,
                _ => {
                    obs.income = None;
                    obs.dti = None;
                }
            }
            let sd = card.posterior(&obs).unwrap().logit_sd;
            assert!(sd > last);
            last = sd;
        }
    }

    /// Draws design values from independent normals, raw values from them, and outcomes from
    /// the scorecard's own PDs.
    fn simulate(card: &Scorecard, n: usize, seed: u64) -> Vec<(Observation, bool)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let mut x = [0.0; N_FEATURES];
            for (j, s) in card.features.iter().enumerate() {
                x[j] = Normal::new(s.population_mean, s.population_sd)
                    .unwrap()
                    .sample(&mut rng);
            }
            // Keep raw values in their domains (the inverse transforms below).
            x[1] = x[1].clamp(-0.7, LTV_CAP - 0.7 - 1e-9);
            x[2] = x[2].max(-0.2);
            x[3] = x[3].clamp(-0.1, 0.9);
            x[6] = x[6].max(-0.35);
            let obs = Observation {
                credit_score: Some(700.0 + 100.0 * x[0]),
                ltv: Some(x[1] + 0.7),
                collateral_volatility: Some(x[2] + 0.2),
                haircut: Some(x[3] + 0.1),
                payment_coverage: Some(4.0 * x[4].exp()),
                income: Some(60_000.0 * x[5].exp()),
                dti: Some(x[6] + 0.35),
            };
            let pd = card.posterior(&obs).unwrap().median();
            rows.push((obs, rng.random::<f64>() < pd));
        }
        rows
    }

    /// Standard errors a fitted coefficient may stand from the truth (as in `logistic`'s
    /// tests): three, a 0.3% event per coefficient at a fixed seed.
    const COEFFICIENT_SIGMAS: f64 = 3.0;

    #[test]
    fn fit_recovers_known_coefficients_within_three_standard_errors() {
        // Stronger coefficients than the default card and a higher base rate, so that
        // 60 000 loans identify every coefficient well.
        let mut truth = Scorecard {
            intercept: logit(0.08),
            ..Scorecard::default()
        };
        truth.features[1].population_sd = 0.2;
        truth.features[2].population_sd = 0.3;
        truth.features[3].population_sd = 0.15;
        let rows = simulate(&truth, 60_000, 2024);
        let fitted = Scorecard::fit(&rows, &IrlsOptions::default()).unwrap();
        assert_eq!(fitted.rows_used, 60_000);
        assert!(fitted.constant_features.is_empty());
        let beta = truth.coefficient_vector();
        for j in 0..=N_FEATURES {
            let est = fitted.fit.coefficients[j];
            let se = fitted.fit.standard_errors[j];
            assert!(
                ((est - beta[j]) / se).abs() < COEFFICIENT_SIGMAS,
                "{}: {est:.3} ± {se:.3}, truth {:.3}",
                fitted.columns[j],
                beta[j]
            );
        }
        // The fitted card carries the covariance, so even full information has a
        // (small) posterior spread from parameter uncertainty.
        let post = fitted.scorecard.posterior(&rows[0].0).unwrap();
        assert!(post.logit_sd > 0.0 && post.logit_sd < 0.2);
    }

    #[test]
    fn fit_needs_complete_rows_and_drops_constant_features() {
        let card = Scorecard::default();
        let anon: Vec<(Observation, bool)> = simulate(&card, 100, 1)
            .into_iter()
            .map(|(o, d)| (o.without_borrower_side(), d))
            .collect();
        let e = Scorecard::fit(&anon, &IrlsOptions::default()).unwrap_err();
        assert!(matches!(e, GradeError::NotEnoughData(_)), "{e}");

        let truth = Scorecard {
            intercept: logit(0.1),
            ..Scorecard::default()
        };
        let mut rows = simulate(&truth, 5_000, 9);
        for (o, _) in &mut rows {
            o.haircut = Some(0.15);
        }
        let fitted = Scorecard::fit(&rows, &IrlsOptions::default()).unwrap();
        assert_eq!(fitted.constant_features, vec![Feature::Haircut]);
        assert!(fitted.scorecard.features[3].coefficient.abs() < prec::IDENTITY);
        assert_eq!(fitted.columns.len(), N_FEATURES);

        let one_class: Vec<(Observation, bool)> = rows.iter().map(|(o, _)| (*o, false)).collect();
        let e = Scorecard::fit(&one_class, &IrlsOptions::default()).unwrap_err();
        assert!(matches!(e, GradeError::OneClass { .. }), "{e}");
    }

    #[test]
    fn bad_raw_values_name_the_feature() {
        let mut obs = prime();
        obs.income = Some(-1.0);
        let e = Scorecard::default().posterior(&obs).unwrap_err();
        assert!(e.to_string().contains("income"), "{e}");
    }
}

//! A collateral-only PD model for anonymous borrowers, fitted on a DeFi book's own
//! outcomes, and its out-of-sample comparison with the bank scorecard's extrapolation.
//!
//! A DeFi borrower reveals nothing but the position: its LTV, the collateral's volatility,
//! how far the price can fall before the protocol liquidates (the distance from the LTV to
//! the liquidation threshold) and the liquidation bonus. [`CollateralModel`] is a logistic
//! regression of the one-year default flag on those four features, fitted by the same IRLS
//! as the scorecard ([`crate::logistic`]), by default with Firth's penalty
//! ([`Estimation::Firth`]) because a minority asset with rare defaults separates the data
//! (no default at all among its loans in the fit half), where the plain maximum-likelihood
//! estimate does not exist:
//!
//! ```text
//! logit PD = b0 + b1 LTV + b2 sigma + b3 ln(threshold / LTV) + b4 bonus
//! ```
//!
//! A feature that is constant in the data, or a linear combination of the intercept and
//! the features before it, cannot be estimated and is dropped (listed in
//! [`CollateralModel::dropped`]): a book of two assets with one bonus has a constant bonus.
//!
//! **Estimation uncertainty.** The fit's covariance `Sigma` carries over to each loan's
//! logit by the delta method, `se(eta) = sqrt(x' Sigma x)`; the conservative PD is the upper
//! confidence bound `logistic(eta + G(q) se(eta))` ([`CollateralPd::pd_upper`]). It is not the
//! population spread of the bank scorecard's posterior, which widens the PD of a borrower
//! whose facts are missing by the spread of those facts in the bank's population; that one
//! is reported separately and labelled ([`CollateralModelReport::bank_scorecard`]).
//!
//! **Out of sample.** [`CollateralModelReport::build`] fits on one half of the book (a
//! seeded random split, [`split_halves`]) and reports the AUC, Brier score,
//! Hosmer-Lemeshow and the count test ([`crate::validation::calibration_test`]) on the other
//! half, for the fitted model and for the bank scorecard on the same loans.
//! Methodology: [docs/methodology/grading.md](crate::methodology::grading), section 8.

use crate::error::{GradeError, Result};
use crate::grading::{GradingConfig, grade_record};
use crate::logistic::{IrlsOptions, fit_logistic, fit_logistic_firth};
use crate::report::FitRow;
use crate::validation::{self, CalibrationTest, HosmerLemeshow};
use creditlab_loan::{Book, LoanRecord};
use creditlab_numerics::special::{logistic, norm_ppf};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// One feature of the collateral-only model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollateralFeature {
    /// Loan-to-value.
    Ltv,
    /// Annual volatility of the collateral's price.
    CollateralVolatility,
    /// Log distance from the LTV to the liquidation threshold, `ln(threshold / LTV)`: the
    /// log fall of the collateral's price that triggers a liquidation.
    LiquidationDistance,
    /// Liquidation bonus, `haircut / (1 − haircut)`.
    LiquidationBonus,
}

/// Number of collateral features.
pub const N_COLLATERAL_FEATURES: usize = 4;

impl CollateralFeature {
    /// All features, in design order (after the intercept).
    pub const ALL: [CollateralFeature; N_COLLATERAL_FEATURES] = [
        CollateralFeature::Ltv,
        CollateralFeature::CollateralVolatility,
        CollateralFeature::LiquidationDistance,
        CollateralFeature::LiquidationBonus,
    ];

    /// The feature's name as printed and serialized.
    pub fn name(&self) -> &'static str {
        match self {
            CollateralFeature::Ltv => "ltv",
            CollateralFeature::CollateralVolatility => "collateral-volatility",
            CollateralFeature::LiquidationDistance => "liquidation-distance",
            CollateralFeature::LiquidationBonus => "liquidation-bonus",
        }
    }
}

/// What is known of an anonymous position: its collateral features.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CollateralObservation {
    /// Loan-to-value.
    pub ltv: f64,
    /// Annual volatility of the collateral's price.
    pub volatility: f64,
    /// `ln(liquidation threshold / LTV)`.
    pub liquidation_distance: f64,
    /// Liquidation bonus.
    pub liquidation_bonus: f64,
}

impl CollateralObservation {
    /// The features of a secured record with a liquidation threshold; an error naming the
    /// loan and the missing fact otherwise. The bonus is the haircut's,
    /// `haircut / (1 − haircut)` (collateral worth `V` repays `V (1 − haircut)` of debt).
    pub fn of_record(record: &LoanRecord) -> Result<Self> {
        let id = record.loan.id();
        let missing = |what: &str| GradeError::Invalid {
            field: format!("loan {id}: {what}"),
            reason: "the collateral-only model needs a secured loan with a liquidation \
                     threshold (tape column liquidation_threshold)"
                .into(),
        };
        let ltv = record.ltv().ok_or_else(|| missing("collateral_value"))?;
        let threshold = record
            .collateral
            .liquidation_threshold()
            .ok_or_else(|| missing("liquidation_threshold"))?;
        let h = record.collateral.haircut();
        if h >= 1.0 {
            return Err(GradeError::InvalidParameter {
                field: format!("loan {id}: liquidation_haircut"),
                value: h,
                reason: "must be below 1 for a liquidation bonus",
            });
        }
        Ok(Self {
            ltv,
            volatility: record.collateral.volatility(),
            liquidation_distance: (threshold / ltv).ln(),
            liquidation_bonus: h / (1.0 - h),
        })
    }

    /// The raw feature values in [`CollateralFeature::ALL`] order.
    pub fn features(&self) -> [f64; N_COLLATERAL_FEATURES] {
        [
            self.ltv,
            self.volatility,
            self.liquidation_distance,
            self.liquidation_bonus,
        ]
    }
}

/// The PD of one position under a fitted [`CollateralModel`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CollateralPd {
    /// The fitted logit `eta = x' b`.
    pub logit: f64,
    /// Its standard error from the fit's covariance, `sqrt(x' Sigma x)` (delta method).
    pub logit_se: f64,
    /// The maximum-likelihood one-year PD, `logistic(eta)`.
    pub pd: f64,
    /// The upper confidence bound `logistic(eta + G(q) se)`: the conservative PD for
    /// estimation uncertainty.
    pub pd_upper: f64,
}

/// How the collateral-only model is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimation {
    /// Plain maximum likelihood ([`fit_logistic`]): fails on separated data.
    MaximumLikelihood,
    /// Firth's penalized likelihood ([`fit_logistic_firth`]): exists on separated data,
    /// less biased with few defaults.
    Firth,
}

/// A column whose residual, after projecting out the intercept and the columns kept before
/// it, has a norm below this share of its own norm is (numerically) a linear combination
/// of them: it is dropped rather than left to make the information matrix singular.
const COLLINEAR: f64 = 1e-6;

/// A fitted collateral-only logistic model.
///
/// ```
/// use creditlab_grade::collateral_model::{CollateralModel, CollateralObservation, Estimation};
/// use creditlab_grade::logistic::IrlsOptions;
/// use creditlab_loan::synthetic::{BookSpec, defi_book};
/// let book = defi_book(&BookSpec { loans: 4000, total_principal: None, seed: 3 })?;
/// let rows: Vec<_> = book
///     .iter()
///     .map(|r| Ok((CollateralObservation::of_record(r)?, r.defaulted.unwrap())))
///     .collect::<Result<_, creditlab_grade::GradeError>>()?;
/// let model = CollateralModel::fit(&rows, &IrlsOptions::default(), Estimation::Firth)?;
/// // Two assets with one bonus: the bonus is constant and dropped.
/// assert_eq!(model.dropped, vec!["liquidation-bonus"]);
/// let pd = model.assess(&rows[0].0, 0.95)?;
/// assert!(pd.pd < pd.pd_upper);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollateralModel {
    /// Names of the fitted columns, `"intercept"` first.
    pub columns: Vec<&'static str>,
    /// The features that could not be estimated (constant or collinear in the data).
    pub dropped: Vec<&'static str>,
    /// The features fitted, in column order after the intercept.
    pub features: Vec<CollateralFeature>,
    /// The maximum-likelihood coefficients in the features' own units, one per column.
    pub coefficients: Vec<f64>,
    /// Their standard errors.
    pub standard_errors: Vec<f64>,
    /// Mean of each fitted feature in the data: the fit runs on standardized features
    /// `(x - center) / scale`, whose information matrix is far better conditioned than the
    /// raw one (a volatility near 0.9 is almost the intercept).
    pub center: Vec<f64>,
    /// Standard deviation of each fitted feature in the data.
    pub scale: Vec<f64>,
    /// The coefficients on the standardized features, intercept first.
    pub standardized_coefficients: Vec<f64>,
    /// Their covariance, row-major, columns × columns: what the delta method uses.
    pub standardized_covariance: Vec<f64>,
    /// Rows fitted.
    pub rows: usize,
    /// Defaults among them.
    pub defaults: usize,
    /// Log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// How it was estimated.
    pub estimation: Estimation,
}

impl CollateralModel {
    /// Fits the model by IRLS on `rows` (observation, one-year default flag) with
    /// `estimation`, dropping constant and collinear features. Fit failures (one class;
    /// separation under maximum likelihood) are errors.
    pub fn fit(
        rows: &[(CollateralObservation, bool)],
        options: &IrlsOptions,
        estimation: Estimation,
    ) -> Result<Self> {
        if rows.is_empty() {
            return Err(GradeError::NotEnoughData(
                "the collateral-only model needs at least one row".into(),
            ));
        }
        for (i, (o, _)) in rows.iter().enumerate() {
            for (f, v) in CollateralFeature::ALL.iter().zip(o.features()) {
                if !v.is_finite() {
                    return Err(GradeError::InvalidParameter {
                        field: format!("row {i}: {}", f.name()),
                        value: v,
                        reason: "must be finite",
                    });
                }
            }
        }
        let n = rows.len();
        let nf = n as f64;
        // Gram-Schmidt on the centred candidate columns (centring is the projection on the
        // intercept): keep a feature only if it adds a direction.
        let mut basis: Vec<Vec<f64>> = Vec::new();
        let (mut features, mut dropped) = (Vec::new(), Vec::new());
        let (mut center, mut scale, mut standardized) = (Vec::new(), Vec::new(), Vec::new());
        for (j, f) in CollateralFeature::ALL.iter().enumerate() {
            let col: Vec<f64> = rows.iter().map(|(o, _)| o.features()[j]).collect();
            let mean = col.iter().sum::<f64>() / nf;
            let centred: Vec<f64> = col.iter().map(|v| v - mean).collect();
            let size = col.iter().map(|v| v * v).sum::<f64>().sqrt();
            let spread = centred.iter().map(|v| v * v).sum::<f64>().sqrt();
            let mut r = centred.clone();
            for q in &basis {
                let dot: f64 = r.iter().zip(q).map(|(a, b)| a * b).sum();
                r.iter_mut().zip(q).for_each(|(a, b)| *a -= dot * b);
            }
            let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            if size > 0.0 && rn > COLLINEAR * size {
                basis.push(r.iter().map(|v| v / rn).collect());
                features.push(*f);
                let sd = spread / (nf - 1.0).max(1.0).sqrt();
                center.push(mean);
                scale.push(sd);
                standardized.push(centred.iter().map(|v| v / sd).collect::<Vec<f64>>());
            } else {
                dropped.push(f.name());
            }
        }
        let k = features.len() + 1;
        let x = DMatrix::from_fn(
            n,
            k,
            |i, c| {
                if c == 0 { 1.0 } else { standardized[c - 1][i] }
            },
        );
        let y: Vec<bool> = rows.iter().map(|(_, d)| *d).collect();
        let fit = match estimation {
            Estimation::MaximumLikelihood => fit_logistic(&x, &y, options)?,
            Estimation::Firth => fit_logistic_firth(&x, &y, options)?,
        };
        // Back to the features' units: beta = A gamma, A = [[1, -c/s], [0, diag(1/s)]].
        let gamma: Vec<f64> = fit.coefficients.iter().copied().collect();
        let mut a = DMatrix::<f64>::identity(k, k);
        for j in 1..k {
            a[(j, j)] = 1.0 / scale[j - 1];
            a[(0, j)] = -center[j - 1] / scale[j - 1];
        }
        let beta = &a * &fit.coefficients;
        let raw_cov = &a * &fit.covariance * a.transpose();
        Ok(Self {
            columns: std::iter::once("intercept")
                .chain(features.iter().map(CollateralFeature::name))
                .collect(),
            dropped,
            features,
            coefficients: beta.iter().copied().collect(),
            standard_errors: (0..k).map(|j| raw_cov[(j, j)].max(0.0).sqrt()).collect(),
            center,
            scale,
            standardized_coefficients: gamma,
            standardized_covariance: (0..k * k).map(|i| fit.covariance[(i / k, i % k)]).collect(),
            rows: n,
            defaults: fit.defaults,
            log_likelihood: fit.log_likelihood,
            estimation,
        })
    }

    /// The standardized design vector of `obs`: 1, then `(x - center) / scale` of each
    /// fitted feature.
    pub fn design(&self, obs: &CollateralObservation) -> Vec<f64> {
        let raw = obs.features();
        std::iter::once(1.0)
            .chain(self.features.iter().enumerate().map(|(c, f)| {
                let j = CollateralFeature::ALL
                    .iter()
                    .position(|g| g == f)
                    .unwrap_or(0);
                (raw[j] - self.center[c]) / self.scale[c]
            }))
            .collect()
    }

    /// The PD of `obs` and its upper confidence bound at `quantile` (e.g. 0.95), in
    /// `(0, 1)`.
    pub fn assess(&self, obs: &CollateralObservation, quantile: f64) -> Result<CollateralPd> {
        if !(quantile > 0.0 && quantile < 1.0) {
            return Err(GradeError::InvalidParameter {
                field: "upper quantile".into(),
                value: quantile,
                reason: "must be in (0, 1)",
            });
        }
        let u = self.design(obs);
        let k = u.len();
        let eta: f64 = u
            .iter()
            .zip(&self.standardized_coefficients)
            .map(|(a, b)| a * b)
            .sum();
        let mut var = 0.0;
        for a in 0..k {
            for b in 0..k {
                var += u[a] * self.standardized_covariance[a * k + b] * u[b];
            }
        }
        let se = var.max(0.0).sqrt();
        Ok(CollateralPd {
            logit: eta,
            logit_se: se,
            pd: logistic(eta),
            pd_upper: logistic(eta + norm_ppf(quantile) * se),
        })
    }

    /// The fitted columns as report rows, in the features' own units.
    pub fn fit_rows(&self) -> Vec<FitRow> {
        self.columns
            .iter()
            .zip(self.coefficients.iter().zip(&self.standard_errors))
            .map(|(c, (b, se))| FitRow {
                column: (*c).to_string(),
                coefficient: *b,
                standard_error: *se,
            })
            .collect()
    }
}

/// A seeded random split of `0..n` into two halves (the first has `ceil(n / 2)` indices),
/// each in increasing order: a Fisher-Yates shuffle on xoshiro256++ seeded with `seed`.
pub fn split_halves(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        idx.swap(i, j);
    }
    let mut fit = idx[..n.div_ceil(2)].to_vec();
    let mut test = idx[n.div_ceil(2)..].to_vec();
    fit.sort_unstable();
    test.sort_unstable();
    (fit, test)
}

/// Settings of the collateral-only model in a grading run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CollateralModelConfig {
    /// Seed of the fit/test split.
    pub split_seed: u64,
    /// Quantile of the upper confidence bound of each PD (default 0.95).
    pub upper_quantile: f64,
    /// The IRLS controls.
    pub irls: IrlsOptions,
    /// The estimator (default Firth's).
    pub estimation: Estimation,
}

impl Default for CollateralModelConfig {
    fn default() -> Self {
        Self {
            split_seed: 1,
            upper_quantile: 0.95,
            irls: IrlsOptions::default(),
            estimation: Estimation::Firth,
        }
    }
}

/// One set of PDs on the test half against its outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfSample {
    /// What the PDs are.
    pub model: &'static str,
    /// Mean one-year PD (simple average over the test loans).
    pub mean_pd: f64,
    /// Mean conservative one-year PD.
    pub mean_pd_conservative: f64,
    /// What the conservative PD reflects.
    pub conservative: &'static str,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Brier score.
    pub brier: f64,
    /// Hosmer-Lemeshow over 10 PD deciles, `None` with too few usable groups.
    pub hosmer_lemeshow: Option<HosmerLemeshow>,
    /// The test loans' defaults against the sum of their PDs.
    pub calibration: CalibrationTest,
}

impl OutOfSample {
    fn of(
        model: &'static str,
        conservative: &'static str,
        pd: &[f64],
        pd_conservative: &[f64],
        outcomes: &[bool],
    ) -> Result<Self> {
        let n = pd.len().max(1) as f64;
        Ok(Self {
            model,
            mean_pd: pd.iter().sum::<f64>() / n,
            mean_pd_conservative: pd_conservative.iter().sum::<f64>() / n,
            conservative,
            auc: validation::auc(pd, outcomes)?,
            brier: validation::brier_score(pd, outcomes)?,
            hosmer_lemeshow: validation::hosmer_lemeshow(pd, outcomes, 10).ok(),
            calibration: validation::calibration_test(pd, outcomes)?,
        })
    }
}

/// The collateral-only model fitted on one half of a DeFi book and both it and the bank
/// scorecard judged on the other half.
///
/// ```
/// use creditlab_grade::GradingConfig;
/// use creditlab_grade::collateral_model::CollateralModelReport;
/// use creditlab_loan::synthetic::{BookSpec, defi_book};
/// let book = defi_book(&BookSpec { loans: 6000, total_principal: None, seed: 2 })?;
/// let r = CollateralModelReport::build(&book, &GradingConfig::default())?;
/// assert_eq!(r.fit_loans + r.test_loans, 6000);
/// // The fitted model's mean PD sits near the book's own default rate; the bank
/// // scorecard's extrapolation does not.
/// let own = (r.collateral_model.mean_pd - r.test_default_rate).abs();
/// let bank = (r.bank_scorecard.mean_pd - r.test_default_rate).abs();
/// assert!(own < bank);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollateralModelReport {
    /// Seed of the split.
    pub split_seed: u64,
    /// Loans fitted on (the first half of the split).
    pub fit_loans: usize,
    /// Defaults among them.
    pub fit_defaults: usize,
    /// Loans tested on (the other half).
    pub test_loans: usize,
    /// Defaults among them.
    pub test_defaults: usize,
    /// Realised one-year default rate of the test loans.
    pub test_default_rate: f64,
    /// Quantile of the upper confidence bound.
    pub upper_quantile: f64,
    /// How the model was estimated.
    pub estimation: Estimation,
    /// The fitted columns.
    pub fit: Vec<FitRow>,
    /// The features dropped as constant or collinear.
    pub dropped: Vec<&'static str>,
    /// The collateral-only model on the test loans (conservative PD: the upper confidence
    /// bound from estimation uncertainty).
    pub collateral_model: OutOfSample,
    /// The bank scorecard on the same test loans (mean PD: its posterior mean with the
    /// borrower facts integrated over the bank population; conservative PD: the
    /// posterior quantile, i.e. the population spread).
    pub bank_scorecard: OutOfSample,
    /// The fitted model, for PDs of other loans ([`CollateralModel::assess`]).
    #[serde(skip)]
    pub model: CollateralModel,
}

impl CollateralModelReport {
    /// Fits on the split's first half of the loans with an observed outcome and tests on
    /// the second, under `config.collateral_model` (seed, quantile, IRLS) and
    /// `config.scorecard` (the bank scorecard, with its own conservative quantile). An
    /// error when a loan lacks the features or the fit fails.
    pub fn build(book: &Book, config: &GradingConfig) -> Result<Self> {
        let c = &config.collateral_model;
        let rows: Vec<(usize, CollateralObservation, bool)> = book
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.defaulted.map(|d| (i, r, d)))
            .map(|(i, r, d)| Ok((i, CollateralObservation::of_record(r)?, d)))
            .collect::<Result<_>>()?;
        if rows.len() < 2 {
            return Err(GradeError::NotEnoughData(format!(
                "{} loans with an observed outcome: the split needs two",
                rows.len()
            )));
        }
        let (fit_idx, test_idx) = split_halves(rows.len(), c.split_seed);
        let fit_rows: Vec<(CollateralObservation, bool)> =
            fit_idx.iter().map(|&i| (rows[i].1, rows[i].2)).collect();
        let model = CollateralModel::fit(&fit_rows, &c.irls, c.estimation)?;
        let outcomes: Vec<bool> = test_idx.iter().map(|&i| rows[i].2).collect();
        let (mut pd, mut upper) = (Vec::new(), Vec::new());
        let (mut card, mut card_conservative) = (Vec::new(), Vec::new());
        for &i in &test_idx {
            let a = model.assess(&rows[i].1, c.upper_quantile)?;
            pd.push(a.pd);
            upper.push(a.pd_upper);
            let g = grade_record(&book.records()[rows[i].0], config, false)?;
            // One-year PDs over the one-year outcomes.
            card.push(g.pd.pd);
            card_conservative.push(g.pd.pd_conservative);
        }
        let test_defaults = outcomes.iter().filter(|&&d| d).count();
        Ok(Self {
            split_seed: c.split_seed,
            fit_loans: fit_rows.len(),
            fit_defaults: model.defaults,
            test_loans: outcomes.len(),
            test_defaults,
            test_default_rate: test_defaults as f64 / outcomes.len().max(1) as f64,
            upper_quantile: c.upper_quantile,
            estimation: c.estimation,
            fit: model.fit_rows(),
            dropped: model.dropped.clone(),
            collateral_model: OutOfSample::of(
                "collateral-only logistic model fitted on the other half",
                "upper confidence bound of the PD from the fit's covariance (estimation \
                 uncertainty, delta method on the logit)",
                &pd,
                &upper,
                &outcomes,
            )?,
            bank_scorecard: OutOfSample::of(
                "bank scorecard, borrower facts missing (extrapolated)",
                "posterior quantile over the bank population's borrower facts (population \
                 spread, not estimation uncertainty)",
                &card,
                &card_conservative,
                &outcomes,
            )?,
            model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    /// Rows from a known logit on LTV and distance, with volatility and bonus given.
    fn simulate(n: usize, seed: u64, beta: [f64; 3]) -> Vec<(CollateralObservation, bool)> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let ltv = rng.random_range(0.3..0.8);
                let vol = if rng.random_bool(0.5) { 0.7 } else { 0.9 };
                let lt = if vol < 0.8 { 0.78 } else { 0.83 };
                let o = CollateralObservation {
                    ltv,
                    volatility: vol,
                    liquidation_distance: (lt / ltv).ln(),
                    liquidation_bonus: 0.05,
                };
                let eta = beta[0] + beta[1] * ltv + beta[2] * vol;
                (o, rng.random::<f64>() < logistic(eta))
            })
            .collect()
    }

    #[test]
    fn the_fit_recovers_a_known_model_and_drops_what_it_cannot_estimate() {
        // Truth without the distance: a fit with it must keep the distance's coefficient
        // near 0 (within its standard errors) and recover the others.
        let rows = simulate(40_000, 3, [-6.0, 4.0, 2.0]);
        let m = CollateralModel::fit(
            &rows,
            &IrlsOptions::default(),
            Estimation::MaximumLikelihood,
        )
        .unwrap();
        assert_eq!(m.dropped, vec!["liquidation-bonus"]);
        assert_eq!(
            m.columns,
            vec![
                "intercept",
                "ltv",
                "collateral-volatility",
                "liquidation-distance"
            ]
        );
        // Within three standard errors, as the scorecard's own fit test.
        const COEFFICIENT_SIGMAS: f64 = 3.0;
        for (j, truth) in [-6.0, 4.0, 2.0, 0.0].into_iter().enumerate() {
            let z = (m.coefficients[j] - truth) / m.standard_errors[j];
            assert!(z.abs() < COEFFICIENT_SIGMAS, "{}: {z}", m.columns[j]);
        }
    }

    #[test]
    fn the_upper_bound_is_the_delta_method_on_the_logit() {
        let rows = simulate(5_000, 9, [-5.0, 3.0, 1.5]);
        let m = CollateralModel::fit(
            &rows,
            &IrlsOptions::default(),
            Estimation::MaximumLikelihood,
        )
        .unwrap();
        let o = rows[17].0;
        let a = m.assess(&o, 0.95).unwrap();
        // By hand on the standardized features: u' g and u' S u.
        let raw = [o.ltv, o.volatility, o.liquidation_distance];
        let mut u = vec![1.0];
        u.extend((0..3).map(|j| (raw[j] - m.center[j]) / m.scale[j]));
        let k = u.len();
        let g = &m.standardized_coefficients;
        let cov = &m.standardized_covariance;
        let eta: f64 = (0..k).map(|j| u[j] * g[j]).sum();
        let var: f64 = (0..k)
            .flat_map(|a| (0..k).map(move |b| (a, b)))
            .map(|(a, b)| u[a] * cov[a * k + b] * u[b])
            .sum();
        assert!((a.logit - eta).abs() <= prec::ACCUMULATED);
        assert!((a.logit_se - var.sqrt()).abs() <= prec::ACCUMULATED);
        let z95 = norm_ppf(0.95);
        assert!((a.pd_upper - logistic(eta + z95 * var.sqrt())).abs() <= prec::COMPOSED);
        // The coefficients in the features' units give the same logit: x' b = u' g.
        let x = [1.0, o.ltv, o.volatility, o.liquidation_distance];
        let raw_eta: f64 = (0..k).map(|j| x[j] * m.coefficients[j]).sum();
        assert!(
            (raw_eta - eta).abs() <= prec::ACCUMULATED,
            "{raw_eta} {eta}"
        );
        // A higher quantile, a higher bound; the median is the point estimate.
        assert!(m.assess(&o, 0.99).unwrap().pd_upper > a.pd_upper);
        assert!((m.assess(&o, 0.5).unwrap().pd_upper - a.pd).abs() <= prec::IDENTITY);
        // More data, a tighter bound.
        let big = simulate(40_000, 9, [-5.0, 3.0, 1.5]);
        let mb = CollateralModel::fit(&big, &IrlsOptions::default(), Estimation::MaximumLikelihood)
            .unwrap();
        assert!(mb.assess(&o, 0.95).unwrap().logit_se < a.logit_se);
        assert!(m.assess(&o, 1.0).is_err());
    }

    #[test]
    fn collinear_and_constant_features_are_dropped_not_fatal() {
        // Distance an exact linear function of LTV: dropped after LTV.
        let mut rows = simulate(3_000, 5, [-4.0, 3.0, 0.0]);
        for (o, _) in &mut rows {
            o.liquidation_distance = 2.0 - 3.0 * o.ltv;
            o.volatility = 0.8;
        }
        let m = CollateralModel::fit(
            &rows,
            &IrlsOptions::default(),
            Estimation::MaximumLikelihood,
        )
        .unwrap();
        assert_eq!(
            m.dropped,
            vec![
                "collateral-volatility",
                "liquidation-distance",
                "liquidation-bonus"
            ]
        );
        assert_eq!(m.columns, vec!["intercept", "ltv"]);
    }

    #[test]
    fn the_split_is_seeded_and_covers_every_loan_once() {
        let (a, b) = split_halves(101, 7);
        assert_eq!((a.len(), b.len()), (51, 50));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        assert_eq!(split_halves(101, 7), (a.clone(), b));
        assert_ne!(split_halves(101, 8).0, a);
        // Not the first half of the book.
        assert_ne!(a, (0..51).collect::<Vec<_>>());
    }

    #[test]
    fn a_bank_book_has_no_collateral_features() {
        use creditlab_loan::synthetic::{BookSpec, bank_book};
        let book = bank_book(&BookSpec {
            loans: 20,
            total_principal: None,
            seed: 1,
        })
        .unwrap();
        let e = CollateralObservation::of_record(&book.records()[0]).unwrap_err();
        assert_eq!(e.field(), Some("loan 1: liquidation_threshold"));
        assert!(CollateralModelReport::build(&book, &GradingConfig::default()).is_err());
    }
}

//! CreditRisk+ (Credit Suisse First Boston, 1997) with correlated sectors (Bürgisser, Kurth,
//! Wagner and Wolf, "Integrating Correlations", Risk, July 1999): defaults are Poisson with
//! intensities scaled by gamma-distributed sector factors, and the loss distribution comes
//! from Panjer's recursion on a lattice of loss units (docs/methodology/creditrisk-plus.md).
//!
//! The correlated sectors enter through the portfolio variance, as in Bürgisser et al.:
//! `V = sum_ij rho_ij sqrt(v_i v_j) EL_i EL_j` is the systematic variance of the loss, and
//! the sectors are collapsed into one composite gamma factor whose variance reproduces it;
//! the distribution is then the single-sector CreditRisk+ one, a compound negative
//! binomial, computed exactly on the lattice by Panjer's recursion. Exact in the model:
//! the expected loss (banding preserves it), the loss variance; approximations of the
//! model itself: Poisson defaults for Bernoulli ones, exposures rounded to the loss unit
//! (the PD adjusted to keep each obligor's expected loss), one composite factor for
//! correlated sectors.

use crate::accuracy::AccuracyReport;
use crate::discrete::DiscreteLoss;
use crate::error::{Error, Result};
use crate::portfolio::Portfolio;

/// The recursion stops when the probability left above the lattice is below this (or at
/// the largest loss the obligors can make); what is left is placed on the last point and
/// reported as the truncated mass.
pub const TAIL_CUTOFF: f64 = 1e-12;
/// Most lattice points the recursion may compute (memory and time guard: 8 bytes each).
pub const MAX_POINTS: usize = 50_000_000;

/// The sector parameters of CreditRisk+.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditRiskPlusSpec {
    /// Relative default variance of each sector's factor (`variance / mean^2` of its gamma
    /// variable), each >= 0; the portfolio's sector indices must be below its length.
    pub sector_variances: Vec<f64>,
    /// Correlation of the sector factors, `n x n`, symmetric, unit diagonal, entries in
    /// [-1, 1] (not checked for positive definiteness: Bürgisser et al. use it only
    /// through the variance).
    pub sector_correlation: Vec<Vec<f64>>,
    /// The loss unit (money): exposures are rounded to multiples of it.
    pub unit: f64,
}

impl CreditRiskPlusSpec {
    /// `n` sectors with the same relative variance and one correlation between every pair.
    pub fn uniform(n: usize, variance: f64, correlation: f64, unit: f64) -> Self {
        Self {
            sector_variances: vec![variance; n],
            sector_correlation: (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| if i == j { 1.0 } else { correlation })
                        .collect()
                })
                .collect(),
            unit,
        }
    }

    /// The spec for `portfolio`: `variances` one value for every sector (numbered from 0 in
    /// the portfolio) or one per sector, one `correlation` between every pair, and the loss
    /// `unit` (default: the largest loss exposure `EAD x LGD` over 100).
    pub fn for_portfolio(
        portfolio: &Portfolio,
        variances: &[f64],
        correlation: f64,
        unit: Option<f64>,
    ) -> Result<Self> {
        let sectors = portfolio.sector().iter().max().map_or(1, |s| s + 1);
        let variances = match variances.len() {
            1 => vec![variances[0]; sectors],
            n if n >= sectors => variances.to_vec(),
            n => {
                return Err(Error::InvalidParameter {
                    field: "sector_variances".into(),
                    value: n as f64,
                    reason: "needs one value, or one per sector of the portfolio",
                });
            }
        };
        let largest = (0..portfolio.len())
            .map(|i| portfolio.ead()[i] * portfolio.lgd()[i].mean())
            .fold(0.0, f64::max);
        let mut spec = Self::uniform(
            variances.len(),
            0.0,
            correlation,
            unit.unwrap_or(largest / 100.0),
        );
        spec.sector_variances = variances;
        Ok(spec)
    }

    fn validate(&self) -> Result<()> {
        let bad = |field: String, value: f64, reason: &'static str| Error::InvalidParameter {
            field,
            value,
            reason,
        };
        if self.sector_variances.is_empty() {
            return Err(bad(
                "sector_variances".into(),
                0.0,
                "needs one relative variance per sector",
            ));
        }
        for (i, &v) in self.sector_variances.iter().enumerate() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(
                    format!("sector_variances[{i}]"),
                    v,
                    "must be finite and >= 0",
                ));
            }
        }
        let n = self.sector_variances.len();
        if self.sector_correlation.len() != n
            || self.sector_correlation.iter().any(|r| r.len() != n)
        {
            return Err(bad(
                "sector_correlation".into(),
                self.sector_correlation.len() as f64,
                "must be n x n, n the number of sector variances",
            ));
        }
        for i in 0..n {
            for j in 0..n {
                let r = self.sector_correlation[i][j];
                let field = || format!("sector_correlation[{i}][{j}]");
                if !(r.is_finite() && (-1.0..=1.0).contains(&r)) {
                    return Err(bad(field(), r, "must be in [-1, 1]"));
                }
                if i == j && r != 1.0 {
                    return Err(bad(field(), r, "the diagonal must be 1"));
                }
                if r != self.sector_correlation[j][i] {
                    return Err(bad(field(), r, "the matrix must be symmetric"));
                }
            }
        }
        if !(self.unit.is_finite() && self.unit > 0.0) {
            return Err(bad("unit".into(), self.unit, "must be finite and > 0"));
        }
        Ok(())
    }
}

/// One sector's figures (unbanded exposures and PDs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectorFigures {
    /// Exposure (EAD x mean LGD) of its obligors, money.
    pub exposure: f64,
    /// Expected loss, money.
    pub expected_loss: f64,
    /// Standard deviation of its loss, money: `sqrt(v EL^2 + sum p E^2)`.
    pub unexpected_loss: f64,
}

/// The CreditRisk+ loss distribution of a portfolio.
#[derive(Debug, Clone)]
pub struct CreditRiskPlus {
    dist: DiscreteLoss,
    sectors: Vec<SectorFigures>,
    expected_loss: f64,
    unexpected_loss: f64,
    relative_default_variance: f64,
    total_exposure: f64,
    unit: f64,
    truncated: f64,
    accuracy: AccuracyReport,
}

crate::discrete::delegate_loss_distribution!(CreditRiskPlus, dist);

impl CreditRiskPlus {
    /// The distribution of `portfolio` (each exposure's loss `EAD x mean LGD`, its PD, its
    /// sector) under `spec`. Losses are reported as fractions of the total EAD, as every
    /// method's.
    pub fn new(portfolio: &Portfolio, spec: &CreditRiskPlusSpec) -> Result<Self> {
        spec.validate()?;
        let n = spec.sector_variances.len();
        if let Some((i, &s)) = portfolio
            .sector()
            .iter()
            .enumerate()
            .find(|(_, s)| **s >= n)
        {
            return Err(Error::InvalidParameter {
                field: format!("exposure {i}: sector"),
                value: s as f64,
                reason: "has no sector variance (sectors are numbered from 0)",
            });
        }
        let unit = spec.unit;
        let mut sectors = vec![
            SectorFigures {
                exposure: 0.0,
                expected_loss: 0.0,
                unexpected_loss: 0.0,
            };
            n
        ];
        let mut idiosyncratic = vec![0.0; n];
        // Expected loss (in units) of each band nu, from the banded PDs.
        let mut band_el: Vec<f64> = Vec::new();
        let mut mu = 0.0; // expected number of defaults, banded
        let mut max_loss_units: u64 = 0;
        for i in 0..portfolio.len() {
            let e = portfolio.ead()[i] * portfolio.lgd()[i].mean();
            let p = portfolio.pd()[i];
            let s = portfolio.sector()[i];
            sectors[s].exposure += e;
            sectors[s].expected_loss += e * p;
            idiosyncratic[s] += p * e * e;
            if e <= 0.0 || p <= 0.0 {
                continue;
            }
            let nu = ((e / unit).round() as u64).max(1);
            if nu as usize >= MAX_POINTS {
                return Err(Error::InvalidParameter {
                    field: format!("exposure {i}: loss in units"),
                    value: nu as f64,
                    reason: "exceeds the lattice's limit: raise the loss unit",
                });
            }
            let p_banded = e * p / (nu as f64 * unit);
            let nu = nu as usize;
            if band_el.len() <= nu {
                band_el.resize(nu + 1, 0.0);
            }
            band_el[nu] += nu as f64 * p_banded;
            mu += p_banded;
            max_loss_units = max_loss_units.saturating_add(nu as u64);
        }
        let el: f64 = sectors.iter().map(|s| s.expected_loss).sum();
        // Systematic variance (Bürgisser et al., their formula 12).
        let mut systematic = 0.0;
        for i in 0..n {
            for j in 0..n {
                systematic += spec.sector_correlation[i][j]
                    * (spec.sector_variances[i] * spec.sector_variances[j]).sqrt()
                    * sectors[i].expected_loss
                    * sectors[j].expected_loss;
            }
        }
        let systematic = systematic.max(0.0);
        for (i, s) in sectors.iter_mut().enumerate() {
            s.unexpected_loss =
                (spec.sector_variances[i] * s.expected_loss.powi(2) + idiosyncratic[i]).sqrt();
        }
        let ul = (systematic + idiosyncratic.iter().sum::<f64>()).sqrt();
        let relative = if el > 0.0 {
            systematic / (el * el)
        } else {
            0.0
        };
        let total_exposure = portfolio.total_ead();
        let (probs, truncated) = panjer(&band_el, mu, relative, max_loss_units)?;
        let losses = (0..probs.len())
            .map(|k| k as f64 * unit / total_exposure)
            .collect();
        let accuracy = AccuracyReport {
            trimmed_mass: Some(truncated),
            grid: Some(format!(
                "{} points of {} (money) each, exposures rounded to the unit with the PD \
                 adjusted to keep each expected loss",
                probs.len(),
                unit
            )),
            ..AccuracyReport::analytic(format!(
                "creditrisk+: Panjer's recursion for the compound negative binomial of one \
                 composite gamma factor whose variance reproduces the correlated sectors' \
                 (Burgisser et al. 1999), exact on the lattice up to summation rounding; the \
                 probability above the last point ({truncated:.1e}) is placed on it. Model \
                 approximations, not measured here: Poisson defaults, exposures banded to \
                 the unit, one composite factor"
            ))
        };
        Ok(Self {
            dist: DiscreteLoss::new(losses, probs),
            sectors,
            expected_loss: el,
            unexpected_loss: ul,
            relative_default_variance: relative,
            total_exposure,
            unit,
            truncated,
            accuracy,
        })
    }

    /// Each sector's exposure, expected and unexpected loss (money).
    pub fn sectors(&self) -> &[SectorFigures] {
        &self.sectors
    }

    /// Expected loss of the portfolio, money (from the unbanded exposures and PDs).
    pub fn expected_loss_money(&self) -> f64 {
        self.expected_loss
    }

    /// Standard deviation of the loss, money: `sqrt(V + sum p E^2)`.
    pub fn unexpected_loss_money(&self) -> f64 {
        self.unexpected_loss
    }

    /// The composite factor's relative variance `V / EL^2`.
    pub fn relative_default_variance(&self) -> f64 {
        self.relative_default_variance
    }

    /// The loss at probability `level` in money, interpolated linearly between the two
    /// lattice points that bracket it (QuantLib's `lossQuantile` convention); the lower
    /// lattice quantile is [`LossDistribution::value_at_risk`](crate::LossDistribution::value_at_risk).
    pub fn loss_quantile_money(&self, level: f64) -> f64 {
        let p = self.dist.probabilities();
        let mut cdf = 0.0;
        for (k, &pk) in p.iter().enumerate() {
            let next = cdf + pk;
            if next >= level {
                if k == 0 {
                    return 0.0;
                }
                let w = (level - cdf) / pk;
                return ((k - 1) as f64 + w) * self.unit;
            }
            cdf = next;
        }
        (p.len().saturating_sub(1)) as f64 * self.unit
    }

    /// The probability left above the lattice and placed on its last point.
    pub fn truncated_mass(&self) -> f64 {
        self.truncated
    }

    /// Total EAD, the denominator of the reported loss fractions.
    pub fn total_exposure(&self) -> f64 {
        self.total_exposure
    }

    /// What the method says about its accuracy.
    pub fn accuracy(&self) -> &AccuracyReport {
        &self.accuracy
    }
}

/// Panjer's recursion for the compound negative binomial with mean count `mu`, relative
/// variance `relative` of the gamma factor (0: compound Poisson) and severity
/// `f(nu) = band_el[nu] / (nu mu)`: the probabilities of 0, 1, 2, ... loss units up to the
/// cutoff, and the mass left above.
fn panjer(band_el: &[f64], mu: f64, relative: f64, max_units: u64) -> Result<(Vec<f64>, f64)> {
    if mu <= 0.0 {
        return Ok((vec![1.0], 0.0));
    }
    let max_band = band_el.len() - 1;
    let f: Vec<f64> = (0..=max_band)
        .map(|nu| {
            if nu == 0 {
                0.0
            } else {
                band_el[nu] / (nu as f64 * mu)
            }
        })
        .collect();
    // Counts: NB with shape alpha = 1 / relative, p = beta / (1 + beta), beta = relative mu;
    // Panjer's (a, b) = (p, (alpha - 1) p). Poisson: (0, mu).
    let (a, b, p0) = if relative > 0.0 {
        let alpha = 1.0 / relative;
        let beta = relative * mu;
        let p = beta / (1.0 + beta);
        (p, (alpha - 1.0) * p, (-alpha * (1.0 + beta).ln()).exp())
    } else {
        (0.0, mu, (-mu).exp())
    };
    let limit = (max_units.min(MAX_POINTS as u64 - 1)) as usize;
    let mut g = Vec::with_capacity(1024.min(limit + 1));
    g.push(p0);
    let mut cdf = p0;
    let mut m = 0;
    while m < limit && 1.0 - cdf > TAIL_CUTOFF {
        m += 1;
        let mut s = 0.0;
        for nu in 1..=max_band.min(m) {
            if f[nu] != 0.0 {
                s += (a + b * nu as f64 / m as f64) * f[nu] * g[m - nu];
            }
        }
        g.push(s);
        cdf += s;
    }
    if m >= limit && limit < max_units as usize {
        return Err(Error::InvalidParameter {
            field: "unit".into(),
            value: limit as f64,
            reason: "the lattice would need more points than the limit: raise the loss unit",
        });
    }
    let left = (1.0 - cdf).max(0.0);
    if let Some(last) = g.last_mut() {
        *last += left;
    }
    Ok((g, left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::LossDistribution;
    use crate::portfolio::{Exposure, Lgd};

    #[test]
    fn without_sector_variance_the_loss_is_compound_poisson() {
        // 10 obligors of exposure 1, PD 0.1, one sector, no variance: Poisson(1) defaults.
        let p =
            Portfolio::new((0..10).map(|_| Exposure::new(1.0, 0.1, Lgd::Constant(1.0)))).unwrap();
        let c = CreditRiskPlus::new(&p, &CreditRiskPlusSpec::uniform(1, 0.0, 0.0, 1.0)).unwrap();
        let probs = c.dist.probabilities();
        let mut f = (-1.0f64).exp();
        for (k, &pk) in probs.iter().take(8).enumerate() {
            if k > 0 {
                f /= k as f64;
            }
            assert!((pk - f).abs() < 1e-15, "{k}: {pk} {f}");
        }
        // The Poisson mass above the largest loss the ten obligors can make (ten defaults,
        // about 1e-8) sits on that loss, as QuantLib places it, so the mean is short by
        // less than that mass times the losses beyond.
        assert!(c.truncated_mass() < 2e-8 && c.truncated_mass() > 0.0);
        assert!((c.expected_loss().value - 0.1).abs() < 1e-8);
    }
}

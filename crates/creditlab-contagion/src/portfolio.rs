//! A portfolio of credit exposures: what every loss method takes as input.

use crate::collateral::Collateral;
use crate::error::{Error, Result, check_range};
use serde::{Deserialize, Serialize};

/// Loss given default of one exposure, as a fraction of its EAD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Lgd {
    /// A known fraction in [0, 1].
    Constant(f64),
    /// A Beta-distributed fraction with this mean and standard deviation, drawn
    /// independently per default (the usual recovery-rate model, e.g. CreditMetrics).
    Beta {
        /// Mean LGD in (0, 1).
        mean: f64,
        /// Standard deviation; must satisfy `std_dev^2 < mean (1 - mean)`.
        std_dev: f64,
    },
    /// Produced by collateral whose log value loads on the copula's first systematic
    /// factor ([`Collateral`]): falls in bad states, so PDs and LGDs move together. Per
    /// default the LGD is `max(1 + cost - (1 - discount) V, 0)`, in `[0, 1 + cost]`.
    Collateral(Collateral),
}

impl Lgd {
    /// Mean LGD; for a collateral LGD the mean over a standard normal factor
    /// ([`Collateral::mean`]), which ignores that defaults happen in bad states (the
    /// default-weighted mean is [`Copula::expected_loss`](crate::Copula::expected_loss)'s).
    pub fn mean(&self) -> f64 {
        match *self {
            Lgd::Constant(v) => v,
            Lgd::Beta { mean, .. } => mean,
            Lgd::Collateral(c) => c.mean(),
        }
    }

    /// `E[LGD | z]` given the copula's first systematic state component `z`: the mean for
    /// the constant and Beta laws, [`Collateral::conditional_mean`] for a collateral LGD.
    pub fn conditional_mean(&self, z: f64) -> f64 {
        match *self {
            Lgd::Collateral(c) => c.conditional_mean(z),
            _ => self.mean(),
        }
    }

    /// Largest possible LGD: 1, or `1 + cost` for a collateral LGD (the constant's value
    /// for a constant).
    pub fn max(&self) -> f64 {
        match *self {
            Lgd::Constant(v) => v,
            Lgd::Beta { .. } => 1.0,
            Lgd::Collateral(c) => c.max_loss(),
        }
    }

    /// Whether the LGD's conditional mean moves with the systematic factor (a collateral
    /// LGD with a non-zero loading).
    pub fn moves_with_factor(&self) -> bool {
        matches!(self, Lgd::Collateral(c) if c.loading != 0.0)
    }

    /// The Beta shape parameters (alpha, beta) of a random LGD; `None` for a constant.
    pub fn beta_shape(&self) -> Option<(f64, f64)> {
        match *self {
            Lgd::Constant(_) | Lgd::Collateral(_) => None,
            Lgd::Beta { mean, std_dev } => {
                let k = mean * (1.0 - mean) / (std_dev * std_dev) - 1.0;
                Some((mean * k, (1.0 - mean) * k))
            }
        }
    }

    /// Checks the LGD; `prefix` (e.g. `exposure 3`) starts the field name, or nothing.
    fn validate(&self, prefix: &str) -> Result<()> {
        match *self {
            Lgd::Constant(v) => check_range(named(prefix, "lgd"), v, 0.0, 1.0).map(drop),
            Lgd::Beta { mean, std_dev } => {
                if !(mean.is_finite() && mean > 0.0 && mean < 1.0) {
                    return Err(Error::InvalidParameter {
                        field: named(prefix, "lgd mean"),
                        value: mean,
                        reason: "a Beta LGD needs a mean strictly between 0 and 1",
                    });
                }
                if !(std_dev.is_finite()
                    && std_dev > 0.0
                    && std_dev * std_dev < mean * (1.0 - mean))
                {
                    return Err(Error::InvalidParameter {
                        field: named(prefix, "lgd std_dev"),
                        value: std_dev,
                        reason: "must be > 0 with std_dev^2 < mean (1 - mean)",
                    });
                }
                Ok(())
            }
            Lgd::Collateral(c) => c.validate(prefix),
        }
    }
}

/// `prefix: name`, or `name` alone when there is no prefix.
pub(crate) fn named(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}: {name}")
    }
}

/// Slack on the loadings' sum of squares (<= 1): rounding in loadings computed from a
/// correlation matrix must not reject an obligor that is fully systematic.
const LOADINGS_SLACK: f64 = 1e-12;

/// Log-sd of the benchmark book's lognormal EAD (median 1).
const BENCHMARK_EAD_LOG_SD: f64 = 1.0;
/// Median and log-sd of the benchmark book's lognormal PD.
const BENCHMARK_PD_MEDIAN: f64 = 0.015;
const BENCHMARK_PD_LOG_SD: f64 = 1.2;
/// Where the benchmark book's PDs are clipped: 0.005% to 35%.
const BENCHMARK_PD_RANGE: (f64, f64) = (5e-5, 0.35);
/// The Beta(4, 5) of the benchmark book's LGDs (mean 4/9).
const BENCHMARK_LGD_SHAPE: (f64, f64) = (4.0, 5.0);

/// One obligor's exposure.
///
/// ```
/// use creditlab_contagion::{Exposure, Lgd};
/// // EAD 2.5, PD 1%, a Beta LGD with mean 45%, in sector 1 of a sector model.
/// let mut e = Exposure::new(2.5, 0.01, Lgd::Beta { mean: 0.45, std_dev: 0.2 });
/// e.sector = 1;
/// assert_eq!(e.lgd.mean(), 0.45);
/// e.validate()?;
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// Exposure at default, in money; >= 0.
    pub ead: f64,
    /// Default probability over the horizon, in [0, 1].
    pub pd: f64,
    /// Loss given default.
    pub lgd: Lgd,
    /// Sector index, used by a multi-factor model with a sector correlation matrix
    /// (ignored by one-factor models).
    pub sector: usize,
    /// Explicit loadings on independent standard normal factors, for a multi-factor model
    /// given by loadings (Glasserman and Li style); `None` otherwise. The sum of squares
    /// must be <= 1.
    pub loadings: Option<Vec<f64>>,
}

impl Exposure {
    /// An exposure in sector 0 with no explicit loadings.
    pub fn new(ead: f64, pd: f64, lgd: Lgd) -> Self {
        Self {
            ead,
            pd,
            lgd,
            sector: 0,
            loadings: None,
        }
    }

    /// Checks this exposure alone, as [`Portfolio::new`] does for each of its exposures:
    /// EAD finite and >= 0, PD and LGD in [0, 1] (a Beta LGD feasible), loadings finite
    /// with a sum of squares <= 1. Errors name the field (`pd`, `lgd std_dev`, ...).
    ///
    /// ```
    /// use creditlab_contagion::{Exposure, Lgd};
    /// assert!(Exposure::new(2.0, 0.01, Lgd::Constant(0.45)).validate().is_ok());
    /// let beta = Lgd::Beta { mean: 0.5, std_dev: 0.6 };
    /// let err = Exposure::new(2.0, 0.01, beta).validate().unwrap_err();
    /// assert!(err.to_string().contains("lgd std_dev"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.check_scalars("")?;
        self.check_loadings("")
    }

    /// EAD, PD and LGD.
    fn check_scalars(&self, prefix: &str) -> Result<()> {
        check_range(named(prefix, "ead"), self.ead, 0.0, f64::MAX)?;
        check_range(named(prefix, "pd"), self.pd, 0.0, 1.0)?;
        self.lgd.validate(prefix)
    }

    /// Finite loadings with a sum of squares <= 1 (none is fine).
    fn check_loadings(&self, prefix: &str) -> Result<()> {
        let Some(a) = &self.loadings else {
            return Ok(());
        };
        let ss: f64 = a.iter().map(|x| x * x).sum();
        if a.iter().any(|x| !x.is_finite()) || ss > 1.0 + LOADINGS_SLACK {
            return Err(Error::InvalidParameter {
                field: named(prefix, "loadings (sum of squares)"),
                value: ss,
                reason: "loadings must be finite with a sum of squares <= 1",
            });
        }
        Ok(())
    }
}

/// A validated set of exposures, stored column by column for the hot loops.
///
/// ```
/// use creditlab_contagion::{Exposure, Lgd, Portfolio};
/// let book = Portfolio::new([
///     Exposure::new(1.0, 0.02, Lgd::Constant(0.5)),
///     Exposure::new(3.0, 0.01, Lgd::Constant(0.4)),
/// ])?;
/// assert_eq!((book.len(), book.total_ead()), (2, 4.0));
/// // Expected loss as a fraction of total exposure: (0.01 + 0.012) / 4.
/// assert!((book.expected_loss() - 0.0055).abs() < 1e-15);
/// // Errors name the exposure and the field.
/// let err = Portfolio::new([Exposure::new(1.0, 1.5, Lgd::Constant(0.5))]).unwrap_err();
/// assert!(err.to_string().contains("exposure 0: pd"));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    ead: Vec<f64>,
    pd: Vec<f64>,
    lgd: Vec<Lgd>,
    sector: Vec<usize>,
    /// Row-major `len x n_factors` loadings when every exposure has them.
    loadings: Option<Vec<f64>>,
    n_factors: usize,
    total_ead: f64,
}

impl Portfolio {
    /// Validates and stores the exposures. Errors name the exposure (0-based) and field.
    pub fn new(exposures: impl IntoIterator<Item = Exposure>) -> Result<Self> {
        let mut p = Portfolio {
            ead: Vec::new(),
            pd: Vec::new(),
            lgd: Vec::new(),
            sector: Vec::new(),
            loadings: None,
            n_factors: 0,
            total_ead: 0.0,
        };
        let mut flat = Vec::new();
        let mut with_loadings = 0usize;
        for (i, e) in exposures.into_iter().enumerate() {
            let field = format!("exposure {i}");
            e.check_scalars(&field)?;
            if let Some(a) = &e.loadings {
                if with_loadings == 0 && i == 0 {
                    p.n_factors = a.len();
                }
                if with_loadings != i || a.len() != p.n_factors || a.is_empty() {
                    return Err(Error::InvalidPortfolio(format!(
                        "{field}: either every exposure has loadings on the same number of \
                         factors ({}) or none has",
                        p.n_factors
                    )));
                }
                e.check_loadings(&field)?;
                flat.extend_from_slice(a);
                with_loadings += 1;
            } else if with_loadings > 0 {
                return Err(Error::InvalidPortfolio(format!(
                    "{field}: has no loadings but earlier exposures do"
                )));
            }
            p.total_ead += e.ead;
            p.ead.push(e.ead);
            p.pd.push(e.pd);
            p.lgd.push(e.lgd);
            p.sector.push(e.sector);
        }
        if p.ead.is_empty() {
            return Err(Error::InvalidPortfolio("no exposures".into()));
        }
        if !(p.total_ead > 0.0 && p.total_ead.is_finite()) {
            return Err(Error::InvalidPortfolio(
                "total exposure must be positive and finite: losses are fractions of it".into(),
            ));
        }
        if with_loadings > 0 {
            p.loadings = Some(flat);
        }
        Ok(p)
    }

    /// `n` identical exposures with EAD 1: the homogeneous pool of the textbook results.
    pub fn homogeneous(n: usize, pd: f64, lgd: f64) -> Result<Self> {
        Self::new((0..n).map(|_| Exposure::new(1.0, pd, Lgd::Constant(lgd))))
    }

    /// The standard benchmark book: loan `i` has PD `[0.5%, 1%, 2%, 5%, 10%][i mod 5]`,
    /// EAD `1 + (i mod 7)`, LGD 0.45.
    pub fn standard_book(n: usize) -> Result<Self> {
        const PD: [f64; 5] = [0.005, 0.01, 0.02, 0.05, 0.10];
        Self::new(
            (0..n).map(|i| Exposure::new(1.0 + (i % 7) as f64, PD[i % 5], Lgd::Constant(0.45))),
        )
    }

    /// The standard book of `n` loans ([`Portfolio::standard_book`]) as its (at most) 35
    /// distinct loans, each with the EAD of all its copies: loan `i` repeats with period 35
    /// (PD period 5, EAD period 7). Every EAD-weighted average, and so the large-pool
    /// limit, is that of the `n`-loan book, without `n` loans in memory (a billion loans
    /// need none of their 100 GB for [`LargePool::pool_average`](crate::LargePool)).
    ///
    /// ```
    /// use creditlab_contagion::Portfolio;
    /// let whole = Portfolio::standard_book(1_000)?;
    /// let small = Portfolio::standard_book_aggregated(1_000)?;
    /// assert_eq!(small.len(), 35);
    /// assert!((small.expected_loss() - whole.expected_loss()).abs() < 1e-12);
    /// # Ok::<(), creditlab_contagion::Error>(())
    /// ```
    pub fn standard_book_aggregated(n: usize) -> Result<Self> {
        const PD: [f64; 5] = [0.005, 0.01, 0.02, 0.05, 0.10];
        const PERIOD: usize = 35;
        Self::new((0..n.min(PERIOD)).map(|r| {
            let copies = (n / PERIOD + usize::from(r < n % PERIOD)) as f64;
            Exposure::new(
                (1.0 + (r % 7) as f64) * copies,
                PD[r % 5],
                Lgd::Constant(0.45),
            )
        }))
    }

    /// The benchmark loan tape of issue 12, seeded: `n` loans, loan `i` drawn from the
    /// random stream `rng::stream(seed, i)`: EAD lognormal with median 1 and log-sd 1.0; PD
    /// lognormal with median 1.5% and log-sd 1.2, clipped to [0.005%, 35%] (mean about 3%);
    /// LGD a Beta(4, 5) draw (mean 4/9), fixed per loan; sector `i mod sectors`. Its copula
    /// is [`Copula::benchmark`](crate::Copula::benchmark)`(sectors)`: one-factor Gaussian
    /// with rho 0.2 for one sector, a sector model with distinct loadings otherwise.
    ///
    /// ```
    /// use creditlab_contagion::Portfolio;
    /// let tape = Portfolio::benchmark_book(10_000, 1, 12)?;
    /// assert_eq!(tape.len(), 10_000);
    /// let mean_pd = tape.pd().iter().sum::<f64>() / 10_000.0;
    /// assert!((0.025..0.035).contains(&mean_pd));
    /// assert!(tape.pd().iter().all(|&p| (5e-5..=0.35).contains(&p)));
    /// // The same seed, the same book.
    /// assert_eq!(tape, Portfolio::benchmark_book(10_000, 1, 12)?);
    /// # Ok::<(), creditlab_contagion::Error>(())
    /// ```
    pub fn benchmark_book(n: usize, sectors: usize, seed: u64) -> Result<Self> {
        use rand_distr::{Beta, Distribution, StandardNormal};
        if sectors == 0 {
            return Err(Error::InvalidParameter {
                field: "sectors".into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        let beta = Beta::new(BENCHMARK_LGD_SHAPE.0, BENCHMARK_LGD_SHAPE.1)
            .expect("Beta(4, 5) is a valid law");
        Self::new((0..n).map(|i| {
            let mut rng = creditlab_numerics::rng::stream(seed, i as u64);
            let e: f64 = StandardNormal.sample(&mut rng);
            let p: f64 = StandardNormal.sample(&mut rng);
            let lgd = beta.sample(&mut rng);
            let pd = (BENCHMARK_PD_MEDIAN * (BENCHMARK_PD_LOG_SD * p).exp())
                .clamp(BENCHMARK_PD_RANGE.0, BENCHMARK_PD_RANGE.1);
            let mut x = Exposure::new((BENCHMARK_EAD_LOG_SD * e).exp(), pd, Lgd::Constant(lgd));
            x.sector = i % sectors;
            x
        }))
    }

    /// Number of exposures.
    pub fn len(&self) -> usize {
        self.ead.len()
    }

    /// Always false: a portfolio has at least one exposure.
    pub fn is_empty(&self) -> bool {
        self.ead.is_empty()
    }

    /// Exposures at default.
    pub fn ead(&self) -> &[f64] {
        &self.ead
    }

    /// Default probabilities over the horizon.
    pub fn pd(&self) -> &[f64] {
        &self.pd
    }

    /// Loss given default per exposure.
    pub fn lgd(&self) -> &[Lgd] {
        &self.lgd
    }

    /// Sector index per exposure.
    pub fn sector(&self) -> &[usize] {
        &self.sector
    }

    /// Number of explicit factors (0 when the exposures carry no loadings).
    pub fn n_factors(&self) -> usize {
        self.n_factors
    }

    /// Explicit factor loadings of exposure `i`, when the portfolio has them.
    pub fn loadings(&self, i: usize) -> Option<&[f64]> {
        self.loadings
            .as_ref()
            .map(|l| &l[i * self.n_factors..(i + 1) * self.n_factors])
    }

    /// Sum of EAD; losses are reported as fractions of it.
    pub fn total_ead(&self) -> f64 {
        self.total_ead
    }

    /// Expected loss as a fraction of total exposure: `sum EAD PD E[LGD] / sum EAD`.
    pub fn expected_loss(&self) -> f64 {
        let el: f64 = (0..self.len())
            .map(|i| self.ead[i] * self.pd[i] * self.lgd[i].mean())
            .sum();
        el / self.total_ead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_exposures_naming_the_field() {
        let err = Portfolio::new([
            Exposure::new(1.0, 0.01, Lgd::Constant(0.4)),
            Exposure::new(1.0, 1.5, Lgd::Constant(0.4)),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("exposure 1: pd"), "{err}");
        assert!(Portfolio::new([Exposure::new(-1.0, 0.01, Lgd::Constant(0.4))]).is_err());
        assert!(Portfolio::new([Exposure::new(1.0, 0.01, Lgd::Constant(f64::NAN))]).is_err());
        assert!(Portfolio::new(std::iter::empty()).is_err());
        assert!(Portfolio::new([Exposure::new(0.0, 0.01, Lgd::Constant(0.4))]).is_err());
        let bad_beta = Lgd::Beta {
            mean: 0.5,
            std_dev: 0.6,
        };
        assert!(Portfolio::new([Exposure::new(1.0, 0.01, bad_beta)]).is_err());
    }

    #[test]
    fn loadings_all_or_none() {
        let mut a = Exposure::new(1.0, 0.01, Lgd::Constant(0.4));
        a.loadings = Some(vec![0.3, 0.4]);
        let b = Exposure::new(1.0, 0.01, Lgd::Constant(0.4));
        assert!(Portfolio::new([a.clone(), b]).is_err());
        let p = Portfolio::new([a.clone(), a]).unwrap();
        assert_eq!(p.n_factors(), 2);
        assert_eq!(p.loadings(1), Some(&[0.3, 0.4][..]));
    }

    #[test]
    fn standard_book_matches_its_definition() {
        let p = Portfolio::standard_book(35).unwrap();
        assert_eq!(p.pd()[7], 0.02);
        assert_eq!(p.ead()[8], 2.0);
        assert_eq!(p.total_ead(), 5.0 * 28.0);
    }
}

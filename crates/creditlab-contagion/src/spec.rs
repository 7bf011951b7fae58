//! Input specs the core owns, parsed once for every caller (command line, deal and
//! scenario files, Python): a copula by name ([`CopulaSpec`]), a loss method by name
//! ([`LossMethod`]), tranches as `A-D` text ([`Tranche`]'s `FromStr`, [`parse_tranches`])
//! the check that a capital structure tiles the pool ([`check_tiling`]) and the built-in
//! books by name ([`built_in_book`]).

use crate::copula::{Copula, MultiFactor};
use crate::distribution::Tranche;
use crate::error::{Error, Result, check_range};
use crate::portfolio::Portfolio;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A copula by name: `gaussian`, `t:NU`, `double-t:NU_M,NU_Z`, `multi` (explicit loadings
/// `f1..fk` from the portfolio) or `multi:FILE` (a sector correlation matrix, one CSV row
/// per sector, no header). The asset correlation comes separately ([`CopulaSpec::build`]).
///
/// ```
/// use creditlab_contagion::spec::CopulaSpec;
/// let spec: CopulaSpec = "double-t:4,4".parse()?;
/// assert_eq!(spec.to_string(), "double-t:4,4");
/// let copula = spec.one_factor(0.3)?;
/// assert_eq!(copula.rho(), Some(0.3));
/// assert!("t:x".parse::<CopulaSpec>().is_err());
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum CopulaSpec {
    /// One-factor Gaussian.
    Gaussian,
    /// One-factor Student-t with `nu` degrees of freedom.
    StudentT {
        /// Degrees of freedom.
        nu: f64,
    },
    /// Hull and White's double-t: market factor `t(nu_m)`, idiosyncratic `t(nu_z)`.
    DoubleT {
        /// Degrees of freedom of the market factor.
        nu_m: f64,
        /// Degrees of freedom of the idiosyncratic term.
        nu_z: f64,
    },
    /// Multi-factor Gaussian with each exposure's own loadings.
    MultiExplicit,
    /// Multi-factor Gaussian from a sector correlation matrix read from `path`.
    MultiSectors {
        /// The matrix file.
        path: PathBuf,
    },
}

fn spec_error(text: &str, reason: impl Into<String>) -> Error {
    Error::Spec {
        what: "copula",
        text: text.to_string(),
        reason: reason.into(),
    }
}

impl FromStr for CopulaSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        let num = |v: &str, what: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| spec_error(text, format!("{what} {:?} is not a number", v.trim())))
        };
        if text == "gaussian" {
            Ok(CopulaSpec::Gaussian)
        } else if let Some(nu) = text.strip_prefix("t:") {
            Ok(CopulaSpec::StudentT { nu: num(nu, "nu")? })
        } else if let Some(rest) = text.strip_prefix("double-t:") {
            let (m, z) = rest
                .split_once(',')
                .ok_or_else(|| spec_error(text, "expected double-t:NU_M,NU_Z"))?;
            Ok(CopulaSpec::DoubleT {
                nu_m: num(m, "nu_m")?,
                nu_z: num(z, "nu_z")?,
            })
        } else if text == "multi" {
            Ok(CopulaSpec::MultiExplicit)
        } else if let Some(file) = text.strip_prefix("multi:") {
            if file.is_empty() {
                return Err(spec_error(text, "expected multi:FILE"));
            }
            Ok(CopulaSpec::MultiSectors { path: file.into() })
        } else {
            Err(spec_error(
                text,
                "expected gaussian, t:NU, double-t:NU_M,NU_Z, multi or multi:FILE",
            ))
        }
    }
}

impl fmt::Display for CopulaSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopulaSpec::Gaussian => f.write_str("gaussian"),
            CopulaSpec::StudentT { nu } => write!(f, "t:{nu}"),
            CopulaSpec::DoubleT { nu_m, nu_z } => write!(f, "double-t:{nu_m},{nu_z}"),
            CopulaSpec::MultiExplicit => f.write_str("multi"),
            CopulaSpec::MultiSectors { path } => write!(f, "multi:{}", path.display()),
        }
    }
}

impl Serialize for CopulaSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CopulaSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl CopulaSpec {
    /// Whether the copula has one systematic factor (and so takes one `rho`).
    pub fn is_one_factor(&self) -> bool {
        matches!(
            self,
            CopulaSpec::Gaussian | CopulaSpec::StudentT { .. } | CopulaSpec::DoubleT { .. }
        )
    }

    /// The one-factor copula at asset correlation `rho`; a multi-factor spec is an error
    /// (it needs a portfolio: [`CopulaSpec::build`]).
    pub fn one_factor(&self, rho: f64) -> Result<Copula> {
        match self {
            CopulaSpec::Gaussian => Copula::gaussian(rho),
            CopulaSpec::StudentT { nu } => Copula::student_t(rho, *nu),
            CopulaSpec::DoubleT { nu_m, nu_z } => Copula::double_t(rho, *nu_m, *nu_z),
            CopulaSpec::MultiExplicit | CopulaSpec::MultiSectors { .. } => Err(spec_error(
                &self.to_string(),
                "a multi-factor copula needs a portfolio's loadings or sectors",
            )),
        }
    }

    /// The copula for `portfolio`: one-factor specs take exactly one `rho`; `multi` takes
    /// the portfolio's explicit loadings (and no correlation from `rho`, whose values must
    /// still be in [0, 1]); `multi:FILE` reads the sector matrix and takes one `rho` for
    /// every sector or one per sector. The pair is checked ([`Copula::check_portfolio`]).
    pub fn build(&self, rho: &[f64], portfolio: &Portfolio) -> Result<Copula> {
        let copula = match self {
            CopulaSpec::MultiExplicit => {
                for &r in rho {
                    check_range("rho", r, 0.0, 1.0)?;
                }
                if portfolio.n_factors() == 0 {
                    return Err(spec_error(
                        "multi",
                        "needs loadings columns f1..fk in the portfolio (or use multi:FILE \
                         with a sector correlation matrix)",
                    ));
                }
                Copula::MultiFactor(MultiFactor::explicit(portfolio.n_factors()))
            }
            CopulaSpec::MultiSectors { path } => {
                let corr = crate::io::read_correlation_matrix(path)?;
                let k = corr.nrows();
                let rho = match rho {
                    [r] => vec![*r; k],
                    _ => rho.to_vec(),
                };
                Copula::MultiFactor(MultiFactor::from_sectors(&rho, &corr)?)
            }
            one => match rho {
                [r] => one.one_factor(*r)?,
                _ => {
                    return Err(spec_error(
                        &one.to_string(),
                        "a list of correlations is only meaningful with multi:FILE",
                    ));
                }
            },
        };
        copula.check_portfolio(portfolio)?;
        Ok(copula)
    }
}

/// A loss method by name: `lhp`, `exact`, `bet`, `mc` or `mc-is` (what
/// [`LossRequest`](crate::report::LossRequest) runs). `FromStr`, `Display` and serde use
/// these names.
///
/// ```
/// use creditlab_contagion::spec::LossMethod;
/// let m: LossMethod = "mc-is".parse()?;
/// assert_eq!(m, LossMethod::ImportanceSampling);
/// assert_eq!(m.to_string(), "mc-is");
/// assert!(m.is_simulation() && !LossMethod::Exact.is_simulation());
/// assert!("magic".parse::<LossMethod>().is_err());
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossMethod {
    /// `lhp`: Vasicek's large homogeneous pool with the pool-average PD and LGD
    /// ([`LargePool::pool_average`](crate::LargePool::pool_average)).
    LargePool,
    /// `exact`: the Andersen-Sidenius-Basu recursion ([`ExactLoss`](crate::ExactLoss)).
    Exact,
    /// `bet`: Moody's binomial expansion ([`BinomialExpansion`](crate::BinomialExpansion)).
    BinomialExpansion,
    /// `mc`: Monte Carlo ([`MonteCarlo`](crate::mc::MonteCarlo)).
    MonteCarlo,
    /// `mc-is`: Monte Carlo, with the tail probabilities by Glasserman-Li importance
    /// sampling ([`ImportanceSampler`](crate::importance::ImportanceSampler)).
    ImportanceSampling,
    /// `creditrisk+`: CreditRisk+ with correlated sectors
    /// ([`CreditRiskPlus`](crate::CreditRiskPlus)); its own model, not the copula's.
    CreditRiskPlus,
    /// `saddlepoint`: the saddlepoint approximation of the conditional loss, integrated over
    /// the factor ([`Saddlepoint`](crate::Saddlepoint)).
    Saddlepoint,
}

impl LossMethod {
    /// Every method, in the order the documentation lists them.
    pub const ALL: [LossMethod; 7] = [
        LossMethod::LargePool,
        LossMethod::Exact,
        LossMethod::BinomialExpansion,
        LossMethod::MonteCarlo,
        LossMethod::ImportanceSampling,
        LossMethod::CreditRiskPlus,
        LossMethod::Saddlepoint,
    ];

    /// The method's name: `lhp`, `exact`, `bet`, `mc` or `mc-is`.
    pub fn name(self) -> &'static str {
        match self {
            LossMethod::LargePool => "lhp",
            LossMethod::Exact => "exact",
            LossMethod::BinomialExpansion => "bet",
            LossMethod::MonteCarlo => "mc",
            LossMethod::ImportanceSampling => "mc-is",
            LossMethod::CreditRiskPlus => "creditrisk+",
            LossMethod::Saddlepoint => "saddlepoint",
        }
    }

    /// Whether the method simulates (and so reports standard errors, scenarios and seed).
    pub fn is_simulation(self) -> bool {
        matches!(
            self,
            LossMethod::MonteCarlo | LossMethod::ImportanceSampling
        )
    }
}

impl FromStr for LossMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        LossMethod::ALL
            .into_iter()
            .find(|m| m.name() == text)
            .ok_or_else(|| Error::Spec {
                what: "method",
                text: text.to_string(),
                reason: "expected lhp, exact, bet, mc or mc-is".into(),
            })
    }
}

impl fmt::Display for LossMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for LossMethod {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for LossMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `A-D`, e.g. `0.03-0.07`: a tranche from its attachment and detachment fractions.
impl FromStr for Tranche {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        let bad = |reason: String| Error::Spec {
            what: "tranche",
            text: text.to_string(),
            reason,
        };
        let (a, d) = text
            .split_once('-')
            .ok_or_else(|| bad("expected ATTACH-DETACH, e.g. 0.03-0.07".into()))?;
        let num = |v: &str, what: &str| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("{what} {:?} is not a number", v.trim())))
        };
        Tranche::new(num(a, "attachment")?, num(d, "detachment")?).map_err(|e| bad(e.to_string()))
    }
}

/// What a built-in book must be named ([`built_in_book`]).
const BOOK_NAMES: &str = "expected standard:N, benchmark:N[:SECTORS[:SEED]] with N, SECTORS \
                          >= 1, or glasserman-li";

/// A built-in book by name: `standard:N` ([`Portfolio::standard_book`]),
/// `benchmark:N[:SECTORS[:SEED]]` ([`Portfolio::benchmark_book`]; with SECTORS > 1 each
/// loan carries its sector's loadings of [`Copula::benchmark`], for the `multi` copula) or
/// `glasserman-li` ([`crate::importance::glasserman_li_portfolio`]). An unknown name is an
/// [`Error::Spec`] of `book`.
///
/// ```
/// use creditlab_contagion::spec::{built_in_book, built_in_book_size};
/// let book = built_in_book("benchmark:500:4")?;
/// assert_eq!((book.len(), book.n_factors()), (500, 4));
/// assert_eq!(built_in_book_size("standard:70"), Some(70));
/// assert!(built_in_book("benchmark:0").is_err());
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
pub fn built_in_book(name: &str) -> Result<Portfolio> {
    if name == "glasserman-li" {
        return Ok(crate::importance::glasserman_li_portfolio()?.0);
    }
    let bad = || Error::Spec {
        what: "book",
        text: name.to_string(),
        reason: BOOK_NAMES.to_string(),
    };
    if let Some(rest) = name.strip_prefix("benchmark:") {
        let parts: Vec<&str> = rest.split(':').collect();
        let num = |i: usize, default: u64| -> Result<u64> {
            parts
                .get(i)
                .map_or(Ok(default), |v| v.parse::<u64>().map_err(|_| bad()))
        };
        let (n, sectors, seed) = (num(0, 0)? as usize, num(1, 1)? as usize, num(2, 1)?);
        if n == 0 || sectors == 0 || parts.len() > 3 {
            return Err(bad());
        }
        let book = Portfolio::benchmark_book(n, sectors, seed)?;
        if sectors == 1 {
            return Ok(book);
        }
        // The sector model's loadings on each loan, for the multi copula.
        let Copula::MultiFactor(model) = Copula::benchmark(sectors)? else {
            unreachable!("more than one sector is a multi-factor model");
        };
        let exposures = (0..book.len()).map(|i| {
            let mut e = crate::portfolio::Exposure::new(book.ead()[i], book.pd()[i], book.lgd()[i]);
            e.sector = book.sector()[i];
            e.loadings = model.sector_loadings(e.sector).map(<[f64]>::to_vec);
            e
        });
        return Portfolio::new(exposures);
    }
    let n = standard_book_size(name)
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    Portfolio::standard_book(n)
}

/// `N` of `standard:N`.
pub fn standard_book_size(name: &str) -> Option<usize> {
    name.strip_prefix("standard:")?.parse().ok()
}

/// The number of loans of the built-in book `name`, known before any is built (`None`
/// when the name is not one).
pub fn built_in_book_size(name: &str) -> Option<usize> {
    if name == "glasserman-li" {
        return Some(1_000);
    }
    let n = name.strip_prefix("benchmark:").unwrap_or(name);
    standard_book_size(name).or_else(|| n.split(':').next()?.parse().ok())
}

/// Comma-separated tranches, `0-0.03,0.03-0.07,...`.
pub fn parse_tranches(s: &str) -> Result<Vec<Tranche>> {
    s.split(',').map(str::parse).collect()
}

/// Checks that `tranches`, junior first, tile the pool: the first attaches at 0, each
/// attaches where the one below detaches, and the last detaches at 1. The error says which
/// tranche (1-based) overlaps, leaves a gap or ends short.
pub fn check_tiling(tranches: &[Tranche]) -> Result<()> {
    let fail = |index: usize, reason: String| Err(Error::Tiling { index, reason });
    if tranches.is_empty() {
        return fail(0, "at least one tranche is needed".into());
    }
    let mut previous = 0.0;
    for (i, t) in tranches.iter().enumerate() {
        let (a, d) = (t.attach(), t.detach());
        if a != previous {
            let what = if a < previous {
                "overlaps"
            } else {
                "leaves a gap after"
            };
            return fail(
                i + 1,
                format!("({a}-{d}) {what} the one below, which ends at {previous}"),
            );
        }
        previous = d;
    }
    if previous != 1.0 {
        return fail(
            tranches.len(),
            format!("the capital structure ends at {previous}, not at 1"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copula_names_round_trip_and_bad_ones_say_why() {
        for text in [
            "gaussian",
            "t:5",
            "double-t:4,6",
            "multi",
            "multi:sectors.csv",
        ] {
            let spec: CopulaSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text);
            assert_eq!(CopulaSpec::deserialize(de).unwrap(), spec);
        }
        for (bad, why) in [
            ("t:", "nu"),
            ("double-t:4", "NU_M,NU_Z"),
            ("clayton", "expected gaussian"),
            ("multi:", "multi:FILE"),
        ] {
            let e = bad.parse::<CopulaSpec>().unwrap_err().to_string();
            assert!(e.contains(why) && e.contains("copula"), "{bad}: {e}");
        }
        assert!(CopulaSpec::MultiExplicit.one_factor(0.2).is_err());
        let p = Portfolio::homogeneous(10, 0.01, 0.5).unwrap();
        assert!(CopulaSpec::Gaussian.build(&[0.1, 0.2], &p).is_err());
        assert_eq!(
            CopulaSpec::Gaussian.build(&[0.1], &p).unwrap(),
            Copula::gaussian(0.1).unwrap()
        );
        assert!(CopulaSpec::MultiExplicit.build(&[0.1], &p).is_err());
        let mut e = crate::Exposure::new(1.0, 0.01, crate::Lgd::Constant(0.5));
        e.loadings = Some(vec![0.3, 0.4]);
        let loaded = Portfolio::new([e]).unwrap();
        assert!(CopulaSpec::MultiExplicit.build(&[0.2], &loaded).is_ok());
        let e = CopulaSpec::MultiExplicit
            .build(&[1.5], &loaded)
            .unwrap_err();
        assert_eq!(e.field(), Some("rho"));
    }

    #[test]
    fn loss_methods_round_trip_and_bad_ones_say_why() {
        for m in LossMethod::ALL {
            assert_eq!(m.to_string().parse::<LossMethod>().unwrap(), m);
            let name = m.to_string();
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&name);
            assert_eq!(LossMethod::deserialize(de).unwrap(), m);
        }
        let e = "magic".parse::<LossMethod>().unwrap_err().to_string();
        assert!(
            e.contains("method") && e.contains("magic") && e.contains("mc-is"),
            "{e}"
        );
    }

    #[test]
    fn tranches_parse_and_tile() {
        let t = parse_tranches("0-0.03, 0.03-0.07,0.07-1").unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!((t[1].attach(), t[1].detach()), (0.03, 0.07));
        check_tiling(&t).unwrap();
        for (bad, why) in [
            ("0.03", "ATTACH-DETACH"),
            ("x-1", "attachment"),
            ("0.5-0.2", "below"),
        ] {
            let e = bad.parse::<Tranche>().unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let overlap = parse_tranches("0-0.05,0.03-1").unwrap();
        let e = check_tiling(&overlap).unwrap_err().to_string();
        assert!(e.contains("tranche 2") && e.contains("overlaps"), "{e}");
        let gap = parse_tranches("0-0.03,0.05-1").unwrap();
        assert!(check_tiling(&gap).unwrap_err().to_string().contains("gap"));
        let short = parse_tranches("0-0.03,0.03-0.5").unwrap();
        assert!(
            check_tiling(&short)
                .unwrap_err()
                .to_string()
                .contains("not at 1")
        );
        assert!(check_tiling(&[]).is_err());
    }
}

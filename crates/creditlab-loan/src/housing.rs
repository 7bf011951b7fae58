//! House prices, the systematic factor of mortgage credit, and what a foreclosed house
//! returns to the lender. Methodology: [docs/methodology/housing.md](crate::methodology::housing).
//!
//! - [`HousePriceModel`]: the national house-price index's log change over a horizon,
//!   `ln(H_t / H_0) = (mu - sigma^2 / 2) t + sigma sqrt(t) z` with `z ~ N(0, 1)` the standard
//!   normal factor a caller draws (the same factor that moves defaults in a one-factor
//!   model, so PDs and LGDs move together), estimated from the S&P/Case-Shiller U.S.
//!   National index ([`HousePriceModel::case_shiller_national`]).
//! - [`HousePricePath`]: a realised monthly index path, the Case-Shiller national index from
//!   January 2006 to December 2012 ([`HousePricePath::case_shiller_national_2006_2012`]).
//! - [`Foreclosure`]: the liquidation of a defaulted mortgage: the months it takes, the
//!   interest lost meanwhile, the costs, and the forced-sale discount on the house, so
//!   [`Foreclosure::loss`] is the loss per unit of the balance for a given house value.
//! - [`CollateralLaw`]: the loss per unit of EAD of a defaulted mortgage as a function of
//!   the systematic factor `z` and the house's own noise `eps`, with its conditional mean
//!   given `z` (a Black-Scholes put), its unconditional mean (the severity) and its
//!   default-weighted (downturn) mean.
//! - [`MortgageLossModel`]: the index model, the foreclosure and the house's idiosyncratic
//!   spread together, turning a mortgage (balance, property value, rate, recourse) into its
//!   [`CollateralLaw`] and its LGD with the recourse recovery shown apart
//!   ([`MortgageLgd`]), per loan and per book ([`BookSeverity`]).
//!
//! ```
//! use creditlab_loan::housing::{Foreclosure, HousePricePath};
//! // A 2006 loan at 75% LTV, foreclosed when the index had fallen 26% from its peak.
//! let path = HousePricePath::case_shiller_national_2006_2012();
//! let fall = path.ratio("2007-02", "2012-02").unwrap();
//! assert!((fall - 0.7396).abs() < 1e-3);
//! let loss = Foreclosure::us_crisis().loss(1.0 / 0.75 * fall, 0.065)?;
//! assert!(loss > 0.3 && loss < 0.6);
//! # Ok::<(), creditlab_loan::Error>(())
//! ```

use crate::book::{Book, LoanRecord};
use crate::collateral::CollateralKind;
use crate::error::{Error, Result};
use crate::loan::Recourse;
use creditlab_numerics::quadrature::Rule;
use creditlab_numerics::special::{norm_cdf, norm_ppf};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The national index's log change over a horizon: drift and volatility per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HousePriceModel {
    /// Expected annual log change of the index, `mu` (before the `-sigma^2 / 2` correction:
    /// `E[H_t / H_0] = exp(mu t)`).
    pub drift: f64,
    /// Annual standard deviation of the index's log change, `sigma` >= 0.
    pub volatility: f64,
}

/// Annual (January to January) log changes of the S&P/Case-Shiller U.S. National Home
/// Price Index (FRED CSUSHPINSA), 1975 to 2024: mean and standard deviation of the 49
/// changes, computed from the monthly series in `datasets/house-prices-us`
/// (`data/national-month.csv`, commit 1da31a648c7da851fcc8d44b42fd768da9199970).
const CASE_SHILLER_1975_2024: (f64, f64) = (0.0515, 0.0561);

impl HousePriceModel {
    /// Validated parameters; errors name the field.
    pub fn new(drift: f64, volatility: f64) -> Result<Self> {
        if !drift.is_finite() || drift.abs() > 1.0 {
            return Err(Error::invalid(
                "drift",
                format!("{drift} must be an annual log change in [-1, 1]"),
            ));
        }
        if !(volatility.is_finite() && (0.0..=2.0).contains(&volatility)) {
            return Err(Error::invalid(
                "volatility",
                format!("{volatility} must be in [0, 2]"),
            ));
        }
        Ok(Self { drift, volatility })
    }

    /// The national index as it moved from 1975 to 2024, a full cycle with the 2006-2012
    /// fall in it: drift 5.15% and volatility 5.61% a year (January-to-January log
    /// changes; source in the constant's doc and [docs/methodology/housing.md](crate::methodology::housing)). Annual
    /// changes are autocorrelated (house prices have momentum), so over several years the
    /// index varies more than `sigma sqrt(t)`; the model is meant for horizons of a year or
    /// two.
    pub fn case_shiller_national() -> Self {
        let (drift, volatility) = CASE_SHILLER_1975_2024;
        Self { drift, volatility }
    }

    /// `ln(H_t / H_0)` over `years` given the standard normal factor `z`.
    pub fn log_change(&self, years: f64, z: f64) -> f64 {
        (self.drift - 0.5 * self.volatility * self.volatility) * years
            + self.volatility * years.sqrt() * z
    }
}

/// A realised monthly index path, by month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HousePricePath {
    /// What the path is and where it comes from.
    pub source: String,
    /// First month, `YYYY-MM`.
    pub start: String,
    /// Index level of each month from `start`.
    pub levels: Vec<f64>,
}

/// The S&P/Case-Shiller U.S. National Home Price Index, not seasonally adjusted, January
/// 2000 = 100, monthly from January 2006 to December 2012: the vintage of FRED series
/// CSUSHPINSA in `datasets/house-prices-us` (`data/national-month.csv`, commit
/// 1da31a648c7da851fcc8d44b42fd768da9199970). S&P revises recent values, so other
/// vintages differ slightly.
const CASE_SHILLER_2006_2012: [f64; 84] = [
    182.322, 183.289, 184.365, 184.330, 184.156, 183.507, 183.067, 182.594, 182.798, 183.198,
    183.609, 184.140, 184.518, 184.599, 184.151, 183.011, 181.602, 180.255, 179.111, 178.117,
    177.558, 176.624, 175.147, 174.342, 173.132, 171.540, 170.052, 168.337, 166.659, 165.018,
    163.566, 161.989, 160.309, 158.328, 156.142, 153.619, 151.507, 150.015, 148.660, 147.949,
    147.694, 148.090, 148.409, 148.278, 148.026, 147.851, 148.137, 147.931, 147.396, 145.632,
    145.858, 146.401, 146.392, 145.718, 144.987, 143.911, 143.014, 142.526, 142.168, 142.055,
    141.517, 140.344, 139.976, 140.007, 139.902, 139.859, 139.727, 139.306, 138.665, 137.948,
    137.147, 136.670, 136.605, 136.529, 137.900, 139.149, 140.151, 141.027, 141.668, 142.278,
    142.906, 143.596, 144.579, 145.496,
];

/// `YYYY-MM` as months since year 0, or `None` if it is not one.
fn month_number(month: &str) -> Option<i64> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    ((1000..=9999).contains(&y) && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}

impl HousePricePath {
    /// The realised national index, January 2006 to December 2012: the peak in February
    /// 2007 and a fall of 26.0% to February 2012.
    pub fn case_shiller_national_2006_2012() -> Self {
        Self {
            source: "S&P/Case-Shiller U.S. National Home Price Index (FRED CSUSHPINSA), \
                     via datasets/house-prices-us@1da31a6"
                .into(),
            start: "2006-01".into(),
            levels: CASE_SHILLER_2006_2012.to_vec(),
        }
    }

    /// The index level of `month` (`YYYY-MM`), or `None` outside the path.
    pub fn level(&self, month: &str) -> Option<f64> {
        let i = month_number(month)? - month_number(&self.start)?;
        usize::try_from(i)
            .ok()
            .and_then(|i| self.levels.get(i).copied())
    }

    /// `H(to) / H(from)`; an error names a month outside the path.
    pub fn ratio(&self, from: &str, to: &str) -> Result<f64> {
        let level = |m: &str| {
            self.level(m).ok_or_else(|| {
                Error::invalid(
                    "month",
                    format!(
                        "{m} is outside the path ({} and {} months on)",
                        self.start,
                        self.levels.len()
                    ),
                )
            })
        };
        Ok(level(to)? / level(from)?)
    }
}

/// What the foreclosure of a defaulted mortgage costs the lender: the months from default
/// to the sale, the interest not paid meanwhile, the legal and carrying costs, and the
/// forced-sale discount and selling costs on the house.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Foreclosure {
    /// Months from default to the sale of the house.
    pub months: u32,
    /// Legal, administrative and carrying costs, per unit of the balance.
    pub costs: f64,
    /// Discount of the forced sale on the value the index implies, in [0, 1).
    pub sale_discount: f64,
    /// Selling costs (commission, closing), per unit of the sale price, in [0, 1).
    pub selling_costs: f64,
}

impl Foreclosure {
    /// Validated parameters; errors name the field.
    pub fn new(months: u32, costs: f64, sale_discount: f64, selling_costs: f64) -> Result<Self> {
        if months > 120 {
            return Err(Error::invalid("months", format!("{months} is above 120")));
        }
        if !(costs.is_finite() && (0.0..=1.0).contains(&costs)) {
            return Err(Error::invalid(
                "costs",
                format!("{costs} must be in [0, 1]"),
            ));
        }
        for (field, v) in [
            ("sale_discount", sale_discount),
            ("selling_costs", selling_costs),
        ] {
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(Error::invalid(field, format!("{v} must be in [0, 1)")));
            }
        }
        Ok(Self {
            months,
            costs,
            sale_discount,
            selling_costs,
        })
    }

    /// US foreclosures around 2008-2011: 12 months from the default notice to the sale
    /// (RealtyTrac's 305 to 348 days of 2010-2011), legal and administrative costs of 5%
    /// of the balance (the middle of the 3-7% a private lender reports; an assumption, the
    /// weakest of the four), a forced-sale discount of 27% (Campbell, Giglio and Pathak,
    /// "Forced Sales and House Prices", AER 2011) and selling costs of 6% of the price (an
    /// assumption: a typical US commission). Sources in [docs/methodology/housing.md](crate::methodology::housing).
    pub fn us_crisis() -> Self {
        Self {
            months: 12,
            costs: 0.05,
            sale_discount: 0.27,
            selling_costs: 0.06,
        }
    }

    /// What the sale returns per unit of the index-implied house value:
    /// `(1 - sale_discount) (1 - selling_costs)`.
    pub fn sale_fraction(&self) -> f64 {
        (1.0 - self.sale_discount) * (1.0 - self.selling_costs)
    }

    /// What the lender is owed at the sale per unit of the balance at default: the balance,
    /// the interest at `rate` (annual) not paid for `months`, and the costs.
    pub fn claim(&self, rate: f64) -> f64 {
        1.0 + rate * f64::from(self.months) / 12.0 + self.costs
    }

    /// The loss per unit of the balance at default when the house is then worth `value`
    /// (per unit of the balance, at the index-implied price): the claim less what the
    /// sale returns, at least 0. `rate` is the loan's annual rate.
    pub fn loss(&self, value: f64, rate: f64) -> Result<f64> {
        if !(value.is_finite() && value >= 0.0) {
            return Err(Error::invalid("value", format!("{value} must be >= 0")));
        }
        if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
            return Err(Error::invalid("rate", format!("{rate} must be in [0, 1]")));
        }
        Ok((self.claim(rate) - self.sale_fraction() * value).max(0.0))
    }
}

/// Standard deviation of a single house's log value around the index's at the sale: 0.125,
/// the middle of the 0.10 to 0.15 of creditlab's repeat-sales computation on 43,313 Seattle
/// sales of 2010-2016 ([docs/methodology/housing.md](crate::methodology::housing), "The house itself").
pub const HOUSE_IDIOSYNCRATIC_SPREAD: f64 = 0.125;

/// Share of the post-sale shortfall a full-recourse lender recovers from the borrower: 2%,
/// an assumption. US lenders sue for deficiencies "in only a small minority of cases where
/// they legally could" (The Wall Street Journal, 2011) and no recovery rate is published;
/// pursuit in a few percent of foreclosures (Lee County, Florida: 270 deficiency judgments
/// in 2010 against tens of thousands of foreclosures in the state) times about half of a
/// judgment collected from borrowers who are mostly judgment-proof gives about 2%. Sources
/// in [docs/methodology/housing.md](crate::methodology::housing), "Recourse".
pub const RECOURSE_RECOVERY_SHARE: f64 = 0.02;

/// Nodes of the Gauss-Hermite rule over the systematic factor (the default-weighted mean):
/// the integrands are smooth, and 64 nodes reach the far tail where low-PD defaults sit.
const FACTOR_NODES: usize = 64;

fn factor_rule() -> &'static Rule {
    static RULE: OnceLock<Rule> = OnceLock::new();
    RULE.get_or_init(|| {
        // 64 is inside 1..=MAX_NODES, so the rule always builds.
        Rule::gauss_hermite(FACTOR_NODES).unwrap_or(Rule {
            nodes: vec![0.0],
            weights: vec![1.0],
        })
    })
}

/// `E[max(k - s e^{v Z}, 0)]`, `Z ~ N(0, 1)`: a put on a lognormal whose log has mean
/// `ln s` (median `s`) and standard deviation `v`, so `E[s e^{vZ}] = s e^{v^2/2}`.
fn lognormal_put(s: f64, k: f64, v: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    if s <= 0.0 {
        return k;
    }
    if v <= 0.0 {
        return (k - s).max(0.0);
    }
    let x = (k / s).ln() / v;
    (k * norm_cdf(x) - s * (0.5 * v * v).exp() * norm_cdf(x - v)).max(0.0)
}

/// The loss per unit of EAD of a defaulted secured loan whose collateral is sold after the
/// default:
///
/// ```text
/// loss = min(max(1 + cost - (1 - discount) V, 0), 1 + cost),   V = value exp(mu + b z + s eps)
/// ```
///
/// with `z` the standard normal systematic factor (the one that moves defaults: a low `z`
/// means more defaults and, with `b > 0`, lower prices) and `eps ~ N(0, 1)` the house's own
/// noise. `value` is the house's value per unit of the balance today, `mu` and `b` the
/// index's log change to the sale (its mean and its loading on `z`), `s` the house's
/// idiosyncratic spread, `cost` the claim beyond the balance (lost interest and costs) and
/// `discount` what the forced sale loses of the value (`1 - sale_fraction`). These are the
/// parameters of creditlab-contagion's `Lgd::Collateral`, here as the loan crate's own type.
///
/// ```
/// use creditlab_loan::housing::MortgageLossModel;
/// let model = MortgageLossModel::us_crisis();
/// // A loan at 80% LTV and 6% a year.
/// let law = model.law(1.0 / 0.8, 0.06)?;
/// // A bad draw of the factor raises the expected loss.
/// assert!(law.conditional_mean(-2.0) > law.conditional_mean(2.0));
/// // The severity is the mean over the factor; defaults cluster where prices are low, so
/// // the default-weighted (downturn) mean is higher.
/// let severity = law.expected_loss();
/// assert!(severity > 0.05 && severity < 0.4);
/// assert!(law.default_weighted_loss(0.02, 0.15)? > severity);
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralLaw {
    /// House value per unit of the balance today, `> 0`.
    pub value: f64,
    /// Mean of the index's log change from today to the sale.
    pub mu: f64,
    /// Loading of that log change on the systematic factor `z`, `>= 0`.
    pub b: f64,
    /// Standard deviation of the house's own log deviation from the index, `>= 0`.
    pub s: f64,
    /// What is owed beyond the balance at the sale (lost interest and costs), per unit,
    /// `>= 0`.
    pub cost: f64,
    /// Share of the value the sale loses (forced-sale discount and selling costs), in
    /// `[0, 1)`.
    pub discount: f64,
}

impl CollateralLaw {
    /// Validated parameters; errors name the field.
    pub fn new(value: f64, mu: f64, b: f64, s: f64, cost: f64, discount: f64) -> Result<Self> {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::invalid("value", format!("{value} must be > 0")));
        }
        if !(mu.is_finite() && mu.abs() <= 10.0) {
            return Err(Error::invalid("mu", format!("{mu} must be in [-10, 10]")));
        }
        for (field, v) in [("b", b), ("s", s), ("cost", cost)] {
            if !(v.is_finite() && (0.0..=10.0).contains(&v)) {
                return Err(Error::invalid(field, format!("{v} must be in [0, 10]")));
            }
        }
        if !(discount.is_finite() && (0.0..1.0).contains(&discount)) {
            return Err(Error::invalid(
                "discount",
                format!("{discount} must be in [0, 1)"),
            ));
        }
        Ok(Self {
            value,
            mu,
            b,
            s,
            cost,
            discount,
        })
    }

    /// The claim at the sale per unit of EAD, `1 + cost`: the most that can be lost.
    pub fn claim(&self) -> f64 {
        1.0 + self.cost
    }

    /// The loss for one draw of the factor `z` and the house's noise `eps`.
    pub fn loss(&self, z: f64, eps: f64) -> f64 {
        let v = self.value * (self.mu + self.b * z + self.s * eps).exp();
        (self.claim() - (1.0 - self.discount) * v).clamp(0.0, self.claim())
    }

    /// `E[loss | z]`, closed form: a put with strike `1 + cost` on the sale proceeds
    /// `(1 - discount) value e^{mu + b z} e^{s eps}`, lognormal in `eps`. (The cap at
    /// `1 + cost` never binds: the proceeds are positive.)
    pub fn conditional_mean(&self, z: f64) -> f64 {
        let proceeds = (1.0 - self.discount) * self.value * (self.mu + self.b * z).exp();
        lognormal_put(proceeds, self.claim(), self.s)
    }

    /// The unconditional expected loss `E[loss]`, the severity: the mean over `z` of
    /// [`Self::conditional_mean`]. In closed form, because `b z + s eps` is normal with
    /// variance `b^2 + s^2`: a put with that total volatility. (Tested against Gauss-Hermite
    /// quadrature over `z` of the conditional mean.)
    pub fn expected_loss(&self) -> f64 {
        let proceeds = (1.0 - self.discount) * self.value * self.mu.exp();
        lognormal_put(proceeds, self.claim(), self.b.hypot(self.s))
    }

    /// The default-weighted mean loss `E[p(z) E[loss | z]] / pd` when defaults follow the
    /// one-factor Gaussian (Vasicek) model on the same factor, `p(z) = N((G(pd) - sqrt(rho)
    /// z) / sqrt(1 - rho))`: the LGD of the loans that do default, higher than
    /// [`Self::expected_loss`] when `b > 0` and `rho > 0` because defaults come with low
    /// prices (the downturn LGD of Basel II, paragraph 468). Gauss-Hermite quadrature over
    /// `z`. `pd` in `(0, 1)`, `rho` in `[0, 1)`; errors name them.
    pub fn default_weighted_loss(&self, pd: f64, rho: f64) -> Result<f64> {
        if !(pd > 0.0 && pd < 1.0) {
            return Err(Error::invalid("pd", format!("{pd} must be in (0, 1)")));
        }
        if !(rho.is_finite() && (0.0..1.0).contains(&rho)) {
            return Err(Error::invalid("rho", format!("{rho} must be in [0, 1)")));
        }
        let c = norm_ppf(pd);
        let (a, w) = (rho.sqrt(), (1.0 - rho).sqrt());
        let rule = factor_rule();
        let p = |z: f64| norm_cdf((c - a * z) / w);
        let weight = rule.integrate(p);
        let joint = rule.integrate(|z| p(z) * self.conditional_mean(z));
        Ok(if weight > 0.0 {
            joint / weight
        } else {
            self.expected_loss()
        })
    }
}

/// Everything that turns a mortgage into its loss law: the house-price index, the
/// foreclosure, the house's idiosyncratic spread, when the default happens and what
/// recourse recovers.
///
/// ```
/// use creditlab_loan::Recourse;
/// use creditlab_loan::housing::MortgageLossModel;
/// let model = MortgageLossModel::us_crisis();
/// // 1.5 years from today to the sale: a default at the middle of a one-year horizon,
/// // then 12 months of foreclosure.
/// assert_eq!(model.years_to_sale(), 1.5);
/// let m = model.mortgage(200_000.0, 250_000.0, 0.06, Recourse::Full)?;
/// // Recourse is shown apart, never netted silently: net = collateral - recovery.
/// assert!(m.recourse_recovery > 0.0);
/// assert_eq!(m.lgd, m.collateral_lgd - m.recourse_recovery);
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MortgageLossModel {
    /// The national index's drift and volatility.
    pub house_prices: HousePriceModel,
    /// The foreclosure: months, costs, discount, selling costs.
    pub foreclosure: Foreclosure,
    /// Standard deviation of the house's log value around the index at the sale.
    pub idiosyncratic_spread: f64,
    /// Years from today (when the house's value is known) to the default: 0.5, the middle
    /// of a one-year horizon. The index then moves on for the foreclosure's months.
    pub default_time_years: f64,
    /// Share of the post-sale shortfall recovered from a full-recourse borrower.
    pub recourse_recovery_share: f64,
}

impl MortgageLossModel {
    /// The US model: the Case-Shiller national index (drift 5.15%, volatility 5.61%), the
    /// 2008-2011 foreclosure ([`Foreclosure::us_crisis`]), the idiosyncratic spread
    /// [`HOUSE_IDIOSYNCRATIC_SPREAD`], default at the middle of a one-year horizon, and the
    /// recourse recovery share [`RECOURSE_RECOVERY_SHARE`].
    pub fn us_crisis() -> Self {
        Self {
            house_prices: HousePriceModel::case_shiller_national(),
            foreclosure: Foreclosure::us_crisis(),
            idiosyncratic_spread: HOUSE_IDIOSYNCRATIC_SPREAD,
            default_time_years: 0.5,
            recourse_recovery_share: RECOURSE_RECOVERY_SHARE,
        }
    }

    /// Checks every field; errors name it.
    pub fn validate(&self) -> Result<()> {
        HousePriceModel::new(self.house_prices.drift, self.house_prices.volatility)?;
        let f = self.foreclosure;
        Foreclosure::new(f.months, f.costs, f.sale_discount, f.selling_costs)?;
        for (field, v, hi) in [
            ("idiosyncratic_spread", self.idiosyncratic_spread, 2.0),
            ("default_time_years", self.default_time_years, 50.0),
            ("recourse_recovery_share", self.recourse_recovery_share, 1.0),
        ] {
            if !(v.is_finite() && (0.0..=hi).contains(&v)) {
                return Err(Error::invalid(field, format!("{v} must be in [0, {hi}]")));
            }
        }
        Ok(())
    }

    /// Years from today to the sale: the default time plus the foreclosure's months.
    pub fn years_to_sale(&self) -> f64 {
        self.default_time_years + f64::from(self.foreclosure.months) / 12.0
    }

    /// The loss law of a mortgage with house value `value_per_balance` per unit of the
    /// balance and annual rate `rate`, the index following [`Self::house_prices`] to the
    /// sale: `mu = (drift - sigma^2/2) t`, `b = sigma sqrt(t)`, `t` = [`Self::years_to_sale`].
    pub fn law(&self, value_per_balance: f64, rate: f64) -> Result<CollateralLaw> {
        let t = self.years_to_sale();
        let m = self.house_prices;
        self.law_at_index(
            value_per_balance,
            rate,
            m.log_change(t, 0.0),
            m.volatility * t.sqrt(),
        )
    }

    /// The loss law with a given index log change to the sale: mean `index_log_mean`,
    /// loading `index_log_sd` on the factor (0 for a realised path, e.g.
    /// `ln HousePricePath::ratio(origination, sale)`).
    pub fn law_at_index(
        &self,
        value_per_balance: f64,
        rate: f64,
        index_log_mean: f64,
        index_log_sd: f64,
    ) -> Result<CollateralLaw> {
        self.validate()?;
        if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
            return Err(Error::invalid("rate", format!("{rate} must be in [0, 1]")));
        }
        CollateralLaw::new(
            value_per_balance,
            index_log_mean,
            index_log_sd,
            self.idiosyncratic_spread,
            self.foreclosure.claim(rate) - 1.0,
            1.0 - self.foreclosure.sale_fraction(),
        )
    }

    /// The LGD of one mortgage: its law, the collateral LGD (the law's expected loss), the
    /// recourse recovery (a share of that shortfall, for full recourse only) and the net
    /// LGD, all per unit of the balance.
    pub fn mortgage(
        &self,
        balance: f64,
        property_value: f64,
        rate: f64,
        recourse: Recourse,
    ) -> Result<MortgageLgd> {
        if !(balance.is_finite() && balance > 0.0) {
            return Err(Error::invalid("balance", format!("{balance} must be > 0")));
        }
        let law = self.law(property_value / balance, rate)?;
        Ok(MortgageLgd::of(law, recourse, self.recourse_recovery_share))
    }

    /// [`Self::mortgage`] of a loan record secured by residential property (principal,
    /// collateral value, current rate, recourse); `None` for any other collateral.
    pub fn of_record(&self, record: &LoanRecord) -> Result<Option<MortgageLgd>> {
        if record.collateral.kind() != CollateralKind::ResidentialProperty {
            return Ok(None);
        }
        self.mortgage(
            record.loan.principal(),
            record.collateral.value(),
            record.loan.rate().current(),
            record.loan.recourse(),
        )
        .map(Some)
    }

    /// The EAD-weighted severity of a book's residential-property loans: the one severity
    /// for both the cash-flow projection and the loss model. `None` when the book holds no
    /// such loan.
    pub fn book(&self, book: &Book) -> Result<Option<BookSeverity>> {
        let (mut loans, mut ead, mut gross, mut recovered) = (0usize, 0.0, 0.0, 0.0);
        for r in book {
            if let Some(m) = self.of_record(r)? {
                let e = r.loan.principal();
                loans += 1;
                ead += e;
                gross += m.collateral_lgd * e;
                recovered += m.recourse_recovery * e;
            }
        }
        Ok((loans > 0).then(|| BookSeverity {
            loans,
            ead,
            collateral_lgd: gross / ead,
            recourse_recovery: recovered / ead,
            lgd: (gross - recovered) / ead,
        }))
    }
}

/// The LGD of one mortgage, per unit of its balance, with recourse shown apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MortgageLgd {
    /// The loss law given default.
    pub law: CollateralLaw,
    /// What the house leaves unpaid on average: the law's expected loss, the severity the
    /// cash flows use.
    pub collateral_lgd: f64,
    /// What recourse recovers of that shortfall from the borrower: the recovery share of it
    /// for full recourse, 0 otherwise.
    pub recourse_recovery: f64,
    /// Net LGD, `collateral_lgd - recourse_recovery`.
    pub lgd: f64,
}

impl MortgageLgd {
    /// The parts of `law` for a loan with `recourse`, recovering `share` of the shortfall
    /// when the recourse is full.
    pub fn of(law: CollateralLaw, recourse: Recourse, share: f64) -> Self {
        let collateral_lgd = law.expected_loss();
        let recourse_recovery = match recourse {
            Recourse::Full => share * collateral_lgd,
            Recourse::None => 0.0,
        };
        Self {
            law,
            collateral_lgd,
            recourse_recovery,
            lgd: collateral_lgd - recourse_recovery,
        }
    }
}

/// A book's mortgage severity: EAD-weighted over its residential-property loans.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BookSeverity {
    /// Residential-property loans counted.
    pub loans: usize,
    /// Their total EAD (principal).
    pub ead: f64,
    /// EAD-weighted collateral LGD: the severity for the cash flows and the loss model.
    pub collateral_lgd: f64,
    /// EAD-weighted recourse recovery per unit of EAD.
    pub recourse_recovery: f64,
    /// EAD-weighted net LGD.
    pub lgd: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn the_realised_path_peaks_in_2007_and_falls_26_percent() {
        let p = HousePricePath::case_shiller_national_2006_2012();
        assert_eq!(p.levels.len(), 84);
        assert_eq!(p.level("2006-01"), Some(182.322));
        assert_eq!(p.level("2012-12"), Some(145.496));
        assert_eq!(p.level("2013-01"), None);
        assert_eq!(p.level("2005-12"), None);
        assert_eq!(p.level("2006-13"), None);
        let peak = p.levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(Some(peak), p.level("2007-02"));
        let fall = p.ratio("2007-02", "2012-02").unwrap() - 1.0;
        assert!((fall - (136.529 / 184.599 - 1.0)).abs() <= prec::IDENTITY);
        assert!(p.ratio("2007-02", "2013-02").is_err());
    }

    #[test]
    fn the_index_model_is_a_lognormal_with_its_drift() {
        let m = HousePriceModel::case_shiller_national();
        // E[H_t / H_0] = exp(mu t): integrate exp(log_change) against the normal density.
        let rule = Rule::gauss_hermite(64).unwrap();
        let mean = rule.integrate(|z| m.log_change(2.0, z).exp());
        assert!((mean - (2.0 * m.drift).exp()).abs() <= prec::QUADRATURE);
        assert!(HousePriceModel::new(0.0, -0.1).is_err());
        assert!(HousePriceModel::new(f64::NAN, 0.1).is_err());
    }

    #[test]
    fn foreclosure_loss_by_hand() {
        let f = Foreclosure::us_crisis();
        // A 75% LTV loan at 6.5% whose house lost 26%: value per unit of balance
        // 0.74 / 0.75. Claim 1 + 0.065 + 0.05 = 1.115; the sale returns 0.73 x 0.94 of
        // the value.
        let value = 0.74 / 0.75;
        let loss = f.loss(value, 0.065).unwrap();
        let by_hand = 1.115 - 0.73 * 0.94 * value;
        assert!((loss - by_hand).abs() <= prec::IDENTITY * 10.0);
        // Fannie Mae's 2006 and 2007 vintages lost about 43-47% of the balance of the
        // loans that were foreclosed (docs/methodology/housing.md): the same order.
        assert!((0.35..0.55).contains(&loss), "{loss}");
        // A house worth much more than the claim: no loss.
        assert_eq!(f.loss(3.0, 0.065).unwrap(), 0.0);
        assert!(f.loss(-1.0, 0.05).is_err());
        assert!(Foreclosure::new(12, 0.05, 1.0, 0.06).is_err());
    }

    /// `E[max(k - p e^{s eps}, 0)]` by composite Simpson over eps in [-12, 12]: the
    /// integrand has a kink where the sale covers the claim, so the rule is good to about
    /// `prec::FINITE_DIFFERENCE` of the claim.
    fn simpson_over_eps(law: &CollateralLaw, z: f64) -> f64 {
        let n = 20_000;
        let (a, b) = (-12.0, 12.0);
        let h = (b - a) / n as f64;
        let f = |e: f64| law.loss(z, e) * creditlab_numerics::special::norm_pdf(e);
        let mut sum = f(a) + f(b);
        for i in 1..n {
            sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(a + i as f64 * h);
        }
        sum * h / 3.0
    }

    #[test]
    fn a_2006_loan_sold_in_2011_loses_what_fannie_maes_2006_2007_vintages_imply() {
        // Originated in June 2006 at 75% LTV and 6.5%, defaulted in June 2010 and sold 12
        // months later (Foreclosure::us_crisis), at the index's realised fall: b = 0, only
        // the house's own spread is uncertain.
        let model = MortgageLossModel::us_crisis();
        let path = HousePricePath::case_shiller_national_2006_2012();
        for sale in ["2011-06", "2012-02"] {
            let ratio = path.ratio("2006-06", sale).unwrap();
            let law = model
                .law_at_index(1.0 / 0.75, 0.065, ratio.ln(), 0.0)
                .unwrap();
            let severity = law.expected_loss();
            // Fannie Mae's 2006 and 2007 vintages: about 47% and 43% of the balance of the
            // loans that ended in a credit event (docs/methodology/housing.md).
            assert!((0.40..0.50).contains(&severity), "{sale}: {severity}");
            // Without the house's own spread, the foreclosure arithmetic by hand.
            let by_hand = Foreclosure::us_crisis().loss(ratio / 0.75, 0.065).unwrap();
            let certain = CollateralLaw { s: 0.0, ..law }.expected_loss();
            assert!(
                (certain - by_hand).abs() <= prec::COMPOSED,
                "{certain} {by_hand}"
            );
        }
    }

    #[test]
    fn severity_rises_with_ltv() {
        let model = MortgageLossModel::us_crisis();
        let mut last = -1.0;
        for i in 0..=30 {
            let ltv = 0.4 + 0.02 * f64::from(i);
            let sev = model.law(1.0 / ltv, 0.06).unwrap().expected_loss();
            assert!(sev > last, "LTV {ltv}: {sev} after {last}");
            last = sev;
        }
        // Well above water it is small, underwater it is most of the balance.
        assert!(model.law(2.5, 0.06).unwrap().expected_loss() < 1e-3);
        assert!(model.law(1.0, 0.06).unwrap().expected_loss() > 0.25);
    }

    #[test]
    fn without_noise_the_law_is_the_deterministic_foreclosure_loss() {
        let model = MortgageLossModel {
            idiosyncratic_spread: 0.0,
            ..MortgageLossModel::us_crisis()
        };
        let f = model.foreclosure;
        for (value, rate, mu) in [
            (1.25, 0.06, 0.0),
            (1.0 / 0.75, 0.065, -0.3),
            (3.0, 0.05, 0.1),
        ] {
            let law = model.law_at_index(value, rate, mu, 0.0).unwrap();
            let by_hand = f.loss(value * mu.exp(), rate).unwrap();
            for z in [-3.0, 0.0, 2.0] {
                assert!((law.conditional_mean(z) - by_hand).abs() <= prec::IDENTITY * 4.0);
                assert!((law.loss(z, 1.7) - by_hand).abs() <= prec::IDENTITY * 4.0);
            }
            assert!((law.expected_loss() - by_hand).abs() <= prec::IDENTITY * 4.0);
            assert!((law.cost - (rate + 0.05)).abs() <= prec::IDENTITY);
            assert!((law.discount - (1.0 - 0.73 * 0.94)).abs() <= prec::IDENTITY);
        }
    }

    #[test]
    fn conditional_mean_matches_numerical_integration_over_the_house() {
        let model = MortgageLossModel::us_crisis();
        for (ltv, z) in [(0.8, 0.0), (0.95, -2.5), (0.6, -4.0), (0.9, 1.5)] {
            let law = model.law(1.0 / ltv, 0.06).unwrap();
            let closed = law.conditional_mean(z);
            let numeric = simpson_over_eps(&law, z);
            assert!(
                (closed - numeric).abs() <= prec::FINITE_DIFFERENCE * law.claim(),
                "LTV {ltv}, z {z}: {closed} vs {numeric}"
            );
        }
    }

    #[test]
    fn the_severity_is_the_factor_quadrature_of_the_conditional_mean() {
        let rule = Rule::gauss_hermite(96).unwrap();
        let model = MortgageLossModel::us_crisis();
        for (value, b, s) in [(1.25, 0.0687, 0.125), (1.05, 0.3, 0.1), (1.6, 0.2, 0.3)] {
            let law = CollateralLaw {
                b,
                s,
                ..model.law(value, 0.06).unwrap()
            };
            let quadrature = rule.integrate(|z| law.conditional_mean(z));
            assert!(
                (quadrature - law.expected_loss()).abs() <= prec::QUADRATURE,
                "{quadrature} vs {}",
                law.expected_loss()
            );
        }
    }

    #[test]
    fn defaults_at_low_prices_raise_the_default_weighted_loss() {
        let law = MortgageLossModel::us_crisis()
            .law(1.0 / 0.85, 0.06)
            .unwrap();
        let severity = law.expected_loss();
        // Independent defaults, or prices that do not load on the factor: no downturn.
        let independent = law.default_weighted_loss(0.02, 0.0).unwrap();
        assert!((independent - severity).abs() <= prec::QUADRATURE);
        let flat = CollateralLaw { b: 0.0, ..law };
        let flat_dw = flat.default_weighted_loss(0.02, 0.3).unwrap();
        assert!((flat_dw - flat.expected_loss()).abs() <= prec::QUADRATURE);
        // Correlated: higher, and more so the more correlated.
        let mild = law.default_weighted_loss(0.02, 0.15).unwrap();
        let strong = law.default_weighted_loss(0.02, 0.5).unwrap();
        assert!(
            severity < mild && mild < strong,
            "{severity} {mild} {strong}"
        );
        assert!(law.default_weighted_loss(0.0, 0.1).is_err());
        assert!(law.default_weighted_loss(0.02, 1.0).is_err());
    }

    #[test]
    fn recourse_is_shown_apart_and_only_for_full_recourse() {
        let model = MortgageLossModel::us_crisis();
        let full = model
            .mortgage(200_000.0, 240_000.0, 0.06, Recourse::Full)
            .unwrap();
        let none = model
            .mortgage(200_000.0, 240_000.0, 0.06, Recourse::None)
            .unwrap();
        assert_eq!(full.collateral_lgd, none.collateral_lgd);
        assert_eq!(none.recourse_recovery, 0.0);
        assert_eq!(none.lgd, none.collateral_lgd);
        assert!((full.recourse_recovery - 0.02 * full.collateral_lgd).abs() <= prec::IDENTITY);
        assert!((full.lgd + full.recourse_recovery - full.collateral_lgd).abs() <= prec::IDENTITY);
        let bad = MortgageLossModel {
            recourse_recovery_share: 1.5,
            ..model
        };
        assert!(matches!(
            bad.mortgage(1.0, 1.0, 0.06, Recourse::Full),
            Err(Error::Invalid {
                field: "recourse_recovery_share",
                ..
            })
        ));
        assert!(model.mortgage(0.0, 1.0, 0.06, Recourse::Full).is_err());
        assert!(model.law(1.2, 1.5).is_err());
    }

    #[test]
    fn a_book_severity_is_the_ead_weighted_mean_of_its_mortgages() {
        use crate::synthetic::{BookSpec, bank_book, defi_book};
        let spec = BookSpec {
            loans: 300,
            total_principal: None,
            seed: 6,
        };
        let model = MortgageLossModel::us_crisis();
        let bank = bank_book(&spec).unwrap();
        let sev = model.book(&bank).unwrap().unwrap();
        let (mut num, mut den) = (0.0, 0.0);
        for r in &bank {
            let m = model.of_record(r).unwrap().unwrap();
            num += m.collateral_lgd * r.loan.principal();
            den += r.loan.principal();
        }
        assert_eq!(sev.loans, 300);
        assert!((sev.collateral_lgd - num / den).abs() <= prec::ACCUMULATED);
        assert!((sev.lgd + sev.recourse_recovery - sev.collateral_lgd).abs() <= prec::IDENTITY);
        assert!(model.book(&defi_book(&spec).unwrap()).unwrap().is_none());
    }
}

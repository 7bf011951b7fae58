//! House prices, the systematic factor of mortgage credit, and what a foreclosed house
//! returns to the lender. Methodology: docs/methodology/housing.md.
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

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

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
    /// changes; source in the constant's doc and docs/methodology/housing.md). Annual
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
    /// assumption: a typical US commission). Sources in docs/methodology/housing.md.
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
        let rule = creditlab_numerics::quadrature::Rule::gauss_hermite(64).unwrap();
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
}

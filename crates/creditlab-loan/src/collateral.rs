//! What secures a loan, how much it is worth and how fast that can change.

use crate::error::{Error, Result, check_range};
use serde::{Deserialize, Serialize};

/// Kind of collateral behind a loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollateralKind {
    /// A house or flat (mortgage).
    ResidentialProperty,
    /// A car or other vehicle.
    Vehicle,
    /// Crypto assets posted to a lending protocol.
    CryptoAsset,
    /// No collateral: value, volatility and haircut are zero.
    Unsecured,
}

/// Collateral: kind, current market value, annual volatility of that value and the
/// haircut lost when it is liquidated (costs, slippage, fire-sale discount).
///
/// ```
/// use creditlab_loan::{Collateral, CollateralKind};
/// let house = Collateral::new(CollateralKind::ResidentialProperty, 250_000.0, 0.1, 0.2)?;
/// assert_eq!(house.liquidation_value(), 200_000.0);
/// assert!(Collateral::new(CollateralKind::CryptoAsset, 1_000.0, 0.8, 1.5).is_err());
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CollateralFields")]
pub struct Collateral {
    kind: CollateralKind,
    value: f64,
    volatility: f64,
    haircut: f64,
}

/// Unvalidated mirror of [`Collateral`] for deserialization.
#[derive(Deserialize)]
struct CollateralFields {
    kind: CollateralKind,
    value: f64,
    volatility: f64,
    haircut: f64,
}

impl TryFrom<CollateralFields> for Collateral {
    type Error = Error;
    fn try_from(f: CollateralFields) -> Result<Self> {
        Self::new(f.kind, f.value, f.volatility, f.haircut)
    }
}

impl Collateral {
    /// Collateral. `value` must be finite and positive (zero for `Unsecured`), `volatility`
    /// (annual, decimal) in `[0, 5]`, `haircut` in `[0, 1]`; unsecured collateral has all
    /// three equal to zero.
    pub fn new(kind: CollateralKind, value: f64, volatility: f64, haircut: f64) -> Result<Self> {
        check_range("collateral_value", value, 0.0, f64::MAX)?;
        check_range("collateral_volatility", volatility, 0.0, 5.0)?;
        check_range("liquidation_haircut", haircut, 0.0, 1.0)?;
        if kind == CollateralKind::Unsecured {
            if value != 0.0 || volatility != 0.0 || haircut != 0.0 {
                return Err(Error::invalid(
                    "collateral_value",
                    "unsecured collateral must have value, volatility and haircut 0",
                ));
            }
        } else if value <= 0.0 {
            return Err(Error::invalid(
                "collateral_value",
                format!("{value} must be positive for secured collateral"),
            ));
        }
        Ok(Self {
            kind,
            value,
            volatility,
            haircut,
        })
    }

    /// No collateral.
    pub fn unsecured() -> Self {
        Self {
            kind: CollateralKind::Unsecured,
            value: 0.0,
            volatility: 0.0,
            haircut: 0.0,
        }
    }

    /// The kind of collateral.
    pub fn kind(&self) -> CollateralKind {
        self.kind
    }
    /// Current market value.
    pub fn value(&self) -> f64 {
        self.value
    }
    /// Annual volatility of the value (decimal, e.g. 0.8 = 80%).
    pub fn volatility(&self) -> f64 {
        self.volatility
    }
    /// Fraction of the value lost on liquidation.
    pub fn haircut(&self) -> f64 {
        self.haircut
    }
    /// Value realised on liquidation today: `value × (1 − haircut)`.
    pub fn liquidation_value(&self) -> f64 {
        self.value * (1.0 - self.haircut)
    }
}

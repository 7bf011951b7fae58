//! What secures a loan, how much it is worth and how fast that can change.

use crate::error::{Error, Result, check_range};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Longest asset symbol accepted, in bytes.
pub const MAX_ASSET_SYMBOL_LEN: usize = 16;

/// The name of a collateral asset, a token symbol such as `WETH` or `USDC.e`: 1 to
/// [`MAX_ASSET_SYMBOL_LEN`] ASCII letters, digits, `.`, `-` or `_`. Stored inline so that
/// [`Collateral`] stays `Copy`.
///
/// ```
/// use creditlab_loan::AssetSymbol;
/// let weth: AssetSymbol = "WETH".parse()?;
/// assert_eq!(weth.as_str(), "WETH");
/// assert!(AssetSymbol::new("not a symbol").is_err());
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetSymbol {
    len: u8,
    bytes: [u8; MAX_ASSET_SYMBOL_LEN],
}

impl AssetSymbol {
    /// A symbol; an error names `collateral_asset` when `text` is empty, too long or holds
    /// another character.
    pub fn new(text: &str) -> Result<Self> {
        let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
        if text.is_empty() || text.len() > MAX_ASSET_SYMBOL_LEN || !text.bytes().all(ok) {
            return Err(Error::invalid(
                "collateral_asset",
                format!(
                    "`{text}` must be 1 to {MAX_ASSET_SYMBOL_LEN} ASCII letters, digits, '.', \
                     '-' or '_'"
                ),
            ));
        }
        let mut bytes = [0; MAX_ASSET_SYMBOL_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Ok(Self {
            len: text.len() as u8,
            bytes,
        })
    }

    /// The symbol as text.
    pub fn as_str(&self) -> &str {
        // Built from ASCII only (checked in `new`), so always valid UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for AssetSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AssetSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl FromStr for AssetSymbol {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl Serialize for AssetSymbol {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AssetSymbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

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
/// haircut lost when it is liquidated (costs, slippage, fire-sale discount); optionally
/// which asset it is (a token symbol) and the LTV at which the lender liquidates it (a
/// lending protocol's liquidation threshold).
///
/// ```
/// use creditlab_loan::{AssetSymbol, Collateral, CollateralKind};
/// let house = Collateral::new(CollateralKind::ResidentialProperty, 250_000.0, 0.1, 0.2)?;
/// assert_eq!(house.liquidation_value(), 200_000.0);
/// assert_eq!(house.asset(), None);
/// assert!(Collateral::new(CollateralKind::CryptoAsset, 1_000.0, 0.8, 1.5).is_err());
/// // A WETH position on Aave v3, liquidated when its LTV reaches 83%.
/// let weth = Collateral::new(CollateralKind::CryptoAsset, 10_000.0, 0.9, 0.05)?
///     .with_asset(AssetSymbol::new("WETH")?)?
///     .with_liquidation_threshold(0.83)?;
/// assert_eq!((weth.asset(), weth.liquidation_threshold()), (Some("WETH"), Some(0.83)));
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CollateralFields")]
pub struct Collateral {
    kind: CollateralKind,
    value: f64,
    volatility: f64,
    haircut: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset: Option<AssetSymbol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    liquidation_threshold: Option<f64>,
}

/// Unvalidated mirror of [`Collateral`] for deserialization.
#[derive(Deserialize)]
struct CollateralFields {
    kind: CollateralKind,
    value: f64,
    volatility: f64,
    haircut: f64,
    #[serde(default)]
    asset: Option<AssetSymbol>,
    #[serde(default)]
    liquidation_threshold: Option<f64>,
}

impl TryFrom<CollateralFields> for Collateral {
    type Error = Error;
    fn try_from(f: CollateralFields) -> Result<Self> {
        let mut c = Self::new(f.kind, f.value, f.volatility, f.haircut)?;
        if let Some(a) = f.asset {
            c = c.with_asset(a)?;
        }
        if let Some(t) = f.liquidation_threshold {
            c = c.with_liquidation_threshold(t)?;
        }
        Ok(c)
    }
}

impl Collateral {
    /// Collateral. `value` must be finite and positive (zero for `Unsecured`), `volatility`
    /// (annual, decimal) in `[0, 5]`, `haircut` in `[0, 1]`; unsecured collateral has all
    /// three equal to zero.
    pub fn new(kind: CollateralKind, value: f64, volatility: f64, haircut: f64) -> Result<Self> {
        // Capped like a principal: a book sums its collateral values.
        check_range("collateral_value", value, 0.0, crate::loan::MAX_PRINCIPAL)?;
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
            asset: None,
            liquidation_threshold: None,
        })
    }

    /// No collateral.
    pub fn unsecured() -> Self {
        Self {
            kind: CollateralKind::Unsecured,
            value: 0.0,
            volatility: 0.0,
            haircut: 0.0,
            asset: None,
            liquidation_threshold: None,
        }
    }

    /// The same collateral, named as `asset` (e.g. the token posted); unsecured loans have
    /// no asset (an error naming `collateral_asset`).
    pub fn with_asset(self, asset: AssetSymbol) -> Result<Self> {
        if self.kind == CollateralKind::Unsecured {
            return Err(Error::invalid(
                "collateral_asset",
                format!("`{asset}` given, but the loan is unsecured"),
            ));
        }
        Ok(Self {
            asset: Some(asset),
            ..self
        })
    }

    /// The same collateral, liquidated when the loan's LTV reaches `threshold` (in
    /// `(0, 1]`); unsecured loans have none (errors name `liquidation_threshold`).
    pub fn with_liquidation_threshold(self, threshold: f64) -> Result<Self> {
        check_range("liquidation_threshold", threshold, 0.0, 1.0)?;
        if threshold <= 0.0 || self.kind == CollateralKind::Unsecured {
            return Err(Error::invalid(
                "liquidation_threshold",
                format!("{threshold} must be in (0, 1] and the loan secured"),
            ));
        }
        Ok(Self {
            liquidation_threshold: Some(threshold),
            ..self
        })
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
    /// Which asset it is, when known (e.g. `WETH`).
    pub fn asset(&self) -> Option<&str> {
        self.asset.as_ref().map(AssetSymbol::as_str)
    }
    /// The asset's symbol, when known.
    pub fn asset_symbol(&self) -> Option<AssetSymbol> {
        self.asset
    }
    /// The LTV at which the lender liquidates the collateral, when the contract has one.
    pub fn liquidation_threshold(&self) -> Option<f64> {
        self.liquidation_threshold
    }
    /// Value realised on liquidation today: `value × (1 − haircut)`.
    pub fn liquidation_value(&self) -> f64 {
        self.value * (1.0 - self.haircut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_and_threshold_round_trip_through_serde_and_old_json_still_reads() {
        let weth = Collateral::new(CollateralKind::CryptoAsset, 9_000.0, 0.9, 0.05)
            .unwrap()
            .with_asset(AssetSymbol::new("WETH").unwrap())
            .unwrap()
            .with_liquidation_threshold(0.83)
            .unwrap();
        let text = serde_json::to_string(&weth).unwrap();
        assert!(
            text.contains(r#""asset":"WETH""#) && text.contains("0.83"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Collateral>(&text).unwrap(), weth);
        // Without the two fields (JSON written before them): None, and nothing written.
        let plain = Collateral::new(CollateralKind::Vehicle, 1_000.0, 0.2, 0.3).unwrap();
        let old = r#"{"kind":"vehicle","value":1000.0,"volatility":0.2,"haircut":0.3}"#;
        assert_eq!(serde_json::to_string(&plain).unwrap(), old);
        assert_eq!(serde_json::from_str::<Collateral>(old).unwrap(), plain);
        // Bad values are refused on the way in, naming the field.
        let bad = r#"{"kind":"vehicle","value":1.0,"volatility":0.2,"haircut":0.3,"asset":"a b"}"#;
        assert!(serde_json::from_str::<Collateral>(bad).is_err());
        let e = Collateral::unsecured()
            .with_asset(AssetSymbol::new("WETH").unwrap())
            .unwrap_err();
        assert_eq!(e.field(), Some("collateral_asset"));
        let e = plain.with_liquidation_threshold(1.2).unwrap_err();
        assert_eq!(e.field(), Some("liquidation_threshold"));
        assert!(AssetSymbol::new("").is_err());
        assert!(AssetSymbol::new("ABCDEFGHIJKLMNOPQ").is_err());
        assert_eq!(AssetSymbol::new("USDC.e").unwrap().to_string(), "USDC.e");
    }
}

//! The mechanics of an over-collateralized DeFi lending pool, modelled on Aave v3 and
//! Compound: depositors supply the borrowed asset for pool shares; borrowers post volatile
//! collateral and borrow against it; positions below a health factor of 1 are liquidated
//! at a bonus; bad debt falls on the reserve, then on depositors: booked as a reserve
//! deficit that leaves every depositor's claim as it was (Aave v3.3, the default), or
//! written off through the share price ([`BadDebtAccounting`]). No market simulation here:
//! prices are inputs. Methodology: [docs/methodology/lending-pool.md](crate::methodology::lending_pool).
//!
//! [`LendingPool`] is the pool's one balance sheet: the Monte Carlo of
//! [`crate::simulation`] runs one per path, through the same operations a user calls here
//! (interest by a borrow index, liquidation up to a repayment cap, write-off reserve first,
//! withdrawals limited by the cash).
//!
//! Amounts of the borrowed asset (cash, debt, reserve) are in its own unit; collateral is in
//! units of each collateral asset, valued at `prices[k]` units of the borrowed asset.
//!
//! ```
//! use creditlab_defi::lending::{CollateralAsset, LendingPool, RateModel};
//! let mut pool = LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like())?;
//! pool.deposit(1000.0)?;
//! assert!(pool.open_position(vec![1.0], 1200.0, &[2000.0]).is_err()); // more than the cash
//! let id = pool.open_position(vec![1.0], 800.0, &[2000.0])?;
//! assert_eq!(pool.health_factor(id, &[2000.0])?, 2000.0 * 0.825 / 800.0);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::error::{
    DefiError, Result, check_at_least, check_positive, check_range, invalid, out_of_range,
};
use serde::{Deserialize, Serialize};

/// Health factor at or below which the whole debt may be liquidated at once (Aave v3
/// `CLOSE_FACTOR_HF_THRESHOLD = 0.95`).
pub const FULL_CLOSE_HEALTH_FACTOR: f64 = 0.95;
/// Fraction of the debt a liquidator may repay at once above [`FULL_CLOSE_HEALTH_FACTOR`]
/// (Aave v3 `DEFAULT_LIQUIDATION_CLOSE_FACTOR = 50%`).
pub const CLOSE_FACTOR: f64 = 0.5;
/// Relative slack on "no more than the shares outstanding" in [`LendingPool::withdraw`],
/// so that a holder can redeem the balance it was told it has.
const SHARE_SLACK: f64 = 1e-12;

/// The close factor at health factor `hf` (< 1): 100% at or below
/// [`FULL_CLOSE_HEALTH_FACTOR`], [`CLOSE_FACTOR`] above.
pub fn close_factor(hf: f64) -> f64 {
    if hf <= FULL_CLOSE_HEALTH_FACTOR {
        1.0
    } else {
        CLOSE_FACTOR
    }
}

/// The seizure of one liquidation: repays up to `max_repay` of debt, asset by asset in the
/// pool's order, taking collateral worth `repay x (1 + bonus)` out of `collateral` (all of
/// an asset when the repayment is limited by it). Writes the liquidator's part into
/// `seized` and the protocol's fee into `fee` (per asset, asset units, overwritten) and
/// returns the debt repaid. The caller reduces the debt and books the cash.
pub(crate) fn seize(
    assets: &[CollateralAsset],
    collateral: &mut [f64],
    max_repay: f64,
    prices: &[f64],
    seized: &mut [f64],
    fee: &mut [f64],
) -> f64 {
    let mut left = max_repay;
    let mut repaid = 0.0;
    for k in 0..assets.len() {
        seized[k] = 0.0;
        fee[k] = 0.0;
        if left <= 0.0 {
            continue;
        }
        let a = &assets[k];
        let value = collateral[k] * prices[k];
        if value <= 0.0 {
            continue;
        }
        let limit = value / (1.0 + a.liquidation_bonus);
        // All of it when the repayment is limited by the collateral: no dust left (the
        // rounding of `limit x (1 + bonus)` may fall an ulp short of `value`, which would
        // leave a worthless crumb of collateral holding the position open).
        let (repay, taken) = if left >= limit {
            (limit, collateral[k])
        } else {
            let wanted = left * (1.0 + a.liquidation_bonus) / prices[k];
            (left, wanted.min(collateral[k]))
        };
        let fee_k = repay * a.liquidation_bonus * a.protocol_fee_share / prices[k];
        fee[k] = fee_k.min(taken);
        seized[k] = taken - fee[k];
        collateral[k] -= taken;
        left -= repay;
        repaid += repay;
    }
    repaid
}

/// Where the bad debt the reserve cannot absorb goes.
///
/// ```
/// use creditlab_defi::lending::{BadDebtAccounting, CollateralAsset, LendingPool, RateModel};
/// for accounting in [BadDebtAccounting::Deficit, BadDebtAccounting::SharePrice] {
///     let mut pool = LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like())?
///         .with_accounting(accounting);
///     pool.deposit(10_000.0)?;
///     let id = pool.open_position(vec![1.0], 1500.0, &[2000.0])?;
///     pool.liquidate(id, &[1000.0])?; // 1,000 of collateral for 1,500 of debt
///     let lost = 1500.0 - 1000.0 / 1.05;
///     assert!((pool.borne_by_depositors() - lost).abs() < 1e-9);
///     match accounting {
///         // The claims are untouched and partly unbacked: the last depositors out lose.
///         BadDebtAccounting::Deficit => assert_eq!((pool.share_price(), pool.deficit()), (1.0, lost)),
///         // Every depositor loses pro rata.
///         BadDebtAccounting::SharePrice => assert!(pool.share_price() < 1.0),
///     }
/// }
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadDebtAccounting {
    /// Aave v3.3: the debt left when a position's collateral is exhausted is burned and
    /// booked as the reserve's deficit (`reserve.deficit`); aToken balances, and so the
    /// share price, are untouched; depositors withdraw at par while the cash lasts, so the
    /// last ones out hold the unbacked claims.
    #[default]
    Deficit,
    /// The loss is written off against the depositors' equity: the share price falls and
    /// every depositor still in the pool loses pro rata.
    SharePrice,
}

/// Risk parameters of one collateral asset.
///
/// ```
/// use creditlab_defi::lending::CollateralAsset;
/// let wbtc = CollateralAsset::new("WBTC", 0.70, 0.75, 0.065, 0.10)?;
/// assert!(wbtc.liquidation_threshold * (1.0 + wbtc.liquidation_bonus) < 1.0);
/// // A threshold below the LTV is refused, naming the field.
/// let e = CollateralAsset::new("X", 0.8, 0.7, 0.05, 0.1).unwrap_err();
/// assert_eq!(e.field(), Some("liquidation_threshold"));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CollateralAsset {
    /// Name, e.g. `WETH`.
    pub name: String,
    /// Maximum loan-to-value at origination, in [0, 1).
    pub ltv: f64,
    /// Liquidation threshold: the weight of this collateral in the health factor, in
    /// [ltv, 1).
    pub liquidation_threshold: f64,
    /// Liquidation bonus: the liquidator seizes `repaid x (1 + bonus)` of collateral.
    pub liquidation_bonus: f64,
    /// Share of the bonus that goes to the protocol's reserve, in [0, 1].
    pub protocol_fee_share: f64,
}

impl CollateralAsset {
    /// Validated parameters; errors name the field (`ltv`, `liquidation_threshold`,
    /// `liquidation_bonus`, `protocol_fee_share`).
    pub fn new(
        name: impl Into<String>,
        ltv: f64,
        liquidation_threshold: f64,
        liquidation_bonus: f64,
        protocol_fee_share: f64,
    ) -> Result<Self> {
        check_range("ltv", ltv, 0.0, 1.0)?;
        check_range("liquidation_threshold", liquidation_threshold, 0.0, 1.0)?;
        if liquidation_threshold < ltv || liquidation_threshold >= 1.0 {
            return Err(out_of_range(
                "liquidation_threshold",
                liquidation_threshold,
                format!("must be >= ltv ({ltv}) and < 1"),
            ));
        }
        check_range("liquidation_bonus", liquidation_bonus, 0.0, 1.0)?;
        if liquidation_threshold * (1.0 + liquidation_bonus) >= 1.0 {
            return Err(out_of_range(
                "liquidation_bonus",
                liquidation_bonus,
                "must keep threshold x (1 + bonus) < 1, or a liquidation would lower the \
                 health factor",
            ));
        }
        check_range("protocol_fee_share", protocol_fee_share, 0.0, 1.0)?;
        Ok(Self {
            name: name.into(),
            ltv,
            liquidation_threshold,
            liquidation_bonus,
            protocol_fee_share,
        })
    }

    /// WETH-like parameters of Aave v3: LTV 80%, liquidation threshold 82.5%, bonus 5%,
    /// protocol fee 10% of the bonus.
    pub fn weth_like() -> Self {
        Self {
            name: "WETH".into(),
            ltv: 0.80,
            liquidation_threshold: 0.825,
            liquidation_bonus: 0.05,
            protocol_fee_share: 0.10,
        }
    }

    /// The same parameters checked again by [`CollateralAsset::new`] (for a value built
    /// field by field).
    pub fn validate(&self) -> Result<()> {
        Self::new(
            String::new(),
            self.ltv,
            self.liquidation_threshold,
            self.liquidation_bonus,
            self.protocol_fee_share,
        )
        .map(drop)
    }
}

/// The utilization-kink interest rate model (Aave v3 `DefaultReserveInterestRateStrategy`,
/// Compound's jump rate model). Rates are annual. In a config file it is
/// `rates = { base, slope1, slope2, optimal_utilization, reserve_factor }`.
///
/// ```
/// use creditlab_defi::lending::RateModel;
/// let m = RateModel::new(0.0, 0.04, 0.60, 0.90, 0.10)?;
/// assert_eq!(m.borrow_rate(0.90), 0.04); // at the kink: base + slope1
/// assert!(m.borrow_rate(0.95) > 0.3); // steep above it
/// assert_eq!(RateModel::new(0.0, -0.04, 0.6, 0.9, 0.1).unwrap_err().field(), Some("slope1"));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateModel {
    /// Borrow rate at zero utilization.
    pub base: f64,
    /// Borrow rate added from 0 up to the optimal utilization.
    pub slope1: f64,
    /// Borrow rate added from the optimal utilization up to 100%.
    pub slope2: f64,
    /// The kink `U_opt`, in (0, 1).
    pub optimal_utilization: f64,
    /// Share of the borrowers' interest kept by the protocol's reserve, in [0, 1].
    pub reserve_factor: f64,
}

impl RateModel {
    /// Validated parameters; errors name the field.
    pub fn new(
        base: f64,
        slope1: f64,
        slope2: f64,
        optimal_utilization: f64,
        reserve_factor: f64,
    ) -> Result<Self> {
        for (field, v) in [("base", base), ("slope1", slope1), ("slope2", slope2)] {
            check_at_least(field, v, 0.0)?;
        }
        if !(optimal_utilization > 0.0 && optimal_utilization < 1.0) {
            return Err(out_of_range(
                "optimal_utilization",
                optimal_utilization,
                "must be in (0, 1)",
            ));
        }
        check_range("reserve_factor", reserve_factor, 0.0, 1.0)?;
        Ok(Self {
            base,
            slope1,
            slope2,
            optimal_utilization,
            reserve_factor,
        })
    }

    /// The same parameters checked again by [`RateModel::new`] (for a value built field by
    /// field or deserialized).
    pub fn validate(&self) -> Result<()> {
        Self::new(
            self.base,
            self.slope1,
            self.slope2,
            self.optimal_utilization,
            self.reserve_factor,
        )
        .map(drop)
    }

    /// A USDC-like curve (Gauntlet's Aave v3 recommendation for USDC): base 0, slope1 4%,
    /// slope2 60%, kink at 90%, reserve factor 10%.
    pub fn usdc_like() -> Self {
        Self {
            base: 0.0,
            slope1: 0.04,
            slope2: 0.60,
            optimal_utilization: 0.90,
            reserve_factor: 0.10,
        }
    }

    /// Utilization `U = borrows / (cash + borrows)` (0 for an empty pool).
    pub fn utilization(cash: f64, borrows: f64) -> f64 {
        let total = cash + borrows;
        if total > 0.0 { borrows / total } else { 0.0 }
    }

    /// Annual borrow rate at utilization `u` (clamped to [0, 1]).
    pub fn borrow_rate(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let k = self.optimal_utilization;
        if u <= k {
            self.base + self.slope1 * u / k
        } else {
            self.base + self.slope1 + self.slope2 * (u - k) / (1.0 - k)
        }
    }

    /// Annual supply rate `borrow_rate x U x (1 - reserve_factor)`, paid on all supplied
    /// liquidity (cash + borrows).
    pub fn supply_rate(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        self.borrow_rate(u) * u * (1.0 - self.reserve_factor)
    }
}

/// One borrower's position as of now: collateral amounts (one per collateral asset) and
/// debt, interest included. A copy read out of the pool ([`LendingPool::position`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Collateral held, in units of each asset (same order as the pool's assets).
    pub collateral: Vec<f64>,
    /// Debt in units of the borrowed asset, interest included.
    pub debt: f64,
}

/// What a liquidation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Liquidation {
    /// Health factor before the liquidation.
    pub health_factor: f64,
    /// Close factor applied (0.5, or 1 at a health factor <= 0.95).
    pub close_factor: f64,
    /// Debt repaid by the liquidator (paid into the pool's cash).
    pub repaid: f64,
    /// Collateral seized by the liquidator, per asset, in asset units.
    pub seized_by_liquidator: Vec<f64>,
    /// Collateral taken as protocol fee (share of the bonus), per asset, in asset units;
    /// added to the protocol's collateral holdings (not to the reserve).
    pub protocol_fee: Vec<f64>,
    /// Debt left unpaid after all collateral was taken, written off.
    pub bad_debt: f64,
    /// Part of the bad debt absorbed by the reserve.
    pub absorbed_by_reserve: f64,
    /// Part of the bad debt borne by depositors: booked as deficit (the depositors' claims
    /// unbacked by that much), or written off through the share price, per the pool's
    /// [`BadDebtAccounting`].
    pub borne_by_depositors: f64,
}

/// The balance-sheet effect of one liquidation, without the per-asset seizure (which the
/// caller's buffers receive): what the simulation's hot loop needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Liquidated {
    /// Debt repaid into the cash.
    pub(crate) repaid: f64,
    /// Debt written off (0 unless the collateral ran out).
    pub(crate) bad_debt: f64,
    /// Part of it absorbed by the reserve.
    pub(crate) absorbed: f64,
}

/// What a withdrawal request got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Withdrawal {
    /// Shares redeemed (burnt).
    pub shares_redeemed: f64,
    /// Cash paid out.
    pub paid: f64,
    /// Shares that could not be redeemed for lack of cash (still held).
    pub unmet_shares: f64,
    /// Value of the unmet shares at the current share price.
    pub unmet_value: f64,
}

/// A lending pool of one borrowed asset against one or more collateral assets: its one
/// balance sheet.
///
/// Balance sheet: assets are `cash + total debt`; the reserve (the protocol's share, the
/// first-loss cover) and the depositors' claim `shares x share_price` split them, with
/// the deficit (bad debt neither the reserve nor the share price absorbed) as the part of
/// the claims nothing backs: `share_price = (cash + debt + deficit - reserve) / shares`.
/// Debts are stored scaled by a borrow
/// index (Aave's variable-debt index): `debt = scaled x index`, so accruing interest is one
/// multiplication whatever the number of positions, and leaves every position's rank by
/// liquidation price unchanged. Positions are held as arrays (collateral row-major, one row
/// per position), the layout the Monte Carlo walks.
///
/// ```
/// use creditlab_defi::lending::{CollateralAsset, LendingPool, RateModel};
/// let mut pool = LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like())?;
/// pool.deposit(10_000.0)?;
/// let id = pool.open_position(vec![1.0], 1500.0, &[2000.0])?;
/// pool.accrue(1.0 / 365.0)?; // a day of interest
/// // ETH falls to 1,700: HF = 1700 x 0.825 / debt < 0.95, the whole debt is repaid.
/// let l = pool.liquidate(id, &[1700.0])?.expect("liquidatable");
/// assert_eq!(l.close_factor, 1.0);
/// assert_eq!(l.bad_debt, 0.0);
/// assert_eq!(pool.position(id)?.debt, 0.0);
/// assert!(pool.share_price() > 1.0); // depositors kept the interest
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, PartialEq)]
pub struct LendingPool {
    assets: Vec<CollateralAsset>,
    rates: RateModel,
    cash: f64,
    reserve: f64,
    shares: f64,
    /// The borrow index: `debt = scaled x index`, 1 when the pool opens.
    index: f64,
    /// Sum of the scaled debts, kept up to date operation by operation.
    total_scaled: f64,
    /// Collateral per position and asset, row-major (`n_positions x n_assets`).
    collateral: Vec<f64>,
    /// Scaled debt per position.
    scaled: Vec<f64>,
    protocol_collateral: Vec<f64>,
    /// Debt written off so far.
    bad_debt: f64,
    /// The part of it the reserve could not absorb.
    borne_by_depositors: f64,
    accounting: BadDebtAccounting,
    /// Deficit accounting: the bad debt the reserve did not absorb, claims nothing backs.
    deficit: f64,
    /// Share-price accounting: the write-offs per share outstanding at the time, summed
    /// (the loss of a share held from the start).
    written_off_per_share: f64,
}

impl Clone for LendingPool {
    fn clone(&self) -> Self {
        Self {
            assets: self.assets.clone(),
            rates: self.rates,
            cash: self.cash,
            reserve: self.reserve,
            shares: self.shares,
            index: self.index,
            total_scaled: self.total_scaled,
            collateral: self.collateral.clone(),
            scaled: self.scaled.clone(),
            protocol_collateral: self.protocol_collateral.clone(),
            bad_debt: self.bad_debt,
            borne_by_depositors: self.borne_by_depositors,
            accounting: self.accounting,
            deficit: self.deficit,
            written_off_per_share: self.written_off_per_share,
        }
    }

    /// Field by field, reusing this pool's buffers: how a Monte Carlo worker goes back to
    /// hour 0 at the start of each path without allocating.
    fn clone_from(&mut self, source: &Self) {
        self.assets.clone_from(&source.assets);
        self.rates = source.rates;
        self.cash = source.cash;
        self.reserve = source.reserve;
        self.shares = source.shares;
        self.index = source.index;
        self.total_scaled = source.total_scaled;
        self.collateral.clone_from(&source.collateral);
        self.scaled.clone_from(&source.scaled);
        self.protocol_collateral
            .clone_from(&source.protocol_collateral);
        self.bad_debt = source.bad_debt;
        self.borne_by_depositors = source.borne_by_depositors;
        self.accounting = source.accounting;
        self.deficit = source.deficit;
        self.written_off_per_share = source.written_off_per_share;
    }
}

impl LendingPool {
    /// The same pool with every collateral asset's liquidation bonus at 0: a settlement in
    /// which each position's collateral goes to repay its debt at the given prices, what
    /// marking the open positions at the horizon assumes (tests check the marking by it).
    #[cfg(test)]
    pub(crate) fn without_bonus(&self) -> Self {
        let mut pool = self.clone();
        for a in &mut pool.assets {
            a.liquidation_bonus = 0.0;
        }
        pool
    }
}

fn rejected(what: impl Into<String>, reason: impl Into<String>) -> DefiError {
    DefiError::Lending {
        what: what.into(),
        reason: reason.into(),
    }
}

impl LendingPool {
    /// An empty pool accepting these collateral assets (at least one) at these rates, with
    /// Aave v3.3's deficit accounting ([`LendingPool::with_accounting`] for the other);
    /// errors name the field (`assets[1].ltv`, `rates.slope1`).
    pub fn new(assets: Vec<CollateralAsset>, rates: RateModel) -> Result<Self> {
        if assets.is_empty() {
            return Err(invalid(
                "assets",
                "a pool needs at least one collateral asset",
            ));
        }
        for (k, a) in assets.iter().enumerate() {
            a.validate()
                .map_err(|e| e.within(&format!("assets[{k}]")))?;
        }
        rates.validate().map_err(|e| e.within("rates"))?;
        Ok(Self::from_balance_sheet(
            assets,
            rates,
            0.0,
            0.0,
            0.0,
            Vec::new(),
            Vec::new(),
            BadDebtAccounting::default(),
        ))
    }

    /// The same pool with bad debt accounted for by `accounting`.
    pub fn with_accounting(mut self, accounting: BadDebtAccounting) -> Self {
        self.accounting = accounting;
        self
    }

    /// A pool with this balance sheet at a borrow index of 1, its parameters already
    /// checked: cash, reserve and shares as given, position `i` holding
    /// `collateral[i * n..(i + 1) * n]` and owing `debt[i]`, bad debt accounted for by
    /// `accounting`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the balance sheet's items, each a number or array of its own"
    )]
    pub(crate) fn from_balance_sheet(
        assets: Vec<CollateralAsset>,
        rates: RateModel,
        cash: f64,
        reserve: f64,
        shares: f64,
        collateral: Vec<f64>,
        debt: Vec<f64>,
        accounting: BadDebtAccounting,
    ) -> Self {
        let n = assets.len();
        debug_assert_eq!(collateral.len(), debt.len() * n);
        Self {
            protocol_collateral: vec![0.0; n],
            assets,
            rates,
            cash,
            reserve,
            shares,
            index: 1.0,
            total_scaled: debt.iter().sum(),
            collateral,
            scaled: debt,
            bad_debt: 0.0,
            borne_by_depositors: 0.0,
            accounting,
            deficit: 0.0,
            written_off_per_share: 0.0,
        }
    }

    /// The collateral assets.
    pub fn assets(&self) -> &[CollateralAsset] {
        &self.assets
    }
    /// The interest rate model.
    pub fn rates(&self) -> &RateModel {
        &self.rates
    }
    /// Cash (unborrowed liquidity) in the pool.
    pub fn cash(&self) -> f64 {
        self.cash
    }
    /// The protocol's reserve.
    pub fn reserve(&self) -> f64 {
        self.reserve
    }
    /// Collateral the protocol received as liquidation fees, per asset, in asset units
    /// (held by the protocol's treasury, outside the pool's balance sheet).
    pub fn protocol_collateral(&self) -> &[f64] {
        &self.protocol_collateral
    }
    /// Pool shares outstanding.
    pub fn shares(&self) -> f64 {
        self.shares
    }
    /// The borrow index: how much one unit borrowed when the pool opened owes now.
    pub fn borrow_index(&self) -> f64 {
        self.index
    }
    /// Total debt of all positions, `sum of scaled debts x index`.
    pub fn total_debt(&self) -> f64 {
        self.total_scaled * self.index
    }
    /// Debt written off so far (all liquidations together).
    pub fn bad_debt(&self) -> f64 {
        self.bad_debt
    }
    /// The part of [`LendingPool::bad_debt`] the reserve could not absorb: the depositors'
    /// loss (as a group), whatever the accounting.
    pub fn borne_by_depositors(&self) -> f64 {
        self.borne_by_depositors
    }
    /// How bad debt is accounted for.
    pub fn accounting(&self) -> BadDebtAccounting {
        self.accounting
    }
    /// The reserve's deficit (deficit accounting; 0 with share-price accounting): the
    /// depositors' claims that nothing backs.
    pub fn deficit(&self) -> f64 {
        self.deficit
    }
    /// What the pool's assets net of the reserve are worth to the depositors:
    /// `cash + debt - reserve`, their claims minus the deficit.
    pub fn backing(&self) -> f64 {
        self.cash + self.total_debt() - self.reserve
    }
    /// Share-price accounting: the loss so far of a share held since the pool opened, the
    /// write-offs per share outstanding at each (0 with deficit accounting, where the
    /// loss stays in [`LendingPool::deficit`] until the claims are redeemed).
    pub fn written_off_per_share(&self) -> f64 {
        self.written_off_per_share
    }
    /// Number of positions ever opened (ids `0..len`; closed ones stay, with no debt).
    pub fn len(&self) -> usize {
        self.scaled.len()
    }
    /// Whether no position was ever opened.
    pub fn is_empty(&self) -> bool {
        self.scaled.is_empty()
    }
    /// Position `id` as of now (a copy).
    pub fn position(&self, id: usize) -> Result<Position> {
        self.check_id(id)?;
        Ok(Position {
            collateral: self.collateral_of(id).to_vec(),
            debt: self.debt_of(id),
        })
    }
    /// Current utilization `debt / (cash + debt)` (cash below 0 counts as 0).
    pub fn utilization(&self) -> f64 {
        RateModel::utilization(self.cash.max(0.0), self.total_debt())
    }
    /// Depositors' claim `cash + debt + deficit - reserve`: what their shares say they own
    /// (the deficit is the part of it nothing backs).
    pub fn depositor_equity(&self) -> f64 {
        self.cash + self.total_debt() + self.deficit - self.reserve
    }
    /// Value of one share (1 before the first deposit).
    pub fn share_price(&self) -> f64 {
        if self.shares > 0.0 {
            self.depositor_equity() / self.shares
        } else {
            1.0
        }
    }

    /// Collateral of position `i` (unchecked index).
    #[inline]
    pub(crate) fn collateral_of(&self, i: usize) -> &[f64] {
        let n = self.assets.len();
        &self.collateral[i * n..(i + 1) * n]
    }
    /// Scaled debt of position `i` (unchecked index).
    #[inline]
    pub(crate) fn scaled_debt_of(&self, i: usize) -> f64 {
        self.scaled[i]
    }
    /// Debt of position `i` (unchecked index).
    #[inline]
    fn debt_of(&self, i: usize) -> f64 {
        self.scaled[i] * self.index
    }

    fn check_id(&self, id: usize) -> Result<()> {
        if id < self.scaled.len() {
            Ok(())
        } else {
            Err(rejected(format!("position {id}"), "no such position"))
        }
    }

    fn check_prices(&self, prices: &[f64]) -> Result<()> {
        if prices.len() != self.assets.len() {
            return Err(invalid(
                "prices",
                format!(
                    "{} prices for {} collateral assets",
                    prices.len(),
                    self.assets.len()
                ),
            ));
        }
        for (k, &p) in prices.iter().enumerate() {
            check_positive(format!("prices[{k}]"), p)?;
        }
        Ok(())
    }

    /// Supplies `amount` of the borrowed asset; returns the shares minted at the current
    /// share price.
    pub fn deposit(&mut self, amount: f64) -> Result<f64> {
        check_positive("amount", amount)?;
        let price = self.share_price();
        if price <= 0.0 {
            return Err(rejected(
                "deposit",
                "the pool is insolvent (share price <= 0)",
            ));
        }
        let minted = amount / price;
        self.cash += amount;
        self.shares += minted;
        Ok(minted)
    }

    /// Redeems up to `shares` at the current share price, limited by the cash in the pool:
    /// beyond it the request is partially filled and the rest reported as unmet.
    pub fn withdraw(&mut self, shares: f64) -> Result<Withdrawal> {
        check_at_least("shares", shares, 0.0)?;
        if shares > self.shares * (1.0 + SHARE_SLACK) {
            return Err(out_of_range(
                "shares",
                shares,
                format!("must be at most the {} shares outstanding", self.shares),
            ));
        }
        let price = self.share_price().max(0.0);
        Ok(self.redeem(shares.min(self.shares), price))
    }

    /// Redeems `shares` at `price` against the cash: pays `min(shares x price, cash)` and
    /// burns the shares that bought (none at a price of 0). The one withdrawal rule, of
    /// [`LendingPool::withdraw`] and of the simulation's runs.
    pub(crate) fn redeem(&mut self, shares: f64, price: f64) -> Withdrawal {
        let wanted = shares * price;
        let paid = wanted.min(self.cash);
        let redeemed = if price > 0.0 { paid / price } else { 0.0 };
        self.cash -= paid;
        self.shares -= redeemed;
        let unmet_shares = shares - redeemed;
        Withdrawal {
            shares_redeemed: redeemed,
            paid,
            unmet_shares,
            unmet_value: unmet_shares * price,
        }
    }

    /// Borrowing capacity `sum_k collateral_k x price_k x ltv_k`.
    fn borrow_limit(&self, collateral: &[f64], prices: &[f64]) -> f64 {
        collateral
            .iter()
            .zip(prices)
            .zip(&self.assets)
            .map(|((c, p), a)| c * p * a.ltv)
            .sum()
    }

    /// Opens a position: posts `collateral` (one amount per asset, >= 0) and borrows
    /// `borrow` out of the pool's cash. Rejected beyond the LTV limit or the cash.
    pub fn open_position(
        &mut self,
        collateral: Vec<f64>,
        borrow: f64,
        prices: &[f64],
    ) -> Result<usize> {
        self.check_prices(prices)?;
        if collateral.len() != self.assets.len() {
            return Err(invalid(
                "collateral",
                format!(
                    "{} amounts for {} assets",
                    collateral.len(),
                    self.assets.len()
                ),
            ));
        }
        for (k, &c) in collateral.iter().enumerate() {
            check_at_least(format!("collateral[{k}]"), c, 0.0)?;
        }
        check_at_least("borrow", borrow, 0.0)?;
        let limit = self.borrow_limit(&collateral, prices);
        if borrow > limit {
            return Err(rejected(
                "borrow",
                format!("{borrow} exceeds the LTV limit {limit}"),
            ));
        }
        if borrow > self.cash {
            return Err(rejected(
                "borrow",
                format!("{borrow} exceeds the cash in the pool {}", self.cash),
            ));
        }
        self.cash -= borrow;
        let scaled = borrow / self.index;
        self.total_scaled += scaled;
        self.scaled.push(scaled);
        self.collateral.extend_from_slice(&collateral);
        Ok(self.scaled.len() - 1)
    }

    /// Health factor `sum_k collateral_k x price_k x threshold_k / debt` (infinite without
    /// debt).
    pub fn health_factor(&self, id: usize, prices: &[f64]) -> Result<f64> {
        self.check_prices(prices)?;
        self.check_id(id)?;
        Ok(self.health_at(id, prices))
    }

    /// [`LendingPool::health_factor`] without the checks: the simulation's.
    #[inline]
    pub(crate) fn health_at(&self, i: usize, prices: &[f64]) -> f64 {
        let debt = self.debt_of(i);
        if debt <= 0.0 {
            return f64::INFINITY;
        }
        let mut weighted = 0.0;
        for ((c, p), a) in self.collateral_of(i).iter().zip(prices).zip(&self.assets) {
            weighted += c * p * a.liquidation_threshold;
        }
        weighted / debt
    }

    /// Accrues `dt` years of interest at the borrow rate of the current utilization: the
    /// borrow index grows by `borrow_rate x dt` (simple within the step, compounded from
    /// step to step), so every debt does; the reserve receives `reserve_factor` of the
    /// interest and depositors the rest. Returns the interest charged.
    pub fn accrue(&mut self, dt: f64) -> Result<f64> {
        check_at_least("dt", dt, 0.0)?;
        Ok(self.accrue_unchecked(dt))
    }

    /// [`LendingPool::accrue`] without the check: the simulation's.
    pub(crate) fn accrue_unchecked(&mut self, dt: f64) -> f64 {
        let debt = self.total_debt();
        let rate = self
            .rates
            .borrow_rate(RateModel::utilization(self.cash.max(0.0), debt));
        let interest = debt * rate * dt;
        self.index *= 1.0 + rate * dt;
        self.reserve += interest * self.rates.reserve_factor;
        interest
    }

    /// Liquidates position `id` at `prices` if its health factor is below 1 (`Ok(None)`
    /// otherwise). The liquidator repays up to the close factor of the debt, asset by asset
    /// in the pool's order, seizing collateral worth `repaid x (1 + bonus)`, of which
    /// `protocol_fee_share x bonus` goes to the protocol's treasury. When all collateral is
    /// taken and debt remains, the rest is bad debt: absorbed by the reserve first, then by
    /// the depositors (as deficit, or through the share price: [`BadDebtAccounting`]).
    pub fn liquidate(&mut self, id: usize, prices: &[f64]) -> Result<Option<Liquidation>> {
        self.liquidate_up_to(id, prices, f64::INFINITY)
    }

    /// [`LendingPool::liquidate`] with the repayment capped at `max_repay` as well as by the
    /// close factor: a liquidator short of capital (the simulation's capacity per step).
    pub fn liquidate_up_to(
        &mut self,
        id: usize,
        prices: &[f64],
        max_repay: f64,
    ) -> Result<Option<Liquidation>> {
        self.check_prices(prices)?;
        self.check_id(id)?;
        if max_repay.is_nan() || max_repay < 0.0 {
            return Err(out_of_range("max_repay", max_repay, "must be >= 0"));
        }
        let hf = self.health_at(id, prices);
        if hf >= 1.0 {
            return Ok(None);
        }
        let n = self.assets.len();
        let mut seized = vec![0.0; n];
        let mut fee = vec![0.0; n];
        let done = self.liquidate_at(id, hf, prices, max_repay, &mut seized, &mut fee);
        Ok(Some(Liquidation {
            health_factor: hf,
            close_factor: close_factor(hf),
            repaid: done.repaid,
            seized_by_liquidator: seized,
            protocol_fee: fee,
            bad_debt: done.bad_debt,
            absorbed_by_reserve: done.absorbed,
            borne_by_depositors: done.bad_debt - done.absorbed,
        }))
    }

    /// The one liquidation rule, of [`LendingPool::liquidate_up_to`] and of the simulation:
    /// position `i`, at health factor `hf` (< 1) at `prices`, repays
    /// `min(debt x close_factor(hf), max_repay)` through [`seize`] (the liquidator's
    /// collateral into `seized`, the protocol's fee into `fee`, per asset); the repayment
    /// goes into the cash and the fee to the protocol. A position left with debt and no
    /// collateral, or with collateral worth nothing at these prices (nothing could be
    /// repaid), is written off: the reserve absorbs what it can, depositors the rest, as
    /// deficit or through the share price.
    pub(crate) fn liquidate_at(
        &mut self,
        i: usize,
        hf: f64,
        prices: &[f64],
        max_repay: f64,
        seized: &mut [f64],
        fee: &mut [f64],
    ) -> Liquidated {
        let n = self.assets.len();
        let row = i * n;
        let debt = self.debt_of(i);
        let cap = (debt * close_factor(hf)).min(max_repay);
        let collateral = &mut self.collateral[row..row + n];
        let repaid = seize(&self.assets, collateral, cap, prices, seized, fee);
        self.cash += repaid;
        for (held, f) in self.protocol_collateral.iter_mut().zip(fee.iter()) {
            *held += f;
        }
        let mut left = debt - repaid;
        let mut bad_debt = 0.0;
        let mut absorbed = 0.0;
        // Collateral worth nothing at this price (nothing could be repaid) is as good as
        // none: the debt is written off and the worthless collateral stays.
        let worthless = repaid <= 0.0;
        if left > 0.0 && (worthless || self.collateral[row..row + n].iter().all(|&c| c <= 0.0)) {
            absorbed = left.min(self.reserve.max(0.0));
            self.reserve -= absorbed;
            self.bad_debt += left;
            let borne = left - absorbed;
            self.borne_by_depositors += borne;
            match self.accounting {
                // The debt is burned and its uncovered part booked as deficit: the claims,
                // and so the share price, stay as they were.
                BadDebtAccounting::Deficit => self.deficit += borne,
                // The debt is burned: the claims lose `borne`, per share.
                BadDebtAccounting::SharePrice => {
                    if self.shares > 0.0 {
                        self.written_off_per_share += borne / self.shares;
                    }
                }
            }
            bad_debt = left;
            left = 0.0;
        }
        let new_scaled = left / self.index;
        self.total_scaled += new_scaled - self.scaled[i];
        self.scaled[i] = new_scaled;
        Liquidated {
            repaid,
            bad_debt,
            absorbed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use creditlab_numerics::prec;

    /// The amounts of these tests are of order 10,000 (the deposits): a few roundings of
    /// them.
    const EPS: f64 = prec::IDENTITY * 10_000.0;
    /// Health factors, collateral units and rates are of order one.
    const UNIT: f64 = prec::IDENTITY;

    /// A pool with 10,000 deposited and one WETH position: 1 WETH, 1,500 borrowed.
    fn pool_with_position() -> (LendingPool, usize) {
        let mut pool =
            LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like()).unwrap();
        pool.deposit(10_000.0).unwrap();
        let id = pool.open_position(vec![1.0], 1500.0, &[2000.0]).unwrap();
        (pool, id)
    }

    #[test]
    fn ltv_limit_and_health_factor() {
        let (mut pool, id) = pool_with_position();
        // HF = 2000 x 0.825 / 1500 = 1.1.
        assert_abs_diff_eq!(
            pool.health_factor(id, &[2000.0]).unwrap(),
            1.1,
            epsilon = UNIT
        );
        // LTV limit: 1 WETH at 2000 x 0.8 = 1600.
        assert!(
            pool.open_position(vec![1.0], 1600.0 + 1e-6, &[2000.0])
                .is_err()
        );
        assert!(pool.open_position(vec![1.0], 1600.0, &[2000.0]).is_ok());
        // Healthy: no liquidation.
        assert_eq!(pool.liquidate(id, &[2000.0]).unwrap(), None);
    }

    #[test]
    fn partial_liquidation_by_hand() {
        let (mut pool, id) = pool_with_position();
        // Price 1800: HF = 1800 x 0.825 / 1500 = 0.99 in (0.95, 1): close factor 50%.
        let l = pool.liquidate(id, &[1800.0]).unwrap().unwrap();
        assert_abs_diff_eq!(l.health_factor, 0.99, epsilon = UNIT);
        assert_eq!(l.close_factor, 0.5);
        assert_abs_diff_eq!(l.repaid, 750.0, epsilon = EPS);
        // Collateral taken: 750 x 1.05 = 787.5 worth = 0.4375 WETH; protocol fee
        // 750 x 0.05 x 0.1 = 3.75 worth = 0.0020833 WETH; the liquidator gets the rest.
        assert_abs_diff_eq!(l.protocol_fee[0], 3.75 / 1800.0, epsilon = UNIT);
        assert_abs_diff_eq!(
            l.seized_by_liquidator[0],
            (787.5 - 3.75) / 1800.0,
            epsilon = UNIT
        );
        let p = pool.position(id).unwrap();
        assert_abs_diff_eq!(p.debt, 750.0, epsilon = EPS);
        assert_abs_diff_eq!(p.collateral[0], 1.0 - 0.4375, epsilon = UNIT);
        assert_eq!(l.bad_debt, 0.0);
        assert_abs_diff_eq!(pool.protocol_collateral()[0], 3.75 / 1800.0, epsilon = UNIT);
        assert_eq!(pool.reserve(), 0.0);
        // Cash back: 10000 - 1500 + 750.
        assert_abs_diff_eq!(pool.cash(), 9250.0, epsilon = EPS);
        // HF after: 0.5625 x 1800 x 0.825 / 750 = 1.11375.
        assert_abs_diff_eq!(
            pool.health_factor(id, &[1800.0]).unwrap(),
            1.11375,
            epsilon = UNIT
        );
    }

    #[test]
    fn full_liquidation_by_hand() {
        let (mut pool, id) = pool_with_position();
        // Price 1700: HF = 1700 x 0.825 / 1500 = 0.935 <= 0.95: close factor 100%.
        let l = pool.liquidate(id, &[1700.0]).unwrap().unwrap();
        assert_eq!(l.close_factor, 1.0);
        assert_abs_diff_eq!(l.repaid, 1500.0, epsilon = EPS);
        // 1500 x 1.05 = 1575 worth = 0.926470... WETH of the 1 WETH.
        let taken = 1575.0 / 1700.0;
        assert_abs_diff_eq!(
            l.seized_by_liquidator[0] + l.protocol_fee[0],
            taken,
            epsilon = UNIT
        );
        assert_abs_diff_eq!(l.protocol_fee[0], 7.5 / 1700.0, epsilon = UNIT);
        let p = pool.position(id).unwrap();
        assert_eq!(p.debt, 0.0);
        assert_abs_diff_eq!(p.collateral[0], 1.0 - taken, epsilon = UNIT);
        assert_eq!(l.bad_debt, 0.0);
        // Depositors are whole: the debt came back in cash.
        assert_abs_diff_eq!(pool.share_price(), 1.0, epsilon = UNIT);
        assert_abs_diff_eq!(pool.cash(), 10_000.0, epsilon = EPS);
    }

    #[test]
    fn bad_debt_hits_reserve_then_depositors() {
        // Share-price accounting: the depositors' equity falls by their part.
        let (pool, id) = pool_with_position();
        let mut pool = pool.with_accounting(BadDebtAccounting::SharePrice);
        // Give the reserve something: one year of interest at a known rate.
        let u = 1500.0 / 10_000.0;
        let rate = RateModel::usdc_like().borrow_rate(u);
        let interest = pool.accrue(1.0).unwrap();
        assert_abs_diff_eq!(interest, 1500.0 * rate, epsilon = EPS);
        let reserve = interest * 0.1;
        assert_abs_diff_eq!(pool.reserve(), reserve, epsilon = EPS);
        let debt = 1500.0 + interest;
        let equity_before = pool.depositor_equity();
        // Price 1000: collateral 1000 < debt x 1.05: everything is taken.
        let l = pool.liquidate(id, &[1000.0]).unwrap().unwrap();
        assert_eq!(l.close_factor, 1.0);
        let repaid = 1000.0 / 1.05;
        assert_abs_diff_eq!(l.repaid, repaid, epsilon = EPS);
        let fee_value = repaid * 0.05 * 0.1;
        assert_abs_diff_eq!(l.protocol_fee[0] * 1000.0, fee_value, epsilon = EPS);
        assert_abs_diff_eq!(l.bad_debt, debt - repaid, epsilon = EPS);
        assert_abs_diff_eq!(l.absorbed_by_reserve, reserve, epsilon = EPS);
        assert_abs_diff_eq!(
            l.borne_by_depositors,
            debt - repaid - reserve,
            epsilon = EPS
        );
        assert_eq!(pool.reserve(), 0.0);
        assert_eq!(pool.position(id).unwrap().collateral[0], 0.0);
        assert_eq!(pool.position(id).unwrap().debt, 0.0);
        assert_eq!(pool.bad_debt(), l.bad_debt);
        assert_eq!(pool.borne_by_depositors(), l.borne_by_depositors);
        // Depositors lose exactly their part; the share price falls.
        assert_abs_diff_eq!(
            equity_before - pool.depositor_equity(),
            l.borne_by_depositors,
            epsilon = EPS
        );
        assert!(pool.share_price() < 1.0);
    }

    #[test]
    fn deficit_accounting_by_hand() {
        // The same loss as above under Aave v3.3's accounting: the reserve absorbs its
        // accrued interest share, the rest is booked as deficit; the claims (share price)
        // do not move; depositors withdraw at par while the cash lasts, the last ones out
        // hold the unbacked claims.
        let (mut pool, id) = pool_with_position();
        assert_eq!(pool.accounting(), BadDebtAccounting::Deficit);
        let interest = pool.accrue(1.0).unwrap();
        let reserve = interest * 0.1;
        let debt = 1500.0 + interest;
        let price_before = pool.share_price();
        let l = pool.liquidate(id, &[1000.0]).unwrap().unwrap();
        let repaid = 1000.0 / 1.05;
        let deficit = debt - repaid - reserve;
        assert_abs_diff_eq!(l.bad_debt, debt - repaid, epsilon = EPS);
        assert_abs_diff_eq!(l.absorbed_by_reserve, reserve, epsilon = EPS);
        assert_abs_diff_eq!(l.borne_by_depositors, deficit, epsilon = EPS);
        assert_abs_diff_eq!(pool.deficit(), deficit, epsilon = EPS);
        assert_eq!(pool.written_off_per_share(), 0.0);
        assert_eq!(pool.share_price(), price_before);
        // Claims = backing + deficit.
        assert_abs_diff_eq!(
            pool.depositor_equity(),
            pool.backing() + deficit,
            epsilon = EPS
        );
        // Cash: 10,000 - 1,500 + 1000 / 1.05. A first depositor redeems 5,000 shares at
        // par in full; the rest of the cash pays part of the remaining 5,000.
        let cash = 10_000.0 - 1500.0 + repaid;
        assert_abs_diff_eq!(pool.cash(), cash, epsilon = EPS);
        let first = pool.withdraw(5000.0).unwrap();
        assert_abs_diff_eq!(first.paid, 5000.0 * price_before, epsilon = EPS);
        let last = pool.withdraw(5000.0).unwrap();
        assert_abs_diff_eq!(last.paid, cash - 5000.0 * price_before, epsilon = EPS);
        // What the last holders cannot get is the deficit (no debt is left to repay).
        assert_abs_diff_eq!(last.unmet_value, deficit, epsilon = EPS);
    }

    #[test]
    fn conservation_over_liquidations() {
        // Two collateral assets, several prices: collateral before = after + seized + fee
        // and debt before = after + repaid + bad debt, at every step.
        let wbtc = CollateralAsset::new("WBTC", 0.7, 0.75, 0.065, 0.1).unwrap();
        let mut pool = LendingPool::new(
            vec![CollateralAsset::weth_like(), wbtc],
            RateModel::usdc_like(),
        )
        .unwrap();
        pool.deposit(100_000.0).unwrap();
        let prices0 = [2000.0, 30_000.0];
        let id = pool
            .open_position(vec![2.0, 0.1], 4800.0, &prices0)
            .unwrap();
        for prices in [
            [1900.0, 28_000.0],
            [1500.0, 25_000.0],
            [900.0, 12_000.0],
            [500.0, 5000.0],
        ] {
            let before = pool.position(id).unwrap();
            let cash_before = pool.cash();
            if let Some(l) = pool.liquidate(id, &prices).unwrap() {
                let after = pool.position(id).unwrap();
                for k in 0..2 {
                    assert_abs_diff_eq!(
                        before.collateral[k],
                        after.collateral[k] + l.seized_by_liquidator[k] + l.protocol_fee[k],
                        epsilon = UNIT
                    );
                }
                assert_abs_diff_eq!(
                    before.debt,
                    after.debt + l.repaid + l.bad_debt,
                    epsilon = EPS
                );
                assert_abs_diff_eq!(pool.cash(), cash_before + l.repaid, epsilon = EPS);
                assert_abs_diff_eq!(
                    l.bad_debt,
                    l.absorbed_by_reserve + l.borne_by_depositors,
                    epsilon = EPS
                );
            }
        }
        assert_eq!(pool.position(id).unwrap().debt, 0.0);
    }

    #[test]
    fn interest_model_at_and_around_the_kink() {
        let m = RateModel::new(0.01, 0.04, 0.60, 0.8, 0.1).unwrap();
        assert_abs_diff_eq!(m.borrow_rate(0.0), 0.01, epsilon = UNIT);
        assert_abs_diff_eq!(m.borrow_rate(0.4), 0.01 + 0.04 * 0.5, epsilon = UNIT);
        assert_abs_diff_eq!(m.borrow_rate(0.8), 0.05, epsilon = UNIT);
        assert_abs_diff_eq!(m.borrow_rate(0.9), 0.05 + 0.60 * 0.5, epsilon = UNIT);
        assert_abs_diff_eq!(m.borrow_rate(1.0), 0.65, epsilon = UNIT);
        // Continuous at the kink, slopes 0.04 / 0.8 below and 0.6 / 0.2 above.
        let h = 1e-6;
        assert_abs_diff_eq!(
            (m.borrow_rate(0.8) - m.borrow_rate(0.8 - h)) / h,
            0.05,
            epsilon = prec::FINITE_DIFFERENCE
        );
        assert_abs_diff_eq!(
            (m.borrow_rate(0.8 + h) - m.borrow_rate(0.8)) / h,
            3.0,
            epsilon = prec::FINITE_DIFFERENCE
        );
        assert_abs_diff_eq!(m.supply_rate(0.8), 0.05 * 0.8 * 0.9, epsilon = UNIT);
        assert_eq!(m.supply_rate(0.0), 0.0);
        assert_eq!(RateModel::utilization(0.0, 0.0), 0.0);
        assert_abs_diff_eq!(RateModel::utilization(25.0, 75.0), 0.75, epsilon = UNIT);
        assert!(RateModel::new(0.0, 0.04, 0.6, 1.0, 0.1).is_err());
        assert!(RateModel::new(-0.01, 0.04, 0.6, 0.8, 0.1).is_err());
    }

    #[test]
    fn depositors_earn_the_supply_rate() {
        let (mut pool, _) = pool_with_position();
        let u = pool.utilization();
        let supply = pool.rates().supply_rate(u);
        let liquidity = pool.cash() + pool.total_debt();
        let before = pool.depositor_equity();
        pool.accrue(0.25).unwrap();
        assert_abs_diff_eq!(
            pool.depositor_equity() - before,
            supply * liquidity * 0.25,
            epsilon = EPS
        );
    }

    #[test]
    fn withdrawals_are_limited_by_cash() {
        let mut pool =
            LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like()).unwrap();
        let shares = pool.deposit(1000.0).unwrap();
        assert_eq!(shares, 1000.0);
        // Borrow everything: 100% utilization.
        pool.open_position(vec![1.0], 1000.0, &[2000.0]).unwrap();
        assert_eq!(pool.utilization(), 1.0);
        let w = pool.withdraw(500.0).unwrap();
        assert_eq!(w.paid, 0.0);
        assert_eq!(w.unmet_shares, 500.0);
        assert_eq!(w.unmet_value, 500.0);
        // A repayment through liquidation brings cash back: partially filled.
        let mut pool =
            LendingPool::new(vec![CollateralAsset::weth_like()], RateModel::usdc_like()).unwrap();
        pool.deposit(1000.0).unwrap();
        pool.open_position(vec![1.0], 700.0, &[2000.0]).unwrap();
        let w = pool.withdraw(500.0).unwrap();
        assert_abs_diff_eq!(w.paid, 300.0, epsilon = EPS);
        assert_abs_diff_eq!(w.shares_redeemed, 300.0, epsilon = EPS);
        assert_abs_diff_eq!(w.unmet_shares, 200.0, epsilon = EPS);
        assert_eq!(pool.cash(), 0.0);
        assert_abs_diff_eq!(pool.shares(), 700.0, epsilon = EPS);
        assert!(pool.withdraw(701.0).is_err());
        assert!(pool.open_position(vec![1.0], 1.0, &[2000.0]).is_err());
    }

    #[test]
    fn rejects_bad_parameters_naming_them() {
        // The field is data: the parameter's name, under the asset's path in a pool.
        let e = CollateralAsset::new("X", 0.8, 0.7, 0.05, 0.1).unwrap_err();
        assert_eq!(e.field(), Some("liquidation_threshold"));
        assert!(e.to_string().contains("liquidation_threshold"), "{e}");
        let e = CollateralAsset::new("X", 0.8, 0.95, 0.1, 0.1).unwrap_err();
        assert_eq!(e.field(), Some("liquidation_bonus"));
        let bad = CollateralAsset {
            liquidation_threshold: 0.7,
            ..CollateralAsset::weth_like()
        };
        let e = LendingPool::new(
            vec![CollateralAsset::weth_like(), bad],
            RateModel::usdc_like(),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("assets[1].liquidation_threshold"));
        let rates = RateModel {
            slope1: -0.04,
            ..RateModel::usdc_like()
        };
        let e = LendingPool::new(vec![CollateralAsset::weth_like()], rates).unwrap_err();
        assert_eq!(e.field(), Some("rates.slope1"));
        let (mut pool, id) = pool_with_position();
        let e = pool.liquidate(id, &[f64::NAN]).unwrap_err();
        assert_eq!(e.field(), Some("prices[0]"));
        assert!(pool.liquidate(id, &[1.0, 2.0]).is_err());
        assert!(pool.health_factor(7, &[1.0]).is_err());
        assert!(pool.position(7).is_err());
        assert!(pool.liquidate_up_to(id, &[1000.0], f64::NAN).is_err());
        assert!(pool.deposit(-1.0).is_err());
        assert!(pool.accrue(f64::NAN).is_err());
        assert!(LendingPool::new(vec![], RateModel::usdc_like()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn liquidation_conserves_collateral_and_debt(
            weth in 0.0f64..5.0, wbtc in 0.0f64..0.3, ltv_use in 0.0f64..1.0,
            drop_eth in 0.05f64..1.0, drop_btc in 0.05f64..1.0, years in 0.0f64..2.0,
            deficit in proptest::bool::ANY,
        ) {
            let wbtc_asset = CollateralAsset::new("WBTC", 0.7, 0.75, 0.065, 0.1).unwrap();
            let accounting = if deficit {
                BadDebtAccounting::Deficit
            } else {
                BadDebtAccounting::SharePrice
            };
            let mut pool = LendingPool::new(
                vec![CollateralAsset::weth_like(), wbtc_asset],
                RateModel::usdc_like(),
            )
            .unwrap()
            .with_accounting(accounting);
            pool.deposit(50_000.0).unwrap();
            let p0 = [2000.0, 30_000.0];
            let limit = weth * 2000.0 * 0.8 + wbtc * 30_000.0 * 0.7;
            let id = pool.open_position(vec![weth, wbtc], limit * ltv_use, &p0).unwrap();
            pool.accrue(years).unwrap();
            let prices = [2000.0 * drop_eth, 30_000.0 * drop_btc];
            let before = pool.position(id).unwrap();
            let hf = pool.health_factor(id, &prices).unwrap();
            let equity_before = pool.depositor_equity();
            let reserve_before = pool.reserve();
            let deficit_before = pool.deficit();
            match pool.liquidate(id, &prices).unwrap() {
                None => proptest::prop_assert!(hf >= 1.0),
                Some(l) => {
                    proptest::prop_assert!(hf < 1.0);
                    let after = pool.position(id).unwrap();
                    // Collateral of a few units, debts and equity of up to 50,000.
                    for k in 0..2 {
                        proptest::prop_assert!(after.collateral[k] >= 0.0);
                        proptest::prop_assert!(
                            (before.collateral[k]
                                - after.collateral[k]
                                - l.seized_by_liquidator[k]
                                - l.protocol_fee[k])
                                .abs()
                                <= prec::COMPOSED
                        );
                    }
                    proptest::prop_assert!(
                        (before.debt - after.debt - l.repaid - l.bad_debt).abs()
                            <= prec::IDENTITY * 50_000.0
                    );
                    proptest::prop_assert!(
                        l.repaid <= l.close_factor * before.debt * (1.0 + prec::IDENTITY)
                    );
                    // Depositors lose only the bad debt the reserve could not absorb: their
                    // equity falls by it (share price), or their claims stay and that much
                    // of them is left unbacked (deficit).
                    let backing_before = equity_before - deficit_before;
                    if deficit {
                        proptest::prop_assert!(
                            (equity_before - pool.depositor_equity()).abs()
                                <= prec::IDENTITY * 50_000.0
                        );
                        proptest::prop_assert!(
                            (pool.deficit() - deficit_before - l.borne_by_depositors).abs()
                                <= prec::IDENTITY * 50_000.0
                        );
                    } else {
                        proptest::prop_assert!(
                            (equity_before - pool.depositor_equity() - l.borne_by_depositors)
                                .abs()
                                <= prec::IDENTITY * 50_000.0
                        );
                    }
                    proptest::prop_assert!(
                        (backing_before - pool.backing() - l.borne_by_depositors).abs()
                            <= prec::IDENTITY * 50_000.0
                    );
                    proptest::prop_assert!(
                        l.absorbed_by_reserve <= reserve_before + prec::ACCUMULATED
                    );
                }
            }
        }
    }
}

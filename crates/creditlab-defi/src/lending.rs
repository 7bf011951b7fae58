//! The mechanics of an over-collateralized DeFi lending pool, modelled on Aave v3 and
//! Compound: depositors supply the borrowed asset for pool shares; borrowers post volatile
//! collateral and borrow against it; positions below a health factor of 1 are liquidated
//! at a bonus; bad debt falls on the reserve, then on depositors. No market simulation here:
//! prices are inputs. Methodology: docs/methodology/lending-pool.md.
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
//! assert!((pool.health_factor(id, &[2000.0])? - 2000.0 * 0.825 / 800.0).abs() < 1e-12);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::error::{DefiError, Result, check_positive, check_range};

/// Health factor at or below which the whole debt may be liquidated at once (Aave v3
/// `CLOSE_FACTOR_HF_THRESHOLD = 0.95`).
pub const FULL_CLOSE_HEALTH_FACTOR: f64 = 0.95;
/// Fraction of the debt a liquidator may repay at once above [`FULL_CLOSE_HEALTH_FACTOR`]
/// (Aave v3 `DEFAULT_LIQUIDATION_CLOSE_FACTOR = 50%`).
pub const CLOSE_FACTOR: f64 = 0.5;

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
        let repay = left.min(value / (1.0 + a.liquidation_bonus));
        let taken_value = repay * (1.0 + a.liquidation_bonus);
        // All of it when the repayment is limited by the collateral (no dust left).
        let taken = if taken_value >= value {
            collateral[k]
        } else {
            taken_value / prices[k]
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

/// Risk parameters of one collateral asset.
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
    /// Validated parameters; errors name the asset and the field.
    pub fn new(
        name: impl Into<String>,
        ltv: f64,
        liquidation_threshold: f64,
        liquidation_bonus: f64,
        protocol_fee_share: f64,
    ) -> Result<Self> {
        let name = name.into();
        check_range(format!("{name}: ltv"), ltv, 0.0, 1.0)?;
        check_range(
            format!("{name}: liquidation_threshold"),
            liquidation_threshold,
            0.0,
            1.0,
        )?;
        if liquidation_threshold < ltv || liquidation_threshold >= 1.0 {
            return Err(DefiError::InvalidParameter {
                field: format!("{name}: liquidation_threshold"),
                value: liquidation_threshold,
                reason: "must be >= ltv and < 1",
            });
        }
        check_range(
            format!("{name}: liquidation_bonus"),
            liquidation_bonus,
            0.0,
            1.0,
        )?;
        if liquidation_threshold * (1.0 + liquidation_bonus) >= 1.0 {
            return Err(DefiError::InvalidParameter {
                field: format!("{name}: liquidation_bonus"),
                value: liquidation_bonus,
                reason: "threshold x (1 + bonus) must be < 1, or a liquidation would lower the health factor",
            });
        }
        check_range(
            format!("{name}: protocol_fee_share"),
            protocol_fee_share,
            0.0,
            1.0,
        )?;
        Ok(Self {
            name,
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
}

/// The utilization-kink interest rate model (Aave v3 `DefaultReserveInterestRateStrategy`,
/// Compound's jump rate model). Rates are annual.
#[derive(Debug, Clone, Copy, PartialEq)]
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
            check_range(field, v, 0.0, f64::MAX)?;
        }
        check_range("optimal_utilization", optimal_utilization, 0.0, 1.0)?;
        if optimal_utilization <= 0.0 || optimal_utilization >= 1.0 {
            return Err(DefiError::InvalidParameter {
                field: "optimal_utilization".into(),
                value: optimal_utilization,
                reason: "must be in (0, 1)",
            });
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

/// One borrower's position: collateral amounts (one per collateral asset) and debt.
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
    /// Part of the bad debt borne by depositors (through the share price).
    pub borne_by_depositors: f64,
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

/// A lending pool of one borrowed asset against one or more collateral assets.
///
/// Balance sheet: assets are `cash + total debt`; the reserve (the protocol's share) and
/// the depositors' claim `shares x share_price` split them, so
/// `share_price = (cash + debt - reserve) / shares`.
#[derive(Debug, Clone, PartialEq)]
pub struct LendingPool {
    assets: Vec<CollateralAsset>,
    rates: RateModel,
    cash: f64,
    reserve: f64,
    shares: f64,
    positions: Vec<Position>,
    protocol_collateral: Vec<f64>,
}

fn rejected(what: impl Into<String>, reason: impl Into<String>) -> DefiError {
    DefiError::Lending {
        what: what.into(),
        reason: reason.into(),
    }
}

impl LendingPool {
    /// An empty pool accepting these collateral assets (at least one) at these rates.
    pub fn new(assets: Vec<CollateralAsset>, rates: RateModel) -> Result<Self> {
        if assets.is_empty() {
            return Err(rejected(
                "assets",
                "a pool needs at least one collateral asset",
            ));
        }
        for a in &assets {
            CollateralAsset::new(
                a.name.clone(),
                a.ltv,
                a.liquidation_threshold,
                a.liquidation_bonus,
                a.protocol_fee_share,
            )?;
        }
        RateModel::new(
            rates.base,
            rates.slope1,
            rates.slope2,
            rates.optimal_utilization,
            rates.reserve_factor,
        )?;
        let n = assets.len();
        Ok(Self {
            assets,
            rates,
            cash: 0.0,
            reserve: 0.0,
            shares: 0.0,
            positions: Vec::new(),
            protocol_collateral: vec![0.0; n],
        })
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
    /// Total debt of all positions.
    pub fn total_debt(&self) -> f64 {
        self.positions.iter().map(|p| p.debt).sum()
    }
    /// The positions, by id.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }
    /// Current utilization `debt / (cash + debt)`.
    pub fn utilization(&self) -> f64 {
        RateModel::utilization(self.cash, self.total_debt())
    }
    /// Depositors' claim `cash + debt - reserve`.
    pub fn depositor_equity(&self) -> f64 {
        self.cash + self.total_debt() - self.reserve
    }
    /// Value of one share (1 before the first deposit).
    pub fn share_price(&self) -> f64 {
        if self.shares > 0.0 {
            self.depositor_equity() / self.shares
        } else {
            1.0
        }
    }

    fn check_prices(&self, prices: &[f64]) -> Result<()> {
        if prices.len() != self.assets.len() {
            return Err(rejected(
                "prices",
                format!(
                    "{} prices for {} collateral assets",
                    prices.len(),
                    self.assets.len()
                ),
            ));
        }
        for (a, &p) in self.assets.iter().zip(prices) {
            check_positive(&format!("price of {}", a.name), p)?;
        }
        Ok(())
    }

    fn position(&self, id: usize) -> Result<&Position> {
        self.positions
            .get(id)
            .ok_or_else(|| rejected(format!("position {id}"), "no such position"))
    }

    /// Supplies `amount` of the borrowed asset; returns the shares minted at the current
    /// share price.
    pub fn deposit(&mut self, amount: f64) -> Result<f64> {
        check_positive("deposit amount", amount)?;
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
        check_range("withdrawal shares", shares, 0.0, f64::MAX)?;
        if shares > self.shares * (1.0 + 1e-12) {
            return Err(DefiError::InvalidParameter {
                field: "withdrawal shares".into(),
                value: shares,
                reason: "more than the shares outstanding",
            });
        }
        let shares = shares.min(self.shares);
        let price = self.share_price().max(0.0);
        let wanted = shares * price;
        let paid = wanted.min(self.cash);
        let redeemed = if price > 0.0 { paid / price } else { 0.0 };
        self.cash -= paid;
        self.shares -= redeemed;
        let unmet_shares = shares - redeemed;
        Ok(Withdrawal {
            shares_redeemed: redeemed,
            paid,
            unmet_shares,
            unmet_value: unmet_shares * price,
        })
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
            return Err(rejected(
                "collateral",
                format!(
                    "{} amounts for {} assets",
                    collateral.len(),
                    self.assets.len()
                ),
            ));
        }
        for (a, &c) in self.assets.iter().zip(&collateral) {
            check_range(format!("collateral {}", a.name), c, 0.0, f64::MAX)?;
        }
        check_range("borrow amount", borrow, 0.0, f64::MAX)?;
        let limit = self.borrow_limit(&collateral, prices);
        if borrow > limit {
            return Err(rejected(
                "borrow amount",
                format!("{borrow} exceeds the LTV limit {limit}"),
            ));
        }
        if borrow > self.cash {
            return Err(rejected(
                "borrow amount",
                format!("{borrow} exceeds the cash in the pool {}", self.cash),
            ));
        }
        self.cash -= borrow;
        self.positions.push(Position {
            collateral,
            debt: borrow,
        });
        Ok(self.positions.len() - 1)
    }

    /// Health factor `sum_k collateral_k x price_k x threshold_k / debt` (infinite without
    /// debt).
    pub fn health_factor(&self, id: usize, prices: &[f64]) -> Result<f64> {
        self.check_prices(prices)?;
        let p = self.position(id)?;
        Ok(self.health(p, prices))
    }

    fn health(&self, p: &Position, prices: &[f64]) -> f64 {
        if p.debt <= 0.0 {
            return f64::INFINITY;
        }
        let weighted: f64 = p
            .collateral
            .iter()
            .zip(prices)
            .zip(&self.assets)
            .map(|((c, pr), a)| c * pr * a.liquidation_threshold)
            .sum();
        weighted / p.debt
    }

    /// Accrues `dt` years of interest at the current borrow rate: every debt grows by
    /// `borrow_rate x dt` (simple within the step, compounded from step to step), the
    /// reserve receives `reserve_factor` of the interest and depositors the rest.
    /// Returns the interest charged.
    pub fn accrue(&mut self, dt: f64) -> Result<f64> {
        check_range("dt", dt, 0.0, f64::MAX)?;
        let rate = self.rates.borrow_rate(self.utilization());
        let mut interest = 0.0;
        for p in &mut self.positions {
            let i = p.debt * rate * dt;
            p.debt += i;
            interest += i;
        }
        self.reserve += interest * self.rates.reserve_factor;
        Ok(interest)
    }

    /// Liquidates position `id` at `prices` if its health factor is below 1 (`Ok(None)`
    /// otherwise). The liquidator repays up to the close factor of the debt, asset by asset
    /// in the pool's order, seizing collateral worth `repaid x (1 + bonus)`, of which
    /// `protocol_fee_share x bonus` goes to the protocol's treasury. When all collateral is taken and
    /// debt remains, the rest is bad debt: absorbed by the reserve first, then by the
    /// depositors (the share price falls).
    pub fn liquidate(&mut self, id: usize, prices: &[f64]) -> Result<Option<Liquidation>> {
        self.check_prices(prices)?;
        let hf = self.health(self.position(id)?, prices);
        if hf >= 1.0 {
            return Ok(None);
        }
        let close_factor = close_factor(hf);
        let n = self.assets.len();
        let mut seized = vec![0.0; n];
        let mut fee = vec![0.0; n];
        let pos = &mut self.positions[id];
        let repaid = seize(
            &self.assets,
            &mut pos.collateral,
            pos.debt * close_factor,
            prices,
            &mut seized,
            &mut fee,
        );
        pos.debt -= repaid;
        self.cash += repaid;
        for (held, f) in self.protocol_collateral.iter_mut().zip(&fee) {
            *held += f;
        }
        let mut liquidation = Liquidation {
            health_factor: hf,
            close_factor,
            repaid,
            seized_by_liquidator: seized,
            protocol_fee: fee,
            bad_debt: 0.0,
            absorbed_by_reserve: 0.0,
            borne_by_depositors: 0.0,
        };
        let pos = &mut self.positions[id];
        if pos.debt > 0.0 && pos.collateral.iter().all(|&c| c <= 0.0) {
            let bad = pos.debt;
            pos.debt = 0.0;
            let absorbed = bad.min(self.reserve.max(0.0));
            self.reserve -= absorbed;
            liquidation.bad_debt = bad;
            liquidation.absorbed_by_reserve = absorbed;
            liquidation.borne_by_depositors = bad - absorbed;
        }
        Ok(Some(liquidation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const EPS: f64 = 1e-9;

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
            epsilon = EPS
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
        assert_abs_diff_eq!(l.health_factor, 0.99, epsilon = EPS);
        assert_eq!(l.close_factor, 0.5);
        assert_abs_diff_eq!(l.repaid, 750.0, epsilon = EPS);
        // Collateral taken: 750 x 1.05 = 787.5 worth = 0.4375 WETH; protocol fee
        // 750 x 0.05 x 0.1 = 3.75 worth = 0.0020833 WETH; the liquidator gets the rest.
        assert_abs_diff_eq!(l.protocol_fee[0], 3.75 / 1800.0, epsilon = EPS);
        assert_abs_diff_eq!(
            l.seized_by_liquidator[0],
            (787.5 - 3.75) / 1800.0,
            epsilon = EPS
        );
        let p = &pool.positions()[id];
        assert_abs_diff_eq!(p.debt, 750.0, epsilon = EPS);
        assert_abs_diff_eq!(p.collateral[0], 1.0 - 0.4375, epsilon = EPS);
        assert_eq!(l.bad_debt, 0.0);
        assert_abs_diff_eq!(pool.protocol_collateral()[0], 3.75 / 1800.0, epsilon = EPS);
        assert_eq!(pool.reserve(), 0.0);
        // Cash back: 10000 - 1500 + 750.
        assert_abs_diff_eq!(pool.cash(), 9250.0, epsilon = EPS);
        // HF after: 0.5625 x 1800 x 0.825 / 750 = 1.11375.
        assert_abs_diff_eq!(
            pool.health_factor(id, &[1800.0]).unwrap(),
            1.11375,
            epsilon = EPS
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
            epsilon = EPS
        );
        assert_abs_diff_eq!(l.protocol_fee[0], 7.5 / 1700.0, epsilon = EPS);
        let p = &pool.positions()[id];
        assert_eq!(p.debt, 0.0);
        assert_abs_diff_eq!(p.collateral[0], 1.0 - taken, epsilon = EPS);
        assert_eq!(l.bad_debt, 0.0);
        // Depositors are whole: the debt came back in cash.
        assert_abs_diff_eq!(pool.share_price(), 1.0, epsilon = EPS);
        assert_abs_diff_eq!(pool.cash(), 10_000.0, epsilon = EPS);
    }

    #[test]
    fn bad_debt_hits_reserve_then_depositors() {
        let (mut pool, id) = pool_with_position();
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
        assert_eq!(pool.positions()[id].collateral[0], 0.0);
        assert_eq!(pool.positions()[id].debt, 0.0);
        // Depositors lose exactly their part; the share price falls.
        assert_abs_diff_eq!(
            equity_before - pool.depositor_equity(),
            l.borne_by_depositors,
            epsilon = EPS
        );
        assert!(pool.share_price() < 1.0);
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
            let before = pool.positions()[id].clone();
            let cash_before = pool.cash();
            if let Some(l) = pool.liquidate(id, &prices).unwrap() {
                let after = &pool.positions()[id];
                for k in 0..2 {
                    assert_abs_diff_eq!(
                        before.collateral[k],
                        after.collateral[k] + l.seized_by_liquidator[k] + l.protocol_fee[k],
                        epsilon = EPS
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
        assert_eq!(pool.positions()[id].debt, 0.0);
    }

    #[test]
    fn interest_model_at_and_around_the_kink() {
        let m = RateModel::new(0.01, 0.04, 0.60, 0.8, 0.1).unwrap();
        assert_abs_diff_eq!(m.borrow_rate(0.0), 0.01, epsilon = 1e-15);
        assert_abs_diff_eq!(m.borrow_rate(0.4), 0.01 + 0.04 * 0.5, epsilon = 1e-15);
        assert_abs_diff_eq!(m.borrow_rate(0.8), 0.05, epsilon = 1e-15);
        assert_abs_diff_eq!(m.borrow_rate(0.9), 0.05 + 0.60 * 0.5, epsilon = 1e-12);
        assert_abs_diff_eq!(m.borrow_rate(1.0), 0.65, epsilon = 1e-15);
        // Continuous at the kink, slopes 0.04 / 0.8 below and 0.6 / 0.2 above.
        let h = 1e-6;
        assert_abs_diff_eq!(
            (m.borrow_rate(0.8) - m.borrow_rate(0.8 - h)) / h,
            0.05,
            epsilon = 1e-6
        );
        assert_abs_diff_eq!(
            (m.borrow_rate(0.8 + h) - m.borrow_rate(0.8)) / h,
            3.0,
            epsilon = 1e-6
        );
        assert_abs_diff_eq!(m.supply_rate(0.8), 0.05 * 0.8 * 0.9, epsilon = 1e-15);
        assert_eq!(m.supply_rate(0.0), 0.0);
        assert_eq!(RateModel::utilization(0.0, 0.0), 0.0);
        assert_abs_diff_eq!(RateModel::utilization(25.0, 75.0), 0.75, epsilon = 1e-15);
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
            epsilon = 1e-9
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
        let e = CollateralAsset::new("X", 0.8, 0.7, 0.05, 0.1).unwrap_err();
        assert!(e.to_string().contains("X: liquidation_threshold"), "{e}");
        let e = CollateralAsset::new("X", 0.8, 0.95, 0.1, 0.1).unwrap_err();
        assert!(e.to_string().contains("X: liquidation_bonus"), "{e}");
        let (mut pool, id) = pool_with_position();
        let e = pool.liquidate(id, &[f64::NAN]).unwrap_err();
        assert!(e.to_string().contains("price of WETH"), "{e}");
        assert!(pool.liquidate(id, &[1.0, 2.0]).is_err());
        assert!(pool.health_factor(7, &[1.0]).is_err());
        assert!(pool.deposit(-1.0).is_err());
        assert!(pool.accrue(f64::NAN).is_err());
        assert!(LendingPool::new(vec![], RateModel::usdc_like()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn liquidation_conserves_collateral_and_debt(
            weth in 0.0f64..5.0, wbtc in 0.0f64..0.3, ltv_use in 0.0f64..1.0,
            drop_eth in 0.05f64..1.0, drop_btc in 0.05f64..1.0, years in 0.0f64..2.0,
        ) {
            let wbtc_asset = CollateralAsset::new("WBTC", 0.7, 0.75, 0.065, 0.1).unwrap();
            let mut pool = LendingPool::new(
                vec![CollateralAsset::weth_like(), wbtc_asset],
                RateModel::usdc_like(),
            )
            .unwrap();
            pool.deposit(50_000.0).unwrap();
            let p0 = [2000.0, 30_000.0];
            let limit = weth * 2000.0 * 0.8 + wbtc * 30_000.0 * 0.7;
            let id = pool.open_position(vec![weth, wbtc], limit * ltv_use, &p0).unwrap();
            pool.accrue(years).unwrap();
            let prices = [2000.0 * drop_eth, 30_000.0 * drop_btc];
            let before = pool.positions()[id].clone();
            let hf = pool.health_factor(id, &prices).unwrap();
            let equity_before = pool.depositor_equity();
            let reserve_before = pool.reserve();
            match pool.liquidate(id, &prices).unwrap() {
                None => proptest::prop_assert!(hf >= 1.0),
                Some(l) => {
                    proptest::prop_assert!(hf < 1.0);
                    let after = &pool.positions()[id];
                    for k in 0..2 {
                        proptest::prop_assert!(after.collateral[k] >= 0.0);
                        proptest::prop_assert!(
                            (before.collateral[k]
                                - after.collateral[k]
                                - l.seized_by_liquidator[k]
                                - l.protocol_fee[k])
                                .abs()
                                < 1e-9
                        );
                    }
                    proptest::prop_assert!(
                        (before.debt - after.debt - l.repaid - l.bad_debt).abs() < 1e-9
                    );
                    proptest::prop_assert!(l.repaid <= l.close_factor * before.debt + 1e-9);
                    // Depositors lose only the bad debt the reserve could not absorb.
                    proptest::prop_assert!(
                        (equity_before - pool.depositor_equity() - l.borne_by_depositors).abs()
                            < 1e-6
                    );
                    proptest::prop_assert!(l.absorbed_by_reserve <= reserve_before + 1e-12);
                }
            }
        }
    }
}

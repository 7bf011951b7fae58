//! Fire-sale price impact: what selling an asset does to its price, and how the price comes
//! back. Methodology: [docs/methodology/fire-sales.md](crate::methodology::fire_sales).
//!
//! Two models:
//! - a constant-product automated market maker (Uniswap v2: reserves `x` of the asset and
//!   `y` of cash, `x y = k`, a fee on the input), with closed-form output and post-trade
//!   price ([`ConstantProduct`]);
//! - exponential impact `p' = p exp(-beta sold / depth)`, `sold` and `depth` in money
//!   (Cont and Schaanning, 2017; Greenwood, Landier and Thesmar, 2015, use its linear
//!   first-order form) ([`exponential_impact`]).
//!
//! In a simulation the impact is kept as a multiplier `I <= 1` on the fundamental price
//! ([`ImpactModel::apply_sale`]); between steps arbitrageurs close a fixed fraction of the
//! log gap ([`ImpactModel::relax`]), so the impact decays with a half-life.
//!
//! ```
//! use creditlab_defi::impact::ConstantProduct;
//! let mut amm = ConstantProduct::new(1000.0, 2_000_000.0, 0.003)?; // 1,000 ETH at 2,000
//! let out = amm.sell(10.0)?;
//! assert!(out < 10.0 * 2000.0 && amm.price() < 2000.0);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::error::{Result, check_at_least, check_positive, out_of_range};

/// A constant-product market maker: reserves `x` of the asset and `y` of cash.
///
/// ```
/// use creditlab_defi::impact::ConstantProduct;
/// let mut amm = ConstantProduct::new(100.0, 200_000.0, 0.0)?; // 100 ETH at 2,000
/// let k = amm.k();
/// let out = amm.sell(25.0)?;
/// assert_eq!(out, 40_000.0); // y dx / (x + dx)
/// assert_eq!((amm.k(), amm.price()), (k, 160_000.0 / 125.0));
/// assert_eq!(ConstantProduct::new(1.0, 1.0, 1.0).unwrap_err().field(), Some("fee"));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantProduct {
    x: f64,
    y: f64,
    fee: f64,
}

impl ConstantProduct {
    /// Reserves `x > 0` of the asset and `y > 0` of cash, a fee in [0, 1) on the input.
    pub fn new(x: f64, y: f64, fee: f64) -> Result<Self> {
        check_positive("x", x)?;
        check_positive("y", y)?;
        check_fee(fee)?;
        Ok(Self { x, y, fee })
    }

    /// Asset reserve.
    pub fn x(&self) -> f64 {
        self.x
    }
    /// Cash reserve.
    pub fn y(&self) -> f64 {
        self.y
    }
    /// The invariant `k = x y`.
    pub fn k(&self) -> f64 {
        self.x * self.y
    }
    /// Marginal price `y / x`.
    pub fn price(&self) -> f64 {
        self.y / self.x
    }

    /// Cash received for selling `dx >= 0` of the asset:
    /// `y dx (1 - fee) / (x + dx (1 - fee))`.
    pub fn amount_out(&self, dx: f64) -> f64 {
        let net = dx * (1.0 - self.fee);
        self.y * net / (self.x + net)
    }

    /// Marginal price after selling `dx`: `(y - out) / (x + dx)`.
    pub fn price_after(&self, dx: f64) -> f64 {
        (self.y - self.amount_out(dx)) / (self.x + dx)
    }

    /// Sells `dx >= 0` of the asset into the pool (the whole `dx` enters the reserve, the
    /// fee stays in it, so `k` does not fall); returns the cash paid out.
    pub fn sell(&mut self, dx: f64) -> Result<f64> {
        check_at_least("dx", dx, 0.0)?;
        let out = self.amount_out(dx);
        self.x += dx;
        self.y -= out;
        Ok(out)
    }
}

/// Checks a swap fee in [0, 1).
fn check_fee(fee: f64) -> Result<f64> {
    if fee.is_finite() && (0.0..1.0).contains(&fee) {
        Ok(fee)
    } else {
        Err(out_of_range("fee", fee, "must be in [0, 1)"))
    }
}

/// Exponential price impact: `p exp(-beta sold / depth)` (money amounts).
pub fn exponential_impact(price: f64, beta: f64, sold: f64, depth: f64) -> f64 {
    price * (-beta * sold / depth).exp()
}

/// How fire sales move the price of one collateral asset in a simulation. Depths are in
/// money here; a config gives them per unit of the pool's debt
/// ([`ImpactConfig`](crate::config::ImpactConfig)).
///
/// ```
/// use creditlab_defi::impact::ImpactModel;
/// // A pool holding 1,000,000 of cash at 2,000 per ETH: selling 50 ETH at 2,000.
/// let amm = ImpactModel::ConstantProduct { depth: 1.0e6, fee: 0.003 };
/// let ratio = amm.price_ratio(50.0, 2000.0, 2000.0);
/// assert!(ratio < 0.9 && ratio > 0.8); // 500 ETH in the pool: about -19%
/// assert_eq!(ImpactModel::None.price_ratio(50.0, 2000.0, 2000.0), 1.0);
/// // Arbitrage closes half the log gap per half-life.
/// let r = creditlab_defi::impact::relaxation_per_step(1.0);
/// let gap = ImpactModel::relax(ratio, r).ln() - 0.5 * ratio.ln();
/// assert!(gap.abs() <= creditlab_numerics::prec::COMPOSED);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImpactModel {
    /// Sales do not move the price (an infinitely deep market).
    None,
    /// A constant-product pool holding `depth` of cash (and `depth / p` of the asset) when
    /// the price is `p`: its liquidity `L = sqrt(x y)` scales with the price, so
    /// `x = L / sqrt(p)`, `y = L sqrt(p)` at any price, `L = depth / sqrt(p0)`.
    ConstantProduct {
        /// Cash side of the pool at the initial price, in money.
        depth: f64,
        /// Swap fee on the input, in [0, 1).
        fee: f64,
    },
    /// `p' = p exp(-beta sold_value / depth)`.
    Exponential {
        /// Impact coefficient `beta >= 0`.
        beta: f64,
        /// Market depth in money, > 0.
        depth: f64,
    },
}

impl ImpactModel {
    /// Checks the parameters; errors name the field (`depth`, `fee`, `beta`).
    pub fn validate(&self) -> Result<()> {
        match *self {
            ImpactModel::None => {}
            ImpactModel::ConstantProduct { depth, fee } => {
                check_positive("depth", depth)?;
                check_fee(fee)?;
            }
            ImpactModel::Exponential { beta, depth } => {
                check_at_least("beta", beta, 0.0)?;
                check_positive("depth", depth)?;
            }
        }
        Ok(())
    }

    /// The ratio `p' / p` of the price after selling `sold` units of the asset at the
    /// current price `p` (`p0` is the initial price that sets the AMM's liquidity). In
    /// (0, 1], and 1 for `sold = 0`.
    ///
    /// Constant product with `x = L / sqrt(p)`, `L = depth / sqrt(p0)`, `q' = q (1 - fee)`:
    /// `p' / p = x^2 / ((x + q') (x + q))`.
    pub fn price_ratio(&self, sold: f64, p: f64, p0: f64) -> f64 {
        if sold <= 0.0 {
            return 1.0;
        }
        match *self {
            ImpactModel::None => 1.0,
            ImpactModel::ConstantProduct { depth, fee } => {
                let x = depth / (p0 * p).sqrt();
                x * x / ((x + sold * (1.0 - fee)) * (x + sold))
            }
            ImpactModel::Exponential { beta, depth } => (-beta * sold * p / depth).exp(),
        }
    }
}

impl ImpactModel {
    /// Cash received for selling `q` more units after `before` units were sold, starting
    /// from the price `p` (`p0` sets a constant-product pool's liquidity): the proceeds of
    /// a liquidator who sells into a market others have already sold into this round.
    /// Constant product: `out(u) = y u (1 - f) / (x + u (1 - f))` with
    /// `x = depth / sqrt(p0 p)`, `y = x p`; exponential: `out(u) = (depth / beta)
    /// (1 - exp(-beta p u / depth))`, the integral of the price `p exp(-beta p v / depth)`;
    /// no impact: `p q`. The result is `out(before + q) - out(before)`: the round's sales
    /// count as one trade that the liquidators share in the order they sell (as
    /// [`ImpactModel::price_ratio`] moves the price by the round's total).
    ///
    /// ```
    /// use creditlab_defi::impact::{ConstantProduct, ImpactModel};
    /// let model = ImpactModel::ConstantProduct { depth: 200_000.0, fee: 0.003 };
    /// // At p = p0 = 2000 the pool holds 100 ETH and 200,000 of cash: selling 3 after 5
    /// // gets what one sale of 8 gets beyond one of 5.
    /// let amm = ConstantProduct::new(100.0, 200_000.0, 0.003)?;
    /// let quoted = model.proceeds(5.0, 3.0, 2000.0, 2000.0);
    /// assert!((quoted - (amm.amount_out(8.0) - amm.amount_out(5.0))).abs() < 1e-9);
    /// # Ok::<(), creditlab_defi::DefiError>(())
    /// ```
    pub fn proceeds(&self, before: f64, q: f64, p: f64, p0: f64) -> f64 {
        if q <= 0.0 {
            return 0.0;
        }
        match *self {
            ImpactModel::None => p * q,
            ImpactModel::ConstantProduct { depth, fee } => {
                let x = depth / (p0 * p).sqrt();
                let y = x * p;
                let out = |u: f64| y * u * (1.0 - fee) / (x + u * (1.0 - fee));
                out(before + q) - out(before)
            }
            ImpactModel::Exponential { beta, depth } => {
                if beta <= 0.0 {
                    return p * q;
                }
                let k = beta * p / depth;
                // out(b + q) - out(b) = (depth / beta) e^{-k b} (1 - e^{-k q}).
                (depth / beta) * (-k * before).exp() * (-(k * q)).exp_m1().abs()
            }
        }
    }

    /// The marginal proceeds of selling after `sold` units from the price `p`: the cash one
    /// more unit fetches, `d out / du` at `u = sold` (`p (1 - fee)` before any sale in a
    /// constant-product pool).
    pub fn marginal_proceeds(&self, sold: f64, p: f64, p0: f64) -> f64 {
        match *self {
            ImpactModel::None => p,
            ImpactModel::ConstantProduct { depth, fee } => {
                let x = depth / (p0 * p).sqrt();
                let d = x + sold * (1.0 - fee);
                p * x * x * (1.0 - fee) / (d * d)
            }
            ImpactModel::Exponential { beta, depth } => p * (-beta * p * sold / depth).exp(),
        }
    }

    /// The total units `u` sold from the price `p` at which the marginal proceeds fall to
    /// `c` (a liquidator who gets one unit of collateral per `c` of debt repaid stops
    /// there): `(sqrt(x y (1 - fee) / c) - x) / (1 - fee)` for a constant-product pool,
    /// `(depth / (beta p)) ln(p / c)` for exponential impact; infinite without impact (or
    /// `beta = 0`) when `p > c`; 0 when even the first unit fetches less than `c`.
    pub fn units_to_marginal(&self, c: f64, p: f64, p0: f64) -> f64 {
        if self.marginal_proceeds(0.0, p, p0) <= c {
            return 0.0;
        }
        match *self {
            ImpactModel::None => f64::INFINITY,
            ImpactModel::ConstantProduct { depth, fee } => {
                let x = depth / (p0 * p).sqrt();
                let y = x * p;
                ((x * y * (1.0 - fee) / c).sqrt() - x) / (1.0 - fee)
            }
            ImpactModel::Exponential { beta, depth } => {
                if beta <= 0.0 {
                    f64::INFINITY
                } else {
                    depth / (beta * p) * (p / c).ln()
                }
            }
        }
    }
}

/// The fraction of the log price gap that arbitrage closes per step for a half-life of
/// `half_life_steps` steps: `1 - 2^(-1 / half_life)`; 1 (instant) for a half-life of 0.
pub fn relaxation_per_step(half_life_steps: f64) -> f64 {
    if half_life_steps <= 0.0 {
        1.0
    } else {
        1.0 - (-std::f64::consts::LN_2 / half_life_steps).exp()
    }
}

impl ImpactModel {
    /// Moves an impact multiplier `i` back toward 1 by the fraction `r` of its log gap:
    /// `ln i' = (1 - r) ln i`.
    pub fn relax(i: f64, r: f64) -> f64 {
        if i == 1.0 || r >= 1.0 {
            1.0
        } else {
            (i.ln() * (1.0 - r)).exp()
        }
    }

    /// Applies a sale of `sold` units at fundamental price `fundamental` to the impact
    /// multiplier `i` (the market price is `fundamental x i`): returns the new multiplier.
    pub fn apply_sale(&self, i: f64, sold: f64, fundamental: f64, p0: f64) -> f64 {
        i * self.price_ratio(sold, fundamental * i, p0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use proptest::prelude::*;

    /// Cash amounts of these tests are of order 200,000: a few roundings of them.
    const CASH: f64 = prec::IDENTITY * 200_000.0;

    #[test]
    fn constant_product_closed_forms() {
        let mut amm = ConstantProduct::new(100.0, 200_000.0, 0.003).unwrap();
        assert_eq!(amm.price(), 2000.0);
        // out = y dx (1-f) / (x + dx (1-f)) for dx = 10.
        let net = 10.0 * 0.997;
        let want = 200_000.0 * net / (100.0 + net);
        assert!((amm.amount_out(10.0) - want).abs() <= CASH);
        let price_after = (200_000.0 - want) / 110.0;
        assert!((amm.price_after(10.0) - price_after).abs() <= CASH);
        let k0 = amm.k();
        let out = amm.sell(10.0).unwrap();
        assert!((out - want).abs() <= CASH);
        assert!((amm.price() - price_after).abs() <= CASH);
        assert!(amm.k() >= k0);
        // Without fee, k is unchanged and the price is y'/x' = k / x'^2.
        let mut free = ConstantProduct::new(100.0, 200_000.0, 0.0).unwrap();
        free.sell(25.0).unwrap();
        assert!((free.k() - 2.0e7).abs() <= prec::IDENTITY * 2.0e7);
        assert!((free.price() - 2.0e7 / 125.0 / 125.0).abs() <= CASH);
        assert!(ConstantProduct::new(0.0, 1.0, 0.0).is_err());
        assert!(ConstantProduct::new(1.0, 1.0, 1.0).is_err());
        assert!(amm.sell(-1.0).is_err());
    }

    #[test]
    fn price_ratio_matches_the_amm() {
        // A pool with cash depth 1e6 at p0 = 2000, now at p = 1500: x = L / sqrt(p).
        let model = ImpactModel::ConstantProduct {
            depth: 1.0e6,
            fee: 0.003,
        };
        let l = 1.0e6 / 2000f64.sqrt();
        let p: f64 = 1500.0;
        let amm = ConstantProduct::new(l / p.sqrt(), l * p.sqrt(), 0.003).unwrap();
        assert!((amm.price() - p).abs() <= prec::IDENTITY * p);
        let q = 37.0;
        // The same closed form through square roots and a division: a few roundings.
        assert!((model.price_ratio(q, p, 2000.0) - amm.price_after(q) / p).abs() <= prec::COMPOSED);
    }

    #[test]
    fn exponential_closed_form_and_relaxation() {
        assert!(
            (exponential_impact(100.0, 0.5, 2.0, 10.0) - 100.0 * (-0.1f64).exp()).abs()
                <= prec::IDENTITY * 100.0
        );
        let m = ImpactModel::Exponential {
            beta: 0.5,
            depth: 1000.0,
        };
        // Selling 2 units at 50 = 100 of value: ratio exp(-0.05).
        assert!((m.price_ratio(2.0, 50.0, 80.0) - (-0.05f64).exp()).abs() <= prec::IDENTITY);
        let r = relaxation_per_step(2.0);
        let i = ImpactModel::relax(ImpactModel::relax(0.8, r), r);
        // Two steps at a half-life of two steps: half the log gap is left.
        assert!((i.ln() - 0.5 * 0.8f64.ln()).abs() <= prec::COMPOSED);
        assert_eq!(ImpactModel::relax(0.8, relaxation_per_step(0.0)), 1.0);
        assert!(m.validate().is_ok());
        let e = ImpactModel::Exponential {
            beta: 1.0,
            depth: 0.0,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field(), Some("depth"));
    }

    #[test]
    fn proceeds_and_the_marginal_unit_by_hand() {
        // Constant product at p = 1500, p0 = 2000, depth 1e6: the explicit pool's one sale
        // of 65 minus its one sale of 40 (the round's sales as one trade).
        let model = ImpactModel::ConstantProduct {
            depth: 1.0e6,
            fee: 0.003,
        };
        let l = 1.0e6 / 2000f64.sqrt();
        let p: f64 = 1500.0;
        let amm = ConstantProduct::new(l / p.sqrt(), l * p.sqrt(), 0.003).unwrap();
        let second = amm.amount_out(65.0) - amm.amount_out(40.0);
        assert!((model.proceeds(40.0, 25.0, p, 2000.0) - second).abs() <= CASH);
        // The marginal proceeds are the derivative of the proceeds, and at the marginal
        // unit they equal c.
        let h = 1e-4;
        let fd = (model.proceeds(40.0, h, p, 2000.0)) / h;
        assert!(
            (fd - model.marginal_proceeds(40.0, p, 2000.0)).abs() <= prec::FINITE_DIFFERENCE * p,
            "{fd}"
        );
        let c = 1400.0;
        let u = model.units_to_marginal(c, p, 2000.0);
        assert!((model.marginal_proceeds(u, p, 2000.0) - c).abs() <= prec::ACCUMULATED * c);
        assert_eq!(model.units_to_marginal(p, p, 2000.0), 0.0);
        // Exponential: out(b + q) - out(b) = (D / beta) e^{-k b} (1 - e^{-k q}), k = beta p / D.
        let e = ImpactModel::Exponential {
            beta: 0.5,
            depth: 1000.0,
        };
        let k: f64 = 0.5 * 50.0 / 1000.0;
        let want = 2000.0 * (-k * 2.0).exp() * (1.0 - (-k * 3.0).exp());
        assert!((e.proceeds(2.0, 3.0, 50.0, 80.0) - want).abs() <= prec::COMPOSED * want);
        let u = e.units_to_marginal(40.0, 50.0, 80.0);
        assert!((u - 1000.0 / 25.0 * (50.0f64 / 40.0).ln()).abs() <= prec::COMPOSED * u);
        assert!((e.marginal_proceeds(u, 50.0, 80.0) - 40.0).abs() <= prec::COMPOSED * 40.0);
        assert_eq!(ImpactModel::None.proceeds(1.0, 3.0, 50.0, 80.0), 150.0);
        assert_eq!(
            ImpactModel::None.units_to_marginal(40.0, 50.0, 80.0),
            f64::INFINITY
        );
        assert_eq!(ImpactModel::None.units_to_marginal(60.0, 50.0, 80.0), 0.0);
    }

    proptest! {
        #[test]
        fn selling_more_lowers_the_price_and_k_never_falls(
            x in 1.0f64..1e6, y in 1.0f64..1e9, fee in 0.0f64..0.05,
            a in 0.0f64..1e5, b in 0.0f64..1e5,
        ) {
            let amm = ConstantProduct::new(x, y, fee).unwrap();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(amm.price_after(hi) <= amm.price_after(lo) * (1.0 + prec::ACCUMULATED));
            prop_assert!(amm.amount_out(hi) >= amm.amount_out(lo) * (1.0 - prec::ACCUMULATED));
            prop_assert!(amm.price_after(0.0) == amm.price());
            let mut after = amm;
            after.sell(hi).unwrap();
            prop_assert!(after.k() >= amm.k() * (1.0 - prec::ACCUMULATED));
            // Higher fee: fewer proceeds, higher k.
            let mut dearer = ConstantProduct::new(x, y, (fee + 0.01).min(0.99)).unwrap();
            prop_assert!(dearer.amount_out(hi) <= amm.amount_out(hi) * (1.0 + prec::ACCUMULATED));
            dearer.sell(hi).unwrap();
            prop_assert!(dearer.k() >= after.k() * (1.0 - prec::ACCUMULATED));
            for m in [
                ImpactModel::ConstantProduct { depth: y, fee },
                ImpactModel::Exponential { beta: 1.0, depth: y },
            ] {
                prop_assert_eq!(m.price_ratio(0.0, 100.0, 120.0), 1.0);
                let r_lo = m.price_ratio(lo, 100.0, 120.0);
                let r_hi = m.price_ratio(hi, 100.0, 120.0);
                prop_assert!(r_hi <= r_lo * (1.0 + prec::ACCUMULATED) && r_hi > 0.0 && r_lo <= 1.0);
            }
        }
    }
}

//! Pricing of synthetic tranches and nth-to-default baskets in a one-factor copula
//! (Hull and White, 2004, "Valuation of a CDO and an n-th to default CDS without Monte
//! Carlo simulation", Journal of Derivatives 12(2)).
//!
//! A homogeneous basket of `n` names, each with a flat hazard rate `h` (default by `t`
//! with probability `1 - e^(-h t)`) and recovery `R`. Given the copula's systematic state
//! the names default independently with probability `p(t | state)` (contagion's
//! [`Copula::threshold`] and [`Copula::conditional_pd`]), so the number of defaults by `t`
//! is binomial; integrating over the state by quadrature gives the exact finite-pool
//! distribution of the number of defaults at every payment date, and from it
//!
//! * the expected tranche loss `E_t = E[min(max(L_t - A, 0), D - A)] / (D - A)` with
//!   `L_t = K_t (1 - R) / n`;
//! * the probability `P(K_t >= k)` that the k-th default has happened.
//!
//! Legs, with payment dates `t_1 < ... < t_m = T` (quarterly), accrual fractions `d_i`,
//! discount factors `P(t) = e^(-r t)` (flat continuously compounded rate) and the default
//! in a period assumed at its midpoint `s_i = (t_{i-1} + t_i) / 2` (QuantLib's
//! MidPointCDOEngine):
//!
//! ```text
//! protection = sum_i P(s_i) (E_i - E_{i-1})
//! premium per unit spread = sum_i d_i [ P(t_i) (1 - N_i) + P(s_i) (N_i - N_{i-1}) / 2 ]
//! ```
//!
//! where `N_i` is the fraction of notional written off by `t_i` (the second term is the
//! premium accrued up to the default). For a tranche `N_i = E_i`; for the k-th-to-default
//! swap (one name's notional, protection `(1 - R)` at the k-th default)
//! `E_i = (1 - R) P(K_{t_i} >= k)` and `N_i = P(K_{t_i} >= k)`. The fair spread is
//! `protection / premium per unit spread`.

use crate::error::{PoolError, Result, check_positive, check_range};
use creditlab_contagion::{Copula, Tranche};
use creditlab_numerics::quadrature::Rule;
use serde::Serialize;

/// Quadrature nodes for a normal factor (Gauss-Hermite).
const NORMAL_NODES: usize = 96;
/// Quadrature nodes for a Student-t factor or the t copula's mixing variable.
const T_NODES: usize = 128;
/// Nodes per dimension of the t copula's two-dimensional state.
const T_COPULA_NODES: usize = 64;
/// A payment date within this many years (about 0.03 seconds) of maturity is maturity: the
/// multiples of the period accumulate rounding, and a whole number of periods must not
/// leave a zero-length final period.
const DATE_TOLERANCE: f64 = 1e-9;
/// Largest basket handled (the binomial tables are `n + 1` long per node and date).
pub const MAX_NAMES: usize = 100_000;

/// A homogeneous basket of names in a one-factor copula, with its quadrature over the
/// systematic state.
///
/// ```
/// use creditlab_contagion::{Copula, Tranche};
/// use creditlab_numerics::prec;
/// use creditlab_pool::pricing::{HomogeneousBasket, Schedule, tranche_legs};
/// // Hull and White's basket: 100 names, hazard 1%, recovery 40%, Gaussian rho 0.3.
/// let basket = HomogeneousBasket::new(100, 0.01, 0.4, Copula::gaussian(0.3)?)?;
/// let counts = basket.default_count_distribution(5.0);
/// assert!((counts.iter().sum::<f64>() - 1.0).abs() <= prec::ACCUMULATED);
/// let schedule = Schedule::new(5.0, 4, 0.05)?;
/// let equity = tranche_legs(&basket, Tranche::new(0.0, 0.03)?, &schedule);
/// // Their 1487 bp, within QuantLib's 4%.
/// assert!(prec::relative_close(equity.fair_spread_bp(), 1487.0, 0.04, 1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HomogeneousBasket {
    n: usize,
    hazard: f64,
    recovery: f64,
    copula: Copula,
    /// Quadrature over the state: weights and states (layout of `Copula::state_dim`).
    states: Vec<(f64, [f64; 2])>,
    ln_choose: Vec<f64>,
}

impl HomogeneousBasket {
    /// A basket of `n` names with flat `hazard` (per year, >= 0), `recovery` in [0, 1) and
    /// a one-factor `copula` (Gaussian, Student-t or double-t; a multi-factor copula is
    /// refused).
    pub fn new(n: usize, hazard: f64, recovery: f64, copula: Copula) -> Result<Self> {
        if n == 0 || n > MAX_NAMES {
            return Err(PoolError::InvalidParameter {
                field: "names".into(),
                value: n as f64,
                reason: "the basket needs between 1 and 100000 names",
            });
        }
        if !(hazard.is_finite() && hazard >= 0.0) {
            return Err(PoolError::InvalidParameter {
                field: "hazard".into(),
                value: hazard,
                reason: "must be finite and >= 0",
            });
        }
        check_range("recovery", recovery, 0.0, 1.0)?;
        if recovery >= 1.0 {
            return Err(PoolError::InvalidParameter {
                field: "recovery".into(),
                value: recovery,
                reason: "must be below 1 (no loss otherwise)",
            });
        }
        let states: Vec<(f64, [f64; 2])> = match copula {
            Copula::Gaussian { .. } => {
                let r = Rule::gauss_hermite(NORMAL_NODES)?;
                r.nodes
                    .iter()
                    .zip(&r.weights)
                    .map(|(&z, &w)| (w, [z, 1.0]))
                    .collect()
            }
            Copula::DoubleT { nu_m, .. } => {
                let r = Rule::student_t(T_NODES, nu_m, ((nu_m - 2.0) / nu_m).sqrt())?;
                r.nodes
                    .iter()
                    .zip(&r.weights)
                    .map(|(&m, &w)| (w, [m, 1.0]))
                    .collect()
            }
            Copula::StudentT { nu, .. } => {
                let z = Rule::gauss_hermite(T_COPULA_NODES)?;
                let s = Rule::chi_scale(T_COPULA_NODES, nu)?;
                let mut out = Vec::with_capacity(z.len() * s.len());
                for (&zi, &wz) in z.nodes.iter().zip(&z.weights) {
                    for (&si, &ws) in s.nodes.iter().zip(&s.weights) {
                        out.push((wz * ws, [zi, si]));
                    }
                }
                out
            }
            Copula::MultiFactor(_) => {
                return Err(PoolError::Unsupported(
                    "tranche pricing needs a one-factor copula (gaussian, t or double-t)".into(),
                ));
            }
        };
        let mut ln_fact = Vec::with_capacity(n + 1);
        ln_fact.push(0.0);
        for k in 1..=n {
            ln_fact.push(ln_fact[k - 1] + (k as f64).ln());
        }
        let ln_choose = (0..=n)
            .map(|k| ln_fact[n] - ln_fact[k] - ln_fact[n - k])
            .collect();
        Ok(Self {
            n,
            hazard,
            recovery,
            copula,
            states,
            ln_choose,
        })
    }

    /// Number of names.
    pub fn names(&self) -> usize {
        self.n
    }

    /// Loss given default of each name, `1 - R`.
    pub fn lgd(&self) -> f64 {
        1.0 - self.recovery
    }

    /// Unconditional default probability of one name by `t` years: `1 - e^(-h t)`.
    pub fn default_probability(&self, t: f64) -> f64 {
        -(-self.hazard * t.max(0.0)).exp_m1()
    }

    /// Distribution of the number of defaults by `t`: element `k` is `P(K_t = k)`.
    pub fn default_count_distribution(&self, t: f64) -> Vec<f64> {
        let c = self.copula.threshold(self.default_probability(t));
        let mut dist = vec![0.0; self.n + 1];
        let mut pmf = vec![0.0; self.n + 1];
        for (w, state) in &self.states {
            let p = self.copula.conditional_pd(c, None, state);
            self.binomial(p, &mut pmf);
            for (d, q) in dist.iter_mut().zip(&pmf) {
                *d += w * q;
            }
        }
        dist
    }

    /// Binomial(n, p) probabilities into `out` (length n + 1), in log space so that no term
    /// underflows before it must.
    fn binomial(&self, p: f64, out: &mut [f64]) {
        out.fill(0.0);
        if p <= 0.0 {
            out[0] = 1.0;
            return;
        }
        if p >= 1.0 {
            out[self.n] = 1.0;
            return;
        }
        let (lp, lq) = (p.ln(), (-p).ln_1p());
        for (k, o) in out.iter_mut().enumerate() {
            *o = (self.ln_choose[k] + k as f64 * lp + (self.n - k) as f64 * lq).exp();
        }
    }

    /// Expected loss of `tranche` by `t`, as a fraction of the tranche notional.
    pub fn expected_tranche_loss(&self, tranche: Tranche, t: f64) -> f64 {
        let lgd = self.lgd() / self.n as f64;
        self.default_count_distribution(t)
            .iter()
            .enumerate()
            .map(|(k, q)| q * tranche.loss(k as f64 * lgd))
            .sum()
    }

    /// The exact finite-pool loss distribution by `t`: `k` defaults lose `k (1 - R) / n`
    /// of the pool with probability `P(K_t = k)`.
    pub fn loss_distribution(&self, t: f64) -> Result<creditlab_contagion::DiscreteLoss> {
        let lgd = self.lgd() / self.n as f64;
        let losses = (0..=self.n).map(|k| k as f64 * lgd).collect();
        Ok(creditlab_contagion::DiscreteLoss::new(
            losses,
            self.default_count_distribution(t),
        ))
    }

    /// `P(K_t >= k)`: the probability that at least `k` names have defaulted by `t`.
    pub fn kth_default_probability(&self, k: usize, t: f64) -> f64 {
        self.default_count_distribution(t)
            .iter()
            .skip(k)
            .sum::<f64>()
            .min(1.0)
    }
}

/// Premium schedule and discounting of a swap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Schedule {
    /// Maturity in years, > 0.
    pub maturity: f64,
    /// Premium payments per year (4 = quarterly).
    pub payments_per_year: u32,
    /// Flat continuously compounded discount rate.
    pub rate: f64,
}

impl Schedule {
    /// A validated schedule.
    pub fn new(maturity: f64, payments_per_year: u32, rate: f64) -> Result<Self> {
        check_positive("maturity", maturity)?;
        if maturity > 100.0 {
            return Err(PoolError::InvalidParameter {
                field: "maturity".into(),
                value: maturity,
                reason: "must be at most 100 years",
            });
        }
        if payments_per_year == 0 || payments_per_year > 365 {
            return Err(PoolError::InvalidParameter {
                field: "payments_per_year".into(),
                value: f64::from(payments_per_year),
                reason: "must be between 1 and 365",
            });
        }
        check_range("rate", rate, -1.0, 1.0)?;
        Ok(Self {
            maturity,
            payments_per_year,
            rate,
        })
    }

    /// Payment dates in years: multiples of the period up to maturity, the last one at
    /// maturity (a short final period when maturity is not a whole number of periods).
    pub fn dates(&self) -> Vec<f64> {
        let dt = 1.0 / f64::from(self.payments_per_year);
        let mut dates = Vec::new();
        let mut i = 1u32;
        loop {
            let t = f64::from(i) * dt;
            if t >= self.maturity - DATE_TOLERANCE {
                dates.push(self.maturity);
                return dates;
            }
            dates.push(t);
            i += 1;
        }
    }

    fn discount(&self, t: f64) -> f64 {
        (-self.rate * t).exp()
    }

    /// The legs of a swap from the expected loss `loss[i]` and written-off notional
    /// `written_off[i]` at each payment date (fractions of notional, non-decreasing).
    pub fn legs(&self, loss: &[f64], written_off: &[f64]) -> Legs {
        let dates = self.dates();
        let (mut protection, mut rpv01) = (0.0, 0.0);
        let (mut t0, mut e0, mut n0) = (0.0, 0.0, 0.0);
        for ((&t, &e), &w) in dates.iter().zip(loss).zip(written_off) {
            let d = t - t0;
            let mid = self.discount(0.5 * (t0 + t));
            protection += mid * (e - e0);
            rpv01 += d * (self.discount(t) * (1.0 - w) + mid * 0.5 * (w - n0));
            (t0, e0, n0) = (t, e, w);
        }
        Legs {
            protection,
            premium_per_unit_spread: rpv01,
            fair_spread: if rpv01 > 0.0 { protection / rpv01 } else { 0.0 },
        }
    }
}

/// Present values of a swap's two legs per unit notional.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Legs {
    /// Present value of the protection (default) leg.
    pub protection: f64,
    /// Present value of the premium leg at a spread of 1 (the risky annuity, RPV01).
    pub premium_per_unit_spread: f64,
    /// Fair running spread, `protection / premium_per_unit_spread` (a decimal: 0.01 = 100 bp).
    pub fair_spread: f64,
}

/// Basis points per unit of spread (a spread of 0.01 is 100 bp).
pub const BASIS_POINTS: f64 = 1e4;

impl Legs {
    /// The fair spread in basis points.
    pub fn fair_spread_bp(&self) -> f64 {
        self.fair_spread * BASIS_POINTS
    }
}

/// A synthetic tranche's fair spread and legs, as `cargo xtask tranche-spread` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrancheQuote {
    /// Attachment point.
    pub attach: f64,
    /// Detachment point.
    pub detach: f64,
    /// Fair running spread in basis points.
    pub fair_spread_bp: f64,
    /// Present value of the protection leg per unit of tranche notional.
    pub protection_leg: f64,
    /// Present value of the premium leg at a spread of 1 (RPV01).
    pub premium_leg_per_unit_spread: f64,
}

impl TrancheQuote {
    /// The quote of `tranche` on `basket` ([`tranche_legs`]).
    pub fn of(basket: &HomogeneousBasket, tranche: Tranche, schedule: &Schedule) -> Self {
        let legs = tranche_legs(basket, tranche, schedule);
        Self {
            attach: tranche.attach(),
            detach: tranche.detach(),
            fair_spread_bp: legs.fair_spread_bp(),
            protection_leg: legs.protection,
            premium_leg_per_unit_spread: legs.premium_per_unit_spread,
        }
    }
}

/// The legs and fair spread of a synthetic tranche on `basket`.
pub fn tranche_legs(basket: &HomogeneousBasket, tranche: Tranche, schedule: &Schedule) -> Legs {
    let losses: Vec<f64> = schedule
        .dates()
        .iter()
        .map(|&t| basket.expected_tranche_loss(tranche, t))
        .collect();
    schedule.legs(&losses, &losses)
}

/// The legs of the k-th-to-default swaps, `k = 1 ... n`, on `basket` (one name's notional,
/// protection `1 - R` at the k-th default).
pub fn nth_to_default_legs(basket: &HomogeneousBasket, schedule: &Schedule) -> Vec<Legs> {
    let n = basket.names();
    // Tail probabilities P(K_t >= k) for every date, computed once per date.
    let tails: Vec<Vec<f64>> = schedule
        .dates()
        .iter()
        .map(|&t| {
            let dist = basket.default_count_distribution(t);
            let mut tail = vec![0.0; n + 2];
            for k in (0..=n).rev() {
                tail[k] = (tail[k + 1] + dist[k]).min(1.0);
            }
            tail
        })
        .collect();
    (1..=n)
        .map(|k| {
            let written_off: Vec<f64> = tails.iter().map(|tail| tail[k]).collect();
            let loss: Vec<f64> = written_off.iter().map(|p| p * basket.lgd()).collect();
            schedule.legs(&loss, &written_off)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    fn hw_basket(n: usize, copula: Copula) -> HomogeneousBasket {
        HomogeneousBasket::new(n, 0.01, 0.4, copula).unwrap()
    }

    /// QuantLib's tolerance for its Hull-White references (test-suite/cdo.cpp,
    /// nthtodefault.cpp): the published spreads are rounded to the basis point and come
    /// from a different quadrature, so a spread matches within 1 bp ...
    const HULL_WHITE_BP: f64 = 1.0;
    /// ... or 4% of the published spread.
    const HULL_WHITE_RELATIVE: f64 = 0.04;

    fn close(got_bp: f64, want_bp: f64) -> bool {
        (got_bp - want_bp).abs() <= HULL_WHITE_BP
            || (got_bp - want_bp).abs() <= HULL_WHITE_RELATIVE * want_bp
    }

    /// Hull and White (2004), as in QuantLib's test-suite/cdo.cpp: 100 names, hazard 1%,
    /// recovery 40%, 5 years quarterly, r = 5%, Gaussian copula rho = 0.3.
    #[test]
    fn hull_white_tranche_spreads() {
        let basket = hw_basket(100, Copula::gaussian(0.3).unwrap());
        let schedule = Schedule::new(5.0, 4, 0.05).unwrap();
        for ((a, d), want) in [
            ((0.0, 0.03), 1487.0),
            ((0.03, 0.06), 472.0),
            ((0.06, 0.10), 203.0),
            ((0.10, 1.0), 7.0),
        ] {
            let legs = tranche_legs(&basket, Tranche::new(a, d).unwrap(), &schedule);
            let bp = legs.fair_spread * 1e4;
            assert!(close(bp, want), "{a}-{d}: {bp} bp vs {want}");
        }
    }

    /// Hull and White (2004), as in QuantLib's test-suite/nthtodefault.cpp: 10 names,
    /// Gaussian copula rho = 0.3.
    #[test]
    fn hull_white_nth_to_default_spreads() {
        let basket = hw_basket(10, Copula::gaussian(0.3).unwrap());
        let schedule = Schedule::new(5.0, 4, 0.05).unwrap();
        let want = [440.0, 139.0, 53.0, 21.0, 8.0, 3.0, 1.0, 0.0, 0.0, 0.0];
        let legs = nth_to_default_legs(&basket, &schedule);
        for (k, (l, w)) in legs.iter().zip(want).enumerate() {
            let bp = l.fair_spread * 1e4;
            assert!(close(bp, w), "{}-th to default: {bp} bp vs {w}", k + 1);
        }
    }

    #[test]
    fn independence_gives_the_binomial_and_count_distribution_sums_to_one() {
        let b = hw_basket(20, Copula::gaussian(0.0).unwrap());
        let d = b.default_count_distribution(3.0);
        let p = b.default_probability(3.0);
        assert!((d.iter().sum::<f64>() - 1.0).abs() <= prec::ACCUMULATED);
        assert!((d[0] - (1.0 - p).powi(20)).abs() <= prec::ACCUMULATED);
        // First to default of independent names: P(K >= 1) = 1 - (1-p)^n.
        assert!(
            (b.kth_default_probability(1, 3.0) - (1.0 - (1.0 - p).powi(20))).abs()
                <= prec::ACCUMULATED
        );
        for c in [
            Copula::student_t(0.3, 5.0).unwrap(),
            Copula::double_t(0.3, 4.0, 4.0).unwrap(),
        ] {
            let b = hw_basket(50, c);
            let d = b.default_count_distribution(5.0);
            assert!((d.iter().sum::<f64>() - 1.0).abs() <= prec::QUADRATURE);
            // The mean number of defaults is n times the marginal PD whatever the copula.
            let mean: f64 = d.iter().enumerate().map(|(k, q)| k as f64 * q).sum();
            assert!(
                (mean - 50.0 * b.default_probability(5.0)).abs() <= prec::QUADRATURE,
                "{mean}"
            );
        }
    }

    #[test]
    fn invalid_inputs_are_refused() {
        let g = Copula::gaussian(0.3).unwrap();
        assert!(HomogeneousBasket::new(0, 0.01, 0.4, g.clone()).is_err());
        assert!(HomogeneousBasket::new(10, -0.01, 0.4, g.clone()).is_err());
        assert!(HomogeneousBasket::new(10, 0.01, 1.0, g).is_err());
        assert!(Schedule::new(0.0, 4, 0.05).is_err());
        assert!(Schedule::new(5.0, 0, 0.05).is_err());
        assert_eq!(Schedule::new(1.1, 4, 0.0).unwrap().dates().len(), 5);
    }
}

//! LGD from the collateral and from recourse to the borrower, and expected loss.
//!
//! At default the lender sells the collateral over a liquidation horizon `T`. Its price
//! follows a driftless lognormal law, `V_T = V_0 exp(−σ²T/2 + σ√T Z)`, so `E[V_T] = V_0`
//! (no assumed appreciation or decline; the haircut carries the conservatism). The sale
//! nets `a V_T` with `a = (1 − haircut)(1 − liquidation cost)`. For a full-recourse loan the
//! borrower's other income repays up to `R` (currency) of what the sale leaves unpaid; a
//! non-recourse loan has `R = 0`. The loss is `max(EAD − R − a V_T, 0)`, and its expectation
//! is a Black–Scholes put with zero rate on the underlying `a V_0`, strike `EAD − R`:
//!
//! `E[loss] = K N(−d₂) − a V_0 N(−d₁)`, `d₁ = (ln(a V_0 / K) + σ²T/2) / (σ√T)`, `d₂ = d₁ − σ√T`.
//!
//! Crash risk: an optional Merton (1976) jump component adds Poisson(λT) crash days with
//! lognormal log-returns N(μ_J, δ²), compensated so that `E[V_T] = V_0` still holds. Given
//! n jumps the price is lognormal again, so every expectation is a Poisson-weighted sum of
//! the closed forms above, with `v_n² = σ²T + nδ²` and forward `V_0 e^{−λκT + nμ_J + nδ²/2}`,
//! `κ = e^{μ_J + δ²/2} − 1`.
//!
//! What "given default" means depends on what triggers the default:
//!
//! - [`DefaultTrigger::Borrower`] (bank loans): the borrower stops paying for reasons of
//!   their own, independent of the collateral price, so `LGD = E[loss] / EAD`.
//! - [`DefaultTrigger::CollateralShortfall`] (DeFi and margin loans): the lender liquidates
//!   as soon as the collateral falls through a threshold, and a "default" is exactly the
//!   event that the sale does not cover the debt, `a V_T < EAD`. Then
//!   `LGD = E[loss | a V_T < EAD] / EAD = E[loss] / (EAD · N(−d₂(EAD)))`.
//!
//! See [docs/methodology/grading.md](crate::methodology::grading).

use crate::error::{GradeError, Result, check_non_negative, check_positive};
/// The loss law of a defaulted mortgage from the house (creditlab-loan's `housing`), as
/// grading reports it per loan ([`crate::LoanGrade::collateral_law`]): the parameters of
/// creditlab-contagion's `Lgd::Collateral`.
pub use creditlab_loan::housing::{CollateralLaw, MortgageLgd, MortgageLossModel};
use creditlab_numerics::special::norm_cdf;
use serde::{Deserialize, Serialize};

/// Whether the lender can claim the shortfall from the borrower's other income.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Recourse {
    /// Only the collateral secures the loan (every DeFi loan; many US mortgages).
    NonRecourse,
    /// The borrower owes the deficiency; `recoverable` (currency) is what their other income
    /// can be expected to repay of it. Zero when the income is unknown.
    Full {
        /// The amount recoverable from the borrower beyond the collateral.
        recoverable: f64,
    },
}

/// What makes a loan default, which decides what the LGD is conditional on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultTrigger {
    /// The borrower defaults independently of the collateral's price (bank loans).
    Borrower,
    /// Default is the collateral's sale falling short of the debt (liquidated DeFi and
    /// margin loans): the LGD is the expected shortfall given that it occurs.
    CollateralShortfall,
}

/// Crash (jump) risk of the collateral price: Merton's compound-Poisson lognormal jumps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JumpRisk {
    /// Expected number of crashes a year, λ >= 0.
    pub intensity_per_year: f64,
    /// Mean log-return of a crash, μ_J (e.g. −0.25, a fall of about 22%).
    pub mean_log_jump: f64,
    /// Standard deviation of a crash's log-return, δ >= 0.
    pub sd_log_jump: f64,
}

/// The inputs of the LGD of one loan.
///
/// ```
/// use creditlab_grade::lgd::{DefaultTrigger, LgdInput, Recourse};
/// // An 80 loan on collateral worth 100 (10% haircut, 5% sale cost, 60% volatility,
/// // six months to sell), without recourse.
/// let mut x = LgdInput {
///     ead: 80.0,
///     collateral_value: 100.0,
///     haircut: 0.10,
///     volatility: 0.6,
///     liquidation_horizon_years: 0.5,
///     liquidation_cost: 0.05,
///     recourse: Recourse::NonRecourse,
///     trigger: DefaultTrigger::Borrower,
///     jumps: None,
/// };
/// let borrower = x.lgd()?.lgd;
/// assert!(borrower > 0.0 && borrower < 0.2);
/// // Full recourse to the borrower's income lowers it.
/// x.recourse = Recourse::Full { recoverable: 20.0 };
/// assert!(x.lgd()?.lgd < borrower);
/// // A default that *is* a collateral shortfall (DeFi) loses more, given that it happens.
/// x.recourse = Recourse::NonRecourse;
/// x.trigger = DefaultTrigger::CollateralShortfall;
/// assert!(x.lgd()?.lgd > borrower);
/// # Ok::<(), creditlab_grade::GradeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LgdInput {
    /// Exposure at default (currency), > 0.
    pub ead: f64,
    /// Current market value of the collateral (currency); 0 for an unsecured loan.
    pub collateral_value: f64,
    /// Haircut applied to the collateral's market value, in [0, 1] (1: worthless).
    pub haircut: f64,
    /// Annualized volatility of the collateral's price, >= 0.
    pub volatility: f64,
    /// Time to sell the collateral after default, in years, >= 0.
    pub liquidation_horizon_years: f64,
    /// Cost of the sale as a fraction of the proceeds (fees, slippage, legal), in [0, 1).
    pub liquidation_cost: f64,
    /// Recourse to the borrower's other income.
    pub recourse: Recourse,
    /// What triggers default.
    pub trigger: DefaultTrigger,
    /// Crash risk over the liquidation horizon, beyond the diffusion; `None` for none.
    pub jumps: Option<JumpRisk>,
}

/// Poisson mass left out of the jump mixture: below the rounding of the weights' sum.
const POISSON_TAIL_MASS: f64 = 1e-16;

/// A shortfall probability below this is treated as underflowed, and the diffusion's tail
/// asymptote replaces the ratio of two vanishing normal probabilities.
const UNDERFLOW_PROBABILITY: f64 = 1e-250;

/// The price law over the liquidation horizon as a Poisson mixture of lognormals: weights,
/// forwards (as multiples of the current value) and total log-standard deviations.
fn mixture(vol: f64, horizon: f64, jumps: Option<JumpRisk>) -> Vec<(f64, f64, f64)> {
    let diffusion_var = vol * vol * horizon;
    let Some(j) = jumps.filter(|j| j.intensity_per_year > 0.0 && horizon > 0.0) else {
        return vec![(1.0, 1.0, diffusion_var.sqrt())];
    };
    let lt = j.intensity_per_year * horizon;
    let kappa = (j.mean_log_jump + 0.5 * j.sd_log_jump * j.sd_log_jump).exp() - 1.0;
    let mut out = Vec::new();
    let mut weight = (-lt).exp();
    let mut cumulative = 0.0;
    for n in 0..1000u32 {
        let nf = f64::from(n);
        if n > 0 {
            weight *= lt / nf;
        }
        let forward = (-lt * kappa + nf * (j.mean_log_jump + 0.5 * j.sd_log_jump.powi(2))).exp();
        out.push((
            weight,
            forward,
            (diffusion_var + nf * j.sd_log_jump.powi(2)).sqrt(),
        ));
        cumulative += weight;
        if nf > lt && 1.0 - cumulative < POISSON_TAIL_MASS {
            break;
        }
    }
    out
}

/// The LGD of one loan and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lgd {
    /// Expected loss given default as a fraction of EAD, with recourse.
    pub lgd: f64,
    /// The LGD from the collateral alone (as if non-recourse).
    pub collateral_lgd: f64,
    /// Expected amount recovered from the borrower through recourse (currency).
    pub recourse_recovery: f64,
}

fn check_fraction_below_one(field: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(GradeError::InvalidParameter {
            field: field.into(),
            value: v,
            reason: "must be in [0, 1)",
        })
    }
}

/// `P(s·e^{−σ²T/2 + σ√T Z} < k)` and `E[s·e^{…}; below k] / P(below k)` handled together:
/// returns `E[max(k − S_T, 0)] / P(S_T < k)`, the expected shortfall given a shortfall,
/// computed from the ratio `N(−d₁)/N(−d₂)` with its tail asymptote when both underflow.
pub(crate) fn conditional_shortfall(s: f64, k: f64, sigma_sqrt_t: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    if s <= 0.0 {
        return k;
    }
    if sigma_sqrt_t <= 0.0 {
        // A certain outcome: a shortfall happens only if s < k, and then it is k − s.
        return (k - s).max(0.0);
    }
    let v = sigma_sqrt_t;
    let d2 = ((s / k).ln() - 0.5 * v * v) / v;
    let d1 = d2 + v;
    let p = norm_cdf(-d2);
    // E[S_T | S_T < k] = s N(−d₁) / N(−d₂).
    let ratio = if p > UNDERFLOW_PROBABILITY {
        norm_cdf(-d1) / p
    } else {
        // Mills-ratio asymptote for d₂ → ∞: N(−x) ≈ φ(x)/x.
        (-(v * d2) - 0.5 * v * v).exp() * d2 / d1
    };
    (k - s * ratio).clamp(0.0, k)
}

/// `P(s·e^{−σ²T/2 + σ√T Z} < k)`.
fn shortfall_probability(s: f64, k: f64, sigma_sqrt_t: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    if s <= 0.0 {
        return 1.0;
    }
    if sigma_sqrt_t <= 0.0 {
        return if s < k { 1.0 } else { 0.0 };
    }
    let d2 = ((s / k).ln() - 0.5 * sigma_sqrt_t * sigma_sqrt_t) / sigma_sqrt_t;
    norm_cdf(-d2)
}

/// `E[max(k − s·e^{−σ²T/2 + σ√T Z}, 0)]`: the zero-rate Black–Scholes put.
pub(crate) fn expected_shortfall(s: f64, k: f64, sigma_sqrt_t: f64) -> f64 {
    if k <= 0.0 {
        return 0.0;
    }
    if s <= 0.0 {
        return k;
    }
    if sigma_sqrt_t <= 0.0 {
        return (k - s).max(0.0);
    }
    let d1 = ((s / k).ln() + 0.5 * sigma_sqrt_t * sigma_sqrt_t) / sigma_sqrt_t;
    let d2 = d1 - sigma_sqrt_t;
    (k * norm_cdf(-d2) - s * norm_cdf(-d1)).max(0.0)
}

impl LgdInput {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        check_positive("ead", self.ead)?;
        check_non_negative("collateral value", self.collateral_value)?;
        crate::error::check_unit("haircut", self.haircut)?;
        check_non_negative("collateral volatility", self.volatility)?;
        check_non_negative("liquidation horizon", self.liquidation_horizon_years)?;
        check_fraction_below_one("liquidation cost", self.liquidation_cost)?;
        if let Recourse::Full { recoverable } = self.recourse {
            check_non_negative("recourse recoverable amount", recoverable)?;
        }
        if let Some(j) = self.jumps {
            check_non_negative("jump intensity", j.intensity_per_year)?;
            check_non_negative("jump sd", j.sd_log_jump)?;
            if !j.mean_log_jump.is_finite() {
                return Err(GradeError::InvalidParameter {
                    field: "jump mean".into(),
                    value: j.mean_log_jump,
                    reason: "must be finite",
                });
            }
        }
        Ok(())
    }

    /// The LGD in closed form.
    pub fn lgd(&self) -> Result<Lgd> {
        self.validate()?;
        let s = self.collateral_value * (1.0 - self.haircut) * (1.0 - self.liquidation_cost);
        let recoverable = match self.recourse {
            Recourse::NonRecourse => 0.0,
            Recourse::Full { recoverable } => recoverable.min(self.ead),
        };
        let mix = mixture(self.volatility, self.liquidation_horizon_years, self.jumps);
        // Unconditional expected losses without and with recourse, and P(shortfall).
        let (mut collateral_loss, mut loss, mut p_short) = (0.0, 0.0, 0.0);
        for &(w, fwd, v) in &mix {
            collateral_loss += w * expected_shortfall(s * fwd, self.ead, v);
            loss += w * expected_shortfall(s * fwd, self.ead - recoverable, v);
            p_short += w * shortfall_probability(s * fwd, self.ead, v);
        }
        Ok(match self.trigger {
            DefaultTrigger::Borrower => Lgd {
                lgd: (loss / self.ead).clamp(0.0, 1.0),
                collateral_lgd: (collateral_loss / self.ead).clamp(0.0, 1.0),
                recourse_recovery: (collateral_loss - loss).max(0.0),
            },
            DefaultTrigger::CollateralShortfall => {
                // Condition on the default event {a V_T < EAD}; the loss, and recourse's
                // effect on it, are zero outside it. When even that probability underflows
                // (no jumps, a far threshold) the diffusion's tail asymptote gives the
                // conditional shortfall.
                let given = if p_short > UNDERFLOW_PROBABILITY {
                    collateral_loss / p_short
                } else {
                    let (_, fwd, v) = mix[0];
                    conditional_shortfall(s * fwd, self.ead, v)
                };
                // The share of the collateral shortfall recourse leaves unpaid, as a ratio of
                // two unconditional expectations: both may underflow together, their ratio
                // stays in [0, 1] (scaling `given` by `1 / collateral_loss` would overflow).
                let kept = if collateral_loss > 0.0 {
                    (loss / collateral_loss).clamp(0.0, 1.0)
                } else if given > 0.0 {
                    ((given - recoverable).max(0.0) / given).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                Lgd {
                    lgd: (given * kept / self.ead).clamp(0.0, 1.0),
                    collateral_lgd: (given / self.ead).clamp(0.0, 1.0),
                    recourse_recovery: (given * (1.0 - kept)).max(0.0),
                }
            }
        })
    }
}

/// Expected loss `PD × LGD × EAD` (currency), with PD and LGD over the same horizon.
pub fn expected_loss(pd: f64, lgd: f64, ead: f64) -> f64 {
    pd * lgd * ead
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    /// Regression: a liquidated position whose shortfall probability underflows (a thin
    /// volatility, a far threshold) got an LGD of 1 instead of its tail asymptote, because
    /// the conditional shortfall was scaled by `1 / E[loss]` with `E[loss]` subnormal
    /// (found by `lgd_is_bounded_and_monotone_in_collateral`).
    #[test]
    fn underflowing_shortfall_probability_keeps_the_tail_lgd() {
        let x = LgdInput {
            ead: 100.0,
            collateral_value: 426.585,
            haircut: 0.2916,
            volatility: 0.0303,
            liquidation_horizon_years: 0.889,
            liquidation_cost: 0.02,
            recourse: Recourse::NonRecourse,
            trigger: DefaultTrigger::CollateralShortfall,
            jumps: None,
        };
        let l = x.lgd().unwrap();
        assert!(l.lgd > 0.0 && l.lgd < 0.01, "{l:?}");
        assert_eq!(l.lgd, l.collateral_lgd);
        let with_recourse = LgdInput {
            recourse: Recourse::Full { recoverable: 50.0 },
            ..x
        }
        .lgd()
        .unwrap();
        assert!(with_recourse.lgd <= l.lgd, "{with_recourse:?}");
    }
    use creditlab_numerics::special::norm_pdf;

    fn input(recourse: Recourse) -> LgdInput {
        LgdInput {
            ead: 80.0,
            collateral_value: 100.0,
            haircut: 0.10,
            volatility: 0.6,
            liquidation_horizon_years: 0.5,
            liquidation_cost: 0.05,
            recourse,
            trigger: DefaultTrigger::Borrower,
            jumps: None,
        }
    }

    /// E[max(k − s e^{−v²/2 + v z}, 0)] by composite Simpson over z in [−12, 12]: a kinked
    /// integrand, so the rule is good to about `prec::FINITE_DIFFERENCE` of the strike.
    fn numeric(s: f64, k: f64, v: f64) -> f64 {
        let n = 20_000;
        let (a, b) = (-12.0, 12.0);
        let h = (b - a) / n as f64;
        let f = |z: f64| (k - s * (-0.5 * v * v + v * z).exp()).max(0.0) * norm_pdf(z);
        let mut sum = f(a) + f(b);
        for i in 1..n {
            let w = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += w * f(a + i as f64 * h);
        }
        sum * h / 3.0
    }

    #[test]
    fn closed_form_matches_numeric_integration() {
        for (s, k, v) in [
            (85.5, 80.0, 0.42),
            (150.0, 80.0, 0.1),
            (50.0, 80.0, 0.3),
            (80.0, 80.0, 1.5),
            (10.0, 80.0, 0.05),
        ] {
            let closed = expected_shortfall(s, k, v);
            let num = numeric(s, k, v);
            assert!(
                (closed - num).abs() < prec::FINITE_DIFFERENCE * k,
                "s {s} k {k} v {v}: {closed} vs {num}"
            );
        }
    }

    /// E[max(k − S_T, 0) | S_T < k] by Simpson over the default region z < z*.
    fn numeric_conditional(s: f64, k: f64, v: f64) -> f64 {
        let z_star = ((k / s).ln() + 0.5 * v * v) / v;
        let (a, b) = (-12.0, z_star);
        let n = 20_000;
        let h = (b - a) / n as f64;
        let g = |z: f64, with_loss: bool| {
            let loss = k - s * (-0.5 * v * v + v * z).exp();
            if with_loss {
                loss * norm_pdf(z)
            } else {
                norm_pdf(z)
            }
        };
        let simpson = |with_loss: bool| {
            let mut sum = g(a, with_loss) + g(b, with_loss);
            for i in 1..n {
                let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                sum += w * g(a + i as f64 * h, with_loss);
            }
            sum * h / 3.0
        };
        simpson(true) / simpson(false)
    }

    #[test]
    fn conditional_shortfall_matches_numeric_integration_and_its_tail() {
        for (s, k, v) in [
            (85.5, 80.0, 0.42),
            (150.0, 80.0, 0.3),
            (50.0, 80.0, 0.3),
            (120.0, 80.0, 0.05),
        ] {
            let closed = conditional_shortfall(s, k, v);
            let num = numeric_conditional(s, k, v);
            assert!(
                (closed - num).abs() < prec::FINITE_DIFFERENCE * k,
                "s {s} k {k} v {v}: {closed} vs {num}"
            );
            // And it is the put over the default probability.
            let d2 = ((s / k).ln() - 0.5 * v * v) / v;
            let via_put = expected_shortfall(s, k, v) / norm_cdf(-d2);
            assert!((closed - via_put).abs() < prec::COMPOSED * k);
        }
        // Deep in the tail (d₂ ≈ 58) the asymptote takes over and stays small and positive.
        let deep = conditional_shortfall(100.0, 50.0, 0.012);
        assert!(deep > 0.0 && deep < 0.02 * 50.0, "{deep}");
    }

    #[test]
    fn collateral_triggered_default_has_a_positive_lgd_even_when_overcollateralized() {
        let mut x = input(Recourse::NonRecourse);
        x.collateral_value = 140.0;
        x.volatility = 0.8;
        x.liquidation_horizon_years = 1.0 / 365.0;
        let borrower = x.lgd().unwrap().lgd;
        x.trigger = DefaultTrigger::CollateralShortfall;
        let shortfall = x.lgd().unwrap().lgd;
        assert!(
            borrower < 1e-12 && shortfall > 1e-4 && shortfall < 0.2,
            "{borrower} {shortfall}"
        );
    }

    #[test]
    fn jump_mixture_matches_monte_carlo() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Poisson, StandardNormal};
        let jumps = JumpRisk {
            intensity_per_year: 2.0,
            mean_log_jump: -0.25,
            sd_log_jump: 0.10,
        };
        let mut x = input(Recourse::NonRecourse);
        x.collateral_value = 110.0;
        x.volatility = 0.5;
        x.liquidation_horizon_years = 0.25;
        x.jumps = Some(jumps);
        let uncond = x.lgd().unwrap().lgd;
        x.trigger = DefaultTrigger::CollateralShortfall;
        let cond = x.lgd().unwrap().lgd;
        let mut no_jumps = x;
        no_jumps.jumps = None;
        assert!(cond > no_jumps.lgd().unwrap().lgd);

        // Monte Carlo of the compensated jump-diffusion.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let (t, sig, lam) = (0.25, 0.5, 2.0);
        let kappa = (jumps.mean_log_jump + 0.5 * jumps.sd_log_jump.powi(2)).exp() - 1.0;
        let pois = Poisson::new(lam * t).unwrap();
        let s0 = 110.0 * 0.9 * 0.95;
        let n = 400_000;
        let (mut sum, mut sum2, mut hits, mut sum_hit) = (0.0, 0.0, 0usize, 0.0);
        for _ in 0..n {
            let k: f64 = pois.sample(&mut rng);
            let mut log = (-0.5 * sig * sig - lam * kappa) * t;
            let z: f64 = StandardNormal.sample(&mut rng);
            log += sig * t.sqrt() * z;
            for _ in 0..k as u32 {
                let zj: f64 = StandardNormal.sample(&mut rng);
                log += jumps.mean_log_jump + jumps.sd_log_jump * zj;
            }
            let loss = (80.0 - s0 * log.exp()).max(0.0) / 80.0;
            sum += loss;
            sum2 += loss * loss;
            if loss > 0.0 {
                hits += 1;
                sum_hit += loss;
            }
        }
        let mean = sum / n as f64;
        let se = ((sum2 / n as f64 - mean * mean) / n as f64).sqrt();
        assert!(
            prec::within_sigmas(mean, uncond, se, prec::MC_SIGMAS),
            "{mean} ± {se} vs {uncond}"
        );
        let cond_mc = sum_hit / hits as f64;
        // The conditional estimate is a ratio of two sums, whose standard error is not the
        // unconditional `se`: one percent of it on top covers the ratio's extra noise.
        const RATIO_SLACK: f64 = 0.01;
        assert!(
            (cond_mc - cond).abs() < RATIO_SLACK * cond + prec::MC_SIGMAS * se,
            "{cond_mc} vs {cond}"
        );
    }

    #[test]
    fn lgd_parts() {
        let nr = input(Recourse::NonRecourse).lgd().unwrap();
        let s = 100.0 * 0.9 * 0.95;
        let want = expected_shortfall(s, 80.0, 0.6 * 0.5f64.sqrt()) / 80.0;
        assert!((nr.lgd - want).abs() < prec::SPECIAL);
        assert!((nr.lgd - nr.collateral_lgd).abs() < prec::IDENTITY);
        assert!(nr.recourse_recovery.abs() < prec::IDENTITY);
        // Recourse lowers the LGD; the recovered amount is the difference in expected loss.
        let full = input(Recourse::Full { recoverable: 20.0 }).lgd().unwrap();
        assert!(full.lgd < nr.lgd);
        assert!((full.recourse_recovery - (nr.lgd - full.lgd) * 80.0).abs() < prec::ACCUMULATED);
        // Recourse that covers the whole EAD leaves nothing to lose.
        let all = input(Recourse::Full { recoverable: 1e9 }).lgd().unwrap();
        assert!(all.lgd.abs() < prec::IDENTITY);
    }

    #[test]
    fn unsecured_and_riskless_limits() {
        let mut unsecured = input(Recourse::NonRecourse);
        unsecured.collateral_value = 0.0;
        assert!((unsecured.lgd().unwrap().lgd - 1.0).abs() < prec::IDENTITY);
        let mut certain = input(Recourse::NonRecourse);
        certain.volatility = 0.0;
        // 85.5 net proceeds cover 80 for sure.
        assert!(certain.lgd().unwrap().lgd.abs() < prec::IDENTITY);
        certain.collateral_value = 50.0;
        let want = (80.0 - 50.0 * 0.9 * 0.95) / 80.0;
        assert!((certain.lgd().unwrap().lgd - want).abs() < prec::IDENTITY);
    }

    #[test]
    fn lgd_rises_with_volatility_and_horizon() {
        let mut x = input(Recourse::NonRecourse);
        let base = x.lgd().unwrap().lgd;
        x.volatility = 0.9;
        let more_vol = x.lgd().unwrap().lgd;
        x.liquidation_horizon_years = 1.0;
        let longer = x.lgd().unwrap().lgd;
        assert!(base < more_vol && more_vol < longer);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let mut x = input(Recourse::NonRecourse);
        x.haircut = 1.5;
        assert!(x.lgd().unwrap_err().to_string().contains("haircut"));
        let mut x = input(Recourse::NonRecourse);
        x.ead = 0.0;
        assert!(x.lgd().unwrap_err().to_string().contains("ead"));
    }
}

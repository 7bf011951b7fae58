//! Basel securitization capital per tranche (BCBS d374, "Revisions to the securitisation
//! framework", July 2016; chapters CRE40-CRE44 of the consolidated Basel Framework).
//!
//! Both approaches apply the simplified supervisory formula (SSFA) to the tranche
//! `[A, D)` given the capital charge `K` of the underlying pool:
//!
//! ```text
//! a = -1 / (p K),  u = D - K,  l = max(A - K, 0)
//! K_SSFA = (e^(a u) - e^(a l)) / (a (u - l))
//! ```
//!
//! and the risk weight is 1250% for a tranche detaching at or below `K`,
//! `max(12.5 K_SSFA, floor)` for a tranche attaching at or above `K`, and for a tranche
//! straddling `K` the weighted average
//! `(K - A)/(D - A) * 1250% + (D - K)/(D - A) * 1250% * K_SSFA(A = K)`.
//!
//! * SEC-SA (CRE41): `K = K_A = (1 - W) K_SA + 0.5 W` (`W` the delinquent share), `p = 1`
//!   (1.5 for a re-securitization); floor 15% (100% for a re-securitization).
//! * SEC-IRBA (CRE44): `K = K_IRB`,
//!   `p = max(0.3, A_p + B_p / N + C_p K_IRB + D_p LGD + E_p M_T)` with the supervisory
//!   parameters chosen by wholesale/retail pool and senior/non-senior tranche (and,
//!   wholesale, `N >= 25` granular or not); `M_T` floored at 1 and capped at 5 years;
//!   floor 15%.
//!
//! Sources read for every number here (the Basel text itself, CRE44 at bis.org, could only
//! be read up to CRE44.2; the paragraphs below are its transpositions, which agree with
//! each other):
//!
//! * EU CRR (Regulation 575/2013) Article 259(1): the SEC-IRBA formula, the three cases,
//!   the 15% floor and the A-E look-up table; Article 259(2): a mixed retail/wholesale pool
//!   takes the nominal-weighted average of the two sub-pools' `p`; Article 257(2): `M_T`
//!   floor 1 year, cap 5 years; Article 261(1)-(2): SEC-SA, `p = 1`, 15% floor,
//!   `W` and the adjustment for an unknown delinquency status of at most 5% of the pool;
//!   Article 269(1): re-securitization `p = 1.5`, `W = 0` for securitization tranches in
//!   the pool, floor 100% (EBA Interactive Single Rulebook; judict.eu consolidated text).
//! * SAMA Basel III rules 22.23-22.26 (SEC-IRBA formula, cases, 15% floor), 22.28 Table 33
//!   (the same A-E table), 19.16-19.18 (re-securitization under SEC-SA).
//! * South African Regulations relating to Banks, regulation 23(11)(m): the `p` formula
//!   with its 0.3 floor and the mixed-pool weighting.
//! * CBUAE Securitisation Standards guidance, paragraphs 33-39: a worked SEC-SA example
//!   (`K_SA` 9%, `W` 6%, 1% unknown, tranche 5-25%: `K_A` 0.1235, risk weight 954%),
//!   reproduced in the tests.

use crate::error::{PoolError, Result, check_positive, check_range};
use serde::{Deserialize, Serialize};

/// The 1250% risk weight (deduction-equivalent), as a multiple: 12.5.
pub const MAX_RISK_WEIGHT: f64 = 12.5;

/// The minimum total capital ratio, 8% of risk-weighted assets (Basel II, BCBS 128,
/// paragraph 40): the inverse of the 12.5 that turns a capital charge into a risk weight.
pub const MINIMUM_CAPITAL_RATIO: f64 = 1.0 / MAX_RISK_WEIGHT;

/// Capital for `amount` of exposure at risk weight `risk_weight` (1.0 = 100%): 8% of its
/// risk-weighted assets.
///
/// ```
/// use creditlab_pool::capital::capital_for;
/// assert!((capital_for(100.0, 0.35) - 2.8).abs() < 1e-12); // a 35% risk weight
/// ```
pub fn capital_for(amount: f64, risk_weight: f64) -> f64 {
    MINIMUM_CAPITAL_RATIO * risk_weight * amount
}

/// Risk-weight floor of a securitization exposure: 15%.
pub const SECURITIZATION_FLOOR: f64 = 0.15;

/// Risk-weight floor of a re-securitization exposure under SEC-SA: 100%.
pub const RESECURITIZATION_FLOOR: f64 = 1.0;

/// The SSFA capital charge per unit of a tranche `[attach, detach)` that lies above the
/// pool charge `k` (`attach >= k`), with supervisory parameter `p`.
///
/// For `attach < k` the formula is applied with `l = 0`, i.e. to the part above `k`; see
/// [`ssfa_risk_weight`] for the full risk weight.
pub fn ssfa_k(k: f64, attach: f64, detach: f64, p: f64) -> f64 {
    let a = -1.0 / (p * k);
    let u = detach - k;
    let l = (attach - k).max(0.0);
    ((a * u).exp() - (a * l).exp()) / (a * (u - l))
}

/// Risk weight (as a multiple, 1.0 = 100%) of a tranche under the SSFA with pool charge
/// `k`, parameter `p` and `floor`, per the three cases of d374 (below, straddling and above
/// `k`).
pub fn ssfa_risk_weight(k: f64, attach: f64, detach: f64, p: f64, floor: f64) -> Result<f64> {
    check_range("k", k, 0.0, 1.0)?;
    check_tranche(attach, detach)?;
    check_positive("p", p)?;
    check_range("floor", floor, 0.0, MAX_RISK_WEIGHT)?;
    if detach <= k {
        return Ok(MAX_RISK_WEIGHT);
    }
    if k == 0.0 {
        // a = -inf: K_SSFA -> 0; only the floor remains.
        return Ok(floor);
    }
    let rw = if attach >= k {
        MAX_RISK_WEIGHT * ssfa_k(k, attach, detach, p)
    } else {
        let w = (k - attach) / (detach - attach);
        w * MAX_RISK_WEIGHT + (1.0 - w) * MAX_RISK_WEIGHT * ssfa_k(k, k, detach, p)
    };
    Ok(rw.clamp(floor, MAX_RISK_WEIGHT))
}

/// SEC-SA pool charge `K_A = (1 - W) K_SA + 0.5 W`, `W` the share of delinquent or
/// defaulted underlying exposures (EU CRR Art. 261(2); CBUAE guidance para. 34).
pub fn sec_sa_ka(ksa: f64, w: f64) -> Result<f64> {
    check_range("ksa", ksa, 0.0, 1.0)?;
    check_range("w", w, 0.0, 1.0)?;
    Ok((1.0 - w) * ksa + 0.5 * w)
}

/// Largest share of the pool whose delinquency status may be unknown for SEC-SA: 5%
/// (EU CRR Art. 261(2)).
pub const MAX_UNKNOWN_DELINQUENCY: f64 = 0.05;

/// SEC-SA pool charge when the delinquency status of a share `unknown` of the pool is not
/// known: `K_A = (1 - unknown) K_A' + unknown`, `K_A'` = [`sec_sa_ka`] of the known part
/// (EU CRR Art. 261(2); CBUAE guidance para. 35: `0.99 * 0.1146 + 0.01`). Refused above
/// [`MAX_UNKNOWN_DELINQUENCY`], where the adjustment does not apply.
pub fn sec_sa_ka_with_unknown(ksa: f64, w: f64, unknown: f64) -> Result<f64> {
    check_range("unknown", unknown, 0.0, 1.0)?;
    if unknown > MAX_UNKNOWN_DELINQUENCY {
        return Err(PoolError::InvalidParameter {
            field: "unknown".into(),
            value: unknown,
            reason: "SEC-SA allows an unknown delinquency status for at most 5% of the pool",
        });
    }
    Ok((1.0 - unknown) * sec_sa_ka(ksa, w)? + unknown)
}

/// SEC-SA's supervisory parameter `p`: 1, or 1.5 for a re-securitization (EU CRR Art.
/// 261(1), 269(1)).
pub fn sec_sa_p(resecuritization: bool) -> f64 {
    if resecuritization { 1.5 } else { 1.0 }
}

/// SEC-SA risk weight of a tranche `[attach, detach)` over a pool with charge `ka`
/// (`p = 1`, floor 15%; a re-securitization: `p = 1.5`, floor 100%).
pub fn sec_sa_risk_weight(
    ka: f64,
    attach: f64,
    detach: f64,
    resecuritization: bool,
) -> Result<f64> {
    let floor = if resecuritization {
        RESECURITIZATION_FLOOR
    } else {
        SECURITIZATION_FLOOR
    };
    ssfa_risk_weight(ka, attach, detach, sec_sa_p(resecuritization), floor)
}

/// The kind of underlying pool for SEC-IRBA's supervisory parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IrbaPool {
    /// Wholesale (corporate, bank, sovereign) exposures.
    Wholesale,
    /// Retail exposures.
    Retail,
}

/// The supervisory parameters `(A, B, C, D, E)` of the SEC-IRBA `p`, as in the look-up
/// table of EU CRR Art. 259(1) and SAMA Basel III rules 22.28 Table 33 (checked number by
/// number against both; they transpose CRE44's table):
///
/// | pool, tranche                      |    A |    B |     C |    D |    E |
/// |------------------------------------|------|------|-------|------|------|
/// | wholesale senior, granular         | 0    | 3.56 | -1.85 | 0.55 | 0.07 |
/// | wholesale senior, non-granular     | 0.11 | 2.61 | -2.91 | 0.68 | 0.07 |
/// | wholesale non-senior, granular     | 0.16 | 2.87 | -1.03 | 0.21 | 0.07 |
/// | wholesale non-senior, non-granular | 0.22 | 2.35 | -2.46 | 0.48 | 0.07 |
/// | retail senior                      | 0    | 0    | -7.48 | 0.71 | 0.24 |
/// | retail non-senior                  | 0    | 0    | -5.78 | 0.55 | 0.27 |
///
/// Granular means an effective number of exposures `N >= 25` (wholesale only; the retail
/// rows do not depend on `N`).
pub fn sec_irba_parameters(pool: IrbaPool, senior: bool, n: f64) -> [f64; 5] {
    let granular = n >= 25.0;
    match (pool, senior, granular) {
        (IrbaPool::Wholesale, true, true) => [0.0, 3.56, -1.85, 0.55, 0.07],
        (IrbaPool::Wholesale, true, false) => [0.11, 2.61, -2.91, 0.68, 0.07],
        (IrbaPool::Wholesale, false, true) => [0.16, 2.87, -1.03, 0.21, 0.07],
        (IrbaPool::Wholesale, false, false) => [0.22, 2.35, -2.46, 0.48, 0.07],
        (IrbaPool::Retail, true, _) => [0.0, 0.0, -7.48, 0.71, 0.24],
        (IrbaPool::Retail, false, _) => [0.0, 0.0, -5.78, 0.55, 0.27],
    }
}

/// Inputs of SEC-IRBA for one tranche.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SecIrba {
    /// `K_IRB`, the IRB capital of the underlying pool per unit of exposure, in [0, 1].
    pub kirb: f64,
    /// Attachment point.
    pub attach: f64,
    /// Detachment point.
    pub detach: f64,
    /// Effective number of exposures `N = (sum EAD)^2 / sum EAD^2`, >= 1.
    pub n: f64,
    /// Exposure-weighted average LGD of the pool, in [0, 1].
    pub lgd: f64,
    /// Tranche maturity `M_T` in years (floored at 1 and capped at 5, EU CRR Art. 257(2)).
    pub maturity: f64,
    /// Wholesale or retail pool.
    pub pool: IrbaPool,
    /// Whether the tranche is senior.
    pub senior: bool,
}

impl SecIrba {
    /// The supervisory parameter `p = max(0.3, A + B/N + C K_IRB + D LGD + E M_T)`
    /// (EU CRR Art. 259(1); South African regulation 23(11)(m)(i)).
    pub fn p(&self) -> Result<f64> {
        self.check()?;
        let [a, b, c, d, e] = sec_irba_parameters(self.pool, self.senior, self.n);
        let mt = self.maturity.clamp(1.0, 5.0);
        Ok((a + b / self.n + c * self.kirb + d * self.lgd + e * mt).max(0.3))
    }

    /// The tranche's risk weight (as a multiple, 1.0 = 100%), floor 15%.
    pub fn risk_weight(&self) -> Result<f64> {
        let p = self.p()?;
        ssfa_risk_weight(self.kirb, self.attach, self.detach, p, SECURITIZATION_FLOOR)
    }

    fn check(&self) -> Result<()> {
        check_range("kirb", self.kirb, 0.0, 1.0)?;
        check_tranche(self.attach, self.detach)?;
        check_range("lgd", self.lgd, 0.0, 1.0)?;
        check_positive("maturity", self.maturity)?;
        if !(self.n.is_finite() && self.n >= 1.0) {
            return Err(PoolError::InvalidParameter {
                field: "n".into(),
                value: self.n,
                reason: "the effective number of exposures must be >= 1",
            });
        }
        Ok(())
    }
}

/// The `p` of a pool mixing retail and wholesale exposures: the average of each sub-pool's
/// `p` weighted by its nominal size, `parts` being `(nominal, p)` pairs (EU CRR
/// Art. 259(2); South African regulation 23(11)(m)(ii)). Each sub-pool's `p` comes from its
/// own `N`, `K_IRB` and `LGD` ([`SecIrba::p`]).
pub fn mixed_pool_p(parts: &[(f64, f64)]) -> Result<f64> {
    let mut total = 0.0;
    let mut weighted = 0.0;
    for (i, &(nominal, p)) in parts.iter().enumerate() {
        if !(nominal.is_finite() && nominal >= 0.0) {
            return Err(PoolError::InvalidParameter {
                field: format!("sub-pool {}: nominal", i + 1),
                value: nominal,
                reason: "must be finite and >= 0",
            });
        }
        check_positive(&format!("sub-pool {}: p", i + 1), p)?;
        total += nominal;
        weighted += nominal * p;
    }
    if total <= 0.0 {
        return Err(PoolError::InvalidParameter {
            field: "sub-pools: total nominal".into(),
            value: total,
            reason: "must be > 0",
        });
    }
    Ok(weighted / total)
}

fn check_tranche(attach: f64, detach: f64) -> Result<()> {
    check_range("attach", attach, 0.0, 1.0)?;
    check_range("detach", detach, 0.0, 1.0)?;
    if attach >= detach {
        return Err(PoolError::InvalidParameter {
            field: "attach".into(),
            value: attach,
            reason: "attachment must be below detachment",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn ssfa_by_hand() {
        // KA = 8%, tranche 10-20%, p = 1: a = -12.5, u = 0.12, l = 0.02,
        // K = (e^-1.5 - e^-0.25) / (-12.5 * 0.1) = 0.444536..., RW = 555.67%.
        let k = ((-1.5f64).exp() - (-0.25f64).exp()) / (-1.25);
        let rw = sec_sa_risk_weight(0.08, 0.10, 0.20, false).unwrap();
        assert!((rw - 12.5 * k).abs() <= prec::COMPOSED);
        assert!((rw - 5.556706).abs() <= prec::printed(6), "{rw}");
    }

    #[test]
    fn ssfa_cases_and_floors() {
        // Below KA: 1250%.
        assert_eq!(sec_sa_risk_weight(0.08, 0.0, 0.05, false).unwrap(), 12.5);
        assert_eq!(sec_sa_risk_weight(0.08, 0.0, 0.08, false).unwrap(), 12.5);
        // Very senior: the 15% floor (100% for a re-securitization).
        assert_eq!(sec_sa_risk_weight(0.08, 0.5, 1.0, false).unwrap(), 0.15);
        assert_eq!(sec_sa_risk_weight(0.08, 0.5, 1.0, true).unwrap(), 1.0);
        // Straddling KA = 8%: tranche 5-15%, weights 0.3 and 0.7.
        let above = ssfa_k(0.08, 0.08, 0.15, 1.0);
        let rw = sec_sa_risk_weight(0.08, 0.05, 0.15, false).unwrap();
        assert!((rw - (0.3 * 12.5 + 0.7 * 12.5 * above)).abs() <= prec::COMPOSED);
        // Re-securitization: p = 1.5 makes the same tranche riskier.
        let r1 = sec_sa_risk_weight(0.08, 0.1, 0.2, false).unwrap();
        let r2 = sec_sa_risk_weight(0.08, 0.1, 0.2, true).unwrap();
        assert!(r2 > r1);
        // Risk weight falls as attachment rises.
        let mut last = f64::INFINITY;
        for i in 0..20 {
            let a = 0.05 * f64::from(i);
            let rw = sec_sa_risk_weight(0.08, a, a + 0.05, false).unwrap();
            assert!(rw <= last + prec::COMPOSED);
            last = rw;
        }
        assert!(sec_sa_risk_weight(1.2, 0.1, 0.2, false).is_err());
        assert!(sec_sa_risk_weight(0.08, 0.3, 0.2, false).is_err());
        assert!((sec_sa_ka(0.08, 0.1).unwrap() - (0.9 * 0.08 + 0.05)).abs() <= prec::IDENTITY);
    }

    #[test]
    fn cbuae_worked_example() {
        // CBUAE guidance paras. 33-39: K_SA 9%, W 6% of the known part, status unknown for
        // 1%, tranche 5-25%, not a re-securitization: K_A' = 0.1146, K_A = 0.1235 (rounded
        // there), risk weight 954%.
        let ka1 = sec_sa_ka(0.09, 0.06).unwrap();
        assert!((ka1 - 0.1146).abs() <= prec::IDENTITY, "{ka1}");
        let ka = sec_sa_ka_with_unknown(0.09, 0.06, 0.01).unwrap();
        assert!((ka - 0.1235).abs() <= prec::printed(4), "{ka}");
        let rw = sec_sa_risk_weight(ka, 0.05, 0.25, false).unwrap();
        assert_eq!((100.0 * rw).round(), 954.0, "{rw}");
        assert!(sec_sa_ka_with_unknown(0.09, 0.06, 0.06).is_err());
        assert_eq!(sec_sa_ka_with_unknown(0.09, 0.06, 0.0).unwrap(), ka1);
    }

    #[test]
    fn parameter_table_rows() {
        // EU CRR Art. 259(1) / SAMA 22.28 Table 33, row by row.
        use IrbaPool::{Retail, Wholesale};
        assert_eq!(
            sec_irba_parameters(Wholesale, true, 25.0),
            [0.0, 3.56, -1.85, 0.55, 0.07]
        );
        assert_eq!(
            sec_irba_parameters(Wholesale, true, 24.9),
            [0.11, 2.61, -2.91, 0.68, 0.07]
        );
        assert_eq!(
            sec_irba_parameters(Wholesale, false, 25.0),
            [0.16, 2.87, -1.03, 0.21, 0.07]
        );
        assert_eq!(
            sec_irba_parameters(Wholesale, false, 3.0),
            [0.22, 2.35, -2.46, 0.48, 0.07]
        );
        assert_eq!(
            sec_irba_parameters(Retail, true, 3.0),
            [0.0, 0.0, -7.48, 0.71, 0.24]
        );
        assert_eq!(
            sec_irba_parameters(Retail, false, 900.0),
            [0.0, 0.0, -5.78, 0.55, 0.27]
        );
    }

    #[test]
    fn mixed_pool_p_is_the_nominal_weighted_average() {
        let p = mixed_pool_p(&[(300.0, 0.4), (100.0, 0.8)]).unwrap();
        assert!((p - 0.5).abs() <= prec::IDENTITY);
        assert!(mixed_pool_p(&[]).is_err());
        assert!(mixed_pool_p(&[(-1.0, 0.4)]).is_err());
        assert!(mixed_pool_p(&[(1.0, 0.0)]).is_err());
    }

    #[test]
    fn sec_irba_by_hand() {
        // Wholesale senior granular, N = 100, KIRB = 6%, LGD 45%, MT = 5:
        // p = 3.56/100 - 1.85*0.06 + 0.55*0.45 + 0.07*5 = 0.5221.
        let t = SecIrba {
            kirb: 0.06,
            attach: 0.10,
            detach: 1.0,
            n: 100.0,
            lgd: 0.45,
            maturity: 5.0,
            pool: IrbaPool::Wholesale,
            senior: true,
        };
        assert!((t.p().unwrap() - 0.5221).abs() <= prec::IDENTITY);
        let a: f64 = -1.0 / (0.5221 * 0.06);
        let k = ((a * 0.94).exp() - (a * 0.04).exp()) / (a * 0.9);
        let rw = t.risk_weight().unwrap();
        assert!((rw - (12.5 * k).max(0.15)).abs() <= prec::COMPOSED);
        // Retail non-senior, KIRB 10%, LGD 0.3, MT 3: p = -0.578 + 0.165 + 0.81 = 0.397.
        let r = SecIrba {
            kirb: 0.10,
            attach: 0.12,
            detach: 0.2,
            n: 1000.0,
            lgd: 0.3,
            maturity: 3.0,
            pool: IrbaPool::Retail,
            senior: false,
        };
        assert!((r.p().unwrap() - 0.397).abs() <= prec::IDENTITY);
        // p floored at 0.3: retail senior with a high KIRB and short maturity.
        let f = SecIrba {
            kirb: 0.2,
            lgd: 0.1,
            maturity: 1.0,
            senior: true,
            ..r
        };
        assert_eq!(f.p().unwrap(), 0.3);
        assert!(SecIrba { n: 0.5, ..r }.p().is_err());
    }
}

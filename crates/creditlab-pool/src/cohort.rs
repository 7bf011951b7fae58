//! Loan-level pools projected at pool level: loans that share coupon, term and
//! amortization are merged into one cohort, because creditlab-loan's projection (BMA
//! SMM/MDR applied to balances) is linear in the opening balance: the projection of a
//! cohort equals the sum of its loans' projections. The per-scenario cost of
//! [`cohort_scenarios`] therefore scales with the number of cohorts, not loans.

use crate::error::{PoolError, Result};
use crate::waterfall::PoolFlows;
use creditlab_contagion::Copula;
use creditlab_loan::{
    Amortization, Assumptions, CashFlows, Loan, LoanId, Prepayment, Rate, project_loan,
};

/// Loans merged by (current annual rate, term, amortization): one loan per cohort carrying
/// the cohort's total principal.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohorts {
    cohorts: Vec<Loan>,
    loans: usize,
}

impl Cohorts {
    /// Groups `loans` whose current rate (bit for bit), term and amortization agree, in
    /// order of first appearance. Errors on an empty list.
    pub fn new<'a>(loans: impl IntoIterator<Item = &'a Loan>) -> Result<Self> {
        let mut keys: Vec<(u64, u32, Amortization)> = Vec::new();
        let mut totals: Vec<f64> = Vec::new();
        let mut n = 0;
        for l in loans {
            n += 1;
            let key = (
                l.rate().current().to_bits(),
                l.term_months(),
                l.amortization(),
            );
            match keys.iter().position(|k| *k == key) {
                Some(i) => totals[i] += l.principal(),
                None => {
                    keys.push(key);
                    totals.push(l.principal());
                }
            }
        }
        if n == 0 {
            return Err(PoolError::InvalidParameter {
                field: "loans".into(),
                value: 0.0,
                reason: "need at least one loan",
            });
        }
        let cohorts = keys
            .iter()
            .zip(&totals)
            .enumerate()
            .map(|(i, (&(rate, term, amort), &principal))| {
                Loan::new(
                    LoanId(i as u64),
                    principal,
                    Rate::Fixed {
                        annual: f64::from_bits(rate),
                    },
                    term,
                    amort,
                    creditlab_loan::Channel::BankUnderwritten,
                    creditlab_loan::Recourse::Full,
                )
                .map_err(|e| PoolError::Loan(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { cohorts, loans: n })
    }

    /// Number of cohorts.
    pub fn len(&self) -> usize {
        self.cohorts.len()
    }

    /// Always false: a cohort list holds at least one loan.
    pub fn is_empty(&self) -> bool {
        self.cohorts.is_empty()
    }

    /// Number of loans merged.
    pub fn loans(&self) -> usize {
        self.loans
    }

    /// The pool's projection under `assumptions`: the sum of the cohorts' projections.
    pub fn project(&self, assumptions: &Assumptions) -> CashFlows {
        let mut cf = CashFlows::new();
        for c in &self.cohorts {
            cf.add(&project_loan(c, assumptions));
        }
        cf
    }
}

/// Scenarios of pool collections for a loan-level pool: as
/// [`copula_scenarios`](crate::waterfall::copula_scenarios) (scenario `s` draws the
/// systematic state of `copula` from the stream `(seed, s)` and projects at the pool's
/// conditional default rate, [`ScenarioRates`](crate::scenario::ScenarioRates)), but
/// projecting the cohorts of `cohorts`, scenarios in parallel (rayon). Each scenario
/// depends only on its own stream, so the result does not depend on the number of threads.
pub fn cohort_scenarios(
    cohorts: &Cohorts,
    prepayment: &Prepayment,
    cdr: f64,
    copula: &Copula,
    recovery_lag: u32,
    severity: f64,
    advancing: bool,
    scenarios: usize,
    seed: u64,
) -> Result<Vec<PoolFlows>> {
    crate::waterfall::scenario_flows(
        prepayment,
        (cdr, copula),
        (recovery_lag, severity, advancing),
        scenarios,
        seed,
        |a| cohorts.project(a),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_loan::DefaultRate;
    use creditlab_loan::{Channel, Recourse};
    use creditlab_numerics::prec;

    fn loans() -> Vec<Loan> {
        (0..200)
            .map(|i| {
                Loan::new(
                    LoanId(i),
                    50_000.0 + 1_000.0 * (i % 37) as f64,
                    Rate::Fixed {
                        annual: [0.05, 0.06, 0.07][(i % 3) as usize],
                    },
                    [180, 360][(i % 2) as usize],
                    Amortization::LevelPayment,
                    Channel::BankUnderwritten,
                    Recourse::Full,
                )
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn cohort_projection_equals_the_sum_of_loan_projections() {
        let loans = loans();
        let cohorts = Cohorts::new(&loans).unwrap();
        assert_eq!(cohorts.len(), 6);
        assert_eq!(cohorts.loans(), 200);
        let a =
            Assumptions::new(Prepayment::Cpr(0.08), DefaultRate::Cdr(0.03), 12, 0.4, true).unwrap();
        let mut by_loan = CashFlows::new();
        for l in &loans {
            by_loan.add(&project_loan(l, &a));
        }
        let by_cohort = cohorts.project(&a);
        assert_eq!(by_loan.months(), by_cohort.months());
        let scale = by_loan.opening_balance();
        assert!(
            (by_loan.opening_balance() - by_cohort.opening_balance()).abs()
                <= prec::ACCUMULATED * scale
        );
        for (x, y) in [
            (by_loan.balance(), by_cohort.balance()),
            (by_loan.interest(), by_cohort.interest()),
            (
                by_loan.scheduled_principal(),
                by_cohort.scheduled_principal(),
            ),
            (by_loan.prepayments(), by_cohort.prepayments()),
            (by_loan.defaults(), by_cohort.defaults()),
            (by_loan.recoveries(), by_cohort.recoveries()),
            (by_loan.losses(), by_cohort.losses()),
            (by_loan.advanced_interest(), by_cohort.advanced_interest()),
            (
                by_loan.foreclosure_balance(),
                by_cohort.foreclosure_balance(),
            ),
        ] {
            for (m, (a, b)) in x.iter().zip(y).enumerate() {
                assert!(
                    (a - b).abs() <= prec::ACCUMULATED * scale,
                    "month {m}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn scenarios_are_reproducible_and_independent_of_threads() {
        let cohorts = Cohorts::new(&loans()).unwrap();
        let run = || {
            cohort_scenarios(
                &cohorts,
                &Prepayment::Cpr(0.06),
                0.03,
                &Copula::gaussian(0.15).unwrap(),
                12,
                0.4,
                false,
                40,
                7,
            )
            .unwrap()
        };
        let all = run();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(run);
        assert_eq!(all, one);
        assert_eq!(all.len(), 40);
        let losses: Vec<f64> = all
            .iter()
            .map(|f| f.periods.iter().map(|p| p.losses).sum())
            .collect();
        assert!(losses.iter().any(|&l| l != losses[0]));
        assert!(Cohorts::new(&[]).is_err());
        assert!(
            cohort_scenarios(
                &cohorts,
                &Prepayment::Cpr(0.06),
                1.5,
                &Copula::gaussian(0.1).unwrap(),
                12,
                0.4,
                false,
                1,
                1
            )
            .is_err()
        );
    }
}

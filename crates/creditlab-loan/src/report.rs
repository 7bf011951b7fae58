//! A projection as a serializable result: what `cargo xtask cashflows --json` prints
//! (docs/schemas/cashflows-json.md), built here so that any caller writes the same JSON.
//!
//! The document's keys are in alphabetical order at every level, as serde_json writes a
//! map (the schema lists them by meaning; a reader looks them up by name).
//!
//! ```
//! use creditlab_loan::report::{CashFlowReport, CashFlowSource};
//! use creditlab_loan::{Assumptions, DefaultRate, Pool, Prepayment, project_pool};
//!
//! let pool = Pool::new(100_000_000.0, 0.08, 360)?;
//! let a = Assumptions::new(Prepayment::Smm(0.01), DefaultRate::Mdr(0.01), 12, 0.2, true)?;
//! let cf = project_pool(&pool, &a);
//! // The first year month by month; the totals still cover all 360 months.
//! let report = CashFlowReport::new(CashFlowSource::pool(&pool), &a, &cf, Some(12));
//! let json = report.to_json();
//! assert_eq!(json["month"].as_array().unwrap().len(), 12);
//! assert_eq!(json["months"], 360);
//! assert_eq!(json["source"]["pool"]["term_months"], 360);
//! assert_eq!(json["totals"]["defaults"].as_f64(), Some(cf.totals().defaults));
//! # Ok::<(), creditlab_loan::Error>(())
//! ```

use crate::cashflow::{Assumptions, CashFlowTotals, CashFlows, Pool};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// What was projected: a pool (its representative loan) or a loan tape.
#[derive(Debug, Clone, PartialEq)]
pub enum CashFlowSource {
    /// A pool summarised by a representative level-payment loan.
    Pool {
        /// Pool balance.
        balance: f64,
        /// Annual coupon.
        coupon: f64,
        /// Term in months.
        term_months: u32,
        /// The representative loan's level monthly payment.
        level_payment: f64,
    },
    /// A loan tape, every loan projected with the same assumptions and the flows summed.
    Tape {
        /// The tape's path as given.
        path: String,
        /// Loans read from it.
        loans: u64,
    },
}

impl CashFlowSource {
    /// The source describing `pool`.
    pub fn pool(pool: &Pool) -> Self {
        CashFlowSource::Pool {
            balance: pool.balance(),
            coupon: pool.coupon(),
            term_months: pool.term_months(),
            level_payment: pool.level_payment(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            CashFlowSource::Pool {
                balance,
                coupon,
                term_months,
                level_payment,
            } => json!({ "pool": {
                "balance": balance,
                "coupon": coupon,
                "term_months": term_months,
                "level_payment": level_payment,
            }}),
            CashFlowSource::Tape { path, loans } => {
                json!({ "tape": { "path": path, "loans": loans } })
            }
        }
    }
}

/// A projection with what produced it: the source, the assumptions, the monthly vectors of
/// the first `shown` months and the totals over every month.
#[derive(Debug, Clone, PartialEq)]
pub struct CashFlowReport {
    /// What was projected.
    pub source: CashFlowSource,
    /// The assumptions of the projection.
    pub assumptions: Assumptions,
    /// The flows, every month.
    pub cash_flows: CashFlows,
    /// Months included in the monthly vectors (at most the projection's length).
    pub shown: usize,
}

impl CashFlowReport {
    /// The report of `cash_flows`, with the monthly vectors cut to the first `months` months
    /// (`None`: all of them); totals always cover every month.
    pub fn new(
        source: CashFlowSource,
        assumptions: &Assumptions,
        cash_flows: &CashFlows,
        months: Option<usize>,
    ) -> Self {
        Self {
            source,
            assumptions: assumptions.clone(),
            shown: months.unwrap_or(usize::MAX).min(cash_flows.months()),
            cash_flows: cash_flows.clone(),
        }
    }

    /// Totals over every month.
    pub fn totals(&self) -> CashFlowTotals {
        self.cash_flows.totals()
    }

    /// The JSON document of docs/schemas/cashflows-json.md.
    pub fn to_json(&self) -> Value {
        let cf = &self.cash_flows;
        let shown = self.shown;
        let v = |x: &[f64]| Value::from(x[..shown].to_vec());
        let t = cf.totals();
        json!({
            "source": self.source.to_json(),
            "assumptions": &self.assumptions,
            "opening_balance": cf.opening_balance(),
            "months": cf.months(),
            "month": (1..=shown).collect::<Vec<_>>(),
            "balance": v(cf.balance()),
            "foreclosure_balance": v(cf.foreclosure_balance()),
            "scheduled_principal": v(cf.scheduled_principal()),
            "prepayments": v(cf.prepayments()),
            "defaults": v(cf.defaults()),
            "advanced_principal": v(cf.advanced_principal()),
            "recoveries": v(cf.recoveries()),
            "losses": v(cf.losses()),
            "interest": v(cf.interest()),
            "advanced_interest": v(cf.advanced_interest()),
            "total_cash": v(cf.total_cash()),
            "totals": {
                "scheduled_principal": t.scheduled_principal,
                "prepayments": t.prepayments,
                "defaults": t.defaults,
                "advanced_principal": t.advanced_principal,
                "recoveries": t.recoveries,
                "losses": t.losses,
                "interest": t.interest,
                "advanced_interest": t.advanced_interest,
                "total_cash": t.total_cash,
            },
        })
    }
}

/// Serializes as [`CashFlowReport::to_json`].
impl Serialize for CashFlowReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cashflow::{DefaultRate, Prepayment, project_pool};

    #[test]
    fn vectors_are_cut_totals_are_not() {
        let pool = Pool::new(1_000_000.0, 0.06, 120).unwrap();
        let a =
            Assumptions::new(Prepayment::Cpr(0.1), DefaultRate::Cdr(0.02), 6, 0.3, false).unwrap();
        let cf = project_pool(&pool, &a);
        let all = CashFlowReport::new(CashFlowSource::pool(&pool), &a, &cf, None).to_json();
        let cut = CashFlowReport::new(CashFlowSource::pool(&pool), &a, &cf, Some(3)).to_json();
        assert_eq!(all["month"].as_array().unwrap().len(), 120);
        assert_eq!(cut["balance"].as_array().unwrap().len(), 3);
        assert_eq!(cut["totals"], all["totals"]);
        assert_eq!(cut["balance"][2], all["balance"][2]);
        // More months asked for than projected: all of them.
        let long = CashFlowReport::new(CashFlowSource::pool(&pool), &a, &cf, Some(1000));
        assert_eq!(long.shown, 120);
        // The assumptions are written as they deserialize.
        let back: Assumptions = serde_json::from_value(all["assumptions"].clone()).unwrap();
        assert_eq!(back, a);
        let tape = CashFlowSource::Tape {
            path: "t.csv".into(),
            loans: 2,
        };
        let j = CashFlowReport::new(tape, &a, &cf, Some(1)).to_json();
        assert_eq!(j["source"]["tape"]["loans"], 2);
    }
}

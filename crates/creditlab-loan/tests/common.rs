//! Fixtures shared by the test modules: the BMA example pool and its "Cash Flow A"
//! assumptions, and a plain bank loan.

use creditlab_loan::{
    Amortization, Assumptions, Channel, DefaultRate, Loan, LoanId, Pool, Prepayment, Rate, Recourse,
};

/// The pool of the BMA standard-formula examples: $100,000,000 at 8% for 360 months.
pub fn bma_pool() -> Pool {
    Pool::new(100_000_000.0, 0.08, 360).unwrap()
}

/// BMA "Cash Flow A" (SF-23): 1% SMM, 1% MDR, 12-month recovery lag, 20% severity, principal
/// and interest advanced.
pub fn cash_flow_a_assumptions() -> Assumptions {
    Assumptions::new(Prepayment::Smm(0.01), DefaultRate::Mdr(0.01), 12, 0.2, true).unwrap()
}

/// A bank-underwritten, full-recourse loan with id 1.
pub fn bank_loan(
    principal: f64,
    rate: Rate,
    term: u32,
    amortization: Amortization,
) -> creditlab_loan::Result<Loan> {
    Loan::new(
        LoanId(1),
        principal,
        rate,
        term,
        amortization,
        Channel::BankUnderwritten,
        Recourse::Full,
    )
}

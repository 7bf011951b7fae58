//! Loans, borrowers, collateral and their monthly cash flows.
//!
//! - [`Loan`], [`Borrower`], [`Collateral`] and [`Book`]: the validated data model shared
//!   by the grading, pool and report crates.
//! - [`cashflow`]: monthly projection of a pool or a loan tape under prepayment (SMM, CPR,
//!   PSA), default (MDR, CDR, SDA), recovery-lag, severity and advancing assumptions, with
//!   the BMA/SIFMA standard-formula conventions (`docs/methodology/cashflows.md`).
//! - [`tape`]: streaming CSV and JSON Lines loan tapes (`docs/schemas/loan-tape.md`).
//! - [`synthetic`]: seeded bank and DeFi books (`docs/methodology/books.md`).

mod book;
mod borrower;
pub mod cashflow;
mod collateral;
mod error;
mod loan;
pub mod synthetic;
pub mod tape;

pub use book::{Book, LoanRecord};
pub use borrower::{Borrower, MAX_SCORE, MIN_SCORE};
pub use cashflow::{
    Assumptions, CashFlowTotals, CashFlows, DefaultRate, Pool, Prepayment, project_loan,
    project_pool, project_records,
};
pub use collateral::{Collateral, CollateralKind};
pub use error::{Error, Result};
pub use loan::{
    Amortization, Channel, Loan, LoanId, MAX_TERM_MONTHS, Rate, Recourse, level_payment,
};
pub use tape::{TapeFormat, TapeReader, TapeWriter, open_tape, save_tape, write_tape};

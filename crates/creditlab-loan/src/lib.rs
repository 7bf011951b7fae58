//! Loans, borrowers, collateral and their monthly cash flows.
//!
//! - [`Loan`], [`Borrower`], [`Collateral`] and [`Book`]: the validated data model shared
//!   by the grading, pool and report crates.
//! - [`cashflow`]: monthly projection of a pool or a loan tape under prepayment (SMM, CPR,
//!   PSA), default (MDR, CDR, SDA), recovery-lag, severity and advancing assumptions, with
//!   the BMA/SIFMA standard-formula conventions ([docs/methodology/cashflows.md](crate::methodology::cashflows)).
//! - [`tape`]: streaming CSV and JSON Lines loan tapes (`docs/schemas/loan-tape.md`).
//! - [`report`]: a projection as a serializable result (`docs/schemas/cashflows-json.md`).
//! - [`synthetic`]: seeded bank and DeFi books, the DeFi book on a list of collateral
//!   assets with Aave v3's parameters ([docs/methodology/books.md](crate::methodology::books)).
//! - [`housing`]: the house-price index, the realised 2006-2012 path, foreclosure, and the
//!   loss law of a defaulted mortgage with its severity and recourse recovery
//!   ([docs/methodology/housing.md](crate::methodology::housing)).
//!
//! ```
//! use creditlab_loan::{Assumptions, DefaultRate, Pool, Prepayment, project_pool};
//!
//! // BMA "Cash Flow A": $100m at 8% for 30 years, 1% SMM, 1% MDR, 12-month lag,
//! // 20% severity, servicer advancing.
//! let pool = Pool::new(100_000_000.0, 0.08, 360)?;
//! let a = Assumptions::new(Prepayment::Smm(0.01), DefaultRate::Mdr(0.01), 12, 0.2, true)?;
//! let cf = project_pool(&pool, &a);
//! assert_eq!(cf.balance()[0].round(), 97_934_244.0);
//! assert_eq!(cf.recoveries()[12].round(), 791_646.0);
//! // Every dollar of principal is paid, prepaid or defaulted, to the cent.
//! let t = cf.totals();
//! assert!((t.scheduled_principal + t.prepayments + t.defaults - 1.0e8).abs() < 0.005);
//! # Ok::<(), creditlab_loan::Error>(())
//! ```

mod book;
mod borrower;
pub mod cashflow;
mod collateral;
pub mod columnar;
mod error;
pub mod housing;
mod loan;
pub mod methodology;
pub mod report;
pub mod synthetic;
pub mod tape;

pub use book::{Book, LoanRecord};
pub use borrower::{Borrower, MAX_SCORE, MIN_SCORE};
pub use cashflow::{
    Assumptions, CashFlowTotals, CashFlows, DefaultRate, Pool, Prepayment, project_loan,
    project_pool, project_records,
};
pub use collateral::{AssetSymbol, Collateral, CollateralKind, MAX_ASSET_SYMBOL_LEN};
pub use error::{Error, Result};
pub use loan::{
    Amortization, Channel, Loan, LoanId, MAX_PRINCIPAL, MAX_TERM_MONTHS, Rate, Recourse,
    level_payment,
};
pub use report::{CashFlowReport, CashFlowSource};
pub use tape::{
    ArrowTapeReader, TapeFormat, TapeReader, TapeWriter, open_tape, save_tape, write_tape,
};

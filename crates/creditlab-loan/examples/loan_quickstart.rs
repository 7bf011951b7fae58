//! A first program on creditlab-loan, using only its public API: a pool projected month by
//! month under BMA conventions, and a synthetic book written to a tape and read back. Run
//! it with `cargo run -p creditlab-loan --example loan_quickstart`; `cargo test` runs it too.

use creditlab_loan::synthetic::{BookSpec, bank_book};
use creditlab_loan::{
    Assumptions, DefaultRate, Pool, Prepayment, TapeFormat, TapeReader, project_pool, write_tape,
};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_loan::Error> {
    // BMA "Cash Flow A": $100m at 8% for 30 years, 1% SMM, 1% MDR, 12-month recovery lag,
    // 20% severity, servicer advancing.
    let pool = Pool::new(100_000_000.0, 0.08, 360)?;
    let a = Assumptions::new(Prepayment::Smm(0.01), DefaultRate::Mdr(0.01), 12, 0.2, true)?;
    let cf = project_pool(&pool, &a);
    let t = cf.totals();
    println!(
        "principal {:.0}, prepaid {:.0}, defaulted {:.0}, lost {:.0}",
        t.scheduled_principal, t.prepayments, t.defaults, t.losses
    );
    // A synthetic bank book, through a CSV tape and back: the same records.
    let book = bank_book(&BookSpec {
        loans: 100,
        total_principal: None,
        seed: 1,
    })?;
    let csv = write_tape(Vec::new(), TapeFormat::Csv, book.records())?;
    let back = TapeReader::new(csv.as_slice(), TapeFormat::Csv)?.collect::<Result<Vec<_>, _>>()?;
    assert_eq!(back, book.records());
    println!("{} loans, {} bytes of tape", back.len(), csv.len());
    Ok(())
}

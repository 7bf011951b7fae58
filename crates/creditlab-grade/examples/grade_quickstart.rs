//! A first program on creditlab-grade, using only its public API: Basel IRB capital of one
//! exposure, and the grade of an anonymous, well-collateralized borrower. Run it with
//! `cargo run -p creditlab-grade --example grade_quickstart`; `cargo test` runs it too.

use creditlab_grade::irb::{self, AssetClass};
use creditlab_grade::{MasterScale, Observation, Scorecard};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_grade::GradeError> {
    // Basel II Annex 5: corporate, PD 1%, LGD 45%, maturity 2.5 years.
    let c = irb::capital(AssetClass::Corporate, 0.01, 0.45, 2.5)?;
    println!("risk weight {:.2}%", 100.0 * c.risk_weight);
    // Good collateral, nothing known about the borrower: a wide posterior, a low grade.
    let anonymous = Observation {
        ltv: Some(0.5),
        collateral_volatility: Some(0.1),
        haircut: Some(0.1),
        ..Observation::default()
    };
    let pd = Scorecard::default().assess(&anonymous, 1.0)?;
    let grade = MasterScale::standard().grade(pd.pd_conservative)?;
    println!(
        "PD {:.2}% (conservative {:.2}%): grade {grade:?}",
        100.0 * pd.pd,
        100.0 * pd.pd_conservative
    );
    Ok(())
}

//! A first program on creditlab-study, using only its public API: the quick study, its
//! verdict, and its report written to a temporary folder. Run it with
//! `cargo run -p creditlab-study --example study_quickstart`; `cargo test` runs it too.

use creditlab_study::{Scenario, Study, progress::Silent};

/// The program; `pub` so that the crate's tests run it.
pub fn main() -> Result<(), creditlab_study::StudyError> {
    let mut scenario = Scenario::builtin()?;
    scenario.quicken(); // 500 loans per book, 200 DeFi paths
    let study = Study::run(&scenario, &Silent)?;
    for claim in &study.verdict.claims {
        println!("claim {}: {}", claim.number, claim.judgement().as_str());
    }
    let out = std::env::temp_dir().join(format!("creditlab-quickstart-{}", std::process::id()));
    study.write(&out)?;
    println!("report: {}", out.join("report.html").display());
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

//! Claims 3 and 4 on real borrowers: the German Credit data (UCI Statlog, 1,000 borrowers;
//! data/README.md) graded by creditlab-grade's scorecard workflow with all four factor
//! groups, without the credit history, and with only what an anonymous lender sees, on the
//! same seeded folds (docs/methodology/scorecard.md). Compiled in, so the study runs from any
//! folder.

use creditlab_grade::woe_card::{self, CardOptions, FactorComparison, Mapping, Tape};
use serde::Serialize;

/// The vendored tape.
pub const GERMAN_CREDIT: &str = include_str!("../../../data/german_credit.csv");
/// Its mapping, with the factor groups issue 21 fixes.
pub const GERMAN_CREDIT_MAPPING: &str = include_str!("../../../scenarios/german-credit.toml");

/// The three factor sets compared, by the names the grading crate gives them.
pub const ALL_FOUR: &str = "all_four_groups";
/// The set without the credit-history group.
pub const WITHOUT_HISTORY: &str = "without_credit_history";
/// What an anonymous lender sees: the loan's terms and the collateral.
pub const ANONYMOUS: &str = "anonymous_lender";

/// The real-data comparison and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct RealBorrowers {
    /// The data, in words, with its licence.
    pub data: String,
    /// The population bad rate the PDs were corrected to, and its source (an assumption).
    pub prior_source: String,
    /// The cross-validated factor sets and their DeLong tests.
    pub comparison: FactorComparison,
}

impl RealBorrowers {
    /// A factor set's result by name.
    pub fn set(&self, name: &str) -> Option<&woe_card::FactorSetResult> {
        self.comparison.sets.iter().find(|s| s.name == name)
    }

    /// The DeLong test of `AUC(a) - AUC(b)`.
    pub fn difference(
        &self,
        a: &str,
        b: &str,
    ) -> Option<&creditlab_grade::validation::AucDifference> {
        self.comparison
            .differences
            .iter()
            .find(|d| d.a == a && d.b == b)
            .map(|d| &d.test)
    }
}

/// Runs the comparison on the German Credit data, its folds drawn from `seed`.
pub fn study(seed: u64) -> Result<RealBorrowers, crate::StudyError> {
    let mapping = Mapping::from_toml(GERMAN_CREDIT_MAPPING, "scenarios/german-credit.toml")?;
    let tape = Tape::from_csv(GERMAN_CREDIT.as_bytes(), "data/german_credit.csv", &mapping)?;
    let options = CardOptions {
        seed,
        ..CardOptions::default()
    };
    let comparison = woe_card::compare_factor_sets(
        &tape,
        &mapping.factor_sets(),
        mapping.population_bad_rate,
        &options,
    )?;
    Ok(RealBorrowers {
        data: "1,000 borrowers of the German Credit data (UCI Statlog; Hofmann 1994; CC BY \
               4.0; 300 bad, oversampled; Groemping's 2019 corrected labels)"
            .into(),
        prior_source: mapping
            .prior_source
            .clone()
            .unwrap_or_else(|| "not given".into()),
        comparison,
    })
}

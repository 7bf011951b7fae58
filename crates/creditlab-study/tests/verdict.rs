//! The verdict on whole scenarios: the default and the counter-scenario in which DeFi is
//! the safer lender (issue 14), and the flip-point search, at sizes the suite can afford.

use creditlab_study::progress::Silent;
use creditlab_study::rules::Judgement;
use creditlab_study::{Scenario, Study};

/// A scenario at the quick size with `paths` paths of the DeFi year (the quick size's 200
/// leave a 99.9% figure on no tail path at all).
fn quick(text: &str, origin: &str, paths: u64) -> Scenario {
    let mut s = Scenario::parse(text, origin).unwrap();
    s.quicken();
    s.defi_pool.paths = paths;
    s.check().unwrap();
    s
}

fn judgements(s: &Scenario) -> Vec<Judgement> {
    let study = Study::run_stages(s, &Silent).unwrap();
    study.verdict.claims.iter().map(|c| c.judgement()).collect()
}

/// On scenarios/defi-safer.toml (deep markets, ample liquidators, less correlated assets,
/// nobody running, against a leveraged bank with a thin first loss) the numbers contradict
/// the essay's DeFi claims 5 to 8, and the verdict says so.
#[test]
fn the_counter_scenario_turns_the_defi_claims_against_the_essay() {
    let s = quick(
        include_str!("../../../scenarios/defi-safer.toml"),
        "defi-safer.toml",
        2_000,
    );
    assert_eq!(s.defi_pool.runs.run_prone_share, 0.0, "nobody runs");
    let j = judgements(&s);
    for claim in [5, 6, 7, 8] {
        assert_eq!(
            j[claim - 1],
            Judgement::NotSupported,
            "claim {claim}: {j:?}"
        );
    }
}

/// On the default scenario at the same size the essay's side wins some claims: the two
/// scenarios' verdicts differ because the numbers do, not because the rules are one-sided.
#[test]
fn the_default_scenario_supports_claims_the_counter_scenario_rejects() {
    let s = quick(
        include_str!("../../../scenarios/default.toml"),
        "default.toml",
        2_000,
    );
    let j = judgements(&s);
    // Claim 1: the securitizer lends more, on worse loans (docs/methodology/originate.md).
    assert_eq!(j[0], Judgement::Partly, "claim 1: {j:?}");
    assert_eq!(j[5], Judgement::Supported, "claim 6: {j:?}");
}

/// The flip-point search runs every claim's sweep, includes the scenario's own value, and
/// finds the change of claim 1 along the applications a quarter: with no more applications
/// than the holding bank can fund, selling the loans does not make the bank lend more.
#[test]
fn the_flip_search_finds_where_claim_1_changes() {
    let mut s = quick(
        include_str!("../../../scenarios/default.toml"),
        "default.toml",
        200,
    );
    s.flips.loans = 200;
    s.flips.paths = 200;
    let flips = creditlab_study::flips::search(&s, &Silent).unwrap();
    assert_eq!(flips.len(), 8);
    for f in &flips {
        assert!(
            f.points.iter().any(|(v, _)| *v == f.value) || !f.not_judged.is_empty(),
            "{} swept without the scenario's own value",
            f.parameter
        );
    }
    let demand = &flips[0];
    assert_eq!(demand.parameter, "originate.loans.demand");
    let changes = demand.changes();
    assert!(
        changes
            .iter()
            .any(|c| c.1 == Judgement::NotSupported && c.3 == Judgement::Partly),
        "{}",
        demand.sentence(Judgement::Partly)
    );
    // The sentence cites the values it names.
    let (a, _, b, _) = changes[0];
    let text = demand.sentence(Judgement::Partly);
    assert!(
        text.contains(&format!("{a:.2}")) || text.contains(&format!("{a}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{b:.2}")) || text.contains(&format!("{b}")),
        "{text}"
    );
}

//! A small soak in the normal test suite: two quick studies on random valid perturbations
//! of the default scenario, the first also on 1, 2 and 7 threads; `cargo xtask soak` runs
//! 100 (docs/RELIABILITY.md).

use creditlab_study::soak::{Soak, THREAD_COUNTS, check_outputs};

#[test]
fn two_perturbed_quick_studies_pass_and_match_on_every_thread_count() {
    let spec = Soak {
        runs: 2,
        seed: 7,
        thread_sample: 2,
    };
    let mut lines = Vec::new();
    let summary = spec
        .run(&mut |l| lines.push(l.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.runs, summary.thread_checked), (2, 1));
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains("identical on 1, 2 and 7 threads"),
        "{lines:?}"
    );
    assert_eq!(THREAD_COUNTS, [1, 2, 7]);
    // The perturbations do move keys: most of them, in each run.
    assert!(summary.moved > summary.keys, "{summary}");
}

#[test]
fn output_checks_catch_non_finite_numbers_and_schema_violations() {
    let schema: serde_json::Value =
        serde_json::from_str(creditlab_study::soak::REPORT_SCHEMA).unwrap();
    let files = vec![
        (
            "report.json".to_string(),
            "{\"schema_version\": 2}".to_string(),
        ),
        ("tables/x.csv".to_string(), "a,b\n1,NaN\n".to_string()),
        ("report.md".to_string(), "loss inf at 99.9%".to_string()),
    ];
    let problems = check_outputs(&files, &schema);
    assert!(
        problems.iter().any(|p| p.contains("x.csv contains NaN")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("report.md contains inf")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("missing required key")),
        "{problems:?}"
    );
    // Words that merely contain the letters are not numbers.
    let fine = vec![(
        "report.md".to_string(),
        "information, infinite, nano".to_string(),
    )];
    assert!(check_outputs(&fine, &schema).is_empty());
}

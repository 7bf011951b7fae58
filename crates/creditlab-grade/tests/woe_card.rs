//! The workflow's pieces on simulated tapes: fit recovery, the saturated identity, the
//! prior correction, points, stepwise selection, splits, and errors that name their place.

use creditlab_grade::GradeError;
use creditlab_grade::binning::BinningOptions;
use creditlab_grade::validation::delong;
use creditlab_grade::woe_card::{
    CardOptions, Mapping, PointsScale, Selection, Tape, fit_on, fold_of_rows, train_test_split,
};
use creditlab_numerics::prec;
use creditlab_numerics::rng;
use creditlab_numerics::special::{logistic, logit};
use rand::RngExt;

const MAPPING: &str = r#"
[outcome]
column = "default"
bad = "1"

[prior]
population_bad_rate = 0.02

[columns]
a = { kind = "categorical", group = "credit_history" }
b = { kind = "numeric", group = "cash_flow" }
noise = { kind = "numeric", group = "collateral" }
"#;

/// Effects of category a0..a3 on the logit, and the slope of b.
const A_EFFECT: [f64; 4] = [-1.0, -0.3, 0.2, 1.1];
const B_SLOPE: f64 = 0.8;
const INTERCEPT: f64 = -1.0;

/// A tape with a known logistic truth; returns the CSV text and each row's true PD.
fn simulated(n: usize, seed: u64) -> (String, Vec<f64>) {
    let mut r = rng::stream(seed, 0);
    let mut csv = String::from("id,a,b,noise,default\n");
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        let k = r.random_range(0..4usize);
        let b: f64 = r.random::<f64>() * 4.0 - 2.0;
        let noise: f64 = r.random::<f64>();
        let p = logistic(INTERCEPT + A_EFFECT[k] + B_SLOPE * b);
        let y = r.random::<f64>() < p;
        truth.push(p);
        csv.push_str(&format!("{i},a{k},{b:.4},{noise:.4},{}\n", u8::from(y)));
    }
    (csv, truth)
}

fn tape(n: usize, seed: u64) -> (Mapping, Tape, Vec<f64>) {
    let mapping = Mapping::from_toml(MAPPING, "sim.toml").unwrap();
    let (csv, truth) = simulated(n, seed);
    let tape = Tape::from_csv(csv.as_bytes(), "sim.csv", &mapping).unwrap();
    (mapping, tape, truth)
}

#[test]
fn one_variable_alone_is_saturated_slope_minus_one_intercept_the_sample_log_odds() {
    // logit p_k = ln(b_k / g_k) = ln(B / G) − WoE_k: the ML fit is exactly β = −1.
    let (_, tape, _) = tape(4000, 3);
    let rows: Vec<usize> = (0..tape.len()).collect();
    let options = CardOptions {
        binning: BinningOptions::raw(),
        ..CardOptions::default()
    };
    let card = fit_on(&tape, &["a".to_string()], &rows, None, &options).unwrap();
    let bads = tape.bad.iter().filter(|&&b| b).count() as f64;
    let goods = tape.len() as f64 - bads;
    // Converged Newton on a saturated model.
    assert!((card.coefficients[1].estimate + 1.0).abs() < prec::CONVERGED);
    assert!((card.coefficients[0].estimate - (bads / goods).ln()).abs() < prec::CONVERGED);
}

#[test]
fn the_card_recovers_the_ranking_of_the_true_pds_out_of_sample() {
    let (_, tape, truth) = tape(20_000, 5);
    let options = CardOptions::default();
    let (train, test) = train_test_split(&tape, 0.5, 9);
    let vars = ["a".to_string(), "b".to_string()];
    let card = fit_on(&tape, &vars, &train, None, &options).unwrap();
    // Both slopes on the WoE are near −1: WoE is the log odds the variable carries.
    for c in &card.coefficients[1..] {
        assert!(
            c.estimate < -0.7 && c.estimate > -1.3,
            "{}: {}",
            c.name,
            c.estimate
        );
    }
    let fitted = card.pd_sample(&tape, &test).unwrap();
    let true_pd: Vec<f64> = test.iter().map(|&i| truth[i]).collect();
    let y: Vec<bool> = test.iter().map(|&i| tape.bad[i]).collect();
    let d = delong(&[&fitted, &true_pd], &y).unwrap();
    let t = d.difference(0, 1);
    // The binned card cannot beat the truth by more than chance, nor fall far behind it.
    assert!(
        t.difference.abs() < prec::MC_SIGMAS * t.std_error + 0.01,
        "{t:?}"
    );
}

#[test]
fn prior_correction_and_points_follow_their_formulas() {
    let (mapping, tape, _) = tape(5000, 11);
    let rows: Vec<usize> = (0..tape.len()).collect();
    let options = CardOptions::default();
    let vars = ["a".to_string(), "b".to_string()];
    let card = fit_on(&tape, &vars, &rows, mapping.population_bad_rate, &options).unwrap();
    let rho = card.sample_bad_rate;
    let shift = logit(0.02) - logit(rho);
    assert!(
        (card.intercept_population - card.coefficients[0].estimate - shift).abs() < prec::IDENTITY
    );
    let ps = card.pd_sample(&tape, &rows[..50]).unwrap();
    let pp = card.pd_population(&tape, &rows[..50]).unwrap();
    for (s, p) in ps.iter().zip(&pp) {
        // Same linear predictor, shifted: logit p = logit s + shift.
        assert!((logit(*p) - logit(*s) - shift).abs() < prec::ACCUMULATED);
    }
    // 600 at 50:1, 20 PDO: a PD of 1/51 scores 600, doubling the odds adds 20.
    let s = PointsScale::default();
    assert!((s.score(1.0 / 51.0) - 600.0).abs() < prec::COMPOSED);
    assert!((s.score(1.0 / 101.0) - 620.0).abs() < prec::COMPOSED);
    // A card's score is its base points plus the points of the row's bins.
    let scores = card.scores(&tape, &rows[..20]).unwrap();
    for (r, score) in scores.iter().enumerate() {
        let mut total = card.base_points;
        for (v, p) in card.variables.iter().zip(&card.points) {
            let col = tape.column(&v.name).unwrap();
            total += p.bins[v.bin_index(col.value(r)).unwrap()].points;
        }
        assert!(
            (total - score).abs() < prec::ACCUMULATED,
            "{total} vs {score}"
        );
    }
}

#[test]
fn forward_selection_keeps_the_signal_and_drops_the_noise() {
    let (_, tape, _) = tape(6000, 13);
    let rows: Vec<usize> = (0..tape.len()).collect();
    let options = CardOptions {
        selection: Selection::Forward { p_enter: 0.01 },
        ..CardOptions::default()
    };
    let vars = ["a".to_string(), "b".to_string(), "noise".to_string()];
    let card = fit_on(&tape, &vars, &rows, None, &options).unwrap();
    let chosen: Vec<&str> = card
        .selection_steps
        .iter()
        .map(|s| s.variable.as_str())
        .collect();
    assert_eq!(chosen.len(), 2, "{chosen:?}");
    assert!(chosen.contains(&"a") && chosen.contains(&"b"));
    assert!(card.left_out.contains(&"noise".to_string()));
    assert!(card.selection_steps.iter().all(|s| s.p_value < 0.01));
}

#[test]
fn splits_are_stratified_seeded_and_partition_the_rows() {
    let (_, tape, _) = tape(1000, 17);
    let (train, test) = train_test_split(&tape, 0.3, 4);
    assert_eq!(train.len() + test.len(), 1000);
    assert!(train.iter().all(|i| test.binary_search(i).is_err()));
    assert_eq!(
        (train.clone(), test.clone()),
        train_test_split(&tape, 0.3, 4)
    );
    assert_ne!(test, train_test_split(&tape, 0.3, 5).1);
    let bads = tape.bad.iter().filter(|&&b| b).count();
    let test_bads = test.iter().filter(|&&i| tape.bad[i]).count();
    assert_eq!(test_bads, (0.3 * bads as f64).round() as usize);
    let fold = fold_of_rows(&tape, 5, 4);
    for f in 0..5 {
        let in_f = fold.iter().filter(|&&k| k == f).count();
        assert!(in_f == 200, "fold {f}: {in_f}");
        let bads_f = (0..1000).filter(|&i| fold[i] == f && tape.bad[i]).count();
        assert!(bads_f.abs_diff(bads / 5) <= 1);
    }
}

#[test]
fn tape_errors_name_file_line_column_and_reason() {
    let mapping = Mapping::from_toml(MAPPING, "sim.toml").unwrap();
    let read = |csv: &str| Tape::from_csv(csv.as_bytes(), "t.csv", &mapping).unwrap_err();
    let e = read("a,b,noise,default\na0,1.5,0.1,1\na1,lots,0.2,0\n");
    assert!(
        matches!(&e, GradeError::Tape { line: 3, column, .. } if column == "b"),
        "{e}"
    );
    assert!(e.to_string().contains("t.csv line 3, column `b`"), "{e}");
    assert!(
        e.to_string().contains("`lots` is not a finite number"),
        "{e}"
    );
    let e = read("a,b,default\na0,1,1\n");
    assert_eq!(e.field(), Some("noise"));
    let e = read("a,b,noise,default\na0,1,0.1,\n");
    assert!(
        matches!(&e, GradeError::Tape { line: 2, column, .. } if column == "default"),
        "{e}"
    );
    let e = read("a,b,noise,default\na0,1,0.1,0\na0,1,0.1\n");
    assert!(
        matches!(&e, GradeError::Tape { line: 3, column, .. } if column == "row"),
        "{e}"
    );
    let e = read("a,b,noise,default\na0,1,0.1,0\n");
    assert!(e.to_string().contains("both classes"), "{e}");
}

#[test]
fn mapping_errors_name_file_line_and_key() {
    let bad_kind = MAPPING.replace(r#"b = { kind = "numeric""#, r#"b = { kind = "number""#);
    let e = Mapping::from_toml(&bad_kind, "m.toml").unwrap_err();
    assert!(
        matches!(&e, GradeError::Mapping { line: 11, key, .. } if key == "columns.b.kind"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("mapping m.toml line 11, key `columns.b.kind`"),
        "{e}"
    );
    let bad_group = MAPPING.replace("group = \"cash_flow\"", "group = \"income\"");
    let e = Mapping::from_toml(&bad_group, "m.toml").unwrap_err();
    assert_eq!(e.field(), Some("columns.b.group"));
    let bad_prior = MAPPING.replace("0.02", "1.5");
    let e = Mapping::from_toml(&bad_prior, "m.toml").unwrap_err();
    assert!(matches!(&e, GradeError::Mapping { line: 7, .. }), "{e}");
    let e = Mapping::from_toml(
        "[outcome]\ncolumn = \"y\"\nbad = \"1\"\ncolour = 3\n",
        "m.toml",
    )
    .unwrap_err();
    assert!(matches!(&e, GradeError::Mapping { line: 4, .. }), "{e}");
    let terms = format!("{MAPPING}\n[anonymous]\nloan_terms = [\"amount\"]\n");
    let e = Mapping::from_toml(&terms, "m.toml").unwrap_err();
    assert_eq!(e.field(), Some("anonymous.loan_terms"));
}

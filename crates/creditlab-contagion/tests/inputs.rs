//! The inputs and reports the core owns: the portfolio CSV reader, the network file spec,
//! the loss request and its report.

use crate::fixtures::{tmp_file, tranches};
use creditlab_contagion::clearing::{ClearingNetwork, NetworkSpec};
use creditlab_contagion::io::read_portfolio;
use creditlab_contagion::mc::MonteCarlo;
use creditlab_contagion::{
    Copula, Error, ExactConfig, ExactLoss, Exposure, Lgd, LossDistribution, LossMethod,
    LossRequest, Portfolio,
};
use creditlab_contagion::{Scenarios, Seed};

/// The error of reading `text` as a portfolio file, as text.
fn portfolio_error(name: &str, text: &str) -> String {
    read_portfolio(&tmp_file(name, text))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_portfolio_file_reads_as_the_exposures_it_lists() {
    let text = "EAD, pd, lgd, lgd_sd, sector, f1, f2\n\
                1, 0.01, 0.4, 0.1, 1, 0.3, 0.2\n\
                2.5, 0.02, 0.45, 0, 0, 0.1, 0.5\n";
    let read = read_portfolio(&tmp_file("ok.csv", text)).unwrap();
    let mut a = Exposure::new(
        1.0,
        0.01,
        Lgd::Beta {
            mean: 0.4,
            std_dev: 0.1,
        },
    );
    a.sector = 1;
    a.loadings = Some(vec![0.3, 0.2]);
    let mut b = Exposure::new(2.5, 0.02, Lgd::Constant(0.45));
    b.loadings = Some(vec![0.1, 0.5]);
    assert_eq!(read, Portfolio::new([a, b]).unwrap());
}

#[test]
fn portfolio_file_errors_name_the_line_and_column() {
    let e = portfolio_error("abc.csv", "ead,pd,lgd\n1,0.01,0.4\n2,abc,0.4\n");
    assert!(
        e.contains("line 3") && e.contains("column pd") && e.contains("abc"),
        "{e}"
    );
    let e = portfolio_error("range.csv", "ead,pd,lgd\n1,0.01,1.4\n");
    assert!(e.contains("line 2") && e.contains("column lgd"), "{e}");
    let e = portfolio_error("neg.csv", "ead,pd,lgd\n1,0.01,0.4\n-3,0.01,0.4\n");
    assert!(e.contains("line 3") && e.contains("column ead"), "{e}");
    let e = portfolio_error("sector.csv", "ead,pd,lgd,sector\n1,0.01,0.4,-1\n");
    assert!(e.contains("line 2") && e.contains("column sector"), "{e}");
    let e = portfolio_error("nolgd.csv", "ead,pd\n1,0.01\n");
    assert!(e.contains("line 1") && e.contains("\"lgd\""), "{e}");
    // A row that is fine cell by cell but not as an exposure: an infeasible Beta LGD.
    let e = portfolio_error(
        "beta.csv",
        "ead,pd,lgd,lgd_sd\n1,0.01,0.5,0.1\n1,0.01,0.5,0.6\n",
    );
    assert!(e.contains("line 3") && e.contains("lgd std_dev"), "{e}");
    // The book as a whole: no exposure at all, or nothing exposed.
    let e = portfolio_error("empty.csv", "ead,pd,lgd\n");
    assert!(e.contains("no exposures"), "{e}");
    let e = portfolio_error("zero.csv", "ead,pd,lgd\n0,0.01,0.4\n");
    assert!(e.contains("total exposure"), "{e}");
    let err = read_portfolio(std::path::Path::new("/nonexistent/book.csv")).unwrap_err();
    assert!(matches!(err, Error::Input { line: None, .. }), "{err}");
}

/// Reads a network spec from JSON text.
fn network(text: &str) -> Result<ClearingNetwork, String> {
    let spec: NetworkSpec = serde_json::from_str(text).map_err(|e| e.to_string())?;
    ClearingNetwork::try_from(spec).map_err(|e| e.to_string())
}

#[test]
fn a_network_file_names_the_entry_at_fault() {
    let net = network(
        r#"{"liabilities": [[0, 2], [1, 0]], "external_assets": [1, 1],
            "external_liabilities": [0, 3], "name": "ignored"}"#,
    )
    .unwrap();
    assert_eq!(net.total_obligations(), &[2.0, 4.0]);
    for (text, needle) in [
        (
            r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1, 1]}"#,
            "external_liabilities",
        ),
        (
            r#"{"liabilities": [[0, 1], [0, "y"]], "external_assets": [1, 1], "external_liabilities": [0, 0]}"#,
            "liabilities[1][1]",
        ),
        (
            r#"{"liabilities": [[0, 1], 3], "external_assets": [1, 1], "external_liabilities": [0, 0]}"#,
            "liabilities[1]",
        ),
        (
            r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1, "x"], "external_liabilities": [0, 0]}"#,
            "external_assets[1]",
        ),
        (
            r#"{"liabilities": [[0, -1], [0, 0]], "external_assets": [1, 1], "external_liabilities": [0, 0]}"#,
            "liabilities[0][1]",
        ),
        (
            r#"{"liabilities": [[0, 1], [0, 0]], "external_assets": [1], "external_liabilities": [0, 0]}"#,
            "external_assets",
        ),
        ("3", "an object with `liabilities`"),
    ] {
        let e = network(text).unwrap_err();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

#[test]
fn the_clearing_report_is_the_clearing() {
    let net = network(
        r#"{"liabilities": [[0, 4, 0], [0, 0, 3], [2, 0, 0]], "external_assets": [18, 18, 9],
            "external_liabilities": [17, 18, 8]}"#,
    )
    .unwrap();
    let (report, c) = (net.report().unwrap(), net.clear().unwrap());
    assert_eq!(report.institutions, 3);
    assert_eq!(
        (report.payments, report.equity, report.defaulted),
        (c.payments, c.equity, c.defaulted)
    );
    assert_eq!(report.rounds, c.rounds);
}

#[test]
fn a_loss_report_holds_the_method_figures() {
    let book = Portfolio::standard_book(200).unwrap();
    let copula = Copula::student_t(0.25, 6.0).unwrap();
    let mut request = LossRequest::new(LossMethod::Exact, "t:6".parse().unwrap(), vec![0.25]);
    request.tail = vec![0.05, 0.1];
    request.tranches = tranches();
    let report = request.run(&book).unwrap();
    let exact = ExactLoss::new(&book, &copula, &ExactConfig::default()).unwrap();
    assert_eq!(report.expected_loss, exact.expected_loss().value);
    assert_eq!(
        report.var["0.999"],
        exact.value_at_risk(0.999).unwrap().value
    );
    assert_eq!(
        report.es["0.9997"],
        exact.expected_shortfall(0.9997).unwrap().value
    );
    assert_eq!(
        report.tail[1].probability,
        exact.tail_probability(0.1).value
    );
    let t = tranches()[2];
    assert_eq!(
        report.tranches[2].expected_loss,
        exact.tranche(t).expected_loss.value
    );
    assert_eq!(
        (report.method, report.copula.as_str()),
        (LossMethod::Exact, "t:6")
    );
    assert!(report.scenarios.is_none() && report.var_std_error.is_none());
    // The JSON shape of docs/schemas/loss-json.md: no simulation keys for an analytic method.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["method"], "exact");
    assert!(json.get("seed").is_none() && json["tail"][0].get("std_error").is_none());
}

#[test]
fn a_simulated_loss_report_is_the_monte_carlo_run() {
    let book = Portfolio::standard_book(150).unwrap();
    let mut request = LossRequest::new(
        LossMethod::MonteCarlo,
        "gaussian".parse().unwrap(),
        vec![0.2],
    );
    request.scenarios = 5_000;
    request.seed = 7;
    request.tail = vec![0.05];
    let report = request.run(&book).unwrap();
    let mc = MonteCarlo::new(&book, &Copula::gaussian(0.2).unwrap())
        .unwrap()
        .run(Seed(7), Scenarios::new(5_000).unwrap());
    assert_eq!(report.expected_loss, mc.expected_loss().value);
    assert_eq!(report.expected_loss_std_error, mc.expected_loss().std_error);
    assert_eq!(
        report.var_std_error.as_ref().unwrap()["0.99"],
        mc.value_at_risk(0.99).unwrap().std_error.unwrap()
    );
    assert_eq!((report.scenarios, report.seed), (Some(5_000), Some(7)));
    assert!(report.tail[0].variance_reduction.is_none());
    // mc-is: the same run, with the tail by importance sampling.
    request.method = LossMethod::ImportanceSampling;
    let is = request.run(&book).unwrap();
    assert_eq!(is.expected_loss, report.expected_loss);
    assert!(is.tail[0].variance_reduction.unwrap() > 1.0);
}

#[test]
fn loss_requests_are_checked_naming_the_field() {
    let book = Portfolio::standard_book(50).unwrap();
    let gaussian = || "gaussian".parse().unwrap();
    let mut r = LossRequest::new(LossMethod::MonteCarlo, gaussian(), vec![0.2]);
    r.scenarios = 0;
    assert_eq!(r.validate().unwrap_err().field(), Some("scenarios"));
    let mut r = LossRequest::new(LossMethod::Exact, gaussian(), vec![0.2]);
    r.tail = vec![0.1, 1.2];
    assert_eq!(r.run(&book).unwrap_err().field(), Some("tail[1]"));
    let mut r = LossRequest::new(LossMethod::Exact, gaussian(), vec![0.2]);
    r.levels = vec![0.99, 1.0];
    assert_eq!(r.validate().unwrap_err().field(), Some("levels[1]"));
    let r = LossRequest::new(LossMethod::Exact, gaussian(), vec![1.5]);
    assert_eq!(r.run(&book).unwrap_err().field(), Some("rho"));
    // Importance sampling refuses a t copula before simulating anything.
    let mut r = LossRequest::new(
        LossMethod::ImportanceSampling,
        "t:4".parse().unwrap(),
        vec![0.2],
    );
    r.tail = vec![0.1];
    r.scenarios = u64::MAX;
    let e = r.run(&book).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                method: "mc-is",
                ..
            }
        ),
        "{e}"
    );
}

//! Validation of the data model: bad input is an error naming the field, never a panic.

use creditlab_loan::{
    Amortization, Assumptions, Book, Borrower, Collateral, CollateralKind, DefaultRate, Error,
    Loan, LoanRecord, Pool, Prepayment, Rate,
};
use creditlab_numerics::prec;

fn field(e: Error) -> &'static str {
    match e {
        Error::Invalid { field, .. } => field,
        other => panic!("expected Error::Invalid, got {other}"),
    }
}

use crate::common::bank_loan as loan;

#[test]
fn loan_rejects_bad_fields() {
    let fixed = Rate::Fixed { annual: 0.05 };
    let lp = Amortization::LevelPayment;
    assert_eq!(field(loan(0.0, fixed, 360, lp).unwrap_err()), "principal");
    assert_eq!(
        field(loan(f64::NAN, fixed, 360, lp).unwrap_err()),
        "principal"
    );
    assert_eq!(
        field(loan(1.0, Rate::Fixed { annual: -0.01 }, 360, lp).unwrap_err()),
        "rate"
    );
    assert_eq!(
        field(
            loan(
                1.0,
                Rate::Floating {
                    index: 0.01,
                    spread: -0.02
                },
                360,
                lp
            )
            .unwrap_err()
        ),
        "rate"
    );
    assert_eq!(field(loan(1.0, fixed, 0, lp).unwrap_err()), "term_months");
    assert_eq!(field(loan(1.0, fixed, 601, lp).unwrap_err()), "term_months");
    let balloon = Amortization::Balloon { balloon_month: 360 };
    assert_eq!(
        field(loan(1.0, fixed, 360, balloon).unwrap_err()),
        "balloon_month"
    );
    let ok = loan(
        1.0,
        Rate::Floating {
            index: 0.03,
            spread: 0.02,
        },
        360,
        lp,
    )
    .unwrap();
    assert!((ok.rate().current() - 0.05).abs() < prec::IDENTITY);
}

#[test]
fn borrower_missing_is_none_and_dti_is_derived() {
    let anon = Borrower::anonymous();
    assert!(anon.is_anonymous());
    assert_eq!(anon.dti(), None);
    let b = Borrower::new(Some(720), Some(100_000.0), Some(36_000.0)).unwrap();
    assert!((b.dti().unwrap() - 0.36).abs() < prec::IDENTITY);
    let no_income = Borrower::new(Some(720), None, Some(36_000.0)).unwrap();
    assert_eq!(no_income.dti(), None);
    assert_eq!(
        field(Borrower::new(Some(900), None, None).unwrap_err()),
        "credit_score"
    );
    assert_eq!(
        field(Borrower::new(None, Some(-1.0), None).unwrap_err()),
        "income"
    );
    assert_eq!(
        field(Borrower::new(None, None, Some(f64::INFINITY)).unwrap_err()),
        "debt_service"
    );
}

#[test]
fn collateral_validation_and_ltv() {
    use CollateralKind::*;
    assert_eq!(
        field(Collateral::new(Vehicle, 0.0, 0.2, 0.1).unwrap_err()),
        "collateral_value"
    );
    assert_eq!(
        field(Collateral::new(Unsecured, 5.0, 0.0, 0.0).unwrap_err()),
        "collateral_value"
    );
    assert_eq!(
        field(Collateral::new(CryptoAsset, 5.0, -0.1, 0.1).unwrap_err()),
        "collateral_volatility"
    );
    assert_eq!(
        field(Collateral::new(CryptoAsset, 5.0, 0.8, 1.5).unwrap_err()),
        "liquidation_haircut"
    );
    let c = Collateral::new(ResidentialProperty, 250_000.0, 0.1, 0.2).unwrap();
    assert!((c.liquidation_value() - 200_000.0).abs() < prec::IDENTITY * 200_000.0);
    let l = loan(
        200_000.0,
        Rate::Fixed { annual: 0.05 },
        360,
        Amortization::LevelPayment,
    )
    .unwrap();
    let rec = LoanRecord::new(l.clone(), Borrower::anonymous(), c);
    assert!((rec.ltv().unwrap() - 0.8).abs() < prec::IDENTITY);
    let unsecured = LoanRecord::new(l, Borrower::anonymous(), Collateral::unsecured());
    assert_eq!(unsecured.ltv(), None);
    let book = Book::new(vec![rec.clone()]).unwrap();
    assert!((book.total_principal() - 200_000.0).abs() < prec::IDENTITY * 200_000.0);
    assert!((book.weighted_average_ltv().unwrap() - 0.8).abs() < prec::IDENTITY);
    assert!(matches!(
        Book::new(vec![rec.clone(), rec]),
        Err(Error::DuplicateId(1))
    ));
}

#[test]
fn assumptions_and_pool_reject_bad_values() {
    let p = Prepayment::Smm(0.01);
    let d = DefaultRate::Mdr(0.01);
    assert_eq!(
        field(Assumptions::new(Prepayment::Smm(1.5), d.clone(), 12, 0.2, true).unwrap_err()),
        "smm"
    );
    assert_eq!(
        field(Assumptions::new(Prepayment::Cpr(-0.1), d.clone(), 12, 0.2, true).unwrap_err()),
        "cpr"
    );
    assert_eq!(
        field(Assumptions::new(Prepayment::Psa(f64::NAN), d.clone(), 12, 0.2, true).unwrap_err()),
        "psa"
    );
    assert_eq!(
        field(Assumptions::new(p.clone(), DefaultRate::Cdr(2.0), 12, 0.2, true).unwrap_err()),
        "cdr"
    );
    assert_eq!(
        field(
            Assumptions::new(p.clone(), DefaultRate::MdrVector(vec![]), 12, 0.2, true).unwrap_err()
        ),
        "mdr_vector"
    );
    assert_eq!(
        field(Assumptions::new(p.clone(), d.clone(), 12, 1.2, true).unwrap_err()),
        "severity"
    );
    assert_eq!(
        field(Assumptions::new(p, d, 601, 0.2, true).unwrap_err()),
        "recovery_lag"
    );
    assert_eq!(field(Pool::new(-1.0, 0.08, 360).unwrap_err()), "balance");
    assert_eq!(field(Pool::new(1.0, 0.08, 0).unwrap_err()), "term");
    assert_eq!(field(Pool::new(1.0, 2.0, 360).unwrap_err()), "coupon");
}

#[test]
fn serde_goes_through_validation() {
    let l = loan(
        1000.0,
        Rate::Fixed { annual: 0.05 },
        12,
        Amortization::InterestOnly,
    )
    .unwrap();
    let json = serde_json::to_string(&l).unwrap();
    let back: Loan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, l);
    let bad = json.replace("1000.0", "-5.0");
    assert!(serde_json::from_str::<Loan>(&bad).is_err());
}

#[test]
fn assumptions_serde_round_trips_and_validates() {
    let a = Assumptions::new(
        Prepayment::Psa(150.0),
        DefaultRate::Sda(100.0),
        12,
        0.2,
        true,
    )
    .unwrap();
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(
        json,
        r#"{"prepayment":{"type":"psa","value":150.0},"default":{"type":"sda","value":100.0},"recovery_lag":12,"severity":0.2,"advancing":true}"#
    );
    let back: Assumptions = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    assert!(serde_json::from_str::<Assumptions>(&json.replace("0.2", "1.2")).is_err());
}

#[test]
fn book_serde_checks_ids() {
    let l = loan(
        1000.0,
        Rate::Fixed { annual: 0.05 },
        12,
        Amortization::InterestOnly,
    )
    .unwrap();
    let rec = LoanRecord::new(l, Borrower::anonymous(), Collateral::unsecured());
    let book = Book::new(vec![rec.clone()]).unwrap();
    let json = serde_json::to_string(&book).unwrap();
    assert_eq!(serde_json::from_str::<Book>(&json).unwrap(), book);
    let twice =
        serde_json::to_string(&serde_json::json!({ "records": [rec.clone(), rec] })).unwrap();
    assert!(serde_json::from_str::<Book>(&twice).is_err());
}

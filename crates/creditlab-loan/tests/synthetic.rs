//! Synthetic books: deterministic from the seed, at an exact total principal, with the
//! documented ranges and realised default rates in plausible bands.

use creditlab_loan::synthetic::{
    BookSpec, bank_book, bank_true_pd, defi_book, defi_max_ltv, underwriting,
};
use creditlab_loan::{Amortization, Channel, CollateralKind, Rate, Recourse};
use creditlab_numerics::prec;

#[test]
fn same_seed_same_book_other_seed_other_book() {
    let spec = BookSpec {
        loans: 500,
        total_principal: None,
        seed: 42,
    };
    assert_eq!(bank_book(&spec).unwrap(), bank_book(&spec).unwrap());
    assert_eq!(defi_book(&spec).unwrap(), defi_book(&spec).unwrap());
    let other = BookSpec { seed: 43, ..spec };
    assert_ne!(bank_book(&spec).unwrap(), bank_book(&other).unwrap());
}

#[test]
fn both_books_hit_the_same_total_principal() {
    let spec = BookSpec {
        loans: 2_000,
        total_principal: Some(1.0e9),
        seed: 7,
    };
    let bank = bank_book(&spec).unwrap();
    let defi = defi_book(&spec).unwrap();
    assert_eq!(bank.len(), 2_000);
    assert_eq!(defi.len(), 2_000);
    assert!((bank.total_principal() - 1.0e9).abs() <= prec::IDENTITY * 1.0e9);
    assert!((defi.total_principal() - 1.0e9).abs() <= prec::IDENTITY * 1.0e9);
}

#[test]
fn rescaling_keeps_ltv_and_dti() {
    let raw = bank_book(&BookSpec {
        loans: 200,
        total_principal: None,
        seed: 3,
    })
    .unwrap();
    let scaled = bank_book(&BookSpec {
        loans: 200,
        total_principal: Some(1.0e6),
        seed: 3,
    })
    .unwrap();
    for (a, b) in raw.iter().zip(scaled.iter()) {
        // Principal, collateral and income scaled together: the ratios move by rounding.
        assert!((a.ltv().unwrap() - b.ltv().unwrap()).abs() < prec::IDENTITY);
        assert!((a.borrower.dti().unwrap() - b.borrower.dti().unwrap()).abs() < prec::IDENTITY);
        assert_eq!(a.defaulted, b.defaulted);
    }
}

#[test]
fn bank_book_respects_underwriting() {
    let book = bank_book(&BookSpec {
        loans: 5_000,
        total_principal: None,
        seed: 1,
    })
    .unwrap();
    let mut fifteen = 0;
    for r in &book {
        let score = r.borrower.credit_score().unwrap();
        assert!(score >= underwriting::MIN_SCORE);
        assert!(r.borrower.dti().unwrap() <= underwriting::MAX_DTI + prec::IDENTITY);
        let ltv = r.ltv().unwrap();
        assert!((0.5..=0.95 + prec::IDENTITY).contains(&ltv));
        assert_eq!(r.loan.channel(), Channel::BankUnderwritten);
        assert_eq!(r.loan.recourse(), Recourse::Full);
        assert_eq!(r.loan.amortization(), Amortization::LevelPayment);
        assert!(matches!(r.loan.rate(), Rate::Fixed { .. }));
        assert_eq!(r.collateral.kind(), CollateralKind::ResidentialProperty);
        assert!(r.defaulted.is_some());
        if r.loan.term_months() == 180 {
            fifteen += 1;
        }
    }
    let share = fifteen as f64 / book.len() as f64;
    assert!((0.1..0.35).contains(&share), "15-year share {share}");
    let dr = book.observed_default_rate().unwrap();
    // The mean true PD of accepted loans is near 1-2%; the realised rate must be close.
    let mean_pd: f64 = book
        .iter()
        .map(|r| {
            bank_true_pd(
                r.borrower.credit_score().unwrap(),
                r.borrower.dti().unwrap(),
                r.ltv().unwrap(),
            )
        })
        .sum::<f64>()
        / book.len() as f64;
    // sqrt(mean PD / n) approximates the standard error of a default rate over loans of
    // unequal PDs; a tenth of a point on top covers the approximation.
    const RATE_SLACK: f64 = 1e-3;
    assert!(
        (dr - mean_pd).abs() < prec::MC_SIGMAS * (mean_pd / book.len() as f64).sqrt() + RATE_SLACK,
        "{dr} vs {mean_pd}"
    );
    assert!((0.003..0.06).contains(&mean_pd), "{mean_pd}");
}

#[test]
fn defi_book_is_anonymous_over_collateralised_and_floating() {
    let book = defi_book(&BookSpec {
        loans: 5_000,
        total_principal: None,
        seed: 2,
    })
    .unwrap();
    for r in &book {
        assert!(r.borrower.is_anonymous());
        let vol = r.collateral.volatility();
        assert!((0.6..=1.0).contains(&vol));
        assert!(r.ltv().unwrap() <= defi_max_ltv(vol) + prec::IDENTITY);
        assert!(r.ltv().unwrap() >= 0.3 - prec::IDENTITY);
        assert_eq!(r.loan.recourse(), Recourse::None);
        assert_eq!(r.loan.channel(), Channel::DefiAnonymous);
        assert_eq!(r.loan.amortization(), Amortization::InterestOnly);
        assert!(matches!(r.loan.rate(), Rate::Floating { .. }));
        assert_eq!(r.collateral.kind(), CollateralKind::CryptoAsset);
    }
    let dr = book.observed_default_rate().unwrap();
    assert!((0.005..0.3).contains(&dr), "DeFi default rate {dr}");
}

#[test]
fn true_pd_moves_the_right_way() {
    let base = bank_true_pd(700, 0.35, 0.8);
    assert!((base - 1.0 / (1.0 + 3.9f64.exp())).abs() < prec::IDENTITY);
    assert!(bank_true_pd(780, 0.35, 0.8) < base);
    assert!(bank_true_pd(700, 0.43, 0.8) > base);
    assert!(bank_true_pd(700, 0.35, 0.95) > base);
}

#[test]
fn bad_specs_are_errors() {
    assert!(
        bank_book(&BookSpec {
            loans: 0,
            total_principal: None,
            seed: 1
        })
        .is_err()
    );
    assert!(
        defi_book(&BookSpec {
            loans: 10,
            total_principal: Some(-1.0),
            seed: 1
        })
        .is_err()
    );
}

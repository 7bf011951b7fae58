//! Synthetic books: deterministic from the seed, at an exact total principal, with the
//! documented ranges and realised default rates in plausible bands.

use creditlab_loan::synthetic::{
    BookSpec, CrashJumps, DefiAsset, bank_book, bank_true_pd, defi_book, defi_book_with,
    underwriting,
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
    let assets = DefiAsset::aave_v3_ethereum();
    for r in &book {
        assert!(r.borrower.is_anonymous());
        let vol = r.collateral.volatility();
        assert!((0.6..=1.0).contains(&vol));
        // Each asset's own LTV limit (Aave v3's), where the book before per-asset
        // parameters had `defi_max_ltv(vol)`.
        let asset = assets
            .iter()
            .find(|a| Some(a.name.as_str()) == r.collateral.asset())
            .expect("every loan names its asset");
        assert!(r.ltv().unwrap() <= asset.ltv + prec::IDENTITY);
        assert_eq!((vol - asset.total_volatility()).abs(), 0.0);
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

/// One asset with the given dynamics and WETH's Aave parameters, all the loans.
fn only(volatility: f64, jumps: CrashJumps) -> Vec<DefiAsset> {
    vec![DefiAsset {
        name: "TEST".into(),
        share: 1.0,
        volatility,
        jumps,
        ..DefiAsset::aave_v3_ethereum()[0].clone()
    }]
}

const NO_JUMPS: CrashJumps = CrashJumps {
    per_year: 0.0,
    mean: 0.0,
    sd: 0.0,
};

#[test]
fn defi_loans_take_their_asset_by_share_with_its_parameters() {
    let assets = DefiAsset::aave_v3_ethereum();
    let n = 20_000;
    let book = defi_book(&BookSpec {
        loans: n,
        total_principal: None,
        seed: 8,
    })
    .unwrap();
    let weth = book
        .iter()
        .filter(|r| r.collateral.asset() == Some("WETH"))
        .count() as f64
        / n as f64;
    let se = (0.8 * 0.2 / n as f64).sqrt();
    assert!(
        prec::within_sigmas(weth, 0.8, se, prec::MC_SIGMAS),
        "{weth}"
    );
    for r in &book {
        let a = assets
            .iter()
            .find(|a| Some(a.name.as_str()) == r.collateral.asset())
            .unwrap();
        assert_eq!(
            r.collateral.liquidation_threshold(),
            Some(a.liquidation_threshold)
        );
        // The haircut is the bonus's: collateral worth V repays V / (1 + bonus).
        assert!((r.collateral.haircut() - 0.05 / 1.05).abs() < prec::IDENTITY);
        assert!(r.ltv().unwrap() >= 0.3 - prec::IDENTITY);
    }
    // WETH: 80.5% / 83% / 5%, diffusion 77.2% plus 7.94 crash days of N(-0.1559, 0.0669²)
    // a year: a total volatility of sqrt(0.772² + 7.94 (0.1559² + 0.0669²)) = 90.8%, the
    // notes' 90.4% for all daily moves to rounding of the split.
    const SPLIT_ROUNDING: f64 = 0.005;
    assert!((assets[0].total_volatility() - 0.904).abs() < SPLIT_ROUNDING);
    assert!((assets[1].total_volatility() - 0.718).abs() < SPLIT_ROUNDING);
    // Defaults are rare but present: a day's fall from the threshold through 1 / 1.05.
    let dr = book.observed_default_rate().unwrap();
    assert!((0.005..0.1).contains(&dr), "{dr}");
}

#[test]
fn a_calm_asset_defaults_exactly_when_interest_carries_it_past_a_thin_bonus() {
    let spec = BookSpec {
        loans: 2_000,
        total_principal: None,
        seed: 4,
    };
    // No price moves: interest alone lifts a loan to the 83% threshold when
    // `ltv (1 + rate / 365)^365 >= 0.83`, and then the liquidation covers the debt
    // (83% < 1 / 1.05): no default.
    let calm = defi_book_with(&spec, &only(0.0, NO_JUMPS)).unwrap();
    assert_eq!(calm.observed_default_rate(), Some(0.0));
    // A bonus of 25% leaves 1 / 1.25 = 80% of the collateral's value for the debt, below
    // the threshold: every liquidation is then a default, so the flags are the hand rule.
    let mut greedy = only(0.0, NO_JUMPS);
    greedy[0].liquidation_bonus = 0.25;
    let book = defi_book_with(&spec, &greedy).unwrap();
    let mut defaults = 0;
    for r in &book {
        let rate = r.loan.rate().current();
        let grown = r.ltv().unwrap() * (1.0 + rate / 365.0).powi(365);
        assert_eq!(r.defaulted, Some(grown >= 0.83), "loan {}", r.loan.id());
        defaults += usize::from(grown >= 0.83);
    }
    assert!(defaults > 0 && defaults < book.len(), "{defaults}");
}

#[test]
fn defi_asset_lists_are_checked_and_errors_name_the_field() {
    let spec = BookSpec {
        loans: 10,
        total_principal: None,
        seed: 1,
    };
    let field = |assets: Vec<DefiAsset>| {
        defi_book_with(&spec, &assets)
            .unwrap_err()
            .field()
            .map(str::to_string)
    };
    let mut a = DefiAsset::aave_v3_ethereum();
    a[1].volatility = -0.1;
    assert_eq!(field(a).as_deref(), Some("assets[1].volatility"));
    let mut a = DefiAsset::aave_v3_ethereum();
    a[0].liquidation_threshold = 0.8;
    assert_eq!(field(a).as_deref(), Some("assets[0].liquidation_threshold"));
    let mut a = DefiAsset::aave_v3_ethereum();
    a[0].share = 0.5;
    assert_eq!(field(a).as_deref(), Some("assets"));
    let mut a = DefiAsset::aave_v3_ethereum();
    a[0].jumps.per_year = 365.0;
    a[0].jumps.mean = -3.0;
    assert_eq!(field(a).as_deref(), Some("assets[0].jumps"));
    let mut a = DefiAsset::aave_v3_ethereum();
    a[0].name = "W ETH".into();
    assert_eq!(field(a).as_deref(), Some("assets[0].name"));
    assert_eq!(field(Vec::new()).as_deref(), Some("assets"));
}

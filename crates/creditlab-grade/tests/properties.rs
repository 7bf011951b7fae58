//! Properties that must hold for any input, not just the worked cases.

use creditlab_grade::irb::{self, AssetClass};
use creditlab_grade::lgd::{DefaultTrigger, LgdInput, Recourse};
use creditlab_grade::scale::MasterScale;
use creditlab_grade::scorecard::{Observation, Scorecard};
use creditlab_grade::validation::{auc, ks_statistic};
use creditlab_numerics::prec;
use proptest::prelude::*;

fn pds_and_outcomes() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    prop::collection::vec((0.0f64..1.0, any::<bool>()), 2..60)
        .prop_filter("both classes", |v| {
            v.iter().any(|x| x.1) && v.iter().any(|x| !x.1)
        })
        .prop_map(|v| v.into_iter().unzip())
}

proptest! {
    /// AUC and KS depend only on the ranking: a strictly increasing transform of the PDs
    /// leaves them unchanged, and reversing the ranking turns AUC into 1 − AUC.
    #[test]
    fn discrimination_depends_only_on_ranks((pd, y) in pds_and_outcomes()) {
        let a = auc(&pd, &y).unwrap();
        let squashed: Vec<f64> = pd.iter().map(|p| p.powi(3)).collect();
        // Same ranks, same arithmetic: equal to rounding.
        prop_assert!((auc(&squashed, &y).unwrap() - a).abs() < prec::IDENTITY);
        prop_assert!((ks_statistic(&squashed, &y).unwrap() - ks_statistic(&pd, &y).unwrap()).abs() < prec::IDENTITY);
        let reversed: Vec<f64> = pd.iter().map(|p| 1.0 - p).collect();
        prop_assert!((auc(&reversed, &y).unwrap() - (1.0 - a)).abs() < prec::IDENTITY);
    }

    /// A higher PD never gets a better grade.
    #[test]
    fn grades_are_monotone_in_pd(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
        let s = MasterScale::standard();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(s.grade(lo).unwrap() <= s.grade(hi).unwrap());
    }

    /// Capital is non-negative, below LGD, and grows with LGD (K is linear in it).
    #[test]
    fn irb_capital_is_bounded_and_linear_in_lgd(pd in 0.0f64..1.0, lgd in 0.0f64..=1.0, m in 1.0f64..5.0) {
        for class in [AssetClass::Corporate, AssetClass::Sme { sales_meur: 20.0 },
                      AssetClass::ResidentialMortgage, AssetClass::QualifyingRevolving,
                      AssetClass::OtherRetail] {
            let c = irb::capital(class, pd, lgd, m).unwrap();
            let unit = irb::capital(class, pd, 1.0, m).unwrap();
            prop_assert!(c.k >= 0.0);
            // The formula regrouped: lgd N(x) − pd lgd against lgd (N(x) − pd).
            prop_assert!((c.k - lgd * unit.k).abs() < prec::COMPOSED);
            if !class.has_maturity_adjustment() {
                // K = lgd (N(x) − pd) < lgd by a margin of pd lgd: rounding cannot cross it.
                prop_assert!(c.k <= lgd + prec::IDENTITY);
            }
        }
    }

    /// LGD lies in [0, 1] and does not fall when the collateral is worth less.
    #[test]
    fn lgd_is_bounded_and_monotone_in_collateral(
        value in 1.0f64..500.0, vol in 0.0f64..2.0, h in 0.0f64..=1.0, t in 0.0f64..2.0,
        shortfall_trigger in any::<bool>(),
    ) {
        let make = |v: f64| LgdInput {
            ead: 100.0, collateral_value: v, haircut: h, volatility: vol,
            liquidation_horizon_years: t, liquidation_cost: 0.02,
            recourse: Recourse::NonRecourse,
            trigger: if shortfall_trigger { DefaultTrigger::CollateralShortfall } else { DefaultTrigger::Borrower },
            jumps: None,
        };
        let rich = make(value).lgd().unwrap().lgd;
        let poor = make(0.8 * value).lgd().unwrap().lgd;
        prop_assert!((0.0..=1.0).contains(&rich) && (0.0..=1.0).contains(&poor));
        // Monotone up to the rounding of the closed forms (two normal CDFs per price).
        prop_assert!(poor >= rich - prec::ACCUMULATED);
    }

    /// Withholding borrower facts never narrows the PD posterior.
    #[test]
    fn missing_information_never_narrows_the_posterior(
        score in 300.0f64..850.0, ltv in 0.1f64..1.2, income in 10_000.0f64..300_000.0,
        dti in 0.0f64..0.8, coverage in 0.5f64..20.0,
    ) {
        let card = Scorecard::default();
        let obs = Observation {
            credit_score: Some(score), ltv: Some(ltv), collateral_volatility: Some(0.2),
            haircut: Some(0.1), payment_coverage: Some(coverage), income: Some(income),
            dti: Some(dti),
        };
        let full = card.posterior(&obs).unwrap();
        let anon = card.posterior(&obs.without_borrower_side()).unwrap();
        prop_assert!(anon.logit_sd > full.logit_sd);
        prop_assert!(anon.quantile(0.95) > full.quantile(0.95) || anon.quantile(0.05) < full.quantile(0.05));
    }
}

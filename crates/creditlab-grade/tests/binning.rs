//! Binning invariants for any data: monotone WoE, minimum bin shares, IV additivity, every
//! row in exactly one bin; PSI's basic properties.

use creditlab_grade::binning::{BinRule, BinningOptions, Value, bin_categorical, bin_numeric, psi};
use creditlab_numerics::prec;
use proptest::prelude::*;

/// Values with outcomes whose bad rate drifts with the value (so there is a trend to find),
/// a few missing.
fn numeric_sample() -> impl Strategy<Value = (Vec<Option<f64>>, Vec<bool>)> {
    prop::collection::vec((0u32..60, 0.0f64..1.0, 0u32..20), 200..600)
        .prop_map(|v| {
            v.into_iter()
                .map(|(x, u, m)| {
                    let p = 0.1 + 0.5 * f64::from(x) / 60.0;
                    ((m != 0).then_some(f64::from(x)), u < p)
                })
                .unzip()
        })
        .prop_filter("both classes", |(_, y): &(Vec<Option<f64>>, Vec<bool>)| {
            y.iter().any(|&b| b) && y.iter().any(|&b| !b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn numeric_bins_are_monotone_big_enough_and_additive((x, y) in numeric_sample()) {
        let o = BinningOptions::default();
        let v = bin_numeric("x", &x, &y, &o).unwrap();
        let n = x.len() as f64;
        let present: Vec<_> = v.bins.iter().filter(|b| b.rule != BinRule::Missing).collect();
        // Strictly monotone WoE in one direction.
        let up = present.windows(2).all(|w| w[1].woe > w[0].woe);
        let down = present.windows(2).all(|w| w[1].woe < w[0].woe);
        prop_assert!(up || down, "{:?}", present.iter().map(|b| b.woe).collect::<Vec<_>>());
        // Minimum share (unless a single bin is all that is left), at most max_bins.
        if present.len() > 1 {
            for b in &present {
                prop_assert!((b.goods + b.bads) as f64 >= o.min_bin_share * n - prec::IDENTITY);
            }
        }
        prop_assert!(present.len() <= o.max_bins);
        // IV is the sum over bins, every bin's IV is non-negative, counts add up.
        let sum: f64 = v.bins.iter().map(|b| b.iv).sum();
        prop_assert!((v.iv - sum).abs() < prec::IDENTITY);
        prop_assert!(v.bins.iter().all(|b| b.iv >= 0.0));
        prop_assert_eq!(v.bins.iter().map(|b| b.goods + b.bads).sum::<usize>(), x.len());
        prop_assert!((v.bins.iter().map(|b| b.share).sum::<f64>() - 1.0).abs() < prec::ACCUMULATED);
        // Every row falls in exactly the bin that counted it.
        let mut recount = vec![0usize; v.bins.len()];
        for xi in &x {
            let value = xi.map_or(Value::Missing, Value::Number);
            recount[v.bin_index(value).unwrap()] += 1;
        }
        prop_assert_eq!(recount, v.bins.iter().map(|b| b.goods + b.bads).collect::<Vec<_>>());
    }

    #[test]
    fn categorical_bins_group_sparse_categories_and_keep_iv_additive(
        labels in prop::collection::vec((0usize..12, 0.0f64..1.0), 300..600)
    ) {
        let x: Vec<Option<String>> = labels.iter().map(|(k, _)| Some(format!("c{k}"))).collect();
        // Category k has bad rate 0.05 + 0.05 k.
        let y: Vec<bool> = labels.iter().map(|&(k, u)| u < 0.05 + 0.05 * k as f64).collect();
        prop_assume!(y.iter().any(|&b| b) && y.iter().any(|&b| !b));
        let refs: Vec<Option<&str>> = x.iter().map(|s| s.as_deref()).collect();
        let o = BinningOptions::default();
        let v = bin_categorical("c", &refs, &y, &o).unwrap();
        if v.bins.len() > 1 {
            for b in &v.bins {
                prop_assert!(b.share >= o.min_bin_share - prec::IDENTITY, "{}", b.label);
            }
        }
        // Riskiest group first: WoE rises along the bins.
        prop_assert!(v.bins.windows(2).all(|w| w[1].woe >= w[0].woe));
        prop_assert!((v.iv - v.bins.iter().map(|b| b.iv).sum::<f64>()).abs() < prec::IDENTITY);
        // Every category is in exactly one bin.
        for s in x.iter().flatten() {
            let hits = v.bins.iter().filter(|b| matches!(&b.rule,
                BinRule::Categories { categories } if categories.contains(s))).count();
            prop_assert_eq!(hits, 1);
        }
    }
}

#[test]
fn raw_binning_keeps_every_distinct_value() {
    let x: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i % 4))).collect();
    let y: Vec<bool> = (0..100).map(|i| i % 4 == 0 || i % 7 == 0).collect();
    let v = bin_numeric("x", &x, &y, &BinningOptions::raw()).unwrap();
    assert_eq!(v.bins.len(), 4);
    assert_eq!(v.bins[0].label, "(-inf, 0]");
    assert_eq!(v.bins[3].label, "(2, +inf]");
}

#[test]
fn merging_only_loses_information_value() {
    let x: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i))).collect();
    let y: Vec<bool> = (0..1000)
        .map(|i| (i * 7919) % 1000 < 100 + i * 3 / 10)
        .collect();
    let fine = bin_numeric("x", &x, &y, &BinningOptions::raw()).unwrap();
    let coarse = bin_numeric("x", &x, &y, &BinningOptions::default()).unwrap();
    assert!(coarse.iv <= fine.iv + prec::IDENTITY);
    assert!(coarse.bins.len() <= BinningOptions::default().max_bins);
}

#[test]
fn psi_is_zero_on_itself_and_positive_under_a_shift() {
    let a = [100, 200, 300, 400];
    assert!(psi(&a, &a).unwrap().abs() < prec::IDENTITY);
    assert!(psi(&a, &[400, 300, 200, 100]).unwrap() > 0.25);
    // An empty bin stays finite (half a row).
    assert!(psi(&a, &[0, 300, 300, 400]).unwrap().is_finite());
}

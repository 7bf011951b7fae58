//! Flip points: for each claim, where along the scenario parameter its judgement depends on
//! most the judgement changes, found by a one-dimensional sweep over a documented range
//! ([docs/methodology/verdict.md](crate::methodology::verdict)). Each point re-runs only the stages the parameter moves,
//! at the size of the scenario's `[flips]` section, and judges the claim by the same rule
//! as the verdict.

use crate::defi_pool;
use crate::error::Result;
use crate::progress::{Progress, Silent, counted};
use crate::rules::Judgement;
use crate::scenario::Scenario;
use crate::study::{
    Securitization, bank_study, book_spec, chain_study, contagion_study, defi_study,
    diversification,
};
use crate::verdict::{self, Evidence};
use creditlab_loan::synthetic::{bank_book, defi_book_with};
use creditlab_report::format::num;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Which stages a parameter moves (the others are reused from the sweep's base).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moves {
    /// The originate-to-distribute model only.
    Originate,
    /// The bank book's loss model, its securitization, diversification and network.
    BankLoss,
    /// The bank book itself, and everything the bank's loss moves.
    BankBook,
    /// The DeFi book itself, its grading and the pool.
    DefiBook,
    /// The DeFi pool's simulation and its network.
    DefiPool,
}

/// One swept parameter: the claims it judges, its key, label and range.
struct Parameter {
    claims: &'static [u8],
    key: &'static str,
    label: &'static str,
    values: &'static [f64],
    moves: Moves,
    get: fn(&Scenario) -> f64,
    set: fn(&mut Scenario, f64),
}

/// The parameter each claim depends on most and the range it is swept over (the table of
/// [docs/methodology/verdict.md](crate::methodology::verdict)).
const PARAMETERS: [Parameter; 6] = [
    Parameter {
        claims: &[1],
        key: "originate.loans.demand",
        label: "applications a quarter",
        values: &[3.0, 3.5, 5.0, 7.0, 10.0, 14.0],
        moves: Moves::Originate,
        get: |s| s.originate.loans.demand,
        set: |s, v| s.originate.loans.demand = v,
    },
    Parameter {
        claims: &[2],
        key: "loss.bank_rho",
        label: "the bank book's asset correlation",
        values: &[0.0, 0.05, 0.15, 0.3],
        moves: Moves::BankLoss,
        get: |s| s.loss.bank_rho,
        set: |s, v| s.loss.bank_rho = v,
    },
    Parameter {
        claims: &[3],
        key: "books.loans",
        label: "the loans per book",
        values: &[250.0, 1_000.0, 5_000.0],
        moves: Moves::BankBook,
        get: |s| s.books.loans as f64,
        set: |s, v| s.books.loans = v as usize,
    },
    Parameter {
        claims: &[4],
        key: "defi_pool.market.crash_days.per_year",
        label: "the crash days a year",
        values: &[4.0, 16.0],
        moves: Moves::DefiBook,
        get: |s| {
            s.defi_pool
                .market
                .crash_days
                .as_ref()
                .map_or(0.0, |c| c.per_year)
        },
        set: |s, v| {
            if let Some(c) = s.defi_pool.market.crash_days.as_mut() {
                c.per_year = v;
            }
        },
    },
    Parameter {
        claims: &[5],
        key: "defi_pool.runs.run_prone_share",
        label: "the run-prone share of the deposits",
        values: &[0.0, 1.0],
        moves: Moves::DefiPool,
        get: |s| s.defi_pool.runs.run_prone_share,
        set: |s, v| s.defi_pool.runs.run_prone_share = v,
    },
    Parameter {
        claims: &[6, 7, 8],
        key: "defi_pool.liquidation.capacity_per_hour",
        label: "the liquidators' capacity (debt repaid per hour, per unit of debt)",
        values: &[0.001, 0.005, 0.2],
        moves: Moves::DefiPool,
        get: |s| s.defi_pool.liquidation.capacity_per_hour.unwrap_or(0.0),
        set: |s, v| s.defi_pool.liquidation.capacity_per_hour = Some(v),
    },
];

/// One evaluation of the search, judged: the parameter's index, its value, and the
/// judgements of its claims (or why a stage could not run there). What a study shard
/// carries of the search ([`judge_points`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judged {
    parameter: usize,
    value: f64,
    judgements: std::result::Result<Vec<(u8, Judgement)>, String>,
}

/// Every stage the verdict reads, at the sweep's size.
struct Stages {
    bank_book: creditlab_loan::Book,
    bank: crate::study::BookStudy,
    defi: crate::study::BookStudy,
    diversification: crate::study::DiversificationStudy,
    defi_pool: defi_pool::DefiPoolStudy,
    originate: crate::originate::OriginateStudy,
    real: crate::real_borrowers::RealBorrowers,
    contagion: Vec<crate::contagion::NetworkStudy>,
    chain: crate::chain::ChainStudy,
}

impl Stages {
    fn run(scenario: &Scenario) -> Result<Self> {
        let quiet = &Silent;
        let defi_book = defi_book_with(&book_spec(scenario, 1), &scenario.defi_pool.book_assets())?;
        let bank_book = bank_book(&book_spec(scenario, 0))?;
        let defi_pool = defi_pool::study(&scenario.defi_pool, &defi_book, scenario.seed, quiet)?;
        let bank = bank_study(scenario, &bank_book, quiet)?;
        let defi = defi_study(scenario, &defi_book, quiet)?;
        let diversification =
            diversification(&scenario.diversification, &bank, scenario.loss.bank_rho)?;
        let contagion = contagion_study(scenario, &bank, &defi_pool)?;
        let chain = chain_study(scenario, &bank, &defi_pool)?;
        let originate = originate(scenario)?;
        let real = crate::real_borrowers::study(scenario.seed)?;
        Ok(Self {
            bank_book,
            bank,
            defi,
            diversification,
            defi_pool,
            originate,
            real,
            contagion,
            chain,
        })
    }

    /// The judgements of `claims` at `scenario`, which differs from `self`'s only in what
    /// `moves` says: those stages are re-run, the others are `self`'s.
    fn judge(
        &self,
        scenario: &Scenario,
        moves: Moves,
        claims: &[u8],
    ) -> Result<Vec<(u8, Judgement)>> {
        let quiet = &Silent;
        let new_bank_book = match moves {
            Moves::BankBook => Some(bank_book(&book_spec(scenario, 0))?),
            _ => None,
        };
        let new_bank = match moves {
            Moves::BankLoss | Moves::BankBook => Some(bank_study(
                scenario,
                new_bank_book.as_ref().unwrap_or(&self.bank_book),
                quiet,
            )?),
            _ => None,
        };
        let bank = new_bank.as_ref().unwrap_or(&self.bank);
        let (new_defi, new_pool) = match moves {
            Moves::DefiBook | Moves::DefiPool => {
                let book =
                    defi_book_with(&book_spec(scenario, 1), &scenario.defi_pool.book_assets())?;
                let defi = match moves {
                    Moves::DefiBook => Some(defi_study(scenario, &book, quiet)?),
                    _ => None,
                };
                let pool = defi_pool::study(&scenario.defi_pool, &book, scenario.seed, quiet)?;
                (defi, Some(pool))
            }
            _ => (None, None),
        };
        let defi = new_defi.as_ref().unwrap_or(&self.defi);
        let pool = new_pool.as_ref().unwrap_or(&self.defi_pool);
        let securitization = Securitization::of(bank, &scenario.bank.securitization)?;
        let new_originate = match moves {
            Moves::Originate => Some(originate(scenario)?),
            _ => None,
        };
        let (new_div, new_net, new_chain) = match moves {
            Moves::Originate => (None, None, None),
            Moves::BankLoss | Moves::BankBook => (
                Some(diversification(
                    &scenario.diversification,
                    bank,
                    scenario.loss.bank_rho,
                )?),
                Some(contagion_study(scenario, bank, pool)?),
                Some(chain_study(scenario, bank, pool)?),
            ),
            Moves::DefiBook | Moves::DefiPool => (
                None,
                Some(contagion_study(scenario, bank, pool)?),
                Some(chain_study(scenario, bank, pool)?),
            ),
        };
        let v = verdict::verdict(&Evidence {
            scenario,
            bank,
            defi,
            diversification: new_div.as_ref().unwrap_or(&self.diversification),
            securitization: &securitization,
            defi_pool: pool,
            originate: new_originate.as_ref().unwrap_or(&self.originate),
            real: &self.real,
            contagion: new_net.as_deref().unwrap_or(&self.contagion),
            chain: new_chain.as_ref().unwrap_or(&self.chain),
        });
        Ok(claims
            .iter()
            .map(|&c| (c, v.claims[usize::from(c) - 1].judgement()))
            .collect())
    }
}

/// The originate-to-distribute model at the sweep's size, without its variants (no claim
/// reads them).
fn originate(scenario: &Scenario) -> Result<crate::originate::OriginateStudy> {
    crate::originate::study_with(&scenario.originate, scenario.seed.wrapping_add(6), false)
}

/// The scenario at the sweep's size: `[flips]` loans and DeFi year paths, the stresses (which
/// no claim reads) at 100 paths, no nested search.
fn at_sweep_size(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    s.books.loans = s.flips.loans;
    s.defi_pool.paths = s.flips.paths as u64;
    s.defi_pool.stress.paths = s.defi_pool.stress.paths.min(100);
    s.loss.scenarios = s.loss.scenarios.min(20_000);
    s.originate.paths = s.originate.paths.min(500);
    s.flips.search = false;
    s
}

/// The search's evaluations in their fixed order: every (parameter, value) point, the
/// scenario's own value included, at the sweep's size, in [`spread`] order. Points whose
/// scenario does not pass `Scenario::check` are left out.
fn points(scenario: &Scenario) -> (Scenario, Vec<(usize, f64, Scenario)>) {
    let base_scenario = at_sweep_size(scenario);
    let mut points = Vec::new();
    for (p, param) in PARAMETERS.iter().enumerate() {
        let own = (param.get)(scenario);
        let mut values: Vec<f64> = param.values.to_vec();
        values.push(own);
        values.sort_by(f64::total_cmp);
        values.dedup();
        for v in values {
            let mut s = base_scenario.clone();
            (param.set)(&mut s, v);
            if s.check().is_ok() {
                points.push((p, v, s));
            }
        }
    }
    (base_scenario, spread(points))
}

/// `items` reordered so that any run of consecutive ones samples the whole list: item
/// `j g mod M` at place `j`, with `g` the integer in `2..=M-2` nearest `M (sqrt 5 - 1) / 2`
/// and coprime to `M` (a golden-ratio stride; the given order when there is none: `M` up
/// to 4, and 6). The points come grouped by parameter, and the DeFi points and the larger
/// books cost several times the others: split in the grouped order, the study shards
/// holding the last ones would take the longest (docs/scale-out.md).
fn spread<T>(items: Vec<T>) -> Vec<T> {
    let m = items.len();
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let golden = (m as f64) * (5f64.sqrt() - 1.0) / 2.0;
    let strides = (2..m.saturating_sub(1)).filter(|&g| gcd(g, m) == 1);
    let nearest = strides.min_by(|&a, &b| {
        (a as f64 - golden)
            .abs()
            .total_cmp(&(b as f64 - golden).abs())
    });
    let Some(g) = nearest else {
        return items;
    };
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    (0..m)
        .map(|j| {
            slots[j * g % m]
                .take()
                .expect("a stride coprime to M visits each once")
        })
        .collect()
}

/// The number of evaluations of the search of `scenario` (the `M` a study shard splits).
pub fn point_count(scenario: &Scenario) -> u64 {
    points(scenario).1.len() as u64
}

/// Judges the evaluations `range` of the search of `scenario` (of [`point_count`]), in
/// order: the base stages at the sweep's size, then each point. Each point depends on the
/// scenario alone (its stages draw from the scenario's seed), so a shard's judgements are
/// those of the single run; an empty range runs nothing.
pub fn judge_points(
    scenario: &Scenario,
    range: std::ops::Range<u64>,
    progress: &dyn Progress,
) -> Result<Vec<Judged>> {
    let (base_scenario, points) = points(scenario);
    let (start, end) = (range.start as usize, range.end as usize);
    let points: Vec<_> = points.into_iter().take(end).skip(start).collect();
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let base = Stages::run(&base_scenario)?;
    counted(
        progress,
        "flip points",
        points.len() as u64,
        |tick| -> Result<Vec<Judged>> {
            Ok(points
                .into_par_iter()
                .map(|(p, v, s)| {
                    let param = &PARAMETERS[p];
                    // A point at which a stage cannot run (a book without a single
                    // default cannot be graded on its own outcomes) is reported, not judged.
                    let judgements = base
                        .judge(&s, param.moves, param.claims)
                        .map_err(|e| e.to_string());
                    tick();
                    Judged {
                        parameter: p,
                        value: v,
                        judgements,
                    }
                })
                .collect())
        },
    )
}

/// Searches each claim's flip point: claim `k`'s is the `k-1`-th of the result. Points
/// whose scenario does not pass `Scenario::check` are left out
/// of the sweep and do not appear in its points.
pub fn search(scenario: &Scenario, progress: &dyn Progress) -> Result<Vec<FlipPoint>> {
    let judged = judge_points(scenario, 0..point_count(scenario), progress)?;
    Ok(flip_points(scenario, &judged))
}

/// Each claim's flip point from the judgements of every evaluation of the search, in
/// order ([`judge_points`] over all of them, or the shards' concatenated).
pub fn flip_points(scenario: &Scenario, judged: &[Judged]) -> Vec<FlipPoint> {
    let base_scenario = at_sweep_size(scenario);
    let size = format!(
        "{} loans per book, {} paths of the DeFi year",
        base_scenario.books.loans, base_scenario.defi_pool.paths
    );
    let mut out = Vec::new();
    for claim in 1..=8u8 {
        let (p, param) = PARAMETERS
            .iter()
            .enumerate()
            .find(|(_, param)| param.claims.contains(&claim))
            .expect("every claim has a parameter");
        let mut points = Vec::new();
        let mut not_judged = Vec::new();
        for j in judged.iter().filter(|j| j.parameter == p) {
            let v = j.value;
            match &j.judgements {
                Ok(js) => {
                    points.extend(js.iter().filter(|(c, _)| *c == claim).map(|(_, j)| (v, *j)))
                }
                Err(e) => not_judged.push((v, e.clone())),
            }
        }
        // The evaluations come in spread order; a flip point reads its values in order.
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        not_judged.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.push(FlipPoint {
            parameter: param.key.into(),
            label: param.label.into(),
            points,
            value: (param.get)(scenario),
            size: if param.moves == Moves::BankBook {
                format!(
                    "each size of the bank book, {} paths of the DeFi year",
                    base_scenario.defi_pool.paths
                )
            } else {
                size.clone()
            },
            not_judged,
        });
    }
    out
}

/// A claim's judgement along one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlipPoint {
    /// The scenario key, e.g. `defi_pool.liquidation.capacity_per_hour`.
    pub parameter: String,
    /// What it is, in words.
    pub label: String,
    /// The judgement at each value swept, in increasing order of the value.
    pub points: Vec<(f64, Judgement)>,
    /// The scenario's own value.
    pub value: f64,
    /// The size each point ran at.
    pub size: String,
    /// Values at which a stage could not run, and why.
    pub not_judged: Vec<(f64, String)>,
}

impl FlipPoint {
    /// The consecutive values between which the judgement changes.
    pub fn changes(&self) -> Vec<(f64, Judgement, f64, Judgement)> {
        self.points
            .windows(2)
            .filter(|w| w[0].1 != w[1].1)
            .map(|w| (w[0].0, w[0].1, w[1].0, w[1].1))
            .collect()
    }

    /// The sweep's judgement at the scenario's own value.
    pub fn at_value(&self) -> Option<Judgement> {
        self.points
            .iter()
            .find(|(v, _)| *v == self.value)
            .map(|(_, j)| *j)
    }

    /// One sentence: where the judgement changes, or that it does not in the range; and,
    /// when the sweep's smaller size judges the scenario's own value otherwise than the
    /// full study (`full`), that too.
    pub fn sentence(&self, full: Judgement) -> String {
        let digits = |x: f64| {
            if x.fract() == 0.0 || x.abs() >= 10.0 {
                0
            } else if x.abs() >= 1.0 {
                2
            } else {
                4
            }
        };
        let (lo, hi) = match (self.points.first(), self.points.last()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => return format!("Not swept along {}.", self.label),
        };
        let changes = self.changes();
        let mut out = if changes.is_empty() {
            format!(
                "Flip point: along {} from {} to {} the judgement does not change ({}; ",
                self.label,
                num(lo, digits(lo)),
                num(hi, digits(hi)),
                self.points[0].1.as_str()
            )
        } else {
            let parts: Vec<String> = changes
                .iter()
                .map(|(a, ja, b, jb)| {
                    format!(
                        "{} up to {}, {} from {}",
                        ja.as_str(),
                        num(*a, digits(*a)),
                        jb.as_str(),
                        num(*b, digits(*b))
                    )
                })
                .collect();
            format!(
                "Flip point: along {} (here {}), {} (",
                self.label,
                num(self.value, digits(self.value)),
                parts.join("; ")
            )
        };
        out.push_str(&format!("swept at {}", self.size));
        match self.at_value() {
            Some(j) if j != full => out.push_str(&format!(
                ", a size at which the scenario's own value is judged {}",
                j.as_str()
            )),
            _ => {}
        }
        for (v, why) in &self.not_judged {
            out.push_str(&format!("; not judged at {}: {why}", num(*v, digits(*v))));
        }
        out.push_str(").");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_order_is_a_permutation_that_mixes_the_groups() {
        for m in 0..60usize {
            let mut order = spread((0..m).collect::<Vec<_>>());
            if m >= 7 {
                // No two neighbours in the spread order were neighbours before.
                assert!(
                    order.windows(2).all(|w| w[0].abs_diff(w[1]) > 1),
                    "{m}: {order:?}"
                );
            }
            order.sort_unstable();
            assert_eq!(order, (0..m).collect::<Vec<_>>(), "{m}");
        }
        // The default search, split in two as two study shards split it: each half holds
        // about half of the costly points (the DeFi ones and the larger bank books), where
        // the grouped order put them all in the second half.
        let scenario = Scenario::builtin().unwrap();
        let (_, points) = points(&scenario);
        let costly = |(p, v, _): &(usize, f64, Scenario)| {
            matches!(PARAMETERS[*p].moves, Moves::DefiBook | Moves::DefiPool)
                || (PARAMETERS[*p].moves == Moves::BankBook && *v > 500.0)
        };
        let half = points.len() / 2;
        let (first, second) = points.split_at(half);
        let (a, b) = (
            first.iter().filter(|x| costly(x)).count(),
            second.iter().filter(|x| costly(x)).count(),
        );
        assert!(
            a + b >= 8 && a.abs_diff(b) <= 2,
            "costly points per half: {a} and {b}"
        );
    }

    #[test]
    fn changes_are_found_between_swept_values() {
        let f = FlipPoint {
            parameter: "x".into(),
            label: "x".into(),
            points: vec![
                (0.1, Judgement::Supported),
                (0.2, Judgement::Supported),
                (0.3, Judgement::Partly),
                (0.4, Judgement::NotSupported),
            ],
            value: 0.2,
            size: "test".into(),
            not_judged: vec![],
        };
        assert_eq!(f.changes().len(), 2);
        let s = f.sentence(Judgement::Supported);
        assert!(
            s.contains("supported up to 0.2000, partly supported from 0.3000"),
            "{s}"
        );
        assert!(!s.contains("is judged"), "{s}");
        // A sweep that judges the own value otherwise says so.
        let other = f.sentence(Judgement::Partly);
        assert!(other.contains("is judged supported"), "{other}");
        let flat = FlipPoint {
            points: vec![(0.1, Judgement::Partly), (0.5, Judgement::Partly)],
            ..f
        };
        let s = flat.sentence(Judgement::Partly);
        assert!(s.contains("does not change (partly supported"), "{s}");
    }
}

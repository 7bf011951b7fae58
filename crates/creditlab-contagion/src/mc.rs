//! Parallel, deterministic, streaming Monte Carlo of the pool loss.
//!
//! Loans are grouped at construction into *cohorts* of exchangeable loans: same default
//! threshold, same factor loadings, same loss per default (EAD x LGD) and LGD law. Given the
//! systematic state, defaults are independent, so the number of defaults in a cohort of
//! `n` loans is exactly `Binomial(n, p(state))`: one conditional-PD evaluation per distinct
//! (threshold, loadings) per scenario and one binomial draw per cohort replace one latent
//! normal per loan. Cohorts of one loan (heterogeneous books) draw a Bernoulli by comparing a
//! 64-bit uniform with an integer threshold. See [docs/methodology/monte-carlo.md](crate::methodology::monte_carlo).
//!
//! Scenario `i` uses the random stream [`creditlab_numerics::rng::stream`]`(seed, i)`, so the result is
//! bit-identical on any number of threads, and runs over adjacent scenario ranges
//! [merge](McRun::merge) into exactly the run over both. Memory is one `f64` per scenario
//! plus the cohorts: never a loans x scenarios matrix.

use crate::collateral::Collateral;
use crate::copula::{Copula, obligor_loadings};
use crate::distribution::{Estimate, LossDistribution, Tranche, TrancheEstimate, check_level};
use crate::error::{Error, Result};
use crate::portfolio::{Lgd, Portfolio};
use creditlab_numerics::rng::{StreamRng, open01, stream, threshold_u64};
use creditlab_numerics::special::norm_cdf;
use rand::Rng;
use rand_distr::{Beta, Binomial, ChiSquared, Distribution, Exp1, StandardNormal, StudentT};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Scenarios simulated per parallel task. Only a scheduling grain: results do not depend on
/// it, because every scenario has its own stream.
const CHUNK: usize = 1024;

/// Samples the systematic state of a copula: the factor values conditionally on which
/// defaults are independent, laid out as [`Copula::conditional_pd`] reads them
/// ([`Copula::state_dim`]). Products that simulate their own collateral (a cash-flow
/// waterfall, a CDO squared) draw each scenario's state from it, so any copula of the core
/// reaches them and the draws are those of [`MonteCarlo`] for the same stream.
///
/// ```
/// use creditlab_contagion::{Copula, mc::FactorSampler};
/// let copula = Copula::student_t(0.3, 5.0)?;
/// let sampler = FactorSampler::new(&copula)?;
/// let mut state = vec![0.0; sampler.dim()];
/// sampler.sample(&mut creditlab_numerics::rng::stream(7, 0), &mut state);
/// let p = copula.conditional_pd(copula.threshold(0.02), None, &state);
/// assert!((0.0..=1.0).contains(&p));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FactorSampler(SamplerKind);

#[derive(Debug, Clone)]
enum SamplerKind {
    /// `z ~ N(0, 1)` in each of `k` dimensions.
    Normal(usize),
    /// `(z, s)`: `z ~ N(0, 1)`, `s = sqrt(W / nu)`, `W ~ chi^2(nu)`.
    StudentT { chi2: ChiSquared<f64>, nu: f64 },
    /// `m = T sqrt((nu_m - 2) / nu_m)`, `T ~ t(nu_m)`: a unit-variance Student-t.
    DoubleT { t: StudentT<f64>, scale: f64 },
}

impl FactorSampler {
    /// The sampler of `copula`'s systematic state.
    pub fn new(copula: &Copula) -> Result<Self> {
        let bad = |reason: String| Error::Unsupported {
            method: "mc",
            reason,
        };
        Ok(Self(match copula {
            Copula::Gaussian { .. } => SamplerKind::Normal(1),
            Copula::MultiFactor(m) => SamplerKind::Normal(m.n_factors()),
            Copula::StudentT { nu, .. } => SamplerKind::StudentT {
                chi2: ChiSquared::new(*nu).map_err(|e| bad(format!("chi-squared({nu}): {e}")))?,
                nu: *nu,
            },
            Copula::DoubleT { nu_m, .. } => SamplerKind::DoubleT {
                t: StudentT::new(*nu_m).map_err(|e| bad(format!("t({nu_m}): {e}")))?,
                scale: ((nu_m - 2.0) / nu_m).sqrt(),
            },
        }))
    }

    /// Dimension of the state vector.
    pub fn dim(&self) -> usize {
        match &self.0 {
            SamplerKind::Normal(k) => *k,
            SamplerKind::StudentT { .. } => 2,
            SamplerKind::DoubleT { .. } => 1,
        }
    }

    /// Draws one state into `state` (of length [`FactorSampler::dim`]).
    #[inline]
    pub fn sample(&self, rng: &mut StreamRng, state: &mut [f64]) {
        match &self.0 {
            SamplerKind::Normal(_) => {
                for s in state.iter_mut() {
                    *s = StandardNormal.sample(rng);
                }
            }
            SamplerKind::StudentT { chi2, nu } => {
                state[0] = StandardNormal.sample(rng);
                state[1] = (chi2.sample(rng) / nu).sqrt();
            }
            SamplerKind::DoubleT { t, scale } => state[0] = t.sample(rng) * scale,
        }
    }
}

/// How a cohort's loss per default is drawn.
#[derive(Debug, Clone, Copy)]
enum CohortLgd {
    /// Loss per default is the cohort weight (EAD x LGD / total EAD).
    Constant,
    /// Loss per default is the weight (EAD / total EAD) times an independent Beta draw.
    Beta(Beta<f64>),
    /// Loss per default is the weight (EAD / total EAD) times the collateral's loss at the
    /// scenario's factor and an independent normal draw.
    Collateral(Collateral),
}

impl CohortLgd {
    /// One loss per unit of weight for a default in the scenario whose first factor is `z`.
    #[inline]
    fn draw(&self, z: f64, rng: &mut StreamRng) -> f64 {
        match self {
            CohortLgd::Constant => 1.0,
            CohortLgd::Beta(beta) => beta.sample(rng),
            CohortLgd::Collateral(c) => c.loss(z, StandardNormal.sample(rng)),
        }
    }
}

#[derive(Debug, Clone)]
struct Cohort {
    n: u64,
    weight: f64,
    lgd: CohortLgd,
}

/// Loans sharing a threshold and loadings: one conditional PD per scenario.
#[derive(Debug, Clone)]
struct PdGroup {
    threshold: f64,
    loadings: Option<Vec<f64>>,
    cohorts: Vec<Cohort>,
    /// Losses per default of the group's single loans with a constant LGD, sampled together
    /// by geometric skipping.
    singles: Vec<f64>,
}

/// Below this conditional PD, and with at least [`GEOMETRIC_MIN_LOANS`] of them, the single
/// loans of a group are sampled by geometric skipping (one logarithm per default, about 8
/// comparisons' worth); otherwise by one integer comparison per loan.
const GEOMETRIC_MAX_P: f64 = 0.1;
/// See [`GEOMETRIC_MAX_P`].
const GEOMETRIC_MIN_LOANS: usize = 16;
/// Below this largest conditional PD a bucket's candidates are found by geometric skipping
/// (one ziggurat exponential, about two generator steps, per candidate); above it one
/// uniform per loan is cheaper. Measured on the benchmark tape: 0.1 and 0.2 cost the same
/// within the noise of a shared machine, 0.05 is slower.
const BUCKET_GEOMETRIC_MAX_P: f64 = 0.2;
/// Loans sharing loadings are sampled in buckets of similar PD (below) when they have at
/// least this many distinct PDs; with fewer, one conditional PD per distinct PD is cheaper.
const BUCKET_MIN_THRESHOLDS: usize = 64;
/// Widest spread of default thresholds (`Phi^-1(PD)` for the Gaussian) inside one bucket:
/// the acceptance rate of the thinning, `p(lowest) / p(highest)`, stays above about 0.7
/// even in the best states (a conditional PD of 1e-9 moves by `exp(6 x 1.1 x 0.05)`).
/// Narrower buckets (0.02, 0.01) were slower on the benchmark tape: the conditional PDs
/// of their edges cost more per scenario than the thinning they save.
const BUCKET_WIDTH: f64 = 0.05;

/// Candidates of a bucket located before their loans' data are read (see
/// [`sample_bucket`]).
const CANDIDATE_BATCH: usize = 64;

/// A loan of a bucket while building: its threshold, loss per default (or EAD share) and
/// LGD law.
#[derive(Debug, Clone, Copy)]
struct BucketLoan {
    threshold: f64,
    weight: f64,
    lgd: CohortLgd,
    /// The law's parameters' bits (the cohort key).
    key: [u64; 7],
}

/// The bucketed loans sharing one set of loadings (all loans, for a one-factor copula),
/// sorted by threshold and cut into buckets of similar PD: candidates are drawn by
/// geometric skipping at a bucket's largest conditional PD and thinned by `p_i / p_max`
/// (exact). Each loan's threshold and loss sit side by side, so a candidate touches one
/// cache line.
#[derive(Debug, Clone)]
struct BucketGroup {
    loadings: Option<Vec<f64>>,
    /// Bucket `b` holds the loans `starts[b]..starts[b + 1]`; `edges[b]` is the lowest
    /// threshold of bucket `b` and `edges[b + 1]` bounds its thresholds from above (the next
    /// bucket's lowest, or the last loan's threshold): one conditional PD per edge and
    /// scenario serves two buckets.
    starts: Vec<usize>,
    edges: Vec<f64>,
    /// `[threshold, loss per default]` of each loan (the loss per default is the EAD share
    /// for a random LGD).
    loans: Vec<[f64; 2]>,
    /// Index into `laws` of each loan's random LGD; 0 for a constant LGD. Empty when every
    /// LGD is constant.
    law: Vec<u32>,
    /// `laws[0]` is the constant; the others are the group's distinct random laws.
    laws: Vec<CohortLgd>,
    /// Loans with PD 1: they default in every scenario.
    certain: Vec<BucketLoan>,
}

impl BucketGroup {
    /// Number of buckets.
    fn n_buckets(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Loss of loan `i` of the group's arrays given its default.
    #[inline]
    fn default_loss(&self, i: usize, z: f64, rng: &mut StreamRng) -> f64 {
        let w = self.loans[i][1];
        match self.law.get(i) {
            None | Some(0) => w,
            Some(&k) => w * self.laws[k as usize].draw(z, rng),
        }
    }
}

/// The conditional PD of every loan of a group given the state, as a function of its
/// threshold: `G(a c - b)` with `G` the normal (or unit-t) CDF, or an indicator when the
/// latent variable is fully systematic. Monotone in `c`, which is what the buckets need.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    Normal {
        a: f64,
        b: f64,
    },
    UnitT {
        a: f64,
        b: f64,
        nu: f64,
    },
    /// Default iff `m <= c`.
    Step {
        m: f64,
    },
}

impl Kernel {
    fn new(copula: &Copula, loadings: Option<&[f64]>, state: &[f64]) -> Self {
        match *copula {
            Copula::Gaussian { rho } => {
                if rho >= 1.0 {
                    return Kernel::Step { m: state[0] };
                }
                let a = 1.0 / (1.0 - rho).sqrt();
                Kernel::Normal {
                    a,
                    b: rho.sqrt() * state[0] * a,
                }
            }
            Copula::StudentT { rho, .. } => {
                // Default iff sqrt(rho) z + sqrt(1 - rho) e <= c s, with s > 0.
                if rho >= 1.0 {
                    return Kernel::Step {
                        m: state[0] / state[1],
                    };
                }
                let r = 1.0 / (1.0 - rho).sqrt();
                Kernel::Normal {
                    a: state[1] * r,
                    b: rho.sqrt() * state[0] * r,
                }
            }
            Copula::DoubleT { rho, nu_z, .. } => {
                if rho >= 1.0 {
                    return Kernel::Step { m: state[0] };
                }
                let a = 1.0 / (1.0 - rho).sqrt();
                Kernel::UnitT {
                    a,
                    b: rho.sqrt() * state[0] * a,
                    nu: nu_z,
                }
            }
            Copula::MultiFactor(_) => {
                let l = loadings.expect("a multi-factor group has loadings");
                let (mut dot, mut ss) = (0.0, 0.0);
                for (&ai, &zi) in l.iter().zip(state) {
                    dot += ai * zi;
                    ss += ai * ai;
                }
                let idio = 1.0 - ss;
                if idio <= crate::copula::FULLY_SYSTEMATIC {
                    return Kernel::Step { m: dot };
                }
                let a = 1.0 / idio.sqrt();
                Kernel::Normal { a, b: dot * a }
            }
        }
    }

    #[inline]
    fn pd(&self, c: f64) -> f64 {
        match *self {
            Kernel::Normal { a, b } => norm_cdf(a * c - b),
            Kernel::UnitT { a, b, nu } => crate::copula::unit_t_cdf(a * c - b, nu),
            Kernel::Step { m } => {
                if m <= c {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

pub use creditlab_numerics::rng::Seed;

/// A number of simulated scenarios, at least one: a run without scenarios has no
/// information, and is refused when the count is made ([`Scenarios::new`]), not reported
/// as NaN.
///
/// ```
/// use creditlab_contagion::Scenarios;
/// assert_eq!(Scenarios::new(5_000)?.get(), 5_000);
/// assert!(Scenarios::new(0).is_err());
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scenarios(std::num::NonZeroU64);

impl Scenarios {
    /// `n` scenarios; 0 is an error naming `scenarios`.
    pub fn new(n: u64) -> Result<Self> {
        std::num::NonZeroU64::new(n)
            .map(Self)
            .ok_or(Error::InvalidParameter {
                field: "scenarios".into(),
                value: 0.0,
                reason: "a simulation needs at least one scenario",
            })
    }

    /// The count.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

/// A prepared Monte Carlo model: the portfolio grouped into cohorts under one copula.
///
/// Build it once with [`MonteCarlo::new`], then [`simulate`](MonteCarlo::simulate) any
/// scenario range with any seed.
///
/// ```
/// use creditlab_contagion::{Copula, LossDistribution, MonteCarlo, Portfolio, Scenarios, Seed};
/// let book = Portfolio::standard_book(200)?;
/// let mc = MonteCarlo::new(&book, &Copula::student_t(0.2, 6.0)?)?;
/// let dist = mc.run(Seed(7), Scenarios::new(5_000)?);
/// let el = dist.expected_loss();
/// // Within four standard errors of the exact expected loss.
/// assert!((el.value - book.expected_loss()).abs() <= 4.0 * el.std_error.unwrap());
/// // Scenarios are a function of (seed, index): two halves merge into the whole run.
/// let halves = mc.simulate(7, 0..2_000).merge(mc.simulate(7, 2_000..5_000))?;
/// assert_eq!(halves.finish(), dist);
/// // A loan tape with a PD per loan is sampled in buckets of similar PD: the cost of a
/// // scenario grows with its defaults, not with the loans.
/// let tape = Portfolio::benchmark_book(20_000, 1, 7)?;
/// let fast = MonteCarlo::new(&tape, &Copula::gaussian(0.2)?)?;
/// assert!(fast.n_buckets() > 0 && fast.n_buckets() < 200);
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MonteCarlo {
    copula: Copula,
    sampler: FactorSampler,
    groups: Vec<PdGroup>,
    bucket_groups: Vec<BucketGroup>,
    n_loans: usize,
    n_cohorts: usize,
}

impl MonteCarlo {
    /// Groups the portfolio into cohorts of exchangeable loans (same PD, loadings, EAD x LGD
    /// and LGD law), in order of first appearance. Loans sharing loadings but with at least
    /// 64 distinct PDs (a loan tape) are instead sorted by PD into buckets of similar PD,
    /// sampled by geometric skipping with thinning (see [docs/methodology/monte-carlo.md](crate::methodology::monte_carlo)).
    pub fn new(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        Self::build(portfolio, copula, true)
    }

    /// The same model without grouping: every loan is its own cohort and draws its own
    /// Bernoulli. Slower; it exists to check that grouping does not change the distribution.
    pub fn per_loan(portfolio: &Portfolio, copula: &Copula) -> Result<Self> {
        Self::build(portfolio, copula, false)
    }

    fn build(portfolio: &Portfolio, copula: &Copula, group: bool) -> Result<Self> {
        copula.check_portfolio(portfolio)?;
        let thresholds = copula.thresholds(portfolio.pd());
        let sampler = FactorSampler::new(copula)?;
        let total = portfolio.total_ead();
        let loadings_key = |i: usize| -> Vec<u64> {
            obligor_loadings(copula, portfolio, i)
                .map(|a| a.iter().map(|x| x.to_bits()).collect())
                .unwrap_or_default()
        };
        // Loadings families with many distinct PDs are bucketed.
        let mut distinct: HashMap<Vec<u64>, HashSet<u64>> = HashMap::new();
        if group {
            for i in 0..portfolio.len() {
                distinct
                    .entry(loadings_key(i))
                    .or_default()
                    .insert(portfolio.pd()[i].to_bits());
            }
        }
        let bucketed = |key: &Vec<u64>| {
            distinct
                .get(key)
                .is_some_and(|d| d.len() >= BUCKET_MIN_THRESHOLDS)
        };
        let mut groups: Vec<PdGroup> = Vec::new();
        let mut group_index: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut cohort_index: HashMap<(usize, u64, [u64; 7]), usize> = HashMap::new();
        let mut families: Vec<(Option<Vec<f64>>, Vec<BucketLoan>)> = Vec::new();
        let mut family_index: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut n_cohorts = 0;
        for (i, &threshold) in thresholds.iter().enumerate() {
            let pd = portfolio.pd()[i];
            let ead = portfolio.ead()[i];
            let lgd = portfolio.lgd()[i];
            let loadings = obligor_loadings(copula, portfolio, i);
            if ead == 0.0 || lgd.max() == 0.0 || pd == 0.0 {
                // Never contributes a loss: skip (it still counts as a loan).
                continue;
            }
            let (weight, law, key) = cohort_law(i, ead / total, lgd)?;
            let lkey = loadings_key(i);
            if bucketed(&lkey) {
                let f = *family_index.entry(lkey).or_insert_with(|| {
                    families.push((loadings.map(<[f64]>::to_vec), Vec::new()));
                    families.len() - 1
                });
                families[f].1.push(BucketLoan {
                    threshold,
                    weight,
                    lgd: law,
                    key,
                });
                n_cohorts += 1;
                continue;
            }
            let mut gkey = vec![pd.to_bits()];
            gkey.extend(lkey);
            if !group {
                gkey.push(i as u64);
            }
            let g = *group_index.entry(gkey).or_insert_with(|| {
                groups.push(PdGroup {
                    threshold,
                    loadings: loadings.map(<[f64]>::to_vec),
                    cohorts: Vec::new(),
                    singles: Vec::new(),
                });
                groups.len() - 1
            });
            let ckey = (g, ead.to_bits(), key);
            let cohorts = &mut groups[g].cohorts;
            match cohort_index.get(&ckey) {
                Some(&c) if group => cohorts[c].n += 1,
                _ => {
                    cohort_index.insert(ckey, cohorts.len());
                    cohorts.push(Cohort {
                        n: 1,
                        weight,
                        lgd: law,
                    });
                    n_cohorts += 1;
                }
            }
        }
        if group {
            // Cohorts of one loan with a constant LGD: sampled together (geometric skipping).
            for g in &mut groups {
                let (singles, cohorts): (Vec<Cohort>, Vec<Cohort>) = g
                    .cohorts
                    .drain(..)
                    .partition(|c| c.n == 1 && matches!(c.lgd, CohortLgd::Constant));
                g.cohorts = cohorts;
                g.singles = singles.iter().map(|c| c.weight).collect();
            }
        }
        let bucket_groups = families
            .into_iter()
            .map(|(loadings, loans)| bucket_group(loadings, loans))
            .collect();
        Ok(Self {
            copula: copula.clone(),
            sampler,
            groups,
            bucket_groups,
            n_loans: portfolio.len(),
            n_cohorts,
        })
    }

    /// Number of loans in the portfolio.
    pub fn n_loans(&self) -> usize {
        self.n_loans
    }

    /// Number of cohorts after grouping (loans that can never lose are left out; a single
    /// loan, and every bucketed loan, counts as a cohort of one).
    pub fn n_cohorts(&self) -> usize {
        self.n_cohorts
    }

    /// Number of distinct (threshold, loadings) groups outside the buckets: conditional-PD
    /// evaluations per scenario besides the buckets' two each.
    pub fn n_groups(&self) -> usize {
        self.groups.len()
    }

    /// Number of buckets of similar PD (0 unless some loans sharing loadings have many
    /// distinct PDs).
    pub fn n_buckets(&self) -> usize {
        self.bucket_groups.iter().map(BucketGroup::n_buckets).sum()
    }

    /// Pool loss of scenario `index` under `seed`, as a fraction of total exposure.
    pub fn scenario_loss(&self, seed: u64, index: u64) -> f64 {
        let mut state = vec![0.0; self.sampler.dim()];
        self.loss_with(&mut stream(seed, index), &mut state)
    }

    #[inline]
    fn loss_with(&self, rng: &mut StreamRng, state: &mut [f64]) -> f64 {
        self.sampler.sample(rng, state);
        let z = state[0];
        let mut loss = 0.0;
        for g in &self.groups {
            let p = self
                .copula
                .conditional_pd(g.threshold, g.loadings.as_deref(), state);
            if p <= 0.0 {
                continue;
            }
            let p_bits = threshold_u64(p);
            loss += sample_singles(&g.singles, p, p_bits, rng);
            for c in &g.cohorts {
                let k = if p >= 1.0 {
                    c.n
                } else if c.n == 1 {
                    u64::from(rng.next_u64() < p_bits)
                } else {
                    Binomial::new(c.n, p)
                        .expect("p is a probability")
                        .sample(rng)
                };
                if k == 0 {
                    continue;
                }
                match &c.lgd {
                    CohortLgd::Constant => loss += c.weight * k as f64,
                    law => {
                        let mut s = 0.0;
                        for _ in 0..k {
                            s += law.draw(z, rng);
                        }
                        loss += c.weight * s;
                    }
                }
            }
        }
        for g in &self.bucket_groups {
            let kernel = Kernel::new(&self.copula, g.loadings.as_deref(), state);
            for l in &g.certain {
                loss += match l.lgd {
                    CohortLgd::Constant => l.weight,
                    law => l.weight * law.draw(z, rng),
                };
            }
            let Some(&first) = g.edges.first() else {
                continue;
            };
            let mut p_low = kernel.pd(first);
            for b in 0..g.n_buckets() {
                // Buckets in increasing PD: the upper edge's PD is the next bucket's lower.
                let p_high = kernel.pd(g.edges[b + 1]);
                if p_high > 0.0 {
                    loss += sample_bucket(g, b, (p_low, p_high), &kernel, z, rng);
                }
                p_low = p_high;
            }
        }
        loss
    }

    /// Simulates scenarios `range` (indices into the infinite stream of `seed`) in
    /// parallel on the current rayon pool. The result depends only on `seed` and `range`.
    pub fn simulate(&self, seed: u64, range: Range<u64>) -> McRun {
        let n = range.end.saturating_sub(range.start) as usize;
        let mut losses = vec![0.0; n];
        let dim = self.sampler.dim();
        losses
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(ci, chunk)| {
                let mut state = vec![0.0; dim];
                let first = range.start + (ci * CHUNK) as u64;
                for (j, slot) in chunk.iter_mut().enumerate() {
                    *slot = self.loss_with(&mut stream(seed, first + j as u64), &mut state);
                }
            });
        McRun {
            seed,
            start: range.start,
            losses,
        }
    }

    /// Simulates scenarios `0..scenarios` with streams of `seed` and computes the
    /// statistics.
    pub fn run(&self, seed: Seed, scenarios: Scenarios) -> McDistribution {
        self.simulate(seed.0, 0..scenarios.get()).finish()
    }
}

/// Loss of the defaulted loans among `singles` (losses per default), each defaulting
/// independently with probability `p`. For small `p` by geometric skipping: the number of
/// survivors before the next default is `floor(ln U / ln(1 - p))`, exactly geometric, so
/// the cost is one logarithm per default instead of one draw per loan.
#[inline]
fn sample_singles(singles: &[f64], p: f64, p_bits: u64, rng: &mut StreamRng) -> f64 {
    let mut loss = 0.0;
    if singles.is_empty() {
        return loss;
    }
    if p >= 1.0 {
        return singles.iter().sum();
    }
    if p < GEOMETRIC_MAX_P && singles.len() >= GEOMETRIC_MIN_LOANS {
        let log_q = (-p).ln_1p();
        let mut i = 0usize;
        loop {
            let skip = (open01(rng.next_u64()).ln() / log_q).floor();
            if skip >= (singles.len() - i) as f64 {
                break;
            }
            i += skip as usize;
            loss += singles[i];
            i += 1;
            if i == singles.len() {
                break;
            }
        }
    } else {
        for &w in singles {
            if rng.next_u64() < p_bits {
                loss += w;
            }
        }
    }
    loss
}

/// The cohort law of exposure `i` with EAD share `share`: (weight, law, key). A collateral
/// LGD that cannot move (no loading, no volatility) is a constant.
fn cohort_law(i: usize, share: f64, lgd: Lgd) -> Result<(f64, CohortLgd, [u64; 7])> {
    Ok(match lgd {
        Lgd::Constant(v) => (
            share * v,
            CohortLgd::Constant,
            [0, v.to_bits(), 0, 0, 0, 0, 0],
        ),
        Lgd::Collateral(c) if c.is_constant() => {
            let v = c.loss(0.0, 0.0);
            (
                share * v,
                CohortLgd::Constant,
                [0, v.to_bits(), 0, 0, 0, 0, 0],
            )
        }
        Lgd::Beta { mean, std_dev } => {
            let (a, b) = lgd.beta_shape().expect("a Beta LGD has a shape");
            let beta = Beta::new(a, b).map_err(|_| Error::InvalidParameter {
                field: format!("exposure {i}: lgd"),
                value: mean,
                reason: "invalid Beta shape",
            })?;
            (
                share,
                CohortLgd::Beta(beta),
                [1, mean.to_bits(), std_dev.to_bits(), 0, 0, 0, 0],
            )
        }
        Lgd::Collateral(c) => (
            share,
            CohortLgd::Collateral(c),
            [
                2,
                c.value.to_bits(),
                c.drift.to_bits(),
                c.loading.to_bits(),
                c.volatility.to_bits(),
                c.discount.to_bits(),
                c.cost.to_bits(),
            ],
        ),
    })
}

/// Sorts a family's loans by threshold and cuts them into buckets at most
/// [`BUCKET_WIDTH`] wide; PD-1 loans (infinite threshold) default in every scenario.
fn bucket_group(loadings: Option<Vec<f64>>, mut loans: Vec<BucketLoan>) -> BucketGroup {
    loans.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
    let split = loans.partition_point(|l| l.threshold < f64::INFINITY);
    let certain = loans.split_off(split);
    let mut g = BucketGroup {
        loadings,
        starts: Vec::new(),
        edges: Vec::new(),
        loans: Vec::with_capacity(loans.len()),
        law: Vec::with_capacity(loans.len()),
        laws: vec![CohortLgd::Constant],
        certain,
    };
    let mut law_index: HashMap<[u64; 7], u32> = HashMap::new();
    for (i, l) in loans.iter().enumerate() {
        let law = match l.lgd {
            CohortLgd::Constant => 0,
            law => *law_index.entry(l.key).or_insert_with(|| {
                g.laws.push(law);
                (g.laws.len() - 1) as u32
            }),
        };
        g.loans.push([l.threshold, l.weight]);
        g.law.push(law);
        match g.edges.last() {
            Some(&low) if l.threshold - low <= BUCKET_WIDTH => {}
            _ => {
                g.edges.push(l.threshold);
                g.starts.push(i);
            }
        }
    }
    if let Some(last) = loans.last() {
        g.edges.push(last.threshold);
        g.starts.push(loans.len());
    }
    if g.law.iter().all(|&k| k == 0) {
        g.law = Vec::new();
    }
    g
}

/// Loss of the defaulted loans of bucket `b` of group `g` given the conditional PDs at its
/// edges, `p_min <= p_i = kernel.pd(c_i) <= p_max`. With `p_max` small, candidates are
/// found by geometric skipping at `p_max` (the gap to the next one is `floor(E / lambda)`,
/// `E` a standard exponential drawn by the ziggurat and `lambda = -ln(1 - p_max)`: exactly
/// the Bernoulli(`p_max`) successes) and each is kept with probability `p_i / p_max`
/// (thinning), so every loan defaults with probability `p_i` independently; `p_min`
/// accepts most candidates without evaluating `p_i`. Otherwise one uniform per loan,
/// compared with `p_min`, `p_max`, then `p_i`.
#[inline(never)]
fn sample_bucket(
    g: &BucketGroup,
    b: usize,
    (p_min, p_max): (f64, f64),
    kernel: &Kernel,
    z: f64,
    rng: &mut StreamRng,
) -> f64 {
    let (start, end) = (g.starts[b], g.starts[b + 1]);
    let n = end - start;
    // A local copy of the generator stays in registers; written back at the end.
    let mut r = rng.clone();
    let mut loss = 0.0;
    if p_max < BUCKET_GEOMETRIC_MAX_P && n >= GEOMETRIC_MIN_LOANS {
        let mean_gap = -1.0 / (-p_max).ln_1p();
        let keep_all = threshold_u64(p_min / p_max);
        // Candidates in batches: first their positions and acceptance draws (generator
        // steps only), then the loans' data, so the memory loads of a batch overlap instead
        // of waiting on each other.
        let mut batch = [(0usize, 0u64); CANDIDATE_BATCH];
        let mut i = 0usize;
        let mut done = false;
        while !done {
            let mut len = 0;
            while len < CANDIDATE_BATCH {
                // floor(skip) >= n - i iff skip >= n - i; below, truncation is the floor.
                let e: f64 = Exp1.sample(&mut r);
                let skip = e * mean_gap;
                if skip >= (n - i) as f64 {
                    done = true;
                    break;
                }
                i += skip as usize;
                batch[len] = (start + i, r.next_u64());
                len += 1;
                i += 1;
                if i == n {
                    done = true;
                    break;
                }
            }
            let candidates = &batch[..len];
            if g.law.is_empty() {
                // Constant LGDs: the candidates `p_min` accepts add their loss without a
                // branch (so their loads overlap), then the others are thinned.
                // Four partial sums: the loads overlap instead of waiting on one chain.
                let mut part = [0.0f64; 4];
                for (k, &(j, u)) in candidates.iter().enumerate() {
                    part[k % 4] += g.loans[j][1] * f64::from(u8::from(u < keep_all));
                }
                loss += (part[0] + part[1]) + (part[2] + part[3]);
                for &(j, u) in candidates {
                    if u >= keep_all {
                        let [c, w] = g.loans[j];
                        if u < threshold_u64(kernel.pd(c).min(p_max) / p_max) {
                            loss += w;
                        }
                    }
                }
            } else {
                for &(j, u) in candidates {
                    if u < keep_all
                        || u < threshold_u64(kernel.pd(g.loans[j][0]).min(p_max) / p_max)
                    {
                        loss += g.default_loss(j, z, &mut r);
                    }
                }
            }
        }
    } else {
        let (t_min, t_max) = (threshold_u64(p_min), threshold_u64(p_max));
        let certain = p_max >= 1.0;
        for j in start..end {
            let u = r.next_u64();
            let default = if u < t_min {
                true
            } else if u < t_max || certain {
                let p = kernel.pd(g.loans[j][0]);
                p >= 1.0 || u < threshold_u64(p)
            } else {
                false
            };
            if default {
                loss += g.default_loss(j, z, &mut r);
            }
        }
    }
    *rng = r;
    loss
}

/// Concatenates the per-scenario values of two runs over adjacent scenario ranges (in
/// either order), each given as (first scenario index, values): the result is exactly the
/// run over the union. An error names `method` when the ranges do not meet.
pub(crate) fn concat_adjacent(
    method: &'static str,
    first: (u64, Vec<f64>),
    second: (u64, Vec<f64>),
) -> Result<(u64, Vec<f64>)> {
    let ((start, mut values), (next, rest)) = if first.0 <= second.0 {
        (first, second)
    } else {
        (second, first)
    };
    let end = start + values.len() as u64;
    if end != next {
        return Err(Error::Unsupported {
            method,
            reason: format!(
                "scenario ranges {:?} and {:?} are not adjacent",
                start..end,
                next..next + rest.len() as u64
            ),
        });
    }
    values.extend_from_slice(&rest);
    Ok((start, values))
}

/// The raw output of a simulation: the pool loss of each scenario, in scenario-index order.
#[derive(Debug, Clone, PartialEq)]
pub struct McRun {
    seed: u64,
    start: u64,
    losses: Vec<f64>,
}

impl McRun {
    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The scenario indices covered.
    pub fn range(&self) -> Range<u64> {
        self.start..self.start + self.losses.len() as u64
    }

    /// Pool loss per scenario, as fractions of total exposure, in index order.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// Concatenates two runs of the same seed over adjacent ranges (in either order): the
    /// result is bit-identical to one run over the union.
    pub fn merge(self, other: McRun) -> Result<McRun> {
        if self.seed != other.seed {
            return Err(Error::Unsupported {
                method: "mc merge",
                reason: format!("different seeds ({} and {})", self.seed, other.seed),
            });
        }
        let seed = self.seed;
        let (start, losses) = concat_adjacent(
            "mc merge",
            (self.start, self.losses),
            (other.start, other.losses),
        )?;
        Ok(McRun {
            seed,
            start,
            losses,
        })
    }

    /// Computes every statistic from the losses (sums in scenario-index order).
    pub fn finish(self) -> McDistribution {
        McDistribution::from_losses(self.losses)
    }
}

/// A simulated loss distribution: the sorted scenario losses and their moments. Every
/// figure comes with its Monte Carlo standard error (methods in
/// [docs/methodology/monte-carlo.md](crate::methodology::monte_carlo)).
#[derive(Debug, Clone, PartialEq)]
pub struct McDistribution {
    losses: Vec<f64>,
    sorted: Vec<f64>,
    mean: f64,
    var: f64,
    m4: f64,
}

impl McDistribution {
    /// Statistics of the scenario losses `losses` (fractions of total exposure), in
    /// scenario-index order. With no scenario every figure is NaN (no information), never a
    /// panic.
    pub fn from_losses(losses: Vec<f64>) -> Self {
        let n = losses.len() as f64;
        let mean = losses.iter().sum::<f64>() / n;
        let (mut s2, mut s4) = (0.0, 0.0);
        for &l in &losses {
            let d = l - mean;
            let d2 = d * d;
            s2 += d2;
            s4 += d2 * d2;
        }
        let var = match losses.len() {
            0 => f64::NAN,
            1 => 0.0,
            _ => s2 / (n - 1.0),
        };
        let mut sorted = losses.clone();
        sorted.sort_by(f64::total_cmp);
        Self {
            losses,
            sorted,
            mean,
            var,
            m4: s4 / n,
        }
    }

    /// Number of scenarios.
    pub fn scenarios(&self) -> usize {
        self.losses.len()
    }

    /// The scenario losses in index order.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    fn n(&self) -> f64 {
        self.losses.len() as f64
    }

    /// Index of the empirical `level` quantile in the sorted losses: `ceil(n level) - 1`.
    fn quantile_index(&self, level: f64) -> usize {
        let k = (self.n() * level).ceil() as usize;
        k.clamp(1, self.losses.len()) - 1
    }

    /// Sample mean and standard error of `f(L)`.
    fn mean_of(&self, f: impl Fn(f64) -> f64) -> Estimate {
        let n = self.n();
        let vals = self.losses.iter().map(|&l| f(l));
        let m = vals.clone().sum::<f64>() / n;
        let v = if n > 1.0 {
            vals.map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Estimate::simulated(m, (v / n).sqrt())
    }

    fn proportion(&self, count: usize) -> Estimate {
        let n = self.n();
        let p = count as f64 / n;
        Estimate::simulated(p, (p * (1.0 - p) / n).sqrt())
    }
}

impl LossDistribution for McDistribution {
    fn expected_loss(&self) -> Estimate {
        Estimate::simulated(self.mean, (self.var / self.n()).sqrt())
    }

    /// Sample standard deviation; its standard error by the delta method,
    /// `sqrt((m4 - s^4) / n) / (2 s)`.
    fn unexpected_loss(&self) -> Estimate {
        let s = self.var.sqrt();
        let se = if s > 0.0 {
            ((self.m4 - self.var * self.var).max(0.0) / self.n()).sqrt() / (2.0 * s)
        } else {
            0.0
        };
        Estimate::simulated(s, se)
    }

    /// The empirical quantile `L_(ceil(n level))`; its standard error is half the distance
    /// between the order statistics `n level -/+ sqrt(n level (1 - level))` (the
    /// one-sigma distribution-free interval, i.e. the asymptotic quantile SE with a
    /// Siddiqui-Bloch-Gastwirth difference-quotient density estimate).
    fn value_at_risk(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        if self.sorted.is_empty() {
            return Ok(Estimate::simulated(f64::NAN, f64::NAN));
        }
        let n = self.n();
        let k = self.quantile_index(level);
        let d = (n * level * (1.0 - level)).sqrt();
        let last = self.sorted.len() - 1;
        let lo = ((n * level - d).ceil() as usize).clamp(1, last + 1) - 1;
        let hi = ((n * level + d).ceil() as usize).clamp(1, last + 1) - 1;
        Ok(Estimate::simulated(
            self.sorted[k],
            (self.sorted[hi] - self.sorted[lo]) / 2.0,
        ))
    }

    /// Mean of the losses at or above the empirical VaR; standard error from the asymptotic
    /// variance `(Var(L | L >= q) + level (ES - q)^2) / (n (1 - level))`.
    fn expected_shortfall(&self, level: f64) -> Result<Estimate> {
        let level = check_level(level)?;
        if self.sorted.is_empty() {
            return Ok(Estimate::simulated(f64::NAN, f64::NAN));
        }
        let q = self.sorted[self.quantile_index(level)];
        let start = self.sorted.partition_point(|&l| l < q);
        let tail = &self.sorted[start..];
        let m = tail.len() as f64;
        let es = tail.iter().sum::<f64>() / m;
        let v = tail.iter().map(|l| (l - es) * (l - es)).sum::<f64>() / m;
        let denom = (self.n() * (1.0 - level)).max(1.0);
        let se = ((v + level * (es - q) * (es - q)) / denom).sqrt();
        Ok(Estimate::simulated(es, se))
    }

    fn tail_probability(&self, x: f64) -> Estimate {
        let above = self.sorted.len() - self.sorted.partition_point(|&l| l <= x);
        self.proportion(above)
    }

    fn tranche(&self, tranche: Tranche) -> TrancheEstimate {
        TrancheEstimate {
            tranche,
            expected_loss: self.mean_of(|l| tranche.loss(l)),
            default_probability: self.tail_probability(tranche.attach()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn standard_book_has_35_cohorts_in_5_groups() {
        let p = Portfolio::standard_book(1000).unwrap();
        let mc = MonteCarlo::new(&p, &Copula::gaussian(0.2).unwrap()).unwrap();
        assert_eq!(mc.n_groups(), 5);
        assert_eq!(mc.n_cohorts(), 35);
        let per = MonteCarlo::per_loan(&p, &Copula::gaussian(0.2).unwrap()).unwrap();
        assert_eq!(per.n_cohorts(), 1000);
    }

    #[test]
    fn monte_carlo_run_with_zero_scenarios_is_an_error() {
        // `run(seed, 0)` gave an EL of NaN; a count of 0 is now refused, naming the field.
        let e = Scenarios::new(0).unwrap_err();
        assert_eq!(e.field(), Some("scenarios"));
        assert!(e.to_string().contains("at least one scenario"), "{e}");
    }

    #[test]
    fn no_scenario_gives_nan_not_a_panic() {
        // The raw statistics of an empty sample (a merged run of no scenarios) stay NaN,
        // never a panic; `MonteCarlo::run` cannot reach them (see above).
        let mc = MonteCarlo::new(
            &Portfolio::standard_book(10).unwrap(),
            &Copula::gaussian(0.2).unwrap(),
        )
        .unwrap();
        let d = mc.simulate(1, 0..0).finish();
        assert!(d.expected_loss().value.is_nan());
        assert!(d.unexpected_loss().value.is_nan());
        assert!(d.value_at_risk(0.99).unwrap().value.is_nan());
        assert!(d.expected_shortfall(0.99).unwrap().value.is_nan());
        assert!(d.tail_probability(0.1).value.is_nan());
        let t = Tranche::new(0.0, 0.1).unwrap();
        assert!(d.tranche(t).expected_loss.value.is_nan());
    }

    #[test]
    fn quantiles_of_a_known_sample() {
        let d = McDistribution::from_losses((1..=1000).map(|i| i as f64 / 1000.0).collect());
        assert_eq!(d.value_at_risk(0.99).unwrap().value, 0.99);
        assert_eq!(d.tail_probability(0.99).value, 0.01);
        // ES at 99%: mean of 0.990 .. 1.000.
        assert!((d.expected_shortfall(0.99).unwrap().value - 0.995).abs() <= prec::ACCUMULATED);
    }
}

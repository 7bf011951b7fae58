//! Re-securitization: a CDO squared.
//!
//! `pools` underlying pools of `names` equal loans each (default probability `pd` over the
//! horizon, loss given default `lgd`) whose loans all load on one common factor (one-factor
//! Gaussian copula, asset correlation `rho`). The same mezzanine tranche `inner` is cut
//! from every underlying pool; the CDO squared holds those mezzanine tranches in equal
//! notional and tranches their average loss again (`outer`).
//!
//! Held directly, the mezzanine tranches lose their average loss `C = mean_j M_j`. The
//! senior notes of the CDO squared lose only when many mezzanine tranches are hit at once,
//! which happens through the common factor alone: re-tranching concentrates correlation
//! risk in the "senior" notes, whose default probability rises with `rho` many times faster
//! than that of the mezzanine tranches they are made of.
//!
//! Simulated: given the common factor `Z ~ N(0, 1)` each loan defaults with
//! `p(Z) = Phi((Phi^-1(pd) - sqrt(rho) Z) / sqrt(1 - rho))`, so the number of defaults in
//! each pool is an independent `Binomial(names, p(Z))` draw; streams from contagion's
//! seeded [`creditlab_numerics::rng::stream`], one per scenario (reproducible and
//! independent of threading).
//!
//! [`compare_cdo_squared`] runs the comparison at several correlations and rates every
//! note on the master scale: one mezzanine tranche, all of them held directly, and the
//! CDO squared's notes (`cargo xtask cdo2`, the pipeline's securitization section).

use crate::error::{PoolError, Result, check_positive, check_range};
use crate::rating::rate_by_default_probability;
use crate::scenario::ScenarioRates;
use crate::structure::{CapitalStructure, TrancheRisk};
use creditlab_contagion::mc::McDistribution;
use creditlab_contagion::{Copula, CopulaSpec, LossDistribution, Tranche};
use creditlab_grade::{Grade, MasterScale};
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A CDO squared over homogeneous underlying pools sharing one common factor.
///
/// ```
/// use creditlab_contagion::{Copula, Tranche};
/// use creditlab_pool::{CapitalStructure, resec::CdoSquared};
/// let notes = CapitalStructure::new([("junior", 0.0, 0.3), ("senior", 0.3, 1.0)])?;
/// let cdo2 = CdoSquared::new(10, 100, 0.05, 0.5, Tranche::new(0.04, 0.08)?, notes)?;
/// let low = cdo2.risk(&Copula::gaussian(0.05)?, 5_000, 7)?;
/// let high = cdo2.risk(&Copula::gaussian(0.3)?, 5_000, 7)?;
/// // The senior note's default probability rises with the common factor's correlation.
/// assert!(high.outer[1].default_probability.value > low.outer[1].default_probability.value);
/// // Any one-factor copula of the core: the t copula's joint tail hits it more often.
/// let t = cdo2.risk(&Copula::student_t(0.05, 4.0)?, 5_000, 7)?;
/// assert!(t.outer[1].default_probability.value > low.outer[1].default_probability.value);
/// # Ok::<(), creditlab_pool::PoolError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CdoSquared {
    pools: usize,
    names: usize,
    pd: f64,
    lgd: f64,
    inner: Tranche,
    outer: CapitalStructure,
}

/// The result at one correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CdoSquaredRisk {
    /// Asset correlation of the common factor.
    pub rho: f64,
    /// One mezzanine tranche (of the first underlying pool) held on its own.
    pub single_mezzanine: TrancheRisk,
    /// The mezzanine tranches held directly: expected loss and probability that any of
    /// them loses (the CDO squared's collateral).
    pub mezzanine_held_directly: TrancheRisk,
    /// The CDO squared's tranches, junior first.
    pub outer: Vec<TrancheRisk>,
}

impl CdoSquared {
    /// Validates: at least one pool and one loan per pool, `pd` and `lgd` in [0, 1].
    pub fn new(
        pools: usize,
        names: usize,
        pd: f64,
        lgd: f64,
        inner: Tranche,
        outer: CapitalStructure,
    ) -> Result<Self> {
        if pools == 0 || names == 0 {
            return Err(PoolError::InvalidParameter {
                field: if pools == 0 { "pools" } else { "names" }.into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        check_range("pd", pd, 0.0, 1.0)?;
        check_range("lgd", lgd, 0.0, 1.0)?;
        Ok(Self {
            pools,
            names,
            pd,
            lgd,
            inner,
            outer,
        })
    }

    /// Simulates `scenarios` draws under the one-factor `copula` (Gaussian, Student-t or
    /// double-t; its `rho` is the common factor's correlation) with `seed`: scenario `s`
    /// draws the systematic state and then every pool's number of defaults from the stream
    /// `(seed, s)` ([`ScenarioRates`]). Scenarios run in parallel (rayon); each depends only
    /// on its own stream, so the result does not depend on the number of threads.
    pub fn risk(&self, copula: &Copula, scenarios: u64, seed: u64) -> Result<CdoSquaredRisk> {
        if scenarios == 0 {
            return Err(PoolError::InvalidParameter {
                field: "scenarios".into(),
                value: 0.0,
                reason: "must be at least 1",
            });
        }
        self.risk_of(copula, self.scenario_losses(copula, 0..scenarios, seed)?)
    }

    /// The losses of scenarios `range` (of a run with `seed`): for each, the loss of the
    /// first mezzanine tranche and the mean loss of all of them, scenario `s` from the
    /// stream `(seed, s)` alone. A shard of a run computes its range; the concatenation in
    /// scenario order is exactly what [`CdoSquared::risk`] computes.
    pub fn scenario_losses(
        &self,
        copula: &Copula,
        range: std::ops::Range<u64>,
        seed: u64,
    ) -> Result<Vec<[f64; 2]>> {
        let rates = ScenarioRates::new(copula, self.pd)?;
        let n = self.names as u64;
        range
            .into_par_iter()
            .map(|s| {
                let mut rng = creditlab_numerics::rng::stream(seed, s);
                let p = rates.draw(&mut rng);
                let binomial = Binomial::new(n, p).map_err(|e| {
                    PoolError::Unsupported(format!("binomial draw with p = {p}: {e}"))
                })?;
                let (mut first, mut sum) = (0.0, 0.0);
                for j in 0..self.pools {
                    let k = binomial.sample(&mut rng) as f64;
                    let m = self.inner.loss(k * self.lgd / self.names as f64);
                    if j == 0 {
                        first = m;
                    }
                    sum += m;
                }
                Ok([first, sum / self.pools as f64])
            })
            .collect()
    }

    /// The risk of the notes from every scenario's losses ([`CdoSquared::scenario_losses`]
    /// of all the scenarios, in order), under `copula`.
    pub fn risk_of(&self, copula: &Copula, losses: Vec<[f64; 2]>) -> Result<CdoSquaredRisk> {
        let rates = ScenarioRates::new(copula, self.pd)?;
        let (first, collateral): (Vec<f64>, Vec<f64>) =
            losses.into_iter().map(|[a, b]| (a, b)).unzip();
        let dist = McDistribution::from_losses(collateral);
        let whole = Tranche::new(0.0, 1.0)?;
        let single = McDistribution::from_losses(first);
        Ok(CdoSquaredRisk {
            rho: rates.rho(),
            single_mezzanine: TrancheRisk::of("one mezzanine tranche", whole, &single, 0.0),
            mezzanine_held_directly: TrancheRisk::of("mezzanine held directly", whole, &dist, 0.0),
            outer: self.outer.risk(&dist as &dyn LossDistribution, 0.0)?,
        })
    }
}

/// Parameters of [`compare_cdo_squared`]: the underlying pools, the mezzanine tranche cut
/// from each, the CDO squared's notes, and the correlations to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdoSquaredParams {
    /// Number of underlying pools, >= 1.
    pub pools: usize,
    /// Loans per underlying pool, >= 1.
    pub names: usize,
    /// Default probability of each loan over the horizon, in [0, 1].
    pub pd: f64,
    /// Loss given default, in [0, 1].
    pub lgd: f64,
    /// Horizon in years (> 0): the period of `pd` and of the ratings.
    pub horizon: f64,
    /// Attachment of the mezzanine tranche cut from every underlying pool.
    pub mezzanine_attach: f64,
    /// Detachment of the mezzanine tranche.
    pub mezzanine_detach: f64,
    /// The CDO squared's notes as `(name, attach, detach)` of its collateral, junior first,
    /// tiling [0, 1].
    pub outer: Vec<(String, f64, f64)>,
    /// The one-factor copula family of the common factor (`gaussian`, `t:NU`,
    /// `double-t:NU_M,NU_Z`), taken at each correlation of `rhos`. Default Gaussian, and
    /// then left out of the serialized parameters, so a Gaussian comparison reads and
    /// prints as it did before the copula could be chosen.
    #[serde(default = "gaussian", skip_serializing_if = "is_gaussian")]
    pub copula: CopulaSpec,
    /// Asset correlations to compare (at least one, each in [0, 1]).
    pub rhos: Vec<f64>,
    /// Monte Carlo scenarios per correlation, >= 1.
    pub scenarios: u64,
    /// Seed of contagion's scenario streams (the same draws at every correlation).
    pub seed: u64,
}

fn gaussian() -> CopulaSpec {
    CopulaSpec::Gaussian
}

fn is_gaussian(spec: &CopulaSpec) -> bool {
    *spec == CopulaSpec::Gaussian
}

impl Default for CdoSquaredParams {
    /// The documented example: 10 pools of 100 loans, PD 5% over 5 years, LGD 50%,
    /// mezzanine 4-8%, notes 0-30% and 30-100%, rho 0.05 and 0.30, 40,000 scenarios.
    fn default() -> Self {
        Self {
            pools: 10,
            names: 100,
            pd: 0.05,
            lgd: 0.5,
            horizon: 5.0,
            mezzanine_attach: 0.04,
            mezzanine_detach: 0.08,
            outer: vec![("junior".into(), 0.0, 0.3), ("senior".into(), 0.3, 1.0)],
            copula: CopulaSpec::Gaussian,
            rhos: vec![0.05, 0.30],
            scenarios: 40_000,
            seed: 7,
        }
    }
}

/// One note's risk and rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatedNote {
    /// The note's name.
    pub name: String,
    /// Attachment point: of the CDO squared's collateral for its notes, of each underlying
    /// pool for the mezzanine entries.
    pub attach: f64,
    /// Detachment point.
    pub detach: f64,
    /// Expected loss, fraction of the note's notional.
    pub expected_loss: f64,
    /// Monte Carlo standard error of the expected loss.
    pub expected_loss_std_error: Option<f64>,
    /// Probability of any loss over the horizon.
    pub default_probability: f64,
    /// Master-scale grade of the default probability annualized over the horizon.
    pub rating: Grade,
}

impl RatedNote {
    fn of(r: &TrancheRisk, scale: &MasterScale, horizon: f64) -> Result<Self> {
        Ok(Self {
            name: r.name.clone(),
            attach: r.attach,
            detach: r.detach,
            expected_loss: r.expected_loss.value,
            expected_loss_std_error: r.expected_loss.std_error,
            default_probability: r.default_probability.value,
            rating: rate_by_default_probability(scale, r.default_probability.value, horizon)?,
        })
    }
}

/// The comparison at one correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CdoSquaredAtRho {
    /// Asset correlation.
    pub rho: f64,
    /// One mezzanine tranche held on its own.
    pub single_mezzanine: RatedNote,
    /// All the mezzanine tranches held directly (the CDO squared's collateral, unsliced).
    pub mezzanine_held_directly: RatedNote,
    /// The CDO squared's notes, junior first.
    pub outer: Vec<RatedNote>,
}

/// The CDO squared against the same exposures held directly, at every correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CdoSquaredComparison {
    /// The inputs.
    pub params: CdoSquaredParams,
    /// One entry per correlation, in the order given.
    pub by_rho: Vec<CdoSquaredAtRho>,
}

/// Runs the CDO squared of `params` at each of its correlations under its copula (same
/// seed, so the same factor draws) and rates every note on `scale` over `params.horizon`: how re-tranching
/// concentrates correlation risk in the senior notes, against the same mezzanine
/// exposures held directly. Errors name the offending parameter or tranche.
pub fn compare_cdo_squared(
    params: &CdoSquaredParams,
    scale: &MasterScale,
) -> Result<CdoSquaredComparison> {
    let losses = cdo_squared_losses(params, 0..params.scenarios)?;
    compare_cdo_squared_from(params, scale, losses)
}

/// The CDO squared of `params` and its copula at each correlation, validated.
fn cdo_squared_of(params: &CdoSquaredParams) -> Result<(CdoSquared, Vec<Copula>)> {
    check_positive("horizon", params.horizon)?;
    if params.rhos.is_empty() {
        return Err(PoolError::InvalidParameter {
            field: "rhos".into(),
            value: 0.0,
            reason: "give at least one correlation",
        });
    }
    if !params.copula.is_one_factor() {
        return Err(PoolError::spec(
            "copula",
            &params.copula,
            "the CDO squared's pools share one factor: gaussian, t:NU or double-t:NU_M,NU_Z",
        ));
    }
    let copulas = params
        .rhos
        .iter()
        .enumerate()
        .map(|(i, &rho)| {
            check_range(&format!("rhos[{i}]"), rho, 0.0, 1.0)?;
            params
                .copula
                .one_factor(rho)
                .map_err(|e| PoolError::spec("copula", &params.copula, e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let inner = Tranche::new(params.mezzanine_attach, params.mezzanine_detach).map_err(|e| {
        PoolError::Tranche {
            name: "mezzanine".into(),
            reason: e.to_string(),
        }
    })?;
    let outer = CapitalStructure::new(params.outer.iter().cloned())?;
    let cdo2 = CdoSquared::new(
        params.pools,
        params.names,
        params.pd,
        params.lgd,
        inner,
        outer,
    )?;
    if params.scenarios == 0 {
        return Err(PoolError::InvalidParameter {
            field: "scenarios".into(),
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    Ok((cdo2, copulas))
}

/// The Monte Carlo part of [`compare_cdo_squared`] over scenarios `range` only: for each
/// correlation of `params`, each scenario's losses ([`CdoSquared::scenario_losses`]). The
/// scenarios of a study shard; [`compare_cdo_squared_from`] finishes the comparison on
/// all of them.
pub fn cdo_squared_losses(
    params: &CdoSquaredParams,
    range: std::ops::Range<u64>,
) -> Result<Vec<Vec<[f64; 2]>>> {
    let (cdo2, copulas) = cdo_squared_of(params)?;
    copulas
        .iter()
        .map(|copula| cdo2.scenario_losses(copula, range.clone(), params.seed))
        .collect()
}

/// [`compare_cdo_squared`] from the losses of all of its scenarios at each correlation
/// ([`cdo_squared_losses`] over `0..params.scenarios`, or the shards' concatenated in
/// scenario order): exactly the comparison of the single run.
pub fn compare_cdo_squared_from(
    params: &CdoSquaredParams,
    scale: &MasterScale,
    losses: Vec<Vec<[f64; 2]>>,
) -> Result<CdoSquaredComparison> {
    let (cdo2, copulas) = cdo_squared_of(params)?;
    if losses.len() != params.rhos.len()
        || losses.iter().any(|l| l.len() as u64 != params.scenarios)
    {
        return Err(PoolError::InvalidParameter {
            field: "scenarios".into(),
            value: losses.first().map_or(0, Vec::len) as f64,
            reason: "needs the losses of every scenario at every correlation",
        });
    }
    let mut by_rho = Vec::with_capacity(params.rhos.len());
    for ((&rho, copula), losses) in params.rhos.iter().zip(&copulas).zip(losses) {
        let r = cdo2.risk_of(copula, losses)?;
        let rate = |t: &TrancheRisk| RatedNote::of(t, scale, params.horizon);
        // The mezzanine entries report the mezzanine's bounds in its underlying pool.
        let mezzanine = |t: &TrancheRisk| {
            rate(t).map(|n| RatedNote {
                attach: params.mezzanine_attach,
                detach: params.mezzanine_detach,
                ..n
            })
        };
        by_rho.push(CdoSquaredAtRho {
            rho,
            single_mezzanine: mezzanine(&r.single_mezzanine)?,
            mezzanine_held_directly: mezzanine(&r.mezzanine_held_directly)?,
            outer: r.outer.iter().map(rate).collect::<Result<_>>()?,
        });
    }
    Ok(CdoSquaredComparison {
        params: params.clone(),
        by_rho,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn re_tranching_concentrates_correlation_risk_in_the_senior_notes() {
        let outer = CapitalStructure::new([("junior", 0.0, 0.3), ("senior", 0.3, 1.0)]).unwrap();
        let cdo2 =
            CdoSquared::new(10, 100, 0.05, 0.5, Tranche::new(0.04, 0.08).unwrap(), outer).unwrap();
        let g = |rho| Copula::gaussian(rho).unwrap();
        let low = cdo2.risk(&g(0.05), 40_000, 7).unwrap();
        let high = cdo2.risk(&g(0.30), 40_000, 7).unwrap();
        let mezz_low = low.mezzanine_held_directly.default_probability.value;
        let mezz_high = high.mezzanine_held_directly.default_probability.value;
        let senior_low = low.outer[1].default_probability.value;
        let senior_high = high.outer[1].default_probability.value;
        // The senior notes are safer than the mezzanine tranches they hold...
        assert!(senior_low < mezz_low && senior_high < mezz_high);
        // ... but their default probability rises with correlation many times faster.
        assert!(senior_low > 0.0, "{senior_low}");
        assert!(
            senior_high / senior_low > 3.0 * (mezz_high / mezz_low),
            "senior {senior_low} -> {senior_high}, mezzanine {mezz_low} -> {mezz_high}"
        );
        // The expected loss of the collateral (the mezzanine tranches) is the thickness-
        // weighted sum of the outer tranches' expected losses.
        let el: f64 = high
            .outer
            .iter()
            .map(|t| t.expected_loss.value * (t.detach - t.attach))
            .sum();
        assert!((el - high.mezzanine_held_directly.expected_loss.value).abs() <= prec::ACCUMULATED);
        assert!(cdo2.risk(&g(0.1), 0, 1).is_err());
        let multi = Copula::MultiFactor(creditlab_contagion::copula::MultiFactor::explicit(2));
        assert!(cdo2.risk(&multi, 10, 1).is_err());
    }

    /// At the same correlation the Student-t copula's joint tail hits many mezzanine
    /// tranches at once more often: the CDO squared's senior note defaults more often and
    /// the collateral's loss tail is fatter.
    #[test]
    fn a_t_copula_fattens_the_cdo_squared_tail() {
        let outer = CapitalStructure::new([("junior", 0.0, 0.3), ("senior", 0.3, 1.0)]).unwrap();
        let cdo2 =
            CdoSquared::new(10, 100, 0.05, 0.5, Tranche::new(0.04, 0.08).unwrap(), outer).unwrap();
        let rho = 0.05;
        let g = cdo2
            .risk(&Copula::gaussian(rho).unwrap(), 40_000, 7)
            .unwrap();
        let t = cdo2
            .risk(&Copula::student_t(rho, 4.0).unwrap(), 40_000, 7)
            .unwrap();
        let senior = |r: &CdoSquaredRisk| r.outer[1].default_probability;
        let (gs, ts) = (senior(&g), senior(&t));
        assert!(
            ts.value > gs.value + prec::MC_SIGMAS * (ts.std_error.unwrap() + gs.std_error.unwrap()),
            "t {ts:?} vs gaussian {gs:?}"
        );
        assert_eq!(t.rho, rho);
    }

    #[test]
    fn comparison_rates_every_note_at_every_correlation() {
        let params = CdoSquaredParams {
            scenarios: 20_000,
            ..CdoSquaredParams::default()
        };
        let c = compare_cdo_squared(&params, &MasterScale::standard()).unwrap();
        assert_eq!(c.by_rho.len(), 2);
        let (low, high) = (&c.by_rho[0], &c.by_rho[1]);
        assert_eq!(low.outer.len(), 2);
        // The senior note's default probability multiplies with correlation far more than
        // one mezzanine tranche's, and it loses its rating.
        let ratio = |f: fn(&CdoSquaredAtRho) -> f64| f(high) / f(low);
        let senior = ratio(|r| r.outer[1].default_probability);
        let mezz = ratio(|r| r.single_mezzanine.default_probability);
        assert!(
            senior > 2.0 && senior > 2.0 * mezz,
            "senior x{senior}, mezzanine x{mezz}"
        );
        assert!(high.outer[1].rating > low.outer[1].rating);
        assert_eq!(low.single_mezzanine.attach, 0.04);
        assert_eq!(low.mezzanine_held_directly.detach, 0.08);
        // The expected loss of the whole collateral does not depend on how it is sliced.
        let el: f64 = high
            .outer
            .iter()
            .map(|t| t.expected_loss * (t.detach - t.attach))
            .sum();
        assert!((el - high.mezzanine_held_directly.expected_loss).abs() <= prec::ACCUMULATED);
        // Errors name the parameter.
        let bad = CdoSquaredParams {
            rhos: vec![0.1, 1.5],
            ..params.clone()
        };
        let e = compare_cdo_squared(&bad, &MasterScale::standard()).unwrap_err();
        assert!(e.to_string().contains("rhos[1]"), "{e}");
        let bad = CdoSquaredParams {
            mezzanine_attach: 0.09,
            ..params.clone()
        };
        assert!(compare_cdo_squared(&bad, &MasterScale::standard()).is_err());
        let bad = CdoSquaredParams {
            rhos: vec![],
            ..params
        };
        assert!(compare_cdo_squared(&bad, &MasterScale::standard()).is_err());
    }
}

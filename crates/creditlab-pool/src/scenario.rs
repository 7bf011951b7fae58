//! Systematic scenarios of a pool under any one-factor copula of creditlab-contagion: the
//! waterfall's default-rate scenarios and the CDO squared's factor draws share this one
//! loop body.
//!
//! Scenario `s` draws the copula's systematic state with contagion's
//! [`FactorSampler`] from the counter-based stream
//! [`creditlab_numerics::rng::stream`]`(seed, s)`, and the pool's conditional default rate
//! is [`Copula::conditional_pd`] at the threshold [`Copula::threshold`]`(pd)`. For the
//! Gaussian copula the state is one standard normal `z`, and the rate is Vasicek's
//! `Phi((Phi^-1(pd) - sqrt(rho) z) / sqrt(1 - rho))`; the Student-t copula adds the common
//! mixing variable `s = sqrt(W / nu)`, the double-t draws a unit-variance t market factor.
//! Each scenario depends only on its own stream, so results do not depend on the number of
//! threads.

use crate::error::{PoolError, Result, check_range};
use creditlab_contagion::Copula;
use creditlab_contagion::mc::FactorSampler;
use creditlab_numerics::rng::StreamRng;

/// Largest state a one-factor copula draws (the Student-t copula's `[z, s]`).
const MAX_ONE_FACTOR_STATE: usize = 2;

/// The conditional default rate of a pool with unconditional rate `pd`, one draw of the
/// copula's systematic state per scenario.
///
/// The mean rate over scenarios is `pd`; at `rho = 0` every scenario of the Gaussian and
/// double-t copulas has the rate `pd`, while the Student-t copula's rate still moves with
/// its common mixing variable (its defaults stay dependent at `rho = 0`).
///
/// ```
/// use creditlab_contagion::Copula;
/// use creditlab_numerics::prec;
/// use creditlab_pool::scenario::ScenarioRates;
/// let t = ScenarioRates::new(&Copula::student_t(0.2, 4.0)?, 0.03)?;
/// let rates: Vec<f64> = (0..2000).map(|s| t.rate(7, s)).collect();
/// let n = rates.len() as f64;
/// let mean = rates.iter().sum::<f64>() / n;
/// let sd = (rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
/// assert!(prec::within_sigmas(mean, 0.03, sd / n.sqrt(), prec::MC_SIGMAS));
/// assert!(rates.iter().all(|r| (0.0..=1.0).contains(r)));
/// # Ok::<(), creditlab_pool::PoolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScenarioRates {
    copula: Copula,
    sampler: FactorSampler,
    pd: f64,
    threshold: f64,
}

impl ScenarioRates {
    /// Scenario rates around `pd` (in [0, 1]) under a one-factor `copula` (Gaussian,
    /// Student-t or double-t). A multi-factor copula is refused: a pool with one default
    /// rate loads on one factor.
    pub fn new(copula: &Copula, pd: f64) -> Result<Self> {
        check_range("pd", pd, 0.0, 1.0)?;
        if copula.rho().is_none() {
            return Err(PoolError::Unsupported(
                "a pool's default-rate scenarios need a one-factor copula (gaussian, t:NU or \
                 double-t:NU_M,NU_Z); a multi-factor copula needs each obligor's loadings"
                    .into(),
            ));
        }
        let sampler = FactorSampler::new(copula)?;
        debug_assert!(sampler.dim() <= MAX_ONE_FACTOR_STATE);
        Ok(Self {
            copula: copula.clone(),
            sampler,
            pd,
            threshold: copula.threshold(pd),
        })
    }

    /// The copula.
    pub fn copula(&self) -> &Copula {
        &self.copula
    }

    /// Its asset correlation.
    pub fn rho(&self) -> f64 {
        self.copula.rho().unwrap_or_default()
    }

    /// The unconditional default rate.
    pub fn pd(&self) -> f64 {
        self.pd
    }

    /// Draws one systematic state from `rng` and returns the conditional default rate, in
    /// [0, 1]. The state is drawn even when `pd` is 0 or 1 (whose rate is `pd` itself), so
    /// the draws that follow from the same stream do not depend on `pd`.
    #[inline]
    pub fn draw(&self, rng: &mut StreamRng) -> f64 {
        let mut state = [0.0; MAX_ONE_FACTOR_STATE];
        let state = &mut state[..self.sampler.dim()];
        self.sampler.sample(rng, state);
        if self.pd <= 0.0 || self.pd >= 1.0 {
            self.pd
        } else {
            self.copula
                .conditional_pd(self.threshold, None, state)
                .clamp(0.0, 1.0)
        }
    }

    /// The rate of scenario `s`: [`ScenarioRates::draw`] from
    /// [`creditlab_numerics::rng::stream`]`(seed, s)`.
    pub fn rate(&self, seed: u64, s: u64) -> f64 {
        self.draw(&mut creditlab_numerics::rng::stream(seed, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_contagion::copula::{gaussian_conditional_pd, gaussian_threshold};
    use creditlab_numerics::prec;
    use rand_distr::{Distribution, StandardNormal};

    /// Mean and standard error of the mean of `n` scenario rates.
    fn mean_and_se(r: &ScenarioRates, n: u64, seed: u64) -> (f64, f64) {
        let rates: Vec<f64> = (0..n).map(|s| r.rate(seed, s)).collect();
        let m = rates.len() as f64;
        let mean = rates.iter().sum::<f64>() / m;
        let var = rates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
        (mean, (var / m).sqrt())
    }

    fn copulas(rho: f64) -> Vec<Copula> {
        vec![
            Copula::gaussian(rho).unwrap(),
            Copula::student_t(rho, 4.0).unwrap(),
            Copula::double_t(rho, 4.0, 5.0).unwrap(),
        ]
    }

    #[test]
    fn the_gaussian_draws_are_the_vasicek_loop_bit_for_bit() {
        let (pd, rho, seed) = (0.03, 0.15, 11);
        let r = ScenarioRates::new(&Copula::gaussian(rho).unwrap(), pd).unwrap();
        let c = gaussian_threshold(pd);
        for s in 0..500 {
            let mut rng = creditlab_numerics::rng::stream(seed, s);
            let z: f64 = StandardNormal.sample(&mut rng);
            let want = gaussian_conditional_pd(c, rho, z).clamp(0.0, 1.0);
            assert_eq!(r.rate(seed, s).to_bits(), want.to_bits(), "scenario {s}");
        }
    }

    #[test]
    fn the_mean_scenario_rate_is_the_unconditional_rate() {
        for copula in copulas(0.2) {
            for pd in [0.01, 0.05, 0.3] {
                let r = ScenarioRates::new(&copula, pd).unwrap();
                let (mean, se) = mean_and_se(&r, 20_000, 3);
                assert!(
                    prec::within_sigmas(mean, pd, se, prec::MC_SIGMAS),
                    "{copula:?} pd {pd}: mean {mean} +- {se}"
                );
            }
        }
    }

    #[test]
    fn zero_correlation_gives_every_scenario_the_unconditional_rate() {
        let pd = 0.04;
        for copula in [
            Copula::gaussian(0.0).unwrap(),
            Copula::double_t(0.0, 4.0, 5.0).unwrap(),
        ] {
            let r = ScenarioRates::new(&copula, pd).unwrap();
            for s in 0..200 {
                let rate = r.rate(5, s);
                // The threshold and the conditional PD are a quantile and its CDF: the
                // normal pair at SPECIAL, the Student-t pair through statrs.
                assert!(
                    prec::relative_close(rate, pd, prec::STATRS, pd),
                    "{copula:?}: {rate}"
                );
            }
        }
        // The t copula keeps its common mixing variable: the rate moves, its mean does not.
        let t = ScenarioRates::new(&Copula::student_t(0.0, 4.0).unwrap(), pd).unwrap();
        assert!((0..50).any(|s| (t.rate(5, s) - pd).abs() > 0.01 * pd));
        let (mean, se) = mean_and_se(&t, 20_000, 5);
        assert!(prec::within_sigmas(mean, pd, se, prec::MC_SIGMAS));
    }

    #[test]
    fn the_t_copula_fattens_the_upper_tail_of_the_rate() {
        let quantile = |copula: &Copula| {
            let r = ScenarioRates::new(copula, 0.02).unwrap();
            let mut rates: Vec<f64> = (0..20_000).map(|s| r.rate(9, s)).collect();
            rates.sort_by(f64::total_cmp);
            rates[(0.999 * rates.len() as f64) as usize]
        };
        let [g, t, dt] = copulas(0.1).try_into().unwrap();
        assert!(quantile(&t) > 1.2 * quantile(&g));
        assert!(quantile(&dt) > quantile(&g));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let g = Copula::gaussian(0.1).unwrap();
        assert!(ScenarioRates::new(&g, 1.5).is_err());
        let multi = Copula::MultiFactor(creditlab_contagion::copula::MultiFactor::explicit(2));
        let e = ScenarioRates::new(&multi, 0.1).unwrap_err();
        assert!(e.to_string().contains("one-factor"), "{e}");
        // PD 0 and 1 keep their rate and still advance the stream by the state's draw.
        for pd in [0.0, 1.0] {
            let r = ScenarioRates::new(&g, pd).unwrap();
            let mut rng = creditlab_numerics::rng::stream(1, 0);
            assert_eq!(r.draw(&mut rng), pd);
            let mut fresh = creditlab_numerics::rng::stream(1, 0);
            let _: f64 = StandardNormal.sample(&mut fresh);
            let (a, b): (f64, f64) = (
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut fresh),
            );
            assert_eq!(a, b);
        }
    }
}

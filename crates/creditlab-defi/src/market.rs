//! Market dynamics of collateral prices: correlated multi-asset geometric Brownian motion
//! with Merton jumps (crash days common to all assets, and each asset's own), scripted
//! shock paths, and an oracle that reports prices late. Methodology:
//! [docs/methodology/market.md](crate::methodology::market).
//!
//! Over a step of `dt` years the log price of asset `k` moves by
//!
//! ```text
//! (mu_k - sigma_k^2 / 2 - lambda_k kappa_k) dt + sigma_k sqrt(dt) (L z)_k + sum_{j <= N_k} Y_kj
//! ```
//!
//! with `z` independent standard normals, `L` the Cholesky factor of the correlation
//! matrix, `N_k ~ Poisson(lambda_k dt)` jumps of log size `Y ~ N(m_k, s_k^2)` and
//! `kappa_k = exp(m_k + s_k^2 / 2) - 1` the compensator, so `E[S_t] = S_0 exp(mu_k t)`
//! (Merton, 1976). These jumps are each asset's own; [`CrashDays`] adds crash days common
//! to all assets: one Poisson arrival, log sizes jointly normal across assets (the term
//! `- lambda_c kappa_ck` in the drift and `+ sum_{j <= N_c} Y^c_kj` in the move).
//!
//! ```
//! use creditlab_defi::market::{AssetDynamics, MarketModel, ShockPath};
//! let eth = AssetDynamics::new(0.0, 0.8, 10.0, -0.05, 0.05)?;
//! let model = MarketModel::new(vec![eth], &[vec![1.0]], 1.0 / 8760.0)?;
//! let mut rng = creditlab_numerics::rng::stream(1, 0);
//! let mut dlog = [0.0];
//! model.step(&mut rng, &mut dlog);
//! assert!(dlog[0].is_finite());
//! let crash = ShockPath::march_2020();
//! assert!((crash.multiplier(38.0) - 0.49).abs() <= creditlab_numerics::prec::IDENTITY);
//! # Ok::<(), creditlab_defi::DefiError>(())
//! ```

use crate::error::{Result, check_range, invalid, out_of_range};
use creditlab_numerics::bivariate::bivariate_norm_cdf;
use creditlab_numerics::rng::{StreamRng, open01};
use creditlab_numerics::special::norm_cdf;
use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Hours in a year of continuous trading (crypto markets never close): 365 x 24.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The dynamics of one asset's price: annualized drift and volatility, Poisson jumps.
///
/// ```
/// use creditlab_defi::market::AssetDynamics;
/// // ETH-like: 80% volatility, a crash-day jump a year of log size N(-0.25, 0.10^2).
/// let eth = AssetDynamics::new(0.0, 0.8, 1.0, -0.25, 0.10)?;
/// let day = 1.0 / 365.0;
/// // Compensated jumps: the log return's mean is below -sigma^2 t / 2 by lambda t (m - kappa).
/// assert!(eth.log_return_mean(day) < -0.5 * 0.8 * 0.8 * day);
/// assert_eq!(AssetDynamics::new(0.0, -0.8, 0.0, 0.0, 0.0).unwrap_err().field(), Some("volatility"));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssetDynamics {
    /// Annualized drift `mu`: `E[S_t] = S_0 exp(mu t)`.
    pub drift: f64,
    /// Annualized volatility of the diffusion, `sigma >= 0`.
    pub volatility: f64,
    /// Jumps per year, `lambda >= 0`.
    pub jump_intensity: f64,
    /// Mean of a jump's log size, `m`.
    pub jump_mean: f64,
    /// Standard deviation of a jump's log size, `s >= 0`.
    pub jump_sd: f64,
}

impl AssetDynamics {
    /// Validated dynamics; errors name the field.
    pub fn new(
        drift: f64,
        volatility: f64,
        jump_intensity: f64,
        jump_mean: f64,
        jump_sd: f64,
    ) -> Result<Self> {
        check_range("drift", drift, -10.0, 10.0)?;
        check_range("volatility", volatility, 0.0, 10.0)?;
        check_range("jump_intensity", jump_intensity, 0.0, 1.0e4)?;
        check_range("jump_mean", jump_mean, -5.0, 5.0)?;
        check_range("jump_sd", jump_sd, 0.0, 5.0)?;
        Ok(Self {
            drift,
            volatility,
            jump_intensity,
            jump_mean,
            jump_sd,
        })
    }

    /// No randomness at all: the price only follows a scripted shock.
    pub fn constant() -> Self {
        Self {
            drift: 0.0,
            volatility: 0.0,
            jump_intensity: 0.0,
            jump_mean: 0.0,
            jump_sd: 0.0,
        }
    }

    /// The jump compensator `kappa = E[e^Y] - 1 = exp(m + s^2 / 2) - 1`.
    pub fn kappa(&self) -> f64 {
        (self.jump_mean + 0.5 * self.jump_sd * self.jump_sd).exp_m1()
    }

    /// Mean of the log return over `t` years (closed form):
    /// `(mu - sigma^2 / 2 - lambda kappa) t + lambda t m`.
    pub fn log_return_mean(&self, t: f64) -> f64 {
        (self.drift - 0.5 * self.volatility * self.volatility - self.jump_intensity * self.kappa())
            * t
            + self.jump_intensity * t * self.jump_mean
    }

    /// Variance of the log return over `t` years (closed form):
    /// `sigma^2 t + lambda t (m^2 + s^2)`.
    pub fn log_return_variance(&self, t: f64) -> f64 {
        self.volatility * self.volatility * t
            + self.jump_intensity
                * t
                * (self.jump_mean * self.jump_mean + self.jump_sd * self.jump_sd)
    }
}

/// Crash days common to all assets: `per_year` arrivals a year (one Poisson process for
/// the market), on each of which asset `k` jumps by a log size `N(mean_k, sd_k^2)`, the
/// sizes jointly normal across assets with correlation `correlation`.
///
/// ```
/// use creditlab_defi::market::CrashDays;
/// // BTC and ETH crash days of 2017-11..2024-05 ([docs/methodology/market.md](crate::methodology::market)).
/// let crash = CrashDays::new(
///     8.86,
///     vec![-0.1014, -0.1403],
///     vec![0.0354, 0.0413],
///     &[vec![1.0, 0.375], vec![0.375, 1.0]],
/// )?;
/// // Both fall by 10% or more on about 3.6 days a year.
/// let joint = crash.joint_fall_per_year(0, 1, 0.10);
/// assert!(joint > 3.0 && joint < 4.0);
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CrashDays {
    /// Crash days per year, `lambda_c >= 0`.
    pub per_year: f64,
    /// Mean log move of each asset on a crash day.
    pub mean: Vec<f64>,
    /// Standard deviation of each asset's log move on a crash day, >= 0.
    pub sd: Vec<f64>,
    /// Lower-triangular Cholesky factor of the moves' correlation, row-major.
    chol: Vec<f64>,
    /// The correlation matrix itself.
    correlation: Vec<Vec<f64>>,
}

impl CrashDays {
    /// Validated crash days; errors name the field (`per_year`, `mean[1]`, `sd[0]`,
    /// `correlation`).
    pub fn new(
        per_year: f64,
        mean: Vec<f64>,
        sd: Vec<f64>,
        correlation: &[Vec<f64>],
    ) -> Result<Self> {
        check_range("per_year", per_year, 0.0, 1.0e4)?;
        let n = mean.len();
        if sd.len() != n || correlation.len() != n {
            return Err(invalid(
                "",
                format!(
                    "{} means, {} standard deviations and {} correlation rows: one each per asset",
                    n,
                    sd.len(),
                    correlation.len()
                ),
            ));
        }
        for (k, &m) in mean.iter().enumerate() {
            check_range(format!("mean[{k}]"), m, -5.0, 5.0)?;
        }
        for (k, &v) in sd.iter().enumerate() {
            check_range(format!("sd[{k}]"), v, 0.0, 5.0)?;
        }
        let chol = cholesky_factor(correlation).map_err(|e| e.within("correlation"))?;
        Ok(Self {
            per_year,
            mean,
            sd,
            chol,
            correlation: correlation.to_vec(),
        })
    }

    /// Number of assets.
    pub fn n_assets(&self) -> usize {
        self.mean.len()
    }

    /// The correlation of the assets' moves on a crash day.
    pub fn correlation(&self) -> &[Vec<f64>] {
        &self.correlation
    }

    /// Asset `k`'s compensator `E[e^Y] - 1 = exp(m_k + s_k^2 / 2) - 1`.
    pub fn kappa(&self, k: usize) -> f64 {
        (self.mean[k] + 0.5 * self.sd[k] * self.sd[k]).exp_m1()
    }

    /// Expected number of crash days a year on which assets `i` and `j` both fall by at
    /// least `fall` (a simple return of `-fall` or worse): `per_year x Phi_2(a_i, a_j;
    /// rho_ij)` with `a_k = (ln(1 - fall) - m_k) / s_k` (closed form).
    pub fn joint_fall_per_year(&self, i: usize, j: usize, fall: f64) -> f64 {
        let x = (1.0 - fall).ln();
        let a = |k: usize| {
            if self.sd[k] > 0.0 {
                (x - self.mean[k]) / self.sd[k]
            } else if self.mean[k] <= x {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }
        };
        let (ai, aj) = (a(i), a(j));
        let p = if i == j {
            norm_cdf(ai)
        } else if ai == f64::NEG_INFINITY || aj == f64::NEG_INFINITY {
            0.0
        } else if ai == f64::INFINITY {
            norm_cdf(aj)
        } else if aj == f64::INFINITY {
            norm_cdf(ai)
        } else {
            bivariate_norm_cdf(ai, aj, self.correlation[i][j])
        };
        self.per_year * p
    }
}

/// Correlated assets stepped at a fixed step length.
///
/// ```
/// use creditlab_defi::market::{AssetDynamics, HOURS_PER_YEAR, MarketModel};
/// let eth = AssetDynamics::new(0.0, 0.8, 0.0, 0.0, 0.0)?;
/// let btc = AssetDynamics::new(0.0, 0.6, 0.0, 0.0, 0.0)?;
/// let corr = vec![vec![1.0, 0.8], vec![0.8, 1.0]];
/// let model = MarketModel::new(vec![eth, btc], &corr, 1.0 / HOURS_PER_YEAR)?;
/// let mut rng = creditlab_numerics::rng::stream(7, 0);
/// let mut dlog = [0.0; 2];
/// model.step(&mut rng, &mut dlog); // one hour of log returns
/// assert!(dlog.iter().all(|x| x.is_finite()));
/// // A matrix that is no correlation is refused, naming the argument.
/// let bad = vec![vec![1.0, 0.9], vec![0.8, 1.0]];
/// let e = MarketModel::new(vec![eth, btc], &bad, 0.01).unwrap_err();
/// assert_eq!(e.field(), Some("correlation"));
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MarketModel {
    assets: Vec<AssetDynamics>,
    /// Lower-triangular Cholesky factor, row-major `n x n`.
    chol: Vec<f64>,
    dt: f64,
    /// Per asset: deterministic log drift per step.
    drift_step: Vec<f64>,
    /// Per asset: `sigma sqrt(dt)`.
    vol_step: Vec<f64>,
    /// Per asset: `exp(-lambda dt)`, the probability of no jump in a step.
    no_jump: Vec<f64>,
    /// Crash days common to all assets, if any.
    crash: Option<CrashDays>,
    /// `exp(-lambda_c dt)`: the probability of no crash day in a step.
    no_crash: f64,
}

/// Checks that `corr` is a symmetric correlation matrix with unit diagonal and returns its
/// lower-triangular Cholesky factor (row-major). A matrix that is not positive
/// semi-definite is an error naming its smallest eigenvalue; a singular one (perfect
/// correlation) is factored with zero pivots.
#[expect(
    clippy::needless_range_loop,
    reason = "matrix entries are indexed (i, j) as in the formulas"
)]
pub fn cholesky_factor(corr: &[Vec<f64>]) -> Result<Vec<f64>> {
    let n = corr.len();
    if n == 0 || corr.iter().any(|r| r.len() != n) {
        return Err(invalid(
            "",
            format!(
                "must be square and non-empty, got {n} rows of lengths {:?}",
                corr.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    for i in 0..n {
        for j in 0..n {
            let v = corr[i][j];
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) {
                return Err(invalid(
                    "",
                    format!("entry ({i}, {j}) = {v} is outside [-1, 1]"),
                ));
            }
            if (v - corr[j][i]).abs() > 1e-12 {
                return Err(invalid(
                    "",
                    format!(
                        "not symmetric: ({i}, {j}) = {v} but ({j}, {i}) = {}",
                        corr[j][i]
                    ),
                ));
            }
        }
        if (corr[i][i] - 1.0).abs() > 1e-12 {
            return Err(invalid(
                "",
                format!("diagonal entry ({i}, {i}) = {} is not 1", corr[i][i]),
            ));
        }
    }
    let m = DMatrix::from_fn(n, n, |i, j| corr[i][j]);
    let min = m.clone().symmetric_eigen().eigenvalues.min();
    if min < -1e-10 {
        return Err(invalid(
            "",
            format!("not positive semi-definite: smallest eigenvalue {min:.6e}"),
        ));
    }
    let mut l = vec![0.0; n * n];
    match nalgebra::Cholesky::new(m) {
        Some(c) => {
            let f = c.l();
            for i in 0..n {
                for j in 0..=i {
                    l[i * n + j] = f[(i, j)];
                }
            }
        }
        None => {
            // Singular but positive semi-definite: the outer-product algorithm with zero
            // pivots left as zero columns.
            for j in 0..n {
                let d = corr[j][j] - (0..j).map(|k| l[j * n + k].powi(2)).sum::<f64>();
                let pivot = if d > 1e-12 { d.sqrt() } else { 0.0 };
                l[j * n + j] = pivot;
                for i in j + 1..n {
                    let s = corr[i][j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
                    l[i * n + j] = if pivot > 0.0 { s / pivot } else { 0.0 };
                }
            }
        }
    }
    Ok(l)
}

impl MarketModel {
    /// Assets with these dynamics, diffusions correlated by `corr` (n x n), stepped every
    /// `dt` years. Errors name the asset, the field or the matrix problem.
    pub fn new(assets: Vec<AssetDynamics>, corr: &[Vec<f64>], dt: f64) -> Result<Self> {
        if assets.is_empty() {
            return Err(invalid("assets", "a market needs at least one asset"));
        }
        if !(dt.is_finite() && dt > 0.0 && dt <= 1.0) {
            return Err(out_of_range(
                "dt",
                dt,
                "(the step length in years) must be in (0, 1]",
            ));
        }
        for (k, a) in assets.iter().enumerate() {
            AssetDynamics::new(
                a.drift,
                a.volatility,
                a.jump_intensity,
                a.jump_mean,
                a.jump_sd,
            )
            .map_err(|e| e.within(&format!("assets[{k}]")))?;
        }
        if corr.len() != assets.len() {
            return Err(invalid(
                "correlation",
                format!("{} rows for {} assets", corr.len(), assets.len()),
            ));
        }
        let chol = cholesky_factor(corr).map_err(|e| e.within("correlation"))?;
        let drift_step = assets
            .iter()
            .map(|a| {
                (a.drift - 0.5 * a.volatility * a.volatility - a.jump_intensity * a.kappa()) * dt
            })
            .collect();
        let vol_step = assets.iter().map(|a| a.volatility * dt.sqrt()).collect();
        let no_jump = assets
            .iter()
            .map(|a| (-a.jump_intensity * dt).exp())
            .collect();
        Ok(Self {
            assets,
            chol,
            dt,
            drift_step,
            vol_step,
            no_jump,
            crash: None,
            no_crash: 1.0,
        })
    }

    /// The same market with crash days common to all assets (one per asset in `crash`):
    /// each asset's drift gains the compensator `-lambda_c kappa_ck`, so `E[S_t]` is still
    /// `S_0 exp(mu t)`. Errors name `crash` when it is for another number of assets.
    pub fn with_crash_days(mut self, crash: CrashDays) -> Result<Self> {
        if crash.n_assets() != self.assets.len() {
            return Err(invalid(
                "crash",
                format!(
                    "crash days for {} assets in a market of {}",
                    crash.n_assets(),
                    self.assets.len()
                ),
            ));
        }
        for k in 0..self.assets.len() {
            self.drift_step[k] -= crash.per_year * crash.kappa(k) * self.dt;
        }
        self.no_crash = (-crash.per_year * self.dt).exp();
        self.crash = Some(crash);
        Ok(self)
    }

    /// The crash days common to all assets, if any.
    pub fn crash_days(&self) -> Option<&CrashDays> {
        self.crash.as_ref()
    }

    /// Mean of asset `k`'s log return over `t` years (closed form): its own jumps'
    /// [`AssetDynamics::log_return_mean`] plus the crash days'
    /// `lambda_c t (m_ck - kappa_ck)`.
    pub fn log_return_mean(&self, k: usize, t: f64) -> f64 {
        let own = self.assets[k].log_return_mean(t);
        self.crash
            .as_ref()
            .map_or(own, |c| own + c.per_year * t * (c.mean[k] - c.kappa(k)))
    }

    /// Covariance of assets `i` and `j`'s log returns over `t` years (closed form):
    /// `rho_ij sigma_i sigma_j t + lambda_c t (m_ci m_cj + rho^c_ij s_ci s_cj)`, plus each
    /// asset's own jumps on the diagonal (`lambda t (m^2 + s^2)`).
    pub fn log_return_covariance(&self, i: usize, j: usize, t: f64) -> f64 {
        let n = self.assets.len();
        let row = |r: usize| &self.chol[r * n..(r + 1) * n];
        let rho: f64 = row(i).iter().zip(row(j)).map(|(a, b)| a * b).sum();
        let (a, b) = (&self.assets[i], &self.assets[j]);
        let mut cov = rho * a.volatility * b.volatility * t;
        if i == j {
            cov += a.jump_intensity * t * (a.jump_mean * a.jump_mean + a.jump_sd * a.jump_sd);
        }
        if let Some(c) = &self.crash {
            cov +=
                c.per_year * t * (c.mean[i] * c.mean[j] + c.correlation[i][j] * c.sd[i] * c.sd[j]);
        }
        cov
    }

    /// Number of assets.
    pub fn n_assets(&self) -> usize {
        self.assets.len()
    }

    /// The assets' dynamics.
    pub fn assets(&self) -> &[AssetDynamics] {
        &self.assets
    }

    /// Step length in years.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The lower-triangular Cholesky factor of the correlation matrix, row-major.
    pub fn cholesky(&self) -> &[f64] {
        &self.chol
    }

    /// Whether any asset moves at random (otherwise `step` draws nothing and returns 0).
    pub fn is_random(&self) -> bool {
        self.assets
            .iter()
            .any(|a| a.volatility > 0.0 || a.jump_intensity > 0.0 || a.drift != 0.0)
            || self.crash.as_ref().is_some_and(|c| c.per_year > 0.0)
    }

    /// Draws one step's log returns into `out` (length `n_assets`) and returns the number
    /// of crash days common to all assets in the step (0 without [`CrashDays`]). Per step:
    /// `n` normals for the diffusion, then per asset with jumps of its own one uniform for
    /// the Poisson count (inversion) and one normal per jump, then, with crash days, one
    /// uniform for their count and `n` normals per crash day. The order of draws is fixed,
    /// so a stream gives the same path on any machine (and a market without crash days
    /// draws exactly what it drew before they existed).
    #[expect(
        clippy::needless_range_loop,
        reason = "asset i reads row i of the factor and its own parameters"
    )]
    pub fn step(&self, rng: &mut StreamRng, out: &mut [f64]) -> u32 {
        let n = self.assets.len();
        debug_assert_eq!(out.len(), n);
        let mut z = [0.0f64; 8];
        let mut heap;
        let z: &mut [f64] = if n <= 8 {
            &mut z[..n]
        } else {
            heap = vec![0.0; n];
            &mut heap
        };
        for zi in z.iter_mut() {
            *zi = StandardNormal.sample(rng);
        }
        for i in 0..n {
            let row = &self.chol[i * n..i * n + i + 1];
            let corr_z: f64 = row.iter().zip(z.iter()).map(|(l, x)| l * x).sum();
            let mut dlog = self.drift_step[i] + self.vol_step[i] * corr_z;
            let a = &self.assets[i];
            if a.jump_intensity > 0.0 {
                let jumps = poisson_by_inversion(self.no_jump[i], a.jump_intensity * self.dt, rng);
                for _ in 0..jumps {
                    let y: f64 = StandardNormal.sample(rng);
                    dlog += a.jump_mean + a.jump_sd * y;
                }
            }
            out[i] = dlog;
        }
        let Some(crash) = &self.crash else {
            return 0;
        };
        if crash.per_year <= 0.0 {
            return 0;
        }
        let days = poisson_by_inversion(self.no_crash, crash.per_year * self.dt, rng);
        for _ in 0..days {
            for zi in z.iter_mut() {
                *zi = StandardNormal.sample(rng);
            }
            for i in 0..n {
                let row = &crash.chol[i * n..i * n + i + 1];
                let corr_z: f64 = row.iter().zip(z.iter()).map(|(l, x)| l * x).sum();
                out[i] += crash.mean[i] + crash.sd[i] * corr_z;
            }
        }
        days
    }
}

/// A Poisson(`mean`) draw by inversion of its CDF from one uniform; `p0 = exp(-mean)`.
/// Exact; cheap for the small means of a short step.
pub(crate) fn poisson_by_inversion(p0: f64, mean: f64, rng: &mut StreamRng) -> u32 {
    let u = open01(rng.next_u64());
    let mut k = 0u32;
    let mut p = p0;
    let mut cdf = p0;
    while u > cdf && k < 1000 {
        k += 1;
        p *= mean / f64::from(k);
        cdf += p;
        if p == 0.0 {
            break;
        }
    }
    k
}

/// A scripted shock: a price multiplier over time, piecewise linear in its logarithm
/// between knots `(hour, multiplier)`, 1 before hour 0, constant after the last knot.
///
/// ```
/// use creditlab_defi::market::ShockPath;
/// // A 30% fall over 12 hours, then flat.
/// let shock = ShockPath::new(vec![(12.0, 0.7)])?;
/// assert_eq!(shock.multiplier(0.0), 1.0);
/// let halfway = shock.multiplier(6.0); // log-linear
/// assert!((halfway - 0.7f64.sqrt()).abs() <= creditlab_numerics::prec::IDENTITY);
/// assert_eq!(shock.multiplier(100.0), 0.7);
/// assert_eq!(ShockPath::march_2020().start_hour(), 0.0);
/// # Ok::<(), creditlab_defi::DefiError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ShockPath {
    knots: Vec<(f64, f64)>,
}

impl ShockPath {
    /// Knots `(hour, multiplier)` with strictly increasing hours >= 0 and multipliers > 0.
    /// When the first knot is after hour 0, the multiplier is 1 until then and moves
    /// log-linearly to the first knot's value; so `[(12, 0.7)]` falls from hour 0.
    pub fn new(knots: Vec<(f64, f64)>) -> Result<Self> {
        if knots.is_empty() {
            return Err(invalid("", "a shock needs at least one knot"));
        }
        let mut previous = -1.0;
        for (i, &(h, m)) in knots.iter().enumerate() {
            if !(h.is_finite() && h >= 0.0 && h > previous) {
                return Err(out_of_range(
                    format!("[{i}]"),
                    h,
                    "(the hour) must be finite, >= 0 and after the previous knot's",
                ));
            }
            if !(m.is_finite() && m > 0.0) {
                return Err(out_of_range(
                    format!("[{i}]"),
                    m,
                    "(the multiplier) must be finite and > 0",
                ));
            }
            previous = h;
        }
        let mut knots = knots;
        if knots[0].0 > 0.0 {
            knots.insert(0, (0.0, 1.0));
        }
        Ok(Self { knots })
    }

    /// The shape of ETH/USD on 12-13 March 2020 ("Black Thursday"), from hour 0 = 00:00
    /// UTC on 12 March: -30% at hour 12, -51% at hour 38 (the low of 13 March), then a
    /// partial rebound to -40% at hour 72, held after. See [docs/methodology/market.md](crate::methodology::market) for
    /// the prices behind it.
    pub fn march_2020() -> Self {
        Self {
            knots: vec![(0.0, 1.0), (12.0, 0.70), (38.0, 0.49), (72.0, 0.60)],
        }
    }

    /// The knots (starting at hour 0).
    pub fn knots(&self) -> &[(f64, f64)] {
        &self.knots
    }

    /// The hour the multiplier first leaves 1 (the start of the first moving segment): the
    /// "first shock" from which the time to the first bad debt is measured.
    pub fn start_hour(&self) -> f64 {
        let mut start = 0.0;
        for w in self.knots.windows(2) {
            if w[1].1 != w[0].1 {
                return w[0].0;
            }
            start = w[1].0;
        }
        start
    }

    /// The multiplier at `hour`: log-linear interpolation between knots, 1 before hour 0,
    /// the last value after the last knot.
    pub fn multiplier(&self, hour: f64) -> f64 {
        if hour <= 0.0 {
            return if hour < 0.0 { 1.0 } else { self.knots[0].1 };
        }
        for w in self.knots.windows(2) {
            let ((h0, m0), (h1, m1)) = (w[0], w[1]);
            if hour <= h1 {
                let t = (hour - h0) / (h1 - h0);
                return (m0.ln() + t * (m1.ln() - m0.ln())).exp();
            }
        }
        self.knots[self.knots.len() - 1].1
    }
}

/// An oracle that reports, at every step, the price it was given `delay` steps earlier
/// (the initial prices until then): a ring buffer of the last `delay + 1` price vectors.
///
/// ```
/// use creditlab_defi::market::Oracle;
/// let mut oracle = Oracle::new(1, &[2000.0]); // one step late
/// assert_eq!(oracle.update(&[1800.0]), &[2000.0]);
/// assert_eq!(oracle.update(&[1500.0]), &[1800.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Oracle {
    delay: usize,
    n: usize,
    ring: Vec<f64>,
    head: usize,
}

impl Oracle {
    /// An oracle lagging by `delay` steps, primed with `initial` prices.
    pub fn new(delay: usize, initial: &[f64]) -> Self {
        let n = initial.len();
        let mut ring = Vec::with_capacity((delay + 1) * n);
        for _ in 0..=delay {
            ring.extend_from_slice(initial);
        }
        Self {
            delay,
            n,
            ring,
            head: 0,
        }
    }

    /// The delay in steps.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Records this step's market prices and returns the prices reported now (those of
    /// `delay` steps ago; these very prices when the delay is 0).
    pub fn update(&mut self, market: &[f64]) -> &[f64] {
        let n = self.n;
        let slots = self.delay + 1;
        self.ring[self.head * n..(self.head + 1) * n].copy_from_slice(market);
        // The oldest slot is the one after head.
        let oldest = (self.head + 1) % slots;
        self.head = oldest;
        &self.ring[oldest * n..(oldest + 1) * n]
    }

    /// Re-primes the oracle with `initial` prices (start of a new path), no allocation.
    pub fn reset(&mut self, initial: &[f64]) {
        for chunk in self.ring.chunks_exact_mut(self.n.max(1)) {
            chunk.copy_from_slice(initial);
        }
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;
    use creditlab_numerics::rng::stream;

    /// The sample variance of a fat-tailed (jump) return has a larger standard error than
    /// the normal `var sqrt(2 / n)`; six of those bound it at this sample size.
    const JUMP_VARIANCE_SIGMAS: f64 = 6.0;

    #[test]
    fn merton_log_return_moments_match_closed_forms() {
        // One day of hourly steps, 20,000 paths: mean and variance of the day's log return
        // within 4 standard errors of the closed forms.
        let a = AssetDynamics::new(0.05, 0.8, 50.0, -0.04, 0.06).unwrap();
        let dt = 1.0 / HOURS_PER_YEAR;
        let model = MarketModel::new(vec![a], &[vec![1.0]], dt).unwrap();
        let (steps, paths) = (24, 20_000);
        let t = steps as f64 * dt;
        let mut sum = 0.0;
        let mut sum2 = 0.0;
        let mut price_sum = 0.0;
        let mut out = [0.0];
        for p in 0..paths {
            let mut rng = stream(11, p);
            let mut x = 0.0;
            for _ in 0..steps {
                model.step(&mut rng, &mut out);
                x += out[0];
            }
            sum += x;
            sum2 += x * x;
            price_sum += x.exp();
        }
        let n = paths as f64;
        let mean = sum / n;
        let var = sum2 / n - mean * mean;
        let want_mean = a.log_return_mean(t);
        let want_var = a.log_return_variance(t);
        assert!(
            prec::within_sigmas(mean, want_mean, (want_var / n).sqrt(), prec::MC_SIGMAS),
            "{mean} vs {want_mean}"
        );
        // Variance of the sample variance ~ 2 var^2 / n for near-normal; jumps fatten it.
        assert!(
            prec::within_sigmas(
                var,
                want_var,
                want_var * (2.0 / n).sqrt(),
                JUMP_VARIANCE_SIGMAS
            ),
            "{var} vs {want_var}"
        );
        // Compensated: E[S_t / S_0] = exp(mu t).
        let se = (want_var.exp_m1() / n).sqrt();
        assert!(
            prec::within_sigmas(price_sum / n, (a.drift * t).exp(), se, prec::MC_SIGMAS),
            "{} vs {}",
            price_sum / n,
            (a.drift * t).exp()
        );
    }

    #[test]
    #[expect(
        clippy::needless_range_loop,
        reason = "matrix entries are indexed (i, j) as in the formulas"
    )]
    fn sample_correlation_of_increments() {
        let a = AssetDynamics::new(0.0, 0.8, 0.0, 0.0, 0.0).unwrap();
        let b = AssetDynamics::new(0.0, 0.6, 0.0, 0.0, 0.0).unwrap();
        let c = AssetDynamics::new(0.0, 1.0, 0.0, 0.0, 0.0).unwrap();
        let corr = vec![
            vec![1.0, 0.7, 0.3],
            vec![0.7, 1.0, -0.2],
            vec![0.3, -0.2, 1.0],
        ];
        let model = MarketModel::new(vec![a, b, c], &corr, 1.0 / HOURS_PER_YEAR).unwrap();
        let n = 50_000;
        let mut rng = stream(5, 0);
        let mut out = [0.0; 3];
        let mut s = [0.0; 3];
        let mut sxy = [[0.0; 3]; 3];
        for _ in 0..n {
            model.step(&mut rng, &mut out);
            for i in 0..3 {
                s[i] += out[i];
                for j in 0..3 {
                    sxy[i][j] += out[i] * out[j];
                }
            }
        }
        let nf = n as f64;
        let cov = |i: usize, j: usize| sxy[i][j] / nf - s[i] * s[j] / (nf * nf);
        for i in 0..3 {
            for j in 0..i {
                let r = cov(i, j) / (cov(i, i) * cov(j, j)).sqrt();
                // SE of a sample correlation ~ (1 - r^2) / sqrt(n).
                let se = (1.0 - corr[i][j] * corr[i][j]) / nf.sqrt();
                assert!(
                    prec::within_sigmas(r, corr[i][j], se, prec::MC_SIGMAS),
                    "({i},{j}): {r}"
                );
            }
        }
    }

    /// The default scenario's two assets (ETH, BTC): diffusion volatilities and
    /// correlation of the days without a crash, crash days and their moves.
    fn eth_btc() -> MarketModel {
        let eth = AssetDynamics::new(0.0, 0.7644, 0.0, 0.0, 0.0).unwrap();
        let btc = AssetDynamics::new(0.0, 0.6197, 0.0, 0.0, 0.0).unwrap();
        let crash = CrashDays::new(
            8.86,
            vec![-0.1403, -0.1014],
            vec![0.0413, 0.0354],
            &[vec![1.0, 0.375], vec![0.375, 1.0]],
        )
        .unwrap();
        MarketModel::new(
            vec![eth, btc],
            &[vec![1.0, 0.727], vec![0.727, 1.0]],
            1.0 / HOURS_PER_YEAR,
        )
        .unwrap()
        .with_crash_days(crash)
        .unwrap()
    }

    #[test]
    fn crash_day_moments_match_closed_forms() {
        // Ten days of hourly steps, 20,000 paths: each asset's mean and variance, their
        // covariance, and E[S_t / S_0] = 1 (compensated) against the closed forms.
        let model = eth_btc();
        let (steps, paths) = (240, 20_000);
        let t = steps as f64 * model.dt();
        let mut sum = [0.0; 2];
        let mut sxy = [[0.0; 2]; 2];
        let mut price = [0.0; 2];
        let mut days = 0u64;
        let mut out = [0.0; 2];
        for p in 0..paths {
            let mut rng = stream(17, p);
            let mut x = [0.0; 2];
            for _ in 0..steps {
                days += u64::from(model.step(&mut rng, &mut out));
                x[0] += out[0];
                x[1] += out[1];
            }
            for i in 0..2 {
                sum[i] += x[i];
                price[i] += x[i].exp();
                for j in 0..2 {
                    sxy[i][j] += x[i] * x[j];
                }
            }
        }
        let n = paths as f64;
        for i in 0..2 {
            let mean = sum[i] / n;
            let var = model.log_return_covariance(i, i, t);
            assert!(
                prec::within_sigmas(
                    mean,
                    model.log_return_mean(i, t),
                    (var / n).sqrt(),
                    prec::MC_SIGMAS
                ),
                "asset {i}: mean {mean} vs {}",
                model.log_return_mean(i, t)
            );
            let sample_var = sxy[i][i] / n - mean * mean;
            assert!(
                prec::within_sigmas(
                    sample_var,
                    var,
                    var * (2.0 / n).sqrt(),
                    JUMP_VARIANCE_SIGMAS
                ),
                "asset {i}: variance {sample_var} vs {var}"
            );
            let se = (var.exp_m1() / n).sqrt();
            assert!(
                prec::within_sigmas(price[i] / n, 1.0, se, prec::MC_SIGMAS),
                "asset {i}: E[S] {}",
                price[i] / n
            );
        }
        let cov = sxy[0][1] / n - sum[0] * sum[1] / (n * n);
        let want = model.log_return_covariance(0, 1, t);
        let (v0, v1) = (
            model.log_return_covariance(0, 0, t),
            model.log_return_covariance(1, 1, t),
        );
        // SE of a sample covariance ~ sqrt((v0 v1 + cov^2) / n).
        let se = ((v0 * v1 + want * want) / n).sqrt();
        assert!(
            prec::within_sigmas(cov, want, se, JUMP_VARIANCE_SIGMAS),
            "{cov} vs {want}"
        );
        // The number of crash days is Poisson(lambda_c t) per path.
        let mean_days = days as f64 / n;
        let lambda_t = 8.86 * t;
        assert!(
            prec::within_sigmas(mean_days, lambda_t, (lambda_t / n).sqrt(), prec::MC_SIGMAS),
            "{mean_days} vs {lambda_t}"
        );
    }

    #[test]
    fn joint_crash_frequency_matches_the_bivariate_normal() {
        // Crash days only (no diffusion): count the steps on which both assets fall by 10%
        // or more, per year of steps, against lambda_c Phi_2(a_eth, a_btc; 0.375); and each
        // asset's own count against lambda_c Phi(a_k).
        let m = eth_btc();
        let quiet = |a: &AssetDynamics| AssetDynamics {
            volatility: 0.0,
            ..*a
        };
        let model = MarketModel::new(
            m.assets().iter().map(quiet).collect(),
            &[vec![1.0, 0.0], vec![0.0, 1.0]],
            1.0 / HOURS_PER_YEAR,
        )
        .unwrap()
        .with_crash_days(m.crash_days().unwrap().clone())
        .unwrap();
        let crash = model.crash_days().unwrap();
        let years = 4000.0;
        let steps = (years * HOURS_PER_YEAR) as u64;
        let fall = 0.9f64.ln();
        let mut out = [0.0; 2];
        let (mut both, mut eth, mut btc) = (0u64, 0u64, 0u64);
        let mut rng = stream(23, 0);
        for _ in 0..steps {
            if model.step(&mut rng, &mut out) > 0 {
                // The drift of one hour is below 2e-4: the move is the crash day's.
                let (e, b) = (out[0] <= fall, out[1] <= fall);
                both += u64::from(e && b);
                eth += u64::from(e);
                btc += u64::from(b);
            }
        }
        for (name, count, want) in [
            ("both", both, crash.joint_fall_per_year(0, 1, 0.10)),
            ("ETH", eth, crash.joint_fall_per_year(0, 0, 0.10)),
            ("BTC", btc, crash.joint_fall_per_year(1, 1, 0.10)),
        ] {
            // Poisson counts: SE sqrt(expected count).
            let expected = want * years;
            assert!(
                prec::within_sigmas(count as f64, expected, expected.sqrt(), prec::MC_SIGMAS),
                "{name}: {count} vs {expected}"
            );
        }
        // The sourced counts of 2017-11..2024-05 (6.546 years, 12 March 2020 left out):
        // ETH 51, BTC 26, both 19 days; the model gives 7.1, 4.0 and 3.6 a year against
        // 7.8, 4.0 and 2.9 counted.
        assert!((crash.joint_fall_per_year(0, 0, 0.10) - 7.10).abs() < 0.05);
        assert!((crash.joint_fall_per_year(1, 1, 0.10) - 4.03).abs() < 0.05);
        assert!((crash.joint_fall_per_year(0, 1, 0.10) - 3.6).abs() < 0.1);
        assert!(CrashDays::new(-1.0, vec![0.0], vec![0.0], &[vec![1.0]]).is_err());
        let e = CrashDays::new(1.0, vec![0.0], vec![-1.0], &[vec![1.0]]).unwrap_err();
        assert_eq!(e.field(), Some("sd[0]"));
        let e = CrashDays::new(1.0, vec![0.0; 2], vec![0.0; 2], &[vec![1.0]]).unwrap_err();
        assert_eq!(e.field(), None);
        let e = MarketModel::new(vec![AssetDynamics::constant()], &[vec![1.0]], 0.01)
            .unwrap()
            .with_crash_days(crash.clone())
            .unwrap_err();
        assert_eq!(e.field(), Some("crash"));
    }

    #[test]
    fn cholesky_reproduces_the_matrix_and_rejects_non_psd() {
        let corr = vec![vec![1.0, 0.5], vec![0.5, 1.0]];
        let l = cholesky_factor(&corr).unwrap();
        assert!((l[0] - 1.0).abs() <= prec::IDENTITY && l[1] == 0.0);
        assert!((l[2] - 0.5).abs() <= prec::IDENTITY);
        assert!((l[3] - 0.75f64.sqrt()).abs() <= prec::IDENTITY);
        // Perfect correlation: singular but valid.
        let l = cholesky_factor(&[vec![1.0, 1.0], vec![1.0, 1.0]]).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
        let bad = vec![
            vec![1.0, 0.9, -0.9],
            vec![0.9, 1.0, 0.9],
            vec![-0.9, 0.9, 1.0],
        ];
        let e = cholesky_factor(&bad).unwrap_err().to_string();
        assert!(e.contains("smallest eigenvalue"), "{e}");
        assert!(cholesky_factor(&[vec![1.0, 0.2], vec![0.3, 1.0]]).is_err());
        assert!(cholesky_factor(&[vec![1.0, 1.2], vec![1.2, 1.0]]).is_err());
        assert!(AssetDynamics::new(0.0, -0.1, 0.0, 0.0, 0.0).is_err());
        let e = MarketModel::new(
            vec![AssetDynamics {
                volatility: f64::NAN,
                ..AssetDynamics::constant()
            }],
            &[vec![1.0]],
            0.01,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("assets[0].volatility"));
        assert!(e.to_string().contains("assets[0].volatility"), "{e}");
        let e = MarketModel::new(vec![AssetDynamics::constant()], &bad, 0.01).unwrap_err();
        assert_eq!(e.field(), Some("correlation"));
    }

    #[test]
    fn march_2020_knots_and_interpolation() {
        let s = ShockPath::march_2020();
        assert_eq!(s.multiplier(-1.0), 1.0);
        assert_eq!(s.multiplier(0.0), 1.0);
        // exp(ln m): a rounding or two.
        assert!((s.multiplier(12.0) - 0.70).abs() <= prec::IDENTITY);
        assert!((s.multiplier(38.0) - 0.49).abs() <= prec::IDENTITY);
        assert!((s.multiplier(72.0) - 0.60).abs() <= prec::IDENTITY);
        assert!((s.multiplier(500.0) - 0.60).abs() <= prec::IDENTITY);
        // Log-linear: halfway to hour 12 the multiplier is sqrt(0.7).
        assert!((s.multiplier(6.0) - 0.7f64.sqrt()).abs() <= prec::IDENTITY);
        assert_eq!(s.start_hour(), 0.0);
        let late = ShockPath::new(vec![(10.0, 1.0), (20.0, 0.5)]).unwrap();
        assert_eq!(late.start_hour(), 10.0);
        assert_eq!(late.multiplier(5.0), 1.0);
        assert!(ShockPath::new(vec![(1.0, 0.5), (1.0, 0.4)]).is_err());
        assert!(ShockPath::new(vec![(1.0, 0.0)]).is_err());
        let e = ShockPath::new(vec![(1.0, 0.5), (2.0, 0.0)]).unwrap_err();
        assert_eq!(e.field(), Some("[1]"));
        assert!(ShockPath::new(vec![]).is_err());
    }

    #[test]
    fn oracle_reports_with_a_delay() {
        let mut o = Oracle::new(2, &[100.0]);
        assert_eq!(o.update(&[90.0]), &[100.0]);
        assert_eq!(o.update(&[80.0]), &[100.0]);
        assert_eq!(o.update(&[70.0]), &[90.0]);
        assert_eq!(o.update(&[60.0]), &[80.0]);
        let mut now = Oracle::new(0, &[1.0, 2.0]);
        assert_eq!(now.update(&[3.0, 4.0]), &[3.0, 4.0]);
        now.reset(&[1.0, 2.0]);
        assert_eq!(now.update(&[5.0, 6.0]), &[5.0, 6.0]);
    }

    #[test]
    fn poisson_inversion_has_the_right_mean() {
        let mut rng = stream(3, 0);
        let mean: f64 = 0.3;
        let n = 100_000;
        let total: u32 = (0..n)
            .map(|_| poisson_by_inversion((-mean).exp(), mean, &mut rng))
            .sum();
        let m = f64::from(total) / n as f64;
        assert!(
            prec::within_sigmas(m, mean, (mean / n as f64).sqrt(), prec::MC_SIGMAS),
            "{m}"
        );
    }
}

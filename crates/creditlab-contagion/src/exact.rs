//! The exact finite-pool loss distribution, to a requested accuracy: conditional on the
//! systematic factors defaults are independent, so the conditional loss distribution on a
//! grid of loss units is built by the recursion of Andersen, Sidenius and Basu (2003, "All
//! your hedges in one basket", Risk 16(11)), and the unconditional one is its quadrature
//! average over the factors. The grid and the quadrature are refined until every reported
//! figure stops moving ([docs/methodology/exact-recursion.md](crate::methodology::exact_recursion) and
//! [docs/methodology/accuracy-control.md](crate::methodology::accuracy_control)).
//!
//! * Loss grid ([`Scheme`]): when every exposure's loss `EAD x E[LGD]` is an integer
//!   multiple of a common unit (float gcd, relative tolerance 1e-9) and the total is at most
//!   [`ExactConfig::max_units`] units, that unit (`lattice`, exact); for at most
//!   [`ATOM_LOANS`] exposures without a common unit, every subset sum exactly (`atoms`);
//!   otherwise a grid whose unit halves until the figures converge, each loss spread over
//!   four grid points with the cubic Lagrange weights of its position, which keep its first
//!   three moments (`moments`), read back continuously ([`crate::smooth`]).
//! * Random LGD: a Beta LGD is replaced by its mean; a collateral LGD by its conditional
//!   mean given the factor, per quadrature node (the idiosyncratic noise is averaged out:
//!   exact for the expected loss, a slightly thinner tail than Monte Carlo's for small
//!   pools, no difference in the large-pool limit).
//! * Factor quadrature, refined by halving its step (or doubling its nodes): Gaussian — the
//!   trapezoidal rule in `z` (spectrally accurate for these smooth integrands and nested, so
//!   each refinement adds only the midpoints); Student-t — that rule in `z` times one in
//!   `ln W`; double-t — the trapezoidal rule in `asinh` of the market factor; multi-factor —
//!   one factor at a time when the groups of exposures sharing loadings have a one-factor
//!   correlation structure (a common factor and one factor per group, e.g. the benchmark's
//!   sector model), otherwise a tensor Gauss-Hermite grid of at most
//!   [`ExactConfig::max_tensor_nodes`] points.
//! * Per node the support is trimmed at both ends while the end probability is below
//!   [`ExactConfig::tail_cutoff`]; the dropped mass is reported. Nodes run in parallel
//!   (rayon) but their contributions are summed in node order, so results are
//!   deterministic.

use crate::accuracy::{AccuracyReport, Evidence, Refinement, Tolerance, compare};
use crate::collateral::Collateral;
use crate::copula::{Copula, obligor_loadings, unit_variance_scale};
use crate::discrete::DiscreteLoss;
use crate::distribution::{LossDistribution, LossSummary, STANDARD_LEVELS, Tranche};
use crate::error::{Error, Result};
use crate::portfolio::{Lgd, Portfolio};
use crate::smooth::SmoothLoss;
use creditlab_numerics::quadrature::{MAX_NODES, Rule};
use creditlab_numerics::special::{norm_cdf, norm_pdf};
use creditlab_numerics::student::{t_pdf, t_ppf};
use rayon::prelude::*;
use statrs::function::gamma::ln_gamma;
use std::collections::HashMap;
use std::sync::Arc;

/// Tolerance of the float gcd of the losses, relative to the largest loss.
const GCD_TOLERANCE: f64 = 1e-9;
/// How far a loss may be from a multiple of the gcd (in units) and still be commensurate.
const COMMENSURATE_TOLERANCE: f64 = 1e-6;
/// A fractional position on the grid closer than this to a grid point is float noise and
/// snaps to it.
const GRID_SNAP: f64 = 1e-9;
/// The largest [`ExactConfig::tail_cutoff`] accepted.
const MAX_TAIL_CUTOFF: f64 = 1e-6;
/// Exposures whose every subset sum is kept exactly (`atoms`): `2^16` atoms at most.
pub const ATOM_LOANS: usize = 16;
/// Grid cells below loss 0: room for the Lagrange weights of losses under one unit (whose
/// leftmost weight sits one cell below the current support); what reaches below is far
/// under the tail cutoff.
const PAD: usize = 16;
/// The normal factor's trapezoidal rule spans `[-Z, Z]` with this `Z`: the mass outside is
/// 2e-17, far below any tolerance, so the rule integrates 1 to rounding.
const Z_RANGE: f64 = 8.5;
/// Tail mass the double-t market factor's rule leaves out on each side.
const MARKET_TAIL: f64 = 1e-15;
/// Cells above the largest total loss: room for the Lagrange weights' reach (two cells per
/// loss) before the trimming of the conditional distributions' ends removes it.
const TOP_ROOM: usize = 64;
/// Slack when checking that groups' loadings have a one-factor correlation structure.
const STRUCTURE_SLACK: f64 = 1e-10;

/// What the exact method is asked to get right: the figures a report will read (VaR and ES
/// at `levels`, `P(L > x)` at `tail`, the tranches' EL and `P(loss)`), besides the expected
/// and unexpected loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Confidence levels of VaR and ES.
    pub levels: Vec<f64>,
    /// Loss levels of the tail probabilities.
    pub tail: Vec<f64>,
    /// Tranches.
    pub tranches: Vec<Tranche>,
}

impl Default for Targets {
    /// VaR and ES at the standard levels (99%, 99.9%, 99.97%), no tail point, no tranche.
    fn default() -> Self {
        Self {
            levels: STANDARD_LEVELS.to_vec(),
            tail: Vec::new(),
            tranches: Vec::new(),
        }
    }
}

/// Settings of the exact method: the accuracy to reach, the figures it applies to, the
/// budget, and where the refinement starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactConfig {
    /// The requested accuracy ([`Tolerance`], default 1e-4 relative or 1e-8 absolute);
    /// `None` computes once at the starting resolution below, without refinement (the
    /// report then carries no evidence).
    pub accuracy: Option<Tolerance>,
    /// The figures the accuracy applies to.
    pub targets: Targets,
    /// When the budget below runs out before the accuracy is reached: `false` (default)
    /// refuses with [`Error::AccuracyBudget`]; `true` returns the finest result with its
    /// convergence evidence and `met = false`.
    pub accept_coarser: bool,
    /// Largest loss grid, in cells; default 2^21 (16 MiB per vector).
    pub max_cells: usize,
    /// Largest amount of work, in cell updates of the recursion (about a nanosecond each
    /// on two cores; for a sector model also the cells averaged over each group's own
    /// factor and multiplied in the groups' convolutions); default 6e10, about a minute on
    /// two idle cores (the 100,000-loan one-factor benchmark tape takes 2.1e10 in 20 s).
    pub max_work: f64,
    /// Nodes of the normal factor's trapezoidal rule on `[-8.5, 8.5]` at the start (its
    /// step then halves); default 64.
    pub nodes: usize,
    /// Nodes of the t copula's rule in `ln W` at the start; default 48.
    pub scale_nodes: usize,
    /// Nodes of the double-t market factor's rule at the start; default 128.
    pub market_nodes: usize,
    /// Gauss-Hermite nodes per factor of a tensor multi-factor grid at the start; default
    /// 12 (doubling).
    pub nodes_per_factor: usize,
    /// Largest tensor grid for a multi-factor model; default 20,000.
    pub max_tensor_nodes: usize,
    /// Largest grid (in units of total loss) accepted for an exact common unit; default
    /// 50,000.
    pub max_units: usize,
    /// Units of total loss of the first grid when losses have no common unit; default
    /// 1,000 (the unit then halves).
    pub rounding_units: usize,
    /// End probabilities below this are trimmed from each conditional distribution;
    /// default 1e-20.
    pub tail_cutoff: f64,
}

impl Default for ExactConfig {
    fn default() -> Self {
        Self {
            accuracy: Some(Tolerance::default()),
            targets: Targets::default(),
            accept_coarser: false,
            max_cells: 1 << 21,
            max_work: 6e10,
            nodes: 64,
            scale_nodes: 48,
            market_nodes: 128,
            nodes_per_factor: 12,
            max_tensor_nodes: 20_000,
            max_units: 50_000,
            rounding_units: 1_000,
            tail_cutoff: 1e-20,
        }
    }
}

/// How exposures' losses are put on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Every loss is an integer number of a common unit: exact.
    Lattice,
    /// Every subset sum of at most [`ATOM_LOANS`] losses kept exactly.
    Atoms,
    /// Losses spread over four grid points keeping three moments; refined until the figures
    /// converge, read continuously.
    Moments,
    /// `rho = 1`: obligors default together in PD order; no quadrature.
    Comonotone,
}

impl Scheme {
    /// The scheme's name: `lattice`, `atoms`, `moments` or `comonotone`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Lattice => "lattice",
            Scheme::Atoms => "atoms",
            Scheme::Moments => "moments",
            Scheme::Comonotone => "comonotone",
        }
    }
}

/// How exposures' losses were put on the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discretization {
    /// The loss unit, in money (the final grid's).
    pub unit: f64,
    /// Number of units of the grid (cells above loss 0).
    pub total_units: usize,
    /// True when every loss is represented exactly (lattice, atoms).
    pub exact: bool,
    /// Largest distance from one exposure's loss to its nearest grid point, in money (0
    /// when exact; for a collateral LGD, at the last node computed).
    pub max_rounding: f64,
    /// Expected loss of the discretized portfolio minus the actual, as a fraction of total
    /// EAD: zero up to float rounding (the Lagrange weights keep each loss's mean); non-zero
    /// only for the comonotone (rho = 1) case without a common unit, which rounds each loss
    /// to the nearest unit.
    pub expected_loss_shift: f64,
    /// The scheme.
    pub scheme: Scheme,
}

/// The exact finite-pool loss distribution, to the accuracy of its [`ExactConfig`].
///
/// ```
/// use creditlab_contagion::{Copula, ExactConfig, ExactLoss, LossDistribution, Portfolio};
/// use creditlab_contagion::Tranche;
/// let book = Portfolio::standard_book(100)?;
/// let dist = ExactLoss::new(&book, &Copula::gaussian(0.2)?, &ExactConfig::default())?;
/// // The recursion keeps the expected loss; the probabilities sum to one.
/// assert!((dist.expected_loss().value - book.expected_loss()).abs() < 1e-12);
/// assert!((dist.distribution().total_mass() - 1.0).abs() < 1e-12);
/// let equity = dist.tranche(Tranche::new(0.0, 0.03)?);
/// assert!(equity.expected_loss.value > dist.expected_loss().value);
/// // The figures stopped moving when the quadrature was refined.
/// assert_eq!(dist.accuracy().met, Some(true));
/// # Ok::<(), creditlab_contagion::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExactLoss {
    dist: DiscreteLoss,
    smooth: Option<SmoothLoss>,
    discretization: Discretization,
    nodes: usize,
    trimmed_mass: f64,
    accuracy: AccuracyReport,
    work: f64,
}

impl ExactLoss {
    /// Builds the distribution to the accuracy of `config`. Errors: invalid settings;
    /// `Unsupported` for a multi-factor model whose tensor grid would exceed
    /// [`ExactConfig::max_tensor_nodes`] (or a collateral LGD the factor structure cannot
    /// carry); [`Error::AccuracyBudget`] when the accuracy cannot be reached within the
    /// budget and `accept_coarser` is false.
    pub fn new(portfolio: &Portfolio, copula: &Copula, config: &ExactConfig) -> Result<Self> {
        copula.check_portfolio(portfolio)?;
        check_config(config)?;
        let model = Model::new(portfolio, copula, config)?;
        if model.scheme == Scheme::Comonotone {
            return Ok(model.comonotone());
        }
        model.refine()
    }

    /// The loss grid and its probabilities. For the `moments` scheme these are the raw
    /// (signed) grid weights, cell `k` at loss `k` units; the figures are read from them
    /// continuously ([`crate::smooth`]), not as a lattice.
    pub fn distribution(&self) -> &DiscreteLoss {
        &self.dist
    }

    /// How the losses were discretized.
    pub fn discretization(&self) -> Discretization {
        self.discretization
    }

    /// Number of quadrature points over the systematic state at the final refinement.
    pub fn quadrature_nodes(&self) -> usize {
        self.nodes
    }

    /// Probability mass left out: quadrature nodes of negligible weight and the trimmed
    /// ends of the conditional distributions (an upper bound on the probability error of
    /// any grid point sum).
    pub fn trimmed_mass(&self) -> f64 {
        self.trimmed_mass
    }

    /// What was done and the convergence evidence: the figures at the last refinement of
    /// the quadrature and of the grid.
    pub fn accuracy(&self) -> &AccuracyReport {
        &self.accuracy
    }

    /// Work spent over every refinement, in cell updates of the recursion (what
    /// [`ExactConfig::max_work`] bounds).
    pub fn work(&self) -> f64 {
        self.work
    }

    fn reader(&self) -> &dyn LossDistribution {
        match &self.smooth {
            Some(s) => s,
            None => &self.dist,
        }
    }
}

impl LossDistribution for ExactLoss {
    fn expected_loss(&self) -> crate::Estimate {
        self.reader().expected_loss()
    }
    fn unexpected_loss(&self) -> crate::Estimate {
        self.reader().unexpected_loss()
    }
    fn value_at_risk(&self, level: f64) -> Result<crate::Estimate> {
        self.reader().value_at_risk(level)
    }
    fn expected_shortfall(&self, level: f64) -> Result<crate::Estimate> {
        self.reader().expected_shortfall(level)
    }
    fn tail_probability(&self, x: f64) -> crate::Estimate {
        self.reader().tail_probability(x)
    }
    fn tranche(&self, tranche: Tranche) -> crate::TrancheEstimate {
        self.reader().tranche(tranche)
    }
}

fn check_config(config: &ExactConfig) -> Result<()> {
    if !(config.tail_cutoff >= 0.0 && config.tail_cutoff < MAX_TAIL_CUTOFF) {
        return Err(Error::InvalidParameter {
            field: "tail_cutoff".into(),
            value: config.tail_cutoff,
            reason: "must be in [0, 1e-6)",
        });
    }
    if let Some(t) = &config.accuracy {
        t.validate()?;
    }
    let counts = [
        ("rounding_units", config.rounding_units),
        ("max_units", config.max_units),
        ("max_cells", config.max_cells),
        ("scale_nodes", config.scale_nodes),
        ("market_nodes", config.market_nodes),
        ("nodes_per_factor", config.nodes_per_factor),
    ];
    for (field, v) in counts {
        if v == 0 {
            return Err(Error::InvalidParameter {
                field: field.into(),
                value: 0.0,
                reason: "must be positive",
            });
        }
    }
    if config.nodes < 2 {
        return Err(Error::InvalidParameter {
            field: "nodes".into(),
            value: config.nodes as f64,
            reason: "must be at least 2",
        });
    }
    if !(config.max_work.is_finite() && config.max_work > 0.0) {
        return Err(Error::InvalidParameter {
            field: "max_work".into(),
            value: config.max_work,
            reason: "must be finite and > 0",
        });
    }
    Ok(())
}

/// The cubic Lagrange weights of the points `-1, 0, 1, 2` at position `f` in `[0, 1)`:
/// exact for cubics, so a loss `(n + f)` units spread with them keeps its first three
/// moments.
#[inline]
pub(crate) fn lagrange(f: f64) -> [f64; 4] {
    let (a, b, c, d) = (f + 1.0, f, f - 1.0, f - 2.0);
    [
        -b * c * d / 6.0,
        a * c * d / 2.0,
        -a * b * d / 2.0,
        a * b * c / 6.0,
    ]
}

/// An exposure's loss given default on the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stencil {
    /// Exactly `n` units.
    Point(usize),
    /// Units `n - 1 .. n + 2` with these weights.
    Four(usize, [f64; 4]),
}

impl Stencil {
    /// The stencil of a loss of `x` units (`x >= 0`).
    fn of(x: f64) -> Self {
        let n = x.floor();
        let f = x - n;
        if f < GRID_SNAP {
            Stencil::Point(n as usize)
        } else if f > 1.0 - GRID_SNAP {
            Stencil::Point(n as usize + 1)
        } else {
            Stencil::Four(n as usize, lagrange(f))
        }
    }

    /// Distance to the nearest grid point, in units.
    fn rounding(x: f64) -> f64 {
        let f = x - x.floor();
        f.min(1.0 - f)
    }
}

/// What an exposure loses given default.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LossGiven {
    /// A known amount, in money.
    Fixed(f64),
    /// EAD times the collateral LGD's conditional mean at the node.
    Collateral { ead: f64, law: Collateral },
}

impl LossGiven {
    /// The amount at first factor value `z`, in money.
    #[inline]
    fn amount(&self, z: f64) -> f64 {
        match *self {
            LossGiven::Fixed(a) => a,
            LossGiven::Collateral { ead, law } => ead * law.conditional_mean(z),
        }
    }

    /// The largest amount, in money.
    fn max(&self) -> f64 {
        match *self {
            LossGiven::Fixed(a) => a,
            LossGiven::Collateral { ead, law } => ead * law.max_loss(),
        }
    }
}

#[derive(Debug, Clone)]
struct Loan {
    threshold: f64,
    pd: f64,
    loss: LossGiven,
    /// Index of the loan's group (exposures sharing loadings) in a nested structure.
    group: usize,
}

/// One dimension of a tensor quadrature.
#[derive(Debug, Clone, PartialEq)]
enum Dim {
    /// A standard normal factor: the trapezoidal rule on `[-8.5, 8.5]`, its step halving.
    Normal,
    /// The t copula's `s = sqrt(W / nu)`: the trapezoidal rule in `ln W`.
    Scale { nu: f64, range: (f64, f64) },
    /// The double-t's unit-variance market factor `m = scale T`, `T ~ t(nu)`: the
    /// trapezoidal rule in `v = asinh(T)`.
    Market { nu: f64, range: f64 },
    /// Gauss-Hermite (a tensor multi-factor grid), nodes doubling.
    Hermite,
}

impl Dim {
    fn nested(&self) -> bool {
        !matches!(self, Dim::Hermite)
    }
}

/// A group of the nested structure: exposures sharing loadings `a`, whose systematic term
/// `m = a . Z = b Z0 + own Y` (common factor `Z0`, the group's own factor `Y`).
#[derive(Debug, Clone)]
struct Group {
    b: f64,
    own: f64,
    /// `sqrt(1 - |a|^2)`: the idiosyncratic scale of the latent variables.
    idio: f64,
    loans: Vec<usize>,
}

#[derive(Debug, Clone)]
enum Structure {
    /// The state is the tensor product of these dimensions, mapped to the copula's state by
    /// `direction` when it is a line in factor space (a one-group multi-factor model).
    Tensor {
        dims: Vec<Dim>,
        direction: Option<Vec<f64>>,
    },
    /// A common normal factor and one factor per group.
    Nested { groups: Vec<Group> },
}

/// A node's conditional distribution.
#[derive(Debug, Clone, PartialEq)]
struct NodeDist {
    /// Index of `values[0]` in the global grid.
    lo: usize,
    values: Vec<f64>,
    dropped: f64,
    /// `P(L = 0)` given the node.
    p0: f64,
    /// `E[L]` and `E[L^2]` given the node, fractions of total exposure.
    mean: f64,
    second: f64,
    /// Cell updates spent.
    work: f64,
}

/// The prepared problem.
struct Model<'a> {
    copula: &'a Copula,
    config: &'a ExactConfig,
    tol: Option<Tolerance>,
    loans: Vec<Loan>,
    loadings: Vec<Option<&'a [f64]>>,
    total_ead: f64,
    scheme: Scheme,
    /// Lattice: the exact unit (money).
    lattice_unit: f64,
    structure: Structure,
    /// Largest total loss, money.
    max_total: f64,
    /// Smallest positive loss, fraction of total exposure.
    w_min: f64,
    /// Atoms: sorted distinct subset sums (money) and the atom of each subset.
    atoms: Option<(Vec<f64>, Vec<u32>)>,
}

/// Either distribution readout, for the figures.
enum Readout {
    Discrete(DiscreteLoss),
    Smooth(SmoothLoss, DiscreteLoss),
}

impl Readout {
    fn reader(&self) -> &dyn LossDistribution {
        match self {
            Readout::Discrete(d) => d,
            Readout::Smooth(s, _) => s,
        }
    }
}

/// One evaluation at a grid and quadrature level.
struct Eval {
    readout: Readout,
    summary: LossSummary,
    nodes: usize,
    trimmed: f64,
    /// Probability mass outside the normal factor's rule.
    skipped: f64,
    /// Work of the whole refinement up to this evaluation (cell updates).
    work_total: f64,
    grid: String,
    quadrature: String,
    unit: f64,
    cells: usize,
    max_rounding: f64,
}

impl<'a> Model<'a> {
    fn new(portfolio: &'a Portfolio, copula: &'a Copula, config: &'a ExactConfig) -> Result<Self> {
        let thresholds = copula.thresholds(portfolio.pd());
        let mut loans = Vec::new();
        let mut loadings = Vec::new();
        let mut moving = false;
        let mut w_min = f64::INFINITY;
        for (i, &threshold) in thresholds.iter().enumerate() {
            let (ead, pd, lgd) = (portfolio.ead()[i], portfolio.pd()[i], portfolio.lgd()[i]);
            let loss = match lgd {
                Lgd::Collateral(law) if law.loading != 0.0 => {
                    moving = true;
                    w_min = 0.0;
                    LossGiven::Collateral { ead, law }
                }
                other => LossGiven::Fixed(ead * other.conditional_mean(0.0)),
            };
            if pd <= 0.0 || loss.max() <= 0.0 {
                continue;
            }
            if let LossGiven::Fixed(a) = loss {
                w_min = w_min.min(a / portfolio.total_ead());
            }
            loans.push(Loan {
                threshold,
                pd,
                loss,
                group: 0,
            });
            loadings.push(obligor_loadings(copula, portfolio, i));
        }
        let max_total: f64 = loans.iter().map(|l| l.loss.max()).sum();
        let tol = config.accuracy;
        let mut model = Self {
            copula,
            config,
            tol,
            loans,
            loadings,
            total_ead: portfolio.total_ead(),
            scheme: Scheme::Moments,
            lattice_unit: 0.0,
            structure: Structure::Tensor {
                dims: Vec::new(),
                direction: None,
            },
            max_total,
            w_min: if w_min.is_finite() { w_min } else { 0.0 },
            atoms: None,
        };
        if copula.rho() == Some(1.0) {
            if moving {
                return Err(Error::Unsupported {
                    method: "exact",
                    reason: "rho = 1 with a collateral LGD that moves with the factor; use mc"
                        .into(),
                });
            }
            model.scheme = Scheme::Comonotone;
            return Ok(model);
        }
        model.structure = model.structure(moving)?;
        if !moving {
            if let Some(unit) = model.common_unit() {
                model.scheme = Scheme::Lattice;
                model.lattice_unit = unit;
            } else if model.loans.len() <= ATOM_LOANS {
                model.scheme = Scheme::Atoms;
                model.atoms = Some(model.subset_sums());
            }
        }
        Ok(model)
    }

    /// The common unit of the fixed losses when they are commensurate and at most
    /// `max_units` of it make the total.
    fn common_unit(&self) -> Option<f64> {
        let loss: Vec<f64> = self.loans.iter().map(|l| l.loss.max()).collect();
        let max = loss.iter().copied().fold(0.0, f64::max);
        if max == 0.0 {
            return Some(1.0);
        }
        let total: f64 = loss.iter().sum();
        let tol = GCD_TOLERANCE * max;
        let mut g = 0.0f64;
        for &e in loss.iter().filter(|&&e| e > tol) {
            let (mut a, mut b) = (e.max(g), e.min(g));
            while b > tol {
                let r = a % b;
                a = b;
                b = if r > b - tol { 0.0 } else { r };
            }
            g = a;
        }
        let commensurate = g > 0.0
            && loss
                .iter()
                .all(|&e| ((e / g) - (e / g).round()).abs() <= COMMENSURATE_TOLERANCE)
            && (total / g).round() <= self.config.max_units as f64;
        commensurate.then_some(g)
    }

    /// Sorted distinct subset sums of the losses and the atom of every subset.
    fn subset_sums(&self) -> (Vec<f64>, Vec<u32>) {
        let mut sums = vec![0.0f64];
        for l in &self.loans {
            let a = l.loss.max();
            let add: Vec<f64> = sums.iter().map(|s| s + a).collect();
            sums.extend(add);
        }
        let mut order: Vec<usize> = (0..sums.len()).collect();
        order.sort_by(|&a, &b| sums[a].total_cmp(&sums[b]));
        let merge = GCD_TOLERANCE * self.max_total.max(f64::MIN_POSITIVE);
        let mut atoms: Vec<f64> = Vec::new();
        let mut atom_of = vec![0u32; sums.len()];
        for &s in &order {
            match atoms.last() {
                Some(&last) if sums[s] - last <= merge => {}
                _ => atoms.push(sums[s]),
            }
            atom_of[s] = (atoms.len() - 1) as u32;
        }
        (atoms, atom_of)
    }

    /// The quadrature structure of the copula.
    fn structure(&mut self, moving: bool) -> Result<Structure> {
        let tol_range = |nu: f64| t_ppf(1.0 - MARKET_TAIL, nu).asinh();
        Ok(match self.copula {
            Copula::Gaussian { .. } => Structure::Tensor {
                dims: vec![Dim::Normal],
                direction: None,
            },
            Copula::StudentT { nu, .. } => Structure::Tensor {
                dims: vec![
                    Dim::Normal,
                    Dim::Scale {
                        nu: *nu,
                        range: creditlab_numerics::quadrature::chi_log_range(*nu),
                    },
                ],
                direction: None,
            },
            Copula::DoubleT { nu_m, .. } => Structure::Tensor {
                dims: vec![Dim::Market {
                    nu: *nu_m,
                    range: tol_range(*nu_m),
                }],
                direction: None,
            },
            Copula::MultiFactor(m) => {
                let k = m.n_factors();
                // Groups of exposures sharing loadings.
                let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
                let mut reps: Vec<usize> = Vec::new();
                for (i, a) in self.loadings.iter().enumerate() {
                    let a = a.expect("checked by check_portfolio");
                    let key: Vec<u64> = a.iter().map(|x| x.to_bits()).collect();
                    let g = *index.entry(key).or_insert_with(|| {
                        reps.push(i);
                        reps.len() - 1
                    });
                    self.loans[i].group = g;
                }
                let a_of = |g: usize| self.loadings[reps[g]].expect("checked");
                if reps.len() <= 1 && (k == 1 || !moving) {
                    let a = reps.first().map_or(vec![0.0; k], |&r| {
                        self.loadings[r].expect("checked").to_vec()
                    });
                    let norm = a.iter().map(|x| x * x).sum::<f64>().sqrt();
                    let direction = if norm > 0.0 {
                        a.iter().map(|x| x / norm).collect()
                    } else {
                        let mut e = vec![0.0; k];
                        e[0] = 1.0;
                        e
                    };
                    return Ok(Structure::Tensor {
                        dims: vec![Dim::Normal],
                        direction: Some(direction),
                    });
                }
                let gram = |g: usize, h: usize| -> f64 {
                    a_of(g).iter().zip(a_of(h)).map(|(x, y)| x * y).sum()
                };
                if !moving && let Some(b) = one_factor(reps.len(), &gram) {
                    let mut groups: Vec<Group> = (0..reps.len())
                        .map(|g| {
                            let c = gram(g, g);
                            Group {
                                b: b[g],
                                own: (c - b[g] * b[g]).max(0.0).sqrt(),
                                idio: (1.0 - c).max(0.0).sqrt(),
                                loans: Vec::new(),
                            }
                        })
                        .collect();
                    for (i, l) in self.loans.iter().enumerate() {
                        groups[l.group].loans.push(i);
                    }
                    return Ok(Structure::Nested { groups });
                }
                let per = self.config.nodes_per_factor;
                let count = (per as f64).powi(k as i32);
                if count > self.config.max_tensor_nodes as f64 {
                    return Err(Error::Unsupported {
                        method: "exact",
                        reason: format!(
                            "a {k}-factor model needs a tensor grid of {per}^{k} nodes, above \
                             the limit of {} (at {per} nodes per factor at most {} factors); \
                             use Monte Carlo, fewer nodes per factor, or loadings with a \
                             one-factor structure between groups (a common factor and one \
                             factor per group)",
                            self.config.max_tensor_nodes,
                            ((self.config.max_tensor_nodes as f64).ln() / (per as f64).ln())
                                .floor()
                        ),
                    });
                }
                Structure::Tensor {
                    dims: vec![Dim::Hermite; k],
                    direction: None,
                }
            }
        })
    }

    /// The comonotone (rho = 1) distribution: obligor `i` defaults iff `U <= PD_i` for one
    /// uniform `U`; losses rounded to the nearest unit when they have no common unit.
    fn comonotone(&self) -> ExactLoss {
        let unit = self
            .common_unit()
            .unwrap_or(self.max_total / self.config.rounding_units as f64)
            .max(f64::MIN_POSITIVE);
        let exact_units: Vec<f64> = self.loans.iter().map(|l| l.loss.max() / unit).collect();
        let units: Vec<usize> = exact_units.iter().map(|x| x.round() as usize).collect();
        let shift = self
            .loans
            .iter()
            .zip(&units)
            .zip(&exact_units)
            .map(|((l, &u), &x)| (u as f64 - x) * unit * l.pd)
            .sum::<f64>()
            / self.total_ead;
        let total_units: usize = units.iter().sum();
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by(|&a, &b| self.loans[b].pd.total_cmp(&self.loans[a].pd));
        let mut probs = vec![0.0f64; total_units + 1];
        let (mut cum, mut upper) = (0usize, 1.0);
        for (j, &i) in order.iter().enumerate() {
            let p = self.loans[i].pd;
            probs[cum] += upper - p;
            upper = p;
            cum += units[i];
            if j + 1 == order.len() {
                probs[cum] += p;
            }
        }
        if order.is_empty() {
            probs[0] = 1.0;
        }
        let scale = unit / self.total_ead;
        let losses = (0..probs.len()).map(|k| k as f64 * scale).collect();
        let exact = self.common_unit().is_some();
        ExactLoss {
            dist: DiscreteLoss::new(losses, probs),
            smooth: None,
            discretization: Discretization {
                unit,
                total_units,
                exact,
                max_rounding: exact_units
                    .iter()
                    .map(|&x| Stencil::rounding(x) * unit)
                    .fold(0.0, f64::max),
                expected_loss_shift: shift,
                scheme: Scheme::Comonotone,
            },
            nodes: 0,
            trimmed_mass: 0.0,
            work: 0.0,
            accuracy: AccuracyReport {
                grid: Some(format!("comonotone, unit {unit:.6e}")),
                quadrature: Some("none: the latent variables are comonotone".into()),
                ..AccuracyReport::analytic(
                    "exact: rho = 1, obligors default together in PD order (no quadrature)",
                )
            },
        }
    }

    /// The grid unit (money) at grid level `g`.
    fn unit(&self, g: usize) -> f64 {
        match self.scheme {
            Scheme::Lattice => self.lattice_unit,
            Scheme::Atoms => 1.0,
            _ => {
                self.max_total.max(f64::MIN_POSITIVE)
                    / self.config.rounding_units as f64
                    / 2f64.powi(g as i32)
            }
        }
    }

    fn cells(&self, g: usize) -> usize {
        match self.scheme {
            Scheme::Atoms => self.atoms.as_ref().map_or(1, |a| a.0.len()),
            Scheme::Lattice => (self.max_total / self.lattice_unit).round() as usize + 1,
            _ => PAD + (self.max_total / self.unit(g)).ceil() as usize + TOP_ROOM,
        }
    }

    fn pad(&self) -> usize {
        if self.scheme == Scheme::Moments {
            PAD
        } else {
            0
        }
    }

    /// Refines the quadrature and then the grid until the figures converge.
    fn refine(&self) -> Result<ExactLoss> {
        let Some(tol) = self.tol else {
            let mut state = Progress::default();
            let e = self.evaluate(0, 0, &mut state)?;
            let report = AccuracyReport {
                grid: Some(e.grid.clone()),
                quadrature: Some(e.quadrature.clone()),
                trimmed_mass: Some(e.trimmed + e.skipped),
                ..AccuracyReport::analytic(
                    "exact at fixed settings: no accuracy requested, no refinement, no evidence",
                )
            };
            return Ok(self.finish(e, report));
        };
        let mut state = Progress::default();
        let exact_grid = matches!(self.scheme, Scheme::Lattice | Scheme::Atoms);
        let (mut g, mut q) = (0usize, 0usize);
        let mut quad: Option<Refinement> = None;
        let mut grid: Option<Refinement> = None;
        loop {
            let mut need = vec![(g, q)];
            if q > 0 {
                need.push((g, q - 1));
            }
            if g > 0 && q > 0 {
                need.push((g - 1, q));
            }
            for key in need {
                if let Err(e) = self.ensure(key, &mut state) {
                    return self.give_up(state, (g, q), quad, grid, tol, e);
                }
            }
            // Keep the caches of the two finest grids and the evaluations a next step reads.
            state.caches.retain(|&k, _| k + 1 >= g);
            state.evals.retain(|&(eg, eq), _| {
                (eg == g && eq + 1 >= q && eq <= q) || (eg + 1 == g && eq == q)
            });
            if q == 0 {
                q = 1;
                continue;
            }
            let r = self.compare_levels(&state, "quadrature", (g, q), (g, q - 1), &tol);
            let quad_ok = r.converged;
            quad = Some(r);
            if !quad_ok {
                if !self.can_refine_quadrature(q + 1) {
                    let e = Error::AccuracyBudget {
                        method: "exact",
                        reason: "the quadrature cannot be refined further (its node limit)".into(),
                    };
                    return self.give_up(state, (g, q), quad, grid, tol, e);
                }
                q += 1;
                continue;
            }
            if exact_grid {
                let e = state.evals.remove(&(g, q)).expect("evaluated");
                return Ok(self.finish_converged(e, quad, None, tol, true));
            }
            if g == 0 {
                g = 1;
                continue;
            }
            let r = self.compare_levels(&state, "grid", (g, q), (g - 1, q), &tol);
            let grid_ok = r.converged;
            grid = Some(r);
            if grid_ok {
                let e = state.evals.remove(&(g, q)).expect("evaluated");
                return Ok(self.finish_converged(e, quad, grid, tol, true));
            }
            g += 1;
        }
    }

    /// Evaluates at `key` unless done, within the budget.
    fn ensure(&self, key: (usize, usize), state: &mut Progress) -> Result<()> {
        if state.evals.contains_key(&key) {
            return Ok(());
        }
        let cells = self.cells(key.0);
        let per_node = state.per_node.get(&key.0).copied().or_else(|| {
            // A finer grid costs about twice per node.
            (0..key.0).rev().find_map(|g| {
                state
                    .per_node
                    .get(&g)
                    .map(|w| w * 2f64.powi((key.0 - g) as i32))
            })
        });
        let cached = state.caches.get(&key.0).map_or(0, |c| c.count);
        let estimate = match &self.structure {
            // The mixing over each group's own factor grows with the outer nodes times the
            // group's nodes (both double when the step halves) and the convolutions with
            // the cells squared (which double when the unit halves): four times the work of
            // the evaluation one level coarser, at most.
            Structure::Nested { .. } => {
                let coarser = [
                    (key.0, key.1.wrapping_sub(1)),
                    (key.0.wrapping_sub(1), key.1),
                ];
                coarser
                    .iter()
                    .filter_map(|k| state.spent.get(k))
                    .fold(0.0, |a: f64, &w| a.max(4.0 * w))
            }
            Structure::Tensor { .. } => {
                per_node.unwrap_or(0.0) * (self.node_count(key.1).saturating_sub(cached)) as f64
            }
        };
        if state.work + estimate > self.config.max_work || cells > self.config.max_cells {
            return Err(Error::AccuracyBudget {
                method: "exact",
                reason: format!(
                    "the next refinement ({}, {}) needs about {:.2e} more cell updates on a grid \
                     of {cells} cells, beyond the budget of {:.2e} updates (max_work) and {} \
                     cells (max_cells)",
                    self.grid_description(key.0),
                    self.quadrature_description(key.1),
                    estimate,
                    self.config.max_work,
                    self.config.max_cells
                ),
            });
        }
        let e = self.evaluate(key.0, key.1, state)?;
        state.evals.insert(key, e);
        Ok(())
    }

    fn can_refine_quadrature(&self, q: usize) -> bool {
        match &self.structure {
            Structure::Tensor { dims, .. } => dims.iter().all(|d| match d {
                Dim::Hermite => {
                    let n = self.config.nodes_per_factor << q;
                    n <= MAX_NODES
                        && (n as f64).powi(dims.len() as i32) <= self.config.max_tensor_nodes as f64
                }
                _ => true,
            }),
            Structure::Nested { .. } => true,
        }
    }

    fn node_count(&self, q: usize) -> usize {
        match &self.structure {
            Structure::Tensor { dims, .. } => dims
                .iter()
                .map(|d| self.dim_rule(d, q).map_or(0, |r| r.len()))
                .product(),
            Structure::Nested { .. } => self.dim_rule(&Dim::Normal, q).map_or(0, |r| r.len()),
        }
    }

    fn compare_levels(
        &self,
        state: &Progress,
        what: &str,
        fine: (usize, usize),
        coarse: (usize, usize),
        tol: &Tolerance,
    ) -> Refinement {
        let (f, c) = (&state.evals[&fine], &state.evals[&coarse]);
        let (from, to) = if what == "grid" {
            (c.grid.clone(), f.grid.clone())
        } else {
            (c.quadrature.clone(), f.quadrature.clone())
        };
        compare(
            what,
            from,
            to,
            (f.readout.reader(), &f.summary),
            (c.readout.reader(), &c.summary),
            tol,
        )
    }

    /// The budget ran out: the finest result with its evidence, or the error.
    fn give_up(
        &self,
        mut state: Progress,
        at: (usize, usize),
        quad: Option<Refinement>,
        grid: Option<Refinement>,
        tol: Tolerance,
        err: Error,
    ) -> Result<ExactLoss> {
        if !self.config.accept_coarser {
            let detail = [&quad, &grid]
                .into_iter()
                .flatten()
                .filter(|r| !r.converged)
                .flat_map(|r| {
                    r.figures
                        .iter()
                        .filter(|f| f.error > f.tolerance)
                        .map(move |f| {
                            format!(
                                "{} moved {:.2e} > {:.2e} with the {}",
                                f.figure, f.error, f.tolerance, r.refined
                            )
                        })
                })
                .take(3)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(match err {
                Error::AccuracyBudget { method, reason } if !detail.is_empty() => {
                    Error::AccuracyBudget {
                        method,
                        reason: format!("{reason}; not converged: {detail}"),
                    }
                }
                e => e,
            });
        }
        // The finest evaluation computed.
        let Some(key) = state
            .evals
            .keys()
            .copied()
            .filter(|k| k.0 <= at.0 && k.1 <= at.1)
            .max()
        else {
            return Err(err);
        };
        let e = state.evals.remove(&key).expect("evaluated");
        Ok(self.finish_converged(e, quad, grid, tol, false))
    }

    fn finish_converged(
        &self,
        e: Eval,
        quad: Option<Refinement>,
        grid: Option<Refinement>,
        tol: Tolerance,
        met: bool,
    ) -> ExactLoss {
        let what = match self.scheme {
            Scheme::Lattice => "the losses' common unit (exact)",
            Scheme::Atoms => "every subset sum (exact)",
            _ => {
                "a unit halved until the figures converged, each loss spread over four grid \
                  points keeping three moments, read continuously"
            }
        };
        let mut report = AccuracyReport {
            evidence: Evidence::Convergence,
            method: format!(
                "exact recursion on {what}; quadrature step halved until the figures \
                 converged; convergence evidence (the figures at the last two refinements), \
                 not a proven bound"
            ),
            requested: Some(tol),
            met: Some(met),
            grid: Some(e.grid.clone()),
            quadrature: Some(e.quadrature.clone()),
            trimmed_mass: Some(e.trimmed + e.skipped),
            refinements: [quad, grid].into_iter().flatten().collect(),
            standard_errors: Vec::new(),
            error_bounds: Vec::new(),
        };
        report.bound_from_refinements();
        self.finish(e, report)
    }

    fn finish(&self, e: Eval, accuracy: AccuracyReport) -> ExactLoss {
        let (dist, smooth) = match e.readout {
            Readout::Discrete(d) => (d, None),
            Readout::Smooth(s, raw) => (raw, Some(s)),
        };
        ExactLoss {
            dist,
            smooth,
            discretization: Discretization {
                unit: e.unit,
                total_units: match self.scheme {
                    Scheme::Moments => (self.max_total / e.unit).ceil() as usize,
                    _ => e.cells.saturating_sub(1),
                },
                exact: matches!(self.scheme, Scheme::Lattice | Scheme::Atoms),
                max_rounding: e.max_rounding,
                expected_loss_shift: 0.0,
                scheme: self.scheme,
            },
            nodes: e.nodes,
            trimmed_mass: e.trimmed,
            accuracy,
            work: e.work_total,
        }
    }

    /// The rule of one dimension at quadrature level `q`: (node, weight), in order.
    fn dim_rule(&self, d: &Dim, q: usize) -> Option<Vec<(f64, f64)>> {
        let cfg = self.config;
        match d {
            Dim::Normal => {
                let base = 2.0 * Z_RANGE / (cfg.nodes - 1) as f64;
                let h = base / 2f64.powi(q as i32);
                let n = (cfg.nodes - 1) << q;
                Some(
                    (0..=n)
                        .map(|j| -Z_RANGE + j as f64 * h)
                        .map(|z| (z, h * norm_pdf(z)))
                        .collect(),
                )
            }
            Dim::Scale { nu, range } => {
                let (lo, hi) = *range;
                let n = (cfg.scale_nodes - 1) << q;
                let h = (hi - lo) / n as f64;
                let half = 0.5 * nu;
                let ln_norm = half * std::f64::consts::LN_2 + ln_gamma(half);
                let mut v: Vec<(f64, f64)> = (0..=n)
                    .map(|j| {
                        let y = lo + j as f64 * h;
                        let ln_f = half * y - 0.5 * y.exp() - ln_norm;
                        ((y.exp() / nu).sqrt(), h * ln_f.exp())
                    })
                    .collect();
                let total: f64 = v.iter().map(|p| p.1).sum();
                v.iter_mut().for_each(|p| p.1 /= total);
                Some(v)
            }
            Dim::Market { nu, range } => {
                let n = (cfg.market_nodes - 1) << q;
                let h = 2.0 * range / n as f64;
                let scale = unit_variance_scale(*nu);
                let mut v: Vec<(f64, f64)> = (0..=n)
                    .map(|j| {
                        let v = -range + j as f64 * h;
                        let t = v.sinh();
                        (scale * t, h * t_pdf(t, *nu) * v.cosh())
                    })
                    .collect();
                let total: f64 = v.iter().map(|p| p.1).sum();
                v.iter_mut().for_each(|p| p.1 /= total);
                Some(v)
            }
            Dim::Hermite => {
                let n = cfg.nodes_per_factor << q;
                let r = Rule::gauss_hermite(n.min(MAX_NODES)).ok()?;
                Some(r.nodes.into_iter().zip(r.weights).collect())
            }
        }
    }

    fn uses_normal(&self) -> bool {
        match &self.structure {
            Structure::Tensor { dims, .. } => dims.contains(&Dim::Normal),
            Structure::Nested { .. } => true,
        }
    }

    /// What the grid at level `g` is.
    fn grid_description(&self, g: usize) -> String {
        match self.scheme {
            Scheme::Lattice => format!(
                "lattice: unit {:.6e} of total exposure (exact), {} cells",
                self.lattice_unit / self.total_ead,
                self.cells(g)
            ),
            Scheme::Atoms => format!("atoms: {} exact subset sums", self.cells(g)),
            _ => format!(
                "moments: unit {:.4e} of total exposure, {} cells",
                self.unit(g) / self.total_ead,
                self.cells(g)
            ),
        }
    }

    fn quadrature_description(&self, q: usize) -> String {
        let describe = |d: &Dim| -> String {
            let n = self.dim_rule(d, q).map_or(0, |r| r.len());
            match d {
                Dim::Normal => format!(
                    "trapezoid in z, step {:.4}, {n} nodes",
                    2.0 * Z_RANGE / ((self.config.nodes - 1) << q) as f64
                ),
                Dim::Scale { .. } => format!("trapezoid in ln W, {n} nodes"),
                Dim::Market { .. } => format!("trapezoid in asinh of the market factor, {n} nodes"),
                Dim::Hermite => format!("Gauss-Hermite, {n} nodes"),
            }
        };
        match &self.structure {
            Structure::Tensor { dims, .. } => {
                dims.iter().map(describe).collect::<Vec<_>>().join(" x ")
            }
            Structure::Nested { groups } => format!(
                "{} for the common factor and each of {} groups' own factors",
                describe(&Dim::Normal),
                groups.len()
            ),
        }
    }

    /// The distribution and figures at grid level `g` and quadrature level `q`.
    fn evaluate(&self, g: usize, q: usize, progress: &mut Progress) -> Result<Eval> {
        let mut work = 0.0;
        let cache = progress.caches.entry(g).or_default();
        let unit = self.unit(g);
        let cells = self.cells(g);
        let lattice = self.scheme == Scheme::Lattice;
        let fixed: Vec<Option<Stencil>> = self
            .loans
            .iter()
            .map(|l| match l.loss {
                LossGiven::Fixed(a) if lattice => Some(Stencil::Point((a / unit).round() as usize)),
                LossGiven::Fixed(a) => Some(Stencil::of(a / unit)),
                LossGiven::Collateral { .. } => None,
            })
            .collect();
        let max_rounding = self
            .loans
            .iter()
            .map(|l| match l.loss {
                LossGiven::Fixed(a) if self.scheme == Scheme::Moments => {
                    Stencil::rounding(a / unit) * unit
                }
                _ => 0.0,
            })
            .fold(0.0, f64::max);
        let weighted: Vec<(f64, Arc<NodeDist>)> = match &self.structure {
            Structure::Tensor { dims, direction } => {
                let rules: Vec<Vec<(f64, f64)>> = dims
                    .iter()
                    .map(|d| {
                        self.dim_rule(d, q).ok_or_else(|| Error::Unsupported {
                            method: "exact",
                            reason: "the quadrature rule cannot be built at this level".into(),
                        })
                    })
                    .collect::<Result<_>>()?;
                let mut states: Vec<(Vec<f64>, f64)> = vec![(Vec::new(), 1.0)];
                for r in &rules {
                    states = states
                        .into_iter()
                        .flat_map(|(s, w)| {
                            r.iter().map(move |&(x, wx)| {
                                let mut s2 = s.clone();
                                s2.push(x);
                                (s2, w * wx)
                            })
                        })
                        .collect();
                }
                if let Some(dir) = direction {
                    for (s, _) in &mut states {
                        let z = s[0];
                        *s = dir.iter().map(|d| d * z).collect();
                    }
                }
                let nested = dims.iter().all(Dim::nested);
                let keys: Vec<Vec<u64>> = states
                    .iter()
                    .map(|(s, _)| s.iter().map(|x| x.to_bits()).collect())
                    .collect();
                let missing: Vec<usize> = (0..states.len())
                    .filter(|&j| !nested || !cache.nodes.contains_key(&keys[j]))
                    .collect();
                let computed: Vec<(usize, NodeDist)> = missing
                    .par_iter()
                    .map(|&j| (j, self.node(&states[j].0, &fixed, unit, cells)))
                    .collect();
                let mut fresh: HashMap<usize, Arc<NodeDist>> = HashMap::new();
                for (j, d) in computed {
                    work += d.work;
                    cache.work += d.work;
                    cache.count += 1;
                    let d = Arc::new(d);
                    if nested {
                        cache.nodes.insert(keys[j].clone(), d.clone());
                    }
                    fresh.insert(j, d);
                }
                states
                    .iter()
                    .enumerate()
                    .map(|(j, (_, w))| {
                        let d = fresh
                            .remove(&j)
                            .unwrap_or_else(|| cache.nodes[&keys[j]].clone());
                        (*w, d)
                    })
                    .collect()
            }
            Structure::Nested { groups } => {
                self.nested(groups, q, &fixed, unit, cells, cache, &mut work)?
            }
        };
        let count = cache.count.max(1);
        progress.per_node.insert(g, cache.work / count as f64);
        progress.work += work;
        progress.spent.insert((g, q), work);
        let nodes = weighted.len();
        // Sum in node order.
        let mut acc = vec![0.0f64; cells];
        let (mut p0, mut mean, mut second, mut mass, mut dropped) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (w, d) in &weighted {
            for (k, v) in d.values.iter().enumerate() {
                acc[d.lo + k] += w * v;
            }
            p0 += w * d.p0;
            mean += w * d.mean;
            second += w * d.second;
            mass += w;
            dropped += w * d.dropped.abs();
        }
        let trimmed = dropped;
        let skipped = 2.0 * norm_cdf(-Z_RANGE) * f64::from(u8::from(self.uses_normal()));
        let readout = match self.scheme {
            Scheme::Atoms => {
                let atoms = &self.atoms.as_ref().expect("atoms scheme").0;
                let losses = atoms.iter().map(|a| a / self.total_ead).collect();
                Readout::Discrete(DiscreteLoss::new(losses, acc))
            }
            Scheme::Lattice => {
                let top = acc.iter().rposition(|&p| p != 0.0).unwrap_or(0);
                acc.truncate(top + 1);
                let scale = unit / self.total_ead;
                let losses = (0..acc.len()).map(|k| k as f64 * scale).collect();
                Readout::Discrete(DiscreteLoss::new(losses, acc))
            }
            _ => {
                let scale = unit / self.total_ead;
                let raw = DiscreteLoss::new(
                    (0..acc.len())
                        .map(|k| (k as f64 - PAD as f64) * scale)
                        .collect(),
                    acc.clone(),
                );
                let smooth = SmoothLoss::new(acc, PAD, scale, (mean, second), p0, mass, self.w_min);
                Readout::Smooth(smooth, raw)
            }
        };
        let t = &self.config.targets;
        let summary = LossSummary::of(readout.reader(), &t.levels, &t.tail, &t.tranches)?;
        Ok(Eval {
            readout,
            summary,
            nodes,
            trimmed,
            grid: self.grid_description(g),
            quadrature: self.quadrature_description(q),
            unit,
            cells,
            max_rounding,
            skipped,
            work_total: progress.work,
        })
    }

    /// The conditional distribution given the copula state `state`.
    fn node(&self, state: &[f64], fixed: &[Option<Stencil>], unit: f64, cells: usize) -> NodeDist {
        let z = state[0];
        let n = self.loans.len();
        let mut steps = Vec::with_capacity(n);
        let (mut mean, mut var, mut p0) = (0.0, 0.0, 1.0f64);
        for (i, l) in self.loans.iter().enumerate() {
            let p = self
                .copula
                .conditional_pd(l.threshold, self.loadings[i], state);
            if p <= 0.0 {
                continue;
            }
            let amount = l.loss.amount(z);
            let st = fixed[i].unwrap_or_else(|| Stencil::of(amount / unit));
            let w = amount / self.total_ead;
            mean += w * p;
            var += w * w * p * (1.0 - p);
            p0 *= 1.0 - p;
            steps.push((p, st, i));
        }
        let mut d = match &self.atoms {
            Some((atoms, atom_of)) => self.atom_node(&steps, atoms.len(), atom_of),
            None => recurse(&steps, self.pad(), cells, self.config.tail_cutoff),
        };
        d.p0 = p0;
        d.mean = mean;
        d.second = var + mean * mean;
        d
    }

    /// The atoms' probabilities given the node: every subset's probability, summed per atom.
    fn atom_node(
        &self,
        steps: &[(f64, Stencil, usize)],
        n_atoms: usize,
        atom_of: &[u32],
    ) -> NodeDist {
        let n = self.loans.len();
        let mut p = vec![0.0f64; n];
        for &(pi, _, i) in steps {
            p[i] = pi;
        }
        let mut probs = vec![1.0f64];
        for &pi in &p {
            let stay: Vec<f64> = probs.iter().map(|x| x * (1.0 - pi)).collect();
            let go: Vec<f64> = probs.iter().map(|x| x * pi).collect();
            probs = stay;
            probs.extend(go);
        }
        let mut values = vec![0.0f64; n_atoms];
        for (s, &pr) in probs.iter().enumerate() {
            values[atom_of[s] as usize] += pr;
        }
        NodeDist {
            lo: 0,
            values,
            dropped: 0.0,
            p0: 0.0,
            mean: 0.0,
            second: 0.0,
            work: probs.len() as f64,
        }
    }

    /// The nested structure at quadrature level `q`: per group its conditional
    /// distributions on a grid of its systematic term, mixed over its own factor for each
    /// node of the common factor, then convolved across groups.
    #[allow(clippy::too_many_arguments)]
    fn nested(
        &self,
        groups: &[Group],
        q: usize,
        fixed: &[Option<Stencil>],
        unit: f64,
        cells: usize,
        cache: &mut Cache,
        work: &mut f64,
    ) -> Result<Vec<(f64, Arc<NodeDist>)>> {
        let outer = self
            .dim_rule(&Dim::Normal, q)
            .expect("the normal rule exists");
        let base = 2.0 * Z_RANGE / (self.config.nodes - 1) as f64;
        let h = base / 2f64.powi(q as i32);
        let zmax = outer.iter().map(|p| p.0.abs()).fold(0.0, f64::max);
        // Each group's m-grid: m_k = k own h, wide enough for every outer node.
        let mut requests: Vec<(usize, f64)> = Vec::new();
        let mut grids: Vec<Vec<f64>> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            let ms: Vec<f64> = if g.own > 0.0 {
                let step = g.own * h;
                let reach = ((g.b.abs() + g.own) * zmax / step).ceil() as i64;
                (-reach..=reach).map(|k| k as f64 * step).collect()
            } else {
                outer.iter().map(|&(z, _)| g.b * z).collect()
            };
            for &m in &ms {
                if !cache.groups.contains_key(&(gi, m.to_bits())) {
                    requests.push((gi, m));
                }
            }
            grids.push(ms);
        }
        requests.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        requests.dedup_by(|a, b| a.0 == b.0 && a.1.to_bits() == b.1.to_bits());
        let computed: Vec<((usize, u64), NodeDist)> = requests
            .par_iter()
            .map(|&(gi, m)| {
                (
                    (gi, m.to_bits()),
                    self.group_node(&groups[gi], m, fixed, unit, cells),
                )
            })
            .collect();
        for (key, d) in computed {
            *work += d.work;
            cache.work += d.work;
            cache.count += 1;
            cache.groups.insert(key, Arc::new(d));
        }
        let cutoff = self.config.tail_cutoff;
        // Each group's conditional distributions in the order of its m-grid, looked up once.
        let tables: Vec<Vec<&NodeDist>> = grids
            .iter()
            .enumerate()
            .map(|(gi, ms)| {
                ms.iter()
                    .map(|m| &*cache.groups[&(gi, m.to_bits())])
                    .collect()
            })
            .collect();
        let mixed: Vec<(NodeDist, f64)> = outer
            .par_iter()
            .enumerate()
            .map(|(j, &(z, _))| {
                let mut total: Option<NodeDist> = None;
                let mut spent = 0.0;
                for (gi, g) in groups.iter().enumerate() {
                    let parts: Vec<(f64, &NodeDist)> = if g.own > 0.0 {
                        // The m-grid points whose own factor y = (m - b z) / own lies in
                        // [-Z_RANGE, Z_RANGE]: the trapezoidal rule in y with step h, as
                        // for the common factor (the normal mass outside is 2e-17).
                        let step = g.own * h;
                        let reach = (grids[gi].len() / 2) as i64;
                        let centre = g.b * z / step;
                        let span = Z_RANGE / h;
                        let first = ((centre - span).ceil() as i64).max(-reach);
                        let last = ((centre + span).floor() as i64).min(reach);
                        (first..=last)
                            .map(|k| {
                                let m = grids[gi][(k + reach) as usize];
                                let y = (m - g.b * z) / g.own;
                                (h * norm_pdf(y), tables[gi][(k + reach) as usize])
                            })
                            .collect()
                    } else {
                        vec![(1.0, tables[gi][j])]
                    };
                    spent += parts.iter().map(|p| p.1.values.len() as f64).sum::<f64>();
                    let mix = mixture(&parts, cutoff);
                    total = Some(match total {
                        None => mix,
                        Some(t) => {
                            let c = convolve(&t, &mix, self.pad(), cells, cutoff);
                            spent += c.work;
                            c
                        }
                    });
                }
                (total.expect("at least one group"), spent)
            })
            .collect();
        // The mixing and the convolutions count as work too (they dominate with many groups).
        let spent: f64 = mixed.iter().map(|m| m.1).sum();
        *work += spent;
        let mixed = mixed.into_iter().map(|m| m.0);
        Ok(outer
            .iter()
            .zip(mixed)
            .map(|(&(_, w), d)| (w, Arc::new(d)))
            .collect())
    }

    /// The conditional distribution of group `g`'s loans given its systematic term `m`.
    fn group_node(
        &self,
        g: &Group,
        m: f64,
        fixed: &[Option<Stencil>],
        unit: f64,
        cells: usize,
    ) -> NodeDist {
        let mut steps = Vec::with_capacity(g.loans.len());
        let (mut mean, mut var, mut p0) = (0.0, 0.0, 1.0f64);
        for &i in &g.loans {
            let l = &self.loans[i];
            let p = if l.threshold == f64::NEG_INFINITY {
                0.0
            } else if l.threshold == f64::INFINITY {
                1.0
            } else if g.idio <= crate::copula::FULLY_SYSTEMATIC {
                if m <= l.threshold { 1.0 } else { 0.0 }
            } else {
                norm_cdf((l.threshold - m) / g.idio)
            };
            if p <= 0.0 {
                continue;
            }
            let amount = l.loss.amount(0.0);
            let st = fixed[i].unwrap_or_else(|| Stencil::of(amount / unit));
            let w = amount / self.total_ead;
            mean += w * p;
            var += w * w * p * (1.0 - p);
            p0 *= 1.0 - p;
            steps.push((p, st, i));
        }
        let mut d = recurse(&steps, self.pad(), cells, self.config.tail_cutoff);
        d.p0 = p0;
        d.mean = mean;
        d.second = var + mean * mean;
        d
    }
}

/// The state of a refinement: evaluations by (grid, quadrature) level, node caches by
/// grid level, the work spent and the work per node by grid level.
#[derive(Default)]
struct Progress {
    evals: HashMap<(usize, usize), Eval>,
    caches: HashMap<usize, Cache>,
    per_node: HashMap<usize, f64>,
    /// The work of each evaluation, by (grid, quadrature) level.
    spent: HashMap<(usize, usize), f64>,
    work: f64,
}

/// Computed node distributions at one grid level, by state.
#[derive(Default)]
struct Cache {
    nodes: HashMap<Vec<u64>, Arc<NodeDist>>,
    groups: HashMap<(usize, u64), Arc<NodeDist>>,
    work: f64,
    count: usize,
}

/// `b` with `C_gh = b_g b_h` for every `g != h` and `b_g^2 <= C_gg`: the groups' systematic
/// terms are then `b_g Z0 + sqrt(C_gg - b_g^2) Y_g` with independent `Z0`, `Y_g`.
fn one_factor(n: usize, c: &dyn Fn(usize, usize) -> f64) -> Option<Vec<f64>> {
    if n < 2 {
        return None;
    }
    // The pair with the largest covariance fixes the scale.
    let (mut best, mut pair) = (0.0, (0, 1));
    for g in 0..n {
        for h in g + 1..n {
            if c(g, h).abs() > best {
                best = c(g, h).abs();
                pair = (g, h);
            }
        }
    }
    let mut b = vec![0.0; n];
    if best > 0.0 {
        let (g, h) = pair;
        // A third group correlated with both pins b_g; otherwise split evenly.
        let third = (0..n).filter(|&k| k != g && k != h).max_by(|&a, &k| {
            (c(a, g) * c(a, h))
                .abs()
                .total_cmp(&(c(k, g) * c(k, h)).abs())
        });
        let bg2 = match third {
            Some(k) if (c(k, g) * c(k, h)).abs() > 0.0 => c(g, h) * c(g, k) / c(h, k),
            _ => c(g, h).abs() * (c(g, g) / c(h, h).max(f64::MIN_POSITIVE)).sqrt(),
        };
        if bg2 <= 0.0 {
            return None;
        }
        b[g] = bg2.sqrt();
        for k in 0..n {
            if k != g {
                b[k] = c(g, k) / b[g];
            }
        }
    }
    for g in 0..n {
        if b[g] * b[g] > c(g, g) + STRUCTURE_SLACK {
            return None;
        }
        for h in g + 1..n {
            if (c(g, h) - b[g] * b[h]).abs() > STRUCTURE_SLACK {
                return None;
            }
        }
    }
    Some(b)
}

/// The recursion over `steps` (conditional PD, stencil) from a point mass at loss 0 (cell
/// `pad`), trimming both ends below `cutoff`. The distribution lives in a window of cells
/// `[lo, hi]` (`cur[start..]`), so a node touches only the cells its support passes.
fn recurse(steps: &[(f64, Stencil, usize)], pad: usize, cells: usize, cutoff: f64) -> NodeDist {
    let mut cur: Vec<f64> = vec![1.0];
    let mut out: Vec<f64> = Vec::new();
    let mut start = 0usize;
    let (mut lo, mut hi) = (pad, pad);
    let mut dropped = 0.0;
    let mut work = 0.0;
    let top = cells - 1;
    for &(p, st, _) in steps {
        let q = 1.0 - p;
        let src = &cur[start..];
        let width = src.len();
        work += width as f64;
        // Weights given default and the offset of the first one above each source cell.
        let (offset, weights): (isize, [f64; 4]) = match st {
            Stencil::Point(0) => continue,
            Stencil::Point(n) => (n as isize, [p, 0.0, 0.0, 0.0]),
            Stencil::Four(n, w) => (n as isize - 1, [p * w[0], p * w[1], p * w[2], p * w[3]]),
        };
        let reach = if matches!(st, Stencil::Point(_)) {
            0
        } else {
            3
        };
        let first = lo as isize + offset;
        let new_lo = (lo as isize).min(first).max(0) as usize;
        let new_hi = ((hi as isize + offset + reach) as usize).min(top);
        // Cell k receives q src[k - lo] + sum_j weights[j] src[k - lo - offset - j].
        let value = |k: usize| -> f64 {
            let i = k as isize - lo as isize;
            let at = |i: isize| -> f64 {
                if i >= 0 && (i as usize) < width {
                    src[i as usize]
                } else {
                    0.0
                }
            };
            let mut v = q * at(i);
            for (j, &w) in weights.iter().enumerate().take(reach as usize + 1) {
                v += w * at(i - offset - j as isize);
            }
            v
        };
        out.clear();
        // The interior, where every read is inside the source, in one fused pass: source
        // index i reads i (the survivors) and i - offset - j (the defaults).
        let i_lo = (offset + reach).max(0);
        let i_hi = (width as isize - 1).min(width as isize - 1 + offset);
        if i_lo <= i_hi && (lo as isize + i_lo) as usize >= new_lo {
            let inner_lo = lo + i_lo as usize;
            let inner_hi = lo + i_hi as usize;
            for k in new_lo..inner_lo {
                out.push(value(k));
            }
            let len = (i_hi - i_lo + 1) as usize;
            let i0 = i_lo as usize;
            let sq = &src[i0..i0 + len];
            let read = |j: isize| -> &[f64] {
                let d = (i_lo - offset - j) as usize;
                &src[d..d + len]
            };
            let at = out.len();
            out.resize(at + len, 0.0);
            let o = &mut out[at..at + len];
            if reach == 0 {
                let s0 = read(0);
                let w0 = weights[0];
                for i in 0..len {
                    o[i] = q * sq[i] + w0 * s0[i];
                }
            } else {
                let (s0, s1, s2, s3) = (read(0), read(1), read(2), read(3));
                let [w0, w1, w2, w3] = weights;
                for i in 0..len {
                    o[i] = q * sq[i] + w0 * s0[i] + w1 * s1[i] + w2 * s2[i] + w3 * s3[i];
                }
            }
            for k in inner_hi + 1..=new_hi {
                out.push(value(k));
            }
        } else {
            for k in new_lo..=new_hi {
                out.push(value(k));
            }
        }
        // Weights that would land below cell 0 or above the grid are dropped.
        if first < 0 || hi as isize + offset + reach > top as isize {
            let kept: f64 = out.iter().sum();
            let before: f64 = src.iter().sum();
            dropped += before - kept;
        }
        std::mem::swap(&mut cur, &mut out);
        start = 0;
        lo = new_lo;
        hi = new_hi;
        while hi > lo && cur[hi - lo].abs() < cutoff {
            dropped += cur[hi - lo];
            cur.pop();
            hi -= 1;
        }
        while lo < hi && cur[start].abs() < cutoff {
            dropped += cur[start];
            start += 1;
            lo += 1;
        }
    }
    NodeDist {
        lo,
        values: cur[start..].to_vec(),
        dropped,
        p0: 0.0,
        mean: 0.0,
        second: 0.0,
        work,
    }
}

/// `sum_j w_j D_j` of node distributions (and of their moments), trimmed below `cutoff`.
fn mixture(parts: &[(f64, &NodeDist)], cutoff: f64) -> NodeDist {
    let lo = parts.iter().map(|(_, d)| d.lo).min().unwrap_or(0);
    let hi = parts
        .iter()
        .map(|(_, d)| d.lo + d.values.len())
        .max()
        .unwrap_or(lo + 1);
    let mut values = vec![0.0f64; hi - lo];
    let (mut p0, mut mean, mut second, mut dropped, mut mass) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(w, d) in parts {
        for (k, v) in d.values.iter().enumerate() {
            values[d.lo - lo + k] += w * v;
        }
        p0 += w * d.p0;
        mean += w * d.mean;
        second += w * d.second;
        dropped += w * d.dropped;
        mass += w;
    }
    let _ = mass;
    let mut d = NodeDist {
        lo,
        values,
        dropped,
        p0,
        mean,
        second,
        work: 0.0,
    };
    trim(&mut d, cutoff);
    d
}

fn trim(d: &mut NodeDist, cutoff: f64) {
    let first = d.values.iter().position(|v| v.abs() >= cutoff);
    let Some(first) = first else {
        d.dropped += d.values.iter().sum::<f64>();
        d.values = vec![0.0];
        return;
    };
    let last = d
        .values
        .iter()
        .rposition(|v| v.abs() >= cutoff)
        .expect("found one");
    d.dropped += d.values[..first].iter().sum::<f64>() + d.values[last + 1..].iter().sum::<f64>();
    d.values = d.values[first..=last].to_vec();
    d.lo += first;
}

/// The distribution of the sum of two independent losses on the grid (cell `pad` is loss
/// 0 in both), with moments: `E[(A + B)^2] = E[A^2] + 2 E[A] E[B] + E[B^2]`.
fn convolve(a: &NodeDist, b: &NodeDist, pad: usize, cells: usize, cutoff: f64) -> NodeDist {
    // The sum's first cell is a.lo + b.lo - pad, which is below the grid when the two
    // supports' (signed, tiny) reach below loss 0 adds up to more than the pad: those cells
    // are cut, and their mass counted as dropped, rather than the sum shifted.
    let skip = pad.saturating_sub(a.lo + b.lo);
    let lo = a.lo + b.lo + skip - pad;
    let full = a.values.len() + b.values.len() - 1;
    let len = full.min(cells.saturating_sub(lo) + skip);
    let mut values = vec![0.0f64; len];
    for (i, &x) in a.values.iter().enumerate() {
        if x == 0.0 {
            continue;
        }
        let row = &mut values[i.min(len)..];
        for (o, &y) in row.iter_mut().zip(&b.values) {
            *o += x * y;
        }
    }
    let below: f64 = values[..skip.min(len)].iter().sum();
    let values = values.split_off(skip.min(len));
    let mut d = NodeDist {
        lo,
        values,
        dropped: a.dropped + b.dropped + below,
        p0: a.p0 * b.p0,
        mean: a.mean + b.mean,
        second: a.second + 2.0 * a.mean * b.mean + b.second,
        work: (a.values.len() * b.values.len()) as f64,
    };
    trim(&mut d, cutoff);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab_numerics::prec;

    #[test]
    fn a_convolution_reaching_below_the_grid_cuts_rather_than_shifts() {
        // Two supports reaching 3 and 2 cells below loss 0 on a grid padded by 4: their sum
        // reaches 5 below. The certain loss 0 must stay at cell `pad`; the cell below the
        // grid is cut (its mass counted as dropped), not the whole sum shifted up by one.
        let pad = 4;
        let dist = |lo: usize, values: Vec<f64>| NodeDist {
            lo,
            values,
            dropped: 0.0,
            p0: 0.0,
            mean: 0.0,
            second: 0.0,
            work: 0.0,
        };
        let a = dist(1, vec![1e-3, 0.0, 0.0, 1.0]);
        let b = dist(2, vec![1e-3, 0.0, 1.0]);
        let c = convolve(&a, &b, pad, 16, 0.0);
        let at = |cell: usize| c.values.get(cell - c.lo).copied().unwrap_or(0.0);
        assert_eq!(at(pad), 1.0);
        assert_eq!(at(pad - 2), 1e-3);
        assert_eq!(at(pad - 3), 1e-3);
        assert_eq!(c.dropped, 1e-6);
    }

    #[test]
    fn lagrange_weights_keep_three_moments() {
        for f in [0.0, 0.1, 0.37, 0.5, 0.93] {
            let w = lagrange(f);
            for r in 0..4 {
                let m: f64 = w
                    .iter()
                    .enumerate()
                    .map(|(j, wj)| wj * (j as f64 - 1.0).powi(r))
                    .sum();
                assert!(
                    (m - f.powi(r)).abs() <= prec::IDENTITY * 8.0,
                    "f {f} r {r}: {m}"
                );
            }
        }
    }

    #[test]
    fn one_factor_structure_is_recognised() {
        let b = [0.3, 0.5, 0.4];
        let own = [0.2, 0.1, 0.3];
        let c = |g: usize, h: usize| {
            if g == h {
                b[g] * b[g] + own[g] * own[g]
            } else {
                b[g] * b[h]
            }
        };
        let got = one_factor(3, &c).unwrap();
        for g in 0..3 {
            assert!((got[g] - b[g]).abs() <= prec::ACCUMULATED);
        }
        // A structure no common factor explains.
        let bad = |g: usize, h: usize| match (g.min(h), g.max(h)) {
            (a, b) if a == b => 0.25,
            (0, 1) => 0.2,
            (0, 2) => 0.2,
            _ => -0.2,
        };
        assert!(one_factor(3, &bad).is_none());
    }
}

//! Claim 2 over time (docs/methodology/chain-reaction.md): the chain reaction as a process,
//! on both sides, run by creditlab-contagion's [`creditlab_contagion::chain`].
//!
//! - Bank side: dealers and commercial banks hold the bank pool's notes (every tranche above
//!   the first, kept by the originator) with balance sheets from public aggregates; the shock
//!   is the bank book's 99.9% one-year loss, passed through the tranches.
//! - DeFi side: the lending pool lends to looping funds against a collateral token, and
//!   protocols hold the pool's shares and the token; the shock is the DeFi pool's 99.9%
//!   one-year depositor loss, on the pool's loans and (the same size) on the token.
//! - The map: the leverage, haircut and market depth at which that shock makes a second
//!   institution fail, over ranges tied to the sourced balance sheets; claim 2 is judged on
//!   the share of the plausible region where it does.

use creditlab_contagion::chain::{ChainNetwork, ChainOutcome, Failure, Holder, Market, Shock};
use creditlab_contagion::clearing::DefaultCosts;
use serde::{Deserialize, Serialize};

/// The built-in model (scenarios/chain.toml): the default of `cargo xtask chain` and of a
/// scenario without a `[chain]` table.
pub const DEFAULT_CHAIN: &str = include_str!("../../../scenarios/chain.toml");

impl Default for ChainSpec {
    fn default() -> Self {
        toml::from_str(DEFAULT_CHAIN).expect("scenarios/chain.toml parses (tested)")
    }
}

impl ChainSpec {
    /// Parses and checks a chain TOML (`origin` names it in errors, with the line).
    pub fn parse(text: &str, origin: &str) -> crate::Result<Self> {
        let spec: Self = crate::config::parse_toml(text, origin)?;
        spec.validate()
            .map_err(|(key, reason)| crate::config::config_error(text, origin, &key, reason))?;
        Ok(spec)
    }
}

/// `[chain]`: the chain reaction of claim 2 (docs/schemas/chain-toml.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// The holders of the bank pool's notes.
    pub bank: BankSide,
    /// The DeFi pool, its looping borrowers and the protocols holding its shares.
    pub defi: DefiSide,
}

/// One kind of institution holding the notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    /// Its name (numbered in the outputs: `dealer 1`).
    pub name: String,
    /// How many.
    pub count: usize,
    /// Assets over equity.
    pub leverage: f64,
    /// Repo, per unit of assets.
    pub repo_share: f64,
    /// Long-term debt, per unit of assets.
    pub long_term_share: f64,
    /// The notes, per unit of assets.
    pub holding_share: f64,
    /// Cash and Treasuries, per unit of assets.
    pub cash_share: f64,
    /// Sells to deleverage once leverage exceeds its own by this factor (absent: never).
    #[serde(default)]
    pub deleverage_above: Option<f64>,
    /// Whether the map moves this kind's leverage.
    pub on_map: bool,
}

/// The security's market terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    /// Units sold that move the price to 1/e of its value, per unit the network holds.
    pub depth: f64,
    /// Repo haircut after the shock (bank side only; the DeFi side's is `1 -
    /// liquidation_threshold`).
    #[serde(default)]
    pub haircut: f64,
    /// Haircut added per unit of price fall below par.
    pub haircut_per_drawdown: f64,
}

/// Rogers-Veraart costs of default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Share of external assets realised in default.
    pub alpha: f64,
    /// Share of interbank claims realised in default.
    pub beta: f64,
}

/// The grid of the map and the region the sources support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    /// Leverages swept (of the kinds `on_map`; the loopers on the DeFi side).
    pub leverage: Vec<f64>,
    /// Haircuts swept.
    pub haircut: Vec<f64>,
    /// Market depths swept, per unit the network holds.
    pub depth: Vec<f64>,
    /// The leverage range the sources support.
    pub plausible_leverage: [f64; 2],
    /// The haircut range the sources support.
    pub plausible_haircut: [f64; 2],
}

/// `[chain.bank]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankSide {
    /// Share of short-term unsecured funding owed to the others, in equal parts.
    pub interbank_share: f64,
    /// The kinds of holder.
    pub institutions: Vec<Kind>,
    /// The notes' market.
    pub market: MarketSpec,
    /// Costs of default.
    pub costs: CostSpec,
    /// The map.
    pub map: MapSpec,
}

/// `[chain.defi]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefiSide {
    /// Share of the pool's deposits kept idle.
    pub idle_share: f64,
    /// The pool's equity, per 100 of deposits.
    pub pool_equity: f64,
    /// Share of the deposits lent to looping funds.
    pub looper_share: f64,
    /// Looping funds.
    pub loopers: usize,
    /// Their leverage (assets over equity).
    pub looper_leverage: f64,
    /// The collateral token's liquidation threshold (the haircut is one minus it).
    pub liquidation_threshold: f64,
    /// Protocols holding the pool's shares.
    pub protocols: usize,
    /// Share of the pool's deposits they hold.
    pub protocol_deposit_share: f64,
    /// The token, per unit of their assets.
    pub protocol_token_share: f64,
    /// Their equity, per unit of assets.
    pub protocol_equity: f64,
    /// Share of the token's value that follows the pool's lost equity.
    pub reflexivity: f64,
    /// The token's fall in the March-2020 case.
    pub march_2020_fall: f64,
    /// The token's market.
    pub market: MarketSpec,
    /// Costs of default.
    pub costs: CostSpec,
    /// The map.
    pub map: MapSpec,
}

/// A key of `[chain]` that cannot be used: its dotted path below `chain`, and why.
pub type SpecError = (String, String);

fn check(ok: bool, key: String, reason: &str) -> Result<(), SpecError> {
    if ok {
        Ok(())
    } else {
        Err((key, reason.to_string()))
    }
}

fn share(x: f64) -> bool {
    x.is_finite() && (0.0..=1.0).contains(&x)
}

fn check_map(m: &MapSpec, side: &str, haircut_floor: f64) -> Result<(), SpecError> {
    let key = |k: &str| format!("{side}.map.{k}");
    let values = |k: &str, v: &[f64], ok: &dyn Fn(f64) -> bool| {
        check(
            !v.is_empty() && v.len() <= 50,
            key(k),
            "needs 1 to 50 values",
        )?;
        check(
            v.iter().all(|&x| ok(x)),
            key(k),
            "has a value out of range (docs/schemas/chain-toml.md)",
        )
    };
    values("leverage", &m.leverage, &|x| x.is_finite() && x > 1.0)?;
    values("haircut", &m.haircut, &|x| share(x) && x >= haircut_floor)?;
    values("depth", &m.depth, &|x| x.is_finite() && x > 0.0)?;
    for (k, [lo, hi]) in [
        ("plausible_leverage", m.plausible_leverage),
        ("plausible_haircut", m.plausible_haircut),
    ] {
        check(
            lo.is_finite() && hi.is_finite() && lo <= hi,
            key(k),
            "must be [low, high] with low <= high",
        )?;
    }
    Ok(())
}

fn check_costs(c: &CostSpec, side: &str) -> Result<(), SpecError> {
    for (k, v) in [("alpha", c.alpha), ("beta", c.beta)] {
        check(
            v > 0.0 && v <= 1.0,
            format!("{side}.costs.{k}"),
            "must be in (0, 1]",
        )?;
    }
    Ok(())
}

fn check_market(m: &MarketSpec, side: &str) -> Result<(), SpecError> {
    check(
        m.depth.is_finite() && m.depth > 0.0,
        format!("{side}.market.depth"),
        "must be > 0",
    )?;
    check(
        share(m.haircut),
        format!("{side}.market.haircut"),
        "must be in [0, 1]",
    )?;
    check(
        m.haircut_per_drawdown.is_finite() && m.haircut_per_drawdown >= 0.0,
        format!("{side}.market.haircut_per_drawdown"),
        "must be >= 0",
    )
}

impl ChainSpec {
    /// Checks every key; the error names it (below `chain`) and what it must be.
    pub fn validate(&self) -> Result<(), SpecError> {
        let b = &self.bank;
        check(
            share(b.interbank_share),
            "bank.interbank_share".into(),
            "must be in [0, 1]",
        )?;
        check(
            !b.institutions.is_empty(),
            "bank.institutions".into(),
            "needs at least one kind of institution",
        )?;
        let total: usize = b.institutions.iter().map(|k| k.count).sum();
        check(
            (1..=200).contains(&total),
            "bank.institutions".into(),
            "needs 1 to 200 institutions in all",
        )?;
        for (i, k) in b.institutions.iter().enumerate() {
            let key = |f: &str| format!("bank.institutions[{i}].{f}");
            check(
                k.leverage.is_finite() && k.leverage > 1.0,
                key("leverage"),
                "must be > 1",
            )?;
            for (f, v) in [
                ("repo_share", k.repo_share),
                ("long_term_share", k.long_term_share),
                ("holding_share", k.holding_share),
                ("cash_share", k.cash_share),
            ] {
                check(share(v), key(f), "must be in [0, 1]")?;
            }
            check(
                k.holding_share + k.cash_share <= 1.0,
                key("cash_share"),
                "holdings and cash exceed the assets",
            )?;
            check(
                k.repo_share + k.long_term_share <= 1.0 - 1.0 / k.leverage,
                key("repo_share"),
                "repo and long-term debt exceed the liabilities (1 - 1/leverage)",
            )?;
            if let Some(x) = k.deleverage_above {
                check(
                    x.is_finite() && x >= 1.0,
                    key("deleverage_above"),
                    "must be >= 1",
                )?;
            }
        }
        check_market(&b.market, "bank")?;
        check_costs(&b.costs, "bank")?;
        let lowest = b.map.leverage.iter().copied().fold(f64::INFINITY, f64::min);
        for (i, k) in b.institutions.iter().enumerate().filter(|(_, k)| k.on_map) {
            check(
                k.repo_share + k.long_term_share <= 1.0 - 1.0 / lowest,
                format!("bank.institutions[{i}].repo_share"),
                "repo and long-term debt exceed the liabilities at the map's lowest leverage",
            )?;
        }
        check_map(&b.map, "bank", 0.0)?;
        let d = &self.defi;
        for (f, v) in [
            ("idle_share", d.idle_share),
            ("looper_share", d.looper_share),
            ("protocol_deposit_share", d.protocol_deposit_share),
            ("protocol_token_share", d.protocol_token_share),
            ("protocol_equity", d.protocol_equity),
            ("reflexivity", d.reflexivity),
            ("march_2020_fall", d.march_2020_fall),
        ] {
            check(share(v), format!("defi.{f}"), "must be in [0, 1]")?;
        }
        check(
            d.idle_share + d.looper_share <= 1.0,
            "defi.looper_share".into(),
            "idle and looper shares exceed the deposits",
        )?;
        check(
            d.protocol_token_share < 1.0,
            "defi.protocol_token_share".into(),
            "must be below 1",
        )?;
        check(
            d.protocol_equity > 0.0,
            "defi.protocol_equity".into(),
            "must be > 0",
        )?;
        check(
            d.pool_equity.is_finite() && d.pool_equity > 0.0,
            "defi.pool_equity".into(),
            "must be > 0",
        )?;
        check(
            (1..=100).contains(&d.loopers),
            "defi.loopers".into(),
            "must be 1 to 100",
        )?;
        check(
            (1..=100).contains(&d.protocols),
            "defi.protocols".into(),
            "must be 1 to 100",
        )?;
        check(
            d.looper_leverage.is_finite() && d.looper_leverage > 1.0,
            "defi.looper_leverage".into(),
            "must be > 1",
        )?;
        check(
            d.liquidation_threshold > 0.0 && d.liquidation_threshold < 1.0,
            "defi.liquidation_threshold".into(),
            "must be in (0, 1)",
        )?;
        check(
            1.0 - 1.0 / d.looper_leverage < d.liquidation_threshold,
            "defi.looper_leverage".into(),
            "a looper this leveraged is liquidatable before any shock (1 - 1/leverage >= threshold)",
        )?;
        check_market(&d.market, "defi")?;
        check_costs(&d.costs, "defi")?;
        check_map(&d.map, "defi", f64::MIN_POSITIVE)
    }
}

/// One run of the process, as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainRun {
    /// What the run is.
    pub label: String,
    /// The security's fundamental loss per unit in the shock.
    pub note_loss: f64,
    /// The process's outcome: rounds, failures with causes, prices, amplification,
    /// DebtRank.
    pub outcome: ChainOutcome,
}

/// One point of the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MapPoint {
    /// Leverage of the kinds the map moves.
    pub leverage: f64,
    /// Haircut.
    pub haircut: f64,
    /// Market depth, per unit the network holds.
    pub market_depth: f64,
    /// Whether at least two institutions fail.
    pub second_failure: bool,
    /// Whether the point is inside the region the sources support.
    pub plausible: bool,
}

/// One side's chain reaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// `bank` or `defi`.
    pub side: String,
    /// The institutions' names, in the network's order.
    pub institutions: Vec<String>,
    /// The book's 99.9% loss behind the shock.
    pub book_loss: f64,
    /// The central run and its cases.
    pub runs: Vec<ChainRun>,
    /// The map.
    pub map: Vec<MapPoint>,
    /// Plausible points where a second institution fails, and plausible points.
    pub plausible_second_failures: (usize, usize),
}

impl Side {
    /// Share of the plausible region where a second institution fails.
    pub fn plausible_share(&self) -> f64 {
        let (k, n) = self.plausible_second_failures;
        if n == 0 { 0.0 } else { k as f64 / n as f64 }
    }

    /// The central run.
    pub fn central(&self) -> &ChainRun {
        &self.runs[0]
    }
}

/// Both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainStudy {
    /// Holders of the bank pool's notes.
    pub bank: Side,
    /// The DeFi pool's network.
    pub defi: Side,
}

/// The bank network at `leverage` (for the kinds on the map; `None` keeps each kind's own),
/// `haircut` and `depth` (per unit held).
fn bank_network(
    b: &BankSide,
    leverage: Option<f64>,
    haircut: f64,
    depth: f64,
    costs: DefaultCosts,
) -> crate::Result<(ChainNetwork, Vec<String>)> {
    let mut names = Vec::new();
    let mut sheets = Vec::new();
    for k in &b.institutions {
        let lev = if k.on_map {
            leverage.unwrap_or(k.leverage)
        } else {
            k.leverage
        };
        for j in 1..=k.count {
            names.push(format!("{} {j}", k.name));
            sheets.push((k, lev));
        }
    }
    let n = sheets.len();
    // Short-term unsecured funding: what is left of the liabilities after repo and
    // long-term debt; `interbank_share` of it is owed to the others in equal parts.
    let short: Vec<f64> = sheets
        .iter()
        .map(|(k, lev)| (100.0 - 100.0 / lev - 100.0 * (k.repo_share + k.long_term_share)).max(0.0))
        .collect();
    let owed: Vec<f64> = short
        .iter()
        .map(|s| {
            if n > 1 {
                b.interbank_share * s / (n - 1) as f64
            } else {
                0.0
            }
        })
        .collect();
    let interbank: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 0.0 } else { owed[i] }).collect())
        .collect();
    let holders: Vec<Holder> = sheets
        .iter()
        .enumerate()
        .map(|(i, (k, lev))| {
            let receivable: f64 = (0..n).map(|j| interbank[j][i]).sum();
            let owes: f64 = interbank[i].iter().sum();
            let equity = 100.0 / lev;
            // Repo against the notes: Gorton and Metrick's securitized banking financed
            // them in repo at the zero haircut of early 2007, so the notes carry repo up to
            // their par value; the rest of the repo is against Treasuries and agencies,
            // whose haircuts are not in question here, and counts with the stable debt.
            let repo = (100.0 * k.repo_share).min(100.0 * k.holding_share);
            // Outside debt closes the balance sheet: equity is exactly 100 / leverage of
            // the assets outside the network.
            let debt = (100.0 + receivable - equity - repo - owes).max(0.0);
            Holder {
                name: names[i].clone(),
                units: 100.0 * k.holding_share,
                cash: 100.0 * k.cash_share,
                other_assets: 100.0 * (1.0 - k.holding_share - k.cash_share),
                repo,
                repo_lender: None,
                debt,
                min_equity_ratio: k.deleverage_above.map_or(0.0, |x| 1.0 / (lev * x)),
            }
        })
        .collect();
    let units: f64 = holders.iter().map(|h| h.units).sum();
    let market = Market {
        depth: depth * units.max(f64::MIN_POSITIVE),
        haircut,
        haircut_per_drawdown: b.market.haircut_per_drawdown,
        reflexivity: 0.0,
        reflexive_on: None,
        reflexive_base: None,
    };
    Ok((ChainNetwork::new(holders, interbank, market, costs)?, names))
}

/// The DeFi network: the pool (node 0), the loopers, the protocols.
fn defi_network(
    d: &DefiSide,
    leverage: f64,
    haircut: f64,
    depth: f64,
    reflexivity: f64,
    costs: DefaultCosts,
) -> crate::Result<(ChainNetwork, Vec<String>)> {
    let mut names = vec!["lending pool".to_string()];
    let lent = 100.0 * d.looper_share / d.loopers as f64;
    let shares = 100.0 * d.protocol_deposit_share / d.protocols as f64;
    let n = 1 + d.loopers + d.protocols;
    let mut interbank = vec![vec![0.0; n]; n];
    let mut holders = vec![Holder {
        name: names[0].clone(),
        units: 0.0,
        cash: 100.0 * d.idle_share,
        other_assets: 100.0 * (1.0 - d.idle_share - d.looper_share) + d.pool_equity,
        repo: 0.0,
        repo_lender: None,
        debt: 100.0 * (1.0 - d.protocol_deposit_share),
        min_equity_ratio: 0.0,
    }];
    for j in 1..=d.loopers {
        names.push(format!("looping fund {j}"));
        let equity = lent / (leverage - 1.0);
        holders.push(Holder {
            name: names[j].clone(),
            units: lent + equity,
            cash: 0.0,
            other_assets: 0.0,
            repo: lent,
            repo_lender: Some(0),
            debt: 0.0,
            min_equity_ratio: 0.0,
        });
    }
    for j in 1..=d.protocols {
        let i = d.loopers + j;
        names.push(format!("protocol {j}"));
        interbank[0][i] = shares;
        let assets = shares / (1.0 - d.protocol_token_share);
        holders.push(Holder {
            name: names[i].clone(),
            units: assets - shares,
            cash: 0.0,
            other_assets: 0.0,
            repo: 0.0,
            repo_lender: None,
            debt: assets * (1.0 - d.protocol_equity),
            min_equity_ratio: 0.0,
        });
    }
    let units: f64 = holders.iter().map(|h| h.units).sum();
    let market = Market {
        depth: depth * units,
        haircut,
        haircut_per_drawdown: d.market.haircut_per_drawdown,
        reflexivity,
        reflexive_on: (reflexivity > 0.0).then_some(POOL),
        // The pool's deficit is covered by its governance token (minted and sold, as a
        // debt auction does), so the token loses the deficit over the token's value in the
        // network.
        reflexive_base: Some(units),
    };
    Ok((ChainNetwork::new(holders, interbank, market, costs)?, names))
}

/// The DeFi lending pool's index in its network. Its depositors taking the book's loss is
/// the shock itself, as the notes' loss is on the bank side, so its own failure does not
/// count towards a second one.
pub const POOL: usize = 0;

/// Institutions failed in `out`, leaving out the book's own vehicle.
pub fn institutions_failed(out: &ChainOutcome, vehicle: Option<usize>) -> usize {
    out.failures
        .iter()
        .filter(|f| Some(f.index) != vehicle)
        .count()
}

/// The notes' loss per unit when the pool loses `loss` and the first tranche, kept by the
/// originator, detaches at `retained`.
pub fn note_loss(loss: f64, retained: f64) -> f64 {
    if retained >= 1.0 {
        0.0
    } else {
        ((loss - retained) / (1.0 - retained)).clamp(0.0, 1.0)
    }
}

fn costs(c: &CostSpec) -> crate::Result<DefaultCosts> {
    Ok(DefaultCosts::new(c.alpha, c.beta)?)
}

fn in_range(x: f64, [lo, hi]: [f64; 2]) -> bool {
    x >= lo - 1e-12 && x <= hi + 1e-12
}

/// Runs both sides: `bank_loss` is the bank book's 99.9% one-year loss and `retained` the
/// first tranche's detachment; `defi_loss` the DeFi pool's 99.9% one-year depositor loss.
pub fn study(
    spec: &ChainSpec,
    bank_loss: f64,
    retained: f64,
    defi_loss: f64,
) -> crate::Result<ChainStudy> {
    let b = &spec.bank;
    let nl = note_loss(bank_loss, retained);
    let bank_costs = costs(&b.costs)?;
    let (net, names) = bank_network(b, None, b.market.haircut, b.market.depth, bank_costs)?;
    let shock = Shock {
        note_loss: nl,
        other_losses: vec![0.0; names.len()],
    };
    let mut runs = vec![ChainRun {
        label: "central".into(),
        note_loss: nl,
        outcome: net.run(&shock)?,
    }];
    let cases = [
        (
            "no default costs",
            b.market.haircut,
            b.market.depth,
            DefaultCosts::NONE,
        ),
        (
            "haircut 45% (after Lehman)",
            0.45,
            b.market.depth,
            bank_costs,
        ),
        (
            "thin market (depth 0.5x)",
            b.market.haircut,
            0.5,
            bank_costs,
        ),
    ];
    for (label, haircut, depth, costs) in cases {
        let (net, _) = bank_network(b, None, haircut, depth, costs)?;
        runs.push(ChainRun {
            label: label.into(),
            note_loss: nl,
            outcome: net.run(&shock)?,
        });
    }
    let mut map = Vec::new();
    for &lev in &b.map.leverage {
        for &h in &b.map.haircut {
            for &depth in &b.map.depth {
                let (net, _) = bank_network(b, Some(lev), h, depth, bank_costs)?;
                let out = net.run(&shock)?;
                map.push(MapPoint {
                    leverage: lev,
                    haircut: h,
                    market_depth: depth,
                    second_failure: institutions_failed(&out, None) >= 2,
                    plausible: in_range(lev, b.map.plausible_leverage)
                        && in_range(h, b.map.plausible_haircut),
                });
            }
        }
    }
    let bank = side("bank", names, bank_loss, runs, map);
    let d = &spec.defi;
    let defi_costs = costs(&d.costs)?;
    let hc = 1.0 - d.liquidation_threshold;
    let pool_shock = |fall: f64, n: usize| {
        let mut other = vec![0.0; n];
        // The pool's loan loss that leaves its depositors `defi_loss` after its equity.
        if defi_loss > 0.0 {
            other[0] = (100.0 * defi_loss + d.pool_equity)
                .min(100.0 * (1.0 - d.idle_share - d.looper_share) + d.pool_equity);
        }
        Shock {
            note_loss: fall,
            other_losses: other,
        }
    };
    let (net, names) = defi_network(
        d,
        d.looper_leverage,
        hc,
        d.market.depth,
        d.reflexivity,
        defi_costs,
    )?;
    let n = names.len();
    let mut runs = vec![ChainRun {
        label: "central".into(),
        note_loss: defi_loss,
        outcome: net.run(&pool_shock(defi_loss, n))?,
    }];
    runs.push(ChainRun {
        label: "March-2020 fall of the token".into(),
        note_loss: d.march_2020_fall,
        outcome: net.run(&pool_shock(d.march_2020_fall, n))?,
    });
    let (gov, _) = defi_network(d, d.looper_leverage, hc, d.market.depth, 1.0, defi_costs)?;
    runs.push(ChainRun {
        label: "governance token (reflexive)".into(),
        note_loss: defi_loss,
        outcome: gov.run(&pool_shock(defi_loss, n))?,
    });
    let mut map = Vec::new();
    for &lev in &d.map.leverage {
        for &h in &d.map.haircut {
            // A looper whose loan-to-value at par reaches the threshold could not have
            // borrowed: the point is left out.
            if 1.0 - 1.0 / lev >= 1.0 - h {
                continue;
            }
            for &depth in &d.map.depth {
                let (net, _) = defi_network(d, lev, h, depth, d.reflexivity, defi_costs)?;
                let out = net.run(&pool_shock(defi_loss, n))?;
                map.push(MapPoint {
                    leverage: lev,
                    haircut: h,
                    market_depth: depth,
                    second_failure: institutions_failed(&out, Some(POOL)) >= 2,
                    plausible: in_range(lev, d.map.plausible_leverage)
                        && in_range(h, d.map.plausible_haircut),
                });
            }
        }
    }
    let defi = side("defi", names, defi_loss, runs, map);
    Ok(ChainStudy { bank, defi })
}

fn side(
    name: &str,
    institutions: Vec<String>,
    book_loss: f64,
    runs: Vec<ChainRun>,
    map: Vec<MapPoint>,
) -> Side {
    let plausible: Vec<&MapPoint> = map.iter().filter(|p| p.plausible).collect();
    let k = plausible.iter().filter(|p| p.second_failure).count();
    Side {
        side: name.into(),
        institutions,
        book_loss,
        plausible_second_failures: (k, plausible.len()),
        runs,
        map,
    }
}

/// The JSON of `cargo xtask chain --json` (docs/schemas/chain-toml.md): `chain_reaction`
/// for the bank side, `defi` for the DeFi side.
pub fn json(study: &ChainStudy) -> serde_json::Value {
    let one = |s: &Side| {
        let c = &s.central().outcome;
        let failures: Vec<serde_json::Value> = c
            .failures
            .iter()
            .map(|f: &Failure| {
                serde_json::json!({"institution": f.institution, "round": f.round, "cause": f.cause})
            })
            .collect();
        serde_json::json!({
            "book_loss": s.book_loss,
            "note_loss": s.central().note_loss,
            "rounds": c.rounds,
            "failures": failures,
            "amplification": c.amplification,
            "debtrank": c.debtrank,
            "debtrank_single_hit": c.debtrank_single_hit,
            "prices": c.path.iter().map(|r| r.price).collect::<Vec<_>>(),
            "cases": s.runs.iter().skip(1).map(|r| serde_json::json!({
                "label": r.label,
                "failures": r.outcome.failures.len(),
                "amplification": r.outcome.amplification,
                "rounds": r.outcome.rounds,
            })).collect::<Vec<_>>(),
            "map": s.map.iter().map(|p| serde_json::json!({
                "leverage": p.leverage,
                "haircut": p.haircut,
                "market_depth": p.market_depth,
                "second_failure": p.second_failure,
                "plausible": p.plausible,
            })).collect::<Vec<_>>(),
            "plausible_share": s.plausible_share(),
        })
    };
    serde_json::json!({"chain_reaction": one(&study.bank), "defi": one(&study.defi)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_spec_parses_and_validates() {
        let s = ChainSpec::default();
        s.validate().unwrap();
        assert_eq!(ChainSpec::parse(DEFAULT_CHAIN, "chain.toml").unwrap(), s);
    }

    #[test]
    fn note_loss_passes_the_pool_loss_through_the_retained_tranche() {
        assert_eq!(note_loss(0.02, 0.03), 0.0);
        assert!((note_loss(0.0491, 0.03) - 0.0191 / 0.97).abs() < 1e-15);
        assert_eq!(note_loss(2.0, 0.03), 1.0);
    }
}

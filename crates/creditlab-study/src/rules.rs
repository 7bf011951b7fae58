//! The verdict's rules ([docs/methodology/verdict.md](crate::methodology::verdict)), as pure functions of measured figures
//! and their uncertainty. Each rule returns its judgement and the sentence that explains it,
//! built from the very numbers it judged (every number the sentence shows is in
//! [`Ruling::cites`]), so a test can check the sentence against the figures.

use creditlab_report::format::{num, pct};
use serde::Serialize;

/// Standard errors a difference must exceed to count as "beyond its uncertainty".
pub const Z: f64 = 2.0;

/// A measured figure: its value and standard error (0 for an exact figure; an analytic
/// method's error bound counts as a standard error of half its size).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measured {
    /// The value.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

impl Measured {
    /// A figure with its standard error.
    pub fn new(value: f64, se: f64) -> Self {
        Self {
            value,
            se: se.abs(),
        }
    }

    /// An exact figure.
    pub fn exact(value: f64) -> Self {
        Self { value, se: 0.0 }
    }

    /// A proportion of `k` events in `n` trials with its Agresti-Coull standard error,
    /// `sqrt(p~ (1 - p~) / (n + 4))` with `p~ = (k + 2) / (n + 4)`: not zero when no trial had
    /// the event, so "none in 1,000 paths" is not mistaken for "impossible".
    pub fn proportion(k: u64, n: u64) -> Self {
        let n = n.max(1) as f64;
        let p = k as f64 / n;
        let q = (k as f64 + 2.0) / (n + 4.0);
        Self::new(p, (q * (1.0 - q) / (n + 4.0)).sqrt())
    }

    /// A figure with an error bound: a standard error of half the bound.
    pub fn bounded(value: f64, bound: f64) -> Self {
        Self::new(value, 0.5 * bound)
    }

    /// `self / other` with the delta method's standard error (independent figures).
    pub fn ratio(self, other: Measured) -> Measured {
        if other.value == 0.0 {
            return Measured::new(f64::INFINITY, f64::INFINITY);
        }
        let r = self.value / other.value;
        let rel = (self.se / self.value.abs().max(f64::MIN_POSITIVE)).powi(2)
            + (other.se / other.value.abs()).powi(2);
        Measured::new(r, r.abs() * rel.sqrt())
    }

    /// `self - other` (independent figures).
    pub fn minus(self, other: Measured) -> Measured {
        Measured::new(self.value - other.value, self.se.hypot(other.se))
    }
}

/// Whether `x` is above `y` beyond their combined uncertainty.
pub fn above(x: Measured, y: Measured) -> bool {
    x.value - y.value > Z * x.se.hypot(y.se)
}

/// Whether `x` is below `y` beyond their combined uncertainty.
pub fn below(x: Measured, y: Measured) -> bool {
    above(y, x)
}

/// Judgement of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// The evidence points the claim's way beyond its uncertainty.
    Supported,
    /// The evidence is mixed or within its uncertainty.
    Partly,
    /// The evidence points the other way beyond its uncertainty.
    NotSupported,
}

impl Judgement {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Supported => "supported",
            Judgement::Partly => "partly supported",
            Judgement::NotSupported => "not supported",
        }
    }
}

/// A number a sentence cites: what it is, the figure, and the text the sentence shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cited {
    /// What it is, e.g. `capacity ratio`.
    pub name: &'static str,
    /// The figure.
    pub figure: Measured,
    /// How the sentence writes it.
    pub text: String,
}

/// A rule's outcome: the judgement, its sentence and the numbers the sentence cites.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ruling {
    /// The judgement.
    pub judgement: Judgement,
    /// Why, in one or two sentences built from `cites`.
    pub because: String,
    /// Every number the sentence shows.
    pub cites: Vec<Cited>,
}

/// An uncertainty below this share of its figure (an analytic method's error bound) is
/// written as such, not digit by digit.
const NEGLIGIBLE: f64 = 1e-3;

/// Builds the sentence of a ruling: `{k}` in `template` is replaced by the text of the k-th
/// cited figure, so the sentence cannot show a number the ruling does not carry.
struct Sentence {
    cites: Vec<Cited>,
}

impl Sentence {
    fn new() -> Self {
        Self { cites: Vec::new() }
    }

    /// Cites `figure` as a percentage, with its standard error when it has one.
    fn pct(&mut self, name: &'static str, figure: Measured) -> usize {
        let text = if figure.se.is_infinite() {
            format!(
                "{} (too few tail paths for a standard error)",
                pct(figure.value)
            )
        } else if figure.se > 0.0 && figure.se < NEGLIGIBLE * figure.value.abs() {
            format!("{} (± under 0.1% of it)", pct(figure.value))
        } else if figure.se > 0.0 {
            format!("{} ± {}", pct(figure.value), pct(figure.se))
        } else {
            pct(figure.value)
        };
        self.push(name, figure, text)
    }

    /// Cites `figure` as a number with `digits` decimals, with its standard error.
    fn num(&mut self, name: &'static str, figure: Measured, digits: usize) -> usize {
        let text = if figure.se.is_infinite() {
            "not measurable".to_string()
        } else if figure.se > 0.0 && figure.se < NEGLIGIBLE * figure.value.abs() {
            format!("{} (± under 0.1% of it)", num(figure.value, digits))
        } else if figure.se > 0.0 {
            format!("{} ± {}", num(figure.value, digits), num(figure.se, digits))
        } else {
            num(figure.value, digits)
        };
        self.push(name, figure, text)
    }

    fn push(&mut self, name: &'static str, figure: Measured, text: String) -> usize {
        self.cites.push(Cited { name, figure, text });
        self.cites.len() - 1
    }

    fn finish(self, judgement: Judgement, template: &str) -> Ruling {
        let mut because = template.to_string();
        for (k, c) in self.cites.iter().enumerate() {
            because = because.replace(&format!("{{{k}}}"), &c.text);
        }
        Ruling {
            judgement,
            because,
            cites: self.cites,
        }
    }
}

/// Lending more than this multiple of the holding bank's counts as lending more.
pub const MORE_LENDING: f64 = 1.10;
/// A PD more than this multiple of the holding bank's counts as worse loans.
pub const WORSE_LOANS: f64 = 1.10;

/// Claim 1's evidence: the two banks of the originate-to-distribute model over its horizon
/// (docs/methodology/originate.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim1 {
    /// Money lent by the bank that sells its notes over the money lent by the bank that
    /// holds its loans (mean of the paired path ratios).
    pub lending_ratio: Measured,
    /// The true PD of the securitizer's loans over the holder's (volume weighted).
    pub pd_ratio: Measured,
    /// Years simulated.
    pub years: f64,
    /// The share of every sold tranche the bank keeps.
    pub retention: f64,
}

/// Claim 1: securitization turns loans into cash, so the bank lends more. Supported when
/// the securitizer lends more than [`MORE_LENDING`] times the holder beyond its
/// uncertainty and its loans are not worse by more than [`WORSE_LOANS`]; not supported when
/// it does not lend more at all; partly otherwise (it lends more, but little or on worse
/// loans).
pub fn claim1(e: &Claim1) -> Ruling {
    let one = Measured::exact(1.0);
    let more = above(e.lending_ratio, Measured::exact(MORE_LENDING));
    let worse = above(e.pd_ratio, Measured::exact(WORSE_LOANS));
    let judgement = if !above(e.lending_ratio, one) {
        Judgement::NotSupported
    } else if more && !worse {
        Judgement::Supported
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.num("lending ratio", e.lending_ratio, 2);
    s.num("pd ratio", e.pd_ratio, 2);
    s.num("years", Measured::exact(e.years), 0);
    s.pct("retention", Measured::exact(e.retention));
    let tail = match judgement {
        Judgement::NotSupported => "so selling the loans did not make it lend more",
        Judgement::Supported => "so it lends more on loans about as good",
        Judgement::Partly if worse => {
            "so it lends more, on the worse loans that selling them invites"
        }
        Judgement::Partly => "so it lends more, but only a little",
    };
    s.finish(
        judgement,
        &format!(
            "Over {{2}} years a bank that sells its loans as notes (keeping {{3}} of each) lends \
             {{0}} times what the same bank lends holding them, and its loans' default \
             probability is {{1}} times the holder's, {tail}."
        ),
    )
}

/// A chain reaction is the rule when a second institution fails in at least this share of
/// the balance sheets the sources support (the map of docs/methodology/chain-reaction.md).
pub const CHAIN_SHARE: f64 = 0.5;

/// Claim 2's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim2 {
    /// Share of the unexpected tail (the 99.9% default-rate quantile above the mean) a
    /// hundred-fold bigger pool removes, at the bank book's own PD and correlation.
    pub diversified_share: Measured,
    /// The bank book's asset correlation the share is measured at.
    pub rho: f64,
    /// Points of the map's plausible region (sourced leverage and haircuts, every depth)
    /// where the bank book's 99.9% loss makes a second holder of its notes fail.
    pub second_failures: usize,
    /// Points of the plausible region.
    pub plausible_points: usize,
    /// Total losses over the initial shock in the central run (the 2007 balance sheets).
    pub amplification: f64,
}

/// Claim 2: correlated defaults defeat diversification and start a chain reaction.
pub fn claim2(e: &Claim2) -> Ruling {
    let floor = below(e.diversified_share, Measured::exact(0.25));
    let no_floor = above(e.diversified_share, Measured::exact(0.5));
    let share = if e.plausible_points == 0 {
        0.0
    } else {
        e.second_failures as f64 / e.plausible_points as f64
    };
    let chain = share >= CHAIN_SHARE;
    let none = e.second_failures == 0;
    let judgement = match (floor, no_floor, chain, none) {
        (true, _, true, _) => Judgement::Supported,
        (_, true, _, true) => Judgement::NotSupported,
        _ => Judgement::Partly,
    };
    let mut s = Sentence::new();
    let removes = if e.diversified_share.value >= 0.0 {
        "removes"
    } else {
        "removes none, it adds to it:"
    };
    s.pct(
        "diversified share",
        Measured::new(e.diversified_share.value.abs(), e.diversified_share.se),
    );
    s.num("asset correlation", Measured::exact(e.rho), 2);
    s.pct(
        "share of the plausible region with a second failure",
        Measured::exact(share),
    );
    s.num("amplification", Measured::exact(e.amplification), 1);
    let a = if floor {
        "correlation leaves a floor no pool size removes"
    } else if no_floor {
        "diversification works"
    } else {
        "diversification works only in part"
    };
    let b = if chain {
        "a second holder of its notes fails in {2} of the balance sheets the sources support \
         (fire sales, repo haircuts and default costs): a chain reaction"
    } else if none {
        "no second holder of its notes fails anywhere in the balance sheets the sources \
         support ({2} of them): the losses stop at the first holders"
    } else {
        "a second holder of its notes fails in only {2} of the balance sheets the sources \
         support: a chain reaction needs the thinner markets or higher leverage of that region"
    };
    s.finish(
        judgement,
        &format!(
            "Pooling a hundred times more loans (1,000 to 100,000) {removes} {{0}} of the \
             unexpected tail (the 99.9% default-rate quantile above the mean) at the bank \
             book's correlation of {{1}}: {a}. After the bank book's 99.9% loss, {b}; on the \
             dealers' sourced balance sheets the losses reach {{3}} times the shock."
        ),
    )
}

/// A fall of the AUC below this is immaterial (claims 3 and 4).
pub const MATERIAL_AUC: f64 = 0.02;
/// A fall of the AUC of at least this is large (claim 3).
pub const LARGE_AUC: f64 = 0.05;

/// Claim 3's evidence: the synthetic bank book and real borrowers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim3 {
    /// The bank grade's AUC with every revealed fact.
    pub auc_full: Measured,
    /// Its AUC with the borrower's facts withheld.
    pub auc_withheld: Measured,
    /// Real borrowers (German Credit): out-of-sample AUC of the card with all four factor
    /// groups.
    pub real_full: Measured,
    /// Of the card with only what an anonymous lender sees (loan terms and collateral).
    pub real_anonymous: Measured,
    /// `real_full - real_anonymous` with its DeLong standard error (same rows, same folds).
    pub real_fall: Measured,
    /// The fall when only the credit-history group is withheld (DeLong).
    pub real_history_fall: Measured,
}

/// One fall of the AUC judged: large and material, immaterial, or between.
fn auc_fall(d: Measured) -> Judgement {
    let material = Measured::exact(MATERIAL_AUC);
    if d.value >= LARGE_AUC && above(d, material) {
        Judgement::Supported
    } else if below(d, material) {
        Judgement::NotSupported
    } else {
        Judgement::Partly
    }
}

/// Claim 3: grades rest on information. Each fall of the AUC when the borrower's facts are
/// withheld (the synthetic bank grade's, and the real borrowers' card against the anonymous
/// lender's) is judged alike: supported when at least [`LARGE_AUC`] and above
/// [`MATERIAL_AUC`] beyond its uncertainty, not supported when below [`MATERIAL_AUC`]. The
/// claim is supported or not supported when both agree, partly otherwise.
pub fn claim3(e: &Claim3) -> Ruling {
    let d = e.auc_full.minus(e.auc_withheld);
    let (synthetic, real) = (auc_fall(d), auc_fall(e.real_fall));
    let judgement = if synthetic == real {
        synthetic
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.num("AUC, full information", e.auc_full, 3);
    s.num("AUC, borrower facts withheld", e.auc_withheld, 3);
    s.num("fall of the AUC", d, 3);
    s.num("real AUC, all four groups", e.real_full, 3);
    s.num("real AUC, anonymous lender", e.real_anonymous, 3);
    s.num("real fall of the AUC", e.real_fall, 3);
    s.num("real fall without credit history", e.real_history_fall, 3);
    let agree = if synthetic == real {
        "the real borrowers say the same"
    } else {
        "the real borrowers do not say the same"
    };
    s.finish(
        judgement,
        &format!(
            "Withholding the borrower's facts takes the bank grade's power (AUC) from {{0}} \
             to {{1}}, a fall of {{2}}; on real borrowers (German Credit, out of sample) the \
             card with all four factor groups has an AUC of {{3}} against {{4}} for what an \
             anonymous lender sees, a fall of {{5}}, and withholding the credit history alone \
             costs {{6}}: {agree}."
        ),
    )
}

/// Claim 4's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim4 {
    /// The DeFi book's mean PD graded on its own outcomes.
    pub defi_pd: Measured,
    /// The bank book's mean PD.
    pub bank_pd: Measured,
    /// DeFi's one-year expected loss per unit lent.
    pub defi_el: Measured,
    /// The bank's.
    pub bank_el: Measured,
    /// Real borrowers: the fall of the AUC from the card with the borrower's background to
    /// the anonymous lender's (DeLong, same folds).
    pub real_fall: Measured,
    /// The anonymous lender's PD spread (riskiest decile's mean PD over the safest's).
    pub anonymous_spread: f64,
    /// The full card's.
    pub full_spread: f64,
}

/// Claim 4: DeFi's grade is low by construction. Supported when the DeFi PD is at least
/// twice the bank's (above 1.5 beyond its uncertainty), its expected loss is higher too, and
/// on real borrowers a lender without the background grades materially worse (the fall of
/// the AUC above [`MATERIAL_AUC`]). Not supported when DeFi's PD is below the bank's or a
/// lender without the background grades as well (the fall below [`MATERIAL_AUC`]). Partly
/// otherwise.
pub fn claim4(e: &Claim4) -> Ruling {
    let g = e.defi_pd.ratio(e.bank_pd);
    let el_higher = above(e.defi_el, e.bank_el);
    let material = Measured::exact(MATERIAL_AUC);
    let gap = above(e.real_fall, material);
    let judgement = if g.value >= 2.0 && above(g, Measured::exact(1.5)) && el_higher && gap {
        Judgement::Supported
    } else if below(g, Measured::exact(1.0)) || below(e.real_fall, material) {
        Judgement::NotSupported
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.pct("DeFi PD", e.defi_pd);
    s.pct("bank PD", e.bank_pd);
    s.num("PD ratio", g, 1);
    s.pct("DeFi EL", e.defi_el);
    s.pct("bank EL", e.bank_el);
    s.num("real fall of the AUC", e.real_fall, 3);
    s.num(
        "anonymous PD spread",
        Measured::exact(e.anonymous_spread),
        0,
    );
    s.num("full PD spread", Measured::exact(e.full_spread), 0);
    let el = if el_higher {
        "and its expected loss is higher too"
    } else if below(e.defi_el, e.bank_el) {
        "but over-collateral makes up for it: its expected loss is lower"
    } else {
        "and its expected loss is within the uncertainty of the bank's"
    };
    let real = if gap {
        "a lender without the borrower's background grades real borrowers worse"
    } else {
        "a lender without the borrower's background grades real borrowers about as well"
    };
    s.finish(
        judgement,
        &format!(
            "Graded on its own outcomes, the DeFi book's mean PD is {{0}} against the bank's \
             {{1}} ({{2}} times), {el} ({{3}} against {{4}} per unit lent); {real} (the AUC \
             falls by {{5}}, and the riskiest tenth's PD is {{6}} times the safest's against \
             {{7}} times with the background)."
        ),
    )
}

/// Claim 5's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim5 {
    /// Probability over the year that some depositor asks to withdraw and is not paid in
    /// full.
    pub p_stall: Measured,
    /// Mean share of the requests left unpaid on those paths.
    pub unmet_share: Measured,
}

/// A yearly probability of a stall below which runs are rare: less than once in two
/// centuries (a judgement, not a sourced rate; [docs/methodology/verdict.md](crate::methodology::verdict)). It was 0.1%
/// until the results showed that zero stalls in the study's 2,000 to 5,000 paths cannot be
/// told from 0.1% (the rule could not come out "not supported"): 0.5% can be.
pub const RARE_STALL: f64 = 0.005;

/// Claim 5: open pools invite runs.
pub fn claim5(e: &Claim5) -> Ruling {
    let frequent = above(e.p_stall, Measured::exact(0.01));
    let material = above(e.unmet_share, Measured::exact(0.05));
    let judgement = if frequent && material {
        Judgement::Supported
    } else if below(e.p_stall, Measured::exact(RARE_STALL)) {
        Judgement::NotSupported
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.pct("P(withdrawals stall)", e.p_stall);
    s.pct("unmet share", e.unmet_share);
    s.finish(
        judgement,
        "Over the simulated year depositors ask to withdraw and are not paid in full with \
         probability {0}; on those paths {1} of what they ask stays unpaid, first come, \
         first served against the pool's cash.",
    )
}

/// Claim 6's evidence: the five mechanisms of subprime MBS and whether DeFi shares each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim6 {
    /// Share of the DeFi book's borrowers that revealed a credit history.
    pub defi_history_known: Measured,
    /// DeFi's ES 99.9% over its EL.
    pub defi_tail_ratio: Measured,
    /// The bank's ES 99.9% over its EL.
    pub bank_tail_ratio: Measured,
    /// Share of the DeFi book graded BB or worse.
    pub defi_low_grade_share: Measured,
    /// DeFi's senior loss probability.
    pub defi_senior_loss: Measured,
    /// The bank's.
    pub bank_senior_loss: Measured,
    /// Whether DeFi's claims are tranched into a rated senior claim.
    pub defi_tranched: bool,
}

/// Claim 6: DeFi resembles subprime MBS.
pub fn claim6(e: &Claim6) -> Ruling {
    let shared = [
        below(e.defi_history_known, Measured::exact(0.5)),
        above(e.defi_tail_ratio, e.bank_tail_ratio),
        above(e.defi_low_grade_share, Measured::exact(0.5)),
        above(e.defi_senior_loss, e.bank_senior_loss),
        e.defi_tranched,
    ];
    let count = shared.iter().filter(|&&x| x).count();
    let judgement = match count {
        4 | 5 => Judgement::Supported,
        0 | 1 => Judgement::NotSupported,
        _ => Judgement::Partly,
    };
    let mut s = Sentence::new();
    s.num("mechanisms shared", Measured::exact(count as f64), 0);
    s.pct("credit history known", e.defi_history_known);
    s.num("DeFi ES / EL", e.defi_tail_ratio, 1);
    s.num("bank ES / EL", e.bank_tail_ratio, 1);
    s.pct("DeFi low-grade share", e.defi_low_grade_share);
    s.pct("DeFi senior loss probability", e.defi_senior_loss);
    s.pct("bank senior loss probability", e.bank_senior_loss);
    let yes = |b: bool| if b { "shared" } else { "not shared" };
    let tranche = if e.defi_tranched {
        "its depositors' claims are tranched (shared)"
    } else {
        "its depositors hold one pari passu claim, nothing is tranched or rated (not shared)"
    };
    s.finish(
        judgement,
        &format!(
            "DeFi shares {{0}} of five mechanisms of subprime MBS: missing borrower \
             information ({{1}} of borrowers revealed a credit history: {}), a tail that \
             correlation fattens (ES 99.9% over EL {{2}} against the bank's {{3}}: {}), \
             low-grade loans ({{4}} graded BB or worse: {}), losses that reach the most \
             senior lender ({{5}} against {{6}}: {}); and {tranche}.",
            yes(shared[0]),
            yes(shared[1]),
            yes(shared[2]),
            yes(shared[3]),
        ),
    )
}

/// Claim 7's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim7 {
    /// The bank's time from the first default to the first loss, hours.
    pub bank_hours: Measured,
    /// DeFi's median time from the first price shock to the first loss, hours.
    pub defi_hours: Measured,
    /// DeFi's one-year EL per unit lent.
    pub defi_el: Measured,
    /// The bank's.
    pub bank_el: Measured,
}

/// Claim 7: DeFi speeds up cash flows but does nothing to prevent defaults.
pub fn claim7(e: &Claim7) -> Ruling {
    let speed = e.bank_hours.ratio(e.defi_hours);
    let prevents = below(e.defi_el, e.bank_el);
    let judgement = if speed.value >= 10.0 && above(e.defi_el, e.bank_el) {
        Judgement::Supported
    } else if prevents || below(speed, Measured::exact(1.0)) {
        Judgement::NotSupported
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.num("DeFi hours to loss", e.defi_hours, 0);
    s.num("bank hours to loss", e.bank_hours, 0);
    s.num("speed ratio", speed, 0);
    s.pct("DeFi EL", e.defi_el);
    s.pct("bank EL", e.bank_el);
    let prevention = if prevents {
        "lower than the bank's: liquidations prevent losses the bank takes"
    } else if above(e.defi_el, e.bank_el) {
        "higher than the bank's: speed settles losses, it does not avoid them"
    } else {
        "within the uncertainty of the bank's"
    };
    s.finish(
        judgement,
        &format!(
            "A DeFi loss arrives {{0}} hours after the first price shock against {{1}} for \
             the bank ({{2}} times faster); DeFi's one-year expected loss is {{3}} against \
             {{4}}, {prevention}."
        ),
    )
}

/// Claim 8's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Claim8 {
    /// DeFi's ES 99.9% per unit lent.
    pub defi_es: Measured,
    /// The bank's, net of recourse recoveries.
    pub bank_es: Measured,
    /// Share of DeFi loans with recourse.
    pub defi_recourse_share: f64,
    /// Share of bank loans with recourse.
    pub bank_recourse_share: f64,
}

/// Claim 8: DeFi has no mechanism to force repayment.
pub fn claim8(e: &Claim8) -> Ruling {
    let judgement = if above(e.defi_es, e.bank_es) {
        Judgement::Supported
    } else if below(e.defi_es, e.bank_es) {
        Judgement::NotSupported
    } else {
        Judgement::Partly
    };
    let mut s = Sentence::new();
    s.pct(
        "DeFi recourse share",
        Measured::exact(e.defi_recourse_share),
    );
    s.pct(
        "bank recourse share",
        Measured::exact(e.bank_recourse_share),
    );
    s.pct("DeFi ES 99.9%", e.defi_es);
    s.pct("bank ES 99.9%", e.bank_es);
    let verdict = match judgement {
        Judgement::Supported => "over-collateral and liquidation do not make up for it",
        Judgement::NotSupported => "over-collateral and liquidation do recourse's work",
        Judgement::Partly => "the tails are within each other's uncertainty",
    };
    s.finish(
        judgement,
        &format!(
            "True of the contract: {{0}} of DeFi loans have recourse against {{1}} of the \
             bank's. In the tail, DeFi's one-year ES 99.9% is {{2}} per unit lent against \
             the bank's {{3}} net of recourse: {verdict}."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: f64, se: f64) -> Measured {
        Measured::new(v, se)
    }

    /// Every cited number appears in the sentence as the ruling formats it, and no `{k}`
    /// placeholder is left.
    fn consistent(r: &Ruling) {
        for c in &r.cites {
            assert!(
                r.because.contains(&c.text),
                "{:?} not in {}",
                c.text,
                r.because
            );
        }
        assert!(!r.because.contains('{'), "{}", r.because);
        // Each cited text shows its own figure: its leading number is the figure's value
        // (a percentage or a plain number) to the precision it prints.
        for c in &r.cites {
            if c.text == "not measurable" {
                continue;
            }
            let lead: String = c
                .text
                .chars()
                .take_while(|ch| ch.is_ascii_digit() || matches!(ch, '.' | '-' | ','))
                .filter(|&ch| ch != ',')
                .collect();
            let shown: f64 = lead.parse().unwrap_or_else(|_| panic!("{:?}", c.text));
            let decimals = lead.split('.').nth(1).map_or(0, str::len) as i32;
            let value = if c.text[lead.len()..].starts_with('%') || c.text.contains("%") {
                100.0 * c.figure.value.abs()
            } else {
                c.figure.value.abs()
            };
            assert!(
                (shown - value).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-12,
                "{:?} does not show {} ({})",
                c.text,
                c.figure.value,
                c.name
            );
        }
        // Every other number in the sentence is part of its fixed wording.
        let mut rest = r.because.clone();
        for fixed in ["99.9%", "1,000 to 100,000", " 5% "] {
            rest = rest.replace(fixed, " ");
        }
        for c in &r.cites {
            rest = rest.replacen(&c.text, "", 1);
        }
        assert!(
            !rest.chars().any(|ch| ch.is_ascii_digit()),
            "a number not from the cited figures: {rest}"
        );
    }

    fn outcomes(rulings: [Ruling; 3]) {
        let want = [
            Judgement::Supported,
            Judgement::Partly,
            Judgement::NotSupported,
        ];
        for (r, w) in rulings.iter().zip(want) {
            consistent(r);
            assert_eq!(r.judgement, w, "{}", r.because);
        }
    }

    #[test]
    fn the_uncertainty_decides_above_and_below() {
        assert!(above(m(1.0, 0.1), m(0.5, 0.1)));
        assert!(!above(m(1.0, 0.3), m(0.5, 0.1)));
        assert!(below(m(0.5, 0.1), m(1.0, 0.1)));
        let r = m(2.0, 0.2).ratio(m(1.0, 0.1));
        assert!((r.value - 2.0).abs() < 1e-12 && (r.se - 2.0 * 0.02f64.sqrt()).abs() < 1e-12);
        assert_eq!(Measured::bounded(1.0, 0.2).se, 0.1);
        let none = Measured::proportion(0, 1000);
        assert_eq!(none.value, 0.0);
        assert!(none.se > 0.001 && none.se < 0.002, "{none:?}");
    }

    #[test]
    fn claim_1_can_come_out_every_way() {
        let c = |lending, pd| {
            claim1(&Claim1 {
                lending_ratio: m(lending, 0.01),
                pd_ratio: m(pd, 0.01),
                years: 6.0,
                retention: 0.05,
            })
        };
        outcomes([c(1.5, 1.02), c(1.5, 1.3), c(1.0, 1.0)]);
        assert_eq!(c(1.05, 1.0).judgement, Judgement::Partly);
        // Within its uncertainty of 1: not lending more.
        assert_eq!(c(1.015, 1.0).judgement, Judgement::NotSupported);
    }

    #[test]
    fn claim_2_can_come_out_every_way() {
        let c = |d, k| {
            claim2(&Claim2 {
                diversified_share: m(d, 0.01),
                rho: 0.15,
                second_failures: k,
                plausible_points: 100,
                amplification: 2.5,
            })
        };
        outcomes([c(0.1, 60), c(0.1, 10), c(0.8, 0)]);
        // Diversification works but a chain reaction is the rule: partly.
        assert_eq!(c(0.8, 60).judgement, Judgement::Partly);
        // A floor but no chain anywhere: partly.
        assert_eq!(c(0.1, 0).judgement, Judgement::Partly);
        assert_eq!(c(0.1, 50).judgement, Judgement::Supported);
    }

    #[test]
    fn claim_3_can_come_out_every_way() {
        let c = |full, withheld, real_fall| {
            claim3(&Claim3 {
                auc_full: m(full, 0.005),
                auc_withheld: m(withheld, 0.005),
                real_full: m(0.78, 0.016),
                real_anonymous: m(0.78 - real_fall, 0.019),
                real_fall: m(real_fall, 0.005),
                real_history_fall: m(0.017, 0.006),
            })
        };
        outcomes([c(0.72, 0.58, 0.14), c(0.72, 0.68, 0.14), c(0.72, 0.72, 0.0)]);
        // The synthetic and the real falls disagree: partly.
        assert_eq!(c(0.72, 0.58, 0.0).judgement, Judgement::Partly);
        assert_eq!(c(0.72, 0.72, 0.14).judgement, Judgement::Partly);
    }

    #[test]
    fn claim_4_can_come_out_every_way() {
        let c = |defi_pd, defi_el, real_fall| {
            claim4(&Claim4 {
                defi_pd: m(defi_pd, 0.001),
                bank_pd: m(0.01, 0.0005),
                defi_el: m(defi_el, 0.0002),
                bank_el: m(0.002, 0.0002),
                real_fall: m(real_fall, 0.005),
                anonymous_spread: 8.0,
                full_spread: 79.0,
            })
        };
        outcomes([
            c(0.05, 0.01, 0.14),
            c(0.05, 0.0005, 0.14),
            c(0.005, 0.0005, 0.14),
        ]);
        // A lender without the background who grades as well: not supported.
        assert_eq!(c(0.05, 0.01, 0.0).judgement, Judgement::NotSupported);
    }

    #[test]
    fn claim_5_can_come_out_every_way() {
        let c = |p, unmet| {
            claim5(&Claim5 {
                p_stall: m(p, 0.0002),
                unmet_share: m(unmet, 0.01),
            })
        };
        outcomes([c(0.2, 0.3), c(0.2, 0.01), c(0.0, 0.0)]);
        // No stall in the 2,000 paths of a flip point is told from a rare run.
        let none = claim5(&Claim5 {
            p_stall: Measured::proportion(0, 2_000),
            unmet_share: Measured::exact(0.0),
        });
        assert_eq!(none.judgement, Judgement::NotSupported);
    }

    #[test]
    fn claim_6_can_come_out_every_way() {
        let e = |k: usize| Claim6 {
            defi_history_known: m(if k > 0 { 0.0 } else { 0.9 }, 0.0),
            defi_tail_ratio: m(if k > 1 { 20.0 } else { 2.0 }, 0.5),
            bank_tail_ratio: m(5.0, 0.5),
            defi_low_grade_share: m(if k > 2 { 0.9 } else { 0.1 }, 0.01),
            defi_senior_loss: m(if k > 3 { 0.3 } else { 0.0 }, 0.01),
            bank_senior_loss: m(0.01, 0.001),
            defi_tranched: false,
        };
        outcomes([claim6(&e(4)), claim6(&e(2)), claim6(&e(1))]);
        assert_eq!(claim6(&e(0)).judgement, Judgement::NotSupported);
    }

    #[test]
    fn claim_7_can_come_out_every_way() {
        let c = |defi_hours, defi_el| {
            claim7(&Claim7 {
                bank_hours: m(8760.0, 0.0),
                defi_hours: m(defi_hours, 1.0),
                defi_el: m(defi_el, 0.0001),
                bank_el: m(0.002, 0.0001),
            })
        };
        outcomes([c(12.0, 0.01), c(12.0, 0.002), c(12.0, 0.0001)]);
        assert_eq!(c(20_000.0, 0.01).judgement, Judgement::NotSupported);
    }

    #[test]
    fn claim_8_can_come_out_every_way() {
        let c = |defi_es| {
            claim8(&Claim8 {
                defi_es: m(defi_es, 0.002),
                bank_es: m(0.02, 0.001),
                defi_recourse_share: 0.0,
                bank_recourse_share: 1.0,
            })
        };
        outcomes([c(0.1), c(0.021), c(0.001)]);
    }
}

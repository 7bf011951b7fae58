//! `cargo xtask cashflows`: project a pool or a tape month by month.
//!
//! Conventions: BMA/SIFMA standard formulas (`docs/methodology/cashflows.md`). JSON output:
//! `docs/schemas/cashflows-json.md`.

use crate::cli::out;
use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_loan::cashflow::add_loan;
use creditlab_loan::tape::open_tape;
use creditlab_loan::{
    Assumptions, CashFlowReport, CashFlowSource, CashFlows, DefaultRate, Error, Pool, Prepayment,
    project_pool,
};
use std::path::PathBuf;

/// Flags of `cargo xtask cashflows`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("prepayment").args(["smm", "cpr", "psa"])))]
#[command(group(clap::ArgGroup::new("default").args(["mdr", "cdr", "sda"])))]
pub struct Args {
    /// Pool balance (representative level-payment loan).
    #[arg(long, default_value_t = 100_000_000.0, allow_negative_numbers = true)]
    balance: f64,
    /// Pool annual coupon, as a decimal (0.08 = 8%).
    #[arg(long, default_value_t = 0.08, allow_negative_numbers = true)]
    coupon: f64,
    /// Pool term in months.
    #[arg(long, default_value_t = 360)]
    term: u32,
    /// Constant single monthly mortality (decimal). Default: no prepayment.
    #[arg(long, allow_negative_numbers = true)]
    smm: Option<f64>,
    /// Constant conditional prepayment rate (annual, decimal).
    #[arg(long, allow_negative_numbers = true)]
    cpr: Option<f64>,
    /// PSA prepayment speed in percent (100 = 100% PSA).
    #[arg(long, allow_negative_numbers = true)]
    psa: Option<f64>,
    /// Constant monthly default rate (decimal). Default: no default.
    #[arg(long, allow_negative_numbers = true)]
    mdr: Option<f64>,
    /// Constant annual default rate (decimal).
    #[arg(long, allow_negative_numbers = true)]
    cdr: Option<f64>,
    /// SDA default speed in percent (100 = 100% SDA).
    #[arg(long, allow_negative_numbers = true)]
    sda: Option<f64>,
    /// Months from default to liquidation. No default is projected in a loan's last
    /// `lag` months (BMA), so use 0 for short loans such as 12-month DeFi positions.
    #[arg(long, default_value_t = 12)]
    recovery_lag: u32,
    /// Loss severity: loss as a fraction of the balance at default.
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true)]
    severity: f64,
    /// The servicer advances principal and interest on defaulted loans until liquidation.
    #[arg(long)]
    advancing: bool,
    /// Project a loan tape instead of a pool: .csv, or .jsonl/.ndjson/.json (JSON Lines).
    /// Every loan is projected with the same assumptions and the flows are summed.
    #[arg(long, conflicts_with_all = ["balance", "coupon", "term"])]
    tape: Option<PathBuf>,
    /// Print (or write in JSON) only the first N months; totals cover every month.
    #[arg(long)]
    months: Option<usize>,
    /// Print a JSON object (docs/schemas/cashflows-json.md) instead of a table.
    #[arg(long)]
    json: bool,
}

/// Maps a library validation error to a message naming the command-line flag.
fn flag_error(e: Error) -> TaskError {
    match e {
        Error::Invalid { field, reason } => {
            let flag = match field {
                "recovery_lag" => "recovery-lag",
                "term_months" => "term",
                other => other,
            };
            TaskError::msg(format!("invalid --{flag}: {reason}"))
        }
        other => TaskError::from(other),
    }
}

fn assumptions(args: &Args) -> Result<Assumptions, TaskError> {
    let prepayment = match (args.smm, args.cpr, args.psa) {
        (_, Some(c), _) => Prepayment::Cpr(c),
        (_, _, Some(p)) => Prepayment::Psa(p),
        (s, _, _) => Prepayment::Smm(s.unwrap_or(0.0)),
    };
    let default = match (args.mdr, args.cdr, args.sda) {
        (_, Some(c), _) => DefaultRate::Cdr(c),
        (_, _, Some(s)) => DefaultRate::Sda(s),
        (m, _, _) => DefaultRate::Mdr(m.unwrap_or(0.0)),
    };
    Assumptions::new(
        prepayment,
        default,
        args.recovery_lag,
        args.severity,
        args.advancing,
    )
    .map_err(flag_error)
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let a = assumptions(&args)?;
    let (cf, source) = match &args.tape {
        Some(path) => {
            // About 100 bytes a loan of a tape; each projected over its months (about 7 us
            // for 360), its id kept to refuse duplicates (about 64 bytes).
            crate::guard::check_file("cashflows", path, 100.0, 7e-6, 64.0)?;
            let reader = open_tape(path)?;
            let mut cf = CashFlows::new();
            let mut loans = 0u64;
            for record in reader {
                // The reader names the file, line and column (and refuses duplicate ids).
                let record = record?;
                add_loan(&mut cf, &record.loan, &a);
                loans += 1;
            }
            if loans == 0 {
                return Err(TaskError::msg(format!(
                    "{}: the tape holds no loan",
                    path.display()
                )));
            }
            let source = CashFlowSource::Tape {
                path: path.display().to_string(),
                loans,
            };
            (cf, source)
        }
        None => {
            let pool = Pool::new(args.balance, args.coupon, args.term).map_err(flag_error)?;
            (project_pool(&pool, &a), CashFlowSource::pool(&pool))
        }
    };
    let report = CashFlowReport::new(source, &a, &cf, args.months);
    if args.json {
        print_json(&report)
    } else {
        out!("{}", table(&report.cash_flows, report.shown));
        Ok(())
    }
}

fn table(cf: &CashFlows, shown: usize) -> Table {
    let mut t = Table::new([
        "month",
        "balance",
        "sched principal",
        "prepay",
        "default",
        "recovery",
        "loss",
        "interest",
    ]);
    let money = |x: f64| format!("{x:.2}");
    for i in 0..shown {
        t.row([
            (i + 1).to_string(),
            money(cf.balance()[i]),
            money(cf.scheduled_principal()[i]),
            money(cf.prepayments()[i]),
            money(cf.defaults()[i]),
            money(cf.recoveries()[i]),
            money(cf.losses()[i]),
            money(cf.interest()[i]),
        ]);
    }
    let s = cf.totals();
    t.row([
        "total".to_string(),
        String::new(),
        money(s.scheduled_principal),
        money(s.prepayments),
        money(s.defaults),
        money(s.recoveries),
        money(s.losses),
        money(s.interest),
    ]);
    t
}

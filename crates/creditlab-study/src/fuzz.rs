//! Every parser of user input as a function of bytes, for the fuzzing campaigns (`fuzz/`,
//! `cargo xtask fuzz`) and the tests that replay their corpus (fuzz/corpus/TARGET/).
//!
//! A target reads the bytes as the command line reads a file (text files must be UTF-8, as
//! `read_to_string` requires), parses and validates them as the task does before any work,
//! and formats every error. Errors are the expected outcome for most inputs; a target's only
//! failure is a panic (or a hang), which AFL++ records as a crash. Nothing here runs a model
//! beyond what validation needs, so a target takes microseconds to milliseconds.
//!
//! ```
//! let target = creditlab_study::fuzz::target("portfolio_csv").expect("a target");
//! (target.run)(b"ead,pd,lgd\n1,0.01,0.4\n");
//! (target.run)(b"ead,pd\n1,nan\n"); // an error, not a panic
//! ```

use crate::originate::OriginateSpec;
use crate::scenario::{DEFAULT_SCENARIO, Scenario};
use crate::sweep::{Sweep, parse_param};
use creditlab_contagion::clearing::{ClearingNetwork, NetworkSpec};
use creditlab_contagion::io::{correlation_matrix_from_reader, portfolio_from_reader};
use creditlab_grade::woe_card::{Mapping, Tape};
use creditlab_loan::tape::{TapeFormat, TapeReader};
use creditlab_pool::deal::DealSpec;
use creditlab_pool::el_scale::ExpectedLossScale;

/// One parser under fuzzing.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its name: the folder of its corpus, `cargo xtask fuzz --target NAME`.
    pub name: &'static str,
    /// What it reads, in a few words.
    pub input: &'static str,
    /// Parses `bytes`; must not panic whatever they are.
    pub run: fn(&[u8]),
}

/// Every target, in the order a full campaign runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "tape_csv",
        input: "loan tape, CSV (docs/schemas/loan-tape.md)",
        run: tape_csv,
    },
    Target {
        name: "tape_jsonl",
        input: "loan tape, JSON Lines",
        run: tape_jsonl,
    },
    Target {
        name: "tape_parquet",
        input: "loan tape, Parquet",
        run: tape_parquet,
    },
    Target {
        name: "tape_arrow_ipc",
        input: "loan tape, Arrow IPC file (Feather v2)",
        run: tape_arrow_ipc,
    },
    Target {
        name: "portfolio_csv",
        input: "loss --portfolio CSV",
        run: portfolio_csv,
    },
    Target {
        name: "deal_toml",
        input: "deal TOML (docs/schemas/deal-toml.md)",
        run: deal_toml,
    },
    Target {
        name: "defi_toml",
        input: "DeFi simulation TOML",
        run: defi_toml,
    },
    Target {
        name: "scenario_toml",
        input: "study scenario TOML",
        run: scenario_toml,
    },
    Target {
        name: "clearing_json",
        input: "clearing network JSON (docs/schemas/clearing-json.md)",
        run: clearing_json,
    },
    Target {
        name: "sweep_grid",
        input: "sweep --param grids, one a line, on the default scenario",
        run: sweep_grid,
    },
    Target {
        name: "originate_toml",
        input: "originate TOML",
        run: originate_toml,
    },
    Target {
        name: "scorecard_mapping",
        input: "scorecard mapping TOML (docs/schemas/scorecard-mapping.md)",
        run: scorecard_mapping,
    },
    Target {
        name: "scorecard_csv",
        input: "scorecard tape CSV under the German Credit mapping",
        run: scorecard_csv,
    },
    Target {
        name: "el_table",
        input: "expected-loss rating table, TOML or CSV (first byte chooses)",
        run: el_table,
    },
    Target {
        name: "correlation_csv",
        input: "sector correlation matrix CSV",
        run: correlation_csv,
    },
];

/// The target named `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Formats an error fully, as the command line would print it.
fn shown<T, E: std::fmt::Display>(r: Result<T, E>) -> Option<T> {
    r.map_err(|e| std::hint::black_box(e.to_string())).ok()
}

/// The bytes as text, as a file read with `read_to_string`; `None` when not UTF-8.
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

fn tape(bytes: &[u8], format: TapeFormat) {
    let Some(reader) = shown(TapeReader::new(bytes, format)) else {
        return;
    };
    for record in reader {
        if shown(record).is_none() {
            break;
        }
    }
}

fn tape_csv(bytes: &[u8]) {
    tape(bytes, TapeFormat::Csv);
}

fn tape_jsonl(bytes: &[u8]) {
    tape(bytes, TapeFormat::JsonLines);
}

fn tape_parquet(bytes: &[u8]) {
    tape(bytes, TapeFormat::Parquet);
}

fn tape_arrow_ipc(bytes: &[u8]) {
    tape(bytes, TapeFormat::ArrowIpc);
}

fn portfolio_csv(bytes: &[u8]) {
    if let Some(p) = shown(portfolio_from_reader(bytes, "fuzz.csv")) {
        std::hint::black_box(p.total_ead());
    }
}

fn correlation_csv(bytes: &[u8]) {
    shown(correlation_matrix_from_reader(bytes, "fuzz.csv"));
}

fn deal_toml(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Some(spec) = shown(crate::config::parse_toml::<DealSpec>(text, "fuzz.toml")) else {
        return;
    };
    if let Err(e) = spec.validate() {
        // The task locates the error's field in the file.
        if let Some(field) = e.field() {
            std::hint::black_box(crate::config::line_of(text, field));
        }
        shown::<(), _>(Err(e));
        return;
    }
    shown(spec.waterfall_spec());
}

fn defi_toml(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let config = crate::config::parse_toml::<creditlab_defi::config::DefiSimConfig>;
    let Some(config) = shown(config(text, "fuzz.toml")) else {
        return;
    };
    if let Err(e) = config.validate()
        && let Some(field) = e.field()
    {
        let located = crate::config::config_error(text, "fuzz.toml", field, e.reason());
        shown::<(), _>(Err(located));
    }
}

fn scenario_toml(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    if let Some(mut s) = shown(Scenario::parse(text, "fuzz.toml")) {
        std::hint::black_box(s.estimated_cost());
        s.quicken();
        shown(s.check());
    }
}

fn clearing_json(bytes: &[u8]) {
    let Some(spec) = shown(serde_json::from_slice::<NetworkSpec>(bytes)) else {
        return;
    };
    if let Some(network) = shown(ClearingNetwork::try_from(spec)) {
        shown(network.report());
    }
}

fn sweep_grid(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let Some(params) = shown(text.lines().map(parse_param).collect::<Result<Vec<_>, _>>()) else {
        return;
    };
    shown(Sweep::new(DEFAULT_SCENARIO, "default.toml", params, true));
}

fn originate_toml(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    shown(OriginateSpec::parse(text, "fuzz.toml"));
}

fn scorecard_mapping(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    if let Some(m) = shown(Mapping::from_toml(text, "fuzz.toml")) {
        std::hint::black_box(m.factor_sets());
    }
}

fn scorecard_csv(bytes: &[u8]) {
    use std::sync::OnceLock;
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    let mapping = MAPPING.get_or_init(|| {
        Mapping::from_toml(
            crate::real_borrowers::GERMAN_CREDIT_MAPPING,
            "scenarios/german-credit.toml",
        )
        .expect("the built-in mapping parses (tested)")
    });
    shown(Tape::from_csv(bytes, "fuzz.csv", mapping));
}

fn el_table(bytes: &[u8]) {
    let Some((&first, rest)) = bytes.split_first() else {
        return;
    };
    let Some(text) = text(rest) else { return };
    if first % 2 == 0 {
        shown(ExpectedLossScale::from_toml(text, "fuzz.toml"));
    } else {
        shown(ExpectedLossScale::from_csv(text, "fuzz.csv"));
    }
}

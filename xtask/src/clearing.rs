//! `cargo xtask clearing`: Eisenberg-Noe clearing of a financial network read from a JSON
//! file (schema: docs/schemas/clearing-json.md). The file's shape (`NetworkSpec`), the
//! clearing and its report (`ClearingReport`) are `creditlab-contagion`'s; this module reads
//! the file and prints.

use crate::cli::{Table, TaskError, TaskResult, print_json};
use crate::cli::{out, outln};
use creditlab_contagion::clearing::{ClearingNetwork, NetworkSpec};
use serde_json::error::Category;
use std::path::PathBuf;

/// Flags of `cargo xtask clearing`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON file with `liabilities` (n x n, row owes column), `external_assets` and
    /// `external_liabilities` (length n).
    #[arg(long)]
    network: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Reads and validates a network file (parsed by contagion's `NetworkSpec`).
fn read_network(path: &PathBuf) -> Result<ClearingNetwork, TaskError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| TaskError::msg(format!("--network {shown}: cannot read: {e}")))?;
    let spec: NetworkSpec = serde_json::from_str(&text).map_err(|e| match e.classify() {
        Category::Data => TaskError::msg(format!("{shown}: {e}")),
        _ => TaskError::msg(format!("{shown}: not valid JSON: {e}")),
    })?;
    ClearingNetwork::try_from(spec).map_err(|e| TaskError::msg(format!("{shown}: {e}")))
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    // About 20 bytes of JSON a liability, held as three numbers, a microsecond each over
    // the clearing's iterations.
    crate::guard::check_file("clearing", &args.network, 20.0, 1e-6, 24.0)?;
    let out = read_network(&args.network)?.report()?;
    if args.json {
        return print_json(&out);
    }
    let mut table = Table::new(["institution", "owes", "pays", "equity", "default"]);
    for i in 0..out.institutions {
        table.row([
            i.to_string(),
            format!("{:.4}", out.total_obligations[i]),
            format!("{:.4}", out.payments[i]),
            format!("{:.4}", out.equity[i]),
            if out.defaulted.contains(&i) {
                "yes".to_string()
            } else {
                "no".to_string()
            },
        ]);
    }
    out!("{table}");
    outln!(
        "{} of {} institutions in default after {} round(s) of the fictitious default algorithm",
        out.defaulted.len(),
        out.institutions,
        out.rounds
    );
    Ok(())
}

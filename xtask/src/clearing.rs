//! `cargo xtask clearing`: Eisenberg-Noe clearing of a financial network read from a JSON
//! file (schema: docs/schemas/clearing-json.md).

use crate::cli::{Table, TaskError, TaskResult, print_json};
use creditlab_contagion::clearing::ClearingNetwork;
use serde::Serialize;
use serde_json::Value;
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

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output {
    institutions: usize,
    total_obligations: Vec<f64>,
    payments: Vec<f64>,
    defaulted: Vec<usize>,
    defaults_by_round: Vec<Vec<usize>>,
    rounds: usize,
    equity: Vec<f64>,
}

fn number(v: &Value, field: &str) -> Result<f64, TaskError> {
    v.as_f64()
        .ok_or_else(|| TaskError::msg(format!("{field}: expected a number, found {v}")))
}

fn vector(root: &Value, path: &str, field: &str) -> Result<Vec<f64>, TaskError> {
    let v = root
        .get(field)
        .ok_or_else(|| TaskError::msg(format!("{path}: missing field `{field}`")))?;
    let items = v
        .as_array()
        .ok_or_else(|| TaskError::msg(format!("{path}: `{field}` must be an array of numbers")))?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| number(x, &format!("{path}: {field}[{i}]")))
        .collect()
}

fn matrix(root: &Value, path: &str, field: &str) -> Result<Vec<Vec<f64>>, TaskError> {
    let v = root
        .get(field)
        .ok_or_else(|| TaskError::msg(format!("{path}: missing field `{field}`")))?;
    let rows = v.as_array().ok_or_else(|| {
        TaskError::msg(format!(
            "{path}: `{field}` must be an array of rows (arrays of numbers)"
        ))
    })?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let cells = row.as_array().ok_or_else(|| {
                TaskError::msg(format!("{path}: {field}[{i}] must be an array of numbers"))
            })?;
            cells
                .iter()
                .enumerate()
                .map(|(j, x)| number(x, &format!("{path}: {field}[{i}][{j}]")))
                .collect()
        })
        .collect()
}

/// Reads and validates a network file.
fn read_network(path: &PathBuf) -> Result<ClearingNetwork, TaskError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| TaskError::msg(format!("--network {shown}: cannot read: {e}")))?;
    let root: Value = serde_json::from_str(&text)
        .map_err(|e| TaskError::msg(format!("{shown}: not valid JSON: {e}")))?;
    if !root.is_object() {
        return Err(TaskError::msg(format!(
            "{shown}: expected an object with `liabilities`, `external_assets` and `external_liabilities`"
        )));
    }
    let liabilities = matrix(&root, &shown, "liabilities")?;
    let external_assets = vector(&root, &shown, "external_assets")?;
    let external_liabilities = vector(&root, &shown, "external_liabilities")?;
    ClearingNetwork::new(liabilities, external_assets, external_liabilities)
        .map_err(|e| TaskError::msg(format!("{shown}: {e}")))
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    let net = read_network(&args.network)?;
    let c = net.clear()?;
    let out = Output {
        institutions: net.len(),
        total_obligations: c.total_obligations,
        payments: c.payments,
        defaulted: c.defaulted,
        defaults_by_round: c.defaults_by_round,
        rounds: c.rounds,
        equity: c.equity,
    };
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
    print!("{table}");
    println!(
        "{} of {} institutions in default after {} round(s) of the fictitious default algorithm",
        out.defaulted.len(),
        out.institutions,
        out.rounds
    );
    Ok(())
}

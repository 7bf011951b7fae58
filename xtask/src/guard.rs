//! Resource guards: every long or large task states what a run will cost before it starts,
//! from its sizes (loans, scenarios, paths), and refuses a run that would not fit the
//! machine. One set of limits for every task:
//!
//! - memory: the estimate must stay below [`MEMORY_SHARE`] of the memory available now
//!   (`MemAvailable` in /proc/meminfo; [`FALLBACK_MEMORY`] where it cannot be read);
//! - time: the estimate must stay below [`MAX_SECONDS`];
//! - a run estimated above [`NOTICE_SECONDS`] says so on standard error, unless `--quiet`.
//!
//! `--no-limits` runs anyway. The estimates are rough (a factor of a few), calibrated on a
//! two-core machine; they exist to stop a billion-loan typo in seconds, not to predict.

use crate::cli::{Settings, TaskError, TaskResult};

/// Share of the available memory a run may plan to use.
pub const MEMORY_SHARE: f64 = 0.8;
/// Memory assumed when /proc/meminfo cannot be read: 4 GiB.
pub const FALLBACK_MEMORY: f64 = 4.0 * GIB;
/// Longest run started without `--no-limits`: one hour.
pub const MAX_SECONDS: f64 = 3600.0;
/// Runs estimated longer than this say so before they start.
pub const NOTICE_SECONDS: f64 = 10.0;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What a run will cost, estimated from its sizes before it starts.
#[derive(Debug, Clone)]
pub struct Cost {
    /// The run, as the user asked for it (e.g. `loss --method mc, 1000 loans x 1e9
    /// scenarios`).
    pub what: String,
    /// Bytes it will hold at its peak.
    pub bytes: f64,
    /// Seconds it will take.
    pub seconds: f64,
}

/// The memory available now, in bytes, and where the figure comes from.
pub fn available_memory() -> (f64, &'static str) {
    let kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        });
    match kib {
        Some(k) => (k * 1024.0, "MemAvailable"),
        None => (FALLBACK_MEMORY, "the fixed fallback"),
    }
}

fn human_bytes(b: f64) -> String {
    if b >= GIB {
        format!("{:.1} GiB", b / GIB)
    } else {
        format!("{:.0} MiB", b / (1024.0 * 1024.0))
    }
}

fn human_seconds(s: f64) -> String {
    match s {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s if s < 2.0 * 86400.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.0} days", s / 86400.0),
    }
}

/// Refuses `cost` when it exceeds the limits (unless `--no-limits`); says on standard
/// error how long a long run will take (unless `--quiet`). Both flags are global: every
/// task takes them ([`crate::cli::settings`]).
pub fn check(cost: &Cost) -> TaskResult {
    check_with(cost, crate::cli::settings())
}

/// [`check`] under explicit settings.
pub fn check_with(cost: &Cost, settings: Settings) -> TaskResult {
    check_inner(cost, settings, true)
}

fn check_inner(cost: &Cost, settings: Settings, heartbeat_too: bool) -> TaskResult {
    let this = settings;
    let (memory, source) = available_memory();
    if !this.no_limits {
        // A NaN estimate is refused too.
        if cost.bytes.is_nan() || cost.bytes > MEMORY_SHARE * memory {
            return Err(TaskError::msg(format!(
                "{}: needs about {} of memory, more than {:.0}% of the {} available \
                     ({source}); reduce the size, or pass --no-limits to run anyway",
                cost.what,
                human_bytes(cost.bytes),
                MEMORY_SHARE * 100.0,
                human_bytes(memory)
            )));
        }
        if cost.seconds.is_nan() || cost.seconds > MAX_SECONDS {
            return Err(TaskError::msg(format!(
                "{}: estimated to take about {}, above the {} limit; reduce the size, or \
                     pass --no-limits to run anyway",
                cost.what,
                human_seconds(cost.seconds),
                human_seconds(MAX_SECONDS)
            )));
        }
    }
    if cost.seconds > NOTICE_SECONDS && !this.quiet {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "{}: estimated about {} and {} (--quiet hides this)",
            cost.what,
            human_seconds(cost.seconds),
            human_bytes(cost.bytes)
        );
    }
    if heartbeat_too && !this.quiet {
        heartbeat(cost);
    }
    Ok(())
}

/// [`check`] for a task with its own progress bars (pipeline, sweep): the limits and the
/// up-front estimate, no elapsed-time lines.
pub fn check_quietly(cost: &Cost) -> TaskResult {
    check_inner(cost, crate::cli::settings(), false)
}

/// A run reading `path` of about `bytes_per_record` bytes a record: the records the file
/// holds, from its size, times `seconds_per_record` and `memory_per_record` (a file that
/// cannot be measured is left to the reader's own error).
pub fn check_file(
    what: &str,
    path: &std::path::Path,
    bytes_per_record: f64,
    seconds_per_record: f64,
    memory_per_record: f64,
) -> TaskResult {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let records = meta.len() as f64 / bytes_per_record;
    check(&Cost {
        what: format!("{what} on {} (about {records:.0} records)", path.display()),
        bytes: records * memory_per_record,
        seconds: records * seconds_per_record,
    })
}

/// Seconds between two progress lines of a task without a progress bar of its own
/// (`CREDITLAB_PROGRESS_SECONDS`, in seconds and fractions, overrides it, for tests).
pub const HEARTBEAT_SECONDS: f64 = 5.0;

/// Progress for a task whose library has no progress hook: from [`HEARTBEAT_SECONDS`] on,
/// a line on standard error every [`HEARTBEAT_SECONDS`] with the time elapsed against the
/// estimate, until the process ends (a run shorter than that prints nothing).
fn heartbeat(cost: &Cost) {
    let what = cost.what.clone();
    let estimate = cost.seconds;
    let start = std::time::Instant::now();
    let every = std::env::var("CREDITLAB_PROGRESS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|&s| s > 0.0 && s < 1e6)
        .unwrap_or(HEARTBEAT_SECONDS);
    // Detached: the thread ends with the process.
    let _ = std::thread::Builder::new()
        .name("progress".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs_f64(every));
                use std::io::Write as _;
                let line = format!(
                    "{what}: {} elapsed, estimated about {} (--quiet hides this)",
                    human_seconds(start.elapsed().as_secs_f64()),
                    human_seconds(estimate)
                );
                if writeln!(std::io::stderr(), "{line}").is_err() {
                    return;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_billion_loans_is_refused_naming_no_limits() {
        let cost = Cost {
            what: "loss".into(),
            bytes: 1e9 * 256.0,
            seconds: 1.0,
        };
        let e = check_with(&cost, Settings::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--no-limits") && e.contains("memory"), "{e}");
        let slow = Cost {
            what: "cdo2".into(),
            bytes: 1.0,
            seconds: 1e7,
        };
        let e = check_with(&slow, Settings::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--no-limits") && e.contains("days"), "{e}");
        let forced = Settings {
            quiet: true,
            no_limits: true,
        };
        assert!(check_with(&cost, forced).is_ok() && check_with(&slow, forced).is_ok());
    }

    #[test]
    fn available_memory_is_positive() {
        assert!(available_memory().0 > 0.0);
    }
}

//! What every task shares: the error type that maps to an exit code, and output helpers.

use std::fmt;

/// A task's failure: one message for the user, with the chain of causes folded in.
///
/// Every failure a user can cause (bad flags, a malformed file, an invalid parameter) exits
/// with code 2, like a usage error; there is no panic path for user input.
#[derive(Debug)]
pub struct TaskError {
    message: String,
    /// The reader of standard output went away (`| head`): stop, say nothing, succeed.
    closed: bool,
}

impl TaskError {
    /// An error with a message written for the user (long values cut, see [`cut_long`]).
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: cut_long(&message.into()),
            closed: false,
        }
    }

    /// The process exit code for this error: 0 when the reader of standard output closed it
    /// (as ripgrep does: `cargo xtask cashflows | head -1` is a success), 2 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.closed { 0 } else { 2 }
    }

    /// Whether this ends the run without a message (standard output was closed).
    pub fn is_silent(&self) -> bool {
        self.closed
    }

    /// A failed write to standard output: a closed pipe ends the run quietly, any other
    /// failure (a full device) is an error saying so.
    pub fn stdout(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self {
                message: String::new(),
                closed: true,
            }
        } else {
            Self::msg(format!("writing to stdout: {e}"))
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Any library error converts, keeping its `source()` chain in the message.
impl<E: std::error::Error> From<E> for TaskError {
    fn from(e: E) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        Self::msg(message)
    }
}

/// Words of a message longer than this are cut: a message names a value, it need not
/// repeat 200 MB of it.
const LONG_WORD: usize = 100;
/// How many characters of a cut word are kept.
const KEPT: usize = 60;

/// `message` with every word longer than [`LONG_WORD`] characters cut to its first
/// [`KEPT`] and its size: "aaaa... (209715200 bytes)". Every error of every task passes
/// here, whatever library wrote it.
pub fn cut_long(message: &str) -> String {
    if message.len() <= LONG_WORD {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len().min(4 * LONG_WORD));
    let mut rest = message;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        if word.chars().count() > LONG_WORD {
            out.extend(word.chars().take(KEPT));
            out.push_str(&format!("... ({} bytes)", word.len()));
        } else {
            out.push_str(word);
        }
        let ws = tail.len() - tail.trim_start().len();
        out.push_str(&tail[..ws]);
        rest = &tail[ws..];
    }
    out
}

/// The global flags every task takes: `--quiet` and `--no-limits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// Print nothing on standard error but errors (no progress, no estimate).
    pub quiet: bool,
    /// Run even when a size's estimated memory or time exceeds the limits (crate::guard).
    pub no_limits: bool,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// Records the global flags, once, before the task runs.
pub fn set_settings(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// The global flags of this run (defaults when none were recorded, as in unit tests).
pub fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or_default()
}

/// Result of a task.
pub type TaskResult = Result<(), TaskError>;

/// Writes to standard output, the one way tasks print (through [`out!`] and [`outln!`];
/// `print!` panics on a closed pipe or a full device). A reader that stops early (`| head`)
/// ends the run quietly with exit 0 ([`TaskError::is_silent`]); any other failure is an
/// error "writing to stdout: ...".
pub fn write_stdout(args: fmt::Arguments<'_>) -> TaskResult {
    use std::io::Write as _;
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(|e| TaskError::stdout(&e))
}

/// Flushes standard output at the end of a run, so a full device is reported, not lost.
pub fn flush_stdout() -> TaskResult {
    use std::io::Write as _;
    std::io::stdout()
        .lock()
        .flush()
        .map_err(|e| TaskError::stdout(&e))
}

/// `print!` for tasks: writes through [`write_stdout`] and returns its error with `?`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))?
    };
}

/// `println!` for tasks: writes through [`write_stdout`] and returns its error with `?`.
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

pub(crate) use {out, outln};

/// Prints `value` as pretty JSON on standard output (see [`write_stdout`]).
pub fn print_json<T: serde::Serialize>(value: &T) -> TaskResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| TaskError::msg(format!("cannot serialize the result as JSON: {e}")))?;
    outln!("{text}");
    flush_stdout()
}

/// A plain-text table: a header row and rows of cells, right-aligned numbers.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have as many cells as the header.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let row: Vec<String> = cells.into_iter().map(Into::into).collect();
        debug_assert_eq!(row.len(), self.header.len());
        self.rows.push(row);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].len())
                    .chain([self.header[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            for (c, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                if c > 0 {
                    f.write_str("  ")?;
                }
                write!(f, "{cell:>w$}")?;
            }
            writeln!(f)
        };
        line(f, &self.header)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(f, &rule)?;
        for r in &self.rows {
            line(f, r)?;
        }
        Ok(())
    }
}

/// `--threads N` of every task that simulates: the worker threads (results do not depend
/// on them, see docs/RELIABILITY.md).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Threads {
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

impl Threads {
    /// A rayon pool of `--threads` workers (default: one per core).
    pub fn pool(self) -> Result<rayon::ThreadPool, TaskError> {
        // rayon reads 0 as one per core.
        let n = self.threads.map_or(0, usize::from);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build();
        pool.map_err(|e| TaskError::msg(format!("cannot start the worker threads: {e}")))
    }
}

/// `--shard K/N --out FILE [--force]` of the simulations (`loss`, `defi`).
#[derive(Debug, clap::Args)]
pub struct ShardFlags {
    /// Run only shard K of N (scenarios or paths [K M / N, (K + 1) M / N)) and write its
    /// partial result to --out; `cargo xtask merge` prints the whole run from the partials.
    #[arg(long, requires = "out")]
    pub shard: Option<creditlab_contagion::shard::ShardSpec>,
    /// The partial result's file (with --shard); an existing one is refused without --force.
    #[arg(long, requires = "shard")]
    pub out: Option<std::path::PathBuf>,
    /// Replace an existing --out file.
    #[arg(long, requires = "out")]
    pub force: bool,
}

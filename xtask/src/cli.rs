//! What every task shares: the error type that maps to an exit code, and output helpers.

use std::fmt;

/// A task's failure: one message for the user, with the chain of causes folded in.
///
/// Every failure a user can cause (bad flags, a malformed file, an invalid parameter) exits
/// with code 2, like a usage error; there is no panic path for user input.
#[derive(Debug)]
pub struct TaskError {
    message: String,
}

impl TaskError {
    /// An error with a message written for the user.
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        2
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
        Self { message }
    }
}

/// Result of a task.
pub type TaskResult = Result<(), TaskError>;

/// Prints `value` as pretty JSON on standard output. A reader that stops early (`| head`)
/// is not an error: the write ends quietly instead of panicking as `println!` would.
pub fn print_json<T: serde::Serialize>(value: &T) -> TaskResult {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| TaskError::msg(format!("cannot serialize the result as JSON: {e}")))?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(TaskError::msg(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
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

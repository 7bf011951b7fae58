//! Progress of long stages on the terminal (indicatif): one spinner line per stage with its
//! elapsed time, drawn on standard error only when it is a terminal and `--quiet` is off, so
//! pipes, files and the test suite see nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// Reports stages as they run.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Progress on standard error, unless `quiet` (indicatif also hides itself when standard
    /// error is not a terminal).
    pub fn new(quiet: bool) -> Self {
        Self { visible: !quiet }
    }

    /// Runs `f` as the stage `name` of `total` steps, with a progress bar that `f` advances
    /// through the callback it is given (callable from any thread).
    pub fn counted<T, E>(
        self,
        name: &str,
        total: u64,
        f: impl FnOnce(&(dyn Fn() + Sync)) -> Result<T, E>,
    ) -> Result<T, E> {
        let bar = if self.visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(name.to_string());
        let start = Instant::now();
        let result = f(&|| bar.inc(1));
        let seconds = start.elapsed().as_secs_f64();
        let mark = if result.is_ok() { "done" } else { "failed" };
        bar.set_style(
            ProgressStyle::with_template("  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.finish_with_message(format!("{name}: {mark} in {seconds:.1} s"));
        result
    }

    /// Runs `f` as the stage `name`, showing a spinner while it runs and its time when done.
    pub fn stage<T, E>(self, name: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let bar = if self.visible {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        let start = Instant::now();
        let result = f();
        let seconds = start.elapsed().as_secs_f64();
        let mark = if result.is_ok() { "done" } else { "failed" };
        bar.set_style(
            ProgressStyle::with_template("  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.finish_with_message(format!("{name}: {mark} in {seconds:.1} s"));
        result
    }
}

//! Progress of long stages on the terminal (indicatif): one line per stage with its elapsed
//! time, a bar for counted stages, drawn on standard error only when it is a terminal and
//! `--quiet` is off. When standard error is not a terminal (a log file, CI), a counted stage
//! writes one plain line every [`LINE_EVERY`] instead of a bar, so a long run is never
//! silent; runs shorter than that print nothing. It implements creditlab-study's
//! `Progress`, which never changes a result.

use creditlab_study::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a stage writes a plain progress line when standard error is not a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

/// Bars on standard error.
#[derive(Debug)]
pub struct Bars {
    visible: bool,
    current: Mutex<Option<(ProgressBar, Instant)>>,
    /// Plain lines instead of bars (standard error is not a terminal), and when the last
    /// line was written.
    lines: Option<Mutex<Instant>>,
}

impl Bars {
    /// Bars on standard error, unless `quiet` (indicatif also hides itself when standard
    /// error is not a terminal).
    pub fn new(quiet: bool) -> Self {
        use std::io::IsTerminal as _;
        let lines =
            (!quiet && !std::io::stderr().is_terminal()).then(|| Mutex::new(Instant::now()));
        Self {
            visible: !quiet,
            current: Mutex::new(None),
            lines,
        }
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.current
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|(b, _)| b.clone()))
    }
}

impl Bars {
    /// Counts one step of the current stage; returns the plain line to write when lines are
    /// on (standard error is not a terminal) and [`LINE_EVERY`] has passed since the last.
    fn advance(&self) -> Option<String> {
        let bar = self.bar()?;
        bar.inc(1);
        let mut last = self.lines.as_ref()?.lock().ok()?;
        if last.elapsed() < LINE_EVERY {
            return None;
        }
        *last = Instant::now();
        Some(format!(
            "{}: {}/{}, {:.0} s",
            bar.message(),
            bar.position(),
            bar.length().unwrap_or(0),
            bar.elapsed().as_secs_f64()
        ))
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: Option<u64>) {
        let bar = match (self.visible, total) {
            (false, _) => ProgressBar::hidden(),
            (true, Some(n)) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            (true, None) => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let style = match total {
            Some(_) => ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
                .map(|s| s.progress_chars("=> ")),
            None => ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed}"),
        };
        bar.set_style(style.unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar.set_message(stage.to_string());
        if total.is_none() {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        if let Ok(mut c) = self.current.lock() {
            *c = Some((bar, Instant::now()));
        }
    }

    fn tick(&self) {
        if let Some(line) = self.advance() {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    fn finish(&self, stage: &str, ok: bool) {
        let Some((bar, start)) = self.current.lock().ok().and_then(|mut c| c.take()) else {
            return;
        };
        let seconds = start.elapsed().as_secs_f64();
        let mark = if ok { "done" } else { "failed" };
        bar.set_style(
            ProgressStyle::with_template("  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.finish_with_message(format!("{stage}: {mark} in {seconds:.1} s"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_a_line_every_few_seconds_when_stderr_is_not_a_terminal() {
        let bars = Bars {
            visible: true,
            current: Mutex::new(None),
            lines: Some(Mutex::new(Instant::now())),
        };
        bars.start("book: grading", Some(10));
        // Within LINE_EVERY of the last line: nothing.
        assert_eq!(bars.advance(), None);
        // Once it has passed: one line with the stage and its count, then quiet again.
        if let (Some(last), Some(earlier)) =
            (&bars.lines, Instant::now().checked_sub(2 * LINE_EVERY))
        {
            *last.lock().unwrap() = earlier;
        }
        let line = bars.advance().expect("a line is due");
        assert!(line.starts_with("book: grading: 2/10"), "{line}");
        assert_eq!(bars.advance(), None);
        // --quiet (or a terminal, where the bar draws itself): never a line.
        let quiet = Bars::new(true);
        quiet.start("stage", Some(3));
        assert_eq!(quiet.advance(), None);
    }
}

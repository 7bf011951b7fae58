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
        let Some(bar) = self.bar() else {
            return;
        };
        bar.inc(1);
        let Some(last) = self.lines.as_ref().and_then(|l| l.lock().ok()) else {
            return;
        };
        let mut last = last;
        if last.elapsed() >= LINE_EVERY {
            *last = Instant::now();
            use std::io::Write as _;
            let (pos, len) = (bar.position(), bar.length().unwrap_or(0));
            let _ = writeln!(
                std::io::stderr(),
                "{}: {pos}/{len}, {:.0} s",
                bar.message(),
                bar.elapsed().as_secs_f64()
            );
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

//! What a person watching a run sees: a line per event and a bar per stack (on stderr).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress output, or none with `--quiet`.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    quiet: bool,
}

impl Reporter {
    /// A reporter; `quiet` prints nothing but warnings.
    pub fn new(quiet: bool) -> Self {
        Self { quiet }
    }

    /// Whether output is suppressed.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// An event worth a line.
    pub fn say(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// Something the user must see even with `--quiet`.
    pub fn warn(&self, line: &str) {
        eprintln!("warning: {line}");
    }

    /// A bar for one stack's measurement, `seconds` long as planned.
    pub fn stack_bar(&self, prefix: &str, seconds: u64) -> StackBar {
        let bar = if self.quiet {
            ProgressBar::with_draw_target(Some(seconds), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(seconds)
        };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos:>3}/{len}s {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(prefix.to_owned());
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, stop) = (bar.clone(), Arc::clone(&stop));
            let started = Instant::now();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(started.elapsed().as_secs().min(seconds));
                    thread::sleep(Duration::from_millis(200));
                }
            })
        };
        StackBar {
            bar,
            stop,
            ticker: Some(ticker),
            quiet: self.quiet,
        }
    }
}

/// The bar of the stack being measured.
pub struct StackBar {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
    quiet: bool,
}

impl StackBar {
    /// What the stack is doing now.
    pub fn phase(&self, message: &str) {
        self.bar.set_message(message.to_owned());
    }

    /// A line above the bar; a plain line where no bar is drawn (not a terminal); nothing with
    /// `--quiet`.
    pub fn println(&self, line: &str) {
        if self.quiet {
            return;
        }
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Ends the bar with a last word.
    pub fn finish(mut self, message: &str) {
        self.end();
        self.bar.set_position(self.bar.length().unwrap_or(0));
        self.bar.finish_with_message(message.to_owned());
    }

    fn end(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

impl Drop for StackBar {
    fn drop(&mut self) {
        self.end();
    }
}

//! A job's live progress: one line updated in place behind a spinner on a terminal, a plain
//! line every two seconds otherwise (a log, a CI job), and the last one always.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: indicatif::ProgressBar,
    terminal: bool,
    last_line: Instant,
}

impl Progress {
    pub fn start() -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = indicatif::ProgressBar::new_spinner();
        if terminal {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress {
            bar,
            terminal,
            last_line: Instant::now(),
        }
    }

    /// Show `line`; `ended`: the job's last one (the spinner goes).
    pub fn show(&mut self, line: String, ended: bool) {
        if self.terminal {
            self.bar.set_message(line);
        } else if self.last_line.elapsed() >= Duration::from_secs(2) || ended {
            eprintln!("{line}");
            self.last_line = Instant::now();
        }
        if ended {
            self.bar.finish_and_clear();
        }
    }
}

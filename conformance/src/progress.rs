//! Progress of a run on stderr while it goes: on a terminal one redrawn line (scenario k of n, the ones
//! running, elapsed), otherwise one plain line per finished scenario; nothing in library runs.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::report::Outcome;

/// How a run shows its progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Nothing (library runs, tests).
    #[default]
    Off,
    /// One line on a terminal, redrawn in place.
    Line,
    /// A plain line per finished scenario (logs, CI).
    Plain,
}

/// How often a terminal line is redrawn while nothing else happens (the elapsed time moves).
pub const REDRAW: Duration = Duration::from_millis(500);

/// The widest the running scenario's name is shown on a terminal line.
const NAME_WIDTH: usize = 70;

/// A run's progress: scenarios selected to run, started, finished.
#[derive(Debug)]
pub struct Progress {
    mode: ProgressMode,
    start: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    selected: usize,
    finished: usize,
    failed: usize,
    running: Vec<String>,
}

impl Progress {
    /// A run starting now.
    pub fn new(mode: ProgressMode) -> Progress {
        Progress {
            mode,
            start: Instant::now(),
            state: Mutex::new(State::default()),
        }
    }

    /// Whether it draws a terminal line (and wants [`Progress::redraw`] called every [`REDRAW`]).
    pub fn redraws(&self) -> bool {
        self.mode == ProgressMode::Line
    }

    /// One more scenario will run.
    pub fn selected(&self) {
        self.update(|state| state.selected += 1);
    }

    /// A scenario starts.
    pub fn started(&self, name: &str) {
        self.update(|state| state.running.push(name.to_string()));
    }

    /// A scenario ended with `outcome`.
    pub fn finished(&self, name: &str, outcome: &Outcome) {
        let line = {
            let Ok(mut state) = self.state.lock() else { return };
            if let Some(at) = state.running.iter().position(|r| r == name) {
                state.running.remove(at);
            }
            state.finished += 1;
            let verdict = match outcome {
                Outcome::Passed => "passed",
                Outcome::Failed(_) => {
                    state.failed += 1;
                    "FAILED"
                }
                Outcome::Skipped(_) => "skipped",
            };
            format!(
                "[{}/{}] {:>6.1} s {verdict} {name}",
                state.finished,
                state.selected,
                self.start.elapsed().as_secs_f64()
            )
        };
        match self.mode {
            ProgressMode::Plain => eprintln!("progress: {line}"),
            ProgressMode::Line => self.redraw(),
            ProgressMode::Off => {}
        }
    }

    /// Redraws the terminal line (elapsed time moves on).
    pub fn redraw(&self) {
        if !self.redraws() {
            return;
        }
        let Ok(state) = self.state.lock() else { return };
        let running = match state.running.as_slice() {
            [] => String::new(),
            [one] => format!(" running {}", shorten(one)),
            [first, rest @ ..] => format!(" running {} (+{} more)", shorten(first), rest.len()),
        };
        let failed = if state.failed > 0 {
            format!(", {} failed", state.failed)
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K[{}/{}{failed}] {:.0} s{running}",
            state.finished,
            state.selected,
            self.start.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }

    /// The run is over: the terminal line is cleared, so that what follows starts on a clean line.
    pub fn done(&self) {
        if self.redraws() {
            eprint!("\r\x1b[2K");
        }
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
        }
        self.redraw();
    }
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= NAME_WIDTH {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(NAME_WIDTH - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_selected_running_and_finished() {
        let progress = Progress::new(ProgressMode::Off);
        progress.selected();
        progress.selected();
        progress.started("A / one");
        progress.started("A / two");
        progress.finished("A / one", &Outcome::Failed("boom".into()));
        let state = progress.state.lock().unwrap();
        assert_eq!((state.selected, state.finished, state.failed), (2, 1, 1));
        assert_eq!(state.running, ["A / two"]);
        assert_eq!(shorten(&"x".repeat(100)).chars().count(), NAME_WIDTH);
    }
}

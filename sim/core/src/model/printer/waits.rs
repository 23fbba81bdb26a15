//! What holds the command queue (a full planner, M400/G28/G4 waiting for the moves, M109/M190 waiting
//! for a heater) and the periodic lines; each wait's end is known in closed form, so time jumps are cheap.

use super::gcode::Command;
use super::{Printer, Source, texts};

/// `TEMP_RESIDENCY_TIME` / `TEMP_BED_RESIDENCY_TIME`: seconds a heater must stay near its target.
const RESIDENCY_MS: u64 = 10_000;
/// `TEMP_WINDOW` / `TEMP_BED_WINDOW`: how near counts.
const WINDOW_C: f64 = 1.0;
/// `MIN_COOLING_SLOPE_DEG` over `MIN_COOLING_SLOPE_TIME`: a cooling wait gives up below this pace.
const COOLING_SLOPE_C: f64 = 1.5;
const COOLING_CHECK_MS: u64 = 60_000;

/// A line repeated every `every` ms (0 = off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticker {
    every: u64,
    next: u64,
}

impl Ticker {
    /// Off.
    pub fn off() -> Self {
        Ticker { every: 0, next: 0 }
    }

    /// Every `every` ms, first at once.
    pub fn every(every: u64) -> Self {
        Ticker { every, next: 0 }
    }

    /// Sets the interval at `t` (first line one interval later), or turns it off with 0.
    pub fn set(&mut self, t: u64, every: u64) {
        *self = Ticker {
            every,
            next: t.saturating_add(every),
        };
    }

    /// When the next line is due, if on.
    pub fn due(&self) -> Option<u64> {
        (self.every > 0).then_some(self.next)
    }

    /// The line due at `t` went out.
    pub fn fire(&mut self, t: u64) {
        self.next = t.saturating_add(self.every);
    }

    /// Not before `t`.
    pub fn not_before(&mut self, t: u64) {
        self.next = self.next.max(t);
    }

    /// Skips the lines due up to `horizon` but the last `keep`.
    pub fn skip_before(&mut self, horizon: u64, keep: u64) {
        if self.every > 0 && self.next <= horizon {
            let due = (horizon - self.next) / self.every + 1;
            if due > keep {
                self.next += (due - keep) * self.every;
            }
        }
    }
}

/// What a drained planner lets happen next.
#[derive(Clone, Debug, PartialEq)]
pub enum AfterSync {
    /// M400: just the `ok`.
    Ok,
    /// G28: home these axes (X, Y, Z).
    Home([bool; 3]),
    /// G4: dwell this long.
    Dwell(u64),
    /// M1001: the SD print is over.
    FinishPrint,
}

/// What a timed wait does at its end.
#[derive(Clone, Debug, PartialEq)]
pub enum AfterUntil {
    /// The `ok`.
    Ok,
    /// Homing finished on these axes.
    Homed([bool; 3]),
}

/// The command holding the queue.
#[derive(Clone, Debug, PartialEq)]
pub enum Wait {
    /// A move waiting for a planner slot.
    Move { command: Command, source: Source },
    /// Waiting for every queued move to finish.
    Sync { then: AfterSync, source: Source },
    /// Waiting for a known instant (homing moves, a dwell).
    Until { at: u64, then: AfterUntil, source: Source },
    /// M109/M190: waiting for a heater; a report line every second.
    Heat {
        bed: bool,
        end: u64,
        residency: Option<(u64, u64)>,
        next_report: u64,
        source: Source,
    },
}

impl Wait {
    /// Who sent the waiting command.
    pub fn source(&self) -> Source {
        match self {
            Wait::Move { source, .. }
            | Wait::Sync { source, .. }
            | Wait::Until { source, .. }
            | Wait::Heat { source, .. } => *source,
        }
    }
}

impl Printer {
    /// When `wait` ends.
    pub(super) fn ready_at(&self, wait: &Wait) -> u64 {
        match wait {
            Wait::Move { .. } => self.planner.slot_free_at(self.clock),
            Wait::Sync { .. } => self.planner.drained_at(self.clock),
            Wait::Until { at, .. } => *at,
            Wait::Heat { end, .. } => *end,
        }
    }

    /// Whether the wait keeps the host alive with `busy: processing` (heating waits do not:
    /// `KEEPALIVE_STATE(NOT_BUSY)` unless `BUSY_WHILE_HEATING`).
    pub(super) fn busy_waiting(&self) -> bool {
        matches!(
            self.wait,
            Some(Wait::Move { .. } | Wait::Sync { .. } | Wait::Until { .. })
        )
    }

    /// The earliest due event given the wait's end `ready`.
    pub(super) fn next_event(&self, ready: Option<u64>) -> Option<u64> {
        let heat_report = match &self.wait {
            Some(Wait::Heat { next_report, end, .. }) if next_report <= end => Some(*next_report),
            _ => None,
        };
        let busy = self.busy_waiting().then(|| self.busy.due()).flatten();
        [ready, heat_report, busy, self.temp_report.due(), self.sd_report.due()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Handles everything due at `t`.
    pub(super) fn step(&mut self, t: u64) {
        self.clock = self.clock.max(t);
        self.retire(t);
        if self.temp_report.due() == Some(t) {
            let line = self.heater_states(t);
            self.out.line(&line);
            self.temp_report.fire(t);
        }
        if self.sd_report.due() == Some(t) {
            let line = self.sd_status();
            self.out.line(&line);
            self.sd_report.fire(t);
        }
        if let Some(Wait::Heat {
            next_report,
            end,
            residency,
            ..
        }) = self.wait.clone()
        {
            if next_report == t && t <= end {
                let w = match residency {
                    Some((shown_from, start)) if t >= shown_from => {
                        ((RESIDENCY_MS as i64 - (t as i64 - start as i64)) / 1000).to_string()
                    }
                    _ => "?".to_string(),
                };
                let line = format!("{} W:{w}", self.heater_states(t));
                self.out.line(&line);
                if let Some(Wait::Heat { next_report, .. }) = &mut self.wait {
                    *next_report = t + 1000;
                }
            }
        }
        let ready = self.wait.as_ref().map(|w| self.ready_at(w));
        if self.busy_waiting() && self.busy.due() == Some(t) && ready.is_some_and(|r| r > t) {
            self.out
                .line(&format!("{}{}", texts::ECHO_PREFIX, texts::BUSY_PROCESSING));
            self.busy.fire(t);
        }
        if ready.is_some_and(|r| r <= t) {
            if let Some(wait) = self.wait.take() {
                self.finish_wait(t, wait);
            }
            self.pump(t);
        }
    }

    /// Holds the queue with `wait`, starting at `t`.
    pub(super) fn hold(&mut self, t: u64, wait: Wait) {
        self.wait = Some(wait);
        if self.busy_waiting() {
            self.busy.not_before(t);
        }
    }

    fn finish_wait(&mut self, t: u64, wait: Wait) {
        match wait {
            Wait::Move { command, source } => {
                self.queue_move(t, &command);
                self.ok(source);
            }
            Wait::Sync { then, source } => match then {
                AfterSync::Ok => self.ok(source),
                AfterSync::Home(axes) => {
                    let at = t + self.homing_ms(axes);
                    self.hold(
                        t,
                        Wait::Until {
                            at,
                            then: AfterUntil::Homed(axes),
                            source,
                        },
                    );
                }
                AfterSync::Dwell(ms) => {
                    self.hold(
                        t,
                        Wait::Until {
                            at: t.saturating_add(ms),
                            then: AfterUntil::Ok,
                            source,
                        },
                    );
                }
                AfterSync::FinishPrint => self.finish_print(t),
            },
            Wait::Until { then, source, .. } => {
                if let AfterUntil::Homed(axes) = then {
                    self.homed(axes);
                    let report = self.position_report();
                    self.out.line(&report);
                }
                self.ok(source);
            }
            Wait::Heat { source, .. } => self.ok(source),
        }
    }

    /// M109/M190 at `t` (`wait_for_hotend` / `wait_for_bed`): ends `TEMP_RESIDENCY_TIME` after the
    /// heater comes within the window, or, cooling, when it stops cooling fast enough.
    pub(super) fn wait_for_heater(&mut self, t: u64, bed: bool, no_wait_for_cooling: bool, source: Source) {
        let heater = if bed { &self.bed } else { &self.hotend };
        let temp = heater.temp_at(t);
        let wants_to_cool = heater.target() < temp;
        if no_wait_for_cooling && wants_to_cool {
            self.ok(source);
            return;
        }
        // First loop already in the window: the timer starts a third of the residency later.
        let residency = heater
            .within_window_at(t, WINDOW_C)
            .map(|at| if at == t { (t, t + RESIDENCY_MS / 3) } else { (at, at) });
        let mut end = residency.map(|(_, start)| start + RESIDENCY_MS);
        if wants_to_cool {
            let (mut check, mut old) = (t + COOLING_CHECK_MS, temp);
            for _ in 0..10_000 {
                if end.is_some_and(|e| e <= check) {
                    break;
                }
                let now_temp = heater.temp_at(check);
                if old - now_temp < COOLING_SLOPE_C {
                    end = Some(check);
                    break;
                }
                old = now_temp;
                check += COOLING_CHECK_MS;
            }
        }
        let end = end.unwrap_or(t);
        self.hold(
            t,
            Wait::Heat {
                bed,
                end,
                residency,
                next_report: t,
                source,
            },
        );
    }

    /// How long homing `axes` takes from where the head is: X, then Y, then Z, each a fast approach, a
    /// bump back and a slow approach (`homeaxis`).
    fn homing_ms(&self, axes: [bool; 3]) -> u64 {
        let secs: f64 = (0..3)
            .filter(|&i| axes[i])
            .map(|i| {
                let v = self.cfg.homing_feedrate[i].max(0.1);
                let bump = self.cfg.homing_bump[i];
                let slow = v / self.cfg.homing_bump_divisor[i].max(1.0);
                self.motion.physical[i].abs() / v + bump / v + bump / slow
            })
            .sum();
        (secs * 1000.0).ceil() as u64
    }

    /// `set_axis_is_at_home` for `axes`.
    fn homed(&mut self, axes: [bool; 3]) {
        for i in (0..3).filter(|&i| axes[i]) {
            self.motion.homed[i] = true;
            self.motion.native[i] = 0.0;
            self.motion.physical[i] = 0.0;
            self.motion.shift[i] = 0.0;
        }
        if axes[2] {
            self.executed_z = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_skip_all_but_the_last_lines_of_a_long_gap() {
        let mut t = Ticker::off();
        assert_eq!(t.due(), None);
        t.set(0, 1_000);
        assert_eq!(t.due(), Some(1_000));
        t.skip_before(1_000_000, 10);
        assert_eq!(t.due(), Some(991_000));
        t.fire(991_000);
        assert_eq!(t.due(), Some(992_000));
    }
}

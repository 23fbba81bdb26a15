//! A Marlin 2.1 FDM printer on a serial line, pure and deterministic: lines in, Marlin's bytes out, a
//! planner, heaters, an SD card and a job view, all advanced by the caller's `SimTime` (no clock, no I/O).
//!
//! Flow control is Marlin's: a command is answered `ok` once it is queued (a move in the planner) or
//! done; M109/M190/M400/G28/G4 and a full planner hold the `ok`, and lines sent meanwhile wait in the
//! receive queue (`MAX_PENDING_LINES`), so a host must wait for each `ok` as it does with a real board.

pub mod commands;
pub mod config;
pub mod gcode;
pub mod job;
pub mod line;
pub mod motion;
pub mod output;
pub mod sd;
pub mod texts;
pub mod thermal;
mod waits;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::model::volume::Volume;
use crate::seed::hashed_unit;
use crate::time::SimTime;

pub use config::{HeaterConfig, PrinterConfig};
pub use job::{JobState, JobView};

use gcode::Command;
use job::{JobTimer, PrintStats};
use line::{LineCheck, LineNumbers};
use motion::{Motion, Planner};
use output::Output;
use sd::Sd;
use thermal::Heater;
use waits::{Ticker, Wait};

/// Host lines the receive queue holds while a command blocks; more are lost, as an overrun buffer loses them.
pub const MAX_PENDING_LINES: usize = 256;
/// `DEFAULT_KEEPALIVE_INTERVAL`: seconds between `echo:busy: processing` lines.
pub const KEEPALIVE_MS: u64 = 2_000;
/// Periodic lines emitted at most per stretch of time with nothing else happening (older ones would
/// have been lost from the output buffer anyway): what keeps a jump of days O(1).
const CATCH_UP_LINES: u64 = 512;

/// Who sent a command: the host gets `ok`s, the SD card does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Host,
    Sd,
}

/// One of the two heaters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaterId {
    /// The hotend, `T` / heater `E0`.
    Hotend,
    /// The heated bed, `B`.
    Bed,
}

/// A fault the control API can inject; each prints Marlin's own error and halts the printer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `Error:Thermal Runaway, system stopped! Heater_ID: …` (the heater lost its sensor's contact).
    ThermalRunaway(HeaterId),
    /// `Error:MINTEMP triggered, system stopped! Heater_ID: …` (an open thermistor).
    MinTemp(HeaterId),
    /// `Error:MAXTEMP triggered, system stopped! Heater_ID: …` (a shorted thermistor or a stuck heater).
    MaxTemp(HeaterId),
    /// What M112 does: `kill()` at once.
    EmergencyStop,
}

/// Why a host action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    /// The printer is halted until it is reset.
    #[error("the printer is halted")]
    Halted,
    /// The SD card is released (M22).
    #[error("no SD card is mounted")]
    NoMedia,
    /// The file cannot be opened.
    #[error("cannot open {0}")]
    OpenFailed(String),
    /// A print is already running.
    #[error("a print is already running")]
    Busy,
    /// The action needs a print that is running (or paused, to resume).
    #[error("no print to {0}")]
    NotPrinting(&'static str),
}

/// Heater readings as M105 would report them now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Temperatures {
    /// Hotend reading, °C.
    pub hotend: f64,
    /// Hotend target, °C (0 = off).
    pub hotend_target: f64,
    /// Bed reading, °C.
    pub bed: f64,
    /// Bed target, °C (0 = off).
    pub bed_target: f64,
    /// Hotend power, 0..=127 (`@:`).
    pub hotend_power: u8,
    /// Bed power, 0..=127 (`B@:`).
    pub bed_power: u8,
}

/// The file of the current or last print.
#[derive(Clone, Debug, PartialEq)]
struct JobRecord {
    path: String,
    size: u64,
    /// Bytes read when the print ended (while it runs, the card's position is used).
    final_pos: Option<u64>,
    cancelled: bool,
}

/// A simulated Marlin printer.
#[derive(Debug)]
pub struct Printer {
    cfg: PrinterConfig,
    seed: u64,
    name: String,
    /// The time the model has been advanced to, in ms.
    clock: u64,
    out: Output,
    lines: LineNumbers,
    pending: VecDeque<Vec<u8>>,
    motion: Motion,
    planner: Planner,
    hotend: Heater,
    bed: Heater,
    fan: u8,
    feed_percent: f64,
    flow_percent: f64,
    sd: Sd,
    wait: Option<Wait>,
    temp_report: Ticker,
    sd_report: Ticker,
    busy: Ticker,
    halted: bool,
    status_message: String,
    timer: JobTimer,
    stats: PrintStats,
    job: Option<JobRecord>,
    finishing: bool,
    /// Logical Z of the moves executed so far.
    executed_z: f64,
}

impl Printer {
    /// A printer just powered up: cold, nothing homed, an empty mounted card. `master_seed` and `name`
    /// pick its noise streams.
    pub fn new(config: PrinterConfig, master_seed: u64, name: &str) -> Self {
        let sd = Sd::new(config.sd_capacity, config.sd_max_name_len);
        Printer {
            motion: Motion::new(&config),
            hotend: Heater::new(config.hotend.clone(), config.ambient_c),
            bed: Heater::new(config.bed.clone(), config.ambient_c),
            cfg: config,
            seed: master_seed,
            name: name.to_string(),
            clock: 0,
            out: Output::default(),
            lines: LineNumbers::default(),
            pending: VecDeque::new(),
            planner: Planner::default(),
            fan: 0,
            feed_percent: 100.0,
            flow_percent: 100.0,
            sd,
            wait: None,
            temp_report: Ticker::off(),
            sd_report: Ticker::off(),
            busy: Ticker::every(KEEPALIVE_MS),
            halted: false,
            status_message: String::new(),
            timer: JobTimer::default(),
            stats: PrintStats::default(),
            job: None,
            finishing: false,
            executed_z: 0.0,
        }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &PrinterConfig {
        &self.cfg
    }

    /// One line from the host, without its terminator (it may carry `N… *cs`). A line holding `\r` or
    /// `\n` is taken as several lines, as the firmware reads them.
    pub fn submit_line(&mut self, now: SimTime, line: &str) {
        self.advance(now);
        if self.halted {
            return;
        }
        for part in line.as_bytes().split(|&c| c == b'\n' || c == b'\r') {
            if self.pending.len() < MAX_PENDING_LINES {
                self.pending
                    .push_back(part[..part.len().min(line::MAX_RAW_LINE)].to_vec());
            }
        }
        self.pump(self.clock);
        self.settle();
    }

    /// Everything the printer wrote since the last call; lines end in `\n`.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.out.take()
    }

    /// Runs the planner, heaters, waits, auto-reports and SD printing up to `now` (never backwards).
    pub fn advance(&mut self, now: SimTime) {
        let now = now.as_millis().max(self.clock);
        while !self.halted {
            let ready = self.wait.as_ref().map(|w| self.ready_at(w));
            let horizon = ready.map_or(now, |r| r.min(now));
            self.temp_report.skip_before(horizon, CATCH_UP_LINES);
            self.sd_report.skip_before(horizon, CATCH_UP_LINES);
            if self.busy_waiting() {
                self.busy.skip_before(horizon, CATCH_UP_LINES);
            }
            match self.next_event(ready) {
                Some(t) if t <= now => self.step(t),
                _ => break,
            }
        }
        self.retire(now);
        self.clock = now;
    }

    /// When something next happens (a line is due or a wait ends), so the caller can sleep until then.
    pub fn next_deadline(&self) -> Option<SimTime> {
        if self.halted {
            return None;
        }
        let ready = self.wait.as_ref().map(|w| self.ready_at(w));
        self.next_event(ready).map(SimTime::from_millis)
    }

    /// The SD card.
    pub fn sd(&self) -> &Volume {
        &self.sd.volume
    }

    /// The SD card, for uploads from other protocols.
    pub fn sd_mut(&mut self) -> &mut Volume {
        &mut self.sd.volume
    }

    /// Whether the printer is halted (a fault or M112) until `reset`.
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// The message M117 last set (what the LCD shows).
    pub fn status_message(&self) -> &str {
        &self.status_message
    }

    /// The logical X, Y, Z in mm (what M114 reports: where the queued moves end).
    pub fn position(&self) -> [f64; 3] {
        self.motion.logical()
    }

    /// The print fan's speed, 0..=255.
    pub fn fan_speed(&self) -> u8 {
        self.fan
    }

    /// The heaters' readings now.
    pub fn temperatures(&self) -> Temperatures {
        let t = self.clock;
        Temperatures {
            hotend: round2(self.hotend.reading_at(t, self.draw("hotend-sensor", t))),
            hotend_target: self.hotend.target(),
            bed: round2(self.bed.reading_at(t, self.draw("bed-sensor", t))),
            bed_target: self.bed.target(),
            hotend_power: self.hotend.power_at(t, self.draw("hotend-power", t)),
            bed_power: self.bed.power_at(t, self.draw("bed-power", t)),
        }
    }

    /// The job as other protocols report it.
    pub fn job(&self) -> JobView {
        let state = if self.halted {
            JobState::Error
        } else if self.sd.printing && self.finishing {
            JobState::Finishing
        } else if self.sd.printing && self.sd.paused {
            JobState::Paused
        } else if self.sd.printing {
            JobState::Printing
        } else if self.job.as_ref().is_some_and(|j| j.cancelled) {
            JobState::Cancelled
        } else {
            JobState::Idle
        };
        let (file, bytes_done, bytes_total) = match &self.job {
            Some(j) => (Some(j.path.clone()), j.final_pos.unwrap_or(self.sd.pos), j.size),
            None => (None, 0, 0),
        };
        let elapsed_ms = self.timer.elapsed(self.clock);
        let estimated_left_ms = match self.stats.remaining_min {
            Some(min) if self.sd.printing => Some(min * 60_000),
            _ if self.sd.printing && bytes_done > 0 => {
                Some((elapsed_ms as f64 * (bytes_total.saturating_sub(bytes_done)) as f64 / bytes_done as f64) as u64)
            }
            _ if self.sd.printing => None,
            _ => Some(0).filter(|_| self.job.is_some()),
        };
        JobView {
            state,
            file,
            bytes_done,
            bytes_total,
            elapsed_ms,
            estimated_left_ms,
            progress_percent: self.stats.progress_percent,
            current_z: self.executed_z,
            layer: self.stats.layer,
            filament_mm: self.stats.filament_mm,
        }
    }

    /// Selects `path` on the card and starts printing it (what M23 + M24 do, with M23's lines).
    pub fn start_print(&mut self, now: SimTime, path: &str) -> Result<(), PrinterError> {
        self.advance(now);
        if self.halted {
            return Err(PrinterError::Halted);
        }
        if self.sd.printing {
            return Err(PrinterError::Busy);
        }
        self.open_file(path)?;
        self.start_or_resume();
        self.pump(self.clock);
        self.settle();
        Ok(())
    }

    /// Pauses the running print (M25).
    pub fn pause(&mut self, now: SimTime) -> Result<(), PrinterError> {
        self.advance(now);
        self.require_running()?;
        if !self.sd.printing || self.sd.paused || self.finishing {
            return Err(PrinterError::NotPrinting("pause"));
        }
        self.pause_print();
        Ok(())
    }

    /// Resumes a paused print (M24).
    pub fn resume(&mut self, now: SimTime) -> Result<(), PrinterError> {
        self.advance(now);
        self.require_running()?;
        if !(self.sd.printing && self.sd.paused) {
            return Err(PrinterError::NotPrinting("resume"));
        }
        self.start_or_resume();
        self.pump(self.clock);
        self.settle();
        Ok(())
    }

    /// Cancels the running or paused print (M524): moves stop, heaters and fan go off.
    pub fn cancel(&mut self, now: SimTime) -> Result<(), PrinterError> {
        self.advance(now);
        self.require_running()?;
        if !self.sd.printing {
            return Err(PrinterError::NotPrinting("cancel"));
        }
        self.abort_print();
        self.pump(self.clock);
        self.settle();
        Ok(())
    }

    /// Injects a fault at `now`: Marlin's error lines, then `Error:Printer halted. kill() called!`.
    pub fn inject_fault(&mut self, now: SimTime, fault: Fault) {
        self.advance(now);
        if self.halted {
            return;
        }
        let (message, heater) = match fault {
            Fault::ThermalRunaway(h) => (texts::THERMAL_RUNAWAY, h),
            Fault::MinTemp(h) => (texts::MINTEMP, h),
            Fault::MaxTemp(h) => (texts::MAXTEMP, h),
            Fault::EmergencyStop => return self.kill(),
        };
        // `_temp_error`: a hotend id is written with SERIAL_ECHOLNPGM("E", id) and then SERIAL_EOL().
        let id = match heater {
            HeaterId::Hotend => "E0\n",
            HeaterId::Bed => texts::HEATER_BED,
        };
        self.out.line(&format!(
            "{}{message}{}{id}",
            texts::ERROR_PREFIX,
            texts::STOPPED_HEATER
        ));
        self.kill();
    }

    /// Power-cycles the printer at `now` (the reset button): everything but the card's files starts over,
    /// and the firmware greets with `start`.
    pub fn reset(&mut self, now: SimTime) {
        self.advance(now);
        let t = self.clock;
        let volume = std::mem::replace(&mut self.sd.volume, Volume::new(0, 0));
        let mut fresh = Printer::new(self.cfg.clone(), self.seed, &self.name);
        fresh.sd.volume = volume;
        fresh.clock = t;
        fresh.hotend = self.hotend.clone();
        fresh.bed = self.bed.clone();
        fresh.hotend.off(t);
        fresh.bed.off(t);
        *self = fresh;
        self.out.line("start");
    }

    /// Handles whatever became due at the present instant (a wait that ends at once, a first busy line).
    fn settle(&mut self) {
        self.advance(SimTime::from_millis(self.clock));
    }

    fn require_running(&self) -> Result<(), PrinterError> {
        if self.halted { Err(PrinterError::Halted) } else { Ok(()) }
    }

    /// A uniform draw for noise source `stream` at ms `t`: the same whatever was read before.
    fn draw(&self, stream: &str, t: u64) -> f64 {
        hashed_unit(self.seed, &self.name, stream, t)
    }

    /// `print_heater_states`: ` T:… /… B:… /… @:… B@:…` at ms `t`.
    fn heater_states(&self, t: u64) -> String {
        format!(
            " T:{} /{} B:{} /{} @:{} B@:{}",
            fmt2(self.hotend.reading_at(t, self.draw("hotend-sensor", t))),
            fmt2(self.hotend.target()),
            fmt2(self.bed.reading_at(t, self.draw("bed-sensor", t))),
            fmt2(self.bed.target()),
            self.hotend.power_at(t, self.draw("hotend-power", t)),
            self.bed.power_at(t, self.draw("bed-power", t)),
        )
    }

    /// `CardReader::report_status` (M27 and its auto-report).
    fn sd_status(&self) -> String {
        match &self.sd.selected {
            Some(file) if self.sd.printing => format!("{}{}/{}", texts::SD_PRINTING_BYTE, self.sd.pos, file.size),
            _ => texts::SD_NOT_PRINTING.to_string(),
        }
    }

    /// Executes the moves finished by `t`: the job's Z, layers and filament follow them.
    fn retire(&mut self, t: u64) {
        for block in self.planner.retire(t) {
            self.executed_z = block.to[2] + self.motion.shift[2];
            if self.sd.printing {
                self.stats.count_move(block.to[2], block.extruded);
            }
        }
    }

    /// `kill()`: the error line, heaters off, motion stopped, nothing more until a reset.
    fn kill(&mut self) {
        let t = self.clock;
        self.out.line(&format!("{}{}", texts::ERROR_PREFIX, texts::ERR_KILLED));
        self.hotend.off(t);
        self.bed.off(t);
        self.fan = 0;
        self.planner.quick_stop(t);
        self.timer.pause(t);
        self.wait = None;
        self.pending.clear();
        self.halted = true;
    }

    /// Runs queued work at `t` until something blocks: host lines first, then the card.
    fn pump(&mut self, t: u64) {
        while !self.halted && self.wait.is_none() {
            if let Some(raw) = self.pending.pop_front() {
                self.host_line(t, &raw);
            } else if self.sd.reading() && !self.finishing {
                match self.sd.next_line() {
                    Some(raw) => self.sd_line(t, &raw),
                    None => {
                        // The file is read to its end: M1001 waits for the moves, then announces it.
                        self.finishing = true;
                        self.wait = Some(Wait::Sync {
                            then: waits::AfterSync::FinishPrint,
                            source: Source::Sd,
                        });
                    }
                }
            } else {
                break;
            }
        }
    }

    fn host_line(&mut self, t: u64, raw: &[u8]) {
        match self.lines.check(raw, self.sd.saving.is_some()) {
            LineCheck::Empty => {}
            LineCheck::Error(message) => {
                let lines = self.lines.error_lines(message);
                self.out.raw(&lines);
            }
            LineCheck::Command(text) => {
                let command = Command::parse(&text);
                if self.sd.saving.is_some() && !line::is_m29(text.as_bytes()) {
                    self.save_line(&command.text);
                    self.ok(Source::Host);
                } else {
                    self.execute(t, command, Source::Host);
                }
            }
        }
    }

    fn sd_line(&mut self, t: u64, raw: &[u8]) {
        let cleaned = line::clean(raw);
        let text = String::from_utf8_lossy(&cleaned);
        if text.trim_matches(' ').is_empty() {
            return;
        }
        self.execute(t, Command::parse(&text), Source::Sd);
    }

    fn ok(&mut self, source: Source) {
        if source == Source::Host {
            self.out.line(texts::OK);
        }
    }

    fn echo(&mut self, text: &str) {
        self.out.line(&format!("{}{text}", texts::ECHO_PREFIX));
    }
}

/// A short print for examples and tests: homing, then three 0.3 mm layers of 40 moves of 10 mm at 10 mm/s
/// (about two minutes of printing).
pub fn sample_print() -> String {
    let mut g = String::from("G28\nG92 E0\n");
    for layer in 1..=3 {
        g.push_str(&format!("G1 Z{:.1} F300\n", layer as f64 * 0.3));
        for i in 0..40 {
            let x = if i % 2 == 0 { 20 } else { 10 };
            g.push_str(&format!("G1 X{x} Y10 E{} F600\n", layer * 40 + i));
        }
    }
    g
}

/// A float as Marlin prints it: two decimals, never `-0.00` for zero.
pub fn fmt2(v: f64) -> String {
    format!("{:.2}", round2(v) + 0.0)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

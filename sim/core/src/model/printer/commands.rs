//! What each G-code does (`GcodeSuite::process_parsed_command`): motion, heaters, fan, reports, the SD
//! card and print control, with Marlin's answers; anything else is `echo:Unknown command: "…"`.

use super::gcode::Command;
use super::motion::trapezoid_secs;
use super::sd::{Saving, Selected};
use super::waits::{AfterSync, Wait};
use super::{JobRecord, Printer, PrinterError, Source, fmt2, job, texts};
use crate::time::SimTime;

/// What follows a command: Marlin's `ok` now, or nothing (the command answered itself, or holds the queue
/// and answers when its wait ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Ok,
    Done,
}

impl Printer {
    /// Runs one parsed command at `t`: it answers now, or holds the queue with a wait.
    pub(super) fn execute(&mut self, t: u64, c: Command, source: Source) {
        if self.refuses_extruder(&c, source) {
            return;
        }
        let then = match (c.letter, c.code) {
            ('G', _) | ('M', 18 | 82 | 83 | 84 | 400) => self.motion_command(t, c, source),
            ('M', 104 | 105 | 106 | 107 | 109 | 140 | 155 | 190) => self.heat_command(t, &c, source),
            ('M', 20..=31 | 524) => self.sd_command(t, &c),
            ('M', _) => self.other_command(&c),
            ('T', 0) => Then::Ok,
            ('T', n) => {
                self.echo(&format!("T{n} {}", texts::INVALID_EXTRUDER));
                Then::Ok
            }
            _ => self.unknown(&c),
        };
        if then == Then::Ok {
            self.ok(source);
        }
    }

    /// `get_target_extruder_from_command`: there is one extruder, so `T1` and up on M104/M105/M109/M221 are
    /// refused (answered here, true).
    fn refuses_extruder(&mut self, c: &Command, source: Source) -> bool {
        if c.letter != 'M' || !matches!(c.code, 104 | 105 | 109 | 221) {
            return false;
        }
        // `value_byte` clamps to 0..=255 and the result is kept in an int8_t.
        let e = c.int('T').map(|v| v.clamp(0, 255) as u8 as i8);
        let Some(e) = e.filter(|e| *e >= 1) else {
            return false;
        };
        self.echo(&format!("M{} {} {e}", c.code, texts::INVALID_EXTRUDER));
        // M105 returns before its own "ok" and the dispatcher sends none for it.
        if c.code != 105 {
            self.ok(source);
        }
        true
    }

    /// `echo:Unknown command: "…"`.
    fn unknown(&mut self, c: &Command) -> Then {
        self.echo(&format!("{}{}\"", texts::UNKNOWN_COMMAND, c.text));
        Then::Ok
    }

    /// Waits for the planner to empty, then does `then`.
    fn sync_then(&mut self, t: u64, then: AfterSync, source: Source) -> Then {
        self.hold(t, Wait::Sync { then, source });
        Then::Done
    }

    /// Moves, dwells, homing, positioning modes, steppers off, M400.
    fn motion_command(&mut self, t: u64, c: Command, source: Source) -> Then {
        match (c.letter, c.code) {
            ('G', 0 | 1) => {
                if self.planner.is_full() {
                    self.hold(t, Wait::Move { command: c, source });
                    return Then::Done;
                }
                self.queue_move(t, &c);
            }
            ('G', 4) => {
                let ms = c.float('S').map(|s| s * 1000.0).or_else(|| c.float('P')).unwrap_or(0.0);
                let ms = ms.clamp(0.0, u64::MAX as f64 / 2.0) as u64;
                return self.sync_then(t, AfterSync::Dwell(ms), source);
            }
            ('G', 28) => {
                let named = [c.has('X'), c.has('Y'), c.has('Z')];
                let axes = if named.contains(&true) { named } else { [true; 3] };
                return self.sync_then(t, AfterSync::Home(axes), source);
            }
            ('G', 90) => (self.motion.relative_xyz, self.motion.relative_e) = (false, false),
            ('G', 91) => (self.motion.relative_xyz, self.motion.relative_e) = (true, true),
            ('G', 92) => {
                for (i, axis) in ['X', 'Y', 'Z'].into_iter().enumerate() {
                    if let Some(v) = c.float(axis) {
                        self.motion.shift[i] = v - self.motion.native[i];
                    }
                }
                if let Some(v) = c.float('E') {
                    self.motion.e = v;
                }
            }
            ('M', 82) => self.motion.relative_e = false,
            ('M', 83) => self.motion.relative_e = true,
            ('M', 18 | 84) => {
                let named = [c.has('X'), c.has('Y'), c.has('Z')];
                if !c.has('S') {
                    let axes = if named.contains(&true) || c.has('E') {
                        named
                    } else {
                        [true; 3]
                    };
                    for i in (0..3).filter(|&i| axes[i]) {
                        self.motion.homed[i] = false;
                    }
                }
            }
            ('M', 400) => return self.sync_then(t, AfterSync::Ok, source),
            _ => return self.unknown(&c),
        }
        Then::Ok
    }

    /// Heater targets and waits, M105, the temperature auto-report, the fan.
    fn heat_command(&mut self, t: u64, c: &Command, source: Source) -> Then {
        match c.code {
            104 | 109 => {
                if let Some(v) = c.float('S').or_else(|| c.float('R')) {
                    self.hotend.set_target(t, v);
                }
                if c.code == 109 {
                    self.wait_for_heater(t, false, c.float('S').is_some(), source);
                    return Then::Done;
                }
            }
            140 | 190 => {
                if let Some(v) = c.float('S').or_else(|| c.float('R')) {
                    self.bed.set_target(t, v);
                }
                if c.code == 190 {
                    self.wait_for_heater(t, true, c.float('S').is_some(), source);
                    return Then::Done;
                }
            }
            105 => {
                // M105 prints its own "ok" in front of the temperatures, whoever sent it.
                let line = format!("{}{}", texts::OK, self.heater_states(t));
                self.out.line(&line);
                return Then::Done;
            }
            106 => self.fan = c.float('S').map_or(255.0, |s| s.clamp(0.0, 255.0)) as u8,
            107 => self.fan = 0,
            155 => {
                if let Some(s) = c.float('S') {
                    self.temp_report.set(t, s.clamp(0.0, 60.0) as u64 * 1000);
                }
            }
            _ => return self.unknown(c),
        }
        Then::Ok
    }

    /// The SD card: list, mount, select, print, pause, seek, status, write, delete, print time, abort.
    fn sd_command(&mut self, t: u64, c: &Command) -> Then {
        match c.code {
            20 => self.list_files(),
            21 => {
                self.sd.mounted = true;
                self.echo(texts::SD_CARD_OK);
            }
            22 => {
                if !self.sd.printing {
                    self.sd.mounted = false;
                    self.sd.selected = None;
                    self.echo(texts::SD_CARD_RELEASED);
                }
            }
            23 => {
                // Simplify3D appends the size: the name ends at the first space.
                let name = c.string_arg().split(' ').next().unwrap_or("").to_string();
                if self.sd.mounted {
                    if self.sd.printing {
                        self.end_print(t, true);
                    }
                    let _ = self.open_file(&name);
                }
            }
            24 => {
                if self.sd.selected.is_some() {
                    self.start_or_resume();
                }
            }
            25 => {
                if self.sd.printing && !self.finishing {
                    self.pause_print();
                }
            }
            26 => {
                if let (true, Some(pos)) = (self.sd.mounted, c.int('S')) {
                    self.sd.pos = pos.max(0) as u64;
                }
            }
            27 => match c.float('S') {
                Some(s) => self.sd_report.set(t, s.clamp(0.0, 255.0) as u64 * 1000),
                None => {
                    let line = self.sd_status();
                    self.out.line(&line);
                }
            },
            28 => self.begin_saving(c.string_arg()),
            29 => {
                if let Some(saving) = self.sd.saving.take() {
                    let _ = self.sd.volume.write(&saving.path, saving.data, SimTime::from_millis(t));
                    self.out.line(texts::FILE_SAVED);
                }
            }
            30 => self.delete_file(t, c.string_arg()),
            31 => {
                let text = job::duration_text(self.timer.elapsed(t));
                self.echo(&format!("{}{text}", texts::PRINT_TIME));
            }
            524 => {
                if self.sd.printing {
                    self.abort_print();
                } else if self.sd.mounted {
                    self.sd.selected = None;
                }
            }
            _ => return self.unknown(c),
        }
        Then::Ok
    }

    /// Line numbers, kill, reports, the LCD message, serial print, progress, feed and flow rates.
    fn other_command(&mut self, c: &Command) -> Then {
        match c.code {
            110 => {
                if let Some(n) = c.int('N') {
                    self.lines.set(n);
                }
            }
            112 => {
                self.kill();
                return Then::Done;
            }
            114 => {
                let line = self.position_report();
                self.out.line(&line);
            }
            115 => self.firmware_report(),
            117 => self.status_message = c.string_arg().to_string(),
            118 => {
                let line = serial_print(c.string_arg());
                self.out.line(&line);
            }
            73 => {
                if let Some(p) = c.float('P') {
                    self.stats.progress_percent = Some(p.clamp(0.0, 100.0) as u8);
                }
                if let Some(r) = c.float('R') {
                    self.stats.remaining_min = Some(r.clamp(0.0, 1e9) as u64);
                }
            }
            220 => match c.float('S') {
                Some(s) => self.feed_percent = s.clamp(10.0, 999.0).trunc(),
                None => self.echo(&format!("FR:{}%", self.feed_percent)),
            },
            221 => match c.float('S') {
                Some(s) => self.flow_percent = s.clamp(10.0, 999.0).trunc(),
                None => self.echo(&format!("E0 Flow: {}%", self.flow_percent)),
            },
            _ => return self.unknown(c),
        }
        Then::Ok
    }

    /// G0/G1 (`G0_G1` + `prepare_line_to_destination`): refused on unhomed axes, clamped to the soft
    /// endstops, queued with its trapezoid time. The planner has a free slot.
    pub(super) fn queue_move(&mut self, t: u64, c: &Command) {
        let need = self.motion.needs_homing([c.has('X'), c.has('Y'), c.has('Z')]);
        if !need.is_empty() {
            return self.echo(&format!("{}{need}{}", texts::HOME_FIRST.0, texts::HOME_FIRST.1));
        }
        if let Some(f) = c.float('F').filter(|f| *f > 0.0) {
            self.motion.feedrate = f / 60.0;
        }
        let from = self.motion.native;
        let logical = self.motion.logical();
        let mut to = from;
        for (i, axis) in ['X', 'Y', 'Z'].into_iter().enumerate() {
            if let Some(v) = c.float(axis) {
                let target = if self.motion.relative_xyz { logical[i] + v } else { v };
                to[i] = (target - self.motion.shift[i]).clamp(0.0, self.cfg.build_volume[i]);
            }
        }
        let mut de = 0.0;
        if let Some(v) = c.float('E') {
            let e = if self.motion.relative_e { self.motion.e + v } else { v };
            de = e - self.motion.e;
            self.motion.e = e;
        }
        let flow = self.flow_percent / 100.0;
        if de != 0.0 && self.hotend.temp_at(t) < self.cfg.extrude_min_temp {
            self.echo(texts::COLD_EXTRUDE_STOP);
            de = 0.0;
        } else if (de * flow).abs() > self.cfg.extrude_max_length {
            self.echo(texts::LONG_EXTRUDE_STOP);
            de = 0.0;
        }
        let delta: [f64; 3] = std::array::from_fn(|i| to[i] - from[i]);
        let xyz = delta.iter().map(|d| d * d).sum::<f64>().sqrt();
        let length = if xyz > 1e-9 { xyz } else { de.abs() };
        self.motion.native = to;
        for (p, d) in self.motion.physical.iter_mut().zip(delta) {
            *p += d;
        }
        if length <= 1e-9 {
            return;
        }
        let axes = [delta[0], delta[1], delta[2], de];
        let mut speed = self.motion.feedrate * self.feed_percent / 100.0;
        let mut accel = if xyz <= 1e-9 {
            self.cfg.retract_acceleration
        } else if de > 0.0 {
            self.cfg.acceleration
        } else {
            self.cfg.travel_acceleration
        };
        for (i, d) in axes.iter().enumerate().filter(|(_, d)| d.abs() > 1e-12) {
            speed = speed.min(self.cfg.max_feedrate[i] * length / d.abs());
            accel = accel.min(self.cfg.max_acceleration[i] * length / d.abs());
        }
        let secs = trapezoid_secs(length, speed, accel, self.cfg.jerk);
        self.planner.push(t, secs, from, to, de * flow);
    }

    /// M114's line (`report_current_position_projected`): logical position, then stepper counts.
    pub(super) fn position_report(&self) -> String {
        let l = self.motion.logical();
        let steps: [i64; 3] =
            std::array::from_fn(|i| (self.motion.native[i] * self.cfg.steps_per_mm[i]).round() as i64);
        format!(
            "X:{} Y:{} Z:{} E:{}{}{} Y:{} Z:{}",
            fmt2(l[0]),
            fmt2(l[1]),
            fmt2(l[2]),
            fmt2(self.motion.e),
            texts::COUNT_X,
            steps[0],
            steps[1],
            steps[2]
        )
    }

    /// M115: the firmware line and the `Cap:` lines.
    fn firmware_report(&mut self) {
        let head = format!(
            "FIRMWARE_NAME:Marlin {} ({}) SOURCE_CODE_URL:{} PROTOCOL_VERSION:{} MACHINE_TYPE:{} EXTRUDER_COUNT:1 UUID:{}",
            texts::VERSION,
            texts::BUILD_DATE,
            texts::SOURCE_CODE_URL,
            texts::PROTOCOL_VERSION,
            self.cfg.machine_name,
            texts::MACHINE_UUID
        );
        self.out.line(&head);
        for (name, on) in texts::CAPABILITIES {
            self.out.line(&format!("Cap:{name}:{}", u8::from(*on)));
        }
    }

    /// M20.
    fn list_files(&mut self) {
        if !self.sd.mounted {
            return self.echo(texts::NO_MEDIA);
        }
        self.out.line(texts::BEGIN_FILE_LIST);
        for line in self.sd.listing() {
            self.out.line(&line);
        }
        self.out.line(texts::END_FILE_LIST);
    }

    /// `openFileRead` for a fresh print: `echo:Now fresh file:`, then `File opened:` and `File selected`,
    /// or `open failed, File: <name>.`.
    pub(super) fn open_file(&mut self, path: &str) -> Result<(), PrinterError> {
        if !self.sd.mounted {
            return Err(PrinterError::NoMedia);
        }
        let name = self.announce_open(path);
        let opened = self
            .sd
            .volume
            .normalize(path)
            .ok()
            .filter(|p| !p.is_empty())
            .and_then(|p| self.sd.volume.stat(&p).ok().filter(|e| !e.is_dir).map(|e| (p, e.size)));
        match opened {
            Some((path, size)) => {
                self.out
                    .line(&format!("{}{name}{}{size}", texts::SD_FILE_OPENED, texts::SD_SIZE));
                self.out.line(texts::SD_FILE_SELECTED);
                self.sd.selected = Some(Selected { path, size });
                self.sd.pos = 0;
                Ok(())
            }
            None => {
                self.out.line(&format!("{}{name}.", texts::SD_OPEN_FILE_FAIL));
                Err(PrinterError::OpenFailed(path.to_string()))
            }
        }
    }

    /// M24: starts the selected file, or resumes it.
    pub(super) fn start_or_resume(&mut self) {
        let t = self.clock;
        if !self.sd.printing {
            let Some(selected) = self.sd.selected.clone() else {
                return;
            };
            self.sd.printing = true;
            self.finishing = false;
            self.timer.reset();
            self.stats = job::PrintStats::default();
            self.job = Some(JobRecord {
                path: selected.path,
                size: selected.size,
                final_pos: None,
                cancelled: false,
            });
        }
        self.sd.paused = false;
        self.timer.start(t);
    }

    /// M25: the card stops being read; queued moves finish.
    pub(super) fn pause_print(&mut self) {
        self.sd.paused = true;
        self.timer.pause(self.clock);
    }

    /// M524 (`abortSDPrinting`): the file closes, the moves stop, heaters and fan go off.
    pub(super) fn abort_print(&mut self) {
        let t = self.clock;
        self.end_print(t, true);
        if let Some(at) = self.planner.quick_stop(t) {
            self.motion.native = at;
            self.motion.physical = at;
            self.executed_z = at[2] + self.motion.shift[2];
        }
        // A command the card sent dies with the print; a host's own wait runs on.
        if self.wait.as_ref().is_some_and(|w| w.source() == Source::Sd) {
            self.wait = None;
        }
        self.hotend.off(t);
        self.bed.off(t);
        self.fan = 0;
    }

    /// Closes the printing file: the job keeps its figures and is marked cancelled or done.
    fn end_print(&mut self, t: u64, cancelled: bool) {
        if let Some(job) = &mut self.job {
            job.final_pos = Some(self.sd.pos);
            job.cancelled = cancelled;
        }
        self.sd.printing = false;
        self.sd.paused = false;
        self.sd.selected = None;
        self.finishing = false;
        self.timer.pause(t);
    }

    /// M1001: print time (for prints over a minute), `Done printing file`, steppers off.
    pub(super) fn finish_print(&mut self, t: u64) {
        let elapsed = self.timer.elapsed(t);
        if elapsed > 60_000 {
            self.echo(&format!("{}{}", texts::PRINT_TIME, job::duration_text(elapsed)));
        }
        self.end_print(t, false);
        self.out.line(texts::FILE_PRINTED);
        // SD_FINISHED_RELEASECOMMAND "M84": the steppers let go, so the axes need homing again.
        self.motion.homed = [false; 3];
    }

    /// `announceOpen(2, path)`: `echo:Now fresh file: <path>`; returns the file's own name.
    fn announce_open(&mut self, path: &str) -> String {
        self.echo(&format!("Now fresh file: {path}"));
        base_name(path).to_string()
    }

    /// M28: `echo:Now fresh file:` and `Writing to file:`, or `open failed, File: <name>.`.
    fn begin_saving(&mut self, arg: &str) {
        if !self.sd.mounted {
            return;
        }
        let path = arg.trim_end_matches(' ');
        let name = self.announce_open(path);
        let t = SimTime::from_millis(self.clock);
        match self.sd.volume.normalize(path) {
            Ok(p) if !p.is_empty() && self.sd.volume.write(&p, Vec::new(), t).is_ok() => {
                self.out.line(&format!("{}{name}", texts::SD_WRITE_TO_FILE));
                self.sd.saving = Some(Saving {
                    path: p,
                    data: Vec::new(),
                });
            }
            _ => self.out.line(&format!("{}{name}.", texts::SD_OPEN_FILE_FAIL)),
        }
    }

    /// One line for the file M28 writes (`write_command`: the command, then `\r\n`).
    pub(super) fn save_line(&mut self, text: &str) {
        let Some(saving) = &self.sd.saving else { return };
        let fits = self
            .sd
            .volume
            .check_write(&saving.path, (saving.data.len() + text.len() + 2) as u64)
            .is_ok();
        if !fits {
            return self
                .out
                .line(&format!("{}{}", texts::ERROR_PREFIX, texts::SD_ERR_WRITE_TO_FILE));
        }
        if let Some(saving) = &mut self.sd.saving {
            saving.data.extend_from_slice(text.as_bytes());
            saving.data.extend_from_slice(b"\r\n");
        }
    }

    /// M30: closes the open file, then `File deleted:<name>` or `Deletion failed, File: <name>.`.
    fn delete_file(&mut self, t: u64, arg: &str) {
        if !self.sd.mounted {
            return;
        }
        if self.sd.printing {
            self.end_print(t, true);
        }
        self.sd.selected = None;
        let path = arg.trim_end_matches(' ');
        let name = base_name(path);
        match self.sd.volume.delete(path) {
            Ok(()) => self.out.line(&format!("{}{name}", texts::FILE_DELETED)),
            Err(_) => self.out.line(&format!("{}{name}.", texts::DELETION_FAILED)),
        }
    }
}

/// The last component of a card path (what Marlin's messages name).
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// What `M118 [A1] [E1] [Pn] text` prints (`gcode/host/M118.cpp`): up to three leading flags are parsed
/// out, `E1` puts `echo:` in front and `A1` puts `//` (an action command); `Pn` picks a port, and there is one.
fn serial_print(arg: &str) -> String {
    let (mut echo, mut action, mut rest) = (false, false, arg);
    for _ in 0..3 {
        let b = rest.as_bytes();
        match (b.first(), b.get(1)) {
            (Some(b'A'), Some(b'1')) => action = true,
            (Some(b'E'), Some(b'1')) => echo = true,
            (Some(b'P'), Some(d)) if d.is_ascii_digit() => {}
            _ => break,
        }
        rest = rest[2..].trim_start_matches(' ');
    }
    format!(
        "{}{}{rest}",
        if echo { texts::ECHO_PREFIX } else { "" },
        if action { "//" } else { "" }
    )
}

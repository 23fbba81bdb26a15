//! The print job as other protocols see it (the ESP3D UI, the Obico agent): state, file, bytes,
//! elapsed and remaining time, current Z, layer and filament, and the print job timer behind them.

/// Where the job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    /// No print running (a finished print also comes back here).
    Idle,
    /// Printing from the SD card.
    Printing,
    /// Paused (M25): the card is not read; queued moves still finish.
    Paused,
    /// The whole file is read; the last moves are still running.
    Finishing,
    /// The last print was cancelled (M524 or the host action), until the next one starts.
    Cancelled,
    /// The printer is halted (a heater fault or M112) until it is reset.
    Error,
}

/// A snapshot of the job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// The state.
    pub state: JobState,
    /// The selected file's path on the card, if any.
    pub file: Option<String>,
    /// Bytes of the file read so far.
    pub bytes_done: u64,
    /// The file's size.
    pub bytes_total: u64,
    /// Print time so far, in ms, pauses excluded.
    pub elapsed_ms: u64,
    /// Estimated time left, in ms: M73 R when the file gives it, else from the bytes' pace.
    pub estimated_left_ms: Option<u64>,
    /// The progress M73 P last set, if any.
    pub progress_percent: Option<u8>,
    /// The logical Z of the moves executed so far.
    pub current_z: f64,
    /// Layers begun: each extruding move at a new, higher Z starts one.
    pub layer: u32,
    /// Filament pushed so far in this print, in mm (retractions subtract).
    pub filament_mm: f64,
}

/// The print job timer (M75/M76/M77): runs while printing, stands still while paused.
#[derive(Clone, Debug, Default)]
pub struct JobTimer {
    running_since: Option<u64>,
    accumulated: u64,
}

impl JobTimer {
    /// Starts (or resumes) at `t`.
    pub fn start(&mut self, t: u64) {
        if self.running_since.is_none() {
            self.running_since = Some(t);
        }
    }

    /// Pauses at `t`.
    pub fn pause(&mut self, t: u64) {
        if let Some(since) = self.running_since.take() {
            self.accumulated += t.saturating_sub(since);
        }
    }

    /// Clears it for a new print.
    pub fn reset(&mut self) {
        *self = JobTimer::default();
    }

    /// Time counted by `t`, in ms.
    pub fn elapsed(&self, t: u64) -> u64 {
        self.accumulated + self.running_since.map_or(0, |since| t.saturating_sub(since))
    }
}

/// Per-print figures gathered from the moves as they execute.
#[derive(Clone, Debug, Default)]
pub struct PrintStats {
    /// Layers begun.
    pub layer: u32,
    /// The Z of the current layer.
    pub layer_z: Option<f64>,
    /// Filament used, in mm.
    pub filament_mm: f64,
    /// M73 P: the progress the file announces.
    pub progress_percent: Option<u8>,
    /// M73 R: the minutes left the file announces.
    pub remaining_min: Option<u64>,
}

impl PrintStats {
    /// Counts one executed move ending at native Z `z` that pushed `extruded` mm.
    pub fn count_move(&mut self, z: f64, extruded: f64) {
        self.filament_mm += extruded;
        if extruded > 0.0 && self.layer_z.is_none_or(|lz| z > lz + 1e-6) {
            self.layer += 1;
            self.layer_z = Some(z);
        }
    }
}

/// `duration_t::toString` (`libs/duration_t.h`): "1h 2m 3s", with days and years when there are any.
pub fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    let (y, d, h, m, sec) = (
        s / 31_536_000,
        (s / 86_400) % 365,
        (s / 3_600) % 24,
        (s / 60) % 60,
        s % 60,
    );
    if y > 0 {
        format!("{y}y {d}d {h}h {m}m {sec}s")
    } else if d > 0 {
        format!("{d}d {h}h {m}m {sec}s")
    } else if h > 0 {
        format!("{h}h {m}m {sec}s")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_stands_still_while_paused() {
        let mut t = JobTimer::default();
        t.start(1_000);
        t.pause(4_000);
        assert_eq!(t.elapsed(10_000), 3_000);
        t.start(20_000);
        assert_eq!(t.elapsed(21_000), 4_000);
    }

    #[test]
    fn layers_count_extruding_moves_at_new_heights() {
        let mut s = PrintStats::default();
        s.count_move(0.2, 1.0);
        s.count_move(0.2, 1.0);
        s.count_move(5.0, 0.0); // a travel hop is no layer
        s.count_move(0.4, 0.5);
        s.count_move(0.4, -0.5);
        assert_eq!(s.layer, 2);
        assert!((s.filament_mm - 2.0).abs() < 1e-9);
    }

    #[test]
    fn durations_read_as_marlin_writes_them() {
        assert_eq!(duration_text(59_999), "59s");
        assert_eq!(duration_text(3_723_000), "1h 2m 3s");
        assert_eq!(duration_text(90_061_000), "1d 1h 1m 1s");
    }
}

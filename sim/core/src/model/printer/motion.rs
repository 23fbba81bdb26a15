//! Cartesian motion: positions (native, with G92's workspace shift), homing state, G90/G91 and M82/M83,
//! and the planner queue of `BLOCK_BUFFER_SIZE` moves, each taking its trapezoid's time in sim time.

use std::collections::VecDeque;

use super::config::PrinterConfig;

/// `BLOCK_BUFFER_SIZE`: moves the planner holds.
pub const BLOCK_BUFFER_SIZE: usize = 16;

/// The time (s) of a move of `length` mm at cruise `speed`, accelerating at `accel` from and to the
/// speed `jerk` allows without acceleration: a trapezoid, or a triangle when the move is short.
pub fn trapezoid_secs(length: f64, speed: f64, accel: f64, jerk: f64) -> f64 {
    if length <= 0.0 || speed <= 0.0 {
        return 0.0;
    }
    let edge = jerk.min(speed).max(0.0);
    if accel <= 0.0 {
        return length / speed;
    }
    let ramp = (speed * speed - edge * edge) / (2.0 * accel);
    if 2.0 * ramp <= length {
        2.0 * (speed - edge) / accel + (length - 2.0 * ramp) / speed
    } else {
        let peak = (edge * edge + accel * length).sqrt();
        2.0 * (peak - edge) / accel
    }
}

/// One planned move.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// When the move starts, in ms (fractional).
    pub start_ms: f64,
    /// When it ends, in ms (fractional).
    pub end_ms: f64,
    /// Native XYZ at the start.
    pub from: [f64; 3],
    /// Native XYZ at the end.
    pub to: [f64; 3],
    /// Filament pushed by the move, after the flow factor (negative when retracting).
    pub extruded: f64,
}

impl Block {
    /// Where the head is at `t_ms` (linear within the move).
    pub fn position_at(&self, t_ms: f64) -> [f64; 3] {
        let span = self.end_ms - self.start_ms;
        let f = if span <= 0.0 {
            1.0
        } else {
            ((t_ms - self.start_ms) / span).clamp(0.0, 1.0)
        };
        std::array::from_fn(|i| self.from[i] + (self.to[i] - self.from[i]) * f)
    }
}

/// The planner queue: moves run back to back from the time they are queued.
#[derive(Clone, Debug, Default)]
pub struct Planner {
    blocks: VecDeque<Block>,
}

impl Planner {
    /// Whether no move is queued.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Whether a new move must wait for a slot.
    pub fn is_full(&self) -> bool {
        self.blocks.len() >= BLOCK_BUFFER_SIZE
    }

    /// When the last queued move ends (or `now` if none).
    pub fn drained_at(&self, now_ms: u64) -> u64 {
        self.blocks
            .back()
            .map_or(now_ms, |b| b.end_ms.ceil() as u64)
            .max(now_ms)
    }

    /// When a slot frees (the oldest move ends), or `now` when there is one already.
    pub fn slot_free_at(&self, now_ms: u64) -> u64 {
        if !self.is_full() {
            return now_ms;
        }
        self.blocks
            .front()
            .map_or(now_ms, |b| b.end_ms.ceil() as u64)
            .max(now_ms)
    }

    /// Queues a move of `secs` from `from` to `to`, starting when the previous one ends or at `now`.
    pub fn push(&mut self, now_ms: u64, secs: f64, from: [f64; 3], to: [f64; 3], extruded: f64) {
        let start = self
            .blocks
            .back()
            .map_or(now_ms as f64, |b| b.end_ms.max(now_ms as f64));
        self.blocks.push_back(Block {
            start_ms: start,
            end_ms: start + secs * 1000.0,
            from,
            to,
            extruded,
        });
    }

    /// Removes and returns the moves finished by `t_ms`, oldest first.
    pub fn retire(&mut self, t_ms: u64) -> Vec<Block> {
        let mut done = Vec::new();
        while self.blocks.front().is_some_and(|b| b.end_ms <= t_ms as f64) {
            done.extend(self.blocks.pop_front());
        }
        done
    }

    /// Stops everything at `t_ms` (`quickstop_stepper`): returns where the head is.
    pub fn quick_stop(&mut self, t_ms: u64) -> Option<[f64; 3]> {
        let at = self.blocks.front().map(|b| b.position_at(t_ms as f64));
        self.blocks.clear();
        at
    }
}

/// The axes' logical state: what M114 reports and what G-code moves from.
#[derive(Clone, Debug)]
pub struct Motion {
    /// Native XYZ of the last queued move (Marlin's `current_position` minus the shift).
    pub native: [f64; 3],
    /// Logical E.
    pub e: f64,
    /// G92's workspace shift (logical = native + shift).
    pub shift: [f64; 3],
    /// Which axes are homed (and so trusted).
    pub homed: [bool; 3],
    /// Where the head physically is once its queued moves end (differs from `native` until homed).
    pub physical: [f64; 3],
    /// G91 (relative XYZ).
    pub relative_xyz: bool,
    /// M83 (relative E).
    pub relative_e: bool,
    /// The sticky feedrate, mm/s.
    pub feedrate: f64,
}

impl Motion {
    /// The state at power-up: nothing homed, reported at 0, the head at rest somewhere.
    pub fn new(cfg: &PrinterConfig) -> Self {
        Motion {
            native: [0.0; 3],
            e: 0.0,
            shift: [0.0; 3],
            homed: [false; 3],
            physical: cfg.rest_position,
            relative_xyz: false,
            relative_e: false,
            // feedrate_mm_s = MMM_TO_MMS(1500)
            feedrate: 25.0,
        }
    }

    /// The logical XYZ.
    pub fn logical(&self) -> [f64; 3] {
        std::array::from_fn(|i| self.native[i] + self.shift[i])
    }

    /// Axes (of `wanted`) that need homing first, as Marlin names them ("XYZ", "Z", ...).
    pub fn needs_homing(&self, wanted: [bool; 3]) -> String {
        ["X", "Y", "Z"]
            .iter()
            .zip(wanted.iter().zip(self.homed))
            .filter(|(_, (w, h))| **w && !*h)
            .map(|(name, _)| *name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trapezoids_and_triangles() {
        // 100 mm at 50 mm/s, 1000 mm/s^2, from/to 10 mm/s: ramps of 1.2 mm each way, 0.04 s each.
        let t = trapezoid_secs(100.0, 50.0, 1000.0, 10.0);
        assert!((t - (0.08 + 97.6 / 50.0)).abs() < 1e-9, "{t}");
        // Too short to reach cruise: a triangle, faster than cruising the whole way would allow.
        let tri = trapezoid_secs(1.0, 200.0, 1000.0, 0.0);
        assert!((tri - 2.0 * (1000.0f64).sqrt() / 1000.0).abs() < 1e-9, "{tri}");
        assert_eq!(trapezoid_secs(0.0, 50.0, 1000.0, 10.0), 0.0);
    }

    #[test]
    fn the_queue_runs_moves_back_to_back_and_frees_slots_in_order() {
        let mut p = Planner::default();
        for i in 0..BLOCK_BUFFER_SIZE {
            p.push(1_000, 0.5, [0.0; 3], [i as f64, 0.0, 0.0], 0.0);
        }
        assert!(p.is_full());
        assert_eq!(p.slot_free_at(1_000), 1_500);
        assert_eq!(p.drained_at(1_000), 1_000 + 500 * BLOCK_BUFFER_SIZE as u64);
        assert_eq!(p.retire(2_000).len(), 2);
        assert_eq!(p.quick_stop(2_250), Some([2.0 * 0.5, 0.0, 0.0]));
        assert!(p.is_empty());
    }
}

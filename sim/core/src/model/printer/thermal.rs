//! A heater (hotend or bed) as a first-order thermal model solved in closed form: full power until the
//! target, then held there; off, it cools toward ambient. Any instant costs O(1), however far ahead.

use super::config::HeaterConfig;

/// The `@:` / `B@:` value at full power (`soft_pwm_amount`, the PID output >> 1).
pub const FULL_POWER: u8 = 127;

/// One heater's state since its target last changed.
#[derive(Clone, Debug)]
pub struct Heater {
    cfg: HeaterConfig,
    ambient: f64,
    target: f64,
    /// When the target last changed (ms), and the temperature then.
    since_ms: u64,
    temp_then: f64,
}

impl Heater {
    /// A cold heater at ambient with no target.
    pub fn new(cfg: HeaterConfig, ambient: f64) -> Self {
        Heater {
            cfg,
            ambient,
            target: 0.0,
            since_ms: 0,
            temp_then: ambient,
        }
    }

    /// The target (0 = off).
    pub fn target(&self) -> f64 {
        self.target
    }

    /// Sets the target at `t_ms`, clamped to what the firmware accepts.
    pub fn set_target(&mut self, t_ms: u64, target: f64) {
        let temp = self.temp_at(t_ms);
        self.temp_then = temp;
        self.since_ms = t_ms.max(self.since_ms);
        self.target = target.clamp(0.0, self.cfg.max_target_c);
    }

    fn tau_ms(&self) -> f64 {
        self.cfg.time_constant_s * 1000.0
    }

    /// The asymptote the heater is heading to, and whether it heats (full power) to get there.
    fn heading(&self) -> (f64, bool) {
        if self.target > 0.0 && self.temp_then < self.target {
            (self.ambient + self.cfg.gain_c, true)
        } else {
            (self.ambient, false)
        }
    }

    /// Milliseconds after the last change at which the temperature crosses `level`, if it ever does.
    fn crossing_after(&self, level: f64) -> Option<f64> {
        let (asymptote, _) = self.heading();
        let from = self.temp_then - asymptote;
        let to = level - asymptote;
        if from == 0.0 || to == 0.0 || from.signum() != to.signum() || to.abs() > from.abs() {
            return (level == self.temp_then).then_some(0.0);
        }
        Some(self.tau_ms() * (from / to).ln())
    }

    /// When (ms since the last change) the target is reached and then held, if ever.
    fn hold_after(&self) -> Option<f64> {
        if self.target <= 0.0 {
            return None;
        }
        self.crossing_after(self.target)
    }

    /// The noiseless temperature at `t_ms`.
    pub fn temp_at(&self, t_ms: u64) -> f64 {
        let dt = t_ms.saturating_sub(self.since_ms) as f64;
        if self.hold_after().is_some_and(|hold| dt >= hold) {
            return self.target;
        }
        let (asymptote, _) = self.heading();
        asymptote + (self.temp_then - asymptote) * (-dt / self.tau_ms()).exp()
    }

    /// The fraction of full power at `t_ms`: 1 while heating, the holding duty at the target, 0 cooling.
    pub fn duty_at(&self, t_ms: u64) -> f64 {
        let dt = t_ms.saturating_sub(self.since_ms) as f64;
        match self.hold_after() {
            Some(hold) if dt >= hold => ((self.target - self.ambient) / self.cfg.gain_c).clamp(0.0, 1.0),
            _ if self.heading().1 => 1.0,
            _ => 0.0,
        }
    }

    /// The reported power at `t_ms` (`@:`): a PID heater reports its duty, a bang-bang one is on or off,
    /// `draw` (uniform in [0, 1)) deciding which in proportion to the duty.
    pub fn power_at(&self, t_ms: u64, draw: f64) -> u8 {
        let duty = self.duty_at(t_ms);
        if self.cfg.pid || duty >= 1.0 {
            (duty * f64::from(FULL_POWER)).round() as u8
        } else if draw < duty {
            FULL_POWER
        } else {
            0
        }
    }

    /// The reading at `t_ms` with sensor noise from `draw` (uniform in [0, 1)).
    pub fn reading_at(&self, t_ms: u64, draw: f64) -> f64 {
        self.temp_at(t_ms) + self.cfg.noise_c * (2.0 * draw - 1.0)
    }

    /// The first ms at or after `from_ms` at which the temperature is within `window` of the target, if
    /// it ever gets there on its present course.
    pub fn within_window_at(&self, from_ms: u64, window: f64) -> Option<u64> {
        if (self.temp_at(from_ms) - self.target).abs() < window {
            return Some(from_ms);
        }
        let level = if self.temp_then < self.target {
            self.target - window
        } else {
            self.target + window
        };
        let after = self.crossing_after(level)?;
        let at = self.since_ms as f64 + after;
        Some((at.ceil() as u64).max(from_ms).saturating_add(1))
    }

    /// Turns the heater off at `t_ms` (a kill, an abort).
    pub fn off(&mut self, t_ms: u64) {
        self.set_target(t_ms, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::printer::config::PrinterConfig;

    fn hotend() -> Heater {
        Heater::new(PrinterConfig::default().hotend, 22.0)
    }

    #[test]
    fn the_hotend_reaches_200_in_about_a_minute_and_holds() {
        let mut h = hotend();
        h.set_target(0, 200.0);
        let reached = h.within_window_at(0, 0.001).unwrap();
        assert!((55_000..65_000).contains(&reached), "{reached}");
        assert_eq!(h.duty_at(10_000), 1.0);
        assert_eq!(h.power_at(10_000, 0.5), FULL_POWER);
        assert_eq!(h.temp_at(120_000), 200.0);
        // Holding 200 C takes (200 - 22) / 280 of full power.
        assert_eq!(h.power_at(120_000, 0.5), 81);
        assert!(h.temp_at(30_000) > 100.0 && h.temp_at(30_000) < 200.0);
    }

    #[test]
    fn the_bed_reaches_60_in_a_few_minutes() {
        let mut b = Heater::new(PrinterConfig::default().bed, 22.0);
        b.set_target(0, 60.0);
        let reached = b.within_window_at(0, 0.001).unwrap();
        assert!((150_000..240_000).contains(&reached), "{reached}");
        // Bang-bang: on or off at the holding duty.
        assert_eq!(b.power_at(300_000, 0.0), FULL_POWER);
        assert_eq!(b.power_at(300_000, 0.99), 0);
    }

    #[test]
    fn off_it_cools_toward_ambient_and_never_below() {
        let mut h = hotend();
        h.set_target(0, 200.0);
        h.off(100_000);
        assert_eq!(h.duty_at(100_001), 0.0);
        let later = h.temp_at(100_000 + 60_000);
        assert!(later < 200.0 && later > 22.0, "{later}");
        assert!((h.temp_at(u64::MAX / 2) - 22.0).abs() < 1e-9);
        // A cooling target above ambient is reached and held.
        h.set_target(110_000, 100.0);
        assert!(h.temp_at(110_000) > 100.0);
        let near = h.within_window_at(110_000, 1.0).unwrap();
        assert!(near > 110_000 && h.temp_at(near) < 101.0);
        assert_eq!(h.temp_at(near + 60_000), 100.0);
    }

    #[test]
    fn targets_are_clamped_to_the_firmware_maximum() {
        let mut h = hotend();
        h.set_target(0, 999.0);
        assert_eq!(h.target(), 260.0);
        h.set_target(0, -5.0);
        assert_eq!(h.target(), 0.0);
    }
}

//! xArm gripper model: position 0..=850 (850 = open) moving at a constant rate set by speed.
//! Position is a pure function of the last command and the sample time.

use crate::time::SimTime;

/// Fully closed.
pub const MIN_POS: f64 = 0.0;
/// Fully open (`xarm_params.yaml` `max_pos`).
pub const MAX_POS: f64 = 850.0;
/// Default speed (`xarm_ros2` `xarm_params.yaml` `xarm_gripper.speed`), in the SDK's r/min units.
pub const DEFAULT_SPEED: f64 = 2000.0;
/// Highest speed honoured; larger requests are capped (simulator-defined; the SDK has no clamp).
pub const MAX_SPEED: f64 = 10_000.0;
/// Position units per second for each unit of speed: speed 2000 moves 400 units/s, so a full
/// stroke takes 2.125 s; speed 5000 takes 0.85 s (simulator-defined).
pub const UNITS_PER_SEC_PER_SPEED: f64 = 0.2;

/// Why a gripper command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GripperError {
    /// Position outside `0..=850` or not finite.
    OutOfRange,
    /// Speed not positive or not finite.
    InvalidSpeed,
}

impl std::fmt::Display for GripperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GripperError::OutOfRange => write!(f, "gripper position must be within 0..=850"),
            GripperError::InvalidSpeed => write!(f, "gripper speed must be positive"),
        }
    }
}

impl std::error::Error for GripperError {}

/// A gripper moving linearly from `from` to `target`, starting at `since`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gripper {
    from: f64,
    target: f64,
    speed: f64,
    since: SimTime,
    until: SimTime,
}

impl Default for Gripper {
    /// Open and at rest at time zero, with the default speed.
    fn default() -> Self {
        Gripper {
            from: MAX_POS,
            target: MAX_POS,
            speed: DEFAULT_SPEED,
            since: SimTime::ZERO,
            until: SimTime::ZERO,
        }
    }
}

fn check_pos(pos: f64) -> Result<f64, GripperError> {
    if pos.is_finite() && (MIN_POS..=MAX_POS).contains(&pos) {
        Ok(pos)
    } else {
        Err(GripperError::OutOfRange)
    }
}

impl Gripper {
    /// A gripper at rest at `pos` (0..=850).
    pub fn at(pos: f64) -> Result<Gripper, GripperError> {
        let pos = check_pos(pos)?;
        Ok(Gripper {
            from: pos,
            target: pos,
            ..Gripper::default()
        })
    }

    /// Starts moving from wherever the gripper is at `now` towards `pos` at `speed`
    /// (capped at [`MAX_SPEED`]). Errors leave the current motion untouched.
    pub fn set_target(&mut self, pos: f64, speed: f64, now: SimTime) -> Result<(), GripperError> {
        let pos = check_pos(pos)?;
        if !speed.is_finite() || speed <= 0.0 {
            return Err(GripperError::InvalidSpeed);
        }
        let speed = speed.min(MAX_SPEED);
        let from = self.sample(now);
        let rate = speed * UNITS_PER_SEC_PER_SPEED;
        let ms = ((pos - from).abs() / rate * 1000.0).ceil();
        // At most 850 / 0.2 s = 4250 s, so the cast is exact.
        let until = SimTime::from_millis(now.as_millis().saturating_add(ms as u64));
        *self = Gripper {
            from,
            target: pos,
            speed,
            since: now,
            until,
        };
        Ok(())
    }

    /// Position at `now`: moves monotonically from the start position to the target and
    /// equals the target exactly from the end of the move on.
    pub fn sample(&self, now: SimTime) -> f64 {
        if now >= self.until {
            return self.target;
        }
        let travelled = self.speed * UNITS_PER_SEC_PER_SPEED * now.saturating_since(self.since) as f64 / 1000.0;
        if self.target >= self.from {
            (self.from + travelled).min(self.target)
        } else {
            (self.from - travelled).max(self.target)
        }
    }

    /// Whether the gripper is still moving at `now`.
    pub fn is_moving(&self, now: SimTime) -> bool {
        now < self.until && self.sample(now) != self.target
    }

    /// The commanded target position.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// The speed of the last accepted command.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// When the current move ends (or ended).
    pub fn end_time(&self) -> SimTime {
        self.until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn starts_open_and_closes_at_the_documented_rate() {
        let mut g = Gripper::default();
        assert_eq!(g.sample(ms(0)), 850.0);
        assert!(!g.is_moving(ms(0)));
        assert_eq!(g.set_target(0.0, DEFAULT_SPEED, ms(1000)), Ok(()));
        assert!(g.is_moving(ms(1000)));
        assert_eq!(g.sample(ms(2000)), 450.0); // 400 units/s
        assert_eq!(g.end_time(), ms(1000 + 2125));
        assert_eq!(g.sample(ms(3125)), 0.0);
        assert!(!g.is_moving(ms(3125)));
    }

    #[test]
    fn rejects_out_of_range_and_bad_speed_without_changing_state() {
        let mut g = Gripper::default();
        let before = g;
        assert_eq!(g.set_target(851.0, 2000.0, ms(0)), Err(GripperError::OutOfRange));
        assert_eq!(g.set_target(-1.0, 2000.0, ms(0)), Err(GripperError::OutOfRange));
        assert_eq!(g.set_target(f64::NAN, 2000.0, ms(0)), Err(GripperError::OutOfRange));
        assert_eq!(g.set_target(100.0, 0.0, ms(0)), Err(GripperError::InvalidSpeed));
        assert_eq!(g, before);
        assert_eq!(Gripper::at(900.0), Err(GripperError::OutOfRange));
        assert_eq!(Gripper::at(0.0).map(|g| g.sample(ms(5))), Ok(0.0));
    }

    #[test]
    fn retarget_mid_move_starts_from_the_current_position() {
        let mut g = Gripper::default();
        assert!(g.set_target(0.0, 5000.0, ms(0)).is_ok());
        let mid = g.sample(ms(500)); // 1000 units/s
        assert_eq!(mid, 350.0);
        assert!(g.set_target(850.0, 5000.0, ms(500)).is_ok());
        assert_eq!(g.sample(ms(500)), 350.0);
        assert_eq!(g.sample(ms(1000)), 850.0);
        assert!(g.set_target(400.0, 1e9, ms(2000)).is_ok());
        assert_eq!(g.speed(), MAX_SPEED);
    }

    proptest! {
        #[test]
        fn prop_monotonic_convergence(
            start in 0.0f64..=850.0,
            target in 0.0f64..=850.0,
            speed in 1.0f64..10_000.0,
            t0 in 0u64..1_000_000,
        ) {
            let mut g = Gripper::at(start).map_err(|e| TestCaseError::fail(e.to_string()))?;
            g.set_target(target, speed, ms(t0)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut prev = g.sample(ms(t0));
            prop_assert_eq!(prev, start);
            let end = g.end_time().as_millis();
            let step = ((end - t0) / 500).max(1);
            let mut t = t0;
            while t <= end + step {
                let p = g.sample(ms(t));
                prop_assert!((0.0..=850.0).contains(&p));
                prop_assert!((p - target).abs() <= (prev - target).abs());
                let forward = if target >= start { p >= prev } else { p <= prev };
                prop_assert!(forward);
                prev = p;
                t += step;
            }
            prop_assert_eq!(g.sample(g.end_time()), target);
            prop_assert!(!g.is_moving(g.end_time()));
        }
    }
}

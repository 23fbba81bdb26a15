//! Differential-drive mobile base advanced in fixed 1 ms substeps of sim time (no clock, no I/O).
//! Same cmd_vel at the same sim times → bit-identical output, however often it is ticked.
//!
//! # Input
//! `cmd_vel` with data `{"linear": m/s, "angular": rad/s}` (both required, finite). A client sends
//! it as a publish on topic [`CMD_VEL_TOPIC`] (name `"cmd_vel"`, type [`CMD_VEL_TYPE`]); routing it
//! here is the server's job. Values beyond [`MAX_LINEAR`] / [`MAX_ANGULAR`] are clamped.
//!
//! # Dynamics
//! Each 1 ms step moves the velocities toward the target by at most [`LINEAR_ACCEL`] /
//! [`ANGULAR_ACCEL`] × 1 ms, then integrates the pose along the exact arc of the step's mean
//! velocities; `theta` is kept in (-π, π]. The watchdog arms on a non-zero cmd_vel: if no cmd_vel
//! arrives for [`WATCHDOG_MS`], the target becomes zero (the base decelerates at the limits) and one
//! `watchdog` warning is published; the next cmd_vel publishes a `watchdog` ok. The battery drains
//! [`IDLE_DRAIN_PCT_PER_S`] plus [`MOTION_DRAIN_PCT_PER_S`] × (|linear| + |angular|); at 0 % the
//! motors are disabled.
//!
//! # Output ([`Publication`]; `t` in data is sim ms)
//! | topic | name | type | when | data |
//! |---|---|---|---|---|
//! | `odom` | `odom` | `nav_msgs/Odometry` | every 100 ms from creation | `{x, y, theta, linear, angular, t}` |
//! | `battery` | `battery` | `sensor_msgs/BatteryState` | every 1000 ms from creation | `{percentage, voltage, t}` |
//! | `diagnostics` | `diagnostics` | `diagnostic_msgs/DiagnosticStatus` | on change | `{level, name, message, t}` |
//!
//! Diagnostics (`level` ∈ ok/warn/error): `watchdog` warn on timeout / ok on resume; `cmd_vel` warn
//! when a command starts being clamped / ok when commands are within limits again; `battery` warn
//! once below [`BATTERY_LOW_PCT`] and error once at 0 %. Publications due at the same millisecond
//! come in this order: watchdog, battery diagnostics, odom, battery.
//!
//! # Catching up
//! A tick that covers more than [`CATCH_UP_WINDOW_MS`] (a clock jump) publishes only the odom and battery
//! reports of its last window, and coasts through the idle stretch before it in a few steps per binade of
//! the battery charge (bit for bit as the 1 ms steps would leave it), so a jump of a month costs what a
//! jump of a minute does. Diagnostics are never skipped.

use crate::model::repeat_sub::repeat_subtract;

use serde_json::{Value, json};

use crate::time::SimTime;

/// Maximum |linear| velocity, m/s; commands beyond are clamped.
pub const MAX_LINEAR: f64 = 1.0;
/// Maximum |angular| velocity, rad/s; commands beyond are clamped.
pub const MAX_ANGULAR: f64 = 2.0;
/// Linear acceleration limit, m/s² (applies to speeding up and braking).
pub const LINEAR_ACCEL: f64 = 0.5;
/// Angular acceleration limit, rad/s².
pub const ANGULAR_ACCEL: f64 = 2.0;
/// Time without cmd_vel after which the watchdog zeroes the target, ms.
pub const WATCHDOG_MS: u64 = 500;
/// Integration substep, ms. Every state change happens on this grid.
pub const STEP_MS: u64 = 1;
/// Odometry period, ms (10 Hz).
pub const ODOM_PERIOD_MS: u64 = 100;
/// Battery report period, ms (1 Hz).
pub const BATTERY_PERIOD_MS: u64 = 1000;
/// How far back from the time a tick advances to periodic reports are still published (ms).
pub const CATCH_UP_WINDOW_MS: u64 = 60_000;
/// Battery voltage at 100 %, V.
pub const BATTERY_FULL_VOLTAGE: f64 = 12.6;
/// Battery voltage at 0 %, V (linear in between).
pub const BATTERY_EMPTY_VOLTAGE: f64 = 10.5;
/// Drain while powered, whatever the motion, in percentage points per second.
pub const IDLE_DRAIN_PCT_PER_S: f64 = 0.01;
/// Extra drain per unit of (|linear| m/s + |angular| rad/s), percentage points per second.
pub const MOTION_DRAIN_PCT_PER_S: f64 = 0.02;
/// Below this percentage a `battery` warning is published (once).
pub const BATTERY_LOW_PCT: f64 = 20.0;

/// Topic clients publish velocity commands on.
pub const CMD_VEL_TOPIC: &str = "cmd_vel";
/// Payload type a client should give cmd_vel publications.
pub const CMD_VEL_TYPE: &str = "geometry_msgs/Twist";
/// Odometry topic (also the publication name).
pub const ODOM_TOPIC: &str = "odom";
/// Odometry payload type.
pub const ODOM_TYPE: &str = "nav_msgs/Odometry";
/// Battery topic (also the publication name).
pub const BATTERY_TOPIC: &str = "battery";
/// Battery payload type.
pub const BATTERY_TYPE: &str = "sensor_msgs/BatteryState";
/// Diagnostics topic (also the publication name).
pub const DIAGNOSTICS_TOPIC: &str = "diagnostics";
/// Diagnostics payload type.
pub const DIAGNOSTICS_TYPE: &str = "diagnostic_msgs/DiagnosticStatus";

const STEP_SECS: f64 = STEP_MS as f64 / 1000.0;

/// One message the base wants published.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    /// Sim time the data describes (the scheduled or triggering millisecond).
    pub at: SimTime,
    /// Topic to publish on.
    pub topic: &'static str,
    /// Payload `name`.
    pub name: &'static str,
    /// Payload `type`.
    pub kind: &'static str,
    /// Payload `data`.
    pub data: Value,
}

/// Severity of a diagnostics publication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagLevel {
    /// Condition cleared.
    Ok,
    /// Degraded but operating.
    Warn,
    /// Not operating.
    Error,
}

impl DiagLevel {
    /// Wire form: `"ok"`, `"warn"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagLevel::Ok => "ok",
            DiagLevel::Warn => "warn",
            DiagLevel::Error => "error",
        }
    }
}

/// A velocity command.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CmdVel {
    /// Forward velocity, m/s.
    pub linear: f64,
    /// Yaw rate, rad/s (counter-clockwise positive).
    pub angular: f64,
}

/// Why a cmd_vel was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdVelError {
    /// The data is not a JSON object.
    NotObject,
    /// The named field is absent or null.
    Missing(&'static str),
    /// The named field is not a finite number.
    NotFinite(&'static str),
}

impl CmdVelError {
    /// Human-readable reason, for an error reply.
    pub fn reason(&self) -> String {
        match self {
            CmdVelError::NotObject => "cmd_vel data must be an object".into(),
            CmdVelError::Missing(field) => format!("cmd_vel.{field} is missing"),
            CmdVelError::NotFinite(field) => format!("cmd_vel.{field} must be a finite number"),
        }
    }
}

impl std::fmt::Display for CmdVelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for CmdVelError {}

impl CmdVel {
    /// Reads `{"linear": number, "angular": number}` (extra fields ignored).
    pub fn from_json(data: &Value) -> Result<CmdVel, CmdVelError> {
        let obj = data.as_object().ok_or(CmdVelError::NotObject)?;
        let field = |name: &'static str| match obj.get(name) {
            None | Some(Value::Null) => Err(CmdVelError::Missing(name)),
            Some(v) => v.as_f64().ok_or(CmdVelError::NotFinite(name)),
        };
        CmdVel {
            linear: field("linear")?,
            angular: field("angular")?,
        }
        .validated()
    }

    /// Returns the command if both components are finite.
    pub fn validated(self) -> Result<CmdVel, CmdVelError> {
        if !self.linear.is_finite() {
            Err(CmdVelError::NotFinite("linear"))
        } else if !self.angular.is_finite() {
            Err(CmdVelError::NotFinite("angular"))
        } else {
            Ok(self)
        }
    }
}

/// A snapshot of the base's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseState {
    /// Sim time the snapshot is for.
    pub at: SimTime,
    /// Position, m.
    pub x: f64,
    /// Position, m.
    pub y: f64,
    /// Heading, rad, in (-π, π].
    pub theta: f64,
    /// Current linear velocity, m/s.
    pub linear: f64,
    /// Current angular velocity, rad/s.
    pub angular: f64,
    /// Commanded (clamped) linear velocity, m/s.
    pub target_linear: f64,
    /// Commanded (clamped) angular velocity, rad/s.
    pub target_angular: f64,
    /// Battery charge, 0..=100.
    pub battery_percentage: f64,
    /// Battery voltage, V.
    pub voltage: f64,
}

/// The simulated base. Create with [`MobileBase::new`], feed [`MobileBase::set_cmd_vel`], and
/// call [`MobileBase::tick`] at or after [`MobileBase::next_deadline`].
#[derive(Clone, Debug)]
pub struct MobileBase {
    t: u64,
    x: f64,
    y: f64,
    theta: f64,
    v: f64,
    w: f64,
    target_v: f64,
    target_w: f64,
    ramp_from_v: f64,
    ramp_from_w: f64,
    ramp_ms: u64,
    battery_pct: f64,
    last_cmd: u64,
    watchdog_armed: bool,
    watchdog_tripped: bool,
    clamping: bool,
    low_reported: bool,
    empty_reported: bool,
    next_odom: u64,
    next_battery: u64,
    /// Periodic reports due before this time are skipped (they fell out of the catch-up window).
    publish_from: u64,
    pending: Vec<Publication>,
}

impl MobileBase {
    /// A base at rest at the origin with a full battery, created at `start`; its first
    /// odom and battery reports are due at `start`.
    pub fn new(start: SimTime) -> MobileBase {
        let t = start.as_millis();
        MobileBase {
            t,
            x: 0.0,
            y: 0.0,
            theta: 0.0,
            v: 0.0,
            w: 0.0,
            target_v: 0.0,
            target_w: 0.0,
            ramp_from_v: 0.0,
            ramp_from_w: 0.0,
            ramp_ms: 0,
            battery_pct: 100.0,
            last_cmd: t,
            watchdog_armed: false,
            watchdog_tripped: false,
            clamping: false,
            low_reported: false,
            empty_reported: false,
            next_odom: t,
            next_battery: t,
            publish_from: t,
            pending: Vec::new(),
        }
    }

    /// Same base with the battery at `percentage` (clamped to 0..=100; non-finite → 100).
    pub fn with_battery_percentage(mut self, percentage: f64) -> MobileBase {
        self.battery_pct = if percentage.is_finite() {
            percentage.clamp(0.0, 100.0)
        } else {
            100.0
        };
        self
    }

    /// Applies a velocity command received at `now` (a time before the model's current time is
    /// taken as the current time). Invalid commands change nothing.
    pub fn set_cmd_vel(&mut self, now: SimTime, cmd: CmdVel) -> Result<(), CmdVelError> {
        let cmd = cmd.validated()?;
        let t = now.as_millis().max(self.t);
        self.advance_to(t);
        // `+ 0.0` turns -0.0 into 0.0 so reports never show "-0.0".
        let v = cmd.linear.clamp(-MAX_LINEAR, MAX_LINEAR) + 0.0;
        let w = cmd.angular.clamp(-MAX_ANGULAR, MAX_ANGULAR) + 0.0;
        let clamped = v != cmd.linear || w != cmd.angular;
        if clamped != self.clamping {
            self.clamping = clamped;
            let (level, msg) = if clamped {
                (
                    DiagLevel::Warn,
                    "cmd_vel clamped to |linear| <= 1 m/s, |angular| <= 2 rad/s",
                )
            } else {
                (DiagLevel::Ok, "cmd_vel within limits")
            };
            self.diag(level, "cmd_vel", msg);
        }
        if self.watchdog_tripped {
            self.watchdog_tripped = false;
            self.diag(DiagLevel::Ok, "watchdog", "cmd_vel resumed");
        }
        self.last_cmd = t;
        if self.empty_reported {
            self.retarget(0.0, 0.0);
        } else {
            self.retarget(v, w);
            self.watchdog_armed = v != 0.0 || w != 0.0;
        }
        Ok(())
    }

    /// Sets the charge to `percentage` (clamped to 0..=100) at `now`, as a charger or a fresh pack would.
    /// A non-finite value changes nothing and returns `false`. When the battery's level (ok, below
    /// [`BATTERY_LOW_PCT`], empty) changes, one `battery` diagnostic with the new level is published;
    /// an empty battery disables the motors and a charged one enables them again.
    pub fn set_battery_percentage(&mut self, now: SimTime, percentage: f64) -> bool {
        if !percentage.is_finite() {
            return false;
        }
        let t = now.as_millis().max(self.t);
        self.advance_to(t);
        let level = |low: bool, empty: bool| match (low, empty) {
            (_, true) => DiagLevel::Error,
            (true, false) => DiagLevel::Warn,
            (false, false) => DiagLevel::Ok,
        };
        let before = level(self.low_reported, self.empty_reported);
        self.battery_pct = percentage.clamp(0.0, 100.0);
        self.low_reported = self.battery_pct < BATTERY_LOW_PCT;
        self.empty_reported = self.battery_pct <= 0.0;
        let after = level(self.low_reported, self.empty_reported);
        if after == DiagLevel::Error {
            self.watchdog_armed = false;
            self.retarget(0.0, 0.0);
        }
        if after != before {
            let message = match after {
                DiagLevel::Ok => "battery ok",
                DiagLevel::Warn => "battery below 20%",
                DiagLevel::Error => "battery empty; motors disabled",
            };
            self.diag(after, "battery", message);
        }
        true
    }

    /// Advances to `now` and returns everything published since the last call, in order.
    pub fn tick(&mut self, now: SimTime) -> Vec<Publication> {
        self.advance_to(now.as_millis());
        std::mem::take(&mut self.pending)
    }

    /// When [`MobileBase::tick`] next has something to return: the current time if
    /// publications are pending, else the earliest of the next odom, battery report and
    /// watchdog expiry. Battery-threshold diagnostics are not predicted; they come with the
    /// next tick (at most [`ODOM_PERIOD_MS`] later) stamped with the crossing time.
    pub fn next_deadline(&self) -> SimTime {
        if !self.pending.is_empty() {
            return SimTime::from_millis(self.t);
        }
        let mut next = self.next_odom.min(self.next_battery);
        if self.watchdog_armed {
            next = next.min(self.last_cmd.saturating_add(WATCHDOG_MS));
        }
        SimTime::from_millis(next)
    }

    /// The model's current sim time (how far it has been advanced).
    pub fn now(&self) -> SimTime {
        SimTime::from_millis(self.t)
    }

    /// A snapshot of the state at [`MobileBase::now`].
    pub fn state(&self) -> BaseState {
        BaseState {
            at: self.now(),
            x: self.x,
            y: self.y,
            theta: self.theta,
            linear: self.v,
            angular: self.w,
            target_linear: self.target_v,
            target_angular: self.target_w,
            battery_percentage: self.battery_pct,
            voltage: voltage(self.battery_pct),
        }
    }

    /// Runs every millisecond from the current time to `target`, handling each time point once.
    fn advance_to(&mut self, target: u64) {
        self.publish_from = self.publish_from.max(target.saturating_sub(CATCH_UP_WINDOW_MS));
        loop {
            self.process_time_point();
            if self.t >= target {
                break;
            }
            if self.t < self.publish_from && self.coast(self.publish_from - self.t) {
                continue;
            }
            self.step();
            self.t += STEP_MS;
        }
    }

    /// At rest, takes up to `steps` 1 ms steps at once (nothing moves, only the battery drains), stopping
    /// before a battery threshold so that `process_time_point` sees the crossing millisecond. Returns
    /// whether it advanced; `false` means take one ordinary step.
    fn coast(&mut self, steps: u64) -> bool {
        let at_rest = [self.v, self.w, self.target_v, self.target_w] == [0.0; 4] && !self.watchdog_armed;
        if !at_rest {
            return false;
        }
        let floor = if !self.low_reported {
            BATTERY_LOW_PCT
        } else if !self.empty_reported {
            f64::MIN_POSITIVE
        } else {
            0.0
        };
        let drain = IDLE_DRAIN_PCT_PER_S + MOTION_DRAIN_PCT_PER_S * 0.0;
        let (battery, done) = repeat_subtract(self.battery_pct, drain * STEP_SECS, steps, floor);
        if done == 0 {
            return false;
        }
        self.battery_pct = battery;
        // What `step` leaves at rest: velocities exactly on their (zero) targets.
        (self.v, self.w) = (self.target_v, self.target_w);
        self.ramp_ms += done * STEP_MS;
        self.t += done * STEP_MS;
        true
    }

    /// Events at the current millisecond. Idempotent: calling it twice at one time adds nothing.
    fn process_time_point(&mut self) {
        if self.watchdog_armed && self.t >= self.last_cmd.saturating_add(WATCHDOG_MS) {
            self.watchdog_armed = false;
            self.watchdog_tripped = true;
            self.retarget(0.0, 0.0);
            self.diag(DiagLevel::Warn, "watchdog", "no cmd_vel for 500 ms; stopping");
        }
        if !self.low_reported && self.battery_pct < BATTERY_LOW_PCT {
            self.low_reported = true;
            self.diag(DiagLevel::Warn, "battery", "battery below 20%");
        }
        if !self.empty_reported && self.battery_pct <= 0.0 {
            self.empty_reported = true;
            self.watchdog_armed = false;
            self.retarget(0.0, 0.0);
            self.diag(DiagLevel::Error, "battery", "battery empty; motors disabled");
        }
        let skip_before = self.publish_from.min(self.t + 1);
        skip_reports(&mut self.next_odom, ODOM_PERIOD_MS, skip_before);
        skip_reports(&mut self.next_battery, BATTERY_PERIOD_MS, skip_before);
        while self.next_odom <= self.t {
            let at = self.next_odom;
            self.next_odom += ODOM_PERIOD_MS;
            let data = json!({
                "x": self.x,
                "y": self.y,
                "theta": self.theta,
                "linear": self.v,
                "angular": self.w,
                "t": at,
            });
            self.publish(at, ODOM_TOPIC, ODOM_TYPE, data);
        }
        while self.next_battery <= self.t {
            let at = self.next_battery;
            self.next_battery += BATTERY_PERIOD_MS;
            let data = json!({
                "percentage": self.battery_pct,
                "voltage": voltage(self.battery_pct),
                "t": at,
            });
            self.publish(at, BATTERY_TOPIC, BATTERY_TYPE, data);
        }
    }

    /// Sets a new target; the ramp restarts from the current velocities (no-op if unchanged).
    fn retarget(&mut self, v: f64, w: f64) {
        if (v, w) != (self.target_v, self.target_w) {
            self.target_v = v;
            self.target_w = w;
            self.ramp_from_v = self.v;
            self.ramp_from_w = self.w;
            self.ramp_ms = 0;
        }
    }

    /// One fixed substep: ramp velocities, integrate the pose, drain the battery.
    ///
    /// Velocities are computed from the ramp's start (`from + elapsed·accel`), not by adding a
    /// per-step increment, so no rounding accumulates and a ramp ends on the exact millisecond.
    fn step(&mut self) {
        let (v0, w0) = (self.v, self.w);
        self.ramp_ms += STEP_MS;
        let elapsed_s = self.ramp_ms as f64 / 1000.0;
        self.v = ramp(self.ramp_from_v, self.target_v, LINEAR_ACCEL * elapsed_s);
        self.w = ramp(self.ramp_from_w, self.target_w, ANGULAR_ACCEL * elapsed_s);
        let vm = 0.5 * (v0 + self.v);
        let wm = 0.5 * (w0 + self.w);
        if vm != 0.0 || wm != 0.0 {
            // Exact arc for constant (vm, wm): chord = vm·dt·sinc(wm·dt/2) along theta + wm·dt/2.
            let half = 0.5 * wm * STEP_SECS;
            let sinc = if half.abs() < 1e-4 {
                1.0 - half * half / 6.0
            } else {
                half.sin() / half
            };
            let chord = vm * STEP_SECS * sinc;
            let mid = self.theta + half;
            self.x += chord * mid.cos();
            self.y += chord * mid.sin();
            self.theta = wrap_angle(self.theta + 2.0 * half);
        }
        let drain = IDLE_DRAIN_PCT_PER_S + MOTION_DRAIN_PCT_PER_S * (vm.abs() + wm.abs());
        self.battery_pct = (self.battery_pct - drain * STEP_SECS).max(0.0);
    }

    fn diag(&mut self, level: DiagLevel, name: &str, message: &str) {
        let data = json!({
            "level": level.as_str(),
            "name": name,
            "message": message,
            "t": self.t,
        });
        self.publish(self.t, DIAGNOSTICS_TOPIC, DIAGNOSTICS_TYPE, data);
    }

    fn publish(&mut self, at: u64, topic: &'static str, kind: &'static str, data: Value) {
        self.pending.push(Publication {
            at: SimTime::from_millis(at),
            topic,
            name: topic,
            kind,
            data,
        });
    }
}

/// Moves a report schedule past every report due before `before`, keeping its period grid.
fn skip_reports(next: &mut u64, period: u64, before: u64) {
    if *next < before {
        *next += (before - *next).div_ceil(period) * period;
    }
}

/// `from` moved toward `target` by at most `reach`, landing exactly on `target`.
fn ramp(from: f64, target: f64, reach: f64) -> f64 {
    let diff = target - from;
    if diff.abs() <= reach {
        target
    } else {
        from + reach.copysign(diff)
    }
}

/// Wraps an angle into (-π, π].
pub fn wrap_angle(theta: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    let r = theta.rem_euclid(TAU);
    if r > PI { r - TAU } else { r }
}

/// Battery voltage for a charge percentage: linear from 10.5 V at 0 % to 12.6 V at 100 %.
pub fn voltage(percentage: f64) -> f64 {
    BATTERY_EMPTY_VOLTAGE + (BATTERY_FULL_VOLTAGE - BATTERY_EMPTY_VOLTAGE) * percentage / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(t: u64) -> SimTime {
        SimTime::from_millis(t)
    }

    fn cmd(linear: f64, angular: f64) -> CmdVel {
        CmdVel { linear, angular }
    }

    fn on(pubs: &[Publication], topic: &str) -> Vec<u64> {
        pubs.iter()
            .filter(|p| p.topic == topic)
            .map(|p| p.at.as_millis())
            .collect()
    }

    fn diags(pubs: &[Publication]) -> Vec<(String, String)> {
        pubs.iter()
            .filter(|p| p.topic == DIAGNOSTICS_TOPIC)
            .map(|p| (p.data["name"].to_string(), p.data["level"].to_string()))
            .collect()
    }

    /// Commands `c` every 100 ms from `from` to `until` inclusive.
    fn hold(base: &mut MobileBase, c: CmdVel, from: u64, until: u64) -> Vec<Publication> {
        let mut out = Vec::new();
        for t in (from..=until).step_by(100) {
            out.extend(base.tick(ms(t)));
            assert_eq!(base.set_cmd_vel(ms(t), c), Ok(()));
        }
        out
    }

    #[test]
    fn cmd_vel_json_validation() {
        use serde_json::json;
        assert_eq!(
            CmdVel::from_json(&json!({"linear": 0.5, "angular": -1, "extra": true})),
            Ok(cmd(0.5, -1.0))
        );
        let cases = [
            (json!([1, 2]), CmdVelError::NotObject, "cmd_vel data must be an object"),
            (
                json!({"angular": 1}),
                CmdVelError::Missing("linear"),
                "cmd_vel.linear is missing",
            ),
            (
                json!({"linear": 1, "angular": null}),
                CmdVelError::Missing("angular"),
                "cmd_vel.angular is missing",
            ),
            (
                json!({"linear": "1", "angular": 0}),
                CmdVelError::NotFinite("linear"),
                "cmd_vel.linear must be a finite number",
            ),
        ];
        for (data, err, reason) in cases {
            assert_eq!(CmdVel::from_json(&data), Err(err.clone()));
            assert_eq!(err.reason(), reason);
        }
    }

    #[test]
    fn non_finite_commands_are_rejected_without_effect() {
        let mut base = MobileBase::new(SimTime::ZERO);
        for bad in [cmd(f64::NAN, 0.0), cmd(0.0, f64::INFINITY), cmd(f64::NEG_INFINITY, 1.0)] {
            assert!(base.set_cmd_vel(ms(10), bad).is_err());
        }
        assert_eq!(base.now(), SimTime::ZERO);
        assert_eq!(base.state().target_linear, 0.0);
        assert_eq!(base.next_deadline(), SimTime::ZERO);
    }

    #[test]
    fn first_reports_at_creation_and_next_deadline() {
        let mut base = MobileBase::new(ms(5000));
        assert_eq!(base.next_deadline(), ms(5000));
        let pubs = base.tick(ms(5000));
        assert_eq!(on(&pubs, ODOM_TOPIC), vec![5000]);
        assert_eq!(on(&pubs, BATTERY_TOPIC), vec![5000]);
        assert_eq!(pubs[0].name, "odom");
        assert_eq!(pubs[0].kind, "nav_msgs/Odometry");
        assert_eq!(pubs[1].kind, "sensor_msgs/BatteryState");
        assert_eq!(pubs[1].data["percentage"], 100.0);
        assert_eq!(pubs[1].data["voltage"], 12.6);
        assert_eq!(base.next_deadline(), ms(5100));
        base.set_cmd_vel(ms(5050), cmd(0.1, 0.0)).expect("valid");
        assert_eq!(base.next_deadline(), ms(5100));
        base.tick(ms(5500));
        // Watchdog expiry (5050 + 500) precedes the next odom at 5600.
        assert_eq!(base.next_deadline(), ms(5550));
        // Clamp diagnostics are pending immediately.
        base.set_cmd_vel(ms(5520), cmd(9.0, 0.0)).expect("valid");
        assert_eq!(base.next_deadline(), ms(5520));
    }

    #[test]
    fn publishing_cadence_is_exact() {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut pubs = Vec::new();
        // Irregular sampling, including repeats and a time in the past.
        let mut t = 0;
        for gap in [0u64, 1, 99, 0, 250, 3, 1000, 7, 1234, 0, 5, 2403, 10_000 - 5002] {
            t += gap;
            pubs.extend(base.tick(ms(t)));
        }
        pubs.extend(base.tick(ms(3)));
        assert_eq!(t, 10_000);
        assert_eq!(on(&pubs, ODOM_TOPIC), (0..=10_000).step_by(100).collect::<Vec<_>>());
        assert_eq!(on(&pubs, BATTERY_TOPIC), (0..=10_000).step_by(1000).collect::<Vec<_>>());
        for p in &pubs {
            assert_eq!(p.data["t"], p.at.as_millis());
        }
        let times: Vec<u64> = pubs.iter().map(|p| p.at.as_millis()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn straight_line_matches_the_analytic_ramp() {
        let mut base = MobileBase::new(SimTime::ZERO);
        hold(&mut base, cmd(0.5, 0.0), 0, 3000);
        let s = base.state();
        // 1 s ramp to 0.5 m/s covers 0.25 m, then 2 s at 0.5 m/s.
        assert!((s.x - 1.25).abs() < 1e-9, "x = {}", s.x);
        assert_eq!((s.y, s.theta, s.linear), (0.0, 0.0, 0.5));
    }

    #[test]
    fn arc_closes_into_a_circle() {
        let mut base = MobileBase::new(SimTime::ZERO);
        // Ramp is simultaneous: linear reaches 0.5 at 1 s, angular 1.0 at 0.5 s.
        hold(&mut base, cmd(0.5, 1.0), 0, 1000);
        let a = base.state();
        let period = (2.0 * std::f64::consts::PI * 1000.0).round() as u64;
        hold(&mut base, cmd(0.5, 1.0), 1100, 1000 + period);
        base.tick(ms(1000 + period));
        let b = base.state();
        // Whole-ms period: the circle (radius 0.5 m) closes to within ~0.5 mm.
        assert!((a.x - b.x).hypot(a.y - b.y) < 1e-3);
        for s in [a, b] {
            assert!(s.theta > -std::f64::consts::PI && s.theta <= std::f64::consts::PI);
        }
    }

    #[test]
    fn theta_stays_wrapped() {
        let mut base = MobileBase::new(SimTime::ZERO);
        for t in (0..20_000).step_by(100) {
            base.set_cmd_vel(ms(t), cmd(0.0, -2.0)).expect("valid");
            for dt in 0..100 {
                base.tick(ms(t + dt));
                let th = base.state().theta;
                assert!(th > -std::f64::consts::PI && th <= std::f64::consts::PI, "{th}");
            }
        }
        assert_eq!(wrap_angle(std::f64::consts::PI), std::f64::consts::PI);
        assert_eq!(wrap_angle(-std::f64::consts::PI), std::f64::consts::PI);
        assert_eq!(wrap_angle(-1e-300), 0.0);
        assert!((wrap_angle(7.0) - (7.0 - std::f64::consts::TAU)).abs() < 1e-12);
    }

    #[test]
    fn watchdog_stops_the_base_within_timeout_plus_decel() {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut pubs = hold(&mut base, cmd(5.0, -5.0), 0, 3000);
        assert_eq!((base.state().linear, base.state().angular), (1.0, -2.0));
        pubs.extend(base.tick(ms(3499)));
        assert_eq!((base.state().linear, base.state().angular), (1.0, -2.0));
        assert_eq!(base.next_deadline(), ms(3500));
        pubs.extend(base.tick(ms(3500)));
        assert_eq!(base.state().target_linear, 0.0);
        // Braking from 1 m/s at 0.5 m/s² takes 2000 ms; from 2 rad/s at 2 rad/s² 1000 ms.
        pubs.extend(base.tick(ms(4500)));
        assert_eq!(base.state().angular, 0.0);
        pubs.extend(base.tick(ms(5499)));
        assert!(base.state().linear > 0.0);
        pubs.extend(base.tick(ms(5500)));
        assert_eq!(base.state().linear, 0.0);
        let x = base.state().x;
        pubs.extend(base.tick(ms(20_000)));
        assert_eq!(base.state().x, x);
        let watchdog: Vec<_> = pubs
            .iter()
            .filter(|p| p.topic == DIAGNOSTICS_TOPIC && p.data["name"] == "watchdog")
            .collect();
        assert_eq!(watchdog.len(), 1);
        assert_eq!(watchdog[0].at, ms(3500));
        assert_eq!(watchdog[0].data["level"], "warn");
    }

    #[test]
    fn watchdog_fires_once_per_timeout_and_rearms() {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut pubs = Vec::new();
        base.set_cmd_vel(ms(0), cmd(0.2, 0.0)).expect("valid");
        pubs.extend(base.tick(ms(2000)));
        base.set_cmd_vel(ms(2000), cmd(0.2, 0.0)).expect("valid");
        pubs.extend(base.tick(ms(4000)));
        // A zero command does not arm the watchdog.
        base.set_cmd_vel(ms(4000), cmd(0.0, 0.0)).expect("valid");
        pubs.extend(base.tick(ms(9000)));
        let wd: Vec<_> = pubs
            .iter()
            .filter(|p| p.data["name"] == "watchdog")
            .map(|p| (p.at.as_millis(), p.data["level"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(wd, vec![(500, "warn"), (2000, "ok"), (2500, "warn"), (4000, "ok")]);
    }

    #[test]
    fn clamp_diagnostics_fire_on_changes_only() {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut pubs = Vec::new();
        for (t, c) in [
            (0, cmd(2.0, 0.0)),
            (100, cmd(3.0, 0.0)),
            (200, cmd(0.5, -2.5)),
            (300, cmd(0.5, 0.5)),
            (400, cmd(0.5, 0.5)),
            (450, cmd(-1.0, 2.0)),
        ] {
            base.set_cmd_vel(ms(t), c).expect("valid");
            pubs.extend(base.tick(ms(t)));
        }
        let clamp: Vec<_> = pubs
            .iter()
            .filter(|p| p.data["name"] == "cmd_vel")
            .map(|p| (p.at.as_millis(), p.data["level"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(clamp, vec![(0, "warn"), (300, "ok")]);
        assert_eq!(base.state().target_angular, 2.0);
    }

    #[test]
    fn a_clock_jump_costs_one_window_and_matches_small_ticks_bit_for_bit() {
        // Drive a little, then idle through both battery thresholds (empty after about 10,000 s).
        let start = |base: &mut MobileBase| {
            base.tick(ms(0));
            base.set_cmd_vel(ms(0), cmd(0.5, 0.5)).unwrap();
        };
        let end = 10_200_000;
        let mut small = MobileBase::new(SimTime::ZERO);
        start(&mut small);
        let mut small_pubs = Vec::new();
        for t in (10_000..=end).step_by(10_000) {
            small_pubs.extend(small.tick(ms(t)));
        }
        let mut jump = MobileBase::new(SimTime::ZERO);
        start(&mut jump);
        let jump_pubs = jump.tick(ms(end));
        assert_eq!(jump.state(), small.state());
        assert_eq!(jump.state().battery_percentage, 0.0);
        let window = |pubs: &[Publication]| -> Vec<Publication> {
            pubs.iter()
                .filter(|p| p.topic == DIAGNOSTICS_TOPIC || p.at.as_millis() >= end - CATCH_UP_WINDOW_MS)
                .cloned()
                .collect()
        };
        assert_eq!(jump_pubs, window(&small_pubs));
        let names: Vec<String> = diags(&jump_pubs).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["\"watchdog\"", "\"battery\"", "\"battery\""]);
        assert_eq!(
            on(&jump_pubs, ODOM_TOPIC).len() as u64,
            CATCH_UP_WINDOW_MS / ODOM_PERIOD_MS + 1
        );
        // A month at once: the same bounded output, long after the battery ran out.
        let month = 30 * 86_400_000;
        let pubs = jump.tick(ms(month));
        assert_eq!(
            on(&pubs, BATTERY_TOPIC).len() as u64,
            CATCH_UP_WINDOW_MS / BATTERY_PERIOD_MS + 1
        );
        assert_eq!(on(&pubs, ODOM_TOPIC).last(), Some(&month));
        assert_eq!(jump.next_deadline(), ms(month + ODOM_PERIOD_MS));
    }

    #[test]
    fn battery_drains_with_motion_and_maps_voltage() {
        assert_eq!(voltage(100.0), 12.6);
        assert_eq!(voltage(0.0), 10.5);
        assert!((voltage(50.0) - 11.55).abs() < 1e-12);
        let mut idle = MobileBase::new(SimTime::ZERO);
        idle.tick(ms(100_000));
        // 100 s idle at 0.01 %/s.
        assert!((idle.state().battery_percentage - 99.0).abs() < 1e-9);
        let mut moving = MobileBase::new(SimTime::ZERO);
        hold(&mut moving, cmd(1.0, 2.0), 0, 100_000);
        moving.tick(ms(100_000));
        assert!(moving.state().battery_percentage < 99.0 - 0.05 * 90.0);
    }

    #[test]
    fn battery_low_then_empty_disables_motors() {
        let mut base = MobileBase::new(SimTime::ZERO).with_battery_percentage(20.005);
        let mut pubs = hold(&mut base, cmd(1.0, 0.0), 0, 3000);
        pubs.extend(base.tick(ms(3000)));
        let d = diags(&pubs);
        assert_eq!(d, vec![("\"battery\"".into(), "\"warn\"".into())]);
        let mut base = MobileBase::new(SimTime::ZERO).with_battery_percentage(0.002);
        let mut pubs = hold(&mut base, cmd(0.5, 0.0), 0, 1000);
        pubs.extend(base.tick(ms(3000)));
        let levels: Vec<_> = diags(&pubs).into_iter().map(|(_, l)| l).collect();
        assert_eq!(levels, vec!["\"warn\"", "\"error\""]);
        assert_eq!(base.state().battery_percentage, 0.0);
        assert_eq!(base.state().linear, 0.0);
        let x = base.state().x;
        hold(&mut base, cmd(0.5, 0.0), 3000, 5000);
        assert_eq!(base.state().x, x);
        assert_eq!(
            MobileBase::new(SimTime::ZERO)
                .with_battery_percentage(f64::NAN)
                .state()
                .battery_percentage,
            100.0
        );
    }

    #[test]
    fn battery_can_be_set_and_reports_level_changes() {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut pubs = base.tick(ms(0));
        assert!(!base.set_battery_percentage(ms(10), f64::NAN));
        assert!(base.set_battery_percentage(ms(10), 15.0));
        assert!(base.set_battery_percentage(ms(20), 12.0));
        assert!(base.set_battery_percentage(ms(30), -4.0));
        assert_eq!(base.state().battery_percentage, 0.0);
        // Empty: commands are accepted but the motors stay off.
        base.set_cmd_vel(ms(40), cmd(0.5, 0.0)).expect("valid");
        pubs.extend(base.tick(ms(300)));
        assert_eq!((base.state().linear, base.state().x), (0.0, 0.0));
        assert!(base.set_battery_percentage(ms(300), 150.0));
        assert_eq!(base.state().battery_percentage, 100.0);
        base.set_cmd_vel(ms(300), cmd(0.5, 0.0)).expect("valid");
        pubs.extend(base.tick(ms(400)));
        assert!(base.state().linear > 0.0);
        let levels: Vec<_> = pubs
            .iter()
            .filter(|p| p.topic == DIAGNOSTICS_TOPIC && p.data["name"] == "battery")
            .map(|p| (p.at.as_millis(), p.data["level"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(levels, vec![(10, "warn"), (30, "error"), (300, "ok")]);
    }

    #[test]
    fn commands_in_the_past_apply_now() {
        let mut a = MobileBase::new(SimTime::ZERO);
        a.tick(ms(1000));
        a.set_cmd_vel(ms(10), cmd(0.3, 0.0)).expect("valid");
        let mut b = MobileBase::new(SimTime::ZERO);
        b.tick(ms(1000));
        b.set_cmd_vel(ms(1000), cmd(0.3, 0.0)).expect("valid");
        assert_eq!(a.tick(ms(1400)), b.tick(ms(1400)));
        assert_eq!(a.state(), b.state());
    }

    /// A command schedule: (time, linear, angular), times ascending.
    fn schedule() -> impl Strategy<Value = Vec<(u64, f64, f64)>> {
        prop::collection::vec((0u64..400, -3.0f64..3.0, -5.0f64..5.0), 0..25).prop_map(|v| {
            let mut t = 0;
            v.into_iter()
                .map(|(gap, l, a)| {
                    t += gap;
                    (t, l, a)
                })
                .collect()
        })
    }

    /// Runs `sched`, ticking at every time in `ticks` (sorted), and returns all output.
    fn run(sched: &[(u64, f64, f64)], ticks: &[u64], end: u64) -> (Vec<Publication>, BaseState) {
        let mut base = MobileBase::new(SimTime::ZERO);
        let mut out = Vec::new();
        let mut ti = ticks.iter().peekable();
        for &(t, l, a) in sched {
            while let Some(&&tt) = ti.peek() {
                if tt > t {
                    break;
                }
                out.extend(base.tick(ms(tt)));
                ti.next();
            }
            base.set_cmd_vel(ms(t), cmd(l, a)).expect("finite");
        }
        for &tt in ti {
            out.extend(base.tick(ms(tt)));
        }
        out.extend(base.tick(ms(end)));
        (out, base.state())
    }

    #[test]
    fn two_runs_with_the_same_inputs_are_identical() {
        let sched = [(0, 0.8, 1.5), (120, 2.0, -3.0), (700, -0.4, 0.2), (1900, 0.0, 0.0)];
        let ticks: Vec<u64> = (0..4000).step_by(37).collect();
        assert_eq!(run(&sched, &ticks, 4000), run(&sched, &ticks, 4000));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn limits_hold_at_every_millisecond(sched in schedule()) {
            let mut base = MobileBase::new(SimTime::ZERO);
            let mut prev = base.state();
            let mut next = sched.iter().peekable();
            let end = sched.last().map_or(0, |s| s.0) + 3000;
            for t in 0..=end {
                while let Some(&&(ct, l, a)) = next.peek() {
                    if ct != t {
                        break;
                    }
                    prop_assert!(base.set_cmd_vel(ms(t), cmd(l, a)).is_ok());
                    next.next();
                }
                base.tick(ms(t));
                let s = base.state();
                prop_assert!(s.linear.abs() <= MAX_LINEAR);
                prop_assert!(s.angular.abs() <= MAX_ANGULAR);
                prop_assert!((s.linear - prev.linear).abs() <= LINEAR_ACCEL * 0.001 + 1e-12);
                prop_assert!((s.angular - prev.angular).abs() <= ANGULAR_ACCEL * 0.001 + 1e-12);
                prop_assert!(s.theta > -std::f64::consts::PI && s.theta <= std::f64::consts::PI);
                prev = s;
            }
            // Last command ≥ 3000 ms ago: watchdog (500 ms) + braking (≤ 2000 ms) has stopped it.
            prop_assert_eq!((prev.linear, prev.angular), (0.0, 0.0));
        }

        #[test]
        fn sampling_rate_does_not_matter(
            sched in schedule(),
            ticks in prop::collection::btree_set(0u64..12_000, 0..40),
        ) {
            let end = 12_000;
            let every_ms: Vec<u64> = (0..=end).collect();
            let sparse: Vec<u64> = ticks.into_iter().collect();
            let (dense_out, dense_state) = run(&sched, &every_ms, end);
            let (sparse_out, sparse_state) = run(&sched, &sparse, end);
            prop_assert_eq!(dense_state, sparse_state);
            prop_assert_eq!(dense_out, sparse_out);
        }
    }
}

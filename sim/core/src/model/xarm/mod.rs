//! The simulated UFactory xArm controller as UFactory Studio drives it: state machine, motion queue, long-press
//! steps, gripper and Live Control settings, answering with SDK api codes. Pure: time is always an argument.

pub mod api_code;
pub mod queue;
pub mod sensors;
pub mod step;

use std::f64::consts::PI;

use crate::model::arm::Timed;
use crate::model::arm::limits::check_joints;
use crate::model::arm::math::{norm, sub};
use crate::model::arm::motion::{
    DEFAULT_TCP_ACC, JOINT_ACC_RANGE, JOINT_SPEED_RANGE, TCP_ACC_RANGE, TCP_SPEED_RANGE, speed_percent,
};
use crate::model::arm::{
    ArmModel, ArmMotion, ArmState, CartesianLimits, Gripper, IkError, JointMotion, LimitError, MotionError,
    MotionState, Pose, fk,
};
use crate::time::SimTime;

pub use api_code::ApiCode;
use queue::MotionQueue;
pub use step::Step;

/// Controller error raised by a collision: C31 "Collision Caused Abnormal Current".
pub const COLLISION_ERROR: i32 = 31;
/// A long press stops when no `xarm_move_step` / `xarm_move_step_online` came for this long (ms).
pub const LONG_PRESS_TIMEOUT_MS: u64 = 200;
/// Live Control's TCP speed at 100 %: `xarm_set_speed` documents 1 % = 2.3 mm/s.
pub const LIVE_TCP_SPEED: f64 = 230.0;
/// Highest joint speed the SDK plans with (rad/s): `set_servo_angle` caps at pi.
pub const MAX_JOINT_SPEED: f64 = PI;
/// Default joint acceleration: 500 deg/s^2 (SDK), in rad/s^2.
pub const DEFAULT_JOINT_ACC: f64 = 500.0 * PI / 180.0;
/// Speed percent at start (simulator-defined).
pub const DEFAULT_SPEED_PERCENT: f64 = 0.5;

/// A waiter's final code, to send with the id of the request that started the motion.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion<W> {
    /// Who asked.
    pub waiter: W,
    /// The final api code: 0 done, -9 stopped, 1 stopped by an error, -6/-7 a long press hit a limit.
    pub code: ApiCode,
    /// When the motion ended or was dropped (sim time).
    pub at: SimTime,
}

/// Speed and acceleration as a request gives them (`F`, `Q`; deg/s or mm/s); `None` or <= 0 means default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Speed {
    /// Requested speed.
    pub speed: Option<f64>,
    /// Requested acceleration.
    pub acc: Option<f64>,
    /// Taken as given: not scaled by Studio's speed percent (commands on the controller's own TCP port).
    pub unscaled: bool,
}

impl Speed {
    /// The default speed with `acc`, scaled by Studio's speed percent (a Live Control step).
    pub fn with_acc(acc: Option<f64>) -> Speed {
        Speed {
            speed: None,
            acc,
            unscaled: false,
        }
    }
}

/// Live Control and Studio settings that are reported but drive no physics beyond what is noted.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Live Control speed percent, 0.01..=1: scales every planned speed.
    pub speed_percent: f64,
    /// Live Control acceleration percent (reported only).
    pub acc_percent: f64,
    /// Acceleration of line moves that give none (mm/s^2; `xarm_set_motion_config` `tcpAcc`).
    pub tcp_acc: f64,
    /// Acceleration of joint moves that give none (deg/s^2; `xarm_set_motion_config` `jointAcc`).
    pub joint_acc: f64,
    /// TCP offset `[x, y, z mm, roll, pitch, yaw rad]` in the flange frame: applied to every pose.
    pub tcp_offset: [f64; 6],
    /// Payload `(kg, centre of mass mm)`.
    pub tcp_load: (f64, [f64; 3]),
    /// Position step of Live Control (mm).
    pub position_step: f64,
    /// Attitude step (deg).
    pub attitude_step: f64,
    /// Joint step (deg).
    pub joint_step: f64,
    /// Initial point (deg per joint).
    pub initial_point: Vec<f64>,
    /// Collision sensitivity 0..=5.
    pub collision_sensitivity: u8,
    /// Teach sensitivity 1..=5.
    pub teach_sensitivity: u8,
    /// Studio's simulation-robot switch.
    pub simulation_robot: bool,
    /// `start_motion_callback` switch.
    pub motion_callback: bool,
    /// xArm Gripper enabled.
    pub gripper_enabled: bool,
    /// BIO gripper enabled.
    pub bio_gripper_enabled: bool,
    /// Lite 6 manual (record) mode.
    pub lite6_manual: bool,
}

impl Settings {
    fn new(dof: usize) -> Self {
        Settings {
            speed_percent: DEFAULT_SPEED_PERCENT,
            acc_percent: 1.0,
            tcp_acc: DEFAULT_TCP_ACC,
            joint_acc: 500.0,
            tcp_offset: [0.0; 6],
            tcp_load: (0.0, [0.0; 3]),
            position_step: 10.0,
            attitude_step: 5.0,
            joint_step: 5.0,
            initial_point: vec![0.0; dof],
            collision_sensitivity: 3,
            teach_sensitivity: 3,
            simulation_robot: false,
            motion_callback: false,
            gripper_enabled: false,
            bio_gripper_enabled: false,
            lite6_manual: false,
        }
    }
}

/// The arm at one instant, for reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Joint angles (rad).
    pub joints: Vec<f64>,
    /// Joint velocities (rad/s).
    pub joint_speeds: Vec<f64>,
    /// Joint accelerations (rad/s^2).
    pub joint_accs: Vec<f64>,
    /// TCP pose with the TCP offset applied (mm, rad).
    pub pose: Pose,
    /// TCP linear speed (mm/s).
    pub tcp_speed: f64,
    /// TCP linear acceleration (mm/s^2).
    pub tcp_acc: f64,
    /// Controller state.
    pub state: MotionState,
    /// Controller mode.
    pub mode: u8,
    /// Uncleared controller error (0 none).
    pub error_code: i32,
    /// Uncleared controller warning (0 none).
    pub warn_code: i32,
    /// Motion enabled (brakes released).
    pub enabled: bool,
    /// Whether a new motion would be accepted now.
    pub ready: bool,
    /// Whether moves are planned (Studio's `xarm_printed`).
    pub busy: bool,
    /// xArm Gripper position 0..=850.
    pub gripper_pos: f64,
}

struct LongPress<W> {
    step: Step,
    tool: bool,
    acc: Option<f64>,
    last_seen: SimTime,
    waiter: W,
}

/// One simulated controller. `W` identifies who waits for a motion's final code.
pub struct Controller<W> {
    model: ArmModel,
    /// Reported settings; `speed_percent` and `tcp_offset` also shape motion.
    pub settings: Settings,
    arm: ArmState,
    queue: MotionQueue<W>,
    long_press: Option<LongPress<W>>,
    gripper: Gripper,
    gripper_waiter: Option<W>,
    completions: Vec<Completion<W>>,
    now: SimTime,
}

fn rad(deg: f64) -> f64 {
    deg * PI / 180.0
}

/// The api code of a planning failure.
fn plan_code(error: MotionError) -> ApiCode {
    match error {
        MotionError::Limit(LimitError::Tcp) => ApiCode::CartesianLimit,
        MotionError::Limit(_) | MotionError::Ik(IkError::JointLimit) => ApiCode::JointLimit,
        MotionError::Ik(IkError::OutOfTcpLimits | IkError::Unreachable) | MotionError::Singularity => {
            ApiCode::CartesianLimit
        }
        _ => ApiCode::ParameterError,
    }
}

/// `requested` when positive and finite, else `default`; then clamped into `range`.
fn pick(requested: Option<f64>, default: f64, range: (f64, f64)) -> f64 {
    requested
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(default)
        .clamp(range.0, range.1)
}

impl<W> Controller<W> {
    /// A controller for `model`, at rest with every joint at 0, enabled, position mode, state 2.
    pub fn new(model: ArmModel) -> Self {
        Controller {
            model,
            settings: Settings::new(model.dof()),
            arm: ArmState::default(),
            queue: MotionQueue::at_rest(vec![0.0; model.dof()]),
            long_press: None,
            gripper: Gripper::default(),
            gripper_waiter: None,
            completions: Vec::new(),
            now: SimTime::ZERO,
        }
    }

    /// The arm model.
    pub fn model(&self) -> ArmModel {
        self.model
    }

    /// Final codes produced since the last call, in the order they happened.
    pub fn take_completions(&mut self) -> Vec<Completion<W>> {
        std::mem::take(&mut self.completions)
    }

    /// The next sim time at which [`Controller::advance`] has something to do (a move or gripper ends).
    pub fn next_event(&self) -> Option<SimTime> {
        let gripper = self.gripper_waiter.as_ref().map(|_| self.gripper.end_time());
        match (self.queue.head_end(), gripper) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Brings the controller up to `t`: retires finished moves (their waiters get 0), continues or ends a long
    /// press, and completes a gripper wait. Every command calls it first.
    pub fn advance(&mut self, t: SimTime) {
        self.now = self.now.max(t);
        while let Some(end) = self.queue.head_end().filter(|e| *e <= t) {
            for done in self.queue.retire(end) {
                if let Some(waiter) = done.waiter {
                    self.complete(waiter, ApiCode::Ok, end);
                }
            }
            if self.queue.is_empty() {
                self.continue_long_press(end);
            }
            if self.queue.is_empty() {
                self.arm.finish_motion();
            }
        }
        let gripper_end = self.gripper.end_time();
        if gripper_end <= t {
            if let Some(waiter) = self.gripper_waiter.take() {
                self.complete(waiter, ApiCode::Ok, gripper_end);
            }
        }
    }

    fn complete(&mut self, waiter: W, code: ApiCode, at: SimTime) {
        self.completions.push(Completion { waiter, code, at });
    }

    fn continue_long_press(&mut self, at: SimTime) {
        let Some(press) = self.long_press.take() else { return };
        if at.saturating_since(press.last_seen) > LONG_PRESS_TIMEOUT_MS {
            self.complete(press.waiter, ApiCode::Ok, at);
            return;
        }
        match self.plan_step(press.step, press.tool, press.acc, at) {
            Ok(motion) if motion.end_time() > at => {
                self.queue.push(motion, None);
                self.long_press = Some(press);
            }
            Ok(_) => self.complete(press.waiter, ApiCode::Ok, at),
            Err(code) => self.complete(press.waiter, code, at),
        }
    }

    fn end_long_press(&mut self, code: ApiCode) {
        if let Some(press) = self.long_press.take() {
            let at = self.now;
            self.complete(press.waiter, code, at);
        }
    }

    /// Stops every planned move where the arm is at `now`; waiters get `code`.
    fn stop_motion(&mut self, now: SimTime, code: ApiCode) {
        for dropped in self.queue.stop(now) {
            if let Some(waiter) = dropped.waiter {
                self.complete(waiter, code, now);
            }
        }
        self.end_long_press(code);
    }

    /// Refuses a new motion with the api code of the current state, if any.
    fn check_can_move(&self) -> Result<(), ApiCode> {
        self.arm.check_can_move().map_err(ApiCode::from)?;
        if self.arm.mode() != 0 {
            return Err(ApiCode::NotReadyToMove);
        }
        Ok(())
    }

    /// The factor planned speeds are scaled by: Studio's speed percent, unless the request is unscaled.
    fn scale(&self, speed: Speed) -> f64 {
        if speed.unscaled {
            1.0
        } else {
            self.settings.speed_percent
        }
    }

    fn joint_speed(&self, speed: Speed) -> (f64, f64) {
        let v = pick(
            speed.speed.map(rad),
            MAX_JOINT_SPEED,
            (JOINT_SPEED_RANGE.0, MAX_JOINT_SPEED),
        );
        let v = (v * self.scale(speed)).max(JOINT_SPEED_RANGE.0);
        let a = pick(speed.acc.map(rad), rad(self.settings.joint_acc), JOINT_ACC_RANGE);
        (v, a)
    }

    fn tcp_limits(&self, speed: Speed) -> CartesianLimits {
        let v = pick(speed.speed, LIVE_TCP_SPEED, TCP_SPEED_RANGE);
        let v = (v * self.scale(speed)).max(TCP_SPEED_RANGE.0);
        let a = pick(speed.acc, self.settings.tcp_acc, TCP_ACC_RANGE);
        let base = CartesianLimits::default();
        CartesianLimits {
            speed: v,
            acc: a,
            ang_speed: base.ang_speed * self.scale(speed),
            ang_acc: base.ang_acc,
        }
    }

    fn plan_joints(&self, target: &[f64], speed: Speed, t0: SimTime) -> Result<ArmMotion, ApiCode> {
        check_joints(self.model, target).map_err(|e| plan_code(MotionError::Limit(e)))?;
        let (v, a) = self.joint_speed(speed);
        JointMotion::plan_for(self.model, self.queue.end_joints(), target, v, a, t0)
            .map(ArmMotion::Joint)
            .map_err(plan_code)
    }

    fn plan_line(&self, target: &Pose, speed: Speed, t0: SimTime) -> Result<ArmMotion, ApiCode> {
        let (jv, ja) = self.joint_speed(Speed::default());
        ArmMotion::linear_or_joint(
            self.model,
            self.queue.end_joints(),
            target,
            self.settings.tcp_offset,
            &self.tcp_limits(speed),
            jv,
            ja,
            t0,
        )
        .map_err(plan_code)
    }

    fn end_pose(&self) -> Pose {
        fk(self.model, self.queue.end_joints(), self.settings.tcp_offset).unwrap_or(Pose::from_array([0.0; 6]))
    }

    fn plan_step(&self, step: Step, tool: bool, acc: Option<f64>, t0: SimTime) -> Result<ArmMotion, ApiCode> {
        let s = &self.settings;
        if let Some(target) = step::joint_target(step, self.queue.end_joints(), rad(s.joint_step)) {
            return self.plan_joints(&target, Speed::with_acc(acc), t0);
        }
        if step == Step::EndLevel && self.model != ArmModel::XArm5 {
            return Err(ApiCode::ParameterError);
        }
        let from = self.end_pose();
        let target = step::cartesian_target(step, tool, &from, s.position_step, rad(s.attitude_step))
            .ok_or(ApiCode::ParameterError)?;
        self.plan_line(&target, Speed::with_acc(acc), t0)
    }

    /// Queues `motion` for `waiter` after checks passed; answers 100.
    fn enqueue(&mut self, motion: ArmMotion, waiter: Option<W>) -> ApiCode {
        self.end_long_press(ApiCode::Ok);
        if self.arm.begin_motion().is_err() {
            return ApiCode::NotReadyToMove;
        }
        self.queue.push(motion, waiter);
        ApiCode::Accepted
    }

    /// `xarm_move_joint`: moves to `target` (rad per joint; `None` keeps that joint's planned value) with a
    /// synchronised trapezoidal profile. Answers 100 and later 0, or refuses at once.
    pub fn move_joints(&mut self, now: SimTime, target: &[Option<f64>], speed: Speed, waiter: W) -> ApiCode {
        self.advance(now);
        if let Err(code) = self.check_can_move() {
            return code;
        }
        let full: Vec<f64> = self
            .queue
            .end_joints()
            .iter()
            .zip(target.iter().chain(std::iter::repeat(&None)))
            .map(|(&current, wanted)| wanted.unwrap_or(current))
            .collect();
        let t0 = self.queue.next_start(now);
        match self.plan_joints(&full, speed, t0) {
            Ok(motion) => self.enqueue(motion, Some(waiter)),
            Err(code) => code,
        }
    }

    /// `xarm_move_arc_line`: a straight TCP move to `target` (mm, rad), or by `target` from the planned end
    /// pose when `relative` (roll/pitch/yaw added, as the SDK does).
    pub fn move_line(&mut self, now: SimTime, target: Pose, relative: bool, speed: Speed, waiter: W) -> ApiCode {
        self.advance(now);
        if let Err(code) = self.check_can_move() {
            return code;
        }
        let goal = if relative {
            let from = self.end_pose().to_array();
            let delta = target.to_array();
            Pose::from_array(std::array::from_fn(|i| from[i] + delta[i]))
        } else {
            target
        };
        let t0 = self.queue.next_start(now);
        match self.plan_line(&goal, speed, t0) {
            Ok(motion) => self.enqueue(motion, Some(waiter)),
            Err(code) => code,
        }
    }

    /// `xarm_move_step`: one step, or with `long_press` steps back to back until `xarm_move_step_over`, a
    /// limit, or [`LONG_PRESS_TIMEOUT_MS`] without `xarm_move_step_online`. `acc` is deg/s^2 for joint steps
    /// and mm/s^2 for Cartesian ones.
    pub fn move_step(
        &mut self,
        now: SimTime,
        step: Step,
        tool: bool,
        long_press: bool,
        acc: Option<f64>,
        waiter: W,
    ) -> ApiCode {
        self.advance(now);
        if let Err(code) = self.check_can_move() {
            return code;
        }
        let t0 = self.queue.next_start(now);
        let motion = match self.plan_step(step, tool, acc, t0) {
            Ok(motion) => motion,
            Err(code) => return code,
        };
        if !long_press {
            return self.enqueue(motion, Some(waiter));
        }
        let code = self.enqueue(motion, None);
        if code == ApiCode::Accepted {
            self.long_press = Some(LongPress {
                step,
                tool,
                acc,
                last_seen: now,
                waiter,
            });
        }
        code
    }

    /// `xarm_move_step_online`: keeps a long press going.
    pub fn step_online(&mut self, now: SimTime) -> ApiCode {
        self.advance(now);
        if let Some(press) = &mut self.long_press {
            press.last_seen = now;
        }
        ApiCode::Ok
    }

    /// `xarm_move_step_over`: stops the arm at once; it stays ready (state 2). Waiters get 0.
    pub fn step_over(&mut self, now: SimTime) -> ApiCode {
        self.advance(now);
        self.stop_motion(now, ApiCode::Ok);
        self.arm.finish_motion();
        ApiCode::Ok
    }

    /// `xarm_set_state`: 0 ready (resumes a pause), 3 pause, 4 stop (waiters get -9).
    pub fn set_state(&mut self, now: SimTime, state: u8) -> ApiCode {
        self.advance(now);
        match state {
            0 => {
                if let Err(e) = self.arm.set_state(0) {
                    return ApiCode::from(e);
                }
                self.queue.resume(now);
                if self.queue.is_empty() {
                    self.arm.finish_motion();
                }
                ApiCode::Ok
            }
            3 => {
                if self.arm.state() == MotionState::Moving {
                    self.queue.pause(now);
                }
                self.arm.set_state(3).map_or_else(ApiCode::from, |()| ApiCode::Ok)
            }
            4 => {
                self.stop_motion(now, ApiCode::EmergencyStop);
                self.arm.set_state(4).map_or_else(ApiCode::from, |()| ApiCode::Ok)
            }
            _ => ApiCode::ParameterError,
        }
    }

    /// `xarm_urgent_stop`: stops at once (waiters get -9), disables motion and latches until the error is
    /// cleared and the arm re-enabled (`xarm_clear_error_warn`).
    pub fn emergency_stop(&mut self, now: SimTime) -> ApiCode {
        self.advance(now);
        self.stop_motion(now, ApiCode::EmergencyStop);
        self.arm.emergency_stop();
        ApiCode::Ok
    }

    /// `xarm_clear_error`: clears the controller error and the emergency-stop latch.
    pub fn clear_error(&mut self, now: SimTime) -> ApiCode {
        self.advance(now);
        self.arm.clear_error();
        ApiCode::Ok
    }

    /// `xarm_clear_warn`: clears the controller warning.
    pub fn clear_warn(&mut self, now: SimTime) -> ApiCode {
        self.advance(now);
        self.arm.clear_warn();
        ApiCode::Ok
    }

    /// `xarm_clear_error_warn` (Studio's [Clean error] and [Enable] buttons): clears error and warning,
    /// enables motion, sets `mode` and state 0.
    pub fn clear_error_warn(&mut self, now: SimTime, mode: u8) -> ApiCode {
        self.advance(now);
        if mode > 7 {
            return ApiCode::ParameterError;
        }
        self.stop_motion(now, ApiCode::EmergencyStop);
        self.arm.clear_error();
        self.arm.clear_warn();
        if let Err(e) = self.arm.motion_enable(true) {
            return ApiCode::from(e);
        }
        if let Err(e) = self.arm.set_mode(mode) {
            return ApiCode::from(e);
        }
        self.arm.set_state(0).map_or_else(ApiCode::from, |()| ApiCode::Ok)
    }

    /// `xarm_switch_mode` / `switch_mode_lite6`: 0 position or 2 manual; stops any move (waiters get -9) and
    /// sets state 0 when no error is pending, as Studio does.
    pub fn switch_mode(&mut self, now: SimTime, mode: u8) -> ApiCode {
        self.advance(now);
        if mode != 0 && mode != 2 {
            return ApiCode::ParameterError;
        }
        self.stop_motion(now, ApiCode::EmergencyStop);
        if let Err(e) = self.arm.set_mode(mode) {
            return ApiCode::from(e);
        }
        if self.model == ArmModel::Lite6 {
            self.settings.lite6_manual = mode == 2;
        }
        if self.arm.error_code() == 0 {
            // Refused only while disabled or e-stopped; the mode itself is set either way.
            let _ = self.arm.set_state(0);
        }
        ApiCode::Ok
    }

    /// `xarm_set_speed`: values above 1 become 1, below 0.01 become 0.01; zero, negative and non-finite are refused.
    pub fn set_speed_percent(&mut self, now: SimTime, percent: f64) -> ApiCode {
        self.advance(now);
        match speed_percent(percent) {
            Ok(p) => {
                self.settings.speed_percent = p;
                ApiCode::Ok
            }
            Err(_) => ApiCode::ParameterError,
        }
    }

    /// `xarm_set_gripper_position`: `enable` false disables the gripper; otherwise it moves to `pos` (0..=850)
    /// at `speed` (r/min). With a `waiter` the answer is 100 and the final code comes when it arrives.
    pub fn set_gripper(&mut self, now: SimTime, enable: bool, pos: f64, speed: f64, waiter: Option<W>) -> ApiCode {
        self.advance(now);
        if !pos.is_finite() || !(0.0..=850.0).contains(&pos) || !speed.is_finite() || speed <= 0.0 {
            return ApiCode::ParameterError;
        }
        self.settings.gripper_enabled = enable;
        if !enable {
            return ApiCode::Ok;
        }
        if self.gripper.set_target(pos, speed, now).is_err() {
            return ApiCode::ParameterError;
        }
        if let Some(previous) = self.gripper_waiter.take() {
            self.complete(previous, ApiCode::Ok, now);
        }
        match waiter {
            Some(w) if self.gripper.end_time() > now => {
                self.gripper_waiter = Some(w);
                ApiCode::Accepted
            }
            _ => ApiCode::Ok,
        }
    }

    /// Raises controller error `code` (a fault, a collision): the arm stops at once (waiters get 1) in state 4.
    pub fn raise_error(&mut self, now: SimTime, code: i32) {
        self.advance(now);
        if code != 0 {
            self.stop_motion(now, ApiCode::HasError);
        }
        self.arm.set_error(code);
    }

    /// Raises controller warning `code`; the arm keeps moving but new motions are refused with 2.
    pub fn raise_warn(&mut self, now: SimTime, code: i32) {
        self.advance(now);
        self.arm.set_warn(code);
    }

    /// Sets the TCP offset (mm, rad); refused with 9 while moves are planned.
    pub fn set_tcp_offset(&mut self, now: SimTime, offset: [f64; 6]) -> ApiCode {
        self.advance(now);
        if !offset.iter().all(|v| v.is_finite()) {
            return ApiCode::ParameterError;
        }
        if !self.queue.is_empty() {
            return ApiCode::NotReadyToMove;
        }
        self.settings.tcp_offset = offset;
        ApiCode::Ok
    }

    /// The motion queue as a dashboard shows it: when each planned move ends, and whether it is paused.
    pub fn motion_queue(&self) -> (Vec<SimTime>, bool) {
        (self.queue.end_times().collect(), self.queue.is_paused())
    }

    /// Moves planned and not yet finished (the controller's command count).
    pub fn queued_moves(&self) -> usize {
        self.queue.len()
    }

    /// Motion enable (the controller's register 11): enabling is refused (-9) while an e-stop is latched;
    /// either way the planned moves are dropped (waiters get -9), as a system reset does.
    pub fn motion_enable(&mut self, now: SimTime, on: bool) -> ApiCode {
        self.advance(now);
        self.stop_motion(now, ApiCode::EmergencyStop);
        self.arm.motion_enable(on).map_or_else(ApiCode::from, |()| ApiCode::Ok)
    }

    /// `set_mode` (register 19): mode 0..=7; a system reset (planned moves dropped, state 4 until `set_state(0)`).
    pub fn set_mode(&mut self, now: SimTime, mode: u8) -> ApiCode {
        self.advance(now);
        if mode > 7 {
            return ApiCode::ParameterError;
        }
        self.stop_motion(now, ApiCode::EmergencyStop);
        self.arm.set_mode(mode).map_or_else(ApiCode::from, |()| ApiCode::Ok)
    }

    /// Whether the gripper is still moving at `now`.
    pub fn gripper_is_moving(&self, now: SimTime) -> bool {
        self.gripper.is_moving(now)
    }

    /// Where the planned moves end: joints (rad) and the TCP pose with the TCP offset (mm, rad).
    pub fn planned_end(&self) -> (Vec<f64>, Pose) {
        (self.queue.end_joints().to_vec(), self.end_pose())
    }

    /// The gripper's target position and speed (r/min).
    pub fn gripper_target(&self) -> (f64, f64) {
        (self.gripper.target(), self.gripper.speed())
    }

    /// The uncleared error and warning codes and whether a new motion would be accepted, without sampling
    /// the arm (what every answer's state byte needs).
    pub fn codes(&self) -> (i32, i32, bool) {
        (
            self.arm.error_code(),
            self.arm.warn_code(),
            self.check_can_move().is_ok(),
        )
    }

    /// The controller state.
    pub fn state(&self) -> MotionState {
        self.arm.state()
    }

    /// Joint angles (rad) and velocities (rad/s) at `t`, without kinematics.
    pub fn joints_at(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        self.queue.sample(t)
    }

    /// The TCP pose (TCP offset applied) at `t`: one forward kinematics.
    pub fn pose_at(&self, t: SimTime) -> Pose {
        let (joints, _) = self.queue.sample(t);
        fk(self.model, &joints, self.settings.tcp_offset).unwrap_or(Pose::from_array([0.0; 6]))
    }

    /// The arm at `t` (no later than the last [`Controller::advance`] plus the current slot).
    pub fn snapshot(&self, t: SimTime) -> Snapshot {
        let (joints, joint_speeds) = self.queue.sample(t);
        let (_, later_speeds) = self.queue.sample(t.plus_millis(1));
        let joint_accs: Vec<f64> = later_speeds
            .iter()
            .zip(&joint_speeds)
            .map(|(b, a)| (b - a) / 1e-3)
            .collect();
        let tcp = self.settings.tcp_offset;
        let pose = fk(self.model, &joints, tcp).unwrap_or(Pose::from_array([0.0; 6]));
        let tcp_velocity = |q: &[f64], dq: &[f64]| {
            const H: f64 = 1e-4;
            let ahead: Vec<f64> = q.iter().zip(dq).map(|(a, v)| a + v * H).collect();
            let p1 = fk(self.model, &ahead, tcp).map_or([0.0; 3], |p| p.position());
            let p0 = fk(self.model, q, tcp).map_or([0.0; 3], |p| p.position());
            sub(p1, p0).map(|d| d / H)
        };
        let v_now = tcp_velocity(&joints, &joint_speeds);
        let (later_joints, _) = self.queue.sample(t.plus_millis(1));
        let v_later = tcp_velocity(&later_joints, &later_speeds);
        let tcp_acc = norm(sub(v_later, v_now)) / 1e-3;
        Snapshot {
            tcp_speed: norm(v_now),
            tcp_acc,
            joints,
            joint_speeds,
            joint_accs,
            pose,
            state: self.arm.state(),
            mode: self.arm.mode(),
            error_code: self.arm.error_code(),
            warn_code: self.arm.warn_code(),
            enabled: self.arm.is_enabled(),
            ready: self.check_can_move().is_ok(),
            busy: !self.queue.is_empty(),
            gripper_pos: self.gripper.sample(t),
        }
    }
}

#[cfg(test)]
mod tests;

//! Time-parameterised motions: synchronised trapezoidal joint moves and straight-line TCP moves.
//! Every sample is a pure function of the plan and a [`SimTime`]; nothing reads a clock.

use crate::time::SimTime;

use super::kinematics::{IkError, Pose, fk_transform, ik};
use super::limits::{LimitError, check_joints};
use super::math::{Transform, mat_mul, norm, rot_exp, rot_log, scale, sub, transpose};
use super::{ArmModel, DofMismatch};

/// SDK default joint speed: 20 deg/s in rad/s.
pub const DEFAULT_JOINT_SPEED: f64 = 0.3490659;
/// SDK default joint acceleration: 500 deg/s^2 in rad/s^2.
pub const DEFAULT_JOINT_ACC: f64 = 8.7266463;
/// SDK joint speed range (rad/s).
pub const JOINT_SPEED_RANGE: (f64, f64) = (0.0001, 4.0);
/// SDK joint acceleration range (rad/s^2).
pub const JOINT_ACC_RANGE: (f64, f64) = (0.01, 20.0);
/// SDK default TCP speed (mm/s).
pub const DEFAULT_TCP_SPEED: f64 = 100.0;
/// SDK default TCP acceleration (mm/s^2).
pub const DEFAULT_TCP_ACC: f64 = 2000.0;
/// SDK TCP speed range (mm/s).
pub const TCP_SPEED_RANGE: (f64, f64) = (0.1, 1000.0);
/// SDK TCP acceleration range (mm/s^2).
pub const TCP_ACC_RANGE: (f64, f64) = (1.0, 50000.0);
/// Simulator-defined default TCP rotation speed for linear moves: 30 deg/s (rad/s).
pub const DEFAULT_TCP_ANG_SPEED: f64 = std::f64::consts::FRAC_PI_6;
/// Simulator-defined default TCP rotation acceleration: 500 deg/s^2 (rad/s^2).
pub const DEFAULT_TCP_ANG_ACC: f64 = 8.7266463;
/// Spacing of the IK knots of a [`LinearMotion`] (ms), unless the move is very long.
pub const LINEAR_KNOT_MS: u64 = 10;
/// Most knots a [`LinearMotion`] keeps; longer moves space them further apart.
pub const LINEAR_MAX_KNOTS: u64 = 20_000;
/// Largest joint speed (rad/s) a linear move may need between knots; above it the move is
/// refused as passing too close to a singularity (the SDK's joint speed maximum).
pub const LINEAR_MAX_JOINT_SPEED: f64 = 4.0;

/// Why a motion could not be planned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MotionError {
    /// Start and target lengths differ from each other or from the model.
    Dof(DofMismatch),
    /// A position, speed or acceleration was NaN or infinite.
    NotFinite,
    /// Speed (or speed percent) was not positive.
    InvalidSpeed,
    /// Acceleration was not positive.
    InvalidAcceleration,
    /// Start or target violates the model's limits.
    Limit(LimitError),
    /// A point of a linear move has no IK solution.
    Ik(IkError),
    /// A linear move passes so close to a singularity that a joint would exceed
    /// [`LINEAR_MAX_JOINT_SPEED`].
    Singularity,
}

impl std::fmt::Display for MotionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MotionError::Dof(d) => d.fmt(f),
            MotionError::NotFinite => write!(f, "motion input is not finite"),
            MotionError::InvalidSpeed => write!(f, "speed must be positive"),
            MotionError::InvalidAcceleration => write!(f, "acceleration must be positive"),
            MotionError::Limit(e) => e.fmt(f),
            MotionError::Ik(e) => e.fmt(f),
            MotionError::Singularity => write!(f, "linear move passes a singularity"),
        }
    }
}

impl std::error::Error for MotionError {}

/// Validates a speed percent: `(0, 1]` is kept, values above 1 become 1 and below 0.01 become
/// 0.01 (Studio's `xarm_set_speed` range); zero, negative and non-finite values are errors.
pub fn speed_percent(percent: f64) -> Result<f64, MotionError> {
    if !percent.is_finite() {
        return Err(MotionError::NotFinite);
    }
    if percent <= 0.0 {
        return Err(MotionError::InvalidSpeed);
    }
    Ok(percent.clamp(0.01, 1.0))
}

/// Joint speed for a speed percent: `speed * percent` (acceleration is not scaled).
pub fn scaled_joint_speed(speed: f64, percent: f64) -> Result<f64, MotionError> {
    Ok(speed * speed_percent(percent)?)
}

/// A 1-D trapezoidal (or triangular) profile over `distance` from rest to rest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trapezoid {
    distance: f64,
    acc: f64,
    v_peak: f64,
    t_acc: f64,
    duration: f64,
}

impl Trapezoid {
    /// The fastest profile covering `distance >= 0` with speed <= `vmax` and |acc| <= `amax`.
    /// Triangular when the distance is too short to reach `vmax`.
    pub fn new(distance: f64, vmax: f64, amax: f64) -> Trapezoid {
        let distance = distance.abs();
        if distance == 0.0 {
            return Trapezoid {
                distance,
                acc: amax,
                v_peak: 0.0,
                t_acc: 0.0,
                duration: 0.0,
            };
        }
        let (v_peak, t_acc, duration) = if distance >= vmax * vmax / amax {
            let t_acc = vmax / amax;
            (vmax, t_acc, distance / vmax + t_acc)
        } else {
            let t_acc = (distance / amax).sqrt();
            (amax * t_acc, t_acc, 2.0 * t_acc)
        };
        Trapezoid {
            distance,
            acc: amax,
            v_peak,
            t_acc,
            duration,
        }
    }

    /// Total time (s).
    pub fn duration(&self) -> f64 {
        self.duration
    }

    /// Highest speed reached.
    pub fn peak_speed(&self) -> f64 {
        self.v_peak
    }

    /// `(covered distance, speed)` at `t` seconds after the start, clamped to `[0, duration]`.
    pub fn sample(&self, t: f64) -> (f64, f64) {
        if t <= 0.0 || self.duration == 0.0 {
            return (0.0, 0.0);
        }
        if t >= self.duration {
            return (self.distance, 0.0);
        }
        let t_dec = self.duration - self.t_acc;
        if t < self.t_acc {
            (0.5 * self.acc * t * t, self.acc * t)
        } else if t <= t_dec {
            let s_acc = 0.5 * self.acc * self.t_acc * self.t_acc;
            (s_acc + self.v_peak * (t - self.t_acc), self.v_peak)
        } else {
            let r = self.duration - t;
            (self.distance - 0.5 * self.acc * r * r, self.acc * r)
        }
    }
}

fn positive(v: f64, err: MotionError) -> Result<f64, MotionError> {
    if !v.is_finite() {
        Err(MotionError::NotFinite)
    } else if v <= 0.0 {
        Err(err)
    } else {
        Ok(v)
    }
}

fn duration_ms(seconds: f64) -> u64 {
    // Profiles are short (bounded by distance / speed); the cast saturates if not.
    (seconds * 1000.0 - 1e-9).ceil().max(0.0) as u64
}

fn elapsed_s(t: SimTime, t0: SimTime) -> f64 {
    t.saturating_since(t0) as f64 / 1000.0
}

/// When a move runs: from its start to the first instant its target is reached (whole milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    start: SimTime,
    end: SimTime,
}

impl TimeWindow {
    fn new(start: SimTime, duration_ms: u64) -> Self {
        TimeWindow {
            start,
            end: start.plus_millis(duration_ms),
        }
    }
}

/// What every planned move shares: when it runs, and being shifted later when a paused move resumes.
pub trait Timed {
    /// The move's time window.
    fn window(&self) -> &TimeWindow;
    /// The move's time window, to shift it.
    fn window_mut(&mut self) -> &mut TimeWindow;

    /// Whether the move has finished at `t`.
    fn is_done(&self, t: SimTime) -> bool {
        t >= self.window().end
    }
    /// When the move began.
    fn start_time(&self) -> SimTime {
        self.window().start
    }
    /// First instant at which the target is reached.
    fn end_time(&self) -> SimTime {
        self.window().end
    }
    /// The same move started `ms` later (a paused move resumes where it stopped).
    fn delay(&mut self, ms: u64) {
        let window = self.window_mut();
        *window = TimeWindow {
            start: window.start.plus_millis(ms),
            end: window.end.plus_millis(ms),
        };
    }
}

impl Timed for JointMotion {
    fn window(&self) -> &TimeWindow {
        &self.window
    }
    fn window_mut(&mut self) -> &mut TimeWindow {
        &mut self.window
    }
}

impl Timed for LinearMotion {
    fn window(&self) -> &TimeWindow {
        &self.window
    }
    fn window_mut(&mut self) -> &mut TimeWindow {
        &mut self.window
    }
}

impl Timed for ArmMotion {
    fn window(&self) -> &TimeWindow {
        match self {
            ArmMotion::Joint(m) => m.window(),
            ArmMotion::Linear(m) => m.window(),
        }
    }
    fn window_mut(&mut self) -> &mut TimeWindow {
        match self {
            ArmMotion::Joint(m) => m.window_mut(),
            ArmMotion::Linear(m) => m.window_mut(),
        }
    }
}

/// A synchronised joint move: every joint starts and stops together, following one
/// trapezoidal profile scaled by its own distance, so the joint with the largest distance
/// runs at the speed and acceleration limits and the others proportionally slower.
#[derive(Clone, Debug, PartialEq)]
pub struct JointMotion {
    start: Vec<f64>,
    target: Vec<f64>,
    window: TimeWindow,
    /// Profile of the normalised path parameter in `[0, 1]`.
    profile: Trapezoid,
}

impl JointMotion {
    /// Plans a move from `start` to `target` (rad) beginning at `t0`, with joint speed
    /// `max_speed` (rad/s) and acceleration `max_acc` (rad/s^2), both > 0. Limits are not
    /// checked here; see [`JointMotion::plan_for`].
    pub fn plan(
        start: &[f64],
        target: &[f64],
        max_speed: f64,
        max_acc: f64,
        t0: SimTime,
    ) -> Result<JointMotion, MotionError> {
        if start.len() != target.len() {
            return Err(MotionError::Dof(DofMismatch {
                expected: start.len(),
                got: target.len(),
            }));
        }
        if start.iter().chain(target).any(|v| !v.is_finite()) {
            return Err(MotionError::NotFinite);
        }
        let v = positive(max_speed, MotionError::InvalidSpeed)?;
        let a = positive(max_acc, MotionError::InvalidAcceleration)?;
        let lead = start.iter().zip(target).map(|(s, e)| (e - s).abs()).fold(0.0, f64::max);
        let profile = if lead > 0.0 {
            Trapezoid::new(1.0, v / lead, a / lead)
        } else {
            Trapezoid::new(0.0, v, a)
        };
        let window = TimeWindow::new(t0, duration_ms(profile.duration()));
        Ok(JointMotion {
            start: start.to_vec(),
            target: target.to_vec(),
            window,
            profile,
        })
    }

    /// Like [`JointMotion::plan`], but first checks that `start` and `target` fit `model`
    /// and its joint limits (every intermediate point then does too).
    pub fn plan_for(
        model: ArmModel,
        start: &[f64],
        target: &[f64],
        max_speed: f64,
        max_acc: f64,
        t0: SimTime,
    ) -> Result<JointMotion, MotionError> {
        check_joints(model, start).map_err(limit_error)?;
        check_joints(model, target).map_err(limit_error)?;
        JointMotion::plan(start, target, max_speed, max_acc, t0)
    }

    /// `(positions rad, velocities rad/s)` at `t`: the start before `t0`, the exact target
    /// from [`JointMotion::end_time`] on.
    pub fn sample(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        if t >= self.window.end {
            return (self.target.clone(), vec![0.0; self.target.len()]);
        }
        let (u, du) = self.profile.sample(elapsed_s(t, self.window.start));
        self.start
            .iter()
            .zip(&self.target)
            .map(|(s, e)| (s + (e - s) * u, (e - s) * du))
            .unzip()
    }

    /// The joint target.
    pub fn target(&self) -> &[f64] {
        &self.target
    }
}

fn limit_error(e: LimitError) -> MotionError {
    match e {
        LimitError::Dof(d) => MotionError::Dof(d),
        LimitError::NotFinite => MotionError::NotFinite,
        other => MotionError::Limit(other),
    }
}

/// Speed and acceleration limits of a straight-line TCP move.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CartesianLimits {
    /// TCP linear speed (mm/s).
    pub speed: f64,
    /// TCP linear acceleration (mm/s^2).
    pub acc: f64,
    /// TCP rotation speed (rad/s).
    pub ang_speed: f64,
    /// TCP rotation acceleration (rad/s^2).
    pub ang_acc: f64,
}

impl Default for CartesianLimits {
    /// SDK defaults 100 mm/s and 2000 mm/s^2; rotation 30 deg/s and 500 deg/s^2.
    fn default() -> Self {
        CartesianLimits {
            speed: DEFAULT_TCP_SPEED,
            acc: DEFAULT_TCP_ACC,
            ang_speed: DEFAULT_TCP_ANG_SPEED,
            ang_acc: DEFAULT_TCP_ANG_ACC,
        }
    }
}

impl CartesianLimits {
    /// These limits with both speeds multiplied by a speed percent (see [`speed_percent`]).
    pub fn scaled(self, percent: f64) -> Result<CartesianLimits, MotionError> {
        let p = speed_percent(percent)?;
        Ok(CartesianLimits {
            speed: self.speed * p,
            ang_speed: self.ang_speed * p,
            ..self
        })
    }
}

/// A straight-line TCP move: position on the segment, orientation along the shortest
/// rotation, both following one trapezoidal profile. IK is solved at plan time on knots every
/// [`LINEAR_KNOT_MS`] (each seeded from the previous one) and joints are interpolated linearly
/// between knots, so sampling is pure and cheap and an unreachable point fails the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearMotion {
    start: Transform,
    /// Translation (mm) and rotation vector (rad, base frame) from start to target.
    delta_pos: [f64; 3],
    delta_rot: [f64; 3],
    profile: Trapezoid,
    window: TimeWindow,
    knot_ms: u64,
    knots: Vec<Vec<f64>>,
}

impl LinearMotion {
    /// Plans a linear move of `model`'s TCP (with `tcp_offset`) from the pose at
    /// `start_joints` to `target`, starting at `t0`.
    pub fn plan(
        model: ArmModel,
        start_joints: &[f64],
        target: &Pose,
        tcp_offset: [f64; 6],
        limits: &CartesianLimits,
        t0: SimTime,
    ) -> Result<LinearMotion, MotionError> {
        check_joints(model, start_joints).map_err(limit_error)?;
        if !target.is_finite() || tcp_offset.iter().any(|v| !v.is_finite()) {
            return Err(MotionError::NotFinite);
        }
        let v = positive(limits.speed, MotionError::InvalidSpeed)?;
        let a = positive(limits.acc, MotionError::InvalidAcceleration)?;
        let w = positive(limits.ang_speed, MotionError::InvalidSpeed)?;
        let alpha = positive(limits.ang_acc, MotionError::InvalidAcceleration)?;
        // Classify an unreachable target before walking the line.
        ik(model, target, tcp_offset, start_joints).map_err(MotionError::Ik)?;
        let start = fk_transform(model, start_joints, tcp_offset).map_err(MotionError::Dof)?;
        let goal = target.to_transform();
        let delta_pos = sub(goal.pos, start.pos);
        let delta_rot = rot_log(&mat_mul(&goal.rot, &transpose(&start.rot)));
        let (dist, angle) = (norm(delta_pos), norm(delta_rot));
        // Normalised path parameter: bounded so that neither limit is exceeded.
        let vu = (v / dist).min(w / angle);
        let au = (a / dist).min(alpha / angle);
        let profile = if dist > 0.0 || angle > 0.0 {
            Trapezoid::new(1.0, vu, au)
        } else {
            Trapezoid::new(0.0, 1.0, 1.0)
        };
        let total_ms = duration_ms(profile.duration());
        let knot_ms = LINEAR_KNOT_MS.max(total_ms.div_ceil(LINEAR_MAX_KNOTS));
        let mut motion = LinearMotion {
            start,
            delta_pos,
            delta_rot,
            profile,
            window: TimeWindow::new(t0, total_ms),
            knot_ms,
            knots: vec![start_joints.to_vec()],
        };
        let mut k: u64 = 1;
        while (k - 1) * knot_ms < total_ms {
            let at_ms = (k * knot_ms).min(total_ms);
            let pose = motion.pose_after_ms(at_ms);
            let prev = motion.knots.last().cloned().unwrap_or_default();
            let q = ik(model, &pose, tcp_offset, &prev).map_err(MotionError::Ik)?;
            let dt = (at_ms - (k - 1) * knot_ms) as f64 / 1000.0;
            let jump = q.iter().zip(&prev).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            if jump > LINEAR_MAX_JOINT_SPEED * dt + 1e-9 {
                return Err(MotionError::Singularity);
            }
            motion.knots.push(q);
            k += 1;
        }
        Ok(motion)
    }

    fn pose_after_ms(&self, ms: u64) -> Pose {
        let (u, _) = self.profile.sample(ms as f64 / 1000.0);
        let rot = mat_mul(&rot_exp(scale(self.delta_rot, u)), &self.start.rot);
        let pos = [
            self.start.pos[0] + self.delta_pos[0] * u,
            self.start.pos[1] + self.delta_pos[1] * u,
            self.start.pos[2] + self.delta_pos[2] * u,
        ];
        Pose::from_transform(&Transform { rot, pos })
    }

    /// The ideal TCP pose on the line at `t` (the joints of [`LinearMotion::sample`] reach it
    /// exactly at knots and to within interpolation error between them).
    pub fn pose_at(&self, t: SimTime) -> Pose {
        self.pose_after_ms(t.saturating_since(self.window.start))
    }

    /// `(joint positions rad, joint velocities rad/s)` at `t`: joints interpolated linearly
    /// between IK knots; the start joints before `t0` and the final knot from the end on.
    pub fn sample(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        if t <= self.window.start {
            let first = self.knots.first().cloned().unwrap_or_default();
            let n = first.len();
            return (first, vec![0.0; n]);
        }
        let ms = t.saturating_since(self.window.start);
        let i = (ms / self.knot_ms) as usize;
        let (Some(a), Some(b)) = (self.knots.get(i), self.knots.get(i + 1)) else {
            let last = self.knots.last().cloned().unwrap_or_default();
            let n = last.len();
            return (last, vec![0.0; n]);
        };
        let seg_start = i as u64 * self.knot_ms;
        let seg_end = (seg_start + self.knot_ms).min(self.window.end.saturating_since(self.window.start));
        let span = seg_end.saturating_sub(seg_start).max(1) as f64;
        let f = (ms - seg_start) as f64 / span;
        a.iter()
            .zip(b)
            .map(|(x, y)| (x + (y - x) * f, (y - x) / (span / 1000.0)))
            .unzip()
    }

    /// The final joints (IK solution of the target).
    pub fn final_joints(&self) -> &[f64] {
        self.knots.last().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Either kind of arm motion, so a caller can hold one active move.
#[derive(Clone, Debug, PartialEq)]
pub enum ArmMotion {
    /// Joint-interpolated move.
    Joint(JointMotion),
    /// Straight-line TCP move.
    Linear(LinearMotion),
}

impl ArmMotion {
    /// Plans a straight-line move; if the line passes a singularity (for example a roll step
    /// at xArm 6's home pose, where J4 and J6 are aligned), falls back to a joint move to the
    /// IK solution of `target` at `joint_speed` / `joint_acc`. Other errors are returned.
    #[allow(clippy::too_many_arguments)]
    pub fn linear_or_joint(
        model: ArmModel,
        start_joints: &[f64],
        target: &Pose,
        tcp_offset: [f64; 6],
        limits: &CartesianLimits,
        joint_speed: f64,
        joint_acc: f64,
        t0: SimTime,
    ) -> Result<ArmMotion, MotionError> {
        match LinearMotion::plan(model, start_joints, target, tcp_offset, limits, t0) {
            Ok(m) => Ok(ArmMotion::Linear(m)),
            Err(MotionError::Singularity) => {
                let q = ik(model, target, tcp_offset, start_joints).map_err(MotionError::Ik)?;
                JointMotion::plan_for(model, start_joints, &q, joint_speed, joint_acc, t0).map(ArmMotion::Joint)
            }
            Err(e) => Err(e),
        }
    }

    /// `(joint positions rad, joint velocities rad/s)` at `t`.
    pub fn sample(&self, t: SimTime) -> (Vec<f64>, Vec<f64>) {
        match self {
            ArmMotion::Joint(m) => m.sample(t),
            ArmMotion::Linear(m) => m.sample(t),
        }
    }

    /// The joints at the end of the move.
    pub fn final_joints(&self) -> &[f64] {
        match self {
            ArmMotion::Joint(m) => m.target(),
            ArmMotion::Linear(m) => m.final_joints(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::kinematics::{fk, pose_distance};
    use crate::model::arm::limits::joint_limits;
    use proptest::prelude::*;

    const NO_TCP: [f64; 6] = [0.0; 6];

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    /// Samples every millisecond and checks limits, speed, acceleration and the endpoints.
    fn check_profile(model: ArmModel, m: &JointMotion, start: &[f64], v: f64, a: f64) {
        let t0 = m.start_time().as_millis();
        let (p0, v0) = m.sample(m.start_time());
        assert_eq!(p0, start);
        assert!(v0.iter().all(|x| *x == 0.0));
        let (pe, ve) = m.sample(m.end_time());
        assert_eq!(pe, m.target());
        assert!(ve.iter().all(|x| *x == 0.0));
        let limits = joint_limits(model);
        let mut prev: Vec<Vec<f64>> = Vec::new();
        for t in t0..=m.end_time().as_millis() + 2 {
            let (p, vel) = m.sample(ms(t));
            for (j, (&q, &(lo, hi))) in p.iter().zip(limits).enumerate() {
                assert!(q >= lo && q <= hi, "joint {j} = {q} at {t}");
                assert!(vel[j].abs() <= v + 1e-9, "speed {} at {t}", vel[j]);
            }
            if prev.len() == 2 {
                for j in 0..p.len() {
                    let acc = (p[j] - 2.0 * prev[1][j] + prev[0][j]) / 1e-6;
                    assert!(acc.abs() <= a + 1e-4, "acc {acc} at {t}");
                }
                prev.remove(0);
            }
            prev.push(p);
        }
        if m.end_time() > m.start_time() {
            assert!(!m.is_done(ms(m.end_time().as_millis() - 1)));
        }
        assert!(m.is_done(m.end_time()));
    }

    #[test]
    fn trapezoid_and_triangle_durations() {
        let t = Trapezoid::new(1.0, 0.5, 1.0);
        assert!((t.duration() - 2.5).abs() < 1e-12);
        assert_eq!(t.peak_speed(), 0.5);
        let tri = Trapezoid::new(0.1, 1.0, 1.0);
        assert!((tri.duration() - 2.0 * 0.1f64.sqrt()).abs() < 1e-12);
        assert!(tri.peak_speed() < 1.0);
        assert_eq!(tri.sample(10.0), (0.1, 0.0));
        let (s, v) = tri.sample(tri.duration() / 2.0);
        assert!((s - 0.05).abs() < 1e-12 && (v - tri.peak_speed()).abs() < 1e-12);
    }

    #[test]
    fn default_joint_move_is_synchronised() {
        let start = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let target = [1.0, -0.5, -1.0, 0.25, 0.5, 0.0];
        let m = JointMotion::plan_for(
            ArmModel::XArm6,
            &start,
            &target,
            DEFAULT_JOINT_SPEED,
            DEFAULT_JOINT_ACC,
            ms(1000),
        );
        let Ok(m) = m else {
            panic!("{m:?}");
        };
        // 1 rad at 0.349 rad/s with 8.73 rad/s^2: 1/0.349 + 0.04 s.
        let expect = 1.0 / DEFAULT_JOINT_SPEED + DEFAULT_JOINT_SPEED / DEFAULT_JOINT_ACC;
        assert_eq!(m.end_time().as_millis(), 1000 + (expect * 1000.0).ceil() as u64);
        check_profile(ArmModel::XArm6, &m, &start, DEFAULT_JOINT_SPEED, DEFAULT_JOINT_ACC);
        // Halfway in time all joints are halfway in distance (symmetric profile).
        let mid = SimTime::from_millis((m.start_time().as_millis() + m.end_time().as_millis()) / 2);
        let (p, _) = m.sample(mid);
        for j in 0..6 {
            assert!((p[j] - target[j] / 2.0).abs() < 1e-3, "{p:?}");
        }
    }

    #[test]
    fn short_move_is_triangular_and_zero_move_is_instant() {
        let m = JointMotion::plan(&[0.0; 5], &[0.001, 0.0, 0.0, 0.0, 0.0], 1.0, 8.0, ms(0));
        let Ok(m) = m else {
            panic!("{m:?}");
        };
        check_profile(ArmModel::XArm5, &m, &[0.0; 5], 1.0, 8.0);
        let z = JointMotion::plan(&[0.1; 7], &[0.1; 7], 1.0, 8.0, ms(5));
        assert_eq!(z.as_ref().map(|m| m.end_time()), Ok(ms(5)));
        assert_eq!(z.map(|m| m.is_done(ms(5))), Ok(true));
    }

    #[test]
    fn joint_plan_rejects_bad_input() {
        assert!(matches!(
            JointMotion::plan(&[0.0; 6], &[0.0; 5], 1.0, 1.0, ms(0)),
            Err(MotionError::Dof(_))
        ));
        assert_eq!(
            JointMotion::plan(&[0.0], &[1.0], 0.0, 1.0, ms(0)),
            Err(MotionError::InvalidSpeed)
        );
        assert_eq!(
            JointMotion::plan(&[0.0], &[1.0], 1.0, -1.0, ms(0)),
            Err(MotionError::InvalidAcceleration)
        );
        assert_eq!(
            JointMotion::plan(&[0.0], &[f64::NAN], 1.0, 1.0, ms(0)),
            Err(MotionError::NotFinite)
        );
        assert!(matches!(
            JointMotion::plan_for(
                ArmModel::XArm6,
                &[0.0; 6],
                &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                1.0,
                1.0,
                ms(0)
            ),
            Err(MotionError::Limit(LimitError::Joint { joint: 2, .. }))
        ));
    }

    #[test]
    fn speed_percent_scaling() {
        assert_eq!(speed_percent(2.0), Ok(1.0));
        assert_eq!(speed_percent(0.001), Ok(0.01));
        assert_eq!(speed_percent(0.0), Err(MotionError::InvalidSpeed));
        assert_eq!(speed_percent(f64::NAN), Err(MotionError::NotFinite));
        let v = scaled_joint_speed(DEFAULT_JOINT_SPEED, 0.5).unwrap_or(0.0);
        assert!((v - DEFAULT_JOINT_SPEED / 2.0).abs() < 1e-15);
        let c = CartesianLimits::default().scaled(0.5);
        assert_eq!(c.map(|c| c.speed), Ok(50.0));
    }

    fn plan_line(model: ArmModel, q0: &[f64], dx: [f64; 3], droll: f64) -> LinearMotion {
        let start = fk(model, q0, NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
        let mut target = start;
        target.x += dx[0];
        target.y += dx[1];
        target.z += dx[2];
        target.yaw += droll;
        match LinearMotion::plan(model, q0, &target, NO_TCP, &CartesianLimits::default(), ms(500)) {
            Ok(m) => m,
            Err(e) => panic!("{model:?}: {e:?}"),
        }
    }

    #[test]
    fn linear_step_moves_follow_the_line() {
        let seeds: [(ArmModel, Vec<f64>); 4] = [
            (ArmModel::XArm5, vec![0.0, -0.3, -0.6, 0.9, 0.0]),
            (ArmModel::XArm6, vec![0.0, -0.3, -0.6, 0.0, 0.9, 0.0]),
            (ArmModel::XArm7, vec![0.0, -0.3, 0.0, 0.6, 0.0, 0.9, 0.0]),
            (ArmModel::Lite6, vec![0.0, 0.3, 0.9, 0.0, 0.6, 0.0]),
        ];
        for (model, q0) in seeds {
            let m = plan_line(model, &q0, [30.0, -20.0, 10.0], 0.0);
            let (p0, _) = m.sample(ms(500));
            assert_eq!(p0, q0, "start is exact");
            let line_start = m.pose_at(ms(0)).position();
            let line_end = m.pose_at(m.end_time()).position();
            let limits = joint_limits(model);
            let mut prev_pose = m.pose_at(ms(500));
            for t in 500..=m.end_time().as_millis() {
                let (q, _) = m.sample(ms(t));
                assert!(q.iter().zip(limits).all(|(v, (lo, hi))| v >= lo && v <= hi));
                let p = fk(model, &q, NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
                // Distance from the segment.
                let d = sub(line_end, line_start);
                let r = sub(p.position(), line_start);
                let u = ((r[0] * d[0] + r[1] * d[1] + r[2] * d[2]) / norm(d).powi(2)).clamp(0.0, 1.0);
                let off = norm(sub(r, scale(d, u)));
                assert!(off < 0.01, "{model:?} off line by {off} mm at {t}");
                // Ideal TCP speed never exceeds 100 mm/s.
                let ideal = m.pose_at(ms(t));
                let speed = norm(sub(ideal.position(), prev_pose.position())) / 1e-3;
                assert!(speed <= DEFAULT_TCP_SPEED + 1e-6, "speed {speed}");
                prev_pose = ideal;
            }
            let end = fk(model, m.final_joints(), NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
            let (dp, _) = pose_distance(&end, &m.pose_at(m.end_time()));
            assert!(dp < 0.01, "{model:?} end off by {dp}");
            assert_eq!(m.sample(m.end_time()).0, m.final_joints());
            assert!(m.is_done(m.end_time()));
        }
    }

    #[test]
    fn step_moves_from_home_in_every_direction() {
        let steps: [([f64; 3], [f64; 3]); 9] = [
            ([10.0, 0.0, 0.0], [0.0; 3]),
            ([-10.0, 0.0, 0.0], [0.0; 3]),
            ([0.0, 10.0, 0.0], [0.0; 3]),
            ([0.0, -10.0, 0.0], [0.0; 3]),
            ([0.0, 0.0, 10.0], [0.0; 3]),
            ([0.0, 0.0, -10.0], [0.0; 3]),
            ([0.0; 3], [0.1, 0.0, 0.0]),
            ([0.0; 3], [0.0, 0.1, 0.0]),
            ([0.0; 3], [0.0, 0.0, 0.1]),
        ];
        for model in ArmModel::ALL {
            let home = vec![0.0; model.dof()];
            let start = fk(model, &home, NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
            for (dp, da) in steps {
                let mut target = start;
                target.x += dp[0];
                target.y += dp[1];
                target.z += dp[2];
                target.roll += da[0];
                target.pitch += da[1];
                target.yaw += da[2];
                let limits = CartesianLimits::default();
                let m = ArmMotion::linear_or_joint(
                    model,
                    &home,
                    &target,
                    NO_TCP,
                    &limits,
                    DEFAULT_JOINT_SPEED,
                    DEFAULT_JOINT_ACC,
                    ms(0),
                );
                let Ok(m) = m else {
                    panic!("{model:?} step {dp:?} {da:?}: {m:?}");
                };
                // Only a tool tilt out of the aligned J4/J6 axes at home needs the fallback.
                let wrist_flip = da[0] != 0.0 && model != ArmModel::XArm5;
                if !wrist_flip {
                    assert!(matches!(m, ArmMotion::Linear(_)), "{model:?} {dp:?} {da:?}");
                }
                assert_eq!(m.sample(m.end_time()).0, m.final_joints());
                assert!(m.is_done(m.end_time()));
                let end = fk(model, m.final_joints(), NO_TCP).unwrap_or(start);
                let (ep, ea) = pose_distance(&end, &target);
                assert!(ep < 0.01, "{model:?} {dp:?} {da:?}: {ep} mm");
                // xArm 5 cannot roll the tool out of its arm plane: best effort there.
                if model != ArmModel::XArm5 || da[0] == 0.0 {
                    assert!(ea < 1e-3, "{model:?} {dp:?} {da:?}: {ea} rad");
                }
            }
        }
    }

    #[test]
    fn linear_rotation_only_move_uses_the_angular_limits() {
        let q0 = [0.0, -0.3, -0.6, 0.0, 0.9, 0.0];
        let m = plan_line(ArmModel::XArm6, &q0, [0.0; 3], 0.3);
        // 0.3 rad at 30 deg/s and 500 deg/s^2.
        let expect = 0.3 / DEFAULT_TCP_ANG_SPEED + DEFAULT_TCP_ANG_SPEED / DEFAULT_TCP_ANG_ACC;
        let dur = (m.end_time().as_millis() - 500) as f64 / 1000.0;
        assert!((dur - expect).abs() < 2e-3, "{dur} vs {expect}");
        let end = fk(ArmModel::XArm6, m.final_joints(), NO_TCP);
        let start = fk(ArmModel::XArm6, &q0, NO_TCP);
        if let (Ok(e), Ok(s)) = (end, start) {
            let (dp, da) = pose_distance(&e, &s);
            assert!(dp < 0.01 && (da - 0.3).abs() < 1e-4);
        } else {
            panic!("fk failed");
        }
    }

    #[test]
    fn linear_move_out_of_reach_fails_at_plan_time() {
        let q0 = [0.0, -0.3, -0.6, 0.0, 0.9, 0.0];
        let start = fk(ArmModel::XArm6, &q0, NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
        let plan = |target: &Pose| {
            LinearMotion::plan(ArmModel::XArm6, &q0, target, NO_TCP, &CartesianLimits::default(), ms(0))
        };
        let mut target = start;
        target.x = 740.0;
        target.z = 900.0;
        let r = plan(&target);
        assert!(matches!(r, Err(MotionError::Ik(IkError::Unreachable))), "{r:?}");
        target.x = 800.0;
        let r = plan(&target);
        assert!(matches!(r, Err(MotionError::Ik(IkError::OutOfTcpLimits))), "{r:?}");
    }

    fn joint_pair(model: ArmModel) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        let ranges: Vec<std::ops::RangeInclusive<f64>> = joint_limits(model).iter().map(|&(lo, hi)| lo..=hi).collect();
        (ranges.clone(), ranges)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn prop_joint_profiles_respect_limits(
            model_ix in 0usize..4,
            pct in 0.01f64..=1.0,
            acc in 0.5f64..20.0,
            t0 in 0u64..100_000,
            seed in any::<u64>(),
        ) {
            let model = ArmModel::ALL[model_ix];
            // Deterministic start/target from the seed, inside the limits.
            let mut s = seed | 1;
            let mut next = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s >> 11) as f64 / (1u64 << 53) as f64 };
            let lim = joint_limits(model);
            let start: Vec<f64> = lim.iter().map(|&(lo, hi)| lo + next() * (hi - lo)).collect();
            // Keep moves to a few radians so the 1 ms sweep stays quick.
            let target: Vec<f64> = start.iter().zip(lim).map(|(&q, &(lo, hi))| (q + (next() - 0.5) * 2.0).clamp(lo, hi)).collect();
            let v = scaled_joint_speed(2.0, pct).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let m = JointMotion::plan_for(model, &start, &target, v, acc, ms(t0))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_profile(model, &m, &start, v, acc);
        }

        #[test]
        fn prop_limit_box_pairs_plan(pair in joint_pair(ArmModel::Lite6)) {
            let (a, b) = pair;
            let m = JointMotion::plan_for(ArmModel::Lite6, &a, &b, 4.0, 20.0, ms(0))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(m.sample(m.end_time()).0, b);
            prop_assert_eq!(m.sample(ms(0)).0, a);
        }
    }
}

//! Modified-DH tables, forward kinematics and numerical inverse kinematics.
//! Lengths in mm, angles in rad; poses are `[x, y, z, roll, pitch, yaw]` with `R = Rz(yaw) Ry(pitch) Rx(roll)`.

use std::f64::consts::{FRAC_PI_2, PI};

use super::limits::{check_tcp_position, clamp_joints, joint_limits};
use super::math::{
    MAX_N, Square, Transform, Vec3, cross, mat_mul, mat_to_rpy, norm, rot_log, rot_x, rot_z, rpy_to_mat, solve_spd,
    sub, transpose,
};
use super::{ArmModel, DofMismatch};

/// One row of a modified (Craig) DH table: `T = Rx(alpha) Tx(a) Rz(q + offset) Tz(d)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhRow {
    /// Offset along the joint's own z axis (mm).
    pub d: f64,
    /// Twist about the previous x axis (rad).
    pub alpha: f64,
    /// Offset along the previous x axis (mm).
    pub a: f64,
    /// Joint angle at which the DH angle is zero: `theta = q + offset` (rad).
    pub offset: f64,
}

const fn row(d: f64, alpha: f64, a: f64, offset: f64) -> DhRow {
    DhRow { d, alpha, a, offset }
}

/// The modified-DH table of `model`, J1 first, as published in UFACTORY's
/// "Kinematic and Dynamic Parameters" pages (mm, rad). The flange is the last DH frame.
///
/// xArm 5's published modified table omits `a = 76` on J5; its standard-DH table and the
/// URDF (`joint5 x = 0.076`) both have it, so it is included here.
pub fn dh_table(model: ArmModel) -> &'static [DhRow] {
    static TABLES: std::sync::LazyLock<[Vec<DhRow>; 4]> =
        std::sync::LazyLock::new(|| ArmModel::ALL.map(published_dh_table));
    let index = ArmModel::ALL.iter().position(|m| *m == model).unwrap_or_default();
    &TABLES[index]
}

/// The furthest the flange can be from the base origin (mm): each DH link moves it by `hypot(a, d)` at most.
fn flange_reach(model: ArmModel) -> f64 {
    dh_table(model).iter().map(|r| r.a.hypot(r.d)).sum()
}

fn published_dh_table(model: ArmModel) -> Vec<DhRow> {
    // Shoulder-to-elbow: 53.5 mm forward, 284.5 mm up (xArm 5/6).
    let t2 = -(284.5f64).atan2(53.5);
    let a2 = (284.5f64).hypot(53.5);
    // Elbow-to-wrist on xArm 5: 77.5 mm then 342.5 mm.
    let t4_x5 = -(342.5f64).atan2(77.5);
    let a3_x5 = (342.5f64).hypot(77.5);
    match model {
        ArmModel::XArm6 => vec![
            row(267.0, 0.0, 0.0, 0.0),
            row(0.0, -FRAC_PI_2, 0.0, t2),
            row(0.0, 0.0, a2, -t2),
            row(342.5, -FRAC_PI_2, 77.5, 0.0),
            row(0.0, FRAC_PI_2, 0.0, 0.0),
            row(97.0, -FRAC_PI_2, 76.0, 0.0),
        ],
        ArmModel::XArm7 => vec![
            row(267.0, 0.0, 0.0, 0.0),
            row(0.0, -FRAC_PI_2, 0.0, 0.0),
            row(293.0, FRAC_PI_2, 0.0, 0.0),
            row(0.0, FRAC_PI_2, 52.5, 0.0),
            row(342.5, FRAC_PI_2, 77.5, 0.0),
            row(0.0, FRAC_PI_2, 0.0, 0.0),
            row(97.0, -FRAC_PI_2, 76.0, 0.0),
        ],
        ArmModel::XArm5 => vec![
            row(267.0, 0.0, 0.0, 0.0),
            row(0.0, -FRAC_PI_2, 0.0, t2),
            row(0.0, 0.0, a2, -t2 - t4_x5),
            row(0.0, 0.0, a3_x5, t4_x5),
            row(97.0, -FRAC_PI_2, 76.0, 0.0),
        ],
        ArmModel::Lite6 => vec![
            row(243.3, 0.0, 0.0, 0.0),
            row(0.0, -FRAC_PI_2, 0.0, -FRAC_PI_2),
            row(0.0, PI, 200.0, -FRAC_PI_2),
            row(227.6, FRAC_PI_2, 87.0, 0.0),
            row(0.0, FRAC_PI_2, 0.0, 0.0),
            row(61.5, -FRAC_PI_2, 0.0, 0.0),
        ],
    }
}

/// A Cartesian pose: position in mm, orientation as roll/pitch/yaw in rad with
/// `R = Rz(yaw) * Ry(pitch) * Rx(roll)` (the xArm SDK / Studio convention).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// x (mm).
    pub x: f64,
    /// y (mm).
    pub y: f64,
    /// z (mm).
    pub z: f64,
    /// Rotation about the fixed x axis (rad), in `(-pi, pi]`.
    pub roll: f64,
    /// Rotation about the fixed y axis (rad), in `[-pi/2, pi/2]`.
    pub pitch: f64,
    /// Rotation about the fixed z axis (rad), in `(-pi, pi]`.
    pub yaw: f64,
}

impl Pose {
    /// From `[x, y, z, roll, pitch, yaw]` (mm, rad).
    pub fn from_array(a: [f64; 6]) -> Pose {
        Pose {
            x: a[0],
            y: a[1],
            z: a[2],
            roll: a[3],
            pitch: a[4],
            yaw: a[5],
        }
    }

    /// As `[x, y, z, roll, pitch, yaw]` (mm, rad), the order of Studio's `xarm_tcp_pose`.
    pub fn to_array(self) -> [f64; 6] {
        [self.x, self.y, self.z, self.roll, self.pitch, self.yaw]
    }

    /// The position `[x, y, z]` (mm).
    pub fn position(&self) -> Vec3 {
        [self.x, self.y, self.z]
    }

    /// The pose as a rigid transform (base <- TCP).
    pub fn to_transform(self) -> Transform {
        Transform {
            rot: rpy_to_mat(self.roll, self.pitch, self.yaw),
            pos: self.position(),
        }
    }

    /// The pose of a rigid transform, with angles normalised as documented on the fields.
    pub fn from_transform(t: &Transform) -> Pose {
        let (roll, pitch, yaw) = mat_to_rpy(&t.rot);
        Pose {
            x: t.pos[0],
            y: t.pos[1],
            z: t.pos[2],
            roll,
            pitch,
            yaw,
        }
    }

    /// Whether every component is finite.
    pub fn is_finite(&self) -> bool {
        self.to_array().iter().all(|v| v.is_finite())
    }
}

/// Position distance (mm) and rotation angle between two poses (rad).
pub fn pose_distance(a: &Pose, b: &Pose) -> (f64, f64) {
    let ta = a.to_transform();
    let tb = b.to_transform();
    let dp = norm(sub(ta.pos, tb.pos));
    let da = norm(rot_log(&mat_mul(&ta.rot, &transpose(&tb.rot))));
    (dp, da)
}

fn dh_transform(r: &DhRow, q: f64) -> Transform {
    let twist = Transform {
        rot: rot_x(r.alpha),
        pos: [r.a, 0.0, 0.0],
    };
    let joint = Transform {
        rot: rot_z(q + r.offset),
        pos: [0.0, 0.0, r.d],
    };
    twist.compose(&joint)
}

/// The TCP offset `[x, y, z, roll, pitch, yaw]` (mm, rad, flange frame) as a transform.
pub fn tcp_transform(tcp_offset: [f64; 6]) -> Transform {
    Pose::from_array(tcp_offset).to_transform()
}

/// Base-frame transforms of every joint frame (J1..Jn; the last is the flange) for `joints`.
pub fn joint_frames(model: ArmModel, joints: &[f64]) -> Result<Vec<Transform>, DofMismatch> {
    model.check_dof(joints)?;
    let mut t = Transform::IDENTITY;
    Ok(dh_table(model)
        .iter()
        .zip(joints)
        .map(|(r, &q)| {
            t = t.compose(&dh_transform(r, q));
            t
        })
        .collect())
}

/// Base-frame transform of the TCP: flange pose composed with `tcp_offset`.
pub fn fk_transform(model: ArmModel, joints: &[f64], tcp_offset: [f64; 6]) -> Result<Transform, DofMismatch> {
    let frames = joint_frames(model, joints)?;
    let flange = frames.last().copied().unwrap_or(Transform::IDENTITY);
    Ok(flange.compose(&tcp_transform(tcp_offset)))
}

/// Forward kinematics: the TCP pose for `joints` (rad) with `tcp_offset` applied after the flange.
pub fn fk(model: ArmModel, joints: &[f64], tcp_offset: [f64; 6]) -> Result<Pose, DofMismatch> {
    fk_transform(model, joints, tcp_offset).map(|t| Pose::from_transform(&t))
}

/// Why inverse kinematics failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IkError {
    /// The seed had the wrong number of joints.
    Dof(DofMismatch),
    /// The target, TCP offset or seed contained NaN or infinity.
    NotFinite,
    /// The target position is outside the model's TCP limit box (checked before solving).
    OutOfTcpLimits,
    /// No joint vector reaches the target to 0.01 mm / 0.01 deg.
    Unreachable,
    /// The target is reachable only with joints outside their limits.
    JointLimit,
}

impl std::fmt::Display for IkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IkError::Dof(d) => d.fmt(f),
            IkError::NotFinite => write!(f, "IK input is not finite"),
            IkError::OutOfTcpLimits => write!(f, "target outside the TCP limits"),
            IkError::Unreachable => write!(f, "target unreachable"),
            IkError::JointLimit => write!(f, "target reachable only outside the joint limits"),
        }
    }
}

impl std::error::Error for IkError {}

/// IK success threshold on position (mm).
pub const IK_POS_TOL_MM: f64 = 0.01;
/// IK success threshold on orientation (rad; 0.01 deg).
pub const IK_ANG_TOL_RAD: f64 = 0.01 * PI / 180.0;

/// Orientation weight (mm per rad) in the 6-D error for 6/7-joint arms.
const ORI_WEIGHT: f64 = 200.0;
/// Orientation weight for xArm 5's first (compromise) phase.
const ORI_WEIGHT_X5: f64 = 1.0;
const MAX_ITER: usize = 150;
/// Deterministic alternative seeds tried when the seeded solve fails.
const ALT_SEEDS: usize = 16;
/// Single-joint nudge (rad) applied to the seed when the seeded solve fails.
const NUDGE: f64 = 0.3;

/// Inverse kinematics by Levenberg-Marquardt (damped least squares) on the pose error,
/// started from `seed` (clamped into the limits) and kept inside the joint limits.
///
/// * 6/7 joints: the full 6-D error (position mm, orientation rad weighted 200 mm/rad);
///   success needs 0.01 mm and 0.01 deg. xArm 7's redundancy is resolved by the damping,
///   which keeps the answer near the seed.
/// * xArm 5 (5 joints): position is solved exactly and orientation as closely as reachable:
///   first the weighted 6-D error (1 mm/rad), then position alone. Success needs 0.01 mm;
///   orientation is best effort and never an error.
///
/// Joints with a ±2π range are returned on the turn nearest the seed.
/// If the seeded solve fails (e.g. at a wrist singularity), the seed nudged by ±0.3 rad one
/// joint at a time is tried, then a fixed low-discrepancy set of seeds; the converged answer
/// nearest the seed wins. If none converges within the limits, the same is done without
/// limits: a hit there means [`IkError::JointLimit`], otherwise [`IkError::Unreachable`].
/// The search is local, so "unreachable" means "not found from these seeds".
pub fn ik(model: ArmModel, target: &Pose, tcp_offset: [f64; 6], seed: &[f64]) -> Result<Vec<f64>, IkError> {
    model.check_dof(seed).map_err(IkError::Dof)?;
    if !target.is_finite() || tcp_offset.iter().any(|v| !v.is_finite()) || seed.iter().any(|v| !v.is_finite()) {
        return Err(IkError::NotFinite);
    }
    if check_tcp_position(model, target.position()).is_err() {
        return Err(IkError::OutOfTcpLimits);
    }
    // Out of reach whatever the joints: no solve can converge, so the search is skipped (it is the costliest case).
    let tcp_length = norm([tcp_offset[0], tcp_offset[1], tcp_offset[2]]);
    if norm(target.position()) > flange_reach(model) + tcp_length + IK_POS_TOL_MM {
        return Err(IkError::Unreachable);
    }
    let problem = Problem {
        model,
        target: target.to_transform(),
        tcp: tcp_transform(tcp_offset),
    };
    let clamped = clamp_joints(model, seed);
    if let Some(q) = problem.solve(&clamped, true) {
        return Ok(wrap_into_limits(model, &q, seed));
    }
    // Escape a singular or locally stuck seed: nudge one joint at a time, then fall back to
    // spread-out seeds; keep the converged answer nearest the seed.
    let nudged: Vec<Vec<f64>> = (0..2 * seed.len())
        .map(|k| {
            let mut s = seed.to_vec();
            s[k / 2] += if k % 2 == 0 { NUDGE } else { -NUDGE };
            clamp_joints(model, &s)
        })
        .collect();
    let alts: Vec<Vec<f64>> = (0..ALT_SEEDS).map(|k| alt_seed(model, target, k)).collect();
    for group in [&nudged, &alts] {
        let best = group
            .iter()
            .filter_map(|s| problem.solve(s, true))
            .map(|q| wrap_into_limits(model, &q, seed))
            .min_by(|a, b| distance(a, seed).total_cmp(&distance(b, seed)));
        if let Some(q) = best {
            return Ok(q);
        }
    }
    for s in std::iter::once(&clamped).chain(&nudged).chain(&alts) {
        if let Some(q) = problem.solve(s, false) {
            let wrapped = wrap_into_limits(model, &q, seed);
            if super::limits::check_joints(model, &wrapped).is_ok() {
                return Ok(wrapped);
            }
            return Err(IkError::JointLimit);
        }
    }
    Err(IkError::Unreachable)
}

/// Euclidean distance between joint vectors.
fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// The `k`-th deterministic alternative seed: J1 towards the target (or away, for odd `k`),
/// other joints spread over their limits by a golden-ratio sequence.
fn alt_seed(model: ArmModel, target: &Pose, k: usize) -> Vec<f64> {
    let golden = 0.618_033_988_749_895_f64;
    let azimuth = target.y.atan2(target.x);
    joint_limits(model)
        .iter()
        .enumerate()
        .map(|(j, &(lo, hi))| {
            if j == 0 {
                if k % 2 == 0 { azimuth } else { azimuth - PI }
            } else {
                let (lo, hi) = (lo.max(-PI), hi.min(PI));
                let u = ((k as f64 + 1.0) * golden * (j as f64 + 1.0).sqrt()).fract();
                lo + u * (hi - lo)
            }
        })
        .collect()
}

/// Shifts each joint by multiples of 2*pi to land inside its limits, nearest to `near`.
fn wrap_into_limits(model: ArmModel, q: &[f64], near: &[f64]) -> Vec<f64> {
    q.iter()
        .zip(near)
        .zip(joint_limits(model))
        .map(|((&v, &n), &(lo, hi))| {
            (-3..=3)
                .map(|k| v + f64::from(k) * 2.0 * PI)
                .filter(|c| *c >= lo && *c <= hi)
                .min_by(|a, b| (a - n).abs().total_cmp(&(b - n).abs()))
                .unwrap_or(v)
        })
        .collect()
}

struct Problem {
    model: ArmModel,
    target: Transform,
    tcp: Transform,
}

/// Residual (position mm, rotation vector rad) and Jacobian columns at one joint vector.
struct Linearisation {
    pos_err: Vec3,
    rot_err: Vec3,
    /// `jac[j] = [dp/dq_j (3), dw/dq_j (3)]`.
    jac: Vec<[f64; 6]>,
}

impl Problem {
    fn errors(&self, q: &[f64]) -> (Vec3, Vec3) {
        match fk_transform_t(self.model, q, &self.tcp) {
            Some(t) => (
                sub(self.target.pos, t.pos),
                rot_log(&mat_mul(&self.target.rot, &transpose(&t.rot))),
            ),
            None => ([f64::INFINITY; 3], [f64::INFINITY; 3]),
        }
    }

    fn linearise(&self, q: &[f64]) -> Option<Linearisation> {
        let frames = joint_frames(self.model, q).ok()?;
        let tcp = frames.last()?.compose(&self.tcp);
        let jac = frames
            .iter()
            .map(|f| {
                let z = [f.rot[0][2], f.rot[1][2], f.rot[2][2]];
                let v = cross(z, sub(tcp.pos, f.pos));
                [v[0], v[1], v[2], z[0], z[1], z[2]]
            })
            .collect();
        Some(Linearisation {
            pos_err: sub(self.target.pos, tcp.pos),
            rot_err: rot_log(&mat_mul(&self.target.rot, &transpose(&tcp.rot))),
            jac,
        })
    }

    /// Runs the solver from `start`; `Some(q)` if it met the success thresholds.
    fn solve(&self, start: &[f64], bounded: bool) -> Option<Vec<f64>> {
        let q = if self.model.dof() < 6 {
            let q = self.lm(start, bounded, ORI_WEIGHT_X5);
            self.lm(&q, bounded, 0.0)
        } else {
            self.lm(start, bounded, ORI_WEIGHT)
        };
        let (ep, er) = self.errors(&q);
        let pos_ok = norm(ep) < IK_POS_TOL_MM;
        let rot_ok = self.model.dof() < 6 || norm(er) < IK_ANG_TOL_RAD;
        (pos_ok && rot_ok).then_some(q)
    }

    fn cost(&self, q: &[f64], w: f64) -> f64 {
        let (ep, er) = self.errors(q);
        let p = norm(ep);
        let r = norm(er) * w;
        p * p + r * r
    }

    /// Levenberg-Marquardt on `|pos_err|^2 + (w |rot_err|)^2`; `w = 0` is position only.
    fn lm(&self, start: &[f64], bounded: bool, w: f64) -> Vec<f64> {
        let n = start.len();
        let limits = joint_limits(self.model);
        let mut q = start.to_vec();
        let mut cost = self.cost(&q, w);
        let mut lambda: Option<f64> = None;
        for _ in 0..MAX_ITER {
            let Some(lin) = self.linearise(&q) else {
                break;
            };
            if norm(lin.pos_err) < 1e-8 && (w == 0.0 || norm(lin.rot_err) < 1e-10) {
                break;
            }
            // Weighted residual and normal equations.
            let e = [
                lin.pos_err[0],
                lin.pos_err[1],
                lin.pos_err[2],
                w * lin.rot_err[0],
                w * lin.rot_err[1],
                w * lin.rot_err[2],
            ];
            let col = |j: usize, r: usize| {
                if r < 3 { lin.jac[j][r] } else { w * lin.jac[j][r] }
            };
            let mut g = [0.0; MAX_N];
            let mut a: Square = [[0.0; MAX_N]; MAX_N];
            for (i, row) in a.iter_mut().enumerate().take(n) {
                g[i] = (0..6).map(|r| col(i, r) * e[r]).sum();
                for (j, entry) in row.iter_mut().enumerate().take(n) {
                    *entry = (0..6).map(|r| col(i, r) * col(j, r)).sum();
                }
            }
            let g = &g[..n];
            let max_diag = (0..n).map(|i| a[i][i]).fold(1e-12, f64::max);
            let mut lam = lambda.unwrap_or(1e-3 * max_diag);
            let mut accepted = false;
            for _ in 0..30 {
                let Some(dq) = damped_step(&a, g, lam, &q, limits, bounded) else {
                    lam *= 4.0;
                    continue;
                };
                let cand: Vec<f64> = q
                    .iter()
                    .zip(&dq)
                    .zip(limits)
                    .map(|((&qi, &d), &(lo, hi))| {
                        let v = qi + d;
                        if bounded { v.clamp(lo, hi) } else { v }
                    })
                    .collect();
                let c = self.cost(&cand, w);
                if c < cost {
                    let step: f64 = q.iter().zip(&cand).map(|(a, b)| (a - b).abs()).sum();
                    q = cand;
                    cost = c;
                    lam = (lam / 3.0).max(1e-12 * max_diag);
                    accepted = step > 1e-15;
                    break;
                }
                lam *= 4.0;
            }
            lambda = Some(lam);
            if !accepted {
                break;
            }
        }
        q
    }
}

/// The TCP transform for `q`, composed link by link without collecting the joint frames.
fn fk_transform_t(model: ArmModel, q: &[f64], tcp: &Transform) -> Option<Transform> {
    model.check_dof(q).ok()?;
    let flange = dh_table(model)
        .iter()
        .zip(q)
        .fold(Transform::IDENTITY, |t, (r, &qi)| t.compose(&dh_transform(r, qi)));
    Some(flange.compose(tcp))
}

/// Solves `(A + lam I) dq = g`; with `bounded`, joints at a limit whose step points outward
/// are frozen (removed) and the system solved again.
fn damped_step(
    a: &Square,
    g: &[f64],
    lam: f64,
    q: &[f64],
    limits: &[(f64, f64)],
    bounded: bool,
) -> Option<[f64; MAX_N]> {
    let n = g.len();
    let mut frozen = [false; MAX_N];
    let mut dq = [0.0; MAX_N];
    for _ in 0..2 {
        let mut m: Square = [[0.0; MAX_N]; MAX_N];
        let mut rhs = [0.0; MAX_N];
        for i in 0..n {
            for j in 0..n {
                m[i][j] = if frozen[i] || frozen[j] { 0.0 } else { a[i][j] };
            }
            m[i][i] += lam;
            rhs[i] = if frozen[i] { 0.0 } else { g[i] };
        }
        dq = solve_spd(&m, &rhs[..n])?;
        if !bounded {
            break;
        }
        let mut changed = false;
        for i in 0..n {
            let (lo, hi) = limits[i];
            let pushes_out = (q[i] <= lo + 1e-12 && dq[i] < 0.0) || (q[i] >= hi - 1e-12 && dq[i] > 0.0);
            if pushes_out && !frozen[i] {
                frozen[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Some(dq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::limits::check_joints;
    use crate::model::arm::math::mat_vec;
    use proptest::prelude::*;

    fn axis_z(t: &Transform) -> Vec3 {
        mat_vec(&t.rot, &[0.0, 0.0, 1.0])
    }

    const NO_TCP: [f64; 6] = [0.0; 6];

    fn deg(v: f64) -> f64 {
        v.to_radians()
    }

    #[test]
    fn zero_poses_match_the_sdk() {
        // Known home poses reported by the SDK / Studio (mm, deg).
        let expected = [
            (ArmModel::XArm5, [207.0, 0.0, 112.0, 180.0, 0.0, 0.0]),
            (ArmModel::XArm6, [207.0, 0.0, 112.0, 180.0, 0.0, 0.0]),
            (ArmModel::XArm7, [206.0, 0.0, 120.5, 180.0, 0.0, 0.0]),
            (ArmModel::Lite6, [87.0, 0.0, 154.2, 180.0, 0.0, 0.0]),
        ];
        for (model, e) in expected {
            let p = fk(model, &vec![0.0; model.dof()], NO_TCP)
                .map(Pose::to_array)
                .unwrap_or([f64::NAN; 6]);
            for i in 0..3 {
                assert!((p[i] - e[i]).abs() < 1e-9, "{model:?} {p:?}");
            }
            for i in 3..6 {
                assert!((p[i] - deg(e[i])).abs() < 1e-9, "{model:?} {p:?}");
            }
        }
    }

    #[test]
    fn fk_rejects_wrong_length() {
        assert_eq!(
            fk(ArmModel::XArm7, &[0.0; 6], NO_TCP),
            Err(DofMismatch { expected: 7, got: 6 })
        );
    }

    #[test]
    fn tcp_offset_is_applied_in_the_flange_frame() {
        // Flange z points down at zero, so +z tool offset lowers the TCP.
        let p = fk(ArmModel::XArm6, &[0.0; 6], [0.0, 0.0, 100.0, 0.0, 0.0, 0.0]);
        let p = p.map(Pose::to_array).unwrap_or([f64::NAN; 6]);
        assert!((p[0] - 207.0).abs() < 1e-9 && (p[2] - 12.0).abs() < 1e-9);
        // A tool yaw of 90 deg turns the reported orientation.
        let q = fk(ArmModel::XArm6, &[0.0; 6], [0.0, 0.0, 0.0, 0.0, 0.0, deg(90.0)]);
        let q = q.map(Pose::to_array).unwrap_or([f64::NAN; 6]);
        assert!((q[3] - PI).abs() < 1e-9 && q[4].abs() < 1e-9);
        assert!((q[5] + FRAC_PI_2).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn jacobian_axes_are_unit_vectors() {
        let frames = joint_frames(ArmModel::XArm7, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
        for f in frames.unwrap_or_default() {
            assert!((norm(axis_z(&f)) - 1.0).abs() < 1e-12);
        }
    }

    fn round_trip(model: ArmModel, q: &[f64], seed: &[f64], tcp: [f64; 6]) {
        let target = fk(model, q, tcp).unwrap_or(Pose::from_array([f64::NAN; 6]));
        let sol = ik(model, &target, tcp, seed);
        let Ok(sol) = sol else {
            panic!("{model:?} q={q:?} seed={seed:?}: {sol:?}");
        };
        assert!(check_joints(model, &sol).is_ok(), "{sol:?}");
        let back = fk(model, &sol, tcp).unwrap_or(Pose::from_array([f64::NAN; 6]));
        let (dp, da) = pose_distance(&back, &target);
        assert!(dp < IK_POS_TOL_MM, "{model:?} dp={dp}");
        assert!(da < IK_ANG_TOL_RAD, "{model:?} da={da}");
    }

    #[test]
    fn ik_round_trips_for_each_model() {
        let cases: [(ArmModel, Vec<f64>); 4] = [
            (ArmModel::XArm5, vec![0.3, -0.4, -0.9, 0.6, 0.5]),
            (ArmModel::XArm6, vec![0.3, -0.4, -0.9, 0.2, 0.8, -0.5]),
            (ArmModel::XArm7, vec![0.3, -0.4, 0.2, 0.9, 0.1, 0.8, -0.5]),
            (ArmModel::Lite6, vec![0.3, 0.4, 1.2, 0.2, 0.8, -0.5]),
        ];
        for (model, q) in cases {
            let seed: Vec<f64> = q.iter().map(|v| v + 0.2).collect();
            round_trip(model, &q, &seed, NO_TCP);
            round_trip(model, &q, &seed, [10.0, -5.0, 120.0, 0.1, 0.0, 0.3]);
        }
    }

    #[test]
    fn ik_from_zero_seed_for_a_step_move() {
        for model in ArmModel::ALL {
            let zero = vec![0.0; model.dof()];
            let home = fk(model, &zero, NO_TCP).unwrap_or(Pose::from_array([f64::NAN; 6]));
            let mut target = home;
            target.x += 10.0;
            target.z += 10.0;
            let sol = ik(model, &target, NO_TCP, &zero);
            let Ok(sol) = sol else {
                panic!("{model:?}: {sol:?}");
            };
            let back = fk(model, &sol, NO_TCP).unwrap_or(home);
            let (dp, da) = pose_distance(&back, &target);
            assert!(dp < IK_POS_TOL_MM);
            assert!(da < IK_ANG_TOL_RAD);
        }
    }

    #[test]
    fn ik_out_of_tcp_limits_is_checked_first() {
        let target = Pose::from_array([800.0, 0.0, 100.0, PI, 0.0, 0.0]);
        assert_eq!(
            ik(ArmModel::XArm6, &target, NO_TCP, &[0.0; 6]),
            Err(IkError::OutOfTcpLimits)
        );
        let target = Pose::from_array([100.0, 0.0, -200.0, PI, 0.0, 0.0]);
        assert_eq!(
            ik(ArmModel::Lite6, &target, NO_TCP, &[0.0; 6]),
            Err(IkError::OutOfTcpLimits)
        );
    }

    #[test]
    fn ik_unreachable_inside_the_box() {
        // Inside the TCP box but beyond the arm's reach (~700 mm from the shoulder).
        let target = Pose::from_array([740.0, 740.0, 900.0, PI, 0.0, 0.0]);
        assert_eq!(
            ik(ArmModel::XArm6, &target, NO_TCP, &[0.0; 6]),
            Err(IkError::Unreachable)
        );
    }

    #[test]
    fn ik_joint_limit() {
        // J3 = -0.6 is below Lite 6's -0.061 rad limit, and no in-limit joint vector reaching
        // the same pose is found (the elbow cannot fold that way).
        let q = [0.0, 0.0, -0.6, 0.0, 0.0, 0.0];
        let target = fk(ArmModel::Lite6, &q, NO_TCP).unwrap_or(Pose::from_array([f64::NAN; 6]));
        let r = ik(ArmModel::Lite6, &target, NO_TCP, &[0.0; 6]);
        assert_eq!(r, Err(IkError::JointLimit), "{target:?}");
    }

    #[test]
    fn ik_rejects_bad_input() {
        let t = Pose::from_array([200.0, 0.0, 100.0, PI, 0.0, 0.0]);
        assert!(matches!(
            ik(ArmModel::XArm6, &t, NO_TCP, &[0.0; 5]),
            Err(IkError::Dof(_))
        ));
        let bad = Pose::from_array([f64::NAN, 0.0, 100.0, PI, 0.0, 0.0]);
        assert_eq!(ik(ArmModel::XArm6, &bad, NO_TCP, &[0.0; 6]), Err(IkError::NotFinite));
    }

    #[test]
    fn xarm5_best_effort_orientation() {
        // A sideways-tilted tool is not reachable by xArm 5; position still solves.
        let home = fk(ArmModel::XArm5, &[0.0; 5], NO_TCP).unwrap_or(Pose::from_array([0.0; 6]));
        let mut target = home;
        target.roll = PI - 0.3; // tilt about x: out of the arm plane
        target.x += 20.0;
        let sol = ik(ArmModel::XArm5, &target, NO_TCP, &[0.0; 5]);
        let Ok(sol) = sol else {
            panic!("{sol:?}");
        };
        let back = fk(ArmModel::XArm5, &sol, NO_TCP).unwrap_or(home);
        let (dp, da) = pose_distance(&back, &target);
        assert!(dp < IK_POS_TOL_MM, "dp={dp}");
        assert!(da > 0.2 && da < 0.31, "da={da}");
    }

    fn in_limit_q(model: ArmModel) -> impl Strategy<Value = Vec<f64>> {
        // Keep away from the limits and from the 2*pi wrap so the seed stays "near".
        let ranges: Vec<(f64, f64)> = joint_limits(model)
            .iter()
            .map(|&(lo, hi)| (lo.max(-2.5) + 0.15, hi.min(2.5) - 0.15))
            .collect();
        ranges.into_iter().map(|(lo, hi)| lo..hi).collect::<Vec<_>>()
    }

    fn prop_round_trip(model: ArmModel, q: Vec<f64>, delta: Vec<f64>) -> Result<(), TestCaseError> {
        let target = fk(model, &q, NO_TCP).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assume!(check_tcp_position(model, target.position()).is_ok());
        let seed: Vec<f64> = q.iter().zip(&delta).map(|(a, d)| a + d).collect();
        let sol =
            ik(model, &target, NO_TCP, &seed).map_err(|e| TestCaseError::fail(format!("{e} q={q:?} seed={seed:?}")))?;
        prop_assert!(check_joints(model, &sol).is_ok());
        let back = fk(model, &sol, NO_TCP).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (dp, da) = pose_distance(&back, &target);
        prop_assert!(dp < IK_POS_TOL_MM, "dp={}", dp);
        prop_assert!(da < IK_ANG_TOL_RAD, "da={}", da);
        Ok(())
    }

    fn deltas(n: usize) -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec(-0.15f64..0.15, n)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn prop_ik_round_trip_xarm5(q in in_limit_q(ArmModel::XArm5), d in deltas(5)) {
            prop_round_trip(ArmModel::XArm5, q, d)?;
        }

        #[test]
        fn prop_ik_round_trip_xarm6(q in in_limit_q(ArmModel::XArm6), d in deltas(6)) {
            prop_round_trip(ArmModel::XArm6, q, d)?;
        }

        #[test]
        fn prop_ik_round_trip_xarm7(q in in_limit_q(ArmModel::XArm7), d in deltas(7)) {
            prop_round_trip(ArmModel::XArm7, q, d)?;
        }

        #[test]
        fn prop_ik_round_trip_lite6(q in in_limit_q(ArmModel::Lite6), d in deltas(6)) {
            prop_round_trip(ArmModel::Lite6, q, d)?;
        }

        /// The reach bound that lets `ik` skip its search is never beaten, whatever the joints and the TCP.
        #[test]
        fn prop_no_pose_lies_beyond_the_reach_bound(
            model in proptest::sample::select(ArmModel::ALL.to_vec()),
            turns in proptest::collection::vec(-7.0f64..7.0, 7),
            tcp in proptest::collection::vec(-200.0f64..200.0, 3),
        ) {
            let q = &turns[..model.dof()];
            let offset = [tcp[0], tcp[1], tcp[2], 0.3, -0.2, 0.1];
            let pose = fk(model, q, offset).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let bound = flange_reach(model) + norm([tcp[0], tcp[1], tcp[2]]);
            prop_assert!(norm(pose.position()) <= bound + 1e-9, "{} > {}", norm(pose.position()), bound);
        }
    }

    #[test]
    fn a_target_out_of_reach_is_unreachable_and_a_reachable_one_still_solves() {
        for model in ArmModel::ALL {
            // Up and forward, inside every model's TCP box: one millimetre past the reach bound.
            let reach = flange_reach(model);
            let beyond = Pose::from_array([0.0, 0.0, 0.0, PI, 0.0, 0.0]);
            let direction = [0.6, 0.0, 0.8];
            let at = |r: f64| Pose {
                x: direction[0] * r,
                z: direction[2] * r,
                ..beyond
            };
            let seed = vec![0.0; model.dof()];
            let far = at(reach + 1.0);
            assert!(
                check_tcp_position(model, far.position()).is_ok(),
                "{model:?}: inside the TCP box"
            );
            assert_eq!(ik(model, &far, NO_TCP, &seed), Err(IkError::Unreachable), "{model:?}");
        }
        // The bound only skips what cannot converge.
        let stretched = fk(ArmModel::XArm6, &[0.0, -0.6, -0.3, 0.0, 0.5, 0.0], NO_TCP).unwrap();
        assert!(ik(ArmModel::XArm6, &stretched, NO_TCP, &[0.0; 6]).is_ok());
    }
}

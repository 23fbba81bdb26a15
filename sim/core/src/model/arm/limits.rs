//! Joint limits (rad) and TCP position limits (mm) per arm model.
//! Values are the xArm Python SDK's `JOINT_LIMITS` / `TCP_LIMITS` (xArm = type X4, Lite 6 = type X9).

use std::f64::consts::PI;

use super::{ArmModel, DofMismatch};

const TWO_PI: f64 = 2.0 * PI;

const XARM5_JOINTS: [(f64, f64); 5] = [
    (-TWO_PI, TWO_PI),
    (-2.059488, 2.094395),
    (-3.92699, 0.191986),
    (-1.692969, PI),
    (-TWO_PI, TWO_PI),
];

const XARM6_JOINTS: [(f64, f64); 6] = [
    (-TWO_PI, TWO_PI),
    (-2.059488, 2.094395),
    (-3.92699, 0.191986),
    (-TWO_PI, TWO_PI),
    (-1.692969, PI),
    (-TWO_PI, TWO_PI),
];

const XARM7_JOINTS: [(f64, f64); 7] = [
    (-TWO_PI, TWO_PI),
    (-2.059488, 2.094395),
    (-TWO_PI, TWO_PI),
    (-0.191986, 3.92699),
    (-TWO_PI, TWO_PI),
    (-1.692969, PI),
    (-TWO_PI, TWO_PI),
];

const LITE6_JOINTS: [(f64, f64); 6] = [
    (-TWO_PI, TWO_PI),
    (-2.6179939, 2.6179939),
    (-0.0610865, 5.2359878),
    (-TWO_PI, TWO_PI),
    (-2.1642083, 2.1642083),
    (-TWO_PI, TWO_PI),
];

/// `(lower, upper)` limits in rad for each joint of `model`, J1 first.
pub fn joint_limits(model: ArmModel) -> &'static [(f64, f64)] {
    match model {
        ArmModel::XArm5 => &XARM5_JOINTS,
        ArmModel::XArm6 => &XARM6_JOINTS,
        ArmModel::XArm7 => &XARM7_JOINTS,
        ArmModel::Lite6 => &LITE6_JOINTS,
    }
}

/// An axis-aligned box (mm, base frame) that the TCP position must stay inside.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TcpLimits {
    /// `(min, max)` of x.
    pub x: (f64, f64),
    /// `(min, max)` of y.
    pub y: (f64, f64),
    /// `(min, max)` of z.
    pub z: (f64, f64),
}

impl TcpLimits {
    /// Whether `pos` (mm) is inside the box (bounds included).
    pub fn contains(&self, pos: [f64; 3]) -> bool {
        let within = |v: f64, (lo, hi): (f64, f64)| v >= lo && v <= hi;
        within(pos[0], self.x) && within(pos[1], self.y) && within(pos[2], self.z)
    }
}

/// The TCP limit box of `model`: xArm x,y ±750, z [-400, 1000]; Lite 6 x,y ±500, z [-150, 750].
pub fn tcp_limits(model: ArmModel) -> TcpLimits {
    match model {
        ArmModel::XArm5 | ArmModel::XArm6 | ArmModel::XArm7 => TcpLimits {
            x: (-750.0, 750.0),
            y: (-750.0, 750.0),
            z: (-400.0, 1000.0),
        },
        ArmModel::Lite6 => TcpLimits {
            x: (-500.0, 500.0),
            y: (-500.0, 500.0),
            z: (-150.0, 750.0),
        },
    }
}

/// Why a joint vector or TCP position was refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LimitError {
    /// Wrong number of joints for the model.
    Dof(DofMismatch),
    /// A value was NaN or infinite.
    NotFinite,
    /// Joint `joint` (0-based) is outside `[lower, upper]`.
    Joint {
        /// 0-based joint index.
        joint: usize,
        /// The offending value (rad).
        value: f64,
    },
    /// The TCP position is outside the model's [`TcpLimits`].
    Tcp,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitError::Dof(d) => d.fmt(f),
            LimitError::NotFinite => write!(f, "value is not finite"),
            LimitError::Joint { joint, value } => {
                write!(f, "joint {} at {value} rad is outside its limits", joint + 1)
            }
            LimitError::Tcp => write!(f, "TCP position is outside the limit box"),
        }
    }
}

impl std::error::Error for LimitError {}

/// Checks that `joints` has the model's length, is finite and lies within [`joint_limits`].
pub fn check_joints(model: ArmModel, joints: &[f64]) -> Result<(), LimitError> {
    model.check_dof(joints).map_err(LimitError::Dof)?;
    for (joint, (&value, &(lo, hi))) in joints.iter().zip(joint_limits(model)).enumerate() {
        if !value.is_finite() {
            return Err(LimitError::NotFinite);
        }
        if value < lo || value > hi {
            return Err(LimitError::Joint { joint, value });
        }
    }
    Ok(())
}

/// Checks that a TCP position (mm) is finite and inside the model's [`TcpLimits`].
pub fn check_tcp_position(model: ArmModel, pos: [f64; 3]) -> Result<(), LimitError> {
    if pos.iter().any(|v| !v.is_finite()) {
        return Err(LimitError::NotFinite);
    }
    if tcp_limits(model).contains(pos) {
        Ok(())
    } else {
        Err(LimitError::Tcp)
    }
}

/// Clamps each joint into its limits (extra entries are dropped, missing ones are not added).
pub fn clamp_joints(model: ArmModel, joints: &[f64]) -> Vec<f64> {
    joints
        .iter()
        .zip(joint_limits(model))
        .map(|(&q, &(lo, hi))| q.clamp(lo, hi))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_one_entry_per_joint_and_are_ordered() {
        for model in ArmModel::ALL {
            let lim = joint_limits(model);
            assert_eq!(lim.len(), model.dof());
            assert!(lim.iter().all(|&(lo, hi)| lo < 0.0 + 1e-12 && hi > 0.0 && lo < hi));
            assert!(check_joints(model, &vec![0.0; model.dof()]).is_ok());
        }
    }

    #[test]
    fn joint_checks() {
        let m = ArmModel::XArm6;
        assert_eq!(
            check_joints(m, &[0.0, 0.0, 0.5, 0.0, 0.0, 0.0]),
            Err(LimitError::Joint { joint: 2, value: 0.5 })
        );
        assert_eq!(
            check_joints(m, &[0.0, f64::NAN, 0.0, 0.0, 0.0, 0.0]),
            Err(LimitError::NotFinite)
        );
        assert!(matches!(check_joints(m, &[0.0; 7]), Err(LimitError::Dof(_))));
        assert_eq!(
            clamp_joints(m, &[7.0, -3.0, 1.0, 0.0, -2.0, 0.0]),
            vec![TWO_PI, -2.059488, 0.191986, 0.0, -1.692969, 0.0]
        );
    }

    #[test]
    fn tcp_boxes() {
        assert!(check_tcp_position(ArmModel::XArm6, [750.0, -750.0, -400.0]).is_ok());
        assert_eq!(
            check_tcp_position(ArmModel::XArm6, [0.0, 0.0, 1000.1]),
            Err(LimitError::Tcp)
        );
        assert!(check_tcp_position(ArmModel::Lite6, [0.0, 0.0, 750.0]).is_ok());
        assert_eq!(
            check_tcp_position(ArmModel::Lite6, [501.0, 0.0, 0.0]),
            Err(LimitError::Tcp)
        );
        assert_eq!(
            check_tcp_position(ArmModel::Lite6, [0.0, 0.0, -151.0]),
            Err(LimitError::Tcp)
        );
        assert_eq!(
            check_tcp_position(ArmModel::XArm7, [f64::INFINITY, 0.0, 0.0]),
            Err(LimitError::NotFinite)
        );
    }
}

//! xArm 5/6/7 and Lite 6 arm model: kinematics, limits, motion profiles, gripper and state.
//! Pure functions of their inputs and a [`crate::time::SimTime`]; no I/O, clock, threads or randomness.

pub mod gripper;
pub mod kinematics;
pub mod limits;
pub mod math;
pub mod motion;
pub mod state;

#[cfg(test)]
mod urdf_reference;

pub use gripper::{Gripper, GripperError};
pub use kinematics::{IkError, Pose, fk, ik};
pub use limits::{LimitError, TcpLimits};
pub use motion::{ArmMotion, CartesianLimits, JointMotion, LinearMotion, MotionError, TimeWindow, Timed};
pub use state::{ArmState, MotionState, StateError};

/// The arm models this crate knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArmModel {
    /// xArm 5 (5 joints).
    XArm5,
    /// xArm 6 (6 joints).
    XArm6,
    /// xArm 7 (7 joints).
    XArm7,
    /// UFACTORY Lite 6 (6 joints; SDK robot type 9).
    Lite6,
}

impl ArmModel {
    /// Every model, in a fixed order.
    pub const ALL: [ArmModel; 4] = [ArmModel::XArm5, ArmModel::XArm6, ArmModel::XArm7, ArmModel::Lite6];

    /// Number of joints (degrees of freedom): 5, 6 or 7.
    pub fn dof(self) -> usize {
        match self {
            ArmModel::XArm5 => 5,
            ArmModel::XArm6 | ArmModel::Lite6 => 6,
            ArmModel::XArm7 => 7,
        }
    }

    /// Lower-case name as Studio's front end uses it (`"xarm6"`, `"lite6"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ArmModel::XArm5 => "xarm5",
            ArmModel::XArm6 => "xarm6",
            ArmModel::XArm7 => "xarm7",
            ArmModel::Lite6 => "lite6",
        }
    }

    /// Checks that `joints` has exactly [`ArmModel::dof`] entries.
    pub fn check_dof(self, joints: &[f64]) -> Result<(), DofMismatch> {
        if joints.len() == self.dof() {
            Ok(())
        } else {
            Err(DofMismatch {
                expected: self.dof(),
                got: joints.len(),
            })
        }
    }
}

/// A joint vector had the wrong number of entries for the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DofMismatch {
    /// Joints the model has.
    pub expected: usize,
    /// Entries supplied.
    pub got: usize,
}

impl std::fmt::Display for DofMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected {} joints, got {}", self.expected, self.got)
    }
}

impl std::error::Error for DofMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dof_and_names() {
        let dofs: Vec<usize> = ArmModel::ALL.iter().map(|m| m.dof()).collect();
        assert_eq!(dofs, vec![5, 6, 7, 6]);
        assert_eq!(ArmModel::Lite6.name(), "lite6");
        assert!(ArmModel::XArm6.check_dof(&[0.0; 6]).is_ok());
        assert_eq!(
            ArmModel::XArm6.check_dof(&[0.0; 5]),
            Err(DofMismatch { expected: 6, got: 5 })
        );
    }
}

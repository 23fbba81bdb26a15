//! Live Control steps (`xarm_move_step`): a short move along one base or tool axis, a tilt about one
//! axis, one joint turned by the joint step, or (xArm 5) levelling the hand. Pure target arithmetic.

use std::f64::consts::PI;

use crate::model::arm::Pose;
use crate::model::arm::math::{Transform, rot_x, rot_y, rot_z};

/// One step button.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Translate along x (0), y (1) or z (2) by the position step, `sign` = +1 or -1.
    Position { axis: usize, sign: f64 },
    /// Rotate about roll (0), pitch (1) or yaw (2) by the attitude step.
    Attitude { axis: usize, sign: f64 },
    /// Turn joint `joint` (0-based) by the joint step.
    Joint { joint: usize, sign: f64 },
    /// xArm 5 only: roll 180 deg and pitch 0 (tool pointing straight down), position and yaw kept.
    EndLevel,
}

impl Step {
    /// Whether the step is a Cartesian move (planned as a straight line).
    pub fn is_cartesian(&self) -> bool {
        !matches!(self, Step::Joint { .. })
    }
}

/// The TCP target of a Cartesian step from `from`.
///
/// In base coordinates a position step adds to x/y/z and an attitude step adds to roll/pitch/yaw, as the
/// SDK's relative `set_position` does; in tool coordinates (`tool`) the step is taken in the TCP's own
/// frame, as `set_tool_position` does. `position_step` is in mm and `attitude_step` in rad.
/// Returns `None` for a joint step.
pub fn cartesian_target(step: Step, tool: bool, from: &Pose, position_step: f64, attitude_step: f64) -> Option<Pose> {
    match step {
        Step::Joint { .. } => None,
        Step::EndLevel => Some(Pose {
            roll: PI,
            pitch: 0.0,
            ..*from
        }),
        Step::Position { axis, sign } => {
            let delta = sign * position_step;
            if tool {
                let mut offset = [0.0; 3];
                offset[axis.min(2)] = delta;
                Some(Pose::from_transform(
                    &from.to_transform().compose(&Transform::translation(offset)),
                ))
            } else {
                let mut to = *from;
                match axis {
                    0 => to.x += delta,
                    1 => to.y += delta,
                    _ => to.z += delta,
                }
                Some(to)
            }
        }
        Step::Attitude { axis, sign } => {
            let delta = sign * attitude_step;
            if tool {
                let rot = match axis {
                    0 => rot_x(delta),
                    1 => rot_y(delta),
                    _ => rot_z(delta),
                };
                Some(Pose::from_transform(
                    &from.to_transform().compose(&Transform::rotation(rot)),
                ))
            } else {
                let mut to = *from;
                match axis {
                    0 => to.roll += delta,
                    1 => to.pitch += delta,
                    _ => to.yaw += delta,
                }
                Some(to)
            }
        }
    }
}

/// The joint target of a joint step from `from` (rad), `joint_step` in rad; `None` for other steps or a
/// joint the arm does not have.
pub fn joint_target(step: Step, from: &[f64], joint_step: f64) -> Option<Vec<f64>> {
    match step {
        Step::Joint { joint, sign } if joint < from.len() => {
            let mut to = from.to_vec();
            to[joint] += sign * joint_step;
            Some(to)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::kinematics::pose_distance;

    fn home() -> Pose {
        Pose::from_array([207.0, 0.0, 112.0, PI, 0.0, 0.0])
    }

    #[test]
    fn base_steps_add_to_the_pose() {
        let to = cartesian_target(Step::Position { axis: 1, sign: -1.0 }, false, &home(), 10.0, 0.1).unwrap();
        assert_eq!(to.to_array(), [207.0, -10.0, 112.0, PI, 0.0, 0.0]);
        let to = cartesian_target(Step::Attitude { axis: 2, sign: 1.0 }, false, &home(), 10.0, 0.1).unwrap();
        assert_eq!(to.yaw, 0.1);
    }

    #[test]
    fn tool_steps_follow_the_tool_frame() {
        // The tool points down at home (roll 180 deg), so tool +z is base -z and tool +y is base -y.
        let to = cartesian_target(Step::Position { axis: 2, sign: 1.0 }, true, &home(), 10.0, 0.1).unwrap();
        let expected = Pose::from_array([207.0, 0.0, 102.0, PI, 0.0, 0.0]);
        assert!(pose_distance(&to, &expected).0 < 1e-9);
        let to = cartesian_target(Step::Position { axis: 1, sign: 1.0 }, true, &home(), 10.0, 0.1).unwrap();
        assert!((to.y + 10.0).abs() < 1e-9);
        let to = cartesian_target(Step::Attitude { axis: 0, sign: 1.0 }, true, &home(), 10.0, 0.1).unwrap();
        let (dp, da) = pose_distance(&to, &home());
        assert!(dp < 1e-9 && (da - 0.1).abs() < 1e-9);
    }

    #[test]
    fn level_and_joint_steps() {
        let tilted = Pose::from_array([300.0, 20.0, 200.0, 2.5, 0.3, 0.7]);
        let level = cartesian_target(Step::EndLevel, false, &tilted, 10.0, 0.1).unwrap();
        assert_eq!(level.to_array(), [300.0, 20.0, 200.0, PI, 0.0, 0.7]);
        let step = Step::Joint { joint: 2, sign: -1.0 };
        assert!(!step.is_cartesian());
        assert_eq!(
            joint_target(step, &[0.0; 6], 0.5),
            Some(vec![0.0, 0.0, -0.5, 0.0, 0.0, 0.0])
        );
        assert_eq!(joint_target(Step::Joint { joint: 6, sign: 1.0 }, &[0.0; 6], 0.5), None);
        assert_eq!(cartesian_target(step, false, &tilted, 1.0, 1.0), None);
    }
}

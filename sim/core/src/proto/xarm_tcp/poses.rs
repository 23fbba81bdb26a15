//! How the controller port's pose parameters become the base-frame roll/pitch/yaw targets the model plans:
//! axis-angle orientations converted exactly (Rodrigues), tool-frame moves composed with the planned pose.

use crate::model::arm::Pose;
use crate::model::arm::math::{Transform, mat_mul, rot_exp, rot_log, rpy_to_mat};

/// How a Cartesian move's six values are meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// In the TCP's own frame, relative to the planned pose (`coord` 1: `set_tool_position`).
    pub tool: bool,
    /// Orientation as an axis-angle vector `rx, ry, rz` (rad) rather than roll/pitch/yaw.
    pub axis_angle: bool,
}

/// The orientation `[x, y, z, a, b, c]` names: roll/pitch/yaw, or an axis-angle vector.
fn rotation(values: &[f64; 6], axis_angle: bool) -> [[f64; 3]; 3] {
    if axis_angle {
        rot_exp([values[3], values[4], values[5]])
    } else {
        rpy_to_mat(values[3], values[4], values[5])
    }
}

/// The base-frame target of a move given `values` in `frame` from the `planned` pose: absolute values are
/// converted, tool-frame ones composed (`planned * delta`: the step is taken along the TCP's own axes).
pub fn absolute_target(planned: &Pose, values: [f64; 6], frame: Frame) -> Pose {
    let given = Transform {
        rot: rotation(&values, frame.axis_angle),
        pos: [values[0], values[1], values[2]],
    };
    if frame.tool {
        Pose::from_transform(&planned.to_transform().compose(&given))
    } else {
        Pose::from_transform(&given)
    }
}

/// The target of a relative base-frame move with an axis-angle rotation (`set_position_aa(relative=True)`):
/// the position deltas are added and the rotation is turned about the base axes (`R = exp(delta) * R_planned`).
pub fn relative_axis_angle(planned: &Pose, delta: [f64; 6]) -> Pose {
    let from = planned.to_transform();
    Pose::from_transform(&Transform {
        rot: mat_mul(&rotation(&delta, true), &from.rot),
        pos: [from.pos[0] + delta[0], from.pos[1] + delta[1], from.pos[2] + delta[2]],
    })
}

/// A pose with its orientation as an axis-angle vector (`get_position_aa`): `[x, y, z, rx, ry, rz]`.
pub fn to_axis_angle(pose: &Pose) -> [f64; 6] {
    let v = rot_log(&rpy_to_mat(pose.roll, pose.pitch, pose.yaw));
    [pose.x, pose.y, pose.z, v[0], v[1], v[2]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::kinematics::pose_distance;
    use crate::model::arm::math::{mat_vec, sub};
    use std::f64::consts::FRAC_PI_2;

    const DOWN: Pose = Pose {
        x: 300.0,
        y: 0.0,
        z: 200.0,
        roll: std::f64::consts::PI,
        pitch: 0.0,
        yaw: 0.0,
    };

    fn close(a: &Pose, b: &Pose) -> bool {
        let (mm, rad) = pose_distance(a, b);
        mm < 1e-9 && rad < 1e-9
    }

    #[test]
    fn a_tool_z_step_of_a_tool_pointing_down_goes_down_in_the_base() {
        let to = absolute_target(
            &DOWN,
            [0.0, 0.0, 10.0, 0.0, 0.0, 0.0],
            Frame {
                tool: true,
                axis_angle: false,
            },
        );
        assert!(close(&to, &Pose { z: 190.0, ..DOWN }), "{to:?}");
        // A tool x step with the tool turned 90 degrees about its own z moves along the base's -y.
        let turned = absolute_target(
            &DOWN,
            [0.0, 0.0, 0.0, 0.0, 0.0, FRAC_PI_2],
            Frame {
                tool: true,
                axis_angle: false,
            },
        );
        let moved = absolute_target(
            &turned,
            [5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            Frame {
                tool: true,
                axis_angle: false,
            },
        );
        let d = sub(moved.position(), turned.position());
        assert!(
            d[0].abs() < 1e-9 && (d[1] + 5.0).abs() < 1e-9 && d[2].abs() < 1e-9,
            "{d:?}"
        );
    }

    #[test]
    fn axis_angle_converts_both_ways_exactly() {
        // pi about x is roll pi.
        let aa = absolute_target(
            &DOWN,
            [300.0, 0.0, 200.0, std::f64::consts::PI, 0.0, 0.0],
            Frame {
                tool: false,
                axis_angle: true,
            },
        );
        assert!(close(&aa, &DOWN), "{aa:?}");
        let pose = Pose {
            x: 1.0,
            y: 2.0,
            z: 3.0,
            roll: 0.3,
            pitch: -0.4,
            yaw: 1.1,
        };
        let v = to_axis_angle(&pose);
        let back = absolute_target(
            &DOWN,
            v,
            Frame {
                tool: false,
                axis_angle: true,
            },
        );
        assert!(close(&back, &pose), "{back:?}");
        // The vector's length is the rotation angle, its direction the axis the rotation leaves fixed.
        let axis = [v[3], v[4], v[5]];
        let fixed = mat_vec(&rpy_to_mat(pose.roll, pose.pitch, pose.yaw), &axis);
        assert!(sub(fixed, axis).iter().all(|d| d.abs() < 1e-9));
    }

    #[test]
    fn a_relative_axis_angle_move_turns_about_the_base_axes() {
        let to = relative_axis_angle(&DOWN, [10.0, 0.0, -5.0, 0.0, 0.0, FRAC_PI_2]);
        assert!((to.x - 310.0).abs() < 1e-9 && (to.z - 195.0).abs() < 1e-9);
        let expected = Pose::from_transform(&Transform {
            rot: mat_mul(&rpy_to_mat(0.0, 0.0, FRAC_PI_2), &rpy_to_mat(DOWN.roll, 0.0, 0.0)),
            pos: to.position(),
        });
        assert!(close(&to, &expected), "{to:?} {expected:?}");
        // A tool-frame rotation of the same vector turns about the tool's z, which points down: the other way.
        let tool = absolute_target(
            &DOWN,
            [0.0, 0.0, 0.0, 0.0, 0.0, FRAC_PI_2],
            Frame {
                tool: true,
                axis_angle: true,
            },
        );
        assert!((tool.yaw + to.yaw).abs() < 1e-9, "{tool:?} {to:?}");
    }
}

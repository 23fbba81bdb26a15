//! Synthetic joint sensors: gravity-plus-inertia torques from the real kinematics and assumed link masses,
//! motor currents that follow the torque, and a 48 V supply, each with small seeded noise indexed by sim time.

use crate::model::arm::ArmModel;
use crate::model::arm::kinematics::joint_frames;
use crate::model::arm::math::{cross, sub};
use crate::seed::hashed_unit;
use crate::time::SimTime;

/// Joints the SDK always reports (`voltages`, `currents`, `joints_torque` have 7 entries).
pub const SENSOR_SLOTS: usize = 7;
/// Nominal joint supply (V).
pub const SUPPLY_VOLTS: f64 = 48.0;
/// Assumed mass carried at each joint frame, J1 first (kg; simulator-defined, not published).
const LINK_MASS_KG: f64 = 1.6;
/// Assumed reflected inertia per joint (kg m^2) for the acceleration term.
const INERTIA: f64 = 0.3;
/// Current per N m of joint torque (A), plus the idle current (A).
const AMPS_PER_NM: f64 = 0.06;
const IDLE_AMPS: f64 = 0.25;
const G: f64 = 9.81;

/// Torques, currents and voltages per joint slot (unused slots are 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Electrical {
    /// Joint torque (N m).
    pub torques: [f64; SENSOR_SLOTS],
    /// Motor current (A).
    pub currents: [f64; SENSOR_SLOTS],
    /// Joint supply voltage (V).
    pub voltages: [f64; SENSOR_SLOTS],
}

/// Gravity torque about each joint axis from a mass at every later joint frame and `payload_kg` at the flange.
pub fn gravity_torques(model: ArmModel, joints: &[f64], payload_kg: f64) -> Vec<f64> {
    let Ok(frames) = joint_frames(model, joints) else {
        return vec![0.0; joints.len()];
    };
    let weight = |kg: f64| [0.0, 0.0, -kg * G];
    frames
        .iter()
        .enumerate()
        .map(|(i, frame)| {
            let axis = [frame.rot[0][2], frame.rot[1][2], frame.rot[2][2]];
            let mut torque = 0.0;
            for (j, later) in frames.iter().enumerate().skip(i + 1) {
                let kg = if j + 1 == frames.len() {
                    LINK_MASS_KG * 0.5 + payload_kg
                } else {
                    LINK_MASS_KG
                };
                // mm -> m for the lever arm.
                let lever = sub(later.pos, frame.pos).map(|v| v / 1000.0);
                let moment = cross(lever, weight(kg));
                torque += axis[0] * moment[0] + axis[1] * moment[1] + axis[2] * moment[2];
            }
            torque
        })
        .collect()
}

fn noise(seed: u64, stream: &str, t: SimTime, slot: usize) -> f64 {
    hashed_unit(seed, "xarm", stream, t.as_millis() * 8 + slot as u64) - 0.5
}

/// The sensors at `t` for `joints` (rad) accelerating at `accs` (rad/s^2).
pub fn electrical(model: ArmModel, joints: &[f64], accs: &[f64], payload_kg: f64, seed: u64, t: SimTime) -> Electrical {
    let gravity = gravity_torques(model, joints, payload_kg);
    let mut out = Electrical {
        torques: [0.0; SENSOR_SLOTS],
        currents: [0.0; SENSOR_SLOTS],
        voltages: [0.0; SENSOR_SLOTS],
    };
    for i in 0..model.dof().min(SENSOR_SLOTS) {
        let torque = gravity.get(i).copied().unwrap_or(0.0) + INERTIA * accs.get(i).copied().unwrap_or(0.0);
        out.torques[i] = torque + 0.02 * noise(seed, "torque", t, i);
        out.currents[i] = IDLE_AMPS + AMPS_PER_NM * torque.abs() + 0.01 * noise(seed, "current", t, i);
        out.voltages[i] = SUPPLY_VOLTS + 0.1 * noise(seed, "voltage", t, i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_PI_2;

    #[test]
    fn gravity_loads_the_shoulder_when_the_arm_reaches_out() {
        let folded = gravity_torques(ArmModel::XArm6, &[0.0; 6], 0.0);
        let reaching = gravity_torques(ArmModel::XArm6, &[0.0, FRAC_PI_2 * 0.5, -0.5, 0.0, 0.0, 0.0], 0.0);
        assert!(folded[0].abs() < 1e-9, "J1 is vertical: no gravity torque");
        assert!(reaching[1].abs() > folded[1].abs());
        let loaded = gravity_torques(ArmModel::XArm6, &[0.0, FRAC_PI_2 * 0.5, -0.5, 0.0, 0.0, 0.0], 2.0);
        assert!(loaded[1].abs() > reaching[1].abs());
    }

    #[test]
    fn sensors_are_seeded_bounded_and_zero_beyond_the_joints() {
        let a = electrical(ArmModel::XArm5, &[0.0; 5], &[0.0; 5], 0.0, 7, SimTime::from_millis(100));
        assert_eq!(
            a,
            electrical(ArmModel::XArm5, &[0.0; 5], &[0.0; 5], 0.0, 7, SimTime::from_millis(100))
        );
        assert_ne!(
            a,
            electrical(ArmModel::XArm5, &[0.0; 5], &[0.0; 5], 0.0, 8, SimTime::from_millis(100))
        );
        assert_eq!(&a.voltages[5..], &[0.0, 0.0]);
        assert!(a.voltages[..5].iter().all(|v| (v - 48.0).abs() <= 0.05));
        assert!(a.currents[..5].iter().all(|c| *c > 0.2));
    }
}

//! The periodic reports: the 91 status keys in the seed's order, the value of each key for one sample of
//! the arm, and the `devices_status_keys_report` / `devices_status_report` frames built from them.

use std::f64::consts::PI;

use serde_json::{Map, Value, json};

use crate::model::arm::limits::{joint_limits, tcp_limits};
use crate::model::arm::math::rot_log;
use crate::model::arm::motion::{JOINT_ACC_RANGE, JOINT_SPEED_RANGE, TCP_ACC_RANGE, TCP_SPEED_RANGE};
use crate::model::arm::{ArmModel, MotionState};
use crate::model::xarm::sensors::{SENSOR_SLOTS, electrical};
use crate::model::xarm::{MAX_JOINT_SPEED, Settings, Snapshot};
use crate::proto::xarm::codes::{error_text, warn_text};
use crate::proto::xarm::info::{FIRMWARE, Identity, PORT_NAME, device_type};
use crate::time::SimTime;

/// The status keys in report order, each with how its value is computed from one sample.
const STATUS: [(&str, StatusValue); 91] = [
    ("xarm_connected", |_| json!(true)),
    ("xarm_version", |c| json!(c.input.identity.version_string())),
    ("xarm_port_name", |_| json!(PORT_NAME)),
    ("xarm_printed", |c| json!(c.input.snapshot.busy)),
    ("xarm_state", |c| json!(c.input.snapshot.state.code())),
    ("xarm_version_number", |_| json!([FIRMWARE.0, FIRMWARE.1, FIRMWARE.2])),
    ("xarm_mode", |c| json!(c.input.snapshot.mode)),
    ("xarm_collision_sensitivity", |c| {
        json!(c.input.settings.collision_sensitivity)
    }),
    ("xarm_teach_sensitivity", |c| json!(c.input.settings.teach_sensitivity)),
    ("xarm_tcp_load", |c| {
        json!([c.input.settings.tcp_load.0, c.input.settings.tcp_load.1])
    }),
    ("xarm_tcp_offset", |c| json!(c.tcp_offset())),
    ("xarm_world_offset", |_| json!(ZERO6)),
    ("xarm_gravity_direction", |_| json!([0, 0, -1])),
    ("xarm_paused", |c| json!(c.input.snapshot.state == MotionState::Paused)),
    ("xarm_type", |c| json!(c.model.name())),
    ("xarm_error_code", |c| json!(c.input.snapshot.error_code)),
    ("xarm_warn_code", |c| json!(c.input.snapshot.warn_code)),
    ("xarm_tcp_pose", |c| json!(c.tcp_pose())),
    ("xarm_joint_pose", |c| json!(c.joints_deg)),
    ("xarm_axis_angle", |c| json!(c.axis_angle())),
    ("xarm_limit_acc", |_| json!([TCP_ACC_RANGE.0, TCP_ACC_RANGE.1])),
    ("xarm_limit_velo", |_| json!([TCP_SPEED_RANGE.0, TCP_SPEED_RANGE.1])),
    ("xarm_current_velo", |c| json!(c.input.snapshot.tcp_speed)),
    ("xarm_current_acc", |c| json!(c.input.snapshot.tcp_acc)),
    ("xarm_limit_angle_acc", |_| {
        json!([deg(JOINT_ACC_RANGE.0), deg(JOINT_ACC_RANGE.1)])
    }),
    ("xarm_limit_angle_velo", |_| {
        json!([deg(JOINT_SPEED_RANGE.0), deg(MAX_JOINT_SPEED)])
    }),
    ("xarm_current_angle_velo", |c| {
        json!(deg(c
            .input
            .snapshot
            .joint_speeds
            .iter()
            .fold(0.0, |m: f64, v| m.max(v.abs()))))
    }),
    ("xarm_current_angle_acc", |c| {
        json!(deg(c
            .input
            .snapshot
            .joint_accs
            .iter()
            .fold(0.0, |m: f64, a| m.max(a.abs()))))
    }),
    ("xarm_tcp_jerk", |_| json!(TCP_JERK)),
    ("xarm_joint_jerk", |_| json!(deg(JOINT_JERK))),
    ("xarm_mtbrake", |c| {
        let brakes: Vec<u8> = (0..8)
            .map(|j| u8::from(j < c.model.dof() && c.input.snapshot.enabled))
            .collect();
        json!(brakes)
    }),
    ("xarm_warn", |c| {
        code_object(c.input.snapshot.warn_code, warn_text(c.input.snapshot.warn_code))
    }),
    ("xarm_error", |c| {
        code_object(c.input.snapshot.error_code, error_text(c.input.snapshot.error_code))
    }),
    ("xarm_servo_error", |_| json!([])),
    ("xarm_is_ready", |c| json!(c.input.snapshot.ready)),
    ("xarm_is_verified", |_| json!(true)),
    ("xarm_axis", |c| json!(c.model.dof())),
    ("config", |c| {
        let b = tcp_limits(c.model);
        json!({
            "cartesian": [[b.x.0, b.x.1], [b.y.0, b.y.1], [b.z.0, b.z.1], [-180.0, 180.0], [-180.0, 180.0], [-180.0, 180.0]],
            "joints": c.joint_ranges_deg(),
        })
    }),
    ("xarm_python", |_| json!({"isRunning": false, "isConnected": false})),
    ("xarm_speed_percent", |c| json!(c.input.settings.speed_percent)),
    ("xarm_acc_percent", |c| json!(c.input.settings.acc_percent)),
    ("xarm_initial_point", |c| json!(c.input.settings.initial_point)),
    ("xarm_position_step", |c| json!(c.input.settings.position_step)),
    ("xarm_attitude_step", |c| json!(c.input.settings.attitude_step)),
    ("xarm_joint_step", |c| json!(c.input.settings.joint_step)),
    ("xarm_end_tool_type", |_| json!("gripper")),
    ("xarm_gripper_is_enable", |c| json!(c.input.settings.gripper_enabled)),
    ("gripper_error_code", zero),
    ("bio_gripper_error_code", zero),
    ("robotiq_error_code", zero),
    ("xarm_device_type", |c| json!(device_type(c.model))),
    ("xarm_mount_degrees", |_| json!([0.0, 0.0])),
    ("current_clients_count", |c| json!(c.input.clients)),
    ("xarm_is_connecting", off),
    ("core_updated", off),
    ("firmware_updated", off),
    ("channel", |_| json!("prod")),
    ("xarm_counter_val", |_| json!(0)),
    ("xarm_quick_access_switch", off),
    ("xarm_quick_access", |_| json!([])),
    ("xarm_gpio_reset_config", |_| json!([0, 0])),
    ("xarm_default_tcp_acc", |c| json!(c.input.settings.tcp_acc)),
    ("xarm_default_joint_acc", |c| json!(c.input.settings.joint_acc)),
    ("xarm_cgpio_states", |_| {
        json!([0, 0, 256, 65533, 0, 65280, 0, 0, 0.0, 0.0, ZERO8, ZERO8])
    }),
    ("xarm_voltages", |c| json!(c.voltages)),
    ("xarm_currents", |c| json!(c.currents)),
    ("xarm_self_collision_params", |_| json!([1, 0, ZERO6])),
    ("xarm_quick_copy_switch", off),
    ("xarm_run_package_blockly_switch", off),
    ("xarm_is_simulation_robot", |c| json!(c.input.settings.simulation_robot)),
    ("bio_gripper_is_enabled", |c| {
        json!(c.input.settings.bio_gripper_enabled)
    }),
    ("robotiq_is_activated", off),
    ("xarm_is_velocity", off),
    ("xarm_is_axis_angle", off),
    ("xarm_is_robot_arm", |_| json!(true)),
    ("line_track_error_code", zero),
    ("xarm_other_tool_type", |_| json!("none")),
    ("ft_sensor", |_| json!({"axis": ZERO6, "mode": 0, "is_enable": false})),
    ("lite6_record_mode", |c| json!(c.input.settings.lite6_manual)),
    ("lite6_ti2_status", |_| json!(0)),
    ("reduced_states", |c| {
        let ranges: Vec<f64> = c.joint_ranges_deg().iter().flatten().copied().collect();
        json!([0, c.tcp_box(), TCP_SPEED_RANGE.1, deg(MAX_JOINT_SPEED), ranges, 0, 0])
    }),
    ("safe_border_states", |c| json!([0, c.tcp_box()])),
    ("xarm_end_otherCuboid_param", |_| json!([0.0, 0.0, 0.0])),
    ("xarm_end_otherCylinder_param", |_| json!([0.0, 0.0])),
    ("joint_exceed_axis", |_| json!(0)),
    ("xarm_is_show_axis_angle", off),
    ("xarm_joint_torque", |c| json!(c.torques)),
    ("xarm_joint_radian", |c| json!(c.input.snapshot.joints)),
    ("xarm_joint_speed_axis", |c| {
        json!(
            c.input
                .snapshot
                .joint_speeds
                .iter()
                .map(|v| deg(*v))
                .collect::<Vec<_>>()
        )
    }),
    ("xarm_servoj_speed_axis", |c| json!(vec![0.0; c.model.dof()])),
    ("xarm_motion_is_callback", |c| json!(c.input.settings.motion_callback)),
];

/// The status keys, in the order of `devices_status_keys_report` (seed 000, indexes 0..=90).
pub const STATUS_KEYS: [&str; 91] = {
    let mut keys = [""; 91];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = STATUS[i].0;
        i += 1;
    }
    keys
};

/// How one key's value is read off a sample.
type StatusValue = fn(&Computed<'_>) -> Value;

fn zero(_: &Computed<'_>) -> Value {
    json!(0)
}

fn off(_: &Computed<'_>) -> Value {
    json!(false)
}

const ZERO6: [f64; 6] = [0.0; 6];
const ZERO8: [u8; 8] = [0; 8];

/// SDK joint jerk (rad/s^3) and TCP jerk (mm/s^3).
const JOINT_JERK: f64 = 20.0;
const TCP_JERK: f64 = 1000.0;

/// Everything one status sample is computed from.
pub struct StatusInput<'a> {
    /// The sample time.
    pub t: SimTime,
    /// The arm at `t`.
    pub snapshot: &'a Snapshot,
    /// Studio settings.
    pub settings: &'a Settings,
    /// The arm's identity.
    pub identity: &'a Identity,
    /// Open WebSocket connections.
    pub clients: usize,
    /// The master seed (sensor noise).
    pub seed: u64,
}

/// The `devices_status_keys_report` frame.
pub fn keys_report() -> String {
    json!({"type": "report", "cmd": "devices_status_keys_report", "data": STATUS_KEYS.as_slice()}).to_string()
}

/// The `devices_info_report` frame.
pub fn info_report(identity: &Identity) -> String {
    json!({"type": "report", "cmd": "devices_info_report", "data": identity.info_object()}).to_string()
}

/// The `devices_status_report` frame: values positionally aligned with [`STATUS_KEYS`].
pub fn status_report(input: &StatusInput<'_>) -> String {
    json!({"type": "report", "cmd": "devices_status_report", "data": status_values(input)}).to_string()
}

/// The values of one sample, in key order.
pub fn status_values(input: &StatusInput<'_>) -> Vec<Value> {
    let computed = Computed::new(input);
    STATUS.iter().map(|(_, value)| value(&computed)).collect()
}

/// The same sample as one object keyed by name (`GET /api/status`).
pub fn status_object(input: &StatusInput<'_>) -> Map<String, Value> {
    STATUS_KEYS
        .iter()
        .map(|k| k.to_string())
        .zip(status_values(input))
        .collect()
}

fn deg(rad: f64) -> f64 {
    rad * 180.0 / PI
}

fn code_object(code: i32, text: Option<&str>) -> Value {
    let text = text.unwrap_or(if code == 0 { "" } else { "unknown code" });
    json!({"code": code, "desc": {"en": text, "cn": text}})
}

/// Values shared by several keys, computed once per sample.
struct Computed<'a> {
    input: &'a StatusInput<'a>,
    model: ArmModel,
    joints_deg: Vec<f64>,
    torques: [f64; SENSOR_SLOTS],
    currents: [f64; SENSOR_SLOTS],
    voltages: [f64; SENSOR_SLOTS],
}

impl<'a> Computed<'a> {
    fn new(input: &'a StatusInput<'a>) -> Self {
        let model = input.identity.model;
        let s = input.snapshot;
        let sensors = electrical(
            model,
            &s.joints,
            &s.joint_accs,
            input.settings.tcp_load.0,
            input.seed,
            input.t,
        );
        Computed {
            input,
            model,
            joints_deg: s.joints.iter().map(|q| deg(*q)).collect(),
            torques: sensors.torques,
            currents: sensors.currents,
            voltages: sensors.voltages,
        }
    }

    fn tcp_pose(&self) -> Vec<f64> {
        let p = &self.input.snapshot.pose;
        vec![p.x, p.y, p.z, deg(p.roll), deg(p.pitch), deg(p.yaw)]
    }

    fn axis_angle(&self) -> Vec<f64> {
        let p = &self.input.snapshot.pose;
        let r = rot_log(&p.to_transform().rot);
        vec![p.x, p.y, p.z, deg(r[0]), deg(r[1]), deg(r[2])]
    }

    fn tcp_offset(&self) -> Vec<f64> {
        let o = self.input.settings.tcp_offset;
        vec![o[0], o[1], o[2], deg(o[3]), deg(o[4]), deg(o[5])]
    }

    fn joint_ranges_deg(&self) -> Vec<[f64; 2]> {
        joint_limits(self.model)
            .iter()
            .map(|(lo, hi)| [deg(*lo), deg(*hi)])
            .collect()
    }

    fn tcp_box(&self) -> Vec<f64> {
        let b = tcp_limits(self.model);
        vec![b.x.1, b.x.0, b.y.1, b.y.0, b.z.1, b.z.0]
    }
}

#[cfg(test)]
mod tests;

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

/// The status keys, in the order of `devices_status_keys_report` (seed 000, indexes 0..=90).
pub const STATUS_KEYS: [&str; 91] = [
    "xarm_connected",
    "xarm_version",
    "xarm_port_name",
    "xarm_printed",
    "xarm_state",
    "xarm_version_number",
    "xarm_mode",
    "xarm_collision_sensitivity",
    "xarm_teach_sensitivity",
    "xarm_tcp_load",
    "xarm_tcp_offset",
    "xarm_world_offset",
    "xarm_gravity_direction",
    "xarm_paused",
    "xarm_type",
    "xarm_error_code",
    "xarm_warn_code",
    "xarm_tcp_pose",
    "xarm_joint_pose",
    "xarm_axis_angle",
    "xarm_limit_acc",
    "xarm_limit_velo",
    "xarm_current_velo",
    "xarm_current_acc",
    "xarm_limit_angle_acc",
    "xarm_limit_angle_velo",
    "xarm_current_angle_velo",
    "xarm_current_angle_acc",
    "xarm_tcp_jerk",
    "xarm_joint_jerk",
    "xarm_mtbrake",
    "xarm_warn",
    "xarm_error",
    "xarm_servo_error",
    "xarm_is_ready",
    "xarm_is_verified",
    "xarm_axis",
    "config",
    "xarm_python",
    "xarm_speed_percent",
    "xarm_acc_percent",
    "xarm_initial_point",
    "xarm_position_step",
    "xarm_attitude_step",
    "xarm_joint_step",
    "xarm_end_tool_type",
    "xarm_gripper_is_enable",
    "gripper_error_code",
    "bio_gripper_error_code",
    "robotiq_error_code",
    "xarm_device_type",
    "xarm_mount_degrees",
    "current_clients_count",
    "xarm_is_connecting",
    "core_updated",
    "firmware_updated",
    "channel",
    "xarm_counter_val",
    "xarm_quick_access_switch",
    "xarm_quick_access",
    "xarm_gpio_reset_config",
    "xarm_default_tcp_acc",
    "xarm_default_joint_acc",
    "xarm_cgpio_states",
    "xarm_voltages",
    "xarm_currents",
    "xarm_self_collision_params",
    "xarm_quick_copy_switch",
    "xarm_run_package_blockly_switch",
    "xarm_is_simulation_robot",
    "bio_gripper_is_enabled",
    "robotiq_is_activated",
    "xarm_is_velocity",
    "xarm_is_axis_angle",
    "xarm_is_robot_arm",
    "line_track_error_code",
    "xarm_other_tool_type",
    "ft_sensor",
    "lite6_record_mode",
    "lite6_ti2_status",
    "reduced_states",
    "safe_border_states",
    "xarm_end_otherCuboid_param",
    "xarm_end_otherCylinder_param",
    "joint_exceed_axis",
    "xarm_is_show_axis_angle",
    "xarm_joint_torque",
    "xarm_joint_radian",
    "xarm_joint_speed_axis",
    "xarm_servoj_speed_axis",
    "xarm_motion_is_callback",
];

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
    STATUS_KEYS.iter().map(|key| computed.value(key)).collect()
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

    fn value(&self, key: &str) -> Value {
        let i = self.input;
        let s = i.snapshot;
        let set = i.settings;
        let dof = self.model.dof();
        match key {
            "xarm_connected" => json!(true),
            "xarm_version" => json!(i.identity.version_string()),
            "xarm_port_name" => json!(PORT_NAME),
            "xarm_printed" => json!(s.busy),
            "xarm_state" => json!(s.state.code()),
            "xarm_version_number" => json!([FIRMWARE.0, FIRMWARE.1, FIRMWARE.2]),
            "xarm_mode" => json!(s.mode),
            "xarm_collision_sensitivity" => json!(set.collision_sensitivity),
            "xarm_teach_sensitivity" => json!(set.teach_sensitivity),
            "xarm_tcp_load" => json!([set.tcp_load.0, set.tcp_load.1]),
            "xarm_tcp_offset" => json!(self.tcp_offset()),
            "xarm_world_offset" => json!(ZERO6),
            "xarm_gravity_direction" => json!([0, 0, -1]),
            "xarm_paused" => json!(s.state == MotionState::Paused),
            "xarm_type" => json!(self.model.name()),
            "xarm_error_code" => json!(s.error_code),
            "xarm_warn_code" => json!(s.warn_code),
            "xarm_tcp_pose" => json!(self.tcp_pose()),
            "xarm_joint_pose" => json!(self.joints_deg),
            "xarm_axis_angle" => json!(self.axis_angle()),
            "xarm_limit_acc" => json!([TCP_ACC_RANGE.0, TCP_ACC_RANGE.1]),
            "xarm_limit_velo" => json!([TCP_SPEED_RANGE.0, TCP_SPEED_RANGE.1]),
            "xarm_current_velo" => json!(s.tcp_speed),
            "xarm_current_acc" => json!(s.tcp_acc),
            "xarm_limit_angle_acc" => json!([deg(JOINT_ACC_RANGE.0), deg(JOINT_ACC_RANGE.1)]),
            "xarm_limit_angle_velo" => json!([deg(JOINT_SPEED_RANGE.0), deg(MAX_JOINT_SPEED)]),
            "xarm_current_angle_velo" => json!(deg(s.joint_speeds.iter().fold(0.0, |m: f64, v| m.max(v.abs())))),
            "xarm_current_angle_acc" => json!(deg(s.joint_accs.iter().fold(0.0, |m: f64, a| m.max(a.abs())))),
            "xarm_tcp_jerk" => json!(TCP_JERK),
            "xarm_joint_jerk" => json!(deg(JOINT_JERK)),
            "xarm_mtbrake" => {
                let brakes: Vec<u8> = (0..8).map(|j| u8::from(j < dof && s.enabled)).collect();
                json!(brakes)
            }
            "xarm_warn" => code_object(s.warn_code, warn_text(s.warn_code)),
            "xarm_error" => code_object(s.error_code, error_text(s.error_code)),
            "xarm_servo_error" => json!([]),
            "xarm_is_ready" => json!(s.ready),
            "xarm_is_verified" => json!(true),
            "xarm_axis" => json!(dof),
            "config" => {
                let b = tcp_limits(self.model);
                json!({
                    "cartesian": [[b.x.0, b.x.1], [b.y.0, b.y.1], [b.z.0, b.z.1], [-180.0, 180.0], [-180.0, 180.0], [-180.0, 180.0]],
                    "joints": self.joint_ranges_deg(),
                })
            }
            "xarm_python" => json!({"isRunning": false, "isConnected": false}),
            "xarm_speed_percent" => json!(set.speed_percent),
            "xarm_acc_percent" => json!(set.acc_percent),
            "xarm_initial_point" => json!(set.initial_point),
            "xarm_position_step" => json!(set.position_step),
            "xarm_attitude_step" => json!(set.attitude_step),
            "xarm_joint_step" => json!(set.joint_step),
            "xarm_end_tool_type" => json!("gripper"),
            "xarm_gripper_is_enable" => json!(set.gripper_enabled),
            "gripper_error_code" | "bio_gripper_error_code" | "robotiq_error_code" | "line_track_error_code" => {
                json!(0)
            }
            "xarm_device_type" => json!(device_type(self.model)),
            "xarm_mount_degrees" => json!([0.0, 0.0]),
            "current_clients_count" => json!(i.clients),
            "xarm_is_connecting" | "core_updated" | "firmware_updated" => json!(false),
            "channel" => json!("prod"),
            "xarm_counter_val" => json!(0),
            "xarm_quick_access_switch" | "xarm_quick_copy_switch" | "xarm_run_package_blockly_switch" => json!(false),
            "xarm_quick_access" => json!([]),
            "xarm_gpio_reset_config" => json!([0, 0]),
            "xarm_default_tcp_acc" => json!(set.tcp_acc),
            "xarm_default_joint_acc" => json!(set.joint_acc),
            "xarm_cgpio_states" => json!([0, 0, 256, 65533, 0, 65280, 0, 0, 0.0, 0.0, ZERO8, ZERO8]),
            "xarm_voltages" => json!(self.voltages),
            "xarm_currents" => json!(self.currents),
            "xarm_self_collision_params" => json!([1, 0, ZERO6]),
            "xarm_is_simulation_robot" => json!(set.simulation_robot),
            "bio_gripper_is_enabled" => json!(set.bio_gripper_enabled),
            "robotiq_is_activated" | "xarm_is_velocity" | "xarm_is_axis_angle" | "xarm_is_show_axis_angle" => {
                json!(false)
            }
            "xarm_is_robot_arm" => json!(true),
            "xarm_other_tool_type" => json!("none"),
            "ft_sensor" => json!({"axis": ZERO6, "mode": 0, "is_enable": false}),
            "lite6_record_mode" => json!(set.lite6_manual),
            "lite6_ti2_status" => json!(0),
            "reduced_states" => {
                let ranges: Vec<f64> = self.joint_ranges_deg().iter().flatten().copied().collect();
                json!([0, self.tcp_box(), TCP_SPEED_RANGE.1, deg(MAX_JOINT_SPEED), ranges, 0, 0])
            }
            "safe_border_states" => json!([0, self.tcp_box()]),
            "xarm_end_otherCuboid_param" => json!([0.0, 0.0, 0.0]),
            "xarm_end_otherCylinder_param" => json!([0.0, 0.0]),
            "joint_exceed_axis" => json!(0),
            "xarm_joint_torque" => json!(self.torques),
            "xarm_joint_radian" => json!(s.joints),
            "xarm_joint_speed_axis" => json!(s.joint_speeds.iter().map(|v| deg(*v)).collect::<Vec<_>>()),
            "xarm_servoj_speed_axis" => json!(vec![0.0; dof]),
            "xarm_motion_is_callback" => json!(set.motion_callback),
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests;

//! The binary reports of ports 30000 (real-time, 250 Hz), 30001 (normal, 5 Hz), 30002 (rich, 5 Hz) and
//! 30003 (real, 100 Hz): U32 size first, big-endian integers, little-endian FP32, built from one status sample.

use crate::model::arm::motion::{JOINT_ACC_RANGE, JOINT_SPEED_RANGE, TCP_ACC_RANGE, TCP_SPEED_RANGE};
use crate::model::xarm::sensors::{Electrical, SENSOR_SLOTS, electrical};
use crate::proto::xarm::info::device_type;
use crate::proto::xarm::report::StatusInput;
use crate::proto::xarm_tcp::io::ControllerIo;
use crate::proto::xarm_tcp::registers::cgpio_block;

/// The four report sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// Port 30000: the real-time stream.
    RealTime,
    /// Port 30001: the normal report.
    Normal,
    /// Port 30002: the rich report (the SDK's default).
    Rich,
    /// Port 30003: the real report.
    Real,
}

impl ReportKind {
    /// Every kind, by port.
    pub const ALL: [ReportKind; 4] = [
        ReportKind::RealTime,
        ReportKind::Normal,
        ReportKind::Rich,
        ReportKind::Real,
    ];

    /// The controller's port.
    pub const fn default_port(self) -> u16 {
        match self {
            ReportKind::RealTime => 30000,
            ReportKind::Normal => 30001,
            ReportKind::Rich => 30002,
            ReportKind::Real => 30003,
        }
    }

    /// Reports per second (UFactory's port table: 250, 5, 5 and 100 Hz).
    pub const fn hz(self) -> u32 {
        match self {
            ReportKind::RealTime => 250,
            ReportKind::Normal | ReportKind::Rich => 5,
            ReportKind::Real => 100,
        }
    }

    /// The endpoint's name (`--xarm-report-<...>-port`).
    pub const fn name(self) -> &'static str {
        match self {
            ReportKind::RealTime => "xarm-report-rt",
            ReportKind::Normal => "xarm-report-normal",
            ReportKind::Rich => "xarm-report-rich",
            ReportKind::Real => "xarm-report-real",
        }
    }

    /// The report's size in bytes.
    pub const fn size(self) -> usize {
        match self {
            ReportKind::RealTime => REAL_TIME_LEN,
            ReportKind::Normal => NORMAL_LEN,
            ReportKind::Rich => RICH_LEN,
            ReportKind::Real => REAL_LEN,
        }
    }
}

/// 30003: size, state/mode, command count, joints, pose, torques, then two FT-sensor blocks (zero: no sensor).
pub const REAL_LEN: usize = 135;
/// 30001: the first 87 bytes of 30003, then brakes, enables, codes, TCP offset, load, sensitivities, gravity.
pub const NORMAL_LEN: usize = 145;
/// 30002: the normal report, then type, axes, ids, version, limits, servo codes, temperatures, speeds,
/// counter, world offset, GPIO reset, simulation and collision settings, voltages, currents, control-box
/// GPIO and the FT-sensor blocks (the SDK reads the fields it knows by length).
pub const RICH_LEN: usize = 481;
/// 30000: the SDK's `_Report30000DataStructure`, 804 bytes.
pub const REAL_TIME_LEN: usize = 804;

/// What a report needs beside the status sample.
pub struct ReportInput<'a> {
    /// The same sample the Studio report is built from.
    pub status: &'a StatusInput<'a>,
    /// Moves planned and not finished.
    pub cmd_num: u16,
    /// The controller's I/O and switches.
    pub io: &'a ControllerIo,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn f32(&mut self, v: f64) {
        self.0.extend_from_slice(&(v as f32).to_le_bytes());
    }
    fn f32s(&mut self, values: &[f64], n: usize) {
        for i in 0..n {
            self.f32(values.get(i).copied().unwrap_or(0.0));
        }
    }
    fn zeros(&mut self, n: usize) {
        self.0.resize(self.0.len() + n, 0);
    }
    /// Sets the U32 size at the front and returns the bytes.
    fn finish(mut self, len: usize) -> Vec<u8> {
        self.0.resize(len, 0);
        let size = (len as u32).to_be_bytes();
        self.0[..4].copy_from_slice(&size);
        self.0
    }
}

fn state_mode(input: &ReportInput<'_>) -> u8 {
    let s = input.status.snapshot;
    (s.mode << 4) | (s.state.code() & 0x0F)
}

/// The joints' electrical readings (torques, currents) for the status a report is built from.
fn electrical_of(st: &StatusInput<'_>) -> Electrical {
    let s = st.snapshot;
    electrical(
        st.identity.model,
        &s.joints,
        &s.joint_accs,
        st.settings.tcp_load.0,
        st.seed,
        st.t,
    )
}

fn torques(input: &ReportInput<'_>) -> [f64; SENSOR_SLOTS] {
    let e = electrical_of(input.status);
    if input.io.report_tau_or_i == 1 {
        e.currents
    } else {
        e.torques
    }
}

/// Bytes 4..87 shared by 30001, 30002 and 30003.
fn head(input: &ReportInput<'_>) -> Writer {
    let s = input.status.snapshot;
    let mut w = Writer(vec![0; 4]);
    w.u8(state_mode(input));
    w.u16(input.cmd_num);
    w.f32s(&s.joints, 7);
    w.f32s(&s.pose.to_array(), 6);
    w.f32s(&torques(input), 7);
    w
}

/// The 30003 report.
pub fn real(input: &ReportInput<'_>) -> Vec<u8> {
    head(input).finish(REAL_LEN)
}

fn normal_writer(input: &ReportInput<'_>) -> Writer {
    let st = input.status;
    let s = st.snapshot;
    let dof = st.identity.model.dof();
    let mut w = head(input);
    let joints_bits = ((1u16 << dof) - 1) as u8;
    // Brakes released and motors enabled on every joint while motion is enabled.
    let on = if s.enabled { joints_bits } else { 0 };
    w.u8(on);
    w.u8(on);
    w.u8(s.error_code.clamp(0, 255) as u8);
    w.u8(s.warn_code.clamp(0, 255) as u8);
    w.f32s(&st.settings.tcp_offset, 6);
    let (kg, com) = st.settings.tcp_load;
    w.f32s(&[kg, com[0], com[1], com[2]], 4);
    w.u8(st.settings.collision_sensitivity);
    w.u8(st.settings.teach_sensitivity);
    w.f32s(&input.io.gravity_direction, 3);
    w
}

/// The 30001 report.
pub fn normal(input: &ReportInput<'_>) -> Vec<u8> {
    normal_writer(input).finish(NORMAL_LEN)
}

/// The 30002 report.
pub fn rich(input: &ReportInput<'_>) -> Vec<u8> {
    let st = input.status;
    let s = st.snapshot;
    let model = st.identity.model;
    let mut w = normal_writer(input);
    w.u8(device_type(model));
    w.u8(model.dof() as u8);
    w.u8(0xAA);
    w.u8(0x55);
    w.u8(0);
    w.u8(0);
    let mut version: Vec<u8> = st.identity.version_string().into_bytes();
    version.resize(30, 0);
    w.0.extend_from_slice(&version);
    // TCP jerk, min/max acc, min/max speed; joint jerk, min/max acc, min/max speed; rotation jerk and max acc.
    w.f32s(
        &[
            input.io.tcp_jerk,
            TCP_ACC_RANGE.0,
            TCP_ACC_RANGE.1,
            TCP_SPEED_RANGE.0,
            TCP_SPEED_RANGE.1,
        ],
        5,
    );
    w.f32s(
        &[
            input.io.joint_jerk,
            JOINT_ACC_RANGE.0,
            JOINT_ACC_RANGE.1,
            JOINT_SPEED_RANGE.0,
            JOINT_SPEED_RANGE.1,
        ],
        5,
    );
    w.f32s(&[input.io.joint_jerk, JOINT_ACC_RANGE.1], 2);
    w.zeros(14 + 2); // servo status/error pairs, tool GPIO status: all clear
    w.zeros(7); // temperatures: not modelled (0 degrees C)
    w.f32(s.tcp_speed);
    w.f32s(&s.joint_speeds, 7);
    w.zeros(4); // the counter of registers 74/75, which are not served
    w.f32s(&input.io.world_offset, 6);
    w.u8(0);
    w.u8(0);
    w.u8(u8::from(st.settings.simulation_robot));
    w.u8(u8::from(st.settings.collision_sensitivity > 0));
    w.u8(0);
    w.zeros(24);
    let e = electrical(model, &s.joints, &s.joint_accs, st.settings.tcp_load.0, st.seed, st.t);
    for v in e.voltages {
        w.u16((v * 100.0).round().clamp(0.0, 65535.0) as u16);
    }
    w.f32s(&e.currents, 7);
    w.0.extend_from_slice(&cgpio_block(input.io));
    w.finish(RICH_LEN)
}

/// The 30000 report, `timestamp_us` first after the size.
pub fn real_time(input: &ReportInput<'_>) -> Vec<u8> {
    let st = input.status;
    let s = st.snapshot;
    let mut w = Writer(vec![0; 4]);
    w.0.extend_from_slice(&(st.t.as_millis().saturating_mul(1000)).to_be_bytes());
    w.u8(state_mode(input));
    w.u16(input.cmd_num);
    w.zeros(17);
    // Target and actual joint angle, velocity, acceleration: the plan is followed exactly.
    for _ in 0..2 {
        w.f32s(&s.joints, 7);
        w.f32s(&s.joint_speeds, 7);
        w.f32s(&s.joint_accs, 7);
    }
    let e = electrical_of(st);
    w.f32s(&e.currents, 7);
    w.f32s(&e.torques, 7);
    w.zeros(42 * 4);
    let pose = s.pose.to_array();
    for _ in 0..2 {
        w.f32s(&pose, 6);
        w.zeros(24); // TCP speed vector: only its norm is modelled (30002 carries it)
    }
    w.finish(REAL_TIME_LEN)
}

/// The report of `kind` for one sample.
pub fn build(kind: ReportKind, input: &ReportInput<'_>) -> Vec<u8> {
    match kind {
        ReportKind::RealTime => real_time(input),
        ReportKind::Normal => normal(input),
        ReportKind::Rich => rich(input),
        ReportKind::Real => real(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::ArmModel;
    use crate::model::xarm::Controller;
    use crate::proto::xarm::info::Identity;
    use crate::proto::xarm::report::status_object;
    use crate::time::SimTime;

    fn f32_at(bytes: &[u8], at: usize) -> f64 {
        f64::from(f32::from_le_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    }

    #[test]
    fn every_report_carries_the_studio_sample() {
        let mut c: Controller<()> = Controller::new(ArmModel::XArm6);
        let t0 = SimTime::ZERO;
        let target = [Some(0.3), Some(-0.4), Some(-0.2), None, Some(0.5), None];
        c.move_joints(t0, &target, Default::default(), ());
        let t = SimTime::from_millis(150);
        c.advance(t);
        let snapshot = c.snapshot(t);
        let identity = Identity::new(ArmModel::XArm6, 0);
        let io = ControllerIo::default();
        let status = StatusInput {
            t,
            snapshot: &snapshot,
            settings: &c.settings,
            identity: &identity,
            clients: 1,
            seed: 0,
        };
        let studio = status_object(&status);
        let input = ReportInput {
            status: &status,
            cmd_num: c.queued_moves() as u16,
            io: &io,
        };
        let studio_joints = studio["xarm_joint_radian"].as_array().unwrap();
        for kind in ReportKind::ALL {
            let bytes = build(kind, &input);
            assert_eq!(bytes.len(), kind.size(), "{kind:?}");
            assert_eq!(
                u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize,
                kind.size()
            );
            let (state_at, joints_at) = match kind {
                ReportKind::RealTime => (12, 32 + 7 * 4 * 3),
                _ => (4, 7),
            };
            assert_eq!(bytes[state_at] & 0x0F, 1, "{kind:?}: moving");
            for (i, q) in studio_joints.iter().enumerate() {
                let q = q.as_f64().unwrap();
                assert!(
                    (f32_at(&bytes, joints_at + 4 * i) - q).abs() < 1e-6,
                    "{kind:?} joint {i}"
                );
            }
        }
        let normal = normal(&input);
        assert_eq!(normal[87..91], [0x3F, 0x3F, 0, 0], "brakes, enables, codes");
        assert_eq!(normal[131], 3, "collision sensitivity");
        let rich = rich(&input);
        assert_eq!(rich[145..147], [6, 6]);
        assert!(String::from_utf8_lossy(&rich[151..181]).starts_with("6,6,XI1303"));
        let pose = studio["xarm_tcp_pose"].as_array().unwrap();
        assert!((f32_at(&rich, 35) - pose[0].as_f64().unwrap()).abs() < 1e-3);
    }
}

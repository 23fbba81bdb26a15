use super::*;
use crate::model::arm::ArmModel;
use crate::proto::xarm_tcp::frame::{PROTOCOL_PRIVATE, f32s_le as floats, read_f32s_le as read_floats};

struct Rig {
    controller: Controller<u32>,
    io: ControllerIo,
    identity: Identity,
}

impl Rig {
    fn new() -> Self {
        Rig {
            controller: Controller::new(ArmModel::XArm6),
            io: ControllerIo::default(),
            identity: Identity::new(ArmModel::XArm6, 0),
        }
    }

    fn call(&mut self, ms: u64, register: u8, params: &[u8]) -> (u8, Vec<u8>) {
        let mut ctx = Ctx {
            controller: &mut self.controller,
            io: &mut self.io,
            identity: &self.identity,
            now: SimTime::from_millis(ms),
            waiter: 1,
        };
        let request = Request {
            transaction: 1,
            protocol: PROTOCOL_PRIVATE,
            register,
            params: params.to_vec(),
        };
        handle(&mut ctx, &request)
    }
}

#[test]
fn the_table_is_sorted_and_unique() {
    assert!(REGISTERS.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(REGISTERS.iter().any(|(n, name)| *n == 23 && *name == "MOVE_JOINT"));
}

#[test]
fn version_state_and_codes_read_as_the_sdk_parses_them() {
    let mut rig = Rig::new();
    let (state, version) = rig.call(0, 1, &[]);
    assert_eq!(state, 0);
    assert!(version.len() >= 40);
    let text = String::from_utf8_lossy(&version);
    let text = &text[..text.find('\0').unwrap()];
    assert!(text.starts_with("6,6,XI1303") && text.ends_with(",v2.5.0"), "{text}");
    assert_eq!(rig.call(0, 13, &[]), (0, vec![2]));
    assert_eq!(rig.call(0, 15, &[]), (0, vec![0, 0]));
}

#[test]
fn a_joint_move_runs_and_its_pose_is_the_models_fk() {
    let mut rig = Rig::new();
    let target = [0.5f32, -0.3, -0.4, 0.0, 0.6, 0.2, 0.0];
    let mut params = floats(&target);
    params.extend(floats(&[0.5, 5.0, 0.0]));
    let (state, count) = rig.call(0, 23, &params);
    assert_eq!(state, 0);
    assert_eq!(count, vec![0, 1]);
    assert_eq!(rig.call(10, 13, &[]).1, vec![1], "moving");
    assert_eq!(rig.call(10, 14, &[]).1, vec![0, 1]);
    rig.controller.advance(SimTime::from_millis(10_000));
    assert_eq!(rig.call(10_000, 13, &[]).1, vec![2], "done");
    let joints = read_floats(&rig.call(10_000, 42, &[]).1);
    for (q, t) in joints.iter().zip(target) {
        assert!((q - f64::from(t)).abs() < 1e-6);
    }
    let pose = read_floats(&rig.call(10_000, 41, &[]).1);
    let model = fk(ArmModel::XArm6, &joints[..6], [0.0; 6]).unwrap().to_array();
    for (a, b) in pose.iter().zip(model) {
        assert!((a - b).abs() < 1e-3, "{pose:?} {model:?}");
    }
}

#[test]
fn limits_faults_and_unknown_registers_answer_with_the_controller_codes() {
    let mut rig = Rig::new();
    let mut params = floats(&[0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    params.extend(floats(&[0.5, 5.0, 0.0]));
    let (state, _) = rig.call(0, 23, &params);
    assert_eq!(state & STATE_ERROR, STATE_ERROR);
    assert_eq!(rig.call(0, 15, &[]).1, vec![ERROR_JOINT_LIMIT as u8, 0]);
    assert_eq!(rig.controller.queued_moves(), 0);
    rig.call(0, 16, &[]);
    let (state, _) = rig.call(0, 200, &[]);
    assert_eq!(state & STATE_WARN, STATE_WARN);
    assert_eq!(rig.call(0, 15, &[]).1, vec![0, WARN_NO_INSTRUCTION as u8]);
    rig.call(0, 17, &[]);
    let (state, _) = rig.call(0, 12, &[]);
    assert_eq!(state & STATE_WARN, STATE_WARN, "a missing parameter is W12");
    assert_eq!(rig.call(0, 15, &[]).1, vec![0, WARN_PARAMETER as u8]);
}

#[test]
fn stop_enable_and_state_recover_the_arm() {
    let mut rig = Rig::new();
    let (state, _) = rig.call(0, 12, &[4]);
    assert_eq!(state & STATE_NOT_READY, STATE_NOT_READY);
    assert_eq!(rig.call(0, 13, &[]).1, vec![4]);
    assert_eq!(rig.call(0, 11, &[8, 1]).0 & STATE_NOT_READY, STATE_NOT_READY);
    assert_eq!(rig.call(0, 12, &[0]).0, 0);
    assert_eq!(rig.call(0, 13, &[]).1, vec![2]);
}

#[test]
fn digital_outputs_and_the_gripper_are_plain_state() {
    let mut rig = Rig::new();
    rig.call(0, 134, &[0x01, 0x01, 1]);
    assert_eq!(rig.io.cgpio_outputs, 1);
    rig.call(0, 134, &[0, 0, 0x01, 0x01, 1]);
    assert_eq!(rig.io.cgpio_outputs, 0x0101);
    rig.call(0, 134, &[0, 0, 0x01, 0x00]);
    let state = rig.call(0, 139, &[]).1;
    assert_eq!(state[6..8], [0, 1]);
    let pdu = [9, 8, 0x03, 0x07, 0x02, 0, 2];
    assert_eq!(rig.call(0, 124, &pdu).1, vec![9, 8, 3, 4, 0, 0, 3, 82], "850: open");
    assert_eq!(rig.call(0, 128, &[9, 0x0A, 0x0B]).1, vec![0, 0, 0, 11]);
}

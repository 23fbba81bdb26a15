use super::*;
use crate::model::arm::ArmModel;
use crate::proto::xarm_tcp::feedback::FEEDBACK_MOTION_FINISH;
use crate::proto::xarm_tcp::frame::{PROTOCOL_PRIVATE, f32s_le as floats, read_f32s_le as read_floats};

/// A waiter that remembers the feedback its move asked for.
#[derive(Clone, Debug, PartialEq)]
struct Tagged(Option<FeedbackTag>);

impl TcpWaiter for Tagged {
    fn with_feedback(&self, tag: FeedbackTag) -> Self {
        Tagged(Some(tag))
    }
}

struct Rig {
    controller: Controller<Tagged>,
    io: ControllerIo,
    identity: Identity,
    feedback_type: u8,
    transaction: u16,
}

impl Rig {
    fn new() -> Self {
        Rig {
            controller: Controller::new(ArmModel::XArm6),
            io: ControllerIo::default(),
            identity: Identity::new(ArmModel::XArm6, 0),
            feedback_type: 0,
            transaction: 0,
        }
    }

    fn call(&mut self, ms: u64, register: u8, params: &[u8]) -> (u8, Vec<u8>) {
        let mut ctx = Ctx {
            controller: &mut self.controller,
            io: &mut self.io,
            identity: &self.identity,
            now: SimTime::from_millis(ms),
            waiter: Tagged(None),
            feedback_type: &mut self.feedback_type,
        };
        self.transaction = self.transaction.wrapping_add(1);
        let request = Request {
            transaction: self.transaction,
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

/// Runs `rig`'s planned moves to their end and returns the TCP pose register 41 reads, beside the model's FK of
/// the joints register 42 reads.
fn settle(rig: &mut Rig, ms: u64) -> ([f64; 6], [f64; 6]) {
    rig.controller.advance(SimTime::from_millis(ms));
    assert_eq!(rig.controller.queued_moves(), 0, "the move ended");
    let joints = read_floats(&rig.call(ms, 42, &[]).1);
    let model = fk(ArmModel::XArm6, &joints[..6], [0.0; 6]).unwrap().to_array();
    let pose = read_floats(&rig.call(ms, 41, &[]).1);
    (std::array::from_fn(|i| pose[i]), model)
}

/// Whether two `[x, y, z, roll, pitch, yaw]` poses agree within `tol` (mm and rad, angles modulo 2 pi).
fn same_pose(a: &[f64; 6], b: &[f64; 6], tol: f64) -> bool {
    (0..6).all(|i| {
        let d = a[i] - b[i];
        let d = if i < 3 {
            d
        } else {
            (d + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI
        };
        d.abs() < tol
    })
}

/// A `move_line_common` request: pose, speed, acc, time, radius, then coordinate, axis-angle and only-check.
fn line_common(pose: [f32; 6], coord: u8, axis_angle: u8) -> Vec<u8> {
    let mut params = floats(&pose);
    params.extend(floats(&[100.0, 1000.0, 0.0, -1.0]));
    params.extend([coord, axis_angle, 0]);
    params
}

fn start_pose(rig: &mut Rig) -> Pose {
    let mut params = floats(&[0.0, -0.3, -0.5, 0.0, 0.8, 0.0, 0.0]);
    params.extend(floats(&[1.0, 10.0, 0.0]));
    rig.call(0, 23, &params);
    let (pose, _) = settle(rig, 20_000);
    Pose::from_array(pose)
}

#[test]
fn tool_frame_moves_compose_the_step_with_the_pose_and_land_on_the_models_fk() {
    let mut rig = Rig::new();
    let from = start_pose(&mut rig);
    let step = [0.0, 0.0, 20.0, 0.0, 0.0, 0.2];
    let (state, _) = rig.call(20_000, 21, &line_common(step.map(|v| v as f32), 1, 0));
    assert_eq!(state, 0);
    let (pose, model) = settle(&mut rig, 40_000);
    let expected = from.to_transform().compose(&Pose::from_array(step).to_transform());
    let expected = Pose::from_transform(&expected).to_array();
    assert!(
        same_pose(&pose, &model, 1e-3),
        "register 41 is the FK: {pose:?} {model:?}"
    );
    assert!(same_pose(&model, &expected, 1e-3), "{model:?} {expected:?}");
    // The tool's z is not the base's: the TCP moved 20 mm along its own approach axis, not straight up.
    assert!((model[2] - from.z - 20.0).abs() > 1.0, "{model:?}");
    // The old register (28) means the same.
    let mut params = floats(&[0.0, 0.0, -20.0, 0.0, 0.0, 0.0]);
    params.extend(floats(&[100.0, 1000.0, 0.0]));
    assert_eq!(rig.call(40_000, 28, &params).0, 0);
    let (_, back) = settle(&mut rig, 60_000);
    let up = Pose::from_transform(
        &Pose::from_array(model)
            .to_transform()
            .compose(&Pose::from_array([0.0, 0.0, -20.0, 0.0, 0.0, 0.0]).to_transform()),
    );
    assert!(
        (back[0] - up.x).abs() < 1e-3 && (back[2] - up.z).abs() < 1e-3,
        "{back:?} {up:?}"
    );
}

#[test]
fn axis_angle_moves_and_reads_convert_exactly() {
    let mut rig = Rig::new();
    let from = start_pose(&mut rig);
    let aa = to_axis_angle(&from);
    let read = read_floats(&rig.call(20_000, 91, &[]).1);
    let read: [f64; 6] = std::array::from_fn(|i| read[i]);
    assert!(same_pose(&read, &aa, 1e-4), "{read:?} {aa:?}");
    // An absolute axis-angle target 30 mm lower with the same orientation.
    let mut target = aa;
    target[2] -= 30.0;
    assert_eq!(rig.call(20_000, 21, &line_common(target.map(|v| v as f32), 0, 1)).0, 0);
    let (_, model) = settle(&mut rig, 40_000);
    let lower = Pose {
        z: from.z - 30.0,
        ..from
    }
    .to_array();
    assert!(same_pose(&model, &lower, 1e-3), "{model:?} {lower:?}");
    // A relative axis-angle move (register 83, axis-angle byte set) turns about the base z.
    let mut params = floats(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0]);
    params.extend(floats(&[100.0, 1000.0, 0.0, -1.0]));
    params.extend([0, 1]);
    assert_eq!(rig.call(40_000, 83, &params).0, 0);
    let (_, turned) = settle(&mut rig, 60_000);
    let expected = relative_axis_angle(&Pose::from_array(model), [0.0, 0.0, 0.0, 0.0, 0.0, 0.1]).to_array();
    assert!(same_pose(&turned, &expected, 1e-3), "{turned:?} {expected:?}");
    // A coordinate other than base or tool is a parameter error.
    assert_eq!(
        rig.call(60_000, 21, &line_common([0.0; 6], 2, 0)).0 & STATE_WARN,
        STATE_WARN
    );
}

#[test]
fn finish_feedback_tags_the_move_with_its_request_and_is_per_connection() {
    let mut rig = Rig::new();
    let mut params = floats(&[0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    params.extend(floats(&[1.0, 10.0, 0.0]));
    rig.call(0, 23, &params);
    rig.controller.advance(SimTime::from_millis(10_000));
    let plain = rig.controller.take_completions();
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].waiter, Tagged(None), "no feedback asked for");
    rig.call(10_000, 254, &[FEEDBACK_MOTION_FINISH]);
    assert_eq!(rig.feedback_type, FEEDBACK_MOTION_FINISH);
    rig.call(10_000, 23, &floats(&[0.0; 10]));
    let transaction = rig.transaction;
    rig.call(10_000, 254, &[0]);
    let end = rig.controller.next_event().expect("the move is planned");
    rig.controller.advance(end);
    let done = rig.controller.take_completions();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].at, end, "the completion carries the move's end");
    let Tagged(Some(tag)) = done[0].waiter else {
        panic!("the move asked for feedback: {done:?}")
    };
    assert_eq!(
        (tag.transaction, tag.protocol, tag.register),
        (transaction, PROTOCOL_PRIVATE, 23)
    );
    assert_eq!(tag.task, rig.io.feedback_task);
}

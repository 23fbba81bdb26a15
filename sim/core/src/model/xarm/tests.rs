//! Controller behaviour: accepted and refused motions with their api codes, queueing, pause, stops, long
//! presses, speed scaling, gripper and TCP offset.

use super::*;
use crate::model::arm::limits::joint_limits;

fn ms(v: u64) -> SimTime {
    SimTime::from_millis(v)
}

fn xarm6() -> Controller<&'static str> {
    Controller::new(ArmModel::XArm6)
}

fn deg(v: f64) -> Option<f64> {
    Some(v * PI / 180.0)
}

fn codes(c: &mut Controller<&'static str>) -> Vec<(&'static str, i32)> {
    c.take_completions()
        .into_iter()
        .map(|d| (d.waiter, d.code.code()))
        .collect()
}

#[test]
fn a_joint_move_is_accepted_then_completes_at_its_end_time() {
    let mut c = xarm6();
    assert_eq!(c.snapshot(ms(0)).state, MotionState::Sleeping);
    let code = c.move_joints(ms(10), &[deg(30.0)], Speed::default(), "m1");
    assert_eq!(code, ApiCode::Accepted);
    assert_eq!(c.snapshot(ms(10)).state, MotionState::Moving);
    let end = c.next_event().unwrap();
    // 30 deg at 180 deg/s * 50 % plus a 500 deg/s^2 ramp: 1/3 s + 0.18 s.
    assert_eq!(end, ms(10 + 514));
    c.advance(ms(end.as_millis() - 1));
    assert!(codes(&mut c).is_empty());
    c.advance(end);
    assert_eq!(codes(&mut c), vec![("m1", 0)]);
    let snap = c.snapshot(end);
    assert_eq!(snap.state, MotionState::Sleeping);
    assert!((snap.joints[0] - 30f64.to_radians()).abs() < 1e-12);
    assert_eq!(&snap.joints[1..], &[0.0; 5]);
    assert_eq!(c.next_event(), None);
}

#[test]
fn joints_stay_within_limits_and_speed_at_every_millisecond() {
    let mut c = xarm6();
    let (lo, hi) = joint_limits(ArmModel::XArm6)[2];
    assert_eq!(
        c.move_joints(ms(0), &[None, None, Some(lo)], Speed::default(), "a"),
        100
    );
    assert_eq!(
        c.move_joints(ms(0), &[None, None, Some(hi)], Speed::default(), "b"),
        100
    );
    let end = c.next_event().unwrap();
    let mut last_end = end;
    let vmax = MAX_JOINT_SPEED * DEFAULT_SPEED_PERCENT;
    for t in 0..=10_000 {
        let snap = c.snapshot(ms(t));
        for ((q, v), (lo, hi)) in snap
            .joints
            .iter()
            .zip(&snap.joint_speeds)
            .zip(joint_limits(ArmModel::XArm6))
        {
            assert!(q >= lo && q <= hi, "joint {q} at {t}");
            assert!(v.abs() <= vmax + 1e-9, "speed {v} at {t}");
        }
        c.advance(ms(t));
        if let Some(e) = c.next_event() {
            last_end = e;
        }
    }
    assert!(last_end > end, "the second move runs after the first");
    assert_eq!(codes(&mut c), vec![("a", 0), ("b", 0)]);
}

#[test]
fn targets_beyond_the_limits_are_refused_and_nothing_moves() {
    let mut c = xarm6();
    assert_eq!(
        c.move_joints(ms(0), &[None, deg(130.0)], Speed::default(), "x"),
        ApiCode::JointLimit
    );
    assert_eq!(
        c.move_joints(ms(0), &[deg(361.0)], Speed::default(), "x"),
        ApiCode::JointLimit
    );
    let far = Pose::from_array([900.0, 0.0, 300.0, PI, 0.0, 0.0]);
    assert_eq!(
        c.move_line(ms(0), far, false, Speed::default(), "x"),
        ApiCode::CartesianLimit
    );
    // Inside the TCP box but out of reach.
    let unreachable = Pose::from_array([740.0, 740.0, 900.0, PI, 0.0, 0.0]);
    assert_eq!(
        c.move_line(ms(0), unreachable, false, Speed::default(), "x"),
        ApiCode::CartesianLimit
    );
    let down = Step::Position { axis: 2, sign: -1.0 };
    c.settings.position_step = 600.0;
    assert_eq!(
        c.move_step(ms(0), down, false, false, None, "x"),
        ApiCode::CartesianLimit
    );
    assert_eq!(c.next_event(), None);
    assert_eq!(c.snapshot(ms(100)).joints, vec![0.0; 6]);
    assert_eq!(c.snapshot(ms(100)).state, MotionState::Sleeping);
}

#[test]
fn refusals_follow_the_api_code_table() {
    let mut c = xarm6();
    c.raise_warn(ms(0), 11);
    assert_eq!(c.move_joints(ms(0), &[deg(1.0)], Speed::default(), "w"), 2);
    c.clear_warn(ms(0));
    c.raise_error(ms(0), 22);
    assert_eq!(c.snapshot(ms(0)).state, MotionState::Stopped);
    assert_eq!(c.move_joints(ms(0), &[deg(1.0)], Speed::default(), "e"), 1);
    assert_eq!(c.set_state(ms(0), 0), 1);
    c.clear_error(ms(0));
    assert_eq!(
        c.move_joints(ms(0), &[deg(1.0)], Speed::default(), "s"),
        ApiCode::NotReadyToMove
    );
    assert_eq!(c.set_state(ms(0), 0), 0);
    assert_eq!(c.switch_mode(ms(0), 2), 0);
    assert_eq!(c.snapshot(ms(0)).mode, 2);
    assert_eq!(
        c.move_joints(ms(0), &[deg(1.0)], Speed::default(), "m"),
        ApiCode::NotReadyToMove
    );
    assert_eq!(c.switch_mode(ms(0), 1), ApiCode::ParameterError);
    assert_eq!(c.switch_mode(ms(0), 0), 0);
    assert_eq!(c.set_state(ms(0), 7), ApiCode::ParameterError);
    assert_eq!(
        c.move_joints(ms(0), &[deg(1.0)], Speed::default(), "ok"),
        ApiCode::Accepted
    );
    assert!(codes(&mut c).is_empty());
}

#[test]
fn an_emergency_stop_freezes_the_arm_until_cleared_and_enabled() {
    let mut c = xarm6();
    assert_eq!(c.move_joints(ms(0), &[deg(90.0)], Speed::default(), "m"), 100);
    let here = c.snapshot(ms(400)).joints;
    assert_eq!(c.emergency_stop(ms(400)), 0);
    assert_eq!(codes(&mut c), vec![("m", ApiCode::EmergencyStop.code())]);
    let snap = c.snapshot(ms(5000));
    assert_eq!(
        (snap.state, snap.enabled, snap.ready),
        (MotionState::Stopped, false, false)
    );
    assert_eq!(snap.joints, here);
    assert!(here[0] > 0.0 && here[0] < 90f64.to_radians());
    assert_eq!(
        c.move_joints(ms(500), &[deg(0.0)], Speed::default(), "r"),
        ApiCode::EmergencyStop
    );
    assert_eq!(c.set_state(ms(500), 0), ApiCode::EmergencyStop);
    c.clear_error(ms(600));
    assert_eq!(c.set_state(ms(600), 0), -2, "still disabled");
    assert_eq!(c.clear_error_warn(ms(700), 0), 0);
    let snap = c.snapshot(ms(700));
    assert_eq!(
        (snap.state, snap.enabled, snap.ready),
        (MotionState::Sleeping, true, true)
    );
    assert_eq!(c.move_joints(ms(700), &[deg(0.0)], Speed::default(), "r"), 100);
}

#[test]
fn stop_state_and_errors_end_waiting_moves_with_their_codes() {
    let mut c = xarm6();
    assert_eq!(c.move_joints(ms(0), &[deg(90.0)], Speed::default(), "a"), 100);
    assert_eq!(c.move_joints(ms(0), &[deg(0.0)], Speed::default(), "b"), 100);
    assert_eq!(c.set_state(ms(100), 4), 0);
    assert_eq!(codes(&mut c), vec![("a", -9), ("b", -9)]);
    assert_eq!(c.snapshot(ms(100)).state, MotionState::Stopped);
    assert_eq!(c.set_state(ms(200), 0), 0);
    assert_eq!(c.move_joints(ms(200), &[deg(10.0)], Speed::default(), "c"), 100);
    c.raise_error(ms(300), COLLISION_ERROR);
    assert_eq!(codes(&mut c), vec![("c", ApiCode::HasError.code())]);
    let snap = c.snapshot(ms(300));
    assert_eq!((snap.error_code, snap.state), (31, MotionState::Stopped));
}

#[test]
fn a_pause_holds_the_arm_and_a_resume_finishes_the_move_later() {
    let mut c = xarm6();
    assert_eq!(c.move_joints(ms(0), &[deg(30.0)], Speed::default(), "m"), 100);
    let end = c.next_event().unwrap();
    assert_eq!(c.set_state(ms(200), 3), 0);
    let held = c.snapshot(ms(200)).joints;
    let snap = c.snapshot(ms(900));
    assert_eq!((snap.state, snap.joints.clone()), (MotionState::Paused, held));
    assert_eq!(snap.joint_speeds, vec![0.0; 6]);
    assert_eq!(c.next_event(), None);
    assert_eq!(
        c.move_joints(ms(900), &[deg(1.0)], Speed::default(), "x"),
        ApiCode::NotReadyToMove
    );
    assert_eq!(c.set_state(ms(1000), 0), 0);
    assert_eq!(c.snapshot(ms(1000)).state, MotionState::Moving);
    assert_eq!(c.next_event(), Some(end.plus_millis(800)));
    c.advance(end.plus_millis(800));
    assert_eq!(codes(&mut c), vec![("m", 0)]);
}

#[test]
fn speed_percent_scales_durations_and_is_clamped() {
    let duration = |percent: f64| {
        let mut c = xarm6();
        assert_eq!(c.set_speed_percent(ms(0), percent), 0);
        assert_eq!(c.move_joints(ms(0), &[deg(90.0)], Speed::default(), "m"), 100);
        c.next_event().unwrap().as_millis()
    };
    let (full, half) = (duration(1.0), duration(0.5));
    assert!(full < half);
    assert_eq!(duration(7.0), full);
    let mut c = xarm6();
    assert_eq!(c.set_speed_percent(ms(0), 3.0), 0);
    assert_eq!(c.settings.speed_percent, 1.0);
    assert_eq!(c.set_speed_percent(ms(0), 0.0), 12);
    assert_eq!(c.set_speed_percent(ms(0), f64::NAN), 12);
    assert_eq!(c.settings.speed_percent, 1.0);
}

#[test]
fn cartesian_steps_move_the_tcp_by_the_position_step() {
    let mut c = xarm6();
    let start = c.snapshot(ms(0)).pose;
    let up = Step::Position { axis: 2, sign: 1.0 };
    assert_eq!(c.move_step(ms(0), up, false, false, None, "s"), 100);
    let end = c.next_event().unwrap();
    c.advance(end);
    assert_eq!(codes(&mut c), vec![("s", 0)]);
    let pose = c.snapshot(end).pose;
    assert!((pose.z - start.z - 10.0).abs() < 0.01, "{pose:?}");
    assert!((pose.x - start.x).abs() < 0.01 && pose.y.abs() < 0.01);
    let joint = Step::Joint { joint: 0, sign: -1.0 };
    assert_eq!(c.move_step(end, joint, false, false, None, "j"), 100);
    let end = c.next_event().unwrap();
    c.advance(end);
    assert!((c.snapshot(end).joints[0] + 5f64.to_radians()).abs() < 1e-12);
    assert_eq!(
        c.move_step(end, Step::EndLevel, false, false, None, "l"),
        ApiCode::ParameterError
    );
}

#[test]
fn a_long_press_continues_while_online_and_stops_on_step_over_or_silence() {
    let mut c = xarm6();
    let x = Step::Position { axis: 0, sign: 1.0 };
    assert_eq!(c.move_step(ms(0), x, false, true, None, "lp"), 100);
    let x0 = c.snapshot(ms(0)).pose.x;
    for t in (0..=2000).step_by(100) {
        assert_eq!(c.step_online(ms(t)), 0);
    }
    assert!(codes(&mut c).is_empty());
    assert!(c.snapshot(ms(2000)).pose.x > x0 + 30.0);
    assert_eq!(c.step_over(ms(2000)), 0);
    assert_eq!(codes(&mut c), vec![("lp", 0)]);
    assert_eq!(c.snapshot(ms(2000)).state, MotionState::Sleeping);
    // Without heartbeats the press ends at the first step boundary after 200 ms.
    assert_eq!(c.move_step(ms(3000), x, false, true, None, "quiet"), 100);
    c.advance(ms(10_000));
    assert_eq!(codes(&mut c), vec![("quiet", 0)]);
    assert_eq!(c.next_event(), None);
}

#[test]
fn a_long_press_ends_with_the_limit_code_at_a_joint_limit() {
    let mut c = xarm6();
    c.settings.joint_step = 20.0;
    let bend = Step::Joint { joint: 1, sign: 1.0 };
    assert_eq!(c.move_step(ms(0), bend, false, true, None, "lp"), 100);
    let mut t = 0;
    while c.next_event().is_some() && t < 60_000 {
        t += 100;
        c.step_online(ms(t));
    }
    assert_eq!(codes(&mut c), vec![("lp", ApiCode::JointLimit.code())]);
    let j2 = c.snapshot(ms(t)).joints[1];
    assert!(
        (j2 - 100f64.to_radians()).abs() < 1e-9,
        "stopped at the last step inside the limit: {j2}"
    );
}

#[test]
fn the_gripper_validates_and_converges() {
    let mut c = xarm6();
    assert_eq!(c.set_gripper(ms(0), true, 851.0, 2000.0, None), 12);
    assert_eq!(c.set_gripper(ms(0), true, -1.0, 2000.0, None), 12);
    assert_eq!(c.set_gripper(ms(0), true, 400.0, 0.0, None), 12);
    assert_eq!(c.set_gripper(ms(0), true, 450.0, 2000.0, Some("g")), 100);
    assert!(c.settings.gripper_enabled);
    assert_eq!(c.next_event(), Some(ms(1000)));
    assert_eq!(c.snapshot(ms(500)).gripper_pos, 650.0);
    c.advance(ms(1000));
    assert_eq!(codes(&mut c), vec![("g", 0)]);
    assert_eq!(c.set_gripper(ms(1000), true, 0.0, 2000.0, None), 0);
    assert_eq!(c.set_gripper(ms(1000), false, 0.0, 2000.0, None), 0);
    assert!(!c.settings.gripper_enabled);
}

#[test]
fn the_tcp_offset_applies_to_reported_poses_and_line_moves() {
    let mut c = xarm6();
    let bare = c.snapshot(ms(0)).pose;
    assert_eq!(c.set_tcp_offset(ms(0), [0.0, 0.0, 100.0, 0.0, 0.0, 0.0]), 0);
    let tool = c.snapshot(ms(0)).pose;
    // The flange points down at home, so 100 mm along the tool z is 100 mm lower.
    assert!((bare.z - tool.z - 100.0).abs() < 1e-9);
    let target = Pose {
        x: tool.x + 20.0,
        ..tool
    };
    assert_eq!(c.move_line(ms(0), target, false, Speed::default(), "l"), 100);
    assert_eq!(c.set_tcp_offset(ms(0), [0.0; 6]), ApiCode::NotReadyToMove);
    let end = c.next_event().unwrap();
    c.advance(end);
    let reached = c.snapshot(end).pose;
    assert!((reached.x - target.x).abs() < 0.01 && (reached.z - target.z).abs() < 0.01);
}

#[test]
fn relative_lines_add_to_the_planned_end_pose() {
    let mut c = Controller::<u8>::new(ArmModel::XArm7);
    let start = c.snapshot(ms(0)).pose;
    let delta = Pose::from_array([0.0, 15.0, -5.0, 0.0, 0.0, 0.0]);
    assert_eq!(c.move_line(ms(0), delta, true, Speed::default(), 1), 100);
    assert_eq!(c.move_line(ms(0), delta, true, Speed::default(), 2), 100);
    c.advance(ms(60_000));
    let end = c.snapshot(ms(60_000)).pose;
    assert!((end.y - start.y - 30.0).abs() < 0.01 && (end.z - start.z + 10.0).abs() < 0.01);
    let done: Vec<(u8, i32)> = c
        .take_completions()
        .into_iter()
        .map(|d| (d.waiter, d.code.code()))
        .collect();
    assert_eq!(done, vec![(1, 0), (2, 0)]);
}

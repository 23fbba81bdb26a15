//! One test per command family: the immediate code and response of every documented command and error path.

use serde_json::{Value, json};

use super::*;
use crate::model::arm::ArmModel;

fn ms(v: u64) -> SimTime {
    SimTime::from_millis(v)
}

fn run(c: &mut Controller<Value>, t: u64, text: &str) -> Value {
    let answer = handle_text(c, ms(t), text, Value::clone);
    let frame: Value = serde_json::from_str(&answer.frame).unwrap();
    assert_eq!(frame["code"].as_i64(), Some(i64::from(answer.code)));
    frame
}

fn code(c: &mut Controller<Value>, t: u64, text: &str) -> i64 {
    run(c, t, text)["code"].as_i64().unwrap()
}

fn arm() -> Controller<Value> {
    Controller::new(ArmModel::XArm6)
}

const MOVE: &str = r#"{"cmd":"xarm_move_joint","id":"m","data":{"I":"20","F":"0","Q":"300"}}"#;

#[test]
fn responses_echo_the_id_and_carry_type_code_and_data() {
    let mut c = arm();
    let frame = run(&mut c, 0, r#"{"cmd":"xarm_clear_warn","data":{},"id":"3"}"#);
    assert_eq!(frame, json!({"type": "response", "id": "3", "code": 0, "data": "ok"}));
    let text = handle_text(&mut c, ms(0), r#"{"cmd":"xarm_clear_warn","id":42}"#, Value::clone).frame;
    assert_eq!(text, r#"{"type":"response","id":42,"code":0,"data":"ok"}"#);
    let frame = run(&mut c, 0, MOVE);
    assert_eq!(frame, json!({"type": "response", "id": "m", "code": 100, "data": null}));
    c.advance(ms(60_000));
    let done = c.take_completions();
    assert_eq!((done[0].waiter.clone(), done[0].code), (json!("m"), 0));
}

#[test]
fn bad_envelopes_and_unknown_commands() {
    let mut c = arm();
    let frame = run(&mut c, 0, "{oops");
    assert_eq!(
        frame,
        json!({"type": "response", "id": null, "code": 12, "data": "message is not valid JSON"})
    );
    assert_eq!(run(&mut c, 0, r#"{"cmd":"xarm_clear_warn"}"#)["data"], "missing 'id'");
    let frame = run(&mut c, 0, r#"{"cmd":"xarm_teleport","id":"9","data":{}}"#);
    assert_eq!(
        frame,
        json!({"type": "response", "id": "9", "code": -4, "data": "command 'xarm_teleport' does not exist"})
    );
    let frame = run(&mut c, 0, r#"{"cmd":"xarm_set_jerk","id":"9","data":{}}"#);
    assert_eq!(frame["code"], 11);
    assert_eq!(frame["data"], "'xarm_set_jerk' is documented but not simulated");
}

#[test]
fn motions_answer_100_or_their_refusal_code() {
    let mut c = arm();
    assert_eq!(code(&mut c, 0, MOVE), 100);
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_move_joint","id":"x","data":{"J":"150"}}"#),
        -7
    );
    let far = r#"{"cmd":"xarm_move_arc_line","id":"l","data":{"X":"900","Y":"0","Z":"200","A":"180","M":"0","B":"0"}}"#;
    assert_eq!(code(&mut c, 0, far), -6);
    let line =
        r#"{"cmd":"xarm_move_arc_line","id":"l","data":{"X":"250","Y":"0","Z":"150","A":"180","M":"0","B":"0"}}"#;
    assert_eq!(code(&mut c, 0, line), 100);
    let step = r#"{"cmd":"xarm_move_step","id":"s","data":{"isLoop":false,"direction":"position-z-increase","isMoveTool":false}}"#;
    assert_eq!(code(&mut c, 0, step), 100);
    let joint_step =
        r#"{"cmd":"xarm_move_step","id":"s","data":{"isLoop":false,"direction":"joint-angle-increase","axis":1}}"#;
    assert_eq!(code(&mut c, 0, joint_step), 100);
    assert_eq!(
        code(
            &mut c,
            0,
            r#"{"cmd":"xarm_move_step","id":"s","data":{"direction":"set-end-level"}}"#
        ),
        12
    );
    assert_eq!(code(&mut c, 0, r#"{"cmd":"xarm_move_step_online","id":"o"}"#), 0);
    assert_eq!(code(&mut c, 10, r#"{"cmd":"xarm_move_step_over","id":"o"}"#), 0);
    let finals: Vec<i32> = c.take_completions().iter().map(|d| d.code).collect();
    assert_eq!(finals, vec![0, 0, 0, 0], "step over ends every planned move");
}

#[test]
fn state_refusals_use_the_api_code_table() {
    let mut c = arm();
    c.raise_warn(ms(0), 11);
    assert_eq!(code(&mut c, 0, MOVE), 2);
    assert_eq!(code(&mut c, 0, r#"{"cmd":"xarm_clear_warn","id":"1"}"#), 0);
    c.raise_error(ms(0), 10);
    assert_eq!(code(&mut c, 0, MOVE), 1);
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":0}}"#),
        1
    );
    assert_eq!(code(&mut c, 0, r#"{"cmd":"xarm_clear_error","id":"1","data":{}}"#), 0);
    assert_eq!(code(&mut c, 0, MOVE), 9, "stopped until set_state 0");
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":0}}"#),
        0
    );
    assert_eq!(code(&mut c, 0, r#"{"cmd":"xarm_urgent_stop","id":"1"}"#), 0);
    assert_eq!(code(&mut c, 0, MOVE), -9);
    assert_eq!(code(&mut c, 0, r#"{"cmd":"xarm_clear_error","id":"1"}"#), 0);
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":0}}"#),
        -2
    );
    assert_eq!(code(&mut c, 0, MOVE), -2, "motion not enabled");
    assert_eq!(
        code(
            &mut c,
            0,
            r#"{"cmd":"xarm_clear_error_warn","id":"1","data":{"mode":0}}"#
        ),
        0
    );
    assert_eq!(code(&mut c, 0, MOVE), 100);
    assert_eq!(
        code(&mut c, 10, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":3}}"#),
        0
    );
    assert_eq!(code(&mut c, 10, MOVE), 9, "paused");
    assert_eq!(
        code(&mut c, 20, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":0}}"#),
        0
    );
    assert_eq!(
        code(&mut c, 20, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":4}}"#),
        0
    );
    assert_eq!(
        c.take_completions().iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![-9]
    );
    assert_eq!(
        code(&mut c, 20, r#"{"cmd":"xarm_set_state","id":"1","data":{"state":2}}"#),
        12
    );
}

#[test]
fn modes_speed_gripper_and_switches() {
    let mut c = arm();
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_switch_mode","id":"1","data":{"mode":2}}"#),
        0
    );
    assert_eq!(code(&mut c, 0, MOVE), 9, "manual mode");
    assert_eq!(
        code(
            &mut c,
            0,
            r#"{"cmd":"switch_mode_lite6","id":"1","data":{"version":"lite6","status":0}}"#
        ),
        0
    );
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_switch_mode","id":"1","data":{"mode":5}}"#),
        12
    );
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":5}}"#),
        0
    );
    assert_eq!(c.settings.speed_percent, 1.0);
    assert_eq!(
        code(&mut c, 0, r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":0}}"#),
        12
    );
    assert_eq!(
        code(
            &mut c,
            0,
            r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":"0.25"}}"#
        ),
        0
    );
    assert_eq!(c.settings.speed_percent, 0.25);
    let grip = |pos: &str, wait: bool| {
        format!(
            r#"{{"cmd":"xarm_set_gripper_position","id":"g","data":{{"enable":true,"pos":{pos},"wait":{wait},"speed":3000}}}}"#
        )
    };
    assert_eq!(code(&mut c, 0, &grip("\"900\"", false)), 12);
    assert_eq!(code(&mut c, 0, &grip("-5", false)), 12);
    assert_eq!(code(&mut c, 0, &grip("\"400\"", false)), 0);
    assert_eq!(code(&mut c, 0, &grip("\"100\"", true)), 100);
    for (text, check) in [
        (
            r#"{"cmd":"xarm_set_simulation_robot","id":"1","data":{"on_off":true}}"#,
            "simulation",
        ),
        (
            r#"{"cmd":"start_motion_callback","id":"1","data":{"is_open":true}}"#,
            "callback",
        ),
        (
            r#"{"cmd":"xarm_set_bio_gripper_enable","id":"1","data":{"enable":true}}"#,
            "bio",
        ),
        (
            r#"{"cmd":"xarm_set_lite6_gripper","id":"1","data":{"op":"open"}}"#,
            "lite6",
        ),
    ] {
        assert_eq!(code(&mut c, 0, text), 0, "{check}");
    }
    assert!(c.settings.simulation_robot && c.settings.motion_callback && c.settings.bio_gripper_enabled);
}

#[test]
fn motion_config_changes_steps_and_validates_the_initial_point() {
    let mut c = arm();
    let text = r#"{"cmd":"xarm_set_motion_config","id":"1","data":{"posStep":2,"jointStep":1,"tcpAcc":3000,"initPos":[0,0,0,0,0,90]}}"#;
    assert_eq!(code(&mut c, 0, text), 0);
    assert_eq!(
        (c.settings.position_step, c.settings.joint_step, c.settings.tcp_acc),
        (2.0, 1.0, 3000.0)
    );
    assert_eq!(c.settings.initial_point, vec![0.0, 0.0, 0.0, 0.0, 0.0, 90.0]);
    let short = r#"{"cmd":"xarm_set_motion_config","id":"1","data":{"initPos":[0,0]}}"#;
    assert_eq!(code(&mut c, 0, short), 12);
}

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
    assert_eq!(frame["code"].as_i64(), Some(i64::from(answer.code.code())));
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
    assert_eq!((done[0].waiter.clone(), done[0].code.code()), (json!("m"), 0));
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
    let finals: Vec<i32> = c.take_completions().iter().map(|d| d.code.code()).collect();
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

mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::super::handle_text;
    use crate::model::arm::ArmModel;
    use crate::model::xarm::Controller;
    use crate::proto::xarm::request::NOT_SIMULATED;
    use crate::time::SimTime;

    const COMMANDS: &[&str] = &[
        "xarm_move_joint",
        "xarm_move_arc_line",
        "xarm_move_step",
        "xarm_move_step_online",
        "xarm_move_step_over",
        "xarm_set_state",
        "xarm_urgent_stop",
        "xarm_clear_error",
        "xarm_clear_warn",
        "xarm_clear_error_warn",
        "xarm_set_speed",
        "xarm_switch_mode",
        "switch_mode_lite6",
        "xarm_set_gripper_position",
        "xarm_set_simulation_robot",
        "start_motion_callback",
        "xarm_set_lite6_gripper",
        "xarm_set_bio_gripper_enable",
        "xarm_set_motion_config",
        "no_such_command",
    ];
    const FIELDS: &[&str] = &[
        "I",
        "J",
        "K",
        "L",
        "M",
        "N",
        "O",
        "R",
        "F",
        "Q",
        "X",
        "Y",
        "Z",
        "A",
        "B",
        "C",
        "relative",
        "direction",
        "isLoop",
        "isMoveTool",
        "axis",
        "acc",
        "state",
        "mode",
        "percent",
        "status",
        "pos",
        "speed",
        "enable",
        "wait",
        "on_off",
        "is_open",
        "op",
        "tcpAcc",
        "jointStep",
        "initPos",
    ];

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1e6f64..1e6).prop_map(|v| json!(v)),
            (-5i64..10).prop_map(|v| json!(v)),
            "[a-z0-9.-]{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "position-x-increase",
                "joint-angle-decrease",
                "set-end-level",
                "open",
                "1e400"
            ])
            .prop_map(|s| json!(s)),
            prop::collection::vec(-400.0f64..400.0, 0..8).prop_map(|v| json!(v)),
        ]
    }

    proptest! {
        #[test]
        fn random_text_always_gets_a_response(text in ".{0,200}") {
            let mut c: Controller<Value> = Controller::new(ArmModel::XArm6);
            let answer = handle_text(&mut c, SimTime::ZERO, &text, Value::clone);
            let frame: Value = serde_json::from_str(&answer.frame).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&frame["type"], "response");
            prop_assert!(frame["code"].is_i64());
        }

        #[test]
        fn random_fields_never_panic_and_answer_a_known_code(
            model in prop::sample::select(ArmModel::ALL.to_vec()),
            script in prop::collection::vec(
                (prop::sample::select(COMMANDS.to_vec()), prop::collection::btree_map(prop::sample::select(FIELDS.to_vec()), any_value(), 0..6), 0u64..500),
                1..12,
            ),
        ) {
            let mut c: Controller<Value> = Controller::new(model);
            let mut now = 0;
            for (cmd, fields, dt) in script {
                now += dt;
                let data: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                let text = json!({"cmd": cmd, "data": data, "id": "p"}).to_string();
                let answer = handle_text(&mut c, SimTime::from_millis(now), &text, Value::clone);
                let known = [-9, -7, -6, -4, -2, 0, 1, 2, 9, 11, 12, 100];
                prop_assert!(known.contains(&answer.code.code()), "{} -> {:?}", text, answer.code);
                prop_assert!(cmd != "no_such_command" || answer.code == -4);
                prop_assert!(!NOT_SIMULATED.contains(&cmd));
                let snap = c.snapshot(SimTime::from_millis(now));
                for (q, (lo, hi)) in snap.joints.iter().zip(crate::model::arm::limits::joint_limits(model)) {
                    prop_assert!(q >= lo && q <= hi);
                }
                prop_assert!((0.0..=850.0).contains(&snap.gripper_pos));
            }
        }
    }
}

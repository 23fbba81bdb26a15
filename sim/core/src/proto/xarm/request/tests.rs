//! Every documented command's fields, every refusal code of the envelope and of `data`.

use serde_json::json;

use super::*;

fn command(text: &str) -> Result<Command, (i32, String)> {
    let envelope = parse_envelope(text).map_err(|r| (r.code.code(), r.message))?;
    parse_command(&envelope).map_err(|r| (r.code.code(), r.message))
}

fn code_of(text: &str) -> i32 {
    command(text).err().map_or(0, |(code, _)| code)
}

#[test]
fn the_envelope_needs_json_an_object_an_id_and_a_cmd() {
    for (text, message) in [
        ("not json", "message is not valid JSON"),
        ("[1,2]", "message must be a JSON object {\"cmd\", \"data\", \"id\"}"),
        (r#"{"cmd":"xarm_clear_warn"}"#, "missing 'id'"),
        (r#"{"cmd":"xarm_clear_warn","id":null}"#, "missing 'id'"),
        (r#"{"id":"1"}"#, "missing 'cmd'"),
        (r#"{"id":"1","cmd":7}"#, "missing 'cmd'"),
        (
            r#"{"id":"1","cmd":"xarm_clear_warn","data":[1]}"#,
            "'data' must be an object",
        ),
    ] {
        let refusal = parse_envelope(text).unwrap_err();
        assert_eq!((refusal.code.code(), refusal.message.as_str()), (12, message), "{text}");
    }
    assert_eq!(parse_envelope(r#"{"cmd":"x"}"#).unwrap_err().id, Value::Null);
    let refusal = parse_envelope(r#"{"id":"7"}"#).unwrap_err();
    assert_eq!(refusal.id, json!("7"));
    let envelope = parse_envelope(r#"{"cmd":"xarm_urgent_stop","id":3}"#).unwrap();
    assert_eq!(
        (envelope.id, envelope.cmd.as_str(), envelope.data.len()),
        (json!(3), "xarm_urgent_stop", 0)
    );
}

#[test]
fn unknown_commands_are_minus_4_and_documented_unmodelled_ones_are_flagged() {
    let (code, message) = command(r#"{"cmd":"xarm_fly","id":"1"}"#).unwrap_err();
    assert_eq!((code, message.as_str()), (-4, "command 'xarm_fly' does not exist"));
    assert_eq!(command(r#"{"cmd":"XARM_URGENT_STOP","id":"1"}"#).unwrap_err().0, -4);
    assert_eq!(
        command(r#"{"cmd":"run_blockly","id":"1","data":{}}"#),
        Ok(Command::NotSimulated("run_blockly"))
    );
}

#[test]
fn move_joint_reads_letters_i_to_o_as_degrees_and_f_q() {
    let text = r#"{"cmd":"xarm_move_joint","id":"5","data":{"I":"10","J":-20.5,"K":"0","L":"0","M":"0","N":"0","O":"0",
        "R":0,"F":"30","Q":"300","isControl":true,"isClickMove":false,"wait":false}}"#;
    let Ok(Command::MoveJoint { joints, speed }) = command(text) else {
        panic!("{:?}", command(text))
    };
    assert_eq!(
        joints,
        vec![
            Some(10.0),
            Some(-20.5),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0)
        ]
    );
    assert_eq!((speed.speed, speed.acc), (Some(30.0), Some(300.0)));
    let one = command(r#"{"cmd":"xarm_move_joint","id":"5","data":{"K":45,"f":5,"q":50}}"#).unwrap();
    assert_eq!(
        one,
        Command::MoveJoint {
            joints: vec![None, None, Some(45.0), None, None, None, None],
            speed: Speed {
                speed: Some(5.0),
                acc: Some(50.0),
                unscaled: false,
            }
        }
    );
    assert_eq!(code_of(r#"{"cmd":"xarm_move_joint","id":"5","data":{"R":3}}"#), 12);
    assert_eq!(code_of(r#"{"cmd":"xarm_move_joint","id":"5","data":{"I":"ten"}}"#), 12);
    assert_eq!(code_of(r#"{"cmd":"xarm_move_joint","id":"5","data":{"I":"NaN"}}"#), 12);
    assert_eq!(code_of(r#"{"cmd":"xarm_move_joint","id":"5","data":{"I":[1]}}"#), 12);
}

#[test]
fn move_arc_line_accepts_the_documented_and_the_front_end_angle_letters() {
    let documented =
        r#"{"cmd":"xarm_move_arc_line","id":"1","data":{"X":"200","Y":"0","Z":"240","A":"180","M":"5","B":"7","R":0}}"#;
    let Ok(Command::MoveLine { pose, relative, .. }) = command(documented) else {
        panic!()
    };
    assert_eq!((pose, relative), ([200.0, 0.0, 240.0, 180.0, 5.0, 7.0], false));
    let front = r#"{"cmd":"xarm_move_arc_line","id":"1","data":{"X":1,"Y":2,"Z":3,"A":4,"B":5,"C":6,"F":50,"relative":"true"}}"#;
    let Ok(Command::MoveLine { pose, relative, speed }) = command(front) else {
        panic!()
    };
    assert_eq!(
        (pose, relative, speed.speed),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], true, Some(50.0))
    );
    assert_eq!(
        code_of(r#"{"cmd":"xarm_move_arc_line","id":"1","data":{"X":1,"Y":2,"Z":3,"A":4,"B":5}}"#),
        12
    );
    assert_eq!(
        code_of(
            r#"{"cmd":"xarm_move_arc_line","id":"1","data":{"X":1,"Y":2,"Z":3,"A":4,"B":5,"C":6,"relative":"maybe"}}"#
        ),
        12
    );
}

#[test]
fn move_step_reads_every_direction() {
    let step = |direction: &str, extra: &str| {
        command(&format!(
            r#"{{"cmd":"xarm_move_step","id":"1","data":{{"direction":"{direction}","isLoop":true,"isMoveTool":false{extra}}}}}"#
        ))
    };
    for (i, axis) in ["x", "y", "z"].iter().enumerate() {
        for (tail, sign) in [("increase", 1.0), ("decrease", -1.0)] {
            let Ok(Command::MoveStep {
                step: s,
                long_press,
                tool,
                acc,
            }) = step(&format!("position-{axis}-{tail}"), "")
            else {
                panic!()
            };
            assert_eq!(
                (s, long_press, tool, acc),
                (Step::Position { axis: i, sign }, true, false, None)
            );
        }
    }
    for (i, axis) in ["roll", "pitch", "yaw"].iter().enumerate() {
        let Ok(Command::MoveStep { step: s, .. }) = step(&format!("attitude-{axis}-decrease"), "") else {
            panic!()
        };
        assert_eq!(s, Step::Attitude { axis: i, sign: -1.0 });
    }
    let Ok(Command::MoveStep { step: s, acc, .. }) = step("joint-angle-increase", r#","axis":3,"acc":500"#) else {
        panic!()
    };
    assert_eq!((s, acc), (Step::Joint { joint: 2, sign: 1.0 }, Some(500.0)));
    assert_eq!(
        step("set-end-level", "").map(|c| matches!(
            c,
            Command::MoveStep {
                step: Step::EndLevel,
                ..
            }
        )),
        Ok(true)
    );
    assert_eq!(step("joint-angle-increase", "").unwrap_err().0, 12);
    assert_eq!(step("joint-angle-increase", r#","axis":0"#).unwrap_err().0, 12);
    assert_eq!(step("joint-angle-increase", r#","axis":8"#).unwrap_err().0, 12);
    assert_eq!(step("position-w-increase", "").unwrap_err().0, 12);
    assert_eq!(step("position-x-faster", "").unwrap_err().0, 12);
    assert_eq!(code_of(r#"{"cmd":"xarm_move_step","id":"1","data":{}}"#), 12);
    assert_eq!(
        code_of(r#"{"cmd":"xarm_move_step","id":"1","data":{"direction":5}}"#),
        12
    );
    let lower = command(r#"{"cmd":"xarm_move_step","id":"1","data":{"direction":"position-x-increase","isloop":1}}"#);
    assert!(matches!(lower, Ok(Command::MoveStep { long_press: true, .. })));
}

#[test]
fn state_mode_speed_and_switches() {
    let cases = [
        (
            r#"{"cmd":"xarm_set_state","id":"1","data":{"state":3}}"#,
            Command::SetState(3),
        ),
        (r#"{"cmd":"xarm_set_state","id":"1","data":{}}"#, Command::SetState(0)),
        (
            r#"{"cmd":"xarm_set_state","id":"1","data":{"state":"4"}}"#,
            Command::SetState(4),
        ),
        (r#"{"cmd":"xarm_urgent_stop","id":"1"}"#, Command::UrgentStop),
        (r#"{"cmd":"xarm_clear_error","id":"1","data":{}}"#, Command::ClearError),
        (r#"{"cmd":"xarm_clear_warn","id":"1","data":{}}"#, Command::ClearWarn),
        (
            r#"{"cmd":"xarm_clear_error_warn","id":"1","data":{"mode":0}}"#,
            Command::ClearErrorWarn(0),
        ),
        (
            r#"{"cmd":"xarm_clear_error_warn","id":"1"}"#,
            Command::ClearErrorWarn(0),
        ),
        (
            r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":1.5}}"#,
            Command::SetSpeed(1.5),
        ),
        (
            r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":"0.3"}}"#,
            Command::SetSpeed(0.3),
        ),
        (
            r#"{"cmd":"xarm_switch_mode","id":"1","data":{"mode":2}}"#,
            Command::SwitchMode(2),
        ),
        (
            r#"{"cmd":"switch_mode_lite6","id":"1","data":{"mode":2,"version":"lite6","status":1}}"#,
            Command::SwitchModeLite6(2),
        ),
        (
            r#"{"cmd":"switch_mode_lite6","id":"1","data":{"version":"lite6","status":0}}"#,
            Command::SwitchModeLite6(0),
        ),
        (r#"{"cmd":"xarm_move_step_over","id":"1"}"#, Command::StepOver),
        (r#"{"cmd":"xarm_move_step_online","id":"1"}"#, Command::StepOnline),
        (
            r#"{"cmd":"xarm_set_simulation_robot","id":"1","data":{"on_off":true}}"#,
            Command::SetSimulationRobot(true),
        ),
        (
            r#"{"cmd":"start_motion_callback","id":"1","data":{"is_open":false}}"#,
            Command::MotionCallback(false),
        ),
        (
            r#"{"cmd":"xarm_set_lite6_gripper","id":"1","data":{"op":"close"}}"#,
            Command::Lite6Gripper("close".into()),
        ),
        (
            r#"{"cmd":"xarm_set_bio_gripper_enable","id":"1","data":{"enable":true}}"#,
            Command::BioGripper(true),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(command(text), Ok(expected), "{text}");
    }
    for text in [
        r#"{"cmd":"xarm_set_state","id":"1","data":{"state":1}}"#,
        r#"{"cmd":"xarm_set_state","id":"1","data":{"state":0.5}}"#,
        r#"{"cmd":"xarm_clear_error_warn","id":"1","data":{"mode":9}}"#,
        r#"{"cmd":"xarm_set_speed","id":"1","data":{}}"#,
        r#"{"cmd":"xarm_set_speed","id":"1","data":{"percent":"fast"}}"#,
        r#"{"cmd":"xarm_switch_mode","id":"1","data":{"mode":1}}"#,
        r#"{"cmd":"xarm_switch_mode","id":"1","data":{}}"#,
        r#"{"cmd":"switch_mode_lite6","id":"1","data":{"status":2}}"#,
        r#"{"cmd":"xarm_set_simulation_robot","id":"1","data":{"on_off":"yes"}}"#,
        r#"{"cmd":"xarm_set_simulation_robot","id":"1","data":{}}"#,
        r#"{"cmd":"start_motion_callback","id":"1","data":{}}"#,
        r#"{"cmd":"xarm_set_lite6_gripper","id":"1","data":{"op":"grab"}}"#,
        r#"{"cmd":"xarm_set_bio_gripper_enable","id":"1","data":{"enable":2}}"#,
    ] {
        assert_eq!(code_of(text), 12, "{text}");
    }
}

#[test]
fn gripper_positions_outside_0_to_850_are_parameter_errors() {
    let ok = command(
        r#"{"cmd":"xarm_set_gripper_position","id":"1","data":{"enable":true,"pos":"400","wait":false,"speed":3000}}"#,
    );
    assert_eq!(
        ok,
        Ok(Command::SetGripper {
            enable: true,
            pos: 400.0,
            speed: 3000.0,
            wait: false
        })
    );
    for pos in [r#""851""#, "-1", r#""open""#, "null"] {
        let text = format!(r#"{{"cmd":"xarm_set_gripper_position","id":"1","data":{{"pos":{pos},"speed":3000}}}}"#);
        assert_eq!(code_of(&text), 12, "{text}");
    }
    assert_eq!(
        code_of(r#"{"cmd":"xarm_set_gripper_position","id":"1","data":{"pos":1,"speed":0}}"#),
        12
    );
}

#[test]
fn motion_config_reads_ranges_and_ignores_zeros() {
    let text = r#"{"cmd":"xarm_set_motion_config","id":"1","data":{"tcpAcc":5000,"jointAcc":0,"posStep":2.5,
        "attitudeStep":1,"jointStep":"3","collSens":0,"teachSens":5,"initPos":[0,0,0,0,"10",0]}}"#;
    let Ok(Command::MotionConfig(config)) = command(text) else {
        panic!()
    };
    assert_eq!(
        config,
        MotionConfig {
            tcp_acc: Some(5000.0),
            joint_acc: None,
            position_step: Some(2.5),
            attitude_step: Some(1.0),
            joint_step: Some(3.0),
            collision_sensitivity: Some(0),
            teach_sensitivity: Some(5),
            initial_point: Some(vec![0.0, 0.0, 0.0, 0.0, 10.0, 0.0]),
        }
    );
    for bad in [
        r#"{"tcpAcc":50001}"#,
        r#"{"jointStep":21}"#,
        r#"{"teachSens":0}"#,
        r#"{"initPos":"home"}"#,
        r#"{"initPos":[1,"x"]}"#,
    ] {
        let text = format!(r#"{{"cmd":"xarm_set_motion_config","id":"1","data":{bad}}}"#);
        assert_eq!(code_of(&text), 12, "{text}");
    }
}

//! Pins the exact message of every xArm frame kind (the keys, info and status reports, each response code, the
//! HTTP answers) as insta JSON snapshots under `snapshots/xarm/`. Every float is rounded to 3 decimals, so
//! the last bits of the kinematics and the seeded sensor noise do not make the snapshots brittle.

use insta::internals::Content;
use serde_json::{Map, Value, json};
use understudy_conformance::client::{self, Frame, Transport, WsClient};
use understudy_sim::{SimConfig, Simulator};

struct Arm {
    sim: Simulator,
    ws: WsClient,
    keys: Vec<String>,
    /// The opening frames: keys, info, first status report.
    opening: Vec<Value>,
}

impl Arm {
    async fn start() -> Arm {
        let mut config = SimConfig::for_tests(0);
        config.only = Some(vec!["xarm".into()]);
        let sim = Simulator::start(config).await.unwrap();
        sim.clock().advance(12_340).unwrap();
        let ws = WsClient::connect(sim.url("xarm").unwrap(), &Transport::Plain)
            .await
            .unwrap();
        let mut arm = Arm {
            sim,
            ws,
            keys: Vec::new(),
            opening: Vec::new(),
        };
        for _ in 0..3 {
            let frame = arm.frame().await;
            arm.opening.push(frame);
        }
        arm.keys = arm.opening[0]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        arm
    }

    /// Drops the client first, so that shutting down waits for no close handshake.
    async fn finish(self) {
        drop(self.ws);
        self.sim.shutdown().await;
    }

    async fn frame(&mut self) -> Value {
        loop {
            match self.ws.next_frame(client::REPLY_TIMEOUT).await {
                Frame::Text(text) => return serde_json::from_str(&text).unwrap(),
                Frame::Binary(_) => {}
                other => panic!("expected a frame in time, got {other:?}"),
            }
        }
    }

    /// Sends a raw frame and returns the first response after it, skipping reports.
    async fn send(&mut self, text: &str) -> Value {
        self.ws.send_text(text).await.unwrap();
        self.response(None).await
    }

    /// The next response (with `id`, when given), skipping reports.
    async fn response(&mut self, id: Option<&str>) -> Value {
        loop {
            let frame = self.frame().await;
            if frame["type"] == "response" && id.is_none_or(|id| frame["id"] == id) {
                return frame;
            }
        }
    }

    async fn ask(&mut self, cmd: &str, id: &str, data: Value) -> Value {
        self.send(&json!({"cmd": cmd, "data": data, "id": id}).to_string())
            .await
    }

    /// Moves the virtual clock one report period and returns the status report it brings.
    async fn next_status(&mut self) -> Value {
        self.sim.clock().advance(100).unwrap();
        loop {
            let frame = self.frame().await;
            if frame["cmd"] == "devices_status_report" {
                return frame;
            }
        }
    }

    /// Moves the clock a period at a time until the final answer to `id` arrives.
    async fn final_answer(&mut self, id: &str) -> Value {
        for _ in 0..600 {
            self.sim.clock().advance(100).unwrap();
            loop {
                let frame = self.frame().await;
                if frame["type"] == "response" && frame["id"] == id {
                    return frame;
                }
                if frame["cmd"] == "devices_status_report" {
                    break;
                }
            }
        }
        panic!("no final answer to {id}");
    }

    fn decode(&self, report: &Value) -> Value {
        let values = report["data"].as_array().unwrap();
        Value::Object(
            self.keys
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect::<Map<_, _>>(),
        )
    }

    async fn http(&self, method: &str, path: &str) -> Value {
        let authority = self.sim.endpoints()[0].addr.to_string();
        let reply = client::http_request(&authority, method, path, &[], "").await.unwrap();
        let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body.clone()));
        json!({ "status": reply.status, "content-type": reply.header("content-type"), "body": body })
    }
}

/// Rounds every float below `content` to 3 decimals (and -0.0 to 0.0): a dynamic redaction applied from each
/// top-level field down.
fn rounded(content: Content) -> Content {
    let round = |f: f64| {
        let r = (f * 1000.0).round() / 1000.0;
        if r == 0.0 { 0.0 } else { r }
    };
    match content {
        Content::F64(f) => Content::F64(round(f)),
        Content::F32(f) => Content::F64(round(f64::from(f))),
        Content::Seq(items) => Content::Seq(items.into_iter().map(rounded).collect()),
        Content::Map(entries) => Content::Map(entries.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        other => other,
    }
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let value = $value;
        insta::with_settings!({ snapshot_path => "../../snapshots/xarm", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!($name, value, { ".*" => insta::dynamic_redaction(|value, _| rounded(value)) });
        });
    }};
}

#[tokio::test]
async fn every_report_kind() {
    let mut arm = Arm::start().await;
    let opening = arm.opening.clone();
    snapshot!("keys_report", &opening[0]);
    snapshot!("info_report", &opening[1]);
    snapshot!("status_report", &opening[2]);
    snapshot!("status_report_decoded", &arm.decode(&opening[2]));
    let accepted = arm.ask("xarm_move_joint", "m", json!({"I": 90, "J": -30})).await;
    assert_eq!(accepted["code"], 100);
    for _ in 0..5 {
        arm.next_status().await;
    }
    let moving = arm.next_status().await;
    snapshot!("status_report_moving_decoded", &arm.decode(&moving));
    arm.finish().await;
}

#[tokio::test]
async fn every_response_kind() {
    let mut arm = Arm::start().await;
    let cases = [
        ("response_0_ok", "xarm_clear_warn", json!({})),
        ("response_0_set_speed", "xarm_set_speed", json!({"percent": 4})),
        ("response_-4_unknown_command", "xarm_do_a_flip", json!({})),
        (
            "response_-6_cartesian_limit",
            "xarm_move_arc_line",
            json!({"X": 900, "Y": 0, "Z": 200, "A": 180, "M": 0, "B": 0}),
        ),
        ("response_-7_joint_limit", "xarm_move_joint", json!({"J": 150})),
        ("response_11_not_simulated", "run_blockly", json!({})),
        (
            "response_12_bad_field",
            "xarm_set_gripper_position",
            json!({"pos": 900}),
        ),
    ];
    for (name, cmd, data) in cases {
        let answer = arm.ask(cmd, name, data).await;
        snapshot!(name, &answer);
    }
    for (name, text) in [
        ("response_12_not_json", "this is not json"),
        ("response_12_no_id", r#"{"cmd":"xarm_clear_warn"}"#),
    ] {
        let answer = arm.send(text).await;
        snapshot!(name, &answer);
    }

    // A motion: 100 at once, its final 0 later with the same id.
    let accepted = arm.ask("xarm_move_joint", "move", json!({"I": 30})).await;
    snapshot!("response_100_accepted", &accepted);
    snapshot!("response_0_final", &arm.final_answer("move").await);

    // Paused: 9. Stopped by an emergency stop: final -9, then refused -9; after xarm_clear_error: -2.
    arm.ask("xarm_move_joint", "paused-move", json!({"I": 0})).await;
    arm.ask("xarm_set_state", "pause", json!({"state": 3})).await;
    snapshot!(
        "response_9_not_ready",
        &arm.ask("xarm_move_joint", "response_9_not_ready", json!({"I": 5}))
            .await
    );
    arm.ask("xarm_urgent_stop", "stop", json!({})).await;
    snapshot!("response_-9_final_stopped", &arm.response(Some("paused-move")).await);
    snapshot!(
        "response_-9_estop",
        &arm.ask("xarm_move_joint", "response_-9_estop", json!({"I": 5})).await
    );
    arm.ask("xarm_clear_error", "clear", json!({})).await;
    snapshot!(
        "response_-2_not_enabled",
        &arm.ask("xarm_move_joint", "response_-2_not_enabled", json!({"I": 5}))
            .await
    );
    assert_eq!(
        arm.ask("xarm_clear_error_warn", "enable", json!({"mode": 0})).await["code"],
        0
    );

    // Controller error: a running motion ends with 1, new ones are refused with 1; a warning refuses with 2.
    arm.ask("xarm_move_joint", "hit", json!({"I": 60})).await;
    arm.sim.clock().advance(200).unwrap();
    arm.sim.control("xarm", "collision", &json!({})).unwrap();
    snapshot!("response_1_final_collision", &arm.response(Some("hit")).await);
    snapshot!(
        "response_1_uncleared_error",
        &arm.ask("xarm_move_joint", "response_1_uncleared_error", json!({"I": 5}))
            .await
    );
    assert_eq!(
        arm.ask("xarm_clear_error_warn", "enable-2", json!({"mode": 0})).await["code"],
        0
    );
    arm.finish().await;
}

#[tokio::test]
async fn a_warning_refuses_motions_and_shows_in_the_report() {
    // A fresh arm, so that the report (and its seeded sensor noise) is sampled at a fixed simulated time.
    let mut arm = Arm::start().await;
    arm.sim.control("xarm", "warn", &json!({"code": 11})).unwrap();
    let refused = arm
        .ask("xarm_move_joint", "response_2_uncleared_warning", json!({"I": 5}))
        .await;
    snapshot!("response_2_uncleared_warning", &refused);
    let report = arm.next_status().await;
    snapshot!("status_report_warning_decoded", &arm.decode(&report));
    arm.finish().await;
}

#[tokio::test]
async fn every_http_answer_kind() {
    let arm = Arm::start().await;
    for (name, method, path) in [
        ("http_status", "GET", "/api/status"),
        ("http_info", "GET", "/api/info"),
        ("http_not_found", "GET", "/api/teleport"),
        ("http_method_not_allowed", "POST", "/api/info"),
    ] {
        snapshot!(name, &arm.http(method, path).await);
    }
    arm.finish().await;
}

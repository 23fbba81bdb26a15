//! The simulated xArm on its socket, driven by a WebSocket client on loopback with a virtual clock: report
//! order and alignment, asynchronous motion answers, limits during moves, kinematics of the reported pose,
//! emergency stop and recovery, client counting, HTTP on the same port, and bad input.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use understudy_core::model::arm::limits::joint_limits;
use understudy_core::model::arm::{ArmModel, fk};
use understudy_core::proto::xarm::report::STATUS_KEYS;
use understudy_sim::{SimConfig, Simulator};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

async fn start(seed: u64) -> Simulator {
    let mut config = SimConfig::for_tests(seed);
    config.only = Some(vec!["xarm".to_string()]);
    Simulator::start(config).await.expect("simulator starts")
}

fn url(sim: &Simulator) -> String {
    sim.url("xarm").expect("xarm endpoint").to_string()
}

async fn connect(sim: &Simulator) -> Ws {
    let (ws, _) = tokio::time::timeout(
        WAIT,
        connect_async(format!("{}?channel=prod&lang=en&v=1&id=1700000000000", url(sim))),
    )
    .await
    .expect("connect in time")
    .expect("upgrade accepted");
    ws
}

/// The next text frame as JSON.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket stays open")
            .expect("a valid frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Reads frames until one satisfies `wanted`, returning it and the status reports seen on the way.
async fn until(ws: &mut Ws, wanted: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut reports = Vec::new();
    for _ in 0..10_000 {
        let frame = next(ws).await;
        if wanted(&frame) {
            return (frame, reports);
        }
        if frame["cmd"] == "devices_status_report" {
            reports.push(frame);
        }
    }
    panic!("frame never came");
}

async fn status(ws: &mut Ws) -> Value {
    until(ws, |f| f["cmd"] == "devices_status_report").await.0
}

async fn response(ws: &mut Ws, id: &str) -> Value {
    until(ws, |f| f["type"] == "response" && f["id"] == id).await.0
}

async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string())).await.expect("send");
}

fn field<'a>(report: &'a Value, key: &str) -> &'a Value {
    let index = STATUS_KEYS.iter().position(|k| *k == key).expect("known key");
    &report["data"][index]
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

/// Closes the clients (so no close handshake waits on them), then stops the simulator.
async fn finish(sim: Simulator, clients: Vec<Ws>) {
    drop(clients);
    sim.shutdown().await;
}

/// Connects and consumes the keys, info and first status frames.
async fn ready(sim: &Simulator) -> Ws {
    let mut ws = connect(sim).await;
    assert_eq!(next(&mut ws).await["cmd"], "devices_status_keys_report");
    assert_eq!(next(&mut ws).await["cmd"], "devices_info_report");
    assert_eq!(next(&mut ws).await["cmd"], "devices_status_report");
    ws
}

#[tokio::test]
async fn keys_come_first_then_info_then_aligned_status_reports() {
    let sim = start(1).await;
    let mut ws = connect(&sim).await;
    let keys = next(&mut ws).await;
    assert_eq!(
        (keys["type"].as_str(), keys["cmd"].as_str()),
        (Some("report"), Some("devices_status_keys_report"))
    );
    let names: Vec<&str> = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(names, STATUS_KEYS.to_vec());
    let info = next(&mut ws).await;
    assert_eq!(info["cmd"], "devices_info_report");
    assert_eq!(info["data"]["xarm_type"], "xarm6");
    assert!(info["data"]["xarm_sn"].as_str().unwrap().starts_with("XI"));
    for _ in 0..3 {
        let report = next(&mut ws).await;
        assert_eq!(
            (report["type"].as_str(), report["cmd"].as_str()),
            (Some("report"), Some("devices_status_report"))
        );
        assert_eq!(report["data"].as_array().unwrap().len(), names.len());
        assert_eq!(field(&report, "xarm_axis"), 6);
        assert_eq!(field(&report, "xarm_state"), 2);
        assert_eq!(numbers(field(&report, "xarm_tcp_pose")).len(), 6);
        sim.clock().advance(100).unwrap();
    }
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn reports_follow_the_declared_rate_on_each_connection() {
    let sim = start(2).await;
    let mut ws = ready(&sim).await;
    // 10 Hz: one report per 100 ms of sim time on this connection's own phase, so ten in (0, 1000] ms.
    for _ in 0..100 {
        sim.clock().advance(10).unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&mut ws, json!({"cmd": "xarm_clear_warn", "data": {}, "id": "probe"})).await;
    let (_, reports) = until(&mut ws, |f| f["id"] == "probe").await;
    assert_eq!(reports.len(), 10, "reports in one simulated second");
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn a_move_answers_100_then_its_final_code_and_stays_within_limits() {
    let sim = start(3).await;
    let mut ws = ready(&sim).await;
    let id = "move-1";
    send(&mut ws, json!({"cmd": "xarm_move_joint", "id": id, "data": {"I": "90", "J": "-60", "K": "-150", "L": 0, "M": "80", "N": "0", "O": "0", "R": 0, "F": "0", "Q": "300", "isControl": true, "isClickMove": false, "wait": false}})).await;
    let accepted = response(&mut ws, id).await;
    assert_eq!(
        accepted,
        json!({"type": "response", "id": id, "code": 100, "data": null})
    );
    let limits = joint_limits(ArmModel::XArm6);
    let mut states = Vec::new();
    let mut last_joints: Option<Vec<f64>> = None;
    let final_answer = loop {
        sim.clock().advance(100).unwrap();
        let frame = until(&mut ws, |f| f["cmd"] == "devices_status_report" || f["id"] == id)
            .await
            .0;
        if frame["id"] == id {
            break frame;
        }
        let joints_deg = numbers(field(&frame, "xarm_joint_pose"));
        let joints = numbers(field(&frame, "xarm_joint_radian"));
        for ((q, d), (lo, hi)) in joints.iter().zip(&joints_deg).zip(limits) {
            assert!(*q >= *lo && *q <= *hi, "joint {q} outside [{lo}, {hi}]");
            assert!((q.to_degrees() - d).abs() < 1e-9);
        }
        for speed in numbers(field(&frame, "xarm_joint_speed_axis")) {
            assert!(
                speed.abs() <= 90.0 + 1e-9,
                "joint speed {speed} deg/s above 180 deg/s x 50 %"
            );
        }
        if let Some(previous) = &last_joints {
            for (a, b) in previous.iter().zip(&joints) {
                assert!(
                    (a - b).abs() <= 90f64.to_radians() * 0.1 + 1e-9,
                    "moved more than 9 deg in 100 ms"
                );
            }
        }
        let pose = numbers(field(&frame, "xarm_tcp_pose"));
        let expected = fk(ArmModel::XArm6, &joints, [0.0; 6]).unwrap().to_array();
        for k in 0..3 {
            assert!((pose[k] - expected[k]).abs() < 1e-6, "TCP {pose:?} vs FK {expected:?}");
            let angle = (pose[k + 3].to_radians() - expected[k + 3]).rem_euclid(std::f64::consts::TAU);
            assert!(angle.min(std::f64::consts::TAU - angle) < 1e-9);
        }
        states.push(field(&frame, "xarm_state").as_i64().unwrap());
        last_joints = Some(joints);
    };
    assert_eq!(
        final_answer,
        json!({"type": "response", "id": id, "code": 0, "data": "ok"})
    );
    assert!(states.contains(&1), "the arm reported moving");
    sim.clock().advance(100).unwrap();
    let after = status(&mut ws).await;
    assert_eq!(field(&after, "xarm_state"), 2);
    let joints = numbers(field(&after, "xarm_joint_pose"));
    for (q, target) in joints.iter().zip([90.0, -60.0, -150.0, 0.0, 80.0, 0.0]) {
        assert!((q - target).abs() < 1e-9, "{joints:?}");
    }
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn refused_moves_answer_once_with_their_code() {
    let sim = start(4).await;
    let mut ws = ready(&sim).await;
    send(
        &mut ws,
        json!({"cmd": "xarm_move_joint", "id": "far", "data": {"J": "150"}}),
    )
    .await;
    assert_eq!(response(&mut ws, "far").await["code"], -7);
    send(&mut ws, json!({"cmd": "xarm_move_arc_line", "id": "out", "data": {"X": 900, "Y": 0, "Z": 200, "A": 180, "M": 0, "B": 0}})).await;
    assert_eq!(response(&mut ws, "out").await["code"], -6);
    send(&mut ws, json!({"cmd": "xarm_set_gripper_position", "id": "g", "data": {"enable": true, "pos": "900", "wait": false, "speed": 3000}})).await;
    assert_eq!(response(&mut ws, "g").await["code"], 12);
    send(
        &mut ws,
        json!({"cmd": "xarm_set_speed", "id": "s", "data": {"percent": 4}}),
    )
    .await;
    assert_eq!(response(&mut ws, "s").await["code"], 0);
    sim.clock().advance(100).unwrap();
    let report = status(&mut ws).await;
    assert_eq!(field(&report, "xarm_speed_percent"), 1.0);
    assert_eq!(
        numbers(field(&report, "xarm_joint_pose")),
        vec![0.0; 6],
        "nothing moved"
    );
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn an_emergency_stop_holds_until_errors_are_cleared_and_the_arm_enabled() {
    let sim = start(5).await;
    let mut ws = ready(&sim).await;
    send(
        &mut ws,
        json!({"cmd": "xarm_move_joint", "id": "m", "data": {"I": 120}}),
    )
    .await;
    assert_eq!(response(&mut ws, "m").await["code"], 100);
    sim.clock().advance(500).unwrap();
    send(&mut ws, json!({"cmd": "xarm_urgent_stop", "id": "stop"})).await;
    let (stop, _) = until(&mut ws, |f| f["id"] == "stop").await;
    assert_eq!(stop["code"], 0);
    assert_eq!(response(&mut ws, "m").await["code"], -9);
    sim.clock().advance(100).unwrap();
    let held = status(&mut ws).await;
    assert_eq!(field(&held, "xarm_state"), 4);
    assert_eq!(field(&held, "xarm_is_ready"), false);
    let joint1 = numbers(field(&held, "xarm_joint_pose"))[0];
    assert!(joint1 > 0.0 && joint1 < 120.0);
    send(
        &mut ws,
        json!({"cmd": "xarm_move_joint", "id": "again", "data": {"I": 0}}),
    )
    .await;
    assert_eq!(response(&mut ws, "again").await["code"], -9);
    send(
        &mut ws,
        json!({"cmd": "xarm_set_state", "id": "s0", "data": {"state": 0}}),
    )
    .await;
    assert_eq!(response(&mut ws, "s0").await["code"], -9);
    sim.clock().advance(1000).unwrap();
    let still = status(&mut ws).await;
    assert_eq!(numbers(field(&still, "xarm_joint_pose"))[0], joint1);
    send(
        &mut ws,
        json!({"cmd": "xarm_clear_error_warn", "id": "enable", "data": {"mode": 0}}),
    )
    .await;
    assert_eq!(response(&mut ws, "enable").await["code"], 0);
    sim.clock().advance(100).unwrap();
    let recovered = status(&mut ws).await;
    assert_eq!(
        (field(&recovered, "xarm_state"), field(&recovered, "xarm_is_ready")),
        (&json!(2), &json!(true))
    );
    send(
        &mut ws,
        json!({"cmd": "xarm_move_joint", "id": "home", "data": {"I": 0}}),
    )
    .await;
    assert_eq!(response(&mut ws, "home").await["code"], 100);
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn a_fault_from_the_control_api_stops_the_arm_with_its_code() {
    let sim = start(6).await;
    let mut ws = ready(&sim).await;
    send(&mut ws, json!({"cmd": "xarm_move_joint", "id": "m", "data": {"I": 60}})).await;
    assert_eq!(response(&mut ws, "m").await["code"], 100);
    sim.clock().advance(200).unwrap();
    let state = sim.control("xarm", "collision", &json!({})).unwrap();
    assert_eq!(
        (state["error_code"].as_i64(), state["state"].as_i64()),
        (Some(31), Some(4))
    );
    assert_eq!(response(&mut ws, "m").await["code"], 1);
    sim.clock().advance(100).unwrap();
    let report = status(&mut ws).await;
    assert_eq!(field(&report, "xarm_error_code"), 31);
    assert_eq!(field(&report, "xarm_error")["code"], 31);
    send(&mut ws, json!({"cmd": "xarm_move_joint", "id": "n", "data": {"I": 0}})).await;
    assert_eq!(response(&mut ws, "n").await["code"], 1);
    assert!(
        sim.control("xarm", "fault", &json!({"code": 4})).is_err(),
        "4 is not a controller error"
    );
    assert!(sim.control("xarm", "fault", &json!({"code": 22})).is_ok());
    let state = sim.control("xarm", "state", &json!({})).unwrap();
    assert_eq!(state["error_code"], 22);
    assert_eq!(state["joints_deg"].as_array().unwrap().len(), 6);
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn current_clients_count_counts_open_sockets() {
    let sim = start(7).await;
    let mut a = ready(&sim).await;
    let b = ready(&sim).await;
    let mut c = ready(&sim).await;
    sim.clock().advance(100).unwrap();
    assert_eq!(field(&status(&mut a).await, "current_clients_count"), 3);
    drop(b);
    c.close(None).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        sim.clock().advance(100).unwrap();
        let count = field(&status(&mut a).await, "current_clients_count").as_i64().unwrap();
        if count == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "closed sockets still counted: {count}"
        );
    }
    finish(sim, vec![a, c]).await;
}

async fn http_get(sim: &Simulator, path: &str) -> (u16, Value) {
    let addr = sim.endpoints().iter().find(|e| e.name == "xarm").unwrap().addr;
    let (status, body) = common::http_get(addr, path).await;
    (status, serde_json::from_str(&body).expect("JSON body"))
}

#[tokio::test]
async fn http_serves_status_and_info_on_the_same_port() {
    let sim = start(8).await;
    let (code, body) = http_get(&sim, "/api/status").await;
    assert_eq!(code, 200);
    let object = body.as_object().unwrap();
    assert_eq!(
        object.keys().map(String::as_str).collect::<Vec<_>>(),
        STATUS_KEYS.to_vec()
    );
    assert_eq!(object["xarm_state"], 2);
    assert_eq!(object["current_clients_count"], 0);
    let (code, info) = http_get(&sim, "/api/info").await;
    assert_eq!(code, 200);
    assert_eq!(info["xarm_type"], "xarm6");
    assert_eq!(info["xarm_version"].as_str().unwrap().split(',').count(), 5);
    let (code, missing) = http_get(&sim, "/api/teleport").await;
    assert_eq!((code, missing["code"].as_i64()), (404, Some(404)));
    finish(sim, vec![]).await;
}

#[tokio::test]
async fn only_the_ws_path_upgrades() {
    let sim = start(9).await;
    let other = url(&sim).replace("/ws", "/socket");
    assert!(connect_async(other).await.is_err());
    let mut ws = connect(&sim).await;
    assert_eq!(next(&mut ws).await["cmd"], "devices_status_keys_report");
    finish(sim, vec![ws]).await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_disturbs_no_one() {
    let sim = start(10).await;
    let mut bystander = ready(&sim).await;
    let mut ws = ready(&sim).await;
    ws.send(Message::text("this is not json")).await.unwrap();
    let answer = until(&mut ws, |f| f["type"] == "response").await.0;
    assert_eq!(
        answer,
        json!({"type": "response", "id": null, "code": 12, "data": "message is not valid JSON"})
    );
    ws.send(Message::binary(vec![0xff, 0x00, 0x13])).await.unwrap();
    assert_eq!(until(&mut ws, |f| f["type"] == "response").await.0["code"], 12);
    ws.send(Message::binary(br#"{"cmd":"xarm_clear_warn","id":"bin"}"#.to_vec()))
        .await
        .unwrap();
    assert_eq!(response(&mut ws, "bin").await["code"], 0);
    send(&mut ws, json!({"cmd": "xarm_clear_warn", "data": {}})).await;
    let missing = until(&mut ws, |f| f["type"] == "response").await.0;
    assert_eq!(
        (missing["code"].as_i64(), missing["data"].as_str()),
        (Some(12), Some("missing 'id'"))
    );
    send(&mut ws, json!({"cmd": "xarm_do_a_flip", "id": "x", "data": {}})).await;
    assert_eq!(response(&mut ws, "x").await["code"], -4);
    send(
        &mut ws,
        json!({"cmd": "xarm_move_step", "id": "d", "data": {"direction": "sideways"}}),
    )
    .await;
    assert_eq!(response(&mut ws, "d").await["code"], 12);
    sim.clock().advance(100).unwrap();
    assert_eq!(field(&status(&mut ws).await, "current_clients_count"), 2);
    assert_eq!(field(&status(&mut bystander).await, "current_clients_count"), 2);
    finish(sim, vec![bystander, ws]).await;
}

async fn transcript_of_a_session(seed: u64) -> Vec<String> {
    let sim = start(seed).await;
    let mut ws = ready(&sim).await;
    send(
        &mut ws,
        json!({"cmd": "xarm_move_step", "id": "s", "data": {"direction": "position-x-increase", "isLoop": false}}),
    )
    .await;
    let mut frames = Vec::new();
    for _ in 0..15 {
        sim.clock().advance(100).unwrap();
        frames.push(status(&mut ws).await.to_string());
    }
    finish(sim, vec![ws]).await;
    frames
}

#[tokio::test]
async fn the_same_seed_and_inputs_give_the_same_reports() {
    let a = transcript_of_a_session(11).await;
    let b = transcript_of_a_session(11).await;
    assert_eq!(a, b);
    let c = transcript_of_a_session(12).await;
    assert_ne!(a, c, "sensor noise follows the seed");
}

#[tokio::test]
async fn nothing_moves_until_the_virtual_clock_does_and_a_pause_holds_the_arm() {
    let sim = start(13).await;
    let mut ws = ready(&sim).await;
    send(&mut ws, json!({"cmd": "xarm_move_joint", "id": "m", "data": {"I": 45}})).await;
    assert_eq!(response(&mut ws, "m").await["code"], 100);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let idle = sim.control("xarm", "state", &json!({})).unwrap();
    assert_eq!(
        (idle["joints_deg"][0].as_f64(), idle["state"].as_i64()),
        (Some(0.0), Some(1))
    );
    sim.clock().advance(300).unwrap();
    send(
        &mut ws,
        json!({"cmd": "xarm_set_state", "id": "pause", "data": {"state": 3}}),
    )
    .await;
    assert_eq!(response(&mut ws, "pause").await["code"], 0);
    let held = sim.control("xarm", "state", &json!({})).unwrap()["joints_deg"][0]
        .as_f64()
        .unwrap();
    assert!(held > 0.0 && held < 45.0, "{held}");
    sim.clock().advance(2000).unwrap();
    let report = status(&mut ws).await;
    assert_eq!(
        (field(&report, "xarm_state"), field(&report, "xarm_paused")),
        (&json!(3), &json!(true))
    );
    assert_eq!(numbers(field(&report, "xarm_joint_pose"))[0], held);
    send(
        &mut ws,
        json!({"cmd": "xarm_set_state", "id": "resume", "data": {"state": 0}}),
    )
    .await;
    assert_eq!(response(&mut ws, "resume").await["code"], 0);
    sim.clock().advance(2000).unwrap();
    assert_eq!(
        response(&mut ws, "m").await,
        json!({"type": "response", "id": "m", "code": 0, "data": "ok"})
    );
    let done = sim.control("xarm", "state", &json!({})).unwrap();
    assert!((done["joints_deg"][0].as_f64().unwrap() - 45.0).abs() < 1e-9);
    finish(sim, vec![ws]).await;
}

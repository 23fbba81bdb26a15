//! Pins the exact frame of every kind the simulated Obico agent sends to the checker's server (the first
//! status with settings, each state change, each print event, the idle heartbeat, passthru ret and error
//! replies, the BSON tunnel reply) and its `g_code_files` post, as insta JSON snapshots under
//! `snapshots/obico/`. `_ts`, `current_print_ts` and file dates are redacted; the rest is exact in virtual time.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use understudy_conformance::client::{Frame, WsClient};
use understudy_conformance::obico::{ObicoServer, Seen};
use understudy_conformance::schema::{self, Schemas};
use understudy_conformance::steps::obico;
use understudy_core::proto::obico::bson;
use understudy_sim::devices::obico::ObicoOptions;
use understudy_sim::{SimConfig, Simulator};

const TOKEN: &str = "tok_snapshots_0123456789";

/// The G-code the printed file holds: a few seconds of moves.
const GCODE: &str = "G28\nG92 E0\nG1 Z0.3 F300\nG1 X20 Y10 E1 F600\nG1 X10 Y10 E2 F600\nG1 X20 Y10 E3 F600\nG1 Z0.6 F300\nG1 X10 Y10 E4 F600\n";

struct Agent {
    sim: Simulator,
    socket: WsClient,
    /// The first frame of each kind, by snapshot name.
    kinds: BTreeMap<String, Value>,
}

impl Agent {
    /// Reads every frame until the socket is quiet, keeping the first of each kind.
    async fn drain(&mut self) {
        loop {
            let value = match self.socket.next_frame(Duration::from_millis(150)).await {
                Frame::Text(text) => serde_json::from_str::<Value>(&text).unwrap(),
                Frame::Binary(bytes) => bson::to_json(&bson::Bson::Document(bson::decode_document(&bytes).unwrap())),
                Frame::Timeout => return,
                other => panic!("the socket ended: {other:?}"),
            };
            let name = kind_name(&value);
            self.kinds.entry(name).or_insert(value);
        }
    }

    async fn advance(&mut self, ms: u64) {
        self.sim.clock().advance(ms).unwrap();
        self.drain().await;
    }

    async fn send(&mut self, frame: Value) {
        self.socket.send_text(&frame.to_string()).await.unwrap();
        self.drain().await;
    }
}

/// The snapshot a frame belongs to.
fn kind_name(frame: &Value) -> String {
    if let Some(passthru) = frame.get("passthru") {
        return match passthru.get("error") {
            Some(_) => "passthru_error".into(),
            None => "passthru_ret".into(),
        };
    }
    if frame.get("http.tunnelv2").is_some() {
        return "tunnel_reply".into();
    }
    let text = frame["status"]["state"]["text"]
        .as_str()
        .unwrap_or("none")
        .replace(' ', "_");
    match (frame["event"]["event_type"].as_str(), frame.get("settings")) {
        (Some("PrinterStateChanged"), _) => format!("event_state_changed_{text}"),
        (Some(event), _) => format!("event_{event}"),
        (None, Some(_)) => format!("status_with_settings_{text}"),
        (None, None) => format!("status_{text}"),
    }
}

fn schema_of(name: &str) -> Option<&'static str> {
    if name.starts_with("passthru") {
        Some("obico/passthru-reply")
    } else if name.starts_with("status") || name.starts_with("event") {
        Some("obico/status-frame")
    } else {
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_kind_of_the_simulated_agent() {
    let server = ObicoServer::on_loopback(TOKEN).await.unwrap();
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["obico".into()]);
    *config.devices.get_mut::<ObicoOptions>() = ObicoOptions::single(&server.url(), TOKEN);
    let sim = Simulator::start(config).await.unwrap();
    let socket = server.next_socket(Duration::from_secs(5)).await.unwrap();
    let mut agent = Agent {
        sim,
        socket,
        kinds: BTreeMap::new(),
    };
    agent.drain().await;
    agent.advance(1_000).await;

    let passthru = |func: &str, args: Value, reference: &str| json!({"passthru": {"target": "_printer", "func": func, "args": args, "ref": reference}, "type": "printer.message"});
    agent.send(passthru("get_connection_options", json!([]), "p1")).await;
    agent.send(passthru("set_temperature", json!(["nope", 10]), "p2")).await;
    agent
        .send(json!({"http.tunnelv2": {"ref": "t1", "method": "get", "headers": {}, "path": "/api/version", "data": ""}, "type": "printer.message"}))
        .await;

    agent
        .sim
        .control("obico", "upload", &json!({"file": "snap.gcode", "gcode": GCODE}))
        .unwrap();
    agent
        .send(passthru("select_file", json!(["snap.gcode", false, true]), "p3"))
        .await;
    agent.advance(1_000).await;
    let command = |cmd: &str, args: Value| json!({"commands": [{"cmd": cmd, "args": args, "initiator": "api"}], "type": "printer.message"});
    agent
        .send(command("pause", json!({"retract": 6.5, "lift_z": 2.5})))
        .await;
    agent.advance(1_000).await;
    agent.send(command("resume", json!({}))).await;
    agent.advance(500).await;
    agent.send(command("cancel", json!({}))).await;
    agent.advance(1_000).await;

    agent
        .send(passthru("select_file", json!(["snap.gcode", false, true]), "p4"))
        .await;
    for _ in 0..120 {
        agent.advance(1_000).await;
        if agent.kinds.contains_key("event_PrintDone") {
            break;
        }
    }
    for _ in 0..60 {
        agent.advance(1_000).await;
    }

    let schemas = Schemas::load(schema::default_dir()).unwrap();
    for (name, value) in &agent.kinds {
        if let Some(schema) = schema_of(name) {
            schemas.check(schema, value).unwrap();
        }
    }
    for wanted in [
        "status_with_settings_Offline",
        "event_state_changed_Operational",
        "event_PrintStarted",
        "event_PrintPaused",
        "event_PrintResumed",
        "event_PrintCancelling",
        "event_PrintCancelled",
        "event_PrintFailed",
        "event_PrintDone",
        "status_Operational",
        "passthru_ret",
        "passthru_error",
        "tunnel_reply",
    ] {
        assert!(
            agent.kinds.contains_key(wanted),
            "no {wanted}: {:?}",
            agent.kinds.keys()
        );
    }
    common::snapshot_settings(&obico::PROTOCOL).bind(|| {
        for (name, value) in &agent.kinds {
            insta::assert_json_snapshot!(name.as_str(), value);
        }
        let post = server.log().into_iter().find_map(|s| match s.seen {
            Seen::Rest { method, path, form, .. } if method == "POST" && path == "/api/v1/octo/g_code_files/" => {
                Some(json!({"path": path, "form": form}))
            }
            _ => None,
        });
        insta::assert_json_snapshot!("rest_g_code_files", post);
    });
    agent.sim.shutdown().await;
}

//! Pins the exact message of every Endrpi reply kind (each action's success, each error, the REST answers)
//! as insta JSON snapshots under `snapshots/endrpi/`; values that move with time are redacted.

mod common;

use serde_json::{Value, json};
use understudy_conformance::client::{self, Transport, WsClient};
use understudy_conformance::steps::endrpi;
use understudy_sim::{SimConfig, Simulator};

struct Device {
    sim: Simulator,
    ws: WsClient,
}

impl Device {
    async fn start() -> Device {
        let sim = Simulator::start(SimConfig::for_tests(0)).await.unwrap();
        sim.clock().advance(1_234_567).unwrap();
        let ws = WsClient::connect(sim.url("endrpi").unwrap(), &Transport::Plain)
            .await
            .unwrap();
        Device { sim, ws }
    }

    async fn ask(&mut self, request: &str) -> Value {
        self.ws.send_text(request).await.unwrap();
        serde_json::from_str(&self.ws.next_text().await.unwrap()).unwrap()
    }

    async fn http(&self, method: &str, path: &str, body: &str) -> Value {
        let authority = self.sim.endpoints()[0].addr.to_string();
        let headers = [("content-type", "application/json")];
        let reply = client::http_request(&authority, method, path, &headers, body)
            .await
            .unwrap();
        let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body.clone()));
        json!({ "status": reply.status, "content-type": reply.header("content-type"), "body": body })
    }
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let value = $value;
        common::snapshot_settings(&endrpi::PROTOCOL).bind(|| insta::assert_json_snapshot!($name, value));
    }};
}

#[tokio::test]
async fn every_websocket_reply_kind() {
    let mut device = Device::start().await;
    let cases = [
        ("read_temperature", r#"{"action":"READ_TEMPERATURE"}"#),
        ("read_throttle", r#"{"action":"READ_THROTTLE"}"#),
        ("read_uptime", r#"{"action":"READ_UPTIME"}"#),
        ("read_frequency", r#"{"action":"READ_FREQUENCY"}"#),
        ("read_memory", r#"{"action":"READ_MEMORY"}"#),
        (
            "read_pin_configurations",
            r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO2","GPIO17"]}}"#,
        ),
        (
            "update_pin_configurations",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}"#,
        ),
        ("error_invalid_message", "not json"),
        ("error_missing_action", "{}"),
        ("error_invalid_action", r#"{"action":"GET_TEMPERATURE"}"#),
        ("error_missing_params", r#"{"action":"READ_PIN_CONFIGURATIONS"}"#),
        (
            "error_invalid_params",
            r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO1"]}}"#,
        ),
        (
            "error_no_pins",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{}}}"#,
        ),
        (
            "error_no_state",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT"}}}}"#,
        ),
        (
            "error_no_pull",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"INPUT"}}}}"#,
        ),
        (
            "error_state_out_of_range",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":2}}}}"#,
        ),
        (
            "error_fixed_pull_up",
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO2":{"io":"INPUT","pull":"DOWN"}}}}"#,
        ),
    ];
    for (name, request) in cases {
        let reply = device.ask(request).await;
        snapshot!(name, &reply);
    }
    device
        .sim
        .control("endrpi", "fail_reads", &json!({"reads": ["temperature"]}))
        .unwrap();
    let failed_read = device.ask(r#"{"action":"READ_TEMPERATURE"}"#).await;
    snapshot!("error_failed_read", &failed_read);
    device.sim.shutdown().await;
}

#[tokio::test]
async fn every_rest_answer_kind() {
    let device = Device::start().await;
    let cases = [
        ("rest_system", "GET", "/system", ""),
        ("rest_uptime", "GET", "/system/uptime", ""),
        ("rest_platform", "GET", "/system/platform", ""),
        ("rest_pin", "GET", "/pins/GPIO2", ""),
        ("rest_unknown_pin", "GET", "/pins/GPIO1", ""),
        ("rest_put_pin", "PUT", "/pins/GPIO18", r#"{"io":"OUTPUT","state":1}"#),
        ("rest_put_invalid", "PUT", "/pins/GPIO18", r#"{"io":"SIDEWAYS"}"#),
        ("rest_put_no_state", "PUT", "/pins/GPIO18", r#"{"io":"OUTPUT"}"#),
        (
            "rest_put_gpio_failure",
            "PUT",
            "/pins/GPIO2",
            r#"{"io":"INPUT","pull":"DOWN"}"#,
        ),
        ("rest_not_found", "GET", "/nope", ""),
        ("rest_method_not_allowed", "POST", "/pins", ""),
    ];
    for (name, method, path, body) in cases {
        let answer = device.http(method, path, body).await;
        snapshot!(name, &answer);
    }
    device.sim.shutdown().await;
}

//! The control API on its socket: a bearer token when one is required, and control values outside
//! physical ranges refused with 400.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use understudy_sim::serve::control::ControlConfig;
use understudy_sim::{SimConfig, Simulator};

mod common;

async fn start(token: Option<&str>) -> Simulator {
    let mut config = SimConfig::for_tests(0);
    config.control = Some(ControlConfig {
        token: token.map(str::to_string),
        ..ControlConfig::loopback(0)
    });
    Simulator::start(config).await.unwrap()
}

/// One request on its own connection; the status and the JSON body.
async fn request(sim: &Simulator, method: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, Value) {
    let addr = sim
        .control_url()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let exchange = async {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8(answer).unwrap()
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn with_a_token_every_request_needs_it() {
    let sim = start(Some("s3cret-token")).await;
    assert_eq!(sim.control_token(), Some("s3cret-token"));
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("s3cret-token"),
        Some("Bearer s3cret-tokenX"),
    ] {
        let (status, body) = request(&sim, "GET", "/clock", auth, "").await;
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(!body.to_string().contains("s3cret"), "{body}");
    }
    let (status, _) = request(&sim, "POST", "/devices/pubsub/token", None, "{}").await;
    assert_eq!(status, 401, "no token minted without the control token");
    let (status, body) = request(&sim, "GET", "/clock", Some("Bearer s3cret-token"), "").await;
    assert_eq!((status, &body["mode"]), (200, &json!("virtual")));
    sim.shutdown().await;
}

#[tokio::test]
async fn on_loopback_without_a_token_none_is_needed() {
    let sim = start(None).await;
    assert_eq!(sim.control_token(), None);
    assert_eq!(request(&sim, "GET", "/clock", None, "").await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn control_values_outside_physical_ranges_are_refused() {
    let sim = start(None).await;
    for (path, body) in [
        ("/devices/endrpi/temperature", r#"{"celsius":1e308}"#),
        ("/devices/endrpi/temperature", r#"{"celsius":-300}"#),
        ("/devices/pubsub/battery", r#"{"percentage":150}"#),
        ("/devices/pubsub/battery", r#"{"percentage":-1}"#),
    ] {
        let (status, answer) = request(&sim, "POST", path, None, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
    }
    let (status, answer) = request(&sim, "POST", "/devices/endrpi/temperature", None, r#"{"celsius":82.5}"#).await;
    assert_eq!((status, &answer["milli_celsius"]), (200, &json!(82500)));
    sim.shutdown().await;
}

/// What a fresh connection to `sim`'s Endrpi reads now: its temperature and its uptime.
async fn first_readings(sim: &Simulator) -> (String, String) {
    let mut client = common::connect(sim.url("endrpi").unwrap()).await;
    let temperature = common::ask(&mut client, r#"{"action":"READ_TEMPERATURE"}"#).await;
    let uptime = common::ask(&mut client, r#"{"action":"READ_UPTIME"}"#).await;
    (temperature, uptime)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_returns_every_device_to_a_fresh_simulators_state_on_the_same_ports() {
    let fresh = start(None).await;
    let fresh_readings = first_readings(&fresh).await;
    fresh.shutdown().await;

    let sim = start(None).await;
    let endpoints = sim.endpoints().to_vec();
    let announced = sim.announcements();
    let ca = announced.iter().find(|(k, _)| *k == "pubsub-ca").unwrap().1.clone();
    let mut open = common::connect(sim.url("endrpi").unwrap()).await;
    common::ask(&mut open, r#"{"action":"READ_UPTIME"}"#).await;
    assert_eq!(
        request(&sim, "POST", "/clock/advance", None, r#"{"ms":7000}"#).await.0,
        200
    );
    let (status, _) = request(&sim, "POST", "/devices/endrpi/temperature", None, r#"{"celsius":91.5}"#).await;
    assert_eq!(status, 200);
    assert_ne!(
        first_readings(&sim).await,
        fresh_readings,
        "the state moved before the reset"
    );

    let (status, body) = request(&sim, "POST", "/reset", None, "{}").await;
    assert_eq!(
        (status, &body["reset"], &body["clock"]["now_ms"]),
        (200, &json!(true), &json!(0)),
        "{body}"
    );
    assert!(
        !matches!(common::next_message(&mut open).await, Some(Message::Text(_))),
        "a connection from before the reset is closed"
    );
    assert_eq!(sim.endpoints(), endpoints.as_slice(), "the same ports");
    assert_eq!(first_readings(&sim).await, fresh_readings, "as a fresh simulator reads");
    assert_eq!(request(&sim, "GET", "/reset", None, "").await.0, 405);
    assert_eq!(sim.announcements(), announced, "what was announced at start stays true");
    let robot = sim.endpoints().iter().find(|e| e.name == "pubsub").unwrap().addr;
    let tcp = TcpStream::connect(robot).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let handshake = common::tls_connector(&ca).connect(name, tcp);
    let handshake = tokio::time::timeout(Duration::from_secs(5), handshake).await.unwrap();
    assert!(handshake.is_ok(), "the robot's certificate is still the announced one");
    sim.shutdown().await;
}

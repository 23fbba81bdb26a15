//! Pins the exact message of every pub/sub message kind the simulator sends (each ack, each error reason, a
//! delivery, server_logs events, odom, battery, diagnostics, each 401 and plain HTTP answer) as insta JSON
//! snapshots under `snapshots/pubsub/`. Sim times (`t`) and peer ports are redacted; the robot's numbers are
//! pinned, since virtual time makes them exact.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use understudy_conformance::client::{self, Transport, WsClient};
use understudy_conformance::schema::{self, Schemas};
use understudy_conformance::steps::pubsub::{self, Barrier, schemas_for};
use understudy_sim::serve::pubsub::{DEV_SECRET, PubsubOptions, PubsubTls};
use understudy_sim::{SimConfig, Simulator};

struct Robot {
    sim: Simulator,
    markers: u64,
}

impl Robot {
    async fn start() -> Robot {
        let mut config = SimConfig::for_tests(0);
        config.only = Some(vec!["pubsub".into()]);
        config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::Plain;
        Robot {
            sim: Simulator::start(config).await.unwrap(),
            markers: 0,
        }
    }

    fn token(&self) -> String {
        let reply = self.sim.control("pubsub", "token", &json!({})).unwrap();
        reply["token"].as_str().unwrap().to_string()
    }

    fn authority(&self) -> String {
        self.sim.endpoints()[0].addr.to_string()
    }

    async fn connect(&self) -> WsClient {
        let url = format!("{}?token={}", self.sim.url("pubsub").unwrap(), self.token());
        WsClient::connect(&url, &Transport::Plain).await.unwrap()
    }

    /// Everything that arrives on `ws` before the server has handled a request sent now.
    async fn drain(&mut self, ws: &mut WsClient) -> Vec<Value> {
        self.markers += 1;
        let barrier = Barrier::new(&format!("marker/{}", self.markers));
        ws.send_text(&barrier.request().to_string()).await.unwrap();
        barrier.wait(async || Ok(next(ws).await)).await.unwrap()
    }

    /// The HTTP answer to an upgrade at `path`, as status, content type, challenge and body.
    async fn upgrade(&self, path: &str) -> Value {
        let reply = client::upgrade_request(&self.authority(), path).await.unwrap();
        http_json(&reply)
    }
}

fn http_json(reply: &client::HttpReply) -> Value {
    let body: Value = serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body.clone()));
    let schema = if reply.status == 401 {
        "pubsub/unauthorized"
    } else {
        "pubsub/http-error"
    };
    Schemas::load(schema::default_dir())
        .unwrap()
        .check(schema, &body)
        .unwrap();
    json!({
        "status": reply.status,
        "content-type": reply.header("content-type"),
        "www-authenticate": reply.header("www-authenticate"),
        "body": body,
    })
}

/// The shipped schemas, loaded once.
fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::load(schema::default_dir()).unwrap())
}

/// The next message, which must match the schemas of its kind: the snapshots and the schemas agree.
async fn next(ws: &mut WsClient) -> Value {
    let message: Value = serde_json::from_str(&ws.next_text().await.unwrap()).unwrap();
    let schemas = schemas();
    for name in schemas_for(&message).unwrap() {
        schemas.check(name, &message).unwrap();
    }
    message
}

async fn ask(ws: &mut WsClient, request: &str) -> Value {
    ws.send_text(request).await.unwrap();
    next(ws).await
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let value = $value;
        common::snapshot_settings(&pubsub::PROTOCOL).bind(|| insta::assert_json_snapshot!($name, value));
    }};
}

/// The peer port of an `authentication failed for 127.0.0.1:PORT: ...` event changes with every run.
fn without_port(mut log: Value) -> Value {
    let message = log["data"]["data"]["message"].as_str().unwrap_or_default().to_string();
    let redacted = regex::Regex::new(r"127\.0\.0\.1:\d+")
        .unwrap()
        .replace(&message, "127.0.0.1:[port]");
    log["data"]["data"]["message"] = Value::String(redacted.into_owned());
    log
}

#[tokio::test]
async fn acks_errors_and_deliveries() {
    let robot = Robot::start().await;
    let mut ws = robot.connect().await;
    snapshot!(
        "ack_subscribed",
        ask(&mut ws, r#"{"action":"subscribe","topic":"chatter"}"#).await
    );
    let published = r#"{"action":"publish","topic":"chatter","data":{"name":"greeting","type":"std_msgs/String","data":{"text":"hello","n":1}}}"#;
    snapshot!("delivery", ask(&mut ws, published).await);
    snapshot!("ack_published", next(&mut ws).await);
    snapshot!(
        "ack_unsubscribed",
        ask(&mut ws, r#"{"action":"unsubscribe","topic":"chatter"}"#).await
    );
    let errors = [
        ("error_not_json", "{not json"),
        ("error_not_object", "[1,2]"),
        ("error_missing_action", r#"{"topic":"t"}"#),
        ("error_action_not_string", r#"{"action":1,"topic":"t"}"#),
        ("error_unknown_action", r#"{"action":"Subscribe","topic":"t"}"#),
        ("error_bad_topic", r#"{"action":"subscribe","topic":""}"#),
        ("error_missing_data", r#"{"action":"publish","topic":"t"}"#),
        (
            "error_bad_data_name",
            r#"{"action":"publish","topic":"t","data":{"type":"k"}}"#,
        ),
        (
            "error_bad_data_type",
            r#"{"action":"publish","topic":"t","data":{"name":"n"}}"#,
        ),
        (
            "error_server_only_topic",
            r#"{"action":"publish","topic":"odom","data":{"name":"n","type":"k"}}"#,
        ),
        (
            "error_cmd_vel_not_object",
            r#"{"action":"publish","topic":"cmd_vel","data":{"name":"c","type":"k","data":[1]}}"#,
        ),
        (
            "error_cmd_vel_missing_field",
            r#"{"action":"publish","topic":"cmd_vel","data":{"name":"c","type":"k","data":{"linear":1}}}"#,
        ),
        (
            "error_cmd_vel_not_finite",
            r#"{"action":"publish","topic":"cmd_vel","data":{"name":"c","type":"k","data":{"linear":"x","angular":0}}}"#,
        ),
    ];
    for (name, request) in errors {
        snapshot!(name, ask(&mut ws, request).await);
    }
    let long = json!({"action": "subscribe", "topic": "t".repeat(1025)}).to_string();
    snapshot!("error_topic_too_long", ask(&mut ws, &long).await);
    ws.send_binary(b"binary".to_vec()).await.unwrap();
    snapshot!("error_binary_frame", next(&mut ws).await);
    for n in 0..1024 {
        ws.send_text(&json!({"action": "subscribe", "topic": format!("many/{n}")}).to_string())
            .await
            .unwrap();
    }
    for _ in 0..1024 {
        assert_eq!(next(&mut ws).await["action"], "subscribed");
    }
    snapshot!(
        "error_too_many_subscriptions",
        ask(&mut ws, r#"{"action":"subscribe","topic":"one-more"}"#).await
    );
    robot.sim.shutdown().await;
}

#[tokio::test]
async fn server_logs_events() {
    let mut robot = Robot::start().await;
    let mut watcher = robot.connect().await;
    assert_eq!(
        ask(&mut watcher, r#"{"action":"subscribe","topic":"server_logs"}"#).await["action"],
        "subscribed"
    );
    snapshot!("server_log_subscribed", next(&mut watcher).await);
    let mut other = robot.connect().await;
    assert_eq!(
        ask(&mut other, r#"{"action":"subscribe","topic":"x"}"#).await["action"],
        "subscribed"
    );
    assert_eq!(
        ask(&mut other, r#"{"action":"unsubscribe","topic":"x"}"#).await["action"],
        "unsubscribed"
    );
    other.close().await;
    while !matches!(
        other.next_frame(client::REPLY_TIMEOUT).await,
        client::Frame::Close(..) | client::Frame::Dropped(_) | client::Frame::Timeout
    ) {}
    snapshot!("server_log_connected", next(&mut watcher).await);
    let _subscribed = next(&mut watcher).await;
    snapshot!("server_log_unsubscribed", next(&mut watcher).await);
    snapshot!("server_log_disconnected", next(&mut watcher).await);
    let refused = robot.upgrade("/wss?token=not-a-jwt").await;
    assert_eq!(refused["status"], 401);
    snapshot!(
        "server_log_authentication_failed",
        without_port(next(&mut watcher).await)
    );
    assert!(robot.drain(&mut watcher).await.is_empty());
    robot.sim.shutdown().await;
}

#[tokio::test]
async fn robot_topics() {
    let mut robot = Robot::start().await;
    let mut ws = robot.connect().await;
    for topic in ["odom", "battery", "diagnostics", "cmd_vel"] {
        let reply = ask(&mut ws, &json!({"action": "subscribe", "topic": topic}).to_string()).await;
        assert_eq!(reply["action"], "subscribed");
    }
    let fast = r#"{"action":"publish","topic":"cmd_vel","data":{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":3.0,"angular":0.5}}}"#;
    snapshot!("cmd_vel_delivery", ask(&mut ws, fast).await);
    assert_eq!(next(&mut ws).await["action"], "published");
    snapshot!("diagnostics_cmd_vel_clamped", next(&mut ws).await);
    robot.sim.clock().advance(1_000).unwrap();
    let frames = robot.drain(&mut ws).await;
    let last = |topic: &str| {
        frames
            .iter()
            .rev()
            .find(|m| m["topic"] == topic)
            .cloned()
            .unwrap_or_else(|| panic!("no {topic} in {frames:?}"))
    };
    snapshot!("odom", last("odom"));
    snapshot!("battery", last("battery"));
    snapshot!("diagnostics_watchdog_stopping", last("diagnostics"));
    let slow = r#"{"action":"publish","topic":"cmd_vel","data":{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.2,"angular":0}}}"#;
    assert_eq!(ask(&mut ws, slow).await["topic"], "cmd_vel");
    assert_eq!(next(&mut ws).await["action"], "published");
    snapshot!("diagnostics_cmd_vel_within_limits", next(&mut ws).await);
    snapshot!("diagnostics_watchdog_resumed", next(&mut ws).await);
    for (name, percentage) in [
        ("diagnostics_battery_low", 15.0),
        ("diagnostics_battery_empty", 0.0),
        ("diagnostics_battery_ok", 60.0),
    ] {
        robot
            .sim
            .control("pubsub", "battery", &json!({ "percentage": percentage }))
            .unwrap();
        snapshot!(name, next(&mut ws).await);
    }
    robot.sim.shutdown().await;
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn signed(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn refused_upgrades_and_plain_http() {
    let robot = Robot::start().await;
    let now = robot.sim.clock().unix_ms() / 1000;
    let hs256 = Algorithm::HS256;
    let cases = [
        ("http_401_missing_token", String::new()),
        ("http_401_malformed_token", "not-a-jwt".to_string()),
        (
            "http_401_algorithm_none",
            format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&json!({"exp": now + 60}))),
        ),
        (
            "http_401_unexpected_algorithm",
            signed(Algorithm::HS512, &json!({"exp": now + 60}), DEV_SECRET),
        ),
        (
            "http_401_invalid_signature",
            signed(hs256, &json!({"exp": now + 60}), "another secret"),
        ),
        ("http_401_missing_exp", signed(hs256, &json!({"sub": "s"}), DEV_SECRET)),
        (
            "http_401_token_expired",
            signed(hs256, &json!({"exp": now}), DEV_SECRET),
        ),
        (
            "http_401_token_not_yet_valid",
            signed(hs256, &json!({"exp": now + 60, "nbf": now + 30}), DEV_SECRET),
        ),
    ];
    for (name, token) in cases {
        let path = if token.is_empty() {
            "/wss".to_string()
        } else {
            format!("/wss?token={token}")
        };
        snapshot!(name, robot.upgrade(&path).await);
    }
    let token = robot.token();
    snapshot!(
        "http_404_upgrade_elsewhere",
        robot.upgrade(&format!("/ws?token={token}")).await
    );
    let authority = robot.authority();
    let plain = client::http_request(&authority, "GET", "/wss", &[], "").await.unwrap();
    snapshot!("http_426_plain_get", http_json(&plain));
    let other = client::http_request(&authority, "GET", "/status", &[], "")
        .await
        .unwrap();
    snapshot!("http_404_plain_get", http_json(&other));
    robot.sim.shutdown().await;
}

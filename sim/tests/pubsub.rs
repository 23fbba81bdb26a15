//! The pub/sub robot on real sockets: the token check before the upgrade, acks and errors, ordering and
//! fan-out, `server_logs`, the robot's odometry and watchdog in virtual time, TLS, and the transcript.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use understudy_sim::serve::pubsub::{DEV_SECRET, PubsubOptions, PubsubTls};
use understudy_sim::{SimConfig, Simulator};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

fn config(seed: u64) -> SimConfig {
    let mut config = SimConfig::for_tests(seed);
    config.only = Some(vec!["pubsub".into()]);
    config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::Plain;
    config
}

async fn start() -> Simulator {
    Simulator::start(config(1)).await.unwrap()
}

fn addr(sim: &Simulator) -> SocketAddr {
    sim.endpoints().iter().find(|e| e.name == "pubsub").unwrap().addr
}

fn token(sim: &Simulator) -> String {
    let reply = sim.control("pubsub", "token", &json!({})).unwrap();
    reply["token"].as_str().unwrap().to_string()
}

async fn connect(sim: &Simulator) -> Ws {
    let url = format!("{}?token={}", sim.url("pubsub").unwrap(), token(sim));
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .unwrap()
        .unwrap();
    ws
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next text frame as JSON.
async fn recv(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn subscribe(ws: &mut Ws, topic: &str) {
    send(ws, json!({"action": "subscribe", "topic": topic})).await;
    assert_eq!(recv(ws).await, json!({"action": "subscribed", "topic": topic}));
}

fn publish(topic: &str, data: Value) -> Value {
    json!({"action": "publish", "topic": topic, "data": {"name": "n", "type": "k", "data": data}})
}

fn delivery(topic: &str, data: Value) -> Value {
    json!({"action": "message", "topic": topic, "data": {"name": "n", "type": "k", "data": data}})
}

/// Receives until the ack of a subscribe to `marker`, returning what came before it.
async fn until_marker(ws: &mut Ws, marker: &str) -> Vec<Value> {
    send(ws, json!({"action": "subscribe", "topic": marker})).await;
    let mut before = Vec::new();
    loop {
        let message = recv(ws).await;
        if message == json!({"action": "subscribed", "topic": marker}) {
            return before;
        }
        before.push(message);
    }
}

/// Sends a raw upgrade request and reads the answer's head and body: (status, body).
async fn raw_upgrade(addr: SocketAddr, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let status: u16 = head[9..12].parse().unwrap();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if status == 101 || body.len() >= length {
                return (status, body.to_string());
            }
        }
        assert!(n > 0, "the server closed before a whole answer: {text}");
    }
}

fn sign(header: Header, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn unsigned(alg: &str, claims: &Value) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", part(json!({"alg": alg, "typ": "JWT"})), part(claims.clone()))
}

#[tokio::test]
async fn every_auth_failure_is_a_401_with_its_reason_and_a_log_without_the_token() {
    let sim = start().await;
    let mut watcher = connect(&sim).await;
    subscribe(&mut watcher, "server_logs").await;
    let own = recv(&mut watcher).await;
    assert!(
        own["data"]["data"]["message"]
            .as_str()
            .unwrap()
            .ends_with("subscribed to server_logs")
    );
    let now = sim.clock().unix_ms() / 1000;
    let hs256 = Header::new(Algorithm::HS256);
    let cases = [
        (String::new(), "missing token"),
        ("not-a-jwt".to_string(), "malformed token"),
        (
            sign(hs256.clone(), &json!({"exp": now + 60}), "another-secret"),
            "invalid signature",
        ),
        (
            unsigned("none", &json!({"exp": now + 60})),
            "algorithm none is not allowed",
        ),
        (
            sign(Header::new(Algorithm::HS384), &json!({"exp": now + 60}), DEV_SECRET),
            "unexpected algorithm HS384",
        ),
        (
            sign(hs256.clone(), &json!({"sub": "a"}), DEV_SECRET),
            "missing exp claim",
        ),
        (
            sign(hs256.clone(), &json!({"exp": now - 1}), DEV_SECRET),
            "token expired",
        ),
        (
            sign(hs256.clone(), &json!({"exp": now + 60, "nbf": now + 30}), DEV_SECRET),
            "token not yet valid",
        ),
    ];
    for (token, reason) in &cases {
        let target = if token.is_empty() {
            "/wss".to_string()
        } else {
            format!("/wss?token={token}")
        };
        let (status, body) = raw_upgrade(addr(&sim), &target).await;
        assert_eq!(
            (status, body.as_str()),
            (401, json!({ "error": reason }).to_string().as_str()),
            "{reason}"
        );
        let log = recv(&mut watcher).await;
        assert_eq!(log["data"]["data"]["level"], "warn");
        let message = log["data"]["data"]["message"].as_str().unwrap();
        assert!(message.starts_with("authentication failed for 127.0.0.1:"), "{message}");
        assert!(message.ends_with(reason), "{message}");
        if !token.is_empty() {
            assert!(!message.contains(token.as_str()));
        }
    }
    // The right token on the wrong path is not found; the right one on /wss upgrades.
    let (status, _) = raw_upgrade(addr(&sim), &format!("/ws?token={}", token(&sim))).await;
    assert_eq!(status, 404);
    let (status, _) = raw_upgrade(addr(&sim), &format!("/wss?token={}", token(&sim))).await;
    assert_eq!(status, 101);
    drop(watcher);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_token_expires_in_sim_time() {
    let sim = start().await;
    let reply = sim.control("pubsub", "token", &json!({"ttl_s": 5})).unwrap();
    let short = reply["token"].as_str().unwrap().to_string();
    let (status, _) = raw_upgrade(addr(&sim), &format!("/wss?token={short}")).await;
    assert_eq!(status, 101);
    sim.clock().advance(5_000).unwrap();
    let (status, body) = raw_upgrade(addr(&sim), &format!("/wss?token={short}")).await;
    assert_eq!((status, body.as_str()), (401, r#"{"error":"token expired"}"#));
    sim.shutdown().await;
}

#[tokio::test]
async fn acks_and_errors_keep_the_connection_open() {
    let sim = start().await;
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "a").await;
    subscribe(&mut ws, "a").await;
    send(&mut ws, json!({"action": "unsubscribe", "topic": "never"})).await;
    assert_eq!(recv(&mut ws).await, json!({"action": "unsubscribed", "topic": "never"}));
    send(&mut ws, publish("b", json!("x"))).await;
    assert_eq!(recv(&mut ws).await, json!({"action": "published", "topic": "b"}));
    let bad = [
        (Message::text("{not json"), "request is not valid JSON"),
        (Message::text("[]"), "request must be a JSON object"),
        (
            Message::text(r#"{"action":"shout","topic":"a"}"#),
            "unknown action \"shout\" (expected subscribe, unsubscribe or publish)",
        ),
        (
            Message::text(r#"{"action":"subscribe"}"#),
            "\"topic\" must be a non-empty string",
        ),
        (
            Message::text(r#"{"action":"publish","topic":"a"}"#),
            "publish requires a \"data\" object",
        ),
        (
            Message::text(r#"{"action":"publish","topic":"a","data":{"type":"k"}}"#),
            "\"data.name\" must be a string",
        ),
        (
            Message::text(r#"{"action":"publish","topic":"odom","data":{"name":"n","type":"k"}}"#),
            "topic \"odom\" is published by the server only",
        ),
        (
            Message::binary(vec![1, 2, 3]),
            "binary frames are not supported; send JSON text",
        ),
    ];
    for (frame, reason) in bad {
        ws.send(frame).await.unwrap();
        assert_eq!(recv(&mut ws).await, json!({"action": "error", "error": reason}));
    }
    // Still subscribed to `a`, once: one publish, one delivery.
    send(&mut ws, publish("a", json!(1))).await;
    assert_eq!(recv(&mut ws).await, delivery("a", json!(1)));
    assert_eq!(recv(&mut ws).await, json!({"action": "published", "topic": "a"}));
    assert!(until_marker(&mut ws, "end").await.is_empty());
    drop(ws);
    sim.shutdown().await;
}

#[tokio::test]
async fn deliveries_keep_publish_order_and_stop_after_the_unsubscribe_ack() {
    let sim = start().await;
    let mut reader = connect(&sim).await;
    let mut writer = connect(&sim).await;
    subscribe(&mut reader, "t").await;
    for n in 0..200 {
        send(&mut writer, publish("t", json!(n))).await;
    }
    for n in 0..200 {
        assert_eq!(recv(&mut reader).await, delivery("t", json!(n)));
    }
    // Unsubscribe while the writer keeps publishing: after the ack, nothing more on `t`.
    let flood = tokio::spawn(async move {
        for n in 200..400 {
            send(&mut writer, publish("t", json!(n))).await;
        }
        writer
    });
    send(&mut reader, json!({"action": "unsubscribe", "topic": "t"})).await;
    let mut next = 200;
    loop {
        let message = recv(&mut reader).await;
        if message["action"] == "unsubscribed" {
            break;
        }
        assert_eq!(message, delivery("t", json!(next)));
        next += 1;
    }
    let mut writer = flood.await.unwrap();
    for _ in 0..200 {
        assert_eq!(recv(&mut writer).await["action"], "published");
    }
    assert!(until_marker(&mut reader, "end").await.is_empty());
    drop((reader, writer));
    sim.shutdown().await;
}

#[tokio::test]
async fn fan_out_reaches_fifty_subscribers_exactly_once_each_publisher_included() {
    let sim = start().await;
    let mut clients = Vec::new();
    for i in 0..50 {
        let mut ws = connect(&sim).await;
        subscribe(&mut ws, "fan").await;
        if i % 2 == 0 {
            subscribe(&mut ws, "fan").await;
        }
        clients.push(ws);
    }
    for n in 0..20 {
        send(&mut clients[0], publish("fan", json!(n))).await;
    }
    for (i, ws) in clients.iter_mut().enumerate() {
        let mut got = Vec::new();
        while got.len() < 20 {
            let message = recv(ws).await;
            if i == 0 && message == json!({"action": "published", "topic": "fan"}) {
                continue;
            }
            got.push(message);
        }
        let expected: Vec<Value> = (0..20).map(|n| delivery("fan", json!(n))).collect();
        assert_eq!(got, expected, "client {i}");
    }
    // Nothing left over: the next thing each client sees is its own marker ack (publisher: its last acks).
    for (i, ws) in clients.iter_mut().enumerate() {
        let extra = until_marker(ws, "end").await;
        let acks_only = extra
            .iter()
            .all(|m| m == &json!({"action": "published", "topic": "fan"}));
        assert!(acks_only && (i == 0 || extra.is_empty()), "client {i}: {extra:?}");
    }
    drop(clients);
    sim.shutdown().await;
}

#[tokio::test]
async fn server_logs_report_connections_and_subscription_changes() {
    let sim = start().await;
    let mut watcher = connect(&sim).await;
    subscribe(&mut watcher, "server_logs").await;
    let log = recv(&mut watcher).await;
    assert_eq!(log["topic"], "server_logs");
    assert_eq!(
        (&log["data"]["name"], &log["data"]["type"]),
        (&json!("log"), &json!("log"))
    );
    assert_eq!(log["data"]["data"]["level"], "info");
    assert_eq!(log["data"]["data"]["t"], 0);
    let own_label = log["data"]["data"]["message"]
        .as_str()
        .unwrap()
        .replace(" subscribed to server_logs", "");
    sim.clock().advance(250).unwrap();
    let mut other = connect(&sim).await;
    subscribe(&mut other, "x").await;
    subscribe(&mut other, "x").await;
    other.close(None).await.unwrap();
    let messages: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            let log = recv(&mut watcher).await;
            assert_eq!(log["data"]["data"]["t"], 250);
            out.push(log["data"]["data"]["message"].as_str().unwrap().to_string());
        }
        out
    };
    let label = messages[0].replace(" connected", "");
    assert_ne!(label, own_label);
    assert_eq!(
        messages,
        vec![
            format!("{label} connected"),
            format!("{label} subscribed to x"),
            format!("{label} disconnected")
        ]
    );
    send(&mut watcher, json!({"action": "unsubscribe", "topic": "server_logs"})).await;
    assert_eq!(recv(&mut watcher).await["action"], "unsubscribed");
    let mut third = connect(&sim).await;
    subscribe(&mut third, "y").await;
    assert!(until_marker(&mut watcher, "end").await.is_empty());
    drop((watcher, other, third));
    sim.shutdown().await;
}

#[tokio::test]
async fn odom_arrives_at_ten_hertz_and_battery_at_one_hertz_only_as_the_clock_advances() {
    let sim = start().await;
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "odom").await;
    subscribe(&mut ws, "battery").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        until_marker(&mut ws, "m1").await.is_empty(),
        "nothing before the clock moves"
    );
    sim.clock().advance(2_000).unwrap();
    let mut odom = Vec::new();
    let mut battery = Vec::new();
    while odom.len() < 20 || battery.len() < 2 {
        let message = recv(&mut ws).await;
        let t = message["data"]["data"]["t"].as_u64().unwrap();
        match message["topic"].as_str().unwrap() {
            "odom" => {
                assert_eq!(
                    (&message["data"]["name"], &message["data"]["type"]),
                    (&json!("odom"), &json!("nav_msgs/Odometry"))
                );
                odom.push(t);
            }
            "battery" => battery.push(t),
            other => panic!("unexpected topic {other}"),
        }
    }
    assert_eq!(odom, (100..=2_000).step_by(100).collect::<Vec<_>>());
    assert_eq!(battery, vec![1_000, 2_000]);
    assert!(until_marker(&mut ws, "m2").await.is_empty());
    drop(ws);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_watchdog_stops_the_robot_half_a_second_after_the_last_cmd_vel() {
    let sim = start().await;
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "diagnostics").await;
    let cmd = json!({"action": "publish", "topic": "cmd_vel",
        "data": {"name": "cmd_vel", "type": "geometry_msgs/Twist", "data": {"linear": 0.4, "angular": 0.0}}});
    send(&mut ws, cmd).await;
    assert_eq!(recv(&mut ws).await, json!({"action": "published", "topic": "cmd_vel"}));
    sim.clock().advance(400).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let moving = sim.control("pubsub", "state", &json!({})).unwrap();
    assert_eq!(moving["t"], 400);
    assert!(moving["linear"].as_f64().unwrap() > 0.0);
    sim.clock().advance(2_600).unwrap();
    let warning = recv(&mut ws).await;
    assert_eq!(warning["topic"], "diagnostics");
    assert_eq!(
        warning["data"]["data"],
        json!({"level": "warn", "name": "watchdog", "message": "no cmd_vel for 500 ms; stopping", "t": 500})
    );
    let stopped = sim.control("pubsub", "state", &json!({})).unwrap();
    assert_eq!(
        (stopped["linear"].as_f64(), stopped["target_linear"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    sim.clock().advance(1_000).unwrap();
    let later = sim.control("pubsub", "state", &json!({})).unwrap();
    assert_eq!(later["x"], stopped["x"]);
    assert!(later["x"].as_f64().unwrap() > 0.1);
    // A bad cmd_vel is refused and changes nothing.
    send(&mut ws, json!({"action": "publish", "topic": "cmd_vel", "data": {"name": "c", "type": "t", "data": {"linear": "fast", "angular": 0}}})).await;
    assert_eq!(recv(&mut ws).await["error"], "cmd_vel.linear must be a finite number");
    drop(ws);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_battery_control_command_publishes_diagnostics() {
    let sim = start().await;
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "diagnostics").await;
    let reply = sim.control("pubsub", "battery", &json!({"percentage": 12.5})).unwrap();
    assert_eq!(reply["percentage"], 12.5);
    let warning = recv(&mut ws).await;
    assert_eq!(
        (&warning["data"]["data"]["name"], &warning["data"]["data"]["level"]),
        (&json!("battery"), &json!("warn"))
    );
    assert!(
        sim.control("pubsub", "battery", &json!({"percentage": "full"}))
            .is_err()
    );
    assert!(sim.control("pubsub", "fly", &json!({})).is_err());
    drop(ws);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_closed_with_1008_and_others_go_on() {
    let sim = start().await;
    let mut slow = connect(&sim).await;
    subscribe(&mut slow, "bulk").await;
    let mut publisher = connect(&sim).await;
    subscribe(&mut publisher, "server_logs").await;
    let payload = "x".repeat(32 * 1024);
    let mut dropped = false;
    for _ in 0..6_000 {
        send(&mut publisher, publish("bulk", json!(payload))).await;
        loop {
            let message = recv(&mut publisher).await;
            if message["action"] == "published" {
                break;
            }
            let text = message["data"]["data"]["message"].as_str().unwrap_or_default();
            dropped |= text.ends_with("closed: subscriber too slow");
        }
        if dropped {
            break;
        }
    }
    assert!(dropped, "the slow subscriber was never dropped");
    // The slow client finds its backlog, then the close.
    let mut frames = 0;
    let close = loop {
        match tokio::time::timeout(WAIT, slow.next()).await.unwrap() {
            Some(Ok(Message::Text(_))) => frames += 1,
            Some(Ok(Message::Close(frame))) => break frame.unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(
        (u16::from(close.code), close.reason.as_str()),
        (1008, "subscriber too slow")
    );
    assert!(frames > 1_000, "{frames}");
    // The publisher is unaffected.
    send(&mut publisher, publish("bulk", json!(1))).await;
    assert_eq!(recv(&mut publisher).await["action"], "published");
    drop((slow, publisher));
    sim.shutdown().await;
}

/// A client that sends many requests before reading any answer is not a slow reader: the answers to its own
/// requests go out as they are made, so a burst of requests twice as long as the push queue is answered in
/// full, in order.
#[tokio::test]
async fn a_burst_of_requests_sent_before_any_answer_is_read_is_answered_in_full() {
    let sim = start().await;
    let mut ws = connect(&sim).await;
    const BURST: usize = 2 * understudy_sim::serve::session::PUSH_QUEUE;
    // Subscribes and unsubscribes of one topic in turn: each is acked, and the topic limit is never reached.
    let action = |i: usize| if i % 2 == 0 { "subscribe" } else { "unsubscribe" };
    for i in 0..BURST {
        let request = json!({"action": action(i), "topic": "burst"});
        ws.feed(Message::text(request.to_string())).await.unwrap();
    }
    // Every request leaves in one write, so the server finds them all waiting at once.
    ws.flush().await.unwrap();
    for i in 0..BURST {
        let ack = format!("{}d", action(i));
        assert_eq!(
            recv(&mut ws).await,
            json!({"action": ack, "topic": "burst"}),
            "answer {i}"
        );
    }
    drop(ws);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_token_never_reaches_the_transcript() {
    let path = std::env::temp_dir().join(format!("understudy-pubsub-transcript-{}.jsonl", std::process::id()));
    let mut config = config(3);
    config.transcript = Some(path.clone());
    let sim = Simulator::start(config).await.unwrap();
    let good = token(&sim);
    let bad = sign(Header::new(Algorithm::HS256), &json!({"exp": 1}), DEV_SECRET);
    let (status, _) = raw_upgrade(addr(&sim), &format!("/wss?token={bad}")).await;
    assert_eq!(status, 401);
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "a").await;
    ws.close(None).await.unwrap();
    drop(ws);
    sim.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(text.contains(r#""kind":"open","data":"/wss""#), "{text}");
    assert!(text.contains("subscribed"), "{text}");
    for secret in [good.as_str(), bad.as_str(), "token="] {
        assert!(!text.contains(secret), "the transcript holds {secret}");
    }
}

#[tokio::test]
async fn wss_with_the_generated_certificate_and_a_failed_handshake_disturbs_nothing() {
    let mut config = config(4);
    config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::SelfSigned;
    let sim = Simulator::start(config).await.unwrap();
    let url = sim.url("pubsub").unwrap().to_string();
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    let announcements = sim.announcements();
    let ca = announcements
        .iter()
        .find(|(k, _)| *k == "pubsub-ca")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(announcements.iter().any(|(k, _)| *k == "pubsub-token"));

    let connector = common::tls_connector(&ca);
    let open = |name: &'static str| {
        let connector = connector.clone();
        let url = format!("{url}?token={}", token(&sim));
        let addr = addr(&sim);
        async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let server_name = rustls::pki_types::ServerName::try_from(name).unwrap();
            let tls = connector.connect(server_name, tcp).await.unwrap();
            let (ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
            ws
        }
    };
    let mut first = open("localhost").await;
    first
        .send(Message::text(r#"{"action":"subscribe","topic":"t"}"#))
        .await
        .unwrap();
    let ack = tokio::time::timeout(WAIT, first.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        ack.into_text().unwrap().as_str(),
        r#"{"action":"subscribed","topic":"t"}"#
    );

    // Plain HTTP and garbage on the TLS port fail their handshakes and nothing else.
    let mut plain = TcpStream::connect(addr(&sim)).await.unwrap();
    plain.write_all(b"GET /wss HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(WAIT, plain.read_to_end(&mut sink)).await.unwrap();
    assert!(!String::from_utf8_lossy(&sink).contains("HTTP/1.1"));

    let mut second = open("127.0.0.1").await;
    second
        .send(Message::text(
            r#"{"action":"publish","topic":"t","data":{"name":"n","type":"k","data":7}}"#,
        ))
        .await
        .unwrap();
    let delivered = tokio::time::timeout(WAIT, first.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(delivered.to_text().unwrap()).unwrap(),
        delivery("t", json!(7))
    );
    drop((first, second));
    sim.shutdown().await;
    assert!(
        !std::path::Path::new(&ca).exists(),
        "the certificate file is removed at the end"
    );
}

#[tokio::test]
async fn certificate_files_are_served_and_unreadable_ones_stop_the_start() {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir();
    let cert = dir.join(format!("understudy-pubsub-test-cert-{}.pem", std::process::id()));
    let key = dir.join(format!("understudy-pubsub-test-key-{}.pem", std::process::id()));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let mut good = config(5);
    good.devices.get_mut::<PubsubOptions>().tls = PubsubTls::Files {
        cert: cert.clone(),
        key: key.clone(),
    };
    let sim = Simulator::start(good).await.unwrap();
    assert!(sim.url("pubsub").unwrap().starts_with("wss://"));
    assert!(!sim.announcements().iter().any(|(k, _)| *k == "pubsub-ca"));
    sim.shutdown().await;
    let mut swapped = config(5);
    swapped.devices.get_mut::<PubsubOptions>().tls = PubsubTls::Files {
        cert: key.clone(),
        key: cert.clone(),
    };
    let error = Simulator::start(swapped).await.err().unwrap().to_string();
    assert!(error.starts_with("pubsub: cannot read the certificate"), "{error}");
    std::fs::remove_file(&cert).unwrap();
    std::fs::remove_file(&key).unwrap();
}

/// One scripted session: a command, then 1.2 s of virtual time; every frame received, as text.
async fn scripted_run(seed: u64) -> Vec<String> {
    let sim = Simulator::start(config(seed)).await.unwrap();
    let mut ws = connect(&sim).await;
    for topic in ["odom", "diagnostics", "battery"] {
        subscribe(&mut ws, topic).await;
    }
    let cmd = json!({"action": "publish", "topic": "cmd_vel",
        "data": {"name": "cmd_vel", "type": "geometry_msgs/Twist", "data": {"linear": 3.0, "angular": 0.5}}});
    send(&mut ws, cmd).await;
    assert_eq!(recv(&mut ws).await["action"], "published");
    for _ in 0..4 {
        sim.clock().advance(300).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let frames = until_marker(&mut ws, "end").await;
    drop(ws);
    sim.shutdown().await;
    frames.iter().map(Value::to_string).collect()
}

#[tokio::test]
async fn the_same_inputs_at_the_same_sim_times_give_the_same_frames() {
    let first = scripted_run(11).await;
    assert_eq!(first.iter().filter(|f| f.contains(r#""topic":"odom""#)).count(), 12);
    assert!(first.iter().any(|f| f.contains("no cmd_vel for 500 ms")));
    assert!(first.iter().any(|f| f.contains("cmd_vel clamped")));
    assert_eq!(scripted_run(11).await, first);
}

/// A scripted session recorded to a transcript: a token minted by the control command travels in a publish
/// (so the transcript holds it), then virtual time passes. Returns the transcript and the token.
async fn transcript_with_a_token(seed: u64, name: &str) -> (String, String) {
    let path = std::env::temp_dir().join(format!("understudy-pubsub-{name}-{}.jsonl", std::process::id()));
    let sim = Simulator::start(SimConfig {
        transcript: Some(path.clone()),
        ..config(seed)
    })
    .await
    .unwrap();
    sim.clock().advance(1_500).unwrap();
    let minted = sim
        .control("pubsub", "token", &json!({"ttl_s": 600, "sub": "ci"}))
        .unwrap();
    let minted = minted["token"].as_str().unwrap().to_string();
    let mut ws = connect(&sim).await;
    subscribe(&mut ws, "tokens").await;
    send(&mut ws, publish("tokens", json!(minted))).await;
    assert_eq!(recv(&mut ws).await, delivery("tokens", json!(minted)));
    assert_eq!(recv(&mut ws).await["action"], "published");
    sim.clock().advance(2_000).unwrap();
    until_marker(&mut ws, "end").await;
    drop(ws);
    sim.shutdown().await;
    let transcript = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    (transcript, minted)
}

#[tokio::test]
async fn two_virtual_runs_give_byte_identical_transcripts_tokens_included() {
    let (first, token) = transcript_with_a_token(4, "first").await;
    assert!(first.contains(&token), "the token is in the transcript");
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .unwrap();
    let claims: Value = serde_json::from_slice(&claims).unwrap();
    // The default virtual epoch is 2024-01-01T00:00:00Z; the token was minted 1.5 s of sim time later.
    assert_eq!(
        (claims["iat"].as_u64(), claims["exp"].as_u64()),
        (Some(1_704_067_201), Some(1_704_067_801))
    );
    let (second, _) = transcript_with_a_token(4, "second").await;
    assert_eq!(first, second);
}

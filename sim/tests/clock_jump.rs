//! A month-long clock jump costs what clients see, not the month: the simulator binary, run under a 1 GiB
//! address-space limit, advances its virtual clock by 30 days with an odom subscriber, an xArm and an Endrpi
//! client connected, and keeps answering all three.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const MONTH_MS: u64 = 30 * 86_400_000;
const ADDRESS_SPACE_BYTES: u64 = 1 << 30;

/// The simulator child, killed when the test ends whatever happens.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary under `prlimit --as` on free loopback ports; returns it and its `NAME URL` lines.
fn start() -> (Sim, BTreeMap<String, String>) {
    let mut child = Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE_BYTES}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_understudy-sim"))
        .args(["--clock", "virtual", "--pubsub-plain"])
        .args([
            "--endrpi-port",
            "0",
            "--xarm-port",
            "0",
            "--pubsub-port",
            "0",
            "--control-port",
            "0",
            "--esp3d-http-port",
            "0",
            "--esp3d-data-port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("prlimit (util-linux) runs the simulator");
    let stdout = child.stdout.take().expect("piped stdout");
    let sim = Sim(child);
    let mut lines = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a start line");
        if let Some((key, value)) = line.split_once(' ') {
            lines.insert(key.to_string(), value.to_string());
        }
        if line.starts_with("control ") {
            break;
        }
    }
    assert!(lines.contains_key("control"), "no control line in {lines:?}");
    (sim, lines)
}

/// One HTTP/1.1 POST with a JSON body; returns the status and the body.
fn post(control: &str, path: &str, body: &str) -> (u16, String) {
    let addr = control.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).expect("connect to the control API");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// Reads frames until one satisfies `wanted`, for at most `within`.
async fn until(ws: &mut common::Client, within: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        assert!(Instant::now() < deadline, "nothing wanted arrived in {within:?}");
        let frame: Value = serde_json::from_str(&common::next_text(ws).await).expect("JSON");
        if wanted(&frame) {
            return frame;
        }
    }
}

#[tokio::test]
async fn thirty_days_at_once_under_a_one_gigabyte_address_space() {
    let (_sim, lines) = start();
    let mut robot = common::connect(&format!("{}?token={}", lines["pubsub"], lines["pubsub-token"])).await;
    let subscribe = r#"{"action":"subscribe","topic":"odom"}"#;
    assert!(common::ask(&mut robot, subscribe).await.contains("subscribed"));
    let mut arm = common::connect(&lines["xarm"]).await;
    let mut pi = common::connect(&lines["endrpi"]).await;

    let started = Instant::now();
    let (status, clock) = post(&lines["control"], "/clock/advance", &format!(r#"{{"ms":{MONTH_MS}}}"#));
    assert_eq!(
        (status, clock),
        (200, format!(r#"{{"mode":"virtual","now_ms":{MONTH_MS}}}"#))
    );

    let odom = until(&mut robot, Duration::from_secs(30), |m| {
        m["data"]["data"]["t"].as_u64() == Some(MONTH_MS)
    })
    .await;
    assert_eq!(odom["topic"], "odom");
    let report = until(&mut arm, Duration::from_secs(30), |m| {
        m["cmd"] == "devices_status_report"
    })
    .await;
    assert!(report["data"].is_array());
    let uptime = common::ask(&mut pi, r#"{"action":"READ_UPTIME"}"#).await;
    assert!(uptime.contains(r#""seconds": 2592000.0"#), "{uptime}");
    let temperature = common::ask(&mut pi, r#"{"action":"READ_TEMPERATURE"}"#).await;
    assert!(temperature.contains(r#""success": true"#), "{temperature}");
    robot.send(Message::text(subscribe)).await.unwrap();
    until(&mut robot, Duration::from_secs(5), |m| m["action"] == "subscribed").await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

//! The simulated xArm's controller port (502) and report ports on loopback with a virtual clock: a move
//! through 502 shows in the Studio status and the other way round, reports carry the Studio sample, bad
//! registers keep the connection, a foreign protocol closes it, and shutdown ends every raw connection.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_core::proto::xarm_tcp::frame::{
    Answer, PROTOCOL_PRIVATE, STATE_WARN, decode_answer, encode_request, f32s_le as floats, read_f32s_le as read_floats,
};
use understudy_core::proto::xarm_tcp::report::{RICH_LEN, ReportKind};
use understudy_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(5);

async fn start() -> Simulator {
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["xarm".to_string()]);
    Simulator::start(config).await.expect("simulator starts")
}

fn addr(sim: &Simulator, endpoint: &str) -> SocketAddr {
    sim.endpoints()
        .iter()
        .find(|e| e.name == endpoint)
        .map(|e| e.addr)
        .expect("endpoint")
}

async fn dial(sim: &Simulator, endpoint: &str) -> TcpStream {
    tokio::time::timeout(WAIT, TcpStream::connect(addr(sim, endpoint)))
        .await
        .expect("connect in time")
        .expect("connect")
}

async fn call(stream: &mut TcpStream, transaction: u16, register: u8, params: &[u8]) -> Answer {
    stream
        .write_all(&encode_request(transaction, PROTOCOL_PRIVATE, register, params))
        .await
        .unwrap();
    let mut buffer = Vec::new();
    loop {
        if let Some((answer, _)) = decode_answer(&buffer) {
            assert_eq!((answer.transaction, answer.register), (transaction, register));
            return answer;
        }
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "the controller closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn studio_joints(sim: &Simulator) -> Vec<f64> {
    let (status, body) = common::http_get(addr(sim, "xarm"), "/api/status").await;
    assert_eq!(status, 200);
    let object: Value = serde_json::from_str(&body).unwrap();
    object["xarm_joint_radian"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_move_on_502_shows_in_the_studio_status_and_back() {
    let sim = start().await;
    let mut tcp = dial(&sim, "xarm-tcp").await;
    let target = [0.4f32, -0.2, -0.5, 0.1, 0.7, -0.3, 0.0];
    let mut params = floats(&target);
    params.extend(floats(&[1.0, 10.0, 0.0]));
    let answer = call(&mut tcp, 1, 23, &params).await;
    assert_eq!(answer.state, 0);
    assert_eq!(answer.params, vec![0, 1], "one command queued");
    sim.clock().advance(10_000).unwrap();
    let studio = studio_joints(&sim).await;
    for (q, t) in studio.iter().zip(target) {
        assert!((q - f64::from(t)).abs() < 1e-6, "{studio:?}");
    }
    // The other way round: a Studio move is read back on 502.
    let mut ws = common::connect(sim.url("xarm").unwrap()).await;
    let request = r#"{"cmd":"xarm_move_joint","data":{"I":0,"J":-10,"K":-20,"L":0,"M":30,"N":0,"F":30},"id":"7"}"#;
    let mut accepted = false;
    futures_util::SinkExt::send(&mut ws, tokio_tungstenite::tungstenite::Message::text(request))
        .await
        .unwrap();
    while !accepted {
        let frame: Value = serde_json::from_str(&common::next_text(&mut ws).await).unwrap();
        accepted = frame["type"] == "response" && frame["id"] == "7" && frame["code"] == 100;
    }
    sim.clock().advance(20_000).unwrap();
    let joints = read_floats(&call(&mut tcp, 2, 42, &[]).await.params);
    let expected = [0.0f64, -10.0, -20.0, 0.0, 30.0, 0.0];
    for (q, e) in joints.iter().zip(expected) {
        assert!((q - e.to_radians()).abs() < 1e-6, "{joints:?}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_rich_report_carries_the_studio_sample() {
    let sim = start().await;
    let mut tcp = dial(&sim, "xarm-tcp").await;
    let mut params = floats(&[0.3, -0.3, -0.3, 0.0, 0.6, 0.0, 0.0]);
    params.extend(floats(&[0.2, 2.0, 0.0]));
    call(&mut tcp, 1, 23, &params).await;
    sim.clock().advance(500).unwrap();
    let mut report = dial(&sim, ReportKind::Rich.name()).await;
    let mut bytes = vec![0u8; RICH_LEN];
    tokio::time::timeout(WAIT, report.read_exact(&mut bytes))
        .await
        .expect("a report in time")
        .unwrap();
    assert_eq!(
        u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize,
        RICH_LEN
    );
    assert_eq!(bytes[4] & 0x0F, 1, "moving");
    let studio = studio_joints(&sim).await;
    let reported = read_floats(&bytes[7..7 + 24]);
    for (r, s) in reported.iter().zip(&studio) {
        assert!((r - s).abs() < 1e-6, "{reported:?} {studio:?}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_registers_keep_the_connection_and_a_foreign_protocol_closes_it() {
    let sim = start().await;
    let mut tcp = dial(&sim, "xarm-tcp").await;
    let answer = call(&mut tcp, 1, 222, &[1, 2, 3]).await;
    assert_eq!(answer.state & STATE_WARN, STATE_WARN);
    assert_eq!(call(&mut tcp, 2, 15, &[]).await.params, vec![0, 13]);
    // Standard Modbus TCP (protocol 0) is not this port's protocol: the stream cannot be framed on.
    tcp.write_all(&[0, 3, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]).await.unwrap();
    let mut rest = Vec::new();
    let n = tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest))
        .await
        .expect("closed in time")
        .unwrap();
    assert_eq!(n, 0);
    let mut report = dial(&sim, ReportKind::Real.name()).await;
    let shutdown = tokio::spawn(sim.shutdown());
    let mut drained = Vec::new();
    tokio::time::timeout(WAIT, report.read_to_end(&mut drained))
        .await
        .expect("shutdown ends the report connection")
        .unwrap();
    assert_eq!(drained.len() % ReportKind::Real.size(), 0);
    tokio::time::timeout(WAIT, shutdown).await.unwrap().unwrap();
}

//! Network faults over real sockets: in virtual time they act at exact sim times and the transcript (with its
//! fault records) is the same for the same seed; handshake faults refuse or leave an upgrade unanswered only
//! as often as asked; a reset is a TCP reset and a close fault sends its code; raw TCP sockets take the faults a byte stream has.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use understudy_core::proto::xarm_tcp::frame::{PROTOCOL_PRIVATE, decode_answer, encode_request};
use understudy_sim::{SimConfig, Simulator};

fn endrpi_only(seed: u64) -> SimConfig {
    SimConfig {
        only: Some(vec!["endrpi".into()]),
        ..SimConfig::for_tests(seed)
    }
}

/// Nine requests under a jittered delay and a drop of one in three, the clock moved past every release.
async fn faulty_transcript(name: &str) -> String {
    let path: PathBuf = std::env::temp_dir().join(format!("understudy-faults-{}-{name}", std::process::id()));
    let config = SimConfig {
        transcript: Some(path.clone()),
        faults: vec![
            "delay:100ms~40ms@endrpi".parse().unwrap(),
            "drop:3@endrpi".parse().unwrap(),
        ],
        ..endrpi_only(7)
    };
    let sim = Simulator::start(config).await.unwrap();
    let mut client = common::connect(sim.url("endrpi").unwrap()).await;
    for _ in 0..9 {
        let request = Message::text(r#"{"action":"READ_UPTIME"}"#);
        client.send(request).await.unwrap();
    }
    // Every request is in (the replies to them are held) before the clock moves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim.clock().advance(59).unwrap();
    let early = tokio::time::timeout(Duration::from_millis(200), common::next_message(&mut client)).await;
    assert!(early.is_err(), "nothing is released before 60 ms: {early:?}");
    sim.clock().advance(200).unwrap();
    for _ in 0..6 {
        assert!(common::next_text(&mut client).await.contains("READ_UPTIME"));
    }
    let extra = tokio::time::timeout(Duration::from_millis(200), common::next_message(&mut client)).await;
    assert!(extra.is_err(), "three of the nine replies were dropped: {extra:?}");
    drop(client);
    sim.shutdown().await;
    let transcript = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    transcript
}

#[tokio::test]
async fn faults_act_at_exact_sim_times_and_the_transcript_is_the_same_for_the_same_seed() {
    let first = faulty_transcript("first").await;
    assert_eq!(first, faulty_transcript("second").await);
    let faults: Vec<&str> = first.lines().filter(|l| l.contains(r#""kind":"fault""#)).collect();
    assert_eq!(
        faults.iter().filter(|l| l.contains("dropped a text frame")).count(),
        3,
        "{faults:?}"
    );
    assert_eq!(
        faults.iter().filter(|l| l.contains("frames delayed")).count(),
        1,
        "{faults:?}"
    );
    let replies: Vec<u64> = first
        .lines()
        .filter(|l| l.contains(r#""dir":"out""#) && l.contains(r#""kind":"text""#))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["t"].as_u64())
        .collect();
    assert_eq!(replies.len(), 6);
    assert!(
        replies.iter().all(|t| (60..=140).contains(t)),
        "released at their own sim times: {replies:?}"
    );
}

#[tokio::test]
async fn handshake_faults_refuse_or_hang_only_as_often_as_asked() {
    let sim = Simulator::start(endrpi_only(0)).await.unwrap();
    let url = sim.url("endrpi").unwrap().to_string();
    sim.faults().add_text("refuse:503@endrpi#2").unwrap();
    for _ in 0..2 {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 503),
            other => panic!("expected a 503, got {other:?}"),
        }
    }
    common::connect(&url).await;
    sim.faults().add_text("hang@endrpi").unwrap();
    let addr = sim.endpoints()[0].addr;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut answer)).await;
    assert!(read.is_err(), "the upgrade is left unanswered: {read:?}");
    common::connect(&url).await;
    assert!(sim.faults().list().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_reset_is_a_tcp_reset_and_a_close_fault_sends_its_code() {
    let sim = Simulator::start(endrpi_only(0)).await.unwrap();
    let url = sim.url("endrpi").unwrap().to_string();
    let mut client = common::connect(&url).await;
    sim.faults().add_text("reset@endrpi").unwrap();
    match tokio::time::timeout(Duration::from_secs(5), futures_util::StreamExt::next(&mut client)).await {
        Ok(Some(Err(WsError::Io(error)))) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
        other => panic!("expected a TCP reset, got {other:?}"),
    }
    let mut client = common::connect(&url).await;
    sim.faults().add_text("close:4000:maintenance@endrpi").unwrap();
    match common::next_message(&mut client).await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!((u16::from(frame.code), frame.reason.as_str()), (4000, "maintenance"));
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    sim.shutdown().await;
}

/// Asks port 502 for the version (register 1); `None` when the connection ends first (`Err` kind on a reset).
async fn get_version(tcp: &mut tokio::net::TcpStream, transaction: u16) -> Result<Option<u16>, std::io::ErrorKind> {
    tcp.write_all(&encode_request(transaction, PROTOCOL_PRIVATE, 1, &[]))
        .await
        .map_err(|e| e.kind())?;
    let mut buffer = Vec::new();
    loop {
        if let Some((answer, _)) = decode_answer(&buffer) {
            assert_eq!(answer.register, 1);
            return Ok(Some(answer.transaction));
        }
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut chunk)).await {
            Err(_) => panic!("port 502 neither answered nor closed within 5 s"),
            Ok(Ok(0)) => return Ok(None),
            Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
            Ok(Err(error)) => return Err(error.kind()),
        }
    }
}

#[tokio::test]
async fn raw_tcp_sockets_take_the_faults_a_byte_stream_has_and_refuse_the_others() {
    let sim = Simulator::start(SimConfig {
        only: Some(vec!["xarm".into()]),
        ..SimConfig::for_tests(0)
    })
    .await
    .unwrap();
    for spec in ["refuse:503@xarm-tcp", "hang@xarm-report-rt", "fragment:4@xarm-tcp/1"] {
        let refused = sim.faults().add_text(spec).expect_err(spec);
        assert!(refused.to_string().contains("raw TCP socket"), "{spec}: {refused}");
    }
    let addr = sim.endpoints().iter().find(|e| e.name == "xarm-tcp").unwrap().addr;
    let dial = || tokio::net::TcpStream::connect(addr);

    // A delay holds each answer for 500 ms of sim time.
    sim.faults().add_text("delay:500ms@xarm-tcp#1").unwrap();
    let mut tcp = dial().await.unwrap();
    let clock = sim.clock().clone();
    let advance = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = clock.now();
        clock.advance(500).unwrap();
        before
    });
    assert_eq!(get_version(&mut tcp, 7).await, Ok(Some(7)));
    assert!(advance.is_finished(), "the answer waited for the clock");
    drop(tcp);

    // close-after ends the connection with a FIN after its first answer; reset resets the next one.
    sim.faults().add_text("close-after:1@xarm-tcp#1").unwrap();
    let mut tcp = dial().await.unwrap();
    assert_eq!(get_version(&mut tcp, 8).await, Ok(Some(8)));
    assert_eq!(get_version(&mut tcp, 9).await, Ok(None), "closed after one answer");
    let mut tcp = dial().await.unwrap();
    assert_eq!(
        get_version(&mut tcp, 10).await,
        Ok(Some(10)),
        "the next connection is served"
    );
    sim.faults().add_text("reset@xarm-tcp").unwrap();
    let reset = get_version(&mut tcp, 11).await;
    assert_eq!(reset, Err(std::io::ErrorKind::ConnectionReset), "{reset:?}");
    sim.shutdown().await;
}

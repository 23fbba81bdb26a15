//! The simulated ESP3D board on its three loopback sockets with a virtual clock: the terminal's connect
//! sequence with two clients, a G-code sent over HTTP answered on the stream, an upload through transfer
//! frames that M20 and `/sdfiles` list, and a client that leaves mid-transfer leaving no file.

mod common;

use std::time::Duration;

use common::{Client, next_message};
use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use understudy_core::proto::esp3d::frame::client;
use understudy_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(5);

async fn start() -> Simulator {
    let mut config = SimConfig::for_tests(3);
    config.only = Some(vec!["esp3d".to_string()]);
    Simulator::start(config).await.expect("simulator starts")
}

fn ws_url(sim: &Simulator, endpoint: &str) -> String {
    sim.url(endpoint).expect("endpoint").to_string()
}

/// Connects offering `webui-v3`; returns the client and the 101's headers.
async fn terminal(sim: &Simulator) -> (Client, Vec<(String, String)>) {
    let mut request = ws_url(sim, "esp3d-terminal").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "webui-v3".parse().unwrap());
    let (ws, response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect in time")
        .expect("upgrade accepted");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (ws, headers)
}

/// The next frame, pings included.
async fn raw_next(ws: &mut Client) -> Message {
    use futures_util::StreamExt;
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a frame in time")
        .expect("the socket stays open")
        .expect("a valid frame")
}

/// Binary frames until their bytes contain `needle`, advancing the clock by 100 ms between reads (at most
/// 40 steps).
async fn stream_until(sim: &Simulator, ws: &mut Client, needle: &str) -> String {
    let mut seen = String::new();
    for _ in 0..40 {
        sim.clock().advance(100).unwrap();
        let frame = tokio::time::timeout(Duration::from_millis(200), next_message(ws)).await;
        match frame {
            Ok(Some(Message::Binary(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Message::Text(text))) => panic!("the stream came as text: {text}"),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => {}
        }
        if seen.contains(needle) {
            return seen;
        }
    }
    panic!("`{needle}` never came on the stream; got {seen:?}");
}

async fn http_get(sim: &Simulator, path: &str) -> (u16, String) {
    let addr = sim.endpoints().iter().find(|e| e.name == "esp3d").unwrap().addr;
    common::http_get(addr, path).await
}

async fn sd_names(sim: &Simulator) -> Vec<String> {
    let (status, body) = http_get(sim, "/sdfiles").await;
    assert_eq!(status, 200);
    let listing: Value = serde_json::from_str(&body).expect("JSON listing");
    listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn send_binary(ws: &mut Client, bytes: bytes::Bytes) -> Vec<u8> {
    ws.send(Message::Binary(bytes)).await.unwrap();
    match next_message(ws).await {
        Some(Message::Binary(answer)) => answer.to_vec(),
        other => panic!("expected a binary answer, got {other:?}"),
    }
}

#[tokio::test]
async fn the_terminal_connect_sequence_with_two_clients() {
    let sim = start().await;
    let (mut a, headers) = terminal(&sim).await;
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(header("sec-websocket-protocol"), Some("webui-v3"));
    assert_eq!(header("server"), Some("arduino-WebSocketsServer"));
    assert_eq!(header("sec-websocket-version"), Some("13"));
    assert!(matches!(raw_next(&mut a).await, Message::Ping(_)));
    assert_eq!(raw_next(&mut a).await, Message::text("currentID:0"));
    assert_eq!(raw_next(&mut a).await, Message::text("activeID:0"));

    let (mut b, _) = terminal(&sim).await;
    assert!(matches!(raw_next(&mut b).await, Message::Ping(_)));
    assert_eq!(raw_next(&mut b).await, Message::text("currentID:1"));
    assert_eq!(raw_next(&mut b).await, Message::text("activeID:1"));
    assert_eq!(raw_next(&mut a).await, Message::text("activeID:1"));
    match raw_next(&mut a).await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected the first client closed with 1000, got {other:?}"),
    }
    // The freed slot is reused by the next client.
    drop(a);
    let (mut c, _) = terminal(&sim).await;
    assert!(matches!(raw_next(&mut c).await, Message::Ping(_)));
    assert_eq!(raw_next(&mut c).await, Message::text("currentID:0"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_gcode_sent_over_http_is_answered_on_the_stream() {
    let sim = start().await;
    let (mut a, _) = terminal(&sim).await;
    for _ in 0..3 {
        raw_next(&mut a).await;
    }
    let (status, body) = http_get(&sim, "/command?cmd=M105").await;
    assert_eq!((status, body.as_str()), (200, "ESP3D says: command forwarded"));
    let seen = stream_until(&sim, &mut a, "ok T:").await;
    assert!(seen.contains(" B:"), "{seen}");
    let (status, _) = http_get(&sim, "/command").await;
    assert_eq!(status, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_upload_through_transfer_frames_appears_in_m20_and_sdfiles() {
    let sim = start().await;
    let data_url = ws_url(&sim, "esp3d-data");
    let mut data = common::connect(&data_url).await;
    let body: Vec<u8> = b"G28\nG1 X10 Y10 F3000\n".repeat(100);
    let answer = send_binary(&mut data, client::start_upload("/", "cube.gco", body.len() as u32)).await;
    assert_eq!(answer, b"US\x00\x01O");
    for (i, chunk) in body.chunks(1000).enumerate() {
        let id = i as u32 + 1;
        let answer = send_binary(&mut data, client::upload_packet(id, chunk)).await;
        let mut expected = b"PU\x00\x05O".to_vec();
        expected.extend_from_slice(&id.to_be_bytes());
        assert_eq!(answer, expected);
    }
    assert!(sd_names(&sim).await.iter().any(|n| n == "cube.gco"));
    data.send(Message::text("M20\n")).await.unwrap();
    let listing = stream_until(&sim, &mut data, "End file list").await;
    assert!(listing.contains(&format!("{}", body.len())), "{listing}");
    assert!(listing.to_lowercase().contains("cube.gco"), "{listing}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_transfer_leaves_no_file() {
    let sim = start().await;
    let data_url = ws_url(&sim, "esp3d-data");
    let mut data = common::connect(&data_url).await;
    assert_eq!(
        send_binary(&mut data, client::start_upload("/", "half.gco", 2000)).await,
        b"US\x00\x01O"
    );
    let answer = send_binary(&mut data, client::upload_packet(1, &[b'G'; 1000])).await;
    assert_eq!(&answer[..5], b"PU\x00\x05O");
    data.close(None).await.unwrap();
    drop(data);
    // The disconnect is processed asynchronously: a new client asks until no upload is under way.
    let mut other = common::connect(&data_url).await;
    let mut state = Vec::new();
    for _ in 0..50 {
        state = send_binary(&mut other, client::status_request()).await;
        if state.get(4) != Some(&b'U') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_ne!(state.get(4), Some(&b'U'), "the upload is still under way: {state:?}");
    assert!(!sd_names(&sim).await.iter().any(|n| n == "half.gco"));
    // And a new upload of the same name is accepted at once.
    assert_eq!(
        send_binary(&mut other, client::start_upload("/", "half.gco", 0)).await,
        b"US\x00\x01O"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_injected_fault_reaches_the_stream_with_marlins_text() {
    let sim = start().await;
    let (mut a, _) = terminal(&sim).await;
    for _ in 0..3 {
        raw_next(&mut a).await;
    }
    let bad = sim.control("esp3d", "mintemp", &serde_json::json!({ "heater": "chamber" }));
    assert!(bad.is_err());
    assert!(sim.control("esp3d", "overheat", &Value::Null).is_err());
    let answer = sim
        .control("esp3d", "thermal_runaway", &serde_json::json!({ "heater": "bed" }))
        .expect("a known fault");
    assert_eq!(answer["halted"], true);
    let seen = stream_until(&sim, &mut a, "kill() called!").await;
    assert!(seen.contains("Error:Thermal Runaway, system stopped!"), "{seen}");
    assert_eq!(sim.control("esp3d", "reset", &Value::Null).unwrap()["halted"], false);
    stream_until(&sim, &mut a, "start").await;
    sim.shutdown().await;
}

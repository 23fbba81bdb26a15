//! The simulated ESP3D board on its three loopback sockets with a virtual clock: the terminal's connect
//! sequence with two clients, a G-code sent over HTTP answered on the stream, an upload through transfer
//! frames that M20 and `/sdfiles` list, a client that leaves mid-transfer leaving no file, and random frames
//! on the data socket leaving the socket serving and no partial file on the card.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Client, next_message};
use futures_util::SinkExt;
use proptest::prelude::*;
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

/// One step a random data client takes.
#[derive(Clone, Debug)]
enum Step {
    /// `SU /u<k>.g size`.
    Start(u8, u32),
    /// `UP` with the next packet id of this client's last upload and `len` bytes, fewer when its announced
    /// size is reached sooner (so that uploads complete).
    Next(usize),
    /// `UP` with any id.
    Packet(u32, Vec<u8>),
    /// `UP` with more data than a frame may carry.
    Oversized(usize),
    /// `SR`.
    Status,
    /// `CM A`.
    Abort,
    /// Random bytes as a binary frame.
    Binary(Vec<u8>),
    /// Random text as a text frame (G-code input).
    Text(String),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0u8..3, 0u32..3000).prop_map(|(k, size)| Step::Start(k, size)),
        4 => (0usize..1017).prop_map(Step::Next),
        1 => (0u32..6, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(id, d)| Step::Packet(id, d)),
        1 => (1017usize..1100).prop_map(Step::Oversized),
        1 => Just(Step::Status),
        1 => Just(Step::Abort),
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(Step::Binary),
        1 => "[ -~]{0,40}\n?".prop_map(Step::Text),
    ]
}

/// The next binary frame whose type is `kind`, skipping stream output and other answers (at most 50 frames).
async fn next_of_kind(ws: &mut Client, kind: &[u8; 2]) -> Vec<u8> {
    for _ in 0..50 {
        match next_message(ws).await {
            Some(Message::Binary(bytes)) if bytes.starts_with(kind) => return bytes.to_vec(),
            Some(_) => {}
            None => panic!("the data socket closed while waiting for {kind:?}"),
        }
    }
    panic!("no {kind:?} frame among 50");
}

/// Runs `steps` on a fresh data client, leaves, then checks from a second client that the socket serves,
/// no upload is left under way, and every file the uploads named has a size one of them announced.
async fn random_data_client(steps: Vec<Step>) {
    let sim = start().await;
    let url = ws_url(&sim, "esp3d-data");
    let mut ws = common::connect(&url).await;
    let mut announced: BTreeMap<u8, BTreeSet<u32>> = BTreeMap::new();
    let (mut next_id, mut remaining) = (1u32, 0usize);
    for step in steps {
        let message = match step {
            Step::Start(k, size) => {
                announced.entry(k).or_default().insert(size);
                (next_id, remaining) = (1, size as usize);
                Message::Binary(client::start_upload("/", &format!("u{k}.g"), size))
            }
            Step::Next(len) => {
                let len = if remaining == 0 { len } else { len.min(remaining) };
                remaining = remaining.saturating_sub(len);
                next_id += 1;
                Message::Binary(client::upload_packet(next_id - 1, &vec![b'G'; len]))
            }
            Step::Packet(id, data) => Message::Binary(client::upload_packet(id, &data)),
            Step::Oversized(len) => Message::Binary(client::upload_packet(next_id, &vec![b'G'; len])),
            Step::Status => Message::Binary(client::status_request()),
            Step::Abort => Message::Binary(client::abort()),
            Step::Binary(bytes) => Message::Binary(bytes.into()),
            Step::Text(text) => Message::text(text),
        };
        ws.send(message).await.expect("the data socket takes the frame");
    }
    ws.close(None).await.expect("close");
    drop(ws);

    let mut checker = common::connect(&url).await;
    let mut state = Vec::new();
    for _ in 0..50 {
        checker.send(Message::Binary(client::status_request())).await.unwrap();
        state = next_of_kind(&mut checker, b"RS").await;
        if state.get(4) != Some(&b'U') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        matches!(state.get(4), Some(b'O' | b'A' | b'E')),
        "the transfer state after the client left: {state:?}"
    );
    for k in 0u8..3 {
        checker
            .send(Message::Binary(client::start_download("/", &format!("u{k}.g"))))
            .await
            .unwrap();
        let answer = next_of_kind(&mut checker, b"DS").await;
        if answer.get(4) == Some(&b'O') {
            let size = u32::from_be_bytes(answer[5..9].try_into().unwrap());
            let sizes = announced.get(&k);
            assert!(
                sizes.is_some_and(|s| s.contains(&size)),
                "u{k}.g has {size} bytes; its uploads announced {sizes:?}"
            );
            checker.send(Message::Binary(client::abort())).await.unwrap();
        } else {
            assert_eq!(&answer[4..6], b"E\x02", "u{k}.g: {answer:?}");
        }
    }
    checker.close(None).await.unwrap();
    sim.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn random_frames_on_the_data_socket_leave_it_serving_and_no_partial_file(
        steps in proptest::collection::vec(step(), 0..30)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(random_data_client(steps));
    }
}

//! RFC 6455 at the edges, on raw sockets: bad upgrades get 400 or 426, a valid upgrade with many headers is
//! served as WebSocket, protocol errors get a 1002 / 1007 close frame before TCP ends, and the 1009 close
//! ends the connection as soon as the close handshake completes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(5);

async fn start() -> (Simulator, std::net::SocketAddr) {
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["endrpi".into()]);
    let sim = Simulator::start(config).await.unwrap();
    let addr = sim.endpoints()[0].addr;
    (sim, addr)
}

fn upgrade_head(extra: &str) -> String {
    format!(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Everything the server sends until it closes (bounded).
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes");
    answer
}

#[tokio::test]
async fn bad_upgrades_get_400_and_a_version_mismatch_426() {
    let (sim, addr) = start().await;
    let good = upgrade_head("");
    let cases = [
        (
            good.replace("dGhlIHNhbXBsZSBub25jZQ==", "bm90IGEga2V5"),
            "HTTP/1.1 400 ",
        ),
        (good.replace("Version: 13", "Version: 8"), "HTTP/1.1 426 "),
        (
            good.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            "HTTP/1.1 400 ",
        ),
        (good.replace("Connection: Upgrade\r\n", ""), "HTTP/1.1 400 "),
        (good.replace("Sec-WebSocket-Version: 13\r\n", ""), "HTTP/1.1 400 "),
    ];
    for (head, status) in cases {
        let answer = String::from_utf8_lossy(&exchange(addr, head.as_bytes()).await).into_owned();
        assert!(answer.starts_with(status), "{head:?} -> {answer:?}");
        if status.contains("426") {
            assert!(
                answer.to_ascii_lowercase().contains("sec-websocket-version: 13\r\n"),
                "{answer}"
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn an_upgrade_with_a_hundred_headers_is_a_websocket() {
    let (sim, addr) = start().await;
    let many: String = (0..100).map(|i| format!("X-Extra-{i}: {i}\r\n")).collect();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(upgrade_head(&many).as_bytes()).await.unwrap();
    let mut head = vec![0u8; 12];
    tokio::time::timeout(WAIT, stream.read_exact(&mut head))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    drop(stream);
    sim.shutdown().await;
}

/// Opens a WebSocket and reads the server's 101 answer; the stream and the bytes read so far.
async fn open(addr: std::net::SocketAddr) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(upgrade_head("").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "no 101");
        answer.extend_from_slice(&buffer[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 101"));
    (stream, answer)
}

/// A masked client frame (mask zero, so the payload reads as sent).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![first, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

/// The close code of the first close frame the server sent after the 101, if any.
fn close_code(answer: &[u8]) -> Option<u16> {
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let frames = &answer[end..];
    let at = frames.iter().position(|&b| b == 0x88)?;
    Some(u16::from_be_bytes([*frames.get(at + 2)?, *frames.get(at + 3)?]))
}

#[tokio::test]
async fn protocol_errors_get_a_close_frame_before_tcp_ends() {
    let (sim, addr) = start().await;
    let cases = [
        ("RSV1 set", frame(0xC1, b"{}"), 1002),
        ("reserved data opcode 3", frame(0x83, b""), 1002),
        ("reserved control opcode 11", frame(0x8B, b""), 1002),
        ("continuation with nothing to continue", frame(0x80, b"x"), 1002),
        ("fragmented ping", frame(0x09, b""), 1002),
        (
            "invalid UTF-8",
            frame(0x81, &[0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xff]),
            1007,
        ),
    ];
    for (what, bad, code) in cases {
        let (mut stream, mut answer) = open(addr).await;
        stream.write_all(&bad).await.unwrap();
        read_until_close(&mut stream, &mut answer).await;
        assert_eq!(
            close_code(&answer),
            Some(code),
            "{what}: {:?}",
            String::from_utf8_lossy(&answer)
        );
        // Answering the close ends the connection at once.
        let answered = answer_close(&mut stream).await;
        assert!(
            answered < Duration::from_secs(1),
            "{what}: held {answered:?} after the close"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn after_the_1009_close_the_connection_ends_when_the_peer_answers() {
    let (sim, addr) = start().await;
    let (mut stream, mut answer) = open(addr).await;
    // A 2 MiB text frame (over the 1 MiB limit): header, mask, then the payload.
    let len: u64 = 2 << 20;
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&len.to_be_bytes());
    header.extend_from_slice(&[0, 0, 0, 0]);
    stream.write_all(&header).await.unwrap();
    read_until_close(&mut stream, &mut answer).await;
    assert_eq!(close_code(&answer), Some(1009));
    // The rest of the oversized message, then the close answer: the server ends at once.
    stream.write_all(&vec![b' '; 64 * 1024]).await.unwrap();
    let answered = answer_close(&mut stream).await;
    assert!(
        answered < Duration::from_secs(1),
        "held {answered:?} after the close handshake"
    );
    sim.shutdown().await;
}

/// Reads until a whole close frame has arrived (bounded).
async fn read_until_close(stream: &mut TcpStream, answer: &mut Vec<u8>) {
    let mut buffer = [0u8; 4096];
    while close_code(answer).is_none() {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "ended before a close frame: {:?}",
            String::from_utf8_lossy(answer)
        );
        answer.extend_from_slice(&buffer[..n]);
    }
}

/// Sends a close frame and returns how long the server then took to end the connection.
async fn answer_close(stream: &mut TcpStream) -> Duration {
    stream.write_all(&frame(0x88, &1000u16.to_be_bytes())).await.unwrap();
    let answered = Instant::now();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await.unwrap();
    answered.elapsed()
}

//! Limits on plain HTTP and connections: every request head on a keep-alive connection is bounded in time
//! and size like the first, an idle keep-alive connection is closed, and a port over its connection cap
//! answers 503 and closes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_sim::{SimConfig, Simulator};

/// The listener's head timeout (10 s) and some slack.
const CLOSED_WITHIN: Duration = Duration::from_secs(13);

async fn start(max_connections: usize) -> (Simulator, std::net::SocketAddr) {
    let mut config = SimConfig::for_tests(0);
    config.only = Some(vec!["endrpi".into()]);
    config.max_connections = max_connections;
    let sim = Simulator::start(config).await.unwrap();
    let addr = sim.endpoints()[0].addr;
    (sim, addr)
}

/// A connection that has had one good keep-alive request answered.
async fn after_one_request(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /system/uptime HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") || !answer.ends_with(b"}") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        answer.extend_from_slice(&buffer[..n]);
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    stream
}

/// Reads until the server closes; what it sent and how long that took (fails past `bound`).
async fn until_closed(stream: &mut TcpStream, bound: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(bound, stream.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection");
    (rest, started.elapsed())
}

#[tokio::test]
async fn a_slow_second_head_and_an_idle_keep_alive_connection_are_closed() {
    let (sim, addr) = start(100).await;
    let slow = async {
        let mut stream = after_one_request(addr).await;
        stream.write_all(b"GET /pins HTTP/1.1\r\nHo").await.unwrap();
        let trickle = async {
            for b in b"st: x\r\nX-Slow: yes".iter() {
                tokio::time::sleep(Duration::from_millis(900)).await;
                if stream.write_all(&[*b]).await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(CLOSED_WITHIN, trickle).await;
        until_closed(&mut stream, Duration::from_secs(3)).await
    };
    let idle = async {
        let mut stream = after_one_request(addr).await;
        until_closed(&mut stream, CLOSED_WITHIN).await
    };
    let ((_, slow_after), (_, idle_after)) = tokio::join!(slow, idle);
    assert!(slow_after < CLOSED_WITHIN, "{slow_after:?}");
    assert!(
        idle_after >= Duration::from_secs(9) && idle_after < CLOSED_WITHIN,
        "{idle_after:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_oversized_second_head_gets_431_and_is_closed() {
    let (sim, addr) = start(100).await;
    let mut stream = after_one_request(addr).await;
    stream.write_all(b"GET /pins HTTP/1.1\r\nX-Big: ").await.unwrap();
    let filler = vec![b'a'; 64 * 1024];
    // The server may close while this is still being written.
    let _ = stream.write_all(&filler).await;
    let (answer, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_port_over_its_connection_cap_answers_503() {
    let (sim, addr) = start(3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(after_one_request(addr).await);
    }
    let mut over = TcpStream::connect(addr).await.unwrap();
    let (answer, _) = until_closed(&mut over, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 503"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    held.pop();
    // The freed slot is given back once the server sees the close.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /system/uptime HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (answer, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
        if answer.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(held);
    sim.shutdown().await;
}

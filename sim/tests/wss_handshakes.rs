//! wss handshakes under load: with other TLS connections held open, subscribed and served in realtime,
//! every upgrade over TLS, accepted or refused, is answered within a bound; so is an upgrade whose request
//! arrives in the same segment as the client's last handshake record.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use understudy_sim::serve::pubsub::{PubsubOptions, PubsubTls};
use understudy_sim::{SimConfig, Simulator};

/// How long one handshake (TCP, TLS and the HTTP upgrade) may take before it counts as hung.
const BOUND: Duration = Duration::from_secs(2);
/// 10,000 in an optimized build; a tenth of that in a debug build, where rustls is several times slower.
const HANDSHAKES: usize = if cfg!(debug_assertions) { 1_000 } else { 10_000 };
const IN_FLIGHT: usize = 8;
const HELD_OPEN: usize = 16;

/// Makes one upgrade over TLS and returns the status line it got, or `None` if none came within `BOUND`.
async fn upgrade(
    connector: &TlsConnector,
    addr: std::net::SocketAddr,
    token: &str,
) -> Option<(String, tokio_rustls::client::TlsStream<TcpStream>)> {
    let attempt = async {
        let tcp = TcpStream::connect(addr).await.ok()?;
        let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
        let mut tls = connector.connect(name, tcp).await.ok()?;
        let request = format!(
            "GET /wss?token={token} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tls.write_all(request.as_bytes()).await.ok()?;
        let mut head = Vec::new();
        let mut byte = [0u8; 512];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tls.read(&mut byte).await.ok()?;
            if n == 0 {
                return None;
            }
            head.extend_from_slice(&byte[..n]);
        }
        let line = String::from_utf8_lossy(&head).lines().next()?.to_string();
        Some((line, tls))
    };
    tokio::time::timeout(BOUND, attempt).await.ok().flatten()
}

/// The pub/sub robot over TLS on `clock`: its address, a token it accepts, and a client trusting its certificate.
struct Robot {
    sim: Simulator,
    addr: std::net::SocketAddr,
    good: String,
    connector: TlsConnector,
}

impl Robot {
    async fn start(clock: understudy_sim::ClockMode) -> Robot {
        let mut config = SimConfig::for_tests(3);
        config.only = Some(vec!["pubsub".into()]);
        config.devices.get_mut::<PubsubOptions>().tls = PubsubTls::SelfSigned;
        config.clock = clock;
        let sim = Simulator::start(config).await.unwrap();
        let addr = sim.endpoints()[0].addr;
        let ca = sim
            .announcements()
            .into_iter()
            .find(|(k, _)| *k == "pubsub-ca")
            .map(|(_, v)| v)
            .unwrap();
        let good = sim.control("pubsub", "token", &serde_json::json!({})).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let connector = common::tls_connector(&ca);
        Robot {
            sim,
            addr,
            good,
            connector,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_wss_handshakes_are_each_answered_while_others_stay_open() {
    let Robot {
        sim,
        addr,
        good,
        connector,
    } = Robot::start(understudy_sim::ClockMode::Realtime { speed: 1.0 }).await;

    let mut held = Vec::new();
    for _ in 0..HELD_OPEN {
        let (line, stream) = upgrade(&connector, addr, &good).await.expect("a held connection opens");
        assert!(line.starts_with("HTTP/1.1 101"), "{line}");
        let mut stream = stream;
        for topic in ["odom", "server_logs"] {
            let text = format!(r#"{{"action":"subscribe","topic":"{topic}"}}"#);
            let mut frame = vec![0x81, 0x80 | text.len() as u8, 0, 0, 0, 0];
            frame.extend_from_slice(text.as_bytes());
            stream.write_all(&frame).await.unwrap();
        }
        held.push(tokio::spawn(async move {
            let mut sink = [0u8; 4096];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }));
    }

    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (connector, next, good) = (connector.clone(), next.clone(), good.clone());
        workers.push(tokio::spawn(async move {
            let mut hung = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= HANDSHAKES {
                    return hung;
                }
                // Refused and accepted handshakes in turn.
                let (token, expected) = if i % 2 == 0 {
                    (good.as_str(), "HTTP/1.1 101")
                } else {
                    ("not-a-jwt", "HTTP/1.1 401")
                };
                match upgrade(&connector, addr, token).await {
                    Some((line, _)) if line.starts_with(expected) => {}
                    other => hung.push((i, other.map(|(line, _)| line))),
                }
            }
        }));
    }
    let mut hung = Vec::new();
    for worker in workers {
        hung.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    eprintln!("{HANDSHAKES} wss handshakes in {elapsed:?}, {} unanswered", hung.len());
    assert!(
        hung.is_empty(),
        "{} of {HANDSHAKES} handshakes unanswered or wrong, e.g. {:?}",
        hung.len(),
        &hung[..hung.len().min(5)]
    );
    for h in held {
        h.abort();
    }
    sim.shutdown().await;
}

/// A client transport that sends its first flight (the ClientHello) as usual, then holds everything written
/// until `release`, which sends it in one write.
struct Coalescing {
    tcp: TcpStream,
    first_flight_sent: bool,
    held: Vec<u8>,
}

impl Coalescing {
    async fn release(&mut self) {
        let held = std::mem::take(&mut self.held);
        self.tcp.write_all(&held).await.unwrap();
    }
}

impl AsyncRead for Coalescing {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Coalescing {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.first_flight_sent {
            self.held.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.first_flight_sent {
            return Poll::Ready(Ok(()));
        }
        let flushed = Pin::new(&mut self.tcp).poll_flush(cx);
        if flushed.is_ready() {
            self.first_flight_sent = true;
        }
        flushed
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// A busy server reads a TLS 1.3 client's Finished and its first application data in one read, so the request
/// head is already decrypted, and buffered, when the handshake completes: waiting for the socket then would hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_the_same_segment_as_the_client_finished_is_answered() {
    let Robot {
        sim,
        addr,
        good,
        connector,
    } = Robot::start(understudy_sim::ClockMode::Virtual).await;
    for (token, expected) in [(good.as_str(), "HTTP/1.1 101"), ("not-a-jwt", "HTTP/1.1 401")] {
        let tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let transport = Coalescing {
            tcp,
            first_flight_sent: false,
            held: Vec::new(),
        };
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connecting = tokio::time::timeout(BOUND, connector.connect(name, transport));
        let mut tls = connecting.await.expect("the server's flight within the bound").unwrap();
        let request = format!(
            "GET /wss?token={token} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tls.write_all(request.as_bytes()).await.unwrap();
        let (transport, session) = tls.get_mut();
        assert_eq!(session.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
        assert!(
            transport.held.len() > request.len(),
            "the Finished and the request are held together"
        );
        transport.release().await;
        let mut head = [0u8; 512];
        let read = tokio::time::timeout(BOUND, tls.read(&mut head)).await;
        let n = read.expect("no answer within the bound").unwrap();
        let line = String::from_utf8_lossy(&head[..n]);
        assert!(line.starts_with(expected), "{line}");
    }
    sim.shutdown().await;
}

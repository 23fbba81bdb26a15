//! The Obico fleet bench's two bare sides: a tokio-tungstenite server (REST `/api/v1/octo/printer/` 200,
//! `/ws/dev/` accepted, every frame counted) and a client fleet making the agent's calls and sending statuses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use understudy_sim::serve::session::websocket_config;

use crate::Error;

/// The socket path agents dial.
pub const WS_PATH: &str = "/ws/dev/";
/// The REST check every agent makes first.
pub const REST_PATH: &str = "/api/v1/octo/printer/";
/// The agent's second REST call (printer 1's), answered 404 here as any answer will do.
const EXT_PATH: &str = "/ent/api/printers/1/ext/";
/// The server's first frame on every socket (the real server's, without a `type` key).
const FIRST_FRAME: &str = r#"{"remote_status": {"viewing": false, "should_watch": false}}"#;
/// The REST answer for any token.
const PRINTER: &str =
    r#"{"user": {"is_pro": false}, "printer": {"is_pro": false, "id": 1, "name": "bench", "retract_on_pause": 6.5}}"#;
/// How long a connection may take to send its request head.
const HEAD_BOUND: Duration = Duration::from_secs(10);

/// What the server has seen so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// REST requests answered.
    pub rest: AtomicU64,
    /// Sockets accepted.
    pub accepted: AtomicU64,
    /// Sockets closed after being accepted.
    pub closed: AtomicU64,
    /// Text and binary frames received.
    pub frames: AtomicU64,
    /// Their payload bytes.
    pub bytes: AtomicU64,
}

impl Counters {
    /// `rest accepted open frames bytes`, the line the server child prints.
    pub fn line(&self) -> String {
        let accepted = self.accepted.load(Ordering::Relaxed);
        let closed = self.closed.load(Ordering::Relaxed);
        format!(
            "{} {} {} {} {}",
            self.rest.load(Ordering::Relaxed),
            accepted,
            accepted.saturating_sub(closed),
            self.frames.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed)
        )
    }
}

/// Serves REST and sockets on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, counters: Arc<Counters>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, counters.clone()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The request head's length and path, peeked (an upgrade is handed to tungstenite unread).
async fn peek_head(stream: &TcpStream) -> Option<(usize, String)> {
    let mut buf = vec![0u8; 8 * 1024];
    let peeking = async {
        loop {
            let n = stream.peek(&mut buf).await.ok()?;
            if let Some(i) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]);
                return Some((i + 4, head.split_whitespace().nth(1)?.to_string()));
            }
            if n == 0 || n == buf.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::time::timeout(HEAD_BOUND, peeking).await.ok().flatten()
}

async fn connection(mut stream: TcpStream, counters: Arc<Counters>) {
    let _ = stream.set_nodelay(true);
    let Some((head_len, path)) = peek_head(&stream).await else {
        return;
    };
    if path.starts_with(WS_PATH) {
        let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(websocket_config())).await else {
            return;
        };
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        if ws.send(Message::text(FIRST_FRAME)).await.is_ok() {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(_) | Message::Binary(_) = &message {
                    counters.frames.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(message.len() as u64, Ordering::Relaxed);
                }
            }
        }
        counters.closed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut head = vec![0u8; head_len];
    if stream.read_exact(&mut head).await.is_err() {
        return;
    }
    let (status, body) = if path == REST_PATH {
        ("200 OK", PRINTER)
    } else {
        ("404 Not Found", r#"{"detail": "Not found."}"#)
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    counters.rest.fetch_add(1, Ordering::Relaxed);
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A status frame of `size` bytes with the agent's top-level keys (`current_print_ts`, `status`).
pub fn status_frame(size: usize) -> Utf8Bytes {
    let head = r#"{"current_print_ts": -1, "status": {"state": {"text": "Operational"}, "pad": ""#;
    let tail = r#""}}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad)).into()
}

/// `GET path` with the agent's `Authorization: Token` header and `Connection: close`; the whole answer.
async fn rest_get(server: SocketAddr, path: &str, token: &str) -> Result<Vec<u8>, Error> {
    let mut rest = TcpStream::connect(server).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {server}\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n");
    rest.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(HEAD_BOUND, rest.read_to_end(&mut answer))
        .await
        .map_err(|_| Error::Timeout(HEAD_BOUND))??;
    Ok(answer)
}

/// One bare agent: the two REST calls, then the socket, a status frame at once and one every `interval`
/// (each agent's first tick at `phase` into the interval, as real agents' timers are not aligned);
/// `connected` counts the agents whose socket is open. Returns when the server ends the socket.
pub async fn bare_agent(
    server: SocketAddr,
    n: usize,
    frame: Utf8Bytes,
    interval: Duration,
    phase: Duration,
    connected: Arc<AtomicU64>,
) -> Result<(), Error> {
    let token = format!("tok-{n}");
    let answer = rest_get(server, REST_PATH, &token).await?;
    if !answer.starts_with(b"HTTP/1.1 200") {
        return Err(Error::BadReply {
            target: "bare server",
            request: "REST check",
            reply: String::from_utf8_lossy(&answer).into_owned(),
        });
    }
    // The agent's second call, whose answer only has to come.
    rest_get(server, EXT_PATH, &token).await?;
    let mut request = format!("ws://{server}{WS_PATH}").into_client_request()?;
    if let Ok(value) = HeaderValue::from_str(&format!("bearer tok-{n}")) {
        request.headers_mut().insert("authorization", value);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(websocket_config()), true).await?;
    connected.fetch_add(1, Ordering::Relaxed);
    ws.send(Message::Text(frame.clone())).await?;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + phase, interval);
    loop {
        tokio::select! {
            _ = ticks.tick() => ws.send(Message::Text(frame.clone())).await?,
            message = ws.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_frame_has_the_asked_size_and_is_json() {
        let frame = status_frame(1004);
        assert_eq!(frame.len(), 1004);
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(value["current_print_ts"], -1);
    }

    #[test]
    fn bare_agents_pass_the_rest_check_and_their_frames_are_counted() {
        let rt = crate::runtime(1, "fleet-check").unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let counters = Arc::new(Counters::default());
            let server = tokio::spawn(serve(listener, counters.clone()));
            let connected = Arc::new(AtomicU64::new(0));
            let agents: Vec<_> = (1..=3)
                .map(|n| {
                    let frame = status_frame(200);
                    let interval = Duration::from_millis(50);
                    tokio::spawn(bare_agent(addr, n, frame, interval, interval, connected.clone()))
                })
                .collect();
            let wanted = Duration::from_secs(5);
            let counted = tokio::time::timeout(wanted, async {
                while counters.frames.load(Ordering::Relaxed) < 9 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await;
            assert!(counted.is_ok(), "frames counted: {}", counters.line());
            assert_eq!(counters.rest.load(Ordering::Relaxed), 6);
            assert_eq!(counters.accepted.load(Ordering::Relaxed), 3);
            assert_eq!(connected.load(Ordering::Relaxed), 3);
            for agent in agents {
                agent.abort();
            }
            server.abort();
        });
    }
}

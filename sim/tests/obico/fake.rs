//! A small fake Obico server on loopback: the REST calls an agent makes and `/ws/dev/` on one port, answers
//! it can be told to change (401 at REST, a refused upgrade), a log of every request as it came on the wire,
//! and every accepted socket handed to the test after the server's first `remote_status` frame.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// An accepted agent socket.
pub type Agent = WebSocketStream<TcpStream>;

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `GET`, `POST`.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The request head as it came on the wire.
    pub head: String,
    /// The body (form fields for a POST).
    pub body: String,
    /// For an upgrade: whether it was accepted.
    pub accepted: bool,
}

impl Seen {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// Whether this is the socket upgrade.
    pub fn is_upgrade(&self) -> bool {
        self.path == "/ws/dev/"
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Mode {
    /// The status of `GET /api/v1/octo/printer/` for a known token (401 for an unknown one).
    pub rest_status: u16,
    /// Refuse every upgrade with this status.
    pub refuse_upgrade: Option<u16>,
}

/// The running fake server.
pub struct FakeServer {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    mode: Arc<Mutex<Mode>>,
    agents: mpsc::UnboundedReceiver<Agent>,
}

const PRINTER_401: &str = r#"{"error": "Invalid or Inactive Token", "is_authenticated": "False"}"#;

impl FakeServer {
    /// Starts a server that knows `tokens` (printer ids 1.. in that order).
    pub async fn start(tokens: &[String]) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(Mode {
            rest_status: 200,
            refuse_upgrade: None,
        }));
        let (tx, agents) = mpsc::unbounded_channel();
        let tokens: Arc<Vec<String>> = Arc::new(tokens.to_vec());
        let (s, m) = (seen.clone(), mode.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (s, m, t, tx) = (s.clone(), m.clone(), tokens.clone(), tx.clone());
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(600), serve(stream, s, m, t, tx)).await;
                });
            }
        });
        FakeServer {
            addr,
            seen,
            mode,
            agents,
        }
    }

    /// The endpoint prefix agents dial.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Changes the answers.
    pub fn set(&self, f: impl FnOnce(&mut Mode)) {
        f(&mut self.mode.lock().unwrap());
    }

    /// The next accepted socket, within `wait`.
    pub async fn next_agent(&mut self, wait: Duration) -> Option<Agent> {
        tokio::time::timeout(wait, self.agents.recv()).await.ok().flatten()
    }
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    mode: Arc<Mutex<Mode>>,
    tokens: Arc<Vec<String>>,
    agents: mpsc::UnboundedSender<Agent>,
) {
    // Peek at the head so that an upgrade can be handed to tungstenite unread.
    let mut buf = vec![0u8; 16 * 1024];
    let head_len = loop {
        let n = stream.peek(&mut buf).await.unwrap_or(0);
        if let Some(i) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if n == 0 || n == buf.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let mut entry = Seen {
        method,
        path,
        head,
        body: String::new(),
        accepted: false,
    };
    let mode = mode.lock().unwrap().clone();
    if entry.is_upgrade() {
        let token = entry
            .header("authorization")
            .and_then(|v| v.strip_prefix("bearer ").map(str::to_string));
        let known = token.as_ref().is_some_and(|t| tokens.contains(t));
        let refuse = mode.refuse_upgrade.or((!known).then_some(403));
        entry.accepted = refuse.is_none();
        seen.lock().unwrap().push(entry);
        // tungstenite's own callback type has a large error.
        #[allow(clippy::result_large_err)]
        let callback = |_: &Request, response: Response| match refuse {
            None => Ok(response),
            Some(status) => {
                let mut refusal = ErrorResponse::new(Some("Access denied".into()));
                *refusal.status_mut() = StatusCode::from_u16(status).unwrap();
                Err(refusal)
            }
        };
        if let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
            let first = r#"{"remote_status": {"viewing": false, "should_watch": false}}"#;
            if ws.send(Message::text(first)).await.is_ok() {
                let _ = agents.send(ws);
            }
        }
        return;
    }
    let mut raw = vec![0u8; head_len];
    let _ = stream.read_exact(&mut raw).await;
    let length: usize = entry.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length.min(64 * 1024)];
    let _ = stream.read_exact(&mut body).await;
    entry.body = String::from_utf8_lossy(&body).into_owned();
    let token = entry
        .header("authorization")
        .and_then(|v| v.strip_prefix("Token ").map(str::to_string));
    let id = token.and_then(|t| tokens.iter().position(|k| *k == t)).map(|i| i + 1);
    let (status, text) = match (entry.method.as_str(), entry.path.as_str(), id) {
        (_, _, None) => (401, PRINTER_401.to_string()),
        ("GET", "/api/v1/octo/printer/", Some(id)) if mode.rest_status == 200 => (
            200,
            format!(
                r#"{{"user": {{"is_pro": false}}, "printer": {{"is_pro": false, "id": {id}, "name": "fake-{id}", "retract_on_pause": 6.5}}}}"#
            ),
        ),
        ("GET", "/api/v1/octo/printer/", Some(_)) => (mode.rest_status, PRINTER_401.to_string()),
        ("POST", "/api/v1/octo/g_code_files/", Some(_)) => {
            let files = seen
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.path.contains("g_code_files"))
                .count();
            (201, format!(r#"{{"id": {}}}"#, files + 1))
        }
        _ => (404, r#"{"detail": "Not found."}"#.to_string()),
    };
    seen.lock().unwrap().push(entry);
    let reason = match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Tokens `tok-1` .. `tok-n`.
pub fn tokens(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("tok-{i}")).collect()
}

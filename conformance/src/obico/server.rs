//! The Obico server's sockets: one listener for the REST calls and `/ws/dev/`, authorization decided
//! before any upgrade (unknown token 403, no header or another scheme 500, as the real server), a log of
//! every call, and each accepted agent socket handed to the scenario that waits for it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use understudy_sim::serve::listener::read_head;

use super::rest::{self, TokenAuth};
use crate::client::WsClient;
use crate::error::{Error, Result};
use crate::listen::{Incoming, ListenIdentity, ListenSocket};
use crate::target::Served as ServedTarget;

/// The token the checker's server accepts when none is configured (`--obico-token`).
pub const DEFAULT_TOKEN: &str = "understudy-obico-token";
/// The server's first frame on every accepted socket, as the real server writes it (no `type` key).
pub const FIRST_FRAME: &str = r#"{"remote_status": {"viewing": false, "should_watch": false}}"#;
/// The agent socket path.
pub const WS_PATH: &str = "/ws/dev/";
/// How long a request head and body may take to arrive.
const REQUEST_WAIT: Duration = Duration::from_secs(10);
/// The largest REST body read.
const MAX_BODY: usize = 1 << 20;
/// Accepted sockets waiting for a scenario; more are closed.
const WAITING_SOCKETS: usize = 8;

/// How an upgrade's `authorization` header reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `bearer <the configured token>` (the literal lower-case `bearer`).
    Bearer,
    /// `bearer <a token the server does not know>`.
    UnknownToken,
    /// Another scheme (`Bearer` with a capital B, `Token` ...).
    WrongScheme,
    /// No `authorization` header.
    Missing,
}

impl Auth {
    /// Reads an `authorization` value against `token` as `OctoPrintConsumer.get_printer` does: split on
    /// commas and whitespace, the first word must be `bearer`.
    pub fn of(header: Option<&str>, token: &str) -> Auth {
        let Some(value) = header else {
            return Auth::Missing;
        };
        let mut words = value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty());
        match (words.next(), words.next()) {
            (Some("bearer"), Some(got)) if got == token => Auth::Bearer,
            (Some("bearer"), _) => Auth::UnknownToken,
            _ => Auth::WrongScheme,
        }
    }

    /// The real server's answer: 101 (accepted), 403 for an unknown token, 500 for the rest.
    pub fn status(self) -> u16 {
        match self {
            Auth::Bearer => 101,
            Auth::UnknownToken => 403,
            Auth::WrongScheme | Auth::Missing => 500,
        }
    }
}

/// One call the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A REST call: method, path, its `Authorization`, its form, the status answered.
    Rest {
        method: String,
        path: String,
        auth: TokenAuth,
        form: Vec<(String, String)>,
        status: u16,
    },
    /// A WebSocket upgrade: its path, its `authorization`, the status answered (101 = accepted).
    Upgrade { path: String, auth: Auth, status: u16 },
}

/// A logged call and when it came.
#[derive(Clone, Debug)]
pub struct Served {
    /// When the request head was read.
    pub at: Instant,
    /// What it was.
    pub seen: Seen,
}

/// What the connection tasks share.
#[derive(Debug)]
struct Shared {
    token: String,
    log: Mutex<Vec<Served>>,
    refuse_upgrades: AtomicU32,
    next_file_id: AtomicU64,
    /// When the agent was last started afresh (its simulator reset), if the server was told.
    since: Mutex<Option<Instant>>,
}

impl Shared {
    fn record(&self, at: Instant, seen: Seen) {
        if let Ok(mut log) = self.log.lock() {
            log.push(Served { at, seen });
        }
    }

    /// Whether something that happened `at` is from before the agent's last fresh start.
    fn is_stale(&self, at: Instant) -> bool {
        self.since
            .lock()
            .ok()
            .and_then(|since| *since)
            .is_some_and(|since| at < since)
    }
}

/// An accepted agent socket and when its upgrade request came.
type Accepted = (Instant, WsClient);

/// A running Obico server; it stops when dropped.
#[derive(Debug)]
pub struct ObicoServer {
    addr: SocketAddr,
    /// `http`, or `https` on a TLS socket.
    scheme: String,
    /// Which certificate it presents, on a TLS socket.
    certificate: Option<String>,
    shared: Arc<Shared>,
    sockets: tokio::sync::Mutex<mpsc::Receiver<Accepted>>,
    task: JoinHandle<()>,
}

impl Drop for ObicoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ObicoServer {
    /// Serves on `socket` (TLS when it serves TLS), accepting agents that present `token`.
    pub fn start(socket: ListenSocket, token: &str) -> Arc<ObicoServer> {
        let (addr, scheme) = (socket.addr(), socket.scheme("http"));
        let certificate = socket.certificate().map(str::to_string);
        let shared = Arc::new(Shared {
            token: token.to_string(),
            log: Mutex::new(Vec::new()),
            refuse_upgrades: AtomicU32::new(0),
            next_file_id: AtomicU64::new(1),
            since: Mutex::new(None),
        });
        let (to_scenario, sockets) = mpsc::channel(WAITING_SOCKETS);
        let task = tokio::spawn(accept_loop(socket, shared.clone(), to_scenario));
        Arc::new(ObicoServer {
            addr,
            scheme,
            certificate,
            shared,
            sockets: tokio::sync::Mutex::new(sockets),
            task,
        })
    }

    /// Binds a free loopback port and serves there.
    pub async fn on_loopback(token: &str) -> Result<Arc<ObicoServer>> {
        let socket =
            ListenSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false, &ListenIdentity::default()).await?;
        Ok(ObicoServer::start(socket, token))
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint prefix an agent is configured with: `http://HOST:PORT` (`https://` over TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Every call answered so far (since the agent's last fresh start, when the server was told of one), in
    /// arrival order.
    pub fn log(&self) -> Vec<Served> {
        let log = self.shared.log.lock().map(|l| l.clone()).unwrap_or_default();
        log.into_iter().filter(|s| !self.shared.is_stale(s.at)).collect()
    }

    /// The agent under test is about to be started afresh (its simulator reset): what it did so far, its calls
    /// and its sockets not yet taken, is forgotten (the sockets are closed), and so are refusals asked for it.
    pub fn restarting(&self) {
        if let Ok(mut mark) = self.shared.since.lock() {
            *mark = Some(Instant::now());
        }
        self.shared.refuse_upgrades.store(0, Ordering::SeqCst);
        // No scenario waits for a socket between two scenarios; if one did, its stale sockets go when taken.
        if let Ok(mut sockets) = self.sockets.try_lock() {
            while sockets.try_recv().is_ok() {}
        }
    }

    /// Refuses the next `n` upgrades with 403 even when their token is right (a server that rejects the agent).
    pub fn refuse_upgrades(&self, n: u32) {
        self.shared.refuse_upgrades.store(n, Ordering::SeqCst);
    }

    /// The next agent socket accepted (its first frame already sent), waiting at most `wait`.
    pub async fn next_socket(&self, wait: Duration) -> Result<WsClient> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut sockets = self.sockets.lock().await;
        loop {
            match tokio::time::timeout_at(deadline, sockets.recv()).await {
                Ok(Some((at, mut socket))) if self.shared.is_stale(at) => socket.close().await,
                Ok(Some((_, socket))) => return Ok(socket),
                Ok(None) => return Err(Error::Wire("the Obico server stopped".into())),
                Err(_) => {
                    return Err(Error::Wire(format!(
                        "no Obico agent opened {WS_PATH} on {} within {} s",
                        self.addr,
                        wait.as_secs_f64()
                    )));
                }
            }
        }
    }

    /// An agent socket accepted and not yet taken, if there is one (nothing is waited for).
    pub async fn waiting_socket(&self) -> Option<WsClient> {
        let mut sockets = self.sockets.lock().await;
        while let Ok((at, mut socket)) = sockets.try_recv() {
            if !self.shared.is_stale(at) {
                return Some(socket);
            }
            socket.close().await;
        }
        None
    }
}

impl ServedTarget for ObicoServer {
    fn url(&self) -> String {
        ObicoServer::url(self)
    }

    fn next_socket(&self, wait: Duration) -> BoxFuture<'_, Result<WsClient>> {
        Box::pin(ObicoServer::next_socket(self, wait))
    }

    fn restarting(&self) {
        ObicoServer::restarting(self);
    }

    fn describe(&self) -> String {
        let tls = match &self.certificate {
            Some(certificate) => format!(", with TLS: {certificate}"),
            None => String::new(),
        };
        format!("an Obico server on {} for the agent to dial{tls}", self.url())
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn std::any::Any + Send + Sync> {
        self
    }
}

async fn accept_loop(socket: ListenSocket, shared: Arc<Shared>, to_scenario: mpsc::Sender<Accepted>) {
    let handshaker = socket.handshaker();
    loop {
        let Ok(tcp) = socket.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (shared, to_scenario, handshaker) = (shared.clone(), to_scenario.clone(), handshaker.clone());
        tokio::spawn(async move {
            let Ok(stream) = handshaker.handshake(tcp).await else {
                return;
            };
            if let Ok(Some(socket)) = tokio::time::timeout(REQUEST_WAIT, serve(stream, &shared)).await {
                // A socket no scenario waits for is closed.
                if let Err(mpsc::error::TrySendError::Full((_, mut socket))) = to_scenario.try_send(socket) {
                    socket.close().await;
                }
            }
        });
    }
}

/// The parts of a request head the server reads.
struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
    content_length: usize,
    head_len: usize,
}

fn parse_head(bytes: &[u8]) -> Option<Request> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_len) = request.parse(bytes).ok()? else {
        return None;
    };
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    Some(Request {
        method: request.method?.to_string(),
        path: request.path?.to_string(),
        authorization: header("authorization"),
        content_length: header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        head_len,
    })
}

/// One connection: a REST call is answered and closed; an accepted upgrade is returned.
async fn serve(mut tcp: Incoming, shared: &Shared) -> Option<Accepted> {
    let head = read_head(&mut tcp).await.ok()??;
    let at = Instant::now();
    let Some(request) = parse_head(&head.bytes) else {
        respond(&mut tcp, 400, "text/plain", "bad request").await;
        return None;
    };
    if head.is_upgrade {
        return upgrade(tcp, head.bytes, request, shared, at).await;
    }
    let mut body = head.bytes.get(request.head_len..).unwrap_or_default().to_vec();
    let wanted = request.content_length.min(MAX_BODY);
    while body.len() < wanted {
        let mut chunk = [0u8; 4096];
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(wanted);
    let auth = TokenAuth::of(request.authorization.as_deref(), &shared.token);
    let form = rest::parse_form(&body);
    let is_file = request.path.starts_with("/api/v1/octo/g_code_files/");
    let file_id = if is_file {
        shared.next_file_id.load(Ordering::SeqCst)
    } else {
        0
    };
    let answer = rest::answer(&request.method, &request.path, auth, &form, file_id);
    if is_file && answer.status == 201 {
        shared.next_file_id.fetch_add(1, Ordering::SeqCst);
    }
    // Logged before the answer goes out: the agent's next call must not be logged before this one.
    shared.record(
        at,
        Seen::Rest {
            method: request.method,
            path: request.path,
            auth,
            form,
            status: answer.status,
        },
    );
    respond(&mut tcp, answer.status, "application/json", &answer.body).await;
    None
}

/// An upgrade: refused before the handshake unless it is `/ws/dev/` with the right bearer token.
async fn upgrade(mut tcp: Incoming, head: Bytes, request: Request, shared: &Shared, at: Instant) -> Option<Accepted> {
    let auth = Auth::of(request.authorization.as_deref(), &shared.token);
    let refused_by_choice = auth == Auth::Bearer
        && shared
            .refuse_upgrades
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    let status = match (request.path.as_str(), auth) {
        (WS_PATH, _) if refused_by_choice => 403,
        (WS_PATH, auth) => auth.status(),
        _ => 404,
    };
    shared.record(
        at,
        Seen::Upgrade {
            path: request.path.clone(),
            auth,
            status,
        },
    );
    match status {
        101 => {}
        403 => {
            respond(&mut tcp, 403, "text/plain", "Access denied").await;
            return None;
        }
        404 => {
            respond(&mut tcp, 404, "application/json", rest::NOT_FOUND).await;
            return None;
        }
        _ => {
            respond(&mut tcp, 500, "text/plain", "Internal Server Error").await;
            return None;
        }
    }
    let mut socket = WsClient::accept_read(head, tcp).await.ok()?;
    socket.send_text(FIRST_FRAME).await.ok()?;
    Some((at, socket))
}

async fn respond<S: AsyncWrite + Unpin>(tcp: &mut S, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_read_as_the_real_server_reads_it() {
        assert_eq!(Auth::of(Some("bearer tok"), "tok"), Auth::Bearer);
        assert_eq!(Auth::of(Some("bearer,tok"), "tok"), Auth::Bearer);
        assert_eq!(Auth::of(Some("bearer other"), "tok"), Auth::UnknownToken);
        assert_eq!(Auth::of(Some("bearer"), "tok"), Auth::UnknownToken);
        assert_eq!(Auth::of(Some("Bearer tok"), "tok"), Auth::WrongScheme);
        assert_eq!(Auth::of(None, "tok"), Auth::Missing);
        assert_eq!(
            [Auth::Bearer, Auth::UnknownToken, Auth::WrongScheme, Auth::Missing].map(Auth::status),
            [101, 403, 500, 500]
        );
    }

    #[test]
    fn heads_are_parsed() {
        let head =
            b"POST /api/v1/octo/g_code_files/ HTTP/1.1\r\nAuthorization: Token t\r\nContent-Length: 3\r\n\r\nabc";
        let request = parse_head(head).unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/api/v1/octo/g_code_files/")
        );
        assert_eq!(request.authorization.as_deref(), Some("Token t"));
        assert_eq!((request.content_length, &head[request.head_len..]), (3, &b"abc"[..]));
        assert!(parse_head(b"GET / HTTP/1.1\r\n").is_none());
    }
}

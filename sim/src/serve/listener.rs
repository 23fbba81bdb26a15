//! The accept loop shared by every endpoint: it completes TLS where the endpoint serves it, reads each
//! connection's request head, then hands the connection (head replayed) to the WebSocket session driver
//! or to the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::serve::device::Service;
use crate::serve::faults::reset::Abort;
use crate::serve::faults::{Active, ConnKey, Fault};
use crate::serve::rewind::Rewind;
use crate::serve::upgrade::{self, Refusal};
use crate::serve::{ServeContext, http, session};

/// The largest request head accepted before a connection is answered 431 and closed.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send a request head (and how long a keep-alive connection may sit idle).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once on one port unless `--max-connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// What a connection over the cap gets before it is closed (plain-text ports; a TLS port just closes it).
const OVER_CAP: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: text/plain\r\n\
content-length: 20\r\nconnection: close\r\n\r\ntoo many connections";

/// Accepts connections on `listener` until shutdown, serving each with `service`, over TLS when `tls` is given.
pub fn spawn(
    listener: TcpListener,
    name: &'static str,
    service: Arc<dyn Service>,
    tls: Option<Arc<rustls::ServerConfig>>,
    ctx: Arc<ServeContext>,
) {
    let tls = tls.map(TlsAcceptor::from);
    // Best effort and never blocking: the socket's buffer is empty, so this fits. A TLS port just closes.
    let over_cap = if tls.is_none() { Some(OVER_CAP) } else { None };
    let counter = Arc::new(AtomicU64::new(0));
    let serving = ctx.clone();
    accept_each(listener, name, over_cap, ctx, move |stream, peer, slot| {
        let endpoint = Endpoint {
            peer,
            name,
            service: service.clone(),
            ctx: serving.clone(),
            counter: counter.clone(),
        };
        let tls = tls.clone();
        serving.tracker.spawn(async move {
            let _slot = slot;
            match tls {
                Some(acceptor) => accept_tls(stream, acceptor, endpoint).await,
                None => route(stream, endpoint).await,
            }
        });
    });
}

/// The accept loop every port shares: until shutdown, each accepted connection takes one of the port's slots
/// and goes to `serve` (with `nodelay` set); one over the cap gets `over_cap`, if any, and is closed. Accept
/// errors (out of file descriptors) back off and are logged at most once per [`WARN_EVERY`].
pub(crate) fn accept_each(
    listener: TcpListener,
    name: &'static str,
    over_cap: Option<&'static [u8]>,
    ctx: Arc<ServeContext>,
    mut serve: impl FnMut(TcpStream, SocketAddr, Slot) + Send + 'static,
) {
    let tracker = ctx.tracker.clone();
    tracker.spawn(async move {
        let open = Arc::new(AtomicUsize::new(0));
        let mut accept_warnings = Throttled::new(WARN_EVERY);
        loop {
            let accepted = tokio::select! {
                _ = ctx.shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let Some(slot) = Slot::take(&open, ctx.max_connections) else {
                        if let Some(answer) = over_cap {
                            let _ = stream.try_write(answer);
                        }
                        tracing::debug!(endpoint = name, %peer, "connection refused: too many connections");
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    serve(stream, peer, slot);
                }
                Err(error) => {
                    if let Some(suppressed) = accept_warnings.admit(std::time::Instant::now()) {
                        tracing::warn!(endpoint = name, %error, suppressed, "accept failed");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
}

/// How often a repeated warning (such as "accept failed" at the open-files limit) is logged at most.
pub(crate) const WARN_EVERY: Duration = Duration::from_secs(10);

/// A repeated warning's rate limit: at most one per `every`, counting those suppressed in between.
pub(crate) struct Throttled {
    every: Duration,
    last: Option<std::time::Instant>,
    suppressed: u64,
}

impl Throttled {
    pub(crate) fn new(every: Duration) -> Self {
        Throttled {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// `Some(suppressed since the last one)` if the warning happening at `now` is to be logged.
    pub(crate) fn admit(&mut self, now: std::time::Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.every => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// One of a port's connection slots, given back when the connection ends.
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A slot, if fewer than `cap` are taken.
    pub(crate) fn take(open: &Arc<AtomicUsize>, cap: usize) -> Option<Slot> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < cap).then_some(n + 1))
            .ok()
            .map(|_| Slot(open.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a connection task needs to serve one accepted connection.
struct Endpoint {
    peer: SocketAddr,
    name: &'static str,
    service: Arc<dyn Service>,
    ctx: Arc<ServeContext>,
    counter: Arc<AtomicU64>,
}

/// Completes the TLS handshake, then routes the decrypted stream. A failed or stalled handshake only
/// ends this connection.
async fn accept_tls(stream: TcpStream, acceptor: TlsAcceptor, endpoint: Endpoint) {
    let handshake = tokio::select! {
        _ = endpoint.ctx.shutdown.cancelled() => return,
        handshake = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)) => handshake,
    };
    match handshake {
        Ok(Ok(tls)) => route(tls, endpoint).await,
        Ok(Err(error)) => {
            tracing::debug!(endpoint = endpoint.name, peer = %endpoint.peer, %error, "TLS handshake failed")
        }
        Err(_) => tracing::debug!(endpoint = endpoint.name, peer = %endpoint.peer, "TLS handshake timed out"),
    }
}

async fn route<S>(mut stream: S, endpoint: Endpoint)
where
    S: AsyncRead + AsyncWrite + Abort + Unpin + Send + 'static,
{
    let head = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(Some(head))) => head,
        Ok(Ok(None)) | Err(_) | Ok(Err(HeadError::Io)) => return,
        Ok(Err(HeadError::TooLarge)) => return refuse(&mut stream, &Refusal::TooLarge.response()).await,
        Ok(Err(HeadError::Refused(refusal))) => return refuse(&mut stream, &refusal.response()).await,
    };
    if head.is_upgrade {
        if let Err(refusal) = upgrade::check(&head.bytes) {
            tracing::debug!(endpoint = endpoint.name, peer = %endpoint.peer, %refusal, "bad websocket upgrade");
            return refuse(&mut stream, &refusal.response()).await;
        }
    }
    let Endpoint {
        peer,
        name,
        service,
        ctx,
        counter,
    } = endpoint;
    dispatch(
        Rewind::new(head.bytes, stream),
        head.is_upgrade,
        peer,
        name,
        service,
        ctx,
        counter,
    )
    .await;
}

/// Sends `response` and closes the connection.
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, response: &[u8]) {
    let answer = async {
        let _ = stream.write_all(response).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(HEAD_TIMEOUT, answer).await;
}

/// Serves one connection whose head has been read: as a WebSocket if it asked to upgrade (unless a handshake
/// fault refuses it or leaves it unanswered), else as HTTP.
pub async fn dispatch<S>(
    mut io: S,
    is_upgrade: bool,
    peer: SocketAddr,
    name: &'static str,
    service: Arc<dyn Service>,
    ctx: Arc<ServeContext>,
    counter: Arc<AtomicU64>,
) where
    S: AsyncRead + AsyncWrite + Abort + Unpin + Send + 'static,
{
    if is_upgrade {
        let label: Arc<str> = format!("{name}/{}", counter.fetch_add(1, Ordering::Relaxed) + 1).into();
        tracing::debug!(conn = %label, %peer, "websocket connection");
        let _client = ctx.clients.open(name);
        let conn = ConnKey {
            device: ctx.faults.device_of(name),
            label,
        };
        if let Some(fault) = ctx.faults.claim_handshake(&conn) {
            return handshake_fault(&mut io, &fault, &conn, &ctx).await;
        }
        session::run(io, service, ctx, conn, peer).await;
    } else {
        let conn = ConnKey {
            device: ctx.faults.device_of(name),
            label: format!("{name}/http").into(),
        };
        http::serve(io, service, ctx, conn).await;
    }
}

/// The most a `hang` fault holds an unanswered upgrade (the peer normally gives up long before).
pub const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Acts on a handshake fault: answers the upgrade with its HTTP status, or holds the connection unanswered
/// until the peer leaves, shutdown, or [`HANG_LIMIT`].
async fn handshake_fault<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    fault: &Active,
    conn: &ConnKey,
    ctx: &ServeContext,
) {
    match fault.spec.fault {
        Fault::Refuse { status } => {
            ctx.faults
                .record(&conn.label, fault, &format!("upgrade answered {status}"));
            refuse(io, &refusal(status)).await;
        }
        _ => {
            ctx.faults.record(&conn.label, fault, "upgrade left unanswered");
            let mut sink = [0u8; 1024];
            let drain = async {
                while let Ok(n) = io.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            tokio::select! {
                _ = ctx.shutdown.cancelled() => {}
                _ = tokio::time::timeout(HANG_LIMIT, drain) => {}
            }
        }
    }
}

/// The HTTP answer of a `refuse` fault.
fn refusal(status: u16) -> Vec<u8> {
    let reason = tokio_tungstenite::tungstenite::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Refused");
    let body = crate::serve::faults::exchange::REFUSED_BODY;
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The bytes of a request head, and whether it asks for a WebSocket upgrade.
pub struct Head {
    /// Everything read so far (the head, perhaps with the start of a body).
    pub bytes: Bytes,
    /// Whether the head carries `Upgrade: websocket`.
    pub is_upgrade: bool,
}

/// Why a head could not be read.
pub enum HeadError {
    /// The head is longer than `MAX_HEAD_BYTES`.
    TooLarge,
    /// The socket failed.
    Io,
    /// The head cannot be served (too many headers).
    Refused(Refusal),
}

/// Reads until the end of the request head; `None` if the peer closed first.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Option<Head>, HeadError> {
    let mut buffer = BytesMut::with_capacity(1024);
    loop {
        if let Some(end) = find_head_end(&buffer) {
            let is_upgrade = upgrade::is_upgrade(&buffer[..end]).map_err(HeadError::Refused)?;
            return Ok(Some(Head {
                bytes: buffer.freeze(),
                is_upgrade,
            }));
        }
        if buffer.len() >= MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
        match stream.read_buf(&mut buffer).await {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(_) => return Err(HeadError::Io),
        }
    }
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upgrade_head_is_recognised() {
        let mut input = &b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\nextra"[..];
        let head = read_head(&mut input).await.ok().flatten().unwrap();
        assert!(head.is_upgrade);
        assert!(head.bytes.ends_with(b"extra"));
    }

    #[tokio::test]
    async fn a_plain_get_is_not_an_upgrade() {
        let mut input = &b"GET /pins HTTP/1.1\r\nHost: x\r\n\r\n"[..];
        assert!(!read_head(&mut input).await.ok().flatten().unwrap().is_upgrade);
    }

    #[tokio::test]
    async fn an_endless_head_is_refused() {
        let endless = vec![b'a'; MAX_HEAD_BYTES + 10];
        let mut input = &endless[..];
        assert!(matches!(read_head(&mut input).await, Err(HeadError::TooLarge)));
    }

    #[test]
    fn a_repeated_warning_is_logged_once_per_interval_with_a_count() {
        let mut throttled = Throttled::new(Duration::from_secs(10));
        let t0 = std::time::Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(throttled.admit(at(0)), Some(0));
        // Twenty a second for ten seconds: none logged until the interval has passed.
        let logged = (1..200).filter(|i| throttled.admit(at(i * 50)).is_some()).count();
        assert_eq!(logged, 0);
        assert_eq!(throttled.admit(at(10_000)), Some(199));
        assert_eq!(throttled.admit(at(10_001)), None);
    }

    #[tokio::test]
    async fn a_peer_that_hangs_up_early_is_none() {
        let mut input = &b"GET / HTTP/1.1\r\n"[..];
        assert!(matches!(read_head(&mut input).await, Ok(None)));
    }
}

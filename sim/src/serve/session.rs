//! Drives one WebSocket connection: completes the upgrade, feeds frames, pushes and deadlines to the
//! device's `Session`, writes what it answers, and closes cleanly (with a close frame) on either side's
//! request or at shutdown.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Bytes, Utf8Bytes};

use crate::clock::SimTime;
use crate::serve::ServeContext;
use crate::serve::device::{CloseCode, ConnInfo, Outgoing, Service, Session, SharedText};
use crate::serve::faults::reset::Abort;
use crate::serve::faults::shaper::{Held, Record, Shaper, Wire};
use crate::serve::faults::{Changes, ConnKey};
use crate::transcript::{Direction, HttpRecord, RecordKind};

/// The largest message (and frame) accepted; a larger one closes the connection with 1009.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Frames waiting to be pushed to one connection; a producer that finds the queue full decides what to drop.
pub const PUSH_QUEUE: usize = 1024;
/// The most a closing connection reads away after refusing an oversized message.
const LINGER_MAX_BYTES: usize = 32 << 20;
/// How long a closing handshake may take before the connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(3);
/// How long one batch of frames may take to be written: a peer that stops reading for longer is too slow
/// and is dropped (its socket buffers are full, so no close frame can reach it).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write may block once the simulator is shutting down.
const SHUTDOWN_WRITE_GRACE: Duration = Duration::from_millis(300);
/// The close record of a connection dropped by the slow-consumer policy.
pub const TOO_SLOW: (u16, &str) = (1008, "too slow: the peer stopped reading");

/// The socket settings every endpoint uses: small read buffers (tungstenite zero-fills the whole buffer
/// before each read) and bounded message sizes.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

/// Upgrades `io` (whose request head is still unread) and runs the session of connection `conn` until it ends.
pub async fn run<S>(io: S, service: Arc<dyn Service>, ctx: Arc<ServeContext>, conn: ConnKey, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Abort + Unpin + Send + 'static,
{
    let label = conn.label.clone();
    let mut target: Option<(String, Option<String>)> = None;
    let mut refused: Option<(String, ErrorResponse)> = None;
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let upgrade = service.upgrade_from(request, peer).inspect_err(|refusal| {
            refused = Some((request.uri().path().to_string(), refusal.clone()));
        })?;
        if let Some(protocol) = upgrade.subprotocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
            response.headers_mut().insert("sec-websocket-protocol", protocol);
        }
        for (name, value) in service.upgrade_headers() {
            response.headers_mut().insert(*name, HeaderValue::from_static(value));
        }
        target = Some((
            request.uri().path().to_string(),
            request.uri().query().map(str::to_string),
        ));
        Ok(response)
    };
    let ws = match tokio_tungstenite::accept_hdr_async_with_config(io, callback, Some(websocket_config())).await {
        Ok(ws) => ws,
        Err(error) => {
            tracing::debug!(conn = %label, %error, "websocket handshake refused or failed");
            if let Some((path, refusal)) = refused {
                record_refusal(&ctx, &label, &path, &refusal);
            }
            return;
        }
    };
    let Some((path, query)) = target else { return };
    let (push, pushed) = mpsc::channel(PUSH_QUEUE);
    let session = service.open_session(ConnInfo {
        label: label.clone(),
        path: path.clone(),
        query,
        push,
    });
    ctx.transcript
        .record(ctx.clock.now(), &label, Direction::In, RecordKind::Open, &path);
    Driver {
        ws,
        session,
        pushed,
        fault_changes: ctx.faults.changes(),
        shaper: Shaper::open(ctx.faults.clone(), conn),
        held: VecDeque::new(),
        ctx,
        label,
        out: Vec::new(),
        closing: false,
    }
    .run()
    .await;
}

/// Writes a refused upgrade to the transcript: `GET PATH -> STATUS` and the refusal's body.
fn record_refusal(ctx: &ServeContext, label: &str, path: &str, refusal: &ErrorResponse) {
    let summary = format!("GET {path} -> {}", refusal.status().as_u16());
    let record = HttpRecord {
        summary: &summary,
        upgrade: true,
        request: &[],
        response: refusal.body().as_deref().unwrap_or_default().as_bytes(),
    };
    ctx.transcript
        .record_http(ctx.clock.now(), label, Direction::In, &record);
}

struct Driver<S> {
    ws: WebSocketStream<S>,
    session: Box<dyn Session>,
    pushed: mpsc::Receiver<Outgoing>,
    ctx: Arc<ServeContext>,
    label: Arc<str>,
    out: Vec<Outgoing>,
    /// We sent a close frame and now wait for the peer's.
    closing: bool,
    /// The network faults on this connection, what they hold back, and word of new faults.
    shaper: Shaper,
    held: VecDeque<Held>,
    fault_changes: Changes,
}

impl<S: AsyncRead + AsyncWrite + Abort + Unpin> Driver<S> {
    async fn run(mut self) {
        let now = self.ctx.clock.now();
        self.shaper.poll(now, &mut self.held);
        self.session.on_open(now, &mut self.out);
        let close_record = match self.flush_out().await {
            Ok(_) => self.serve().await,
            Err(stalled) => self.give_up(stalled, "1006".into()),
        };
        let now = self.ctx.clock.now();
        self.session.on_close(now);
        self.ctx
            .transcript
            .record(now, &self.label, Direction::In, RecordKind::Close, &close_record);
    }

    /// The main loop; returns the close code and reason for the transcript.
    async fn serve(&mut self) -> String {
        let mut close_record = String::from("1006");
        let mut close_deadline: Option<tokio::time::Instant> = None;
        // Created once: a `cancelled()` future per frame would take and release the token's lock, which every
        // connection shares, twice per frame.
        let shutdown = self.ctx.shutdown.clone().cancelled_owned();
        tokio::pin!(shutdown);
        loop {
            let deadline = self.session.next_deadline().filter(|_| !self.closing);
            let held_until = self.held.front().map(|h| h.at);
            let clock = &self.ctx.clock;
            tokio::select! {
                biased;
                _ = &mut shutdown, if !self.closing => {
                    self.shaper.release_all(self.ctx.clock.now(), &mut self.held);
                    self.out.push(Outgoing::Close(CloseCode::GoingAway, "server shutting down".into()));
                }
                _ = sleep_until_opt(close_deadline) => return close_record,
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) if !self.closing => {
                        let now = self.ctx.clock.now();
                        self.ctx.transcript.record(now, &self.label, Direction::In, RecordKind::Text, &text);
                        self.session.on_text(now, &text, &mut self.out);
                        self.take_pushed();
                    }
                    Some(Ok(Message::Binary(data))) if !self.closing => {
                        let now = self.ctx.clock.now();
                        self.ctx.transcript.record_binary(now, &self.label, Direction::In, &data);
                        self.session.on_binary(now, &data, &mut self.out);
                        self.take_pushed();
                    }
                    Some(Ok(Message::Close(frame))) => {
                        // tungstenite queues the close reply; keep polling until the stream ends so it is sent.
                        close_record = frame.map_or("1005".into(), |f| format!("{} {}", u16::from(f.code), f.reason));
                        self.closing = true;
                        close_deadline.get_or_insert_with(|| tokio::time::Instant::now() + CLOSE_GRACE);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(WsError::Capacity(error))) => {
                        let reason = match error {
                            CapacityError::MessageTooLong { .. } => "message too big",
                            _ => "frame too big",
                        };
                        self.out.push(Outgoing::Close(CloseCode::TooBig, reason.into()));
                        if let Err(stalled) = self.flush_out().await {
                            return self.give_up(stalled, format!("1009 {reason}"));
                        }
                        // The rest of the oversized message is still on its way: read it away so the peer
                        // sees our close frame instead of a reset.
                        self.linger().await;
                        return format!("1009 {reason}");
                    }
                    Some(Err(error)) => {
                        tracing::debug!(conn = %self.label, %error, "websocket error");
                        return match protocol_close(&error) {
                            Some((code, reason)) => self.fail(code, reason).await,
                            None => close_record,
                        };
                    }
                    None => return close_record,
                },
                Some(frame) = self.pushed.recv(), if !self.closing => {
                    self.out.push(frame);
                    self.take_pushed();
                }
                _ = async { if let Some(t) = deadline { clock.sleep_until(t).await } }, if deadline.is_some() => {
                    self.session.on_deadline(self.ctx.clock.now(), &mut self.out);
                }
                _ = async { if let Some(t) = held_until { clock.sleep_until(t).await } }, if held_until.is_some() => {}
                Some(()) = self.fault_changes.next() => {
                    self.shaper.poll(self.ctx.clock.now(), &mut self.held);
                }
            }
            match self.flush_out().await {
                Ok(true) => {
                    self.closing = true;
                    close_deadline.get_or_insert_with(|| tokio::time::Instant::now() + CLOSE_GRACE);
                }
                Ok(false) => {}
                Err(stalled) => return self.give_up(stalled, close_record),
            }
        }
    }

    /// Moves what waits in the push queue to `out`, to go with the next flush. Called after each request too:
    /// incoming frames are served first, so a burst of requests would otherwise fill the queue with their own
    /// answers before the connection is ever written, and the client would be dropped as a slow reader.
    fn take_pushed(&mut self) {
        while let Ok(frame) = self.pushed.try_recv() {
            self.out.push(frame);
        }
    }

    /// Fails the connection after a protocol error (RFC 6455 §7.1.7): a close frame with `code` first, written
    /// on the socket itself (the WebSocket state may be unusable), then the peer's answer read away.
    async fn fail(&mut self, code: CloseCode, reason: &str) -> String {
        let code = code.code();
        let record = format!("{code} {reason}");
        self.record_close_out(&record);
        let mut frame = vec![0x88, (2 + reason.len()) as u8];
        frame.extend_from_slice(&code.to_be_bytes());
        frame.extend_from_slice(reason.as_bytes());
        let written = async {
            let io = self.ws.get_mut();
            io.write_all(&frame).await?;
            io.flush().await
        };
        if let Ok(Ok(())) = tokio::time::timeout(CLOSE_GRACE, written).await {
            self.linger().await;
        }
        record
    }

    /// Reads and discards what the peer still sends, until its close frame, for a bounded time and amount,
    /// then lets the socket go.
    async fn linger(&mut self) {
        let mut buffer = vec![0u8; 16 * 1024];
        let mut budget = LINGER_MAX_BYTES;
        let mut seen = CloseSeen::default();
        let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
        while budget > 0 {
            match tokio::time::timeout_at(deadline, self.ws.get_mut().read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => {
                    budget = budget.saturating_sub(n);
                    if seen.feed(&buffer[..n]) {
                        break;
                    }
                }
                _ => break,
            }
        }
    }

    /// Writes everything in `out` (see `write_out`), bounded: a write still blocked after `WRITE_TIMEOUT`
    /// (or, once shutdown has begun, `SHUTDOWN_WRITE_GRACE`) or when shutdown begins is given up.
    async fn flush_out(&mut self) -> Result<bool, Stalled> {
        let ctx = self.ctx.clone();
        let mut write = std::pin::pin!(self.write_out());
        // The common case finishes at once and never builds a timer or a shutdown watch.
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
        if let std::task::Poll::Ready(result) = first {
            return result;
        }
        let shutting_down = ctx.shutdown.is_cancelled();
        let limit = if shutting_down {
            SHUTDOWN_WRITE_GRACE
        } else {
            WRITE_TIMEOUT
        };
        tokio::select! {
            result = write => result,
            _ = tokio::time::sleep(limit) => Err(if shutting_down { Stalled::Shutdown } else { Stalled::TooSlow }),
            _ = ctx.shutdown.cancelled(), if !shutting_down => Err(Stalled::Shutdown),
        }
    }

    /// Writes an outgoing close record for this connection, at the current sim time.
    fn record_close_out(&self, record: &str) {
        self.ctx.transcript.record(
            self.ctx.clock.now(),
            &self.label,
            Direction::Out,
            RecordKind::Close,
            record,
        );
    }

    /// The close record of a connection whose write gave up (`failed` if the socket itself failed); a
    /// connection dropped because its writes were blocked gets an outgoing close record saying why.
    fn give_up(&mut self, stalled: Stalled, failed: String) -> String {
        let record = match stalled {
            Stalled::Failed => return failed,
            Stalled::Reset => return "1006 reset by a fault".into(),
            Stalled::TooSlow => format!("{} {}", TOO_SLOW.0, TOO_SLOW.1),
            Stalled::Shutdown => "1001 server shutting down (not delivered: the peer stopped reading)".into(),
        };
        tracing::info!(conn = %self.label, "dropping a connection that stopped reading");
        self.record_close_out(&record);
        record
    }

    /// Writes everything in `out` with one flush (through the connection's faults when any reach it: then
    /// what they hold back waits for its sim time); `Ok(true)` if a close frame was among it.
    async fn write_out(&mut self) -> Result<bool, Stalled> {
        let now = self.ctx.clock.now();
        if !self.held.is_empty() || !self.shaper.is_idle(now) {
            for outgoing in self.out.drain(..) {
                self.shaper.shape(now, outgoing, &mut self.held);
            }
            return self.write_due(now).await;
        }
        if self.out.is_empty() {
            return Ok(false);
        }
        let mut closed = false;
        for outgoing in self.out.drain(..) {
            if closed {
                break;
            }
            let message = match outgoing {
                Outgoing::Text(text) => {
                    self.ctx
                        .transcript
                        .record(now, &self.label, Direction::Out, RecordKind::Text, &text);
                    Message::text(text)
                }
                Outgoing::SharedText(text) => {
                    self.ctx
                        .transcript
                        .record(now, &self.label, Direction::Out, RecordKind::Text, &text);
                    Message::Text(shared_bytes(text))
                }
                Outgoing::Binary(data) => {
                    self.ctx
                        .transcript
                        .record_binary(now, &self.label, Direction::Out, &data);
                    Message::Binary(data)
                }
                Outgoing::Ping(data) => Message::Ping(data),
                Outgoing::Close(code, reason) => {
                    let record = format!("{} {reason}", code.code());
                    self.ctx
                        .transcript
                        .record(now, &self.label, Direction::Out, RecordKind::Close, &record);
                    closed = true;
                    Message::Close(Some(CloseFrame {
                        code: WsCloseCode::from(code.code()),
                        reason: reason.into(),
                    }))
                }
            };
            if self.ws.feed(message).await.is_err() {
                return Err(Stalled::Failed);
            }
        }
        self.ws.flush().await.map_err(|_| Stalled::Failed)?;
        Ok(closed)
    }

    /// Writes the held items whose sim time has come, with one flush; a reset ends the connection at once.
    async fn write_due(&mut self, now: SimTime) -> Result<bool, Stalled> {
        let mut closed = false;
        let mut wrote = false;
        while let Some(item) = self.held.pop_front() {
            if item.at > now {
                self.held.push_front(item);
                break;
            }
            let message = match item.wire {
                Wire::Reset => {
                    self.ws.get_ref().abort();
                    return Err(Stalled::Reset);
                }
                Wire::Message(message) => message,
            };
            closed = matches!(item.record, Record::Close(_));
            item.record.write(&self.ctx.transcript, item.at, &self.label);
            self.ws.feed(message).await.map_err(|_| Stalled::Failed)?;
            wrote = true;
            if closed {
                self.held.clear();
                break;
            }
        }
        if wrote {
            self.ws.flush().await.map_err(|_| Stalled::Failed)?;
        }
        Ok(closed)
    }
}

/// The shared text as the socket's text type, without copying it (the bytes keep the text alive).
fn shared_bytes(text: SharedText) -> Utf8Bytes {
    struct Owner(SharedText);
    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    let bytes = Bytes::from_owner(Owner(text.clone()));
    // Always valid (it was a `str`); the check costs a scan, not a copy.
    Utf8Bytes::try_from(bytes).unwrap_or_else(|_| Utf8Bytes::from(text.as_str()))
}

/// The close code and reason for an error that is the peer's fault: 1007 for text that is not UTF-8, 1002
/// for any other protocol violation; `None` for I/O and everything else.
fn protocol_close(error: &WsError) -> Option<(CloseCode, &'static str)> {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match error {
        WsError::Utf8(_) => Some((CloseCode::InvalidPayload, "invalid UTF-8")),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake | ProtocolError::SendAfterClosing) => None,
        WsError::Protocol(_) => Some((CloseCode::ProtocolError, "protocol error")),
        _ => None,
    }
}

/// Watches the raw bytes a closing peer still sends for the end of a client close frame (opcode 8, masked,
/// short payload), so that lingering ends when the close handshake does.
#[derive(Default)]
struct CloseSeen {
    /// The last bytes seen, enough for a close frame's header, mask and payload.
    tail: Vec<u8>,
}

impl CloseSeen {
    /// Adds `bytes`; `true` once a whole close frame has arrived.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        self.tail.extend_from_slice(bytes);
        let keep = self.tail.len().saturating_sub(2 + 4 + 125);
        let found = self.tail.windows(2).enumerate().any(|(i, w)| {
            w[0] == 0x88 && w[1] & 0x80 != 0 && usize::from(w[1] & 0x7f) <= 125 && {
                let end = i + 2 + 4 + usize::from(w[1] & 0x7f);
                end == self.tail.len()
            }
        });
        self.tail.drain(..keep);
        found
    }
}

/// Why a bounded write gave up.
enum Stalled {
    /// The socket failed.
    Failed,
    /// The peer did not take the frames within `WRITE_TIMEOUT`.
    TooSlow,
    /// The simulator is shutting down and the write was still blocked.
    Shutdown,
    /// A fault reset the connection.
    Reset,
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ClockMode, SimTime};
    use crate::serve::device::{ConnInfo, Upgrade};
    use crate::serve::faults::Faults;
    use crate::transcript::Transcript;
    use crate::{SimConfig, Simulator};
    use tokio::io::DuplexStream;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;
    use understudy_core::proto::http::{HttpRequest, HttpResponse};

    /// A device that answers its open with 1 MiB of text: more than the test pipe ever holds.
    struct Flood;
    impl Service for Flood {
        fn upgrade(&self, _: &Request) -> Result<Upgrade, ErrorResponse> {
            Ok(Upgrade { subprotocol: None })
        }
        fn open_session(&self, _: ConnInfo) -> Box<dyn Session> {
            Box::new(Flood)
        }
        fn http(&self, _: SimTime, _: HttpRequest) -> HttpResponse {
            HttpResponse::json(404, "{}")
        }
    }
    impl Session for Flood {
        fn on_open(&mut self, _: SimTime, out: &mut Vec<Outgoing>) {
            out.push(Outgoing::Text("x".repeat(1 << 20)));
        }
        fn on_text(&mut self, _: SimTime, _: &str, _: &mut Vec<Outgoing>) {}
        fn on_binary(&mut self, _: SimTime, _: &[u8], _: &mut Vec<Outgoing>) {}
    }

    /// Runs a `Flood` connection over a 4 KiB pipe whose client reads the 101 and then nothing; returns the
    /// driver's task, the context and the transcript's path.
    async fn stalled(
        name: &str,
    ) -> (
        tokio::task::JoinHandle<()>,
        Arc<ServeContext>,
        std::path::PathBuf,
        DuplexStream,
    ) {
        let path = std::env::temp_dir().join(format!("understudy-stall-{name}-{}.jsonl", std::process::id()));
        let clock = Arc::new(Clock::new(ClockMode::Virtual));
        let transcript = Arc::new(Transcript::to_file(&path).unwrap());
        let ctx = Arc::new(ServeContext {
            faults: Arc::new(Faults::new(0, clock.clone(), transcript.clone())),
            clock,
            transcript,
            clients: Arc::default(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            max_connections: 1,
        });
        let (server, mut client) = tokio::io::duplex(4096);
        let peer = "127.0.0.1:9".parse().unwrap();
        let conn = ConnKey {
            device: "flood",
            label: "flood/1".into(),
        };
        let task = tokio::spawn(run(server, Arc::new(Flood), ctx.clone(), conn, peer));
        client
            .write_all(
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            )
            .await
            .unwrap();
        let mut head = [0u8; 12];
        client.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 101");
        (task, ctx, path, client)
    }

    fn close_records(ctx: &ServeContext, path: &std::path::Path) -> Vec<String> {
        ctx.transcript.flush().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let _ = std::fs::remove_file(path);
        text.lines()
            .filter(|l| l.contains(r#""kind":"close""#))
            .map(str::to_string)
            .collect()
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_is_dropped_after_the_write_timeout() {
        let (task, ctx, path, _client) = stalled("timeout").await;
        let started = tokio::time::Instant::now();
        tokio::time::timeout(WRITE_TIMEOUT + Duration::from_secs(3), task)
            .await
            .expect("the driver gives up on the stalled peer")
            .unwrap();
        assert!(
            started.elapsed() >= WRITE_TIMEOUT - Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        let closes = close_records(&ctx, &path);
        assert_eq!(closes.len(), 2, "{closes:?}");
        assert!(closes.iter().all(|l| l.contains("1008 too slow")), "{closes:?}");
    }

    #[tokio::test]
    async fn shutdown_ends_a_blocked_connection_at_once_and_records_its_close() {
        let (task, ctx, path, _client) = stalled("shutdown").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!task.is_finished());
        let started = tokio::time::Instant::now();
        ctx.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("shutdown does not wait for a blocked writer")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        let closes = close_records(&ctx, &path);
        assert!(
            closes.iter().any(|l| l.contains(r#""dir":"in""#) && l.contains("1001")),
            "{closes:?}"
        );
    }

    #[tokio::test]
    async fn shutdown_closes_an_open_connection_with_1001_after_traffic() {
        let config = SimConfig {
            only: Some(vec!["endrpi".into()]),
            ..SimConfig::for_tests(0)
        };
        let sim = Simulator::start(config).await.unwrap();
        let url = sim.url("endrpi").unwrap().to_string();
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
        // A few round trips first, so the driver loop has gone round with the shutdown signal pending.
        for _ in 0..3 {
            ws.send(Message::text(r#"{"action":"READ_TEMPERATURE"}"#))
                .await
                .unwrap();
            assert!(matches!(ws.next().await, Some(Ok(Message::Text(_)))));
        }
        let shutdown = tokio::spawn(sim.shutdown());
        let closed = tokio::time::timeout(Duration::from_secs(3), ws.next()).await.unwrap();
        match closed {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
            other => panic!("expected a 1001 close frame, got {other:?}"),
        }
        while let Some(Ok(_)) = ws.next().await {}
        tokio::time::timeout(Duration::from_secs(3), shutdown)
            .await
            .unwrap()
            .unwrap();
    }
}

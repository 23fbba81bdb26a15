//! Drives one WebSocket connection: completes the upgrade, feeds frames, pushes and deadlines to the
//! device's `Session`, writes what it answers, and closes cleanly (with a close frame) on either side's
//! request or at shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use crate::serve::ServeContext;
use crate::serve::device::{ConnInfo, Outgoing, Service, Session};
use crate::transcript::{Direction, RecordKind};

/// The largest message (and frame) accepted; a larger one closes the connection with 1009.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Frames waiting to be pushed to one connection; a producer that finds the queue full decides what to drop.
pub const PUSH_QUEUE: usize = 1024;
/// The most a closing connection reads away after refusing an oversized message.
const LINGER_MAX_BYTES: usize = 32 << 20;
/// How long a closing handshake may take before the connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// The socket settings every endpoint uses: small read buffers (tungstenite zero-fills the whole buffer
/// before each read) and bounded message sizes.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

/// Upgrades `io` (whose request head is still unread) and runs the session until the connection ends.
pub async fn run<S>(io: S, service: Arc<dyn Service>, ctx: Arc<ServeContext>, label: Arc<str>, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut target: Option<(String, Option<String>)> = None;
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let upgrade = service.upgrade_from(request, peer)?;
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
        ctx,
        label,
        out: Vec::new(),
        closing: false,
    }
    .run()
    .await;
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
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    async fn run(mut self) {
        self.session.on_open(self.ctx.clock.now(), &mut self.out);
        let mut close_record = String::from("1006");
        if self.flush_out().await.is_ok() {
            close_record = self.serve().await;
        }
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
            let clock = &self.ctx.clock;
            tokio::select! {
                biased;
                _ = &mut shutdown, if !self.closing => {
                    self.out.push(Outgoing::Close(1001, "server shutting down".into()));
                }
                _ = sleep_until_opt(close_deadline) => return close_record,
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) if !self.closing => {
                        let now = self.ctx.clock.now();
                        self.ctx.transcript.record(now, &self.label, Direction::In, RecordKind::Text, &text);
                        self.session.on_text(now, &text, &mut self.out);
                    }
                    Some(Ok(Message::Binary(data))) if !self.closing => {
                        let now = self.ctx.clock.now();
                        self.ctx.transcript.record_binary(now, &self.label, Direction::In, &data);
                        self.session.on_binary(now, &data, &mut self.out);
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
                        self.out.push(Outgoing::Close(1009, reason.into()));
                        let _ = self.flush_out().await;
                        // The rest of the oversized message is still on its way: read it away so the peer
                        // sees our close frame instead of a reset.
                        self.linger().await;
                        return format!("1009 {reason}");
                    }
                    Some(Err(error)) => {
                        tracing::debug!(conn = %self.label, %error, "websocket error");
                        return close_record;
                    }
                    None => return close_record,
                },
                Some(frame) = self.pushed.recv(), if !self.closing => {
                    self.out.push(frame);
                    while let Ok(frame) = self.pushed.try_recv() {
                        self.out.push(frame);
                    }
                }
                _ = async { if let Some(t) = deadline { clock.sleep_until(t).await } }, if deadline.is_some() => {
                    self.session.on_deadline(self.ctx.clock.now(), &mut self.out);
                }
            }
            match self.flush_out().await {
                Ok(true) => {
                    self.closing = true;
                    close_deadline.get_or_insert_with(|| tokio::time::Instant::now() + CLOSE_GRACE);
                }
                Ok(false) => {}
                Err(()) => return close_record,
            }
        }
    }

    /// Reads and discards what the peer still sends, for a bounded time and amount, then lets the socket go.
    async fn linger(&mut self) {
        let mut buffer = vec![0u8; 16 * 1024];
        let mut budget = LINGER_MAX_BYTES;
        let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
        while budget > 0 {
            match tokio::time::timeout_at(deadline, self.ws.get_mut().read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => budget = budget.saturating_sub(n),
                _ => break,
            }
        }
    }

    /// Writes everything in `out` with one flush; `Ok(true)` if a close frame was among it.
    async fn flush_out(&mut self) -> Result<bool, ()> {
        if self.out.is_empty() {
            return Ok(false);
        }
        let now = self.ctx.clock.now();
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
                    Message::Text(text)
                }
                Outgoing::Binary(data) => {
                    self.ctx
                        .transcript
                        .record_binary(now, &self.label, Direction::Out, &data);
                    Message::Binary(data)
                }
                Outgoing::Ping(data) => Message::Ping(data),
                Outgoing::Close(code, reason) => {
                    let record = format!("{code} {reason}");
                    self.ctx
                        .transcript
                        .record(now, &self.label, Direction::Out, RecordKind::Close, &record);
                    closed = true;
                    Message::Close(Some(CloseFrame {
                        code: CloseCode::from(code),
                        reason: reason.into(),
                    }))
                }
            };
            if self.ws.feed(message).await.is_err() {
                return Err(());
            }
        }
        self.ws.flush().await.map_err(|_| ())?;
        Ok(closed)
    }
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
    use crate::{SimConfig, Simulator};

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

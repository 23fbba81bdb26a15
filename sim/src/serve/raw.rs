//! Raw TCP endpoints (a device's own binary protocol): the accept loop with the port's cap, and the driver that
//! feeds a sans-IO `RawSession` and writes its answers through the network faults, one answer a frame.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use crate::clock::SimTime;
use crate::serve::ServeContext;
use crate::serve::device::Outgoing;
use crate::serve::faults::reset::Abort;
use crate::serve::faults::shaper::{Held, Record, Shaper, Wire};
use crate::serve::faults::{Changes, ConnKey};
use crate::serve::listener::accept_each;
use crate::serve::session::{TOO_SLOW, WRITE_TIMEOUT};
use crate::transcript::{Direction, RecordKind};

/// Bytes read from the socket at once.
const READ_CHUNK: usize = 16 * 1024;
/// How long a write may block once the simulator is shutting down.
const SHUTDOWN_WRITE_GRACE: Duration = Duration::from_millis(300);

/// What a session wants after handling input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep the connection.
    Continue,
    /// Write what was answered, then close the connection; the reason goes to the transcript and the log.
    Close(String),
}

/// One raw TCP connection's protocol state. Sans-IO: methods get the sim time and append bytes to send.
pub trait RawSession: Send + 'static {
    /// Called once, when the connection is accepted.
    fn on_open(&mut self, _now: SimTime, _out: &mut Vec<Bytes>) {}
    /// Bytes arrived (any split: the session frames them itself).
    fn on_bytes(&mut self, now: SimTime, data: &[u8], out: &mut Vec<Bytes>) -> Flow;
    /// The next sim time at which `on_deadline` wants to run, if any.
    fn next_deadline(&self) -> Option<SimTime> {
        None
    }
    /// The deadline returned by `next_deadline` was reached.
    fn on_deadline(&mut self, _now: SimTime, _out: &mut Vec<Bytes>) {}
    /// The connection is gone.
    fn on_close(&mut self, _now: SimTime) {}
}

/// A raw TCP listening socket's service: it opens one session per connection.
pub trait RawService: Send + Sync + 'static {
    /// Starts the protocol state of a connection labelled `label` (e.g. `xarm-tcp/3`).
    fn open_session(&self, label: Arc<str>) -> Box<dyn RawSession>;
}

/// A raw TCP socket a device wants, with its default port.
pub struct RawEndpointSpec {
    /// The name printed at start and used for `--<name>-port`, e.g. `xarm-tcp`.
    pub name: &'static str,
    /// The port used when none is given.
    pub default_port: u16,
    /// The service behind the socket.
    pub service: Arc<dyn RawService>,
}

/// Accepts connections on `listener` until shutdown; a connection over the port's cap is closed at once.
pub fn spawn(listener: TcpListener, name: &'static str, service: Arc<dyn RawService>, ctx: Arc<ServeContext>) {
    let counter = AtomicU64::new(0);
    let serving = ctx.clone();
    accept_each(listener, name, None, ctx, move |stream, peer, slot| {
        let label: Arc<str> = format!("{name}/{}", counter.fetch_add(1, Ordering::Relaxed) + 1).into();
        let session = service.open_session(label.clone());
        let ctx = serving.clone();
        serving.tracker.spawn(async move {
            let _slot = slot;
            run(stream, peer, name, label, session, ctx).await;
        });
    });
}

/// Why a write gave up.
enum Stalled {
    Failed,
    TooSlow,
    Shutdown,
    /// A `reset` fault reset the connection.
    Reset,
}

struct Driver {
    stream: TcpStream,
    session: Box<dyn RawSession>,
    ctx: Arc<ServeContext>,
    label: Arc<str>,
    out: Vec<Bytes>,
    /// The network faults that reach this connection, and the answers they hold until their sim time.
    shaper: Shaper,
    held: VecDeque<Held>,
    fault_changes: Changes,
    /// A fault armed a reset: the connection ends with a RST, not a FIN.
    reset: bool,
}

async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    name: &'static str,
    label: Arc<str>,
    session: Box<dyn RawSession>,
    ctx: Arc<ServeContext>,
) {
    tracing::debug!(conn = %label, %peer, "tcp connection");
    ctx.transcript
        .record(ctx.clock.now(), &label, Direction::In, RecordKind::Open, "tcp");
    let conn = ConnKey {
        device: ctx.faults.device_of(name),
        label: label.clone(),
    };
    let mut driver = Driver {
        stream,
        session,
        shaper: Shaper::open(ctx.faults.clone(), conn),
        held: VecDeque::new(),
        fault_changes: ctx.faults.changes(),
        reset: false,
        ctx,
        label,
        out: Vec::new(),
    };
    let record = driver.serve().await;
    let now = driver.ctx.clock.now();
    driver.session.on_close(now);
    if !driver.reset {
        let _ = tokio::time::timeout(SHUTDOWN_WRITE_GRACE, driver.stream.shutdown()).await;
    }
    driver
        .ctx
        .transcript
        .record(now, &driver.label, Direction::Out, RecordKind::Close, &record);
}

impl Driver {
    /// The main loop; returns the close record.
    async fn serve(&mut self) -> String {
        let now = self.ctx.clock.now();
        self.shaper.poll(now, &mut self.held);
        self.session.on_open(now, &mut self.out);
        match self.flush().await {
            Ok(None) => {}
            Ok(Some(close)) => return format!("closed by a fault: {close}"),
            Err(stalled) => return self.give_up(stalled),
        }
        let mut buffer = vec![0u8; READ_CHUNK];
        let shutdown = self.ctx.shutdown.clone().cancelled_owned();
        tokio::pin!(shutdown);
        loop {
            let deadline = self.session.next_deadline();
            let held_until = self.held.front().map(|h| h.at);
            let clock = self.ctx.clock.clone();
            let flow = tokio::select! {
                biased;
                _ = &mut shutdown => {
                    // What the faults still hold goes out before the connection ends.
                    self.shaper.release_all(self.ctx.clock.now(), &mut self.held);
                    let _ = self.flush().await;
                    return "server shutting down".into();
                }
                read = self.stream.read(&mut buffer) => match read {
                    Ok(0) => return "peer closed".into(),
                    Ok(n) => {
                        let now = self.ctx.clock.now();
                        self.ctx.transcript.record_binary(now, &self.label, Direction::In, &buffer[..n]);
                        self.session.on_bytes(now, &buffer[..n], &mut self.out)
                    }
                    Err(error) => return format!("read failed: {error}"),
                },
                _ = async { if let Some(t) = deadline { clock.sleep_until(t).await } }, if deadline.is_some() => {
                    self.session.on_deadline(self.ctx.clock.now(), &mut self.out);
                    Flow::Continue
                }
                _ = async { if let Some(t) = held_until { clock.sleep_until(t).await } }, if held_until.is_some() => {
                    Flow::Continue
                }
                Some(()) = self.fault_changes.next() => {
                    self.shaper.poll(self.ctx.clock.now(), &mut self.held);
                    Flow::Continue
                }
            };
            match self.flush().await {
                Ok(None) => {}
                Ok(Some(close)) => return format!("closed by a fault: {close}"),
                Err(stalled) => return self.give_up(stalled),
            }
            if let Flow::Close(reason) = flow {
                tracing::debug!(conn = %self.label, %reason, "closing the connection");
                return reason;
            }
        }
    }

    fn give_up(&self, stalled: Stalled) -> String {
        match stalled {
            Stalled::Failed => "write failed".into(),
            Stalled::TooSlow => {
                tracing::info!(conn = %self.label, "dropping a connection that stopped reading");
                format!("{} {}", TOO_SLOW.0, TOO_SLOW.1)
            }
            Stalled::Shutdown => "server shutting down (not delivered: the peer stopped reading)".into(),
            Stalled::Reset => "reset by a fault".into(),
        }
    }

    /// Writes everything in `out` (through the faults when any reach the connection: then what they hold back
    /// waits for its sim time); the close a fault ended the connection with, if one did.
    async fn flush(&mut self) -> Result<Option<String>, Stalled> {
        let now = self.ctx.clock.now();
        if !self.held.is_empty() || !self.shaper.is_idle(now) {
            for chunk in self.out.drain(..) {
                self.shaper.shape(now, Outgoing::Binary(chunk), &mut self.held);
            }
            return self.write_due(now).await;
        }
        if self.out.is_empty() {
            return Ok(None);
        }
        let chunks: Vec<Bytes> = self.out.drain(..).collect();
        for chunk in &chunks {
            self.ctx
                .transcript
                .record_binary(now, &self.label, Direction::Out, chunk);
        }
        // Several chunks (an answer and its feedback, reports caught up) go out in one write: one syscall.
        let joined = match chunks.as_slice() {
            [one] => one.clone(),
            many => Bytes::from(many.concat()),
        };
        self.write(&joined).await.map(|()| None)
    }

    /// Writes the held answers whose sim time has come in one write; a reset ends the connection at once, and a
    /// close (a `close` or `close-after` fault: TCP has no close frame, so a FIN) ends it after what came before.
    async fn write_due(&mut self, now: SimTime) -> Result<Option<String>, Stalled> {
        let mut joined = Vec::new();
        let mut closed = None;
        while let Some(item) = self.held.pop_front() {
            if item.at > now {
                self.held.push_front(item);
                break;
            }
            match item.wire {
                Wire::Reset => {
                    self.stream.abort();
                    self.reset = true;
                    return Err(Stalled::Reset);
                }
                Wire::Message(Message::Binary(bytes)) => joined.extend_from_slice(&bytes),
                Wire::Message(_) => {}
            }
            if let Record::Close(close) = item.record {
                closed = Some(close);
                self.held.clear();
                break;
            }
            item.record.write(&self.ctx.transcript, item.at, &self.label);
        }
        if !joined.is_empty() {
            self.write(&joined).await?;
        }
        Ok(closed)
    }

    /// One write of `bytes`, bounded by `WRITE_TIMEOUT` (once shutdown has begun, a short grace).
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Stalled> {
        let shutting_down = self.ctx.shutdown.is_cancelled();
        let limit = if shutting_down {
            SHUTDOWN_WRITE_GRACE
        } else {
            WRITE_TIMEOUT
        };
        let stream = &mut self.stream;
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        tokio::select! {
            written = tokio::time::timeout(limit, write) => match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Stalled::Failed),
                Err(_) if shutting_down => Err(Stalled::Shutdown),
                Err(_) => Err(Stalled::TooSlow),
            },
            _ = self.ctx.shutdown.cancelled(), if !shutting_down => Err(Stalled::Shutdown),
        }
    }
}

//! What a device plugs into the serve layer: its endpoints (one per listening socket), the per-connection
//! `Session` that turns frames into replies, plain HTTP on the same port, and its control commands.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SimTime};
use understudy_core::proto::http::{HttpRequest, HttpResponse};

pub use understudy_core::proto::frame::{CloseCode, Outgoing, SharedText};

/// Facts about one accepted WebSocket connection, handed to the device when its session opens.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// The connection's label in logs and the transcript, e.g. `endrpi/3`.
    pub label: Arc<str>,
    /// The request path, without the query string.
    pub path: String,
    /// The raw query string, if any (may hold secrets: never log it).
    pub query: Option<String>,
    /// Where to push frames that are not replies to a request (reports, fan-out).
    pub push: mpsc::Sender<Outgoing>,
}

/// One WebSocket connection's protocol state. Methods are synchronous and sans-IO: they get the sim time
/// and append what to send to `out`.
pub trait Session: Send + 'static {
    /// Called once, right after the upgrade.
    fn on_open(&mut self, _now: SimTime, _out: &mut Vec<Outgoing>) {}
    /// A text frame arrived.
    fn on_text(&mut self, now: SimTime, text: &str, out: &mut Vec<Outgoing>);
    /// A binary frame arrived.
    fn on_binary(&mut self, now: SimTime, data: &[u8], out: &mut Vec<Outgoing>);
    /// The next sim time at which `on_deadline` wants to run, if any.
    fn next_deadline(&self) -> Option<SimTime> {
        None
    }
    /// The deadline returned by `next_deadline` was reached.
    fn on_deadline(&mut self, _now: SimTime, _out: &mut Vec<Outgoing>) {}
    /// The connection is gone (closed by either side, or the server is shutting down).
    fn on_close(&mut self, _now: SimTime) {}
}

/// How a device answers a WebSocket upgrade request.
pub struct Upgrade {
    /// The subprotocol to echo in `Sec-WebSocket-Protocol`, if any.
    pub subprotocol: Option<String>,
}

/// One listening socket of a device and how it answers.
pub trait Service: Send + Sync + 'static {
    /// Decides whether to accept a WebSocket upgrade; `Err` is the HTTP response sent instead.
    // tungstenite's own response type is large; it is built once per refused handshake.
    #[allow(clippy::result_large_err)]
    fn upgrade(&self, request: &Request) -> Result<Upgrade, ErrorResponse>;
    /// Like `upgrade`, knowing the peer's address (for a device that logs refusals). Defaults to `upgrade`.
    #[allow(clippy::result_large_err)]
    fn upgrade_from(&self, request: &Request, _peer: SocketAddr) -> Result<Upgrade, ErrorResponse> {
        self.upgrade(request)
    }
    /// Starts the protocol state for an accepted connection.
    fn open_session(&self, conn: ConnInfo) -> Box<dyn Session>;
    /// Whether a plain HTTP request with this `Authorization` header may be answered; `Err` is the answer
    /// sent instead (before the body is read). Defaults to allowing every request.
    fn authorize_http(&self, _authorization: Option<&str>) -> Result<(), HttpResponse> {
        Ok(())
    }
    /// Answers a plain HTTP request on the same port.
    fn http(&self, now: SimTime, request: HttpRequest) -> HttpResponse;
    /// Whether the transcript may hold this endpoint's HTTP bodies (the control API's may hold tokens: not).
    fn records_bodies(&self) -> bool {
        true
    }
    /// A page answered before `authorize_http`, without a body: static files that hold no state (the
    /// dashboard's page, which then sends the token itself). `accept` is the `Accept` header. Defaults to none.
    fn public_page(&self, _method: &str, _path: &str, _accept: Option<&str>) -> Option<HttpResponse> {
        None
    }
    /// Headers added to every `101 Switching Protocols` answer (a firmware's `Server:` line). Defaults to none.
    fn upgrade_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Like `http`, for a device that reads the request's `Cookie` header and sets headers of its own
    /// (`Set-Cookie`, `Content-Encoding`, `Cache-Control`). Defaults to `http` with no extra headers.
    fn http_with_headers(&self, now: SimTime, request: HttpRequest, _cookie: Option<&str>) -> HttpAnswer {
        HttpAnswer {
            response: self.http(now, request),
            headers: Vec::new(),
        }
    }
    /// Like `http_with_headers`, for a service whose answer waits for work of its own (the control API's
    /// reset). Defaults to `http_with_headers`, answered at once.
    fn http_async(&self, now: SimTime, request: HttpRequest, cookie: Option<&str>) -> AnswerFuture<'_> {
        Box::pin(std::future::ready(self.http_with_headers(now, request, cookie)))
    }
}

/// An answer [`Service::http_async`] is still working on.
pub type AnswerFuture<'a> = Pin<Box<dyn Future<Output = HttpAnswer> + Send + 'a>>;

/// An HTTP response with the headers a device sets beyond `Content-Type` and `Location`.
pub struct HttpAnswer {
    /// The response.
    pub response: HttpResponse,
    /// Extra `(name, value)` headers.
    pub headers: Vec<(&'static str, String)>,
}

impl From<HttpResponse> for HttpAnswer {
    fn from(response: HttpResponse) -> Self {
        HttpAnswer {
            response,
            headers: Vec::new(),
        }
    }
}

/// A listening socket a device wants, with its default port.
pub struct EndpointSpec {
    /// The name printed at start and used for `--<name>-port`, e.g. `endrpi`.
    pub name: &'static str,
    /// The port used when none is given.
    pub default_port: u16,
    /// The URL scheme clients use (`ws` or `wss`).
    pub scheme: &'static str,
    /// The WebSocket path printed in the URL, e.g. `/` or `/ws`.
    pub path: &'static str,
    /// The service behind the socket.
    pub service: Arc<dyn Service>,
    /// Serve TLS with this configuration (then `scheme` is `wss`); `None` serves plain TCP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Why a control command failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ControlError {
    #[error("unknown command `{0}`")]
    UnknownCommand(String),
    #[error("bad arguments: {0}")]
    BadArguments(String),
}

/// Why a device cannot be built from its options.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// Its TLS certificate or key cannot be made, read or written.
    #[error(transparent)]
    Tls(#[from] crate::serve::tls::TlsError),
    /// Its options do not describe a device that can run (a bad URL, an unreadable file ...).
    #[error("{0}")]
    Options(String),
}

/// A device fault a control command injects (`POST /devices/<device>/<command>`), as `GET /faults` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceFault {
    /// The control command.
    pub command: &'static str,
    /// Its JSON arguments, e.g. `{"code": <controller error code>}` (`{}` for none).
    pub args: &'static str,
    /// What it does to the device.
    pub effect: &'static str,
}

/// A running simulated device: its endpoints and its control commands (fault injection, forced states).
pub trait Device: Send + Sync + 'static {
    /// The device's name, e.g. `endrpi`; a fleet device's label, e.g. `endrpi-17`.
    fn name(&self) -> &'static str;
    /// The device's kind, the registry's name for it (`endrpi`). Defaults to its name.
    fn kind(&self) -> &'static str {
        self.name()
    }
    /// Its index (from 1) when it is one device of a fleet (`--fleet`). Defaults to none.
    fn fleet_index(&self) -> Option<u32> {
        None
    }
    /// The sockets it serves.
    fn endpoints(&self) -> Vec<EndpointSpec>;
    /// The raw TCP sockets it serves beside them (a binary protocol of its own). Defaults to none.
    fn raw_endpoints(&self) -> Vec<crate::serve::raw::RawEndpointSpec> {
        Vec::new()
    }
    /// Runs a control command (`@sim-only` scenarios and the control API use these).
    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError>;
    /// What the dashboard shows of the device at `now`, as JSON. It only reads: nothing a client sees
    /// changes because a dashboard looked. Defaults to `null` (nothing to draw but the common parts).
    fn view(&self, _now: SimTime) -> Value {
        Value::Null
    }
    /// The control commands that inject a device fault (listed by `GET /faults` with the network faults).
    fn device_faults(&self) -> &'static [DeviceFault] {
        &[]
    }
    /// `(key, value)` lines printed at start for clients, e.g. a certificate file to trust.
    fn announcements(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Called once every endpoint is bound, with the endpoints of this device (a device that reports its own
    /// ports to clients learns them here when they were chosen by the system).
    fn bound(&self, _endpoints: &[&crate::serve::BoundEndpoint]) {}
    /// A task the device runs for its whole life (physics ticks, periodic publications), driven by sim
    /// time through `clock.sleep_until`. It must return once `shutdown` is cancelled.
    fn background(self: Arc<Self>, _clock: Arc<Clock>, _shutdown: CancellationToken) -> Option<BackgroundTask> {
        None
    }
}

/// A device's background task.
pub type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

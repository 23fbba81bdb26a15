//! One agent's life on the network: the sans-IO agent fed its time, REST answers and socket events, through the
//! network faults that reach it (frames shaped, REST calls refused, cut or held, an unreachable server).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::server::ServerUrl;
use crate::clock::{Clock, SimTime};
use crate::serve::device::Outgoing;
use crate::serve::faults::exchange::{ExchangeFaults, REFUSED_BODY, Stop};
use crate::serve::faults::reset::Abort;
use crate::serve::faults::shaper::{Held, Shaper, Wire};
use crate::serve::faults::{ConnKey, Faults};
use crate::serve::http_client::{self, ClientRequest};
use crate::serve::outbound::{Dialer, Stream};
use crate::transcript::{Direction, RecordKind, Transcript};
use understudy_core::proto::obico::{Frame, LinkAction, LinkEvent, ObicoAgent, OctoState, RestCall};

/// How long the upgrade may take once connected.
pub const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one frame may take to be written.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a closing socket is read for its last frames.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// The socket's path (the link asks for no other).
const WS_PATH: &str = "/ws/dev/";
/// The largest server frame accepted.
const MAX_FRAME: usize = 1 << 20;

type Ws = WebSocketStream<Stream>;
type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where the agents dial and how.
#[derive(Debug)]
pub struct Net {
    /// The server's endpoint prefix.
    pub url: ServerUrl,
    /// Plain or TLS.
    pub dialer: Dialer,
    /// Where every REST call, socket and frame is recorded.
    pub transcript: Arc<Transcript>,
    /// The network faults that may reach the agents' connections.
    pub faults: Arc<Faults>,
}

/// What control commands and the agent's task share.
#[derive(Debug)]
pub struct AgentState {
    /// The agent and its printer.
    pub agent: ObicoAgent,
    /// Actions a control command produced, for the task to carry out.
    pub pending: Vec<LinkAction>,
    /// A file to print once the socket is open and the printer operational.
    pub print_on_connect: Option<String>,
}

/// One agent of the fleet.
#[derive(Debug)]
pub struct Slot {
    name: String,
    state: Mutex<AgentState>,
    wake: Notify,
}

impl Slot {
    /// A slot for the agent `name` (its label in the transcript).
    pub fn new(name: String, state: AgentState) -> Self {
        Slot {
            name,
            state: Mutex::new(state),
            wake: Notify::new(),
        }
    }

    /// The agent's name (`obico-1`), the prefix of its connections' labels.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn lock(&self) -> MutexGuard<'_, AgentState> {
        // A panic elsewhere cannot leave the agent half-updated in a way that matters more than stopping it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the agent without waking its task (the dashboard looks; nothing changes).
    pub fn read<R>(&self, f: impl FnOnce(&AgentState) -> R) -> R {
        f(&self.lock())
    }

    /// Runs `f` on the agent (a control command), then wakes its task to send what it queued.
    pub fn with<R>(&self, f: impl FnOnce(&mut AgentState) -> R) -> R {
        let result = f(&mut self.lock());
        self.wake.notify_one();
        result
    }

    /// Advances the agent to `now`; returns what to do and when to come back.
    fn step(&self, now: SimTime, todo: &mut VecDeque<LinkAction>) -> SimTime {
        let mut state = self.lock();
        todo.extend(state.pending.drain(..));
        todo.extend(state.agent.advance(now));
        let ready = state.agent.link().is_open() && state.agent.state() == OctoState::Operational;
        if ready && let Some(path) = state.print_on_connect.take() {
            match state.agent.start_print(now, &path) {
                Ok(actions) => todo.extend(actions),
                Err(error) => tracing::warn!(%error, path, "obico: cannot start the print"),
            }
        }
        // A deadline already passed would spin: the next millisecond is the soonest a timer can matter.
        state
            .agent
            .next_deadline()
            .filter(|d| *d > now)
            .unwrap_or(now.plus_millis(1))
    }

    fn feed(&self, now: SimTime, event: LinkEvent) -> Vec<LinkAction> {
        self.lock().agent.handle_link(now, event)
    }
}

/// A REST call's answer and its transcript summary (`GET /path -> 200`).
struct RestDone {
    call: RestCall,
    status: u16,
    body: String,
    summary: String,
}

/// What woke the task.
enum Input {
    Nothing,
    /// A held frame's sim time came.
    Held,
    /// The network faults changed.
    FaultsChanged,
    Rest(RestDone),
    Opened(Result<Box<Ws>, u16>),
    Frame(Option<Result<Message, WsError>>),
}

/// Runs one agent from sim time `start` until `shutdown`.
pub async fn run(slot: Arc<Slot>, net: Arc<Net>, clock: Arc<Clock>, start: SimTime, shutdown: CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = clock.sleep_until(start) => {}
    }
    let mut ws: Option<Box<Ws>> = None;
    let mut opening: Option<Pending<Result<Box<Ws>, u16>>> = None;
    let mut rest: FuturesUnordered<Pending<RestDone>> = FuturesUnordered::new();
    let mut todo = VecDeque::new();
    let record = |conn: &str, dir: Direction, kind: RecordKind, data: &str| {
        net.transcript.record(clock.now(), conn, dir, kind, data);
    };
    let http_label = format!("{}/http", slot.name);
    let (mut label, mut sockets) = (String::new(), 0u32);
    let dialing = ConnKey {
        device: "obico",
        label: http_label.as_str().into(),
    };
    let mut rest_faults = ExchangeFaults::new(net.faults.clone(), dialing.clone());
    let mut shaper: Option<Shaper> = None;
    let mut held: VecDeque<Held> = VecDeque::new();
    let mut fault_changes = net.faults.changes();
    loop {
        let deadline = slot.step(clock.now(), &mut todo);
        while let Some(action) = todo.pop_front() {
            match action {
                LinkAction::Rest {
                    call,
                    method,
                    path,
                    authorization,
                    form,
                } => {
                    if let Some(outage) = out_of_reach(&net.faults, &dialing) {
                        let summary = format!("{method} {path} -> 0 ({outage})");
                        rest.push(Box::pin(std::future::ready(RestDone {
                            call,
                            status: 0,
                            body: String::new(),
                            summary,
                        })));
                        continue;
                    }
                    let body_len = http_client::form_urlencoded(&form).len();
                    let made = rest_call(net.clone(), call, method, path.clone(), authorization, form);
                    rest.push(faulted_rest(
                        &mut rest_faults,
                        &clock,
                        body_len,
                        (call, method, path),
                        made,
                    ));
                }
                LinkAction::OpenWs { path, authorization } => {
                    opening = Some(match out_of_reach(&net.faults, &dialing) {
                        Some(_) => Box::pin(std::future::ready(Err(0))),
                        None => Box::pin(open_ws(net.clone(), path, authorization)),
                    });
                }
                LinkAction::Send(frame) => {
                    let Some(socket) = ws.as_mut() else { continue };
                    let now = clock.now();
                    let idle = shaper.as_mut().is_none_or(|s| s.is_idle(now));
                    let shaped = if held.is_empty() && idle { None } else { shaper.as_mut() };
                    let sent = match shaped {
                        Some(shaper) => {
                            let outgoing = match frame {
                                Frame::Text(text) => Outgoing::Text(text),
                                Frame::Binary(bytes) => Outgoing::Binary(bytes.into()),
                            };
                            shaper.shape(now, outgoing, &mut held);
                            send_due(socket, &mut held, &net.transcript, now, &label).await
                        }
                        None => {
                            match &frame {
                                Frame::Text(text) => record(&label, Direction::Out, RecordKind::Text, text),
                                Frame::Binary(bytes) => {
                                    net.transcript.record_binary(now, &label, Direction::Out, bytes)
                                }
                            }
                            send(socket, frame).await
                        }
                    };
                    if !sent {
                        ws = None;
                        held.clear();
                        record(&label, Direction::In, RecordKind::Close, "1006");
                        todo.extend(slot.feed(clock.now(), LinkEvent::WsClosed(1006)));
                    }
                }
            }
        }
        let held_until = held.front().map(|h| h.at);
        let input = tokio::select! {
            _ = shutdown.cancelled() => {
                if let Some(socket) = ws.as_mut() {
                    record(&label, Direction::Out, RecordKind::Close, "1001");
                    let going_away = CloseFrame { code: WsCloseCode::Away, reason: "".into() };
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, Ws::close(socket, Some(going_away))).await;
                }
                return;
            }
            _ = slot.wake.notified() => Input::Nothing,
            _ = async { if let Some(t) = held_until { clock.sleep_until(t).await } }, if held_until.is_some() => {
                Input::Held
            }
            Some(()) = fault_changes.next() => Input::FaultsChanged,
            _ = clock.sleep_until(deadline) => Input::Nothing,
            Some(done) = rest.next(), if !rest.is_empty() => Input::Rest(done),
            opened = async { match opening.as_mut() { Some(f) => f.await, None => std::future::pending().await } },
                if opening.is_some() => Input::Opened(opened),
            frame = async { match ws.as_mut() { Some(s) => s.next().await, None => std::future::pending().await } },
                if ws.is_some() => Input::Frame(frame),
        };
        let now = clock.now();
        match input {
            Input::Nothing => {}
            Input::Held | Input::FaultsChanged => {
                if let (Some(shaper), Input::FaultsChanged) = (shaper.as_mut(), &input) {
                    shaper.poll(now, &mut held);
                }
                if let Some(socket) = ws.as_mut() {
                    if !send_due(socket, &mut held, &net.transcript, now, &label).await {
                        ws = None;
                        held.clear();
                        record(&label, Direction::In, RecordKind::Close, "1006");
                        todo.extend(slot.feed(now, LinkEvent::WsClosed(1006)));
                    }
                }
            }
            Input::Rest(done) => {
                record(&http_label, Direction::Out, RecordKind::Http, &done.summary);
                todo.extend(slot.feed(now, LinkEvent::RestAnswered(done.call, done.status, done.body)));
            }
            Input::Opened(result) => {
                opening = None;
                let event = match result {
                    Ok(socket) => {
                        ws = Some(socket);
                        sockets += 1;
                        label = format!("{}/{sockets}", slot.name);
                        record(&label, Direction::Out, RecordKind::Open, WS_PATH);
                        held.clear();
                        let conn = ConnKey {
                            device: "obico",
                            label: label.as_str().into(),
                        };
                        shaper = Some(Shaper::open(net.faults.clone(), conn));
                        if let Some(shaper) = shaper.as_mut() {
                            shaper.poll(now, &mut held);
                        }
                        LinkEvent::WsOpened
                    }
                    Err(status) => {
                        record(
                            &http_label,
                            Direction::Out,
                            RecordKind::Http,
                            &format!("GET {WS_PATH} -> {status}"),
                        );
                        LinkEvent::WsRefused(status)
                    }
                };
                todo.extend(slot.feed(now, event));
            }
            Input::Frame(Some(Ok(Message::Text(text)))) => {
                record(&label, Direction::In, RecordKind::Text, text.as_str());
                todo.extend(slot.lock().agent.receive_text(now, text.as_str()));
            }
            Input::Frame(Some(Ok(Message::Binary(bytes)))) => {
                net.transcript.record_binary(now, &label, Direction::In, &bytes);
                todo.extend(slot.lock().agent.receive_binary(now, &bytes));
            }
            Input::Frame(Some(Ok(Message::Close(frame)))) => {
                let code = frame.map_or(1005, |f| u16::from(f.code));
                record(&label, Direction::In, RecordKind::Close, &code.to_string());
                if let Some(mut socket) = ws.take() {
                    // Let the close handshake finish (tungstenite answers the close frame itself).
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async { while socket.next().await.is_some() {} }).await;
                }
                todo.extend(slot.feed(now, LinkEvent::WsClosed(code)));
            }
            Input::Frame(Some(Ok(_))) => {}
            Input::Frame(None | Some(Err(_))) => {
                ws = None;
                record(&label, Direction::In, RecordKind::Close, "1006");
                todo.extend(slot.feed(now, LinkEvent::WsClosed(1006)));
            }
        }
    }
}

/// A REST call `made` now (its request body `body_len` bytes) as the faults on `AGENT/http` let it go:
/// a refusal answers its status without reaching the server, a reset fails it at once, a hang leaves it
/// unanswered until the agent's own time-out, and a stall, a delay or the bandwidth sends it late in sim time.
fn faulted_rest(
    faults: &mut ExchangeFaults,
    clock: &Arc<Clock>,
    body_len: usize,
    (call, method, path): (RestCall, &'static str, String),
    made: impl Future<Output = RestDone> + Send + 'static,
) -> Pending<RestDone> {
    let failed = move |status: u16, body: &str, why: &str| RestDone {
        call,
        status,
        body: body.to_string(),
        summary: format!("{method} {path} -> {status} ({why})"),
    };
    match faults.stop() {
        Some(Stop::Refuse(status)) => Box::pin(std::future::ready(failed(status, REFUSED_BODY, "refused by a fault"))),
        Some(Stop::Reset) => Box::pin(std::future::ready(failed(0, "", "connection reset by a fault"))),
        Some(Stop::Hang) => Box::pin(async move {
            tokio::time::sleep(http_client::EXCHANGE_TIMEOUT).await;
            failed(0, "", "no answer: held by a fault")
        }),
        None => {
            let now = clock.now();
            let at = faults.answer_at(now, body_len);
            if at <= now {
                return Box::pin(made);
            }
            let clock = clock.clone();
            Box::pin(async move {
                clock.sleep_until(at).await;
                made.await
            })
        }
    }
}

/// Whether an `unreachable` fault keeps the server out of reach now: what it says, recorded as it acts.
fn out_of_reach(faults: &Faults, dialing: &ConnKey) -> Option<String> {
    let (active, until) = faults.unreachable(dialing)?;
    let what = format!("server unreachable until {} ms", until.as_millis());
    faults.record(&dialing.label, &active, &what);
    Some(what)
}

/// Writes the held items whose sim time has come; `false` when the socket failed or a fault reset it.
async fn send_due(
    socket: &mut Ws,
    held: &mut VecDeque<Held>,
    transcript: &Transcript,
    now: SimTime,
    label: &str,
) -> bool {
    while let Some(item) = held.pop_front() {
        if item.at > now {
            held.push_front(item);
            break;
        }
        let message = match item.wire {
            Wire::Reset => {
                socket.get_ref().abort();
                return false;
            }
            Wire::Message(message) => message,
        };
        item.record.write(transcript, item.at, label);
        if !matches!(
            tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
            Ok(Ok(()))
        ) {
            return false;
        }
    }
    true
}

/// Writes one frame; `false` when the socket failed.
async fn send(socket: &mut Ws, frame: Frame) -> bool {
    let message = match frame {
        Frame::Text(text) => Message::text(text),
        Frame::Binary(bytes) => Message::binary(bytes),
    };
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
        Ok(Ok(()))
    )
}

/// One REST call; status 0 when there was no answer (refused, TLS failure, time-out).
async fn rest_call(
    net: Arc<Net>,
    call: RestCall,
    method: &'static str,
    path: String,
    authorization: String,
    form: Vec<(String, String)>,
) -> RestDone {
    let path = net.url.path(&path);
    let body = http_client::form_urlencoded(&form);
    let result = async {
        let stream = net
            .dialer
            .open(&net.url.host, net.url.port)
            .await
            .map_err(|e| e.to_string())?;
        let request = ClientRequest {
            method,
            host: &net.url.authority,
            path: &path,
            headers: &[("Authorization", authorization.as_str())],
            body: (method == "POST").then_some(("application/x-www-form-urlencoded", body.as_bytes())),
        };
        http_client::send(stream, &request).await.map_err(|e| e.to_string())
    }
    .await;
    let (status, body) = match result {
        Ok(response) => (response.status, response.body),
        Err(error) => {
            tracing::debug!(%error, path, "obico: REST call got no answer");
            (0, String::new())
        }
    };
    RestDone {
        call,
        status,
        body,
        summary: format!("{method} {path} -> {status}"),
    }
}

/// Opens the socket: connect, then the upgrade with `authorization`; the refusal's HTTP status, 0 for none.
async fn open_ws(net: Arc<Net>, path: &'static str, authorization: String) -> Result<Box<Ws>, u16> {
    let stream = net.dialer.open(&net.url.host, net.url.port).await.map_err(|error| {
        tracing::debug!(%error, "obico: cannot reach the server's socket");
        0u16
    })?;
    let mut request = net.url.ws_url(path).into_client_request().map_err(|_| 0u16)?;
    let headers = request.headers_mut();
    let origin = format!("{}://{}", if net.url.tls { "https" } else { "http" }, net.url.authority);
    headers.insert("origin", HeaderValue::from_str(&origin).map_err(|_| 0u16)?);
    headers.insert(
        "authorization",
        HeaderValue::from_str(&authorization).map_err(|_| 0u16)?,
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    let upgrade = tokio_tungstenite::client_async_with_config(request, stream, Some(config));
    match tokio::time::timeout(UPGRADE_TIMEOUT, upgrade).await {
        Ok(Ok((socket, _))) => Ok(Box::new(socket)),
        Ok(Err(WsError::Http(response))) => Err(response.status().as_u16()),
        Ok(Err(error)) => {
            tracing::debug!(%error, "obico: the upgrade failed");
            Err(0)
        }
        Err(_) => Err(0),
    }
}

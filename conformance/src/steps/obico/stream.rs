//! The agent's side of a scenario: its server (the run's, or the scenario's own in process), the socket
//! it opened, every frame it sent (checked as it is read), reconnects adopted as they come, and device
//! time passing: a virtual clock in steps while the socket is read, or the wall clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use understudy_core::proto::obico::bson;

use super::checks::{self, Kind, Prints, Problems};
use crate::client::Frame;
use crate::obico::ObicoServer;
use crate::steps::{Check, MAIN};

/// The target name of the Obico agent.
pub const ENDPOINT: &str = "obico";
/// A virtual clock moves this far at a time while the socket is read.
pub const STEP_MS: u64 = 250;
/// How long the socket must stay quiet after a virtual step before time moves on.
const QUIET: Duration = Duration::from_millis(25);

/// One frame from the agent.
#[derive(Clone, Debug)]
pub struct Got {
    /// The socket it came on (1 = the scenario's first).
    pub conn: usize,
    /// When, in device milliseconds since the scenario's first socket.
    pub device_ms: u64,
    /// Its kind.
    pub kind: Kind,
    /// The frame (BSON frames decoded).
    pub value: Value,
}

/// The Obico part of a scenario's state.
#[derive(Debug, Default)]
pub struct ObicoState {
    /// The server the agent dials: the run's, or (in process) the scenario's own.
    pub server: Option<Arc<ObicoServer>>,
    /// Sockets the agent opened in this scenario; the newest is the connection `main`.
    pub sockets: usize,
    /// Whether `main` is open.
    pub open: bool,
    /// How the last socket ended, if it did.
    pub ended: Option<String>,
    /// Every frame, in arrival order.
    pub frames: Vec<Got>,
    /// Device time the scenario let pass on a virtual clock (ms).
    pub virtual_ms: u64,
    /// When the first socket was taken (for device time on the wall clock).
    pub started: Option<Instant>,
    /// Whether the first socket was the first the agent ever opened to this server.
    pub first_socket_ever: bool,
    /// Problems found frame by frame, by rule.
    pub problems: Problems,
    /// `_ts` of the last status frame on the current socket.
    pub last_ts: Option<f64>,
    /// The print life cycle.
    pub prints: Prints,
    /// The frame count when the checker last sent something.
    pub mark: usize,
    /// The socket count when the checker last closed the socket.
    pub sockets_at_mark: usize,
}

/// The scenario's Obico state.
pub fn obico(world: &mut Check) -> &mut ObicoState {
    world.state::<ObicoState>()
}

/// Whether the device's time is virtual.
pub async fn is_virtual(world: &mut Check) -> Result<bool, String> {
    Ok(world.target()?.virtual_clock().await?)
}

/// Device milliseconds since the scenario's first socket.
pub fn now_ms(state: &ObicoState, virtual_time: bool) -> u64 {
    if virtual_time {
        state.virtual_ms
    } else {
        state
            .started
            .map_or(0, |t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX))
    }
}

fn problem(state: &mut ObicoState, rule: &'static str, text: String) {
    state.problems.entry(rule).or_default().push(text);
}

/// Takes `socket` as the connection `main`.
pub fn adopt(world: &mut Check, socket: crate::client::WsClient) {
    world.conns.insert(MAIN.to_string(), socket);
    let state = obico(world);
    state.sockets += 1;
    state.open = true;
    state.ended = None;
    state.last_ts = None;
    state.started.get_or_insert_with(Instant::now);
}

/// What one read brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A frame, at this index of the state's frames.
    Frame(usize),
    /// Nothing within the wait.
    Quiet,
    /// The socket is not open (any more).
    Closed,
}

/// Reads one frame from `main` (at most `wait`), checks it and keeps it. When no socket is open, a socket
/// the agent opened meanwhile becomes `main`.
pub async fn read(world: &mut Check, wait: Duration) -> Result<Read, String> {
    if !obico(world).open {
        let server = obico(world).server.clone();
        match server {
            Some(server) => match server.waiting_socket().await {
                Some(socket) => adopt(world, socket),
                None => {
                    tokio::time::sleep(wait.min(QUIET)).await;
                    return Ok(Read::Closed);
                }
            },
            None => return Ok(Read::Closed),
        }
    }
    let frame = world.conn(MAIN)?.next_frame(wait).await;
    let value = match frame {
        // `next_frame` answers pings itself and never reports them.
        Frame::Timeout | Frame::Ping => return Ok(Read::Quiet),
        Frame::Text(text) => match serde_json::from_str::<Value>(&text) {
            Ok(value) => value,
            Err(e) => {
                let state = obico(world);
                problem(state, "OBICO-34", format!("a text frame is not JSON ({e}): {text}"));
                return Ok(Read::Quiet);
            }
        },
        Frame::Binary(bytes) => match bson::decode_document(&bytes) {
            Ok(fields) => bson::to_json(&bson::Bson::Document(fields)),
            Err(e) => {
                let state = obico(world);
                problem(state, "OBICO-34", format!("a binary frame of {} bytes is not BSON ({e})", bytes.len()));
                return Ok(Read::Quiet);
            }
        },
        Frame::Close(code, reason) => {
            end(world, format!("closed by the agent with {code} {reason:?}"));
            return Ok(Read::Closed);
        }
        Frame::Dropped(why) => {
            end(world, format!("dropped: {why}"));
            return Ok(Read::Closed);
        }
    };
    Ok(Read::Frame(keep(world, value).await?))
}

fn end(world: &mut Check, how: String) {
    world.conns.remove(MAIN);
    let state = obico(world);
    state.open = false;
    state.ended = Some(how);
}

/// Checks a frame by the rules that apply to each frame, and keeps it.
async fn keep(world: &mut Check, value: Value) -> Result<usize, String> {
    let virtual_time = is_virtual(world).await?;
    let Some(kind) = checks::kind(&value) else {
        let state = obico(world);
        problem(state, "OBICO-34", format!("a frame is not a JSON object: {value}"));
        let at = now_ms(state, virtual_time);
        return Ok(push(state, at, Kind::Empty, value));
    };
    let schema = match kind {
        Kind::Status => Some("obico/status-frame"),
        Kind::PassthruReply => Some("obico/passthru-reply"),
        _ => None,
    };
    let mut schema_problems = Vec::new();
    if let Some(schema) = schema {
        if let Err(e) = world.check_schema(schema, &value) {
            schema_problems.push(e);
        }
    }
    if let Some(settings) = value.get("settings") {
        if let Err(e) = world.check_schema("obico/settings", settings) {
            schema_problems.push(e);
        }
    }
    if let Some(event) = value.get("event") {
        if let Err(e) = world.check_schema("obico/event", event) {
            schema_problems.push(format!("{e} (OBICO-36)"));
        }
    }
    let state = obico(world);
    for text in schema_problems {
        problem(state, "OBICO-34", text);
    }
    if kind == Kind::Status {
        status_checks(state, &value);
    }
    let at = now_ms(state, virtual_time);
    Ok(push(state, at, kind, value))
}

fn push(state: &mut ObicoState, device_ms: u64, kind: Kind, value: Value) -> usize {
    state.frames.push(Got {
        conn: state.sockets,
        device_ms,
        kind,
        value,
    });
    state.frames.len() - 1
}

fn status_checks(state: &mut ObicoState, frame: &Value) {
    let status = &frame["status"];
    if let Some(problem_text) = status.get("state").and_then(checks::flags_problem) {
        problem(state, "OBICO-35", problem_text);
    }
    if let Some(ts) = status.get("_ts").and_then(Value::as_f64) {
        if let Some(last) = state.last_ts.filter(|last| ts < *last) {
            problem(
                state,
                "OBICO-38",
                format!("status._ts went back from {last} to {ts} on one connection"),
            );
        }
        state.last_ts = Some(ts);
    }
    if let Some(cpts) = frame.get("current_print_ts").and_then(Value::as_i64) {
        let event = frame["event"]["event_type"].as_str();
        let text = status["state"]["text"].as_str();
        state.prints.observe(cpts, event, text);
        for text in std::mem::take(&mut state.prints.problems) {
            problem(state, "OBICO-37", text);
        }
    }
}

/// Lets `ms` of device time pass while `main` is read: a virtual clock in steps of [`STEP_MS`], or the wall clock.
pub async fn pass(world: &mut Check, ms: u64) -> Result<(), String> {
    wait_for(world, ms, |_| false).await.map(|_| ())
}

/// Reads (letting device time pass, at most `ms`) until `found` holds for the frames from the mark on;
/// returns whether it did.
pub async fn wait_for(world: &mut Check, ms: u64, found: impl Fn(&ObicoState) -> bool) -> Result<bool, String> {
    if is_virtual(world).await? {
        drain(world).await?;
        let mut left = ms;
        loop {
            if found(obico(world)) {
                return Ok(true);
            }
            if left == 0 {
                return Ok(false);
            }
            let step = left.min(STEP_MS);
            world.target()?.advance(step).await?;
            obico(world).virtual_ms += step;
            left -= step;
            drain(world).await?;
        }
    }
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        if found(obico(world)) {
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        read(world, left.min(Duration::from_millis(250))).await?;
    }
}

/// Reads until the socket stays quiet for [`QUIET`] (bounded).
pub async fn drain(world: &mut Check) -> Result<(), String> {
    for _ in 0..10_000 {
        if !matches!(read(world, QUIET).await?, Read::Frame(_)) {
            return Ok(());
        }
    }
    Ok(())
}

//! The xArm connections of a scenario: each frame read is classified (keys, info, status, response), checked
//! against its schema and kept; time passes on a virtual clock one report period at a time, in lockstep over
//! every open connection, or in real time against a physical arm.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::checks::Sample;
use crate::client::{Frame, REPLY_TIMEOUT};
use crate::steps::Check;

/// The target name of the xArm.
pub const ENDPOINT: &str = "xarm";
/// Status reports showing an idle or stopped arm, with no final answer yet, before a wait for one fails.
pub const IDLE_REPORTS: usize = 30;
/// The most report periods of simulated time a wait for a final answer runs.
const SIM_WAIT_PERIODS: u64 = 1200;
/// The most real time a wait for a final answer runs against a physical arm.
const REAL_WAIT: Duration = Duration::from_secs(120);

/// The in-process simulator's report period (ms): its default report rate.
pub fn sim_period_ms() -> u64 {
    1000 / u64::from(understudy_sim::serve::xarm::DEFAULT_REPORT_HZ)
}

/// What a frame was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keys,
    Info,
    Status,
    Response,
}

/// Everything read on one xArm connection.
#[derive(Debug, Default)]
pub struct Stream {
    /// The key names, once the keys report arrived.
    pub keys: Option<Vec<String>>,
    /// The kinds of the first frames, in arrival order.
    pub opening: Vec<Kind>,
    /// Status reports that arrived before the keys report (they cannot be decoded).
    pub early_status: usize,
    /// The info report's data.
    pub info: Option<Value>,
    /// The latest status report, decoded.
    pub status: Option<Sample>,
    /// Status reports decoded so far.
    pub statuses: u64,
    /// Every response, in arrival order.
    pub responses: Vec<Value>,
    /// While `Some`, every decoded status report is also kept here.
    pub recording: Option<Vec<Sample>>,
}

impl Stream {
    /// The `n`th response (0-based) carrying `id`.
    pub fn answer(&self, id: &Value, n: usize) -> Option<&Value> {
        self.responses.iter().filter(|r| r["id"] == *id).nth(n)
    }
}

/// The xArm part of a scenario's state.
#[derive(Debug, Default)]
pub struct XarmState {
    /// Open xArm connections by name.
    pub streams: BTreeMap<String, Stream>,
    /// The connection each request id was sent on.
    pub sent: BTreeMap<String, String>,
    /// The status sample the last "next report" step read.
    pub sample: Option<Sample>,
    /// A sample remembered for later comparison.
    pub noted: Option<Sample>,
    /// The status reports seen during the last watched motion.
    pub watched: Vec<Sample>,
    /// The connection and response count before the last raw frame was sent.
    pub raw_mark: Option<(String, usize)>,
    /// Status reports decoded on the main connection during the last passage of time.
    pub reports_while_waiting: u64,
    /// Request ids generated so far.
    pub generated: u64,
}

impl XarmState {
    const EMPTY: XarmState = XarmState {
        streams: BTreeMap::new(),
        sent: BTreeMap::new(),
        sample: None,
        noted: None,
        watched: Vec::new(),
        raw_mark: None,
        reports_while_waiting: 0,
        generated: 0,
    };
}

/// The xArm state before any xArm step made one.
static NO_STATE: XarmState = XarmState::EMPTY;

/// The scenario's xArm state, for reading.
pub fn xarm(world: &Check) -> &XarmState {
    world.state_ref::<XarmState>().unwrap_or(&NO_STATE)
}

/// The scenario's xArm state, made on first use.
pub fn xarm_mut(world: &mut Check) -> &mut XarmState {
    world.state::<XarmState>()
}

/// Whether device time is virtual: it moves a report period at a time, in lockstep over every connection.
async fn virtual_time(world: &mut Check) -> Result<bool, String> {
    Ok(world.target()?.virtual_clock().await?)
}

fn stream<'a>(world: &'a Check, name: &str) -> Result<&'a Stream, String> {
    xarm(world)
        .streams
        .get(name)
        .ok_or_else(|| format!("no xArm connection named {name} is open"))
}

fn stream_mut<'a>(world: &'a mut Check, name: &str) -> Result<&'a mut Stream, String> {
    xarm_mut(world)
        .streams
        .get_mut(name)
        .ok_or_else(|| format!("no xArm connection named {name} is open"))
}

/// Opens connection `name` (adding `query` to the URL) and reads until the keys report and a first status report
/// arrived.
pub async fn open(world: &mut Check, name: &str, query: &str) -> Result<(), String> {
    let query = query.trim_start_matches('?');
    let with_query = |url: &str| {
        if query.is_empty() {
            url.to_string()
        } else {
            format!("{url}{}{query}", if url.contains('?') { '&' } else { '?' })
        }
    };
    world.open(ENDPOINT, name, with_query).await?;
    xarm_mut(world).streams.insert(name.to_string(), Stream::default());
    let deadline = Instant::now() + REPLY_TIMEOUT;
    loop {
        let s = stream(world, name)?;
        if s.keys.is_some() && s.statuses + s.early_status as u64 > 0 {
            return Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if pump(world, name, left).await?.is_none() {
            let s = stream(world, name)?;
            let missing = if s.keys.is_none() {
                "devices_status_keys_report (XARM-2)"
            } else {
                "devices_status_report (XARM-3)"
            };
            return Err(format!(
                "within {} s of connecting, the xArm sent no {missing}",
                REPLY_TIMEOUT.as_secs()
            ));
        }
    }
}

/// Forgets connection `name` after closing it.
pub async fn close(world: &mut Check, name: &str) -> Result<(), String> {
    world.conn(name)?.close().await;
    world.conns.remove(name);
    xarm_mut(world).streams.remove(name);
    Ok(())
}

/// Reads one frame on `name` (waiting at most `wait`), checks it against its schema and keeps it.
/// `Ok(None)` when nothing arrived in time.
pub async fn pump(world: &mut Check, name: &str, wait: Duration) -> Result<Option<Kind>, String> {
    let text = match world.conn(name)?.next_frame(wait).await {
        Frame::Text(text) => text,
        Frame::Timeout => return Ok(None),
        Frame::Binary(bytes) => {
            return Err(format!(
                "xArm connection {name}: a binary frame of {} bytes arrived; Studio sends JSON text",
                bytes.len()
            ));
        }
        other => return Err(format!("xArm connection {name} ended: {other:?}")),
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("xArm connection {name}: a frame is not JSON ({e}): {text}"))?;
    let kind = match (value["type"].as_str(), value["cmd"].as_str()) {
        (Some("report"), Some("devices_status_keys_report")) => Kind::Keys,
        (Some("report"), Some("devices_info_report")) => Kind::Info,
        (Some("report"), Some("devices_status_report")) => Kind::Status,
        (Some("response"), _) => Kind::Response,
        _ => {
            return Err(format!(
                "xArm connection {name}: neither a known report nor a response: {text}"
            ));
        }
    };
    match kind {
        Kind::Keys => {
            world.check_schema("xarm/keys-report", &value)?;
            let keys: Vec<String> = value["data"]
                .as_array()
                .map(|keys| keys.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let mut unique = keys.clone();
            unique.sort();
            unique.dedup();
            if unique.len() != keys.len() {
                return Err("the keys report names a key twice (XARM-2)".into());
            }
            stream_mut(world, name)?.keys = Some(keys);
        }
        Kind::Info => {
            world.check_schema("xarm/info-report", &value)?;
            world.check_schema("xarm/info", &value["data"])?;
            stream_mut(world, name)?.info = Some(value["data"].clone());
        }
        Kind::Status => {
            world.check_schema("xarm/status-report", &value)?;
            let Some(keys) = stream(world, name)?.keys.clone() else {
                stream_mut(world, name)?.early_status += 1;
                return Ok(Some(kind));
            };
            let values = value["data"].as_array().cloned().unwrap_or_default();
            if values.len() != keys.len() {
                return Err(format!(
                    "a devices_status_report has {} values for {} keys (XARM-3)",
                    values.len(),
                    keys.len()
                ));
            }
            let sample: Sample = keys.into_iter().zip(values).collect();
            world.check_schema("xarm/status", &Value::Object(sample.clone()))?;
            if sample["current_clients_count"].as_u64().unwrap_or(0) < 1 {
                return Err(format!(
                    "current_clients_count is {} on an open WebSocket (XARM-4)",
                    sample["current_clients_count"]
                ));
            }
            let s = stream_mut(world, name)?;
            if let Some(recording) = &mut s.recording {
                recording.push(sample.clone());
            }
            s.status = Some(sample);
            s.statuses += 1;
        }
        Kind::Response => {
            world.check_schema("xarm/response", &value)?;
            stream_mut(world, name)?.responses.push(value);
        }
    }
    let s = stream_mut(world, name)?;
    if s.opening.len() < 8 {
        s.opening.push(kind);
    }
    Ok(Some(kind))
}

/// Reads frames on `name` until a status report arrives.
async fn next_report(world: &mut Check, name: &str, wait: Duration) -> Result<(), String> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match pump(world, name, left).await? {
            Some(Kind::Status) => return Ok(()),
            Some(_) => {}
            None => {
                return Err(format!(
                    "no devices_status_report arrived on xArm connection {name} within {} ms (XARM-3)",
                    wait.as_millis()
                ));
            }
        }
    }
}

/// Moves the virtual clock one report period and reads the one report it brings on every connection.
pub async fn advance_one(world: &mut Check) -> Result<(), String> {
    world.target()?.advance(sim_period_ms()).await?;
    let names: Vec<String> = xarm(world).streams.keys().cloned().collect();
    for name in names {
        next_report(world, &name, REPLY_TIMEOUT).await?;
    }
    Ok(())
}

/// Lets `ms` of time pass: whole report periods of virtual time, real time against a physical arm,
/// reading every connection meanwhile. Returns the status reports decoded on `name` meanwhile.
pub async fn pass_time(world: &mut Check, name: &str, ms: u64) -> Result<u64, String> {
    let before = stream(world, name)?.statuses;
    if virtual_time(world).await? {
        for _ in 0..ms.div_ceil(sim_period_ms()) {
            advance_one(world).await?;
        }
    } else {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let names: Vec<String> = xarm(world).streams.keys().cloned().collect();
        while Instant::now() < deadline {
            for conn in &names {
                let left = deadline.saturating_duration_since(Instant::now());
                pump(world, conn, left.min(Duration::from_millis(20))).await?;
            }
        }
    }
    Ok(stream(world, name)?.statuses - before)
}

/// The next status report on `name`, produced after everything read so far.
pub async fn fresh_sample(world: &mut Check, name: &str) -> Result<Sample, String> {
    if virtual_time(world).await? {
        advance_one(world).await?;
    } else {
        for _ in 0..10_000 {
            if pump(world, name, Duration::from_millis(1)).await?.is_none() {
                break;
            }
        }
        next_report(world, name, REPLY_TIMEOUT).await?;
    }
    let sample = stream(world, name)?
        .status
        .clone()
        .ok_or("the status report could not be decoded: no keys report came before it (XARM-2)")?;
    xarm_mut(world).sample = Some(sample.clone());
    Ok(sample)
}

/// Sends a text frame on `name`; returns how many responses had arrived before it.
pub async fn send_text(world: &mut Check, name: &str, text: &str) -> Result<usize, String> {
    let mark = stream(world, name)?.responses.len();
    world.conn(name)?.send_text(text).await?;
    Ok(mark)
}

/// Waits (without moving time) for the `n`th response carrying `id` on `name`.
pub async fn wait_answer(world: &mut Check, name: &str, id: &Value, n: usize) -> Result<Value, String> {
    let deadline = Instant::now() + REPLY_TIMEOUT;
    loop {
        if let Some(answer) = stream(world, name)?.answer(id, n) {
            return Ok(answer.clone());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if pump(world, name, left).await?.is_none() {
            let seen: Vec<String> = stream(world, name)?.responses.iter().map(Value::to_string).collect();
            return Err(format!(
                "no response with id {id} arrived within {} s on xArm connection {name} (XARM-5); responses so far: {}",
                REPLY_TIMEOUT.as_secs(),
                if seen.is_empty() {
                    "none".into()
                } else {
                    seen.join(", ")
                }
            ));
        }
    }
}

/// Waits (without moving time) for the first response after `mark` on `name`.
pub async fn wait_next_answer(world: &mut Check, name: &str, mark: usize) -> Result<Value, String> {
    let deadline = Instant::now() + REPLY_TIMEOUT;
    loop {
        if let Some(answer) = stream(world, name)?.responses.get(mark) {
            return Ok(answer.clone());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if pump(world, name, left).await?.is_none() {
            return Err(format!(
                "no response arrived within {} s on xArm connection {name} (XARM-5)",
                REPLY_TIMEOUT.as_secs()
            ));
        }
    }
}

/// Waits for the final answer of an accepted request `id` on `name`, letting time pass (a report period at a
/// time on a virtual clock, real time otherwise). Fails if the arm reports itself idle or stopped for [`IDLE_REPORTS`]
/// reports and the answer still has not come.
pub async fn wait_final(world: &mut Check, name: &str, id: &Value) -> Result<Value, String> {
    let first = wait_answer(world, name, id, 0).await?;
    if first["code"] != 100 {
        return Err(format!(
            "{id} was answered {} at once, so no final answer follows: {first}",
            first["code"]
        ));
    }
    let started = Instant::now();
    let mut periods = 0u64;
    let mut idle = 0usize;
    loop {
        if let Some(answer) = stream(world, name)?.answer(id, 1) {
            return Ok(answer.clone());
        }
        let before = stream(world, name)?.statuses;
        if virtual_time(world).await? {
            if periods >= SIM_WAIT_PERIODS {
                return Err(format!(
                    "no final answer to {id} in {} s of simulated time (XARM-5)",
                    periods * sim_period_ms() / 1000
                ));
            }
            periods += 1;
            advance_one(world).await?;
        } else {
            if started.elapsed() > REAL_WAIT {
                return Err(format!(
                    "no final answer to {id} within {} s (XARM-5)",
                    REAL_WAIT.as_secs()
                ));
            }
            pump(world, name, Duration::from_millis(500)).await?;
        }
        let s = stream(world, name)?;
        if s.statuses > before {
            let state = s.status.as_ref().and_then(|x| x["xarm_state"].as_i64());
            idle = if matches!(state, Some(2 | 4)) { idle + 1 } else { 0 };
            if idle >= IDLE_REPORTS && s.answer(id, 1).is_none() {
                return Err(format!(
                    "no final answer to {id}: the arm has reported state {} for {IDLE_REPORTS} reports (XARM-5)",
                    state.unwrap_or_default()
                ));
            }
        }
    }
}

/// Waits for the final answer to `id` like [`wait_final`], keeping every status report read meanwhile in
/// the xArm state's `watched`.
pub async fn watch(world: &mut Check, name: &str, id: &Value) -> Result<Value, String> {
    stream_mut(world, name)?.recording = Some(Vec::new());
    let result = wait_final(world, name, id).await;
    let recorded = stream_mut(world, name)?.recording.take().unwrap_or_default();
    xarm_mut(world).watched = recorded;
    result
}

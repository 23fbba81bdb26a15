//! xArm controller TCP steps: a raw TCP client of port 502 (requests spelled as typed parameters, answers
//! checked field by field and against the register table's meaning) and of the report ports 30000-30003.

use std::time::Duration;

use cucumber::{given, then, when};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy_core::model::arm::limits::joint_limits;
use understudy_core::model::arm::kinematics::pose_distance;
use understudy_core::model::arm::{ArmModel, Pose, fk};
use understudy_core::proto::xarm_tcp::frame::{
    Answer, PROTOCOL_PRIVATE, STATE_ERROR, STATE_NOT_READY, STATE_WARN, decode_answer, encode_request, read_f32s_le,
};
use understudy_core::proto::xarm_tcp::feedback::{FEEDBACK_MOTION_FINISH, FEEDBACK_REGISTER};
use understudy_core::proto::xarm_tcp::poses::{Frame, absolute_target};
use understudy_core::proto::xarm_tcp::report::ReportKind;

use crate::client::{self, REPLY_TIMEOUT};
use crate::steps::{Check, Protocol, parse_hex};

mod asyncapi;

/// The protocol's name, tag and `--target` name; the in-process simulator's endpoint of the same name.
pub const ENDPOINT: &str = "xarm-tcp";

/// The controller's TCP protocol: its connections are plain TCP and need nothing while device time passes.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT).with_asyncapi(asyncapi::spec);

/// How long the checker waits for the controller to close a connection.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// What the controller TCP steps remember within a scenario.
#[derive(Debug, Default)]
struct TcpState {
    stream: Option<TcpStream>,
    /// Bytes read and not yet taken as an answer or a report.
    buffer: Vec<u8>,
    next_transaction: u16,
    /// The last request sent: transaction, protocol, register.
    sent: Option<(u16, u16, u8)>,
    last: Option<Answer>,
    report: Option<(ReportKind, TcpStream)>,
    /// Report bytes read and not yet taken as a whole report.
    pending: Vec<u8>,
    reports: Vec<Vec<u8>>,
    /// Joints (rad) noted for a later comparison.
    noted: Option<Vec<f64>>,
    /// Feedback frames (register 0xFF) read while waiting for answers.
    feedback: Vec<Answer>,
    /// The request noted as the move whose feedback is awaited: transaction and register.
    move_noted: Option<(u16, u8)>,
    /// The TCP pose (register 41) noted for a later comparison.
    pose_noted: Option<Pose>,
}

fn state(world: &mut Check) -> &mut TcpState {
    world.state::<TcpState>()
}

fn last(world: &mut Check) -> Result<Answer, String> {
    state(world).last.clone().ok_or_else(|| "no controller answer was read".to_string())
}

/// `host:port` of a report port: the in-process simulator's endpoint, or the target's host at the
/// controller's fixed port.
async fn report_authority(world: &mut Check, kind: ReportKind) -> Result<String, String> {
    if let Ok(url) = world.url(kind.name()).await {
        return Ok(client::authority_of(&url).to_string());
    }
    let url = world.url(ENDPOINT).await?;
    let authority = client::authority_of(&url);
    let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
    Ok(format!("{host}:{}", kind.default_port()))
}

async fn dial(authority: &str) -> Result<TcpStream, String> {
    tokio::time::timeout(REPLY_TIMEOUT, TcpStream::connect(authority))
        .await
        .map_err(|_| format!("connecting to {authority} timed out"))?
        .map_err(|e| format!("cannot connect to {authority}: {e}"))
}

#[given(regex = r"^a connection to the controller port$")]
async fn connect(world: &mut Check) -> Result<(), String> {
    let url = world.url(ENDPOINT).await?;
    let stream = dial(client::authority_of(&url)).await?;
    let s = state(world);
    s.stream = Some(stream);
    s.next_transaction = 1;
    Ok(())
}

/// Parameters spelled as space-separated typed values: `u8:8`, `u16:300` (big-endian), `f32:0.5`
/// (little-endian), `f32*7:0` (seven of them), or bare hex bytes `0b`.
pub fn parse_params(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        let Some((kind, value)) = token.split_once(':') else {
            out.extend(parse_hex(token)?);
            continue;
        };
        let (kind, count) = match kind.split_once('*') {
            Some((kind, n)) => (kind, n.parse::<usize>().map_err(|_| format!("bad count in {token}"))?),
            None => (kind, 1),
        };
        let bad = || format!("{token} is not a {kind}");
        for _ in 0..count {
            match kind {
                "u8" => out.push(value.parse::<u8>().map_err(|_| bad())?),
                "u16" => out.extend(value.parse::<u16>().map_err(|_| bad())?.to_be_bytes()),
                "f32" => out.extend(value.parse::<f32>().map_err(|_| bad())?.to_le_bytes()),
                _ => return Err(format!("unknown parameter type in {token} (u8, u16, f32 or hex)")),
            }
        }
    }
    Ok(out)
}

async fn send_bytes(world: &mut Check, bytes: &[u8]) -> Result<(), String> {
    let stream = state(world).stream.as_mut().ok_or("no controller connection is open")?;
    tokio::time::timeout(REPLY_TIMEOUT, stream.write_all(bytes))
        .await
        .map_err(|_| "the controller does not take the request".to_string())?
        .map_err(|e| format!("sending failed: {e}"))
}

/// Reads until a whole answer is buffered (bounded by the reply timeout).
async fn read_answer(world: &mut Check) -> Result<Answer, String> {
    let s = state(world);
    let stream = s.stream.as_mut().ok_or("no controller connection is open")?;
    let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        if let Some((answer, used)) = decode_answer(&s.buffer) {
            s.buffer.drain(..used);
            // A motion feedback frame is not the answer awaited: it is kept for the feedback steps.
            if answer.register == FEEDBACK_REGISTER {
                s.feedback.push(answer);
                continue;
            }
            s.last = Some(answer.clone());
            return Ok(answer);
        }
        let mut chunk = [0u8; 2048];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Err(format!("no answer within {} s", REPLY_TIMEOUT.as_secs_f64())),
            Ok(Ok(0)) => return Err("the controller closed the connection instead of answering".into()),
            Ok(Ok(n)) => s.buffer.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(format!("reading failed: {e}")),
        }
    }
}

/// Sends `register` with `params` under the next transaction id and reads its answer.
async fn call(world: &mut Check, protocol: u16, register: u8, params: &[u8]) -> Result<Answer, String> {
    let s = state(world);
    let transaction = s.next_transaction;
    s.next_transaction = s.next_transaction.wrapping_add(1).max(1);
    s.sent = Some((transaction, protocol, register));
    send_bytes(world, &encode_request(transaction, protocol, register, params)).await?;
    read_answer(world).await
}

#[when(regex = r"^I send register (\d+)$")]
async fn send_plain(world: &mut Check, register: u8) -> Result<(), String> {
    call(world, PROTOCOL_PRIVATE, register, &[]).await.map(|_| ())
}

#[when(regex = r"^I send register (\d+) with '(.*)'$")]
async fn send_with(world: &mut Check, register: u8, params: String) -> Result<(), String> {
    let params = parse_params(&params)?;
    call(world, PROTOCOL_PRIVATE, register, &params).await.map(|_| ())
}

#[when(regex = r"^I send register (\d+) under protocol (\d+)$")]
async fn send_protocol(world: &mut Check, register: u8, protocol: u16) -> Result<(), String> {
    call(world, protocol, register, &[]).await.map(|_| ())
}

#[when(regex = r"^I send the bytes '(.*)'$")]
async fn send_raw(world: &mut Check, hex: String) -> Result<(), String> {
    send_bytes(world, &parse_hex(&hex)?).await
}

#[then(regex = r"^the answer echoes the transaction, protocol and register$")]
async fn echoes(world: &mut Check) -> Result<(), String> {
    let answer = last(world)?;
    let sent = state(world).sent.ok_or("nothing was sent")?;
    let got = (answer.transaction, answer.protocol, answer.register);
    if got != sent {
        return Err(format!("sent (transaction, protocol, register) {sent:?}, the answer has {got:?}"));
    }
    Ok(())
}

#[then(regex = r"^the answer has (\d+) parameter bytes$")]
async fn param_count(world: &mut Check, n: usize) -> Result<(), String> {
    let answer = last(world)?;
    if answer.params.len() != n {
        return Err(format!("{} parameter bytes, expected {n}: {:02x?}", answer.params.len(), answer.params));
    }
    Ok(())
}

#[then(regex = r"^the answer parameters are '(.*)'$")]
async fn params_are(world: &mut Check, expected: String) -> Result<(), String> {
    let expected = parse_params(&expected)?;
    let answer = last(world)?;
    if answer.params != expected {
        return Err(format!("parameters {:02x?}, expected {expected:02x?}", answer.params));
    }
    Ok(())
}

fn flag_of(name: &str) -> Result<u8, String> {
    match name {
        "error" => Ok(STATE_ERROR),
        "warning" => Ok(STATE_WARN),
        "not-ready" => Ok(STATE_NOT_READY),
        other => Err(format!("unknown state flag {other} (error, warning, not-ready)")),
    }
}

#[then(regex = r"^the answer's state byte has (error|warning|not-ready) (set|clear)$")]
async fn state_flag(world: &mut Check, flag: String, set: String) -> Result<(), String> {
    let bit = flag_of(&flag)?;
    let answer = last(world)?;
    if (answer.state & bit != 0) != (set == "set") {
        return Err(format!("state byte {:#04x}: the {flag} bit is not {set}", answer.state));
    }
    Ok(())
}

#[then(regex = r"^the controller reports error (\d+) and warning (\d+)$")]
async fn codes(world: &mut Check, error: u8, warn: u8) -> Result<(), String> {
    let answer = call(world, PROTOCOL_PRIVATE, 15, &[]).await?;
    if answer.params != [error, warn] {
        return Err(format!("register 15 answers {:?}, expected [{error}, {warn}]", answer.params));
    }
    Ok(())
}

#[then(regex = r"^the controller's motion state is (\d+)$")]
async fn motion_state(world: &mut Check, expected: u8) -> Result<(), String> {
    let answer = call(world, PROTOCOL_PRIVATE, 13, &[]).await?;
    if answer.params != [expected] {
        return Err(format!("register 13 answers {:?}, expected [{expected}]", answer.params));
    }
    Ok(())
}

#[then(regex = r"^the version string names the axes, the type, two serial numbers and v<major>\.<minor>\.<patch>$")]
async fn version(world: &mut Check) -> Result<(), String> {
    let answer = last(world)?;
    let end = answer.params.iter().position(|b| *b == 0).ok_or("the version string has no NUL terminator")?;
    let text = String::from_utf8_lossy(&answer.params[..end]).into_owned();
    let parts: Vec<&str> = text.split(',').collect();
    let numbers_ok = |s: &str| s.split('.').count() == 3 && s.split('.').all(|n| n.parse::<u32>().is_ok());
    let ok = parts.len() == 5
        && parts[0].parse::<u8>().is_ok_and(|a| (5..=7).contains(&a))
        && parts[1].parse::<u32>().is_ok()
        && parts[4].strip_prefix(['v', 'V']).is_some_and(numbers_ok);
    if !ok {
        return Err(format!("version {text:?} is not <axis>,<type>,<sn>,<box sn>,v<x.y.z>"));
    }
    Ok(())
}

/// The arm model of the version string's axis and type numbers.
fn model_of(version: &str) -> Result<ArmModel, String> {
    let mut parts = version.split(',');
    match (parts.next(), parts.next()) {
        (Some("5"), _) => Ok(ArmModel::XArm5),
        (Some("6"), Some("9")) => Ok(ArmModel::Lite6),
        (Some("6"), _) => Ok(ArmModel::XArm6),
        (Some("7"), _) => Ok(ArmModel::XArm7),
        _ => Err(format!("no arm model for version {version:?}")),
    }
}

async fn model(world: &mut Check) -> Result<ArmModel, String> {
    let answer = call(world, PROTOCOL_PRIVATE, 1, &[]).await?;
    let end = answer.params.iter().position(|b| *b == 0).unwrap_or(answer.params.len());
    model_of(&String::from_utf8_lossy(&answer.params[..end]))
}

async fn joints(world: &mut Check) -> Result<Vec<f64>, String> {
    let answer = call(world, PROTOCOL_PRIVATE, 42, &[]).await?;
    if answer.params.len() != 28 {
        return Err(format!("register 42 answers {} bytes, not 7 FP32", answer.params.len()));
    }
    Ok(read_f32s_le(&answer.params))
}

/// With the TCP offset at zero (the controller's default): the pose is the flange's.
#[then(regex = r"^the TCP pose of register 41 is the forward kinematics of the joints of register 42$")]
async fn pose_is_fk(world: &mut Check) -> Result<(), String> {
    let model = model(world).await?;
    let joints = joints(world).await?;
    let pose = read_f32s_le(&call(world, PROTOCOL_PRIVATE, 41, &[]).await?.params);
    let expected = fk(model, &joints[..model.dof()], [0.0; 6]).map_err(|e| e.to_string())?.to_array();
    let gap = (0..3).map(|i| (pose[i] - expected[i]).abs()).fold(0.0, f64::max);
    if pose.len() != 6 || gap > 1e-2 {
        return Err(format!("pose {pose:?} is {gap:.4} mm from the forward kinematics {expected:?}"));
    }
    Ok(())
}

#[then(regex = r"^every joint of register 42 is within the model's joint limits$")]
async fn within_limits(world: &mut Check) -> Result<(), String> {
    let model = model(world).await?;
    let joints = joints(world).await?;
    for (i, (q, (lo, hi))) in joints.iter().zip(joint_limits(model)).enumerate() {
        if *q < lo - 1e-6 || *q > hi + 1e-6 {
            return Err(format!("J{} = {q} rad is outside [{lo}, {hi}]", i + 1));
        }
    }
    Ok(())
}

#[when(regex = r"^I note the joints$")]
async fn note_joints(world: &mut Check) -> Result<(), String> {
    let joints = joints(world).await?;
    state(world).noted = Some(joints);
    Ok(())
}

#[then(regex = r"^the joints are the noted ones$")]
async fn joints_unchanged(world: &mut Check) -> Result<(), String> {
    let now = joints(world).await?;
    let noted = state(world).noted.clone().ok_or("no joints were noted")?;
    if now.iter().zip(&noted).any(|(a, b)| (a - b).abs() > 1e-6) {
        return Err(format!("the joints moved from {noted:?} to {now:?}"));
    }
    Ok(())
}

#[then(regex = r"^the joints are '(.*)' rad$")]
async fn joints_are(world: &mut Check, expected: String) -> Result<(), String> {
    let expected = read_f32s_le(&parse_params(&expected)?);
    let now = joints(world).await?;
    if now.iter().zip(&expected).any(|(a, b)| (a - b).abs() > 1e-5) {
        return Err(format!("the joints are {now:?}, expected {expected:?}"));
    }
    Ok(())
}

#[when(regex = r"^I note that request as the move$")]
async fn note_move(world: &mut Check) -> Result<(), String> {
    let s = state(world);
    let (transaction, _, register) = s.sent.ok_or("no request was sent")?;
    s.move_noted = Some((transaction, register));
    Ok(())
}

/// Waits (bounded by the reply timeout) for the finish feedback frame of the noted move: under its
/// transaction, 15 bytes after the header, type 2, the move's register, `code`.
#[then(regex = r"^a finish feedback frame for the move arrives with code (\d+)$")]
async fn finish_feedback(world: &mut Check, code: u8) -> Result<(), String> {
    let (transaction, register) = state(world).move_noted.ok_or("no move was noted")?;
    let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        let s = state(world);
        if let Some(frame) = s.feedback.iter().find(|f| f.transaction == transaction) {
            let p = &frame.params;
            if p.len() != 13 {
                return Err(format!("the feedback frame has {} bytes after its state byte, not 13", p.len()));
            }
            if (p[0], p[1], p[4]) != (FEEDBACK_MOTION_FINISH, register, code) {
                return Err(format!(
                    "feedback type {}, funcode {}, code {}: expected {FEEDBACK_MOTION_FINISH}, {register}, {code}",
                    p[0], p[1], p[4]
                ));
            }
            return Ok(());
        }
        let stream = s.stream.as_mut().ok_or("no controller connection is open")?;
        let mut chunk = [0u8; 2048];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Err(format!("no feedback frame for transaction {transaction} within the reply timeout")),
            Ok(Ok(0)) => return Err("the controller closed the connection".into()),
            Ok(Ok(n)) => {
                s.buffer.extend_from_slice(&chunk[..n]);
                while let Some((frame, used)) = decode_answer(&s.buffer) {
                    s.buffer.drain(..used);
                    if frame.register == FEEDBACK_REGISTER {
                        s.feedback.push(frame);
                    }
                }
            }
            Ok(Err(e)) => return Err(format!("reading failed: {e}")),
        }
    }
}

async fn tcp_pose(world: &mut Check) -> Result<Pose, String> {
    let pose = read_f32s_le(&call(world, PROTOCOL_PRIVATE, 41, &[]).await?.params);
    let pose: [f64; 6] = pose.try_into().map_err(|p: Vec<f64>| format!("register 41 answers {} FP32, not 6", p.len()))?;
    Ok(Pose::from_array(pose))
}

#[when(regex = r"^I note the TCP pose$")]
async fn note_pose(world: &mut Check) -> Result<(), String> {
    let pose = tcp_pose(world).await?;
    state(world).pose_noted = Some(pose);
    Ok(())
}

/// The pose of register 41 against the noted pose composed with a step in the tool frame (mm, rad).
#[then(regex = r"^the TCP pose is the noted one moved by '(.*)' in the tool frame$")]
async fn pose_moved_in_tool_frame(world: &mut Check, delta: String) -> Result<(), String> {
    let step = read_f32s_le(&parse_params(&delta)?);
    let step: [f64; 6] = step.try_into().map_err(|_| "the step needs six f32".to_string())?;
    let noted = state(world).pose_noted.ok_or("no TCP pose was noted")?;
    let expected = absolute_target(&noted, step, Frame { tool: true, axis_angle: false });
    let now = tcp_pose(world).await?;
    let (mm, rad) = pose_distance(&now, &expected);
    if mm > 1e-2 || rad > 1e-4 {
        return Err(format!("the TCP is at {now:?}, {mm:.4} mm and {rad:.6} rad from {expected:?}"));
    }
    Ok(())
}

#[then(regex = r"^the connection is closed by the controller$")]
async fn closed(world: &mut Check) -> Result<(), String> {
    let stream = state(world).stream.as_mut().ok_or("no controller connection is open")?;
    let mut sink = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Err(_) => return Err(format!("still open after {} s", CLOSE_WAIT.as_secs())),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
        }
    }
}

#[then(regex = r"^no answer arrives within (\d+) ms$")]
async fn no_answer(world: &mut Check, ms: u64) -> Result<(), String> {
    let s = state(world);
    let stream = s.stream.as_mut().ok_or("no controller connection is open")?;
    let mut chunk = [0u8; 256];
    match tokio::time::timeout(Duration::from_millis(ms), stream.read(&mut chunk)).await {
        Err(_) => Ok(()),
        Ok(Ok(0)) => Err("the controller closed the connection".into()),
        Ok(Ok(n)) => Err(format!("{n} bytes arrived: {:02x?}", &chunk[..n])),
        Ok(Err(e)) => Err(format!("reading failed: {e}")),
    }
}

fn kind_of(name: &str) -> Result<ReportKind, String> {
    match name {
        "real-time" => Ok(ReportKind::RealTime),
        "normal" => Ok(ReportKind::Normal),
        "rich" => Ok(ReportKind::Rich),
        "real" => Ok(ReportKind::Real),
        other => Err(format!("unknown report {other} (real-time, normal, rich, real)")),
    }
}

#[given(regex = r"^a connection to the (real-time|normal|rich|real) report port$")]
async fn connect_report(world: &mut Check, name: String) -> Result<(), String> {
    let kind = kind_of(&name)?;
    let authority = report_authority(world, kind).await?;
    let stream = dial(&authority).await?;
    let s = state(world);
    s.report = Some((kind, stream));
    s.pending.clear();
    s.reports.clear();
    Ok(())
}

/// How long a read waits for a report before letting one report period of device time pass.
const REPORT_POLL: Duration = Duration::from_millis(200);
/// Report periods a read lets pass at most before it gives up.
const MAX_PERIODS: usize = 25;

/// Takes one whole report (framed by its U32 size) off the front of the pending bytes.
fn take_report(s: &mut TcpState) -> Result<Option<Vec<u8>>, String> {
    if s.pending.len() < 4 {
        return Ok(None);
    }
    let size = u32::from_be_bytes([s.pending[0], s.pending[1], s.pending[2], s.pending[3]]) as usize;
    if !(5..=4096).contains(&size) {
        return Err(format!("a report declares {size} bytes"));
    }
    Ok((s.pending.len() >= size).then(|| s.pending.drain(..size).collect()))
}

/// Reads `n` more reports. When none is waiting, one report period of device time passes (a virtual clock
/// moves, a real one is waited for): a report must come every period, at most 25 periods in all.
async fn read_reports(world: &mut Check, n: usize) -> Result<(), String> {
    let mut periods = 0;
    let mut read = 0;
    while read < n {
        let s = state(world);
        if let Some(report) = take_report(s)? {
            s.reports.push(report);
            read += 1;
            continue;
        }
        let (kind, stream) = s.report.as_mut().ok_or("no report connection is open")?;
        let period = u64::from(1000 / kind.hz());
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(REPORT_POLL, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => return Err("the report connection closed".into()),
            Ok(Ok(k)) => s.pending.extend_from_slice(&chunk[..k]),
            Ok(Err(e)) => return Err(format!("reading a report failed: {e}")),
            Err(_) if periods < MAX_PERIODS => {
                periods += 1;
                world.pass_time(period).await?;
            }
            Err(_) => return Err(format!("{read} of {n} reports came while {MAX_PERIODS} report periods passed")),
        }
    }
    Ok(())
}

#[when(regex = r"^I read (\d+) reports?$")]
async fn read_n(world: &mut Check, n: usize) -> Result<(), String> {
    read_reports(world, n).await
}

#[then(regex = r"^every report is (\d+) bytes, its size field says so, and state and mode are valid$")]
async fn report_shape(world: &mut Check, size: usize) -> Result<(), String> {
    let s = state(world);
    let (kind, _) = s.report.as_ref().ok_or("no report connection is open")?;
    let state_at = if *kind == ReportKind::RealTime { 12 } else { 4 };
    for (i, report) in s.reports.iter().enumerate() {
        let declared = u32::from_be_bytes([report[0], report[1], report[2], report[3]]) as usize;
        let (state, mode) = (report[state_at] & 0x0F, report[state_at] >> 4);
        if report.len() != size || declared != size || !(1..=5).contains(&state) || mode > 11 {
            return Err(format!(
                "report {i}: {} bytes, size field {declared}, state {state}, mode {mode}",
                report.len()
            ));
        }
    }
    Ok(())
}

#[then(regex = r"^the last report's joints are those of register 42$")]
async fn report_joints(world: &mut Check) -> Result<(), String> {
    let now = joints(world).await?;
    let s = state(world);
    let (kind, _) = s.report.as_ref().ok_or("no report connection is open")?;
    let at = if *kind == ReportKind::RealTime { 32 + 3 * 28 } else { 7 };
    let report = s.reports.last().ok_or("no report was read")?;
    let reported = read_f32s_le(&report[at..at + 28]);
    if reported.iter().zip(&now).any(|(a, b)| (a - b).abs() > 1e-5) {
        return Err(format!("the report has joints {reported:?}, register 42 {now:?}"));
    }
    Ok(())
}

#[then(regex = r"^the last report's error code is (\d+)$")]
async fn report_error(world: &mut Check, code: u8) -> Result<(), String> {
    let report = state(world).reports.last().cloned().ok_or("no report was read")?;
    let got = report.get(89).copied().ok_or("the report has no error byte")?;
    if got != code {
        return Err(format!("the report's error code is {got}, expected {code}"));
    }
    Ok(())
}

#[then(regex = r"^the last report's state is (\d+) and its command count (\d+)$")]
async fn report_state(world: &mut Check, expected: u8, count: u16) -> Result<(), String> {
    let report = state(world).reports.last().cloned().ok_or("no report was read")?;
    let (got, cmd) = (report[4] & 0x0F, u16::from_be_bytes([report[5], report[6]]));
    if (got, cmd) != (expected, count) {
        return Err(format!("the report has state {got} and command count {cmd}, expected {expected} and {count}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_spelled_as_typed_values() {
        assert_eq!(parse_params("u8:8 u8:1").unwrap(), vec![8, 1]);
        assert_eq!(parse_params("u16:258 0b").unwrap(), vec![1, 2, 0x0b]);
        assert_eq!(parse_params("f32:1").unwrap(), 1.0f32.to_le_bytes().to_vec());
        assert_eq!(parse_params("f32*2:0").unwrap(), vec![0; 8]);
        assert!(parse_params("u8:300").is_err());
        assert!(parse_params("i64:1").is_err());
        assert_eq!(model_of("6,9,LI,AC,v2.5.0"), Ok(ArmModel::Lite6));
    }
}

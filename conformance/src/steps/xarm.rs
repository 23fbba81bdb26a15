//! xArm (UFactory Studio API) steps: connections and their opening reports, requests with their immediate and
//! final answers, status samples (fresh, watched during a motion, noted for comparison) and their checks.

mod asyncapi;
mod checks;
mod stream;

use cucumber::{given, then, when};
use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value, json};
use understudy_sim::serve::xarm::{XarmOptions, parse_model};

use crate::steps::{Check, MAIN, Protocol, parse_hex, parse_json};
use checks::{Sample, get, json_eq, number_list, numbers, pose_gap, pose_of};
pub use stream::XarmState;
use stream::{ENDPOINT, Kind, xarm, xarm_mut};

/// The xArm protocol: while device time passes, its open connections are read in lockstep.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT)
    .with_pass_time(pass_time_boxed)
    .with_asyncapi(asyncapi::spec);

fn pass_time_boxed(world: &mut Check, ms: u64) -> LocalBoxFuture<'_, Result<bool, String>> {
    Box::pin(pass_time(world, ms))
}

/// Lets `ms` of device time pass over the open xArm connections, counting the reports the main one reads;
/// `false` (the target moves time) when none is open.
async fn pass_time(world: &mut Check, ms: u64) -> Result<bool, String> {
    if !xarm(world).streams.contains_key(MAIN) {
        return Ok(false);
    }
    xarm_mut(world).reports_while_waiting = stream::pass_time(world, MAIN, ms).await?;
    Ok(true)
}

fn conn_of(world: &Check, id: &str) -> Result<String, String> {
    xarm(world)
        .sent
        .get(id)
        .cloned()
        .ok_or_else(|| format!("no xArm request with id {id:?} was sent"))
}

fn main_stream(world: &Check) -> Result<&stream::Stream, String> {
    xarm(world)
        .streams
        .get(MAIN)
        .ok_or_else(|| "no xArm connection is open".to_string())
}

/// Sends `{"cmd", "data", "id"}` on `conn` and returns the immediate answer.
async fn request(world: &mut Check, conn: &str, cmd: &str, id: &str, data: Option<Value>) -> Result<Value, String> {
    let mut body = Map::new();
    body.insert("cmd".into(), json!(cmd));
    if let Some(data) = data {
        body.insert("data".into(), data);
    }
    body.insert("id".into(), json!(id));
    stream::send_text(world, conn, &Value::Object(body).to_string()).await?;
    xarm_mut(world).sent.insert(id.to_string(), conn.to_string());
    stream::wait_answer(world, conn, &json!(id), 0).await
}

/// A request id no scenario spells.
fn generated_id(world: &mut Check, what: &str) -> String {
    let state = xarm_mut(world);
    state.generated += 1;
    format!("{what}-{}", state.generated)
}

fn expect_code(answer: &Value, code: i64) -> Result<(), String> {
    if answer["code"].as_i64() == Some(code) {
        Ok(())
    } else {
        Err(format!("expected code {code}, got {answer}"))
    }
}

// ---- connections and setup ----

#[given(regex = r"^an xArm connection$")]
async fn connect(world: &mut Check) -> Result<(), String> {
    stream::open(world, MAIN, "").await
}

#[given(regex = r#"^an xArm connection with the query "(.*)"$"#)]
async fn connect_with_query(world: &mut Check, query: String) -> Result<(), String> {
    stream::open(world, MAIN, &query).await
}

#[given(regex = r"^another xArm connection (\w+)$")]
async fn connect_named(world: &mut Check, name: String) -> Result<(), String> {
    stream::open(world, &name, "").await
}

#[when(regex = r"^I close the xArm connection (\w+)$")]
async fn close_named(world: &mut Check, name: String) -> Result<(), String> {
    stream::close(world, &name).await
}

#[given(regex = r"^the simulated xArm is an? (\w+)$")]
async fn simulated_model(world: &mut Check, name: String) -> Result<(), String> {
    let model = parse_model(&name).ok_or_else(|| format!("{name} is not xarm5, xarm6, xarm7 or lite6"))?;
    let in_process = world.target()?.in_process("choosing the simulated arm's model")?;
    in_process.config_mut()?.devices.get_mut::<XarmOptions>().model = model;
    Ok(())
}

/// Clears errors and warnings, enables motion and selects position mode (Studio's [Clean error] [Enable]).
#[given(regex = r"^the xArm is ready to move$")]
async fn ready(world: &mut Check) -> Result<(), String> {
    let id = generated_id(world, "ready");
    let answer = request(world, MAIN, "xarm_clear_error_warn", &id, Some(json!({"mode": 0}))).await?;
    expect_code(&answer, 0)
}

/// Ready, then every joint to 0 deg.
#[given(regex = r"^the xArm is ready at its joint home$")]
async fn ready_at_home(world: &mut Check) -> Result<(), String> {
    ready(world).await?;
    let sample = match main_stream(world)?.status.clone() {
        Some(sample) => sample,
        None => stream::fresh_sample(world, MAIN).await?,
    };
    let dof = get(&sample, "xarm_axis")?.as_u64().unwrap_or(6) as usize;
    let data: Map<String, Value> = ["I", "J", "K", "L", "M", "N", "O"]
        .iter()
        .take(dof)
        .map(|letter| (letter.to_string(), json!(0)))
        .collect();
    let id = generated_id(world, "home");
    let answer = request(world, MAIN, "xarm_move_joint", &id, Some(Value::Object(data))).await?;
    if answer["code"] == 100 {
        let done = stream::wait_final(world, MAIN, &json!(id)).await?;
        expect_code(&done, 0)?;
    } else {
        expect_code(&answer, 0)?;
    }
    Ok(())
}

// ---- requests ----

#[when(regex = r#"^I send the xArm command "(\w+)" as "([^"]*)" with '(.*)'$"#)]
async fn send_command(world: &mut Check, cmd: String, id: String, data: String) -> Result<(), String> {
    let data = parse_json(&data)?;
    request(world, MAIN, &cmd, &id, Some(data)).await.map(|_| ())
}

#[when(regex = r#"^I send the xArm command "(\w+)" as "([^"]*)" with '(.*)' on connection (\w+)$"#)]
async fn send_command_on(world: &mut Check, cmd: String, id: String, data: String, conn: String) -> Result<(), String> {
    let data = parse_json(&data)?;
    request(world, &conn, &cmd, &id, Some(data)).await.map(|_| ())
}

#[when(regex = r#"^I send the xArm command "(\w+)" as "([^"]*)" without data$"#)]
async fn send_command_bare(world: &mut Check, cmd: String, id: String) -> Result<(), String> {
    request(world, MAIN, &cmd, &id, None).await.map(|_| ())
}

#[when(regex = r"^I send the xArm text '(.*)'$")]
async fn send_text(world: &mut Check, text: String) -> Result<(), String> {
    let mark = stream::send_text(world, MAIN, &text).await?;
    xarm_mut(world).raw_mark = Some((MAIN.to_string(), mark));
    Ok(())
}

#[when(regex = r"^I send the xArm binary frame '(.*)'$")]
async fn send_binary_text(world: &mut Check, text: String) -> Result<(), String> {
    send_bytes(world, text.into_bytes()).await
}

#[when(regex = r"^I send the xArm binary bytes ([0-9a-fA-F ]+)$")]
async fn send_binary_hex(world: &mut Check, hex: String) -> Result<(), String> {
    send_bytes(world, parse_hex(&hex)?).await
}

async fn send_bytes(world: &mut Check, bytes: Vec<u8>) -> Result<(), String> {
    let mark = main_stream(world)?.responses.len();
    world.conn(MAIN)?.send_binary(bytes).await?;
    xarm_mut(world).raw_mark = Some((MAIN.to_string(), mark));
    Ok(())
}

async fn raw_answer(world: &mut Check) -> Result<Value, String> {
    let (conn, mark) = xarm(world).raw_mark.clone().ok_or("no raw xArm frame was sent")?;
    stream::wait_next_answer(world, &conn, mark).await
}

#[then(regex = r"^the xArm answer to that frame is exactly '(.*)'$")]
async fn raw_answer_exactly(world: &mut Check, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let answer = raw_answer(world).await?;
    if json_eq(&answer, &expected) {
        Ok(())
    } else {
        Err(format!("answer\n  got      {answer}\n  expected {expected}"))
    }
}

#[then(regex = r"^the xArm answer to that frame has code (-?\d+)$")]
async fn raw_answer_code(world: &mut Check, code: i64) -> Result<(), String> {
    let answer = raw_answer(world).await?;
    expect_code(&answer, code)
}

#[then(regex = r#"^the xArm answers "([^"]*)" with code (-?\d+)$"#)]
async fn answers_code(world: &mut Check, id: String, code: i64) -> Result<(), String> {
    let conn = conn_of(world, &id)?;
    let answer = stream::wait_answer(world, &conn, &json!(id), 0).await?;
    expect_code(&answer, code)
}

#[then(regex = r#"^the xArm answers "([^"]*)" exactly '(.*)'$"#)]
async fn answers_exactly(world: &mut Check, id: String, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let conn = conn_of(world, &id)?;
    let answer = stream::wait_answer(world, &conn, &json!(id), 0).await?;
    if json_eq(&answer, &expected) {
        Ok(())
    } else {
        Err(format!("answer to {id}\n  got      {answer}\n  expected {expected}"))
    }
}

#[then(regex = r#"^the final xArm answer to "([^"]*)" is code (-?\d+)$"#)]
async fn final_code(world: &mut Check, id: String, code: i64) -> Result<(), String> {
    let conn = conn_of(world, &id)?;
    let answer = stream::wait_final(world, &conn, &json!(id)).await?;
    expect_code(&answer, code).map_err(|e| format!("final answer to {id}: {e}"))
}

#[then(regex = r#"^the final xArm answer to "([^"]*)" is exactly '(.*)'$"#)]
async fn final_exactly(world: &mut Check, id: String, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let conn = conn_of(world, &id)?;
    let answer = stream::wait_final(world, &conn, &json!(id)).await?;
    if json_eq(&answer, &expected) {
        Ok(())
    } else {
        Err(format!(
            "final answer to {id}\n  got      {answer}\n  expected {expected}"
        ))
    }
}

#[then(regex = r"^the final xArm answers arrived in the order (.*)$")]
async fn finals_in_order(world: &mut Check, ids: String) -> Result<(), String> {
    let ids: Vec<String> = ids.split(',').map(|s| s.trim().trim_matches('"').to_string()).collect();
    let mut positions = Vec::new();
    for id in &ids {
        let conn = conn_of(world, id)?;
        stream::wait_final(world, &conn, &json!(id)).await?;
        let responses = &xarm(world)
            .streams
            .get(&conn)
            .ok_or("the connection is closed")?
            .responses;
        let position = responses
            .iter()
            .enumerate()
            .filter(|(_, r)| r["id"] == json!(id))
            .nth(1)
            .map(|(i, _)| i)
            .ok_or_else(|| format!("no final answer to {id}"))?;
        positions.push(position);
    }
    if positions.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(format!("final answers to {ids:?} arrived at positions {positions:?}"))
    }
}

// ---- opening, reports and time ----

#[then(regex = r"^the first xArm frames are the keys report, the info report and a status report$")]
async fn opening_frames(world: &mut Check) -> Result<(), String> {
    while main_stream(world)?.opening.len() < 3 {
        if stream::pump(world, MAIN, crate::client::REPLY_TIMEOUT).await?.is_none() {
            break;
        }
    }
    let opening = main_stream(world)?.opening.clone();
    if opening.starts_with(&[Kind::Keys, Kind::Info, Kind::Status]) {
        Ok(())
    } else {
        Err(format!("the first frames were {opening:?}"))
    }
}

#[then(regex = r"^no xArm status report came before the keys report$")]
async fn keys_first(world: &mut Check) -> Result<(), String> {
    let s = main_stream(world)?;
    match (s.early_status, s.opening.first()) {
        (0, Some(Kind::Keys)) => Ok(()),
        (n, first) => Err(format!(
            "{n} devices_status_report(s) came before the keys report; the first frame was {first:?}"
        )),
    }
}

#[then(regex = r"^each of the next (\d+) xArm status reports has one value per key, each of its key's type$")]
async fn next_reports_aligned(world: &mut Check, count: usize) -> Result<(), String> {
    for _ in 0..count {
        // The stream decodes by key and checks each value's type (schema xarm/status).
        let sample = stream::fresh_sample(world, MAIN).await?;
        let info = main_stream(world)?.info.clone();
        checks::consistent(&sample, info.as_ref())?;
        checks::joint_limits_hold(&sample)?;
    }
    Ok(())
}

#[then(regex = r"^at least (\d+) xArm status reports arrived meanwhile$")]
async fn reports_meanwhile(world: &mut Check, count: u64) -> Result<(), String> {
    let got = xarm(world).reports_while_waiting;
    if got >= count {
        Ok(())
    } else {
        Err(format!("{got} status reports arrived, expected at least {count}"))
    }
}

#[then(regex = r"^exactly (\d+) xArm status reports arrive in (\d+) ms of simulated time advanced (\d+) ms at a time$")]
async fn exact_rate(world: &mut Check, count: u64, total: u64, every: u64) -> Result<(), String> {
    let before = main_stream(world)?.statuses;
    for n in 0..total / every.max(1) {
        world.target()?.advance(every).await?;
        // A round trip after each step lets the connection act on the new time before the clock moves again.
        let id = format!("rate-probe-{n}");
        request(world, MAIN, "understudy_rate_probe", &id, None).await?;
    }
    // The last step's report may still be on its way behind the last probe's answer: wait for the reports
    // expected, then a little longer for any extra one.
    let deadline = std::time::Instant::now() + crate::client::REPLY_TIMEOUT;
    while main_stream(world)?.statuses - before < count {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if stream::pump(world, MAIN, left).await?.is_none() {
            break;
        }
    }
    while stream::pump(world, MAIN, std::time::Duration::from_millis(100))
        .await?
        .is_some()
    {}
    let got = main_stream(world)?.statuses - before;
    if got == count {
        Ok(())
    } else {
        Err(format!(
            "{got} status reports arrived in {total} ms of simulated time, expected {count}"
        ))
    }
}

#[then(regex = r#"^the xArm info report has "(\w+)" equal to '(.*)'$"#)]
async fn info_has(world: &mut Check, key: String, expected: String) -> Result<(), String> {
    let info = main_stream(world)?.info.clone().ok_or("no info report was received")?;
    let expected = parse_json(&expected)?;
    match info.get(&key) {
        Some(got) if json_eq(got, &expected) => Ok(()),
        got => Err(format!("the info report's {key} is {got:?}, expected {expected}")),
    }
}

fn has_value(sample: &Sample, key: &str, expected: &str) -> Result<(), String> {
    let expected = parse_json(expected)?;
    let got = get(sample, key)?;
    if json_eq(got, &expected) {
        Ok(())
    } else {
        Err(format!("{key} is {got}, expected {expected}"))
    }
}

#[then(regex = r#"^the next xArm status report has "(\w+)" equal to '(.*)'$"#)]
async fn next_report_has(world: &mut Check, key: String, expected: String) -> Result<(), String> {
    let sample = stream::fresh_sample(world, MAIN).await?;
    has_value(&sample, &key, &expected)
}

#[then(regex = r#"^the next xArm status report on connection (\w+) has "(\w+)" equal to '(.*)'$"#)]
async fn next_report_on_has(world: &mut Check, conn: String, key: String, expected: String) -> Result<(), String> {
    let sample = stream::fresh_sample(world, &conn).await?;
    has_value(&sample, &key, &expected)
}

#[then(regex = r#"^that xArm status report has "(\w+)" equal to '(.*)'$"#)]
async fn that_report_has(world: &mut Check, key: String, expected: String) -> Result<(), String> {
    let sample = xarm(world).sample.as_ref().ok_or("no xArm status report was read yet")?;
    has_value(sample, &key, &expected)
}

#[then(regex = r#"^an xArm status report on connection (\w+) soon has "(\w+)" equal to '(.*)'$"#)]
async fn soon_has(world: &mut Check, conn: String, key: String, expected: String) -> Result<(), String> {
    // A closed socket is forgotten when the arm notices the close: allow it a few seconds of real time.
    let deadline = std::time::Instant::now() + crate::client::REPLY_TIMEOUT;
    loop {
        let sample = stream::fresh_sample(world, &conn).await?;
        match has_value(&sample, &key, &expected) {
            Ok(()) => return Ok(()),
            Err(e) if std::time::Instant::now() > deadline => {
                return Err(format!("after {} s: {e}", crate::client::REPLY_TIMEOUT.as_secs()));
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

// ---- motion ----

#[when(regex = r#"^I watch the xArm until the final answer to "([^"]*)"$"#)]
async fn watch(world: &mut Check, id: String) -> Result<(), String> {
    let conn = conn_of(world, &id)?;
    stream::watch(world, &conn, &json!(id)).await.map(|_| ())
}

fn watched(world: &Check) -> Result<&[Sample], String> {
    let watched = &xarm(world).watched;
    if watched.is_empty() {
        Err("no status report was seen during the watched motion".into())
    } else {
        Ok(watched)
    }
}

#[then(regex = r"^every xArm report during the motion has its joints within the model's limits$")]
async fn watched_limits(world: &mut Check) -> Result<(), String> {
    for (n, sample) in watched(world)?.iter().enumerate() {
        checks::joint_limits_hold(sample).map_err(|e| format!("report {n} of the motion: {e}"))?;
    }
    Ok(())
}

#[then(regex = r"^every xArm report during the motion has the TCP pose at the forward kinematics of its joints$")]
async fn watched_fk(world: &mut Check) -> Result<(), String> {
    for (n, sample) in watched(world)?.iter().enumerate() {
        checks::tcp_on_fk(sample).map_err(|e| format!("report {n} of the motion: {e}"))?;
    }
    Ok(())
}

#[then(regex = r"^the xArm reported state (\d) during the motion$")]
async fn watched_state(world: &mut Check, state: i64) -> Result<(), String> {
    let states: Vec<i64> = watched(world)?
        .iter()
        .filter_map(|s| s["xarm_state"].as_i64())
        .collect();
    if states.contains(&state) {
        Ok(())
    } else {
        Err(format!("states during the motion: {states:?}"))
    }
}

#[then(regex = r"^no xArm joint turned faster than (\d+) deg/s times the speed percent during the motion$")]
async fn watched_speed(world: &mut Check, limit: f64) -> Result<(), String> {
    for (n, sample) in watched(world)?.iter().enumerate() {
        let percent = get(sample, "xarm_speed_percent")?.as_f64().unwrap_or(1.0);
        let allowed = limit * percent + 1e-6;
        let speeds = numbers(sample, "xarm_joint_speed_axis")?;
        if let Some((joint, speed)) = speeds.iter().enumerate().find(|(_, v)| v.abs() > allowed) {
            return Err(format!(
                "report {n} of the motion: joint {} turns at {speed} deg/s, above {limit} x {percent}",
                joint + 1
            ));
        }
    }
    Ok(())
}

#[then(
    regex = r"^the xArm TCP stayed within ([\d.]+) mm of the straight line from the noted pose to \[(.*)\] during the motion$"
)]
async fn watched_line(world: &mut Check, tolerance: f64, target: String) -> Result<(), String> {
    let noted = xarm(world).noted.as_ref().ok_or("no xArm status was noted")?;
    let start = numbers(noted, "xarm_tcp_pose")?;
    let end = number_list(&target)?;
    if end.len() < 3 {
        return Err("the target needs x, y, z".into());
    }
    for (n, sample) in watched(world)?.iter().enumerate() {
        let p = numbers(sample, "xarm_tcp_pose")?;
        let d = checks::segment_distance(
            [p[0], p[1], p[2]],
            [start[0], start[1], start[2]],
            [end[0], end[1], end[2]],
        );
        if d > tolerance {
            return Err(format!(
                "report {n} of the motion: the TCP at {:?} is {d:.3} mm off the line",
                &p[..3]
            ));
        }
    }
    Ok(())
}

#[when(regex = r"^I note the xArm status$")]
#[given(regex = r"^I note the xArm status$")]
async fn note(world: &mut Check) -> Result<(), String> {
    let sample = stream::fresh_sample(world, MAIN).await?;
    xarm_mut(world).noted = Some(sample);
    Ok(())
}

fn within(got: &[f64], expected: &[f64], tolerance: f64, what: &str) -> Result<(), String> {
    let close = got.len() == expected.len() && got.iter().zip(expected).all(|(g, e)| (g - e).abs() <= tolerance);
    if close {
        Ok(())
    } else {
        Err(format!("{what} are {got:?}, expected {expected:?} within {tolerance}"))
    }
}

#[then(regex = r"^the xArm joints are at (.*) within ([\d.e-]+) deg$")]
async fn joints_at(world: &mut Check, joints: String, tolerance: f64) -> Result<(), String> {
    let expected = number_list(&joints)?;
    let sample = stream::fresh_sample(world, MAIN).await?;
    within(
        &numbers(&sample, "xarm_joint_pose")?,
        &expected,
        tolerance,
        "the joints",
    )
}

#[then(regex = r"^the xArm joints have moved by (.*) deg since the noted status, within ([\d.e-]+) deg$")]
async fn joints_moved(world: &mut Check, delta: String, tolerance: f64) -> Result<(), String> {
    let delta = number_list(&delta)?;
    let noted = xarm(world).noted.clone().ok_or("no xArm status was noted")?;
    let sample = stream::fresh_sample(world, MAIN).await?;
    let moved: Vec<f64> = numbers(&sample, "xarm_joint_pose")?
        .iter()
        .zip(numbers(&noted, "xarm_joint_pose")?)
        .map(|(now, then)| now - then)
        .collect();
    within(&moved, &delta, tolerance, "the joint changes")
}

#[then(regex = r"^the xArm TCP pose is at \[(.*)\] within ([\d.e-]+) mm and ([\d.e-]+) deg$")]
async fn pose_at(world: &mut Check, pose: String, mm: f64, deg: f64) -> Result<(), String> {
    let expected = pose_of(&number_list(&pose)?)?;
    let sample = stream::fresh_sample(world, MAIN).await?;
    let got = pose_of(&numbers(&sample, "xarm_tcp_pose")?)?;
    let (dmm, ddeg) = pose_gap(&got, &expected);
    if dmm <= mm && ddeg <= deg {
        Ok(())
    } else {
        Err(format!(
            "the TCP pose {:?} is {dmm:.4} mm and {ddeg:.4} deg from [{pose}]",
            numbers(&sample, "xarm_tcp_pose")?
        ))
    }
}

#[then(regex = r"^the xArm TCP has moved by \[(.*)\] mm since the noted status, within ([\d.e-]+) mm$")]
async fn tcp_moved(world: &mut Check, delta: String, tolerance: f64) -> Result<(), String> {
    let delta = number_list(&delta)?;
    let noted = xarm(world).noted.clone().ok_or("no xArm status was noted")?;
    let sample = stream::fresh_sample(world, MAIN).await?;
    let now = numbers(&sample, "xarm_tcp_pose")?;
    let then = numbers(&noted, "xarm_tcp_pose")?;
    let moved: Vec<f64> = now.iter().zip(&then).take(3).map(|(a, b)| a - b).collect();
    within(&moved, &delta, tolerance, "the TCP position changes")
}

#[then(regex = r"^the xArm TCP has moved up by more than ([\d.]+) mm since the noted status$")]
async fn tcp_moved_up(world: &mut Check, least: f64) -> Result<(), String> {
    let noted = xarm(world).noted.clone().ok_or("no xArm status was noted")?;
    let sample = stream::fresh_sample(world, MAIN).await?;
    let rise = numbers(&sample, "xarm_tcp_pose")?[2] - numbers(&noted, "xarm_tcp_pose")?[2];
    if rise > least {
        Ok(())
    } else {
        Err(format!("the TCP rose {rise:.3} mm, expected more than {least}"))
    }
}

#[then(regex = r"^the xArm joints hold still while (\d+) ms of device time pass$")]
async fn hold_still(world: &mut Check, ms: u64) -> Result<(), String> {
    let first = numbers(&stream::fresh_sample(world, MAIN).await?, "xarm_joint_pose")?;
    xarm_mut(world)
        .streams
        .get_mut(MAIN)
        .ok_or("no xArm connection is open")?
        .recording = Some(Vec::new());
    let passed = stream::pass_time(world, MAIN, ms).await;
    let recorded = xarm_mut(world)
        .streams
        .get_mut(MAIN)
        .and_then(|s| s.recording.take())
        .unwrap_or_default();
    passed?;
    for sample in &recorded {
        within(&numbers(sample, "xarm_joint_pose")?, &first, 1e-3, "the joints")
            .map_err(|e| format!("the arm moved while it should hold: {e}"))?;
    }
    if recorded.is_empty() {
        return Err("no status report arrived while waiting".into());
    }
    Ok(())
}

#[then(regex = r"^the xArm TCP pose is at the forward kinematics of its joints$")]
async fn pose_on_fk(world: &mut Check) -> Result<(), String> {
    let sample = stream::fresh_sample(world, MAIN).await?;
    checks::tcp_on_fk(&sample)
}

// ---- HTTP on the same port ----

fn http_json(world: &Check) -> Result<Value, String> {
    let reply = world.http.as_ref().ok_or("no HTTP request was made")?;
    parse_json(&reply.body)
}

#[then(regex = r"^the HTTP body is an xArm status object keyed like the keys report$")]
async fn http_status_object(world: &mut Check) -> Result<(), String> {
    let body = http_json(world)?;
    world.check_schema("xarm/status", &body)?;
    let keys = main_stream(world)?.keys.clone().ok_or("no keys report was received")?;
    let got: Vec<&str> = body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if got == keys {
        Ok(())
    } else {
        Err(format!("the body's keys {got:?} are not the keys report's {keys:?}"))
    }
}

#[then(regex = r"^the HTTP body is the xArm info report's data$")]
async fn http_info(world: &mut Check) -> Result<(), String> {
    let body = http_json(world)?;
    world.check_schema("xarm/info", &body)?;
    let info = main_stream(world)?.info.clone().ok_or("no info report was received")?;
    if json_eq(&body, &info) {
        Ok(())
    } else {
        Err(format!("the body {body} is not the info report's data {info}"))
    }
}

// ---- simulator-only ----

#[when(regex = r"^the simulated xArm collides with something$")]
async fn collision(world: &mut Check) -> Result<(), String> {
    world.control(ENDPOINT, "collision", &json!({})).await.map(|_| ())
}

/// The simulated gripper's position, from the simulator's `state` command.
async fn gripper_position(world: &mut Check) -> Result<f64, String> {
    let state = world.control(ENDPOINT, "state", &json!({})).await?;
    state["gripper_pos"]
        .as_f64()
        .ok_or_else(|| format!("no gripper_pos in {state}"))
}

#[then(regex = r"^the simulated gripper moves monotonically to (\d+) while (\d+) ms of device time pass$")]
async fn gripper_monotonic(world: &mut Check, target: f64, ms: u64) -> Result<(), String> {
    let mut last = gripper_position(world).await?;
    let direction = (target - last).signum();
    let mut path = vec![last];
    for _ in 0..ms.div_ceil(stream::sim_period_ms()) {
        stream::advance_one(world).await?;
        let now = gripper_position(world).await?;
        path.push(now);
        if (now - last) * direction < -1e-9 || (now - target) * direction > 1e-9 {
            return Err(format!("the gripper went {path:?} on its way to {target}"));
        }
        last = now;
    }
    if (last - target).abs() > 1e-9 {
        return Err(format!(
            "the gripper is at {last}, not {target}, after {ms} ms: {path:?}"
        ));
    }
    Ok(())
}

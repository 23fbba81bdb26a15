//! Obico steps: the checker is the server an agent dials (the run's server, or the scenario's own in
//! process), and the steps take the agent's socket, send server frames (commands, passthru calls, closes)
//! and check what the agent sent: REST first, frame shapes, state and flags, `_ts`, prints, replies, closes.

mod asyncapi;
mod checks;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use cucumber::{given, then, when};
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use understudy_sim::devices::obico::ObicoOptions;

use crate::client::{self, Transport};
use crate::listen::ListenSocket;
use crate::obico::{Auth, DEFAULT_TOKEN, ObicoServer, Seen};
use crate::steps::{Check, Flags, MAIN, Protocol, ProtocolOptions, parse_json};
use crate::target::Served;
use checks::Kind;
pub use stream::ENDPOINT;
use stream::{Got, ObicoState, STEP_MS, adopt, is_virtual, now_ms, obico};

/// The G-code file print scenarios select and start when none is configured (`--obico-print-file`).
pub const DEFAULT_PRINT_FILE: &str = "understudy-check.gcode";

/// The Obico protocol: while device time passes, the agent's socket is read; on a listening target the
/// checker is the Obico server the agent dials.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT)
    .with_pass_time(pass_time_boxed)
    .with_flags(Flags::of::<ObicoFlags>())
    .with_serve(serve)
    .with_redactions(&[
        (".status._ts", "[ts]"),
        (".current_print_ts", "[cpts]"),
        (".status.job.file.date", "[date]"),
        (".event.data.time", "[s]"),
    ])
    .with_asyncapi(asyncapi::spec);

/// The checker's flags for Obico: what its server accepts and what print scenarios start (field names are
/// the flags' ids, prefixed with the protocol's name as every protocol's must be).
#[derive(Clone, Debug, clap::Args)]
pub struct ObicoFlags {
    /// The token the checker's Obico server accepts from the agent (its `auth_token`).
    #[arg(long, default_value = DEFAULT_TOKEN)]
    pub obico_token: String,
    /// The G-code file Obico print scenarios start with `_printer.select_file` (OctoPrint: its path on disk).
    #[arg(long, default_value = DEFAULT_PRINT_FILE)]
    pub obico_print_file: String,
}

impl Default for ObicoFlags {
    fn default() -> Self {
        ObicoFlags {
            obico_token: DEFAULT_TOKEN.to_string(),
            obico_print_file: DEFAULT_PRINT_FILE.to_string(),
        }
    }
}

/// On a listening target, the checker's Obico server for the whole run, accepting the configured token.
fn serve(socket: ListenSocket, options: &ProtocolOptions) -> crate::error::Result<Arc<dyn Served>> {
    Ok(ObicoServer::start(socket, &options.get::<ObicoFlags>().obico_token))
}

fn pass_time_boxed(world: &mut Check, ms: u64) -> LocalBoxFuture<'_, Result<bool, String>> {
    Box::pin(async move {
        if obico(world).sockets == 0 {
            return Ok(false);
        }
        stream::pass(world, ms).await?;
        Ok(true)
    })
}

/// The server the agent dials: the run's (`--target obico=listen://...`), or in process a fresh one.
async fn server(world: &mut Check) -> Result<Arc<ObicoServer>, String> {
    if let Some(server) = obico(world).server.clone() {
        return Ok(server);
    }
    let token = world.options::<ObicoFlags>()?.obico_token;
    let target = world.target()?.target();
    let server = match target.served::<ObicoServer>(ENDPOINT) {
        Some(server) => server,
        None if !target.is_external() => ObicoServer::on_loopback(&token).await?,
        None => return Err("no --target for obico".into()),
    };
    obico(world).server = Some(server.clone());
    Ok(server)
}

/// Starts the scenario's in-process simulator with its agent pointed at `server` (`--obico-server URL`, the
/// checker's token).
async fn start_simulated_agent(world: &mut Check, server: &ObicoServer) -> Result<(), String> {
    let token = world.options::<ObicoFlags>()?.obico_token;
    let in_process = world.target()?.in_process("the simulated Obico agent")?;
    *in_process.config_mut()?.devices.get_mut::<ObicoOptions>() = ObicoOptions::single(&server.url(), &token);
    in_process.simulator().await?;
    Ok(())
}

/// A print of about a minute: three layers of twenty 10 mm moves at 10 mm/s.
fn short_print() -> String {
    let mut gcode = String::from("G28\nG92 E0\n");
    for layer in 1..=3 {
        gcode.push_str(&format!("G1 Z{:.1} F300\n", f64::from(layer) * 0.3));
        for i in 0..20 {
            let x = if i % 2 == 0 { 20 } else { 10 };
            gcode.push_str(&format!("G1 X{x} Y10 E{} F600\n", layer * 20 + i));
        }
    }
    gcode
}

/// What the upgrades refused so far were (never the token itself).
fn refused_upgrades(server: &ObicoServer) -> String {
    let refused: Vec<String> = server
        .log()
        .iter()
        .filter_map(|served| match &served.seen {
            Seen::Upgrade { path, auth, status } if *status != 101 => {
                Some(format!("{status} for {path} ({})", auth_words(*auth)))
            }
            _ => None,
        })
        .collect();
    if refused.is_empty() {
        "none".into()
    } else {
        refused.join(", ")
    }
}

fn auth_words(auth: Auth) -> &'static str {
    match auth {
        Auth::Bearer => "bearer and the right token",
        Auth::UnknownToken => "bearer and a token the server does not know",
        Auth::WrongScheme => "not the lower-case bearer scheme",
        Auth::Missing => "no authorization header",
    }
}

/// Takes the agent's next socket, letting at most `ms` of device time pass for it.
async fn take_socket(world: &mut Check, ms: u64) -> Result<(), String> {
    let server = server(world).await?;
    if !world.target()?.target().is_external() && world.target()?.in_process("the Obico agent")?.running().is_none() {
        start_simulated_agent(world, &server).await?;
    }
    let socket = if is_virtual(world).await? {
        let mut left = ms;
        loop {
            if let Some(socket) = server.waiting_socket().await {
                break Some(socket);
            }
            if left == 0 {
                break None;
            }
            let step = left.min(STEP_MS);
            world.target()?.advance(step).await?;
            obico(world).virtual_ms += step;
            left -= step;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    } else {
        server.next_socket(Duration::from_millis(ms)).await.ok()
    };
    let Some(socket) = socket else {
        return Err(format!(
            "no Obico agent opened /ws/dev/ on {} within {ms} ms of device time; upgrades refused meanwhile: {}",
            server.url(),
            refused_upgrades(&server)
        ));
    };
    let accepted = server
        .log()
        .iter()
        .filter(|s| matches!(s.seen, Seen::Upgrade { status: 101, .. }))
        .count();
    adopt(world, socket);
    obico(world).first_socket_ever = accepted == 1;
    Ok(())
}

#[given(regex = r"^an Obico agent connected to the checker$")]
async fn connected(world: &mut Check) -> Result<(), String> {
    let wait = world.target()?.target().accept_wait();
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    take_socket(world, ms).await?;
    stream::drain(world).await
}

#[given(regex = r"^an Obico agent connected to the checker within (\d+) ms of device time$")]
async fn connected_within(world: &mut Check, ms: u64) -> Result<(), String> {
    take_socket(world, ms).await?;
    stream::drain(world).await
}

#[given(regex = r"^the checker refuses the agent's next socket with 403$")]
async fn refuse_next(world: &mut Check) -> Result<(), String> {
    server(world).await?.refuse_upgrades(1);
    Ok(())
}

// ---- REST and upgrades against the checker's own server ----

/// `{token}` in step text is the checker's token.
async fn with_token(world: &mut Check, text: &str) -> Result<String, String> {
    let token = world.options::<ObicoFlags>()?.obico_token;
    Ok(text.replace("{token}", &token))
}

/// How the checker reaches its own server (TLS on a `listen+tls://` target: the checker trusts itself), and
/// its `host:port`.
async fn own_server(world: &mut Check) -> Result<(Transport, String), String> {
    let server = server(world).await?;
    let transport = if server.url().starts_with("https://") {
        Transport::tls(&client::Trust::AnyCertificate)?
    } else {
        Transport::Plain
    };
    Ok((transport, server.addr().to_string()))
}

#[when(regex = r#"^I ask the Obico server to upgrade "(.*)" with authorization "(.*)"$"#)]
async fn ask_upgrade(world: &mut Check, path: String, authorization: String) -> Result<(), String> {
    let (transport, authority) = own_server(world).await?;
    let authorization = with_token(world, &authorization).await?;
    let mut headers = vec![
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
    ];
    if !authorization.is_empty() {
        headers.push(("authorization", authorization.as_str()));
    }
    world.http = Some(client::http_request_via(&transport, &authority, "GET", &path, &headers, "").await?);
    Ok(())
}

#[when(regex = r#"^I call the Obico server "(GET|POST) (.*)" with authorization "(.*)"$"#)]
async fn call_rest(world: &mut Check, method: String, path: String, authorization: String) -> Result<(), String> {
    let (transport, authority) = own_server(world).await?;
    let authorization = with_token(world, &authorization).await?;
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if !authorization.is_empty() {
        headers.push(("authorization", authorization.as_str()));
    }
    let body = if method == "POST" { "filename=a.gcode&num_bytes=3" } else { "" };
    world.http = Some(client::http_request_via(&transport, &authority, &method, &path, &headers, body).await?);
    Ok(())
}

#[then(regex = r#"^the agent called "(GET|POST) (.*)" with its token before it opened the socket$"#)]
async fn called_before(world: &mut Check, method: String, path: String) -> Result<(), String> {
    let log = server(world).await?.log();
    let opened = log
        .iter()
        .position(|s| matches!(s.seen, Seen::Upgrade { status: 101, .. }))
        .ok_or("the agent opened no socket")?;
    let called = log[..opened].iter().any(|s| {
        matches!(&s.seen, Seen::Rest { method: m, path: p, auth: crate::obico::rest::TokenAuth::Valid, status, .. }
            if *m == method && *p == path && (200..300).contains(status))
    });
    if called {
        Ok(())
    } else {
        Err(format!(
            "before its socket the agent made no {method} {path} with `Authorization: Token <its token>` answered 2xx (OBICO-32); calls: {}",
            rest_calls(&log[..opened])
        ))
    }
}

fn rest_calls(log: &[crate::obico::Served]) -> String {
    let calls: Vec<String> = log
        .iter()
        .filter_map(|s| match &s.seen {
            Seen::Rest { method, path, status, .. } => Some(format!("{method} {path} -> {status}")),
            _ => None,
        })
        .collect();
    if calls.is_empty() {
        "none".into()
    } else {
        calls.join(", ")
    }
}

#[then(regex = r"^every socket the agent opened carried a lower-case bearer and its token$")]
async fn bearer_only(world: &mut Check) -> Result<(), String> {
    let log = server(world).await?.log();
    let upgrades: Vec<Auth> = log
        .iter()
        .filter_map(|s| match &s.seen {
            Seen::Upgrade { auth, .. } => Some(*auth),
            _ => None,
        })
        .collect();
    match upgrades.iter().find(|a| **a != Auth::Bearer) {
        _ if upgrades.is_empty() => Err("the agent asked for no socket".into()),
        None => Ok(()),
        Some(auth) => Err(format!("an upgrade came with {} (OBICO-32)", auth_words(*auth))),
    }
}

#[then(regex = r#"^the agent posted "(.*)" with the fields (.*) when the print started$"#)]
async fn posted_at_start(world: &mut Check, path: String, fields: String) -> Result<(), String> {
    let log = server(world).await?.log();
    let form = log.iter().rev().find_map(|s| match &s.seen {
        Seen::Rest { method, path: p, form, .. } if method == "POST" && *p == path => Some(form.clone()),
        _ => None,
    });
    let form = form.ok_or_else(|| format!("the agent made no POST {path}; calls: {}", rest_calls(&log)))?;
    let missing: Vec<&str> = fields
        .split(',')
        .map(str::trim)
        .filter(|f| !form.iter().any(|(name, _)| name == f))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("POST {path} has no {}", missing.join(", ")))
    }
}

// ---- server frames ----

async fn send(world: &mut Check, text: &str) -> Result<(), String> {
    stream::drain(world).await?;
    world.conn(MAIN)?.send_text(text).await?;
    let state = obico(world);
    state.mark = state.frames.len();
    Ok(())
}

#[when(regex = r"^the checker sends '(.*)'$")]
async fn send_raw(world: &mut Check, text: String) -> Result<(), String> {
    send(world, &text).await
}

#[when(regex = r#"^the checker sends the command "(\w+)"(?: with args '(.*)')?$"#)]
async fn send_command(world: &mut Check, cmd: String, args: String) -> Result<(), String> {
    let args = if args.is_empty() { json!({}) } else { parse_json(&args)? };
    let frame = json!({"commands": [{"cmd": cmd, "args": args, "initiator": "api"}], "type": "printer.message"});
    send(world, &frame.to_string()).await
}

#[when(regex = r"^the checker sends the passthru '(.*)'$")]
async fn send_passthru(world: &mut Check, call: String) -> Result<(), String> {
    let frame = json!({"passthru": parse_json(&call)?, "type": "printer.message"});
    send(world, &frame.to_string()).await
}

#[when(regex = r"^the checker closes the socket with code (\d+)$")]
async fn close_with(world: &mut Check, code: u16) -> Result<(), String> {
    stream::drain(world).await?;
    world.conn(MAIN)?.close_with(code).await;
    world.conns.remove(MAIN);
    let state = obico(world);
    state.open = false;
    state.ended = Some(format!("closed by the checker with {code}"));
    state.mark = state.frames.len();
    state.sockets_at_mark = state.sockets;
    Ok(())
}

#[then(regex = r"^the agent's socket is reset$")]
async fn socket_reset(world: &mut Check) -> Result<(), String> {
    // What the agent sent before the reset is still read first.
    let ended = loop {
        match world.conn(MAIN)?.next_frame(client::REPLY_TIMEOUT).await {
            client::Frame::Text(_) | client::Frame::Binary(_) => continue,
            other => break other,
        }
    };
    world.conns.remove(MAIN);
    let state = obico(world);
    state.open = false;
    state.ended = Some("reset by the agent".into());
    state.mark = state.frames.len();
    state.sockets_at_mark = state.sockets;
    match ended {
        client::Frame::Dropped(error) if error.contains("reset by peer") => Ok(()),
        other => Err(format!("expected the agent's socket to be reset, got {other:?}")),
    }
}

// ---- waiting for the agent ----

fn since_mark(state: &ObicoState) -> &[Got] {
    &state.frames[state.mark.min(state.frames.len())..]
}

fn event_of(got: &Got) -> Option<&str> {
    got.value["event"]["event_type"].as_str()
}

fn text_of(got: &Got) -> Option<&str> {
    got.value["status"]["state"]["text"].as_str()
}

#[then(regex = r#"^the agent reports its printer "(.*)" within (\d+) ms of device time$"#)]
#[given(regex = r#"^the agent reports its printer "(.*)" within (\d+) ms of device time$"#)]
async fn reports_state(world: &mut Check, text: String, ms: u64) -> Result<(), String> {
    let wanted = text.clone();
    let latest = |state: &ObicoState| {
        state
            .frames
            .iter()
            .rev()
            .find(|g| g.kind == Kind::Status && text_of(g).is_some())
            .and_then(text_of)
            .map(str::to_string)
    };
    if stream::wait_for(world, ms, |s| latest(s).as_deref() == Some(wanted.as_str())).await? {
        return Ok(());
    }
    let got = latest(obico(world)).unwrap_or_else(|| "no status".into());
    Err(format!("the agent's latest state is {got:?}, not {text:?}, after {ms} ms of device time"))
}

#[then(regex = r#"^the agent reports the event "(\w+)" within (\d+) ms of device time$"#)]
async fn reports_event(world: &mut Check, event: String, ms: u64) -> Result<(), String> {
    let wanted = event.clone();
    let seen = |state: &ObicoState| since_mark(state).iter().any(|g| event_of(g) == Some(wanted.as_str()));
    if stream::wait_for(world, ms, seen).await? {
        return Ok(());
    }
    let events: Vec<&str> = since_mark(obico(world)).iter().filter_map(event_of).collect();
    Err(format!(
        "no {event} event within {ms} ms of device time of the checker's last frame (OBICO-40); events since: {}",
        if events.is_empty() { "none".into() } else { events.join(", ") }
    ))
}

#[given(regex = r"^the agent is printing, started through a passthru$")]
async fn printing(world: &mut Check) -> Result<(), String> {
    reports_state(world, "Operational".into(), 60_000).await?;
    let file = world.options::<ObicoFlags>()?.obico_print_file;
    if world.target()?.target().has_control() {
        let upload = json!({"file": file, "gcode": short_print()});
        world.control(ENDPOINT, "upload", &upload).await?;
    }
    // A ref of its own: the agent ignores a ref it has seen (also one from an earlier scenario).
    static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let reference = format!("understudy-start-print-{}-{n}", std::process::id());
    let call = json!({"target": "_printer", "func": "select_file", "args": [file, false, true], "ref": reference});
    send_passthru(world, call.to_string()).await?;
    let reply = wait_reply(world, &reference, 10_000).await?;
    match reply {
        Some(reply) if reply.get("error").is_some() => {
            let reason = format!(
                "the agent did not start a print through _printer.select_file({file:?}, False, True): {} (put the file \
                 on the device and name it with --obico-print-file)",
                reply["error"]
            );
            return Err(world.target()?.skip(reason).to_string());
        }
        Some(_) => {}
        None => return Err("the agent did not answer the select_file passthru (OBICO-41)".into()),
    }
    reports_event(world, "PrintStarted".into(), 90_000).await?;
    reports_state(world, "Printing".into(), 10_000).await
}

/// The first passthru reply with `reference` from the mark on, waiting at most `ms` of device time.
async fn wait_reply(world: &mut Check, reference: &str, ms: u64) -> Result<Option<Value>, String> {
    let wanted = reference.to_string();
    let reply = move |state: &ObicoState| {
        since_mark(state)
            .iter()
            .find(|g| g.kind == Kind::PassthruReply && g.value["passthru"]["ref"] == wanted.as_str())
            .map(|g| g.value["passthru"].clone())
    };
    let found = reply.clone();
    stream::wait_for(world, ms, move |s| found(s).is_some()).await?;
    Ok(reply(obico(world)))
}

fn replies_to<'a>(frames: &'a [Got], reference: &str) -> Vec<&'a Got> {
    frames
        .iter()
        .filter(|g| g.kind == Kind::PassthruReply && g.value["passthru"]["ref"] == reference)
        .collect()
}

#[then(regex = r#"^exactly one passthru reply with ref "(.*)" arrives within (\d+) ms of device time$"#)]
async fn one_reply(world: &mut Check, reference: String, ms: u64) -> Result<(), String> {
    if wait_reply(world, &reference, ms).await?.is_none() {
        return Err(format!(
            "no passthru reply with ref {reference:?} within {ms} ms of device time (OBICO-41)"
        ));
    }
    stream::pass(world, ms).await?;
    let state = obico(world);
    let replies: Vec<Value> = replies_to(since_mark(state), &reference)
        .iter()
        .map(|g| g.value.clone())
        .collect();
    match replies.as_slice() {
        [reply] => world.check_schema("obico/passthru-reply", reply),
        _ => Err(format!(
            "{} passthru replies with ref {reference:?} (OBICO-41)",
            replies.len()
        )),
    }
}

#[then(regex = r#"^no passthru reply with ref "(.*)" arrives within (\d+) ms of device time$"#)]
async fn no_reply(world: &mut Check, reference: String, ms: u64) -> Result<(), String> {
    stream::pass(world, ms).await?;
    let replies = replies_to(since_mark(obico(world)), &reference);
    if replies.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a passthru reply with ref {reference:?} came again: {} (OBICO-41)",
            replies[0].value
        ))
    }
}

#[then(regex = r#"^the passthru reply with ref "(.*)" has (ret|error) '(.*)'$"#)]
async fn reply_value(world: &mut Check, reference: String, key: String, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let state = obico(world);
    let reply = replies_to(&state.frames, &reference)
        .first()
        .map(|g| g.value["passthru"].clone())
        .ok_or_else(|| format!("no passthru reply with ref {reference:?} arrived"))?;
    if reply.get(&key) == Some(&expected) {
        Ok(())
    } else {
        Err(format!("the reply is {reply}, expected {key} {expected}"))
    }
}

#[then(regex = r"^the print ends within (\d+) ms of device time$")]
async fn print_ends(world: &mut Check, ms: u64) -> Result<(), String> {
    let ended = |s: &ObicoState| s.prints.current.is_none() && !s.prints.finished.is_empty();
    if stream::wait_for(world, ms, ended).await? {
        return Ok(());
    }
    Err(format!("the print reached no PrintDone or PrintFailed within {ms} ms of device time (OBICO-37)"))
}

#[then(regex = r"^the print's events were (.*)$")]
async fn print_events(world: &mut Check, expected: String) -> Result<(), String> {
    let print = obico(world)
        .prints
        .finished
        .last()
        .cloned()
        .ok_or("no print reached its terminal event")?;
    let mut got = print.events.iter().map(String::as_str).peekable();
    for item in expected.split(',').map(str::trim) {
        let (name, optional) = match item.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
            Some(name) => (name, true),
            None => (item, false),
        };
        if got.peek() == Some(&name) {
            got.next();
        } else if !optional {
            return Err(format!(
                "the print's events were {}, expected {expected} (OBICO-37)",
                print.events.join(", ")
            ));
        }
    }
    if got.peek().is_some() {
        return Err(format!(
            "the print's events were {}, expected {expected} (OBICO-37)",
            print.events.join(", ")
        ));
    }
    Ok(())
}

#[then(regex = r"^the agent reports current_print_ts -1 within (\d+) ms of device time$")]
async fn idle_again(world: &mut Check, ms: u64) -> Result<(), String> {
    if stream::wait_for(world, ms, |s| s.prints.idle_after_end).await? {
        return Ok(());
    }
    if let Some(problem) = obico(world).problems.get("OBICO-37").and_then(|p| p.first()) {
        return Err(format!("{problem} (OBICO-37)"));
    }
    let last: Vec<String> = obico(world)
        .frames
        .iter()
        .rev()
        .take(3)
        .map(|g| format!("current_print_ts {} {:?} {:?} at {} ms", g.value["current_print_ts"], event_of(g), text_of(g), g.device_ms))
        .collect();
    Err(format!(
        "no status with current_print_ts -1 within {ms} ms of device time after the print ended (OBICO-37); the last frames: {}",
        last.join(", ")
    ))
}

// ---- rules checked on every frame ----

#[then(regex = r"^every frame the agent sent kept rule (OBICO-\d+)$")]
async fn kept_rule(world: &mut Check, rule: String) -> Result<(), String> {
    // A socket just opened may not have sent its first status yet (the real agent: ~100 ms).
    stream::wait_for(world, 5_000, |s| s.frames.iter().any(|g| g.kind == Kind::Status)).await?;
    stream::drain(world).await?;
    let state = obico(world);
    if !state.frames.iter().any(|g| g.kind == Kind::Status) {
        return Err("the agent sent no status frame to check".into());
    }
    match state.problems.get(rule.as_str()) {
        Some(problems) if !problems.is_empty() => Err(format!(
            "{rule}: {}{}",
            problems[0],
            if problems.len() > 1 {
                format!(" (and {} more)", problems.len() - 1)
            } else {
                String::new()
            }
        )),
        _ => Ok(()),
    }
}

#[then(regex = r"^the agent sent at least (\d+) status frames?$")]
async fn status_count(world: &mut Check, n: usize) -> Result<(), String> {
    let got = obico(world).frames.iter().filter(|g| g.kind == Kind::Status).count();
    if got >= n {
        Ok(())
    } else {
        Err(format!("the agent sent {got} status frames, expected at least {n}"))
    }
}

#[then(regex = r"^status frames came at most (\d+) ms of device time apart$")]
async fn heartbeat(world: &mut Check, most: u64) -> Result<(), String> {
    let virtual_time = is_virtual(world).await?;
    let state = obico(world);
    let now = now_ms(state, virtual_time);
    let times: Vec<u64> = state
        .frames
        .iter()
        .filter(|g| g.kind == Kind::Status && g.conn == state.sockets)
        .map(|g| g.device_ms)
        .chain(std::iter::once(now))
        .collect();
    // One step of a virtual clock, or a little of the wall clock, is the measurement's grain.
    let slack = if virtual_time { STEP_MS } else { 1_000 };
    match times.windows(2).map(|w| w[1] - w[0]).max() {
        Some(gap) if gap <= most + slack => Ok(()),
        Some(gap) => Err(format!(
            "{gap} ms of device time passed without a status frame (at most {most}: OBICO-43)"
        )),
        None => Err("no status frame arrived".into()),
    }
}

#[then(regex = r"^a status frame arrives within (\d+) ms of device time$")]
async fn status_soon(world: &mut Check, ms: u64) -> Result<(), String> {
    let found = |s: &ObicoState| since_mark(s).iter().any(|g| g.kind == Kind::Status);
    if stream::wait_for(world, ms, found).await? {
        Ok(())
    } else {
        Err(format!("no status frame within {ms} ms of device time of the checker's last frame (OBICO-43)"))
    }
}

#[then(regex = r"^the agent sent nothing but status frames since the checker's last frame$")]
async fn only_status(world: &mut Check) -> Result<(), String> {
    stream::drain(world).await?;
    match since_mark(obico(world)).iter().find(|g| g.kind != Kind::Status) {
        None => Ok(()),
        Some(other) => Err(format!("the agent answered the frame: {}", other.value)),
    }
}

#[then(regex = r"^the agent's socket is still open$")]
async fn still_open(world: &mut Check) -> Result<(), String> {
    stream::drain(world).await?;
    let state = obico(world);
    if state.open && state.sockets == state.sockets_at_mark.max(1) {
        Ok(())
    } else {
        Err(format!(
            "the agent's socket ended: {}",
            state.ended.clone().unwrap_or_else(|| "it reconnected".into())
        ))
    }
}

#[then(regex = r"^one of the agent's first two frames carries settings.agent with a name and a version$")]
async fn settings_first(world: &mut Check) -> Result<(), String> {
    if !obico(world).first_socket_ever {
        let reason = "the agent connected to this server before: the real agent sends settings only on its first \
                      socket after it starts, so this needs a freshly started agent"
            .to_string();
        return Err(world.target()?.skip(reason).to_string());
    }
    stream::wait_for(world, 5_000, |s| s.frames.iter().filter(|g| g.conn == 1).count() >= 2).await?;
    let state = obico(world);
    let first: Vec<&Got> = state.frames.iter().filter(|g| g.conn == 1).take(2).collect();
    let has = |g: &&Got| {
        g.value["settings"]["agent"]["name"].is_string() && g.value["settings"]["agent"]["version"].is_string()
    };
    if first.iter().any(has) {
        Ok(())
    } else {
        let shown: Vec<String> = first.iter().map(|g| g.value.to_string().chars().take(120).collect()).collect();
        Err(format!("neither of the first two frames carries settings.agent (OBICO-39): {shown:?}"))
    }
}

#[then(regex = r"^within (\d+) ms of device time the agent opens at most (\d+) new sockets? and sends at most (\d+) frames? on (?:it|them)$")]
async fn after_duplicate_close(world: &mut Check, ms: u64, sockets: usize, frames: usize) -> Result<(), String> {
    stream::pass(world, ms).await?;
    let state = obico(world);
    let opened = state.sockets - state.sockets_at_mark;
    let sent = since_mark(state).len();
    if opened > sockets {
        return Err(format!("the agent opened {opened} new sockets after the close (at most {sockets}: OBICO-42)"));
    }
    if sent > frames {
        return Err(format!(
            "the agent sent {sent} frames after the close (at most {frames}: OBICO-42); the last: {}",
            since_mark(state).last().map(|g| g.value.to_string()).unwrap_or_default()
        ));
    }
    Ok(())
}

#[then(regex = r"^the agent opens a new socket within (\d+) ms of device time$")]
async fn reconnects(world: &mut Check, ms: u64) -> Result<(), String> {
    if stream::wait_for(world, ms, |s| s.sockets > s.sockets_at_mark).await? {
        Ok(())
    } else {
        Err(format!("the agent opened no new socket within {ms} ms of device time (OBICO-42)"))
    }
}

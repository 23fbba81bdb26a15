//! ESP3D steps: the terminal socket (connect sequence, ids, take-over, labels, PING), the printer's stream on
//! the terminal and data sockets, the data socket's transfer frames; the HTTP side (`/command`, `/files`,
//! `/sdfiles`, `/login`) is in `http`. The board's sockets are found from its HTTP URL.

mod asyncapi;
mod http;
mod link;
pub mod notation;

use std::collections::BTreeMap;

use cucumber::{given, then, when};
use understudy_sim::devices::esp3d::Esp3dOptions;

use crate::client::{self, Frame, WsClient};
use crate::steps::{Check, Flags, Protocol, ProtocolOptions};
use link::{Link, Socket, absorb_stream, first_pending, is_label, link, state, take_binary, take_text, wait_for};
use notation::{frame, parse_bytes, show, unescape};

/// The HTTP endpoint (the `--target esp3d=http://HOST:PORT/` URL).
pub const ENDPOINT: &str = "esp3d";
/// The terminal socket's endpoint name (`--esp3d-terminal`).
pub const TERMINAL: &str = "esp3d-terminal";
/// The data socket's endpoint name (`--esp3d-data`).
pub const DATA: &str = "esp3d-data";
/// The data socket's port when nothing says otherwise.
const DATA_PORT: u16 = 8282;
/// The device time a stream step waits when the scenario names none.
const STREAM_WAIT_MS: u64 = 2000;

/// The ESP3D protocol: its steps read their own connections as they let time pass, and need nothing of the
/// shared time step; a board is named by its HTTP URL and its two sockets are found from it.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT)
    .with_flags(Flags::of::<Esp3dFlags>())
    .with_endpoints(endpoints)
    .with_asyncapi(asyncapi::spec);

/// The checker's flags for ESP3D: the board's sockets when they are not where its HTTP URL says.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Esp3dFlags {
    /// The ESP3D terminal socket (default: ws://HOST:PORT+1/ of the esp3d target http://HOST:PORT/).
    #[arg(long, value_name = "URL", requires = "targets")]
    pub esp3d_terminal: Option<String>,
    /// The ESP3D data socket (default: ws://HOST:8282/ on the esp3d target's host).
    #[arg(long, value_name = "URL", requires = "targets")]
    pub esp3d_data: Option<String>,
}

/// The board's sockets for the run's esp3d target (none without one; the flags then are a usage error).
fn endpoints(target: Option<&str>, options: &ProtocolOptions) -> Result<BTreeMap<String, String>, String> {
    let flags = options.get::<Esp3dFlags>();
    match target {
        Some(url) => sockets_of(url, flags.esp3d_terminal.as_deref(), flags.esp3d_data.as_deref()),
        None if flags.esp3d_terminal.is_some() || flags.esp3d_data.is_some() => {
            Err("--esp3d-terminal and --esp3d-data need --target esp3d=http://HOST:PORT/".into())
        }
        None => Ok(BTreeMap::new()),
    }
}

/// The board's two sockets found from its HTTP URL `http://HOST:PORT/`: the terminal on `PORT + 1`, the data
/// socket on 8282 of the same host, unless `terminal` or `data` name them.
fn sockets_of(http_url: &str, terminal: Option<&str>, data: Option<&str>) -> Result<BTreeMap<String, String>, String> {
    let authority = http_url
        .strip_prefix("http://")
        .map(client::authority_of)
        .ok_or_else(|| format!("the esp3d target is the board's HTTP URL (http://HOST:PORT/), not {http_url}"))?;
    // `[::1]` has colons of its own: a port follows the closing bracket.
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !authority.ends_with(']') => {
            let port: u16 = port.parse().map_err(|_| format!("{http_url} has no valid port"))?;
            (host.to_string(), port)
        }
        _ => (authority.to_string(), 80),
    };
    let terminal_port = port
        .checked_add(1)
        .ok_or_else(|| format!("{http_url}: the terminal port would be beyond 65535"))?;
    let mut sockets = BTreeMap::new();
    for (name, given, derived) in [
        (TERMINAL, terminal, format!("ws://{host}:{terminal_port}/")),
        (DATA, data, format!("ws://{host}:{DATA_PORT}/")),
    ] {
        let url = given.map_or(derived, str::to_string);
        if !url.starts_with("ws://") {
            return Err(format!("the {name} socket is a ws:// URL, not {url}"));
        }
        sockets.insert(name.to_string(), url);
    }
    Ok(sockets)
}

// ---- simulator set-up ----

fn options<'a>(world: &'a mut Check, what: &str) -> Result<&'a mut Esp3dOptions, String> {
    let in_process = world.target()?.in_process(what)?;
    Ok(in_process.config_mut()?.devices.get_mut::<Esp3dOptions>())
}

#[given(regex = r#"^the simulated ESP3D has authentication on(?: with a (\d+) minute session timeout)?$"#)]
async fn with_auth(world: &mut Check, minutes: String) -> Result<(), String> {
    let options = options(world, "turning the simulated board's authentication on")?;
    options.auth = true;
    if let Ok(minutes) = minutes.parse() {
        options.session_timeout_min = minutes;
    }
    Ok(())
}

#[given(regex = r"^the simulated ESP3D answers the data socket in text frames$")]
async fn with_data_text(world: &mut Check) -> Result<(), String> {
    options(world, "making the simulated board answer in text frames")?.data_text = true;
    Ok(())
}

#[given(regex = r"^the simulated ESP3D has an SD card of (\d+) bytes$")]
async fn with_sd_capacity(world: &mut Check, bytes: u64) -> Result<(), String> {
    options(world, "sizing the simulated SD card")?.sd_capacity = bytes;
    Ok(())
}

// ---- connections ----

/// Opens connection `name` to `socket` at `path` (the URL's own when empty) offering `offered`; returns the
/// 101's headers.
async fn open(
    world: &mut Check,
    name: &str,
    socket: Socket,
    path: &str,
    offered: &[&str],
) -> Result<Vec<(String, String)>, String> {
    let endpoint = match socket {
        Socket::Terminal => TERMINAL,
        Socket::Data => DATA,
    };
    let mut url = world.url(endpoint).await?;
    if !path.is_empty() {
        url = format!("ws://{}{path}", client::authority_of(&url));
    }
    let transport = world.target()?.transport_for(&url)?;
    let (ws, headers) = WsClient::connect_offering(&url, &transport, offered).await?;
    world.conns.insert(name.to_string(), ws);
    state(world).links.insert(name.to_string(), Link::new(socket));
    Ok(headers)
}

/// Reads `name`'s `currentID:<n>` (its first text frame) and remembers the id.
async fn current_id(world: &mut Check, name: &str) -> Result<u32, String> {
    let text = next_text(world, name).await?;
    let id = text
        .strip_prefix("currentID:")
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| format!("the first text frame on {name} is {text:?}, not currentID:<n> (rule ESP3D-26)"))?;
    link(world, name)?.id = Some(id);
    Ok(id)
}

/// Reads `name`'s next text frame, which must be `activeID:` with `of`'s id.
async fn active_id(world: &mut Check, name: &str, of: &str) -> Result<(), String> {
    let id = link(world, of)?
        .id
        .ok_or_else(|| format!("{of} has no id yet"))?;
    let text = next_text(world, name)
        .await
        .map_err(|e| format!("{name} never got activeID:{id}, the id of {of} (rule ESP3D-26): {e}"))?;
    if text == format!("activeID:{id}") {
        Ok(())
    } else {
        Err(format!("{name} got {text:?}, expected activeID:{id}, the id of {of} (rule ESP3D-26)"))
    }
}

#[given(regex = r"^an ESP3D terminal connection (\w+)$")]
async fn terminal_ready(world: &mut Check, name: String) -> Result<(), String> {
    open(world, &name, Socket::Terminal, "", &["webui-v3"]).await?;
    current_id(world, &name).await?;
    active_id(world, &name, &name).await
}

#[given(regex = r"^an ESP3D data connection (\w+)$")]
async fn data_ready(world: &mut Check, name: String) -> Result<(), String> {
    open(world, &name, Socket::Data, "", &["arduino"]).await.map(|_| ())
}

#[when(regex = r#"^I open an ESP3D terminal connection (\w+)(?: at "([^"]*)")?(?: offering "([^"]*)")?$"#)]
async fn terminal_open(world: &mut Check, name: String, path: String, offered: String) -> Result<(), String> {
    let offered: Vec<&str> = offered.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let headers = open(world, &name, Socket::Terminal, &path, &offered).await?;
    world.http = Some(client::HttpReply {
        status: 101,
        headers,
        body: String::new(),
    });
    Ok(())
}

#[then(regex = r"^the 101 answer names no subprotocol$")]
async fn no_subprotocol(world: &mut Check) -> Result<(), String> {
    let reply = world.http.as_ref().ok_or("no connection was opened")?;
    match reply.header("sec-websocket-protocol") {
        None => Ok(()),
        Some(named) => Err(format!("the 101 names the subprotocol {named:?}, though none was offered (rule ESP3D-25)")),
    }
}

#[when(regex = r#"^I ask to upgrade to the ESP3D terminal at "(.*)" offering "(.*)"$"#)]
async fn terminal_upgrade(world: &mut Check, path: String, offered: String) -> Result<(), String> {
    let (transport, authority) = world.http_target(TERMINAL).await?;
    let headers = [("sec-websocket-protocol", offered.as_str())];
    world.http = Some(client::upgrade_request_with(&transport, &authority, &path, &headers).await?);
    Ok(())
}

#[then(regex = r"^another ESP3D data connection is refused with HTTP (\d+)$")]
async fn data_refused(world: &mut Check, status: u16) -> Result<(), String> {
    match open(world, "refused", Socket::Data, "", &["arduino"]).await {
        Ok(_) => Err("the board accepted one client more than it has slots for (rule ESP3D-26)".into()),
        Err(error) if error.contains(&format!("refused with HTTP {status}")) => Ok(()),
        Err(error) => Err(format!("expected a refusal with HTTP {status}: {error}")),
    }
}

#[when(regex = r"^I close the ESP3D connection (\w+)$")]
async fn close(world: &mut Check, name: String) -> Result<(), String> {
    world.conn(&name)?.close().await;
    // Reads until the board's side of the close arrives, so that the board has let the slot go.
    wait_for(world, &name, None, |link| link.closed.as_ref().map(|_| ())).await?;
    world.conns.remove(&name);
    state(world).links.remove(&name);
    Ok(())
}

#[then(regex = r"^the first frame on (\w+) is a WebSocket ping$")]
async fn first_ping(world: &mut Check, name: String) -> Result<(), String> {
    wait_for(world, &name, None, |link| link.first_was_ping).await?;
    match link(world, &name)?.first_was_ping {
        Some(true) => Ok(()),
        Some(false) => Err(format!("the first frame on {name} was not a ping control frame (rule ESP3D-26)")),
        None => Err(format!("nothing arrived on {name}")),
    }
}

#[then(regex = r"^(\w+) receives its currentID$")]
async fn receives_current(world: &mut Check, name: String) -> Result<(), String> {
    current_id(world, &name).await.map(|_| ())
}

#[then(regex = r"^(\w+) receives the activeID of (\w+)$")]
async fn receives_active(world: &mut Check, name: String, of: String) -> Result<(), String> {
    active_id(world, &name, &of).await
}

#[then(regex = r"^the id of (\w+) is (\d+)$")]
async fn id_is(world: &mut Check, name: String, id: u32) -> Result<(), String> {
    match link(world, &name)?.id {
        Some(got) if got == id => Ok(()),
        got => Err(format!("{name} has id {got:?}, expected {id}")),
    }
}

#[then(regex = r"^(\w+) is closed with code (\d+)$")]
async fn closed_with(world: &mut Check, name: String, code: u16) -> Result<(), String> {
    wait_for(world, &name, None, |link| link.closed.as_ref().map(|_| ())).await?;
    match &link(world, &name)?.closed {
        Some(Frame::Close(got, _)) if *got == code => Ok(()),
        Some(other) => Err(format!("{name} ended with {other:?}, expected a close with code {code}")),
        None => Err(format!("{name} is still open: the board did not close it (expected code {code})")),
    }
}

// ---- sending ----

#[when(regex = r#"^I send the text "(.*)" on (\w+)$"#)]
async fn send_text(world: &mut Check, text: String, name: String) -> Result<(), String> {
    let bytes = unescape(&text)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{text:?} is not UTF-8: send it as bytes"))?;
    Ok(world.conn(&name)?.send_text(&text).await?)
}

#[when(regex = r#"^I send the bytes "(.*)" on (\w+)$"#)]
async fn send_bytes(world: &mut Check, notation: String, name: String) -> Result<(), String> {
    let bytes = parse_bytes(&notation)?;
    Ok(world.conn(&name)?.send_binary(bytes).await?)
}

#[when(regex = r#"^I send the frame (\w\w) "(.*)" on (\w+)$"#)]
async fn send_frame(world: &mut Check, kind: String, notation: String, name: String) -> Result<(), String> {
    let bytes = frame(&kind, &parse_bytes(&notation)?)?;
    Ok(world.conn(&name)?.send_binary(bytes).await?)
}

#[when(regex = r#"^I send the session id as PING on (\w+)$"#)]
async fn send_ping_sid(world: &mut Check, name: String) -> Result<(), String> {
    let sid = state(world)
        .session
        .clone()
        .ok_or("no login set a session cookie")?;
    Ok(world.conn(&name)?.send_text(&format!("PING:{sid}")).await?)
}

// ---- labels ----

/// The next text frame on `name` (stream frames read meanwhile stay for the stream steps).
async fn next_text(world: &mut Check, name: &str) -> Result<String, String> {
    match wait_for(world, name, None, take_text).await? {
        Some(text) => Ok(text),
        None => Err(match &link(world, name)?.closed {
            Some(how) => format!("{name} ended ({how:?}) before a text frame came"),
            None => format!("no text frame came on {name}"),
        }),
    }
}

#[then(regex = r#"^(\w+) receives the text "(.*)"$"#)]
async fn receives_text(world: &mut Check, name: String, expected: String) -> Result<(), String> {
    let text = next_text(world, &name).await?;
    if text == expected {
        Ok(())
    } else {
        Err(format!("{name} got {text:?}, expected {expected:?}"))
    }
}

#[then(regex = r#"^(\w+) receives a text matching /(.*)/$"#)]
async fn receives_matching(world: &mut Check, name: String, pattern: String) -> Result<(), String> {
    let text = next_text(world, &name).await?;
    let regex = anchored(&pattern)?;
    if regex.is_match(&text) {
        Ok(())
    } else {
        Err(format!("{name} got {text:?}, which does not match /{pattern}/"))
    }
}

#[then(regex = r"^(\w+) receives a PING answer of at most (\d+) ms left of (\d+)$")]
async fn receives_ping(world: &mut Check, name: String, most: u64, timeout: u64) -> Result<(), String> {
    let text = next_text(world, &name).await?;
    let numbers: Option<(u64, u64)> = text
        .strip_prefix("PING:")
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(left, total)| Some((left.parse().ok()?, total.parse().ok()?)));
    match numbers {
        Some((left, total)) if total == timeout && left <= most && left <= total => Ok(()),
        _ => Err(format!(
            "{name} got {text:?}, expected PING:<remaining <= {most}>:{timeout} (rule ESP3D-28)"
        )),
    }
}

#[then(regex = r"^(\w+) receives no frame within (\d+) ms$")]
async fn receives_nothing(world: &mut Check, name: String, ms: u64) -> Result<(), String> {
    let found = wait_for(world, &name, Some(ms), |link| first_pending(link)).await?;
    match found {
        None if link(world, &name)?.closed.is_none() => Ok(()),
        None => Err(format!("{name} was closed: {:?}", link(world, &name)?.closed)),
        Some(frame) => Err(format!("{name} got {frame:?}, expected nothing")),
    }
}

#[then(regex = r"^every text frame (\w+) received is a label of the board$")]
async fn only_labels(world: &mut Check, name: String) -> Result<(), String> {
    absorb_stream(link(world, &name)?)?;
    while let Some(text) = take_text(link(world, &name)?) {
        if !is_label(&text) || !label_is_well_formed(&text) {
            return Err(format!("{text:?} is not one of the board's labels (rule ESP3D-27)"));
        }
    }
    Ok(())
}

/// Whether a label's text has the shape rule ESP3D-27 gives it.
fn label_is_well_formed(text: &str) -> bool {
    const SHAPES: &str = r"^(?:(?:currentID|activeID):\d+|PING:\d+:\d+|ERROR:(?:[1-9]|1[0-4]):.*|NOTIFICATION:.*)$";
    regex::Regex::new(SHAPES).is_ok_and(|shape| shape.is_match(text))
}

// ---- the stream ----

pub(crate) fn anchored(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

/// Reads `name`'s stream until `found` holds for it, letting at most `ms` of device time pass.
async fn stream_until(
    world: &mut Check,
    name: &str,
    ms: u64,
    mut found: impl FnMut(&mut Link) -> bool,
) -> Result<bool, String> {
    let mut failure = None;
    let hit = wait_for(world, name, Some(ms), |link| match absorb_stream(link) {
        Err(error) => {
            failure = Some(error);
            Some(false)
        }
        Ok(()) => found(link).then_some(true),
    })
    .await?;
    match failure {
        Some(error) => Err(error),
        None => Ok(hit.unwrap_or(false)),
    }
}

fn stream_text(link: &Link) -> String {
    String::from_utf8_lossy(&link.stream).into_owned()
}

#[then(regex = r#"^the stream on (\w+) shows "(.*)"(?: within (\d+) ms)?$"#)]
async fn stream_shows(world: &mut Check, name: String, needle: String, ms: String) -> Result<(), String> {
    let needle = unescape(&needle)?;
    let ms = ms.parse().unwrap_or(STREAM_WAIT_MS);
    let hit = stream_until(world, &name, ms, |link| {
        link.stream.windows(needle.len().max(1)).any(|w| w == needle.as_slice())
    })
    .await?;
    if hit {
        Ok(())
    } else {
        let seen = stream_text(link(world, &name)?);
        Err(format!(
            "{:?} did not come on the stream of {name} within {ms} ms; it had {seen:?}",
            String::from_utf8_lossy(&needle)
        ))
    }
}

#[then(regex = r#"^the stream on (\w+) does not show "(.*)" within (\d+) ms$"#)]
async fn stream_lacks(world: &mut Check, name: String, needle: String, ms: u64) -> Result<(), String> {
    let needle = unescape(&needle)?;
    let hit = stream_until(world, &name, ms, |link| {
        link.stream.windows(needle.len().max(1)).any(|w| w == needle.as_slice())
    })
    .await?;
    if hit {
        Err(format!("{name}'s stream shows {:?}", String::from_utf8_lossy(&needle)))
    } else {
        Ok(())
    }
}

#[then(regex = r#"^a stream line on (\w+) matches /(.*)/(?: within (\d+) ms)?$"#)]
async fn stream_line(world: &mut Check, name: String, pattern: String, ms: String) -> Result<(), String> {
    let regex = anchored(&pattern)?;
    let ms = ms.parse().unwrap_or(STREAM_WAIT_MS);
    let hit = stream_until(world, &name, ms, |link| {
        let text = String::from_utf8_lossy(&link.stream[link.lines_read..]).into_owned();
        let mut consumed = 0;
        for line in text.split_inclusive('\n') {
            if !line.ends_with('\n') {
                break;
            }
            consumed += line.len();
            if regex.is_match(line.trim_end_matches(['\r', '\n'])) {
                link.lines_read += consumed;
                return true;
            }
        }
        false
    })
    .await?;
    if hit {
        Ok(())
    } else {
        let seen = stream_text(link(world, &name)?);
        Err(format!("no stream line on {name} matched /{pattern}/ within {ms} ms; it had {seen:?}"))
    }
}

#[then(regex = r"^no stream frame arrives on (\w+) within (\d+) ms of device time$")]
async fn stream_silent(world: &mut Check, name: String, ms: u64) -> Result<(), String> {
    let before = link(world, &name)?.stream_frames.len();
    stream_until(world, &name, ms, |link| link.stream_frames.len() > before).await?;
    let got = &link(world, &name)?.stream_frames[before..];
    if got.is_empty() {
        Ok(())
    } else {
        Err(format!("{} stream frame(s) came on {name} within {ms} ms (rule ESP3D-29)", got.len()))
    }
}

#[then(regex = r"^every stream frame on (\w+) has at most (\d+) bytes, and there were at least (\d+)$")]
async fn stream_frame_sizes(world: &mut Check, name: String, most: usize, count: usize) -> Result<(), String> {
    let frames = &link(world, &name)?.stream_frames;
    if frames.len() < count {
        return Err(format!("{name} got {} stream frame(s), expected at least {count}", frames.len()));
    }
    match frames.iter().find(|size| **size > most) {
        Some(size) => Err(format!("a stream frame of {size} bytes came on {name} (rule ESP3D-29: at most {most})")),
        None => Ok(()),
    }
}

#[when(regex = r"^I read the stream on (\w+) for (\d+) ms$")]
async fn read_stream(world: &mut Check, name: String, ms: u64) -> Result<(), String> {
    stream_until(world, &name, ms, |_| false).await.map(|_| ())
}

#[then(regex = r"^the stream on (\w+) came in (binary|text) frames$")]
async fn stream_frame_kind(world: &mut Check, name: String, kind: String) -> Result<(), String> {
    let link = link(world, &name)?;
    let (all, text) = (link.stream_frames.len(), link.text_frames);
    let ok = all > 0 && if kind == "text" { text == all } else { text == 0 };
    if ok {
        Ok(())
    } else {
        Err(format!("{name}'s stream came in {all} frame(s), {text} of them text; expected {kind} frames"))
    }
}

// ---- transfer frames ----

async fn next_binary(world: &mut Check, name: &str) -> Result<Vec<u8>, String> {
    match wait_for(world, name, None, take_binary).await? {
        Some(bytes) => Ok(bytes),
        None => Err(format!("no binary frame came on {name}")),
    }
}

async fn answers(world: &mut Check, name: &str, expected: Vec<u8>) -> Result<(), String> {
    let got = next_binary(world, name).await?;
    if got == expected {
        Ok(())
    } else {
        Err(format!(
            "{name} answered {}\n  expected {}",
            show(&got),
            show(&expected)
        ))
    }
}

#[then(regex = r#"^(\w+) answers the frame (\w\w) "(.*)"$"#)]
async fn answers_frame(world: &mut Check, name: String, kind: String, notation: String) -> Result<(), String> {
    let expected = frame(&kind, &parse_bytes(&notation)?)?;
    answers(world, &name, expected).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_flags_need_an_esp3d_target() {
        let mut options = ProtocolOptions::default();
        assert!(endpoints(None, &options).unwrap().is_empty());
        options.get_mut::<Esp3dFlags>().esp3d_data = Some("ws://h:9/".into());
        let error = endpoints(None, &options).unwrap_err();
        assert!(error.contains("need --target esp3d="), "{error}");
        let sockets = endpoints(Some("http://h:80/"), &options).unwrap();
        assert_eq!((sockets[TERMINAL].as_str(), sockets[DATA].as_str()), ("ws://h:81/", "ws://h:9/"));
    }

    #[test]
    fn the_sockets_are_found_from_the_http_url_unless_given() {
        let sockets = sockets_of("http://10.0.0.9:8080/", None, None).unwrap();
        assert_eq!(sockets[TERMINAL], "ws://10.0.0.9:8081/");
        assert_eq!(sockets[DATA], "ws://10.0.0.9:8282/");
        let sockets = sockets_of("http://esp3d.local/", Some("ws://h:8089/ws"), None).unwrap();
        assert_eq!(sockets[TERMINAL], "ws://h:8089/ws");
        assert_eq!(sockets[DATA], "ws://esp3d.local:8282/");
        assert_eq!(sockets_of("http://h/", None, None).unwrap()[TERMINAL], "ws://h:81/");
        assert_eq!(sockets_of("http://[::1]:80/", None, None).unwrap()[TERMINAL], "ws://[::1]:81/");
        assert_eq!(sockets_of("http://[::1]/", None, None).unwrap()[DATA], "ws://[::1]:8282/");
        assert!(sockets_of("ws://h:81/", None, None).is_err());
        assert!(sockets_of("http://h:65535/", None, None).is_err());
        assert!(sockets_of("http://h:80/", Some("http://h:81/"), None).is_err());
    }

    #[test]
    fn labels_and_their_shapes() {
        assert!(is_label("currentID:0") && label_is_well_formed("currentID:0"));
        assert!(label_is_well_formed("ERROR:14:Update failed"));
        assert!(!label_is_well_formed("ERROR:15:x"));
        assert!(!label_is_well_formed("PING:12"));
        assert!(!is_label("ok T:22.00 /0.00"));
    }
}

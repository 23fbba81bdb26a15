//! Shared steps for network faults on any device's socket: each phrase adds one fault of the simulator's
//! vocabulary (`delay:200ms@xarm`, ...), and the checks say what a client then sees (held, corrupted, closed,
//! reset or unanswered). They need simulator control: on a physical device the scenario is skipped.

use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use tokio::io::AsyncReadExt;

use crate::client::{self, Frame};
use crate::steps::Check;

/// How long a fault that acts at once on an open connection (a stall, a cut) may take to act.
const ACT_WAIT: Duration = Duration::from_secs(2);
/// How long a held frame must stay away, in real time, on a virtual clock that does not move.
const HELD_QUIET: Duration = Duration::from_millis(150);

/// Adds the fault `spec`.
async fn inject(world: &mut Check, spec: String) -> Result<(), String> {
    world
        .target()?
        .fault(&spec)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Adds a one-shot fault that acts on an open connection at once, and waits until one has taken it.
async fn inject_and_wait(world: &mut Check, spec: String) -> Result<(), String> {
    let added = world.target()?.fault(&spec).await?;
    let id = added["id"]
        .as_u64()
        .ok_or_else(|| format!("the simulator did not say which id {spec} has: {added}"))?;
    let started = Instant::now();
    while started.elapsed() < ACT_WAIT {
        if !world.target()?.active_faults().await?.contains(&id) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("no open connection took the fault {spec} within {ACT_WAIT:?}"))
}

#[given(regex = r"^the ([\w/-]+) socket delays every frame by (\d+) ms$")]
#[when(regex = r"^the ([\w/-]+) socket delays every frame by (\d+) ms$")]
async fn delay(world: &mut Check, scope: String, ms: u64) -> Result<(), String> {
    inject(world, format!("delay:{ms}ms@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket drops one frame in (\d+)$")]
#[when(regex = r"^the ([\w/-]+) socket drops one frame in (\d+)$")]
async fn drop_one_in(world: &mut Check, scope: String, k: u64) -> Result<(), String> {
    inject(world, format!("drop:{k}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket stalls for (\d+) ms$")]
#[when(regex = r"^the ([\w/-]+) socket stalls for (\d+) ms$")]
async fn stall(world: &mut Check, scope: String, ms: u64) -> Result<(), String> {
    inject_and_wait(world, format!("stall:{ms}ms@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket resets the connection$")]
#[when(regex = r"^the ([\w/-]+) socket resets the connection$")]
async fn reset(world: &mut Check, scope: String) -> Result<(), String> {
    inject_and_wait(world, format!("reset@{scope}")).await
}

#[given(regex = r#"^the ([\w/-]+) socket closes the connection with code (\d+) and reason "([^"@#]*)"$"#)]
#[when(regex = r#"^the ([\w/-]+) socket closes the connection with code (\d+) and reason "([^"@#]*)"$"#)]
async fn close(world: &mut Check, scope: String, code: u16, reason: String) -> Result<(), String> {
    inject_and_wait(world, format!("close:{code}:{reason}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket closes each connection after (\d+) frames$")]
#[when(regex = r"^the ([\w/-]+) socket closes each connection after (\d+) frames$")]
async fn close_after(world: &mut Check, scope: String, frames: u64) -> Result<(), String> {
    inject(world, format!("close-after:{frames}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket corrupts the next frame into invalid (JSON|UTF-8)$")]
#[when(regex = r"^the ([\w/-]+) socket corrupts the next frame into invalid (JSON|UTF-8)$")]
async fn corrupt(world: &mut Check, scope: String, how: String) -> Result<(), String> {
    let how = if how == "JSON" { "json" } else { "utf8" };
    inject(world, format!("corrupt:{how}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket fragments text frames into (\d+)-byte pieces$")]
#[when(regex = r"^the ([\w/-]+) socket fragments text frames into (\d+)-byte pieces$")]
async fn fragment(world: &mut Check, scope: String, bytes: u64) -> Result<(), String> {
    inject(world, format!("fragment:{bytes}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket is limited to (\d+) bytes per second$")]
#[when(regex = r"^the ([\w/-]+) socket is limited to (\d+) bytes per second$")]
async fn bandwidth(world: &mut Check, scope: String, rate: u64) -> Result<(), String> {
    inject(world, format!("bandwidth:{rate}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket refuses the next handshake with HTTP (\d+)$")]
#[when(regex = r"^the ([\w/-]+) socket refuses the next handshake with HTTP (\d+)$")]
async fn refuse(world: &mut Check, scope: String, status: u16) -> Result<(), String> {
    inject(world, format!("refuse:{status}@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) socket never answers the next upgrade$")]
#[when(regex = r"^the ([\w/-]+) socket never answers the next upgrade$")]
async fn hang(world: &mut Check, scope: String) -> Result<(), String> {
    inject(world, format!("hang@{scope}")).await
}

#[given(regex = r"^the ([\w/-]+) server is unreachable for (\d+) ms$")]
#[when(regex = r"^the ([\w/-]+) server is unreachable for (\d+) ms$")]
async fn unreachable(world: &mut Check, scope: String, ms: u64) -> Result<(), String> {
    inject(world, format!("unreachable:{ms}ms@{scope}")).await
}

#[given(regex = r#"^the network fault "(.*)" is injected$"#)]
#[when(regex = r#"^the network fault "(.*)" is injected$"#)]
async fn any_fault(world: &mut Check, spec: String) -> Result<(), String> {
    inject(world, spec).await
}

#[then(regex = r"^the next frame on connection (\w+) is held until (\d+) ms of device time pass$")]
async fn held_until(world: &mut Check, name: String, ms: u64) -> Result<(), String> {
    let frame = if world.target()?.virtual_clock().await? {
        expect_quiet(world, &name, "before device time moved").await?;
        world.target()?.advance(ms.saturating_sub(1)).await?;
        expect_quiet(world, &name, &format!("{} ms early", 1)).await?;
        world.target()?.advance(1).await?;
        world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await
    } else {
        let started = Instant::now();
        let frame = world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await;
        // The request left a moment before this step began: allow a quarter of the delay for it.
        if started.elapsed() < Duration::from_millis(ms * 3 / 4) {
            return Err(format!(
                "the frame came after {:?}, not held {ms} ms",
                started.elapsed()
            ));
        }
        frame
    };
    match frame {
        Frame::Text(text) => {
            world.last_text.insert(name, text);
            Ok(())
        }
        Frame::Binary(_) => Ok(()),
        other => Err(format!("expected the held frame once {ms} ms passed, got {other:?}")),
    }
}

async fn expect_quiet(world: &mut Check, name: &str, when: &str) -> Result<(), String> {
    match world.conn(name)?.next_frame(HELD_QUIET).await {
        Frame::Timeout => Ok(()),
        other => Err(format!("a frame arrived {when}: {other:?}")),
    }
}

#[then(regex = r"^the next frame on connection (\w+) is text that is not JSON$")]
async fn not_json(world: &mut Check, name: String) -> Result<(), String> {
    match world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await {
        Frame::Text(text) if serde_json::from_str::<serde_json::Value>(&text).is_err() => Ok(()),
        other => Err(format!("expected a text frame that is not JSON, got {other:?}")),
    }
}

#[then(regex = r"^connection (\w+) fails on text that is not UTF-8$")]
async fn not_utf8(world: &mut Check, name: String) -> Result<(), String> {
    match world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await {
        Frame::Dropped(error) if error.to_lowercase().contains("utf-8") => Ok(()),
        other => Err(format!("expected a text frame that is not UTF-8, got {other:?}")),
    }
}

#[then(regex = r"^connection (\w+) is reset$")]
async fn was_reset(world: &mut Check, name: String) -> Result<(), String> {
    match world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await {
        Frame::Dropped(error) if error.contains("reset by peer") => Ok(()),
        other => Err(format!("expected a TCP reset, got {other:?}")),
    }
}

#[then(regex = r#"^connection (\w+) is closed with code (\d+) and reason "(.*)"$"#)]
async fn closed_with(world: &mut Check, name: String, code: u16, reason: String) -> Result<(), String> {
    loop {
        match world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await {
            Frame::Close(got, why) if got == code && why == reason => return Ok(()),
            // Frames the device sent before the close still arrive first.
            Frame::Text(_) | Frame::Binary(_) => continue,
            other => return Err(format!("expected a close {code} {reason:?}, got {other:?}")),
        }
    }
}

#[then(regex = r"^an upgrade to the ([\w-]+) gets no answer within (\d+) ms$")]
async fn unanswered(world: &mut Check, endpoint: String, ms: u64) -> Result<(), String> {
    let path = world.url(&endpoint).await.map(|url| path_of(&url))?;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    let answer = read_answer(world, &endpoint, &path, upgrade, Duration::from_millis(ms)).await?;
    no_answer(answer)
}

#[then(regex = r#"^a GET of "(.*)" from the ([\w-]+) gets no answer within (\d+) ms$"#)]
async fn http_unanswered(world: &mut Check, path: String, endpoint: String, ms: u64) -> Result<(), String> {
    no_answer(read_answer(world, &endpoint, &path, "", Duration::from_millis(ms)).await?)
}

#[then(regex = r#"^a GET of "(.*)" from the ([\w-]+) is reset$"#)]
async fn http_reset(world: &mut Check, path: String, endpoint: String) -> Result<(), String> {
    match read_answer(world, &endpoint, &path, "", client::REPLY_TIMEOUT).await? {
        Answer::Failed(error) if error.contains("reset by peer") => Ok(()),
        other => Err(format!("expected a TCP reset, got {other:?}")),
    }
}

/// What came back on a raw connection after a request head.
#[derive(Debug)]
enum Answer {
    /// Nothing within the time.
    Nothing,
    /// The peer closed the connection with no answer.
    Closed,
    /// The socket failed (a reset).
    Failed(String),
    /// The first bytes of an answer.
    Bytes(String),
}

/// Sends `GET path` with `headers` (CRLF-terminated lines) on a new connection to `endpoint`, and reads what
/// comes back within `wait`.
async fn read_answer(
    world: &mut Check,
    endpoint: &str,
    path: &str,
    headers: &str,
    wait: Duration,
) -> Result<Answer, String> {
    let (transport, authority) = world.http_target(endpoint).await?;
    let mut stream = transport.open(&authority, None).await?;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}\r\n");
    stream
        .send(head.as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut answer = [0u8; 256];
    Ok(match tokio::time::timeout(wait, stream.read(&mut answer)).await {
        Err(_) => Answer::Nothing,
        Ok(Ok(0)) => Answer::Closed,
        Ok(Ok(n)) => Answer::Bytes(String::from_utf8_lossy(&answer[..n]).into_owned()),
        Ok(Err(e)) => Answer::Failed(e.to_string()),
    })
}

fn no_answer(answer: Answer) -> Result<(), String> {
    match answer {
        Answer::Nothing => Ok(()),
        Answer::Closed => Err("the connection was closed instead of left unanswered".into()),
        Answer::Bytes(text) => Err(format!("the request was answered: {text:?}")),
        Answer::Failed(e) => Err(format!("the connection failed instead of being left unanswered: {e}")),
    }
}

#[then(regex = r#"^a GET of "(.*)" from the ([\w-]+) is answered only once (\d+) ms of device time pass$"#)]
async fn http_held(world: &mut Check, path: String, endpoint: String, ms: u64) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint).await?;
    let started = Instant::now();
    let request =
        tokio::spawn(async move { client::http_request_via(&transport, &authority, "GET", &path, &[], "").await });
    if world.target()?.virtual_clock().await? {
        tokio::time::sleep(HELD_QUIET).await;
        if request.is_finished() {
            return Err("the answer came before device time moved".into());
        }
        world.target()?.advance(ms.saturating_sub(1)).await?;
        tokio::time::sleep(HELD_QUIET).await;
        if request.is_finished() {
            return Err("the answer came 1 ms early".into());
        }
        world.target()?.advance(1).await?;
    }
    let reply = request
        .await
        .map_err(|e| format!("the request task failed: {e}"))?
        .map_err(|e| e.to_string())?;
    // On the wall clock the request left a moment before the step began: allow a quarter of the delay for it.
    if !world.target()?.virtual_clock().await? && started.elapsed() < Duration::from_millis(ms * 3 / 4) {
        return Err(format!(
            "the answer came after {:?}, not held {ms} ms",
            started.elapsed()
        ));
    }
    world.http = Some(reply);
    Ok(())
}

#[then(regex = r"^the next frame on connection (\w+) arrives paced at (\d+) bytes per second$")]
async fn paced(world: &mut Check, name: String, rate: u64) -> Result<(), String> {
    let rate = rate.max(1);
    if !world.target()?.virtual_clock().await? {
        let started = Instant::now();
        let frame = world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await;
        let due = Duration::from_millis((frame_len(&frame)? * 1000).div_ceil(rate));
        return if started.elapsed() >= due * 3 / 4 {
            Ok(())
        } else {
            Err(format!(
                "the frame came after {:?}, before its {due:?} at {rate} bytes/s",
                started.elapsed()
            ))
        };
    }
    expect_quiet(world, &name, "before device time moved").await?;
    // Device time moves in steps of four bytes' time; the frame must not come before its size allows, and comes
    // within a few steps of it (the steps a loaded machine may take to deliver it).
    let step = (4000 / rate).max(1);
    let mut passed = 0;
    while passed <= PACED_MAX_MS {
        world.target()?.advance(step).await?;
        passed += step;
        let frame = world.conn(&name)?.next_frame(PACED_POLL).await;
        if matches!(frame, Frame::Timeout) {
            continue;
        }
        let due = (frame_len(&frame)? * 1000).div_ceil(rate);
        return if passed < due {
            Err(format!(
                "the frame came after {passed} ms, before its {due} ms at {rate} bytes/s"
            ))
        } else if passed > due + PACED_LATE_STEPS * step {
            Err(format!(
                "the frame came after {passed} ms, its {due} ms at {rate} bytes/s long past"
            ))
        } else {
            Ok(())
        };
    }
    Err(format!("no frame within {PACED_MAX_MS} ms of device time"))
}

/// The most device time the paced check moves.
const PACED_MAX_MS: u64 = 20_000;
/// How long the paced check waits for the frame after each step of device time.
const PACED_POLL: Duration = Duration::from_millis(40);
/// Steps of device time a paced frame may be seen late.
const PACED_LATE_STEPS: u64 = 3;

fn frame_len(frame: &Frame) -> Result<u64, String> {
    match frame {
        Frame::Text(text) => Ok(text.len() as u64),
        Frame::Binary(bytes) => Ok(bytes.len() as u64),
        other => Err(format!("expected a data frame, got {other:?}")),
    }
}

#[then(
    regex = r#"^exactly (\d+) frames arrive on connection (\w+), then it is closed with code (\d+) and reason "(.*)"$"#
)]
async fn closed_after(world: &mut Check, frames: usize, name: String, code: u16, reason: String) -> Result<(), String> {
    let mut seen = 0;
    loop {
        match world.conn(&name)?.next_frame(client::REPLY_TIMEOUT).await {
            Frame::Text(_) | Frame::Binary(_) => seen += 1,
            Frame::Close(got, why) if got == code && why == reason && seen == frames => return Ok(()),
            other => {
                return Err(format!(
                    "after {seen} frames (expected {frames} then close {code} {reason:?}): {other:?}"
                ));
            }
        }
    }
}

/// The path (and query) of a `ws://` URL.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or_else(|| "/".to_string(), |i| rest[i..].to_string())
}

#[then(regex = r"^an upgrade to the ([\w-]+) is refused with HTTP (\d+)$")]
async fn refused_with(world: &mut Check, endpoint: String, status: u16) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint).await?;
    let path = world.url(&endpoint).await.map(|url| path_of(&url))?;
    let reply = client::upgrade_request_via(&transport, &authority, &path).await?;
    if reply.status == status {
        Ok(())
    } else {
        Err(format!(
            "the upgrade got HTTP {} (expected {status}): {}",
            reply.status, reply.body
        ))
    }
}

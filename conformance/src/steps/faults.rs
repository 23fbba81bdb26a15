//! Shared steps for network faults on any device's socket: each phrase adds one fault of the simulator's
//! vocabulary (`delay:200ms@xarm`, ...), and the checks say what a client then sees (held, corrupted, closed,
//! reset or unanswered). They need simulator control: on a physical device the scenario is skipped.

use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    let (transport, authority) = world.http_target(&endpoint).await?;
    let path = world.url(&endpoint).await.map(|url| path_of(&url))?;
    let mut stream = transport.open(&authority, None).await?;
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("cannot send the upgrade: {e}"))?;
    let mut answer = [0u8; 256];
    match tokio::time::timeout(Duration::from_millis(ms), stream.read(&mut answer)).await {
        Err(_) => Ok(()),
        Ok(Ok(0)) => Err("the connection was closed instead of left unanswered".into()),
        Ok(Ok(n)) => Err(format!(
            "the upgrade was answered: {:?}",
            String::from_utf8_lossy(&answer[..n])
        )),
        Ok(Err(e)) => Err(format!("the connection failed instead of being left unanswered: {e}")),
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

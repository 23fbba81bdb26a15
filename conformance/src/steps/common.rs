//! Steps every protocol shares: closing and dropped connections, silence, plain HTTP on a device's port,
//! refused upgrades, simulator control commands (`@sim-only`) and the passage of device time.

use std::time::Duration;

use cucumber::{given, then, when};

use crate::client::{self, Frame};
use crate::steps::{Check, MAIN, parse_json};

#[when(regex = r"^I send '(.*)' on connection (\w+)$")]
async fn send_on(world: &mut Check, text: String, name: String) -> Result<(), String> {
    Ok(world.conn(&name)?.send_text(&text).await?)
}

#[when(regex = r"^I send a binary frame '(.*)'$")]
async fn send_binary(world: &mut Check, text: String) -> Result<(), String> {
    Ok(world.conn(MAIN)?.send_binary(text.into_bytes()).await?)
}

#[when(regex = r"^I send a text frame of (\d+) bytes$")]
async fn send_huge(world: &mut Check, size: usize) -> Result<(), String> {
    let text = format!("\"{}\"", "x".repeat(size.saturating_sub(2)));
    Ok(world.conn(MAIN)?.send_text(&text).await?)
}

#[then(regex = r"^the connection is closed with code (\d+) and a reason$")]
async fn closed_with(world: &mut Check, code: u16) -> Result<(), String> {
    match world.conn(MAIN)?.next_frame(client::REPLY_TIMEOUT).await {
        Frame::Close(got, reason) if got == code && !reason.is_empty() => Ok(()),
        Frame::Close(got, reason) => Err(format!("closed with {got} {reason:?}, expected {code} with a reason")),
        other => Err(format!("expected a close frame with code {code}, got {other:?}")),
    }
}

#[then(regex = r"^no further frame arrives on connection (\w+) within (\d+) ms$")]
async fn silence(world: &mut Check, name: String, ms: u64) -> Result<(), String> {
    match world.conn(&name)?.next_frame(Duration::from_millis(ms)).await {
        Frame::Timeout => Ok(()),
        other => Err(format!("expected silence, got {other:?}")),
    }
}

#[when(regex = r#"^I GET "(.*)" from the (\w+)$"#)]
async fn http_get(world: &mut Check, path: String, endpoint: String) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint.to_lowercase()).await?;
    world.http = Some(client::http_request_via(&transport, &authority, "GET", &path, &[], "").await?);
    Ok(())
}

#[when(regex = r#"^I send HTTP (\w+) "(.*)" to the (\w+)$"#)]
async fn http_method(world: &mut Check, method: String, path: String, endpoint: String) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint.to_lowercase()).await?;
    world.http = Some(client::http_request_via(&transport, &authority, &method, &path, &[], "").await?);
    Ok(())
}

#[when(regex = r#"^I PUT '(.*)' to "(.*)" on the (\w+)$"#)]
async fn http_put(world: &mut Check, body: String, path: String, endpoint: String) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint.to_lowercase()).await?;
    let headers = [("content-type", "application/json")];
    world.http = Some(client::http_request_via(&transport, &authority, "PUT", &path, &headers, &body).await?);
    Ok(())
}

#[when(regex = r#"^I ask to upgrade to a WebSocket at "(.*)" on the (\w+)$"#)]
async fn upgrade_at(world: &mut Check, path: String, endpoint: String) -> Result<(), String> {
    let (transport, authority) = world.http_target(&endpoint.to_lowercase()).await?;
    world.http = Some(client::upgrade_request_via(&transport, &authority, &path).await?);
    Ok(())
}

fn last_http(world: &Check) -> Result<&client::HttpReply, String> {
    world
        .http
        .as_ref()
        .ok_or_else(|| "no HTTP request was made".to_string())
}

#[then(regex = r"^the HTTP status is (\d+)$")]
async fn http_status(world: &mut Check, status: u16) -> Result<(), String> {
    let reply = last_http(world)?;
    if reply.status == status {
        Ok(())
    } else {
        Err(format!("HTTP {} (expected {status}): {}", reply.status, reply.body))
    }
}

#[then(regex = r"^the HTTP body is '(.*)'$")]
async fn http_body(world: &mut Check, body: String) -> Result<(), String> {
    let reply = last_http(world)?;
    if reply.body == body {
        Ok(())
    } else {
        Err(format!("HTTP body\n  got      {}\n  expected {body}", reply.body))
    }
}

#[then(regex = r#"^the HTTP body matches /(.*)/$"#)]
async fn http_body_matches(world: &mut Check, pattern: String) -> Result<(), String> {
    let reply = last_http(world)?;
    let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?;
    if regex.is_match(&reply.body) {
        Ok(())
    } else {
        Err(format!("HTTP body {} does not match /{pattern}/", reply.body))
    }
}

#[then(regex = r#"^the HTTP body matches the schema "(.*)"$"#)]
async fn http_schema(world: &mut Check, schema: String) -> Result<(), String> {
    let body = parse_json(&last_http(world)?.body)?;
    world.check_schema(&schema, &body)
}

#[then(regex = r#"^the HTTP header "(.*)" (is|ends with) "(.*)"$"#)]
async fn http_header(world: &mut Check, name: String, how: String, value: String) -> Result<(), String> {
    let got = last_http(world)?.header(&name.to_lowercase());
    let ok = match got {
        Some(got) if how == "is" => got == value,
        Some(got) => got.ends_with(&value),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("header {name} is {got:?}, expected it {how} {value:?}"))
    }
}

#[given(regex = r#"^the simulator runs "(\w+)" command "(\w+)" with '(.*)'$"#)]
#[when(regex = r#"^the simulator runs "(\w+)" command "(\w+)" with '(.*)'$"#)]
async fn control(world: &mut Check, device: String, command: String, args: String) -> Result<(), String> {
    let args = parse_json(&args)?;
    world.control(&device, &command, &args).await.map(|_| ())
}

#[given(regex = r"^(\d+) ms of device time pass$")]
#[when(regex = r"^(\d+) ms of device time pass$")]
async fn time_passes(world: &mut Check, ms: u64) -> Result<(), String> {
    world.pass_time(ms).await
}

#[when(regex = r"^I wait (\d+) ms of real time$")]
async fn real_wait(_world: &mut Check, ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

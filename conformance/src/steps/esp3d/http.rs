//! ESP3D HTTP steps, on the board's own HTTP port through the target: `GET` with the session cookie or Basic
//! credentials, `/login`, multipart uploads as the WebUI sends them, and checks of the JSON answers.

use cucumber::{then, when};
use serde_json::Value;

use super::link::state;
use super::notation::unescape;
use super::{ENDPOINT, TERMINAL, anchored};
use crate::client;
use crate::steps::{Check, parse_json};

/// `GET path` on the board's HTTP port, with the session cookie when asked.
async fn http_get(world: &mut Check, path: &str, with_cookie: bool) -> Result<(), String> {
    let cookie = if with_cookie {
        let sid = state(world).session.clone().ok_or("no login set a session cookie")?;
        Some(format!("ESPSESSIONID={sid}"))
    } else {
        None
    };
    let (transport, authority) = world.http_target(ENDPOINT).await?;
    let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
    world.http = Some(client::http_request_via(&transport, &authority, "GET", path, &headers, "").await?);
    Ok(())
}

#[when(regex = r#"^I GET "(.*)" from the ESP3D with the session cookie$"#)]
async fn get_with_cookie(world: &mut Check, path: String) -> Result<(), String> {
    http_get(world, &path, true).await
}

#[when(regex = r#"^I log in to the ESP3D as (\w+) with "(.*)"$"#)]
async fn login(world: &mut Check, user: String, password: String) -> Result<(), String> {
    http_get(world, &format!("/login?SUBMIT=yes&USER={user}&PASSWORD={password}"), false).await?;
    let reply = world.http.as_ref().ok_or("no HTTP answer")?;
    let sid = reply
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .find_map(|(_, value)| value.split(';').next()?.trim().strip_prefix("ESPSESSIONID="))
        .map(str::to_string);
    state(world).session = sid;
    Ok(())
}

#[then(regex = r#"^the session cookie matches /(.*)/$"#)]
async fn session_matches(world: &mut Check, pattern: String) -> Result<(), String> {
    let sid = state(world).session.clone().ok_or("no login set a session cookie")?;
    if anchored(&pattern)?.is_match(&sid) {
        Ok(())
    } else {
        Err(format!("the session id {sid:?} does not match /{pattern}/"))
    }
}

#[when(regex = r#"^I upload "(.*)" holding "(.*)" to "(.*)" on the ESP3D(?: announcing (\d+) bytes)?$"#)]
async fn upload(world: &mut Check, filename: String, content: String, route: String, announced: String) -> Result<(), String> {
    let content = String::from_utf8(unescape(&content)?).map_err(|_| "the content is not UTF-8".to_string())?;
    let boundary = "----understudy-esp3d-upload";
    let mut body = String::new();
    let mut field = |name: &str, value: &str| {
        body.push_str(&format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    };
    field("path", "/");
    if !announced.is_empty() {
        field(&format!("{filename}S"), &announced);
    }
    body.push_str(&format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"myfiles\"; filename=\"{filename}\"\r\n\
         content-type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (transport, authority) = world.http_target(ENDPOINT).await?;
    let headers = [("content-type", content_type.as_str())];
    world.http = Some(client::http_request_via(&transport, &authority, "POST", &route, &headers, &body).await?);
    Ok(())
}

fn http_json(world: &Check) -> Result<Value, String> {
    let reply = world.http.as_ref().ok_or("no HTTP request was made")?;
    parse_json(&reply.body)
}

#[then(regex = r#"^the HTTP JSON at "(.*)" is '(.*)'$"#)]
async fn json_at(world: &mut Check, pointer: String, expected: String) -> Result<(), String> {
    let body = http_json(world)?;
    let expected = parse_json(&expected)?;
    match body.pointer(&pointer) {
        Some(got) if *got == expected => Ok(()),
        got => Err(format!("{pointer} is {got:?}, expected {expected} in {body}")),
    }
}

#[then(regex = r#"^the HTTP JSON at "(.*)" has (\d+) entries$"#)]
async fn json_entries(world: &mut Check, pointer: String, count: usize) -> Result<(), String> {
    let body = http_json(world)?;
    match body.pointer(&pointer).and_then(Value::as_array) {
        Some(entries) if entries.len() == count => Ok(()),
        Some(entries) => Err(format!("{pointer} has {} entries, expected {count}", entries.len())),
        None => Err(format!("{pointer} is not a list in {body}")),
    }
}

#[then(regex = r#"^the HTTP JSON at "(.*)" is the terminal port$"#)]
async fn json_terminal_port(world: &mut Check, pointer: String) -> Result<(), String> {
    let url = world.url(TERMINAL).await?;
    let port = client::authority_of(&url).rsplit(':').next().unwrap_or_default().to_string();
    json_at(world, pointer, format!("\"{port}\"")).await
}

#[when(regex = r#"^I GET "(.*)" from the ESP3D with Basic credentials (\w+):(\w+)$"#)]
async fn get_with_basic(world: &mut Check, path: String, user: String, password: String) -> Result<(), String> {
    use base64::Engine as _;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let authorization = format!("Basic {credentials}");
    let (transport, authority) = world.http_target(ENDPOINT).await?;
    let headers = [("authorization", authorization.as_str())];
    world.http = Some(client::http_request_via(&transport, &authority, "GET", &path, &headers, "").await?);
    Ok(())
}

#[then(regex = r#"^the HTTP listing (names|does not name) "(.*)"$"#)]
async fn listing_names(world: &mut Check, how: String, name: String) -> Result<(), String> {
    let name = String::from_utf8(unescape(&name)?).map_err(|_| "the name is not UTF-8".to_string())?;
    let body = http_json(world)?;
    let named = body["files"]
        .as_array()
        .is_some_and(|files| files.iter().any(|f| f["name"] == Value::String(name.clone())));
    if named == (how == "names") {
        Ok(())
    } else {
        Err(format!("the listing {} {name:?}: {body}", if named { "names" } else { "does not name" }))
    }
}

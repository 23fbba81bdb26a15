//! Pub/sub robot steps (`@pubsub`): token-bearing connections, subscribe / unsubscribe / publish, and checks of
//! every message received against its schema. Tokens and TLS are in `auth`, the robot and time in `robot`.

mod asyncapi;
mod auth;
mod robot;

use std::collections::BTreeMap;

use cucumber::{given, then, when};
use serde_json::{Value, json};

use crate::client::{Frame, REPLY_TIMEOUT};
use crate::steps::{Check, MAIN, Protocol, parse_json};

/// The target and endpoint name.
const ENDPOINT: &str = "pubsub";

/// The pub/sub protocol: its steps need nothing of the shared ones.
pub const PROTOCOL: Protocol = Protocol::named(ENDPOINT)
    .with_redactions(&[(".data.data.t", "[sim ms]")])
    .with_asyncapi(asyncapi::spec);

/// The "no-op, then wait for its ack" barrier: an unsubscribe from a marker topic nobody uses, whose ack
/// comes after everything the server applied before it (PUBSUB-19).
#[derive(Debug)]
pub struct Barrier {
    request: Value,
    ack: Value,
}

impl Barrier {
    /// The barrier on marker topic `topic` (one a scenario never uses).
    pub fn new(topic: &str) -> Barrier {
        Barrier {
            request: json!({"action": "unsubscribe", "topic": topic}),
            ack: json!({"action": "unsubscribed", "topic": topic}),
        }
    }

    /// The request to send.
    pub fn request(&self) -> &Value {
        &self.request
    }

    /// Reads messages with `next` until the barrier's ack; returns everything that came before it.
    pub async fn wait(&self, mut next: impl AsyncFnMut() -> Result<Value, String>) -> Result<Vec<Value>, String> {
        let mut before = Vec::new();
        loop {
            let message = next().await.map_err(|e| {
                format!(
                    "{e}\n  (waiting for the \"unsubscribed\" ack of a marker request; received before it: {before:?})"
                )
            })?;
            if message == self.ack {
                return Ok(before);
            }
            before.push(message);
        }
    }
}

/// What the pub/sub steps remember within a scenario.
#[derive(Debug, Default)]
pub struct PubsubState {
    /// The valid token for this scenario (minted by the simulator or given with `--token`).
    token: Option<String>,
    /// Every token a step sent, so that checks can make sure none comes back.
    tokens_used: Vec<String>,
    /// Messages read ahead of the step that will check them, by connection.
    pending: BTreeMap<String, Vec<Value>>,
    /// What the last "collect" step gathered.
    collected: Vec<Value>,
    /// Connection labels learned from `server_logs` events (`{other}` in a log template).
    labels: BTreeMap<String, String>,
    /// The last `server_logs` message text received.
    last_log: Option<String>,
    /// Markers sent so far (each collect uses a fresh topic).
    markers: u64,
}

/// The schemas a pub/sub server message is checked against, by its `action` (and topic for server topics).
pub fn schemas_for(message: &Value) -> Result<Vec<&'static str>, String> {
    let action = message.get("action").and_then(Value::as_str).unwrap_or_default();
    Ok(match action {
        "subscribed" | "unsubscribed" | "published" => vec!["pubsub/ack"],
        "error" => vec!["pubsub/error"],
        "message" => {
            let mut schemas = vec!["pubsub/delivery"];
            match message.get("topic").and_then(Value::as_str) {
                Some("server_logs") => schemas.push("pubsub/server-log"),
                Some("odom") => schemas.push("pubsub/odom"),
                Some("battery") => schemas.push("pubsub/battery"),
                Some("diagnostics") => schemas.push("pubsub/diagnostics"),
                _ => {}
            }
            schemas
        }
        _ => {
            return Err(format!(
                "not a pub/sub server message: the action must be subscribed, unsubscribed, published, error \
                 or message (rules PUBSUB-16, PUBSUB-17): {message}"
            ));
        }
    })
}

impl Check {
    /// The next message on connection `name` (read ahead first), parsed and checked against its schemas.
    pub(crate) async fn pubsub_next(&mut self, name: &str) -> Result<Value, String> {
        if let Some(queue) = self.state::<PubsubState>().pending.get_mut(name) {
            if !queue.is_empty() {
                return Ok(queue.remove(0));
            }
        }
        let frame = self.conn(name)?.next_frame(REPLY_TIMEOUT).await;
        let text = match frame {
            Frame::Text(text) => text,
            other => return Err(format!("expected a message on connection {name}, got {other:?}")),
        };
        self.last_text.insert(name.to_string(), text.clone());
        let message: Value =
            serde_json::from_str(&text).map_err(|e| format!("a server message is not JSON ({e}): {text}"))?;
        for schema in schemas_for(&message)? {
            self.check_schema(schema, &message)?;
        }
        if message["topic"] == "server_logs" {
            self.state::<PubsubState>().last_log = message["data"]["data"]["message"].as_str().map(str::to_string);
        }
        Ok(message)
    }

    /// Sends `request` on connection `name` without reading anything.
    pub(crate) async fn pubsub_send(&mut self, name: &str, request: &Value) -> Result<(), String> {
        Ok(self.conn(name)?.send_text(&request.to_string()).await?)
    }

    /// Reads everything that arrives on `name` until the server has handled a request sent now: an
    /// unsubscribe from a topic nobody uses, whose ack comes after everything applied before it (PUBSUB-19).
    pub(crate) async fn pubsub_drain(&mut self, name: &str) -> Result<Vec<Value>, String> {
        let state = self.state::<PubsubState>();
        state.markers += 1;
        let barrier = Barrier::new(&format!("understudy-check/marker/{}", state.markers));
        self.pubsub_send(name, barrier.request()).await?;
        barrier.wait(async || self.pubsub_next(name).await).await
    }

    /// Reads until the reply `wanted` on `name`, keeping everything before it for later steps.
    pub(crate) async fn pubsub_until(&mut self, name: &str, wanted: &Value) -> Result<(), String> {
        let mut before = Vec::new();
        loop {
            let message = self.pubsub_next(name).await?;
            if &message == wanted {
                let queue = self.state::<PubsubState>().pending.entry(name.to_string()).or_default();
                before.append(queue);
                *queue = before;
                return Ok(());
            }
            before.push(message);
        }
    }

    /// Opens connection `name` to the pub/sub socket with the scenario's valid token.
    async fn pubsub_open(&mut self, name: &str) -> Result<(), String> {
        let token = auth::valid_token(self).await?;
        // The token goes in the query string (a target URL's own query, which may hold a token, is replaced).
        let with_token = |url: &str| {
            let base = url.split_once('?').map_or(url, |(base, _)| base);
            format!("{base}?token={token}")
        };
        self.open(ENDPOINT, name, with_token).await
    }
}

/// A publish request of `payload` (the `data` object) to `topic`.
fn publish(topic: &str, payload: Value) -> Value {
    json!({"action": "publish", "topic": topic, "data": payload})
}

/// The payload of numbered message `n`.
fn numbered(n: u64) -> Value {
    json!({"name": "n", "type": "understudy-check/number", "data": n})
}

fn expect_equal(name: &str, got: &Value, expected: &Value) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("on connection {name}\n  got      {got}\n  expected {expected}"))
    }
}

fn ack(action: &str, topic: &str) -> Value {
    json!({"action": action, "topic": topic})
}

// ---- connections ----------------------------------------------------------------------------------------

#[given(regex = r"^a pub/sub connection$")]
async fn connect_main(world: &mut Check) -> Result<(), String> {
    world.pubsub_open(MAIN).await
}

#[given(regex = r"^a pub/sub connection (\w+)$")]
#[when(regex = r"^a pub/sub connection (\w+) opens$")]
async fn connect_named(world: &mut Check, name: String) -> Result<(), String> {
    world.pubsub_open(&name).await
}

async fn open_subscribed(world: &mut Check, name: &str, topic: &str, times: usize) -> Result<(), String> {
    world.pubsub_open(name).await?;
    for _ in 0..times {
        topic_request(world, name, "subscribe", topic).await?;
        let reply = world.pubsub_next(name).await?;
        expect_equal(name, &reply, &ack("subscribed", topic))?;
    }
    Ok(())
}

#[given(regex = r#"^a pub/sub connection subscribed to "(.*)"$"#)]
async fn connect_main_subscribed(world: &mut Check, topic: String) -> Result<(), String> {
    open_subscribed(world, MAIN, &topic, 1).await
}

#[given(regex = r#"^a pub/sub connection (\w+) subscribed to "(.*)"$"#)]
async fn connect_named_subscribed(world: &mut Check, name: String, topic: String) -> Result<(), String> {
    open_subscribed(world, &name, &topic, 1).await
}

#[given(regex = r#"^(\d+) pub/sub connections sub1, sub2, … subscribed to "(.*)", every other one twice$"#)]
async fn connect_many(world: &mut Check, count: usize, topic: String) -> Result<(), String> {
    for i in 1..=count {
        open_subscribed(world, &format!("sub{i}"), &topic, if i % 2 == 0 { 2 } else { 1 }).await?;
    }
    Ok(())
}

#[when(regex = r"^connection (\w+) closes$")]
async fn close(world: &mut Check, name: String) -> Result<(), String> {
    let mut client = world
        .conns
        .remove(&name)
        .ok_or_else(|| format!("no connection named {name} is open"))?;
    client.close().await;
    // Read until the server's close reply so that the server has seen the close.
    loop {
        match client.next_frame(REPLY_TIMEOUT).await {
            Frame::Text(_) | Frame::Binary(_) => continue,
            Frame::Timeout => return Err(format!("connection {name} did not finish closing")),
            _ => return Ok(()),
        }
    }
}

// ---- requests -------------------------------------------------------------------------------------------

#[when(regex = r"^I send the pub/sub request '(.*)'$")]
async fn raw_main(world: &mut Check, text: String) -> Result<(), String> {
    Ok(world.conn(MAIN)?.send_text(&text).await?)
}

#[when(regex = r"^connection (\w+) sends the pub/sub request '(.*)'$")]
async fn raw_named(world: &mut Check, name: String, text: String) -> Result<(), String> {
    Ok(world.conn(&name)?.send_text(&text).await?)
}

#[when(regex = r#"^I subscribe to "(.*)"$"#)]
async fn subscribe_main(world: &mut Check, topic: String) -> Result<(), String> {
    topic_request(world, MAIN, "subscribe", &topic).await
}

#[when(regex = r#"^connection (\w+) subscribes to "(.*)"$"#)]
async fn subscribe_named(world: &mut Check, name: String, topic: String) -> Result<(), String> {
    topic_request(world, &name, "subscribe", &topic).await
}

#[when(regex = r#"^I unsubscribe from "(.*)"$"#)]
async fn unsubscribe_main(world: &mut Check, topic: String) -> Result<(), String> {
    topic_request(world, MAIN, "unsubscribe", &topic).await
}

#[when(regex = r#"^connection (\w+) unsubscribes from "(.*)"$"#)]
async fn unsubscribe_named(world: &mut Check, name: String, topic: String) -> Result<(), String> {
    topic_request(world, &name, "unsubscribe", &topic).await
}

#[when(regex = r#"^I publish '(.*)' to "(.*)"$"#)]
async fn publish_main(world: &mut Check, payload: String, topic: String) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    world.pubsub_send(MAIN, &publish(&topic, payload)).await
}

#[when(regex = r#"^connection (\w+) publishes '(.*)' to "(.*)"$"#)]
async fn publish_named(world: &mut Check, name: String, payload: String, topic: String) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    world.pubsub_send(&name, &publish(&topic, payload)).await
}

#[when(regex = r#"^I subscribe to a topic of (\d+) times "(.+)"$"#)]
async fn subscribe_long(world: &mut Check, count: usize, piece: String) -> Result<(), String> {
    let topic = piece.repeat(count);
    topic_request(world, MAIN, "subscribe", &topic).await
}

#[then(regex = r#"^I receive the ack "subscribed" for the topic of (\d+) times "(.+)"$"#)]
async fn long_ack(world: &mut Check, count: usize, piece: String) -> Result<(), String> {
    let reply = world.pubsub_next(MAIN).await?;
    expect_equal(MAIN, &reply, &ack("subscribed", &piece.repeat(count)))
}

#[when(regex = r#"^I subscribe to (\d+) distinct topics "(.*)0" to "(.*)" and each is acked$"#)]
async fn subscribe_many(world: &mut Check, count: u64, prefix: String, _last: String) -> Result<(), String> {
    for n in 0..count {
        topic_request(world, MAIN, "subscribe", &format!("{prefix}{n}")).await?;
    }
    for n in 0..count {
        let reply = world.pubsub_next(MAIN).await?;
        expect_equal(MAIN, &reply, &ack("subscribed", &format!("{prefix}{n}")))?;
    }
    Ok(())
}

async fn publish_numbered(world: &mut Check, name: &str, from: u64, count: u64, topic: &str) -> Result<(), String> {
    for n in from..from + count {
        world.pubsub_send(name, &publish(topic, numbered(n))).await?;
    }
    Ok(())
}

#[when(regex = r#"^connection (\w+) publishes the numbered messages (\d+) to (\d+) to "(.*)"$"#)]
async fn publish_numbered_named(
    world: &mut Check,
    name: String,
    from: u64,
    to: u64,
    topic: String,
) -> Result<(), String> {
    publish_numbered(world, &name, from, (to + 1).saturating_sub(from), &topic).await
}

#[when(
    regex = r#"^connection (\w+) unsubscribes from "(.*)" while connection (\w+) publishes the numbered messages (\d+) to (\d+) to it$"#
)]
async fn unsubscribe_during_publishing(
    world: &mut Check,
    reader: String,
    topic: String,
    writer: String,
    from: u64,
    to: u64,
) -> Result<(), String> {
    let mut reader_conn = world
        .conns
        .remove(&reader)
        .ok_or_else(|| format!("no connection named {reader} is open"))?;
    let writer_conn = world.conns.get_mut(&writer);
    let Some(writer_conn) = writer_conn else {
        world.conns.insert(reader.clone(), reader_conn);
        return Err(format!("no connection named {writer} is open"));
    };
    let half = from + (to - from) / 2;
    let publishing = async {
        for n in from..=to {
            writer_conn.send_text(&publish(&topic, numbered(n)).to_string()).await?;
            if n == half {
                tokio::task::yield_now().await;
            }
        }
        Ok::<(), String>(())
    };
    let unsubscribing = async {
        tokio::task::yield_now().await;
        reader_conn
            .send_text(&json!({"action": "unsubscribe", "topic": topic}).to_string())
            .await
    };
    let (published, unsubscribed) = tokio::join!(publishing, unsubscribing);
    world.conns.insert(reader, reader_conn);
    published.and(unsubscribed.map_err(String::from))
}

// ---- what arrives ---------------------------------------------------------------------------------------

#[then(regex = r"^I receive '(.*)'$")]
async fn receive_main(world: &mut Check, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let got = world.pubsub_next(MAIN).await?;
    expect_equal(MAIN, &got, &expected)
}

#[then(regex = r"^connection (\w+) receives '(.*)'$")]
async fn receive_named(world: &mut Check, name: String, expected: String) -> Result<(), String> {
    let expected = parse_json(&expected)?;
    let got = world.pubsub_next(&name).await?;
    expect_equal(&name, &got, &expected)
}

#[then(regex = r#"^I receive the ack "(subscribed|unsubscribed|published)" for "(.*)"$"#)]
async fn ack_main(world: &mut Check, action: String, topic: String) -> Result<(), String> {
    let got = world.pubsub_next(MAIN).await?;
    expect_equal(MAIN, &got, &ack(&action, &topic))
}

#[then(regex = r#"^connection (\w+) receives the ack "(subscribed|unsubscribed|published)" for "(.*)"$"#)]
async fn ack_named(world: &mut Check, name: String, action: String, topic: String) -> Result<(), String> {
    let got = world.pubsub_next(&name).await?;
    expect_equal(&name, &got, &ack(&action, &topic))
}

#[then(regex = r#"^connection (\w+) receives (\d+) "published" acks for "(.*)"$"#)]
async fn acks_named(world: &mut Check, name: String, count: usize, topic: String) -> Result<(), String> {
    for _ in 0..count {
        let got = world.pubsub_next(&name).await?;
        expect_equal(&name, &got, &ack("published", &topic))?;
    }
    Ok(())
}

#[then(regex = r#"^I receive the error "(.*)"$"#)]
async fn error_main(world: &mut Check, reason: String) -> Result<(), String> {
    let got = world.pubsub_next(MAIN).await?;
    expect_equal(MAIN, &got, &json!({"action": "error", "error": reason}))
}

#[then(regex = r#"^connection (\w+) receives the error "(.*)"$"#)]
async fn error_named(world: &mut Check, name: String, reason: String) -> Result<(), String> {
    let got = world.pubsub_next(&name).await?;
    expect_equal(&name, &got, &json!({"action": "error", "error": reason}))
}

#[then(regex = r#"^I receive the delivery of '(.*)' on "(.*)"$"#)]
async fn delivery_main(world: &mut Check, payload: String, topic: String) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    let got = world.pubsub_next(MAIN).await?;
    expect_equal(
        MAIN,
        &got,
        &json!({"action": "message", "topic": topic, "data": payload}),
    )
}

#[then(regex = r#"^I receive the delivery of '(.*)' on "(.*)", apart from t$"#)]
async fn delivery_main_untimed(world: &mut Check, payload: String, topic: String) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    let mut got = world.pubsub_next(MAIN).await?;
    if let Some(data) = got["data"]["data"].as_object_mut() {
        data.shift_remove("t");
    }
    expect_equal(
        MAIN,
        &got,
        &json!({"action": "message", "topic": topic, "data": payload}),
    )
}

#[then(regex = r#"^connection (\w+) receives the delivery of '(.*)' on "(.*)"$"#)]
async fn delivery_named(world: &mut Check, name: String, payload: String, topic: String) -> Result<(), String> {
    let payload = parse_json(&payload)?;
    let got = world.pubsub_next(&name).await?;
    expect_equal(
        &name,
        &got,
        &json!({"action": "message", "topic": topic, "data": payload}),
    )
}

async fn receive_numbered(world: &mut Check, name: &str, from: u64, to: u64, topic: &str) -> Result<(), String> {
    for n in from..=to {
        let got = world.pubsub_next(name).await?;
        let expected = json!({"action": "message", "topic": topic, "data": numbered(n)});
        if got != expected {
            return Err(format!(
                "on connection {name}, numbered message {n} on {topic} was expected next (publish order, each \
                 once), got {got}"
            ));
        }
    }
    Ok(())
}

#[then(regex = r#"^connection (\w+) receives the numbered messages (\d+) to (\d+) on "(.*)" in order$"#)]
async fn numbered_named(world: &mut Check, name: String, from: u64, to: u64, topic: String) -> Result<(), String> {
    receive_numbered(world, &name, from, to, &topic).await
}

#[then(
    regex = r#"^each of sub1 to sub(\d+) receives the numbered messages (\d+) to (\d+) on "(.*)" exactly once, in order$"#
)]
async fn numbered_each(world: &mut Check, count: usize, from: u64, to: u64, topic: String) -> Result<(), String> {
    for i in 1..=count {
        let name = format!("sub{i}");
        receive_numbered(world, &name, from, to, &topic).await?;
        nothing_more(world, &name).await?;
    }
    Ok(())
}

#[then(
    regex = r#"^connection (\w+) receives each numbered message (\d+) to (\d+) on "(.*)" just before its "published" ack$"#
)]
async fn numbered_before_acks(
    world: &mut Check,
    name: String,
    from: u64,
    to: u64,
    topic: String,
) -> Result<(), String> {
    for n in from..=to {
        let delivery = world.pubsub_next(&name).await?;
        expect_equal(
            &name,
            &delivery,
            &json!({"action": "message", "topic": topic, "data": numbered(n)}),
        )?;
        let reply = world.pubsub_next(&name).await?;
        expect_equal(&name, &reply, &ack("published", &topic))?;
    }
    Ok(())
}

#[then(
    regex = r#"^connection (\w+) receives the numbered messages from (\d+) on "(.*)" in order, then its "unsubscribed" ack$"#
)]
async fn numbered_until_unsubscribed(world: &mut Check, name: String, from: u64, topic: String) -> Result<(), String> {
    let mut next = from;
    loop {
        let got = world.pubsub_next(&name).await?;
        if got == ack("unsubscribed", &topic) {
            return Ok(());
        }
        let expected = json!({"action": "message", "topic": topic, "data": numbered(next)});
        if got != expected {
            return Err(format!(
                "on connection {name}, numbered message {next} on {topic} or the \"unsubscribed\" ack was expected, \
                 got {got}"
            ));
        }
        next += 1;
    }
}

async fn nothing_more(world: &mut Check, name: &str) -> Result<(), String> {
    let extra = world.pubsub_drain(name).await?;
    if extra.is_empty() {
        Ok(())
    } else {
        let shown: Vec<String> = extra.iter().map(Value::to_string).collect();
        Err(format!(
            "connection {name} received {} more message(s) than expected:\n  {}",
            extra.len(),
            shown.join("\n  ")
        ))
    }
}

#[then(regex = r"^nothing more arrives$")]
async fn nothing_more_main(world: &mut Check) -> Result<(), String> {
    nothing_more(world, MAIN).await
}

#[then(regex = r"^nothing more arrives on connection (\w+)$")]
async fn nothing_more_named(world: &mut Check, name: String) -> Result<(), String> {
    nothing_more(world, &name).await
}

#[then(
    regex = r"^connection (\w+) is closed with code (\d+) and reason '(.*)' after (at least one|no) queued frames?$"
)]
async fn closed_after_backlog(
    world: &mut Check,
    name: String,
    code: u16,
    reason: String,
    how: String,
) -> Result<(), String> {
    let mut frames = 0usize;
    let conn = world.conn(&name)?;
    loop {
        match conn.next_frame(REPLY_TIMEOUT * 2).await {
            Frame::Text(_) => frames += 1,
            Frame::Close(got, got_reason) if got == code && got_reason == reason => break,
            other => {
                return Err(format!(
                    "connection {name}: expected its backlog then a close {code} {reason:?}, got {other:?} after \
                     {frames} frames"
                ));
            }
        }
    }
    match (how.as_str(), frames) {
        ("no", 0) => Ok(()),
        ("at least one", n) if n > 0 => Ok(()),
        _ => Err(format!("connection {name} got {frames} queued frames before the close")),
    }
}

// ---- server_logs ----------------------------------------------------------------------------------------

/// Turns a log template into a regex: `{name}` is a connection label or peer (bound on first use, the same
/// text afterwards), everything else is literal.
fn log_pattern(template: &str, labels: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut pattern = String::from("^");
    let mut fresh = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        pattern.push_str(&regex::escape(&rest[..open]));
        let name = &rest[open + 1..close];
        match labels.get(name) {
            Some(bound) => pattern.push_str(&regex::escape(bound)),
            None if fresh.iter().any(|f| f == name) => pattern.push_str(&format!("(?:{})", "\\S+")),
            None => {
                pattern.push_str(&format!("(?P<{}>\\S+)", name.replace('-', "_")));
                fresh.push(name.to_string());
            }
        }
        rest = &rest[close + 1..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    (pattern, fresh)
}

/// How many server logs about other clients a log step passes over (a shared robot has other clients, and a
/// previous scenario's connections may log their close late).
const OTHER_CLIENTS_LOGS: usize = 32;

async fn server_log(world: &mut Check, name: &str, level: &str, template: &str) -> Result<(), String> {
    let (pattern, fresh) = log_pattern(template, &world.state::<PubsubState>().labels);
    let regex = regex::Regex::new(&pattern).map_err(|e| e.to_string())?;
    let mut passed_over = 0;
    let (event, message) = loop {
        let got = world.pubsub_next(name).await?;
        if got["topic"] != "server_logs" {
            return Err(format!(
                "on connection {name}, a server_logs event was expected, got {got}"
            ));
        }
        let event = got["data"]["data"].clone();
        let message = event["message"].as_str().unwrap_or_default().to_string();
        let ours = world.state::<PubsubState>().labels.values().any(|label| mentions(&message, label));
        if regex.is_match(&message) || ours || passed_over == OTHER_CLIENTS_LOGS {
            break (event, message);
        }
        passed_over += 1;
    };
    let Some(captures) = regex.captures(&message) else {
        return Err(format!(
            "on connection {name}, expected the server log {level} {template:?}, got {}",
            event
        ));
    };
    if event["level"] != level {
        return Err(format!(
            "the server log {message:?} has level {}, expected {level}",
            event["level"]
        ));
    }
    for label in fresh {
        if let Some(found) = captures.name(&label.replace('-', "_")) {
            world.state::<PubsubState>().labels.insert(label, found.as_str().to_string());
        }
    }
    Ok(())
}

/// Whether `message` names the client `label` (`pubsub/3`, not `pubsub/31`).
fn mentions(message: &str, label: &str) -> bool {
    message
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .any(|word| word == label)
}

#[then(regex = r#"^connection (\w+) receives the server log (info|warn) "(.*)"$"#)]
async fn server_log_named(world: &mut Check, name: String, level: String, template: String) -> Result<(), String> {
    server_log(world, &name, &level, &template).await
}

#[then(regex = r"^the labels \{(\w+)\} and \{(\w+)\} differ$")]
async fn labels_differ(world: &mut Check, a: String, b: String) -> Result<(), String> {
    let labels = &world.state::<PubsubState>().labels;
    let (Some(x), Some(y)) = (labels.get(&a), labels.get(&b)) else {
        return Err(format!("{{{a}}} or {{{b}}} was never seen in a server log"));
    };
    if x == y {
        Err(format!("two connections share the label {x}"))
    } else {
        Ok(())
    }
}

#[then(regex = r"^the peer \{(\w+)\} is an address and port$")]
async fn peer_address(world: &mut Check, name: String) -> Result<(), String> {
    let peer = world
        .state::<PubsubState>()
        .labels
        .get(&name)
        .ok_or_else(|| format!("{{{name}}} was never seen in a server log"))?;
    peer.parse::<std::net::SocketAddr>()
        .map(|_| ())
        .map_err(|_| format!("{peer} is not an ip:port address"))
}

#[then(regex = r"^the last server log holds none of the tokens sent$")]
async fn log_without_tokens(world: &mut Check) -> Result<(), String> {
    let log = world.state::<PubsubState>().last_log.clone().ok_or("no server log was received")?;
    for token in &world.state::<PubsubState>().tokens_used {
        let leaked = token
            .split('.')
            .filter(|part| part.len() >= 8)
            .any(|part| log.contains(part));
        if leaked {
            return Err("a server_logs event holds (part of) a token that was sent (rule PUBSUB-30)".into());
        }
    }
    Ok(())
}

/// Sends `{"action": action, "topic": topic}` on connection `name`.
async fn topic_request(world: &mut Check, name: &str, action: &str, topic: &str) -> Result<(), String> {
    world
        .pubsub_send(name, &json!({ "action": action, "topic": topic }))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_mentions_a_client_by_its_whole_label() {
        assert!(mentions("pubsub/3 closed: subscriber too slow", "pubsub/3"));
        assert!(!mentions("pubsub/31 connected", "pubsub/3"));
        assert!(mentions("pubsub/2 subscribed to odom", "pubsub/2"));
    }

    #[test]
    fn log_templates_bind_labels_once_and_escape_the_rest() {
        let mut labels = BTreeMap::new();
        let (pattern, fresh) = log_pattern("{other} subscribed to a.b (x)", &labels);
        assert_eq!(fresh, ["other"]);
        let regex = regex::Regex::new(&pattern).unwrap();
        assert!(regex.is_match("pubsub/3 subscribed to a.b (x)"));
        assert!(!regex.is_match("pubsub/3 subscribed to aXb (x)"));
        labels.insert("other".to_string(), "pubsub/3".to_string());
        let (pattern, fresh) = log_pattern("{other} disconnected", &labels);
        assert!(fresh.is_empty());
        let regex = regex::Regex::new(&pattern).unwrap();
        assert!(regex.is_match("pubsub/3 disconnected"));
        assert!(!regex.is_match("pubsub/4 disconnected"));
    }

    #[test]
    fn each_server_message_kind_has_its_schemas() {
        assert_eq!(schemas_for(&ack("published", "t")).unwrap(), ["pubsub/ack"]);
        assert_eq!(
            schemas_for(&json!({"action": "message", "topic": "odom"})).unwrap(),
            ["pubsub/delivery", "pubsub/odom"]
        );
        assert_eq!(
            schemas_for(&json!({"action": "message", "topic": "mine"})).unwrap(),
            ["pubsub/delivery"]
        );
        let unknown = schemas_for(&json!({"action": "subscribe", "topic": "t"})).unwrap_err();
        assert!(unknown.contains("PUBSUB-16"), "{unknown}");
    }
}

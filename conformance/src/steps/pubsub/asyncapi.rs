//! The pub/sub robot for the AsyncAPI export: its token-bearing socket at `/wss`, the requests and their acks
//! by topic, deliveries and the robot's own topics, and the plain HTTP answers that refuse an upgrade.

use serde_json::{Value, json};

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec, string_fields, suite, ws_binding};

const ACK_CORRELATION: &str = "An ack names the request's action (past tense) and topic; requests are applied and acked in order.";

fn request(action: &str, with_data: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "required": ["action", "topic"],
        "properties": {
            "action": {"const": action},
            "topic": {"type": "string", "minLength": 1, "maxLength": 1024}
        }
    });
    if with_data {
        schema["required"] = json!(["action", "topic", "data"]);
        schema["properties"]["data"] = json!({
            "type": "object",
            "required": ["name", "type"],
            "properties": {"name": {"type": "string"}, "type": {"type": "string"}, "data": {}}
        });
    }
    schema
}

/// The pub/sub document's parts.
pub fn spec() -> Spec {
    let query = string_fields(&[("token", "An HS256 JWT (first occurrence, percent-decoded).")], &["token"]);
    let socket = Channel::new(
        "socket",
        "/wss",
        &["pubsub"],
        "The robot's pub/sub socket: JSON requests, acks, deliveries; a bad request gets an error and the connection stays open.",
    )
    .bindings(ws_binding(Some(query), None))
    .message(Message::new("subscribe", "subscribe", request("subscribe", false)).rules(&["PUBSUB-12"]))
    .message(Message::new("unsubscribe", "unsubscribe", request("unsubscribe", false)).rules(&["PUBSUB-12"]))
    .message(Message::new("publish", "publish", request("publish", true)).rules(&["PUBSUB-12", "PUBSUB-25"]))
    .message(
        Message::new("ack", "An acknowledgement", suite("pubsub/ack"))
            .correlated_by("$message.payload#/topic", ACK_CORRELATION)
            .example("pubsub/ack_subscribed", "")
            .example("pubsub/ack_unsubscribed", "")
            .example("pubsub/ack_published", ""),
    )
    .message(
        Message::new("error", "A refused request", suite("pubsub/error"))
            .rules(&["PUBSUB-21", "PUBSUB-22", "PUBSUB-24"])
            .example("pubsub/error_unknown_action", "")
            .example("pubsub/error_server_only_topic", ""),
    )
    .message(
        Message::new("delivery", "A publication delivered", suite("pubsub/delivery"))
            .rules(&["PUBSUB-14", "PUBSUB-18", "PUBSUB-19"])
            .example("pubsub/delivery", "")
            .example("pubsub/cmd_vel_delivery", ""),
    )
    .message(Message::new("odom", "odom (10 Hz)", suite("pubsub/odom")))
    .message(Message::new("battery", "battery (1 Hz)", suite("pubsub/battery")).rules(&["PUBSUB-28"]))
    .message(Message::new("diagnostics", "diagnostics", suite("pubsub/diagnostics")).rules(&["PUBSUB-26"]))
    .message(Message::new("serverLog", "server_logs", suite("pubsub/server-log")).rules(&["PUBSUB-13"]))
    .operation(
        Operation::receive("handleRequest", "Applies each request and acks it, or answers an error.", &["subscribe", "unsubscribe", "publish"])
            .reply(&["ack", "error"]),
    )
    .operation(Operation::send(
        "deliver",
        "Delivers publications to the subscribers of their topic, the robot's own included.",
        &["delivery", "odom", "battery", "diagnostics", "serverLog"],
    ));
    let refusals = Channel::new(
        "refusals",
        "/wss",
        &["pubsub-https"],
        "Plain HTTP on the port: an upgrade without a good token is refused with 401, anything else answers 404 or 426.",
    )
    .message(Message::new("upgrade", "A request (an upgrade or plain GET)", Value::Null))
    .message(Message::new("unauthorized", "401: the token is refused", suite("pubsub/unauthorized")).example("pubsub/http_401_missing_token", "/body").example("pubsub/http_401_token_expired", "/body"))
    .message(Message::new("httpError", "404 or 426", suite("pubsub/http-error")).example("pubsub/http_404_plain_get", "/body").example("pubsub/http_426_plain_get", "/body"))
    .operation(Operation::receive("refuse", "Refuses what is not a good upgrade.", &["upgrade"]).reply(&["unauthorized", "httpError"]));
    Spec {
        title: "Mobile robot behind a JWT pub/sub socket".into(),
        description: "A differential-drive robot on a WebSocket pub/sub API with a JWT in the query string: subscribe, \
                      unsubscribe and publish, `cmd_vel` in, `odom`, `battery`, `diagnostics` and `server_logs` out."
            .into(),
        servers: vec![
            Server::new("pubsub", "localhost:8443", "wss", "The socket (TLS by default; ws with --pubsub-plain).").secured_by("token"),
            Server::new("pubsub-https", "localhost:8443", "https", "Plain HTTP on the same port."),
        ],
        channels: vec![socket, refusals],
        security_schemes: vec![(
            "token",
            json!({"type": "httpApiKey", "name": "token", "in": "query", "description": "An HS256 JWT signed with the robot's secret; refused with HTTP 401 before the upgrade."}),
        )],
    }
}

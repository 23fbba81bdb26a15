//! The Endrpi server for the AsyncAPI export: its socket at `/` (requests by action, replies in the envelope,
//! each action's data by its schema) and the REST mirror's parts the suite has schemas for.

use serde_json::{Value, json};

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec, http_binding, suite, ws_binding};

/// Each action, the id of its reply message, its data schema, and a snapshot of its reply when one has no
/// value that moves (a snapshot's redacted number is no number).
const ACTIONS: &[(&str, &str, &str, Option<&str>)] = &[
    ("READ_TEMPERATURE", "readTemperatureReply", "endrpi/temperature", None),
    ("READ_THROTTLE", "readThrottleReply", "endrpi/throttle", Some("endrpi/read_throttle")),
    ("READ_UPTIME", "readUptimeReply", "endrpi/uptime", None),
    ("READ_FREQUENCY", "readFrequencyReply", "endrpi/frequency", None),
    ("READ_MEMORY", "readMemoryReply", "endrpi/memory", None),
    (
        "READ_PIN_CONFIGURATIONS",
        "readPinConfigurationsReply",
        "endrpi/pin-configuration-map",
        Some("endrpi/read_pin_configurations"),
    ),
    (
        "UPDATE_PIN_CONFIGURATIONS",
        "updatePinConfigurationsReply",
        "endrpi/update-result",
        Some("endrpi/update_pin_configurations"),
    ),
];

const CORRELATION: &str = "$message.payload#/action";
const CORRELATION_TEXT: &str = "A reply names the request's action (null when the request named no valid one); replies come one per request, in request order.";

fn request() -> Value {
    let actions: Vec<&str> = ACTIONS.iter().map(|(action, ..)| *action).collect();
    let pin_id = json!({"type": "string", "pattern": "^GPIO[0-9]+$"});
    json!({
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"enum": actions},
            "params": {
                "type": "object",
                "description": "READ_PIN_CONFIGURATIONS: pins is a list of pin ids; UPDATE_PIN_CONFIGURATIONS: a map from pin id to {io, state} (OUTPUT) or {io, pull} (INPUT).",
                "properties": {
                    "pins": {"oneOf": [
                        {"type": "array", "items": pin_id},
                        {"type": "object", "additionalProperties": {
                            "type": "object",
                            "required": ["io"],
                            "properties": {
                                "io": {"enum": ["INPUT", "OUTPUT"]},
                                "state": {"type": "number"},
                                "pull": {"enum": ["FLOATING", "UP", "DOWN"]}
                            }
                        }}
                    ]}
                }
            }
        }
    })
}

fn success(action: &str, data: &str) -> Value {
    json!({"allOf": [suite("endrpi/envelope"), {
        "properties": {"action": {"const": action}, "success": {"const": true}, "data": suite(data)}
    }]})
}

fn rest_body(id: &'static str, title: &str, schema: &str) -> Message {
    Message::new(id, title, suite(schema))
}

/// The Endrpi document's parts.
pub fn spec() -> Spec {
    let mut socket = Channel::new(
        "socket",
        "/",
        &["endrpi"],
        "The Endrpi WebSocket: JSON text requests, one JSON text reply each, in request order.",
    )
    .bindings(ws_binding(None, None))
    .message(
        Message::new("request", "A request", request())
            .describe("`{action, params}`; anything else is answered with an error reply.")
            .rules(&["ENDRPI-15", "ENDRPI-18"]),
    );
    let mut replies = Vec::new();
    for (action, id, data, example) in ACTIONS {
        let mut message = Message::new(id, &format!("{action} reply"), success(action, data))
            .correlated_by(CORRELATION, CORRELATION_TEXT)
            .rules(&["ENDRPI-17"]);
        if let Some(snapshot) = example {
            message = message.example(snapshot, "");
        }
        socket = socket.message(message);
        replies.push(*id);
    }
    socket = socket.message(
        Message::new(
            "errorReply",
            "An error reply",
            json!({"allOf": [suite("endrpi/envelope"), {"properties": {"success": {"const": false}, "data": {"const": null}}}]}),
        )
        .correlated_by(CORRELATION, CORRELATION_TEXT)
        .rules(&["ENDRPI-17", "ENDRPI-18"])
        .example("endrpi/error_invalid_action", "")
        .example("endrpi/error_missing_action", "")
        .example("endrpi/error_no_pins", ""),
    );
    replies.push("errorReply");
    socket = socket.operation(Operation::receive("handleRequest", "Answers each request with one reply.", &["request"]).reply(&replies));

    let platform = Channel::new("restPlatform", "/system/platform", &["endrpi-rest"], "GET: the platform (REST only).")
        .message(Message::new("restRequest", "A REST request (no body)", Value::Null))
        .message(rest_body("platform", "The platform", "endrpi/platform").example("endrpi/rest_platform", "/body"))
        .message(rest_body("restNotFound", "An unknown path or wrong method", "endrpi/rest-detail").example("endrpi/rest_not_found", "/body"))
        .operation(
            Operation::receive("getPlatform", "GET /system/platform", &["restRequest"])
                .reply(&["platform", "restNotFound"])
                .bindings(http_binding("GET", None)),
        );
    let pin = Channel::new("restPin", "/pins/{id}", &["endrpi-rest"], "GET or PUT one pin's configuration.")
        .parameter("id", "A BCM pin id, e.g. GPIO17.")
        .message(Message::new("restPinRequest", "A REST request (no body)", Value::Null))
        .message(rest_body("pinConfiguration", "One pin's configuration", "endrpi/pin-configuration").example("endrpi/rest_pin", "/body"))
        .message(Message::new("pinUpdate", "PUT body", json!({
            "type": "object", "required": ["io"],
            "properties": {"io": {"enum": ["INPUT", "OUTPUT"]}, "state": {"type": "number"}, "pull": {"enum": ["FLOATING", "UP", "DOWN"]}}
        })))
        .message(
            rest_body("restMessage", "A REST message (PUT success, or an error)", "endrpi/rest-message")
                .example("endrpi/rest_put_pin", "/body")
                .example("endrpi/rest_unknown_pin", "/body"),
        )
        .operation(
            Operation::receive("getPin", "GET /pins/{id}", &["restPinRequest"])
                .reply(&["pinConfiguration", "restMessage"])
                .bindings(http_binding("GET", None)),
        )
        .operation(
            Operation::receive("putPin", "PUT /pins/{id}", &["pinUpdate"])
                .reply(&["restMessage"])
                .bindings(http_binding("PUT", None)),
        );
    Spec {
        title: "Endrpi (Raspberry Pi GPIO and system server)".into(),
        description: "The `endrpi` 1.0.0b22 server of a Raspberry Pi, as the real server answers: a WebSocket of JSON \
                      actions at `/` and the REST API it mirrors on the same port."
            .into(),
        servers: vec![
            Server::new("endrpi", "localhost:5000", "ws", "The WebSocket (port 5000)."),
            Server::new("endrpi-rest", "localhost:5000", "http", "The REST mirror on the same port."),
        ],
        channels: vec![socket, platform, pin],
        security_schemes: Vec::new(),
    }
}

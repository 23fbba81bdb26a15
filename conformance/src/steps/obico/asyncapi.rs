//! Obico for the AsyncAPI export: the agent is the application and the Obico server the server it dials;
//! its status frames, the server's commands and passthru calls (answered by `ref`) and the BSON tunnel.

use serde_json::json;

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec, suite, ws_binding};

/// The Obico document's parts.
pub fn spec() -> Spec {
    let headers = json!({
        "type": "object",
        "required": ["authorization"],
        "properties": {"authorization": {"type": "string", "pattern": "^bearer .+$", "description": "bearer <auth_token>, lower-case bearer."}}
    });
    let correlation = "A passthru reply carries the call's ref.";
    let socket = Channel::new(
        "device",
        "/ws/dev/",
        &["obico"],
        "The agent's socket on the server, opened only after GET /api/v1/octo/printer/ (Authorization: Token <tok>) answered 2xx.",
    )
    .bindings(ws_binding(None, Some(headers)))
    .message(
        Message::new(
            "status",
            "A status message",
            json!({"allOf": [suite("obico/status-frame"), {"properties": {"event": suite("obico/event"), "settings": suite("obico/settings")}}]}),
        )
        .rules(&["OBICO-37"]),
    )
    .message(
        Message::new("passthruReply", "A passthru reply", suite("obico/passthru-reply"))
            .correlated_by("$message.payload#/passthru/ref", correlation)
            .example("obico/passthru_ret", "")
            .example("obico/passthru_error", ""),
    )
    .message(
        Message::new(
            "tunnelReply",
            "An http.tunnelv2 reply",
            json!({"type": "string", "format": "binary", "description": "BSON of {\"http.tunnelv2\": {ref, response: {status, compressed, content, cookies, headers}}}."}),
        )
        .content_type("application/bson"),
    )
    .message(Message::new(
        "passthruCall",
        "A passthru call",
        json!({
            "type": "object",
            "required": ["passthru"],
            "properties": {
                "passthru": {
                    "type": "object",
                    "required": ["target", "func", "ref"],
                    "properties": {"target": {"type": "string"}, "func": {"type": "string"}, "args": {"type": "array"}, "kwargs": {"type": "object"}, "ref": {"type": "string"}}
                },
                "type": {"const": "printer.message"}
            }
        }),
    )
    .correlated_by("$message.payload#/passthru/ref", correlation))
    .message(Message::new(
        "commands",
        "Server commands",
        json!({
            "type": "object",
            "properties": {
                "commands": {"type": "array", "items": {"type": "object", "required": ["cmd"], "properties": {"cmd": {"type": "string"}, "args": {"type": "object"}, "initiator": {}}}},
                "remote_status": {"type": "object", "properties": {"viewing": {"type": "boolean"}, "should_watch": {"type": "boolean"}}}
            }
        }),
    ))
    .operation(Operation::send("sendStatus", "Sends status messages (at once, on events, then on its cadence).", &["status"]))
    .operation(Operation::receive("handlePassthru", "Answers a passthru call with its ref.", &["passthruCall"]).reply(&["passthruReply"]))
    .operation(Operation::receive("handleCommands", "Obeys pause, resume and cancel; remote_status boosts the cadence.", &["commands"]))
    .operation(Operation::send("sendTunnelReply", "Answers an http.tunnelv2 request as BSON.", &["tunnelReply"]));
    Spec {
        title: "Obico printer agent (OctoPrint-Obico 2.6.1)".into(),
        description: "An OctoPrint-Obico agent on a Marlin printer dials its Obico server: REST first, then `/ws/dev/`. The \
                      server below is a self-hosted obico-server's default; `understudy-check` is that server when it checks an agent."
            .into(),
        servers: vec![Server::new("obico", "localhost:3334", "ws", "An Obico server (self-hosted default port; ws or wss).").secured_by("bearer")],
        channels: vec![socket],
        security_schemes: vec![(
            "bearer",
            json!({"type": "http", "scheme": "bearer", "description": "authorization: bearer <auth_token> on the upgrade."}),
        )],
    }
}

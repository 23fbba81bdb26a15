//! The xArm's Studio socket for the AsyncAPI export: the opening and periodic reports, requests answered by
//! id (immediate and final answers), and the HTTP routes on the same port.

use serde_json::{Value, json};

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec, http_binding, string_fields, suite, ws_binding};

/// The xArm document's parts.
pub fn spec() -> Spec {
    let query = string_fields(
        &[
            ("channel", "Studio sends prod; ignored."),
            ("lang", "Studio sends en or cn; ignored."),
            ("v", "ignored"),
            ("id", "ignored"),
        ],
        &[],
    );
    let correlation = "An answer carries its request's id: code 100 (accepted) at once for a motion, then its final code with the same id when it ends.";
    let socket = Channel::new(
        "studio",
        "/ws",
        &["xarm"],
        "UFactory Studio's socket: on connect the keys report, the info report and a status report at once, then a status report every 100 ms (10 Hz).",
    )
    .bindings(ws_binding(Some(query), None))
    .message(Message::new("keysReport", "devices_status_keys_report", suite("xarm/keys-report")).example("xarm/keys_report", ""))
    .message(
        Message::new(
            "infoReport",
            "devices_info_report",
            json!({"allOf": [suite("xarm/info-report"), {"properties": {"data": suite("xarm/info")}}]}),
        )
        .example("xarm/info_report", ""),
    )
    .message(
        Message::new("statusReport", "devices_status_report", suite("xarm/status-report"))
            .describe("Its data lines up with the keys report by position; decoded with the keys it is checked with conformance/schemas/xarm/status.json.")
            .rules(&["XARM-4"])
            .example("xarm/status_report", ""),
    )
    .message(
        Message::new(
            "request",
            "A request",
            json!({
                "type": "object",
                "required": ["cmd", "id"],
                "properties": {
                    "cmd": {"type": "string", "description": "A Studio command, e.g. xarm_move_joint (features/xarm/KEYS.md)."},
                    "data": {"description": "The command's parameters."},
                    "id": {"type": ["string", "number"], "description": "Echoed by every answer to this request."}
                }
            }),
        )
        .correlated_by("$message.payload#/id", correlation),
    )
    .message(
        Message::new("response", "An answer", suite("xarm/response"))
            .correlated_by("$message.payload#/id", correlation)
            .example("xarm/response_0_ok", "")
            .example("xarm/response_100_accepted", "")
            .example("xarm/response_-4_unknown_command", ""),
    )
    .operation(Operation::send("reportStatus", "The opening reports, then a status report per period.", &["keysReport", "infoReport", "statusReport"]))
    .operation(Operation::receive("handleRequest", "Answers each request by its id.", &["request"]).reply(&["response"]));
    let status = Channel::new("apiStatus", "/api/status", &["xarm-http"], "GET: the current status sample as one object keyed by name.")
        .message(Message::new("httpRequest", "An HTTP request (no body)", Value::Null))
        .message(Message::new("status", "The status sample", suite("xarm/status")).example("xarm/http_status", "/body"))
        .message(Message::new("httpError", "An unknown path or wrong method", suite("xarm/http-error")).example("xarm/http_not_found", "/body").example("xarm/http_method_not_allowed", "/body"))
        .operation(Operation::receive("getStatus", "GET /api/status", &["httpRequest"]).reply(&["status", "httpError"]).bindings(http_binding("GET", None)));
    let info = Channel::new("apiInfo", "/api/info", &["xarm-http"], "GET: the info report's data.")
        .message(Message::new("infoRequest", "An HTTP request (no body)", Value::Null))
        .message(Message::new("info", "Who the arm is", suite("xarm/info")).example("xarm/http_info", "/body"))
        .operation(Operation::receive("getInfo", "GET /api/info", &["infoRequest"]).reply(&["info"]).bindings(http_binding("GET", None)));
    Spec {
        title: "UFactory xArm (UFactory Studio's API)".into(),
        description: "An xArm 5/6/7 or Lite 6 as UFactory Studio talks to it: a WebSocket at `/ws` with 91-key status reports and \
                      `{cmd, data, id}` requests answered with api codes, and HTTP on the same port."
            .into(),
        servers: vec![
            Server::new("xarm", "localhost:18333", "ws", "Studio's WebSocket (port 18333)."),
            Server::new("xarm-http", "localhost:18333", "http", "HTTP on the same port."),
        ],
        channels: vec![socket, status, info],
        security_schemes: Vec::new(),
    }
}

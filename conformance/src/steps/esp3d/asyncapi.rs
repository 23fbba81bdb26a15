//! ESP3D for the AsyncAPI export: the terminal socket (text labels, the printer's binary stream), the data
//! socket (G-code and the binary transfer frames, described as far as AsyncAPI can), and the HTTP routes.

use serde_json::{Value, json};

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec, http_binding, string_fields, suite, ws_binding};

const BINARY: &str = "application/octet-stream";
const TEXT: &str = "text/plain";

fn subprotocol(name: &str) -> Value {
    json!({
        "type": "object",
        "properties": {"Sec-WebSocket-Protocol": {"type": "string", "const": name, "description": "The subprotocol the WebUI offers."}}
    })
}

fn binary(description: &str) -> Value {
    json!({"type": "string", "format": "binary", "description": description})
}

fn stream() -> Message {
    Message::new("stream", "The printer's serial output", binary("Raw bytes of the printer's serial output, flushed as one frame when 1200 bytes are buffered or 500 ms of sim time after the first."))
        .content_type(BINARY)
        .rules(&["ESP3D-29", "ESP3D-49"])
}

/// The ESP3D document's parts.
pub fn spec() -> Spec {
    let terminal = Channel::new(
        "terminal",
        "/",
        &["esp3d-terminal"],
        "The terminal socket (HTTP port + 1, any path): text labels to the WebUI and the printer's output as binary frames.",
    )
    .bindings(ws_binding(None, Some(subprotocol("webui-v3"))))
    .message(
        Message::new(
            "label",
            "A text label",
            json!({"type": "string", "pattern": "^((currentID|activeID):[0-9]+|PING:[0-9]+:[0-9]+|ERROR:[0-9]+:.*|NOTIFICATION:.*)$"}),
        )
        .content_type(TEXT)
        .rules(&["ESP3D-25", "ESP3D-26", "ESP3D-27", "ESP3D-36"]),
    )
    .message(stream())
    .message(
        Message::new("ping", "PING from the WebUI", json!({"type": "string", "pattern": "^PING:.*$"}))
            .content_type(TEXT)
            .rules(&["ESP3D-28"]),
    )
    .operation(Operation::send("sendTerminal", "Sends the connect labels, notifications and the printer's output.", &["label", "stream"]))
    .operation(Operation::receive("handlePing", "Answers PING with the session's remaining time (authentication on).", &["ping"]).reply(&["label"]));
    let data = Channel::new(
        "data",
        "/",
        &["esp3d-data"],
        "The data socket: G-code in (text or binary, one byte stream), transfer frames in both directions.",
    )
    .bindings(ws_binding(None, Some(subprotocol("arduino"))))
    .message(
        Message::new("gcode", "G-code input", json!({"type": "string"}))
            .content_type(TEXT)
            .rules(&["ESP3D-30", "ESP3D-43"]),
    )
    .message(
        Message::new(
            "transferFrame",
            "A transfer frame from the client",
            binary("2 ASCII type bytes (SR, SU, UP, SD, PD, CM), a 2-byte big-endian payload length, the payload; at most 1024 bytes."),
        )
        .content_type(BINARY)
        .rules(&["ESP3D-31", "ESP3D-44", "ESP3D-45", "ESP3D-46", "ESP3D-47"]),
    )
    .message(
        Message::new(
            "transferAnswer",
            "A transfer frame from the board",
            binary("RS (state B, O, E, A, D or U with its extra data), US, PU (echoing the packet id), DS or DP; same framing."),
        )
        .content_type(BINARY)
        .rules(&["ESP3D-31", "ESP3D-48"]),
    )
    .message(stream())
    .operation(Operation::receive("handleTransfer", "Answers each transfer frame.", &["transferFrame"]).reply(&["transferAnswer"]))
    .operation(Operation::receive("takeGcode", "Writes G-code to the printer.", &["gcode"]))
    .operation(Operation::send("sendData", "Sends the printer's output.", &["stream"]));
    let query = string_fields(&[("cmd", "A G-code or ESP command, e.g. [ESP800]json.")], &["cmd"]);
    let command = Channel::new("command", "/command", &["esp3d-http"], "GET /command?cmd=...: G-code forwarded to the printer, ESP commands answered.")
        .message(Message::new("commandRequest", "A command (in the query)", Value::Null))
        // The ESP800 snapshot redacts its port: it is no example.
        .message(Message::new("esp800", "[ESP800] with json", suite("esp3d/esp800")))
        .message(Message::new("esp400", "[ESP400] with json", suite("esp3d/esp400")).example("esp3d/esp400_json", ""))
        .message(Message::new("esp420", "[ESP420] with json", suite("esp3d/esp420")).example("esp3d/esp420_json", ""))
        .message(Message::new("commandText", "A text answer", json!({"type": "string"})).content_type(TEXT).rules(&["ESP3D-32", "ESP3D-38"]))
        .operation(
            Operation::receive("runCommand", "GET /command", &["commandRequest"])
                .reply(&["esp800", "esp400", "esp420", "commandText"])
                .bindings(http_binding("GET", Some(query))),
        );
    let files = Channel::new("files", "/{volume}", &["esp3d-http"], "/files (flash) and /sdfiles (SD card), any method: list, delete, create, upload.")
        .parameter("volume", "files (the flash) or sdfiles (the SD card).")
        .message(Message::new("filesRequest", "A files action (in the query) or a multipart upload", Value::Null))
        .message(Message::new("listing", "The listing", suite("esp3d/listing")).example("esp3d/files_listing", "").example("esp3d/sdfiles_createdir", ""))
        .operation(Operation::receive("files", "GET or POST /files and /sdfiles", &["filesRequest"]).reply(&["listing"]).bindings(http_binding("GET", None)));
    Spec {
        title: "ESP3D 3.0 firmware in front of a Marlin printer".into(),
        description: "An ESP3D 3.0 board as ESP3D-WebUI talks to it: HTTP on 8080 (`/command`, `/files`, `/sdfiles`), the \
                      terminal socket (`webui-v3`) on HTTP port + 1 and the data socket (`arduino`) on 8282. The printer's \
                      output and the transfer frames are binary: AsyncAPI describes them as binary strings, their layouts in words."
            .into(),
        servers: vec![
            Server::new("esp3d-http", "localhost:8080", "http", "The board's web server."),
            Server::new("esp3d-terminal", "localhost:8081", "ws", "The terminal socket (HTTP port + 1)."),
            Server::new("esp3d-data", "localhost:8282", "ws", "The data socket."),
        ],
        channels: vec![terminal, data, command, files],
        security_schemes: Vec::new(),
    }
}

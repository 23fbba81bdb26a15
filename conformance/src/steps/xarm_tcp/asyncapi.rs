//! The xArm controller's TCP protocol for the AsyncAPI export, as far as AsyncAPI describes raw TCP: a
//! server per port, binary request and answer frames, the reports' framing; the layouts are in REGISTERS.md.

use serde_json::json;

use crate::asyncapi::spec::{Channel, Message, Operation, Server, Spec};

const BINARY: &str = "application/octet-stream";

fn frame(description: &str) -> serde_json::Value {
    json!({"type": "string", "format": "binary", "description": description})
}

/// The report ports: server name, port, report size in bytes.
const REPORTS: &[(&str, u16, u32)] = &[
    ("report-rt", 30000, 804),
    ("report-normal", 30001, 145),
    ("report-rich", 30002, 481),
    ("report-real", 30003, 135),
];

/// The controller document's parts.
pub fn spec() -> Spec {
    let mut servers = vec![Server::new(
        "controller",
        "localhost:502",
        "tcp",
        "The controller port: requests by register, one answer each.",
    )];
    let mut report_servers = Vec::new();
    for (name, port, size) in REPORTS {
        servers.push(Server::new(
            name,
            format!("localhost:{port}"),
            "tcp",
            &format!("Reports of {size} bytes each, sent unasked."),
        ));
        report_servers.push(*name);
    }
    let control = Channel::new(
        "registers",
        "/",
        &["controller"],
        "A raw TCP stream (the address means nothing): frames back to back, each with a 6-byte big-endian header.",
    )
    .message(
        Message::new(
            "request",
            "A register request",
            frame("transaction u16, protocol u16 (2; 3 is answered alike), length u16 (register + parameters), register u8, parameters; all header fields big-endian."),
        )
        .content_type(BINARY)
        .describe("Matched to its answer by the transaction (bytes 0-1), which the answer repeats with the register."),
    )
    .message(
        Message::new(
            "answer",
            "A register answer",
            frame("transaction u16, protocol u16, length u16 (parameters + 2), register u8, state u8 (0x40 error, 0x20 warning, 0x10 not ready), parameters (FP32/I32 little-endian, U16/U32 big-endian)."),
        )
        .content_type(BINARY)
        .rules(&["XTCP-1", "XTCP-2", "XTCP-3", "XTCP-5", "XTCP-6", "XTCP-13", "XTCP-14"]),
    )
    .message(
        Message::new("heartbeat", "The SDK's heartbeat", frame("00 00 00 01 00 02 00 00 (protocol 1): never answered."))
            .content_type(BINARY)
            .rules(&["XTCP-7"]),
    )
    .operation(Operation::receive("handleRegister", "Answers each request frame.", &["request"]).reply(&["answer"]))
    .operation(Operation::receive("heartbeat", "Takes the heartbeat without answering.", &["heartbeat"]));
    let reports = Channel::new(
        "reports",
        "/",
        &report_servers,
        "A raw TCP stream of reports (the address means nothing), each framed by its big-endian U32 total size.",
    )
    .message(
        Message::new(
            "report",
            "A report",
            frame("size u32 big-endian (30000: 804, 30001: 145, 30002: 481, 30003: 135), then the layout of features/xarm-tcp/REGISTERS.md."),
        )
        .content_type(BINARY)
        .rules(&["XTCP-10", "XTCP-11", "XTCP-12"]),
    )
    .operation(Operation::send("sendReports", "Sends a report per period on each report port.", &["report"]));
    Spec {
        title: "UFactory xArm controller (the SDK's TCP protocol)".into(),
        description: "The controller of an xArm as UFactory's SDK talks to it: private Modbus-TCP-like register frames on port 502 \
                      and binary reports on 30000-30003. AsyncAPI has no raw TCP binding: the servers say `tcp`, the frames are \
                      binary payloads described in words, and the register table is `features/xarm-tcp/REGISTERS.md`."
            .into(),
        servers,
        channels: vec![control, reports],
        security_schemes: Vec::new(),
    }
}

//! The Obico agent's side of `/ws/dev/`: server frames (JSON text, BSON `http.tunnelv2` binary, anything)
//! and link events, with time passing. Every frame the agent sends is one JSON object or one BSON
//! document, and every status it sends has a `_ts` that never goes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use understudy_core::SimTime;
use understudy_core::model::printer::{Printer, PrinterConfig};
use understudy_core::proto::obico::ObicoAgent;
use understudy_core::proto::obico::link::{Frame, LinkAction, LinkEvent, RestCall};
use understudy_fuzz::{frames, json_object, take_u64};

/// Frames and events per input.
const MAX_STEPS: usize = 32;
/// What the server's printer REST call answers (the real server's shape).
const PRINTER_OK: &str = r#"{"user": {"is_pro": false}, "printer": {"is_pro": false, "id": 1, "name": "p", "retract_on_pause": 6.5}}"#;

/// Checks what the agent sent; returns the latest status `_ts`.
fn check_sent(actions: &[LinkAction], mut last_ts: i64) -> i64 {
    for action in actions {
        match action {
            LinkAction::Send(Frame::Text(text)) => {
                let frame = json_object(text);
                if let Some(ts) = frame.get("status").and_then(|s| s.get("_ts")).and_then(|t| t.as_i64()) {
                    assert!(ts >= last_ts, "_ts went back from {last_ts} to {ts}");
                    last_ts = ts;
                }
            }
            LinkAction::Send(Frame::Binary(bytes)) => {
                let declared = bytes.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
                assert_eq!(declared, Some(bytes.len()), "a BSON document's length is its own");
            }
            _ => {}
        }
    }
    last_ts
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let mut printer = Printer::new(PrinterConfig::default(), 0, "p");
    let _ = printer.sd_mut().write("cube.gcode", b"G28\nG1 X10 Y10 F600\nG1 Z5\n".to_vec(), SimTime::ZERO);
    let mut agent = ObicoAgent::new(printer, "tok", 1_796_147_965_000, 0, "p");
    let mut now = SimTime::ZERO;
    let mut last_ts = check_sent(&agent.advance(now), i64::MIN);
    last_ts = check_sent(
        &agent.handle_link(now, LinkEvent::RestAnswered(RestCall::Printer, 200, PRINTER_OK.into())),
        last_ts,
    );
    last_ts = check_sent(&agent.handle_link(now, LinkEvent::WsOpened), last_ts);
    let selector = take_u64::<1>(&mut data);
    for (i, frame) in frames(data).iter().take(MAX_STEPS).enumerate() {
        now = now.plus_millis(u64::from(frame.len() as u16) * 97);
        let actions = match (selector >> (i % 8)) & 1 {
            0 => agent.receive_text(now, frame),
            _ => agent.receive_binary(now, frame.as_bytes()),
        };
        last_ts = check_sent(&actions, last_ts);
        last_ts = check_sent(&agent.advance(now), last_ts);
        if frame.starts_with("close:") {
            let code = frame[6..].trim().parse().unwrap_or(1006);
            last_ts = check_sent(&agent.handle_link(now, LinkEvent::WsClosed(code)), last_ts);
        }
    }
});

//! The agent's frames around a status: the envelope (`status`, `current_print_ts`, `settings`,
//! `event`), the `settings` object, and the OctoPrint event payloads.

use serde_json::{Value, json};

use super::state::OctoState;
use super::status::{PrintFile, base_name};
use crate::proto::pyjson::{self, PyStyle};

/// The plugin's name in `settings.agent`.
pub const AGENT_NAME: &str = "octoprint_obico";
/// The plugin version the simulated agent reports.
pub const AGENT_VERSION: &str = "2.6.1";
/// The OctoPrint version it reports.
pub const OCTOPRINT_VERSION: &str = "1.11.8";

/// One event: `event_type` and OctoPrint's payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// `PrinterStateChanged`, `PrintStarted`, ...
    pub event_type: &'static str,
    /// The payload.
    pub data: Value,
}

/// The whole text of a status-bearing frame, keys in the real order.
pub fn status_frame(status: Value, current_print_ts: i64, settings: Option<Value>, event: Option<&Event>) -> String {
    let mut frame = serde_json::Map::new();
    frame.insert("status".into(), status);
    frame.insert("current_print_ts".into(), json!(current_print_ts));
    if let Some(s) = settings {
        frame.insert("settings".into(), s);
    }
    if let Some(e) = event {
        frame.insert("event".into(), json!({"event_type": e.event_type, "data": e.data}));
    }
    pyjson::to_string(&Value::Object(frame), PyStyle::Dumps)
}

/// `settings`; `firmware` (the M115 name) adds `printer_metadata` once the printer is connected.
pub fn settings(device_name: &str, firmware: Option<&str>) -> Value {
    let mut s = json!({
        "temperature": {
            "profiles": [{"name": "ABS", "extruder": 210, "bed": 100}, {"name": "PLA", "extruder": 180, "bed": 60}],
            "cutoff": 30, "sendAutomatically": false, "sendAutomaticallyAfter": 1,
        },
        "agent": {"name": AGENT_NAME, "version": AGENT_VERSION},
        "octoprint_version": OCTOPRINT_VERSION,
        "platform_uname": ["Linux", device_name, "understudy", "#1", "x86_64", "", ""],
        "installed_plugins": ["obico"],
    });
    if let (Some(fw), Some(map)) = (firmware, s.as_object_mut()) {
        map.insert(
            "printer_metadata".into(),
            json!({"FIRMWARE_NAME": fw, "PROTOCOL_VERSION": "1.0"}),
        );
    }
    s
}

/// `PrinterStateChanged` for `state`.
pub fn state_changed(state: OctoState) -> Event {
    Event {
        event_type: "PrinterStateChanged",
        data: json!({"state_id": state.state_id(), "state_string": state.text()}),
    }
}

/// What a print event's payload says beyond the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Extra {
    /// Just the file (PrintStarted, PrintResumed, PrintCancelling).
    None,
    /// Where the print stopped: position (Z only is known), file position, whole percent (PrintPaused).
    Position {
        /// The current Z.
        z: Option<f64>,
        /// Bytes read.
        fileposition: u64,
    },
    /// The print time in seconds (PrintDone).
    Time(f64),
    /// PrintCancelled / PrintFailed: nulled position, file position, time, reason.
    Ended {
        /// Bytes read.
        fileposition: u64,
        /// Print time, seconds.
        time: f64,
        /// `cancelled` or `error`.
        reason: &'static str,
    },
}

/// A print event's payload for `file`.
pub fn print_event(event_type: &'static str, file: &PrintFile, extra: Extra) -> Event {
    let mut d = serde_json::Map::new();
    d.insert("name".into(), json!(base_name(&file.path)));
    d.insert("path".into(), json!(file.path));
    d.insert("origin".into(), json!("local"));
    d.insert("size".into(), json!(file.size));
    let percent = |pos: u64| pos.saturating_mul(100).checked_div(file.size).unwrap_or(0);
    match &extra {
        Extra::Position { z, fileposition } => {
            d.insert(
                "position".into(),
                json!({"t": null, "y": null, "e": null, "x": null, "z": z, "f": null}),
            );
            d.insert("fileposition".into(), json!(fileposition));
            d.insert("progress".into(), json!(percent(*fileposition)));
        }
        Extra::Ended { fileposition, .. } => {
            d.insert(
                "position".into(),
                json!({"t": null, "y": null, "e": null, "x": null, "z": null, "f": null}),
            );
            d.insert("fileposition".into(), json!(fileposition));
            d.insert("progress".into(), json!(percent(*fileposition)));
        }
        Extra::None | Extra::Time(_) => {}
    }
    d.insert("owner".into(), json!("_api"));
    d.insert("user".into(), json!("_api"));
    match extra {
        Extra::Time(t) => {
            d.insert("time".into(), json!(t));
        }
        Extra::Ended { time, reason, .. } => {
            d.insert("time".into(), json!(time));
            d.insert("reason".into(), json!(reason));
        }
        Extra::None | Extra::Position { .. } => {}
    }
    Event {
        event_type,
        data: Value::Object(d),
    }
}

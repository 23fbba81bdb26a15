//! The passthru target `_printer` (commands, jog, temperatures, pause/resume/cancel, select and
//! start a file, connection options) and the built-in OctoPrint API behind the tunnel.

use serde_json::{Value, json};

use super::agent::ObicoAgent;
use super::commands::{PauseArgs, py_number};
use super::passthru::Call;
use crate::model::printer::PrinterError;
use crate::time::SimTime;

impl ObicoAgent {
    /// Runs a passthru call; None for an unknown target or func (no reply at all).
    pub(super) fn dispatch(&mut self, now: SimTime, call: &Call) -> Option<Result<Value, String>> {
        if call.target != "_printer" {
            return None;
        }
        let done = |r: Result<(), PrinterError>| r.map(|()| Value::Null).map_err(|e| e.to_string());
        Some(match call.func.as_str() {
            "commands" => {
                let lines: Vec<String> = match call.arg(0, "commands") {
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                    _ => {
                        return Some(Err(
                            "commands() missing 1 required positional argument: 'commands'".into()
                        ));
                    }
                };
                self.send_lines(now, &lines);
                Ok(Value::Null)
            }
            "jog" => self.jog(now, call),
            "set_temperature" => self.set_temperature(now, call),
            "pause_print" => done(self.pause_inner(now, PauseArgs::default())).or(Ok(Value::Null)),
            "resume_print" => done(self.resume_inner(now)).or(Ok(Value::Null)),
            "cancel_print" => done(self.cancel_inner(now)).or(Ok(Value::Null)),
            "select_file" => {
                let Some(path) = call.arg(0, "path").and_then(Value::as_str).map(str::to_owned) else {
                    return Some(Err(
                        "select_file() missing 1 required positional argument: 'path'".into()
                    ));
                };
                if self.printer.sd().stat(&path).is_err() {
                    return Some(Err(format!("Cannot select {path}, file does not exist")));
                }
                self.selected = Some(path.clone());
                if call
                    .arg(2, "printAfterSelect")
                    .is_some_and(|v| v.as_bool() == Some(true))
                {
                    done(self.start_print_inner(now, &path))
                } else {
                    Ok(Value::Null)
                }
            }
            "start_print" => match self.selected.clone() {
                Some(path) => done(self.start_print_inner(now, &path)),
                None => Ok(Value::Null),
            },
            "get_connection_options" => Ok(json!({
                "ports": ["VIRTUAL"], "baudrates": [250000, 230400, 115200, 57600, 38400, 19200, 9600],
                "portPreference": null, "baudratePreference": null, "autoconnect": false,
            })),
            _ => return None,
        })
    }

    fn jog(&mut self, now: SimTime, call: &Call) -> Result<Value, String> {
        let Some(axes) = call.arg(0, "axes").and_then(Value::as_object) else {
            return Err("jog() missing 1 required positional argument: 'axes'".into());
        };
        let mut words = Vec::new();
        for axis in ["x", "y", "z", "e"] {
            if let Some(n) = axes.get(axis).and_then(Value::as_number) {
                words.push(format!("{}{}", axis.to_ascii_uppercase(), py_number(n)));
            }
        }
        if words.is_empty() {
            return Err("Invalid axes".into());
        }
        let relative = call.arg(1, "relative").and_then(Value::as_bool).unwrap_or(true);
        let mut lines = Vec::new();
        if relative {
            lines.push("G91".to_owned());
        }
        lines.push(format!("G1 {}", words.join(" ")));
        if relative {
            lines.push("G90".to_owned());
        }
        self.send_lines(now, &lines);
        Ok(Value::Null)
    }

    fn set_temperature(&mut self, now: SimTime, call: &Call) -> Result<Value, String> {
        let heater = call
            .arg(0, "heater")
            .map(|h| h.as_str().map_or_else(|| h.to_string(), str::to_owned));
        let heater = heater.unwrap_or_default();
        let code = match heater.as_str() {
            "tool" | "tool0" => "M104 T0",
            "bed" => "M140",
            "chamber" => "M141",
            h if h.len() == 5 && h.starts_with("tool") && h.as_bytes()[4].is_ascii_digit() => {
                return Err(format!("Invalid tool: {h}"));
            }
            h => {
                return Err(format!(
                    "heater must match \"tool\", \"tool([0-9])\", \"bed\" or \"chamber\": {h}"
                ));
            }
        };
        let value = call
            .arg(1, "value")
            .and_then(Value::as_number)
            .filter(|n| n.as_f64().is_some_and(|f| f >= 0.0));
        let Some(value) = value else {
            return Err("value must be a valid number >= 0".into());
        };
        self.send_lines(now, &[format!("{code} S{}", py_number(value))]);
        Ok(Value::Null)
    }

    /// The built-in OctoPrint API behind the tunnel: status and JSON body.
    pub fn api(&mut self, now: SimTime, method: &str, path: &str) -> (u16, String) {
        let path = path.split('?').next().unwrap_or(path);
        if method != "get" {
            return (405, pretty(&json!({"error": "Method Not Allowed"})));
        }
        match path {
            "/api/version" => (
                200,
                pretty(&json!({"api": "0.1", "server": "1.11.8", "text": "OctoPrint 1.11.8"})),
            ),
            "/api/printer" if !self.connected => (409, pretty(&json!({"error": "Printer is not operational"}))),
            "/api/printer" => {
                let s = self.status(now);
                let t = &s["temperatures"];
                (
                    200,
                    pretty(&json!({
                        "sd": {"ready": true},
                        "state": s["state"],
                        "temperature": {"bed": t["bed"], "tool0": t["tool0"]},
                    })),
                )
            }
            "/api/job" => {
                let s = self.status(now);
                (
                    200,
                    pretty(&json!({"job": s["job"], "progress": s["progress"], "state": s["state"]["text"]})),
                )
            }
            _ => (404, pretty(&json!({"error": "Not found"}))),
        }
    }
}

/// JSON as Flask writes it for OctoPrint's API: indented by 2, with a final newline.
fn pretty(v: &Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text
}

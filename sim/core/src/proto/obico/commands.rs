//! Server frames in: the top-level keys the agent handles (`commands`, `passthru`,
//! `remote_status`, `http.tunnelv2`), and the G-code of the pause / resume sequence.

use serde_json::{Number, Value};

use crate::proto::pyjson::float_repr;

/// One server command (`{"cmd","args","initiator"}`).
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `pause` with its args (a mapping; without one the real agent does nothing).
    Pause(PauseArgs),
    /// `resume`.
    Resume,
    /// `cancel`.
    Cancel,
}

/// The pause args the server sends (`{"retract":6.5,"lift_z":2.5,"tools_off":true}` by default).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PauseArgs {
    /// Filament to retract, mm (0 = none).
    pub retract: Option<Number>,
    /// How far to lift Z, mm (0 = none).
    pub lift_z: Option<Number>,
    /// Turn the hotend off while paused.
    pub tools_off: bool,
    /// Turn the bed off while paused.
    pub bed_off: bool,
}

/// What one server frame asks for, in the order the agent handles the keys.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerFrame {
    /// The commands it carries (unknown ones and a pause without a mapping already dropped).
    pub commands: Vec<Command>,
    /// The passthru request, if any.
    pub passthru: Option<Value>,
    /// Whether it carried `remote_status` (it boosts the cadence).
    pub remote_status: bool,
    /// The `http.tunnelv2` request, if any.
    pub tunnel: Option<Value>,
}

/// Reads a server frame already parsed as JSON (or converted from BSON). Anything else is ignored.
pub fn parse(frame: &Value) -> ServerFrame {
    let mut out = ServerFrame::default();
    let Some(map) = frame.as_object() else { return out };
    if let Some(cmds) = map.get("commands").and_then(Value::as_array) {
        out.commands = cmds.iter().filter_map(command).collect();
    }
    out.passthru = map.get("passthru").filter(|p| p.is_object()).cloned();
    out.remote_status = map.get("remote_status").is_some_and(Value::is_object);
    out.tunnel = map.get("http.tunnelv2").filter(|t| t.is_object()).cloned();
    out
}

fn command(c: &Value) -> Option<Command> {
    match c.get("cmd")?.as_str()? {
        "pause" => {
            let args = c.get("args")?.as_object()?;
            let number = |k: &str| args.get(k).and_then(Value::as_number).cloned();
            let flag = |k: &str| args.get(k).is_some_and(truthy);
            Some(Command::Pause(PauseArgs {
                retract: number("retract"),
                lift_z: number("lift_z"),
                tools_off: flag("tools_off"),
                bed_off: flag("bed_off"),
            }))
        }
        "resume" => Some(Command::Resume),
        "cancel" => Some(Command::Cancel),
        _ => None,
    }
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A number as Python's `str()` writes it in an f-string (`6.5`, `6`, `2.0`).
pub fn py_number(n: &Number) -> String {
    if n.is_f64() {
        n.as_f64().map_or_else(|| n.to_string(), float_repr)
    } else {
        n.to_string()
    }
}

/// A heater target as the agent writes it (`%d`: `200.0` -> `200`).
pub fn target_text(t: f64) -> String {
    format!("{}", t.trunc() as i64)
}

/// A number as Python's `%g` writes it: 6 significant digits, trailing zeros dropped (`6.5`, `6`, `0.1`).
pub fn py_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { float_repr(v) };
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        return float_repr(v);
    }
    let text = format!("{:.*}", (5 - exp).max(0) as usize, v);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn moving(n: &Option<Number>) -> Option<&Number> {
    n.as_ref().filter(|n| n.as_f64().is_some_and(|f| f > 0.0))
}

/// Retract and lift (relative moves, then back to absolute).
fn moves(args: &PauseArgs, sign_e: &str, sign_z: &str, z_first: bool) -> Vec<String> {
    let (e, z) = (moving(&args.retract), moving(&args.lift_z));
    if e.is_none() && z.is_none() {
        return Vec::new();
    }
    let mut out = vec!["G91".to_owned(), "M83".to_owned()];
    let g = |n: &Number| py_g(n.as_f64().unwrap_or(0.0));
    let e_line = e.map(|e| format!("G1 E{sign_e}{}", g(e)));
    let z_line = z.map(|z| format!("G1 Z{sign_z}{}", g(z)));
    if z_first {
        out.extend(z_line.into_iter().chain(e_line));
    } else {
        out.extend(e_line.into_iter().chain(z_line));
    }
    out.extend(["G90".to_owned(), "M82".to_owned()]);
    out
}

/// The G-code sent after the print is paused.
pub fn pause_gcode(args: &PauseArgs) -> Vec<String> {
    let mut out = moves(args, "-", "", false);
    if args.tools_off {
        out.push("M104 S0".into());
    }
    if args.bed_off {
        out.push("M140 S0".into());
    }
    out
}

/// The G-code sent before the print resumes: heaters back to the saved targets (waiting), then the moves undone.
pub fn resume_gcode(args: &PauseArgs, tool_target: f64, bed_target: f64) -> Vec<String> {
    let mut out = Vec::new();
    if args.bed_off {
        out.push(format!("M190 S{}", target_text(bed_target)));
    }
    if args.tools_off {
        out.push(format!("M109 S{}", target_text(tool_target)));
    }
    out.extend(moves(args, "", "-", true));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_real_servers_pause_gives_the_real_agents_gcode() {
        let f = parse(
            &json!({"commands": [{"cmd": "pause", "args": {"retract": 6.5, "lift_z": 2.5, "tools_off": true}, "initiator": "api"}], "type": "printer.message"}),
        );
        let [Command::Pause(args)] = f.commands.as_slice() else {
            panic!("{f:?}")
        };
        assert_eq!(
            pause_gcode(args),
            ["G91", "M83", "G1 E-6.5", "G1 Z2.5", "G90", "M82", "M104 S0"]
        );
        assert_eq!(
            resume_gcode(args, 200.0, 60.0),
            ["M109 S200", "G91", "M83", "G1 Z-2.5", "G1 E6.5", "G90", "M82"]
        );
    }

    #[test]
    fn bed_off_comes_first_on_resume_and_numbers_are_percent_g() {
        let args = PauseArgs {
            retract: Some(Number::from(6)),
            lift_z: None,
            tools_off: true,
            bed_off: true,
        };
        assert_eq!(
            pause_gcode(&args),
            ["G91", "M83", "G1 E-6", "G90", "M82", "M104 S0", "M140 S0"]
        );
        assert_eq!(
            resume_gcode(&args, 0.0, 60.7),
            ["M190 S60", "M109 S0", "G91", "M83", "G1 E6", "G90", "M82"]
        );
        assert_eq!(
            [py_g(2.5), py_g(0.1), py_g(1.0 / 3.0), py_g(123456.7), py_g(0.0001)],
            ["2.5", "0.1", "0.333333", "123457", "0.0001"]
        );
    }

    #[test]
    fn pause_without_args_and_unknown_commands_do_nothing() {
        let f = parse(
            &json!({"commands": [{"cmd": "pause", "initiator": "api"}, {"cmd": "print", "args": {}}, {"cmd": "resume", "args": {}}]}),
        );
        assert_eq!(f.commands, [Command::Resume]);
        assert_eq!(parse(&json!({"foo": {"bar": 1}})), ServerFrame::default());
        assert_eq!(parse(&json!([1, 2])), ServerFrame::default());
    }
}

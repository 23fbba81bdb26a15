//! Validation of a `PinConfiguration` body (`{io, state?, pull?}`) with pydantic 1's coercions and its error
//! texts, shared by the WebSocket update action and the REST `PUT /pins/{id}`.

use serde_json::Value;

use crate::model::gpio::{PinIo, Pull};

/// A pin configuration that passed shape validation; `state` and `pull` may still be missing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PinBody {
    pub io: PinIo,
    pub state: Option<f64>,
    pub pull: Option<Pull>,
}

/// One pydantic validation error: where, what, and its `type=` context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// The field path below the body, e.g. `io`; empty for the body itself.
    pub loc: Vec<String>,
    pub msg: &'static str,
    pub kind: &'static str,
}

const IO_ENUM: &str = "type_error.enum; enum_values=[<PinIo.INPUT: 'INPUT'>, <PinIo.OUTPUT: 'OUTPUT'>]";
const PULL_ENUM: &str =
    "type_error.enum; enum_values=[<PinPull.FLOATING: 'FLOATING'>, <PinPull.UP: 'UP'>, <PinPull.DOWN: 'DOWN'>]";

/// Validates `value` as pydantic would validate `PinConfiguration`; extra keys are ignored.
pub fn validate(value: &Value) -> Result<PinBody, Vec<Issue>> {
    let Some(object) = value.as_object() else {
        return Err(vec![issue(&[], "value is not a valid dict", "type_error.dict")]);
    };
    let mut issues = Vec::new();
    let io = match object.get("io") {
        None => {
            issues.push(issue(&["io"], "field required", "value_error.missing"));
            None
        }
        Some(Value::Null) => {
            issues.push(issue(
                &["io"],
                "none is not an allowed value",
                "type_error.none.not_allowed",
            ));
            None
        }
        Some(Value::String(s)) if s == "INPUT" => Some(PinIo::Input),
        Some(Value::String(s)) if s == "OUTPUT" => Some(PinIo::Output),
        Some(_) => {
            issues.push(issue(
                &["io"],
                "value is not a valid enumeration member; permitted: 'INPUT', 'OUTPUT'",
                IO_ENUM,
            ));
            None
        }
    };
    let state = match object.get("state") {
        None | Some(Value::Null) => None,
        Some(value) => match coerce_float(value) {
            Some(f) => Some(f),
            None => {
                issues.push(issue(&["state"], "value is not a valid float", "type_error.float"));
                None
            }
        },
    };
    let pull = match object.get("pull") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "FLOATING" => Some(Pull::Floating),
        Some(Value::String(s)) if s == "UP" => Some(Pull::Up),
        Some(Value::String(s)) if s == "DOWN" => Some(Pull::Down),
        Some(_) => {
            issues.push(issue(
                &["pull"],
                "value is not a valid enumeration member; permitted: 'FLOATING', 'UP', 'DOWN'",
                PULL_ENUM,
            ));
            None
        }
    };
    match (io, issues.is_empty()) {
        (Some(io), true) => Ok(PinBody { io, state, pull }),
        _ => Err(issues),
    }
}

/// pydantic's text for a failed request body, with newlines removed as Endrpi's handler does.
pub fn describe(issues: &[Issue]) -> String {
    let plural = if issues.len() == 1 { "" } else { "s" };
    let mut text = format!("{} validation error{plural} for Request", issues.len());
    for issue in issues {
        text.push_str("body");
        for part in &issue.loc {
            text.push_str(" -> ");
            text.push_str(part);
        }
        text.push_str(&format!("  {} (type={})", issue.msg, issue.kind));
    }
    text
}

/// The issue for a request with no body at all.
pub fn missing_body() -> Vec<Issue> {
    vec![issue(&[], "field required", "value_error.missing")]
}

fn issue(loc: &[&str], msg: &'static str, kind: &'static str) -> Issue {
    Issue {
        loc: loc.iter().map(|s| s.to_string()).collect(),
        msg,
        kind,
    }
}

/// Python's `float(x)` as pydantic 1 applies it: numbers, booleans and numeric strings.
fn coerce_float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => parse_python_float(s),
        _ => None,
    }
}

/// `float(str)`: surrounding whitespace allowed, `_` only between digits, `inf`/`nan` in any case.
fn parse_python_float(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let digit_before = i > 0 && bytes[i - 1].is_ascii_digit();
            let digit_after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(digit_before && digit_after) {
                return None;
            }
        }
    }
    trimmed.replace('_', "").parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coerces_like_pydantic() {
        let body = validate(&json!({"io": "OUTPUT", "state": "1", "extra": 5})).unwrap();
        assert_eq!(
            body,
            PinBody {
                io: PinIo::Output,
                state: Some(1.0),
                pull: None
            }
        );
        assert_eq!(
            validate(&json!({"io": "OUTPUT", "state": true})).unwrap().state,
            Some(1.0)
        );
        assert_eq!(
            validate(&json!({"io": "OUTPUT", "state": " 1_0 "})).unwrap().state,
            Some(10.0)
        );
        assert_eq!(validate(&json!({"io": "INPUT", "pull": null})).unwrap().pull, None);
        assert!(validate(&json!({"io": "OUTPUT", "state": "high"})).is_err());
        assert!(validate(&json!({"io": "OUTPUT", "state": "1__0"})).is_err());
        assert!(validate(&json!({"io": "output"})).is_err());
    }

    #[test]
    fn texts_match_the_real_server() {
        assert_eq!(
            describe(&validate(&json!({"io": "SIDEWAYS"})).unwrap_err()),
            "1 validation error for Requestbody -> io  value is not a valid enumeration member; permitted: 'INPUT', 'OUTPUT' (type=type_error.enum; enum_values=[<PinIo.INPUT: 'INPUT'>, <PinIo.OUTPUT: 'OUTPUT'>])"
        );
        assert_eq!(
            describe(&validate(&json!({})).unwrap_err()),
            "1 validation error for Requestbody -> io  field required (type=value_error.missing)"
        );
        assert_eq!(
            describe(&validate(&json!([1])).unwrap_err()),
            "1 validation error for Requestbody  value is not a valid dict (type=type_error.dict)"
        );
        assert_eq!(
            describe(&missing_body()),
            "1 validation error for Requestbody  field required (type=value_error.missing)"
        );
        assert_eq!(
            describe(&validate(&json!({"io": "OUTPUT", "state": "x", "pull": "SIDEWAYS"})).unwrap_err()),
            "2 validation errors for Requestbody -> state  value is not a valid float (type=type_error.float)body -> pull  value is not a valid enumeration member; permitted: 'FLOATING', 'UP', 'DOWN' (type=type_error.enum; enum_values=[<PinPull.FLOATING: 'FLOATING'>, <PinPull.UP: 'UP'>, <PinPull.DOWN: 'DOWN'>])"
        );
    }
}

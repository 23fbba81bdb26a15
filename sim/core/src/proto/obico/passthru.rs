//! Passthru requests: `{target, func, args?, kwargs?, ref}` parsed, the last 25 refs remembered so
//! duplicates are dropped, and the `ret` / `error` replies.

use std::collections::VecDeque;

use serde_json::{Map, Value, json};

use crate::proto::pyjson::{self, PyStyle};

/// How many refs the real agent remembers.
pub const RECENT_REFS: usize = 25;

/// One passthru call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// `ref`, if any (without one the call runs and nothing is answered).
    pub reference: Option<Value>,
    /// `target`: the plugin attribute (`_printer`, ...).
    pub target: String,
    /// `func`.
    pub func: String,
    /// Positional `args`.
    pub args: Vec<Value>,
    /// `kwargs`.
    pub kwargs: Map<String, Value>,
}

impl Call {
    /// Argument `i` or keyword `name`.
    pub fn arg(&self, i: usize, name: &str) -> Option<&Value> {
        self.args.get(i).or_else(|| self.kwargs.get(name))
    }
}

/// Reads a `passthru` object; None when target or func is missing.
pub fn parse(v: &Value) -> Option<Call> {
    Some(Call {
        reference: v.get("ref").filter(|r| !r.is_null()).cloned(),
        target: v.get("target")?.as_str()?.to_owned(),
        func: v.get("func")?.as_str()?.to_owned(),
        args: match v.get("args") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        },
        kwargs: v.get("kwargs").and_then(Value::as_object).cloned().unwrap_or_default(),
    })
}

/// The last refs seen.
#[derive(Clone, Debug, Default)]
pub struct RecentRefs(VecDeque<String>);

impl RecentRefs {
    /// Whether `reference` was among the last 25; records it if not.
    pub fn is_duplicate(&mut self, reference: &Value) -> bool {
        let key = reference.to_string();
        if self.0.contains(&key) {
            return true;
        }
        if self.0.len() == RECENT_REFS {
            self.0.pop_front();
        }
        self.0.push_back(key);
        false
    }
}

/// `{"passthru": {"ref": R, "ret": V}}`.
pub fn reply_ret(reference: &Value, ret: Value) -> String {
    pyjson::to_string(&json!({"passthru": {"ref": reference, "ret": ret}}), PyStyle::Dumps)
}

/// `{"passthru": {"ref": R, "error": "<message>"}}`.
pub fn reply_error(reference: &Value, message: &str) -> String {
    pyjson::to_string(
        &json!({"passthru": {"ref": reference, "error": message}}),
        PyStyle::Dumps,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_five_refs_are_remembered_not_more() {
        let mut r = RecentRefs::default();
        for i in 0..26 {
            assert!(!r.is_duplicate(&json!(format!("0.{i}"))));
        }
        assert!(r.is_duplicate(&json!("0.25")));
        assert!(!r.is_duplicate(&json!("0.0")), "the oldest is forgotten");
    }

    #[test]
    fn replies_are_the_real_text() {
        assert_eq!(
            reply_ret(&json!("0.1002"), Value::Null),
            r#"{"passthru": {"ref": "0.1002", "ret": null}}"#
        );
        assert_eq!(
            reply_error(&json!("r"), "boom"),
            r#"{"passthru": {"ref": "r", "error": "boom"}}"#
        );
    }
}

//! JSON text as Python's `json.loads` reads it, where that differs from strict JSON: numbers beyond
//! `f64` (`1e400` is `inf`, a 401-digit integer an `int`) and the literals `NaN`, `Infinity`, `-Infinity`.

use serde_json::Value;

/// The most digits an integer may have before Python refuses to convert it (`sys.get_int_max_str_digits()`).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// Parses `text` as `json.loads` would accept it; `None` where Python raises. A number `f64` cannot hold
/// becomes `±f64::MAX` (Python's `inf`, or an int too large for any float field), `NaN` becomes `null`.
pub fn loads(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    serde_json::from_str(&rewrite(text)?).ok()
}

/// `text` with every token strict JSON lacks replaced by one it has; `None` for an integer over the limit.
fn rewrite(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            let end = string_end(bytes, i)?;
            out.push_str(&text[i..end]);
            i = end;
        } else if let Some((literal, replacement)) = LITERALS.iter().find(|(l, _)| bytes[i..].starts_with(l.as_bytes()))
        {
            out.push_str(replacement);
            i += literal.len();
        } else if b == b'-' || b.is_ascii_digit() {
            let end = number_end(bytes, i);
            out.push_str(&number(&text[i..end])?);
            i = end.max(i + 1);
        } else {
            let next = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + next]);
            i += next;
        }
    }
    Some(out)
}

/// Python's non-standard literals and what stands in for them.
const LITERALS: [(&str, &str); 3] = [
    ("-Infinity", "-1.7976931348623157e308"),
    ("Infinity", "1.7976931348623157e308"),
    ("NaN", "null"),
];

/// The index just past the string starting at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The index just past the number-like run starting at `start`.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
        i += 1;
    }
    i
}

/// A number token as strict JSON: itself if `f64` holds it, `±f64::MAX` if it overflows, `None` for an
/// integer with more digits than Python converts.
fn number(token: &str) -> Option<String> {
    let digits = token.trim_start_matches('-');
    let is_integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if is_integer && digits.len() > INT_MAX_STR_DIGITS {
        return None;
    }
    match token.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(token.to_string()),
        Ok(v) => Some(
            if v < 0.0 {
                "-1.7976931348623157e308"
            } else {
                "1.7976931348623157e308"
            }
            .to_string(),
        ),
        // Not a number at all: leave it for the JSON parser to refuse.
        Err(_) => Some(token.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_python_accepts_is_read() {
        assert_eq!(loads("1e400"), Some(json!(f64::MAX)));
        assert_eq!(loads("-1e400"), Some(json!(-f64::MAX)));
        assert_eq!(loads(&"9".repeat(401)), Some(json!(f64::MAX)));
        assert_eq!(loads("NaN"), Some(Value::Null));
        assert_eq!(loads("[Infinity, -Infinity]"), Some(json!([f64::MAX, -f64::MAX])));
        assert_eq!(
            loads(r#"{"action":"READ_UPTIME","x":1e999,"s":"1e400 NaN \" x"}"#),
            Some(json!({"action": "READ_UPTIME", "x": f64::MAX, "s": "1e400 NaN \" x"}))
        );
        assert_eq!(loads(r#"{"a":1}"#), Some(json!({"a": 1})));
    }

    #[test]
    fn what_python_refuses_is_refused() {
        assert_eq!(loads(&"9".repeat(INT_MAX_STR_DIGITS + 1)), None);
        for bad in ["", "hello", "{", "1e", "--1", r#"{"a":"#, "nan", "[1,]", "\"open"] {
            assert_eq!(loads(bad), None, "{bad}");
        }
    }
}

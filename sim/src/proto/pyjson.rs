//! JSON text exactly as Python's `json.dumps` writes it: `", "` / `": "` separators (or compact ones, as
//! FastAPI uses), floats in `repr` form (`1.0`, `1e+16`, `1e-05`), and optional `ensure_ascii` escaping.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

/// Which of Python's two common spellings of JSON to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyStyle {
    /// `json.dumps(x)`: `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`.
    Dumps,
    /// FastAPI's `JSONResponse`: `","` and `":"` separators, non-ASCII written as UTF-8.
    Compact,
}

/// Serializes `value` as Python would, in the given style.
pub fn to_string<T: Serialize + ?Sized>(value: &T, style: PyStyle) -> String {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter { style });
    // Serializing our own types into a Vec cannot fail: no map has non-string keys and no I/O can fail.
    if value.serialize(&mut ser).is_err() {
        return String::from("null");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for exponents -4..16, otherwise
/// scientific with a signed, at least two-digit exponent.
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.24094e3".
    let sci = format!("{value:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

struct PyFormatter {
    style: PyStyle,
}

impl PyFormatter {
    fn item_separator(&self) -> &'static [u8] {
        match self.style {
            PyStyle::Dumps => b", ",
            PyStyle::Compact => b",",
        }
    }
}

impl Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(self.item_separator())
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(self.item_separator())
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        match self.style {
            PyStyle::Dumps => writer.write_all(b": "),
            PyStyle::Compact => writer.write_all(b":"),
        }
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if self.style == PyStyle::Compact || fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        for ch in fragment.chars() {
            if ch.is_ascii() {
                writer.write_all(&[ch as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        let text: String = match escape {
            CharEscape::Quote => "\\\"".into(),
            CharEscape::ReverseSolidus => "\\\\".into(),
            CharEscape::Solidus => "/".into(),
            CharEscape::Backspace => "\\b".into(),
            CharEscape::FormFeed => "\\f".into(),
            CharEscape::LineFeed => "\\n".into(),
            CharEscape::CarriageReturn => "\\r".into(),
            CharEscape::Tab => "\\t".into(),
            CharEscape::AsciiControl(byte) => format!("\\u{byte:04x}"),
        };
        writer.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (1240.94, "1240.94"),
            (24683656.0, "24683656.0"),
            (48.686, "48.686"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1e100, "1e+100"),
        ];
        for (value, python) in cases {
            assert_eq!(float_repr(value), python, "repr({value})");
        }
    }

    #[test]
    fn dumps_style_matches_python_separators() {
        let value = json!({"action": "READ_UPTIME", "success": true, "data": {"seconds": 5.0, "list": [1, 2.0]}, "error": null});
        assert_eq!(
            to_string(&value, PyStyle::Dumps),
            r#"{"action": "READ_UPTIME", "success": true, "data": {"seconds": 5.0, "list": [1, 2.0]}, "error": null}"#
        );
        assert_eq!(
            to_string(&value, PyStyle::Compact),
            r#"{"action":"READ_UPTIME","success":true,"data":{"seconds":5.0,"list":[1,2.0]},"error":null}"#
        );
    }

    #[test]
    fn dumps_escapes_like_ensure_ascii() {
        let value = json!({"m": "héllo \u{1F600} \"q\" \n\u{1} /"});
        assert_eq!(
            to_string(&value, PyStyle::Dumps),
            r#"{"m": "h\u00e9llo \ud83d\ude00 \"q\" \n\u0001 /"}"#
        );
        assert_eq!(
            to_string(&value, PyStyle::Compact),
            "{\"m\":\"héllo \u{1F600} \\\"q\\\" \\n\\u0001 /\"}"
        );
    }

    proptest::proptest! {
        #[test]
        fn float_repr_round_trips(value in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL) {
            let text = float_repr(value);
            proptest::prop_assert_eq!(text.parse::<f64>().ok(), Some(value));
        }
    }
}

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
    let mut out = Vec::with_capacity(24);
    // Writing into a Vec cannot fail, and only ASCII is written.
    let _ = write_float_repr(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `float_repr(value)` to `writer` without allocating (floats are most of what some replies hold).
pub fn write_float_repr<W: ?Sized + Write>(writer: &mut W, value: f64) -> io::Result<()> {
    if value.is_nan() {
        return writer.write_all(b"NaN");
    }
    if value.is_infinite() {
        return writer.write_all(if value > 0.0 { b"Infinity" } else { b"-Infinity" });
    }
    if value == 0.0 {
        return writer.write_all(if value.is_sign_negative() { b"-0.0" } else { b"0.0" });
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.24094e3" (at most 17 digits and a
    // three-digit exponent, so 32 bytes hold it).
    let mut sci = [0u8; 32];
    let sci_len = {
        let mut cursor = &mut sci[..];
        write!(cursor, "{:e}", value.abs())?;
        32 - cursor.len()
    };
    let sci = &sci[..sci_len];
    let e = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
    let exp: i32 = std::str::from_utf8(sci.get(e + 1..).unwrap_or_default())
        .ok()
        .and_then(|exp| exp.parse().ok())
        .unwrap_or(0);
    let mut digit_buf = [0u8; 32];
    let mut n = 0;
    for &b in sci[..e].iter().filter(|&&b| b != b'.') {
        digit_buf[n] = b;
        n += 1;
    }
    let digits = &digit_buf[..n];
    if value.is_sign_negative() {
        writer.write_all(b"-")?;
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            writer.write_all(b"0.")?;
            write_zeros(writer, (-point) as usize)?;
            writer.write_all(digits)
        } else if point as usize >= digits.len() {
            writer.write_all(digits)?;
            write_zeros(writer, point as usize - digits.len())?;
            writer.write_all(b".0")
        } else {
            let (int, frac) = digits.split_at(point as usize);
            writer.write_all(int)?;
            writer.write_all(b".")?;
            writer.write_all(frac)
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        writer.write_all(first)?;
        if !rest.is_empty() {
            writer.write_all(b".")?;
            writer.write_all(rest)?;
        }
        let exp_sign = if exp < 0 { '-' } else { '+' };
        write!(writer, "e{exp_sign}{:02}", exp.abs())
    }
}

fn write_zeros<W: ?Sized + Write>(writer: &mut W, count: usize) -> io::Result<()> {
    const ZEROS: [u8; 16] = [b'0'; 16];
    writer.write_all(&ZEROS[..count.min(ZEROS.len())])
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
        write_float_repr(writer, value)
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
            (-1.5e-7, "-1.5e-07"),
            (0.00012, "0.00012"),
            (-123456.789, "-123456.789"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
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

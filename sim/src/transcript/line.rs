//! One transcript record as its JSON line, written straight into a buffer the caller reuses: no allocation per
//! record, the fixed parts as constant bytes, the time with `itoa`, text escaped as serde_json escapes it.

use super::{Direction, RecordKind};

/// What a record's `data` holds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Data<'a> {
    /// Text, escaped as a JSON string.
    Text(&'a str),
    /// Bytes, written as lower-case hex (which needs no escaping).
    Hex(&'a [u8]),
}

/// One record, in the order its fields are written: `{t, conn, dir, kind, data[, request][, response]
/// [, request_omitted][, response_omitted]}`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Line<'a> {
    pub t: u64,
    pub conn: &'a str,
    pub dir: Direction,
    pub kind: RecordKind,
    pub data: Data<'a>,
    pub request: Option<&'a str>,
    pub response: Option<&'a str>,
    /// A request body that was there but is not in `request` (too large, or not UTF-8).
    pub request_omitted: bool,
    pub response_omitted: bool,
}

impl<'a> Line<'a> {
    /// A record with no HTTP bodies.
    pub fn new(t: u64, conn: &'a str, dir: Direction, kind: RecordKind, data: Data<'a>) -> Self {
        Line {
            t,
            conn,
            dir,
            kind,
            data,
            request: None,
            response: None,
            request_omitted: false,
            response_omitted: false,
        }
    }

    /// Appends the line, newline included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"t\":");
        out.extend_from_slice(itoa::Buffer::new().format(self.t).as_bytes());
        out.extend_from_slice(b",\"conn\":");
        string(out, self.conn);
        out.extend_from_slice(match self.dir {
            Direction::In => b",\"dir\":\"in\",\"kind\":\"",
            Direction::Out => b",\"dir\":\"out\",\"kind\":\"",
        });
        out.extend_from_slice(kind_name(self.kind).as_bytes());
        out.extend_from_slice(b"\",\"data\":");
        match self.data {
            Data::Text(text) => string(out, text),
            Data::Hex(bytes) => {
                out.push(b'"');
                hex(out, bytes);
                out.push(b'"');
            }
        }
        if let Some(request) = self.request {
            out.extend_from_slice(b",\"request\":");
            string(out, request);
        }
        if let Some(response) = self.response {
            out.extend_from_slice(b",\"response\":");
            string(out, response);
        }
        if self.request_omitted {
            out.extend_from_slice(b",\"request_omitted\":true");
        }
        if self.response_omitted {
            out.extend_from_slice(b",\"response_omitted\":true");
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The name a record kind has in the file (as `RecordKind` serializes).
fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Open => "open",
        RecordKind::Close => "close",
        RecordKind::Text => "text",
        RecordKind::Binary => "binary",
        RecordKind::Http => "http",
        RecordKind::Refused => "refused",
        RecordKind::Dropped => "dropped",
        RecordKind::Fault => "fault",
    }
}

/// What a byte becomes in a JSON string: 0 for itself, `u` for `\u00XX`, else the letter after a backslash.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Input bytes escaped per step: the output grows by at most six times this, then is cut to what was written.
const ESCAPE_CHUNK: usize = 512;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `text` as a JSON string, escaped byte for byte as serde_json escapes it, written by index into room made
/// for the worst case (one bounds check per byte, no per-run copy calls: Endrpi replies quote every few bytes).
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for chunk in text.as_bytes().chunks(ESCAPE_CHUNK) {
        let base = out.len();
        out.resize(base + chunk.len() * 6, 0);
        let room = &mut out[base..];
        let mut n = 0;
        for &byte in chunk {
            match ESCAPE[usize::from(byte)] {
                0 => {
                    room[n] = byte;
                    n += 1;
                }
                b'u' => {
                    room[n..n + 6].copy_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX_DIGITS[usize::from(byte >> 4)],
                        HEX_DIGITS[usize::from(byte & 0x0f)],
                    ]);
                    n += 6;
                }
                letter => {
                    room[n] = b'\\';
                    room[n + 1] = letter;
                    n += 2;
                }
            }
        }
        out.truncate(base + n);
    }
    out.push(b'"');
}

/// Appends `bytes` in lower-case hex.
pub(super) fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let base = out.len();
    out.resize(base + bytes.len() * 2, 0);
    for (pair, byte) in out[base..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn encoded(line: &Line<'_>) -> String {
        let mut out = Vec::new();
        line.encode(&mut out);
        String::from_utf8(out).expect("a line is UTF-8")
    }

    #[test]
    fn an_http_record_carries_its_bodies_and_omissions_in_order() {
        let line = Line {
            request: Some("{\"io\":\"INPUT\"}"),
            response_omitted: true,
            ..Line::new(
                12,
                "endrpi/http",
                Direction::In,
                RecordKind::Http,
                Data::Text("PUT /pins/GPIO2 -> 200"),
            )
        };
        assert_eq!(
            encoded(&line),
            concat!(
                r#"{"t":12,"conn":"endrpi/http","dir":"in","kind":"http","data":"PUT /pins/GPIO2 -> 200","#,
                r#""request":"{\"io\":\"INPUT\"}","response_omitted":true}"#,
                "\n"
            )
        );
    }

    #[test]
    fn text_longer_than_a_chunk_escapes_across_chunk_edges() {
        let text: String = (0..3000u32)
            .map(|i| char::from_u32([0x22, 0x5c, 0x01, 0x41, 0xe9, 0x0a][(i % 6) as usize]).unwrap_or('x'))
            .collect();
        let mut out = Vec::new();
        string(&mut out, &text);
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
    }

    proptest! {
        /// Whatever the text and bytes, the line is one JSON object that reads back as what was recorded, the
        /// same object serde_json writes for it.
        #[test]
        fn every_line_reads_back_as_its_record(
            t in any::<u64>(),
            conn in ".{0,12}",
            text in any::<String>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
            binary in any::<bool>(),
            out in any::<bool>(),
            request in proptest::option::of(any::<String>()),
        ) {
            let hexed: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let (data, kind, expected_data) = if binary {
                (Data::Hex(&bytes), RecordKind::Binary, hexed.as_str())
            } else {
                (Data::Text(&text), RecordKind::Text, text.as_str())
            };
            let dir = if out { Direction::Out } else { Direction::In };
            let line = Line { request: request.as_deref(), ..Line::new(t, &conn, dir, kind, data) };
            let text_line = encoded(&line);
            prop_assert!(text_line.ends_with('\n') && !text_line[..text_line.len() - 1].contains('\n'));
            let mut expected = json!({"t": t, "conn": conn, "dir": dir, "kind": kind, "data": expected_data});
            if let Some(request) = &request {
                expected["request"] = json!(request);
            }
            prop_assert_eq!(text_line.trim_end(), serde_json::to_string(&expected).unwrap());
            prop_assert_eq!(serde_json::from_str::<Value>(&text_line).unwrap(), expected);
        }
    }
}

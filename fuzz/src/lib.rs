//! What the fuzz targets share: turning fuzzer bytes into frames, HTTP requests and numbers, and the
//! assertions every reply must pass (it is one JSON object).

use bytes::Bytes;
use serde_json::{Map, Value};
use understudy_core::proto::http::HttpRequest;

/// The text frames in `data`: the bytes as UTF-8 (lossy, as a WebSocket text frame is always valid UTF-8),
/// split on newlines so that one input can drive a session of several requests.
pub fn frames(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data).split('\n').map(str::to_owned).collect()
}

/// Takes the first `N` bytes of `data` as a little-endian number (zero-padded when `data` is shorter).
pub fn take_u64<const N: usize>(data: &mut &[u8]) -> u64 {
    let n = N.min(data.len()).min(8);
    let mut bytes = [0u8; 8];
    bytes[..n].copy_from_slice(&data[..n]);
    *data = &data[n..];
    u64::from_le_bytes(bytes)
}

/// Parses `text` as one JSON object, panicking (a fuzz failure) with the text when it is not.
pub fn json_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        other => panic!("reply is not one JSON object: {other:?} from {text:?}"),
    }
}

/// The methods an HTTP request may carry here, common ones first.
const METHODS: [&str; 6] = ["GET", "PUT", "POST", "HEAD", "DELETE", "PATCH"];

/// An HTTP request from fuzzer bytes: a method byte, then `path[?query]`, a newline, the body; the content
/// type is JSON when the method byte's high bit is clear.
pub fn http_request(data: &[u8]) -> HttpRequest {
    let (selector, rest) = data.split_first().map_or((0, &[][..]), |(s, r)| (*s, r));
    let (target, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let target = String::from_utf8_lossy(target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.into_owned(), None),
    };
    HttpRequest {
        method: METHODS[usize::from(selector & 0x7f) % METHODS.len()].to_owned(),
        path,
        query,
        content_type: (selector & 0x80 == 0).then(|| "application/json".to_owned()),
        body: Bytes::copy_from_slice(body),
    }
}

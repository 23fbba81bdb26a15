//! `http.tunnelv2`: a request from the server answered as the real agent answers it, in BSON
//! (even when the request came as JSON text), from a handler for the built-in OctoPrint-like API.

use serde_json::Value;

use super::bson::{Bson, encode_document};

/// A tunnel request.
#[derive(Clone, Debug, PartialEq)]
pub struct TunnelRequest {
    /// `ref`, echoed back.
    pub reference: String,
    /// `method`, lower-case (`get`).
    pub method: String,
    /// `path`, e.g. `/api/version`.
    pub path: String,
}

/// Reads an `http.tunnelv2` object; None without a ref or path.
pub fn parse(v: &Value) -> Option<TunnelRequest> {
    Some(TunnelRequest {
        reference: v.get("ref")?.as_str()?.to_owned(),
        method: v
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("get")
            .to_ascii_lowercase(),
        path: v.get("path")?.as_str()?.to_owned(),
    })
}

/// The binary reply: `{"http.tunnelv2": {ref, response: {status, compressed, content, cookies, headers}}}`.
pub fn reply(req: &TunnelRequest, status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let headers = Bson::Document(vec![
        ("Content-Type".into(), Bson::String(content_type.into())),
        ("Content-Length".into(), Bson::String(body.len().to_string())),
    ]);
    let response = Bson::Document(vec![
        ("status".into(), Bson::Int32(i32::from(status))),
        ("compressed".into(), Bson::Bool(false)),
        ("content".into(), Bson::Binary(body.to_vec())),
        ("cookies".into(), Bson::Null),
        ("headers".into(), headers),
    ]);
    let inner = Bson::Document(vec![
        ("ref".into(), Bson::String(req.reference.clone())),
        ("response".into(), response),
    ]);
    encode_document(&[("http.tunnelv2".into(), inner)])
}

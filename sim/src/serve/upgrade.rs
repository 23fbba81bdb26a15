//! Checks a WebSocket upgrade request as RFC 6455 §4.2.1 asks before the handshake library sees it, so
//! that a bad one gets an answer (400, or 426 with the supported version) instead of a dropped connection.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The most request headers parsed, as many as the WebSocket handshake itself parses.
pub const MAX_HEADERS: usize = 124;

/// Why an upgrade request is refused, and the HTTP answer for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request is malformed or lacks what RFC 6455 requires (400).
    #[error("{0}")]
    Bad(&'static str),
    /// The client asked for a protocol version other than 13 (426 with `Sec-WebSocket-Version: 13`).
    #[error("unsupported Sec-WebSocket-Version; this server speaks 13")]
    Version,
    /// More headers than the handshake parses, or a head longer than the listener reads (431).
    #[error("request head too large: too many or too long headers")]
    TooLarge,
}

impl Refusal {
    /// The whole HTTP response, which closes the connection.
    pub fn response(&self) -> Vec<u8> {
        let (status, extra) = match self {
            Refusal::Bad(_) => ("400 Bad Request", ""),
            Refusal::Version => ("426 Upgrade Required", "sec-websocket-version: 13\r\n"),
            Refusal::TooLarge => ("431 Request Header Fields Too Large", ""),
        };
        let body = self.to_string();
        format!(
            "HTTP/1.1 {status}\r\n{extra}content-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}

/// Whether `head` asks for a WebSocket upgrade (`Upgrade: websocket`); `Err` if it has too many headers.
pub fn is_upgrade(head: &[u8]) -> Result<bool, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(_) => Ok(header(request.headers, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"))),
        Err(httparse::Error::TooManyHeaders) => Err(Refusal::TooLarge),
        Err(_) => Ok(false),
    }
}

/// Checks an upgrade request head: GET over HTTP/1.1, `Connection: Upgrade`, a key of 16 base64-encoded
/// bytes, version 13.
pub fn check(head: &[u8]) -> Result<(), Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal::TooLarge),
        _ => return Err(Refusal::Bad("malformed request head")),
    }
    if request.method != Some("GET") {
        return Err(Refusal::Bad("a WebSocket upgrade must be a GET"));
    }
    if request.version != Some(1) {
        return Err(Refusal::Bad("a WebSocket upgrade needs HTTP/1.1"));
    }
    let connection = header(request.headers, "connection").unwrap_or_default();
    if !connection.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")) {
        return Err(Refusal::Bad("missing `Connection: Upgrade`"));
    }
    let key = header(request.headers, "sec-websocket-key").ok_or(Refusal::Bad("missing Sec-WebSocket-Key"))?;
    if STANDARD.decode(key.trim()).map(|k| k.len()) != Ok(16) {
        return Err(Refusal::Bad("Sec-WebSocket-Key is not 16 bytes in base64"));
    }
    match header(request.headers, "sec-websocket-version") {
        Some(version) if version.trim() == "13" => Ok(()),
        Some(_) => Err(Refusal::Version),
        None => Err(Refusal::Bad("missing Sec-WebSocket-Version")),
    }
}

/// The value of header `name` (the first one), if it is text.
fn header<'a>(headers: &'a [httparse::Header<'_>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
                        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn a_good_upgrade_passes_and_each_fault_is_named() {
        assert_eq!(check(GOOD.as_bytes()), Ok(()));
        let cases = [
            (
                "dGhlIHNhbXBsZSBub25jZQ==",
                "c2hvcnQ=",
                Refusal::Bad("Sec-WebSocket-Key is not 16 bytes in base64"),
            ),
            ("Version: 13", "Version: 8", Refusal::Version),
            (
                "Connection: keep-alive, Upgrade",
                "Connection: keep-alive",
                Refusal::Bad("missing `Connection: Upgrade`"),
            ),
            ("GET", "POST", Refusal::Bad("a WebSocket upgrade must be a GET")),
            (
                "HTTP/1.1",
                "HTTP/1.0",
                Refusal::Bad("a WebSocket upgrade needs HTTP/1.1"),
            ),
            (
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                "",
                Refusal::Bad("missing Sec-WebSocket-Key"),
            ),
        ];
        for (from, to, refusal) in cases {
            assert_eq!(
                check(GOOD.replacen(from, to, 1).as_bytes()),
                Err(refusal),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn answers_name_their_status_and_426_names_the_version() {
        let answer = String::from_utf8(Refusal::Version.response()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{answer}");
        assert!(answer.contains("sec-websocket-version: 13\r\n"), "{answer}");
        let bad = String::from_utf8(Refusal::Bad("x").response()).unwrap();
        assert!(
            bad.starts_with("HTTP/1.1 400 Bad Request\r\n") && bad.ends_with("\r\n\r\nx"),
            "{bad}"
        );
    }

    #[test]
    fn a_hundred_headers_are_still_an_upgrade_and_too_many_are_refused() {
        let many: String = (0..100).map(|i| format!("X-Extra-{i}: {i}\r\n")).collect();
        let head = GOOD.replacen("Host: x\r\n", &format!("Host: x\r\n{many}"), 1);
        assert_eq!(is_upgrade(head.as_bytes()), Ok(true));
        assert_eq!(check(head.as_bytes()), Ok(()));
        let too_many: String = (0..200).map(|i| format!("X-Extra-{i}: {i}\r\n")).collect();
        let head = GOOD.replacen("Host: x\r\n", &format!("Host: x\r\n{too_many}"), 1);
        assert_eq!(is_upgrade(head.as_bytes()), Err(Refusal::TooLarge));
    }
}

//! One proxied connection: the request head forwarded upstream (its `Host` rewritten), then either the
//! WebSocket frames pumped both ways and recorded, or one HTTP exchange recorded as `METHOD PATH -> STATUS`.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use super::Shared;
use crate::serve::listener::{HEAD_TIMEOUT, MAX_HEAD_BYTES};
use crate::serve::outbound::Stream;
use crate::serve::session::websocket_config;
use crate::transcript::{Direction, HttpRecord, MAX_RECORDED_BODY, RecordKind};

/// The longest a plain HTTP exchange may take, body included.
const HTTP_EXCHANGE_LIMIT: Duration = Duration::from_secs(60);

/// Answers a client whose upstream cannot be reached.
pub async fn bad_gateway(client: &mut TcpStream) {
    let answer = b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 18\r\n\
connection: close\r\n\r\ndevice unreachable";
    let _ = tokio::time::timeout(HEAD_TIMEOUT, client.write_all(answer)).await;
}

/// The request line's method and path (the query, which may hold a token, left out).
fn method_and_path(head: &[u8]) -> (String, String) {
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default();
    let path = target.split(['?', '#']).next().unwrap_or_default().to_string();
    (method, path)
}

/// `head` (and anything read after it) with its `Host` header naming `authority`, and, for a plain HTTP
/// request, `Connection: close` so that the exchange is one request long.
fn rewritten(head: &[u8], authority: &str, one_request: bool) -> Vec<u8> {
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |p| p + 4);
    let text = String::from_utf8_lossy(&head[..end]);
    let mut out = String::with_capacity(end + 32);
    for (i, line) in text.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        if i > 0 && (name == "host" || (one_request && name == "connection")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
        if i == 0 {
            out.push_str(&format!("Host: {authority}\r\n"));
            if one_request {
                out.push_str("Connection: close\r\n");
            }
        }
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&head[end..]);
    bytes
}

/// Reads a response head; returns it with whatever followed it, or `None` on EOF, error, size or time.
async fn read_response_head<S: AsyncRead + Unpin>(upstream: &mut S) -> Option<(Bytes, Bytes)> {
    let read = async {
        let mut buffer = BytesMut::with_capacity(1024);
        loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let rest = buffer.split_off(end + 4);
                return Some((buffer.freeze(), rest.freeze()));
            }
            if buffer.len() >= MAX_HEAD_BYTES || upstream.read_buf(&mut buffer).await.ok()? == 0 {
                return None;
            }
        }
    };
    tokio::time::timeout(HEAD_TIMEOUT, read).await.ok().flatten()
}

fn status_of(head: &[u8]) -> u16 {
    std::str::from_utf8(head.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The value of header `name` (lower case) in a head.
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then_some(value.trim())
    })
}

/// A chunked body decoded; `None` if it is not well formed.
fn dechunked(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// The body of a whole response (head included in `raw`), as the record holds it.
fn response_body(raw: &[u8]) -> Vec<u8> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let body = &raw[end + 4..];
    match header(&head, "transfer-encoding") {
        Some(encoding) if encoding.eq_ignore_ascii_case("chunked") => dechunked(body).unwrap_or_default(),
        _ => body.to_vec(),
    }
}

/// Copies `from` to `to` until `from` ends, keeping the first `keep` bytes; `None` if a write fails.
async fn relay_keeping<R, W>(from: &mut R, to: &mut W, keep: usize) -> Option<Vec<u8>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buffer).await.unwrap_or(0);
        if n == 0 {
            return Some(kept);
        }
        to.write_all(&buffer[..n]).await.ok()?;
        to.flush().await.ok()?;
        let room = keep.saturating_sub(kept.len()).min(n);
        kept.extend_from_slice(&buffer[..room]);
    }
}

/// A plain HTTP request: forwarded as it came (one request per connection), answered as upstream answers;
/// the record holds both bodies.
pub async fn http(mut client: TcpStream, upstream: Stream, head: Bytes, label: &str, shared: &Shared) {
    let (method, path) = method_and_path(&head);
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |p| p + 4);
    let head_text = String::from_utf8_lossy(&head[..end]).into_owned();
    let length: usize = header(&head_text, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let exchange = async {
        let mut request = head.slice(end..).to_vec();
        while request.len() < length.min(MAX_RECORDED_BODY + 1) {
            let mut more = vec![0u8; 16 * 1024];
            let n = client.read(&mut more).await.ok()?;
            if n == 0 {
                break;
            }
            request.extend_from_slice(&more[..n]);
        }
        let mut forwarded = rewritten(&head[..end], &shared.upstream.authority(), true);
        forwarded.extend_from_slice(&request);
        let mut upstream = upstream;
        upstream.write_all(&forwarded).await.ok()?;
        upstream.flush().await.ok()?;
        // The rest of a body too large to record, and the answer, pass through as they come.
        let (mut client_read, mut client_write) = client.split();
        let (mut upstream_read, mut upstream_write) = tokio::io::split(upstream);
        let rest = tokio::io::copy(&mut client_read, &mut upstream_write);
        let answer = async {
            let kept = relay_keeping(
                &mut upstream_read,
                &mut client_write,
                MAX_HEAD_BYTES + MAX_RECORDED_BODY + 1,
            )
            .await;
            // The device has said all it will: the client sees the end, and stops sending.
            let _ = client_write.shutdown().await;
            kept
        };
        let (_, response) = tokio::join!(rest, answer);
        Some((request, response?))
    };
    let recorded = tokio::time::timeout(HTTP_EXCHANGE_LIMIT, exchange).await.ok().flatten();
    let (request, response) = recorded.unwrap_or_default();
    let summary = match status_of(&response) {
        0 => format!("{method} {path} -> no answer"),
        status => format!("{method} {path} -> {status}"),
    };
    let record = HttpRecord {
        summary: &summary,
        upgrade: false,
        request: &request,
        response: &response_body(&response),
    };
    shared
        .transcript
        .record_http(shared.now(), label, shared.client_direction(), &record);
}

/// An upgrade: forwarded, and when upstream accepts it, every frame pumped both ways and recorded.
pub async fn websocket(mut client: TcpStream, mut upstream: Stream, head: Bytes, label: &str, shared: &Shared) {
    let (method, path) = method_and_path(&head);
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |p| p + 4);
    let early = head.slice(end..);
    let forwarded = rewritten(&head[..end], &shared.upstream.authority(), false);
    // Flushed before the answer is awaited: over TLS, what was written may otherwise wait in the session's buffer.
    if upstream.write_all(&forwarded).await.is_err() || upstream.flush().await.is_err() {
        return;
    }
    let Some((response, after)) = read_response_head(&mut upstream).await else {
        return;
    };
    if client.write_all(&response).await.is_err() {
        return;
    }
    let status = status_of(&response);
    if status != 101 {
        let mut whole = response.to_vec();
        whole.extend_from_slice(&after);
        let head_text = String::from_utf8_lossy(&response).into_owned();
        let length: usize = header(&head_text, "content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = async {
            while whole.len() < response.len() + length.min(MAX_RECORDED_BODY + 1) {
                let mut more = vec![0u8; 16 * 1024];
                match upstream.read(&mut more).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => whole.extend_from_slice(&more[..n]),
                }
            }
        };
        let _ = tokio::time::timeout(HEAD_TIMEOUT, body).await;
        let _ = client.write_all(&whole[response.len()..]).await;
        let _ = client.shutdown().await;
        let summary = format!("{method} {path} -> {status}");
        let record = HttpRecord {
            summary: &summary,
            upgrade: true,
            request: &[],
            response: &response_body(&whole),
        };
        shared
            .transcript
            .record_http(shared.now(), label, shared.client_direction(), &record);
        return;
    }
    shared
        .transcript
        .record(shared.now(), label, shared.client_direction(), RecordKind::Open, &path);
    let config = Some(websocket_config());
    let client = WebSocketStream::from_partially_read(client, early.to_vec(), Role::Server, config).await;
    let upstream = WebSocketStream::from_partially_read(upstream, after.to_vec(), Role::Client, config).await;
    pump(client, upstream, label, shared).await;
}

/// Which end of the proxy a frame came from.
#[derive(Clone, Copy)]
enum Side {
    Client,
    Upstream,
}

/// Moves frames both ways until both ends have closed (or one has gone), recording each.
async fn pump<C, U>(mut client: WebSocketStream<C>, mut upstream: WebSocketStream<U>, label: &str, shared: &Shared)
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let (side, message) = tokio::select! {
            message = client.next() => (Side::Client, message),
            message = upstream.next() => (Side::Upstream, message),
        };
        let direction = match side {
            Side::Client => shared.client_direction(),
            Side::Upstream => shared.upstream_direction(),
        };
        let message = match message {
            Some(Ok(message)) => message,
            // That end went away without a close handshake (or after it): end the other one too.
            Some(Err(_)) | None => {
                let now = shared.now();
                shared
                    .transcript
                    .record(now, label, direction, RecordKind::Close, "1006");
                let _ = tokio::time::timeout(HEAD_TIMEOUT, client.close(None)).await;
                let _ = tokio::time::timeout(HEAD_TIMEOUT, upstream.close(None)).await;
                return;
            }
        };
        record(&message, direction, label, shared);
        if matches!(message, Message::Pong(_) | Message::Frame(_)) {
            // Each hop answers the pings it gets itself; the pongs it gets back are its own.
            continue;
        }
        let closing = matches!(message, Message::Close(_));
        let sent = match side {
            Side::Client => upstream.send(message).await,
            Side::Upstream => client.send(message).await,
        };
        if sent.is_err() && !closing {
            continue;
        }
        if closing {
            finish_close(side, &mut client, &mut upstream, label, shared).await;
            return;
        }
    }
}

/// After one end's close frame was passed on: waits (bounded) for the other end's answer, records and passes it.
async fn finish_close<C, U>(
    from: Side,
    client: &mut WebSocketStream<C>,
    upstream: &mut WebSocketStream<U>,
    label: &str,
    shared: &Shared,
) where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let answer = async {
        loop {
            let message = match from {
                Side::Client => upstream.next().await,
                Side::Upstream => client.next().await,
            };
            match message {
                Some(Ok(Message::Close(frame))) => return Some(frame),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    };
    let frame = tokio::time::timeout(HEAD_TIMEOUT, answer).await.ok().flatten();
    if let Some(frame) = frame {
        let direction = match from {
            Side::Client => shared.upstream_direction(),
            Side::Upstream => shared.client_direction(),
        };
        record(&Message::Close(frame), direction, label, shared);
    }
    let _ = tokio::time::timeout(HEAD_TIMEOUT, client.close(None)).await;
    let _ = tokio::time::timeout(HEAD_TIMEOUT, upstream.close(None)).await;
}

fn record(message: &Message, direction: Direction, label: &str, shared: &Shared) {
    let now = shared.now();
    let transcript = &shared.transcript;
    match message {
        Message::Text(text) => transcript.record(now, label, direction, RecordKind::Text, text.as_str()),
        Message::Binary(bytes) => transcript.record_binary(now, label, direction, bytes),
        Message::Close(frame) => transcript.record(now, label, direction, RecordKind::Close, &close_text(frame)),
        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
    }
}

/// The close record the simulator writes: `CODE REASON`, or `1005` for a close frame without a code.
fn close_text(frame: &Option<CloseFrame>) -> String {
    frame
        .as_ref()
        .map_or("1005".into(), |f| format!("{} {}", u16::from(f.code), f.reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_never_reaches_the_record_and_host_is_rewritten() {
        let head = b"GET /wss?token=secret HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: keep-alive\r\n\r\nBODY";
        assert_eq!(method_and_path(head), ("GET".into(), "/wss".into()));
        let forwarded = String::from_utf8(rewritten(head, "device:5000", true)).unwrap();
        assert_eq!(
            forwarded,
            "GET /wss?token=secret HTTP/1.1\r\nHost: device:5000\r\nConnection: close\r\n\r\nBODY"
        );
        let upgrade = String::from_utf8(rewritten(head, "device:5000", false)).unwrap();
        assert!(upgrade.contains("Connection: keep-alive\r\n"), "{upgrade}");
    }

    #[test]
    fn response_bodies_are_read_plain_or_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(response_body(plain), b"{}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n";
        assert_eq!(response_body(chunked), b"abcde");
        assert_eq!(dechunked(b"zz\r\n"), None);
        assert_eq!(
            header("GET / HTTP/1.1\r\nContent-Length: 12", "content-length"),
            Some("12")
        );
    }

    #[test]
    fn a_status_line_gives_its_code() {
        assert_eq!(status_of(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"), 101);
        assert_eq!(status_of(b"garbage"), 0);
    }
}

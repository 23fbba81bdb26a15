//! Small clients the steps use against any target: a WebSocket connection that reports frames and closes
//! as values (never panics), and a plain HTTP/1.1 client for REST mirrors and refused upgrades.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a step waits for an answer before it fails.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// What arrived on a WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    /// A close frame with its code and reason (1005 when it had none).
    Close(u16, String),
    /// The connection ended without a close frame.
    Dropped(String),
    /// Nothing arrived in time.
    Timeout,
}

/// An open WebSocket to the target.
#[derive(Debug)]
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to `url` (`ws://` or `wss://`).
    pub async fn connect(url: &str) -> Result<WsClient, String> {
        match tokio::time::timeout(REPLY_TIMEOUT, tokio_tungstenite::connect_async(url)).await {
            Ok(Ok((stream, _))) => Ok(WsClient { stream }),
            Ok(Err(error)) => Err(format!("cannot connect to {url}: {error}")),
            Err(_) => Err(format!("connecting to {url} timed out")),
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.stream
            .send(Message::text(text))
            .await
            .map_err(|e| format!("send failed: {e}"))
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.stream
            .send(Message::binary(bytes))
            .await
            .map_err(|e| format!("send failed: {e}"))
    }

    /// Sends a close frame.
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    /// The next data frame or close, skipping pings and pongs, waiting at most `timeout`.
    pub async fn next_frame(&mut self, timeout: Duration) -> Frame {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Frame::Timeout,
                Ok(None) => return Frame::Dropped("the connection ended".into()),
                Ok(Some(Err(error))) => return Frame::Dropped(error.to_string()),
                Ok(Some(Ok(message))) => match message {
                    Message::Text(text) => return Frame::Text(text.to_string()),
                    Message::Binary(bytes) => return Frame::Binary(bytes.to_vec()),
                    Message::Close(frame) => {
                        return frame.map_or(Frame::Close(1005, String::new()), |f| {
                            Frame::Close(u16::from(f.code), f.reason.to_string())
                        });
                    }
                    _ => continue,
                },
            }
        }
    }

    /// The next text frame, or an error describing what came instead.
    pub async fn next_text(&mut self) -> Result<String, String> {
        match self.next_frame(REPLY_TIMEOUT).await {
            Frame::Text(text) => Ok(text),
            other => Err(format!("expected a text frame, got {other:?}")),
        }
    }
}

/// Whether a close code is the normal one.
pub fn is_normal_close(code: u16) -> bool {
    CloseCode::from(code) == CloseCode::Normal
}

/// A plain HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request to `host:port` and reads the whole response (`Connection: close`).
pub async fn http_request(
    authority: &str,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpReply, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n");
        for (name, value) in extra_headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "PUT" || method == "POST" {
            request.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
        parse_response(&raw)
    };
    tokio::time::timeout(REPLY_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("{method} {path} timed out"))?
}

/// Sends a WebSocket upgrade request and returns the HTTP answer (a refusal, or the 101).
pub async fn upgrade_request(authority: &str, path: &str) -> Result<HttpReply, String> {
    let headers = [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
    ];
    let exchange = async {
        let mut stream = TcpStream::connect(authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let mut request = format!("GET {path} HTTP/1.1\r\nhost: {authority}\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        // A 101 keeps the socket open; read until the head is complete and a little more for a body.
        let mut raw = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buffer)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buffer[..n]);
        }
        parse_response(&raw)
    };
    tokio::time::timeout(REPLY_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("upgrade at {path} timed out"))?
}

fn parse_response(raw: &[u8]) -> Result<HttpReply, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP response head in {text:?}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok(HttpReply { status, headers, body })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain =
            parse_response(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"a\":1}").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (404, "{\"a\":1}"));
        assert_eq!(plain.header("content-type"), Some("application/json"));
        let chunked =
            parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(chunked.body, "abcde");
        assert!(parse_response(b"garbage").is_err());
    }
}

//! Small clients the steps use against any target, over plain TCP or TLS: a WebSocket connection that reports
//! frames and closes as values (never panics), and a plain HTTP/1.1 client for REST mirrors and refused
//! upgrades. Tokens in URLs never reach an error message: see [`redact`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::frames::{Direction, FrameLog};
use futures_util::{SinkExt, StreamExt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use understudy_sim::serve::rewind::Rewind;

use crate::error::Error;
use crate::listen::{Incoming, peer_of};

/// How long a step waits for an answer before it fails.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Replaces the value of every `token` query parameter in `text` (a URL, a path or a message holding
/// one) with `<redacted>`, so that a failure message or a report never shows a credential.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("token=") {
        let is_param = at == 0 || matches!(rest.as_bytes()[at - 1], b'?' | b'&');
        let value_start = at + "token=".len();
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        if is_param {
            let end = rest
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace() || c == '"' || c == '\'')
                .unwrap_or(rest.len());
            out.push_str("<redacted>");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Which server certificates a TLS client accepts.
#[derive(Clone, Debug)]
pub enum Trust {
    /// The system's trusted roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
    System,
    /// Exactly these PEM certificates as roots (e.g. a simulator's self-signed certificate).
    PemFiles(Vec<std::path::PathBuf>),
    /// Any certificate at all (`--insecure`): the device's identity is not verified.
    AnyCertificate,
}

/// How the client reaches a socket.
#[derive(Clone)]
pub enum Transport {
    /// Plain TCP (`ws://`, `http://`).
    Plain,
    /// TLS over TCP (`wss://`, `https://`) with this client configuration.
    Tls(Arc<ClientConfig>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Plain => "Transport::Plain",
            Transport::Tls(_) => "Transport::Tls",
        })
    }
}

impl Transport {
    /// TLS with the given trust.
    pub fn tls(trust: &Trust) -> Result<Transport, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(format!("cannot set up TLS: {e}")))?;
        let config = match trust {
            Trust::AnyCertificate => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth(),
            Trust::System => {
                let mut roots = RootCertStore::empty();
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(Error::Tls(
                        "no trusted root certificates were found on this system (set SSL_CERT_FILE, or pass \
                         --insecure)"
                            .into(),
                    ));
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            Trust::PemFiles(files) => {
                let mut roots = RootCertStore::empty();
                for file in files {
                    let certs = CertificateDer::pem_file_iter(file)
                        .map_err(|e| Error::Tls(format!("cannot read {}: {e}", file.display())))?;
                    for cert in certs {
                        let cert = cert.map_err(|e| Error::Tls(format!("cannot read {}: {e}", file.display())))?;
                        roots
                            .add(cert)
                            .map_err(|e| Error::Tls(format!("{}: {e}", file.display())))?;
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
        };
        Ok(Transport::Tls(Arc::new(config)))
    }

    /// Opens a connection to `authority` (`host:port`), completing TLS when the transport has it. The
    /// certificate must be valid for the host part of `authority`, unless `server_name` names another.
    pub async fn open(&self, authority: &str, server_name: Option<&str>) -> Result<Stream, Error> {
        let connect = async {
            let tcp = TcpStream::connect(authority)
                .await
                .map_err(|e| Error::Wire(format!("cannot connect to {authority}: {e}")))?;
            let _ = tcp.set_nodelay(true);
            match self {
                Transport::Plain => Ok(Stream::Plain(tcp)),
                Transport::Tls(config) => {
                    let host = server_name.unwrap_or_else(|| host_of(authority));
                    let name = ServerName::try_from(host.to_string())
                        .map_err(|e| Error::Wire(format!("{host} is not a TLS server name: {e}")))?;
                    let tls = tokio_rustls::TlsConnector::from(config.clone())
                        .connect(name, tcp)
                        .await
                        .map_err(|e| Error::Wire(format!("TLS handshake with {authority} failed: {e}")))?;
                    Ok(Stream::Tls(Box::new(tls)))
                }
            }
        };
        tokio::time::timeout(REPLY_TIMEOUT, connect)
            .await
            .map_err(|_| Error::Wire(format!("connecting to {authority} timed out")))?
    }
}

/// The host of `host:port` (IPv6 brackets removed).
fn host_of(authority: &str) -> &str {
    let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// `host:port` of a `scheme://host:port/path` URL.
pub fn authority_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// Accepts any server certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A connection to the target, plain or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// A connection a device made to the checker (TLS or not), its request head already read (and replayed).
    Served(Box<Rewind<Incoming>>),
}

impl Stream {
    /// Writes `bytes` and flushes them: a TLS stream may keep what it accepted in its buffer until flushed, and a
    /// caller that then only reads would never send it.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_all(bytes).await?;
        self.flush().await
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
            Stream::Served(_) => "Stream::Served",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Served(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Served(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Served(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Served(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What arrived on a WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    /// A close frame with its code and reason (1005 when it had none).
    Close(u16, String),
    /// The connection ended without a close frame.
    Dropped(String),
    /// A ping control frame (only [`WsClient::next_frame_or_ping`] reports them).
    Ping,
    /// Nothing arrived in time.
    Timeout,
}

/// An open WebSocket to the target.
#[derive(Debug)]
pub struct WsClient {
    stream: WebSocketStream<Stream>,
    /// Where its frames are noted, under which connection name (see [`WsClient::record_into`]).
    log: Option<(FrameLog, String)>,
}

impl WsClient {
    /// Connects to `url` (`ws://` or `wss://`) over `transport`. A refused upgrade reports its HTTP status
    /// and body; the URL's token never appears in the error.
    pub async fn connect(url: &str, transport: &Transport) -> Result<WsClient, Error> {
        Ok(Self::connect_offering(url, transport, &[]).await?.0)
    }

    /// [`WsClient::connect`] offering these subprotocols (none: no `Sec-WebSocket-Protocol` header); also
    /// returns the headers of the 101 answer, names in lower case.
    pub async fn connect_offering(
        url: &str,
        transport: &Transport,
        protocols: &[&str],
    ) -> Result<(WsClient, Vec<(String, String)>), Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let shown = redact(url);
        let mut request = url
            .into_client_request()
            .map_err(|e| Error::Wire(redact(&format!("cannot connect to {shown}: {e}"))))?;
        if !protocols.is_empty() {
            let offered = protocols
                .join(", ")
                .parse()
                .map_err(|_| Error::Wire(format!("{protocols:?} cannot be offered as subprotocols")))?;
            request.headers_mut().insert("sec-websocket-protocol", offered);
        }
        let stream = transport.open(authority_of(url), None).await?;
        match tokio::time::timeout(REPLY_TIMEOUT, tokio_tungstenite::client_async(request, stream)).await {
            Ok(Ok((stream, response))) => {
                let headers = response
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                Ok((WsClient { stream, log: None }, headers))
            }
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                Err(Error::Wire(format!(
                    "the upgrade at {shown} was refused with HTTP {}: {body}",
                    response.status().as_u16()
                )))
            }
            Ok(Err(error)) => Err(Error::Wire(redact(&format!("cannot connect to {shown}: {error}")))),
            Err(_) => Err(Error::Wire(format!("connecting to {shown} timed out"))),
        }
    }

    /// Completes the server side of a WebSocket handshake on a connection a device made to the checker.
    pub async fn accept(stream: Incoming) -> Result<WsClient, Error> {
        let peer = peer_of(&stream);
        let stream = Stream::Served(Box::new(Rewind::new(bytes::Bytes::new(), stream)));
        match tokio::time::timeout(REPLY_TIMEOUT, tokio_tungstenite::accept_async(stream)).await {
            Ok(Ok(stream)) => Ok(WsClient { stream, log: None }),
            Ok(Err(error)) => Err(Error::Wire(format!(
                "the WebSocket handshake with {peer} failed: {error}"
            ))),
            Err(_) => Err(Error::Wire(format!("the WebSocket handshake with {peer} timed out"))),
        }
    }

    /// Completes the server side of a handshake whose request head (`head`) the checker already read
    /// from `stream` to decide on it.
    pub async fn accept_read(head: bytes::Bytes, stream: Incoming) -> Result<WsClient, Error> {
        let stream = Stream::Served(Box::new(Rewind::new(head, stream)));
        match tokio::time::timeout(REPLY_TIMEOUT, tokio_tungstenite::accept_async(stream)).await {
            Ok(Ok(stream)) => Ok(WsClient { stream, log: None }),
            Ok(Err(error)) => Err(Error::Wire(format!("the WebSocket handshake failed: {error}"))),
            Err(_) => Err(Error::Wire("the WebSocket handshake timed out".into())),
        }
    }

    /// Notes every frame it sends and receives from now on in `log`, as connection `name`.
    pub fn record_into(&mut self, log: FrameLog, name: &str) {
        self.log = Some((log, name.to_string()));
    }

    fn note(&self, dir: Direction, frame: &Frame) {
        let Some((log, name)) = &self.log else { return };
        match frame {
            Frame::Text(text) => log.push(name, dir, text),
            Frame::Binary(bytes) => log.push_binary(name, dir, bytes),
            Frame::Close(code, reason) => log.push(name, dir, &format!("close {code} {reason:?}")),
            Frame::Dropped(why) => log.push(name, dir, &format!("dropped: {why}")),
            Frame::Ping | Frame::Timeout => {}
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        if let Some((log, name)) = &self.log {
            log.push(name, Direction::Sent, text);
        }
        self.stream
            .send(Message::text(text))
            .await
            .map_err(|e| Error::Wire(format!("send failed: {e}")))
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) -> Result<(), Error> {
        if let Some((log, name)) = &self.log {
            log.push_binary(name, Direction::Sent, &bytes);
        }
        self.stream
            .send(Message::binary(bytes))
            .await
            .map_err(|e| Error::Wire(format!("send failed: {e}")))
    }

    /// Sends a close frame.
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    /// Sends a close frame with `code` (and no reason), then reads until the peer's close (bounded).
    pub async fn close_with(&mut self, code: u16) {
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::from(code),
            reason: "".into(),
        };
        let _ = self.stream.close(Some(frame)).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while self.stream.next().await.is_some() {}
        })
        .await;
    }

    /// The next data frame or close, skipping pings and pongs, waiting at most `timeout`.
    pub async fn next_frame(&mut self, timeout: Duration) -> Frame {
        let frame = self.read_frame(timeout).await;
        self.note(Direction::Received, &frame);
        frame
    }

    async fn read_frame(&mut self, timeout: Duration) -> Frame {
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

    /// The next data frame, close or ping control frame, waiting at most `timeout`.
    pub async fn next_frame_or_ping(&mut self, timeout: Duration) -> Frame {
        let frame = self.read_frame_or_ping(timeout).await;
        self.note(Direction::Received, &frame);
        frame
    }

    async fn read_frame_or_ping(&mut self, timeout: Duration) -> Frame {
        match tokio::time::timeout(timeout, self.stream.next()).await {
            Err(_) => Frame::Timeout,
            Ok(Some(Ok(Message::Ping(_)))) => Frame::Ping,
            Ok(Some(Ok(Message::Pong(_)))) => Frame::Timeout,
            Ok(Some(Ok(Message::Text(text)))) => Frame::Text(text.to_string()),
            Ok(Some(Ok(Message::Binary(bytes)))) => Frame::Binary(bytes.to_vec()),
            Ok(Some(Ok(Message::Close(frame)))) => frame.map_or(Frame::Close(1005, String::new()), |f| {
                Frame::Close(u16::from(f.code), f.reason.to_string())
            }),
            Ok(Some(Ok(Message::Frame(_)))) => Frame::Timeout,
            Ok(Some(Err(error))) => Frame::Dropped(error.to_string()),
            Ok(None) => Frame::Dropped("the connection ended".into()),
        }
    }

    /// The next text frame, or an error describing what came instead.
    pub async fn next_text(&mut self) -> Result<String, Error> {
        match self.next_frame(REPLY_TIMEOUT).await {
            Frame::Text(text) => Ok(text),
            other => Err(Error::Wire(format!("expected a text frame, got {other:?}"))),
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

/// Sends one HTTP/1.1 request to `host:port` over plain TCP and reads the whole response (`Connection: close`).
pub async fn http_request(
    authority: &str,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpReply, Error> {
    http_request_via(&Transport::Plain, authority, method, path, extra_headers, body).await
}

/// Sends one HTTP/1.1 request to `host:port` over `transport` and reads the whole response.
pub async fn http_request_via(
    transport: &Transport,
    authority: &str,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpReply, Error> {
    let mut headers = vec![("connection", "close")];
    headers.extend_from_slice(extra_headers);
    let content_length = body.len().to_string();
    if !body.is_empty() || method == "PUT" || method == "POST" {
        headers.push(("content-length", content_length.as_str()));
    }
    exchange(transport, authority, method, path, &headers, body).await
}

/// How long an exchange waits for more of an answer once its head has come.
const ANSWER_QUIET: Duration = Duration::from_millis(500);

/// Sends a WebSocket upgrade request for `path` (which may carry a query string) over plain TCP and returns
/// the HTTP answer (a refusal with its body, or the 101).
pub async fn upgrade_request(authority: &str, path: &str) -> Result<HttpReply, Error> {
    upgrade_request_via(&Transport::Plain, authority, path).await
}

/// [`upgrade_request`] over `transport`.
pub async fn upgrade_request_via(transport: &Transport, authority: &str, path: &str) -> Result<HttpReply, Error> {
    upgrade_request_with(transport, authority, path, &[]).await
}

/// [`upgrade_request_via`] with more request headers (a `sec-websocket-protocol` offer, say).
pub async fn upgrade_request_with(
    transport: &Transport,
    authority: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
) -> Result<HttpReply, Error> {
    let mut headers = vec![
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
    ];
    headers.extend_from_slice(extra_headers);
    exchange(transport, authority, "GET", path, &headers, "").await
}

/// One request and its answer: reads until the peer closes, the body announced by `content-length` is in,
/// or (for a 101, which keeps the socket open) the peer goes quiet once the head has come.
async fn exchange(
    transport: &Transport,
    authority: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpReply, Error> {
    let shown = redact(path);
    let run = async {
        let mut stream = transport.open(authority, None).await?;
        let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {authority}\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream
            .send(request.as_bytes())
            .await
            .map_err(|e| Error::Wire(format!("{method} {shown}: {e}")))?;
        let mut raw = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            if response_complete(&raw) {
                break;
            }
            // Until the head is in, only the whole exchange's bound applies: a busy device may be slow to
            // answer. After it, a quiet peer has said all it will (a 101, or a body without a length).
            let quiet = if raw.windows(4).any(|w| w == b"\r\n\r\n") {
                ANSWER_QUIET
            } else {
                REPLY_TIMEOUT
            };
            let n = match tokio::time::timeout(quiet, stream.read(&mut buffer)).await {
                Ok(Ok(n)) => n,
                // A TLS peer that closes without close_notify: what arrived is the answer.
                Ok(Err(_)) if !raw.is_empty() => break,
                Ok(Err(e)) => return Err(Error::Wire(format!("{method} {shown}: {e}"))),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buffer[..n]);
        }
        parse_response(&raw)
    };
    tokio::time::timeout(REPLY_TIMEOUT, run)
        .await
        .map_err(|_| Error::Wire(format!("{method} {shown} timed out")))?
}

/// Whether `raw` holds a whole response with a `content-length` body.
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|length| raw.len() >= end + 4 + length)
}

fn parse_response(raw: &[u8]) -> Result<HttpReply, Error> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| Error::Wire(format!("no HTTP response head in {text:?}")))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Wire(format!("bad status line {status_line:?}")))?;
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

    #[test]
    fn tokens_are_redacted_wherever_they_appear() {
        assert_eq!(
            redact("wss://h:1/wss?token=a.b.c&x=1"),
            "wss://h:1/wss?token=<redacted>&x=1"
        );
        assert_eq!(
            redact("/wss?x=1&token=abc cannot connect"),
            "/wss?x=1&token=<redacted> cannot connect"
        );
        assert_eq!(redact("/wss?mytoken=keep"), "/wss?mytoken=keep");
        assert_eq!(redact("no query"), "no query");
        assert_eq!(redact("/wss?token="), "/wss?token=<redacted>");
    }

    #[test]
    fn complete_responses_and_authorities() {
        assert!(response_complete(b"HTTP/1.1 401 X\r\ncontent-length: 2\r\n\r\n{}"));
        assert!(!response_complete(b"HTTP/1.1 401 X\r\ncontent-length: 3\r\n\r\n{}"));
        assert!(!response_complete(b"HTTP/1.1 101 X\r\n\r\n"));
        assert_eq!(authority_of("wss://127.0.0.1:8443/wss?token=x"), "127.0.0.1:8443");
        assert_eq!(authority_of("ws://h:1?token=x"), "h:1");
        assert_eq!(host_of("[::1]:80"), "::1");
        assert_eq!(host_of("localhost:80"), "localhost");
    }
}

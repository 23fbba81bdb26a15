//! The fault-injecting relay the wrong-device tests put in front of the simulator: it serves WebSockets
//! (optionally over TLS) with the subprotocol the device chose, relays each the device accepts through a
//! per-connection [`Faults`] (the device's pings too), and passes any other request to the device untouched.
//! [`pump`] alone relays two WebSockets already open. For a device that dials in (an Obico agent), the agent is
//! the relay's client and the checker its upstream: the upgrade's `authorization` header is passed on, and
//! `to_device` rewrites what the agent sends.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Callback, ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use understudy_sim::serve::listener::read_head;
use understudy_sim::serve::rewind::Rewind;

/// How one connection's text frames are rewritten on their way through.
pub trait Faults: Default + Send + 'static {
    /// The frames the device gets for one frame from the checker.
    fn to_device(&mut self, text: String) -> Vec<String> {
        vec![text]
    }

    /// The frames the checker gets for one text frame from the device.
    fn to_checker(&mut self, text: String) -> Vec<String> {
        vec![text]
    }

    /// The frames the checker gets for one binary frame from the device.
    fn binary_to_checker(&mut self, bytes: Vec<u8>) -> Vec<Message> {
        vec![Message::binary(bytes)]
    }
}

/// Where the relay sends a WebSocket.
#[derive(Clone, Debug)]
pub enum Upstream {
    /// The device at this address, at the path the checker asked for.
    SamePath(SocketAddr),
    /// Always this URL, whatever the checker asked for (and the device's address for other requests).
    Fixed(String, SocketAddr),
}

impl Upstream {
    fn addr(&self) -> SocketAddr {
        match self {
            Upstream::SamePath(addr) | Upstream::Fixed(_, addr) => *addr,
        }
    }

    fn url(&self, target: &str) -> String {
        match self {
            Upstream::SamePath(addr) => format!("ws://{addr}{target}"),
            Upstream::Fixed(url, _) => url.clone(),
        }
    }
}

/// Serves the relay on a free loopback port, over TLS when `tls` is given; returns its address.
pub async fn spawn<F: Faults>(upstream: Upstream, tls: Option<tokio_rustls::TlsAcceptor>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (upstream, tls) = (upstream.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve::<F, _>(stream, upstream).await;
                        }
                    }
                    None => serve::<F, _>(stream, upstream).await,
                }
            });
        }
    });
    addr
}

/// One connection: a WebSocket upgrade is relayed through `F`; anything else goes to the device as it is.
async fn serve<F: Faults, S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, upstream: Upstream) {
    let Ok(Some(head)) = read_head(&mut stream).await else {
        return;
    };
    let line = String::from_utf8_lossy(&head.bytes)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    // An upgrade the device accepts is relayed through `F`; one it refuses is passed on, so its refusal shows.
    if head.is_upgrade {
        let Some(request) = upstream_request(&upstream, &target, &head.bytes) else {
            return;
        };
        if let Ok((device, response)) = tokio_tungstenite::connect_async(request).await {
            let answer = ChosenProtocol(response.headers().get("sec-websocket-protocol").cloned());
            if let Ok(checker) = tokio_tungstenite::accept_hdr_async(Rewind::new(head.bytes, stream), answer).await {
                pump(checker, device, F::default()).await;
            }
            return;
        }
    }
    if let Ok(mut device) = TcpStream::connect(upstream.addr()).await {
        if device.write_all(&head.bytes).await.is_ok() {
            let _ = tokio::io::copy_bidirectional(&mut stream, &mut device).await;
        }
    }
}

/// The upstream upgrade request for `target`, with the `authorization` header of the request `head`, if any.
fn upstream_request(
    upstream: &Upstream,
    target: &str,
    head: &[u8],
) -> Option<tokio_tungstenite::tungstenite::handshake::client::Request> {
    let mut request = upstream.url(target).into_client_request().ok()?;
    for name in ["authorization", "sec-websocket-protocol"] {
        if let Some(value) = header_value(head, name).and_then(|v| HeaderValue::from_str(&v).ok()) {
            request.headers_mut().insert(name, value);
        }
    }
    Some(request)
}

/// Relays frames between the checker's and the device's WebSocket until either ends, text through `faults`.
pub async fn pump<A, B, F>(checker: WebSocketStream<A>, device: WebSocketStream<B>, mut faults: F)
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
    F: Faults,
{
    let (mut to_checker, mut from_checker) = checker.split();
    let (mut to_device, mut from_device) = device.split();
    loop {
        tokio::select! {
            message = from_checker.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    for frame in faults.to_device(text.to_string()) {
                        if to_device.send(Message::text(frame)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(message @ Message::Binary(_))) => {
                    if to_device.send(message).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            message = from_device.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    for frame in faults.to_checker(text.to_string()) {
                        if to_checker.send(Message::text(frame)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    for frame in faults.binary_to_checker(bytes.to_vec()) {
                        if to_checker.send(frame).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(message @ Message::Ping(_))) => {
                    if to_checker.send(message).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let _ = to_checker.send(Message::Close(frame)).await;
                    return;
                }
                None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = to_device.send(Message::Close(None)).await;
    let _ = to_checker.send(Message::Close(None)).await;
}

/// Answers the checker's upgrade with the subprotocol the device chose, if it chose one.
struct ChosenProtocol(Option<HeaderValue>);

impl Callback for ChosenProtocol {
    fn on_request(self, _request: &Request, mut reply: Response) -> Result<Response, ErrorResponse> {
        if let Some(chosen) = self.0 {
            reply.headers_mut().insert("sec-websocket-protocol", chosen);
        }
        Ok(reply)
    }
}

/// The value of header `name` (lower case) in a request head.
fn header_value(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head)
        .split("\r\n\r\n")
        .next()?
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_string())
}

/// Passes every frame through unchanged.
#[derive(Default)]
pub struct Faithful;

impl Faults for Faithful {}

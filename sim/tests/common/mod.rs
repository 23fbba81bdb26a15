//! Helpers shared by the simulator's socket-level tests: a WebSocket client with timeouts.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `url`, failing the test after 5 s.
pub async fn connect(url: &str) -> Client {
    let connecting = tokio_tungstenite::connect_async(url);
    tokio::time::timeout(Duration::from_secs(5), connecting)
        .await
        .expect("connect timed out")
        .expect("connect")
        .0
}

/// Sends `text` and returns the next text frame.
pub async fn ask(client: &mut Client, text: &str) -> String {
    client.send(Message::text(text)).await.expect("send");
    next_text(client).await
}

/// The next text frame, failing the test after 5 s or on anything else.
pub async fn next_text(client: &mut Client) -> String {
    match next_message(client).await {
        Some(Message::Text(text)) => text.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next message (pings skipped), `None` when the connection ended.
pub async fn next_message(client: &mut Client) -> Option<Message> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("no frame within 5 s");
        match message {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
            _ => return None,
        }
    }
}

/// `GET path` on `addr` with `Connection: close`: the status and the body, failing the test after 5 s.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .expect("no HTTP answer within 5 s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// A TLS connector that trusts only the certificates in the PEM file `ca` (the simulator's `pubsub-ca`).
pub fn tls_connector(ca: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_file_iter(ca).expect("the CA file reads") {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a usable certificate");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3 with ring")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(client))
}

//! The baseline: a bare tokio-tungstenite request/response server with the simulator's socket settings,
//! answering each text (and optionally binary) frame with a caller-supplied function and nothing else.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use understudy_sim::serve::session::websocket_config;

/// Answers one text frame; `None` sends nothing back.
pub type Answer = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Answers one frame's bytes (text or binary) with one binary frame; `None` sends nothing back.
pub type BinaryAnswer = Arc<dyn Fn(&[u8]) -> Option<Bytes> + Send + Sync>;

/// How the server answers.
#[derive(Clone)]
enum Answers {
    /// Text frames with a text frame; binary frames are ignored.
    Text(Answer),
    /// Text and binary frames with a binary frame.
    Binary(BinaryAnswer),
}

/// A running bare server on 127.0.0.1; it stops accepting when dropped (open connections end when their
/// clients close).
pub struct BareServer {
    url: String,
    accept: JoinHandle<()>,
}

impl BareServer {
    /// Binds a free loopback port and serves WebSocket connections at any path, answering with `answer`.
    /// Must be called inside the tokio runtime that is to run the server.
    pub async fn start(answer: Answer) -> std::io::Result<BareServer> {
        Self::listen(Answers::Text(answer)).await
    }

    /// Like [`BareServer::start`], answering every text or binary frame with a binary frame from `answer`.
    pub async fn start_binary(answer: BinaryAnswer) -> std::io::Result<BareServer> {
        Self::listen(Answers::Binary(answer)).await
    }

    async fn listen(answer: Answers) -> std::io::Result<BareServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("ws://{}/", listener.local_addr()?);
        let accept = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve(stream, answer.clone()));
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                }
            }
        });
        Ok(BareServer { url, accept })
    }

    /// The URL clients connect to.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(stream: TcpStream, answer: Answers) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(websocket_config())).await else {
        return;
    };
    // Poll until the stream ends, so that tungstenite sends its queued reply to a close frame.
    while let Some(message) = ws.next().await {
        let reply = match (&answer, message) {
            (Answers::Text(answer), Ok(Message::Text(text))) => answer(&text).map(Message::text),
            (Answers::Binary(answer), Ok(Message::Text(text))) => answer(text.as_bytes()).map(Message::Binary),
            (Answers::Binary(answer), Ok(Message::Binary(bytes))) => answer(&bytes).map(Message::Binary),
            (_, Ok(_)) => None,
            (_, Err(_)) => return,
        };
        if let Some(reply) = reply
            && ws.send(reply).await.is_err()
        {
            return;
        }
    }
}

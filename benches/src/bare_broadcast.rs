//! The fan-out baseline: a bare tokio-tungstenite server that sends every frame published on one
//! `tokio::sync::broadcast` channel to every open connection (serialized once, shared bytes).

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use understudy_sim::serve::session::websocket_config;

/// A running broadcast server on 127.0.0.1; it stops accepting when dropped.
pub struct BareBroadcast {
    url: String,
    sender: broadcast::Sender<Utf8Bytes>,
    tasks: Vec<JoinHandle<()>>,
}

impl BareBroadcast {
    /// Binds a free loopback port. Text frames a client sends are broadcast to every connection (a bare
    /// pub/sub); frames given to [`BareBroadcast::publish`] too. Must be called inside a tokio runtime.
    pub async fn start() -> std::io::Result<BareBroadcast> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("ws://{}/", listener.local_addr()?);
        let (sender, _) = broadcast::channel(64);
        let accept_sender = sender.clone();
        let accept = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve_tcp(stream, accept_sender.clone()));
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                }
            }
        });
        Ok(BareBroadcast {
            url,
            sender,
            tasks: vec![accept],
        })
    }

    /// Also publishes `frame` every `period`, from now until the server is dropped.
    pub fn tick(&mut self, frame: Utf8Bytes, period: std::time::Duration) {
        let sender = self.sender.clone();
        self.tasks.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let _ = sender.send(frame.clone());
            }
        }));
    }

    /// Sends `frame` to every open connection.
    pub fn publish(&self, frame: Utf8Bytes) {
        let _ = self.sender.send(frame);
    }

    /// The URL clients connect to.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for BareBroadcast {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Accepts stream `S` (plain TCP or TLS) and relays the broadcast to it until either side ends.
pub async fn serve<S>(stream: S, sender: broadcast::Sender<Utf8Bytes>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(websocket_config())).await else {
        return;
    };
    let mut receiver = sender.subscribe();
    let (mut write, mut read) = ws.split();
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<()>();
    let publisher = sender.clone();
    // The reader publishes what the client sends and polls until the stream ends (so close replies go out).
    tokio::spawn(async move {
        while let Some(Ok(message)) = read.next().await {
            if let Message::Text(text) = message {
                let _ = publisher.send(text);
            }
        }
        let _ = done_tx.send(());
    });
    loop {
        tokio::select! {
            _ = &mut done_rx => return,
            frame = receiver.recv() => match frame {
                Ok(frame) => {
                    if write.send(Message::Text(frame)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// [`serve`] for a plain TCP connection, with Nagle off.
pub async fn serve_tcp(stream: TcpStream, sender: broadcast::Sender<Utf8Bytes>) {
    let _ = stream.set_nodelay(true);
    serve(stream, sender).await;
}

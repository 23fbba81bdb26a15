//! Pub/sub measurements: the time from one publish until every subscriber has the message, and wss
//! handshakes per second (TCP + TLS + upgrade), against any server speaking the pub/sub robot's frames.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::Error;
use crate::load_client::Client;

/// The topic the benches publish on.
pub const TOPIC: &str = "bench";

/// What every delivered bench message carries, followed by its round number.
const SEQ: &str = "bench-seq-";

/// The publish request of round `k`.
pub fn publish_frame(k: u32) -> Utf8Bytes {
    let frame = serde_json::json!({
        "action": "publish", "topic": TOPIC,
        "data": {"name": "bench", "type": "std_msgs/String", "data": format!("{SEQ}{k}")},
    });
    Utf8Bytes::from(frame.to_string())
}

/// Connects `subscribers` clients to `url` (subscribing each to [`TOPIC`] and waiting for the ack when
/// `subscribe`), and a publisher; then, `rounds` times, publishes once and waits until every subscriber has
/// the message (at most 5 s). Returns each round's time from the send to the last subscriber's arrival.
pub async fn fanout_times(url: &str, subscribers: usize, rounds: u32, subscribe: bool) -> Result<Vec<Duration>, Error> {
    let (arrived_tx, mut arrived_rx) = mpsc::unbounded_channel::<Instant>();
    let mut tasks = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let mut client = Client::connect(url).await?;
        if subscribe {
            let request = serde_json::json!({"action": "subscribe", "topic": TOPIC}).to_string();
            client.send(&Utf8Bytes::from(request)).await?;
            while !client.next_text().await?.as_str().contains("subscribed") {}
        }
        let arrived_tx = arrived_tx.clone();
        tasks.push(tokio::spawn(async move {
            while let Ok(text) = client.next_text().await {
                if text.as_str().contains(SEQ) && arrived_tx.send(Instant::now()).is_err() {
                    break;
                }
            }
            client
        }));
    }
    let mut publisher = Client::connect(url).await?;
    let mut times = Vec::with_capacity(rounds as usize);
    for k in 0..rounds {
        let frame = publish_frame(k);
        let start = Instant::now();
        publisher.send(&frame).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut last = start;
        for _ in 0..subscribers {
            match tokio::time::timeout_at(deadline, arrived_rx.recv()).await {
                Ok(Some(at)) => last = last.max(at),
                _ => return Err(Error::Closed),
            }
        }
        times.push(last - start);
        // The publisher's own reply (an ack, or the broadcast echo) is read before the next round.
        let _ = tokio::time::timeout(Duration::from_secs(5), publisher.next_text()).await;
    }
    publisher.close().await;
    for task in tasks {
        task.abort();
    }
    Ok(times)
}

/// Opens and drops wss connections to `url` from `concurrency` tasks for `duration`; returns how many
/// completed (TCP connect, TLS handshake, WebSocket upgrade) and the time taken.
pub async fn handshakes(
    url: &str,
    config: &Arc<ClientConfig>,
    concurrency: usize,
    duration: Duration,
) -> Result<(u64, Duration), Error> {
    let start = Instant::now();
    let end = start + duration;
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (url, config) = (url.to_owned(), config.clone());
            tokio::spawn(async move {
                let mut count = 0u64;
                while Instant::now() < end {
                    let ws = crate::tls::connect_wss(&url, &config).await?;
                    drop(ws);
                    count += 1;
                }
                Ok::<_, Error>(count)
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok((total, start.elapsed()))
}

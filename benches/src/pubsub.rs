//! Pub/sub measurements: the time from one publish until every subscriber has the message, and wss
//! handshakes per second (TCP + TLS + upgrade), against any server speaking the pub/sub robot's frames.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use serde_json::json;
use understudy_sim::serve::pubsub::{PubsubOptions, PubsubTls};
use understudy_sim::{ClockMode, SimConfig, Simulator};

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

/// Starts a simulator serving only the pub/sub robot over `tls`, in the current runtime; returns it and
/// its URL with a fresh token.
pub async fn start_sim(tls: PubsubTls) -> Result<(Simulator, String), Error> {
    let mut config = SimConfig {
        clock: ClockMode::Realtime { speed: 1.0 },
        only: Some(vec!["pubsub".into()]),
        ..SimConfig::for_tests(0)
    };
    config.devices.set(PubsubOptions {
        tls,
        ..PubsubOptions::default()
    });
    let sim = Simulator::start(config).await?;
    let token = sim
        .control("pubsub", "token", &json!({}))
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .ok_or(Error::NoEndpoint("pubsub token"))?;
    let url = format!(
        "{}?token={token}",
        sim.url("pubsub").ok_or(Error::NoEndpoint("pubsub"))?
    );
    Ok((sim, url))
}

/// Subscribers and a publisher connected to one server, ready to time publishes one at a time.
pub struct Fanout {
    publisher: Client,
    arrived: mpsc::UnboundedReceiver<Instant>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    next_round: u32,
}

impl Fanout {
    /// Connects `subscribers` clients to `url` (subscribing each to [`TOPIC`] and waiting for the ack when
    /// `subscribe`), and a publisher.
    pub async fn connect(url: &str, subscribers: usize, subscribe: bool) -> Result<Fanout, Error> {
        let (arrived_tx, arrived) = mpsc::unbounded_channel::<Instant>();
        let mut readers = Vec::with_capacity(subscribers);
        for _ in 0..subscribers {
            let mut client = Client::connect(url).await?;
            if subscribe {
                let request = serde_json::json!({"action": "subscribe", "topic": TOPIC}).to_string();
                client.send(&Utf8Bytes::from(request)).await?;
                while !client.next_text().await?.as_str().contains("subscribed") {}
            }
            let arrived_tx = arrived_tx.clone();
            readers.push(tokio::spawn(async move {
                while let Ok(text) = client.next_text().await {
                    if text.as_str().contains(SEQ) && arrived_tx.send(Instant::now()).is_err() {
                        break;
                    }
                }
            }));
        }
        Ok(Fanout {
            publisher: Client::connect(url).await?,
            arrived,
            readers,
            next_round: 0,
        })
    }

    /// Publishes once and waits (at most 5 s) until every subscriber has the message; returns the time from
    /// the send to the last arrival.
    pub async fn round(&mut self) -> Result<Duration, Error> {
        let frame = publish_frame(self.next_round);
        self.next_round += 1;
        let start = Instant::now();
        self.publisher.send(&frame).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut last = start;
        for _ in 0..self.readers.len() {
            match tokio::time::timeout_at(deadline, self.arrived.recv()).await {
                Ok(Some(at)) => last = last.max(at),
                _ => return Err(Error::Closed),
            }
        }
        // The publisher's own reply (an ack, or the broadcast echo) is read before the next round.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.publisher.next_text()).await;
        Ok(last - start)
    }

    /// Closes the publisher and drops the subscribers.
    pub async fn close(self) {
        self.publisher.close().await;
        for reader in self.readers {
            reader.abort();
        }
    }
}

/// `rounds` publishes through a fresh [`Fanout`]: each round's time until every subscriber had it.
pub async fn fanout_times(url: &str, subscribers: usize, rounds: u32, subscribe: bool) -> Result<Vec<Duration>, Error> {
    let mut fanout = Fanout::connect(url, subscribers, subscribe).await?;
    let mut times = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        times.push(fanout.round().await?);
    }
    fanout.close().await;
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

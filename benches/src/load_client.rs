//! The load client: WebSocket connections that send a request and wait for its reply, timed one round trip
//! at a time (latency), as a fixed batch spread over many connections, or back to back for a while (throughput).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use understudy_sim::serve::session::websocket_config;

use crate::Error;

/// One client connection (Nagle off, the simulator's socket settings).
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Result<Client, Error> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(websocket_config()), true).await?;
        Ok(Client { ws })
    }

    /// Sends `request` and waits for the next text frame, which it returns.
    pub async fn round_trip(&mut self, request: &Utf8Bytes) -> Result<Utf8Bytes, Error> {
        self.send(request).await?;
        self.next_text().await
    }

    /// Sends one text frame.
    pub async fn send(&mut self, text: &Utf8Bytes) -> Result<(), Error> {
        Ok(self.ws.send(Message::Text(text.clone())).await?)
    }

    /// Sends one binary frame.
    pub async fn send_binary(&mut self, bytes: Bytes) -> Result<(), Error> {
        Ok(self.ws.send(Message::Binary(bytes)).await?)
    }

    /// Queues one text frame without flushing (a burst ends with [`Client::flush`]).
    pub async fn feed(&mut self, text: &Utf8Bytes) -> Result<(), Error> {
        Ok(self.ws.feed(Message::Text(text.clone())).await?)
    }

    /// Writes every queued frame out.
    pub async fn flush(&mut self) -> Result<(), Error> {
        Ok(self.ws.flush().await?)
    }

    /// Waits for the next text frame (skipping other frames) and returns it.
    pub async fn next_text(&mut self) -> Result<Utf8Bytes, Error> {
        loop {
            if let Message::Text(reply) = self.next_data().await? {
                return Ok(reply);
            }
        }
    }

    /// Waits for the next binary frame (skipping other frames) and returns it.
    pub async fn next_binary(&mut self) -> Result<Bytes, Error> {
        loop {
            if let Message::Binary(reply) = self.next_data().await? {
                return Ok(reply);
            }
        }
    }

    /// The next text or binary frame; pings and pongs are skipped, a close is [`Error::Closed`].
    async fn next_data(&mut self) -> Result<Message, Error> {
        loop {
            match self.ws.next().await {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => return Ok(message),
                Some(Ok(Message::Close(_))) | None => return Err(Error::Closed),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
            }
        }
    }

    /// Closes with a close frame and waits for the server's reply (or the end of the stream).
    pub async fn close(mut self) {
        if self.ws.close(None).await.is_ok() {
            while let Some(Ok(_)) = self.ws.next().await {}
        }
    }
}

/// Opens `n` connections to `url`.
pub async fn connect_many(url: &str, n: usize) -> Result<Vec<Client>, Error> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        clients.push(Client::connect(url).await?);
    }
    Ok(clients)
}

/// Closes every client.
pub async fn close_all(clients: Vec<Client>) {
    futures_util::future::join_all(clients.into_iter().map(Client::close)).await;
}

/// Round trips on one connection, back to back, for `duration`; returns the client and each round trip's
/// time. Runs as a task of the current runtime, so the thread that polls the socket also runs the loop.
pub async fn latencies(
    mut client: Client,
    request: &Utf8Bytes,
    duration: Duration,
) -> Result<(Client, Vec<Duration>), Error> {
    let request = request.clone();
    tokio::spawn(async move {
        let mut samples = Vec::with_capacity(64 * 1024);
        let end = Instant::now() + duration;
        loop {
            let start = Instant::now();
            if start >= end {
                return Ok((client, samples));
            }
            client.round_trip(&request).await?;
            samples.push(start.elapsed());
        }
    })
    .await?
}

/// `n` round trips on one connection, back to back; returns the client and the time they took. Runs as a
/// task of the current runtime, like `latencies`.
pub async fn round_trips(mut client: Client, request: &Utf8Bytes, n: u64) -> Result<(Client, Duration), Error> {
    let request = request.clone();
    tokio::spawn(async move {
        let start = Instant::now();
        for _ in 0..n {
            client.round_trip(&request).await?;
        }
        Ok((client, start.elapsed()))
    })
    .await?
}

/// Sends `per_client` requests on every client at once (each client one request at a time, the clients
/// concurrently, one task each) and hands the clients back.
pub async fn batch(clients: Vec<Client>, request: &Utf8Bytes, per_client: u64) -> Result<Vec<Client>, Error> {
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let request = request.clone();
            tokio::spawn(async move {
                for _ in 0..per_client {
                    client.round_trip(&request).await?;
                }
                Ok::<_, Error>(client)
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        clients.push(task.await??);
    }
    Ok(clients)
}

/// What a sustained run did.
pub struct Sustained {
    /// Round trips completed.
    pub round_trips: u64,
    /// From the first request to the last reply.
    pub elapsed: Duration,
    /// The clients, for the next run.
    pub clients: Vec<Client>,
}

/// Every client sends requests back to back (one at a time each, all concurrently) until `duration` has
/// passed; counts the round trips.
pub async fn sustained(clients: Vec<Client>, request: &Utf8Bytes, duration: Duration) -> Result<Sustained, Error> {
    let start = Instant::now();
    let end = start + duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut count = 0u64;
                while Instant::now() < end {
                    client.round_trip(&request).await?;
                    count += 1;
                }
                Ok::<_, Error>((client, count))
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(tasks.len());
    let mut round_trips = 0;
    for task in tasks {
        let (client, count) = task.await??;
        clients.push(client);
        round_trips += count;
    }
    Ok(Sustained {
        round_trips,
        elapsed: start.elapsed(),
        clients,
    })
}

//! `understudy-sim record`: a transparent proxy in front of a real device (or between a device that dials out
//! and its server) that writes every WebSocket frame and HTTP exchange to a transcript, as the simulator does.

mod args;
mod exchange;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::SimTime;
use crate::serve::listener::{self, HEAD_TIMEOUT};
use crate::serve::outbound::{DialError, Dialer, Stream};
use crate::transcript::{Direction, Transcript};

pub use args::{RecordArgs, Upstream};

/// Why the recorder could not start.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("cannot write the transcript {0}: {1}")]
    Transcript(String, std::io::Error),
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Dial(#[from] DialError),
}

/// What every proxied connection shares.
struct Shared {
    upstream: Upstream,
    dialer: Dialer,
    transcript: Transcript,
    started: Instant,
    /// The name connections are labelled with (`NAME/1`, `NAME/http`).
    name: String,
    /// Whether the device under record is the one that dials (then its frames are the client's).
    device_dials: bool,
    connections: AtomicU64,
}

impl Shared {
    /// Milliseconds since the recording started, as the transcript's sim time.
    fn now(&self) -> SimTime {
        SimTime::from_millis(self.started.elapsed().as_millis() as u64)
    }

    /// The transcript direction of a frame sent by the client side of the proxy.
    fn client_direction(&self) -> Direction {
        if self.device_dials {
            Direction::Out
        } else {
            Direction::In
        }
    }

    /// The transcript direction of a frame sent by the upstream side.
    fn upstream_direction(&self) -> Direction {
        if self.device_dials {
            Direction::In
        } else {
            Direction::Out
        }
    }

    async fn dial(&self) -> Result<Stream, DialError> {
        self.dialer.open(&self.upstream.host, self.upstream.port).await
    }
}

/// A running recorder.
pub struct Recorder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Recorder {
    /// Binds `args.listen` and starts proxying to `args.upstream`, writing to `args.out`.
    pub async fn start(args: &RecordArgs) -> Result<Recorder, RecordError> {
        let upstream = Upstream::parse(&args.upstream).map_err(RecordError::Upstream)?;
        let dialer = match (&upstream.tls, &args.upstream_ca) {
            (false, _) => Dialer::plain(),
            (true, Some(ca)) => Dialer::tls(&crate::serve::outbound::Trust::Pem(ca.clone()))?,
            (true, None) => Dialer::tls(&crate::serve::outbound::Trust::System)?,
        };
        let transcript =
            Transcript::to_file(&args.out).map_err(|e| RecordError::Transcript(args.out.display().to_string(), e))?;
        let listener = TcpListener::bind(args.listen)
            .await
            .map_err(|e| RecordError::Listen(args.listen, e))?;
        let addr = listener.local_addr().map_err(|e| RecordError::Listen(args.listen, e))?;
        let shared = Arc::new(Shared {
            name: args.name.clone(),
            upstream,
            dialer,
            transcript,
            started: Instant::now(),
            device_dials: args.device_dials,
            connections: AtomicU64::new(0),
        });
        let recorder = Recorder {
            addr,
            shared,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        recorder.spawn_accept(listener);
        Ok(recorder)
    }

    /// The address clients (or the device that dials) connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The label prefix of the recorded connections.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Stops accepting, ends every proxied connection and flushes the transcript.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(HEAD_TIMEOUT, self.tracker.wait()).await;
        if let Err(error) = self.shared.transcript.flush() {
            tracing::error!(%error, "could not flush the recorded transcript");
        }
    }

    fn spawn_accept(&self, listener: TcpListener) {
        let (shared, shutdown, tracker) = (self.shared.clone(), self.shutdown.clone(), self.tracker.clone());
        self.tracker.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    accepted = listener.accept() => accepted,
                };
                match accepted {
                    Ok((client, peer)) => {
                        let (shared, shutdown) = (shared.clone(), shutdown.clone());
                        tracker.spawn(async move {
                            tokio::select! {
                                _ = shutdown.cancelled() => {}
                                _ = proxy(client, peer, &shared) => {}
                            }
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
    }
}

/// Proxies one client connection: its request head decides between a WebSocket and an HTTP exchange.
async fn proxy(mut client: TcpStream, peer: SocketAddr, shared: &Shared) {
    let _ = client.set_nodelay(true);
    let head = match tokio::time::timeout(HEAD_TIMEOUT, listener::read_head(&mut client)).await {
        Ok(Ok(Some(head))) => head,
        _ => return,
    };
    let upstream = match shared.dial().await {
        Ok(upstream) => upstream,
        Err(error) => {
            tracing::warn!(%peer, %error, "upstream unreachable");
            exchange::bad_gateway(&mut client).await;
            return;
        }
    };
    if head.is_upgrade {
        let n = shared.connections.fetch_add(1, Ordering::Relaxed) + 1;
        let label = format!("{}/{n}", shared.name);
        exchange::websocket(client, upstream, head.bytes, &label, shared).await;
    } else {
        let label = format!("{}/http", shared.name);
        exchange::http(client, upstream, head.bytes, &label, shared).await;
    }
}

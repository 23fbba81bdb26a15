//! Load benches of the simulator: a bare tokio-tungstenite server to compare against, a load client that
//! measures round trips and throughput, and per-device comparisons (sim vs bare) shared by benches and tools.

pub mod bare_broadcast;
pub mod bare_server;
pub mod cpu;
pub mod endrpi;
pub mod esp3d;
pub mod fanout;
pub mod load_client;
pub mod obico_fleet;
pub mod pair;
pub mod proc_stats;
pub mod pubsub;
pub mod stats;
pub mod tls;

/// A multi-threaded tokio runtime with `workers` worker threads, for one side (server or client) of a bench.
pub fn runtime(workers: usize, name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name(name)
        .enable_all()
        .build()
}

/// Why a bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the simulator did not start: {0}")]
    Sim(#[from] understudy_sim::SimError),
    #[error("the recorder did not start: {0}")]
    Record(String),
    #[error("the simulator serves no endpoint named {0}")]
    NoEndpoint(&'static str),
    #[error("tls: {0}")]
    Tls(String),
    #[error("cannot start {0}: {1}")]
    Spawn(String, std::io::Error),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("the server closed the connection")]
    Closed,
    #[error("a client task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{target} answered {request} with {reply}")]
    BadReply {
        target: &'static str,
        request: &'static str,
        reply: String,
    },
}

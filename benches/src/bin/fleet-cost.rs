//! `fleet-cost`: what a fleet costs the machine. For each `--run KIND=N` it starts the simulator binary with
//! `--fleet KIND=N` (and once with `KIND=1` as the baseline), times the start until the last start line, reads
//! the child's RSS and open files from /proc, and for Endrpi opens `--connections` WebSockets across the
//! fleet (each answered once) to read the RSS per open connection.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use understudy_benches::proc_stats::{self, Usage};
use understudy_benches::{Error, runtime};

/// Measures fleets of each kind.
#[derive(Parser, Debug)]
#[command(name = "fleet-cost")]
struct Args {
    /// Fleets to measure, `KIND=N` (repeatable).
    #[arg(
        long = "run",
        default_values = ["endrpi=1000", "endrpi=10000", "xarm=50", "esp3d=200", "pubsub=20"]
    )]
    runs: Vec<String>,
    /// WebSocket connections opened across an Endrpi fleet, to measure the RSS per connection.
    #[arg(long, default_value_t = 2000)]
    connections: usize,
    /// Seconds a fleet may take to start.
    #[arg(long, default_value_t = 60)]
    start_timeout_s: u64,
    /// The simulator binary (default: `understudy-sim` beside this one).
    #[arg(long)]
    sim: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match compare(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fleet-cost: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A running simulator child with its start lines, killed when dropped.
struct Fleet {
    child: Child,
    /// The time from spawning until the last start line.
    start: Duration,
    /// Each `LABEL URL` start line.
    urls: Vec<(String, String)>,
}

impl Fleet {
    fn start(sim: &PathBuf, spec: &str, timeout: Duration) -> Result<Fleet, Error> {
        let began = Instant::now();
        let mut child = Command::new(sim)
            .args(["--control-port", "0", "--fleet", spec])
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Spawn(sim.display().to_string(), e))?;
        let stdout = child.stdout.take().ok_or(Error::Closed)?;
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut urls = Vec::new();
        loop {
            let left = timeout.saturating_sub(began.elapsed());
            let line = match lines_rx.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Timeout(timeout));
                }
            };
            if line.starts_with("control ") {
                break;
            }
            if let Some((label, url)) = line.split_once(' ')
                && url.contains("://")
            {
                urls.push((label.to_string(), url.to_string()));
            }
        }
        let start = began.elapsed();
        // Keep draining so that the child never blocks on a full pipe.
        std::thread::spawn(move || while lines_rx.recv().is_ok() {});
        Ok(Fleet { child, start, urls })
    }

    /// The child's usage once it has settled for a moment.
    fn usage(&self) -> Result<Usage, Error> {
        std::thread::sleep(Duration::from_millis(500));
        proc_stats::usage(self.child.id()).ok_or(Error::Closed)
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn compare(args: &Args) -> Result<(), Error> {
    let me = std::env::current_exe()?;
    let sim = args.sim.clone().unwrap_or_else(|| me.with_file_name("understudy-sim"));
    let timeout = Duration::from_secs(args.start_timeout_s);
    println!(
        "{:<14} {:>8} {:>9} {:>9} {:>12} {:>7} {:>8} {:>11}",
        "fleet", "start s", "RSS MiB", "base MiB", "KiB/device", "fds", "fds/dev", "KiB/conn"
    );
    for spec in &args.runs {
        let (kind, n) = spec
            .split_once('=')
            .and_then(|(k, n)| Some((k, n.parse::<u64>().ok()?)))
            .ok_or_else(|| {
                Error::Spawn(
                    format!("--run {spec}: expected KIND=N"),
                    std::io::ErrorKind::InvalidInput.into(),
                )
            })?;
        let base = Fleet::start(&sim, &format!("{kind}=1"), timeout)?.usage()?;
        let fleet = Fleet::start(&sim, spec, timeout)?;
        let idle = fleet.usage()?;
        let per_device = (idle.rss_kib as f64 - base.rss_kib as f64) / (n.saturating_sub(1).max(1)) as f64;
        let fds_per_device = (idle.fds as f64 - base.fds as f64) / (n.saturating_sub(1).max(1)) as f64;
        let per_connection = if kind == "endrpi" && args.connections > 0 {
            let urls: Vec<String> = fleet.urls.iter().map(|(_, url)| url.clone()).collect();
            let clients = connect_all(&urls, args.connections)?;
            let busy = fleet.usage()?;
            drop(clients);
            format!(
                "{:.1}",
                (busy.rss_kib as f64 - idle.rss_kib as f64) / args.connections as f64
            )
        } else {
            "-".to_string()
        };
        println!(
            "{:<14} {:>8.2} {:>9.1} {:>9.1} {:>12.1} {:>7} {:>8.2} {:>11}",
            spec,
            fleet.start.as_secs_f64(),
            idle.rss_kib as f64 / 1024.0,
            base.rss_kib as f64 / 1024.0,
            per_device,
            idle.fds,
            fds_per_device,
            per_connection
        );
    }
    Ok(())
}

/// Opens `count` WebSockets round-robin over `urls`, each answered once (so its session is fully open);
/// returns the runtime that holds them open, with the clients.
fn connect_all(urls: &[String], count: usize) -> Result<Held, Error> {
    let rt = runtime(2, "fleet-clients")?;
    let clients = rt.block_on(async {
        let mut clients = Vec::with_capacity(count);
        for i in 0..count {
            let url = &urls[i % urls.len().max(1)];
            let (mut ws, _) = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(url))
                .await
                .map_err(|_| Error::Timeout(Duration::from_secs(5)))??;
            ws.send(Message::text(r#"{"action":"READ_TEMPERATURE"}"#)).await?;
            match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                Ok(Some(Ok(Message::Text(_)))) => clients.push(ws),
                Ok(_) => return Err(Error::Closed),
                Err(_) => return Err(Error::Timeout(Duration::from_secs(5))),
            }
        }
        Ok::<_, Error>(clients)
    })?;
    Ok(Held {
        _clients: clients,
        _rt: rt,
    })
}

/// Open client connections and the runtime they live on; dropping it closes them.
struct Held {
    _clients: Vec<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>>,
    _rt: tokio::runtime::Runtime,
}

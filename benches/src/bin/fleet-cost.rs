//! `fleet-cost`: what a fleet costs the machine. For each `--run KIND=N` it starts the simulator binary with
//! `--fleet KIND=N` (and once with `KIND=1` as the baseline), times the start until the last start line, reads
//! the child's RSS and open files from /proc, then opens `--connections` WebSockets across the fleet (each
//! served once: answered, or its first push received) to read the RSS per open connection.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use understudy_benches::proc_stats::{self, Usage};
use understudy_benches::tls::{self, CertFiles};
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
    /// WebSocket connections opened across each fleet (Endrpi and xArm sockets, ESP3D terminals, pub/sub wss), to
    /// measure the RSS per connection; 0 for none.
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
    /// Each `LABEL VALUE` start line (`endrpi-3 ws://...`, `pubsub-token-2 JWT`).
    lines: Vec<(String, String)>,
}

impl Fleet {
    /// Starts `--fleet spec`, the pub/sub robots serving the certificate in `cert`.
    fn start(sim: &PathBuf, spec: &str, cert: &CertFiles, timeout: Duration) -> Result<Fleet, Error> {
        let began = Instant::now();
        let mut child = Command::new(sim)
            .args(["--control-port", "0", "--fleet", spec])
            .arg("--tls-cert")
            .arg(cert.cert.path())
            .arg("--tls-key")
            .arg(cert.key.path())
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
        let mut lines = Vec::new();
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
            if let Some((label, value)) = line.split_once(' ') {
                lines.push((label.to_string(), value.to_string()));
            }
        }
        let start = began.elapsed();
        // Keep draining so that the child never blocks on a full pipe.
        std::thread::spawn(move || while lines_rx.recv().is_ok() {});
        Ok(Fleet { child, start, lines })
    }

    /// The value of each start line `ENDPOINT-K VALUE` (one per device, in order).
    fn each(&self, endpoint: &str) -> Vec<String> {
        let of_device = |label: &str| {
            label
                .strip_prefix(endpoint)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        };
        self.lines
            .iter()
            .filter(|(label, _)| of_device(label))
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Where a client of a device of `kind` connects, and the request it sends first (none: the device pushes
    /// on connect; a robot's client subscribes to a quiet topic), one URL per device.
    fn client_urls(&self, kind: &str) -> (Vec<String>, Option<&'static str>) {
        match kind {
            "endrpi" => (self.each("endrpi"), Some(r#"{"action":"READ_TEMPERATURE"}"#)),
            "esp3d" => (self.each("esp3d-terminal"), None),
            "pubsub" => {
                let urls = self.each("pubsub").into_iter().zip(self.each("pubsub-token"));
                let urls = urls.map(|(url, token)| format!("{url}?token={token}")).collect();
                (urls, Some(r#"{"action":"subscribe","topic":"fleet-cost"}"#))
            }
            other => (self.each(other), None),
        }
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
    let cert = tls::cert_files()?;
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
        let base = Fleet::start(&sim, &format!("{kind}=1"), &cert, timeout)?.usage()?;
        let fleet = Fleet::start(&sim, spec, &cert, timeout)?;
        let idle = fleet.usage()?;
        let per_device = (idle.rss_kib as f64 - base.rss_kib as f64) / (n.saturating_sub(1).max(1)) as f64;
        let fds_per_device = (idle.fds as f64 - base.fds as f64) / (n.saturating_sub(1).max(1)) as f64;
        let (urls, first) = fleet.client_urls(kind);
        let per_connection = if !urls.is_empty() && args.connections > 0 {
            let clients = connect_all(&urls, first, &cert, args.connections)?;
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

/// Opens `count` WebSockets round-robin over `urls` (wss ones trusting `cert`), each served once: `first`
/// answered, or the device's first push received. Each then reads whatever comes until it closes, so that no
/// device drops it as a slow consumer; they live on the returned runtime.
fn connect_all(urls: &[String], first: Option<&'static str>, cert: &CertFiles, count: usize) -> Result<Held, Error> {
    let rt = runtime(2, "fleet-clients")?;
    let config = tls::client_config(&cert.der)?;
    rt.block_on(async {
        for i in 0..count {
            let url = &urls[i % urls.len()];
            let connected = async {
                if url.starts_with("wss://") {
                    serve_once(tls::connect_wss(url, &config).await?, first).await
                } else {
                    serve_once(tokio_tungstenite::connect_async(url).await?.0, first).await
                }
            };
            tokio::time::timeout(Duration::from_secs(5), connected)
                .await
                .map_err(|_| Error::Timeout(Duration::from_secs(5)))??;
        }
        Ok::<_, Error>(())
    })?;
    Ok(Held { _rt: rt })
}

/// Sends `first` (if any) and waits for the device's first frame, then leaves a task reading the rest.
async fn serve_once<S>(mut ws: WebSocketStream<S>, first: Option<&str>) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if let Some(request) = first {
        ws.send(Message::text(request)).await?;
    }
    match ws.next().await {
        Some(Ok(_)) => {
            tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
            Ok(())
        }
        _ => Err(Error::Closed),
    }
}

/// The runtime the open client connections live on; dropping it closes them.
struct Held {
    _rt: tokio::runtime::Runtime,
}

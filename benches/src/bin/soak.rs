//! `soak`: the three devices of a simulator child process under mixed load for a while (well-behaved clients,
//! clients that stop reading, churn, bad input), watching the child's RSS, open files and stderr for panics.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use understudy_benches::proc_stats::{self, Usage, growth};
use understudy_benches::stats::percentile;
use understudy_benches::tls::{self, CertFiles};
use understudy_benches::{Error, runtime};
use understudy_sim::serve::session::websocket_config;

#[derive(Parser, Debug)]
#[command(name = "soak")]
struct Args {
    /// How long the load runs once every client is connected (seconds).
    #[arg(long, default_value_t = 600)]
    duration: u64,
    /// Long-lived clients, spread over the three devices.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Share of the long-lived clients that stop reading after their first requests.
    #[arg(long, default_value_t = 0.1)]
    slow_share: f64,
    /// Seconds of load before the RSS and open-files baseline is taken.
    #[arg(long, default_value_t = 30)]
    warmup: u64,
    /// Seconds between two samples of the child's RSS and open files.
    #[arg(long, default_value_t = 5)]
    sample: u64,
    /// Milliseconds between two requests of one well-behaved client.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// A well-behaved client's round trip must finish within this many milliseconds.
    #[arg(long, default_value_t = 1000)]
    bound_ms: u64,
    /// Short-lived connections opened per second (one request each, then a close or a drop).
    #[arg(long, default_value_t = 10)]
    churn: u32,
    /// Bad inputs sent per second (bad JSON, binary frames, bad tokens, garbage heads).
    #[arg(long, default_value_t = 5)]
    bad: u32,
    /// RSS growth (MiB) after warm-up beyond which the run fails.
    #[arg(long, default_value_t = 32)]
    rss_growth_mb: u64,
    /// Open-files growth after warm-up beyond which the run fails.
    #[arg(long, default_value_t = 32)]
    fd_growth: u64,
    /// The simulator binary (default: `understudy-sim` beside this binary; build it with --release).
    #[arg(long)]
    sim: Option<PathBuf>,
    /// Worker threads of the clients' runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// A byte stream a client speaks WebSocket over: plain TCP or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// The three devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Device {
    Endrpi,
    Xarm,
    Pubsub,
}

const DEVICES: [Device; 3] = [Device::Endrpi, Device::Xarm, Device::Pubsub];

/// Where the child serves, and how to reach it.
struct Targets {
    endrpi: String,
    xarm: String,
    /// The pub/sub URL without a token.
    pubsub: String,
    token: String,
    tls: Arc<ClientConfig>,
}

impl Targets {
    fn url(&self, device: Device) -> String {
        match device {
            Device::Endrpi => self.endrpi.clone(),
            Device::Xarm => self.xarm.clone(),
            Device::Pubsub => format!("{}?token={}", self.pubsub, self.token),
        }
    }

    async fn connect(&self, device: Device) -> Result<Ws, Error> {
        connect(&self.url(device), &self.tls).await
    }
}

/// TCP (and TLS for `wss://`), then the upgrade; the whole handshake bounded to 10 s.
async fn connect(url: &str, config: &Arc<ClientConfig>) -> Result<Ws, Error> {
    let handshake = async {
        let (scheme, rest) = url.split_once("://").unwrap_or(("ws", url));
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        let io: Box<dyn Io> = if scheme == "wss" {
            Box::new(tls::tls_connect(authority, config).await?)
        } else {
            let tcp = TcpStream::connect(authority).await?;
            tcp.set_nodelay(true)?;
            Box::new(tcp)
        };
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, io, Some(websocket_config())).await?;
        Ok(ws)
    };
    timeout(Duration::from_secs(10), handshake)
        .await
        .map_err(|_| Error::Closed)?
}

/// Request `k` of client `c` on `device`, and a piece of text only its reply contains.
fn request(device: Device, c: usize, k: u64) -> (String, String) {
    match device {
        Device::Endrpi => (
            r#"{"action":"READ_TEMPERATURE"}"#.into(),
            r#""READ_TEMPERATURE""#.into(),
        ),
        Device::Xarm => (
            format!(r#"{{"cmd":"xarm_clear_warn","data":{{}},"id":"s{c}-{k}"}}"#),
            format!(r#""id":"s{c}-{k}""#),
        ),
        Device::Pubsub => (
            format!(
                r#"{{"action":"publish","topic":"soak/{c}","data":{{"name":"soak","type":"std_msgs/String","data":"{k}"}}}}"#
            ),
            format!(r#""action":"published","topic":"soak/{c}""#),
        ),
    }
}

/// Reads until a text frame containing `needle` arrives (true), the connection ends, or `deadline` passes
/// (false); with no needle, reads everything until the deadline.
async fn read_until(ws: &mut Ws, needle: Option<&str>, deadline: Instant) -> Result<bool, Error> {
    loop {
        match timeout_at(deadline, ws.next()).await {
            Err(_) => return Ok(false),
            Ok(Some(Ok(Message::Text(text)))) if needle.is_some_and(|n| text.as_str().contains(n)) => return Ok(true),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return Err(Error::Closed),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => return Err(error.into()),
        }
    }
}

/// Sends request `k` and waits (at most `limit`) for its reply; the round trip time, or `None` on a timeout.
async fn round_trip(ws: &mut Ws, device: Device, c: usize, k: u64, limit: Duration) -> Result<Option<Duration>, Error> {
    let (frame, needle) = request(device, c, k);
    let start = Instant::now();
    ws.send(Message::text(frame)).await?;
    Ok(read_until(ws, Some(&needle), start + limit)
        .await?
        .then(|| start.elapsed()))
}

/// Subscribes a pub/sub client to `topic` and waits for the ack.
async fn subscribe(ws: &mut Ws, topic: &str) -> Result<(), Error> {
    let frame = format!(r#"{{"action":"subscribe","topic":"{topic}"}}"#);
    ws.send(Message::text(frame)).await?;
    let ack = format!(r#""action":"subscribed","topic":"{topic}""#);
    match read_until(ws, Some(&ack), Instant::now() + Duration::from_secs(10)).await? {
        true => Ok(()),
        false => Err(Error::Closed),
    }
}

/// What one well-behaved client saw after warm-up.
#[derive(Default)]
struct Served {
    latencies: Vec<Duration>,
    /// Round trips over the bound, timed out, or lost with the connection.
    misses: u64,
    /// The first thing that went wrong, for the summary.
    first_problem: Option<String>,
}

impl Served {
    /// Counts a miss, keeping the first problem's description.
    fn miss(&mut self, problem: impl FnOnce() -> String) {
        self.misses += 1;
        if self.first_problem.is_none() {
            self.first_problem = Some(problem());
        }
    }
}

/// The timing every long-lived task shares.
#[derive(Clone, Copy)]
struct Plan {
    warm: Instant,
    end: Instant,
    interval: Duration,
    bound: Duration,
}

/// A well-behaved client: one request every interval, always reading, until the end.
async fn well_behaved(mut ws: Ws, device: Device, c: usize, plan: Plan) -> Served {
    let mut served = Served::default();
    // Spread the clients' sends over the interval.
    let mut next = Instant::now() + plan.interval.mul_f64((c % 97) as f64 / 97.0);
    let mut k = 0;
    while next < plan.end {
        if let Err(error) = read_until(&mut ws, None, next).await {
            served.miss(|| format!("{device:?} connection lost while idle: {error}"));
            return served;
        }
        k += 1;
        let result = round_trip(&mut ws, device, c, k, plan.bound * 5).await;
        let counts = Instant::now() >= plan.warm;
        match result {
            Ok(Some(took)) if counts => {
                served.latencies.push(took);
                if took > plan.bound {
                    served.miss(|| format!("{device:?} round trip took {took:?}"));
                }
            }
            Ok(Some(_)) => {}
            Ok(None) if counts => served.miss(|| format!("{device:?} reply timed out")),
            Ok(None) => {}
            Err(error) => {
                served.miss(|| format!("{device:?} connection lost: {error}"));
                return served;
            }
        }
        next += plan.interval;
    }
    let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
    served
}

/// A client that sends a few requests, then never reads again; true if the server had closed it by the end.
async fn stops_reading(mut ws: Ws, device: Device, c: usize, end: Instant) -> bool {
    for k in 0..5 {
        let (frame, _) = request(device, c, k);
        if timeout(Duration::from_secs(2), ws.send(Message::text(frame)))
            .await
            .is_err()
        {
            break;
        }
    }
    sleep_until(end).await;
    // Whatever is buffered is read for a moment: a close in it means the server dropped this client.
    let drain_end = Instant::now() + Duration::from_secs(1);
    loop {
        match timeout_at(drain_end, ws.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return true,
            Ok(Some(Ok(_))) => {}
            Err(_) => return false,
        }
    }
}

/// Counters of the short-lived traffic.
#[derive(Default)]
struct Counts {
    churn_ok: AtomicU64,
    churn_failed: AtomicU64,
    bad_answered: AtomicU64,
    bad_unanswered: AtomicU64,
    first_bad_problem: Mutex<Option<String>>,
}

/// One short-lived connection: connect, one round trip, then a clean close (even `i`) or a dropped socket.
async fn churn_once(targets: &Targets, i: u64, bound: Duration) -> Result<(), Error> {
    let device = DEVICES[(i % 3) as usize];
    let mut ws = targets.connect(device).await?;
    round_trip(&mut ws, device, 100_000 + i as usize, 0, bound * 5)
        .await?
        .ok_or(Error::Closed)?;
    if i % 2 == 0 {
        let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
    }
    Ok(())
}

/// One bad input of kind `i % 6`; Ok when the device answered it as its rules say.
async fn bad_once(targets: &Targets, i: u64) -> Result<(), String> {
    let soon = || Instant::now() + Duration::from_secs(5);
    let fail = |what: &str| format!("{what} (bad input {})", i % 6);
    match i % 6 {
        0 | 1 | 3 => {
            let (device, frame, needle) = match i % 6 {
                0 => (
                    Device::Endrpi,
                    Message::text("{\"action\":"),
                    "Received invalid message",
                ),
                1 => (Device::Xarm, Message::text("not json"), "\"code\":12"),
                _ => (
                    Device::Pubsub,
                    Message::binary(vec![0u8, 159, 146, 150]),
                    "binary frames are not supported",
                ),
            };
            let mut ws = targets.connect(device).await.map_err(|e| fail(&e.to_string()))?;
            ws.send(frame).await.map_err(|e| fail(&e.to_string()))?;
            let answered = read_until(&mut ws, Some(needle), soon())
                .await
                .map_err(|e| fail(&e.to_string()))?;
            let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
            answered.then_some(()).ok_or_else(|| fail("no error reply"))
        }
        2 => match connect(&format!("{}?token=not.a.token", targets.pubsub), &targets.tls).await {
            Err(Error::Ws(tungstenite::Error::Http(response))) if response.status() == 401 => Ok(()),
            Err(other) => Err(fail(&format!("a bad token got {other}"))),
            Ok(_) => Err(fail("a bad token was accepted")),
        },
        4 => {
            let mut ws = targets
                .connect(Device::Endrpi)
                .await
                .map_err(|e| fail(&e.to_string()))?;
            ws.send(Message::binary(vec![1u8, 2, 3]))
                .await
                .map_err(|e| fail(&e.to_string()))?;
            loop {
                match timeout_at(soon(), ws.next()).await {
                    Ok(Some(Ok(Message::Close(Some(frame))))) if frame.code == CloseCode::Unsupported => return Ok(()),
                    Ok(Some(Ok(Message::Text(_)))) => {}
                    other => return Err(fail(&format!("a binary frame got {other:?}"))),
                }
            }
        }
        _ => {
            let authority = targets.xarm.trim_start_matches("ws://").split('/').next().unwrap_or("");
            let mut tcp = TcpStream::connect(authority).await.map_err(|e| fail(&e.to_string()))?;
            tcp.write_all(b"\x16\x03\x01garbage \xff\r\n\r\n")
                .await
                .map_err(|e| fail(&e.to_string()))?;
            let mut buf = [0u8; 256];
            match timeout(Duration::from_secs(5), tcp.read(&mut buf)).await {
                Ok(_) => Ok(()),
                Err(_) => Err(fail("a garbage head was held open for 5 s")),
            }
        }
    }
}

/// Runs `job(i)` `per_second` times a second until `end`, at most 32 at once.
async fn every<F, Fut>(per_second: u32, end: Instant, job: F)
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if per_second == 0 {
        return;
    }
    let gate = Arc::new(Semaphore::new(32));
    let period = Duration::from_secs(1) / per_second;
    let mut next = Instant::now();
    let mut i = 0;
    let mut tasks = Vec::new();
    while next < end {
        sleep_until(next).await;
        if let Ok(permit) = gate.clone().try_acquire_owned() {
            let job = job(i);
            tasks.push(tokio::spawn(async move {
                let _permit = permit;
                let _ = timeout(Duration::from_secs(15), job).await;
            }));
        }
        i += 1;
        next += period;
    }
    futures_util::future::join_all(tasks).await;
}

/// The child simulator: its process, its announcements, and what its stderr showed.
struct Sim {
    child: Child,
    panics: Arc<AtomicU64>,
    warnings: Arc<AtomicU64>,
    first_panic: Arc<Mutex<Option<String>>>,
}

fn start_sim(args: &Args, files: &CertFiles) -> Result<(Sim, Vec<(String, String)>), Error> {
    let path = match &args.sim {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("understudy-sim"),
    };
    let mut child = Command::new(&path)
        .args([
            "--endrpi-port",
            "0",
            "--xarm-port",
            "0",
            "--pubsub-port",
            "0",
            "--no-control",
        ])
        .arg("--tls-cert")
        .arg(files.cert.path())
        .arg("--tls-key")
        .arg(files.key.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Spawn(path.display().to_string(), e))?;
    let stderr = child.stderr.take().ok_or(Error::Closed)?;
    let stdout = child.stdout.take().ok_or(Error::Closed)?;
    let sim = Sim {
        child,
        panics: Arc::default(),
        warnings: Arc::default(),
        first_panic: Arc::default(),
    };
    let (panics, warnings, first_panic) = (sim.panics.clone(), sim.warnings.clone(), sim.first_panic.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("panicked") {
                panics.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = first_panic.lock() {
                    first.get_or_insert(line);
                }
            } else if line.contains("WARN") {
                warnings.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let pair = line.split_once(' ').map(|(k, v)| (k.to_owned(), v.to_owned()));
            if pair.is_some_and(|pair| lines_tx.send(pair).is_err()) {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|(k, _): &(String, String)| k == "pubsub-token") {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| Error::NoEndpoint("pubsub-token"))?;
        lines.push(line);
    }
    Ok((sim, lines))
}

/// Asks the child to stop (SIGTERM) and waits for it, at most 10 s; the time it took, if it stopped.
fn stop_sim(sim: &mut Sim) -> Option<Duration> {
    let start = std::time::Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &sim.child.id().to_string()])
        .status();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = sim.child.try_wait() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = sim.child.kill();
    let _ = sim.child.wait();
    None
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("soak: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<bool, Error> {
    let files = tls::cert_files()?;
    let (mut sim, lines) = start_sim(args, &files)?;
    let pid = sim.child.id();
    let get = |key: &str| lines.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let targets = Arc::new(Targets {
        endrpi: get("endrpi").ok_or(Error::NoEndpoint("endrpi"))?,
        xarm: get("xarm").ok_or(Error::NoEndpoint("xarm"))?,
        pubsub: get("pubsub").ok_or(Error::NoEndpoint("pubsub"))?,
        token: get("pubsub-token").ok_or(Error::NoEndpoint("pubsub-token"))?,
        tls: tls::client_config(&files.der)?,
    });
    let rt = runtime(args.threads, "soak-client")?;
    let outcome = rt.block_on(load(args, targets, pid));
    let shutdown = stop_sim(&mut sim);
    drop(rt);
    let report = outcome?;
    Ok(summarize(args, &report, &sim, shutdown))
}

/// Everything the load measured.
struct Report {
    connect_time: Duration,
    served: Vec<(Device, Served)>,
    slow: usize,
    slow_closed: usize,
    samples: Vec<(Duration, Usage)>,
    child_lost: bool,
    counts: Arc<Counts>,
}

async fn load(args: &Args, targets: Arc<Targets>, pid: u32) -> Result<Report, Error> {
    let started = Instant::now();
    let slow_every = if args.slow_share > 0.0 {
        (1.0 / args.slow_share).round() as usize
    } else {
        usize::MAX
    };
    let mut well = Vec::new();
    let mut slow = Vec::new();
    let gate = Arc::new(Semaphore::new(64));
    let connects: Vec<_> = (0..args.clients)
        .map(|c| {
            let (targets, gate) = (targets.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await;
                let device = DEVICES[c % 3];
                let mut ws = targets.connect(device).await?;
                if device == Device::Pubsub {
                    // Slow readers take the 10 Hz odometry, the others the 1 Hz battery.
                    subscribe(&mut ws, if c % slow_every == 0 { "odom" } else { "battery" }).await?;
                }
                Ok::<_, Error>((c, device, ws))
            })
        })
        .collect();
    for task in connects {
        let (c, device, ws) = task.await??;
        if c % slow_every == 0 {
            slow.push((c, device, ws))
        } else {
            well.push((c, device, ws))
        }
    }
    let connect_time = started.elapsed();
    println!(
        "connected {} clients ({} stop reading) in {:.1} s",
        args.clients,
        slow.len(),
        connect_time.as_secs_f64()
    );
    let begin = Instant::now();
    let plan = Plan {
        warm: begin + Duration::from_secs(args.warmup),
        end: begin + Duration::from_secs(args.duration),
        interval: Duration::from_millis(args.interval_ms.max(10)),
        bound: Duration::from_millis(args.bound_ms),
    };
    let slow_count = slow.len();
    let well_tasks: Vec<_> = well
        .into_iter()
        .map(|(c, device, ws)| tokio::spawn(async move { (device, well_behaved(ws, device, c, plan).await) }))
        .collect();
    let slow_tasks: Vec<_> = slow
        .into_iter()
        .map(|(c, device, ws)| tokio::spawn(stops_reading(ws, device, c, plan.end)))
        .collect();
    let counts = Arc::new(Counts::default());
    let churn = {
        let (targets, counts) = (targets.clone(), counts.clone());
        tokio::spawn(every(args.churn, plan.end, move |i| {
            let (targets, counts) = (targets.clone(), counts.clone());
            async move {
                let counter = match churn_once(&targets, i, plan.bound).await {
                    Ok(()) => &counts.churn_ok,
                    Err(_) => &counts.churn_failed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }))
    };
    let bad = {
        let (targets, counts) = (targets.clone(), counts.clone());
        tokio::spawn(every(args.bad, plan.end, move |i| {
            let (targets, counts) = (targets.clone(), counts.clone());
            async move {
                match bad_once(&targets, i).await {
                    Ok(()) => counts.bad_answered.fetch_add(1, Ordering::Relaxed),
                    Err(problem) => {
                        if let Ok(mut first) = counts.first_bad_problem.lock() {
                            first.get_or_insert(problem);
                        }
                        counts.bad_unanswered.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }))
    };
    let mut samples = Vec::new();
    let mut child_lost = false;
    let mut next = plan.warm;
    // The last sample comes before the end, when the clients start closing.
    while next < plan.end {
        sleep_until(next).await;
        match proc_stats::usage(pid) {
            Some(usage) => samples.push((next - begin, usage)),
            None => {
                child_lost = true;
                break;
            }
        }
        next += Duration::from_secs(args.sample.max(1));
    }
    let mut served = Vec::new();
    for task in well_tasks {
        served.push(task.await?);
    }
    let mut slow_closed = 0;
    for task in slow_tasks {
        slow_closed += usize::from(task.await?);
    }
    churn.await?;
    bad.await?;
    Ok(Report {
        connect_time,
        served,
        slow: slow_count,
        slow_closed,
        samples,
        child_lost,
        counts,
    })
}

/// Prints the figures; true when the run passed.
fn summarize(args: &Args, report: &Report, sim: &Sim, shutdown: Option<Duration>) -> bool {
    println!("sample  t_s  rss_mib  open_files");
    for (i, (t, usage)) in report.samples.iter().enumerate() {
        println!(
            "{i:>6} {:>4} {:>8.1} {:>11}",
            t.as_secs(),
            usage.rss_kib as f64 / 1024.0,
            usage.fds
        );
    }
    let rss: Vec<u64> = report.samples.iter().map(|(_, u)| u.rss_kib).collect();
    let fds: Vec<u64> = report.samples.iter().map(|(_, u)| u.fds).collect();
    let rss_growth_mib = growth(&rss, 3) as f64 / 1024.0;
    let fd_growth = growth(&fds, 3);
    println!("after warm-up: rss growth {rss_growth_mib:+.1} MiB, open files growth {fd_growth:+}");

    let mut ok = true;
    let mut check = |pass: bool, what: String| {
        if !pass {
            println!("FAIL: {what}");
            ok = false;
        }
    };
    println!("device   clients  round_trips  p50_ms  p99_ms  max_ms  misses");
    for device in DEVICES {
        let mine: Vec<&Served> = report
            .served
            .iter()
            .filter(|(d, _)| *d == device)
            .map(|(_, s)| s)
            .collect();
        let mut all: Vec<Duration> = mine.iter().flat_map(|s| s.latencies.iter().copied()).collect();
        let misses: u64 = mine.iter().map(|s| s.misses).sum();
        let (p50, p99) = (percentile(&mut all, 50.0), percentile(&mut all, 99.0));
        let max = all.last().copied().unwrap_or_default();
        println!(
            "{:<8} {:>7} {:>12} {:>7.1} {:>7.1} {:>7.1} {:>7}",
            format!("{device:?}").to_lowercase(),
            mine.len(),
            all.len(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            misses
        );
        let problem = mine.iter().find_map(|s| s.first_problem.clone()).unwrap_or_default();
        check(
            misses == 0,
            format!("{misses} {device:?} round trips missed {} ms: {problem}", args.bound_ms),
        );
        check(!all.is_empty(), format!("no {device:?} round trip after warm-up"));
    }
    let c = &report.counts;
    println!(
        "connect phase {:.1} s; stop-reading clients {} (closed by the server: {}); churn {} ok, {} failed; \
         bad input {} answered, {} not",
        report.connect_time.as_secs_f64(),
        report.slow,
        report.slow_closed,
        c.churn_ok.load(Ordering::Relaxed),
        c.churn_failed.load(Ordering::Relaxed),
        c.bad_answered.load(Ordering::Relaxed),
        c.bad_unanswered.load(Ordering::Relaxed),
    );
    if let Ok(Some(problem)) = c.first_bad_problem.lock().as_deref() {
        println!("first unanswered bad input: {problem}");
    }
    let panics = sim.panics.load(Ordering::Relaxed);
    println!(
        "simulator stderr: {panics} panics, {} warnings; shutdown {}",
        sim.warnings.load(Ordering::Relaxed),
        shutdown.map_or("did not finish in 10 s".into(), |d| format!(
            "took {} ms",
            d.as_millis()
        ))
    );
    check(!report.child_lost, "the simulator exited during the run".into());
    let first_panic = sim.first_panic.lock().ok().and_then(|p| p.clone()).unwrap_or_default();
    check(panics == 0, format!("the simulator panicked: {first_panic}"));
    check(
        rss_growth_mib <= args.rss_growth_mb as f64,
        format!(
            "rss grew {rss_growth_mib:.1} MiB (tolerance {} MiB)",
            args.rss_growth_mb
        ),
    );
    check(
        fd_growth <= args.fd_growth as i64,
        format!("open files grew {fd_growth} (tolerance {})", args.fd_growth),
    );
    check(report.samples.len() >= 2, "fewer than two samples after warm-up".into());
    println!("soak: {}", if ok { "passed" } else { "FAILED" });
    ok
}

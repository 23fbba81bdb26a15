//! `obico-fleet`: N simulated Obico agents (the simulator binary, `--obico-agents N`) and then N bare clients
//! dial one bare server, each side in its own process: connects/s, RSS per connected agent, frames/s.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use understudy_benches::obico_fleet::{self, Counters};
use understudy_benches::proc_stats;
use understudy_benches::{Error, runtime};

/// Runs the fleet comparison, or one of its child processes.
#[derive(Parser, Debug)]
#[command(name = "obico-fleet")]
struct Args {
    /// Fleet sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    agents: Vec<usize>,
    /// Seconds waited once every agent is connected, before frames are counted (an agent's startup burst
    /// and its boosted status 10 s later come first).
    #[arg(long, default_value_t = 15)]
    settle_s: u64,
    /// Seconds of frames counted after the settling: one idle cadence (50 s), so every agent counts once.
    #[arg(long, default_value_t = 50)]
    window_s: u64,
    /// Seconds the whole fleet may take to connect.
    #[arg(long, default_value_t = 120)]
    connect_timeout_s: u64,
    /// The simulator binary (default: `understudy-sim` beside this one).
    #[arg(long)]
    sim: Option<PathBuf>,
    /// Ms between two agents' starts, on both sides (`--obico-stagger-ms` of the simulator); 0 starts all at once.
    #[arg(long, default_value_t = 0)]
    stagger_ms: u64,
    /// The bare clients' status frame size in bytes (the real agent's idle status).
    #[arg(long, default_value_t = 1004)]
    frame_bytes: usize,
    /// The bare clients' status cadence in ms (the real agent's idle cadence; boosted it is 10 s).
    #[arg(long, default_value_t = 50_000)]
    interval_ms: u64,
    /// Child mode: serve on this address and print counters until stdin closes.
    #[arg(long, hide = true)]
    serve: Option<SocketAddr>,
    /// Child mode: run this many bare clients against `--server` until stdin closes.
    #[arg(long, hide = true)]
    bare_clients: Option<usize>,
    /// The server the bare clients dial.
    #[arg(long, hide = true)]
    server: Option<SocketAddr>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match (args.serve, args.bare_clients, args.server) {
        (Some(addr), _, _) => serve_child(addr),
        (None, Some(n), Some(server)) => bare_child(&args, n, server),
        _ => compare(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("obico-fleet: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Blocks until stdin ends (the parent closed it or died).
fn until_stdin_closes() {
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
        sink.clear();
    }
}

/// The server child: prints `listening ADDR`, then a counters line every 100 ms.
fn serve_child(addr: SocketAddr) -> Result<(), Error> {
    let rt = runtime(1, "fleet-server")?;
    let counters = Arc::new(Counters::default());
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr))?;
    println!("listening {}", listener.local_addr()?);
    rt.spawn(obico_fleet::serve(listener, counters.clone()));
    let printer = counters.clone();
    std::thread::spawn(move || {
        let mut out = std::io::stdout();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if writeln!(out, "{}", printer.line()).and_then(|_| out.flush()).is_err() {
                return;
            }
        }
    });
    until_stdin_closes();
    Ok(())
}

/// The bare client child: `n` agents, staggered over one cadence, until stdin closes.
fn bare_child(args: &Args, n: usize, server: SocketAddr) -> Result<(), Error> {
    let rt = runtime(1, "fleet-bare")?;
    let frame = obico_fleet::status_frame(args.frame_bytes);
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let connected = Arc::new(AtomicU64::new(0));
    let stagger = Duration::from_millis(args.stagger_ms);
    for i in 0..n {
        let phase = interval.mul_f64(i as f64 / n.max(1) as f64);
        let agent = obico_fleet::bare_agent(server, i + 1, frame.clone(), interval, phase, connected.clone());
        let start = stagger * u32::try_from(i).unwrap_or(u32::MAX);
        rt.spawn(async move {
            tokio::time::sleep(start).await;
            if let Err(error) = agent.await {
                eprintln!("bare agent {}: {error}", i + 1);
            }
        });
    }
    until_stdin_closes();
    Ok(())
}

/// The latest counters line of the server child.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    accepted: u64,
    open: u64,
    frames: u64,
    bytes: u64,
}

/// A server child and the counters it last printed.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl Server {
    fn start(me: &PathBuf, host: u8) -> Result<Server, Error> {
        let mut child = Command::new(me)
            .arg("--serve")
            .arg(format!("127.0.0.{host}:0"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Spawn("the fleet server".into(), e))?;
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().ok_or(Error::Closed)?).lines();
        let first = lines.next().ok_or(Error::Closed)??;
        let addr = first
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .ok_or(Error::Closed)?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let v: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
                if let [_rest, accepted, open, frames, bytes] = v[..] {
                    *sink.lock().unwrap_or_else(|p| p.into_inner()) = Seen {
                        accepted,
                        open,
                        frames,
                        bytes,
                    };
                }
            }
        });
        Ok(Server {
            child,
            stdin,
            addr,
            seen,
        })
    }

    fn seen(&self) -> Seen {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// One measured fleet.
struct Figures {
    connect_s: f64,
    rss_kib_per_agent: f64,
    frames_per_s: f64,
    bytes_per_frame: f64,
    open: u64,
}

fn compare(args: &Args) -> Result<(), Error> {
    let me = std::env::current_exe()?;
    let sim = args.sim.clone().unwrap_or_else(|| me.with_file_name("understudy-sim"));
    println!(
        "Obico fleet on loopback, each side its own process; frames counted for {} s from {} s after the whole \
         fleet is connected; agents start {} ms apart; bare clients send {} B every {} ms",
        args.window_s, args.settle_s, args.stagger_ms, args.frame_bytes, args.interval_ms
    );
    println!(
        "{:>6} {:<5} {:>10} {:>11} {:>12} {:>10} {:>8} {:>6}",
        "N", "side", "connect s", "connects/s", "RSS KiB/agt", "frames/s", "B/frame", "open"
    );
    let mut host = 2u8;
    for &n in &args.agents {
        for side in ["sim", "bare"] {
            let server = Server::start(&me, host)?;
            host = host.wrapping_add(1).max(2);
            let mut child = match side {
                "sim" => Command::new(&sim)
                    .args([
                        "--only",
                        "obico",
                        "--no-control",
                        "--obico-token",
                        "tok-{n}",
                        "--obico-stagger-ms",
                        "0",
                    ])
                    .arg("--obico-server")
                    .arg(format!("http://{}", server.addr))
                    .arg("--obico-agents")
                    .arg(n.to_string())
                    .env("RUST_LOG", "warn")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .spawn()
                    .map_err(|e| Error::Spawn(sim.display().to_string(), e))?,
                _ => Command::new(&me)
                    .arg("--bare-clients")
                    .arg(n.to_string())
                    .arg("--server")
                    .arg(server.addr.to_string())
                    .arg("--frame-bytes")
                    .arg(args.frame_bytes.to_string())
                    .arg("--interval-ms")
                    .arg(args.interval_ms.to_string())
                    .arg("--stagger-ms")
                    .arg(args.stagger_ms.to_string())
                    .stdin(Stdio::piped())
                    .spawn()
                    .map_err(|e| Error::Spawn("the bare clients".into(), e))?,
            };
            let figures = measure(args, n, &server, &child);
            let _ = child.kill();
            let _ = child.wait();
            server.stop();
            match figures {
                Ok(f) => println!(
                    "{:>6} {:<5} {:>10.2} {:>11.0} {:>12.1} {:>10.1} {:>8.0} {:>6}",
                    n,
                    side,
                    f.connect_s,
                    n as f64 / f.connect_s,
                    f.rss_kib_per_agent,
                    f.frames_per_s,
                    f.bytes_per_frame,
                    f.open
                ),
                Err(connected) => println!(
                    "{n:>6} {side:<5} {connected} of {n} connected within {} s",
                    args.connect_timeout_s
                ),
            }
        }
    }
    Ok(())
}

/// Waits for `n` accepted sockets, then counts frames for the window and reads the child's RSS.
fn measure(args: &Args, n: usize, server: &Server, child: &Child) -> Result<Figures, u64> {
    let started = Instant::now();
    let limit = Duration::from_secs(args.connect_timeout_s.max(1));
    while server.seen().accepted < n as u64 {
        if started.elapsed() > limit {
            return Err(server.seen().accepted);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let connect_s = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(args.settle_s));
    let before = server.seen();
    let window = Instant::now();
    std::thread::sleep(Duration::from_secs(args.window_s.max(1)));
    let after = server.seen();
    let elapsed = window.elapsed().as_secs_f64();
    let rss = proc_stats::usage(child.id()).map_or(f64::NAN, |u| u.rss_kib as f64);
    let frames = after.frames - before.frames;
    Ok(Figures {
        connect_s,
        rss_kib_per_agent: rss / n as f64,
        frames_per_s: frames as f64 / elapsed,
        bytes_per_frame: (after.bytes - before.bytes) as f64 / frames.max(1) as f64,
        open: after.open,
    })
}

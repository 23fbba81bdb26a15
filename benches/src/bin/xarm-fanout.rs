//! `xarm-fanout`: the xArm's 10 Hz `devices_status_report` fan-out to N clients, simulator vs a bare
//! broadcast server sending the same frame; clients run in a child process (one per step) for the fd limit,
//! and the server threads' CPU time over each window, per delivered frame, is printed beside the lag.

use std::io::{BufRead, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use understudy_benches::bare_broadcast::BareBroadcast;
use understudy_benches::cpu::threads_cpu;
use understudy_benches::fanout::{self, FanoutReport};
use understudy_benches::load_client::Client;
use understudy_benches::{Error, runtime};
use understudy_sim::{ClockMode, SimConfig, Simulator};

/// The name of the parent's server runtime threads (the simulator's and the bare server's), whose CPU time is
/// what a delivered frame costs.
const SERVER_THREADS: &str = "server";

/// The status report's marker, found in its first bytes.
const MARKER: &str = "devices_status_report";

#[derive(Parser, Debug)]
#[command(name = "xarm-fanout")]
struct Args {
    /// Client counts to try, in order; a target stops at its first failing count.
    #[arg(long, value_delimiter = ',', default_value = "1000,2000,4000,7000,10000")]
    ladder: Vec<usize>,
    /// Seconds each step records for, once every client is connected.
    #[arg(long, default_value_t = 5.0)]
    window: f64,
    /// Report rate (Hz), the simulator's default.
    #[arg(long, default_value_t = 10)]
    hz: u32,
    /// The p99 lag a step must stay under (ms).
    #[arg(long, default_value_t = 50)]
    lag_ms: u64,
    /// Which targets, in order (sim, bare).
    #[arg(long, value_delimiter = ',', default_value = "sim,bare")]
    targets: Vec<String>,
    /// Worker threads of the servers' runtime (parent process) and of the clients' (child).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Run as the client process: connect to this URL, measure, print one JSON line.
    #[arg(long, hide = true)]
    client: Option<String>,
    /// Clients in the client process.
    #[arg(long, hide = true, default_value_t = 0)]
    n: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.client {
        Some(url) => client_main(&args, url),
        None => parent_main(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xarm-fanout: {error}");
            ExitCode::FAILURE
        }
    }
}

fn client_main(args: &Args, url: &str) -> Result<(), Error> {
    // Bounded whatever happens to the server: connect (20 s at worst) + window + closing.
    let limit = Duration::from_secs_f64(args.window.clamp(0.5, 120.0) + 60.0);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("xarm-fanout client: over time, stopping");
        std::process::exit(3);
    });
    let rt = runtime(args.threads, "client")?;
    let report = rt.block_on(fanout::measure(
        url,
        args.n,
        args.hz,
        fanout::Window {
            window: Duration::from_secs_f64(args.window.clamp(0.5, 120.0)),
            settle: Duration::from_millis(1000),
            mark: Arc::new(|mark: &str| {
                println!("mark {mark}");
                let _ = std::io::stdout().flush();
            }),
        },
        MARKER,
        128,
    ));
    let line = json!({
        "clients": report.clients, "connected": report.connected, "expected": report.expected,
        "min_share": report.min_share, "short_clients": report.short_clients,
        "lag_p50_us": report.lag_p50.as_micros() as u64, "lag_p99_us": report.lag_p99.as_micros() as u64,
        "lag_max_us": report.lag_max.as_micros() as u64, "delivered": report.delivered,
    });
    println!("{line}");
    Ok(())
}

/// Runs one step in a child process and reads its report, with the server threads' CPU time over the window.
fn step(args: &Args, url: &str, n: usize) -> Result<(FanoutReport, Option<Duration>), Error> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--client",
            url,
            "--n",
            &n.to_string(),
            "--window",
            &args.window.to_string(),
        ])
        .args(["--hz", &args.hz.to_string(), "--threads", &args.threads.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or(Error::Closed)?;
    // The child marks the window's start and end: the server's CPU time is read at each.
    let (mut started, mut used) = (None, None);
    let mut line = String::new();
    for next in std::io::BufReader::new(stdout).lines() {
        let next = next?;
        match next.as_str() {
            "mark start" => started = threads_cpu(SERVER_THREADS),
            "mark end" => {
                used = threads_cpu(SERVER_THREADS)
                    .zip(started)
                    .map(|(end, start)| end.saturating_sub(start))
            }
            _ => {
                line = next;
                break;
            }
        }
    }
    child.wait()?;
    let v: Value = serde_json::from_str(&line).map_err(|_| Error::Closed)?;
    let us = |key: &str| Duration::from_micros(v[key].as_u64().unwrap_or(u64::MAX / 4));
    let report = FanoutReport {
        clients: n,
        connected: v["connected"].as_u64().unwrap_or(0) as usize,
        expected: v["expected"].as_u64().unwrap_or(0),
        min_share: v["min_share"].as_f64().unwrap_or(0.0),
        short_clients: v["short_clients"].as_u64().unwrap_or(n as u64) as usize,
        delivered: v["delivered"].as_u64().unwrap_or(0),
        lag_p50: us("lag_p50_us"),
        lag_p99: us("lag_p99_us"),
        lag_max: us("lag_max_us"),
    };
    Ok((report, used))
}

fn parent_main(args: &Args) -> Result<(), Error> {
    let rt = runtime(args.threads, SERVER_THREADS)?;
    let (sim, bare) = rt.block_on(async {
        let config = SimConfig {
            clock: ClockMode::Realtime { speed: 1.0 },
            only: Some(vec!["xarm".into()]),
            ..SimConfig::for_tests(0)
        };
        let sim = Simulator::start(config).await?;
        let url = sim.url("xarm").ok_or(Error::NoEndpoint("xarm"))?.to_string();
        // The bare server sends a real status report, so both send frames of the same size.
        let mut client = Client::connect(&url).await?;
        let frame = loop {
            let text = client.next_text().await?;
            if text.as_str().contains(MARKER) {
                break text;
            }
        };
        client.close().await;
        let mut bare = BareBroadcast::start().await?;
        bare.tick(
            Utf8Bytes::from(frame.as_str()),
            Duration::from_secs_f64(1.0 / f64::from(args.hz.max(1))),
        );
        println!("status report: {} bytes", frame.len());
        Ok::<_, Error>((sim, bare))
    })?;
    let sim_url = sim.url("xarm").ok_or(Error::NoEndpoint("xarm"))?.to_string();
    let lag = Duration::from_millis(args.lag_ms);
    println!("target  clients  connected  min_share  short  lag_p50_ms  lag_p99_ms  lag_max_ms  cpu_us/frame  pass");
    // Step by step, the targets take turns (alternating who goes first), so that a burst of other load on
    // the machine falls on both; a target drops out at its first failing step.
    let targets: Vec<(&str, &str)> = args
        .targets
        .iter()
        .filter_map(|t| match t.as_str() {
            "sim" => Some(("sim", sim_url.as_str())),
            "bare" => Some(("bare", bare.url())),
            _ => None,
        })
        .collect();
    let mut best: Vec<(&str, usize)> = targets.iter().map(|(name, _)| (*name, 0)).collect();
    let mut alive = vec![true; targets.len()];
    for (i, &n) in args.ladder.iter().enumerate() {
        let mut order: Vec<usize> = (0..targets.len()).collect();
        if i % 2 == 1 {
            order.reverse();
        }
        for t in order {
            if !alive[t] {
                continue;
            }
            let (target, url) = targets[t];
            let (report, cpu) = step(args, url, n)?;
            let pass = report.passes(lag);
            let per_frame = cpu
                .filter(|_| report.delivered > 0)
                .map_or(f64::NAN, |cpu| cpu.as_secs_f64() * 1e6 / report.delivered as f64);
            println!(
                "{target:<6}  {n:>7}  {:>9}  {:>9.3}  {:>5}  {:>10.1}  {:>10.1}  {:>10.1}  {:>12.2}  {}",
                report.connected,
                report.min_share,
                report.short_clients,
                ms(report.lag_p50),
                ms(report.lag_p99),
                ms(report.lag_max),
                per_frame,
                if pass { "yes" } else { "no" }
            );
            if pass {
                best[t].1 = n;
            } else {
                alive[t] = false;
            }
            // Let the server finish closing the step's connections.
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    for (target, largest) in &best {
        println!("largest passing N ({target}): {largest}");
    }
    if let [(_, sim_n), (_, bare_n)] = best.as_slice() {
        if *bare_n > 0 {
            println!("sim/bare capacity ratio: {:.2}", *sim_n as f64 / *bare_n as f64);
        }
    }
    drop(bare);
    drop(sim);
    drop(rt);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

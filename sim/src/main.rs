//! `understudy-sim`: starts the simulated devices, prints one line per socket (`NAME URL`; in a fleet
//! `NAME-INDEX URL`) and per device announcement (`KEY VALUE`, e.g. a certificate to trust) for scripts to
//! read, and on Ctrl-C (or SIGTERM)
//! closes every connection with a close frame and flushes the transcript. `understudy-sim token` prints a JWT;
//! `understudy-sim record` proxies a real device and writes what passes to a transcript.

use tracing_subscriber::EnvFilter;
use understudy_sim::cli::{Cli, Command};
use understudy_sim::record::{RecordArgs, Recorder};
use understudy_sim::{Clock, ClockMode, Simulator};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Command::Token(args)) = &cli.command {
        // Tokens carry Unix times; outside a running simulation that is the wall clock.
        let clock = Clock::new(ClockMode::Realtime { speed: 1.0 });
        println!("{}", args.mint(clock.unix_ms()));
        return std::process::ExitCode::SUCCESS;
    }
    if let Some(Command::Record(args)) = &cli.command {
        return record(args).await;
    }
    let simulator = match Simulator::start(cli.config()).await {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("understudy-sim: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("seed {}", simulator.seed());
    if cli.globals.fleet.fleet.is_some() || cli.globals.fleet.fleet_shard.count > 1 {
        println!("fleet-shard {}", cli.globals.fleet.fleet_shard);
    }
    for endpoint in simulator.endpoints() {
        println!("{} {}", endpoint.label, endpoint.url);
    }
    for (key, value) in simulator.announcements() {
        println!("{key} {value}");
    }
    if let Some(url) = simulator.control_url() {
        println!("control {url}");
    }
    if let (Some(token), None) = (simulator.control_token(), &cli.globals.control.control_token) {
        // The generated token is printed here once, for the user, and nowhere else.
        println!("control-token {token}");
    }
    wait_for_stop_signal().await;
    eprintln!("understudy-sim: shutting down");
    simulator.shutdown().await;
    std::process::ExitCode::SUCCESS
}

/// Runs the recorder until Ctrl-C or SIGTERM, then flushes its transcript.
async fn record(args: &RecordArgs) -> std::process::ExitCode {
    let recorder = match Recorder::start(args).await {
        Ok(recorder) => recorder,
        Err(error) => {
            eprintln!("understudy-sim record: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("{} {}", recorder.name(), recorder.addr());
    wait_for_stop_signal().await;
    eprintln!("understudy-sim record: stopping");
    recorder.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

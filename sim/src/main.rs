//! `understudy-sim`: starts the simulated devices, prints one line per socket (`NAME URL`) for scripts to
//! read, and on Ctrl-C (or SIGTERM) closes every connection with a close frame and flushes the transcript.

use clap::Parser;
use tracing_subscriber::EnvFilter;
use understudy_sim::Simulator;
use understudy_sim::cli::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let simulator = match Simulator::start(cli.config()).await {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("understudy-sim: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("seed {}", simulator.seed());
    for endpoint in simulator.endpoints() {
        println!("{} {}", endpoint.name, endpoint.url);
    }
    if let Some(url) = simulator.control_url() {
        println!("control {url}");
    }
    wait_for_stop_signal().await;
    eprintln!("understudy-sim: shutting down");
    simulator.shutdown().await;
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

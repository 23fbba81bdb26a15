//! `understudy-check`: runs the conformance features against the in-process simulator (no `--target`) or
//! against physical devices (`--target endrpi=ws://HOST:PORT/`), prints the report and exits non-zero on failure.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use understudy_conformance::runner::{self, PROTOCOLS, RunConfig};

/// Check a device (or the simulator) against the protocol rules.
#[derive(Debug, Parser)]
#[command(name = "understudy-check", version, about)]
struct Cli {
    /// A physical target, PROTOCOL=URL (repeatable), e.g. endrpi=ws://10.0.0.7:5000/. Without any, the
    /// in-process simulator is checked.
    #[arg(long = "target", value_parser = parse_target)]
    targets: Vec<(String, String)>,
    /// Cucumber tag expression selecting scenarios, e.g. 'not @pi-hardware'.
    #[arg(long)]
    tags: Option<String>,
    /// Run @motion scenarios (they move real hardware) against physical targets.
    #[arg(long)]
    allow_motion: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// The features directory.
    #[arg(long, default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// The JSON Schema directory.
    #[arg(long, default_value_os_t = understudy_conformance::schema::default_dir().to_path_buf())]
    schemas: PathBuf,
    /// Simulator seed for in-process runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Scenarios run at once against the in-process simulator (physical targets: always 1).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// A token for targets that need one (the pub/sub robot's JWT).
    #[arg(long)]
    token: Option<String>,
    /// Accept a self-signed or otherwise unverifiable TLS certificate from the target.
    #[arg(long)]
    insecure: bool,
}

fn parse_target(text: &str) -> Result<(String, String), String> {
    let (protocol, url) = text
        .split_once('=')
        .ok_or("expected PROTOCOL=URL, e.g. endrpi=ws://10.0.0.7:5000/")?;
    if !PROTOCOLS.contains(&protocol) {
        return Err(format!("unknown protocol {protocol} (known: {})", PROTOCOLS.join(", ")));
    }
    if !(url.starts_with("ws://") || url.starts_with("wss://")) {
        return Err(format!("{url} is not a ws:// or wss:// URL"));
    }
    Ok((protocol.to_string(), url.to_string()))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = RunConfig {
        features: cli.features,
        schemas: cli.schemas,
        targets: cli.targets.into_iter().collect::<BTreeMap<_, _>>(),
        tags: cli.tags,
        allow_motion: cli.allow_motion,
        seed: cli.seed,
        concurrency: cli.concurrency,
        token: cli.token,
        insecure_tls: cli.insecure,
    };
    let report = match runner::run(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("understudy-check: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    print!("{}", report.console());
    if let Some(path) = cli.junit {
        if let Err(error) = std::fs::write(&path, report.junit()) {
            eprintln!("understudy-check: cannot write {}: {error}", path.display());
            return std::process::ExitCode::from(2);
        }
    }
    if report.has_failures() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

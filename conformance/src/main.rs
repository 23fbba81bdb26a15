//! `understudy-check`: runs the conformance features against the in-process simulator (no `--target`), a
//! simulator in another process (`--target` + `--control`), physical devices (`--target endrpi=ws://HOST:PORT/`)
//! or devices that dial in (`--target PROTOCOL=listen://HOST:PORT`, `listen+tls://` for TLS); each protocol adds
//! its own flags and finds its more sockets from its target. It prints the report and exits with a code a CI
//! can trust.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};
use understudy_conformance::fleet;
use understudy_conformance::listen::{ListenIdentity, listen_address};
use understudy_conformance::progress::ProgressMode;
use understudy_conformance::report::Report;
use understudy_conformance::runner::{self, RunConfig};
use understudy_conformance::steps::{protocol_names, protocol_options, with_protocol_flags};
use understudy_conformance::target::check_url;

/// Every scenario that ran passed, and at least one ran.
const PASSED: u8 = 0;
/// A scenario failed, or a target could not be reached.
const FAILED: u8 = 1;
/// The command line or the suite's files are wrong (clap's own usage errors exit 2 too).
const USAGE: u8 = 2;
/// No scenario ran: every one was skipped or excluded.
const NOTHING_RAN: u8 = 3;

/// Check a device (or the simulator) against the protocol rules.
#[derive(Debug, Parser)]
#[command(name = "understudy-check", version, about)]
struct Cli {
    /// A target, PROTOCOL=URL (repeatable): ws:// or wss:// to dial a device (endrpi=ws://10.0.0.7:5000/), an
    /// ESP3D board's HTTP URL (esp3d=http://10.0.0.9:80/), or listen://HOST:PORT to wait for a device that dials the checker (listen+tls://HOST:PORT: with TLS). Without any, the in-process simulator.
    #[arg(long = "target", value_parser = parse_target)]
    targets: Vec<(String, String)>,
    /// Check every device of FILE instead: a fleet map (the simulator's --fleet-map) or a JSON list
    /// `[{"name": "printer-7", "target": {"esp3d": "http://10.0.0.7:80/"}}]`. --junit and --report then name
    /// directories, with one file per device.
    #[arg(long = "targets", value_name = "FILE", conflicts_with = "targets")]
    targets_file: Option<PathBuf>,
    /// With --targets: the devices checked at once (each one's scenarios one at a time).
    #[arg(long, default_value_t = understudy_conformance::fleet::DEFAULT_PARALLEL, requires = "targets_file")]
    parallel: usize,
    /// The control API of the simulator serving the targets (e.g. http://127.0.0.1:7400/): @sim-only
    /// scenarios then run against it.
    #[arg(long)]
    control: Option<String>,
    /// The bearer token of that control API, when the simulator requires one (its --control-token, or the
    /// `control-token` it printed at start).
    #[arg(long, env = "UNDERSTUDY_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
    /// Do not reset the simulator behind --control to its start state before each scenario (scenarios then
    /// find what the previous ones left).
    #[arg(long, requires = "control")]
    no_reset: bool,
    /// The PEM certificate chain a listen+tls:// target serves (with --listen-key; neither: a self-signed
    /// certificate, its file and SHA-256 fingerprint printed at start).
    #[arg(long, value_name = "PEM", requires = "listen_key")]
    listen_cert: Option<PathBuf>,
    /// The PEM private key of --listen-cert.
    #[arg(long, value_name = "PEM", requires = "listen_cert")]
    listen_key: Option<PathBuf>,
    /// Seconds a listening target waits for the device to connect, per connection.
    #[arg(long, default_value_t = 30)]
    accept_wait: u64,
    /// Cucumber tag expression selecting scenarios, e.g. 'not @pi-hardware'.
    #[arg(long)]
    tags: Option<String>,
    /// Run @motion scenarios (they move real hardware) against external targets.
    #[arg(long)]
    allow_motion: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a report in FORMAT to FILE (`--report html report.html`: one self-contained page).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    report: Vec<String>,
    /// The features directory.
    #[arg(long, default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// The JSON Schema directory.
    #[arg(long, default_value_os_t = understudy_conformance::schema::default_dir().to_path_buf())]
    schemas: PathBuf,
    /// Simulator seed for in-process runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Scenarios run at once against the in-process simulator (external targets: always 1).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// A token for targets that need one (the pub/sub robot's JWT).
    #[arg(long)]
    token: Option<String>,
    /// Accept a self-signed or otherwise unverifiable TLS certificate from the target.
    #[arg(long)]
    insecure: bool,
    /// Progress on stderr: auto (a redrawn line on a terminal, else a plain line per scenario), line, plain
    /// or off.
    #[arg(long, default_value = "auto")]
    progress: ProgressFlag,
}

/// `--progress`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ProgressFlag {
    Auto,
    Line,
    Plain,
    Off,
}

impl ProgressFlag {
    fn mode(self) -> ProgressMode {
        use std::io::IsTerminal as _;
        match self {
            ProgressFlag::Auto if std::io::stderr().is_terminal() => ProgressMode::Line,
            ProgressFlag::Auto | ProgressFlag::Plain => ProgressMode::Plain,
            ProgressFlag::Line => ProgressMode::Line,
            ProgressFlag::Off => ProgressMode::Off,
        }
    }
}

/// The formats `--report` writes.
const REPORT_FORMATS: &[&str] = &["html"];

/// The `--report FORMAT FILE` pair, checked.
fn report_file(values: &[String]) -> Result<Option<PathBuf>, String> {
    match values {
        [] => Ok(None),
        [format, file] if REPORT_FORMATS.contains(&format.as_str()) => Ok(Some(PathBuf::from(file))),
        [format, _] => Err(format!(
            "--report {format}: unknown format (known: {})",
            REPORT_FORMATS.join(", ")
        )),
        _ => Err("--report takes FORMAT FILE, e.g. --report html report.html".into()),
    }
}

fn parse_target(text: &str) -> Result<(String, String), String> {
    let (protocol, url) = text
        .split_once('=')
        .ok_or("expected PROTOCOL=URL, e.g. endrpi=ws://10.0.0.7:5000/")?;
    let known = protocol_names();
    if !known.contains(&protocol) {
        return Err(format!(
            "unknown protocol {protocol}: no features check it (known: {})",
            known.join(", ")
        ));
    }
    if listen_address(url).is_none() {
        check_url(url).map_err(|e| e.to_string())?;
    }
    Ok((protocol.to_string(), url.to_string()))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if std::env::args_os().nth(1).is_some_and(|word| word == "replay") {
        return understudy_conformance::replay::main(std::env::args_os().skip(1))
            .await
            .into();
    }
    if std::env::args_os().nth(1).is_some_and(|word| word == "export") {
        return understudy_conformance::asyncapi::main(std::env::args_os().skip(1)).into();
    }
    let matches = with_protocol_flags(Cli::command()).get_matches();
    let (cli, options) = match Cli::from_arg_matches(&matches).and_then(|cli| Ok((cli, protocol_options(&matches)?))) {
        Ok(parsed) => parsed,
        Err(error) => error.exit(),
    };
    let html = match report_file(&cli.report) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("understudy-check: {error}");
            return USAGE.into();
        }
    };
    let config = RunConfig {
        features: cli.features,
        schemas: cli.schemas,
        targets: cli.targets.into_iter().collect::<BTreeMap<_, _>>(),
        endpoints: BTreeMap::new(),
        options,
        listen_identity: ListenIdentity {
            cert: cli.listen_cert,
            key: cli.listen_key,
        },
        control: cli.control,
        control_token: cli.control_token,
        reset: !cli.no_reset,
        accept_wait: Duration::from_secs(cli.accept_wait),
        tags: cli.tags,
        allow_motion: cli.allow_motion,
        seed: cli.seed,
        concurrency: cli.concurrency,
        token: cli.token,
        insecure_tls: cli.insecure,
        progress: cli.progress.mode(),
    };
    if let Some(file) = cli.targets_file {
        return check_fleet(&config, &file, cli.parallel, cli.junit, html).await.into();
    }
    let report = match runner::run(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("understudy-check: {error}");
            return USAGE.into();
        }
    };
    print!("{}", report.console());
    for (path, render) in [(cli.junit, Report::junit as Render), (html, Report::html)] {
        if let Some(path) = path {
            if let Err(code) = write(&path, &render(&report)) {
                return code.into();
            }
        }
    }
    for line in &report.unreachable {
        eprintln!("understudy-check: {line}");
    }
    if report.has_failures() {
        FAILED.into()
    } else if report.nothing_ran() {
        eprintln!("understudy-check: no scenario ran against this target");
        NOTHING_RAN.into()
    } else {
        PASSED.into()
    }
}

/// A report written to a file.
type Render = fn(&Report) -> String;

/// Writes `text` to `path` (its directory made), or says why not and gives the usage exit code.
fn write(path: &Path, text: &str) -> Result<(), u8> {
    let made = path.parent().map_or(Ok(()), std::fs::create_dir_all);
    made.and_then(|()| std::fs::write(path, text)).map_err(|error| {
        eprintln!("understudy-check: cannot write {}: {error}", path.display());
        USAGE
    })
}

/// `--targets FILE`: every device of the file, a report per device (JUnit and HTML as one file per device in
/// the directories given), the fleet's summary and closing line; the exit code over every device.
async fn check_fleet(
    base: &RunConfig,
    file: &Path,
    parallel: usize,
    junit: Option<PathBuf>,
    html: Option<PathBuf>,
) -> u8 {
    let devices = match fleet::load(file) {
        Ok(devices) => devices,
        Err(error) => {
            eprintln!("understudy-check: {error}");
            return USAGE;
        }
    };
    let fleet = fleet::run(base, &devices, parallel, base.progress != ProgressMode::Off).await;
    print!("{}", fleet.console());
    for (dir, extension, render) in [(junit, "xml", Report::junit as Render), (html, "html", Report::html)] {
        let Some(dir) = dir else { continue };
        for (name, report) in fleet.reports() {
            let path = dir.join(format!("{}.{extension}", fleet::file_name(name)));
            if let Err(code) = write(&path, &render(report)) {
                return code;
            }
        }
    }
    if fleet.has_failures() {
        FAILED
    } else if fleet.nothing_ran() {
        eprintln!("understudy-check: no scenario ran against any device");
        NOTHING_RAN
    } else {
        PASSED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_with_every_protocols_flags_is_valid() {
        with_protocol_flags(Cli::command()).debug_assert();
        let matches = with_protocol_flags(Cli::command())
            .try_get_matches_from(["understudy-check", "--obico-token", "t", "--target", "esp3d=http://h/"])
            .unwrap();
        let options = protocol_options(&matches).unwrap();
        let flags = options.get::<understudy_conformance::steps::obico::ObicoFlags>();
        assert_eq!(flags.obico_token, "t");
    }
}

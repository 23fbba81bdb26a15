//! `understudy-check replay FILE`: plays the client side of a transcript against a target (a device by URL,
//! or the in-process simulator) and reports, frame by frame, how far its answers drift from the recorded ones.

pub mod allow;
pub mod drift;
mod play;
pub mod report;
pub mod script;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;
use understudy_sim::{ClockMode, SimConfig, Simulator};

use crate::client::{Transport, authority_of};
use crate::error::{Error, Result};
use crate::steps::PROTOCOLS;
use allow::Allowance;
use drift::{Class, Redactions};
use play::{Pacing, Sequencer};
use report::{DriftReport, Judged, Replayed};
use script::{Connection, Exchange, Frame, Script};
use serde_json::{Value, json};

/// Replay a transcript against a target and report the drift.
#[derive(Debug, clap::Parser)]
#[command(name = "understudy-check replay", version)]
pub struct ReplayArgs {
    /// The transcript: the simulator's `--transcript`, or `understudy-sim record --out`.
    pub transcript: PathBuf,
    /// ENDPOINT=URL, repeatable: where the connections labelled `ENDPOINT/N` go (endrpi=ws://10.0.0.7:5000/).
    /// Without any, a fresh in-process simulator.
    #[arg(long = "target", value_parser = parse_target)]
    pub targets: Vec<(String, String)>,
    /// Send each client frame as soon as what was recorded before it is done (sent, answered), instead of
    /// also waiting for its recorded time.
    #[arg(long)]
    pub fast: bool,
    /// Drift classes to accept anywhere (comma-separated): shape, different, missing, extra.
    #[arg(long, value_delimiter = ',', value_parser = parse_drift_class)]
    pub allow: Vec<Class>,
    /// A file of documented deviations to accept: `ENDPOINT KIND CLASS [PATH] # reason` per line.
    #[arg(long)]
    pub allow_file: Vec<PathBuf>,
    /// Write the drift report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here (a test case per connection).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// The in-process simulator's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run the in-process simulator on a virtual clock (time stands still) instead of the wall clock.
    #[arg(long)]
    pub virtual_clock: bool,
    /// A token sent as `?token=` on every WebSocket whose target URL has no query of its own.
    #[arg(long)]
    pub token: Option<String>,
    /// Accept any TLS certificate from the target.
    #[arg(long)]
    pub insecure: bool,
}

fn parse_target(text: &str) -> std::result::Result<(String, String), String> {
    let (endpoint, url) = text
        .split_once('=')
        .ok_or("expected ENDPOINT=URL, e.g. endrpi=ws://10.0.0.7:5000/")?;
    crate::target::check_url(url).map_err(|e| e.to_string())?;
    Ok((endpoint.to_string(), url.to_string()))
}

fn parse_drift_class(name: &str) -> std::result::Result<Class, String> {
    Class::parse(name)
        .filter(|c| c.is_drift())
        .ok_or_else(|| format!("{name}: want shape, different, missing or extra"))
}

/// Where each endpoint's connections go, and the simulator behind them when it is in process.
struct Targets {
    urls: BTreeMap<String, String>,
    sim: Option<Simulator>,
    insecure: bool,
}

impl Targets {
    async fn open(args: &ReplayArgs, script: &Script) -> Result<Targets> {
        if !args.targets.is_empty() {
            return Ok(Targets {
                urls: args.targets.iter().cloned().collect(),
                sim: None,
                insecure: args.insecure,
            });
        }
        let mut config = SimConfig::for_tests(args.seed);
        if !args.virtual_clock {
            config.clock = ClockMode::Realtime { speed: 1.0 };
        }
        let sim = Simulator::start(config)
            .await
            .map_err(|e| Error::Simulator(e.to_string()))?;
        let endpoints = script.connections.iter().map(|c| &c.endpoint);
        let urls = endpoints
            .chain(script.exchanges.iter().map(|e| &e.endpoint))
            .filter_map(|name| Some((name.clone(), sim.url(name)?.to_string())))
            .collect();
        Ok(Targets {
            urls,
            sim: Some(sim),
            insecure: false,
        })
    }

    fn describe(&self) -> String {
        let urls: Vec<String> = self
            .urls
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::client::redact(v)))
            .collect();
        match self.sim {
            Some(_) => format!("the in-process simulator ({})", urls.join(", ")),
            None => urls.join(", "),
        }
    }

    fn transport(&self, url: &str) -> Result<Transport> {
        if !url.starts_with("wss://") && !url.starts_with("https://") {
            return Ok(Transport::Plain);
        }
        Transport::tls(&crate::target::trust_for(self.sim.as_ref(), self.insecure))
    }

    /// The URL a recorded connection is replayed on: the target's scheme and authority, the recorded path, and
    /// the target's own query (or `?token=`).
    fn socket_url(&self, conn: &Connection, token: Option<&str>) -> Option<String> {
        let base = self.urls.get(&conn.endpoint)?;
        let scheme = base.split("://").next().unwrap_or("ws");
        let query = match (base.split_once('?'), token) {
            (Some((_, query)), _) => format!("?{query}"),
            (None, Some(token)) => format!("?token={token}"),
            (None, None) => String::new(),
        };
        Some(format!("{scheme}://{}{}{query}", authority_of(base), conn.path))
    }

    async fn shutdown(self) {
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

/// The redactions of the protocol an endpoint belongs to (`esp3d-data` is ESP3D's).
fn redactions_of(endpoint: &str) -> &'static Redactions {
    PROTOCOLS
        .iter()
        .find(|p| endpoint == p.name || endpoint.strip_prefix(p.name).is_some_and(|rest| rest.starts_with('-')))
        .map_or(&[], |p| p.redactions)
}

/// Replays `args.transcript` and judges what came back.
pub async fn replay(args: &ReplayArgs) -> Result<DriftReport> {
    let script = Script::load(&args.transcript)?;
    let mut allowance = Allowance::classes(args.allow.clone());
    for path in &args.allow_file {
        allowance.load_file(path)?;
    }
    let targets = Targets::open(args, &script).await?;
    let pacing = if args.fast {
        Pacing::Fast
    } else {
        Pacing::Recorded {
            zero: Instant::now() + Duration::from_millis(100),
            start: script.start(),
        }
    };
    let order = Sequencer::new(&script);
    let play = Play {
        targets: &targets,
        args,
        pacing,
        allowance: &allowance,
        order: &order,
    };
    let conns = script.connections.iter().map(|c| play.connection(c));
    let exchanges = script.exchanges.iter().map(|e| play.exchange(e));
    let (mut replayed, exchanges) = tokio::join!(join_all(conns), join_all(exchanges));
    replayed.extend(exchanges);
    let described = targets.describe();
    targets.shutdown().await;
    Ok(DriftReport::new(
        args.transcript.display().to_string(),
        described,
        replayed,
    ))
}

/// What every replayed connection and exchange shares.
struct Play<'a> {
    targets: &'a Targets,
    args: &'a ReplayArgs,
    pacing: Pacing,
    allowance: &'a Allowance,
    order: &'a Sequencer,
}

impl Play<'_> {
    async fn connection(&self, conn: &Connection) -> Replayed {
        let (targets, args, allowance) = (self.targets, self.args, self.allowance);
        let mut replayed = Replayed {
            label: conn.label.clone(),
            what: conn.path.clone(),
            error: None,
            skipped: None,
            frames: Vec::new(),
        };
        let Some(url) = targets.socket_url(conn, args.token.as_deref()) else {
            replayed.error = Some(format!("no --target for {}", conn.endpoint));
            return replayed;
        };
        let transport = match targets.transport(&url) {
            Ok(transport) => transport,
            Err(error) => {
                replayed.error = Some(error.to_string());
                return replayed;
            }
        };
        let played = play::connection(conn, &url, &transport, self.pacing, self.order).await;
        replayed.error = played.error;
        let recorded: Vec<_> = conn.expected().into_iter().map(|s| s.frame.clone()).collect();
        replayed.frames = drift::compare(&recorded, &played.received, redactions_of(&conn.endpoint))
            .into_iter()
            .map(|verdict| Judged {
                allowed: allowance.allows(&conn.endpoint, &verdict),
                verdict,
            })
            .collect();
        replayed
    }

    async fn exchange(&self, exchange: &Exchange) -> Replayed {
        let (targets, allowance) = (self.targets, self.allowance);
        let what = format!("{} {}", exchange.method, exchange.path);
        let mut replayed = Replayed {
            label: format!("{}/http", exchange.endpoint),
            what: what.clone(),
            error: None,
            skipped: None,
            frames: Vec::new(),
        };
        let Some(base) = targets.urls.get(&exchange.endpoint) else {
            replayed.error = Some(format!("no --target for {}", exchange.endpoint));
            return replayed;
        };
        let https = base.starts_with("wss://") || base.starts_with("https://");
        let transport = match targets.transport(if https { "https://" } else { "http://" }) {
            Ok(transport) => transport,
            Err(error) => {
                replayed.error = Some(error.to_string());
                return replayed;
            }
        };
        match play::exchange(exchange, authority_of(base), &transport, self.pacing, self.order).await {
            Ok(None) => replayed.skipped = Some("its request body was too large or not text to record".into()),
            Err(error) => replayed.error = Some(error),
            Ok(Some(reply)) => {
                // Compared as `{"status": ..., "body": ...}`, the form the REST snapshots and their redactions use.
                let answer = |status: u16, body: Option<&str>| {
                    let body = body.map(|b| serde_json::from_str(b).unwrap_or_else(|_| Value::String(b.to_string())));
                    Frame::Text(json!({ "status": status, "body": body.unwrap_or(Value::Null) }).to_string())
                };
                let recorded = answer(exchange.status, exchange.response.as_deref());
                let body_recorded = exchange.response.is_some() || exchange.status == 0;
                let received = answer(reply.status, body_recorded.then_some(reply.body.as_str()));
                let kind = match exchange.upgrade {
                    true => format!("upgrade:{}", exchange.path),
                    false => format!("{}:{}", exchange.method, exchange.path),
                };
                let verdict = drift::judge(&recorded, &received, kind, redactions_of(&exchange.endpoint));
                replayed.frames.push(Judged {
                    allowed: allowance.allows(&exchange.endpoint, &verdict),
                    verdict,
                });
            }
        }
        replayed
    }
}

/// Runs `understudy-check replay` with `args` (the words after `understudy-check`) and returns its exit code:
/// 0 within the allowance, 1 beyond it, 2 for a bad command line or transcript.
pub async fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args = match <ReplayArgs as clap::Parser>::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    let report = match replay(&args).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("understudy-check replay: {error}");
            return 2;
        }
    };
    print!("{}", report.console());
    let writes = [(&args.json, report.json()), (&args.junit, report.junit())];
    for (path, text) in writes {
        if let Some(path) = path {
            if let Err(error) = std::fs::write(path, text) {
                eprintln!("understudy-check replay: cannot write {}: {error}", path.display());
                return 2;
            }
        }
    }
    if report.within_allowance() { 0 } else { 1 }
}

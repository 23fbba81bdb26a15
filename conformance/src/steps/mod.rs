//! The cucumber world every scenario runs in, and the step definitions: shared steps (connections, HTTP,
//! simulator control) in `common`, one module per protocol for its own messages.

pub mod common;
pub mod endrpi;
pub mod pubsub;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use understudy_sim::{SimConfig, Simulator};

use crate::client::{self, Frame, HttpReply, Transport, Trust, WsClient};
use crate::runner::{self, RunContext};

/// The connection steps use when they name none.
pub const MAIN: &str = "main";

/// One scenario's state: its target, its connections and what it last received.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct Check {
    /// The run this scenario belongs to.
    pub run: Option<Arc<RunContext>>,
    /// The in-process simulator, started on first use (never against a physical target).
    pub sim: Option<Simulator>,
    /// Open WebSocket connections by name.
    pub conns: BTreeMap<String, WsClient>,
    /// The last text frame received, by connection name.
    pub last_text: BTreeMap<String, String>,
    /// The last non-text event (close, drop, timeout) seen on a connection.
    pub last_frame: BTreeMap<String, Frame>,
    /// The last plain HTTP answer.
    pub http: Option<HttpReply>,
    /// Requests sent without waiting, for ordering checks.
    pub in_flight: Vec<String>,
    /// The TLS client for `wss://` targets, made on first use.
    pub tls: Option<Transport>,
    /// Where the in-process simulator writes its transcript, if a scenario asked for one before it started.
    pub transcript: Option<PathBuf>,
    /// What the pub/sub steps remember between steps.
    pub pubsub: pubsub::PubsubState,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("conns", &self.conns.keys())
            .field("last_text", &self.last_text)
            .finish()
    }
}

impl Check {
    fn new() -> Self {
        Check {
            run: runner::current(),
            sim: None,
            conns: BTreeMap::new(),
            last_text: BTreeMap::new(),
            last_frame: BTreeMap::new(),
            http: None,
            in_flight: Vec::new(),
            tls: None,
            transcript: None,
            pubsub: pubsub::PubsubState::default(),
        }
    }

    fn run(&self) -> Result<&RunContext, String> {
        self.run
            .as_deref()
            .ok_or_else(|| "no conformance run is in progress".to_string())
    }

    /// The URL of `endpoint` on the target: the physical device's, or the simulator's (started on first use).
    pub async fn url(&mut self, endpoint: &str) -> Result<String, String> {
        let run = self.run.clone().ok_or("no conformance run is in progress")?;
        if run.config.is_physical() {
            return run
                .config
                .targets
                .get(endpoint)
                .cloned()
                .ok_or_else(|| format!("no --target for {endpoint}"));
        }
        if self.sim.is_none() {
            let mut config = SimConfig::for_tests(run.config.seed);
            config.transcript = self.transcript.clone();
            let sim = Simulator::start(config).await.map_err(|e| e.to_string())?;
            self.sim = Some(sim);
        }
        let sim = self.sim.as_ref().ok_or("the simulator did not start")?;
        sim.url(endpoint)
            .map(str::to_string)
            .ok_or_else(|| format!("the simulator serves no endpoint {endpoint}"))
    }

    /// How to reach `endpoint` for plain HTTP on its port (TLS when it serves `wss://`), and its `host:port`.
    pub async fn http_target(&mut self, endpoint: &str) -> Result<(Transport, String), String> {
        let url = self.url(endpoint).await?;
        let transport = self.transport_for(&url)?;
        Ok((transport, client::authority_of(&url).to_string()))
    }

    /// The transport for `url`: plain for `ws://`; for `wss://`, TLS trusting the in-process simulator's
    /// announced certificates, or (physical targets) the system's roots, or anything with `--insecure`.
    pub fn transport_for(&mut self, url: &str) -> Result<Transport, String> {
        if !url.starts_with("wss://") && !url.starts_with("https://") {
            return Ok(Transport::Plain);
        }
        if let Some(tls) = &self.tls {
            return Ok(tls.clone());
        }
        let trust = match (&self.sim, self.run()?.config.insecure_tls) {
            (Some(sim), _) => Trust::PemFiles(
                sim.announcements()
                    .into_iter()
                    .filter(|(key, _)| key.ends_with("-ca"))
                    .map(|(_, path)| PathBuf::from(path))
                    .collect(),
            ),
            (None, true) => Trust::AnyCertificate,
            (None, false) => Trust::System,
        };
        let tls = Transport::tls(&trust)?;
        self.tls = Some(tls.clone());
        Ok(tls)
    }

    /// Opens a WebSocket to `url` over the right transport.
    pub async fn open_ws(&mut self, url: &str) -> Result<WsClient, String> {
        let transport = self.transport_for(url)?;
        WsClient::connect(url, &transport).await
    }

    /// The simulator, for `@sim-only` steps.
    pub fn simulator(&self) -> Result<&Simulator, String> {
        self.sim
            .as_ref()
            .ok_or_else(|| "this step needs the in-process simulator".to_string())
    }

    /// The open connection with this name.
    pub fn conn(&mut self, name: &str) -> Result<&mut WsClient, String> {
        self.conns
            .get_mut(name)
            .ok_or_else(|| format!("no connection named {name} is open"))
    }

    /// Waits for the next text frame on `name` and remembers it.
    pub async fn receive(&mut self, name: &str) -> Result<String, String> {
        let text = self.conn(name)?.next_text().await?;
        self.last_text.insert(name.to_string(), text.clone());
        Ok(text)
    }

    /// The last text received on `name`, parsed as JSON.
    pub fn last_json(&self, name: &str) -> Result<Value, String> {
        let text = self
            .last_text
            .get(name)
            .ok_or_else(|| format!("nothing was received on {name}"))?;
        serde_json::from_str(text).map_err(|e| format!("the frame is not JSON ({e}): {text}"))
    }

    /// Checks `value` against the schema `name`.
    pub fn check_schema(&self, name: &str, value: &Value) -> Result<(), String> {
        self.run()?.schemas.check(name, value)
    }

    /// Closes connections and stops the simulator at the end of a scenario.
    pub async fn finish(&mut self) {
        for conn in self.conns.values_mut() {
            conn.close().await;
        }
        self.conns.clear();
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
        if let Some(path) = self.transcript.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Parses step text as JSON, failing the step with a clear message.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("the scenario's JSON is invalid ({e}): {text}"))
}

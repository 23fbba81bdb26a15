//! The cucumber world every scenario runs in, and the step definitions: shared steps (connections, HTTP,
//! simulator control) in `common`, one module per protocol for its own messages.

pub mod common;
pub mod endrpi;
pub mod xarm;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use understudy_sim::{SimConfig, Simulator};

use crate::client::{Frame, HttpReply, WsClient};
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
    /// What the xArm connections received.
    pub xarm: xarm::XarmState,
    /// Requests sent without waiting, for ordering checks.
    pub in_flight: Vec<String>,
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
            xarm: xarm::XarmState::default(),
            in_flight: Vec::new(),
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
            let sim = Simulator::start(SimConfig::for_tests(run.config.seed))
                .await
                .map_err(|e| e.to_string())?;
            self.sim = Some(sim);
        }
        let sim = self.sim.as_ref().ok_or("the simulator did not start")?;
        sim.url(endpoint)
            .map(str::to_string)
            .ok_or_else(|| format!("the simulator serves no endpoint {endpoint}"))
    }

    /// `host:port` of `endpoint`, for plain HTTP on the same port.
    pub async fn authority(&mut self, endpoint: &str) -> Result<String, String> {
        let url = self.url(endpoint).await?;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        Ok(rest.split('/').next().unwrap_or(rest).to_string())
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
    }
}

/// Parses step text as JSON, failing the step with a clear message.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("the scenario's JSON is invalid ({e}): {text}"))
}

//! The cucumber world every scenario runs in, and the step definitions: shared steps (connections, HTTP,
//! simulator control, device time) in `common`, then one module per protocol with its own per-scenario state.

pub mod common;

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use crate::client::{self, HttpReply, Transport, WsClient};
use crate::runner::RunContext;
use crate::target::Session;

/// The connection steps use when they name none.
pub const MAIN: &str = "main";

/// A protocol's way of letting device time pass when it must read its connections meanwhile: `Ok(true)` when
/// it moved the time itself, `Ok(false)` to leave it to the target.
pub type PassTime = for<'a> fn(&'a mut Check, u64) -> LocalBoxFuture<'a, Result<bool, String>>;

/// A protocol the checker knows: its tag and target name, and how its steps take part in shared steps.
#[derive(Debug)]
pub struct Protocol {
    /// The feature tag and `--target` name, e.g. `endrpi`; `features/<name>/` holds its features.
    pub name: &'static str,
    /// Its part in "N ms of device time pass", if it has one.
    pub pass_time: Option<PassTime>,
}

/// Declares each protocol's step module and the list of known protocols, so that adding a protocol is one
/// name here (its module `steps/<name>.rs` exports `PROTOCOL`).
macro_rules! protocols {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*
        /// Every protocol the checker knows, in report order.
        pub const PROTOCOLS: &[Protocol] = &[$($name::PROTOCOL),*];
    };
}

protocols!(endrpi, xarm, xarm_tcp, pubsub, esp3d, obico);

/// The names of [`PROTOCOLS`].
pub fn protocol_names() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|p| p.name).collect()
}

/// One scenario's state: its run and target (injected before it starts), its connections, what it last
/// received, and each protocol's own state by type.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct Check {
    run: Option<Arc<RunContext>>,
    target: Option<Session>,
    /// Open WebSocket connections by name.
    pub conns: BTreeMap<String, WsClient>,
    /// The last text frame received, by connection name.
    pub last_text: BTreeMap<String, String>,
    /// The last plain HTTP answer.
    pub http: Option<HttpReply>,
    states: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
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
            run: None,
            target: None,
            conns: BTreeMap::new(),
            last_text: BTreeMap::new(),
            http: None,
            states: HashMap::new(),
        }
    }

    /// Gives the scenario its run and a fresh session on the run's target (cucumber's `before` hook).
    pub fn inject(&mut self, run: Arc<RunContext>) {
        self.target = Some(Session::new(run.target.clone()));
        self.run = Some(run);
    }

    /// The run this scenario belongs to.
    pub fn run(&self) -> Result<&RunContext, String> {
        self.run
            .as_deref()
            .ok_or_else(|| "no conformance run is in progress".to_string())
    }

    /// The scenario's session on the target.
    pub fn target(&mut self) -> Result<&mut Session, String> {
        self.target
            .as_mut()
            .ok_or_else(|| "no conformance run is in progress".to_string())
    }

    /// Why the scenario was refused for want of simulator control, if it was.
    pub fn refused(&self) -> Option<&str> {
        self.target.as_ref().and_then(Session::refused)
    }

    /// A protocol's own state for this scenario, made on first use.
    pub fn state<S: Default + Send + Sync + 'static>(&mut self) -> &mut S {
        let state = self
            .states
            .entry(TypeId::of::<S>())
            .or_insert_with(|| Box::new(S::default()));
        match state.downcast_mut::<S>() {
            Some(state) => state,
            None => unreachable!("the state map is keyed by the state's own type"),
        }
    }

    /// A protocol's own state, if a step made it.
    pub fn state_ref<S: 'static>(&self) -> Option<&S> {
        self.states.get(&TypeId::of::<S>()).and_then(|s| s.downcast_ref::<S>())
    }

    /// The URL of `endpoint` on the target.
    pub async fn url(&mut self, endpoint: &str) -> Result<String, String> {
        Ok(self.target()?.url(endpoint).await?)
    }

    /// How to reach `endpoint` for plain HTTP on its port (TLS when it serves `wss://`), and its `host:port`.
    pub async fn http_target(&mut self, endpoint: &str) -> Result<(Transport, String), String> {
        let target = self.target()?;
        let url = target.url(endpoint).await?;
        let transport = target.transport_for(&url)?;
        Ok((transport, client::authority_of(&url).to_string()))
    }

    /// Opens connection `name` to `endpoint` (its URL rewritten by `shape`), or takes the next device that
    /// dials a listening target.
    pub async fn open(&mut self, endpoint: &str, name: &str, shape: impl FnOnce(&str) -> String) -> Result<(), String> {
        let client = self.target()?.connect(endpoint, shape).await?;
        self.conns.insert(name.to_string(), client);
        Ok(())
    }

    /// Runs a simulator control command (refused, and the scenario skipped, on a physical device).
    pub async fn control(&mut self, device: &str, command: &str, args: &Value) -> Result<Value, String> {
        Ok(self.target()?.control(device, command, args).await?)
    }

    /// Lets `ms` of device time pass: a protocol that must read its connections meanwhile does it its way,
    /// otherwise the target moves its clock (or waits, on the wall clock).
    pub async fn pass_time(&mut self, ms: u64) -> Result<(), String> {
        for protocol in PROTOCOLS {
            if let Some(pass) = protocol.pass_time {
                if pass(self, ms).await? {
                    return Ok(());
                }
            }
        }
        Ok(self.target()?.pass(ms).await?)
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
        Ok(self.run()?.schemas.check(name, value)?)
    }

    /// Closes connections, then ends the session (its in-process simulator stops).
    pub async fn finish(&mut self) {
        self.close_all().await;
        if let Some(target) = &mut self.target {
            target.finish().await;
        }
    }

    /// Closes every open connection.
    pub async fn close_all(&mut self) {
        for conn in self.conns.values_mut() {
            conn.close().await;
        }
        self.conns.clear();
    }
}

/// Parses step text as JSON, failing the step with a clear message.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("the scenario's JSON is invalid ({e}): {text}"))
}

/// Parses space-separated hex bytes (`00 ff 7e`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("{b} is not a hex byte")))
        .collect()
}

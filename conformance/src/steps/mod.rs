//! The cucumber world every scenario runs in, and the step definitions: shared steps (connections, HTTP,
//! simulator control, device time) in `common`, then one module per protocol with its own per-scenario state.

pub mod common;
pub mod faults;

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use understudy_sim::devices::options::Options;

use crate::client::{self, HttpReply, Transport, WsClient};
use crate::frames::{FrameLog, Seen};
use crate::listen::ListenSocket;
use crate::runner::RunContext;
use crate::target::{Served, Session};

/// The connection steps use when they name none.
pub const MAIN: &str = "main";

/// A protocol's way of letting device time pass when it must read its connections meanwhile: `Ok(true)` when
/// it moved the time itself, `Ok(false)` to leave it to the target.
pub type PassTime = for<'a> fn(&'a mut Check, u64) -> LocalBoxFuture<'a, Result<bool, String>>;

/// Every protocol's own options (its parsed flags), by type: the same type map the simulator keeps its
/// devices' options in. An absent entry reads as that type's defaults.
pub type ProtocolOptions = understudy_sim::devices::DeviceOptions;

/// A protocol's more sockets, found from its `--target` URL (`None`: the run names no target of it) and its
/// options: endpoint name -> URL, dialled as given. An `Err` is a usage error.
pub type Endpoints = fn(Option<&str>, &ProtocolOptions) -> Result<BTreeMap<String, String>, String>;

/// What the checker serves on a listening target of a protocol whose device talks to a server of its own
/// kind (Obico: the REST calls, then the agent's socket), from the bound socket and the protocol's options.
pub type Serve = fn(ListenSocket, &ProtocolOptions) -> crate::error::Result<Arc<dyn Served>>;

/// A protocol's own command-line flags: a `clap::Args` type, added to `understudy-check`'s command line and
/// parsed back into [`ProtocolOptions`] (see [`Flags::of`]). Its fields (the flags' ids) and flags start with
/// the protocol's name (`esp3d_data`, `--esp3d-data`) so that they never clash with another's.
#[derive(Clone, Copy, Debug)]
pub struct Flags {
    args: fn(clap::Command) -> clap::Command,
    parse: fn(&clap::ArgMatches, &mut ProtocolOptions) -> Result<(), clap::Error>,
}

impl Flags {
    /// The flags of the `clap::Args` type `A`, which is also the protocol's options type: steps read it with
    /// [`Check::options`] (its `Default` must match its flags' defaults).
    pub const fn of<A: clap::Args + clap::FromArgMatches + Options>() -> Flags {
        Flags {
            args: A::augment_args,
            parse: parse_into::<A>,
        }
    }
}

fn parse_into<A: clap::FromArgMatches + Options>(
    matches: &clap::ArgMatches,
    options: &mut ProtocolOptions,
) -> Result<(), clap::Error> {
    options.set(A::from_arg_matches(matches)?);
    Ok(())
}

/// A protocol the checker knows: its tag and target name, and the hooks by which it takes part in the shared
/// steps, the command line and the target. Build it with [`Protocol::named`] and the `with_*` methods.
#[derive(Debug)]
pub struct Protocol {
    /// The feature tag and `--target` name, e.g. `endrpi`; `features/<name>/` holds its features.
    pub name: &'static str,
    /// Its part in "N ms of device time pass", if it has one.
    pub pass_time: Option<PassTime>,
    /// Its own flags, if it has any.
    pub flags: Option<Flags>,
    /// Its more sockets beside the target URL, if it has any.
    pub endpoints: Option<Endpoints>,
    /// What the checker serves on a listening target of it; without, the device's WebSocket is accepted as is.
    pub serve: Option<Serve>,
    /// The values that move with time or noise, as insta selectors (`.data.seconds`) and their placeholders:
    /// the snapshots redact them, and so does a replay before it compares frames.
    pub redactions: &'static [(&'static str, &'static str)],
    /// Its sockets, messages and operations for `understudy-check export asyncapi`.
    pub asyncapi: Option<fn() -> crate::asyncapi::spec::Spec>,
}

impl Protocol {
    /// A protocol with no hooks.
    pub const fn named(name: &'static str) -> Protocol {
        Protocol {
            name,
            pass_time: None,
            flags: None,
            endpoints: None,
            serve: None,
            redactions: &[],
            asyncapi: None,
        }
    }

    /// With its AsyncAPI description.
    pub const fn with_asyncapi(self, asyncapi: fn() -> crate::asyncapi::spec::Spec) -> Protocol {
        Protocol {
            asyncapi: Some(asyncapi),
            ..self
        }
    }

    /// With its part in "N ms of device time pass".
    pub const fn with_pass_time(self, pass_time: PassTime) -> Protocol {
        Protocol {
            pass_time: Some(pass_time),
            ..self
        }
    }

    /// With its own flags.
    pub const fn with_flags(self, flags: Flags) -> Protocol {
        Protocol {
            flags: Some(flags),
            ..self
        }
    }

    /// With more sockets found from its target URL.
    pub const fn with_endpoints(self, endpoints: Endpoints) -> Protocol {
        Protocol {
            endpoints: Some(endpoints),
            ..self
        }
    }

    /// With the values its snapshots and replays redact.
    pub const fn with_redactions(self, redactions: &'static [(&'static str, &'static str)]) -> Protocol {
        Protocol { redactions, ..self }
    }

    /// With a server of its own on a listening target.
    pub const fn with_serve(self, serve: Serve) -> Protocol {
        Protocol {
            serve: Some(serve),
            ..self
        }
    }
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

/// The protocol named `name`, if the checker knows it.
pub fn protocol(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.name == name)
}

/// `command` with every protocol's own flags added, in protocol order.
pub fn with_protocol_flags(command: clap::Command) -> clap::Command {
    PROTOCOLS
        .iter()
        .filter_map(|p| p.flags)
        .fold(command, |command, flags| (flags.args)(command))
}

/// Every protocol's options, read from a command line built by [`with_protocol_flags`].
pub fn protocol_options(matches: &clap::ArgMatches) -> Result<ProtocolOptions, clap::Error> {
    let mut options = ProtocolOptions::default();
    for flags in PROTOCOLS.iter().filter_map(|p| p.flags) {
        (flags.parse)(matches, &mut options)?;
    }
    Ok(options)
}

/// Every protocol's more sockets for these targets (an external run), by endpoint name.
pub fn protocol_endpoints(
    targets: &BTreeMap<String, String>,
    options: &ProtocolOptions,
) -> Result<BTreeMap<String, String>, String> {
    let mut endpoints = BTreeMap::new();
    for protocol in PROTOCOLS {
        if let Some(more) = protocol.endpoints {
            let url = targets.get(protocol.name).map(String::as_str);
            endpoints.extend(more(url, options)?);
        }
    }
    Ok(endpoints)
}

/// One scenario's state: its run and target (injected before it starts), its connections, what it last
/// received, and each protocol's own state by type.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct Check {
    run: Option<Arc<RunContext>>,
    target: Option<Session>,
    /// Why the scenario could not begin (its target could not be reset), if it could not.
    not_begun: Option<String>,
    /// Open WebSocket connections by name.
    pub conns: Conns,
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
            not_begun: None,
            conns: Conns::default(),
            last_text: BTreeMap::new(),
            http: None,
            states: HashMap::new(),
        }
    }

    /// Gives the scenario its run and a fresh session on the run's target, and begins it (a simulator driven
    /// through its control API is reset): cucumber's `before` hook.
    pub async fn inject(&mut self, run: Arc<RunContext>) {
        let mut session = Session::new(run.target.clone());
        if let Err(error) = session.begin().await {
            self.not_begun = Some(format!("the simulator could not be reset before the scenario: {error}"));
        }
        self.target = Some(session);
        self.run = Some(run);
    }

    /// Why the scenario could not begin, if it could not: it fails with this whatever its steps did.
    pub fn not_begun(&self) -> Option<&str> {
        self.not_begun.as_deref()
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

    /// A protocol's options for this run (its flags; the defaults when the run set none).
    pub fn options<O: Options>(&self) -> Result<O, String> {
        Ok(self.run()?.config.options.get::<O>())
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

/// A scenario's open connections by name: each one put in notes its frames in the scenario's [`FrameLog`],
/// which outlives the connection (the report shows a failed scenario's frames).
#[derive(Debug, Default)]
pub struct Conns {
    open: BTreeMap<String, WsClient>,
    log: FrameLog,
}

impl Conns {
    /// Puts in connection `name` (its frames noted from now on); returns the one it replaces.
    pub fn insert(&mut self, name: String, mut client: WsClient) -> Option<WsClient> {
        client.record_into(self.log.clone(), &name);
        self.open.insert(name, client)
    }

    /// Takes connection `name` out (its frames stay noted).
    pub fn remove(&mut self, name: &str) -> Option<WsClient> {
        self.open.remove(name)
    }

    /// Connection `name`, if open.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut WsClient> {
        self.open.get_mut(name)
    }

    /// Whether connection `name` is open.
    pub fn contains_key(&self, name: &str) -> bool {
        self.open.contains_key(name)
    }

    /// The names of the open connections.
    pub fn keys(&self) -> std::collections::btree_map::Keys<'_, String, WsClient> {
        self.open.keys()
    }

    /// Every open connection.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut WsClient> {
        self.open.values_mut()
    }

    /// Forgets every connection (their frames stay noted).
    pub fn clear(&mut self) {
        self.open.clear();
    }

    /// The frames every connection of the scenario sent and received, the last [`crate::frames::KEEP`].
    pub fn frames(&self) -> Vec<Seen> {
        self.log.frames()
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

//! What is under test: the in-process simulator (a fresh one per scenario), a simulator in another process
//! driven through its control API, a physical device by URL, or a device that dials a listening checker.
//! Connections, control commands and the passage of device time all go through a scenario's [`Session`].

use std::any::Any;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use understudy_sim::{SimConfig, Simulator};

use crate::client::{self, REPLY_TIMEOUT, Transport, Trust, WsClient};
use crate::control::ControlApi;
use crate::error::{Error, Result};
use crate::listen::{LISTEN_SCHEME, LISTEN_TLS_SCHEME, ListenIdentity, ListenSocket, listen_address};
use crate::steps::{ProtocolOptions, protocol};

/// What the checker serves for the whole run on a listening target whose protocol has a server of its own
/// (`Protocol::serve`): the device makes its calls to it and opens its socket on it.
pub trait Served: std::fmt::Debug + Send + Sync {
    /// The URL the device under test is configured to dial (what steps get as the endpoint's URL).
    fn url(&self) -> String;
    /// The next WebSocket the device opens, waited for at most `wait`.
    fn next_socket(&self, wait: Duration) -> BoxFuture<'_, Result<WsClient>>;
    /// The device under test is about to be started afresh (the simulator behind the control API is reset
    /// before a scenario): what it did so far (its calls, its sockets not yet taken) is to be forgotten.
    fn restarting(&self) {}
    /// What it is, for the report's target line (after `PROTOCOL: `).
    fn describe(&self) -> String;
    /// Itself as `Any`, for the protocol's steps to reach their own server type ([`Target::served`]).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// How one protocol's device is reached.
#[derive(Debug)]
enum Endpoint {
    /// The checker dials this `ws://` / `wss://` URL.
    Dial(String),
    /// The checker listens here and the device under test dials in.
    Listen(ListenSocket),
    /// The checker serves the protocol's own server here, for the whole run.
    Served(Arc<dyn Served>),
}

/// What a run checks, shared by its scenarios.
#[derive(Debug)]
pub struct Target {
    kind: Kind,
    /// Accept any TLS certificate from a device (`--insecure`).
    insecure_tls: bool,
    /// How long a listening target waits for the device to connect.
    accept_wait: Duration,
}

#[derive(Debug)]
enum Kind {
    /// A fresh in-process simulator per scenario, with this seed.
    InProcess { seed: u64 },
    /// Devices elsewhere, by protocol, and the control API of the simulator serving them, if it is one
    /// (then, with `reset`, every device is reset before each scenario).
    External {
        endpoints: BTreeMap<String, Endpoint>,
        control: Option<ControlApi>,
        reset: bool,
    },
}

impl Target {
    /// The in-process simulator, a fresh one per scenario.
    pub fn in_process(seed: u64) -> Target {
        Target {
            kind: Kind::InProcess { seed },
            insecure_tls: false,
            accept_wait: REPLY_TIMEOUT,
        }
    }

    /// Devices by protocol or endpoint name (`ws://`, `wss://`, `http://`, or `listen://HOST:PORT` and
    /// `listen+tls://HOST:PORT` with `identity`'s certificate), optionally served by a simulator whose control
    /// API is at `control` (with `reset`, reset before each scenario). Listening targets are bound here; one
    /// whose protocol has a server of its own (`Protocol::serve`, given the protocols' `options`) serves it from
    /// now to the end of the run.
    pub async fn external(
        targets: &BTreeMap<String, String>,
        options: &ProtocolOptions,
        identity: &ListenIdentity,
        control: Option<ControlApi>,
        reset: bool,
        insecure_tls: bool,
        accept_wait: Duration,
    ) -> Result<Target> {
        let mut endpoints = BTreeMap::new();
        for (name, url) in targets {
            let endpoint = match listen_address(url) {
                Some((addr, tls)) => {
                    let scheme = if tls { LISTEN_TLS_SCHEME } else { LISTEN_SCHEME };
                    let addr = addr
                        .trim_end_matches('/')
                        .parse()
                        .map_err(|e| Error::BadTarget(format!("{name}: {url} is not {scheme}IP:PORT ({e})")))?;
                    let socket = ListenSocket::bind(addr, tls, identity).await?;
                    match protocol(name).and_then(|p| p.serve) {
                        Some(serve) => Endpoint::Served(serve(socket, options)?),
                        None => Endpoint::Listen(socket),
                    }
                }
                None => Endpoint::Dial(check_url(url)?.to_string()),
            };
            endpoints.insert(name.clone(), endpoint);
        }
        Ok(Target {
            kind: Kind::External {
                endpoints,
                control,
                reset,
            },
            insecure_tls,
            accept_wait,
        })
    }

    /// How long a listening target waits for the device to connect.
    pub fn accept_wait(&self) -> Duration {
        self.accept_wait
    }

    /// The server the checker serves for `protocol` on a listening target, as the protocol's own type.
    pub fn served<T: Any + Send + Sync>(&self, protocol: &str) -> Option<Arc<T>> {
        match &self.kind {
            Kind::External { endpoints, .. } => match endpoints.get(protocol) {
                Some(Endpoint::Served(served)) => served.clone().into_any().downcast::<T>().ok(),
                _ => None,
            },
            Kind::InProcess { .. } => None,
        }
    }

    /// Whether scenarios run against something other than the in-process simulator (one at a time, then).
    pub fn is_external(&self) -> bool {
        matches!(self.kind, Kind::External { .. })
    }

    /// Whether the target offers simulator control (`@sim-only` scenarios can run).
    pub fn has_control(&self) -> bool {
        match &self.kind {
            Kind::InProcess { .. } => true,
            Kind::External { control, .. } => control.is_some(),
        }
    }

    /// Whether the run names a device for `protocol` (the in-process simulator serves every protocol).
    pub fn serves(&self, protocol: &str) -> bool {
        match &self.kind {
            Kind::InProcess { .. } => true,
            Kind::External { endpoints, .. } => endpoints.contains_key(protocol),
        }
    }

    /// The protocols (and extra endpoints, such as an ESP3D board's sockets) named by external targets.
    pub fn protocols(&self) -> Vec<&str> {
        match &self.kind {
            Kind::InProcess { .. } => Vec::new(),
            Kind::External { endpoints, .. } => endpoints.keys().map(String::as_str).collect(),
        }
    }

    /// One line for the top of the report saying what is under test (tokens redacted).
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::InProcess { seed } => {
                format!("target: in-process simulator, seed {seed}, a fresh simulator per scenario")
            }
            Kind::External {
                endpoints,
                control,
                reset,
            } => {
                let named: Vec<String> = endpoints
                    .iter()
                    .map(|(protocol, endpoint)| match endpoint {
                        Endpoint::Dial(url) => format!("{protocol}={}", client::redact(url)),
                        Endpoint::Listen(socket) => match socket.certificate() {
                            Some(certificate) => {
                                format!("{protocol} listening on {} with TLS: {certificate}", socket.addr())
                            }
                            None => format!("{protocol} listening on {}", socket.addr()),
                        },
                        Endpoint::Served(served) => format!("{protocol}: {}", served.describe()),
                    })
                    .collect();
                let driven = match (control, reset) {
                    (Some(api), true) => format!(
                        ", a simulator driven through its control API at {} (reset before each scenario)",
                        api.url()
                    ),
                    (Some(api), false) => format!(
                        ", a simulator driven through its control API at {} (not reset: --no-reset)",
                        api.url()
                    ),
                    (None, _) => String::new(),
                };
                format!("target: {}{driven} (one scenario at a time)", named.join(", "))
            }
        }
    }

    /// One line per target that cannot be reached at all, by protocol (a listening target always can).
    pub async fn unreachable(&self) -> BTreeMap<String, String> {
        let mut lines = BTreeMap::new();
        let Kind::External { endpoints, control, .. } = &self.kind else {
            return lines;
        };
        for (protocol, endpoint) in endpoints {
            if let Endpoint::Dial(url) = endpoint {
                let authority = client::authority_of(url);
                if let Err(error) = Transport::Plain.open(authority, None).await {
                    let shown = client::redact(url);
                    lines.insert(
                        protocol.clone(),
                        format!("the {protocol} target {shown} cannot be reached: {error}"),
                    );
                }
            }
        }
        if let Some(api) = control {
            if let Err(error) = api.reachable().await {
                let url = api.url();
                for protocol in endpoints.keys() {
                    lines.entry(protocol.clone()).or_insert_with(|| {
                        format!("the control API {url} for the {protocol} target cannot be reached: {error}")
                    });
                }
            }
        }
        lines
    }
}

/// `url` if it is a `ws://` or `wss://` URL, the `http://` URL of a device whose sockets are found from it, or
/// the `tcp://HOST:PORT` (or bare `HOST:PORT`) of a raw TCP protocol such as the xArm controller's.
pub fn check_url(url: &str) -> Result<&str> {
    let bare_authority = !url.contains("://")
        && url
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    if bare_authority
        || ["ws://", "wss://", "http://", "tcp://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
    {
        Ok(url)
    } else {
        Err(Error::BadTarget(format!(
            "{url} is not a ws://, wss://, http://, tcp://, {LISTEN_SCHEME}HOST:PORT or {LISTEN_TLS_SCHEME}HOST:PORT address"
        )))
    }
}

/// A scenario's own in-process simulator: its configuration until the first step that needs it, then the
/// simulator itself.
pub struct InProcess {
    config: Option<SimConfig>,
    sim: Option<Simulator>,
}

impl InProcess {
    /// The configuration the simulator will start with; refused once it runs.
    pub fn config_mut(&mut self) -> Result<&mut SimConfig> {
        if self.sim.is_some() {
            return Err(Error::Simulator(
                "the simulator already runs: configure it before the first step that uses it".into(),
            ));
        }
        self.config
            .as_mut()
            .ok_or_else(|| Error::Simulator("the simulator already ran in this scenario".into()))
    }

    /// The simulator, started on first use.
    pub async fn simulator(&mut self) -> Result<&Simulator> {
        if self.sim.is_none() {
            let config = self
                .config
                .take()
                .ok_or_else(|| Error::Simulator("the simulator already ran in this scenario".into()))?;
            let sim = Simulator::start(config)
                .await
                .map_err(|e| Error::Simulator(e.to_string()))?;
            self.sim = Some(sim);
        }
        self.sim
            .as_ref()
            .ok_or_else(|| Error::Simulator("the simulator did not start".into()))
    }

    /// The running simulator, if it started.
    pub fn running(&self) -> Option<&Simulator> {
        self.sim.as_ref()
    }

    /// Stops the simulator (its transcript is complete afterwards).
    pub async fn shutdown(&mut self) {
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
    }
}

/// One scenario's view of the target: its connections' transport, its in-process simulator (if any), and
/// whether a step was refused because the target offers no simulator control.
pub struct Session {
    target: Arc<Target>,
    in_process: Option<InProcess>,
    transcript: Option<PathBuf>,
    tls: Option<Transport>,
    virtual_clock: Option<bool>,
    refused: Option<String>,
    /// Network faults this scenario added to a simulator it shares with others (removed when it ends).
    faults_added: Vec<u64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("target", &self.target.kind).finish()
    }
}

impl Session {
    /// A fresh session on `target`.
    pub fn new(target: Arc<Target>) -> Session {
        let in_process = match target.kind {
            Kind::InProcess { seed } => Some(InProcess {
                config: Some(SimConfig::for_tests(seed)),
                sim: None,
            }),
            Kind::External { .. } => None,
        };
        Session {
            target,
            in_process,
            transcript: None,
            tls: None,
            virtual_clock: None,
            refused: None,
            faults_added: Vec::new(),
        }
    }

    /// Why a step was refused for want of simulator control, if one was: the scenario is then skipped.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The run's target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Skips the scenario: the device cannot be brought to what it needs (the error to fail the step with).
    pub fn skip(&mut self, reason: String) -> Error {
        self.refused = Some(reason.clone());
        Error::Wire(reason)
    }

    fn refuse(&mut self, needs: &'static str, what: &str) -> Error {
        let target = match &self.target.kind {
            Kind::External { control: Some(_), .. } => "a simulator driven through its control API",
            _ => "a physical device",
        };
        let error = Error::NeedsSimulator {
            needs,
            what: what.to_string(),
            target: target.to_string(),
        };
        self.refused = Some(error.to_string());
        error
    }

    /// The scenario's in-process simulator, for steps that need more than control commands and the clock
    /// (a chosen model, its certificates, its transcript); refused on any other target.
    pub fn in_process(&mut self, what: &str) -> Result<&mut InProcess> {
        if self.in_process.is_none() {
            return Err(self.refuse("in-process simulator", what));
        }
        self.in_process
            .as_mut()
            .ok_or_else(|| Error::Simulator("no in-process simulator".into()))
    }

    /// Asks the in-process simulator to write its transcript to a fresh temporary file (removed at the end).
    pub fn record_transcript(&mut self) -> Result<()> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("understudy-check-transcript-{}-{n}.jsonl", std::process::id()));
        self.in_process("recording a transcript")?.config_mut()?.transcript = Some(path.clone());
        self.transcript = Some(path);
        Ok(())
    }

    /// The transcript file asked for, if any.
    pub fn transcript(&self) -> Option<&PathBuf> {
        self.transcript.as_ref()
    }

    /// The URL of `endpoint`: the device's, or the in-process simulator's (started on first use).
    pub async fn url(&mut self, endpoint: &str) -> Result<String> {
        match (&self.target.kind, &mut self.in_process) {
            (_, Some(in_process)) => in_process
                .simulator()
                .await?
                .url(endpoint)
                .map(str::to_string)
                .ok_or_else(|| Error::BadTarget(format!("the simulator serves no endpoint {endpoint}"))),
            (Kind::External { endpoints, .. }, None) => match endpoints.get(endpoint) {
                Some(Endpoint::Dial(url)) => Ok(url.clone()),
                Some(Endpoint::Listen(socket)) => Err(Error::BadTarget(format!(
                    "the {endpoint} target listens on {} for the device: it has no URL to dial",
                    socket.addr()
                ))),
                Some(Endpoint::Served(served)) => Ok(served.url()),
                None => Err(Error::BadTarget(format!("no --target for {endpoint}"))),
            },
            (Kind::InProcess { .. }, None) => Err(Error::Simulator("no in-process simulator".into())),
        }
    }

    /// A WebSocket to `endpoint`: dialled at its URL as `shape` rewrites it (a query string, a token), or, on
    /// a listening target, the next connection the device makes (waited for, bounded).
    pub async fn connect(&mut self, endpoint: &str, shape: impl FnOnce(&str) -> String) -> Result<WsClient> {
        if let Kind::External { endpoints, .. } = &self.target.kind {
            if let Some(Endpoint::Served(served)) = endpoints.get(endpoint) {
                return served.next_socket(self.target.accept_wait).await;
            }
            if let Some(Endpoint::Listen(socket)) = endpoints.get(endpoint) {
                let (wait, addr) = (self.target.accept_wait, socket.addr());
                let tcp = tokio::time::timeout(wait, socket.accept())
                    .await
                    .map_err(|_| {
                        Error::Wire(format!(
                            "no {endpoint} device connected to {addr} within {} s",
                            wait.as_secs_f64()
                        ))
                    })?
                    .map_err(|e| Error::Wire(format!("accepting on {addr}: {e}")))?;
                return WsClient::accept(socket.handshaker().handshake(tcp).await?).await;
            }
        }
        let url = shape(&self.url(endpoint).await?);
        let transport = self.transport_for(&url)?;
        WsClient::connect(&url, &transport).await
    }

    /// The transport for `url`: plain for `ws://`; for `wss://`, TLS trusting the in-process simulator's
    /// announced certificates, or (other targets) the system's roots, or anything with `--insecure`.
    pub fn transport_for(&mut self, url: &str) -> Result<Transport> {
        if !url.starts_with("wss://") && !url.starts_with("https://") {
            return Ok(Transport::Plain);
        }
        if let Some(tls) = &self.tls {
            return Ok(tls.clone());
        }
        let running = self.in_process.as_ref().and_then(InProcess::running);
        let tls = Transport::tls(&trust_for(running, self.target.insecure_tls))?;
        self.tls = Some(tls.clone());
        Ok(tls)
    }

    /// Starts the scenario: a simulator driven through its control API is reset to its start state first
    /// (unless the run says not to), so that the scenario finds it as a freshly started one.
    pub async fn begin(&mut self) -> Result<()> {
        match &self.target.kind {
            Kind::External {
                control: Some(api),
                reset: true,
                endpoints,
            } => {
                for endpoint in endpoints.values() {
                    if let Endpoint::Served(served) = endpoint {
                        served.restarting();
                    }
                }
                api.post("/reset", &json!({})).await.map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// Runs a simulator control command on `device`; refused (the scenario is skipped) on a physical device.
    pub async fn control(&mut self, device: &str, command: &str, args: &Value) -> Result<Value> {
        if let Some(in_process) = &mut self.in_process {
            let sim = in_process.simulator().await?;
            return sim
                .control(device, command, args)
                .map_err(|e| Error::Simulator(e.to_string()));
        }
        match self.control_api() {
            Some(api) => api.post(&format!("/devices/{device}/{command}"), args).await,
            None => Err(self.refuse("simulator", &format!("the control command {device}/{command}"))),
        }
    }

    /// Adds a network fault (`FAULT[@SCOPE][#N]`); refused (the scenario is skipped) on a physical device.
    pub async fn fault(&mut self, spec: &str) -> Result<Value> {
        if let Some(in_process) = &mut self.in_process {
            let sim = in_process.simulator().await?;
            return sim
                .faults()
                .add_text(spec)
                .map(|active| active.to_json())
                .map_err(|e| Error::Simulator(e.to_string()));
        }
        match self.control_api() {
            Some(api) => {
                let added = api.post("/faults", &json!({ "spec": spec })).await?;
                self.faults_added.extend(added["id"].as_u64());
                Ok(added)
            }
            None => Err(self.refuse("simulator", &format!("the network fault {spec}"))),
        }
    }

    /// The ids of the network faults still active (one that has acted its last is gone).
    pub async fn active_faults(&mut self) -> Result<Vec<u64>> {
        if let Some(in_process) = &mut self.in_process {
            let sim = in_process.simulator().await?;
            return Ok(sim.faults().list().iter().map(|a| a.id).collect());
        }
        let listed = match self.control_api() {
            Some(api) => api.get("/faults").await?,
            None => return Err(self.refuse("simulator", "listing the network faults")),
        };
        Ok(listed["active"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["id"].as_u64()).collect())
            .unwrap_or_default())
    }

    fn control_api(&self) -> Option<ControlApi> {
        match &self.target.kind {
            Kind::External { control, .. } => control.clone(),
            Kind::InProcess { .. } => None,
        }
    }

    /// The simulator's master seed; refused (the scenario is skipped) on a physical device.
    pub async fn seed(&mut self) -> Result<u64> {
        if let Some(in_process) = &mut self.in_process {
            return Ok(in_process.simulator().await?.seed());
        }
        match self.control_api() {
            Some(api) => api.get("/").await?["seed"]
                .as_u64()
                .ok_or_else(|| Error::Simulator("the control API did not say its seed".into())),
            None => Err(self.refuse("simulator", "knowing the seed")),
        }
    }

    /// Whether device time is virtual (it moves only when a step moves it) rather than the wall clock.
    pub async fn virtual_clock(&mut self) -> Result<bool> {
        if self.in_process.is_some() {
            return Ok(true);
        }
        if let Some(known) = self.virtual_clock {
            return Ok(known);
        }
        let known = match self.control_api() {
            Some(api) => api.get("/clock").await?["mode"] == "virtual",
            None => false,
        };
        self.virtual_clock = Some(known);
        Ok(known)
    }

    /// Moves a virtual clock `ms` forward; refused on a device whose time cannot be moved.
    pub async fn advance(&mut self, ms: u64) -> Result<()> {
        if let Some(in_process) = &mut self.in_process {
            let sim = in_process.simulator().await?;
            return sim
                .clock()
                .advance(ms)
                .map(|_| ())
                .map_err(|e| Error::Simulator(e.to_string()));
        }
        match self.control_api() {
            Some(api) if self.virtual_clock().await? => {
                api.post("/clock/advance", &json!({ "ms": ms })).await.map(|_| ())
            }
            _ => Err(self.refuse(
                "simulator on a virtual clock",
                &format!("moving device time by {ms} ms"),
            )),
        }
    }

    /// Lets `ms` of device time pass: a virtual clock moves at once; a device on the wall clock is waited for.
    pub async fn pass(&mut self, ms: u64) -> Result<()> {
        if self.virtual_clock().await? {
            self.advance(ms).await
        } else {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        }
    }

    /// Ends the scenario: stops its in-process simulator (or removes the faults it added to a shared one) and
    /// removes its transcript.
    pub async fn finish(&mut self) {
        if let Some(api) = self.control_api() {
            for id in std::mem::take(&mut self.faults_added) {
                // A fault that has acted its last is already gone (404): nothing to undo.
                let _ = api.delete(&format!("/faults/{id}")).await;
            }
        }
        if let Some(in_process) = &mut self.in_process {
            in_process.shutdown().await;
        }
        if let Some(path) = self.transcript.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Which certificates a `wss://` device must chain to: the in-process simulator's announced ones when it runs,
/// else anything (`--insecure`) or the system's roots.
pub fn trust_for(sim: Option<&Simulator>, insecure: bool) -> Trust {
    match (sim, insecure) {
        (Some(sim), _) => Trust::PemFiles(
            sim.announcements()
                .into_iter()
                .filter(|(key, _)| key.ends_with("-ca"))
                .map(|(_, path)| PathBuf::from(path))
                .collect(),
        ),
        (None, true) => Trust::AnyCertificate,
        (None, false) => Trust::System,
    }
}

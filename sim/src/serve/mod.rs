//! The I/O side: listeners, WebSocket sessions, plain HTTP, the control API, and `Simulator`, the handle
//! that starts every selected device on its sockets and shuts them all down cleanly.

pub mod clients;
pub mod control;
pub mod dashboard;
pub mod device;
pub mod fanout;
pub mod faults;
pub mod http;
pub mod http_client;
pub mod listener;
pub mod live;
pub mod outbound;
pub mod raw;
pub mod rewind;
pub mod session;
pub mod tls;
pub mod upgrade;

/// The devices, under their older paths (`serve::pubsub::PubsubTls`, `serve::xarm::parse_model`).
pub use crate::devices::{endrpi, pubsub, xarm};

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{Clock, ClockMode, Epoch};
use crate::devices::DeviceOptions;
use crate::error::SimError;
use crate::serve::device::ControlError;
use crate::serve::faults::{FaultSpec, Faults};
use crate::transcript::{Transcript, TranscriptLimits};

/// What every connection task shares: the clock, the transcript, the network faults and the shutdown signal.
#[derive(Debug)]
pub struct ServeContext {
    pub clock: Arc<Clock>,
    pub transcript: Arc<Transcript>,
    /// Open WebSocket sessions per endpoint (the dashboard shows them).
    pub clients: Arc<clients::Clients>,
    /// The network faults in force, and what they have done.
    pub faults: Arc<Faults>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    /// Connections open at once on one port; more are answered 503 (or closed, over TLS).
    pub max_connections: usize,
}

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The master seed every device derives its noise from.
    pub seed: u64,
    /// Realtime (scaled) or virtual time.
    pub clock: ClockMode,
    /// The Unix instant sim time zero stands for; `None`: a fixed instant in virtual mode, the wall clock at
    /// start in realtime mode.
    pub epoch: Option<Epoch>,
    /// The address every listener binds.
    pub bind: IpAddr,
    /// Start only these devices (by name); `None` starts every device.
    pub only: Option<Vec<String>>,
    /// Ports by endpoint name; an endpoint not listed uses its default port (or any free port with `any_port`).
    pub ports: BTreeMap<String, u16>,
    /// Bind every endpoint not listed in `ports` to a free port (tests run many simulators at once).
    pub any_port: bool,
    /// Where to write the transcript, if anywhere.
    pub transcript: Option<PathBuf>,
    /// How large the transcript's files may grow, and how many are kept.
    pub transcript_limits: TranscriptLimits,
    /// Where the control API is served, if it is.
    pub control: Option<control::ControlConfig>,
    /// Connections open at once on one port.
    pub max_connections: usize,
    /// Device-specific options.
    pub devices: DeviceOptions,
    /// Network faults active from the start (`--fault`).
    pub faults: Vec<FaultSpec>,
    /// Many devices of some kinds instead of one of each (`--fleet`); `None` runs one of each.
    pub fleet: Option<crate::fleet::FleetConfig>,
    /// The shard of the fleet (and of the Obico agents) this process runs.
    pub shard: crate::fleet::Shard,
    /// Where to write the fleet map at start, if anywhere.
    pub fleet_map: Option<PathBuf>,
}

impl SimConfig {
    /// A simulator for tests: virtual time, loopback, free ports, no control API, no transcript.
    pub fn for_tests(seed: u64) -> Self {
        SimConfig {
            seed,
            clock: ClockMode::Virtual,
            epoch: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            only: None,
            ports: BTreeMap::new(),
            any_port: true,
            transcript: None,
            transcript_limits: TranscriptLimits::DEFAULT,
            control: None,
            max_connections: listener::DEFAULT_MAX_CONNECTIONS,
            devices: DeviceOptions::default(),
            faults: Vec::new(),
            fleet: None,
            shard: crate::fleet::Shard::ALL,
            fleet_map: None,
        }
    }
}

/// One socket the simulator is serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundEndpoint {
    /// The device behind it, e.g. `endrpi`; in a fleet its label, e.g. `endrpi-17`.
    pub device: &'static str,
    /// The device's kind, e.g. `endrpi`.
    pub kind: &'static str,
    /// The device's index in its fleet, from 1; `None` for a device alone.
    pub index: Option<u32>,
    /// The endpoint's name, e.g. `esp3d-terminal`.
    pub name: &'static str,
    /// Its label in start lines, logs, the transcript and fault scopes: the name, with the fleet index after
    /// it in a fleet (`esp3d-terminal-3`).
    pub label: &'static str,
    /// The address it actually bound.
    pub addr: SocketAddr,
    /// The URL a client connects to.
    pub url: String,
}

/// A running simulator.
pub struct Simulator {
    ctx: Arc<ServeContext>,
    live: Arc<live::Live>,
    endpoints: Vec<BoundEndpoint>,
    control_url: Option<String>,
    control_token: Option<String>,
    seed: u64,
    shard: crate::fleet::Shard,
}

impl Simulator {
    /// Builds the selected devices and binds every endpoint; returns once all are listening. Every socket is
    /// bound before anything is spawned, and whatever was started is cancelled if a later step fails.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        let transcript = match &config.transcript {
            Some(path) => {
                Transcript::to_file_with(path, config.transcript_limits).map_err(|source| SimError::Transcript {
                    path: path.display().to_string(),
                    source,
                })?
            }
            None => Transcript::disabled(),
        };
        let clock = Arc::new(Clock::with_epoch(config.clock, config.epoch));
        let transcript = Arc::new(transcript);
        let ctx = Arc::new(ServeContext {
            faults: Arc::new(Faults::new(config.seed, clock.clone(), transcript.clone())),
            clock,
            transcript,
            clients: Arc::default(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            max_connections: config.max_connections,
        });
        let cancel_on_failure = ctx.shutdown.clone().drop_guard();
        let prepared = live::Prepared::bind(&config, &ctx).await?;
        ctx.faults
            .add_names(prepared.endpoints().iter().map(|e| (e.label.to_string(), e.kind)));
        ctx.faults.add_raw_names(
            prepared
                .endpoints()
                .iter()
                .filter(|e| e.url.starts_with("tcp://"))
                .map(|e| e.label.to_string()),
        );
        for spec in &config.faults {
            ctx.faults
                .add(spec.clone())
                .map_err(|e| SimError::Fault(spec.to_string(), e))?;
        }
        let control_listener = match &config.control {
            Some(control) => Some(bind(SocketAddr::new(control.bind, control.port), "control").await?),
            None => None,
        };
        let control_token = config.control.as_ref().and_then(control::ControlConfig::required_token);
        let (seed, shard, map_file) = (config.seed, config.shard, config.fleet_map.clone());
        let (live, endpoints) = prepared.start(config, ctx.clone());
        let control_url = control_listener.and_then(|listener| {
            let service = control::ControlService::new(live.clone(), endpoints.clone(), seed, control_token.clone())
                .with_shard(shard)
                .with_dashboard(dashboard::Sources {
                    transcript: ctx.transcript.clone(),
                    clients: ctx.clients.clone(),
                });
            spawn_control(&ctx, listener, service)
        });
        let simulator = Simulator {
            ctx,
            live,
            endpoints,
            control_url,
            control_token,
            seed,
            shard,
        };
        if let Some(path) = map_file {
            let text = simulator.fleet_map().to_string();
            std::fs::write(&path, text).map_err(|source| SimError::FleetMap {
                path: path.display().to_string(),
                source,
            })?;
        }
        cancel_on_failure.disarm();
        Ok(simulator)
    }

    /// Every socket being served.
    pub fn endpoints(&self) -> &[BoundEndpoint] {
        &self.endpoints
    }

    /// The URL of the endpoint with this label (its name, or in a fleet `NAME-INDEX`).
    pub fn url(&self, endpoint: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| e.label == endpoint)
            .map(|e| e.url.as_str())
    }

    /// Every listening device this process runs with its URLs ([`crate::fleet::map::map`]).
    pub fn fleet_map(&self) -> Value {
        crate::fleet::map::map(self.seed, self.shard, self.control_url(), &self.endpoints)
    }

    /// What the devices want printed at start for clients, as `(key, value)` pairs (true across resets).
    pub fn announcements(&self) -> Vec<(&'static str, String)> {
        self.live.announcements()
    }

    /// The control API's URL, if it is served.
    pub fn control_url(&self) -> Option<&str> {
        self.control_url.as_deref()
    }

    /// The bearer token the control API requires, if it requires one (never log it).
    pub fn control_token(&self) -> Option<&str> {
        self.control_token.as_deref()
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulation clock (advance it in virtual mode).
    pub fn clock(&self) -> &Arc<Clock> {
        &self.ctx.clock
    }

    /// The network faults: add, list and clear them.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.ctx.faults
    }

    /// Runs a control command on a device (in a fleet: on every device of that kind).
    pub fn control(&self, device: &str, command: &str, args: &Value) -> Result<Value, ControlError> {
        control::run(&self.live.devices(), self.ctx.clock.now(), device, command, args)
    }

    /// Runs a control command on fleet device `index` of `kind`.
    pub fn control_member(&self, kind: &str, index: u32, command: &str, args: &Value) -> Result<Value, ControlError> {
        control::run_member(&self.live.devices(), self.ctx.clock.now(), kind, index, command, args)
    }

    /// Returns every device to its start state, as a fresh simulator with the same configuration would be:
    /// connections closed, devices rebuilt from the same seed and options on the same ports, the clock at zero.
    pub async fn reset(&self) -> Result<(), SimError> {
        self.live.reset().await
    }

    /// Closes every socket with a close frame, waits for the connections to end (at most a few seconds),
    /// and flushes the transcript.
    pub async fn shutdown(self) {
        self.ctx.shutdown.cancel();
        self.live.stop().await;
        self.ctx.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.ctx.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        if let Err(error) = self.ctx.transcript.flush() {
            tracing::error!(%error, "could not flush the transcript");
        }
    }
}

/// Serves the control API on `listener`; returns its URL.
fn spawn_control(ctx: &Arc<ServeContext>, listener: TcpListener, service: control::ControlService) -> Option<String> {
    let url = listener.local_addr().ok().map(|a| format!("http://{a}/"));
    listener::spawn(listener, "control", Arc::new(service), None, ctx.clone());
    url
}

/// Binds `addr` for `endpoint`.
async fn bind(addr: SocketAddr, endpoint: &str) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr).await.map_err(|source| SimError::Bind {
        endpoint: endpoint.into(),
        addr,
        source,
    })
}

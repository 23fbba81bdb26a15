//! The I/O side: listeners, WebSocket sessions, plain HTTP, the control API, and `Simulator`, the handle
//! that starts every selected device on its sockets and shuts them all down cleanly.

pub mod control;
pub mod device;
pub mod fanout;
pub mod http;
pub mod http_client;
pub mod listener;
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
use crate::devices::{self, DeviceContext, DeviceOptions};
use crate::error::SimError;
use crate::serve::device::{ControlError, Device, Service};
use crate::transcript::{Transcript, TranscriptLimits};

/// What every connection task shares: the clock, the transcript and the shutdown signal.
#[derive(Debug)]
pub struct ServeContext {
    pub clock: Arc<Clock>,
    pub transcript: Arc<Transcript>,
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
        }
    }
}

/// One socket the simulator is serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundEndpoint {
    /// The device behind it, e.g. `endrpi`.
    pub device: &'static str,
    /// The endpoint's name, e.g. `endrpi`.
    pub name: &'static str,
    /// The address it actually bound.
    pub addr: SocketAddr,
    /// The URL a client connects to.
    pub url: String,
}

/// A running simulator.
pub struct Simulator {
    ctx: Arc<ServeContext>,
    devices: Arc<Vec<Arc<dyn Device>>>,
    endpoints: Vec<BoundEndpoint>,
    control_url: Option<String>,
    control_token: Option<String>,
    seed: u64,
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
        let ctx = Arc::new(ServeContext {
            clock: Arc::new(Clock::with_epoch(config.clock, config.epoch)),
            transcript: Arc::new(transcript),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            max_connections: config.max_connections,
        });
        let cancel_on_failure = ctx.shutdown.clone().drop_guard();
        let devices = Arc::new(build_devices(&config, &ctx)?);
        let bound = bind_endpoints(&config, &devices).await?;
        let control_listener = match &config.control {
            Some(control) => Some(bind(SocketAddr::new(control.bind, control.port), "control").await?),
            None => None,
        };
        let control_token = config.control.as_ref().and_then(control::ControlConfig::required_token);
        let endpoints = spawn_devices(&ctx, &devices, bound);
        let control_url = control_listener.and_then(|listener| {
            let service = control::ControlService::new(
                ctx.clock.clone(),
                devices.clone(),
                endpoints.clone(),
                config.seed,
                control_token.clone(),
            );
            spawn_control(&ctx, listener, service)
        });
        cancel_on_failure.disarm();
        Ok(Simulator {
            ctx,
            devices,
            endpoints,
            control_url,
            control_token,
            seed: config.seed,
        })
    }

    /// Every socket being served.
    pub fn endpoints(&self) -> &[BoundEndpoint] {
        &self.endpoints
    }

    /// The URL of the endpoint with this name.
    pub fn url(&self, endpoint: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| e.name == endpoint)
            .map(|e| e.url.as_str())
    }

    /// What the devices want printed at start for clients, as `(key, value)` pairs.
    pub fn announcements(&self) -> Vec<(&'static str, String)> {
        self.devices.iter().flat_map(|d| d.announcements()).collect()
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

    /// Runs a control command on a device.
    pub fn control(&self, device: &str, command: &str, args: &Value) -> Result<Value, ControlError> {
        control::run(&self.devices, self.ctx.clock.now(), device, command, args)
    }

    /// Closes every socket with a close frame, waits for the connections to end (at most a few seconds),
    /// and flushes the transcript.
    pub async fn shutdown(self) {
        self.ctx.shutdown.cancel();
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

/// A listener bound for one endpoint, not yet serving.
struct Bound {
    listener: TcpListener,
    serves: Serves,
    endpoint: BoundEndpoint,
}

/// What a bound listener serves.
enum Serves {
    /// WebSocket and HTTP, over TLS when configured.
    Web {
        service: Arc<dyn Service>,
        tls: Option<Arc<rustls::ServerConfig>>,
    },
    /// A raw TCP protocol.
    Raw(Arc<dyn raw::RawService>),
}

/// Builds the devices `config` selects.
fn build_devices(config: &SimConfig, ctx: &ServeContext) -> Result<Vec<Arc<dyn Device>>, SimError> {
    let device_ctx = DeviceContext {
        seed: config.seed,
        clock: ctx.clock.clone(),
        transcript: ctx.transcript.clone(),
        options: config.devices.clone(),
    };
    devices::select(config.only.as_deref())?
        .into_iter()
        .map(|kind| {
            (kind.build)(&device_ctx).map_err(|source| SimError::Device {
                device: kind.name,
                source,
            })
        })
        .collect()
}

/// Binds every endpoint of every device (its configured port, its default, or a free one).
async fn bind_endpoints(config: &SimConfig, devices: &[Arc<dyn Device>]) -> Result<Vec<Bound>, SimError> {
    let mut bound = Vec::new();
    for device in devices {
        let web = device.endpoints().into_iter().map(|spec| {
            let serves = Serves::Web {
                service: spec.service,
                tls: spec.tls,
            };
            (spec.name, spec.default_port, spec.scheme, spec.path, serves)
        });
        let raw = device
            .raw_endpoints()
            .into_iter()
            .map(|spec| (spec.name, spec.default_port, "tcp", "", Serves::Raw(spec.service)));
        for (name, default_port, scheme, path, serves) in web.chain(raw) {
            let port = match config.ports.get(name) {
                Some(port) => *port,
                None if config.any_port => 0,
                None => default_port,
            };
            let wanted = SocketAddr::new(config.bind, port);
            let listener = match bind(wanted, name).await {
                // A default port below 1024 (the xArm controller's 502) needs privileges; without them a port
                // nobody asked for falls back to any free port, named in the start lines, instead of failing.
                Err(SimError::Bind { source, .. })
                    if source.kind() == std::io::ErrorKind::PermissionDenied && !config.ports.contains_key(name) =>
                {
                    tracing::warn!(
                        endpoint = name,
                        port,
                        "no privilege to bind the default port: using any free port"
                    );
                    bind(SocketAddr::new(config.bind, 0), name).await?
                }
                other => other?,
            };
            let addr = listener.local_addr().map_err(|source| SimError::Bind {
                endpoint: name.into(),
                addr: wanted,
                source,
            })?;
            bound.push(Bound {
                listener,
                serves,
                endpoint: BoundEndpoint {
                    device: device.name(),
                    name,
                    addr,
                    url: format!("{scheme}://{addr}{path}"),
                },
            });
        }
    }
    Ok(bound)
}

/// Starts every device's background task and serves every bound endpoint; returns what is served.
fn spawn_devices(ctx: &Arc<ServeContext>, devices: &[Arc<dyn Device>], bound: Vec<Bound>) -> Vec<BoundEndpoint> {
    for device in devices {
        let own: Vec<&BoundEndpoint> = bound
            .iter()
            .map(|b| &b.endpoint)
            .filter(|e| e.device == device.name())
            .collect();
        device.bound(&own);
        if let Some(task) = device.clone().background(ctx.clock.clone(), ctx.shutdown.clone()) {
            ctx.tracker.spawn(task);
        }
    }
    bound
        .into_iter()
        .map(|b| {
            match b.serves {
                Serves::Web { service, tls } => listener::spawn(b.listener, b.endpoint.name, service, tls, ctx.clone()),
                Serves::Raw(service) => raw::spawn(b.listener, b.endpoint.name, service, ctx.clone()),
            }
            b.endpoint
        })
        .collect()
}

/// Serves the control API on `listener`; returns its URL.
fn spawn_control(ctx: &Arc<ServeContext>, listener: TcpListener, service: control::ControlService) -> Option<String> {
    let url = listener.local_addr().ok().map(|a| format!("http://{a}/"));
    listener::spawn(listener, "control", Arc::new(service), None, ctx.clone());
    url
}

async fn bind(addr: SocketAddr, endpoint: &str) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr).await.map_err(|source| SimError::Bind {
        endpoint: endpoint.into(),
        addr,
        source,
    })
}

//! The I/O side: listeners, WebSocket sessions, plain HTTP, the control API, and `Simulator`, the handle
//! that starts every selected device on its sockets and shuts them all down cleanly.

pub mod control;
pub mod device;
pub mod endrpi;
pub mod fanout;
pub mod http;
pub mod jwt_auth;
pub mod listener;
pub mod pubsub;
pub mod registry;
pub mod rewind;
pub mod session;
pub mod tls;
pub mod xarm;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{Clock, ClockMode};
use crate::error::SimError;
use crate::serve::device::{ControlError, Device, Service};
use crate::serve::registry::{DeviceContext, DeviceOptions};
use crate::transcript::Transcript;

/// What every connection task shares: the clock, the transcript and the shutdown signal.
#[derive(Debug)]
pub struct ServeContext {
    pub clock: Arc<Clock>,
    pub transcript: Arc<Transcript>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The master seed every device derives its noise from.
    pub seed: u64,
    /// Realtime (scaled) or virtual time.
    pub clock: ClockMode,
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
    /// The control API's port, if it is served.
    pub control_port: Option<u16>,
    /// Device-specific options.
    pub devices: DeviceOptions,
}

impl SimConfig {
    /// A simulator for tests: virtual time, loopback, free ports, no control API, no transcript.
    pub fn for_tests(seed: u64) -> Self {
        SimConfig {
            seed,
            clock: ClockMode::Virtual,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            only: None,
            ports: BTreeMap::new(),
            any_port: true,
            transcript: None,
            control_port: None,
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
    seed: u64,
}

impl Simulator {
    /// Builds the selected devices and binds every endpoint; returns once all are listening.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        let transcript = match &config.transcript {
            Some(path) => Transcript::to_file(path).map_err(|source| SimError::Transcript {
                path: path.display().to_string(),
                source,
            })?,
            None => Transcript::disabled(),
        };
        let ctx = Arc::new(ServeContext {
            clock: Arc::new(Clock::new(config.clock)),
            transcript: Arc::new(transcript),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        });
        let kinds = registry::select(config.only.as_deref())?;
        let device_ctx = DeviceContext {
            seed: config.seed,
            clock: ctx.clock.clone(),
            options: config.devices.clone(),
        };
        let devices: Vec<Arc<dyn Device>> = kinds.iter().map(|kind| (kind.build)(&device_ctx)).collect();
        for device in &devices {
            device
                .check()
                .map_err(|reason| SimError::Config(format!("{}: {reason}", device.name())))?;
        }

        let mut bound = Vec::new();
        for device in &devices {
            for spec in device.endpoints() {
                let port = match config.ports.get(spec.name) {
                    Some(port) => *port,
                    None if config.any_port => 0,
                    None => spec.default_port,
                };
                let listener = bind(SocketAddr::new(config.bind, port), spec.name).await?;
                let addr = listener.local_addr().map_err(|source| SimError::Bind {
                    endpoint: spec.name.into(),
                    addr: SocketAddr::new(config.bind, port),
                    source,
                })?;
                bound.push((
                    listener,
                    (spec.service, spec.tls),
                    BoundEndpoint {
                        device: device.name(),
                        name: spec.name,
                        addr,
                        url: format!("{}://{}{}", spec.scheme, addr, spec.path),
                    },
                ));
            }
        }
        for device in &devices {
            let own: Vec<&BoundEndpoint> = bound
                .iter()
                .map(|(_, _, e)| e)
                .filter(|e| e.device == device.name())
                .collect();
            device.bound(&own);
        }
        for device in &devices {
            if let Some(task) = device.clone().background(ctx.clock.clone(), ctx.shutdown.clone()) {
                ctx.tracker.spawn(task);
            }
        }
        let devices = Arc::new(devices);
        let control_listener = match config.control_port {
            Some(port) => Some(bind(SocketAddr::new(config.bind, port), "control").await?),
            None => None,
        };
        let endpoints: Vec<BoundEndpoint> = bound.iter().map(|(_, _, e)| e.clone()).collect();
        for (listener, (service, tls), endpoint) in bound {
            listener::spawn(listener, endpoint.name, service, tls, ctx.clone());
        }
        let control_url = match control_listener {
            Some(listener) => {
                let addr = listener.local_addr().ok();
                let service: Arc<dyn Service> = Arc::new(control::ControlService::new(
                    ctx.clock.clone(),
                    devices.clone(),
                    endpoints.clone(),
                    config.seed,
                ));
                listener::spawn(listener, "control", service, None, ctx.clone());
                addr.map(|a| format!("http://{a}/"))
            }
            None => None,
        };
        Ok(Simulator {
            ctx,
            devices,
            endpoints,
            control_url,
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

async fn bind(addr: SocketAddr, endpoint: &str) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr).await.map_err(|source| SimError::Bind {
        endpoint: endpoint.into(),
        addr,
        source,
    })
}

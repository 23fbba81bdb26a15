//! The devices as they run now (one generation: the devices, their listeners, connections and tasks) and
//! the reset that replaces them with fresh ones on the same ports, the clock back at zero, as a new process
//! with the same flags would start, without restarting the process, its control API or its TLS identities.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::devices::{self, DeviceContext};
use crate::error::SimError;
use crate::fleet;
use crate::serve::device::{Device, Service};
use crate::serve::{BoundEndpoint, ServeContext, SimConfig, bind, listener, raw};

/// How long a stopping generation's connections and tasks get to end.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// One generation: the devices and the context their listeners, connections and tasks run in.
struct Generation {
    ctx: Arc<ServeContext>,
    devices: Arc<Vec<Arc<dyn Device>>>,
}

/// Each TLS endpoint's server configuration, by endpoint name.
type TlsByEndpoint = BTreeMap<&'static str, Arc<rustls::ServerConfig>>;

/// The running devices, replaceable by a reset.
pub struct Live {
    /// The configuration every generation is built from, its ports fixed to those the first one bound.
    config: SimConfig,
    /// The first generation's devices, kept for what they announced at start (a self-signed certificate's
    /// file stays where clients were told to find it) ...
    first: Arc<Vec<Arc<dyn Device>>>,
    /// ... and its TLS endpoints' configurations, served again by every later generation.
    tls: TlsByEndpoint,
    /// The simulator's own context: its clock, transcript and shutdown (every generation's parent).
    base: Arc<ServeContext>,
    current: Mutex<Generation>,
    /// One reset at a time.
    resetting: tokio::sync::Mutex<()>,
}

impl Live {
    /// The devices of the current generation.
    pub fn devices(&self) -> Arc<Vec<Arc<dyn Device>>> {
        match self.current.lock() {
            Ok(current) => current.devices.clone(),
            Err(poisoned) => poisoned.into_inner().devices.clone(),
        }
    }

    /// What the devices announced at start (it stays true across resets).
    pub fn announcements(&self) -> Vec<(&'static str, String)> {
        self.first.iter().flat_map(|d| d.announcements()).collect()
    }

    /// The simulator's own context (its clock and transcript outlive every generation).
    pub fn base(&self) -> &Arc<ServeContext> {
        &self.base
    }

    /// Stops every device, its connections and tasks (each socket closes as at shutdown), restarts the clock,
    /// and starts the devices afresh from the same configuration on the same ports, with the same certificates.
    pub async fn reset(&self) -> Result<(), SimError> {
        let _one = self.resetting.lock().await;
        if self.base.shutdown.is_cancelled() {
            return Err(SimError::Stopped);
        }
        let old = match self.current.lock() {
            Ok(current) => current.ctx.clone(),
            Err(poisoned) => poisoned.into_inner().ctx.clone(),
        };
        stop(&old).await;
        self.base.clock.restart();
        // The network faults are as at start too: those of the command line, none added since.
        self.base.faults.clear();
        for spec in &self.config.faults {
            self.base
                .faults
                .add(spec.clone())
                .map_err(|e| SimError::Fault(spec.to_string(), e))?;
        }
        let prepared = Prepared::bind_with(&self.config, &self.base, &self.tls).await?;
        let (generation, _) = prepared.spawn();
        match self.current.lock() {
            Ok(mut current) => *current = generation,
            Err(poisoned) => *poisoned.into_inner() = generation,
        }
        Ok(())
    }

    /// Ends the current generation (the simulator is shutting down: its base is already cancelled).
    pub async fn stop(&self) {
        let _one = self.resetting.lock().await;
        let current = match self.current.lock() {
            Ok(current) => current.ctx.clone(),
            Err(poisoned) => poisoned.into_inner().ctx.clone(),
        };
        stop(&current).await;
    }
}

/// Cancels a generation and waits (bounded) for its tasks to end.
async fn stop(ctx: &ServeContext) {
    ctx.shutdown.cancel();
    ctx.tracker.close();
    if tokio::time::timeout(STOP_WAIT, ctx.tracker.wait()).await.is_err() {
        tracing::warn!("some connections did not close in time");
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

/// A generation whose devices are built and whose sockets are bound, nothing spawned yet.
pub struct Prepared {
    ctx: Arc<ServeContext>,
    devices: Arc<Vec<Arc<dyn Device>>>,
    bound: Vec<Bound>,
}

impl Prepared {
    /// Builds the devices `config` selects and binds every endpoint, in a generation under `base`.
    pub async fn bind(config: &SimConfig, base: &Arc<ServeContext>) -> Result<Prepared, SimError> {
        Prepared::bind_with(config, base, &TlsByEndpoint::new()).await
    }

    /// [`Prepared::bind`], serving the TLS endpoints named in `tls` with those configurations.
    async fn bind_with(
        config: &SimConfig,
        base: &Arc<ServeContext>,
        tls: &TlsByEndpoint,
    ) -> Result<Prepared, SimError> {
        let ctx = Arc::new(ServeContext {
            clock: base.clock.clone(),
            transcript: base.transcript.clone(),
            clients: base.clients.clone(),
            faults: base.faults.clone(),
            shutdown: base.shutdown.child_token(),
            tracker: TaskTracker::new(),
            max_connections: base.max_connections,
        });
        let devices = Arc::new(build_devices(config, &ctx)?);
        let bound = bind_endpoints(config, &ctx, &devices, tls).await?;
        Ok(Prepared { ctx, devices, bound })
    }

    /// The endpoints bound.
    pub fn endpoints(&self) -> Vec<BoundEndpoint> {
        self.bound.iter().map(|b| b.endpoint.clone()).collect()
    }

    /// Starts the generation under `base`, kept for resets of the same `config` (its ports fixed to these).
    pub fn start(self, mut config: SimConfig, base: Arc<ServeContext>) -> (Arc<Live>, Vec<BoundEndpoint>) {
        for bound in &self.bound {
            config
                .ports
                .insert(bound.endpoint.label.to_string(), bound.endpoint.addr.port());
        }
        let tls = self
            .bound
            .iter()
            .filter_map(|b| match &b.serves {
                Serves::Web { tls: Some(tls), .. } => Some((b.endpoint.name, tls.clone())),
                _ => None,
            })
            .collect();
        let first = self.devices.clone();
        let (generation, endpoints) = self.spawn();
        let live = Live {
            config,
            first,
            tls,
            base,
            current: Mutex::new(generation),
            resetting: tokio::sync::Mutex::new(()),
        };
        (Arc::new(live), endpoints)
    }

    /// Starts every device's background task and serves every bound endpoint.
    fn spawn(self) -> (Generation, Vec<BoundEndpoint>) {
        let Prepared { ctx, devices, bound } = self;
        // Endpoints are bound device after device, so each device's are the next run of them (one pass, not
        // one scan per device: a fleet has thousands).
        let mut rest = bound.as_slice();
        for device in devices.iter() {
            let mine = rest.iter().take_while(|b| b.endpoint.device == device.name()).count();
            let (own, later) = rest.split_at(mine);
            rest = later;
            let own: Vec<&BoundEndpoint> = own.iter().map(|b| &b.endpoint).collect();
            device.bound(&own);
            if let Some(task) = device.clone().background(ctx.clock.clone(), ctx.shutdown.clone()) {
                ctx.tracker.spawn(task);
            }
        }
        let endpoints = bound
            .into_iter()
            .map(|b| {
                match b.serves {
                    Serves::Web { service, tls } => {
                        listener::spawn(b.listener, b.endpoint.label, service, tls, ctx.clone())
                    }
                    Serves::Raw(service) => raw::spawn(b.listener, b.endpoint.label, service, ctx.clone()),
                }
                b.endpoint
            })
            .collect();
        (Generation { ctx, devices }, endpoints)
    }
}

/// Builds the devices `config` selects: one of each selected kind, or the fleet's devices of this shard
/// (and the Obico agents of this shard, which are a fleet of their own).
fn build_devices(config: &SimConfig, ctx: &ServeContext) -> Result<Vec<Arc<dyn Device>>, SimError> {
    let device_ctx = device_context(config, ctx);
    let single = |kind: &'static devices::DeviceKind| {
        (kind.build)(&device_ctx).map_err(|source| SimError::Device {
            device: kind.name,
            source,
        })
    };
    match &config.fleet {
        None => devices::select(config.only.as_deref())?
            .into_iter()
            .map(single)
            .collect(),
        Some(fleet) => {
            let mut built = fleet::build(fleet, config.shard, &device_ctx)?;
            built.push(single(&devices::obico::KIND)?);
            Ok(built)
        }
    }
}

/// What every device of `config` is built with (a fleet device gets its own seed in it).
fn device_context(config: &SimConfig, ctx: &ServeContext) -> DeviceContext {
    DeviceContext {
        seed: config.seed,
        clock: ctx.clock.clone(),
        transcript: ctx.transcript.clone(),
        faults: ctx.faults.clone(),
        options: config.devices.clone(),
        shard: config.shard,
        host: Some(config.bind).filter(|ip| !ip.is_unspecified()),
    }
}

/// Binds every endpoint of every device (its configured port, its default, or a free one; a fleet device on
/// its own address or port, [`fleet::FleetConfig::place`]), over TLS with the configuration `tls` names for
/// it, else its own; raw TCP endpoints beside them.
async fn bind_endpoints(
    config: &SimConfig,
    ctx: &ServeContext,
    devices: &[Arc<dyn Device>],
    tls: &TlsByEndpoint,
) -> Result<Vec<Bound>, SimError> {
    let widths = match &config.fleet {
        Some(
            fleet @ fleet::FleetConfig {
                addressing: fleet::Addressing::Ports(_),
                ..
            },
        ) => fleet::widths(fleet, devices, &device_context(config, ctx))?,
        _ => Vec::new(),
    };
    let width_of = |kind: &str| widths.iter().find(|(k, _)| *k == kind).map_or(0, |(_, w)| *w);
    let mut bound = Vec::new();
    for device in devices {
        let web = device.endpoints().into_iter().map(|spec| {
            let serves = Serves::Web {
                service: spec.service,
                tls: tls.get(spec.name).cloned().or(spec.tls),
            };
            (spec.name, spec.default_port, spec.scheme, spec.path, serves)
        });
        let raw = device
            .raw_endpoints()
            .into_iter()
            .map(|spec| (spec.name, spec.default_port, "tcp", "", Serves::Raw(spec.service)));
        let index = device.fleet_index();
        for (place, (name, default_port, scheme, path, serves)) in web.chain(raw).enumerate() {
            let label = index.map_or(name, |i| fleet::label(name, i));
            let asked = config.ports.get(label).or_else(|| config.ports.get(name)).copied();
            let port = match asked {
                Some(port) => port,
                None if config.any_port => 0,
                None => default_port,
            };
            let wanted = match (&config.fleet, index) {
                (Some(fleet), Some(i)) => fleet.place(device.kind(), i, place, port, config.bind, &width_of)?,
                _ => std::net::SocketAddr::new(config.bind, port),
            };
            let listener = match bind(wanted, label).await {
                // A default port below 1024 (the xArm controller's 502) needs privileges; without them a port
                // nobody asked for falls back to any free port, named in the start lines, instead of failing.
                Err(SimError::Bind { source, .. })
                    if source.kind() == std::io::ErrorKind::PermissionDenied && asked.is_none() =>
                {
                    tracing::warn!(
                        endpoint = label,
                        port,
                        "no privilege to bind the default port: using any free port"
                    );
                    bind(std::net::SocketAddr::new(wanted.ip(), 0), label).await?
                }
                other => other?,
            };
            let addr = listener.local_addr().map_err(|source| SimError::Bind {
                endpoint: label.into(),
                addr: wanted,
                source,
            })?;
            bound.push(Bound {
                listener,
                serves,
                endpoint: BoundEndpoint {
                    device: device.name(),
                    kind: device.kind(),
                    index,
                    name,
                    label,
                    addr,
                    url: format!("{scheme}://{addr}{path}"),
                },
            });
        }
    }
    Ok(bound)
}

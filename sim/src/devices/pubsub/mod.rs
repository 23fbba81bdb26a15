//! The robot pub/sub device (seed 001) on `wss://HOST:8443/wss?token=JWT`: the token checked before the
//! upgrade, topics with fan-out, `server_logs`, and a mobile base publishing odom, battery and diagnostics.

mod args;
mod hub;
mod service;
mod session;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use args::{PubsubArgs, TokenArgs, parse_ttl};
pub use understudy_core::proto::pubsub::broker::{
    MAX_TOPIC_BYTES, MAX_TOPICS_PER_CONNECTION, SERVER_LOGS_TOPIC, SERVER_TOPICS, TOO_SLOW,
};

use crate::clock::{Clock, SimTime};
use crate::devices::{DeviceContext, DeviceKind, flags_of, parse_flags};
use crate::serve::dashboard::series::Series;
use crate::serve::device::{BackgroundTask, ControlError, Device, DeviceError, DeviceFault, EndpointSpec};
use crate::serve::tls::{self, PemFile};
use hub::Hub;
use service::PubsubService;
use understudy_core::proto::pubsub::auth::{self as jwt_auth, AuthConfig};

/// The HS256 secret used when none is given. It is published here, so it is for development only.
pub const DEV_SECRET: &str = "understudy-development-secret";
/// How long the development token printed at start stays valid, in sim-time seconds.
pub const DEV_TOKEN_TTL_SECS: u64 = 24 * 3600;
/// The `sub` claim of the development token.
pub const DEV_SUBJECT: &str = "dev";
/// The WebSocket path (seed 001).
pub const WEBSOCKET_PATH: &str = "/wss";
/// The port used when none is given.
pub const DEFAULT_PORT: u16 = 8443;
/// The names the self-signed certificate is made for, with the robot's own address beside them.
pub const SELF_SIGNED_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The names of the robot's self-signed certificate: [`SELF_SIGNED_NAMES`], and `host` (the one address it
/// listens on: `--bind`, or a fleet robot's own) when it is another.
pub fn self_signed_names(host: Option<std::net::IpAddr>) -> Vec<String> {
    let mut names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|n| n.to_string()).collect();
    if let Some(host) = host.map(|ip| ip.to_string()).filter(|ip| !names.contains(ip)) {
        names.push(host);
    }
    names
}

/// How the endpoint does TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PubsubTls {
    /// Plain `ws://`.
    Plain,
    /// `wss://` with a certificate for `localhost`, `127.0.0.1` and the robot's own address, made at start.
    SelfSigned,
    /// `wss://` with this PEM certificate chain and private key.
    Files { cert: PathBuf, key: PathBuf },
}

/// Options for the pub/sub robot.
#[derive(Clone, PartialEq, Eq)]
pub struct PubsubOptions {
    /// The HS256 secret tokens are signed with.
    pub jwt_secret: String,
    /// TLS or not, and with which certificate.
    pub tls: PubsubTls,
}

impl Default for PubsubOptions {
    fn default() -> Self {
        PubsubOptions {
            jwt_secret: DEV_SECRET.to_string(),
            tls: PubsubTls::SelfSigned,
        }
    }
}

impl std::fmt::Debug for PubsubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubsubOptions")
            .field("jwt_secret", &"<redacted>")
            .field("tls", &self.tls)
            .finish()
    }
}

/// The registry entry.
pub const KIND: DeviceKind = DeviceKind {
    name: "pubsub",
    args: flags_of::<PubsubArgs>,
    flags: parse_flags::<PubsubArgs>,
    build,
};

/// Builds the pub/sub robot; unusable TLS options (an unreadable certificate) stop it with an error.
pub fn build(ctx: &DeviceContext) -> Result<Arc<dyn Device>, DeviceError> {
    let options = ctx.options.get::<PubsubOptions>();
    let auth = Arc::new(AuthConfig::new(options.jwt_secret.as_bytes()));
    let mut ca_file = None;
    let tls = match &options.tls {
        PubsubTls::Plain => None,
        PubsubTls::SelfSigned => {
            let names = self_signed_names(ctx.host);
            let made = tls::self_signed(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
            let pem = made.self_signed_pem.unwrap_or_default();
            ca_file = Some(PemFile::write("understudy-pubsub-cert", &pem)?);
            Some(made.config)
        }
        PubsubTls::Files { cert, key } => Some(tls::from_pem_files(cert, key)?.config),
    };
    let dev_token = jwt_auth::mint(&auth, DEV_SUBJECT, DEV_TOKEN_TTL_SECS, ctx.clock.unix_ms() / 1000);
    Ok(Arc::new(Pubsub {
        hub: Hub::new(ctx.clock.now()),
        auth,
        clock: ctx.clock.clone(),
        tls,
        ca_file,
        dev_token,
        trail: Mutex::new(Series::new(TRAIL_POINTS, TRAIL_GAP_MS)),
    }))
}

struct Pubsub {
    hub: Arc<Hub>,
    auth: Arc<AuthConfig>,
    clock: Arc<Clock>,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// The self-signed certificate, removed from disk when the device is dropped.
    ca_file: Option<PemFile>,
    dev_token: String,
    /// The robot's odometry trail `[x, y]` (m), sampled when the dashboard looks.
    trail: Mutex<Series<[f64; 2]>>,
}

/// Trail points kept, and the sim time between two (ms): a minute at the odometry's 10 Hz.
const TRAIL_POINTS: usize = 600;
const TRAIL_GAP_MS: u64 = 100;

impl Device for Pubsub {
    fn name(&self) -> &'static str {
        "pubsub"
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        vec![EndpointSpec {
            name: "pubsub",
            default_port: DEFAULT_PORT,
            scheme: if self.tls.is_some() { "wss" } else { "ws" },
            path: WEBSOCKET_PATH,
            service: Arc::new(PubsubService {
                hub: self.hub.clone(),
                auth: self.auth.clone(),
                clock: self.clock.clone(),
            }),
            tls: self.tls.clone(),
        }]
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        &[DeviceFault {
            command: "battery",
            args: r#"{"percentage": <0..100>}"#,
            effect: "sets the battery's charge (a low battery shows in `battery` and `diagnostics`)",
        }]
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        let result = match command {
            "battery" => {
                let percentage = args
                    .get("percentage")
                    .and_then(Value::as_f64)
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| ControlError::BadArguments("expected {\"percentage\": <number 0..100>}".into()))?;
                let mut hub = self.hub.lock();
                hub.base_mut().set_battery_percentage(now, percentage);
                hub.catch_up(now);
                let state = hub.base().state();
                json!({ "percentage": state.battery_percentage, "voltage": state.voltage })
            }
            "state" => {
                let mut hub = self.hub.lock();
                hub.catch_up(now);
                let s = hub.base().state();
                json!({
                    "t": s.at.as_millis(),
                    "x": s.x,
                    "y": s.y,
                    "theta": s.theta,
                    "linear": s.linear,
                    "angular": s.angular,
                    "target_linear": s.target_linear,
                    "target_angular": s.target_angular,
                    "battery_percentage": s.battery_percentage,
                    "voltage": s.voltage,
                    "connections": hub.connection_count(),
                })
            }
            "token" => {
                let ttl = match args.get("ttl_s") {
                    None | Some(Value::Null) => DEV_TOKEN_TTL_SECS,
                    Some(v) => v.as_u64().ok_or_else(|| {
                        ControlError::BadArguments("`ttl_s` must be a whole number of seconds".into())
                    })?,
                };
                let sub = match args.get("sub") {
                    None | Some(Value::Null) => DEV_SUBJECT,
                    Some(v) => v
                        .as_str()
                        .ok_or_else(|| ControlError::BadArguments("`sub` must be a string".into()))?,
                };
                json!({ "token": jwt_auth::mint(&self.auth, sub, ttl, self.clock.unix_ms() / 1000) })
            }
            other => {
                return Err(ControlError::UnknownCommand(format!(
                    "{other} (pubsub knows: battery, state, token)"
                )));
            }
        };
        self.hub.wake.notify_one();
        Ok(result)
    }

    fn view(&self, now: SimTime) -> Value {
        let mut hub = self.hub.lock();
        hub.catch_up(now);
        let s = hub.base().state();
        let mut trail = self.trail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        trail.sample(s.at, [s.x, s.y]);
        json!({
            "pose": { "x_m": s.x, "y_m": s.y, "theta_rad": s.theta },
            "velocity": { "linear_m_s": s.linear, "angular_rad_s": s.angular },
            "target": { "linear_m_s": s.target_linear, "angular_rad_s": s.target_angular },
            "battery": { "percentage": s.battery_percentage, "voltage_v": s.voltage },
            "trail": trail.to_json(),
            "topics": hub.subscriber_counts(),
            "connections": hub.connection_count(),
        })
    }

    fn announcements(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        if let Some(file) = &self.ca_file {
            lines.push(("pubsub-ca", file.path().display().to_string()));
        }
        lines.push(("pubsub-token", self.dev_token.clone()));
        lines
    }

    fn background(self: Arc<Self>, clock: Arc<Clock>, shutdown: CancellationToken) -> Option<BackgroundTask> {
        let hub = self.hub.clone();
        Some(Box::pin(async move {
            loop {
                let deadline = hub.lock().base().next_deadline();
                let reached = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = clock.sleep_until(deadline) => true,
                    _ = hub.wake.notified() => false,
                };
                // A realtime clock may read a hair before the deadline it just woke for.
                let now = if reached {
                    clock.now().max(deadline)
                } else {
                    clock.now()
                };
                hub.lock().catch_up(now);
            }
        }))
    }
}

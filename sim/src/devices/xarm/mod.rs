//! The simulated UFactory xArm: UFactory Studio's WebSocket at `/ws` and HTTP status (default 18333), the
//! controller's TCP protocol (502) and report ports (30000-30003), all over one arm moved in sim time.

mod args;
pub mod reports;
pub mod session;
pub mod shared;
pub mod tcp;

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SimTime};
use crate::devices::{DeviceContext, DeviceKind, flags_of, parse_flags};
use crate::serve::device::{
    BackgroundTask, ConnInfo, ControlError, Device, DeviceError, DeviceFault, EndpointSpec, Service, Session, Upgrade,
};
use crate::serve::raw::RawEndpointSpec;
pub use args::XarmArgs;
use session::XarmSession;
use shared::Shared;
use understudy_core::model::arm::ArmModel;
use understudy_core::model::arm::kinematics::{fk_transform, joint_frames};
use understudy_core::model::arm::limits::joint_limits;
use understudy_core::model::xarm::{ApiCode, COLLISION_ERROR, Controller};
use understudy_core::proto::http::{HttpRequest, HttpResponse};
use understudy_core::proto::xarm::codes::{CONTROLLER_ERRORS, CONTROLLER_WARNINGS};
use understudy_core::proto::xarm::report::status_object;
use understudy_core::proto::xarm::rest::{self, Route, WEBSOCKET_PATH};
use understudy_core::proto::xarm_tcp::ReportKind;

/// Studio's port.
pub const DEFAULT_PORT: u16 = 18333;
/// The controller TCP endpoint's name (`--xarm-tcp-port`).
pub const TCP_ENDPOINT: &str = "xarm-tcp";
/// Default status report rate (Hz).
pub const DEFAULT_REPORT_HZ: u32 = 10;

/// Options for the simulated arm.
#[derive(Clone, Debug)]
pub struct XarmOptions {
    /// Which arm.
    pub model: ArmModel,
    /// Status reports per second on each connection.
    pub report_hz: u32,
    /// A controller error raised from the start (must be in the controller error table).
    pub fault: Option<i32>,
}

impl Default for XarmOptions {
    fn default() -> Self {
        XarmOptions {
            model: ArmModel::XArm6,
            report_hz: DEFAULT_REPORT_HZ,
            fault: None,
        }
    }
}

/// Parses a model name as the CLI takes it: `xarm5`, `xarm6`, `xarm7` or `lite6`.
pub fn parse_model(name: &str) -> Option<ArmModel> {
    ArmModel::ALL
        .into_iter()
        .find(|m| m.name() == name.to_ascii_lowercase())
}

/// Whether `code` is in the published controller error table.
pub fn is_controller_error(code: i32) -> bool {
    CONTROLLER_ERRORS.iter().any(|(c, _)| *c == code)
}

/// The registry entry.
pub const KIND: DeviceKind = DeviceKind {
    name: "xarm",
    args: flags_of::<XarmArgs>,
    flags: parse_flags::<XarmArgs>,
    build,
};

/// Builds the xArm device.
pub fn build(ctx: &DeviceContext) -> Result<Arc<dyn Device>, DeviceError> {
    let options = ctx.options.get::<XarmOptions>();
    let mut controller = Controller::new(options.model);
    if let Some(code) = options.fault.filter(|c| is_controller_error(*c)) {
        controller.raise_error(SimTime::ZERO, code);
    }
    let identity = understudy_core::proto::xarm::info::Identity::new(options.model, ctx.seed);
    Ok(Arc::new(Xarm {
        shared: Arc::new(Shared::new(
            controller,
            identity,
            ctx.seed,
            options.report_hz.clamp(1, 100),
        )),
    }))
}

struct Xarm {
    shared: Arc<Shared>,
}

fn table_code(args: &Value, table: &[(i32, &str)], what: &str) -> Result<i32, ControlError> {
    let code = args
        .get("code")
        .and_then(Value::as_i64)
        .and_then(|c| i32::try_from(c).ok())
        .ok_or_else(|| ControlError::BadArguments(format!("expected {{\"code\": <{what} code>}}")))?;
    if table.iter().any(|(c, _)| *c == code) {
        Ok(code)
    } else {
        let known: Vec<String> = table.iter().map(|(c, _)| c.to_string()).collect();
        Err(ControlError::BadArguments(format!(
            "{code} is not a {what} code (known: {})",
            known.join(", ")
        )))
    }
}

impl Xarm {
    fn state_json(&self, now: SimTime) -> Value {
        let mut guard = self.shared.lock();
        self.shared.catch_up(&mut guard, now);
        let s = guard.controller.snapshot(now);
        let p = s.pose.to_array();
        json!({
            "t_ms": now.as_millis(),
            "model": guard.controller.model().name(),
            "state": s.state.code(),
            "mode": s.mode,
            "error_code": s.error_code,
            "warn_code": s.warn_code,
            "enabled": s.enabled,
            "moving": s.busy,
            "joints_rad": s.joints,
            "joints_deg": s.joints.iter().map(|q| q.to_degrees()).collect::<Vec<_>>(),
            "tcp_pose": [p[0], p[1], p[2], p[3].to_degrees(), p[4].to_degrees(), p[5].to_degrees()],
            "speed_percent": guard.controller.settings.speed_percent,
            "gripper_pos": s.gripper_pos,
        })
    }

    fn change<T>(&self, f: impl FnOnce(&mut Controller<shared::Waiter>) -> T) -> T {
        let mut guard = self.shared.lock();
        let code = f(&mut guard.controller);
        self.shared.commit(&mut guard);
        code
    }
}

impl Device for Xarm {
    fn name(&self) -> &'static str {
        "xarm"
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        vec![EndpointSpec {
            name: "xarm",
            default_port: DEFAULT_PORT,
            scheme: "ws",
            path: WEBSOCKET_PATH,
            service: Arc::new(XarmService {
                shared: self.shared.clone(),
            }),
            tls: None,
        }]
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        &[
            DeviceFault {
                command: "fault",
                args: r#"{"code": <controller error code>}"#,
                effect: "raises a controller error: the arm stops and refuses motion until cleared",
            },
            DeviceFault {
                command: "collision",
                args: "{}",
                effect: "raises the collision error (C31)",
            },
            DeviceFault {
                command: "warn",
                args: r#"{"code": <controller warning code>}"#,
                effect: "raises a controller warning",
            },
        ]
    }

    fn raw_endpoints(&self) -> Vec<RawEndpointSpec> {
        let control = RawEndpointSpec {
            name: TCP_ENDPOINT,
            default_port: tcp::DEFAULT_PORT,
            service: Arc::new(tcp::ControlService {
                shared: self.shared.clone(),
            }),
        };
        let reports = ReportKind::ALL.into_iter().map(|kind| RawEndpointSpec {
            name: kind.name(),
            default_port: kind.default_port(),
            service: Arc::new(reports::ReportService {
                shared: self.shared.clone(),
                kind,
            }),
        });
        std::iter::once(control).chain(reports).collect()
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        match command {
            "fault" => {
                let code = table_code(args, CONTROLLER_ERRORS, "controller error")?;
                self.change(|c| {
                    c.raise_error(now, code);
                    0
                });
            }
            "collision" => {
                self.change(|c| {
                    c.raise_error(now, COLLISION_ERROR);
                    0
                });
            }
            "warn" => {
                let code = table_code(args, CONTROLLER_WARNINGS, "controller warning")?;
                self.change(|c| {
                    c.raise_warn(now, code);
                    0
                });
            }
            "tcp_offset" => {
                let values: Vec<f64> = args
                    .get("offset")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default();
                let offset: [f64; 6] = values.try_into().map_err(|_| {
                    ControlError::BadArguments("expected {\"offset\": [x, y, z mm, roll, pitch, yaw deg]}".into())
                })?;
                let rad = understudy_core::proto::xarm::pose_from_studio(offset);
                let code = self.change(|c| c.set_tcp_offset(now, rad));
                if code != ApiCode::Ok {
                    return Err(ControlError::BadArguments(format!(
                        "the TCP offset can only change while the arm is idle and must be finite (code {})",
                        code.code()
                    )));
                }
            }
            "state" => {}
            other => {
                return Err(ControlError::UnknownCommand(format!(
                    "{other} (xarm knows: fault, collision, warn, tcp_offset, state)"
                )));
            }
        }
        Ok(self.state_json(now))
    }

    fn view(&self, now: SimTime) -> Value {
        let mut view = self.state_json(now);
        let guard = self.shared.lock();
        let c = &guard.controller;
        let joints = c.snapshot(now).joints;
        // The links to draw, from the base up: its origin, each joint frame's (the last is the flange), the TCP.
        let mut links = vec![[0.0; 3]];
        links.extend(
            joint_frames(c.model(), &joints)
                .unwrap_or_default()
                .iter()
                .map(|f| f.pos),
        );
        links.extend(
            fk_transform(c.model(), &joints, c.settings.tcp_offset)
                .ok()
                .map(|t| t.pos),
        );
        let limits: Vec<[f64; 2]> = joint_limits(c.model())
            .iter()
            .map(|(lo, hi)| [lo.to_degrees(), hi.to_degrees()])
            .collect();
        let (ends, paused) = c.motion_queue();
        view["links_mm"] = json!(links);
        view["joint_limits_deg"] = json!(limits);
        view["queue"] = json!({ "ends_ms": ends.iter().map(|t| t.as_millis()).collect::<Vec<_>>(), "paused": paused });
        view
    }

    fn background(self: Arc<Self>, clock: Arc<Clock>, shutdown: CancellationToken) -> Option<BackgroundTask> {
        let shared = self.shared.clone();
        Some(Box::pin(async move {
            loop {
                let wake = shared.wake.notified();
                let next = shared.lock().controller.next_event();
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = wake => {}
                    _ = async {
                        match next {
                            Some(t) => clock.sleep_until(t).await,
                            None => std::future::pending().await,
                        }
                    } => {
                        if let Some(t) = next {
                            let mut guard = shared.lock();
                            shared.catch_up(&mut guard, t);
                        }
                    }
                }
            }
        }))
    }
}

struct XarmService {
    shared: Arc<Shared>,
}

impl Service for XarmService {
    fn upgrade(&self, request: &Request) -> Result<Upgrade, ErrorResponse> {
        // Query parameters (channel, lang, v, id) are accepted and ignored.
        if request.uri().path() == WEBSOCKET_PATH {
            Ok(Upgrade { subprotocol: None })
        } else {
            let mut response = ErrorResponse::new(Some(format!(
                "no WebSocket at {}; use {WEBSOCKET_PATH}",
                request.uri().path()
            )));
            *response.status_mut() = StatusCode::NOT_FOUND;
            Err(response)
        }
    }

    fn open_session(&self, conn: ConnInfo) -> Box<dyn Session> {
        Box::new(XarmSession::new(self.shared.clone(), conn.push))
    }

    fn http(&self, now: SimTime, request: HttpRequest) -> HttpResponse {
        match rest::route(&request) {
            Ok(Route::Status) => {
                let body = self
                    .shared
                    .with_status(now, |input| Value::Object(status_object(input)).to_string());
                HttpResponse::json(200, body)
            }
            Ok(Route::Info) => HttpResponse::json(200, Value::Object(self.shared.identity.info_object()).to_string()),
            Err(response) => response,
        }
    }
}

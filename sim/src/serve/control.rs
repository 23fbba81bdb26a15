//! The control API: plain HTTP+JSON to read and advance the clock, to run device control commands (fault
//! injection, forced states) and to reset every device to its start state, so that a simulator in another
//! process can be driven like an in-process one.
//! It stays on loopback unless asked otherwise, and then every request needs its bearer token.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};

use crate::clock::{ClockError, ClockMode, SimTime};
use crate::serve::BoundEndpoint;
use crate::serve::dashboard::{self, Sources};
use crate::serve::device::{AnswerFuture, ControlError, Device, HttpAnswer, Service, Session, Upgrade};
use crate::serve::faults::FaultError;
use crate::serve::live::Live;
use understudy_core::proto::http::{HttpRequest, HttpResponse};

/// The control API's flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ControlArgs {
    /// Control API port (HTTP+JSON: clock and fault injection); 0 = any free port.
    #[arg(long, default_value_t = 7400)]
    pub control_port: u16,
    /// Do not serve the control API.
    #[arg(long)]
    pub no_control: bool,
    /// Address the control API binds (loopback whatever --bind says, unless this asks otherwise); any other
    /// address requires a bearer token on every request.
    #[arg(long, conflicts_with = "no_control")]
    pub control_bind: Option<IpAddr>,
    /// The control API's bearer token (`Authorization: Bearer TOKEN`); with --control-bind and no token, one
    /// is generated and printed at start as `control-token TOKEN`.
    #[arg(long, conflicts_with = "no_control")]
    pub control_token: Option<String>,
}

impl ControlArgs {
    /// The control API these flags describe; `None` with `--no-control`.
    pub fn config(&self) -> Option<ControlConfig> {
        (!self.no_control).then(|| ControlConfig {
            port: self.control_port,
            bind: self.control_bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            token: self.control_token.clone(),
        })
    }
}

/// Where and how the control API is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlConfig {
    /// Its port (0 = any free port).
    pub port: u16,
    /// The address it binds; loopback unless asked otherwise.
    pub bind: IpAddr,
    /// The bearer token every request must carry; `None` on loopback means none is required.
    pub token: Option<String>,
}

impl ControlConfig {
    /// A control API on loopback, port `port`, without a token.
    pub fn loopback(port: u16) -> Self {
        ControlConfig {
            port,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            token: None,
        }
    }

    /// The token requests must carry: the one given, else one generated when bound off loopback.
    pub fn required_token(&self) -> Option<String> {
        match &self.token {
            Some(token) => Some(token.clone()),
            None if self.bind.is_loopback() => None,
            None => Some(generate_token()),
        }
    }
}

/// 32 random bytes from the TLS provider's secure random source, as hex.
fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    let random = rustls::crypto::ring::default_provider().secure_random;
    if random.fill(&mut bytes).is_err() {
        // Without a random source there is no secret to hand out; a token nobody knows still locks the API.
        tracing::error!("no secure random source: the control API cannot be used");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `given` (an `Authorization` header value) carries `token`, compared in constant time.
fn bearer_matches(given: Option<&str>, token: &str) -> bool {
    let Some(given) = given.and_then(|g| g.strip_prefix("Bearer ")) else {
        return false;
    };
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Runs `command` on the device named `device`; when no device has that name but fleet devices of that kind
/// run, on each of them, answering `{"kind", "devices": {LABEL: answer}}` (the first refusal refuses all).
pub fn run(
    devices: &[Arc<dyn Device>],
    now: SimTime,
    device: &str,
    command: &str,
    args: &Value,
) -> Result<Value, ControlError> {
    if let Some(target) = devices.iter().find(|d| d.name() == device) {
        return target.control(now, command, args);
    }
    let members: Vec<&Arc<dyn Device>> = devices.iter().filter(|d| d.kind() == device).collect();
    if members.is_empty() {
        return Err(ControlError::UnknownCommand(format!(
            "{device}/{command} (no device `{device}` is running)"
        )));
    }
    let answers = members
        .iter()
        .map(|d| Ok((d.name().to_string(), d.control(now, command, args)?)))
        .collect::<Result<serde_json::Map<String, Value>, ControlError>>()?;
    Ok(json!({ "kind": device, "devices": answers }))
}

/// Runs `command` on fleet device `index` of `kind`.
pub fn run_member(
    devices: &[Arc<dyn Device>],
    now: SimTime,
    kind: &str,
    index: u32,
    command: &str,
    args: &Value,
) -> Result<Value, ControlError> {
    devices
        .iter()
        .find(|d| d.kind() == kind && d.fleet_index() == Some(index))
        .ok_or_else(|| {
            ControlError::UnknownCommand(format!(
                "{kind}/{index}/{command} (device {index} of `{kind}` does not run in this process)"
            ))
        })?
        .control(now, command, args)
}

/// The control API's HTTP service.
pub struct ControlService {
    live: Arc<Live>,
    endpoints: Vec<BoundEndpoint>,
    seed: u64,
    shard: crate::fleet::Shard,
    token: Option<String>,
    dashboard: Sources,
}

impl ControlService {
    /// The control API over the running devices; with `token`, every request must carry it as a bearer token.
    pub fn new(live: Arc<Live>, endpoints: Vec<BoundEndpoint>, seed: u64, token: Option<String>) -> Self {
        ControlService {
            live,
            endpoints,
            seed,
            shard: crate::fleet::Shard::ALL,
            token,
            dashboard: Sources::default(),
        }
    }

    /// Says which shard of the fleet this process runs (in `GET /`).
    pub fn with_shard(mut self, shard: crate::fleet::Shard) -> Self {
        self.shard = shard;
        self
    }

    /// Feeds the dashboard's state from `sources` (without it the dashboard shows no clients and no tail).
    pub fn with_dashboard(mut self, sources: Sources) -> Self {
        self.dashboard = sources;
        self
    }

    fn clock_json(&self) -> Value {
        clock_json(&self.live)
    }
}

impl ControlService {
    /// `GET /faults`: the active network faults, then every device fault a control command injects.
    fn faults_json(&self) -> Value {
        let active: Vec<Value> = self.live.base().faults.list().iter().map(|a| a.to_json()).collect();
        let devices = self.live.devices();
        let mut kinds: Vec<&Arc<dyn Device>> = Vec::new();
        for d in devices.iter() {
            if !kinds.iter().any(|k| k.kind() == d.kind()) {
                kinds.push(d);
            }
        }
        // One entry per kind: a route without an index reaches every device of a fleet.
        let device: Vec<Value> = kinds
            .into_iter()
            .flat_map(|d| {
                d.device_faults().iter().map(move |f| {
                    json!({
                        "device": d.kind(),
                        "command": f.command,
                        "route": format!("POST /devices/{}/{}", d.kind(), f.command),
                        "args": f.args,
                        "effect": f.effect,
                    })
                })
            })
            .collect();
        json!({ "active": active, "network": crate::serve::faults::spec::KNOWN, "device": device })
    }

    /// `POST /faults` with `{"spec": "delay:200ms@xarm"}`.
    fn add_fault(&self, args: &Value) -> HttpResponse {
        let Some(spec) = args.get("spec").and_then(Value::as_str) else {
            return error(
                400,
                "expected {\"spec\": \"FAULT[@SCOPE][#N]\"}, e.g. {\"spec\": \"delay:200ms@xarm\"}",
            );
        };
        match self.live.base().faults.add_text(spec) {
            Ok(active) => HttpResponse::json(200, active.to_json().to_string()),
            Err(
                e @ (FaultError::Spec(_)
                | FaultError::UnknownScope(..)
                | FaultError::NotForHttp(_)
                | FaultError::RawTcp(_)),
            ) => error(400, e),
        }
    }

    /// `DELETE /faults/ID`.
    fn remove_fault(&self, id: &str) -> HttpResponse {
        match id.parse::<u64>() {
            Ok(id) if self.live.base().faults.remove(id) => {
                HttpResponse::json(200, json!({ "removed": id }).to_string())
            }
            _ => error(404, format!("no active fault has id {id}")),
        }
    }
}

fn clock_json(live: &Live) -> Value {
    let clock = &live.base().clock;
    let mode = match clock.mode() {
        ClockMode::Realtime { .. } => "realtime",
        ClockMode::Virtual => "virtual",
    };
    json!({ "mode": mode, "now_ms": clock.now().as_millis() })
}

/// A control command's answer: 200 with its result, 404 for an unknown device or command, else 400.
fn answer(result: Result<Value, ControlError>) -> HttpResponse {
    match result {
        Ok(result) => HttpResponse::json(200, result.to_string()),
        Err(e @ ControlError::UnknownCommand(_)) => error(404, e),
        Err(e) => error(400, e),
    }
}

fn error(status: u16, message: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::json(status, json!({ "error": message.to_string() }).to_string())
}

impl Service for ControlService {
    fn upgrade(&self, _request: &Request) -> Result<Upgrade, ErrorResponse> {
        let mut response = ErrorResponse::new(Some("the control API is plain HTTP".into()));
        *response.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::NOT_FOUND;
        Err(response)
    }

    fn records_bodies(&self) -> bool {
        false
    }

    fn authorize_http(&self, authorization: Option<&str>) -> Result<(), HttpResponse> {
        match &self.token {
            Some(token) if !bearer_matches(authorization, token) => Err(error(
                401,
                "the control API needs `Authorization: Bearer <control token>`",
            )),
            _ => Ok(()),
        }
    }

    fn public_page(&self, method: &str, path: &str, accept: Option<&str>) -> Option<HttpResponse> {
        dashboard::public_page(method, path, accept)
    }

    fn open_session(&self, _conn: crate::serve::device::ConnInfo) -> Box<dyn Session> {
        unreachable_session()
    }

    fn http_async(&self, now: SimTime, request: HttpRequest, cookie: Option<&str>) -> AnswerFuture<'_> {
        if request.method == "POST" && request.path.trim_matches('/') == "reset" {
            let live = self.live.clone();
            return Box::pin(async move {
                HttpAnswer::from(match live.reset().await {
                    Ok(()) => HttpResponse::json(200, json!({ "reset": true, "clock": clock_json(&live) }).to_string()),
                    Err(e) => error(500, format!("the reset failed: {e}")),
                })
            });
        }
        Box::pin(std::future::ready(self.http_with_headers(now, request, cookie)))
    }

    fn http(&self, now: SimTime, request: HttpRequest) -> HttpResponse {
        let args: Value = if request.body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&request.body) {
                Ok(value) => value,
                Err(e) => return error(400, format!("the body is not JSON: {e}")),
            }
        };
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", [""]) => {
                let endpoints: Vec<Value> = self
                    .endpoints
                    .iter()
                    .map(|e| json!({ "device": e.device, "name": e.name, "url": e.url }))
                    .collect();
                let map = crate::fleet::map::map(self.seed, self.shard, None, &self.endpoints);
                let state = json!({
                    "seed": self.seed,
                    "clock": self.clock_json(),
                    "endpoints": endpoints,
                    "shard": map["shard"],
                    "devices": map["devices"],
                });
                HttpResponse::json(200, state.to_string())
            }
            ("GET", ["clock"]) => HttpResponse::json(200, self.clock_json().to_string()),
            ("GET", ["ui", "state"]) => match dashboard::Page::from_query(request.query.as_deref()) {
                Ok(page) => {
                    let state = dashboard::state(
                        &self.dashboard,
                        self.clock_json(),
                        self.seed,
                        &self.live.devices(),
                        &self.endpoints,
                        page,
                        now,
                    );
                    HttpResponse::json(200, state.to_string())
                }
                Err(e) => error(400, e),
            },
            ("POST", ["clock", "advance"]) => match args.get("ms").and_then(Value::as_u64) {
                Some(ms) => match self.live.base().clock.advance(ms) {
                    Ok(_) => HttpResponse::json(200, self.clock_json().to_string()),
                    Err(e @ ClockError::NotVirtual) => error(409, e),
                    Err(e @ ClockError::Overflow { .. }) => error(400, e),
                },
                None => error(400, "expected {\"ms\": <non-negative integer>}"),
            },
            ("GET", ["faults"]) => HttpResponse::json(200, self.faults_json().to_string()),
            ("POST", ["faults"]) => self.add_fault(&args),
            ("DELETE", ["faults"]) => {
                HttpResponse::json(200, json!({ "cleared": self.live.base().faults.clear() }).to_string())
            }
            ("DELETE", ["faults", id]) => self.remove_fault(id),
            ("POST", ["devices", device, command]) => answer(run(&self.live.devices(), now, device, command, &args)),
            ("POST", ["devices", kind, index, command]) => match index.parse::<u32>() {
                Ok(index) => answer(run_member(&self.live.devices(), now, kind, index, command, &args)),
                Err(_) => error(404, format!("`{index}` is not a device index (from 1)")),
            },
            (_, ["", ..] | ["clock", ..] | ["devices", ..] | ["faults", ..] | ["reset"]) => {
                error(405, "method not allowed")
            }
            _ => error(404, "not found"),
        }
    }
}

/// The control API refuses every upgrade, so no session is ever opened; this one closes at once.
fn unreachable_session() -> Box<dyn Session> {
    struct Refused;
    impl Session for Refused {
        fn on_open(&mut self, _now: SimTime, out: &mut Vec<crate::serve::device::Outgoing>) {
            out.push(crate::serve::device::Outgoing::Close(
                crate::serve::device::CloseCode::Policy,
                "the control API is plain HTTP".into(),
            ));
        }
        fn on_text(&mut self, _: SimTime, _: &str, _: &mut Vec<crate::serve::device::Outgoing>) {}
        fn on_binary(&mut self, _: SimTime, _: &[u8], _: &mut Vec<crate::serve::device::Outgoing>) {}
    }
    Box::new(Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The control API of a simulator running no device.
    async fn service(mode: ClockMode) -> ControlService {
        let mut config = crate::serve::SimConfig::for_tests(0);
        config.clock = mode;
        config.only = Some(Vec::new());
        let clock = Arc::new(crate::clock::Clock::new(mode));
        let transcript = Arc::new(crate::transcript::Transcript::disabled());
        let base = Arc::new(crate::serve::ServeContext {
            faults: Arc::new(crate::serve::faults::Faults::new(0, clock.clone(), transcript.clone())),
            clock,
            transcript,
            clients: Arc::default(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            tracker: tokio_util::task::TaskTracker::new(),
            max_connections: 1,
        });
        let prepared = crate::serve::live::Prepared::bind(&config, &base).await.unwrap();
        let (live, endpoints) = prepared.start(config, base);
        ControlService::new(live, endpoints, 0, None)
    }

    fn request(service: &ControlService, method: &str, path: &str, body: &str) -> (u16, Value) {
        let response = service.http(
            SimTime::ZERO,
            HttpRequest {
                method: method.into(),
                path: path.into(),
                query: None,
                content_type: Some("application/json".into()),
                body: body.to_string().into_bytes().into(),
            },
        );
        let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, value)
    }

    #[tokio::test]
    async fn faults_are_added_listed_and_cleared_by_id_or_all_at_once() {
        let control = service(ClockMode::Virtual).await;
        let (status, added) = request(&control, "POST", "/faults", r#"{"spec":"delay:200ms@xarm"}"#);
        assert_eq!(status, 200, "{added}");
        assert_eq!(added["spec"], "delay:200ms@xarm");
        assert_eq!(request(&control, "POST", "/faults", r#"{"spec":"wobble"}"#).0, 400);
        assert_eq!(request(&control, "POST", "/faults", r#"{}"#).0, 400);
        request(&control, "POST", "/faults", r#"{"spec":"refuse:503#2"}"#);
        let (_, listed) = request(&control, "GET", "/faults", "");
        assert_eq!(listed["active"].as_array().map(Vec::len), Some(2), "{listed}");
        assert_eq!(listed["active"][1]["remaining"], 2);
        let id = added["id"].as_u64().unwrap_or(0);
        assert_eq!(request(&control, "DELETE", &format!("/faults/{id}"), "").0, 200);
        assert_eq!(request(&control, "DELETE", &format!("/faults/{id}"), "").0, 404);
        assert_eq!(request(&control, "DELETE", "/faults", "").1["cleared"], 1);
        assert_eq!(request(&control, "PUT", "/faults", "").0, 405);
    }

    fn post(service: &ControlService, path: &str, body: &str) -> (u16, Value) {
        request(service, "POST", path, body)
    }

    #[tokio::test]
    async fn advancing_the_clock_past_its_end_is_a_400_and_time_does_not_go_back() {
        let control = service(ClockMode::Virtual).await;
        assert_eq!(post(&control, "/clock/advance", r#"{"ms":5000}"#).0, 200);
        let (status, body) = post(&control, "/clock/advance", r#"{"ms":18446744073709551615}"#);
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"].as_str().unwrap_or("").contains("end of sim time"),
            "{body}"
        );
        assert_eq!(control.live.base().clock.now().as_millis(), 5000);
    }

    #[tokio::test]
    async fn a_realtime_clock_cannot_be_advanced() {
        let control = service(ClockMode::Realtime { speed: 1.0 }).await;
        assert_eq!(post(&control, "/clock/advance", r#"{"ms":1}"#).0, 409);
    }
}

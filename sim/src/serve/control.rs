//! The control API: plain HTTP+JSON to read and advance the clock and to run device control commands
//! (fault injection, forced states), so that a simulator in another process can be driven like an in-process one.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};

use crate::clock::{Clock, ClockError, ClockMode, SimTime};
use crate::serve::BoundEndpoint;
use crate::serve::device::{ControlError, Device, Service, Session, Upgrade};
use understudy_core::proto::http::{HttpRequest, HttpResponse};

/// Runs `command` on the device named `device`.
pub fn run(
    devices: &[Arc<dyn Device>],
    now: SimTime,
    device: &str,
    command: &str,
    args: &Value,
) -> Result<Value, ControlError> {
    let target = devices
        .iter()
        .find(|d| d.name() == device)
        .ok_or_else(|| ControlError::UnknownCommand(format!("{device}/{command} (no device `{device}` is running)")))?;
    target.control(now, command, args)
}

/// The control API's HTTP service.
pub struct ControlService {
    clock: Arc<Clock>,
    devices: Arc<Vec<Arc<dyn Device>>>,
    endpoints: Vec<BoundEndpoint>,
    seed: u64,
}

impl ControlService {
    pub fn new(
        clock: Arc<Clock>,
        devices: Arc<Vec<Arc<dyn Device>>>,
        endpoints: Vec<BoundEndpoint>,
        seed: u64,
    ) -> Self {
        ControlService {
            clock,
            devices,
            endpoints,
            seed,
        }
    }

    fn clock_json(&self) -> Value {
        let mode = match self.clock.mode() {
            ClockMode::Realtime { .. } => "realtime",
            ClockMode::Virtual => "virtual",
        };
        json!({ "mode": mode, "now_ms": self.clock.now().as_millis() })
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

    fn open_session(&self, _conn: crate::serve::device::ConnInfo) -> Box<dyn Session> {
        unreachable_session()
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
                HttpResponse::json(
                    200,
                    json!({ "seed": self.seed, "clock": self.clock_json(), "endpoints": endpoints }).to_string(),
                )
            }
            ("GET", ["clock"]) => HttpResponse::json(200, self.clock_json().to_string()),
            ("POST", ["clock", "advance"]) => match args.get("ms").and_then(Value::as_u64) {
                Some(ms) => match self.clock.advance(ms) {
                    Ok(_) => HttpResponse::json(200, self.clock_json().to_string()),
                    Err(e @ ClockError::NotVirtual) => error(409, e),
                    Err(e @ ClockError::Overflow { .. }) => error(400, e),
                },
                None => error(400, "expected {\"ms\": <non-negative integer>}"),
            },
            ("POST", ["devices", device, command]) => match run(&self.devices, now, device, command, &args) {
                Ok(result) => HttpResponse::json(200, result.to_string()),
                Err(e @ ControlError::UnknownCommand(_)) => error(404, e),
                Err(e) => error(400, e),
            },
            (_, ["", ..] | ["clock", ..] | ["devices", ..]) => error(405, "method not allowed"),
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
                1008,
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

    fn service(mode: ClockMode) -> ControlService {
        ControlService::new(Arc::new(Clock::new(mode)), Arc::new(Vec::new()), Vec::new(), 0)
    }

    fn post(service: &ControlService, path: &str, body: &str) -> (u16, Value) {
        let response = service.http(
            SimTime::ZERO,
            HttpRequest {
                method: "POST".into(),
                path: path.into(),
                query: None,
                content_type: Some("application/json".into()),
                body: body.to_string().into_bytes().into(),
            },
        );
        let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, value)
    }

    #[test]
    fn advancing_the_clock_past_its_end_is_a_400_and_time_does_not_go_back() {
        let control = service(ClockMode::Virtual);
        assert_eq!(post(&control, "/clock/advance", r#"{"ms":5000}"#).0, 200);
        let (status, body) = post(&control, "/clock/advance", r#"{"ms":18446744073709551615}"#);
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"].as_str().unwrap_or("").contains("end of sim time"),
            "{body}"
        );
        assert_eq!(control.clock.now().as_millis(), 5000);
    }

    #[test]
    fn a_realtime_clock_cannot_be_advanced() {
        let control = service(ClockMode::Realtime { speed: 1.0 });
        assert_eq!(post(&control, "/clock/advance", r#"{"ms":1}"#).0, 409);
    }
}

//! The Endrpi device on its socket: the WebSocket API at `/` and the REST mirror on the same port, both
//! over one shared board; plus its flags and its control commands (throttle flags, forced temperature,
//! failing reads).

mod args;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::clock::SimTime;
use crate::devices::{DeviceContext, DeviceKind, flags_of, parse_flags};
use crate::serve::device::{
    CloseCode, ConnInfo, ControlError, Device, DeviceError, DeviceFault, EndpointSpec, Outgoing, Service, Session,
    Upgrade,
};
pub use args::EndrpiArgs;
use understudy_core::model::gpio::PinId;
use understudy_core::model::raspberry_pi::{RaspberryPi, SystemRead};
use understudy_core::proto::endrpi::{readings, rest, ws};
use understudy_core::proto::http::{HttpRequest, HttpResponse};

/// The temperatures the control API may force (°C): the BCM2711's rated range, -40 °C to its 125 °C
/// junction maximum; anything else no sensor on a working board reads.
const SENSOR_RANGE_C: std::ops::RangeInclusive<f64> = -40.0..=125.0;

/// Options for the simulated Pi.
#[derive(Clone, Debug, Default)]
pub struct EndrpiOptions {
    /// `vcgencmd get_throttled` bits set from the start (e.g. `0x50005` for an under-volted board).
    pub throttle: u32,
}

/// The real server's default port (uvicorn as endrpi starts it).
pub const DEFAULT_PORT: u16 = 5000;

/// The registry entry.
pub const KIND: DeviceKind = DeviceKind {
    name: "endrpi",
    args: flags_of::<EndrpiArgs>,
    flags: parse_flags::<EndrpiArgs>,
    build,
};

/// Builds the Endrpi device.
pub fn build(ctx: &DeviceContext) -> Result<Arc<dyn Device>, DeviceError> {
    let mut pi = RaspberryPi::new(ctx.seed, "endrpi");
    pi.system.inject_throttle(ctx.options.get::<EndrpiOptions>().throttle);
    Ok(Arc::new(Endrpi {
        board: Arc::new(Board(Mutex::new(pi))),
    }))
}

/// The one board every connection and the REST API share.
struct Board(Mutex<RaspberryPi>);

impl Board {
    fn lock(&self) -> MutexGuard<'_, RaspberryPi> {
        // A panic while holding the lock cannot leave the board half-updated in a way worse than a
        // real Pi's, so keep serving.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Endrpi {
    board: Arc<Board>,
}

impl Device for Endrpi {
    fn name(&self) -> &'static str {
        "endrpi"
    }

    fn endpoints(&self) -> Vec<EndpointSpec> {
        vec![EndpointSpec {
            name: "endrpi",
            default_port: DEFAULT_PORT,
            scheme: "ws",
            path: rest::WEBSOCKET_PATH,
            service: Arc::new(EndrpiService {
                board: self.board.clone(),
            }),
            tls: None,
        }]
    }

    fn device_faults(&self) -> &'static [DeviceFault] {
        &[
            DeviceFault {
                command: "throttle",
                args: r#"{"bits": <throttled bits, number or "0x..." hex>}"#,
                effect: "sets the firmware's throttled flags (under-voltage, frequency capped, throttled ...)",
            },
            DeviceFault {
                command: "temperature",
                args: r#"{"celsius": <number> | null}"#,
                effect: "forces the SoC temperature (null lets it walk again)",
            },
            DeviceFault {
                command: "fail_reads",
                args: r#"{"reads": ["temperature", ...]}"#,
                effect: "the named system reads fail with the real server's error",
            },
        ]
    }

    fn control(&self, now: SimTime, command: &str, args: &Value) -> Result<Value, ControlError> {
        let mut pi = self.board.lock();
        match command {
            "throttle" => {
                let bits = parse_bits(args.get("bits"))?;
                pi.system.inject_throttle(bits);
                Ok(json!({ "throttled": format!("0x{:x}", pi.system.throttled(now)) }))
            }
            "temperature" => {
                let milli = match args.get("celsius") {
                    Some(Value::Null) | None => None,
                    Some(v) => Some(v.as_f64().filter(|c| SENSOR_RANGE_C.contains(c)).ok_or_else(|| {
                        ControlError::BadArguments(format!(
                            "`celsius` must be null or a number from {} to {} (the SoC sensor's range)",
                            SENSOR_RANGE_C.start(),
                            SENSOR_RANGE_C.end()
                        ))
                    })?),
                };
                pi.system.force_temperature(milli.map(|c| (c * 1000.0).round() as i64));
                Ok(json!({ "milli_celsius": pi.system.temperature_milli_c(now) }))
            }
            "fail_reads" => {
                let names = args
                    .get("reads")
                    .and_then(Value::as_array)
                    .ok_or_else(|| ControlError::BadArguments("expected {\"reads\": [\"temperature\", ...]}".into()))?;
                let reads = names
                    .iter()
                    .map(|n| n.as_str().and_then(SystemRead::parse).ok_or_else(|| bad_read(n)))
                    .collect::<Result<_, _>>()?;
                pi.failing_reads = reads;
                Ok(json!({ "failing": pi.failing_reads.iter().map(|r| r.name()).collect::<Vec<_>>() }))
            }
            other => Err(ControlError::UnknownCommand(format!(
                "{other} (endrpi knows: throttle, temperature, fail_reads)"
            ))),
        }
    }

    fn view(&self, now: SimTime) -> Value {
        let mut pi = self.board.lock();
        let pins: Vec<PinId> = PinId::all().collect();
        let memory = pi.system.memory(now);
        json!({
            "pins": readings::pins(&pi, &pins),
            "temperature_c": pi.system.temperature_milli_c(now) as f64 / 1000.0,
            "throttled": pi.system.throttled(now),
            "arm_mhz": pi.system.frequency(now).arm_hz / 1_000_000,
            "memory_kb": { "total": memory.total_kb, "available": memory.available_kb },
            "uptime_s": pi.system.uptime_centis(now) as f64 / 100.0,
            "failing_reads": pi.failing_reads.iter().map(|r| r.name()).collect::<Vec<_>>(),
        })
    }
}

fn bad_read(name: &Value) -> ControlError {
    let known: Vec<&str> = SystemRead::ALL.iter().map(|r| r.name()).collect();
    ControlError::BadArguments(format!("unknown read {name} (known: {})", known.join(", ")))
}

/// Throttle bits as a number or a `0x...` string.
fn parse_bits(value: Option<&Value>) -> Result<u32, ControlError> {
    let bits = match value {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => u32::from_str_radix(s.trim_start_matches("0x"), 16).ok(),
        _ => None,
    };
    bits.ok_or_else(|| ControlError::BadArguments("`bits` must be a number or a 0x-hex string".into()))
}

struct EndrpiService {
    board: Arc<Board>,
}

impl Service for EndrpiService {
    fn upgrade(&self, request: &Request) -> Result<Upgrade, ErrorResponse> {
        if request.uri().path() == rest::WEBSOCKET_PATH {
            Ok(Upgrade { subprotocol: None })
        } else {
            // Starlette closes an unrouted WebSocket before accepting it, and uvicorn answers 403.
            let mut response = ErrorResponse::new(None);
            *response.status_mut() = StatusCode::FORBIDDEN;
            Err(response)
        }
    }

    fn open_session(&self, _conn: ConnInfo) -> Box<dyn Session> {
        Box::new(EndrpiSession {
            board: self.board.clone(),
        })
    }

    fn http(&self, now: SimTime, request: HttpRequest) -> HttpResponse {
        rest::answer(&mut self.board.lock(), now, &request)
    }
}

struct EndrpiSession {
    board: Arc<Board>,
}

impl Session for EndrpiSession {
    fn on_text(&mut self, now: SimTime, text: &str, out: &mut Vec<Outgoing>) {
        // Parse outside the lock; only running the request needs the board.
        let reply = match ws::parse(text) {
            Ok((action, request)) => {
                let outcome = ws::execute(&mut self.board.lock(), now, request);
                ws::reply(action, &outcome)
            }
            Err(rejection) => ws::rejection_reply(&rejection),
        };
        out.push(Outgoing::Text(reply));
    }

    fn on_binary(&mut self, _now: SimTime, _data: &[u8], out: &mut Vec<Outgoing>) {
        // The real server crashes on a binary frame and drops the TCP connection; we close cleanly.
        out.push(Outgoing::Close(
            CloseCode::Unsupported,
            "binary frames are not supported; send JSON text".into(),
        ));
    }
}

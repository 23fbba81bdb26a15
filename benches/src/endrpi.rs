//! The Endrpi comparison: the requests sent, a bare server doing the same parse-and-answer work, and both
//! targets (the simulator's Endrpi endpoint with a realtime clock, and the bare server) started on loopback.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use understudy_sim::{ClockMode, SimConfig, Simulator};

use crate::Error;
use crate::bare_server::BareServer;
use crate::load_client::Client;

/// One request the benches send.
#[derive(Clone, Debug)]
pub struct Request {
    /// A short name for tables and bench ids.
    pub name: &'static str,
    /// The text frame.
    pub text: Utf8Bytes,
}

/// A system read.
pub const TEMPERATURE: &str = r#"{"action":"READ_TEMPERATURE"}"#;
/// A pin read.
pub const PIN_READ: &str = r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}"#;

/// The requests every Endrpi bench runs: a temperature read and a pin read.
pub fn requests() -> [Request; 2] {
    [
        Request {
            name: "temperature",
            text: Utf8Bytes::from_static(TEMPERATURE),
        },
        Request {
            name: "pin_read",
            text: Utf8Bytes::from_static(PIN_READ),
        },
    ]
}

/// The bare server's work per frame: parse the JSON, build a reply object of the simulator's shape and
/// size (fixed readings, no device model), serialize it.
pub fn bare_answer(text: &str) -> Option<String> {
    let error = |message: &str| json!({"action": null, "success": false, "data": null, "error": {"message": message}});
    let reply = match serde_json::from_str::<Value>(text) {
        Err(_) => error("Received invalid message"),
        Ok(request) => match request.get("action").and_then(Value::as_str) {
            Some(action @ "READ_TEMPERATURE") => json!({
                "action": action,
                "success": true,
                "data": {"systemOnChip": {"quantity": 47.236, "prefix": null, "unitOfMeasurement": "CELSIUS"}},
                "error": null,
            }),
            Some(action @ "READ_PIN_CONFIGURATIONS") => {
                let mut pins = Map::new();
                let requested = request.pointer("/params/pins").and_then(Value::as_array);
                for pin in requested.into_iter().flatten().filter_map(Value::as_str) {
                    pins.insert(pin.to_string(), json!({"io": "INPUT", "state": 0.0, "pull": "DOWN"}));
                }
                json!({"action": action, "success": true, "data": pins, "error": null})
            }
            _ => error("Received message with invalid 'action' field"),
        },
    };
    Some(reply.to_string())
}

/// One server under test.
#[derive(Clone, Debug)]
pub struct Target {
    /// `sim` or `bare`.
    pub name: &'static str,
    /// Its WebSocket URL.
    pub url: String,
}

/// The simulator (Endrpi only, realtime clock) and the bare server, both on loopback.
pub struct Targets {
    sim: Simulator,
    bare: BareServer,
    list: [Target; 2],
}

impl Targets {
    /// Starts both in the current tokio runtime, which then serves them.
    pub async fn start() -> Result<Targets, Error> {
        let config = SimConfig {
            clock: ClockMode::Realtime { speed: 1.0 },
            only: Some(vec!["endrpi".into()]),
            ..SimConfig::for_tests(0)
        };
        let sim = Simulator::start(config).await?;
        let sim_url = sim.url("endrpi").ok_or(Error::NoEndpoint("endrpi"))?.to_string();
        let bare = BareServer::start(Arc::new(bare_answer)).await?;
        let bare_url = bare.url().to_string();
        Ok(Targets {
            sim,
            bare,
            list: [
                Target {
                    name: "sim",
                    url: sim_url,
                },
                Target {
                    name: "bare",
                    url: bare_url,
                },
            ],
        })
    }

    /// The simulator first, then the bare server.
    pub fn list(&self) -> &[Target; 2] {
        &self.list
    }

    /// Stops both (close every client first, or the simulator waits for their close handshakes).
    pub async fn shutdown(self) {
        drop(self.bare);
        self.sim.shutdown().await;
    }
}

/// Sends every request once to `target` and checks that each is answered successfully.
pub async fn check(target: &Target) -> Result<(), Error> {
    let mut client = Client::connect(&target.url).await?;
    for request in requests() {
        let reply = client.round_trip(&request.text).await?;
        let success = serde_json::from_str::<Value>(&reply)
            .ok()
            .and_then(|v| v.get("success").and_then(Value::as_bool));
        if success != Some(true) {
            return Err(Error::BadReply {
                target: target.name,
                request: request.name,
                reply: reply.to_string(),
            });
        }
    }
    client.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_answers_have_the_simulators_shape() {
        let temperature: Value = serde_json::from_str(&bare_answer(TEMPERATURE).unwrap()).unwrap();
        assert_eq!(temperature["action"], "READ_TEMPERATURE");
        assert_eq!(temperature["data"]["systemOnChip"]["unitOfMeasurement"], "CELSIUS");
        let pins: Value = serde_json::from_str(&bare_answer(PIN_READ).unwrap()).unwrap();
        assert_eq!(pins["data"]["GPIO17"]["io"], "INPUT");
        let bad: Value = serde_json::from_str(&bare_answer("{").unwrap()).unwrap();
        assert_eq!(bad["success"], false);
    }

    #[test]
    fn both_targets_answer_every_request() {
        let rt = crate::runtime(1, "check").unwrap();
        rt.block_on(async {
            let targets = Targets::start().await.unwrap();
            for target in targets.list() {
                check(target).await.unwrap();
            }
            targets.shutdown().await;
        });
    }
}

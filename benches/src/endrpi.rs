//! The Endrpi comparison: the requests sent, a bare server doing the same parse-and-answer work, and both
//! targets (the simulator's Endrpi endpoint with a realtime clock, and the bare server) started on loopback.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use serde_json::Value;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::Error;
use crate::bare_server::BareServer;
use crate::load_client::Client;
pub use crate::pair::{Target, Targets};

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

/// The bare server's work per frame: parse the JSON, build a typed reply of the simulator's shape and size
/// (fixed readings, no device model), serialize it with plain serde_json.
pub fn bare_answer(text: &str) -> Option<String> {
    let request = serde_json::from_str::<Value>(text).ok();
    let action = request.as_ref().and_then(|r| r.get("action")).and_then(Value::as_str);
    let reply = match action {
        Some(action @ "READ_TEMPERATURE") => serde_json::to_string(&Reply::ok(
            action,
            Temperature {
                system_on_chip: Measurement {
                    quantity: 47.236,
                    prefix: None,
                    unit: "CELSIUS",
                },
            },
        )),
        Some(action @ "READ_PIN_CONFIGURATIONS") => {
            let requested = request
                .as_ref()
                .and_then(|r| r.pointer("/params/pins"))
                .and_then(Value::as_array);
            let pins: BTreeMap<&str, Pin> = requested
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|pin| {
                    let config = Pin {
                        io: "INPUT",
                        state: 0.0,
                        pull: "DOWN",
                    };
                    (pin, config)
                })
                .collect();
            serde_json::to_string(&Reply::ok(action, pins))
        }
        _ => serde_json::to_string(&Reply::<()>::error("Received message with invalid 'action' field")),
    };
    reply.ok()
}

#[derive(Serialize)]
struct Reply<'a, D> {
    action: Option<&'a str>,
    success: bool,
    data: Option<D>,
    error: Option<ErrorBody<'a>>,
}

impl<'a, D> Reply<'a, D> {
    fn ok(action: &'a str, data: D) -> Self {
        Reply {
            action: Some(action),
            success: true,
            data: Some(data),
            error: None,
        }
    }

    fn error(message: &'a str) -> Self {
        Reply {
            action: None,
            success: false,
            data: None,
            error: Some(ErrorBody { message }),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct Measurement {
    quantity: f64,
    prefix: Option<&'static str>,
    #[serde(rename = "unitOfMeasurement")]
    unit: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Temperature {
    system_on_chip: Measurement,
}

#[derive(Serialize)]
struct Pin {
    io: &'static str,
    state: f64,
    pull: &'static str,
}

/// The simulator's Endrpi endpoint and the bare server.
pub async fn targets() -> Result<Targets, Error> {
    Targets::start("endrpi", "endrpi", BareServer::start(Arc::new(bare_answer)).await?).await
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
            let targets = targets().await.unwrap();
            for target in targets.list() {
                check(target).await.unwrap();
            }
            targets.shutdown().await;
        });
    }
}

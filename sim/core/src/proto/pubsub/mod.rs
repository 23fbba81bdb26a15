//! JSON codec for the robot pub/sub WebSocket (seed 001): client requests and server messages.
//! Parsing is strict about the three seed requests and returns a human-readable reason otherwise. The
//! broker (routing, limits, `server_logs`) and the token policy are the submodules `broker` and `auth`.
//!
//! Client → server (seed 001, exactly three):
//! `{"action":"subscribe","topic":T}`, `{"action":"unsubscribe","topic":T}`,
//! `{"action":"publish","topic":T,"data":{"name":str,"type":str,"data":any}}`.
//! Unknown extra fields are ignored; a missing inner `data.data` is read as `null`.
//!
//! Server → client (simulator-defined, key order as written):
//! acks `{"action":"subscribed"|"unsubscribed"|"published","topic":T}`,
//! errors `{"action":"error","error":"<reason>"}`,
//! deliveries `{"action":"message","topic":T,"data":{"name":..,"type":..,"data":..}}`.

pub mod auth;
pub mod broker;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest slice of an unknown action name echoed back in an error reason, in chars.
pub const MAX_ECHOED_ACTION_CHARS: usize = 32;

/// The `data` object of a publish or a delivery: `{"name", "type", "data"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Free-form name of the data (e.g. `"odom"`).
    pub name: String,
    /// Free-form type of the data (JSON key `type`, e.g. `"nav_msgs/Odometry"`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Any JSON value; `null` when the client left it out.
    #[serde(default)]
    pub data: Value,
}

/// A valid client request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Request {
    /// `{"action":"subscribe","topic":T}`
    Subscribe {
        /// Topic name (non-empty).
        topic: String,
    },
    /// `{"action":"unsubscribe","topic":T}`
    Unsubscribe {
        /// Topic name (non-empty).
        topic: String,
    },
    /// `{"action":"publish","topic":T,"data":{...}}`
    Publish {
        /// Topic name (non-empty).
        topic: String,
        /// The published payload.
        data: Payload,
    },
}

impl Request {
    /// The topic the request names.
    pub fn topic(&self) -> &str {
        match self {
            Request::Subscribe { topic } | Request::Unsubscribe { topic } | Request::Publish { topic, .. } => topic,
        }
    }

    /// Encodes the request as a client would send it (`action` first).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("string-keyed JSON always serializes")
    }

    /// The acknowledgement the server sends once the request has been applied.
    pub fn ack(&self) -> ServerMessage {
        let topic = self.topic().to_owned();
        match self {
            Request::Subscribe { .. } => ServerMessage::Subscribed { topic },
            Request::Unsubscribe { .. } => ServerMessage::Unsubscribed { topic },
            Request::Publish { .. } => ServerMessage::Published { topic },
        }
    }
}

/// A message from the server to a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ServerMessage {
    /// Ack of a subscribe.
    Subscribed {
        /// The topic subscribed to.
        topic: String,
    },
    /// Ack of an unsubscribe.
    Unsubscribed {
        /// The topic unsubscribed from.
        topic: String,
    },
    /// Ack of a publish, sent to the publisher.
    Published {
        /// The topic published to.
        topic: String,
    },
    /// A rejected request; the connection stays open.
    Error {
        /// Human-readable reason.
        error: String,
    },
    /// A delivery of a publication to a subscriber.
    Message {
        /// The topic it was published on.
        topic: String,
        /// The payload as published.
        data: Payload,
    },
}

impl ServerMessage {
    /// An error reply carrying `reason`.
    pub fn error(reason: impl Into<String>) -> ServerMessage {
        ServerMessage::Error { error: reason.into() }
    }

    /// A delivery of `data` on `topic`.
    pub fn message(topic: impl Into<String>, data: Payload) -> ServerMessage {
        ServerMessage::Message {
            topic: topic.into(),
            data,
        }
    }

    /// Encodes the message as sent on the wire (`action` first).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("string-keyed JSON always serializes")
    }
}

impl From<&RequestError> for ServerMessage {
    fn from(err: &RequestError) -> Self {
        ServerMessage::error(err.reason())
    }
}

/// Why a client text frame is not a valid request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The text is not JSON.
    NotJson,
    /// The JSON is not an object.
    NotObject,
    /// No `action` field.
    MissingAction,
    /// `action` is present but not a string.
    ActionNotString,
    /// `action` is a string other than the three known ones (truncated copy).
    UnknownAction(String),
    /// `topic` is absent, not a string, or empty.
    BadTopic,
    /// A publish without a `data` object.
    MissingData,
    /// `data.name` is absent or not a string.
    BadDataName,
    /// `data.type` is absent or not a string.
    BadDataType,
}

impl RequestError {
    /// The human-readable reason sent in `{"action":"error","error":...}`.
    pub fn reason(&self) -> String {
        match self {
            RequestError::NotJson => "request is not valid JSON".into(),
            RequestError::NotObject => "request must be a JSON object".into(),
            RequestError::MissingAction => "missing \"action\" field".into(),
            RequestError::ActionNotString => "\"action\" must be a string".into(),
            RequestError::UnknownAction(a) => {
                format!("unknown action \"{a}\" (expected subscribe, unsubscribe or publish)")
            }
            RequestError::BadTopic => "\"topic\" must be a non-empty string".into(),
            RequestError::MissingData => "publish requires a \"data\" object".into(),
            RequestError::BadDataName => "\"data.name\" must be a string".into(),
            RequestError::BadDataType => "\"data.type\" must be a string".into(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for RequestError {}

/// Parses one client text frame into a [`Request`].
///
/// Checks, in order: JSON, object, `action`, `topic`, then (publish only) `data`,
/// `data.name`, `data.type`. Never panics on any input.
pub fn parse_request(text: &str) -> Result<Request, RequestError> {
    let value: Value = serde_json::from_str(text).map_err(|_| RequestError::NotJson)?;
    let obj = value.as_object().ok_or(RequestError::NotObject)?;
    let action = match obj.get("action") {
        None => return Err(RequestError::MissingAction),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(RequestError::ActionNotString),
    };
    if !matches!(action, "subscribe" | "unsubscribe" | "publish") {
        let echoed = action.chars().take(MAX_ECHOED_ACTION_CHARS).collect();
        return Err(RequestError::UnknownAction(echoed));
    }
    let topic = match obj.get("topic") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(RequestError::BadTopic),
    };
    match action {
        "subscribe" => Ok(Request::Subscribe { topic }),
        "unsubscribe" => Ok(Request::Unsubscribe { topic }),
        _ => {
            let data = obj
                .get("data")
                .and_then(Value::as_object)
                .ok_or(RequestError::MissingData)?;
            Ok(Request::Publish {
                topic,
                data: parse_payload(data)?,
            })
        }
    }
}

fn parse_payload(data: &Map<String, Value>) -> Result<Payload, RequestError> {
    let name = data
        .get("name")
        .and_then(Value::as_str)
        .ok_or(RequestError::BadDataName)?;
    let kind = data
        .get("type")
        .and_then(Value::as_str)
        .ok_or(RequestError::BadDataType)?;
    Ok(Payload {
        name: name.to_owned(),
        kind: kind.to_owned(),
        data: data.get("data").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn payload(name: &str, kind: &str, data: Value) -> Payload {
        Payload {
            name: name.into(),
            kind: kind.into(),
            data,
        }
    }

    #[test]
    fn parses_the_three_seed_requests() {
        assert_eq!(
            parse_request(r#"{"action": "subscribe", "topic": "server_logs"}"#),
            Ok(Request::Subscribe {
                topic: "server_logs".into()
            })
        );
        assert_eq!(
            parse_request(r#"{"action":"unsubscribe","topic":"some_topic"}"#),
            Ok(Request::Unsubscribe {
                topic: "some_topic".into()
            })
        );
        assert_eq!(
            parse_request(
                r#"{"action":"publish","topic":"some_topic","data":{"name":"name_of_data","type":"type_of_data","data":"your_data_here"}}"#
            ),
            Ok(Request::Publish {
                topic: "some_topic".into(),
                data: payload("name_of_data", "type_of_data", json!("your_data_here")),
            })
        );
    }

    #[test]
    fn extra_fields_ignored_and_missing_inner_data_is_null() {
        let req = parse_request(r#"{"topic":"t","extra":1,"action":"publish","data":{"type":"k","name":"n","x":2}}"#);
        assert_eq!(
            req,
            Ok(Request::Publish {
                topic: "t".into(),
                data: payload("n", "k", Value::Null),
            })
        );
    }

    #[test]
    fn each_error_kind_has_its_reason() {
        let cases: &[(&str, RequestError, &str)] = &[
            ("{", RequestError::NotJson, "request is not valid JSON"),
            ("", RequestError::NotJson, "request is not valid JSON"),
            ("[1]", RequestError::NotObject, "request must be a JSON object"),
            ("\"x\"", RequestError::NotObject, "request must be a JSON object"),
            (
                r#"{"topic":"t"}"#,
                RequestError::MissingAction,
                "missing \"action\" field",
            ),
            (
                r#"{"action":1,"topic":"t"}"#,
                RequestError::ActionNotString,
                "\"action\" must be a string",
            ),
            (
                r#"{"action":"Subscribe","topic":"t"}"#,
                RequestError::UnknownAction("Subscribe".into()),
                "unknown action \"Subscribe\" (expected subscribe, unsubscribe or publish)",
            ),
            (
                r#"{"action":"subscribe"}"#,
                RequestError::BadTopic,
                "\"topic\" must be a non-empty string",
            ),
            (
                r#"{"action":"subscribe","topic":""}"#,
                RequestError::BadTopic,
                "\"topic\" must be a non-empty string",
            ),
            (
                r#"{"action":"unsubscribe","topic":7}"#,
                RequestError::BadTopic,
                "\"topic\" must be a non-empty string",
            ),
            (
                r#"{"action":"publish","topic":"t"}"#,
                RequestError::MissingData,
                "publish requires a \"data\" object",
            ),
            (
                r#"{"action":"publish","topic":"t","data":"x"}"#,
                RequestError::MissingData,
                "publish requires a \"data\" object",
            ),
            (
                r#"{"action":"publish","topic":"t","data":{"type":"k"}}"#,
                RequestError::BadDataName,
                "\"data.name\" must be a string",
            ),
            (
                r#"{"action":"publish","topic":"t","data":{"name":1,"type":"k"}}"#,
                RequestError::BadDataName,
                "\"data.name\" must be a string",
            ),
            (
                r#"{"action":"publish","topic":"t","data":{"name":"n"}}"#,
                RequestError::BadDataType,
                "\"data.type\" must be a string",
            ),
            (
                r#"{"action":"publish","topic":"t","data":{"name":"n","type":null}}"#,
                RequestError::BadDataType,
                "\"data.type\" must be a string",
            ),
        ];
        for (text, err, reason) in cases {
            let got = parse_request(text);
            assert_eq!(got.as_ref(), Err(err), "input {text}");
            assert_eq!(err.reason(), *reason);
            assert_eq!(err.to_string(), *reason);
        }
    }

    #[test]
    fn unknown_action_echo_is_truncated() {
        let long = "x".repeat(1000);
        let text = json!({"action": long, "topic": "t"}).to_string();
        match parse_request(&text) {
            Err(RequestError::UnknownAction(a)) => assert_eq!(a.len(), MAX_ECHOED_ACTION_CHARS),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn server_messages_have_exact_wire_form() {
        let sub = Request::Subscribe { topic: "a".into() };
        assert_eq!(sub.ack().to_json(), r#"{"action":"subscribed","topic":"a"}"#);
        let unsub = Request::Unsubscribe { topic: "a".into() };
        assert_eq!(unsub.ack().to_json(), r#"{"action":"unsubscribed","topic":"a"}"#);
        let publ = Request::Publish {
            topic: "a".into(),
            data: payload("n", "k", json!(1)),
        };
        assert_eq!(publ.ack().to_json(), r#"{"action":"published","topic":"a"}"#);
        assert_eq!(
            ServerMessage::from(&RequestError::BadTopic).to_json(),
            r#"{"action":"error","error":"\"topic\" must be a non-empty string"}"#
        );
        assert_eq!(
            ServerMessage::message("odom", payload("odom", "nav_msgs/Odometry", json!({"x": 1.5}))).to_json(),
            r#"{"action":"message","topic":"odom","data":{"name":"odom","type":"nav_msgs/Odometry","data":{"x":1.5}}}"#
        );
    }

    #[test]
    fn requests_encode_like_the_seed() {
        let publ = Request::Publish {
            topic: "t".into(),
            data: payload("n", "k", json!("v")),
        };
        assert_eq!(
            publ.to_json(),
            r#"{"action":"publish","topic":"t","data":{"name":"n","type":"k","data":"v"}}"#
        );
        assert_eq!(publ.topic(), "t");
    }

    fn json_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            // Quarter steps are exact in binary, so they survive text round-trips.
            (-1_000_000i32..1_000_000).prop_map(|q| Value::from(f64::from(q) / 4.0)),
            ".*".prop_map(Value::from),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        json_leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn valid_request() -> impl Strategy<Value = Request> {
        let topic = ".{1,12}";
        prop_oneof![
            topic.prop_map(|topic| Request::Subscribe { topic }),
            topic.prop_map(|topic| Request::Unsubscribe { topic }),
            (topic, ".{0,8}", ".{0,8}", json_value()).prop_map(|(topic, name, kind, data)| {
                Request::Publish {
                    topic,
                    data: Payload { name, kind, data },
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn random_strings_never_panic(s in ".*") {
            let _ = parse_request(&s);
        }

        #[test]
        fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_request(&String::from_utf8_lossy(&b));
        }

        #[test]
        fn json_shaped_garbage_never_panics(
            action in prop_oneof![Just("subscribe".to_string()), Just("publish".into()), ".{0,10}"],
            topic in json_value(),
            data in json_value(),
        ) {
            let text = json!({"action": action, "topic": topic, "data": data}).to_string();
            if let Err(e) = parse_request(&text) {
                prop_assert!(!e.reason().is_empty());
            }
        }

        #[test]
        fn encode_then_parse_round_trips(req in valid_request()) {
            prop_assert_eq!(parse_request(&req.to_json()), Ok(req));
        }

        #[test]
        fn server_messages_round_trip(req in valid_request()) {
            let msgs = [
                req.ack(),
                ServerMessage::error(req.topic()),
                match &req {
                    Request::Publish { topic, data } => {
                        ServerMessage::message(topic.clone(), data.clone())
                    }
                    other => ServerMessage::error(other.topic()),
                },
            ];
            for msg in msgs {
                let back: ServerMessage = serde_json::from_str(&msg.to_json())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, msg);
            }
        }
    }
}

//! Endrpi's WebSocket API: a request `{action, params?}` is parsed with the real server's exact cascade of
//! checks, run against the board, and answered with the envelope `{action, success, data, error}`.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::model::gpio::{PinChange, PinError, PinId, PinIo};
use crate::model::raspberry_pi::RaspberryPi;
use crate::proto::endrpi::pin_body::{self, PinBody};
use crate::proto::endrpi::readings::{self, Frequency, Memory, PinMap, Temperature, Throttle, UpTime};
use crate::proto::pyjson::{self, PyStyle};
use crate::time::SimTime;

pub const INVALID_MESSAGE: &str = "Received invalid message";
pub const MISSING_ACTION: &str = "Received message with missing 'action' field";
pub const INVALID_ACTION: &str = "Received message with invalid 'action' field";
pub const MISSING_PARAMS: &str = "Received message with missing 'params' field";
pub const INVALID_PARAMS: &str = "Received message with invalid 'params' field";
pub const NO_PINS: &str = "At least one pin id and pin configuration must be supplied";
pub const NO_STATE: &str = "No state specified for output pin configuration";
pub const NO_PULL: &str = "No pull specified for input pin configuration";
pub const PINS_UPDATED: &str = "Pin configurations updated";

/// The seven actions, matched case-sensitively by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadTemperature,
    ReadThrottle,
    ReadUptime,
    ReadFrequency,
    ReadMemory,
    ReadPinConfigurations,
    UpdatePinConfigurations,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::ReadTemperature,
        Action::ReadThrottle,
        Action::ReadUptime,
        Action::ReadFrequency,
        Action::ReadMemory,
        Action::ReadPinConfigurations,
        Action::UpdatePinConfigurations,
    ];

    /// The wire name, e.g. `READ_TEMPERATURE`.
    pub fn name(self) -> &'static str {
        match self {
            Action::ReadTemperature => "READ_TEMPERATURE",
            Action::ReadThrottle => "READ_THROTTLE",
            Action::ReadUptime => "READ_UPTIME",
            Action::ReadFrequency => "READ_FREQUENCY",
            Action::ReadMemory => "READ_MEMORY",
            Action::ReadPinConfigurations => "READ_PIN_CONFIGURATIONS",
            Action::UpdatePinConfigurations => "UPDATE_PIN_CONFIGURATIONS",
        }
    }

    fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A request that passed every shape check.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// One of the five system reads (params ignored).
    Read(Action),
    /// Read these pins.
    ReadPins(Vec<PinId>),
    /// Update these pins, in this order.
    UpdatePins(Vec<(PinId, PinBody)>),
}

/// A request refused before it reached the board: the action to echo (if valid) and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub action: Option<Action>,
    pub message: &'static str,
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<(Action, Request), Rejection> {
    let reject = |action, message| Rejection { action, message };
    // The real server reads with Python's json.loads, which takes numbers f64 cannot hold and NaN/Infinity.
    let value: Value = crate::proto::pyloads::loads(text).ok_or(reject(None, INVALID_MESSAGE))?;
    let name = match value.get("action") {
        Some(Value::String(name)) if !name.is_empty() => name.as_str(),
        _ => return Err(reject(None, MISSING_ACTION)),
    };
    let action = Action::parse(name).ok_or(reject(None, INVALID_ACTION))?;
    let request = match action {
        Action::ReadPinConfigurations => {
            Request::ReadPins(read_params(value.get("params")).map_err(|m| reject(Some(action), m))?)
        }
        Action::UpdatePinConfigurations => {
            Request::UpdatePins(update_params(value.get("params")).map_err(|m| reject(Some(action), m))?)
        }
        read => Request::Read(read),
    };
    Ok((action, request))
}

/// The `data` of a successful reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    Temperature(Temperature),
    Throttle(Throttle),
    UpTime(UpTime),
    Frequency(Frequency),
    Memory(Memory),
    Pins(PinMap),
    Message(&'static str),
}

/// What an executed request produced.
pub type Outcome = Result<Data, Cow<'static, str>>;

/// Runs a parsed request against the board.
pub fn execute(pi: &mut RaspberryPi, now: SimTime, request: Request) -> Outcome {
    match request {
        Request::Read(Action::ReadTemperature) => readings::temperature(pi, now).map(Data::Temperature),
        Request::Read(Action::ReadThrottle) => readings::throttle(pi, now).map(Data::Throttle),
        Request::Read(Action::ReadUptime) => readings::uptime(pi, now).map(Data::UpTime),
        Request::Read(Action::ReadFrequency) => readings::frequency(pi, now).map(Data::Frequency),
        Request::Read(_) => readings::memory(pi, now).map(Data::Memory),
        Request::ReadPins(pins) => Ok(Data::Pins(readings::pins(pi, &pins))),
        Request::UpdatePins(updates) => {
            for (pin, body) in updates {
                apply_pin(pi, pin, body)?;
            }
            Ok(Data::Message(PINS_UPDATED))
        }
    }
}

/// Applies one pin's update as Endrpi does: the missing-field checks, then gpiozero's function and level.
/// A failure stops the update; pins applied before it stay applied.
pub fn apply_pin(pi: &mut RaspberryPi, pin: PinId, body: PinBody) -> Result<(), Cow<'static, str>> {
    let change = match body.io {
        PinIo::Input => PinChange::Input(body.pull.ok_or(NO_PULL)?),
        PinIo::Output => PinChange::Output(body.state.ok_or(NO_STATE)?),
    };
    pi.gpio.apply(pin, change).map_err(|error| match error {
        // The real server crashes here and drops the connection; we answer instead (see RULES.md).
        PinError::StateOutOfRange(_) => Cow::Borrowed(INVALID_PARAMS),
        fixed @ PinError::FixedPullUp(_) => Cow::Owned(fixed.to_string()),
    })
}

#[derive(Serialize)]
struct Envelope<'a> {
    action: Option<&'static str>,
    success: bool,
    data: Option<&'a Data>,
    error: Option<ErrorBody<'a>>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

/// The reply frame for an executed request, as Python's `json.dumps` writes it.
pub fn reply(action: Action, outcome: &Outcome) -> String {
    let envelope = match outcome {
        Ok(data) => Envelope {
            action: Some(action.name()),
            success: true,
            data: Some(data),
            error: None,
        },
        Err(message) => Envelope {
            action: Some(action.name()),
            success: false,
            data: None,
            error: Some(ErrorBody { message }),
        },
    };
    pyjson::to_string(&envelope, PyStyle::Dumps)
}

/// The reply frame for a rejected request.
pub fn rejection_reply(rejection: &Rejection) -> String {
    let envelope = Envelope {
        action: rejection.action.map(Action::name),
        success: false,
        data: None,
        error: Some(ErrorBody {
            message: rejection.message,
        }),
    };
    pyjson::to_string(&envelope, PyStyle::Dumps)
}

/// Parses, executes and answers one text frame.
pub fn answer(pi: &mut RaspberryPi, now: SimTime, text: &str) -> String {
    match parse(text) {
        Ok((action, request)) => reply(action, &execute(pi, now, request)),
        Err(rejection) => rejection_reply(&rejection),
    }
}

/// Python truthiness: `null`, `false`, `0`, `""`, `[]` and `{}` are falsy.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The params object of a pin action: missing if falsy, invalid if not an object.
fn params_object(params: Option<&Value>) -> Result<&serde_json::Map<String, Value>, &'static str> {
    match params {
        Some(value) if is_truthy(value) => value.as_object().ok_or(INVALID_PARAMS),
        _ => Err(MISSING_PARAMS),
    }
}

/// `ReadPinConfigurationsParams`: `{pins: [PinId]}`, extra keys ignored.
fn read_params(params: Option<&Value>) -> Result<Vec<PinId>, &'static str> {
    let object = params_object(params)?;
    let Some(Value::Array(items)) = object.get("pins") else {
        return Err(INVALID_PARAMS);
    };
    items
        .iter()
        .map(|item| item.as_str().and_then(PinId::parse).ok_or(INVALID_PARAMS))
        .collect()
}

/// `UpdatePinConfigurationsParams`: `{pins: {PinId: PinConfiguration}}` (or a list of pairs, which pydantic's
/// dict coercion also takes). The whole map is validated before any pin is applied.
fn update_params(params: Option<&Value>) -> Result<Vec<(PinId, PinBody)>, &'static str> {
    let object = params_object(params)?;
    let entries: Vec<(&str, &Value)> = match object.get("pins") {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(key), value]) => Ok((key.as_str(), value)),
                _ => Err(INVALID_PARAMS),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(INVALID_PARAMS),
    };
    // A list of pairs repeating a pin keeps the last value at the first place, as `dict(pairs)` does.
    let mut updates: Vec<(PinId, PinBody)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let pin = PinId::parse(key).ok_or(INVALID_PARAMS)?;
        let body = pin_body::validate(value).map_err(|_| INVALID_PARAMS)?;
        match updates.iter_mut().find(|(seen, _)| *seen == pin) {
            Some(slot) => slot.1 = body,
            None => updates.push((pin, body)),
        }
    }
    if updates.is_empty() {
        return Err(NO_PINS);
    }
    Ok(updates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pi: &mut RaspberryPi, text: &str) -> String {
        answer(pi, SimTime::from_millis(1_240_940), text)
    }

    #[test]
    fn replies_match_the_real_transcript_byte_for_byte() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let cases = [
            (
                r#"{"action":"READ_UPTIME"}"#,
                r#"{"action": "READ_UPTIME", "success": true, "data": {"seconds": 1240.94, "formatted": "0:20:41"}, "error": null}"#,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}"#,
                r#"{"action": "READ_PIN_CONFIGURATIONS", "success": true, "data": {"GPIO17": {"io": "INPUT", "state": 0.0, "pull": "FLOATING"}}, "error": null}"#,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":[]}}"#,
                r#"{"action": "READ_PIN_CONFIGURATIONS", "success": true, "data": {}, "error": null}"#,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}"#,
                r#"{"action": "UPDATE_PIN_CONFIGURATIONS", "success": true, "data": "Pin configurations updated", "error": null}"#,
            ),
            (
                r#"{"action":"UNKNOWN_ACTION"}"#,
                r#"{"action": null, "success": false, "data": null, "error": {"message": "Received message with invalid 'action' field"}}"#,
            ),
            (
                "hello, not json",
                r#"{"action": null, "success": false, "data": null, "error": {"message": "Received invalid message"}}"#,
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(run(&mut pi, request), expected, "for {request}");
        }
    }

    #[test]
    fn numbers_python_reads_are_json_that_is_not_an_object() {
        let huge = "9".repeat(401);
        for text in ["1e400", "-1e400", huge.as_str(), "NaN", "Infinity"] {
            let rejection = parse(text).err().unwrap();
            assert_eq!((rejection.action, rejection.message), (None, MISSING_ACTION), "{text}");
        }
        assert!(parse(r#"{"action":"READ_UPTIME","extra":1e400}"#).is_ok());
        let too_long = "9".repeat(crate::proto::pyloads::INT_MAX_STR_DIGITS + 1);
        assert_eq!(parse(&too_long).err().unwrap().message, INVALID_MESSAGE);
    }

    #[test]
    fn every_rejection_of_the_reference_table() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let cases: [(&str, Option<Action>, &str); 23] = [
            ("", None, INVALID_MESSAGE),
            ("{", None, INVALID_MESSAGE),
            ("[]", None, MISSING_ACTION),
            ("[1,2]", None, MISSING_ACTION),
            (r#""READ_TEMPERATURE""#, None, MISSING_ACTION),
            ("{}", None, MISSING_ACTION),
            (r#"{"foo":"bar"}"#, None, MISSING_ACTION),
            (r#"{"action":123}"#, None, MISSING_ACTION),
            (r#"{"action":""}"#, None, MISSING_ACTION),
            (r#"{"action":"read_temperature"}"#, None, INVALID_ACTION),
            (r#"{"action":"GET_TEMPERATURE"}"#, None, INVALID_ACTION),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS"}"#,
                Some(Action::ReadPinConfigurations),
                MISSING_PARAMS,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":{}}"#,
                Some(Action::ReadPinConfigurations),
                MISSING_PARAMS,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":null}"#,
                Some(Action::ReadPinConfigurations),
                MISSING_PARAMS,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO1"]}}"#,
                Some(Action::ReadPinConfigurations),
                INVALID_PARAMS,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":"GPIO17"}}"#,
                Some(Action::ReadPinConfigurations),
                INVALID_PARAMS,
            ),
            (
                r#"{"action":"READ_PIN_CONFIGURATIONS","params":["GPIO17"]}"#,
                Some(Action::ReadPinConfigurations),
                INVALID_PARAMS,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{}}}"#,
                Some(Action::UpdatePinConfigurations),
                NO_PINS,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT"}}}}"#,
                Some(Action::UpdatePinConfigurations),
                NO_STATE,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"INPUT"}}}}"#,
                Some(Action::UpdatePinConfigurations),
                NO_PULL,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO99":{"io":"OUTPUT","state":1}}}}"#,
                Some(Action::UpdatePinConfigurations),
                INVALID_PARAMS,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"SIDEWAYS","state":1}}}}"#,
                Some(Action::UpdatePinConfigurations),
                INVALID_PARAMS,
            ),
            (
                r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":"high"}}}}"#,
                Some(Action::UpdatePinConfigurations),
                INVALID_PARAMS,
            ),
        ];
        for (request, action, message) in cases {
            let expected = rejection_reply(&Rejection { action, message });
            assert_eq!(run(&mut pi, request), expected, "for {request:?}");
        }
    }

    #[test]
    fn system_actions_ignore_params_and_extra_keys() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let reply = run(&mut pi, r#"{"action":"READ_UPTIME","params":null,"extra":true}"#);
        assert!(reply.contains(r#""success": true"#), "{reply}");
    }

    #[test]
    fn an_update_stops_at_the_first_failing_pin_and_keeps_the_ones_before() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let reply = run(
            &mut pi,
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO22":{"io":"OUTPUT","state":1},"GPIO23":{"io":"OUTPUT"},"GPIO24":{"io":"OUTPUT","state":1}}}}"#,
        );
        assert!(reply.contains(NO_STATE));
        let read = run(
            &mut pi,
            r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO22","GPIO24"]}}"#,
        );
        assert!(read.contains(r#""GPIO22": {"io": "OUTPUT", "state": 1.0"#), "{read}");
        assert!(read.contains(r#""GPIO24": {"io": "INPUT", "state": 0.0"#), "{read}");
    }

    #[test]
    fn a_repeated_pin_is_read_once_at_its_first_place() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let reply = run(
            &mut pi,
            r#"{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO27","GPIO2","GPIO27","GPIO3"],"extra":1}}"#,
        );
        let value: Value = serde_json::from_str(&reply).unwrap();
        let keys: Vec<&String> = value["data"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["GPIO27", "GPIO2", "GPIO3"]);
    }

    #[test]
    fn crashes_of_the_real_server_become_error_replies() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        let out_of_range = run(
            &mut pi,
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":2}}}}"#,
        );
        assert!(out_of_range.contains(INVALID_PARAMS), "{out_of_range}");
        let fixed = run(
            &mut pi,
            r#"{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO3":{"io":"INPUT","pull":"DOWN"}}}}"#,
        );
        assert!(fixed.contains("GPIO3 has a physical pull-up resistor"), "{fixed}");
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn any_text_gets_exactly_one_well_formed_reply(text in ".{0,200}") {
            let mut pi = RaspberryPi::new(0, "endrpi");
            let reply: Value = serde_json::from_str(&answer(&mut pi, SimTime::ZERO, &text)).unwrap();
            let keys: Vec<&String> = reply.as_object().unwrap().keys().collect();
            proptest::prop_assert_eq!(keys, ["action", "success", "data", "error"]);
        }

        #[test]
        fn any_json_shaped_request_gets_a_reply(
            action in proptest::sample::select(vec!["READ_PIN_CONFIGURATIONS", "UPDATE_PIN_CONFIGURATIONS", "READ_MEMORY", "X"]),
            params in proptest::arbitrary::any::<u32>().prop_map(|n| match n % 6 {
                0 => "null".to_string(), 1 => "{}".to_string(), 2 => r#"{"pins":["GPIO4","GPIO5"]}"#.to_string(),
                3 => r#"{"pins":{"GPIO4":{"io":"OUTPUT","state":0.25}}}"#.to_string(),
                4 => r#"{"pins":[["GPIO4",{"io":"INPUT","pull":"UP"}]]}"#.to_string(), _ => "[1]".to_string() }),
        ) {
            let mut pi = RaspberryPi::new(0, "endrpi");
            let reply = answer(&mut pi, SimTime::ZERO, &format!(r#"{{"action":"{action}","params":{params}}}"#));
            let starts_right = reply.starts_with(r#"{"action": "#);
            proptest::prop_assert!(starts_right, "{}", reply);
        }
    }
}

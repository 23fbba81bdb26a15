//! OctoPrint's printer states as the agent reports them: `state.text`, the `state_id` of
//! `PrinterStateChanged`, and the 11 flags that go with each text.

use serde_json::{Value, json};

/// One OctoPrint printer state (the texts the real agent was seen sending, plus `Error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OctoState {
    /// No serial connection.
    Offline,
    /// The serial port is being opened.
    OpeningSerial,
    /// Waiting for the firmware's greeting.
    Connecting,
    /// Connected and idle.
    Operational,
    /// A print was asked for and is being set up.
    Starting,
    /// Printing.
    Printing,
    /// A pause was asked for.
    Pausing,
    /// Paused.
    Paused,
    /// A resume was asked for.
    Resuming,
    /// The whole file is sent; the last moves run.
    Finishing,
    /// A cancel was asked for.
    Cancelling,
    /// The printer halted (a firmware error).
    Error,
}

/// The flag names in the order OctoPrint writes them.
pub const FLAG_NAMES: [&str; 11] = [
    "operational",
    "printing",
    "cancelling",
    "pausing",
    "resuming",
    "finishing",
    "closedOrError",
    "error",
    "paused",
    "ready",
    "sdReady",
];

impl OctoState {
    /// `state.text` and `state_string`.
    pub fn text(self) -> &'static str {
        match self {
            OctoState::Offline => "Offline",
            OctoState::OpeningSerial => "Opening serial connection",
            OctoState::Connecting => "Connecting",
            OctoState::Operational => "Operational",
            OctoState::Starting => "Starting",
            OctoState::Printing => "Printing",
            OctoState::Pausing => "Pausing",
            OctoState::Paused => "Paused",
            OctoState::Resuming => "Resuming",
            OctoState::Finishing => "Finishing",
            OctoState::Cancelling => "Cancelling",
            OctoState::Error => "Error",
        }
    }

    /// `state_id` in `PrinterStateChanged`.
    pub fn state_id(self) -> &'static str {
        match self {
            OctoState::Offline => "OFFLINE",
            OctoState::OpeningSerial => "OPEN_SERIAL",
            OctoState::Connecting => "CONNECTING",
            OctoState::Operational => "OPERATIONAL",
            OctoState::Starting => "STARTING",
            OctoState::Printing => "PRINTING",
            OctoState::Pausing => "PAUSING",
            OctoState::Paused => "PAUSED",
            OctoState::Resuming => "RESUMING",
            OctoState::Finishing => "FINISHING",
            OctoState::Cancelling => "CANCELLING",
            OctoState::Error => "ERROR",
        }
    }

    /// The 11 flags, in [`FLAG_NAMES`] order.
    pub fn flags(self) -> [bool; 11] {
        use OctoState::*;
        let connected = !matches!(self, Offline | OpeningSerial | Connecting | Error);
        let printing = matches!(self, Starting | Printing | Pausing | Resuming | Finishing | Cancelling);
        [
            connected,
            printing,
            self == Cancelling,
            self == Pausing,
            self == Resuming,
            self == Finishing,
            matches!(self, Offline | Error),
            self == Error,
            self == Paused,
            self == Operational,
            connected,
        ]
    }

    /// `state` as in a status: `{text, flags, error}`.
    pub fn to_json(self) -> Value {
        let flags: serde_json::Map<String, Value> = FLAG_NAMES
            .iter()
            .zip(self.flags())
            .map(|(n, f)| ((*n).to_owned(), Value::Bool(f)))
            .collect();
        json!({"text": self.text(), "flags": flags, "error": ""})
    }

    /// Whether a print is under way (from Starting to the end of Cancelling/Finishing, pauses included).
    pub fn in_print(self) -> bool {
        self.flags()[1] || self == OctoState::Paused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn true_flags(s: OctoState) -> Vec<&'static str> {
        FLAG_NAMES
            .iter()
            .zip(s.flags())
            .filter(|(_, f)| *f)
            .map(|(n, _)| *n)
            .collect()
    }

    #[test]
    fn flags_match_the_real_agent() {
        assert_eq!(true_flags(OctoState::Offline), ["closedOrError"]);
        assert!(true_flags(OctoState::OpeningSerial).is_empty());
        assert!(true_flags(OctoState::Connecting).is_empty());
        assert_eq!(true_flags(OctoState::Operational), ["operational", "ready", "sdReady"]);
        assert_eq!(true_flags(OctoState::Starting), ["operational", "printing", "sdReady"]);
        assert_eq!(
            true_flags(OctoState::Pausing),
            ["operational", "printing", "pausing", "sdReady"]
        );
        assert_eq!(true_flags(OctoState::Paused), ["operational", "paused", "sdReady"]);
        assert_eq!(
            true_flags(OctoState::Resuming),
            ["operational", "printing", "resuming", "sdReady"]
        );
        assert_eq!(
            true_flags(OctoState::Finishing),
            ["operational", "printing", "finishing", "sdReady"]
        );
        assert_eq!(
            true_flags(OctoState::Cancelling),
            ["operational", "printing", "cancelling", "sdReady"]
        );
        assert_eq!(true_flags(OctoState::Error), ["closedOrError", "error"]);
    }

    #[test]
    fn state_json_is_in_octoprint_key_order() {
        let text = crate::proto::pyjson::to_string(&OctoState::Offline.to_json(), crate::proto::pyjson::PyStyle::Dumps);
        assert_eq!(
            text,
            r#"{"text": "Offline", "flags": {"operational": false, "printing": false, "cancelling": false, "pausing": false, "resuming": false, "finishing": false, "closedOrError": true, "error": false, "paused": false, "ready": false, "sdReady": false}, "error": ""}"#
        );
    }
}

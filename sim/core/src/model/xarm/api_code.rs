//! The SDK api codes of `xarm_api_code.md`: the `code` of every xArm response, a closed set, each with its
//! published text.

use crate::model::arm::StateError;

/// Declares [`ApiCode`] and its table from one list: variant, wire value, published text.
macro_rules! api_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal => $text:literal,)*) => {
        /// One SDK api code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum ApiCode {
            $($(#[$doc])* $name = $code,)*
        }

        impl ApiCode {
            /// Every published code, in the document's order.
            pub const ALL: &'static [ApiCode] = &[$(ApiCode::$name,)*];

            /// The published description.
            pub const fn text(self) -> &'static str {
                match self {
                    $(ApiCode::$name => $text,)*
                }
            }
        }
    };
}

api_codes! {
    /// A Blockly app raised an exception.
    RunBlocklyAppException = -12 => "run blockly app exception",
    /// A Blockly app could not be converted to Python.
    ConvertBlocklyAppException = -11 => "convert blockly app to pythen exception",
    /// Emergency stop: the motion was stopped (also `wait` ending on state 4).
    EmergencyStop = -9 => "emergency stop",
    /// A value is out of range.
    OutOfRange = -8 => "out of range",
    /// Joint angle limit.
    JointLimit = -7 => "joint angle limit",
    /// Cartesian position limit.
    CartesianLimit = -6 => "cartesian pos limit",
    /// Reserved.
    Reserved5 = -5 => "revesed, no use",
    /// The `cmd` does not exist.
    CommandNotExist = -4 => "command is not exist",
    /// Reserved.
    Reserved3 = -3 => "revesed, no use",
    /// The arm is not ready (motion not enabled or state not set).
    NotReady = -2 => "xArm is not ready, may be the motion is not enable or not set state",
    /// The arm is not connected.
    NotConnected = -1 => "xArm is disconnect or not connect",
    /// Success.
    Ok = 0 => "success",
    /// There are errors that have not been cleared.
    HasError = 1 => "there are errors that have not been cleared",
    /// There are warnings that have not been cleared.
    HasWarning = 2 => "there are warnings that have not been cleared",
    /// The controller did not answer in time.
    ResponseTimeout = 3 => "get response timeout",
    /// A TCP reply had the wrong length.
    ReplyLengthError = 4 => "tcp reply length error",
    /// A TCP reply had the wrong transaction number.
    ReplyNumberError = 5 => "tcp reply number error",
    /// A TCP reply had the wrong protocol flag.
    ProtocolFlagError = 6 => "tcp protocol flag error",
    /// A TCP reply answered another command.
    ReplyCommandMismatch = 7 => "tcp reply command and send command do not match",
    /// Sending failed.
    SendError = 8 => "send command error, may be network exception",
    /// The state is not ready to move.
    NotReadyToMove = 9 => "state is not ready to move",
    /// The result is invalid.
    InvalidResult = 10 => "the result is invalid",
    /// Another error (also: a documented command the simulator does not model).
    OtherError = 11 => "other error",
    /// Parameter error.
    ParameterError = 12 => "parameter error",
    /// Host id error.
    HostIdError = 20 => "host id error",
    /// Modbus baud rate not supported.
    ModbusBaudrateUnsupported = 21 => "modbus baudrate not supported",
    /// Modbus baud rate not correct.
    ModbusBaudrateIncorrect = 22 => "modbus baudrate not correct",
    /// Modbus reply length error.
    ModbusReplyLength = 23 => "modbus reply length error",
    /// Trajectory read/write failed.
    TrajectoryReadWrite = 31 => "trajectory read/write failed",
    /// Trajectory read/write timed out.
    TrajectoryTimeout = 32 => "trajectory read/write timeout",
    /// Trajectory playback timed out.
    PlaybackTimeout = 33 => "playback trajectory timeout",
    /// Setting the suction cup timed out.
    SuctionCupTimeout = 41 => "wait to set suction cup timeout",
    /// The linear track has an error.
    LinearTrackError = 80 => "linear track has error",
    /// The linear track's SCI is low.
    LinearTrackSciLow = 81 => "linear track sci is low",
    /// The linear track is not initialised.
    LinearTrackNotInit = 82 => "linear track is not init",
    /// Accepted: the final code follows with the same id (Studio's asynchronous answer). The SDK documents
    /// 100 as "wait finish timeout".
    Accepted = 100 => "wait finish timeout",
    /// Too many consecutive failed tests.
    TooManyFailedTests = 101 => "too many consecutive failed tests",
    /// The end effector has an error.
    EndEffectorError = 102 => "end effector has error",
    /// The end effector is not enabled.
    EndEffectorNotEnabled = 103 => "end effector is not enabled",
}

impl ApiCode {
    /// The value on the wire.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The published code with this value, if there is one.
    pub fn from_code(code: i32) -> Option<ApiCode> {
        ApiCode::ALL.iter().copied().find(|c| c.code() == code)
    }
}

impl From<StateError> for ApiCode {
    /// The code a state refusal is reported with (-9 e-stop, 1 error, 2 warning, -2 not enabled, 9 state not
    /// ready, 12 parameter error).
    fn from(error: StateError) -> ApiCode {
        match error {
            StateError::EmergencyStop => ApiCode::EmergencyStop,
            StateError::HasError => ApiCode::HasError,
            StateError::HasWarning => ApiCode::HasWarning,
            StateError::NotEnabled => ApiCode::NotReady,
            StateError::NotReady => ApiCode::NotReadyToMove,
            StateError::InvalidState | StateError::InvalidMode => ApiCode::ParameterError,
        }
    }
}

/// An api code equals its wire value.
impl PartialEq<i32> for ApiCode {
    fn eq(&self, other: &i32) -> bool {
        self.code() == *other
    }
}

impl serde::Serialize for ApiCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_unique_and_round_trip() {
        for code in ApiCode::ALL {
            assert_eq!(ApiCode::from_code(code.code()), Some(*code), "{code:?}");
        }
        let mut values: Vec<i32> = ApiCode::ALL.iter().map(|c| c.code()).collect();
        values.dedup();
        assert_eq!(values.len(), ApiCode::ALL.len());
        assert_eq!(ApiCode::from_code(13), None);
    }

    #[test]
    fn serializes_as_its_number() {
        assert_eq!(serde_json::json!(ApiCode::CartesianLimit), serde_json::json!(-6));
        assert_eq!(ApiCode::ParameterError.text(), "parameter error");
        assert_eq!(ApiCode::from(StateError::EmergencyStop).code(), -9);
        assert_eq!(ApiCode::from(StateError::NotEnabled).code(), -2);
    }
}

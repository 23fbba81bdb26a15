//! The frames a protocol state machine hands the serve layer: text (owned, or shared by many connections
//! without copying), binary, and a close with its typed WebSocket close code. The socket converts them.

use std::sync::Arc;

use bytes::Bytes;

/// Text serialized once and shared by every connection it goes to (a clone counts a reference).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SharedText(Arc<str>);

impl SharedText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for SharedText {
    fn from(text: String) -> Self {
        SharedText(text.into())
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// The WebSocket close codes (RFC 6455, section 7.4.1) the simulated devices send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: a normal close (ESP3D closing a terminal client that another one replaced).
    Normal,
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1002: the peer broke the WebSocket protocol (RSV bits, reserved opcodes, bad fragmentation).
    ProtocolError,
    /// 1003: a kind of frame the device does not take (Endrpi's binary frames).
    Unsupported,
    /// 1007: a text frame or close reason that is not UTF-8.
    InvalidPayload,
    /// 1008: a policy violation (a subscriber too slow to keep up; a WebSocket on the control API).
    Policy,
    /// 1009: a message or frame over the size limit.
    TooBig,
    /// 1013: try again later (every client slot of the device is taken).
    TryAgainLater,
}

impl CloseCode {
    /// The code on the wire.
    pub const fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::Unsupported => 1003,
            CloseCode::InvalidPayload => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::TryAgainLater => 1013,
        }
    }
}

/// A frame or action a session sends to its peer.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// A text frame.
    Text(String),
    /// A text frame shared by many connections (serialized once).
    SharedText(SharedText),
    /// A binary frame.
    Binary(Bytes),
    /// A ping control frame with this payload.
    Ping(Bytes),
    /// Close the connection with this code and reason.
    Close(CloseCode, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_is_one_allocation_and_close_codes_are_rfc_6455s() {
        let text = SharedText::from(String::from("{\"a\":1}"));
        let copy = text.clone();
        assert!(std::ptr::eq(text.as_str(), copy.as_str()));
        assert_eq!(&*copy, "{\"a\":1}");
        let codes = [
            CloseCode::GoingAway,
            CloseCode::Unsupported,
            CloseCode::Policy,
            CloseCode::TooBig,
        ];
        assert_eq!(codes.map(CloseCode::code), [1001, 1003, 1008, 1009]);
    }
}

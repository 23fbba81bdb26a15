//! ESP3D 3.0 firmware in front of a printer, sans-IO: the terminal socket (`webui-v3`), the data socket
//! (`arduino`) with its transfer frames, the ESP commands and the HTTP routes, behind the [`Esp3dBoard`] facade.

pub mod auth;
pub mod board;
pub mod commands;
pub mod data;
pub mod files;
pub mod format;
pub mod frame;
pub mod multipart;
pub mod params;
pub mod routes;
pub mod rx_line;
pub mod serial_lines;
pub mod settings;
pub mod slots;
pub mod terminal;
pub mod transfer;
pub mod tx_buffer;

pub use board::{BoardConfig, Esp3dBoard, HttpReply};

use bytes::Bytes;

use crate::proto::frame::CloseCode;

/// Something the serve layer must do for the board, in the order returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a WebSocket ping control frame to terminal client `slot`.
    TerminalPing { slot: u8 },
    /// Send a text frame to terminal client `slot`.
    TerminalText { slot: u8, text: String },
    /// Send a binary frame (the printer's stream) to terminal client `slot`.
    TerminalBinary { slot: u8, bytes: Bytes },
    /// Close terminal client `slot` with this close code; the slot is free from now on, so its later
    /// disconnect must not be reported.
    TerminalClose { slot: u8, code: CloseCode },
    /// Send a text frame to data client `slot`.
    DataText { slot: u8, text: String },
    /// Send a binary frame to data client `slot`.
    DataBinary { slot: u8, bytes: Bytes },
    /// Write these bytes to the printer's serial port (a line with its terminator, a lone control byte, or
    /// a partial line flushed after the idle timeout).
    Serial(Vec<u8>),
}

/// Why a WebSocket client was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// All five slots are taken (the firmware drops the TCP connection without a handshake).
    #[error("all {} client slots are taken", slots::MAX_CLIENTS)]
    Full,
}

/// The `Sec-WebSocket-Protocol` the firmware answers: its own protocol iff the client offered any.
pub fn subprotocol_answer(own: &'static str, offered_any: bool) -> Option<&'static str> {
    offered_any.then_some(own)
}

/// The terminal socket's subprotocol.
pub const TERMINAL_PROTOCOL: &str = "webui-v3";
/// The data socket's subprotocol.
pub const DATA_PROTOCOL: &str = "arduino";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subprotocol_is_the_servers_own_whenever_one_is_offered() {
        assert_eq!(subprotocol_answer(TERMINAL_PROTOCOL, true), Some("webui-v3"));
        assert_eq!(subprotocol_answer(TERMINAL_PROTOCOL, false), None);
        assert_eq!(subprotocol_answer(DATA_PROTOCOL, true), Some("arduino"));
    }
}

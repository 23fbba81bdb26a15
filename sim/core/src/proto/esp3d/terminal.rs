//! The terminal socket (`webui-v3`) as `websocket_server.cpp` runs it: slots, the connect sequence that makes
//! the newest client the only one, `PING:<sid>` answers, the buffered binary stream and the text labels.

use bytes::Bytes;

use super::auth::Sessions;
use super::slots::Slots;
use super::tx_buffer::TxBuffer;
use super::{Action, ConnectError};
use crate::proto::frame::CloseCode;
use crate::time::SimTime;

/// The close code sent to the clients a new one replaces.
pub const REPLACED_CLOSE_CODE: CloseCode = CloseCode::Normal;

/// The terminal socket's clients and output buffer.
#[derive(Clone, Debug, Default)]
pub struct Terminal {
    slots: Slots,
    current_id: u8,
    tx: TxBuffer,
}

impl Terminal {
    /// A client connected: it gets a ping control frame and `currentID:<slot>`, every client gets
    /// `activeID:<slot>`, then every other client is closed with 1000.
    pub fn connect(&mut self) -> Result<(u8, Vec<Action>), ConnectError> {
        let slot = self.slots.take()?;
        self.current_id = slot;
        let mut actions = vec![
            Action::TerminalPing { slot },
            Action::TerminalText {
                slot,
                text: format!("currentID:{slot}"),
            },
        ];
        let text = format!("activeID:{slot}");
        actions.extend(self.slots.taken().map(|to| Action::TerminalText {
            slot: to,
            text: text.clone(),
        }));
        let others: Vec<u8> = self.slots.taken().filter(|&s| s != slot).collect();
        for other in others {
            self.slots.free(other);
            actions.push(Action::TerminalClose {
                slot: other,
                code: REPLACED_CLOSE_CODE,
            });
        }
        Ok((slot, actions))
    }

    /// A client left (ignored for a slot that is already free).
    pub fn disconnect(&mut self, slot: u8) {
        self.slots.free(slot);
        if !self.slots.any() {
            self.tx.clear();
        }
    }

    /// A text frame from `slot`: only `PING:<sid>` is read, and only when authentication is on with a
    /// session timeout; the answer `PING:<remaining_ms>:<timeout_ms>` goes to that client alone.
    pub fn text(&self, now: SimTime, slot: u8, text: &str, sessions: Option<&Sessions>) -> Vec<Action> {
        match (sessions, text.strip_prefix("PING:")) {
            (Some(s), Some(sid)) if s.timeout_ms() != 0 && self.slots.is_taken(slot) => {
                let text = format!("PING:{}:{}", s.remaining(now, sid), s.timeout_ms());
                vec![Action::TerminalText { slot, text }]
            }
            _ => Vec::new(),
        }
    }

    /// The slot of the newest client, to which `ERROR:` goes.
    pub fn current_id(&self) -> u8 {
        self.current_id
    }

    /// `NOTIFICATION:<msg>` to every client.
    pub fn notification(&self, message: &str) -> Vec<Action> {
        self.broadcast_text(&format!("NOTIFICATION:{message}"))
    }

    /// `ERROR:<code>:<msg>` to the current id (nothing if that client is gone).
    pub fn error(&self, code: u8, message: &str) -> Vec<Action> {
        let slot = self.current_id;
        if !self.slots.is_taken(slot) {
            return Vec::new();
        }
        vec![Action::TerminalText {
            slot,
            text: format!("ERROR:{code}:{message}"),
        }]
    }

    /// Printer output into the stream buffer; returns the frames due now.
    pub fn stream(&mut self, now: SimTime, bytes: &[u8]) -> Vec<Action> {
        let chunks = self.tx.write(now, bytes, self.slots.any());
        chunks.into_iter().flat_map(|c| self.broadcast_binary(c)).collect()
    }

    /// The stream frame due at `now`, if any.
    pub fn poll(&mut self, now: SimTime) -> Vec<Action> {
        self.tx.poll(now).map(|c| self.broadcast_binary(c)).unwrap_or_default()
    }

    /// When the stream buffer must be flushed.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.tx.deadline()
    }

    fn broadcast_text(&self, text: &str) -> Vec<Action> {
        self.slots
            .taken()
            .map(|slot| Action::TerminalText {
                slot,
                text: text.to_string(),
            })
            .collect()
    }

    fn broadcast_binary(&self, chunk: Vec<u8>) -> Vec<Action> {
        let bytes = Bytes::from(chunk);
        self.slots
            .taken()
            .map(|slot| Action::TerminalBinary {
                slot,
                bytes: bytes.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::esp3d::auth::Level;

    fn text(slot: u8, text: &str) -> Action {
        Action::TerminalText {
            slot,
            text: text.into(),
        }
    }

    #[test]
    fn the_first_client_gets_ping_current_and_active_ids() {
        let mut term = Terminal::default();
        let (slot, actions) = term.connect().unwrap();
        assert_eq!(slot, 0);
        assert_eq!(
            actions,
            [
                Action::TerminalPing { slot: 0 },
                text(0, "currentID:0"),
                text(0, "activeID:0")
            ]
        );
    }

    #[test]
    fn a_second_client_takes_over_and_slots_are_reused() {
        let mut term = Terminal::default();
        term.connect().unwrap();
        let (slot, actions) = term.connect().unwrap();
        assert_eq!(slot, 1);
        assert_eq!(
            actions,
            [
                Action::TerminalPing { slot: 1 },
                text(1, "currentID:1"),
                text(0, "activeID:1"),
                text(1, "activeID:1"),
                Action::TerminalClose {
                    slot: 0,
                    code: CloseCode::Normal
                },
            ]
        );
        // Slot 0 was freed by the close: the next client reuses it.
        let (slot, _) = term.connect().unwrap();
        assert_eq!(slot, 0);
        assert_eq!(term.current_id(), 0);
    }

    #[test]
    fn ping_is_answered_only_with_authentication_and_a_timeout() {
        let mut term = Terminal::default();
        term.connect().unwrap();
        let now = SimTime::from_millis(5_000);
        assert!(term.text(now, 0, "PING:none", None).is_empty());
        let mut sessions = Sessions::new(180_000);
        assert_eq!(
            term.text(now, 0, "PING:none", Some(&sessions)),
            [text(0, "PING:0:180000")]
        );
        let sid = sessions.create(SimTime::from_millis(3_000), Level::User);
        assert_eq!(
            term.text(now, 0, &format!("PING:{sid}"), Some(&sessions)),
            [text(0, "PING:178000:180000")]
        );
        assert!(term.text(now, 0, "HELLO", Some(&sessions)).is_empty());
        sessions.set_timeout_ms(0);
        assert!(term.text(now, 0, "PING:none", Some(&sessions)).is_empty());
    }

    #[test]
    fn the_stream_is_buffered_then_broadcast_as_binary() {
        let mut term = Terminal::default();
        assert!(term.stream(SimTime::ZERO, b"dropped\n").is_empty());
        term.connect().unwrap();
        assert!(term.stream(SimTime::from_millis(10), b"ok\n").is_empty());
        assert_eq!(term.next_deadline(), Some(SimTime::from_millis(510)));
        assert_eq!(
            term.poll(SimTime::from_millis(510)),
            [Action::TerminalBinary {
                slot: 0,
                bytes: Bytes::from_static(b"ok\n")
            }]
        );
    }

    #[test]
    fn notifications_are_broadcast_and_errors_go_to_the_current_id() {
        let mut term = Terminal::default();
        assert!(term.error(8, "Upload rejected").is_empty());
        term.connect().unwrap();
        assert_eq!(term.notification("Hi"), [text(0, "NOTIFICATION:Hi")]);
        assert_eq!(term.error(8, "Upload rejected"), [text(0, "ERROR:8:Upload rejected")]);
    }
}

//! The data socket (`arduino`): its client slots, the one input assembler all clients share, and the
//! buffered output that goes to every client as binary frames (or text, ESP3D-TFT's way).

use bytes::Bytes;

use super::rx_line::LineAssembler;
use super::slots::Slots;
use super::tx_buffer::TxBuffer;
use super::{Action, ConnectError};
use crate::time::SimTime;

/// The data socket's clients and buffers.
#[derive(Clone, Debug, Default)]
pub struct DataSocket {
    slots: Slots,
    rx: LineAssembler,
    tx: TxBuffer,
    text_output: bool,
}

impl DataSocket {
    /// A data socket that sends its output as binary frames, or as text frames with `text_output`.
    pub fn new(text_output: bool) -> Self {
        DataSocket {
            text_output,
            ..DataSocket::default()
        }
    }

    /// A client connected.
    pub fn connect(&mut self) -> Result<u8, ConnectError> {
        self.slots.take()
    }

    /// A client left.
    pub fn disconnect(&mut self, slot: u8) -> bool {
        let freed = self.slots.free(slot);
        if !self.slots.any() {
            self.tx.clear();
        }
        freed
    }

    /// Whether `slot` is connected.
    pub fn is_connected(&self, slot: u8) -> bool {
        self.slots.is_taken(slot)
    }

    /// Input bytes (from a text or a binary frame); returns the messages completed.
    pub fn input(&mut self, now: SimTime, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.rx.push(now, bytes)
    }

    /// The partial input line due at `now`.
    pub fn poll_input(&mut self, now: SimTime) -> Option<Vec<u8>> {
        self.rx.poll(now)
    }

    /// Output bytes into the buffer; returns the frames due now.
    pub fn stream(&mut self, now: SimTime, bytes: &[u8]) -> Vec<Action> {
        let chunks = self.tx.write(now, bytes, self.slots.any());
        chunks.into_iter().flat_map(|c| self.broadcast(c)).collect()
    }

    /// The output frame due at `now`, if any.
    pub fn poll_output(&mut self, now: SimTime) -> Vec<Action> {
        self.tx.poll(now).map(|c| self.broadcast(c)).unwrap_or_default()
    }

    /// The earliest of the input and output deadlines.
    pub fn next_deadline(&self) -> Option<SimTime> {
        [self.rx.deadline(), self.tx.deadline()].into_iter().flatten().min()
    }

    fn broadcast(&self, chunk: Vec<u8>) -> Vec<Action> {
        if self.text_output {
            let text = String::from_utf8_lossy(&chunk).into_owned();
            return self
                .slots
                .taken()
                .map(|slot| Action::DataText {
                    slot,
                    text: text.clone(),
                })
                .collect();
        }
        let bytes = Bytes::from(chunk);
        self.slots
            .taken()
            .map(|slot| Action::DataBinary {
                slot,
                bytes: bytes.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_goes_to_every_client_as_binary_or_text() {
        let t = SimTime::from_millis(7);
        let mut data = DataSocket::new(false);
        assert_eq!((data.connect(), data.connect()), (Ok(0), Ok(1)));
        data.stream(t, b"ok\n");
        assert_eq!(data.next_deadline(), Some(SimTime::from_millis(507)));
        let ok = Bytes::from_static(b"ok\n");
        assert_eq!(
            data.poll_output(SimTime::from_millis(507)),
            [
                Action::DataBinary {
                    slot: 0,
                    bytes: ok.clone()
                },
                Action::DataBinary { slot: 1, bytes: ok }
            ]
        );
        let mut text = DataSocket::new(true);
        text.connect().unwrap();
        text.stream(t, b"ok\n");
        assert_eq!(
            text.poll_output(SimTime::from_millis(600)),
            [Action::DataText {
                slot: 0,
                text: "ok\n".into()
            }]
        );
    }

    #[test]
    fn input_is_one_stream_for_all_clients() {
        let t = SimTime::from_millis(7);
        let mut data = DataSocket::new(false);
        assert!(data.input(t, b"M10").is_empty());
        assert_eq!(data.input(t, b"5\n"), [b"M105\n".to_vec()]);
        assert!(data.input(t, b"G2").is_empty());
        assert_eq!(data.poll_input(SimTime::from_millis(507)), Some(b"G2".to_vec()));
    }
}

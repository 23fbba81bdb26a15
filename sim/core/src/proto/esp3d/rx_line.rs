//! The data socket's input assembler (`push2RXbuffer`): text and binary input are one byte stream; `\n` or
//! `\r` ends a message, a non-printable byte is a message of its own, at most 256 bytes, 500 ms idle flushes.

use crate::time::SimTime;

/// The longest message the assembler holds.
pub const RX_BUFFER_SIZE: usize = 256;
/// Idle milliseconds after which a partial line is flushed.
pub const RX_IDLE_MS: u64 = 500;

/// Pending input of the data socket.
#[derive(Clone, Debug, Default)]
pub struct LineAssembler {
    buf: Vec<u8>,
    last: SimTime,
}

/// The firmware's printable test: tab, 32..=126, and every byte from 128.
fn printable(b: u8) -> bool {
    b == b'\t' || (32..=126).contains(&b) || b >= 128
}

impl LineAssembler {
    /// Feeds `bytes` received at `now`; returns the messages completed, in order.
    pub fn push(&mut self, now: SimTime, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for &b in bytes {
            self.last = now;
            if b == b'\n' || b == b'\r' {
                if self.buf.len() < RX_BUFFER_SIZE {
                    self.buf.push(b);
                }
                out.push(std::mem::take(&mut self.buf));
            } else if printable(b) {
                if self.buf.len() >= RX_BUFFER_SIZE {
                    out.push(std::mem::take(&mut self.buf));
                }
                self.buf.push(b);
            } else {
                if !self.buf.is_empty() {
                    out.push(std::mem::take(&mut self.buf));
                }
                out.push(vec![b]);
            }
        }
        // The firmware's loop flushes a full buffer right after the message.
        if self.buf.len() >= RX_BUFFER_SIZE {
            out.push(std::mem::take(&mut self.buf));
        }
        out
    }

    /// The partial line due at `now`, once the input has been idle long enough.
    pub fn poll(&mut self, now: SimTime) -> Option<Vec<u8>> {
        match self.deadline() {
            Some(due) if now >= due => Some(std::mem::take(&mut self.buf)),
            _ => None,
        }
    }

    /// When a partial line will be flushed, if one is pending.
    pub fn deadline(&self) -> Option<SimTime> {
        (!self.buf.is_empty()).then(|| self.last.plus_millis(RX_IDLE_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: SimTime = SimTime::from_millis(10);

    #[test]
    fn line_ends_split_messages_and_keep_their_terminator() {
        let mut rx = LineAssembler::default();
        assert_eq!(
            rx.push(T, b"G28\nM105\rM1"),
            vec![b"G28\n".to_vec(), b"M105\r".to_vec()]
        );
        assert_eq!(rx.push(T, b"14\n"), vec![b"M114\n".to_vec()]);
    }

    #[test]
    fn a_non_printable_byte_is_a_message_of_its_own() {
        let mut rx = LineAssembler::default();
        assert_eq!(
            rx.push(T, b"ab\x18cd\n"),
            vec![b"ab".to_vec(), vec![0x18], b"cd\n".to_vec()]
        );
    }

    #[test]
    fn long_lines_are_cut_at_256_bytes() {
        let mut rx = LineAssembler::default();
        let out = rx.push(T, &[b'x'; 300]);
        assert_eq!(out, vec![vec![b'x'; 256]]);
        assert_eq!(rx.push(T, b"\n"), vec![[vec![b'x'; 44], b"\n".to_vec()].concat()]);
        // A terminator that finds the buffer full is dropped, as the firmware drops it.
        let mut rx = LineAssembler::default();
        assert_eq!(
            rx.push(T, &[[b'y'; 256].as_slice(), b"\n"].concat()),
            vec![vec![b'y'; 256]]
        );
    }

    #[test]
    fn a_partial_line_is_flushed_after_500_ms_idle() {
        let mut rx = LineAssembler::default();
        assert!(rx.push(SimTime::from_millis(100), b"G2").is_empty());
        assert!(rx.push(SimTime::from_millis(300), b"8").is_empty());
        assert_eq!(rx.deadline(), Some(SimTime::from_millis(800)));
        assert_eq!(rx.poll(SimTime::from_millis(799)), None);
        assert_eq!(rx.poll(SimTime::from_millis(800)), Some(b"G28".to_vec()));
        assert_eq!(rx.deadline(), None);
    }

    proptest! {
        #[test]
        fn every_byte_comes_out_once_in_order_unless_dropped_at_a_full_buffer(
            bytes in proptest::collection::vec(any::<u8>(), 0..700)
        ) {
            let mut rx = LineAssembler::default();
            let mut out: Vec<u8> = rx.push(T, &bytes).concat();
            out.extend(rx.poll(SimTime::from_millis(10_000)).unwrap_or_default());
            prop_assert!(out.len() <= bytes.len());
            for msg in rx.push(T, &bytes) {
                prop_assert!(!msg.is_empty() && msg.len() <= RX_BUFFER_SIZE);
            }
        }
    }
}

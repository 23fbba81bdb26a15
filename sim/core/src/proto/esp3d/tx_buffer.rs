//! The firmware's output buffer of a WebSocket server (`TXBUFFERSIZE 1200`, `FLUSHTIMEOUT 500`): stream
//! bytes wait until 1200 are buffered or 500 ms of sim time have passed since the first, then go out as one frame.

use crate::time::SimTime;

/// Bytes buffered before a flush is forced.
pub const TX_BUFFER_SIZE: usize = 1200;
/// Milliseconds after the first buffered byte at which the buffer is flushed.
pub const FLUSH_TIMEOUT_MS: u64 = 500;

/// One server's pending output.
#[derive(Clone, Debug, Default)]
pub struct TxBuffer {
    buf: Vec<u8>,
    since: SimTime,
}

impl TxBuffer {
    /// Buffers `bytes` (dropped when no client is connected, as the firmware drops them) and returns the
    /// chunks that must go out now, each one binary frame broadcast to every client.
    pub fn write(&mut self, now: SimTime, bytes: &[u8], has_clients: bool) -> Vec<Vec<u8>> {
        let mut flushed = Vec::new();
        if bytes.is_empty() {
            return flushed;
        }
        if self.buf.is_empty() {
            self.since = now;
        }
        if self.buf.len() + bytes.len() > TX_BUFFER_SIZE {
            flushed.extend(self.take(now));
        }
        if !has_clients {
            self.buf.clear();
            return flushed;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.buf.len() >= TX_BUFFER_SIZE {
                flushed.extend(self.take(now));
            }
            let n = (TX_BUFFER_SIZE - self.buf.len()).min(rest.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        // The firmware's loop sends a full buffer right away.
        if self.buf.len() >= TX_BUFFER_SIZE {
            flushed.extend(self.take(now));
        }
        flushed
    }

    /// The chunk due at `now`, if the timeout has run out.
    pub fn poll(&mut self, now: SimTime) -> Option<Vec<u8>> {
        match self.deadline() {
            Some(due) if now >= due => self.take(now),
            _ => None,
        }
    }

    /// When the buffered bytes must be flushed, if any are buffered.
    pub fn deadline(&self) -> Option<SimTime> {
        (!self.buf.is_empty()).then(|| self.since.plus_millis(FLUSH_TIMEOUT_MS))
    }

    /// Drops whatever is buffered (the last client left).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    fn take(&mut self, now: SimTime) -> Option<Vec<u8>> {
        self.since = now;
        (!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn bytes_wait_500_ms_from_the_first_one() {
        let mut tx = TxBuffer::default();
        assert!(tx.write(t(100), b"ok\n", true).is_empty());
        assert!(tx.write(t(400), b"ok\n", true).is_empty());
        assert_eq!(tx.deadline(), Some(t(600)));
        assert_eq!(tx.poll(t(599)), None);
        assert_eq!(tx.poll(t(600)), Some(b"ok\nok\n".to_vec()));
        assert_eq!(tx.deadline(), None);
    }

    #[test]
    fn a_full_buffer_goes_at_once_and_an_overflow_flushes_first() {
        let mut tx = TxBuffer::default();
        assert!(tx.write(t(0), &[b'a'; 1000], true).is_empty());
        let out = tx.write(t(10), &[b'b'; 300], true);
        assert_eq!(out, vec![vec![b'a'; 1000]]);
        assert_eq!(tx.deadline(), Some(t(510)));
        let out = tx.write(t(20), &[b'c'; 2500], true);
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [300, 1200, 1200]);
        assert_eq!(tx.poll(t(520)), Some(vec![b'c'; 100]));
    }

    #[test]
    fn without_clients_nothing_is_kept() {
        let mut tx = TxBuffer::default();
        assert!(tx.write(t(0), b"lost\n", false).is_empty());
        assert_eq!(tx.deadline(), None);
    }
}

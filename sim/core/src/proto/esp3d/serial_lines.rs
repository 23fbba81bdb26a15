//! What the ESP reads from the printer's serial port (`serial_service_esp32.cpp`): lines ended by `\n` or `\r`
//! (a `\r` becomes `\n`), at most 1024 bytes before a forced cut, a line that is only `\n` dropped.

/// Bytes held before a line is cut.
pub const SERIAL_BUFFER_SIZE: usize = 1024;

/// Pending printer output.
#[derive(Clone, Debug, Default)]
pub struct SerialLines {
    buf: Vec<u8>,
}

impl SerialLines {
    /// Feeds printer bytes; returns the lines completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for &b in bytes {
            self.buf.push(if b == b'\r' { b'\n' } else { b });
            if self.buf.len() > SERIAL_BUFFER_SIZE || b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.buf);
                if line != b"\n" {
                    lines.push(line);
                }
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_either_terminator_and_empty_lines_vanish() {
        let mut s = SerialLines::default();
        assert_eq!(s.push(b"ok T:20\r\nok"), vec![b"ok T:20\n".to_vec()]);
        assert_eq!(s.push(b"\n\n"), vec![b"ok\n".to_vec()]);
        let long = s.push(&[b'x'; 1030]);
        assert_eq!(long.iter().map(Vec::len).collect::<Vec<_>>(), [1025]);
    }
}

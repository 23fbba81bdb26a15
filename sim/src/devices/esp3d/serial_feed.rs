//! The printer's side of the serial wire: the bytes the ESP writes arrive in pieces (a line, a lone control
//! byte, a partial line after the idle timeout) and Marlin reads them as lines ended by `\n` or `\r`.

/// The longest line kept while waiting for its terminator (Marlin's `MAX_CMD_SIZE` is 96; longer lines are
/// refused by the printer itself, so this only bounds memory).
const MAX_PENDING: usize = 4096;

/// Bytes written to the printer, cut into the lines `Printer::submit_line` takes.
#[derive(Debug, Default)]
pub struct SerialFeed {
    pending: Vec<u8>,
}

impl SerialFeed {
    /// Appends `bytes` and returns every line they complete, without terminators; empty lines are skipped.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in bytes {
            if byte == b'\n' || byte == b'\r' {
                if !self.pending.is_empty() {
                    lines.push(String::from_utf8_lossy(&self.pending).into_owned());
                    self.pending.clear();
                }
            } else if self.pending.len() < MAX_PENDING {
                self.pending.push(byte);
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_become_lines_at_their_terminators() {
        let mut feed = SerialFeed::default();
        assert_eq!(feed.push(b"M105\n"), vec!["M105"]);
        assert!(feed.push(b"G28 ").is_empty());
        assert_eq!(feed.push(b"X\r\nM114\r"), vec!["G28 X", "M114"]);
        assert!(feed.push(b"\n\n").is_empty());
    }

    #[test]
    fn an_endless_line_is_bounded() {
        let mut feed = SerialFeed::default();
        assert!(feed.push(&vec![b'G'; MAX_PENDING * 2]).is_empty());
        assert_eq!(feed.push(b"\n")[0].len(), MAX_PENDING);
    }
}

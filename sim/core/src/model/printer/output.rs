//! The serial output the printer writes and the host has not yet taken: whole lines, bounded like a
//! transmit buffer nobody drains (the oldest lines are lost first), so idle days cost bounded memory.

use std::collections::VecDeque;

/// At most this many bytes wait to be taken.
pub const OUTPUT_CAP: usize = 256 * 1024;

/// Pending output bytes.
#[derive(Clone, Debug, Default)]
pub struct Output {
    bytes: VecDeque<u8>,
}

impl Output {
    /// Appends `text` and a `\n`.
    pub fn line(&mut self, text: &str) {
        self.raw(text);
        self.bytes.push_back(b'\n');
        self.trim();
    }

    /// Appends `text` as it is (it must end in `\n`).
    pub fn raw(&mut self, text: &str) {
        self.bytes.extend(text.as_bytes());
        self.trim();
    }

    /// Takes everything pending.
    pub fn take(&mut self) -> Vec<u8> {
        self.bytes.drain(..).collect()
    }

    fn trim(&mut self) {
        if self.bytes.len() <= OUTPUT_CAP {
            return;
        }
        let excess = self.bytes.len() - OUTPUT_CAP;
        // Drop whole lines: up to and including the first newline at or after the excess.
        let cut = self
            .bytes
            .iter()
            .skip(excess)
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |p| excess + p + 1);
        self.bytes.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_whole_lines_go_first() {
        let mut o = Output::default();
        let line = "x".repeat(99);
        for _ in 0..(OUTPUT_CAP / 100 + 10) {
            o.line(&line);
        }
        let out = o.take();
        assert!(out.len() <= OUTPUT_CAP);
        assert_eq!(out.len() % 100, 0);
        assert!(o.take().is_empty());
    }
}

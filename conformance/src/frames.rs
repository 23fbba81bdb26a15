//! The frames a scenario's WebSocket connections sent and received, the last few kept (bounded in count and
//! size) so that a failed scenario's report can show what the checker saw.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Frames kept per scenario (the most recent).
pub const KEEP: usize = 40;
/// The most characters of one frame kept.
const TEXT_MAX: usize = 2_000;
/// The most bytes of a binary frame shown, in hex.
const BINARY_SHOWN: usize = 64;

/// Which way a frame went, seen from the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The checker sent it to the device.
    Sent,
    /// The checker received it from the device.
    Received,
}

/// One frame as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The connection's name in the scenario (`main`, `A`, ...).
    pub conn: String,
    /// Sent or received.
    pub dir: Direction,
    /// The text, `binary N bytes: <hex>`, or `close CODE reason`.
    pub text: String,
}

/// A scenario's frames, shared by its connections.
#[derive(Clone, Debug, Default)]
pub struct FrameLog(Arc<Mutex<VecDeque<Seen>>>);

impl FrameLog {
    /// Notes a frame (the oldest is dropped past [`KEEP`]).
    pub fn push(&self, conn: &str, dir: Direction, text: &str) {
        let text = if text.chars().count() > TEXT_MAX {
            format!(
                "{}… ({} bytes)",
                text.chars().take(TEXT_MAX).collect::<String>(),
                text.len()
            )
        } else {
            text.to_string()
        };
        if let Ok(mut frames) = self.0.lock() {
            if frames.len() == KEEP {
                frames.pop_front();
            }
            frames.push_back(Seen {
                conn: conn.to_string(),
                dir,
                text,
            });
        }
    }

    /// Notes a binary frame, shown as its length and first bytes in hex.
    pub fn push_binary(&self, conn: &str, dir: Direction, bytes: &[u8]) {
        let shown: Vec<String> = bytes.iter().take(BINARY_SHOWN).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > BINARY_SHOWN { " …" } else { "" };
        self.push(
            conn,
            dir,
            &format!("binary {} bytes: {}{more}", bytes.len(), shown.join(" ")),
        );
    }

    /// The frames noted so far, oldest first.
    pub fn frames(&self) -> Vec<Seen> {
        self.0.lock().map(|f| f.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_frames_and_shortens_long_ones() {
        let log = FrameLog::default();
        for n in 0..KEEP + 5 {
            log.push("main", Direction::Sent, &n.to_string());
        }
        log.push_binary("main", Direction::Received, &[0xab; 100]);
        let frames = log.frames();
        assert_eq!(frames.len(), KEEP);
        assert_eq!(frames[0].text, "6");
        assert!(
            frames[KEEP - 1].text.starts_with("binary 100 bytes: ab ab"),
            "{:?}",
            frames[KEEP - 1]
        );
        assert!(frames[KEEP - 1].text.ends_with(" …"));
        log.push("main", Direction::Sent, &"x".repeat(3 * TEXT_MAX));
        assert!(log.frames()[KEEP - 1].text.ends_with("(6000 bytes)"));
    }
}

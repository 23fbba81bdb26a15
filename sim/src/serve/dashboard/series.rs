//! Bounded histories the dashboard draws: values sampled in sim time (the robot's trail, a printer's
//! temperatures) and the tail of a byte stream (a printer's serial output), each with a fixed size.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::SimTime;

/// Values sampled at most once per `min_gap_ms` of sim time, the newest `cap` kept.
#[derive(Debug)]
pub struct Series<T> {
    cap: usize,
    min_gap_ms: u64,
    points: VecDeque<(u64, T)>,
}

impl<T: Serialize> Series<T> {
    /// An empty series of at most `cap` points, `min_gap_ms` of sim time apart at least.
    pub const fn new(cap: usize, min_gap_ms: u64) -> Self {
        Series {
            cap,
            min_gap_ms,
            points: VecDeque::new(),
        }
    }

    /// Keeps `value` as the sample at `t`, unless the last sample is less than `min_gap_ms` older (or
    /// newer: time never goes back, but a caller's `now` may lag another's by a hair).
    pub fn sample(&mut self, t: SimTime, value: T) {
        let t = t.as_millis();
        if let Some((last, _)) = self.points.back()
            && t < last.saturating_add(self.min_gap_ms)
        {
            return;
        }
        if self.points.len() == self.cap {
            self.points.pop_front();
        }
        self.points.push_back((t, value));
    }

    /// `[[t_ms, value], ...]`, oldest first.
    pub fn to_json(&self) -> Value {
        Value::Array(self.points.iter().map(|(t, v)| json!([t, v])).collect())
    }
}

/// The newest `cap` bytes of a stream, as text (invalid UTF-8 shown as U+FFFD).
#[derive(Debug)]
pub struct StreamTail {
    cap: usize,
    bytes: VecDeque<u8>,
}

impl StreamTail {
    /// An empty tail keeping at most `cap` bytes.
    pub const fn new(cap: usize) -> Self {
        StreamTail {
            cap,
            bytes: VecDeque::new(),
        }
    }

    /// Appends `bytes`, dropping the oldest beyond the cap.
    pub fn push(&mut self, bytes: &[u8]) {
        let keep = &bytes[bytes.len().saturating_sub(self.cap)..];
        let overflow = (self.bytes.len() + keep.len()).saturating_sub(self.cap);
        self.bytes.drain(..overflow);
        self.bytes.extend(keep);
    }

    /// The kept bytes as text, starting at the first whole line once the tail has dropped bytes.
    pub fn text(&self) -> String {
        let (a, b) = self.bytes.as_slices();
        let text = String::from_utf8_lossy(&[a, b].concat()).into_owned();
        if self.bytes.len() < self.cap {
            return text;
        }
        match text.find('\n') {
            Some(i) => text[i + 1..].to_string(),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_keeps_one_sample_per_gap_and_the_newest_cap() {
        let mut series = Series::new(3, 100);
        for t in [0, 50, 100, 150, 200, 300, 301, 400] {
            series.sample(SimTime::from_millis(t), t);
        }
        assert_eq!(series.to_json(), json!([[200, 200], [300, 300], [400, 400]]));
    }

    #[test]
    fn a_stream_tail_keeps_the_newest_bytes_from_a_line_start() {
        let mut tail = StreamTail::new(16);
        tail.push(b"ok\n");
        assert_eq!(tail.text(), "ok\n");
        tail.push(b"ok T:21.87 /0.00\nok\n");
        assert_eq!(tail.text(), "ok\n");
        tail.push(&[b'x'; 40]);
        assert_eq!(tail.text(), "x".repeat(16));
    }
}

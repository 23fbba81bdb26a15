//! The transcript's tail for the dashboard: the last frames in and out, kept in memory only while a
//! dashboard is watching (a poll within `WATCH_FOR`), so that an unwatched simulator pays one atomic load.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::SimTime;
use crate::transcript::{Direction, RecordKind};

/// Records kept.
pub const TAIL_RECORDS: usize = 120;
/// The most characters of a record's data kept (longer data is cut and ends with `…`).
pub const TAIL_DATA_CHARS: usize = 200;
/// How long one look by a dashboard keeps the tail filling.
pub const WATCH_FOR: Duration = Duration::from_secs(5);
/// Connections whose records the tail skips: the control API's own (the dashboard's polls among them).
const SKIPPED_PREFIX: &str = "control/";

/// One record of the tail.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TailRecord {
    /// Sim time, ms.
    pub t: u64,
    /// The connection's label, e.g. `xarm/2`.
    pub conn: String,
    /// `in` or `out`, seen from the device.
    pub dir: Direction,
    /// What it is.
    pub kind: RecordKind,
    /// Its data, cut to `TAIL_DATA_CHARS`.
    pub data: String,
}

/// The last `TAIL_RECORDS` records, filled only while watched.
#[derive(Debug, Default)]
pub struct Tail {
    watched: AtomicBool,
    /// Milliseconds since `base()` until which the tail stays watched.
    until_ms: AtomicU64,
    records: Mutex<VecDeque<TailRecord>>,
}

/// The instant `until_ms` counts from.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn since_base() -> u64 {
    u64::try_from(base().elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Tail {
    /// A dashboard looked: keep filling for `WATCH_FOR` more.
    pub fn watch(&self) {
        let until = since_base().saturating_add(WATCH_FOR.as_millis() as u64);
        self.until_ms.store(until, Ordering::Relaxed);
        self.watched.store(true, Ordering::Relaxed);
    }

    /// Whether a dashboard looked within `WATCH_FOR`.
    pub fn is_watched(&self) -> bool {
        if !self.watched.load(Ordering::Relaxed) {
            return false;
        }
        if since_base() < self.until_ms.load(Ordering::Relaxed) {
            return true;
        }
        self.watched.store(false, Ordering::Relaxed);
        if let Ok(mut records) = self.records.lock() {
            records.clear();
        }
        false
    }

    /// Keeps a record, if watched and not the control API's own.
    pub fn push(&self, t: SimTime, conn: &str, dir: Direction, kind: RecordKind, data: &str) {
        if conn.starts_with(SKIPPED_PREFIX) || !self.is_watched() {
            return;
        }
        let data = match data.char_indices().nth(TAIL_DATA_CHARS) {
            Some((cut, _)) => format!("{}…", &data[..cut]),
            None => data.to_string(),
        };
        let record = TailRecord {
            t: t.as_millis(),
            conn: conn.to_string(),
            dir,
            kind,
            data,
        };
        if let Ok(mut records) = self.records.lock() {
            if records.len() == TAIL_RECORDS {
                records.pop_front();
            }
            records.push_back(record);
        }
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> Vec<TailRecord> {
        self.records
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(tail: &Tail, conn: &str, data: &str) {
        tail.push(SimTime::from_millis(1), conn, Direction::In, RecordKind::Text, data);
    }

    #[test]
    fn nothing_is_kept_until_a_dashboard_watches() {
        let tail = Tail::default();
        push(&tail, "xarm/1", "a");
        assert!(tail.records().is_empty());
        tail.watch();
        push(&tail, "xarm/1", "b");
        assert_eq!(tail.records().len(), 1);
        assert_eq!(tail.records()[0].data, "b");
    }

    #[test]
    fn the_tail_is_bounded_cut_and_skips_the_control_api() {
        let tail = Tail::default();
        tail.watch();
        for i in 0..TAIL_RECORDS + 5 {
            push(&tail, "endrpi/1", &i.to_string());
        }
        push(&tail, "control/http", "GET /ui/state -> 200");
        push(&tail, "endrpi/2", &"é".repeat(TAIL_DATA_CHARS + 10));
        let records = tail.records();
        assert_eq!(records.len(), TAIL_RECORDS);
        assert_eq!(records[0].data, "6");
        let last = &records[TAIL_RECORDS - 1];
        assert_eq!(last.conn, "endrpi/2");
        assert_eq!(last.data.chars().count(), TAIL_DATA_CHARS + 1);
        assert!(last.data.ends_with('…'));
    }
}

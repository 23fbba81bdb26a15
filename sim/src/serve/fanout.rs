//! Periodic reports to many connections: each connection keeps its own phase (a staggered schedule), and a
//! report is serialized once per sample slot and state version, then its bytes are shared by every connection.

use std::sync::Mutex;

use understudy_core::proto::frame::SharedText;

use crate::clock::SimTime;

/// Width of a sample slot (ms): connections whose report falls in the same slot send the same bytes.
pub const SLOT_MS: u64 = 10;

/// The start of the slot holding `t`.
pub fn slot_of(t: SimTime) -> SimTime {
    SimTime::from_millis(t.as_millis() - t.as_millis() % SLOT_MS)
}

/// One connection's report times: `phase + floor(k * 1000 / hz)` ms for k = 0, 1, 2, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    phase_ms: u64,
    hz: u64,
}

impl Schedule {
    /// A schedule at `hz` (at least 1) whose phase is `unit` (in `[0, 1)`) of the period, rounded down to a slot.
    pub fn new(hz: u32, unit: f64) -> Self {
        let hz = u64::from(hz.max(1));
        let period = 1000 / hz;
        let phase = (unit.clamp(0.0, 1.0) * period as f64) as u64;
        Schedule {
            phase_ms: (phase - phase % SLOT_MS).min(period.saturating_sub(1)),
            hz,
        }
    }

    /// The phase (ms).
    pub fn phase_ms(&self) -> u64 {
        self.phase_ms
    }

    fn due(&self, k: u64) -> u64 {
        self.phase_ms + k * 1000 / self.hz
    }

    /// The first report time strictly after `t`.
    pub fn next_after(&self, t: SimTime) -> SimTime {
        let t = t.as_millis();
        let mut k = t.saturating_sub(self.phase_ms) * self.hz / 1000;
        while self.due(k) <= t {
            k += 1;
        }
        SimTime::from_millis(self.due(k))
    }
}

/// The last serialized report, keyed by sample slot and state version.
#[derive(Debug, Default)]
pub struct SlotCache {
    last: Mutex<Option<(SimTime, u64, SharedText)>>,
}

impl SlotCache {
    /// The bytes cached for `slot` at `version`, if those are the last ones stored.
    pub fn get(&self, slot: SimTime, version: u64) -> Option<SharedText> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some((s, v, bytes)) if *s == slot && *v == version => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Stores the report for `slot` at `version` and returns its shared bytes.
    pub fn put(&self, slot: SimTime, version: u64, text: String) -> SharedText {
        let bytes = SharedText::from(text);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some((slot, version, bytes.clone()));
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn slots_round_down() {
        assert_eq!(slot_of(ms(0)), ms(0));
        assert_eq!(slot_of(ms(1239)), ms(1230));
    }

    #[test]
    fn schedules_are_staggered_and_periodic() {
        let s = Schedule::new(10, 0.37);
        assert_eq!(s.phase_ms(), 30);
        assert_eq!(s.next_after(ms(0)), ms(30));
        assert_eq!(s.next_after(ms(30)), ms(130));
        assert_eq!(s.next_after(ms(5_000)), ms(5_030));
        assert_eq!(Schedule::new(10, 0.999).phase_ms(), 90);
        let three = Schedule::new(3, 0.0);
        let times: Vec<u64> = (0..4)
            .scan(ms(0), |t, _| {
                *t = three.next_after(*t);
                Some(t.as_millis())
            })
            .collect();
        assert_eq!(times, vec![333, 666, 1000, 1333]);
        assert_eq!(Schedule::new(0, 0.5).next_after(ms(0)), ms(500));
    }

    #[test]
    fn the_cache_hits_only_for_the_same_slot_and_version() {
        let cache = SlotCache::default();
        assert_eq!(cache.get(ms(10), 1), None);
        let bytes = cache.put(ms(10), 1, "report".into());
        assert_eq!(cache.get(ms(10), 1), Some(bytes));
        assert_eq!(cache.get(ms(20), 1), None);
        assert_eq!(cache.get(ms(10), 2), None);
    }
}

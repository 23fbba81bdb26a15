//! The controller's report sockets (30000-30003): each connection gets its port's binary report at the port's
//! rate in sim time, sampled at multiples of the period so every connection and the Studio report agree; a
//! connection woken late catches up with the reports it missed, in one write.

use std::sync::Arc;

use bytes::Bytes;

use crate::clock::SimTime;
use crate::devices::xarm::shared::Shared;
use crate::serve::raw::{Flow, RawService, RawSession};
use understudy_core::proto::xarm_tcp::ReportKind;

/// Serves one report port.
pub struct ReportService {
    /// The arm.
    pub shared: Arc<Shared>,
    /// Which report.
    pub kind: ReportKind,
}

impl RawService for ReportService {
    fn open_session(&self, _label: Arc<str>) -> Box<dyn RawSession> {
        Box::new(ReportSession {
            shared: self.shared.clone(),
            kind: self.kind,
            next: SimTime::ZERO,
        })
    }
}

struct ReportSession {
    shared: Arc<Shared>,
    kind: ReportKind,
    next: SimTime,
}

/// Reports a connection woken late still gets, each sampled at its own due time: a session woken up to this
/// long after a report was due sends every report it missed (one write); further behind (a clock jump) only the latest.
pub const CATCH_UP_MS: u64 = 200;

fn period_ms(kind: ReportKind) -> u64 {
    u64::from(1000 / kind.hz()).max(1)
}

/// The first multiple of `1000 / hz` ms strictly after `t` (250 Hz: every 4 ms).
fn next_due(kind: ReportKind, t: SimTime) -> SimTime {
    let period = period_ms(kind);
    SimTime::from_millis((t.as_millis() / period + 1) * period)
}

/// The sample times due from `first` (a due time) up to `now`: all of them when the first is at most
/// [`CATCH_UP_MS`] old, else only the latest.
fn due_times(kind: ReportKind, first: SimTime, now: SimTime) -> impl Iterator<Item = SimTime> {
    let period = period_ms(kind);
    let last = next_due(kind, now).as_millis() - period;
    let from = if now.saturating_since(first) <= CATCH_UP_MS {
        first.as_millis()
    } else {
        last
    };
    (from..=last).step_by(period as usize).map(SimTime::from_millis)
}

impl RawSession for ReportSession {
    fn on_open(&mut self, now: SimTime, out: &mut Vec<Bytes>) {
        out.push(self.shared.binary_report(self.kind, now));
        self.next = next_due(self.kind, now);
    }

    /// The report sockets take no requests: whatever a client sends is read and ignored, as the controller does.
    fn on_bytes(&mut self, _now: SimTime, _data: &[u8], _out: &mut Vec<Bytes>) -> Flow {
        Flow::Continue
    }

    fn next_deadline(&self) -> Option<SimTime> {
        Some(self.next)
    }

    fn on_deadline(&mut self, now: SimTime, out: &mut Vec<Bytes>) {
        if now < self.next {
            return;
        }
        let due: Vec<SimTime> = due_times(self.kind, self.next, now).collect();
        match due.as_slice() {
            [one] => out.push(self.shared.binary_report(self.kind, *one)),
            // Late: the missed reports go out together, one buffer for one write.
            many => {
                let mut batch = Vec::with_capacity(many.len() * self.kind.size());
                for t in many {
                    batch.extend_from_slice(&self.shared.binary_report(self.kind, *t));
                }
                out.push(Bytes::from(batch));
            }
        }
        self.next = next_due(self.kind, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_fall_on_multiples_of_the_period() {
        let ms = SimTime::from_millis;
        assert_eq!(next_due(ReportKind::RealTime, ms(0)), ms(4));
        assert_eq!(next_due(ReportKind::RealTime, ms(5)), ms(8));
        assert_eq!(next_due(ReportKind::Rich, ms(199)), ms(200));
        assert_eq!(next_due(ReportKind::Real, ms(200)), ms(210));
    }

    #[test]
    fn a_late_wake_sends_what_it_missed_and_a_jump_only_the_latest() {
        let ms = SimTime::from_millis;
        let times = |first, now| -> Vec<u64> {
            due_times(ReportKind::RealTime, ms(first), ms(now))
                .map(|t| t.as_millis())
                .collect()
        };
        assert_eq!(times(8, 8), vec![8]);
        assert_eq!(times(8, 19), vec![8, 12, 16]);
        assert_eq!(times(8, 8 + CATCH_UP_MS + 1), vec![208]);
        assert_eq!(times(8, 60_001), vec![60_000]);
    }
}

//! The controller's report sockets (30000-30003): each connection gets its port's binary report at the port's
//! rate in sim time, sampled at multiples of the period so every connection and the Studio report agree.

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

/// The first multiple of `1000 / hz` ms strictly after `t` (250 Hz: every 4 ms).
fn next_due(kind: ReportKind, t: SimTime) -> SimTime {
    let period = u64::from(1000 / kind.hz()).max(1);
    SimTime::from_millis((t.as_millis() / period + 1) * period)
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
        // After a clock jump only the latest report is sent: a report stream has no backlog to replay.
        let due = SimTime::from_millis(next_due(self.kind, now).as_millis() - u64::from(1000 / self.kind.hz()).max(1));
        out.push(self.shared.binary_report(self.kind, due));
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
}

//! Network faults on the plain HTTP exchanges that share a device's port (`endrpi/http`, `xarm/http`,
//! `esp3d/http`): a refusal, a hang or a reset stops an exchange before the device sees it; a stall, a delay
//! or the bandwidth holds the device's answer until its sim time. Frame faults have no HTTP meaning.

use std::sync::Arc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::shaper::connection_rng;
use super::{Active, ConnKey, Fault, Faults, Scope};
use crate::clock::SimTime;

/// The label suffix of a port's plain HTTP exchanges (`endrpi/http`).
pub const HTTP_SUFFIX: &str = "/http";

/// The body of an answer a `refuse` fault gives instead of the device's (or, on a call the simulator makes, the
/// server's).
pub const REFUSED_BODY: &str = "refused by a fault";

/// Whether `fault` means something for an HTTP exchange.
pub fn applies_to_http(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::Delay { .. }
            | Fault::Stall { .. }
            | Fault::Bandwidth { .. }
            | Fault::Reset
            | Fault::Refuse { .. }
            | Fault::Hang
    )
}

/// Whether `scope` names a port's HTTP exchanges (only such a scope reaches them: a device, an endpoint or `*`
/// keeps meaning its WebSocket and TCP connections).
pub fn is_http_scope(scope: &Scope) -> bool {
    matches!(scope, Scope::Conn(label) if label.ends_with(HTTP_SUFFIX))
}

/// What stops an exchange before the device sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Answered with this status (and the text `refused by a fault`).
    Refuse(u16),
    /// Never answered: held until the client leaves, shutdown, or the hang limit.
    Hang,
    /// The connection is reset (TCP RST), with no answer.
    Reset,
}

/// The faults of one HTTP connection's exchanges, with the connection's own seeded stream for jitter.
pub struct ExchangeFaults {
    faults: Arc<Faults>,
    key: ConnKey,
    rng: Option<ChaCha8Rng>,
}

impl ExchangeFaults {
    /// The faults of the HTTP connection `key` (its label ends in `/http`).
    pub fn new(faults: Arc<Faults>, key: ConnKey) -> Self {
        ExchangeFaults { faults, key, rng: None }
    }

    /// The faults whose scope names this connection's exchanges.
    fn matching(&self) -> Vec<Arc<Active>> {
        if self.faults.generation() == 0 {
            return Vec::new();
        }
        self.faults
            .matching(&self.key)
            .into_iter()
            .filter(|a| matches!(&a.spec.scope, Scope::Conn(label) if **label == *self.key.label))
            .collect()
    }

    /// The refusal, hang or reset that claims the exchange arriving now, recorded as it acts.
    pub fn stop(&self) -> Option<Stop> {
        let (active, stop) = self.matching().into_iter().find_map(|a| {
            let stop = match a.spec.fault {
                Fault::Refuse { status } => Stop::Refuse(status),
                Fault::Hang => Stop::Hang,
                Fault::Reset => Stop::Reset,
                _ => return None,
            };
            a.claim().then_some((a, stop))
        })?;
        self.faults.sweep();
        let what = match stop {
            Stop::Refuse(status) => format!("request answered {status}"),
            Stop::Hang => "request left unanswered".to_string(),
            Stop::Reset => "connection reset before the answer".to_string(),
        };
        self.faults.record(&self.key.label, &active, &what);
        Some(stop)
    }

    /// When the device's answer of `body_len` bytes, made at `now`, may go: after a stall that claims it, the
    /// delays, and its body's time at a limited bandwidth; recorded as the faults act. `now` if none reaches it.
    pub fn answer_at(&mut self, now: SimTime, body_len: usize) -> SimTime {
        let mut at = now;
        let mut acted = Vec::new();
        let mut claimed = false;
        for active in self.matching() {
            let limited = active.spec.times.is_some() && !active.spec.fault.is_one_shot();
            match active.spec.fault {
                Fault::Stall { ms } if active.claim() => {
                    claimed = true;
                    at = at.max(now.plus_millis(ms));
                    acted.push(active);
                }
                Fault::Delay { ms, jitter_ms } if !limited || active.claim() => {
                    claimed |= limited;
                    let delay = if jitter_ms == 0 {
                        ms
                    } else {
                        let (seed, key) = (self.faults.seed(), &self.key);
                        let rng = self
                            .rng
                            .get_or_insert_with(|| connection_rng(seed, key.device, &key.label));
                        (ms + rng.random_range(0..=2 * jitter_ms)).saturating_sub(jitter_ms)
                    };
                    at = at.max(now.plus_millis(delay));
                    acted.push(active);
                }
                Fault::Bandwidth { bytes_per_s } if !limited || active.claim() => {
                    claimed |= limited;
                    at = at.plus_millis((body_len as u64 * 1000).div_ceil(bytes_per_s));
                    acted.push(active);
                }
                _ => {}
            }
        }
        if claimed {
            self.faults.sweep();
        }
        for active in &acted {
            let what = format!("answer held until {} ms", at.as_millis());
            self.faults.record(&self.key.label, active, &what);
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ClockMode};
    use crate::transcript::Transcript;

    fn exchange(specs: &[&str]) -> (ExchangeFaults, Arc<Faults>) {
        let faults = Arc::new(Faults::new(
            3,
            Arc::new(Clock::new(ClockMode::Virtual)),
            Arc::new(Transcript::disabled()),
        ));
        faults.add_names([("endrpi".to_string(), "endrpi")]);
        for spec in specs {
            faults.add_text(spec).unwrap();
        }
        let key = ConnKey {
            device: "endrpi",
            label: "endrpi/http".into(),
        };
        (ExchangeFaults::new(faults.clone(), key), faults)
    }

    #[test]
    fn only_a_scope_naming_the_exchanges_reaches_them() {
        let (mut plain, _) = exchange(&["delay:200ms@endrpi", "refuse:503", "stall:1s@endrpi/1"]);
        assert_eq!(plain.stop(), None);
        assert_eq!(plain.answer_at(SimTime::from_millis(10), 100), SimTime::from_millis(10));
    }

    #[test]
    fn stops_act_once_each_in_the_order_they_were_added() {
        let (faults, all) = exchange(&["refuse:503@endrpi/http#2", "hang@endrpi/http", "reset@endrpi/http"]);
        assert_eq!(faults.stop(), Some(Stop::Refuse(503)));
        assert_eq!(faults.stop(), Some(Stop::Refuse(503)));
        assert_eq!(faults.stop(), Some(Stop::Hang));
        assert_eq!(faults.stop(), Some(Stop::Reset));
        assert_eq!(faults.stop(), None);
        assert!(all.list().is_empty());
    }

    #[test]
    fn a_stall_a_delay_and_the_bandwidth_hold_the_answer() {
        let (mut faults, all) = exchange(&["stall:500ms@endrpi/http", "delay:200ms@endrpi/http"]);
        let now = SimTime::from_millis(1000);
        assert_eq!(
            faults.answer_at(now, 10),
            SimTime::from_millis(1500),
            "the stall is the longer"
        );
        assert_eq!(
            faults.answer_at(now, 10),
            SimTime::from_millis(1200),
            "the stall acted once"
        );
        assert_eq!(all.list().len(), 1);
        let (mut paced, _) = exchange(&["bandwidth:100@endrpi/http#1"]);
        assert_eq!(
            paced.answer_at(now, 150),
            SimTime::from_millis(2500),
            "150 bytes at 100 bytes/s"
        );
        assert_eq!(paced.answer_at(now, 150), now, "#1: the next exchange only");
    }

    #[test]
    fn jitter_is_the_same_for_the_same_seed() {
        let draws = || {
            let (mut faults, _) = exchange(&["delay:100ms~50ms@endrpi/http"]);
            (0..8)
                .map(|_| faults.answer_at(SimTime::ZERO, 0).as_millis())
                .collect::<Vec<_>>()
        };
        let first = draws();
        assert!(first.iter().all(|ms| (50..=150).contains(ms)), "{first:?}");
        assert!(first.iter().any(|ms| *ms != first[0]), "{first:?}");
        assert_eq!(first, draws());
    }
}

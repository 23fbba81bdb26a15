//! When the agent posts a status on its own: 50 s after the last post when idle, 10 s while
//! "boosted" (for 15 s after any event or received passthru / remote_status).

use crate::time::SimTime;

/// Idle gap between posts.
pub const IDLE_MS: u64 = 50_000;
/// Gap while boosted.
pub const BOOSTED_MS: u64 = 10_000;
/// How long a boost lasts (20 ticks of 0.75 s).
pub const BOOST_MS: u64 = 15_000;

/// The status timer.
#[derive(Clone, Debug, Default)]
pub struct Cadence {
    last_post: Option<SimTime>,
    boost_until: SimTime,
}

impl Cadence {
    /// Records that a status went out at `now` (every posted frame resets the timer).
    pub fn posted(&mut self, now: SimTime) {
        self.last_post = Some(now);
    }

    /// Boosts the cadence from `now` on.
    pub fn boost(&mut self, now: SimTime) {
        self.boost_until = self.boost_until.max(now.plus_millis(BOOST_MS));
    }

    /// When the next timed status is due (at once if none was ever posted).
    pub fn due(&self) -> SimTime {
        let Some(last) = self.last_post else {
            return SimTime::ZERO;
        };
        let boosted = last.plus_millis(BOOSTED_MS);
        // The 1 s loop sees "boosted" at the tick that would post; a boost still on then means 10 s.
        if boosted <= self.boost_until {
            boosted
        } else {
            last.plus_millis(IDLE_MS)
        }
    }

    /// Whether a timed status is due at `now`.
    pub fn is_due(&self, now: SimTime) -> bool {
        now >= self.due()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_is_50_s_and_boosted_is_10_s() {
        let mut c = Cadence::default();
        assert!(c.is_due(SimTime::ZERO));
        c.posted(SimTime::from_millis(1_000));
        assert_eq!(c.due(), SimTime::from_millis(51_000));
        c.boost(SimTime::from_millis(2_000));
        assert_eq!(c.due(), SimTime::from_millis(11_000));
        c.posted(SimTime::from_millis(11_000));
        assert_eq!(c.due(), SimTime::from_millis(61_000), "the boost ended at 17 s");
    }
}

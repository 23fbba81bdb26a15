//! Simulation time: `SimTime` (milliseconds since the simulation started) and the shared `Clock`.
//! In `realtime` mode sim time follows the wall clock (scaled by a speed factor); in `virtual` mode it
//! moves only when a test or the control API advances it.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::time::Instant;

pub use understudy_core::time::{Epoch, SimTime};

/// How sim time relates to the wall clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockMode {
    /// Sim time follows the wall clock, multiplied by `speed`.
    Realtime { speed: f64 },
    /// Sim time moves only when advanced explicitly.
    Virtual,
}

/// Why the clock refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("the clock is in realtime mode; only a virtual clock can be advanced")]
    NotVirtual,
    #[error("advancing by {ms} ms from {now_ms} ms would pass the end of sim time ({max} ms); the clock did not move", max = u64::MAX)]
    Overflow { now_ms: u64, ms: u64 },
}

/// The simulation's one clock, shared by every device and connection.
#[derive(Debug)]
pub struct Clock {
    mode: ClockMode,
    /// The epoch asked for, if one was (`None`: the mode's default, taken again at a restart).
    given_epoch: Option<Epoch>,
    origin: RwLock<Origin>,
    virtual_now: AtomicU64,
    ticks: watch::Sender<u64>,
}

/// When sim time zero was, on the wall clock and in Unix time.
#[derive(Clone, Copy, Debug)]
struct Origin {
    started: Instant,
    /// The Unix instant sim time zero stands for.
    epoch: Epoch,
}

impl Origin {
    /// Sim time zero now, standing for `given` or the default epoch of `mode`.
    fn now(mode: ClockMode, given: Option<Epoch>) -> Origin {
        let epoch = given.unwrap_or_else(|| match mode {
            ClockMode::Virtual => Epoch::VIRTUAL_DEFAULT,
            ClockMode::Realtime { .. } => Epoch::from_unix_ms(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
            ),
        });
        Origin {
            started: Instant::now(),
            epoch,
        }
    }
}

impl Clock {
    /// A clock that starts now at `SimTime::ZERO`, with the default epoch of its mode.
    pub fn new(mode: ClockMode) -> Self {
        Clock::with_epoch(mode, None)
    }

    /// A clock that starts now at `SimTime::ZERO` standing for `epoch`; without one, a virtual clock starts
    /// at [`Epoch::VIRTUAL_DEFAULT`] and a realtime one at the wall clock's current time.
    pub fn with_epoch(mode: ClockMode, epoch: Option<Epoch>) -> Self {
        let (ticks, _) = watch::channel(0);
        Clock {
            mode,
            given_epoch: epoch,
            origin: RwLock::new(Origin::now(mode, epoch)),
            virtual_now: AtomicU64::new(0),
            ticks,
        }
    }

    /// Starts the clock again at `SimTime::ZERO`, as a fresh clock of the same mode and epoch would (a
    /// realtime clock without a given epoch takes the wall clock again). Whoever sleeps on it should be gone.
    pub fn restart(&self) {
        let origin = Origin::now(self.mode, self.given_epoch);
        match self.origin.write() {
            Ok(mut current) => *current = origin,
            Err(poisoned) => *poisoned.into_inner() = origin,
        }
        self.virtual_now.store(0, Ordering::Release);
        self.ticks.send_replace(0);
    }

    fn origin(&self) -> Origin {
        match self.origin.read() {
            Ok(origin) => *origin,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Unix time in the simulation, in ms: the epoch plus sim time elapsed. Devices use it where a
    /// protocol carries calendar time (token expiry, timestamps).
    pub fn unix_ms(&self) -> u64 {
        self.epoch().unix_ms(self.now())
    }

    /// The Unix instant sim time zero stands for.
    pub fn epoch(&self) -> Epoch {
        self.origin().epoch
    }

    /// The mode this clock runs in.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current sim time.
    pub fn now(&self) -> SimTime {
        match self.mode {
            ClockMode::Realtime { speed } => {
                let wall_ms = self.origin().started.elapsed().as_secs_f64() * 1000.0;
                SimTime::from_millis((wall_ms * speed) as u64)
            }
            ClockMode::Virtual => SimTime::from_millis(self.virtual_now.load(Ordering::Acquire)),
        }
    }

    /// Moves a virtual clock forward by `ms`, waking everything that sleeps until a time now reached.
    /// A step past `u64::MAX` ms is refused and leaves the clock where it was.
    pub fn advance(&self, ms: u64) -> Result<SimTime, ClockError> {
        if self.mode != ClockMode::Virtual {
            return Err(ClockError::NotVirtual);
        }
        let advanced = self
            .virtual_now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| now.checked_add(ms));
        let now = match advanced {
            Ok(before) => before + ms,
            Err(now_ms) => return Err(ClockError::Overflow { now_ms, ms }),
        };
        self.ticks.send_replace(now);
        Ok(SimTime::from_millis(now))
    }

    /// Waits until sim time reaches `t` (at once if it already has).
    pub async fn sleep_until(&self, t: SimTime) {
        match self.mode {
            ClockMode::Realtime { speed } => {
                let wall = Duration::try_from_secs_f64(t.as_secs_f64() / speed).unwrap_or(Duration::MAX);
                match self.origin().started.checked_add(wall) {
                    Some(at) => tokio::time::sleep_until(at).await,
                    // Further away than the wall clock can count: it never comes.
                    None => std::future::pending().await,
                }
            }
            ClockMode::Virtual => {
                let mut ticks = self.ticks.subscribe();
                // `wait_for` checks the current value first, so a time already reached returns at once.
                let _ = ticks.wait_for(|&now| now >= t.as_millis()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_clock_moves_only_when_advanced() {
        let clock = Clock::new(ClockMode::Virtual);
        assert_eq!(clock.now(), SimTime::ZERO);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(clock.now(), SimTime::ZERO);
        assert_eq!(clock.advance(250), Ok(SimTime::from_millis(250)));
        assert_eq!(clock.now().as_millis(), 250);
    }

    #[tokio::test]
    async fn virtual_sleepers_wake_when_their_time_is_reached() {
        let clock = std::sync::Arc::new(Clock::new(ClockMode::Virtual));
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(SimTime::from_millis(100)).await })
        };
        clock.advance(99).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!sleeper.is_finished());
        clock.advance(1).unwrap();
        tokio::time::timeout(Duration::from_secs(2), sleeper)
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn unix_time_is_the_epoch_plus_sim_time() {
        let clock = Clock::new(ClockMode::Virtual);
        assert_eq!(clock.epoch(), Epoch::VIRTUAL_DEFAULT);
        clock.advance(1_500).unwrap();
        assert_eq!(clock.unix_ms(), 1_704_067_201_500);
        let given = Epoch::parse_rfc3339("2030-06-01T00:00:00Z").unwrap();
        let clock = Clock::with_epoch(ClockMode::Virtual, Some(given));
        assert_eq!(clock.unix_ms(), given.unix_ms(SimTime::ZERO));
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let realtime = Clock::new(ClockMode::Realtime { speed: 1.0 });
        assert!(realtime.unix_ms().abs_diff(wall) < 5_000);
    }

    #[test]
    fn advancing_past_the_end_of_time_is_refused_and_time_stays_put() {
        let clock = Clock::new(ClockMode::Virtual);
        clock.advance(1_000).unwrap();
        assert_eq!(
            clock.advance(u64::MAX),
            Err(ClockError::Overflow {
                now_ms: 1_000,
                ms: u64::MAX
            })
        );
        assert_eq!(clock.now().as_millis(), 1_000);
        assert_eq!(clock.advance(u64::MAX - 1_000), Ok(SimTime::from_millis(u64::MAX)));
        assert!(clock.advance(1).is_err());
        assert_eq!(clock.unix_ms(), u64::MAX, "Unix time saturates too");
    }

    #[tokio::test]
    async fn a_restarted_clock_is_a_fresh_one() {
        let clock = Clock::new(ClockMode::Virtual);
        clock.advance(5_000).unwrap();
        clock.restart();
        assert_eq!(
            (clock.now(), clock.unix_ms()),
            (SimTime::ZERO, Epoch::VIRTUAL_DEFAULT.unix_ms(SimTime::ZERO))
        );
        let mut ticks = clock.ticks.subscribe();
        assert_eq!(*ticks.borrow_and_update(), 0, "sleepers see time zero again");

        let realtime = Clock::new(ClockMode::Realtime { speed: 100.0 });
        tokio::time::sleep(Duration::from_millis(30)).await;
        let before = realtime.epoch();
        assert!(realtime.now().as_millis() >= 3_000);
        realtime.restart();
        assert!(realtime.now().as_millis() < 3_000, "now = {:?}", realtime.now());
        assert!(realtime.epoch().unix_ms(SimTime::ZERO) >= before.unix_ms(SimTime::ZERO) + 30);
        let given = Epoch::parse_rfc3339("2030-06-01T00:00:00Z").unwrap();
        let fixed = Clock::with_epoch(ClockMode::Realtime { speed: 1.0 }, Some(given));
        fixed.restart();
        assert_eq!(fixed.epoch(), given, "a given epoch stays");
    }

    #[test]
    fn realtime_clock_cannot_be_advanced() {
        let clock = Clock::new(ClockMode::Realtime { speed: 1.0 });
        assert_eq!(clock.advance(1), Err(ClockError::NotVirtual));
    }

    #[tokio::test]
    async fn a_deadline_beyond_the_wall_clock_never_comes_and_does_not_panic() {
        let clock = Clock::new(ClockMode::Realtime { speed: 1e-300 });
        let far = clock.sleep_until(SimTime::from_millis(u64::MAX));
        assert!(tokio::time::timeout(Duration::from_millis(20), far).await.is_err());
    }

    #[tokio::test]
    async fn realtime_clock_scales_with_speed() {
        let clock = Clock::new(ClockMode::Realtime { speed: 10.0 });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(clock.now().as_millis() >= 200, "now = {:?}", clock.now());
    }
}

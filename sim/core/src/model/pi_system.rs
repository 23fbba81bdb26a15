//! A Raspberry Pi 4's system readings (SoC temperature, throttle flags, uptime, clocks, memory) as pure
//! functions of the seed, sim time and injected faults: each noisy quantity is its own seeded random walk,
//! restarted from a seeded state every simulated hour so that a reading after a clock jump costs at most an hour
//! of steps.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::seed::stream_rng;
use crate::time::SimTime;

/// The BCM2711 thermal sensor reports `410040 - 487 * code` milli-degrees Celsius.
const THERMAL_OFFSET_MILLI_C: i64 = 410_040;
const THERMAL_SLOPE_MILLI_C: i64 = 487;
/// The sensor code of an idle board at about 48.7 °C.
const IDLE_THERMAL_CODE: i64 = 742;
/// `MemTotal` of a 4 GB Pi 4 on 64-bit Raspberry Pi OS, in kB.
pub const MEM_TOTAL_KB: u64 = 3_884_328;
/// `vcgencmd measure_clock arm` at the 600 MHz idle floor and at the 1.5 GHz maximum (measured clocks are never round).
const ARM_IDLE_HZ: [u64; 2] = [600_117_184, 600_169_920];
const ARM_BUSY_HZ: [u64; 2] = [1_500_398_464, 1_500_345_728];
/// `vcgencmd measure_clock core` with core_freq 500.
const CORE_HZ: u64 = 500_000_992;
/// The firmware's soft temperature limit on a Pi 4.
const SOFT_LIMIT_MILLI_C: i64 = 80_000;

/// The `vcgencmd get_throttled` bit layout.
pub mod throttle_bits {
    pub const UNDER_VOLTAGE: u32 = 1 << 0;
    pub const ARM_FREQUENCY_CAPPED: u32 = 1 << 1;
    pub const THROTTLED: u32 = 1 << 2;
    pub const SOFT_TEMPERATURE_LIMIT: u32 = 1 << 3;
    /// The "has occurred" flags sit 16 bits above the live ones.
    pub const OCCURRED_SHIFT: u32 = 16;
    /// Every bit the firmware defines.
    pub const ALL: u32 = 0x000F_000F;
}

/// Every walk restarts from a fresh seeded state at each multiple of this many simulated seconds.
pub const WALK_WINDOW_S: u64 = 3600;

/// Where a walk's streams come from: the master seed and the device name.
#[derive(Clone, Debug)]
struct Origin {
    seed: u64,
    device: String,
}

impl Origin {
    /// The RNG of `stream` for walk window `window` (window 0 keeps the stream's plain name).
    fn rng(&self, stream: &str, window: u64) -> ChaCha8Rng {
        match window {
            0 => stream_rng(self.seed, &self.device, stream),
            w => stream_rng(self.seed, &self.device, &format!("{stream}/{w}")),
        }
    }
}

/// A quantity that takes one random step per simulated second, advanced lazily to the time it is read,
/// so a reading depends only on the seed and the sim time, never on how often it was read before. Each
/// window of [`WALK_WINDOW_S`] starts from `start(origin, window)`, so no read walks more than one window.
#[derive(Debug)]
struct SecondWalk<S> {
    origin: Origin,
    window: u64,
    rng: ChaCha8Rng,
    seconds_done: u64,
    state: S,
    start: fn(&Origin, u64) -> (ChaCha8Rng, S),
    step: fn(&mut S, &mut ChaCha8Rng),
}

impl<S> SecondWalk<S> {
    fn new(origin: &Origin, start: fn(&Origin, u64) -> (ChaCha8Rng, S), step: fn(&mut S, &mut ChaCha8Rng)) -> Self {
        let (rng, state) = start(origin, 0);
        SecondWalk {
            origin: origin.clone(),
            window: 0,
            rng,
            seconds_done: 0,
            state,
            start,
            step,
        }
    }

    fn at(&mut self, now: SimTime) -> &S {
        let target = now.as_millis() / 1000;
        let window = target / WALK_WINDOW_S;
        if window > self.window {
            (self.rng, self.state) = (self.start)(&self.origin, window);
            self.window = window;
            self.seconds_done = window * WALK_WINDOW_S;
        }
        while self.seconds_done < target {
            (self.step)(&mut self.state, &mut self.rng);
            self.seconds_done += 1;
        }
        &self.state
    }
}

/// The thermal walk's start: at boot the board sits at its seeded home code; later windows start a few codes off it.
fn start_thermal(origin: &Origin, window: u64) -> (ChaCha8Rng, Thermal) {
    let mut boot = origin.rng("temperature", 0);
    let home = IDLE_THERMAL_CODE + boot.random_range(-8..=8);
    if window == 0 {
        return (boot, Thermal { code: home, home });
    }
    let mut rng = origin.rng("temperature", window);
    let code = home + rng.random_range(-8..=8);
    (rng, Thermal { code, home })
}

/// The memory walk's start: programs and page cache as a freshly booted (or settled) board uses them.
fn start_memory(origin: &Origin, window: u64) -> (ChaCha8Rng, MemoryUse) {
    let mut rng = origin.rng("memory", window);
    let used_kb = 380_000 + rng.random_range(0..60_000);
    let cache_kb = 150_000 + rng.random_range(0..60_000);
    (rng, MemoryUse { used_kb, cache_kb })
}

/// The ARM clock's start: the idle floor (each second's clock is drawn afresh anyway).
fn start_arm_clock(origin: &Origin, window: u64) -> (ChaCha8Rng, u64) {
    (origin.rng("arm-clock", window), ARM_IDLE_HZ[0])
}

#[derive(Debug)]
struct Thermal {
    code: i64,
    home: i64,
}

#[derive(Debug)]
struct MemoryUse {
    /// kB in use by programs (not reclaimable).
    used_kb: u64,
    /// kB of reclaimable page cache (counted in available, not in free).
    cache_kb: u64,
}

/// The memory figures of `/proc/meminfo`, in kB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryReading {
    pub total_kb: u64,
    pub free_kb: u64,
    pub available_kb: u64,
}

/// The two clocks `vcgencmd measure_clock` reports, in Hz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrequencyReading {
    pub arm_hz: u64,
    pub core_hz: u64,
}

/// The system side of a simulated Raspberry Pi 4.
#[derive(Debug)]
pub struct PiSystem {
    thermal: SecondWalk<Thermal>,
    memory: SecondWalk<MemoryUse>,
    arm_clock: SecondWalk<u64>,
    /// Live throttle bits (0..3) forced by a fault injection.
    live_throttle: u32,
    /// Sticky "has occurred" bits (16..19).
    occurred_throttle: u32,
    /// A forced SoC temperature in milli-degrees, overriding the walk.
    forced_milli_c: Option<i64>,
}

impl PiSystem {
    /// A freshly booted Pi whose noise derives from `master_seed`.
    pub fn new(master_seed: u64, device: &str) -> Self {
        let origin = Origin {
            seed: master_seed,
            device: device.to_string(),
        };
        PiSystem {
            thermal: SecondWalk::new(&origin, start_thermal, step_thermal),
            memory: SecondWalk::new(&origin, start_memory, step_memory),
            arm_clock: SecondWalk::new(&origin, start_arm_clock, step_arm_clock),
            live_throttle: 0,
            occurred_throttle: 0,
            forced_milli_c: None,
        }
    }

    /// `/sys/class/thermal/thermal_zone0/temp`: the SoC temperature in milli-degrees Celsius.
    pub fn temperature_milli_c(&mut self, now: SimTime) -> i64 {
        match self.forced_milli_c {
            Some(forced) => forced,
            None => {
                let code = self.thermal.at(now).code;
                THERMAL_OFFSET_MILLI_C - THERMAL_SLOPE_MILLI_C * code
            }
        }
    }

    /// `vcgencmd get_throttled`: the live bits, the sticky "has occurred" bits, and the soft temperature limit
    /// when the SoC is at or above 80 °C.
    pub fn throttled(&mut self, now: SimTime) -> u32 {
        let mut live = self.live_throttle;
        if self.temperature_milli_c(now) >= SOFT_LIMIT_MILLI_C {
            live |= throttle_bits::SOFT_TEMPERATURE_LIMIT;
        }
        self.occurred_throttle |= live << throttle_bits::OCCURRED_SHIFT;
        live | self.occurred_throttle
    }

    /// `/proc/uptime`: seconds since boot with the kernel's two decimals (the Pi boots when the simulation starts).
    pub fn uptime_centis(&self, now: SimTime) -> u64 {
        now.as_millis() / 10
    }

    /// `vcgencmd measure_clock arm|core`. The ondemand governor idles at 600 MHz with short bursts to 1.5 GHz;
    /// a capped or throttled board stays at the floor.
    pub fn frequency(&mut self, now: SimTime) -> FrequencyReading {
        let arm = *self.arm_clock.at(now);
        let capped = self.throttled(now) & (throttle_bits::ARM_FREQUENCY_CAPPED | throttle_bits::THROTTLED) != 0;
        let arm_hz = if capped && arm > ARM_IDLE_HZ[1] {
            ARM_IDLE_HZ[0]
        } else {
            arm
        };
        FrequencyReading {
            arm_hz,
            core_hz: CORE_HZ,
        }
    }

    /// `/proc/meminfo`: total, free and available, with free <= available <= total.
    pub fn memory(&mut self, now: SimTime) -> MemoryReading {
        let usage = self.memory.at(now);
        let available_kb = MEM_TOTAL_KB - usage.used_kb;
        MemoryReading {
            total_kb: MEM_TOTAL_KB,
            free_kb: available_kb - usage.cache_kb,
            available_kb,
        }
    }

    /// Forces the live throttle bits (0..3 of `bits`; bits 16..19 are recorded as having occurred).
    pub fn inject_throttle(&mut self, bits: u32) {
        self.live_throttle = bits & 0xF;
        self.occurred_throttle |= bits & (0xF << throttle_bits::OCCURRED_SHIFT);
    }

    /// Forces the SoC temperature (`None` returns to the simulated walk).
    pub fn force_temperature(&mut self, milli_c: Option<i64>) {
        self.forced_milli_c = milli_c;
    }
}

/// One second of the SoC temperature: a lazy random walk in sensor codes that drifts back towards home.
fn step_thermal(thermal: &mut Thermal, rng: &mut ChaCha8Rng) {
    let pull = (thermal.home - thermal.code).signum();
    let roll: u32 = rng.random_range(0..100);
    let step = match roll {
        0..20 => -1,
        20..40 => 1,
        40..55 => pull,
        _ => 0,
    };
    thermal.code = (thermal.code + step).clamp(thermal.home - 25, thermal.home + 25);
}

/// One second of memory use: programs and cache each wander by up to ±2 MB, within bounds.
fn step_memory(memory: &mut MemoryUse, rng: &mut ChaCha8Rng) {
    let used = memory.used_kb as i64 + rng.random_range(-2_000..=2_000);
    let cache = memory.cache_kb as i64 + rng.random_range(-2_000..=2_000);
    memory.used_kb = used.clamp(300_000, 900_000) as u64;
    memory.cache_kb = cache.clamp(60_000, 400_000) as u64;
}

/// One second of the ARM clock: mostly at the idle floor, busy for about one second in ten.
fn step_arm_clock(arm_hz: &mut u64, rng: &mut ChaCha8Rng) {
    let busy = rng.random_bool(0.1);
    let jitter = usize::from(rng.random_bool(0.5));
    *arm_hz = if busy { ARM_BUSY_HZ[jitter] } else { ARM_IDLE_HZ[jitter] };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn readings_depend_on_sim_time_not_on_read_history() {
        let mut often = PiSystem::new(3, "endrpi");
        let mut once = PiSystem::new(3, "endrpi");
        for second in 0..600 {
            often.temperature_milli_c(at(second * 1000));
            often.memory(at(second * 1000));
        }
        assert_eq!(
            often.temperature_milli_c(at(600_000)),
            once.temperature_milli_c(at(600_000))
        );
        assert_eq!(often.memory(at(600_000)), once.memory(at(600_000)));
        assert_eq!(often.frequency(at(600_000)), once.frequency(at(600_000)));
    }

    #[test]
    fn a_read_after_a_month_walks_one_window_and_ignores_history() {
        let month_s = 30 * 86_400;
        let mut hourly = PiSystem::new(5, "endrpi");
        for hour in 0..=month_s / WALK_WINDOW_S {
            hourly.temperature_milli_c(at(hour * WALK_WINDOW_S * 1000 + 500));
        }
        let mut once = PiSystem::new(5, "endrpi");
        let t = at(month_s * 1000 + 1_234);
        assert_eq!(once.temperature_milli_c(t), hourly.temperature_milli_c(t));
        assert_eq!(once.memory(t), hourly.memory(t));
        assert_eq!(once.frequency(t), hourly.frequency(t));
        let walked = once.thermal.seconds_done - once.thermal.window * WALK_WINDOW_S;
        assert!(walked < WALK_WINDOW_S, "walked {walked} s");
        assert_eq!(once.thermal.window, month_s / WALK_WINDOW_S);
    }

    #[test]
    fn another_seed_gives_other_noise() {
        let series = |seed| {
            let mut pi = PiSystem::new(seed, "endrpi");
            (0..60)
                .map(|s| pi.temperature_milli_c(at(s * 1000)))
                .collect::<Vec<_>>()
        };
        assert_eq!(series(1), series(1));
        assert_ne!(series(1), series(2));
    }

    #[test]
    fn temperature_is_on_the_sensor_grid_and_plausible() {
        let mut pi = PiSystem::new(0, "endrpi");
        for second in 0..3_600 {
            let milli = pi.temperature_milli_c(at(second * 1000));
            assert_eq!((THERMAL_OFFSET_MILLI_C - milli) % THERMAL_SLOPE_MILLI_C, 0);
            assert!((30_000..70_000).contains(&milli), "{milli}");
        }
    }

    #[test]
    fn memory_keeps_free_below_available_below_total() {
        let mut pi = PiSystem::new(9, "endrpi");
        for second in (0..86_400).step_by(97) {
            let m = pi.memory(at(second * 1000));
            assert!(m.free_kb <= m.available_kb && m.available_kb <= m.total_kb, "{m:?}");
        }
    }

    #[test]
    fn throttle_is_clear_until_injected_and_occurred_bits_stick() {
        let mut pi = PiSystem::new(0, "endrpi");
        assert_eq!(pi.throttled(at(1000)), 0);
        pi.inject_throttle(throttle_bits::UNDER_VOLTAGE);
        assert_eq!(pi.throttled(at(2000)), 0x0001_0001);
        pi.inject_throttle(0);
        assert_eq!(pi.throttled(at(3000)), 0x0001_0000);
    }

    #[test]
    fn a_hot_soc_raises_the_soft_limit_flag() {
        let mut pi = PiSystem::new(0, "endrpi");
        pi.force_temperature(Some(81_000));
        assert_eq!(pi.throttled(at(0)), 0x0008_0008);
        pi.force_temperature(None);
        assert_eq!(pi.throttled(at(0)), 0x0008_0000);
    }

    #[test]
    fn a_capped_arm_clock_stays_at_the_floor() {
        let mut pi = PiSystem::new(0, "endrpi");
        pi.inject_throttle(throttle_bits::ARM_FREQUENCY_CAPPED);
        for second in 0..300 {
            assert!(pi.frequency(at(second * 1000)).arm_hz < 700_000_000);
        }
        let mut free = PiSystem::new(0, "endrpi");
        assert!((0..300).any(|s| free.frequency(at(s * 1000)).arm_hz > 1_000_000_000));
    }
}

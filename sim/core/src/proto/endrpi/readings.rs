//! Endrpi's data models (`Measurement`, `Temperature`, `Throttle`, `UpTime`, `Frequency`, `Memory`,
//! `PinConfiguration`, `Platform`) built from the board, with the real server's key order and failure texts.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::model::gpio::{PinId, PinIo, PinReading, Pull};
use crate::model::pi_system::throttle_bits as bits;
use crate::model::raspberry_pi::{RaspberryPi, SystemRead};
use crate::proto::pytime::{round_half_even_centis, timedelta_text};
use crate::time::SimTime;

/// A quantity with an optional SI prefix and a unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measurement {
    pub quantity: f64,
    pub prefix: Option<&'static str>,
    #[serde(rename = "unitOfMeasurement")]
    pub unit: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Temperature {
    #[serde(rename = "systemOnChip")]
    pub system_on_chip: Measurement,
}

/// The eight throttle flags, in the model's field order (not bit order).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttle {
    pub throttling: bool,
    pub throttling_has_occurred: bool,
    pub under_voltage_detected: bool,
    pub under_voltage_has_occurred: bool,
    pub arm_frequency_capped: bool,
    pub arm_frequency_capping_has_occurred: bool,
    pub soft_temperature_limit_active: bool,
    pub soft_temperature_limit_has_occurred: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpTime {
    pub seconds: f64,
    pub formatted: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Frequency {
    pub arm: Measurement,
    pub core: Measurement,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Memory {
    pub total: Measurement,
    pub free: Measurement,
    pub available: Measurement,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperatingSystem {
    pub name: &'static str,
    pub release: &'static str,
    pub version: &'static str,
}

/// What Python's `platform` module reports on Raspberry Pi OS (64-bit).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    pub machine_type: &'static str,
    pub network_name: &'static str,
    pub operating_system: OperatingSystem,
}

/// One pin's configuration as Endrpi reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PinConfiguration {
    pub io: &'static str,
    pub state: f64,
    pub pull: &'static str,
}

/// Pins and their configurations, serialized as a JSON object in this order.
#[derive(Clone, Debug, PartialEq)]
pub struct PinMap(pub Vec<(PinId, PinConfiguration)>);

impl Serialize for PinMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (pin, config) in &self.0 {
            map.serialize_entry(pin.name(), config)?;
        }
        map.end()
    }
}

/// `GET /system`: every reading, in this key order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct System {
    pub platform: Platform,
    pub temperature: Temperature,
    pub throttle: Throttle,
    pub uptime: UpTime,
    pub frequency: Frequency,
    pub memory: Memory,
}

/// The real server's text when a read fails (as it does on a host without the Pi's firmware tools).
pub fn failure_message(read: SystemRead) -> &'static str {
    match read {
        SystemRead::Platform => "Failed to validate system platform",
        SystemRead::Temperature => "Failed to query system on chip temperature",
        SystemRead::Throttle => "Failed to query system throttle status",
        SystemRead::Uptime => "Failed to query system uptime",
        SystemRead::Frequency => "Failed to query system ARM frequency",
        SystemRead::Memory => "Failed to query system memory",
    }
}

type ReadResult<T> = Result<T, Cow<'static, str>>;

fn check(pi: &RaspberryPi, read: SystemRead) -> ReadResult<()> {
    if pi.failing_reads.contains(&read) {
        Err(Cow::Borrowed(failure_message(read)))
    } else {
        Ok(())
    }
}

pub fn platform(pi: &RaspberryPi) -> ReadResult<Platform> {
    check(pi, SystemRead::Platform)?;
    Ok(Platform {
        machine_type: "aarch64",
        network_name: "raspberrypi",
        operating_system: OperatingSystem {
            name: "Linux",
            release: "6.1.21-v8+",
            version: "#1642 SMP PREEMPT Mon Apr  3 17:24:16 BST 2023",
        },
    })
}

pub fn temperature(pi: &mut RaspberryPi, now: SimTime) -> ReadResult<Temperature> {
    check(pi, SystemRead::Temperature)?;
    let milli = pi.system.temperature_milli_c(now);
    Ok(Temperature {
        system_on_chip: Measurement {
            quantity: milli as f64 / 1000.0,
            prefix: None,
            unit: "CELSIUS",
        },
    })
}

pub fn throttle(pi: &mut RaspberryPi, now: SimTime) -> ReadResult<Throttle> {
    check(pi, SystemRead::Throttle)?;
    let flags = pi.system.throttled(now);
    let live = |bit: u32| flags & bit != 0;
    let occurred = |bit: u32| flags & (bit << bits::OCCURRED_SHIFT) != 0;
    Ok(Throttle {
        throttling: live(bits::THROTTLED),
        throttling_has_occurred: occurred(bits::THROTTLED),
        under_voltage_detected: live(bits::UNDER_VOLTAGE),
        under_voltage_has_occurred: occurred(bits::UNDER_VOLTAGE),
        arm_frequency_capped: live(bits::ARM_FREQUENCY_CAPPED),
        arm_frequency_capping_has_occurred: occurred(bits::ARM_FREQUENCY_CAPPED),
        soft_temperature_limit_active: live(bits::SOFT_TEMPERATURE_LIMIT),
        soft_temperature_limit_has_occurred: occurred(bits::SOFT_TEMPERATURE_LIMIT),
    })
}

pub fn uptime(pi: &RaspberryPi, now: SimTime) -> ReadResult<UpTime> {
    check(pi, SystemRead::Uptime)?;
    let centis = pi.system.uptime_centis(now);
    Ok(UpTime {
        seconds: centis as f64 / 100.0,
        formatted: timedelta_text(round_half_even_centis(centis)),
    })
}

pub fn frequency(pi: &mut RaspberryPi, now: SimTime) -> ReadResult<Frequency> {
    check(pi, SystemRead::Frequency)?;
    let reading = pi.system.frequency(now);
    let hertz = |hz: u64| Measurement {
        quantity: hz as f64,
        prefix: None,
        unit: "HERTZ",
    };
    Ok(Frequency {
        arm: hertz(reading.arm_hz),
        core: hertz(reading.core_hz),
    })
}

pub fn memory(pi: &mut RaspberryPi, now: SimTime) -> ReadResult<Memory> {
    check(pi, SystemRead::Memory)?;
    let reading = pi.system.memory(now);
    let kilobytes = |kb: u64| Measurement {
        quantity: kb as f64,
        prefix: Some("KILO"),
        unit: "BYTE",
    };
    Ok(Memory {
        total: kilobytes(reading.total_kb),
        free: kilobytes(reading.free_kb),
        available: kilobytes(reading.available_kb),
    })
}

/// Every reading, failing with the first failing one's message, in the real server's order.
pub fn system(pi: &mut RaspberryPi, now: SimTime) -> ReadResult<System> {
    Ok(System {
        platform: platform(pi)?,
        temperature: temperature(pi, now)?,
        throttle: throttle(pi, now)?,
        uptime: uptime(pi, now)?,
        frequency: frequency(pi, now)?,
        memory: memory(pi, now)?,
    })
}

/// One pin's configuration.
pub fn pin(pi: &RaspberryPi, pin: PinId) -> PinConfiguration {
    describe_pin(pi.gpio.read(pin))
}

/// The requested pins in request order, a repeated pin kept once at its first place (as a Python dict does).
pub fn pins(pi: &RaspberryPi, requested: &[PinId]) -> PinMap {
    let mut out: Vec<(PinId, PinConfiguration)> = Vec::with_capacity(requested.len());
    for &id in requested {
        if !out.iter().any(|(seen, _)| *seen == id) {
            out.push((id, pin(pi, id)));
        }
    }
    PinMap(out)
}

fn describe_pin(reading: PinReading) -> PinConfiguration {
    PinConfiguration {
        io: match reading.io {
            PinIo::Input => "INPUT",
            PinIo::Output => "OUTPUT",
        },
        state: if reading.high { 1.0 } else { 0.0 },
        pull: match reading.pull {
            Pull::Floating => "FLOATING",
            Pull::Up => "UP",
            Pull::Down => "DOWN",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_has_two_decimals_like_proc_uptime() {
        let pi = RaspberryPi::new(0, "endrpi");
        let reading = uptime(&pi, SimTime::from_millis(1_240_947)).unwrap();
        assert_eq!(
            reading,
            UpTime {
                seconds: 1240.94,
                formatted: "0:20:41".into()
            }
        );
    }

    #[test]
    fn failing_reads_give_the_real_messages_and_system_reports_the_first() {
        let mut pi = RaspberryPi::new(0, "endrpi");
        pi.failing_reads.insert(SystemRead::Memory);
        pi.failing_reads.insert(SystemRead::Throttle);
        assert_eq!(
            system(&mut pi, SimTime::ZERO).unwrap_err(),
            "Failed to query system throttle status"
        );
        assert_eq!(
            memory(&mut pi, SimTime::ZERO).unwrap_err(),
            "Failed to query system memory"
        );
    }
}

//! The whole simulated Raspberry Pi behind Endrpi: its GPIO bank, its system readings, and the reads a
//! fault injection makes fail. One per device, shared by every connection and the REST API.

use std::collections::BTreeSet;

use crate::model::gpio::GpioBank;
use crate::model::pi_system::PiSystem;

/// A system read that can be made to fail, as it does on a host without Pi firmware tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemRead {
    Platform,
    Temperature,
    Throttle,
    Uptime,
    Frequency,
    Memory,
}

impl SystemRead {
    /// Every read, in the order `GET /system` performs them.
    pub const ALL: [SystemRead; 6] = [
        SystemRead::Platform,
        SystemRead::Temperature,
        SystemRead::Throttle,
        SystemRead::Uptime,
        SystemRead::Frequency,
        SystemRead::Memory,
    ];

    /// The lower-case name used by control commands and REST paths.
    pub fn name(self) -> &'static str {
        match self {
            SystemRead::Platform => "platform",
            SystemRead::Temperature => "temperature",
            SystemRead::Throttle => "throttle",
            SystemRead::Uptime => "uptime",
            SystemRead::Frequency => "frequency",
            SystemRead::Memory => "memory",
        }
    }

    /// The read with this name.
    pub fn parse(name: &str) -> Option<SystemRead> {
        SystemRead::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The simulated board.
#[derive(Debug)]
pub struct RaspberryPi {
    pub gpio: GpioBank,
    pub system: PiSystem,
    /// Reads forced to fail (by default none: a real Pi answers them all).
    pub failing_reads: BTreeSet<SystemRead>,
}

impl RaspberryPi {
    /// A freshly booted board whose noise derives from `master_seed`.
    pub fn new(master_seed: u64, device: &str) -> Self {
        RaspberryPi {
            gpio: GpioBank::default(),
            system: PiSystem::new(master_seed, device),
            failing_reads: BTreeSet::new(),
        }
    }
}

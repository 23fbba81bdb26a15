//! The Raspberry Pi's 25 user GPIO pins, behaving as gpiozero's pins do: function, pull and a boolean level,
//! with GPIO2/GPIO3 wired to physical pull-ups. Pin state belongs to the device, not to a connection.

use std::fmt;

/// The pin ids Endrpi accepts, BCM names, in the order of its `RaspberryPiPinIds` enum.
pub const PIN_NAMES: [&str; 25] = [
    "GPIO2", "GPIO3", "GPIO4", "GPIO14", "GPIO15", "GPIO17", "GPIO18", "GPIO27", "GPIO22", "GPIO23", "GPIO24",
    "GPIO10", "GPIO9", "GPIO25", "GPIO11", "GPIO7", "GPIO5", "GPIO6", "GPIO12", "GPIO13", "GPIO19", "GPIO16", "GPIO26",
    "GPIO20", "GPIO21",
];

/// One of the 25 pins, by its place in `PIN_NAMES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PinId(u8);

impl PinId {
    /// The pin with this exact (case-sensitive) BCM name.
    pub fn parse(name: &str) -> Option<PinId> {
        PIN_NAMES.iter().position(|n| *n == name).map(|i| PinId(i as u8))
    }

    /// Its BCM name, e.g. `GPIO17`.
    pub fn name(self) -> &'static str {
        PIN_NAMES[usize::from(self.0)]
    }

    /// Every pin, in enum order.
    pub fn all() -> impl Iterator<Item = PinId> {
        (0..PIN_NAMES.len() as u8).map(PinId)
    }

    /// Whether the board has a physical pull-up resistor on this pin (the I2C pins GPIO2 and GPIO3).
    pub fn has_physical_pull_up(self) -> bool {
        matches!(self.name(), "GPIO2" | "GPIO3")
    }
}

impl fmt::Display for PinId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a pin reads or drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinIo {
    Input,
    Output,
}

/// The pull resistor setting of a pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    Floating,
    Up,
    Down,
}

/// What a read of one pin reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinReading {
    pub io: PinIo,
    /// The level: gpiozero's non-PWM pins hold a boolean.
    pub high: bool,
    /// The last pull set while the pin was an input (an output keeps reporting it).
    pub pull: Pull,
}

/// A change to one pin, already validated for shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PinChange {
    /// Make it an input with this pull.
    Input(Pull),
    /// Make it an output driving this value (0..=1; any non-zero value drives high).
    Output(f64),
}

/// Why a pin change failed part-way (the function switch before it stays applied, as on a real Pi).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("{0} has a physical pull-up resistor")]
    FixedPullUp(PinId),
    #[error("output state of {0} must be between 0 and 1")]
    StateOutOfRange(PinId),
}

/// The device's pins.
#[derive(Clone, Debug)]
pub struct GpioBank {
    pins: [PinReading; 25],
}

impl Default for GpioBank {
    fn default() -> Self {
        let mut pins = [PinReading {
            io: PinIo::Input,
            high: false,
            pull: Pull::Floating,
        }; 25];
        for id in PinId::all().filter(|p| p.has_physical_pull_up()) {
            pins[usize::from(id.0)] = PinReading {
                io: PinIo::Input,
                high: true,
                pull: Pull::Up,
            };
        }
        GpioBank { pins }
    }
}

impl GpioBank {
    /// The current configuration and level of `pin`.
    pub fn read(&self, pin: PinId) -> PinReading {
        self.pins[usize::from(pin.0)]
    }

    /// Applies a change the way gpiozero does: the function first, then the pull or the level.
    pub fn apply(&mut self, pin: PinId, change: PinChange) -> Result<(), PinError> {
        let slot = &mut self.pins[usize::from(pin.0)];
        match change {
            PinChange::Input(pull) => {
                // Switching to input re-drives the pin from its stored pull before the new pull is set.
                slot.io = PinIo::Input;
                drive_from_pull(slot);
                if pull != Pull::Up && pin.has_physical_pull_up() {
                    return Err(PinError::FixedPullUp(pin));
                }
                slot.pull = pull;
                drive_from_pull(slot);
            }
            PinChange::Output(value) => {
                slot.io = PinIo::Output;
                if !(0.0..=1.0).contains(&value) {
                    return Err(PinError::StateOutOfRange(pin));
                }
                slot.high = value != 0.0;
            }
        }
        Ok(())
    }
}

fn drive_from_pull(pin: &mut PinReading) {
    match pin.pull {
        Pull::Up => pin.high = true,
        Pull::Down => pin.high = false,
        Pull::Floating => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(name: &str) -> PinId {
        PinId::parse(name).unwrap()
    }

    #[test]
    fn there_are_25_pins_and_no_gpio0_1_or_8() {
        assert_eq!(PinId::all().count(), 25);
        for missing in ["GPIO0", "GPIO1", "GPIO8", "gpio17", "GPIO99", ""] {
            assert_eq!(PinId::parse(missing), None, "{missing}");
        }
    }

    #[test]
    fn pins_start_as_inputs_with_i2c_pull_ups() {
        let bank = GpioBank::default();
        assert_eq!(
            bank.read(pin("GPIO2")),
            PinReading {
                io: PinIo::Input,
                high: true,
                pull: Pull::Up
            }
        );
        assert_eq!(
            bank.read(pin("GPIO3")),
            PinReading {
                io: PinIo::Input,
                high: true,
                pull: Pull::Up
            }
        );
        assert_eq!(
            bank.read(pin("GPIO17")),
            PinReading {
                io: PinIo::Input,
                high: false,
                pull: Pull::Floating
            }
        );
    }

    #[test]
    fn output_levels_are_coerced_to_booleans() {
        let mut bank = GpioBank::default();
        bank.apply(pin("GPIO17"), PinChange::Output(0.5)).unwrap();
        assert!(bank.read(pin("GPIO17")).high);
        bank.apply(pin("GPIO17"), PinChange::Output(0.0)).unwrap();
        assert!(!bank.read(pin("GPIO17")).high);
    }

    #[test]
    fn an_output_keeps_reporting_its_last_input_pull() {
        let mut bank = GpioBank::default();
        bank.apply(pin("GPIO17"), PinChange::Input(Pull::Down)).unwrap();
        bank.apply(pin("GPIO17"), PinChange::Output(1.0)).unwrap();
        assert_eq!(
            bank.read(pin("GPIO17")),
            PinReading {
                io: PinIo::Output,
                high: true,
                pull: Pull::Down
            }
        );
    }

    #[test]
    fn back_to_floating_input_re_drives_from_the_stored_pull_first() {
        let mut bank = GpioBank::default();
        // Stored pull DOWN: the switch to input drives low before FLOATING leaves the level alone.
        bank.apply(pin("GPIO17"), PinChange::Input(Pull::Down)).unwrap();
        bank.apply(pin("GPIO17"), PinChange::Output(1.0)).unwrap();
        bank.apply(pin("GPIO17"), PinChange::Input(Pull::Floating)).unwrap();
        assert_eq!(
            bank.read(pin("GPIO17")),
            PinReading {
                io: PinIo::Input,
                high: false,
                pull: Pull::Floating
            }
        );
        // Stored pull FLOATING: the driven level stays.
        bank.apply(pin("GPIO4"), PinChange::Output(1.0)).unwrap();
        bank.apply(pin("GPIO4"), PinChange::Input(Pull::Floating)).unwrap();
        assert!(bank.read(pin("GPIO4")).high);
    }

    #[test]
    fn i2c_pins_refuse_any_pull_but_up_after_switching_to_input() {
        let mut bank = GpioBank::default();
        bank.apply(pin("GPIO3"), PinChange::Output(0.0)).unwrap();
        assert_eq!(
            bank.apply(pin("GPIO3"), PinChange::Input(Pull::Down)),
            Err(PinError::FixedPullUp(pin("GPIO3")))
        );
        assert_eq!(
            bank.read(pin("GPIO3")),
            PinReading {
                io: PinIo::Input,
                high: true,
                pull: Pull::Up
            }
        );
        assert_eq!(
            PinError::FixedPullUp(pin("GPIO3")).to_string(),
            "GPIO3 has a physical pull-up resistor"
        );
    }

    #[test]
    fn an_out_of_range_level_switches_the_function_but_keeps_the_level() {
        let mut bank = GpioBank::default();
        assert_eq!(
            bank.apply(pin("GPIO23"), PinChange::Output(-1.0)),
            Err(PinError::StateOutOfRange(pin("GPIO23")))
        );
        assert_eq!(
            bank.read(pin("GPIO23")),
            PinReading {
                io: PinIo::Output,
                high: false,
                pull: Pull::Floating
            }
        );
        assert!(bank.apply(pin("GPIO23"), PinChange::Output(f64::NAN)).is_err());
        assert!(bank.apply(pin("GPIO23"), PinChange::Output(2.0)).is_err());
    }
}

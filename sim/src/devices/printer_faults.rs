//! The printer faults a control command can inject, shared by every device with a Marlin printer behind it
//! (ESP3D, Obico): `thermal_runaway`, `mintemp`, `maxtemp` with `{"heater": "hotend"|"bed"}`, `emergency_stop`.

use serde_json::Value;

use crate::serve::device::{ControlError, DeviceFault};
use understudy_core::model::printer::{Fault, HeaterId};

/// The control commands [`fault`] knows.
pub const FAULT_COMMANDS: &str = "thermal_runaway, mintemp, maxtemp, emergency_stop";

/// The printer faults as the fault listing shows them.
pub const PRINTER_FAULTS: &[DeviceFault] = &[
    DeviceFault {
        command: "thermal_runaway",
        args: r#"{"heater": "hotend"|"bed"}"#,
        effect: "the heater's thermal protection trips: Marlin halts the printer",
    },
    DeviceFault {
        command: "mintemp",
        args: r#"{"heater": "hotend"|"bed"}"#,
        effect: "the thermistor reads below its minimum: Marlin halts the printer",
    },
    DeviceFault {
        command: "maxtemp",
        args: r#"{"heater": "hotend"|"bed"}"#,
        effect: "the thermistor reads above its maximum: Marlin halts the printer",
    },
    DeviceFault {
        command: "emergency_stop",
        args: "{}",
        effect: "M112: the printer halts until it is reset",
    },
];

/// The fault `command` names, `None` for a command that is not a fault.
pub fn fault(command: &str, args: &Value) -> Result<Option<Fault>, ControlError> {
    Ok(Some(match command {
        "thermal_runaway" => Fault::ThermalRunaway(heater(args)?),
        "mintemp" => Fault::MinTemp(heater(args)?),
        "maxtemp" => Fault::MaxTemp(heater(args)?),
        "emergency_stop" => Fault::EmergencyStop,
        _ => return Ok(None),
    }))
}

/// The heater a fault names: `{"heater": "hotend"|"bed"}` (the hotend when absent).
fn heater(args: &Value) -> Result<HeaterId, ControlError> {
    match args.get("heater").and_then(Value::as_str) {
        None | Some("hotend") => Ok(HeaterId::Hotend),
        Some("bed") => Ok(HeaterId::Bed),
        Some(other) => Err(ControlError::BadArguments(format!(
            "unknown heater `{other}` (use hotend or bed)"
        ))),
    }
}

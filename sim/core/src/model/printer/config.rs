//! The printer's configuration: build volume, SD card, heaters and motion limits, with the defaults of
//! Marlin 2.1.2.x's `Configuration.h` / `Configuration_adv.h` for a 220 x 220 x 250 mm Cartesian printer.

/// One heater's first-order thermal model and its firmware limits.
#[derive(Clone, Debug, PartialEq)]
pub struct HeaterConfig {
    /// Degrees above ambient the heater settles at with full power (the model's steady-state gain).
    pub gain_c: f64,
    /// The first-order time constant, in seconds.
    pub time_constant_s: f64,
    /// The highest target the firmware accepts (`*_MAXTEMP` minus the overshoot margin).
    pub max_target_c: f64,
    /// Half the peak-to-peak sensor noise, in degrees.
    pub noise_c: f64,
    /// PID control (the `@:` power follows the duty) or bang-bang (`B@:` is 0 or 127).
    pub pid: bool,
}

/// Everything that shapes a simulated printer.
#[derive(Clone, Debug, PartialEq)]
pub struct PrinterConfig {
    /// X, Y, Z travel in mm (soft endstops at 0 and these).
    pub build_volume: [f64; 3],
    /// SD card capacity in bytes.
    pub sd_capacity: u64,
    /// Longest file or directory name on the card.
    pub sd_max_name_len: usize,
    /// Room temperature, in degrees Celsius.
    pub ambient_c: f64,
    /// The hotend (`T`): about a minute from ambient to 200 C.
    pub hotend: HeaterConfig,
    /// The bed (`B`): about three minutes from ambient to 60 C.
    pub bed: HeaterConfig,
    /// `DEFAULT_AXIS_STEPS_PER_UNIT` for X, Y, Z, E.
    pub steps_per_mm: [f64; 4],
    /// `DEFAULT_MAX_FEEDRATE` for X, Y, Z, E, in mm/s.
    pub max_feedrate: [f64; 4],
    /// `DEFAULT_MAX_ACCELERATION` for X, Y, Z, E, in mm/s^2.
    pub max_acceleration: [f64; 4],
    /// `DEFAULT_ACCELERATION` (printing moves), mm/s^2.
    pub acceleration: f64,
    /// `DEFAULT_TRAVEL_ACCELERATION` (moves without extrusion), mm/s^2.
    pub travel_acceleration: f64,
    /// `DEFAULT_RETRACT_ACCELERATION` (E-only moves), mm/s^2.
    pub retract_acceleration: f64,
    /// The speed a move may start and end at (`DEFAULT_XJERK`), mm/s.
    pub jerk: f64,
    /// `HOMING_FEEDRATE_MM_M` for X, Y, Z, in mm/s.
    pub homing_feedrate: [f64; 3],
    /// `HOMING_BUMP_MM` for X, Y, Z.
    pub homing_bump: [f64; 3],
    /// `HOMING_BUMP_DIVISOR` for X, Y, Z.
    pub homing_bump_divisor: [f64; 3],
    /// Where the head rests at power-up, before any homing (it is reported as 0, 0, 0 until G28).
    pub rest_position: [f64; 3],
    /// `EXTRUDE_MINTEMP`: E moves below this hotend temperature are refused.
    pub extrude_min_temp: f64,
    /// `EXTRUDE_MAXLENGTH`: one move may not extrude more than this.
    pub extrude_max_length: f64,
    /// `MACHINE_NAME` in M115.
    pub machine_name: String,
}

impl Default for PrinterConfig {
    fn default() -> Self {
        PrinterConfig {
            build_volume: [220.0, 220.0, 250.0],
            sd_capacity: 64 * 1024 * 1024,
            sd_max_name_len: 64,
            ambient_c: 22.0,
            // 22 -> 200 C: 58 s * ln(280 / 102) = 58.6 s. HEATER_0_MAXTEMP 275 - HOTEND_OVERSHOOT 15.
            hotend: HeaterConfig {
                gain_c: 280.0,
                time_constant_s: 58.0,
                max_target_c: 260.0,
                noise_c: 0.25,
                pid: true,
            },
            // 22 -> 60 C: 520 s * ln(130 / 92) = 180 s. BED_MAXTEMP 150 - BED_OVERSHOOT 10.
            bed: HeaterConfig {
                gain_c: 130.0,
                time_constant_s: 520.0,
                max_target_c: 140.0,
                noise_c: 0.15,
                pid: false,
            },
            steps_per_mm: [80.0, 80.0, 400.0, 500.0],
            max_feedrate: [300.0, 300.0, 5.0, 25.0],
            max_acceleration: [3000.0, 3000.0, 100.0, 10000.0],
            acceleration: 3000.0,
            travel_acceleration: 3000.0,
            retract_acceleration: 3000.0,
            jerk: 10.0,
            homing_feedrate: [50.0, 50.0, 4.0],
            homing_bump: [5.0, 5.0, 2.0],
            homing_bump_divisor: [2.0, 2.0, 4.0],
            rest_position: [110.0, 110.0, 10.0],
            extrude_min_temp: 170.0,
            extrude_max_length: 200.0,
            machine_name: "3D Printer".to_string(),
        }
    }
}

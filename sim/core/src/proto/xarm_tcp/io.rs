//! The controller state only the TCP protocol reaches: control-box and tool digital/analog I/O as plain
//! state, the tool RS-485 settings, motion jerks, the feedback task numbers and the switches reported by 30002.

/// The tool RS-485 baud rates the SDK indexes (`UxbusCmd.BAUDRATES`).
pub const BAUDRATES: [u32; 13] = [
    4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1_000_000, 1_500_000, 2_000_000, 2_500_000,
];
/// The tool bus starts at 2,000,000 baud (index 11), the xArm Gripper's rate, so the SDK's baud check passes.
pub const DEFAULT_BAUD_INDEX: u8 = 11;
/// Control-box digital inputs as read with nothing wired: the inputs are active-low, so every bit reads 1.
pub const CGPIO_INPUTS_OPEN: u16 = 0xFFFF;

/// I/O and settings of the controller beyond the arm model.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerIo {
    /// Control-box digital outputs CO0..CO7 and DO0..DO7 (bit n = output n).
    pub cgpio_outputs: u16,
    /// Control-box analog outputs AO0, AO1 (0..4095 = 0..10 V).
    pub cgpio_analog_outputs: [u16; 2],
    /// Input and output function of each control-box channel (`set_cgpio_*_function`; 0xFF none).
    pub cgpio_input_functions: [u8; 16],
    /// Output functions.
    pub cgpio_output_functions: [u8; 16],
    /// Tool digital outputs TO0..TO4 (bit n = output n).
    pub tgpio_outputs: u8,
    /// Tool RS-485 baud index into [`BAUDRATES`].
    pub tool_baud_index: u8,
    /// Tool Modbus timeout (ms).
    pub tool_modbus_timeout_ms: u16,
    /// TCP jerk (mm/s^3) and joint jerk (rad/s^3): stored and reported; the planner is trapezoidal.
    pub tcp_jerk: f64,
    /// Joint jerk (rad/s^3).
    pub joint_jerk: f64,
    /// The last task number given to a move made with finish feedback (the feedback frame's task id).
    pub feedback_task: u16,
    /// 0: joint torques reported, 1: currents (`set_report_tau_or_i`).
    pub report_tau_or_i: u8,
    /// Approximate-solution switch (`set_allow_approx_motion`).
    pub allow_approx_motion: bool,
    /// Cartesian velocity continuity switch.
    pub cartesian_continuous: bool,
    /// Collision rebound switch.
    pub collision_rebound: bool,
    /// Self-collision detection switch.
    pub self_collision_check: bool,
    /// World offset `[x, y, z mm, roll, pitch, yaw rad]` (stored and reported; poses stay in the base frame).
    pub world_offset: [f64; 6],
    /// Gravity direction in the base frame (reported).
    pub gravity_direction: [f64; 3],
    /// The xArm Gripper's position speed (r/min) written over RS-485.
    pub gripper_speed: u16,
    /// The xArm Gripper's control mode register.
    pub gripper_mode: u16,
}

impl Default for ControllerIo {
    fn default() -> Self {
        ControllerIo {
            cgpio_outputs: 0,
            cgpio_analog_outputs: [0, 0],
            cgpio_input_functions: [0xFF; 16],
            cgpio_output_functions: [0xFF; 16],
            tgpio_outputs: 0,
            tool_baud_index: DEFAULT_BAUD_INDEX,
            tool_modbus_timeout_ms: 10,
            tcp_jerk: 1000.0,
            joint_jerk: 20.0,
            feedback_task: 0,
            report_tau_or_i: 0,
            allow_approx_motion: false,
            cartesian_continuous: false,
            collision_rebound: false,
            self_collision_check: true,
            world_offset: [0.0; 6],
            gravity_direction: [0.0, 0.0, -1.0],
            gripper_speed: 1500,
            gripper_mode: 0,
        }
    }
}

impl ControllerIo {
    /// Applies `set_cgpio_digital`'s two words: in each, the high byte selects channels and the low byte
    /// gives their levels (word 0: channels 0..7, word 1: channels 8..15).
    pub fn write_cgpio(&mut self, words: [u16; 2]) {
        for (half, word) in words.into_iter().enumerate() {
            let mask = (word >> 8) as u8;
            let value = (word & 0xFF) as u8;
            for bit in 0..8 {
                if mask & (1 << bit) != 0 {
                    let channel = half * 8 + bit;
                    if value & (1 << bit) != 0 {
                        self.cgpio_outputs |= 1 << channel;
                    } else {
                        self.cgpio_outputs &= !(1 << channel);
                    }
                }
            }
        }
    }

    /// Applies `set_tgpio_digital`'s word (register 0x0A15): select bits 0x0100, 0x0200, 0x1000, 0x0400, 0x0800
    /// for TO0..TO4 with level bits 0x01, 0x02, 0x10, 0x04, 0x08, as the SDK writes them.
    pub fn write_tgpio(&mut self, word: u16) {
        const CHANNELS: [(u16, u16); 5] = [
            (0x0100, 0x01),
            (0x0200, 0x02),
            (0x1000, 0x10),
            (0x0400, 0x04),
            (0x0800, 0x08),
        ];
        for (output, (select, level)) in CHANNELS.into_iter().enumerate() {
            if word & select != 0 {
                if word & level != 0 {
                    self.tgpio_outputs |= 1 << output;
                } else {
                    self.tgpio_outputs &= !(1 << output);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_writes_touch_only_the_selected_channels() {
        let mut io = ControllerIo::default();
        io.write_cgpio([0x0101, 0]);
        io.write_cgpio([0, 0x0202]);
        assert_eq!(io.cgpio_outputs, 0b10_0000_0001);
        io.write_cgpio([0x0100, 0]);
        assert_eq!(io.cgpio_outputs, 0b10_0000_0000);
        io.write_tgpio(0x1010);
        assert_eq!(io.tgpio_outputs, 0b100);
        io.write_tgpio(0x1000);
        assert_eq!(io.tgpio_outputs, 0);
        assert_eq!(BAUDRATES[usize::from(DEFAULT_BAUD_INDEX)], 2_000_000);
    }
}

//! The end-effector side of the tool RS-485 bus: the xArm Gripper (Modbus slave 8) answering the RTU
//! requests the SDK tunnels through register 124, and the tool board's registers reached through 127/128.

use crate::model::xarm::Controller;
use crate::proto::xarm_tcp::io::{BAUDRATES, ControllerIo};
use crate::time::SimTime;

/// The SDK's host id for the tool RS-485 bus (`ROBOT_RS485_HOST_ID`).
pub const TOOL_HOST_ID: u8 = 9;
/// The xArm Gripper's Modbus slave id (`GRIPPER_ID`).
pub const GRIPPER_SLAVE: u8 = 8;
/// Gripper registers (`XCONF.ServoConf`).
const CON_EN: u16 = 0x0100;
const CON_MODE: u16 = 0x0101;
const RESET_ERR: u16 = 0x0109;
const POS_SPD: u16 = 0x0303;
const TARGET_POS: u16 = 0x0700;
const CURR_POS: u16 = 0x0702;
const ERR_CODE: u16 = 0x000F;
const MT_ZERO: u16 = 0x0817;
/// Gripper firmware version registers (major, minor, patch) and the status register at 0x0000.
const VERSION: [u16; 3] = [0x0801, 0x0802, 0x0803];
const STATUS: u16 = 0x0000;
/// The reported gripper firmware version.
const GRIPPER_VERSION: [u16; 3] = [3, 2, 0];

/// Tool-board registers (`XCONF.ServoConf`, read with register 128, written with 127).
const TOOL_BAUD: u16 = 0x0A0B;
const TOOL_BAUD_WRITE: u16 = 0x1A0B;
const TOOL_TIMEOUT: u16 = 0x0A0E;
const TOOL_DIGITAL_IN: u16 = 0x0A14;
const TOOL_DIGITAL_OUT: u16 = 0x0A15;
const TOOL_ANALOG: [u16; 2] = [0x0A16, 0x0A17];
const SOFT_REBOOT: u16 = 0x0607;

/// Modbus exception codes.
const ILLEGAL_FUNCTION: u8 = 0x01;
const ILLEGAL_ADDRESS: u8 = 0x02;
const ILLEGAL_VALUE: u8 = 0x03;
const TARGET_NO_RESPONSE: u8 = 0x0B;

fn exception(slave: u8, function: u8, code: u8) -> Vec<u8> {
    vec![slave, function | 0x80, code]
}

fn gripper_read(controller: &Controller<impl Sized>, io: &ControllerIo, now: SimTime, address: u16) -> Option<u16> {
    let pos = controller.snapshot(now).gripper_pos.round() as i32;
    let moving = u16::from(controller.gripper_is_moving(now));
    Some(match address {
        STATUS => moving,
        CON_EN => u16::from(controller.settings.gripper_enabled),
        CON_MODE => io.gripper_mode,
        POS_SPD => io.gripper_speed,
        ERR_CODE => 0,
        a if a == CURR_POS || a == TARGET_POS => (pos >> 16) as u16,
        a if a == CURR_POS + 1 => (pos & 0xFFFF) as u16,
        a if a == TARGET_POS + 1 => (controller.gripper_target().0.round() as i32 & 0xFFFF) as u16,
        a => {
            let i = VERSION.iter().position(|v| *v == a)?;
            GRIPPER_VERSION[i]
        }
    })
}

/// Answers one Modbus RTU request (slave, function, data; no CRC, as the SDK tunnels it) addressed to the
/// tool bus; the answer is the slave's Modbus response, or an exception.
pub fn rtu<W>(controller: &mut Controller<W>, io: &mut ControllerIo, now: SimTime, pdu: &[u8]) -> Vec<u8> {
    let (Some(&slave), Some(&function)) = (pdu.first(), pdu.get(1)) else {
        return exception(0, 0, ILLEGAL_VALUE);
    };
    if slave != GRIPPER_SLAVE {
        return exception(slave, function, TARGET_NO_RESPONSE);
    }
    let word = |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*pdu.get(i)?, *pdu.get(i + 1)?])) };
    match function {
        0x03 => {
            let (Some(address), Some(count)) = (word(2), word(4)) else {
                return exception(slave, function, ILLEGAL_VALUE);
            };
            if count == 0 || count > 8 {
                return exception(slave, function, ILLEGAL_VALUE);
            }
            let mut out = vec![slave, function, (count * 2) as u8];
            if (address == CURR_POS || address == TARGET_POS) && count == 2 {
                let pos = if address == CURR_POS {
                    controller.snapshot(now).gripper_pos.round() as i32
                } else {
                    controller.gripper_target().0.round() as i32
                };
                out.extend_from_slice(&pos.to_be_bytes());
                return out;
            }
            for a in address..address.saturating_add(count) {
                match gripper_read(controller, io, now, a) {
                    Some(v) => out.extend_from_slice(&v.to_be_bytes()),
                    None => return exception(slave, function, ILLEGAL_ADDRESS),
                }
            }
            out
        }
        0x10 => {
            let (Some(address), Some(count)) = (word(2), word(4)) else {
                return exception(slave, function, ILLEGAL_VALUE);
            };
            let values: Vec<u16> = (0..usize::from(count)).map_while(|i| word(7 + 2 * i)).collect();
            if values.len() != usize::from(count) || count == 0 {
                return exception(slave, function, ILLEGAL_VALUE);
            }
            let ok = match (address, values.as_slice()) {
                (CON_EN, [v]) => {
                    controller.settings.gripper_enabled = *v != 0;
                    true
                }
                (CON_MODE, [v]) => {
                    io.gripper_mode = *v;
                    true
                }
                (POS_SPD, [v]) => {
                    io.gripper_speed = *v;
                    true
                }
                (TARGET_POS, [hi, lo]) => {
                    let pos = f64::from((u32::from(*hi) << 16 | u32::from(*lo)) as i32);
                    let enabled = controller.settings.gripper_enabled;
                    let speed = f64::from(io.gripper_speed.max(1));
                    controller.set_gripper(now, enabled, pos, speed, None) == crate::model::xarm::ApiCode::Ok
                }
                (MT_ZERO | RESET_ERR, [_]) => true,
                _ => false,
            };
            if !ok {
                return exception(slave, function, ILLEGAL_VALUE);
            }
            let mut out = vec![slave, function];
            out.extend_from_slice(&address.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            out
        }
        _ => exception(slave, function, ILLEGAL_FUNCTION),
    }
}

/// Reads a tool-board register (register 128): `None` for an address the board does not have.
pub fn board_read(io: &ControllerIo, address: u16) -> Option<i32> {
    match address {
        TOOL_BAUD => Some(i32::from(io.tool_baud_index)),
        TOOL_TIMEOUT => Some(i32::from(io.tool_modbus_timeout_ms)),
        TOOL_DIGITAL_IN => Some(0),
        TOOL_DIGITAL_OUT => Some(i32::from(io.tgpio_outputs)),
        a if TOOL_ANALOG.contains(&a) => Some(0),
        _ => None,
    }
}

/// Writes a tool-board register (register 127): `false` for an address or value the board refuses.
pub fn board_write(io: &mut ControllerIo, address: u16, value: f32) -> bool {
    if !value.is_finite() || value < 0.0 || value > f32::from(u16::MAX) {
        return false;
    }
    let value = value as u16;
    match address {
        TOOL_BAUD_WRITE if usize::from(value) < BAUDRATES.len() => {
            io.tool_baud_index = value as u8;
            true
        }
        TOOL_TIMEOUT => {
            io.tool_modbus_timeout_ms = value;
            true
        }
        TOOL_DIGITAL_OUT => {
            io.write_tgpio(value);
            true
        }
        SOFT_REBOOT => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arm::ArmModel;

    fn write(address: u16, words: &[u16]) -> Vec<u8> {
        let mut pdu = vec![GRIPPER_SLAVE, 0x10];
        pdu.extend_from_slice(&address.to_be_bytes());
        pdu.extend_from_slice(&(words.len() as u16).to_be_bytes());
        pdu.push((words.len() * 2) as u8);
        for w in words {
            pdu.extend_from_slice(&w.to_be_bytes());
        }
        pdu
    }

    #[test]
    fn the_gripper_moves_to_a_written_target_and_reports_its_position() {
        let mut c: Controller<()> = Controller::new(ArmModel::XArm6);
        let mut io = ControllerIo::default();
        let t = SimTime::from_millis(100);
        assert_eq!(rtu(&mut c, &mut io, t, &write(CON_EN, &[1])), vec![8, 0x10, 1, 0, 0, 1]);
        assert_eq!(rtu(&mut c, &mut io, t, &write(POS_SPD, &[5000]))[1], 0x10);
        assert_eq!(rtu(&mut c, &mut io, t, &write(TARGET_POS, &[0, 300]))[1], 0x10);
        let later = SimTime::from_millis(60_000);
        c.advance(later);
        let read = rtu(&mut c, &mut io, later, &[8, 0x03, 0x07, 0x02, 0, 2]);
        assert_eq!(read, vec![8, 3, 4, 0, 0, 1, 44]);
        assert_eq!(
            rtu(&mut c, &mut io, later, &[8, 0x06, 0, 0]),
            vec![8, 0x86, ILLEGAL_FUNCTION]
        );
        assert_eq!(
            rtu(&mut c, &mut io, later, &[7, 0x03, 0, 0, 0, 1]),
            vec![7, 0x83, TARGET_NO_RESPONSE]
        );
        assert_eq!(rtu(&mut c, &mut io, later, &[8]), vec![0, 0x80, ILLEGAL_VALUE]);
        assert_eq!(rtu(&mut c, &mut io, later, &write(TARGET_POS, &[0, 900]))[1], 0x90);
    }

    #[test]
    fn the_tool_board_keeps_baud_and_outputs() {
        let mut io = ControllerIo::default();
        assert_eq!(board_read(&io, TOOL_BAUD), Some(11));
        assert!(board_write(&mut io, TOOL_BAUD_WRITE, 5.0));
        assert_eq!(board_read(&io, TOOL_BAUD), Some(5));
        assert!(board_write(&mut io, TOOL_DIGITAL_OUT, f32::from(0x0101u16)));
        assert_eq!(board_read(&io, TOOL_DIGITAL_OUT), Some(1));
        assert!(!board_write(&mut io, 0x1234, 1.0));
        assert!(!board_write(&mut io, TOOL_TIMEOUT, f32::NAN));
        assert_eq!(board_read(&io, 0x1234), None);
    }
}

//! The code tables of `websocketapi/xarm_api_code.md`: SDK api codes (the `code` of every response) and
//! the controller error and warning codes reported in `xarm_error` / `xarm_warn`, with their texts.

/// SDK api codes and their descriptions, as published.
pub const API_CODES: &[(i32, &str)] = &[
    (-12, "run blockly app exception"),
    (-11, "convert blockly app to pythen exception"),
    (-9, "emergency stop"),
    (-8, "out of range"),
    (-7, "joint angle limit"),
    (-6, "cartesian pos limit"),
    (-5, "revesed, no use"),
    (-4, "command is not exist"),
    (-3, "revesed, no use"),
    (
        -2,
        "xArm is not ready, may be the motion is not enable or not set state",
    ),
    (-1, "xArm is disconnect or not connect"),
    (0, "success"),
    (1, "there are errors that have not been cleared"),
    (2, "there are warnings that have not been cleared"),
    (3, "get response timeout"),
    (4, "tcp reply length error"),
    (5, "tcp reply number error"),
    (6, "tcp protocol flag error"),
    (7, "tcp reply command and send command do not match"),
    (8, "send command error, may be network exception"),
    (9, "state is not ready to move"),
    (10, "the result is invalid"),
    (11, "other error"),
    (12, "parameter error"),
    (20, "host id error"),
    (21, "modbus baudrate not supported"),
    (22, "modbus baudrate not correct"),
    (23, "modbus reply length error"),
    (31, "trajectory read/write failed"),
    (32, "trajectory read/write timeout"),
    (33, "playback trajectory timeout"),
    (41, "wait to set suction cup timeout"),
    (80, "linear track has error"),
    (81, "linear track sci is low"),
    (82, "linear track is not init"),
    (100, "wait finish timeout"),
    (101, "too many consecutive failed tests"),
    (102, "end effector has error"),
    (103, "end effector is not enabled"),
];

/// Controller error codes (`xarm_error_code`) and their descriptions.
pub const CONTROLLER_ERRORS: &[(i32, &str)] = &[
    (1, "The Emergency Stop Button is pushed"),
    (2, "The Emergency IO of the Control Box is triggered"),
    (3, "The Emergency Stop Button of the Three-state Switch is pressed"),
    (10, "Servo motor error"),
    (11, "Servo motor 1 error"),
    (12, "Servo motor 2 error"),
    (13, "Servo motor 3 error"),
    (14, "Servo motor 4 error"),
    (15, "Servo motor 5 error"),
    (16, "Servo motor 6 error"),
    (17, "Servo motor 7 error"),
    (18, "Force Torque Sensor Communication Error"),
    (19, "End Module Communication Error"),
    (21, "Kinematic Error"),
    (22, "Self-Collision Error"),
    (23, "Joints Angle Exceed Limit"),
    (24, "Speed Exceeds Limit"),
    (25, "Planning Error"),
    (26, "Linux RT Error"),
    (27, "Command Reply Error"),
    (28, "End Module Communication Error"),
    (29, "Other Errors"),
    (30, "Feedback Speed Exceeds limit"),
    (31, "Collision Caused Abnormal Current"),
    (32, "Three-point drawing circle calculation error"),
    (33, "Controller GPIO error"),
    (34, "Recording Timeout"),
    (35, "Safety Boundary Limit"),
    (36, "The number of delay commands exceeds the limit"),
    (37, "Abnormal movement in Manual Mode"),
    (38, "Abnormal Joint Angle"),
    (39, "Abnormal Communication Between Master and Slave IC of Power Board"),
    (40, "No IK available"),
    (50, "Six-axis Force Torque Sensor read error"),
    (51, "Six-axis Force Torque Sensor set mode error"),
    (52, "Six-axis Force Torque Sensor set zero error"),
    (
        53,
        "Six-axis Force Torque Sensor is overloaded or the reading exceeds the limit",
    ),
    (110, "Robot Arm Base Board Communication Error"),
    (111, "Control Box External 485 Device Communication Error"),
];

/// Controller warning codes (`xarm_warn_code`) and their descriptions.
pub const CONTROLLER_WARNINGS: &[(i32, &str)] = &[
    (11, "uxbux que is full"),
    (12, "parameter error"),
    (13, "the instruction does not exist"),
    (14, "command has no solution"),
    (15, "modbus cmd full"),
];

fn lookup(table: &[(i32, &'static str)], code: i32) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, text)| *text)
}

/// The published text of api code `code`, if it has one.
pub fn api_text(code: i32) -> Option<&'static str> {
    lookup(API_CODES, code)
}

/// The published text of controller error `code` (`None` for 0 and unknown codes).
pub fn error_text(code: i32) -> Option<&'static str> {
    lookup(CONTROLLER_ERRORS, code)
}

/// The published text of controller warning `code` (`None` for 0 and unknown codes).
pub fn warn_text(code: i32) -> Option<&'static str> {
    lookup(CONTROLLER_WARNINGS, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_unique_and_cover_the_codes_we_answer_with() {
        for table in [API_CODES, CONTROLLER_ERRORS, CONTROLLER_WARNINGS] {
            let mut codes: Vec<i32> = table.iter().map(|(c, _)| *c).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), table.len());
        }
        for code in [-9, -7, -6, -4, -2, 0, 1, 2, 9, 11, 12, 100] {
            assert!(api_text(code).is_some(), "{code}");
        }
        assert_eq!(error_text(31), Some("Collision Caused Abnormal Current"));
        assert_eq!(error_text(0), None);
        assert_eq!(warn_text(14), Some("command has no solution"));
    }
}

//! The controller error and warning code tables of `websocketapi/xarm_api_code.md` (reported in `xarm_error`
//! / `xarm_warn`), with their texts; the SDK api codes are [`crate::model::xarm::ApiCode`].

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
    fn tables_are_unique() {
        for table in [CONTROLLER_ERRORS, CONTROLLER_WARNINGS] {
            let mut codes: Vec<i32> = table.iter().map(|(c, _)| *c).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), table.len());
        }
        assert_eq!(error_text(31), Some("Collision Caused Abnormal Current"));
        assert_eq!(error_text(0), None);
        assert_eq!(warn_text(14), Some("command has no solution"));
    }
}

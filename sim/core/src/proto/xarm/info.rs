//! Who the simulated arm is: serial numbers (derived from the seed), firmware and Studio versions, and the
//! `devices_info_report` / `GET /api/info` object built from them.

use rand::RngExt;
use serde_json::{Map, Value, json};

use crate::model::arm::ArmModel;
use crate::seed::stream_rng;

/// Controller firmware version reported (the documented commands need 2.5.0 or later).
pub const FIRMWARE: (u32, u32, u32) = (2, 5, 0);
/// Studio (`core_version`) version reported.
pub const STUDIO_VERSION: &str = "2.5.0";
/// Controller address reported as `xarm_port_name`: the simulated controller is local.
pub const PORT_NAME: &str = "127.0.0.1";

/// The arm's fixed identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The model.
    pub model: ArmModel,
    /// Robot serial number, e.g. `XI1303C2407A18`.
    pub sn: String,
    /// Control box serial number, e.g. `AC1303C2407A18`.
    pub control_box_sn: String,
}

/// The SDK's robot type number (`XCONF.Robot.Type`): xArm 5 = 5, xArm 6 = 6, xArm 7 = 7, Lite 6 = 9.
pub fn device_type(model: ArmModel) -> u8 {
    match model {
        ArmModel::XArm5 => 5,
        ArmModel::XArm6 => 6,
        ArmModel::XArm7 => 7,
        ArmModel::Lite6 => 9,
    }
}

impl Identity {
    /// The identity of `model` under master seed `seed`.
    pub fn new(model: ArmModel, seed: u64) -> Self {
        let mut rng = stream_rng(seed, "xarm", "serial");
        let month: u32 = rng.random_range(1..=12);
        let unit: u32 = rng.random_range(1..=99);
        let prefix = match model {
            ArmModel::XArm5 => "XF",
            ArmModel::XArm6 => "XI",
            ArmModel::XArm7 => "XS",
            ArmModel::Lite6 => "LI",
        };
        Identity {
            model,
            sn: format!("{prefix}1303C24{month:02}A{unit:02}"),
            control_box_sn: format!("AC1303C24{month:02}A{unit:02}"),
        }
    }

    /// The controller's version string in the form the SDK parses:
    /// `<axis>,<type>,<robot sn>,<control box sn>,v<major>.<minor>.<patch>`.
    pub fn version_string(&self) -> String {
        let (a, b, c) = FIRMWARE;
        format!(
            "{},{},{},{},v{a}.{b}.{c}",
            self.model.dof(),
            device_type(self.model),
            self.sn,
            self.control_box_sn
        )
    }

    /// The `data` of `devices_info_report` (also `GET /api/info`).
    pub fn info_object(&self) -> Map<String, Value> {
        let (a, b, c) = FIRMWARE;
        let value = json!({
            "xarm_type": self.model.name(),
            "xarm_sn": self.sn,
            "xarm_control_box_sn": self.control_box_sn,
            "xarm_version": self.version_string(),
            "xarm_version_number": [a, b, c],
            "core_version": STUDIO_VERSION,
            "xarm_axis": self.model.dof(),
            "xarm_device_type": device_type(self.model),
            "xarm_port_name": PORT_NAME,
            "xarm_port_serial_number": self.sn,
            "xarm_port_baudrate": 0,
            "server_is_xarm": true,
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_depends_on_the_seed_and_the_model() {
        let a = Identity::new(ArmModel::XArm6, 1);
        assert_eq!(a, Identity::new(ArmModel::XArm6, 1));
        assert!(a.sn.starts_with("XI1303C24") && a.sn.len() == 14, "{}", a.sn);
        assert_eq!(&a.sn[2..], &a.control_box_sn[2..]);
        let others: Vec<String> = (2..6).map(|s| Identity::new(ArmModel::XArm6, s).sn).collect();
        assert!(others.iter().any(|sn| *sn != a.sn));
        assert!(Identity::new(ArmModel::Lite6, 1).sn.starts_with("LI"));
    }

    #[test]
    fn the_version_string_parses_like_the_sdk_expects() {
        let id = Identity::new(ArmModel::Lite6, 0);
        let version = id.version_string();
        let parts: Vec<&str> = version.split(',').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(
            (parts[0], parts[1], parts[2], parts[4]),
            ("6", "9", id.sn.as_str(), "v2.5.0")
        );
        let info = id.info_object();
        assert_eq!(info["xarm_type"], "lite6");
        assert_eq!(info["xarm_device_type"], 9);
        assert_eq!(info["xarm_version_number"], serde_json::json!([2, 5, 0]));
        for key in ["xarm_sn", "xarm_version", "core_version", "xarm_port_name"] {
            assert!(info[key].is_string(), "{key}");
        }
    }
}

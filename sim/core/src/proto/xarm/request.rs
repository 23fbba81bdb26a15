//! Client requests `{"cmd": ..., "data": {...}, "id": ...}`: the envelope, and each documented command's
//! `data` fields (numbers may come as strings, as Studio's front end sends them) mapped to a `Command`.

use serde_json::{Map, Value};

use crate::model::xarm::{ApiCode, Speed, Step};

/// A request the controller can run.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `xarm_move_joint`: degrees per joint (`None` keeps the joint), `F` deg/s, `Q` deg/s^2.
    MoveJoint { joints: Vec<Option<f64>>, speed: Speed },
    /// `xarm_move_arc_line`: `[x, y, z mm, roll, pitch, yaw deg]`, `F` mm/s, `Q` mm/s^2.
    MoveLine {
        pose: [f64; 6],
        relative: bool,
        speed: Speed,
    },
    /// `xarm_move_step`.
    MoveStep {
        step: Step,
        tool: bool,
        long_press: bool,
        acc: Option<f64>,
    },
    /// `xarm_move_step_online`.
    StepOnline,
    /// `xarm_move_step_over`.
    StepOver,
    /// `xarm_set_state`.
    SetState(u8),
    /// `xarm_urgent_stop`.
    UrgentStop,
    /// `xarm_clear_error`.
    ClearError,
    /// `xarm_clear_warn`.
    ClearWarn,
    /// `xarm_clear_error_warn` with the mode to set.
    ClearErrorWarn(u8),
    /// `xarm_set_speed` with the raw percent.
    SetSpeed(f64),
    /// `xarm_switch_mode` (0 or 2).
    SwitchMode(u8),
    /// `switch_mode_lite6`: the mode its `status` selects.
    SwitchModeLite6(u8),
    /// `xarm_set_gripper_position`.
    SetGripper {
        enable: bool,
        pos: f64,
        speed: f64,
        wait: bool,
    },
    /// `xarm_set_simulation_robot`.
    SetSimulationRobot(bool),
    /// `start_motion_callback`.
    MotionCallback(bool),
    /// `xarm_set_lite6_gripper` (`open`, `close` or `stop`).
    Lite6Gripper(String),
    /// `xarm_set_bio_gripper_enable`.
    BioGripper(bool),
    /// `xarm_set_motion_config`: the fields given.
    MotionConfig(MotionConfig),
    /// A documented command the simulator does not model.
    NotSimulated(&'static str),
}

/// `xarm_set_motion_config` fields; absent or zero fields leave a setting as it is, as Studio does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotionConfig {
    /// Line motion acceleration (mm/s^2, 1..=50000).
    pub tcp_acc: Option<f64>,
    /// Joint motion acceleration (deg/s^2, 1..=1146).
    pub joint_acc: Option<f64>,
    /// Position step (mm, 0.1..=100).
    pub position_step: Option<f64>,
    /// Attitude step (deg, 0.1..=100).
    pub attitude_step: Option<f64>,
    /// Joint step (deg, 0.1..=20).
    pub joint_step: Option<f64>,
    /// Collision sensitivity (0..=5).
    pub collision_sensitivity: Option<u8>,
    /// Teach sensitivity (1..=5).
    pub teach_sensitivity: Option<u8>,
    /// Initial point (deg per joint).
    pub initial_point: Option<Vec<f64>>,
}

/// A request whose envelope parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The id to echo.
    pub id: Value,
    /// The command name.
    pub cmd: String,
    /// The `data` object (empty when absent).
    pub data: Map<String, Value>,
}

/// Why a message or its data was refused: the api code and a message for the response's `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The id to echo (`null` when the message had none).
    pub id: Value,
    /// The api code.
    pub code: ApiCode,
    /// What was wrong.
    pub message: String,
}

/// Parses a frame's text into the envelope; the refusal carries code 12 (bad envelope) or -4 (unknown cmd).
pub fn parse_envelope(text: &str) -> Result<Envelope, Refusal> {
    let refuse = |id: Value, message: &str| Refusal {
        id,
        code: ApiCode::ParameterError,
        message: message.to_string(),
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Err(refuse(Value::Null, "message is not valid JSON"));
    };
    let Value::Object(mut object) = value else {
        return Err(refuse(
            Value::Null,
            "message must be a JSON object {\"cmd\", \"data\", \"id\"}",
        ));
    };
    let id = object.remove("id").unwrap_or(Value::Null);
    if id.is_null() {
        return Err(refuse(id, "missing 'id'"));
    }
    let cmd = match object.remove("cmd") {
        Some(Value::String(cmd)) if !cmd.is_empty() => cmd,
        _ => return Err(refuse(id, "missing 'cmd'")),
    };
    let data = match object.remove("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(data)) => data,
        Some(_) => return Err(refuse(id, "'data' must be an object")),
    };
    Ok(Envelope { id, cmd, data })
}

/// Documented commands (`websocketapi/`, `cn/studio-api/`) the simulator answers with code 11.
pub const NOT_SIMULATED: &[&str] = &[
    "xarm_move_circle",
    "xarm_set_blockly_init",
    "run_blockly",
    "get_app_xml_data",
    "get_app_info",
    "app_save_info",
    "app_create_file",
    "ide_list_projects",
    "ide_get_project",
    "ide_create_project",
    "ide_delete_project",
    "ide_rename_project",
    "ide_save_project",
    "ide_create_file",
    "ide_to_python_allow",
    "ide_blockly_to_python",
    "ide_write_file",
    "ide_get_file",
    "ide_delete_file",
    "ide_rename_file",
    "ide_create_folder",
    "ide_delete_folder",
    "ide_rename_folder",
    "run_python_program",
    "stop_python_program",
    "xarm_set_cgpio_digital",
    "xarm_set_cgpio_analog",
    "xarm_set_gpio_digital",
    "xarm_set_suction_cup",
    "xarm_set_effector_modbus_rtu_cmd",
    "get_tcp_offset_load_config",
    "set_tcp_load_offset_configs",
    "remove_tcp_load_offset_configs",
    "associate_tcp_offset_load",
    "xarm_start_identification",
    "xarm_stop_identification",
    "xarm_get_reduced_states",
    "xarm_get_approx_motion",
    "xarm_config_gpio_reset_when_stop",
    "xarm_set_collision_rebound",
    "xarm_set_self_collision_detection",
    "xarm_set_jerk",
    "xarm_get_joint_pi",
    "xarm_factory_reset",
    "xarm_start_report_gpio_digital",
    "xarm_stop_report_gpio_digital",
    "get_gpio_config",
    "set_gpio_config",
    "xarm_set_stop_loop",
    "xarm_set_modbus_baud_rate",
    "xarm_get_end_io_info",
    "xarm_set_user_config",
    "xarm_save_config",
    "xarm_get_ft_sensor_mode",
    "xarm_get_ft_sensor_info",
    "get_world_offset_config",
    "set_world_offset_configs",
    "xarm_set_mount_direction",
    "xarm_set_reduced_max_joint_speed",
    "xarm_set_reduced_max_tcp_speed",
    "xarm_set_reduced_joint_range",
    "xarm_set_reduced_mode",
    "xarm_set_reduced_tcp_boundary",
    "xarm_set_fense_mode",
];

/// The joint letters of `xarm_move_joint`, J1 first (`R` is the blending radius, not a joint).
pub const JOINT_LETTERS: [&str; 7] = ["I", "J", "K", "L", "M", "N", "O"];

/// Reads one command's `data`; `Err` is the message of an api code 12 (bad parameter) refusal.
type CommandParser = fn(&Data<'_>) -> Result<Command, String>;

/// Every simulated command by name, with how its `data` is read.
const COMMANDS: &[(&str, CommandParser)] = &[
    ("xarm_move_joint", |d| {
        Ok({
            let joints = JOINT_LETTERS
                .iter()
                .map(|letter| d.opt_number(letter))
                .collect::<Result<Vec<_>, _>>()?;
            if joints.iter().all(Option::is_none) {
                return Err("no joint angle given (fields I, J, K, L, M, N, O in degrees)".into());
            }
            Command::MoveJoint {
                joints,
                speed: d.speed()?,
            }
        })
    }),
    ("xarm_move_arc_line", |d| {
        Ok(Command::MoveLine {
            pose: d.line_pose()?,
            relative: d.opt_bool("relative")?.unwrap_or(false),
            speed: d.speed()?,
        })
    }),
    ("xarm_move_step", |d| {
        Ok(Command::MoveStep {
            step: d.step()?,
            tool: d.opt_bool("isMoveTool")?.unwrap_or(false),
            long_press: match d.opt_bool("isLoop")? {
                Some(v) => v,
                None => d.opt_bool("isloop")?.unwrap_or(false),
            },
            acc: d.opt_number("acc")?.filter(|a| *a > 0.0),
        })
    }),
    ("xarm_move_step_online", |_| Ok(Command::StepOnline)),
    ("xarm_move_step_over", |_| Ok(Command::StepOver)),
    ("xarm_set_state", |d| {
        Ok({
            let state = d.opt_int("state")?.unwrap_or(0);
            match state {
                0 | 3 | 4 => Command::SetState(state as u8),
                _ => return Err(format!("state must be 0, 3 or 4, not {state}")),
            }
        })
    }),
    ("xarm_urgent_stop", |_| Ok(Command::UrgentStop)),
    ("xarm_clear_error", |_| Ok(Command::ClearError)),
    ("xarm_clear_warn", |_| Ok(Command::ClearWarn)),
    ("xarm_clear_error_warn", |d| {
        Ok({
            let mode = d.opt_int("mode")?.unwrap_or(0);
            Command::ClearErrorWarn(
                u8::try_from(mode)
                    .ok()
                    .filter(|m| *m <= 7)
                    .ok_or_else(|| format!("mode must be 0..7, not {mode}"))?,
            )
        })
    }),
    ("xarm_set_speed", |d| Ok(Command::SetSpeed(d.number("percent")?))),
    ("xarm_switch_mode", |d| {
        Ok(match d.int("mode")? {
            m @ (0 | 2) => Command::SwitchMode(m as u8),
            m => return Err(format!("mode must be 0 (position) or 2 (manual), not {m}")),
        })
    }),
    ("switch_mode_lite6", |d| {
        Ok(match d.int("status")? {
            0 => Command::SwitchModeLite6(0),
            1 => Command::SwitchModeLite6(2),
            s => return Err(format!("status must be 0 or 1, not {s}")),
        })
    }),
    ("xarm_set_gripper_position", |d| {
        Ok({
            let pos = d.number("pos")?;
            if !(0.0..=850.0).contains(&pos) {
                return Err(format!("pos must be within 0..850, not {pos}"));
            }
            let speed = d.opt_number("speed")?.unwrap_or(2000.0);
            if speed <= 0.0 {
                return Err(format!("speed must be positive, not {speed}"));
            }
            Command::SetGripper {
                enable: d.opt_bool("enable")?.unwrap_or(true),
                pos,
                speed,
                wait: d.opt_bool("wait")?.unwrap_or(false),
            }
        })
    }),
    ("xarm_set_simulation_robot", |d| {
        Ok(Command::SetSimulationRobot(d.bool("on_off")?))
    }),
    ("start_motion_callback", |d| {
        Ok(Command::MotionCallback(d.bool("is_open")?))
    }),
    ("xarm_set_lite6_gripper", |d| {
        Ok(match d.0.get("op").and_then(Value::as_str) {
            Some(op @ ("open" | "close" | "stop")) => Command::Lite6Gripper(op.to_string()),
            _ => return Err("op must be \"open\", \"close\" or \"stop\"".into()),
        })
    }),
    ("xarm_set_bio_gripper_enable", |d| {
        Ok(Command::BioGripper(d.bool("enable")?))
    }),
    ("xarm_set_motion_config", |d| {
        Ok(Command::MotionConfig(d.motion_config()?))
    }),
];

/// Maps an envelope to a command; the refusal is -4 for an unknown `cmd`, 12 for bad `data`.
pub fn parse_command(envelope: &Envelope) -> Result<Command, Refusal> {
    let refuse = |code: ApiCode, message: String| Refusal {
        id: envelope.id.clone(),
        code,
        message,
    };
    let cmd = envelope.cmd.as_str();
    if let Some((_, parse)) = COMMANDS.iter().find(|(name, _)| *name == cmd) {
        return parse(&Data(&envelope.data)).map_err(|message| refuse(ApiCode::ParameterError, message));
    }
    match NOT_SIMULATED.iter().find(|name| **name == cmd) {
        Some(name) => Ok(Command::NotSimulated(name)),
        None => Err(refuse(
            ApiCode::CommandNotExist,
            format!("command '{cmd}' does not exist"),
        )),
    }
}

/// Typed access to a request's `data`.
struct Data<'a>(&'a Map<String, Value>);

/// A number from a JSON number or a numeric string (Studio sends both); finite only.
fn as_number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|v| v.is_finite())
}

impl Data<'_> {
    fn opt_number(&self, key: &str) -> Result<Option<f64>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => as_number(v)
                .map(Some)
                .ok_or_else(|| format!("'{key}' must be a number, not {v}")),
        }
    }

    fn number(&self, key: &str) -> Result<f64, String> {
        self.opt_number(key)?.ok_or_else(|| format!("missing '{key}'"))
    }

    fn opt_int(&self, key: &str) -> Result<Option<i64>, String> {
        match self.opt_number(key)? {
            None => Ok(None),
            Some(v) if v.fract() == 0.0 && v.abs() < 1e9 => Ok(Some(v as i64)),
            Some(v) => Err(format!("'{key}' must be an integer, not {v}")),
        }
    }

    fn int(&self, key: &str) -> Result<i64, String> {
        self.opt_int(key)?.ok_or_else(|| format!("missing '{key}'"))
    }

    /// A bool from `true`/`false`, 0/1 or the strings "true"/"false".
    fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Ok(Some(false)),
            Some(Value::Number(n)) if n.as_f64() == Some(1.0) => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(format!("'{key}' must be a boolean, not {v}")),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, String> {
        self.opt_bool(key)?.ok_or_else(|| format!("missing '{key}'"))
    }

    /// `F`/`f` and `Q`/`q`.
    fn speed(&self) -> Result<Speed, String> {
        let either = |upper: &str, lower: &str| match self.opt_number(upper)? {
            Some(v) => Ok(Some(v)),
            None => self.opt_number(lower),
        };
        Ok(Speed {
            speed: either("F", "f")?,
            acc: either("Q", "q")?,
            unscaled: false,
        })
    }

    /// `X Y Z` and roll `A`; pitch and yaw are `B C` when `C` is present (the front end's fields), else
    /// `M B` (the documented table).
    fn line_pose(&self) -> Result<[f64; 6], String> {
        let (pitch, yaw) = if self.0.contains_key("C") {
            ("B", "C")
        } else {
            ("M", "B")
        };
        let mut pose = [0.0; 6];
        for (slot, key) in pose.iter_mut().zip(["X", "Y", "Z", "A", pitch, yaw]) {
            *slot = self.number(key)?;
        }
        Ok(pose)
    }

    fn step(&self) -> Result<Step, String> {
        let direction = match self.0.get("direction") {
            Some(Value::String(s)) => s.as_str(),
            Some(v) => return Err(format!("'direction' must be a string, not {v}")),
            None => return Err("missing 'direction'".into()),
        };
        let sign = |tail: &str| match tail {
            "increase" => Ok(1.0),
            "decrease" => Ok(-1.0),
            _ => Err(format!("unknown direction '{direction}'")),
        };
        let parts: Vec<&str> = direction.split('-').collect();
        match parts.as_slice() {
            ["position", axis, tail] => {
                let axis = ["x", "y", "z"].iter().position(|a| a == axis);
                let axis = axis.ok_or_else(|| format!("unknown direction '{direction}'"))?;
                Ok(Step::Position {
                    axis,
                    sign: sign(tail)?,
                })
            }
            ["attitude", axis, tail] => {
                let axis = ["roll", "pitch", "yaw"].iter().position(|a| a == axis);
                let axis = axis.ok_or_else(|| format!("unknown direction '{direction}'"))?;
                Ok(Step::Attitude {
                    axis,
                    sign: sign(tail)?,
                })
            }
            ["joint", "angle", tail] => {
                let sign = sign(tail)?;
                let axis = self.int("axis")?;
                if !(1..=7).contains(&axis) {
                    return Err(format!("'axis' must be a joint number 1..7, not {axis}"));
                }
                Ok(Step::Joint {
                    joint: (axis - 1) as usize,
                    sign,
                })
            }
            ["set", "end", "level"] => Ok(Step::EndLevel),
            _ => Err(format!("unknown direction '{direction}'")),
        }
    }

    fn motion_config(&self) -> Result<MotionConfig, String> {
        let ranged = |key: &str, lo: f64, hi: f64| -> Result<Option<f64>, String> {
            match self.opt_number(key)? {
                None => Ok(None),
                Some(0.0) => Ok(None),
                Some(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
                Some(v) => Err(format!("'{key}' must be within {lo}..{hi}, not {v}")),
            }
        };
        let sensitivity = |key: &str, lo: i64| -> Result<Option<u8>, String> {
            match self.opt_int(key)? {
                None => Ok(None),
                Some(v) if (lo..=5).contains(&v) => Ok(Some(v as u8)),
                Some(v) => Err(format!("'{key}' must be within {lo}..5, not {v}")),
            }
        };
        let initial_point = match self.0.get("initPos") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| as_number(v).ok_or_else(|| format!("'initPos' holds a non-number {v}")))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(v) => return Err(format!("'initPos' must be an array, not {v}")),
        };
        Ok(MotionConfig {
            tcp_acc: ranged("tcpAcc", 1.0, 50000.0)?,
            joint_acc: ranged("jointAcc", 1.0, 1146.0)?,
            position_step: ranged("posStep", 0.1, 100.0)?,
            attitude_step: ranged("attitudeStep", 0.1, 100.0)?,
            joint_step: ranged("jointStep", 0.1, 20.0)?,
            collision_sensitivity: sensitivity("collSens", 0)?,
            teach_sensitivity: sensitivity("teachSens", 1)?,
            initial_point,
        })
    }
}

#[cfg(test)]
mod tests;

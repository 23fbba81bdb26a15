//! Requests to responses: runs a parsed command on the controller and builds
//! `{"type":"response","id":<same id>,"code":<api code>,"data":...}` for the immediate and the final answers.

use serde_json::{Value, json};

use crate::model::arm::Pose;
use crate::model::xarm::{ApiCode, Controller};
use crate::proto::xarm::request::{Command, Envelope, Refusal, parse_command, parse_envelope};
use crate::time::SimTime;

/// The code of a documented command the simulator does not model: 11, "other error".
pub const NOT_SIMULATED_CODE: ApiCode = ApiCode::OtherError;

/// A response frame.
pub fn response(id: &Value, code: ApiCode, data: Value) -> String {
    json!({"type": "response", "id": id, "code": code, "data": data}).to_string()
}

/// The `data` Studio-style for a code: `"ok"` for 0, `null` for 100 (accepted), else the api code's text.
pub fn code_data(code: ApiCode) -> Value {
    match code {
        ApiCode::Ok => json!("ok"),
        ApiCode::Accepted => Value::Null,
        other => json!(other.text()),
    }
}

/// The response to a message that could not be run.
pub fn refusal_response(refusal: &Refusal) -> String {
    response(&refusal.id, refusal.code, json!(refusal.message))
}

/// The outcome of one text message: its request (if the envelope parsed) and the immediate response.
pub struct Answer {
    /// The parsed envelope, if any.
    pub envelope: Option<Envelope>,
    /// The immediate code (100 means a final response follows).
    pub code: ApiCode,
    /// The immediate response frame.
    pub frame: String,
}

/// Parses and runs one text message on `controller` at `now`; `waiter` is who gets the final code of a motion.
pub fn handle_text<W>(
    controller: &mut Controller<W>,
    now: SimTime,
    text: &str,
    waiter: impl FnOnce(&Value) -> W,
) -> Answer {
    let envelope = match parse_envelope(text) {
        Ok(envelope) => envelope,
        Err(refusal) => {
            return Answer {
                envelope: None,
                code: refusal.code,
                frame: refusal_response(&refusal),
            };
        }
    };
    let (code, data) = match parse_command(&envelope) {
        Ok(Command::NotSimulated(name)) => (
            NOT_SIMULATED_CODE,
            json!(format!("'{name}' is documented but not simulated")),
        ),
        Ok(command) => {
            let code = execute(controller, now, command, waiter(&envelope.id));
            (code, code_data(code))
        }
        Err(refusal) => (refusal.code, json!(refusal.message)),
    };
    Answer {
        frame: response(&envelope.id, code, data),
        envelope: Some(envelope),
        code,
    }
}

fn rad(deg: f64) -> f64 {
    deg.to_radians()
}

/// Runs `command`; the answer is the immediate api code.
pub fn execute<W>(c: &mut Controller<W>, now: SimTime, command: Command, waiter: W) -> ApiCode {
    match command {
        Command::MoveJoint { joints, speed } => {
            let target: Vec<Option<f64>> = joints.iter().map(|j| j.map(rad)).collect();
            c.move_joints(now, &target, speed, waiter)
        }
        Command::MoveLine { pose, relative, speed } => {
            let target = Pose::from_array([pose[0], pose[1], pose[2], rad(pose[3]), rad(pose[4]), rad(pose[5])]);
            c.move_line(now, target, relative, speed, waiter)
        }
        Command::MoveStep {
            step,
            tool,
            long_press,
            acc,
        } => c.move_step(now, step, tool, long_press, acc, waiter),
        Command::StepOnline => c.step_online(now),
        Command::StepOver => c.step_over(now),
        Command::SetState(state) => c.set_state(now, state),
        Command::UrgentStop => c.emergency_stop(now),
        Command::ClearError => c.clear_error(now),
        Command::ClearWarn => c.clear_warn(now),
        Command::ClearErrorWarn(mode) => c.clear_error_warn(now, mode),
        Command::SetSpeed(percent) => c.set_speed_percent(now, percent),
        Command::SwitchMode(mode) | Command::SwitchModeLite6(mode) => c.switch_mode(now, mode),
        Command::SetGripper {
            enable,
            pos,
            speed,
            wait,
        } => c.set_gripper(now, enable, pos, speed, wait.then_some(waiter)),
        Command::SetSimulationRobot(on) => {
            c.advance(now);
            c.settings.simulation_robot = on;
            ApiCode::Ok
        }
        Command::MotionCallback(on) => {
            c.advance(now);
            c.settings.motion_callback = on;
            ApiCode::Ok
        }
        Command::Lite6Gripper(_) => {
            c.advance(now);
            ApiCode::Ok
        }
        Command::BioGripper(on) => {
            c.advance(now);
            c.settings.bio_gripper_enabled = on;
            ApiCode::Ok
        }
        Command::MotionConfig(config) => {
            c.advance(now);
            let dof = c.model().dof();
            if config.initial_point.as_ref().is_some_and(|p| p.len() < dof) {
                return ApiCode::ParameterError;
            }
            let s = &mut c.settings;
            if let Some(v) = config.tcp_acc {
                s.tcp_acc = v;
            }
            if let Some(v) = config.joint_acc {
                s.joint_acc = v;
            }
            if let Some(v) = config.position_step {
                s.position_step = v;
            }
            if let Some(v) = config.attitude_step {
                s.attitude_step = v;
            }
            if let Some(v) = config.joint_step {
                s.joint_step = v;
            }
            if let Some(v) = config.collision_sensitivity {
                s.collision_sensitivity = v;
            }
            if let Some(v) = config.teach_sensitivity {
                s.teach_sensitivity = v;
            }
            if let Some(p) = config.initial_point {
                s.initial_point = p[..dof].to_vec();
            }
            ApiCode::Ok
        }
        Command::NotSimulated(_) => NOT_SIMULATED_CODE,
    }
}

#[cfg(test)]
mod tests;

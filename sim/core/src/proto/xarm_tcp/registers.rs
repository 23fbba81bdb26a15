//! The registers the controller answers on port 502, as one table (number, SDK name, handler) over the same
//! controller the Studio socket drives, and the state byte every answer carries.

use crate::model::arm::limits::{check_joints, check_tcp_position};
use crate::model::arm::{Pose, fk, ik};
use crate::model::xarm::{ApiCode, Controller, Speed};
use crate::proto::xarm::info::{Identity, device_type};
use crate::proto::xarm_tcp::feedback::{FEEDBACK_MOTION_FINISH, FeedbackTag};
use crate::proto::xarm_tcp::frame::{Request, STATE_ERROR, STATE_NOT_READY, STATE_WARN};
use crate::proto::xarm_tcp::io::{CGPIO_INPUTS_OPEN, ControllerIo};
use crate::proto::xarm_tcp::poses::{Frame, absolute_target, relative_axis_angle, to_axis_angle};
use crate::proto::xarm_tcp::tool::{self, TOOL_HOST_ID};
use crate::time::SimTime;

/// Controller warning raised for a parameter block the register cannot read (W12 "parameter error").
pub const WARN_PARAMETER: i32 = 12;
/// Controller warning raised for a register the controller does not have (W13 "the instruction does not exist").
pub const WARN_NO_INSTRUCTION: i32 = 13;
/// Controller error raised for a joint target outside the joint limits (C23 "Joints Angle Exceed Limit").
pub const ERROR_JOINT_LIMIT: i32 = 23;
/// Controller error raised for a Cartesian target with no inverse kinematics (C40 "No IK available").
pub const ERROR_NO_IK: i32 = 40;

/// A move's waiter as the controller port makes it: tagged with the finish feedback its end must send.
pub trait TcpWaiter: Clone {
    /// This waiter, asking for the finish feedback frame named by `tag` when its move ends or is dropped.
    fn with_feedback(&self, tag: FeedbackTag) -> Self;
}

/// What a handler works on: the shared controller, its I/O, the time, who waits on a move, who the arm is.
pub struct Ctx<'a, W> {
    /// The controller (shared with the Studio socket).
    pub controller: &'a mut Controller<W>,
    /// I/O and settings only this protocol reaches.
    pub io: &'a mut ControllerIo,
    /// The arm's identity (version and serial numbers).
    pub identity: &'a Identity,
    /// Now.
    pub now: SimTime,
    /// The waiter a move is queued for (its end is sent as a feedback frame when finish feedback is on).
    pub waiter: W,
    /// This connection's feedback types (`set_feedback_type`: the setting is per connection).
    pub feedback_type: &'a mut u8,
}

/// A handler's result: the answer's parameters, or the controller warning to raise (the answer then has none).
type Handled = Result<Vec<u8>, i32>;

/// Reads little-endian FP32s, big-endian U16s and bytes off a parameter block.
struct Params<'a>(&'a [u8]);

impl<'a> Params<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], i32> {
        if self.0.len() < n {
            return Err(WARN_PARAMETER);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, i32> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, i32> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn f32(&mut self) -> Result<f64, i32> {
        let b = self.take(4)?;
        Ok(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    }
    fn f32s<const N: usize>(&mut self) -> Result<[f64; N], i32> {
        let mut out = [0.0; N];
        for v in &mut out {
            *v = self.f32()?;
        }
        Ok(out)
    }
    fn rest(&self) -> &'a [u8] {
        self.0
    }
}

fn fp32s(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect()
}

/// `text` NUL-terminated and padded with NULs to at least `n` bytes: the SDK cuts a string at its first NUL
/// (and drops the last byte when there is none).
fn padded(text: &str, n: usize) -> Vec<u8> {
    let mut out: Vec<u8> = text.bytes().filter(|b| *b != 0).collect();
    out.push(0);
    let len = out.len().max(n);
    out.resize(len, 0);
    out
}

fn none() -> Handled {
    Ok(Vec::new())
}

/// Maps a refused set command's api code to the controller's answer: parameter errors raise W12, state
/// refusals are already in the state byte.
fn settled(code: ApiCode) -> Handled {
    match code {
        ApiCode::ParameterError => Err(WARN_PARAMETER),
        _ => none(),
    }
}

/// The answer to an accepted or refused move: the command count after it (U16), as the documented answers
/// carry a U16. A target outside the joint limits raises C23 and one without IK raises C40; the arm does not move.
fn moved<W>(ctx: &mut Ctx<'_, W>, code: ApiCode) -> Handled {
    match code {
        ApiCode::JointLimit => ctx.controller.raise_error(ctx.now, ERROR_JOINT_LIMIT),
        ApiCode::CartesianLimit => ctx.controller.raise_error(ctx.now, ERROR_NO_IK),
        ApiCode::ParameterError => return Err(WARN_PARAMETER),
        _ => {}
    }
    Ok((ctx.controller.queued_moves().min(usize::from(u16::MAX)) as u16)
        .to_be_bytes()
        .to_vec())
}

fn unscaled(speed: f64, acc: f64) -> Speed {
    Speed {
        speed: Some(speed),
        acc: Some(acc),
        unscaled: true,
    }
}

/// Joint moves take rad/s and rad/s^2; the controller's `Speed` is in deg/s for joints.
fn joint_move<W: Clone>(ctx: &mut Ctx<'_, W>, target: &[f64], speed: f64, acc: f64) -> Handled {
    let dof = ctx.controller.model().dof();
    let wanted: Vec<Option<f64>> = target.iter().take(dof).map(|q| q.is_finite().then_some(*q)).collect();
    let code = ctx.controller.move_joints(
        ctx.now,
        &wanted,
        unscaled(speed.to_degrees(), acc.to_degrees()),
        ctx.waiter.clone(),
    );
    moved(ctx, code)
}

fn line_move<W: Clone>(ctx: &mut Ctx<'_, W>, pose: [f64; 6], speed: f64, acc: f64, relative: bool) -> Handled {
    let target = if relative {
        pose
    } else {
        // An axis the SDK leaves out is sent as infinity (firmware >= 2.4.101): it keeps its planned value.
        let (_, end) = ctx.controller.planned_end();
        let end = end.to_array();
        std::array::from_fn(|i| if pose[i].is_finite() { pose[i] } else { end[i] })
    };
    let code = ctx.controller.move_line(
        ctx.now,
        Pose::from_array(target),
        relative,
        unscaled(speed, acc),
        ctx.waiter.clone(),
    );
    moved(ctx, code)
}

/// Refuses an only-check request (the controller's planning dry run is not modelled) with W12.
fn no_only_check(flag: Option<&u8>) -> Result<(), i32> {
    match flag {
        Some(0) | None => Ok(()),
        Some(_) => Err(WARN_PARAMETER),
    }
}

/// Reads a move's `(coordinate, axis-angle, only-check)` bytes: base (0) or tool (1) coordinates, roll/pitch/yaw
/// or axis-angle; any other coordinate, and only-check, raise W12.
fn move_frame(flags: &[u8]) -> Result<Frame, i32> {
    let (coord, axis_angle) = (flags.first().copied().unwrap_or(0), flags.get(1).copied().unwrap_or(0));
    if coord > 1 || axis_angle > 1 {
        return Err(WARN_PARAMETER);
    }
    no_only_check(flags.get(2))?;
    Ok(Frame {
        tool: coord == 1,
        axis_angle: axis_angle == 1,
    })
}

/// A straight move to `values` meant in `frame`: plain base roll/pitch/yaw goes as given (infinite axes kept),
/// tool-frame and axis-angle values are turned into a base target from the planned pose first.
fn framed_move<W: Clone>(ctx: &mut Ctx<'_, W>, values: [f64; 6], frame: Frame, speed: f64, acc: f64) -> Handled {
    if frame
        == (Frame {
            tool: false,
            axis_angle: false,
        })
    {
        return line_move(ctx, values, speed, acc, false);
    }
    if !values.iter().all(|v| v.is_finite()) {
        return Err(WARN_PARAMETER);
    }
    let (_, planned) = ctx.controller.planned_end();
    let target = absolute_target(&planned, values, frame);
    line_move(ctx, target.to_array(), speed, acc, false)
}

fn get_version<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(padded(&ctx.identity.version_string(), 40))
}
/// The robot's serial number, a NUL, then the control box's (the SDK splits them at the NUL).
fn get_robot_sn<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    let mut out = padded(&ctx.identity.sn, 0);
    out.extend(padded(&ctx.identity.control_box_sn, 0));
    out.resize(out.len().max(40), 0);
    Ok(out)
}
fn check_verify<W>(_: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![0])
}
fn get_report_tau_or_i<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![ctx.io.report_tau_or_i])
}
fn get_allow_approx<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![u8::from(ctx.io.allow_approx_motion)])
}
fn system_control<W>(_: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    p.u8()?;
    none()
}
fn motion_enable<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let (axis, on) = (p.u8()?, p.u8()?);
    if axis == 0 || (axis > 7 && axis != 8) || on > 1 {
        return Err(WARN_PARAMETER);
    }
    settled(ctx.controller.motion_enable(ctx.now, on == 1))
}
fn set_state<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let state = p.u8()?;
    settled(ctx.controller.set_state(ctx.now, state))
}
fn get_state<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![ctx.controller.state().code()])
}
fn get_cmdnum<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok((ctx.controller.queued_moves().min(usize::from(u16::MAX)) as u16)
        .to_be_bytes()
        .to_vec())
}
fn get_error<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    let (error, warn, _) = ctx.controller.codes();
    Ok(vec![error.clamp(0, 255) as u8, warn.clamp(0, 255) as u8])
}
fn clean_error<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    ctx.controller.clear_error(ctx.now);
    none()
}
fn clean_warn<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    ctx.controller.clear_warn(ctx.now);
    none()
}
fn set_brake<W>(_: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    p.u8()?;
    p.u8()?;
    none()
}
fn set_mode<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let mode = p.u8()?;
    settled(ctx.controller.set_mode(ctx.now, mode))
}
fn move_line<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = p.f32s::<6>()?;
    let [speed, acc, _time] = p.f32s::<3>()?;
    // `move_line_common` (firmware >= 1.11.100) adds a radius float and three flag bytes.
    if p.rest().len() >= 7 {
        let _radius = p.f32()?;
    }
    let frame = move_frame(p.rest())?;
    framed_move(ctx, pose, frame, speed, acc)
}
fn move_lineb<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = p.f32s::<6>()?;
    let [speed, acc, _time, _radius] = p.f32s::<4>()?;
    let frame = move_frame(p.rest())?;
    framed_move(ctx, pose, frame, speed, acc)
}
/// `move_line_tool` (firmware < 1.11.100): a straight move in the tool frame, relative to the planned pose.
fn move_line_tool<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = p.f32s::<6>()?;
    let [speed, acc, _time] = p.f32s::<3>()?;
    no_only_check(p.rest().first())?;
    let frame = Frame {
        tool: true,
        axis_angle: false,
    };
    framed_move(ctx, pose, frame, speed, acc)
}
/// `move_line_aa` (firmware < 1.11.100): axis-angle orientation; tool coordinates are relative to the planned
/// pose, base ones absolute unless `relative`.
fn move_line_aa<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = p.f32s::<6>()?;
    let [speed, acc, _time] = p.f32s::<3>()?;
    let (coord, relative) = (p.u8()?, p.u8()?);
    no_only_check(p.rest().first())?;
    if coord > 1 || relative > 1 {
        return Err(WARN_PARAMETER);
    }
    if coord == 0 && relative == 1 {
        return relative_aa_move(ctx, pose, speed, acc);
    }
    let frame = Frame {
        tool: coord == 1,
        axis_angle: true,
    };
    framed_move(ctx, pose, frame, speed, acc)
}
fn relative_aa_move<W: Clone>(ctx: &mut Ctx<'_, W>, delta: [f64; 6], speed: f64, acc: f64) -> Handled {
    if !delta.iter().all(|v| v.is_finite()) {
        return Err(WARN_PARAMETER);
    }
    let (_, planned) = ctx.controller.planned_end();
    line_move(ctx, relative_axis_angle(&planned, delta).to_array(), speed, acc, false)
}
fn move_joint<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let joints = p.f32s::<7>()?;
    let [speed, acc, _time_or_radius] = p.f32s::<3>()?;
    no_only_check(p.rest().first())?;
    joint_move(ctx, &joints, speed, acc)
}
fn move_home<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let [speed, acc, _time] = p.f32s::<3>()?;
    no_only_check(p.rest().first())?;
    joint_move(ctx, &[0.0; 7], speed, acc)
}
fn move_relative<W: Clone>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let delta = p.f32s::<7>()?;
    let [speed, acc, _time, _radius] = p.f32s::<4>()?;
    let (is_joint, axis_angle) = (p.u8()?, p.u8()?);
    no_only_check(p.rest().first())?;
    if is_joint != 0 {
        let (joints, _) = ctx.controller.planned_end();
        let target: Vec<f64> = joints.iter().zip(delta).map(|(q, d)| q + d).collect();
        return joint_move(ctx, &target, speed, acc);
    }
    let pose = std::array::from_fn(|i| delta[i]);
    if axis_angle != 0 {
        return relative_aa_move(ctx, pose, speed, acc);
    }
    line_move(ctx, pose, speed, acc, true)
}
fn set_tcp_jerk<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    ctx.io.tcp_jerk = positive(p.f32()?)?;
    none()
}
fn set_tcp_maxacc<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    ctx.controller.settings.tcp_acc = positive(p.f32()?)?;
    none()
}
fn set_joint_jerk<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    ctx.io.joint_jerk = positive(p.f32()?)?;
    none()
}
fn set_joint_maxacc<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    // rad/s^2 on the wire; the settings keep deg/s^2, as Studio's `jointAcc`.
    ctx.controller.settings.joint_acc = positive(p.f32()?)?.to_degrees();
    none()
}
fn positive(v: f64) -> Result<f64, i32> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(WARN_PARAMETER)
    }
}
fn set_tcp_offset<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let offset = p.f32s::<6>()?;
    settled(ctx.controller.set_tcp_offset(ctx.now, offset))
}
fn set_load<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let [kg, x, y, z] = p.f32s::<4>()?;
    if !(0.0..=10.0).contains(&kg) || ![x, y, z].iter().all(|v| v.is_finite()) {
        return Err(WARN_PARAMETER);
    }
    ctx.controller.settings.tcp_load = (kg, [x, y, z]);
    none()
}
fn set_collision_sens<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let v = p.u8()?;
    if v > 5 {
        return Err(WARN_PARAMETER);
    }
    ctx.controller.settings.collision_sensitivity = v;
    none()
}
fn set_teach_sens<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let v = p.u8()?;
    if !(1..=5).contains(&v) {
        return Err(WARN_PARAMETER);
    }
    ctx.controller.settings.teach_sensitivity = v;
    none()
}
fn acknowledge<W>(_: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    none()
}
fn get_tcp_pose<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(fp32s(&ctx.controller.pose_at(ctx.now).to_array()))
}
fn get_tcp_pose_aa<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(fp32s(&to_axis_angle(&ctx.controller.pose_at(ctx.now))))
}
fn get_joint_pos<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let (joints, speeds) = ctx.controller.joints_at(ctx.now);
    let seven = |v: &[f64]| {
        let mut out = v.to_vec();
        out.resize(7, 0.0);
        out
    };
    // With a count byte (`get_joint_states`): positions, velocities, then efforts, `count & 0x0F` sets.
    let sets = if p.rest().is_empty() {
        1
    } else {
        usize::from(p.u8()? & 0x0F).clamp(1, 3)
    };
    let all = [seven(&joints), seven(&speeds), vec![0.0; 7]];
    Ok(all.iter().take(sets).flat_map(|v| fp32s(v)).collect())
}
fn get_ik<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = Pose::from_array(p.f32s::<6>()?);
    let c = &ctx.controller;
    let (seed, _) = c.planned_end();
    match ik(c.model(), &pose, c.settings.tcp_offset, &seed) {
        Ok(mut joints) => {
            joints.resize(7, 0.0);
            Ok(fp32s(&joints))
        }
        Err(_) => Err(WARN_NO_SOLUTION),
    }
}
/// Controller warning for an IK request with no solution (W14 "command has no solution").
pub const WARN_NO_SOLUTION: i32 = 14;
fn get_fk<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let joints = p.f32s::<7>()?;
    let c = &ctx.controller;
    let dof = c.model().dof();
    match fk(c.model(), &joints[..dof], c.settings.tcp_offset) {
        Ok(pose) => Ok(fp32s(&pose.to_array())),
        Err(_) => Err(WARN_PARAMETER),
    }
}
fn is_joint_limit<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let joints = p.f32s::<7>()?;
    let model = ctx.controller.model();
    Ok(vec![u8::from(check_joints(model, &joints[..model.dof()]).is_err())])
}
fn is_tcp_limit<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let pose = p.f32s::<6>()?;
    let model = ctx.controller.model();
    Ok(vec![u8::from(
        check_tcp_position(model, [pose[0], pose[1], pose[2]]).is_err(),
    )])
}
fn set_flag<W>(ctx: &mut Ctx<'_, W>, p: &mut Params, flag: fn(&mut ControllerIo) -> &mut bool) -> Handled {
    let on = p.u8()?;
    *flag(ctx.io) = on != 0;
    none()
}
fn set_collision_rebound<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    set_flag(ctx, p, |io| &mut io.collision_rebound)
}
fn set_allow_approx<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    set_flag(ctx, p, |io| &mut io.allow_approx_motion)
}
fn set_self_collision<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    set_flag(ctx, p, |io| &mut io.self_collision_check)
}
fn set_cartesian_continuous<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    set_flag(ctx, p, |io| &mut io.cartesian_continuous)
}
fn report_tau_or_i<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let v = p.u8()?;
    if v > 1 {
        return Err(WARN_PARAMETER);
    }
    ctx.io.report_tau_or_i = v;
    none()
}
fn set_world_offset<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let offset = p.f32s::<6>()?;
    if !offset.iter().all(|v| v.is_finite()) {
        return Err(WARN_PARAMETER);
    }
    ctx.io.world_offset = offset;
    none()
}
fn set_simulation_robot<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    ctx.controller.settings.simulation_robot = p.u8()? != 0;
    none()
}
fn tool_modbus_timeout<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    ctx.io.tool_modbus_timeout_ms = p.u16()?;
    none()
}
fn tool_error<W>(_: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![0, 0])
}
fn tool_host(p: &mut Params) -> Result<(), i32> {
    if p.u8()? != TOOL_HOST_ID {
        return Err(WARN_PARAMETER);
    }
    Ok(())
}
fn rs485_rtu<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    tool_host(p)?;
    let mut out = vec![TOOL_HOST_ID];
    out.extend(tool::rtu(ctx.controller, ctx.io, ctx.now, p.rest()));
    Ok(out)
}
fn tool_write<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    tool_host(p)?;
    let address = p.u16()?;
    let value = p.f32()? as f32;
    if tool::board_write(ctx.io, address, value) {
        none()
    } else {
        Err(WARN_PARAMETER)
    }
}
fn tool_read<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    tool_host(p)?;
    let address = p.u16()?;
    tool::board_read(ctx.io, address)
        .map(|v| v.to_be_bytes().to_vec())
        .ok_or(WARN_PARAMETER)
}
fn cgpio_get_digital<W>(_: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(CGPIO_INPUTS_OPEN.to_be_bytes().to_vec())
}
fn cgpio_get_analog<W>(_: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![0, 0])
}
/// One word for channels 0..7, or two (the second for channels 8..15), then an optional sync byte (firmware
/// >= 2.4.101: run in order with the queued moves; here the outputs change at once).
fn cgpio_set_digital<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    let first = p.u16()?;
    let second = if p.rest().len() >= 2 { p.u16()? } else { 0 };
    let words = [first, second];
    ctx.io.write_cgpio(words);
    none()
}
fn cgpio_set_analog(io: &mut ControllerIo, p: &mut Params, channel: usize) -> Handled {
    let v = p.u16()?;
    if v > 4095 {
        return Err(WARN_PARAMETER);
    }
    io.cgpio_analog_outputs[channel] = v;
    none()
}
fn cgpio_set_analog1<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    cgpio_set_analog(ctx.io, p, 0)
}
fn cgpio_set_analog2<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    cgpio_set_analog(ctx.io, p, 1)
}
fn cgpio_set_function<W>(ctx: &mut Ctx<'_, W>, p: &mut Params, output: bool) -> Handled {
    let (channel, function) = (usize::from(p.u8()?), p.u8()?);
    let table = if output {
        &mut ctx.io.cgpio_output_functions
    } else {
        &mut ctx.io.cgpio_input_functions
    };
    *table.get_mut(channel).ok_or(WARN_PARAMETER)? = function;
    none()
}
fn cgpio_set_in_fun<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    cgpio_set_function(ctx, p, false)
}
fn cgpio_set_out_fun<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    cgpio_set_function(ctx, p, true)
}
/// The control-box GPIO block of `get_cgpio_state` and the rich report: module state and error, the four
/// digital words (inputs by function / configuration, outputs by function / configuration), two analog inputs,
/// two analog outputs, then the 8 + 8 input and output function bytes of channels 0..7, then of 8..15.
pub fn cgpio_block(io: &ControllerIo) -> Vec<u8> {
    let mut out = vec![0, 0];
    for word in [
        CGPIO_INPUTS_OPEN,
        CGPIO_INPUTS_OPEN,
        io.cgpio_outputs,
        io.cgpio_outputs,
        0,
        0,
    ] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    for word in io.cgpio_analog_outputs {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(&io.cgpio_input_functions[..8]);
    out.extend_from_slice(&io.cgpio_output_functions[..8]);
    out.extend_from_slice(&io.cgpio_input_functions[8..]);
    out.extend_from_slice(&io.cgpio_output_functions[8..]);
    out
}
fn cgpio_get_state<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(cgpio_block(ctx.io))
}
fn get_hd_types<W>(ctx: &mut Ctx<'_, W>, _: &mut Params) -> Handled {
    Ok(vec![device_type(ctx.controller.model()), 0])
}
fn set_feedback_type<W>(ctx: &mut Ctx<'_, W>, p: &mut Params) -> Handled {
    *ctx.feedback_type = p.u8()?;
    none()
}

/// Declares the register table and its dispatch from one list: number, the SDK's `UxbusReg` name, handler.
macro_rules! registers {
    ($($number:literal $name:ident => $handler:ident,)*) => {
        /// Every register answered, with the SDK's name for it, in number order.
        pub const REGISTERS: &[(u8, &str)] = &[$(($number, stringify!($name)),)*];

        fn dispatch<W: TcpWaiter>(register: u8, ctx: &mut Ctx<'_, W>, params: &mut Params) -> Option<Handled> {
            match register {
                $($number => Some($handler(ctx, params)),)*
                _ => None,
            }
        }
    };
}

registers! {
    1 GET_VERSION => get_version,
    2 GET_ROBOT_SN => get_robot_sn,
    3 CHECK_VERIFY => check_verify,
    5 GET_REPORT_TAU_OR_I => get_report_tau_or_i,
    7 GET_ALLOW_APPROX_MOTION => get_allow_approx,
    10 SYSTEM_CONTROL => system_control,
    11 MOTION_EN => motion_enable,
    12 SET_STATE => set_state,
    13 GET_STATE => get_state,
    14 GET_CMDNUM => get_cmdnum,
    15 GET_ERROR => get_error,
    16 CLEAN_ERR => clean_error,
    17 CLEAN_WAR => clean_warn,
    18 SET_BRAKE => set_brake,
    19 SET_MODE => set_mode,
    21 MOVE_LINE => move_line,
    22 MOVE_LINEB => move_lineb,
    23 MOVE_JOINT => move_joint,
    24 MOVE_JOINTB => move_joint,
    25 MOVE_HOME => move_home,
    28 MOVE_LINE_TOOL => move_line_tool,
    31 SET_TCP_JERK => set_tcp_jerk,
    32 SET_TCP_MAXACC => set_tcp_maxacc,
    33 SET_JOINT_JERK => set_joint_jerk,
    34 SET_JOINT_MAXACC => set_joint_maxacc,
    35 SET_TCP_OFFSET => set_tcp_offset,
    36 SET_LOAD_PARAM => set_load,
    37 SET_COLLIS_SENS => set_collision_sens,
    38 SET_TEACH_SENS => set_teach_sens,
    39 CLEAN_CONF => acknowledge,
    40 SAVE_CONF => acknowledge,
    41 GET_TCP_POSE => get_tcp_pose,
    42 GET_JOINT_POS => get_joint_pos,
    43 GET_IK => get_ik,
    44 GET_FK => get_fk,
    45 IS_JOINT_LIMIT => is_joint_limit,
    46 IS_TCP_LIMIT => is_tcp_limit,
    60 SET_COLLIS_REB => set_collision_rebound,
    66 SET_ALLOW_APPROX_MOTION => set_allow_approx,
    70 REPORT_TAU_OR_I => report_tau_or_i,
    73 SET_WORLD_OFFSET => set_world_offset,
    77 SET_SELF_COLLIS_CHECK => set_self_collision,
    79 SET_SIMULATION_ROBOT => set_simulation_robot,
    80 SET_CARTV_CONTINUE => set_cartesian_continuous,
    83 MOVE_RELATIVE => move_relative,
    91 GET_TCP_POSE_AA => get_tcp_pose_aa,
    92 MOVE_LINE_AA => move_line_aa,
    123 TGPIO_MB_TIOUT => tool_modbus_timeout,
    124 RS485_RTU => rs485_rtu,
    125 TGPIO_ERR => tool_error,
    127 TGPIO_W16B => tool_write,
    128 TGPIO_R16B => tool_read,
    131 CGPIO_GET_DIGIT => cgpio_get_digital,
    132 CGPIO_GET_ANALOG1 => cgpio_get_analog,
    133 CGPIO_GET_ANALOG2 => cgpio_get_analog,
    134 CGPIO_SET_DIGIT => cgpio_set_digital,
    135 CGPIO_SET_ANALOG1 => cgpio_set_analog1,
    136 CGPIO_SET_ANALOG2 => cgpio_set_analog2,
    137 CGPIO_SET_IN_FUN => cgpio_set_in_fun,
    138 CGPIO_SET_OUT_FUN => cgpio_set_out_fun,
    139 CGPIO_GET_STATE => cgpio_get_state,
    141 GET_HD_TYPES => get_hd_types,
    240 TGPIO_COM_TIOUT => tool_modbus_timeout,
    253 FEEDBACK_CHECK => acknowledge,
    254 SET_FEEDBACK_TYPE => set_feedback_type,
}

/// The state byte for the controller as it is at `now`: error, warning and "cannot move" bits.
pub fn state_byte<W>(controller: &Controller<W>) -> u8 {
    let (error, warn, ready) = controller.codes();
    let mut state = 0;
    if error != 0 {
        state |= STATE_ERROR;
    }
    if warn != 0 {
        state |= STATE_WARN;
    }
    if !ready {
        state |= STATE_NOT_READY;
    }
    state
}

/// Answers `request`: runs its register's handler (an unknown register raises W13, an unreadable parameter
/// block W12) and returns `(state byte, parameters)`. The connection always stays open.
pub fn handle<W: TcpWaiter>(ctx: &mut Ctx<'_, W>, request: &Request) -> (u8, Vec<u8>) {
    // Moves that ended by now are retired first, so a state read is the state at `now`.
    ctx.controller.advance(ctx.now);
    let mut params = Params(&request.params);
    // With finish feedback on, a move queued by this request sends its end under this request's transaction
    // (the SDK turns the feedback on just for its `wait=True` move, then off again).
    let plain = ctx.waiter.clone();
    let task = ctx.io.feedback_task.wrapping_add(1);
    let tagged = *ctx.feedback_type & FEEDBACK_MOTION_FINISH != 0;
    if tagged {
        ctx.waiter = plain.with_feedback(FeedbackTag {
            transaction: request.transaction,
            protocol: request.protocol,
            register: request.register,
            task,
        });
    }
    let planned = ctx.controller.queued_moves();
    let handled = dispatch(request.register, ctx, &mut params).unwrap_or(Err(WARN_NO_INSTRUCTION));
    ctx.waiter = plain;
    // The task number is taken only by a move that was queued.
    if tagged && ctx.controller.queued_moves() > planned {
        ctx.io.feedback_task = task;
    }
    let params = match handled {
        Ok(params) => params,
        Err(warn) => {
            ctx.controller.raise_warn(ctx.now, warn);
            Vec::new()
        }
    };
    (state_byte(ctx.controller), params)
}

#[cfg(test)]
mod tests;

#!/usr/bin/env python3
"""Drives the simulated xArm with UFactory's own Python SDK (xarm-python-sdk, unchanged) over the controller's
TCP port and report port, and checks what it reads back against the simulator's model (control API) and its
Studio HTTP status. Every step prints one line; the first failure exits 1.

    python3 scripts/xarm_sdk_check.py --tcp-port P --studio-url http://H:P --control-url http://H:P/

The simulator must serve the rich report on 30002 (see below).
"""

import argparse
import json
import math
import sys
import time
import urllib.request

from xarm.core.config.x_config import XCONF
from xarm.wrapper import XArmAPI

STEP_TIMEOUT_S = 60


def fail(message):
    print(f"FAIL {message}", flush=True)
    sys.exit(1)


def ok(message):
    print(f"ok   {message}", flush=True)


def expect(condition, message):
    if not condition:
        fail(message)
    ok(message)


def post(control_url, path, body=None, token=None):
    request = urllib.request.Request(
        control_url.rstrip("/") + path,
        data=json.dumps(body or {}).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def wait_for(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            ok(what)
            return
        time.sleep(0.05)
    fail(f"{what} (not within {timeout} s)")


def close_pose(sdk_pose, model_pose, tol_mm=1e-3, tol_deg=1e-3):
    """SDK pose [x, y, z mm, roll, pitch, yaw deg] against the model's; angles compared modulo 360."""
    for i in range(3):
        if abs(sdk_pose[i] - model_pose[i]) > tol_mm:
            return False
    for i in range(3, 6):
        d = (sdk_pose[i] - model_pose[i] + 180.0) % 360.0 - 180.0
        if abs(d) > tol_deg:
            return False
    return True


def rpy_mat(roll, pitch, yaw):
    """R = Rz(yaw) Ry(pitch) Rx(roll), angles in degrees (the SDK's convention)."""
    r, p, y = (math.radians(a) for a in (roll, pitch, yaw))
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    return [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]


def mat_rpy(m):
    pitch = math.atan2(-m[2][0], math.hypot(m[0][0], m[1][0]))
    return [math.degrees(math.atan2(m[2][1], m[2][2])), math.degrees(pitch), math.degrees(math.atan2(m[1][0], m[0][0]))]


def in_tool_frame(pose, step):
    """pose * step: a step [x, y, z mm, roll, pitch, yaw deg] taken along the TCP's own axes."""
    r = rpy_mat(*pose[3:])
    s = rpy_mat(*step[3:])
    rot = [[sum(r[i][k] * s[k][j] for k in range(3)) for j in range(3)] for i in range(3)]
    pos = [pose[i] + sum(r[i][k] * step[k] for k in range(3)) for i in range(3)]
    return pos + mat_rpy(rot)


def recover(arm):
    """Clean error and warning, enable, position mode, state 0; then wait for the report to say so, as a program
    driving a real arm must (the SDK's `error_code` and `state` come from the 5 Hz report)."""
    arm.clean_error()
    arm.clean_warn()
    arm.motion_enable(enable=True)
    arm.set_mode(0)
    arm.set_state(state=0)
    wait_for(lambda: arm.error_code == 0 and arm.warn_code == 0 and arm.state in (0, 1, 2), "the report shows the arm ready")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tcp-port", type=int, required=True)
    parser.add_argument("--studio-url", required=True, help="the simulator's Studio HTTP base, http://HOST:PORT")
    parser.add_argument("--control-url", required=True)
    parser.add_argument("--control-token")
    args = parser.parse_args()

    # The SDK takes its ports from XCONF.SocketConf: point the control port at the simulator's. The report port
    # stays 30002: the SDK picks its report decoder by that port number (ReportDataStructure.create), so a
    # report socket on another port is read but never decoded.
    XCONF.SocketConf.TCP_CONTROL_PORT = args.tcp_port

    def model():
        return post(args.control_url, "/devices/xarm/state", token=args.control_token)

    # The SDK checks joint limits itself unless told not to; the controller's own refusal is what is checked here.
    arm = XArmAPI(args.host, is_radian=False, check_joint_limit=False)
    expect(arm.connected, "the SDK connects to the controller port")
    wait_for(lambda: arm.axis == 6 and arm.cmd_num == 0 and arm.state in (1, 2, 3, 4), "the rich report arrives")
    expect(arm.version_number[0] >= 2, f"version {arm.version} parsed as {arm.version_number}")
    expect(arm.axis == 6 and arm.device_type == 6, f"an xArm 6 (axis {arm.axis}, type {arm.device_type})")

    recover(arm)
    code, state = arm.get_state()
    expect(code == 0 and state in (0, 2), f"enabled and state 0 set: get_state -> {code}, {state}")

    target = [10.0, -20.0, -30.0, 5.0, 40.0, -15.0]
    # The SDK turns finish feedback on by itself around a wait=True move, but then hands the frame only to its
    # own wait; with the type set through its public call the frame also reaches a registered callback.
    feedback = []
    arm.register_feedback_callback(lambda data: feedback.append(bytes(data)))
    expect(arm.set_feedback_type(2) == 0, "set_feedback_type(2) (motion finished)")
    started_ms = model()["t_ms"]
    started = time.monotonic()
    code = arm.set_servo_angle(angle=target, speed=60, mvacc=600, wait=True, timeout=STEP_TIMEOUT_S)
    returned_ms = started_ms + (time.monotonic() - started) * 1000.0
    expect(code == 0, f"set_servo_angle(wait=True) -> {code}")
    wait_for(lambda: any(f[9] == 23 for f in feedback), "the move's finish feedback frame reaches the SDK")
    frame = next(f for f in feedback if f[9] == 23)
    end_ms = int.from_bytes(frame[13:21], "big") / 1000.0
    expect(frame[8] == 2 and frame[12] == 0 and len(frame) == 21, f"feedback type {frame[8]}, code {frame[12]}")
    late_ms = returned_ms - end_ms
    expect(-20.0 <= late_ms <= 150.0, f"wait=True returned {late_ms:.0f} ms after the move ended (sim time {end_ms:.0f} ms)")
    expect(arm.set_feedback_type(0) == 0, "set_feedback_type(0)")
    code, angles = arm.get_servo_angle()
    expect(code == 0 and all(abs(a - b) < 1e-3 for a, b in zip(angles, target)), f"angles read back {angles[:6]}")
    state = model()
    code, pose = arm.get_position()
    expect(code == 0 and close_pose(pose, state["tcp_pose"]), f"pose {pose} == model FK {state['tcp_pose']}")
    studio = get(args.studio_url.rstrip("/") + "/api/status")
    studio_deg = [math.degrees(q) for q in studio["xarm_joint_radian"]]
    expect(all(abs(a - b) < 1e-3 for a, b in zip(studio_deg, target)), "the Studio status shows the same joints")
    wait_for(lambda: close_pose(arm.position, state["tcp_pose"], 1e-2, 1e-2), "the rich report carries the pose")

    code = arm.set_position(x=10, relative=True, speed=50, mvacc=500, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"relative set_position(x=+10, wait=True) -> {code}")
    after = model()["tcp_pose"]
    moved = [b - a for a, b in zip(state["tcp_pose"], after)]
    expect(abs(moved[0] - 10.0) < 1e-2 and all(abs(d) < 1e-2 for d in moved[1:3]), f"the TCP moved {moved[:3]} mm")
    code, pose = arm.get_position()
    expect(code == 0 and close_pose(pose, after), f"pose {pose} == model FK {after}")

    before = model()["tcp_pose"]
    step = [0.0, 0.0, 20.0, 0.0, 0.0, 10.0]
    code = arm.set_tool_position(*step, speed=50, mvacc=500, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"set_tool_position(z=20, yaw=10, wait=True) -> {code}")
    after = model()["tcp_pose"]
    expected = in_tool_frame(before, step)
    expect(close_pose(after, expected, 1e-2, 1e-3), f"the tool-frame step lands at {after} == {expected}")
    code, pose = arm.get_position()
    expect(code == 0 and close_pose(pose, after), f"pose {pose} == model FK {after}")

    code, aa = arm.get_position_aa()
    expect(code == 0 and all(abs(aa[i] - after[i]) < 1e-3 for i in range(3)), f"get_position_aa -> {aa}")
    lower = list(aa)
    lower[2] -= 15.0
    code = arm.set_position_aa(lower, speed=50, mvacc=500, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"set_position_aa(z-15, wait=True) -> {code}")
    moved = model()["tcp_pose"]
    expect(close_pose(moved, after[:2] + [after[2] - 15.0] + after[3:], 1e-2, 1e-3), f"the axis-angle target is reached: {moved}")
    code = arm.set_position_aa([0, 0, 0, 0, 0, 5], relative=True, speed=50, mvacc=500, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"relative set_position_aa(rz=+5, wait=True) -> {code}")
    turned = model()["tcp_pose"]
    expect(close_pose(turned, moved[:5] + [moved[5] + 5.0], 1e-2, 1e-3), f"a turn of 5 deg about the base z: {turned}")

    expect(arm.set_gripper_enable(True) == 0, "set_gripper_enable(True)")
    expect(arm.set_gripper_speed(5000) == 0, "set_gripper_speed(5000)")
    code = arm.set_gripper_position(300, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"set_gripper_position(300, wait=True) -> {code}")
    code, pos = arm.get_gripper_position()
    expect(code == 0 and abs(pos - 300) <= 1, f"get_gripper_position -> {code}, {pos}")
    expect(abs(model()["gripper_pos"] - 300) <= 1, "the model's gripper is at 300")

    expect(arm.set_cgpio_digital(3, 1) == 0, "set_cgpio_digital(3, 1)")
    code, states = arm.get_cgpio_state()
    expect(code == 0 and (states[5] >> 3) & 1 == 1, f"get_cgpio_state shows output 3 on ({states[5]:#06x})")

    code = arm.set_servo_angle(angle=[90, 0, -60, 0, 60, 0], speed=20, wait=False)
    expect(code == 0, "a slow joint move starts")
    wait_for(lambda: arm.get_state()[1] == 1, "the arm is moving (state 1)")
    arm.emergency_stop()
    code, state = arm.get_state()
    expect(state == 4, f"emergency_stop: state {state}")
    stopped = model()
    time.sleep(0.3)
    expect(model()["joints_deg"] == stopped["joints_deg"], "the arm stays where it stopped")
    recover(arm)
    code = arm.set_servo_angle(angle=target, speed=60, mvacc=600, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0, f"after recovery a move runs again -> {code}")

    code = arm.set_servo_angle(angle=[0, 150, -30, 0, 40, 0], speed=60, wait=True, timeout=STEP_TIMEOUT_S)
    code2, codes = arm.get_err_warn_code()
    expect(code == 1 and codes[0] == 23, f"J2 = 150 deg is refused: code {code}, error/warn {codes}")
    expect(all(abs(a - b) < 1e-3 for a, b in zip(model()["joints_deg"], target)), "the arm did not move")
    recover(arm)
    expect(arm.get_err_warn_code()[1] == [0, 0], "the error is cleared")

    post(args.control_url, "/devices/xarm/collision", token=args.control_token)
    wait_for(lambda: arm.error_code == 31, "the injected collision reaches the SDK as error 31 (report)")
    code, codes = arm.get_err_warn_code()
    expect(codes[0] == 31 and arm.has_error, f"get_err_warn_code -> {codes}")
    code = arm.set_servo_angle(angle=[0, 0, -20, 0, 20, 0], speed=60, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code != 0, f"a move is refused while C31 is raised -> {code}")
    recover(arm)
    code = arm.set_servo_angle(angle=[0, 0, -20, 0, 20, 0], speed=60, wait=True, timeout=STEP_TIMEOUT_S)
    expect(code == 0 and model()["error_code"] == 0, f"after clean_error the arm moves again -> {code}")

    arm.disconnect()
    ok("disconnected")
    print("xarm-sdk: all checks passed", flush=True)


if __name__ == "__main__":
    main()

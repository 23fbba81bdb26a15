@xarm
Feature: xArm requests and responses
  Every request {"cmd","data","id"} is answered {"type":"response","id","code","data"} with its own id; a
  motion answers 100 at once and its final code later; refusals carry the api codes of xarm_api_code.md.

  @XARM-5 @XARM-12
  Scenario: A request is answered with its own id
    Given an xArm connection
    When I send the xArm command "xarm_clear_warn" as "req-1" with '{}'
    Then the xArm answers "req-1" exactly '{"type":"response","id":"req-1","code":0,"data":"ok"}'

  @XARM-5 @XARM-7 @XARM-12 @motion
  Scenario: A motion answers 100 at once and its final code later, with the same id
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_move_joint" as "move-1" with '{"I": 20}'
    Then the xArm answers "move-1" exactly '{"type":"response","id":"move-1","code":100,"data":null}'
    When I watch the xArm until the final answer to "move-1"
    Then the final xArm answer to "move-1" is exactly '{"type":"response","id":"move-1","code":0,"data":"ok"}'
    And the xArm reported state 1 during the motion
    And the next xArm status report has "xarm_state" equal to '2'

  @XARM-6 @XARM-12
  Scenario: An unknown command answers -4
    Given an xArm connection
    When I send the xArm command "xarm_do_a_flip" as "flip" with '{}'
    Then the xArm answers "flip" exactly '{"type":"response","id":"flip","code":-4,"data":"command 'xarm_do_a_flip' does not exist"}'

  @XARM-6 @XARM-12 @motion
  Scenario: A joint target outside the joint limits answers -7 and nothing moves
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_move_joint" as "far" with '{"J": 150}'
    Then the xArm answers "far" exactly '{"type":"response","id":"far","code":-7,"data":"joint angle limit"}'
    And the xArm joints hold still while 500 ms of device time pass

  @XARM-6 @XARM-12 @motion
  Scenario: A Cartesian target outside the TCP limits answers -6 and nothing moves
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_move_arc_line" as "out" with '{"X": 900, "Y": 0, "Z": 200, "A": 180, "M": 0, "B": 0}'
    Then the xArm answers "out" exactly '{"type":"response","id":"out","code":-6,"data":"cartesian pos limit"}'
    And the xArm joints hold still while 500 ms of device time pass

  @XARM-6 @XARM-22 @sim-only
  Scenario: A motion while a controller error is uncleared answers 1
    Given an xArm connection
    And the simulator runs "xarm" command "fault" with '{"code": 22}'
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 10}'
    Then the xArm answers "m" exactly '{"type":"response","id":"m","code":1,"data":"there are errors that have not been cleared"}'
    And the next xArm status report has "xarm_error_code" equal to '22'
    And that xArm status report has "xarm_error" equal to '{"code": 22, "desc": {"en": "Self-Collision Error", "cn": "Self-Collision Error"}}'
    And that xArm status report has "xarm_state" equal to '4'
    When I send the xArm command "xarm_clear_error_warn" as "clear" with '{"mode": 0}'
    Then the xArm answers "clear" with code 0
    And the next xArm status report has "xarm_error_code" equal to '0'
    And that xArm status report has "xarm_state" equal to '2'
    When I send the xArm command "xarm_move_joint" as "again" with '{"I": 10}'
    Then the xArm answers "again" with code 100

  @XARM-6 @XARM-22 @sim-only
  Scenario: A motion while a warning is uncleared answers 2 until xarm_clear_warn
    Given an xArm connection
    And the simulator runs "xarm" command "warn" with '{"code": 11}'
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 10}'
    Then the xArm answers "m" exactly '{"type":"response","id":"m","code":2,"data":"there are warnings that have not been cleared"}'
    And the next xArm status report has "xarm_warn_code" equal to '11'
    And that xArm status report has "xarm_warn" equal to '{"code": 11, "desc": {"en": "uxbux que is full", "cn": "uxbux que is full"}}'
    When I send the xArm command "xarm_clear_warn" as "clear" with '{}'
    Then the xArm answers "clear" with code 0
    And the next xArm status report has "xarm_warn_code" equal to '0'
    When I send the xArm command "xarm_move_joint" as "again" with '{"I": 10}'
    Then the xArm answers "again" with code 100

  @XARM-22 @XARM-5 @sim-only
  Scenario: A collision stops a running motion: its final answer is 1 and the arm is in state 4
    Given an xArm connection
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 60}'
    Then the xArm answers "m" with code 100
    When 200 ms of device time pass
    And the simulated xArm collides with something
    Then the final xArm answer to "m" is exactly '{"type":"response","id":"m","code":1,"data":"there are errors that have not been cleared"}'
    And the next xArm status report has "xarm_state" equal to '4'
    And that xArm status report has "xarm_error" equal to '{"code": 31, "desc": {"en": "Collision Caused Abnormal Current", "cn": "Collision Caused Abnormal Current"}}'
    And the xArm joints hold still while 500 ms of device time pass
    When I send the xArm command "xarm_clear_error_warn" as "clear" with '{"mode": 0}'
    Then the xArm answers "clear" with code 0
    And the next xArm status report has "xarm_state" equal to '2'
    And that xArm status report has "xarm_error_code" equal to '0'

  @XARM-23 @XARM-12
  Scenario Outline: The documented command <cmd>, which the simulator does not model, answers 11
    Given an xArm connection
    When I send the xArm command "<cmd>" as "n" with '{}'
    Then the xArm answers "n" exactly '{"type":"response","id":"n","code":11,"data":"'<cmd>' is documented but not simulated"}'

    Examples:
      | cmd                    |
      | run_blockly            |
      | xarm_set_cgpio_digital |
      | xarm_set_reduced_mode  |
      | xarm_move_circle       |
      | run_python_program     |

  @XARM-23
  Scenario: Settings commands answer 0 and show in the next report
    Given an xArm connection
    When I send the xArm command "xarm_set_simulation_robot" as "sim" with '{"on_off": true}'
    And I send the xArm command "start_motion_callback" as "cb" with '{"is_open": "true"}'
    And I send the xArm command "xarm_set_bio_gripper_enable" as "bio" with '{"enable": 1}'
    And I send the xArm command "xarm_set_motion_config" as "cfg" with '{"posStep": 5, "jointStep": "2", "collSens": 4, "tcpAcc": 0}'
    Then the xArm answers "sim" with code 0
    And the xArm answers "cb" with code 0
    And the xArm answers "bio" with code 0
    And the xArm answers "cfg" with code 0
    And the next xArm status report has "xarm_is_simulation_robot" equal to 'true'
    And that xArm status report has "xarm_motion_is_callback" equal to 'true'
    And that xArm status report has "bio_gripper_is_enabled" equal to 'true'
    And that xArm status report has "xarm_position_step" equal to '5'
    And that xArm status report has "xarm_joint_step" equal to '2'
    And that xArm status report has "xarm_collision_sensitivity" equal to '4'
    When I send the xArm command "xarm_set_simulation_robot" as "sim-off" with '{"on_off": false}'
    And I send the xArm command "xarm_set_motion_config" as "cfg-back" with '{"posStep": 10, "jointStep": 5, "collSens": 3}'
    Then the xArm answers "sim-off" with code 0
    And the xArm answers "cfg-back" with code 0

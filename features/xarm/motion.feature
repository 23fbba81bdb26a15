@xarm @motion
Feature: xArm motion
  Joint moves, line moves and Live Control steps: each answers 100 at once and its final code later, the
  joints stay within their limits and the TCP pose stays the forward kinematics of the joints throughout.

  @XARM-13 @XARM-4 @XARM-10 @XARM-7
  Scenario: A joint move reaches its target within the limits and the speed, with the TCP on FK throughout
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": "90", "J": "-60", "K": "-150", "L": 0, "M": "80", "N": "0", "R": 0, "F": "0", "Q": "300", "isControl": true, "isClickMove": false, "wait": false}'
    Then the xArm answers "m" with code 100
    When I watch the xArm until the final answer to "m"
    Then the final xArm answer to "m" is code 0
    And every xArm report during the motion has its joints within the model's limits
    And every xArm report during the motion has the TCP pose at the forward kinematics of its joints
    And no xArm joint turned faster than 180 deg/s times the speed percent during the motion
    And the xArm reported state 1 during the motion
    And the xArm joints are at 90, -60, -150, 0, 80, 0 within 0.001 deg

  @XARM-13
  Scenario: A missing letter keeps its joint, and F limits the speed
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "m1" with '{"I": 30, "K": -30}'
    Then the final xArm answer to "m1" is code 0
    Given I note the xArm status
    When I send the xArm command "xarm_move_joint" as "m2" with '{"J": 10, "F": 20}'
    And I watch the xArm until the final answer to "m2"
    Then the final xArm answer to "m2" is code 0
    And no xArm joint turned faster than 20 deg/s times the speed percent during the motion
    And the xArm joints have moved by 0, 10, 0, 0, 0, 0 deg since the noted status, within 0.001 deg

  @XARM-14 @XARM-10
  Scenario: A line move goes straight to its target pose
    Given an xArm connection
    And the xArm is ready at its joint home
    And I note the xArm status
    When I send the xArm command "xarm_move_arc_line" as "line" with '{"X": 300, "Y": 100, "Z": 250, "A": 180, "M": 0, "B": 0, "F": 100}'
    Then the xArm answers "line" with code 100
    When I watch the xArm until the final answer to "line"
    Then the final xArm answer to "line" is code 0
    And the xArm TCP stayed within 0.5 mm of the straight line from the noted pose to [300, 100, 250] during the motion
    And every xArm report during the motion has the TCP pose at the forward kinematics of its joints
    And every xArm report during the motion has its joints within the model's limits
    And the xArm TCP pose is at [300, 100, 250, 180, 0, 0] within 0.01 mm and 0.01 deg

  @XARM-14
  Scenario: A relative line move adds to the pose; B and C spell pitch and yaw when C is given
    Given an xArm connection
    And the xArm is ready at its joint home
    And I note the xArm status
    When I send the xArm command "xarm_move_arc_line" as "down" with '{"X": 0, "Y": 0, "Z": -20, "A": 0, "B": 0, "C": 0, "relative": true}'
    Then the final xArm answer to "down" is code 0
    And the xArm TCP has moved by [0, 0, -20] mm since the noted status, within 0.01 mm

  @XARM-15
  Scenario: One position step moves the TCP by xarm_position_step along the base axis
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_set_motion_config" as "cfg" with '{"posStep": 10}'
    Then the xArm answers "cfg" with code 0
    Given I note the xArm status
    When I send the xArm command "xarm_move_step" as "step" with '{"direction": "position-x-increase", "isLoop": false, "isMoveTool": false}'
    Then the xArm answers "step" with code 100
    And the final xArm answer to "step" is code 0
    And the xArm TCP has moved by [10, 0, 0] mm since the noted status, within 0.01 mm

  @XARM-15
  Scenario: A joint step turns joint `axis` by xarm_joint_step
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_set_motion_config" as "cfg" with '{"jointStep": 5}'
    Then the xArm answers "cfg" with code 0
    Given I note the xArm status
    When I send the xArm command "xarm_move_step" as "step" with '{"direction": "joint-angle-increase", "axis": 2}'
    Then the final xArm answer to "step" is code 0
    And the xArm joints have moved by 0, 5, 0, 0, 0, 0 deg since the noted status, within 0.001 deg

  @XARM-15
  Scenario: A long press repeats steps until xarm_move_step_over
    Given an xArm connection
    And the xArm is ready at its joint home
    And I note the xArm status
    When I send the xArm command "xarm_move_step" as "press" with '{"direction": "position-z-increase", "isLoop": true}'
    Then the xArm answers "press" with code 100
    When 100 ms of device time pass
    And I send the xArm command "xarm_move_step_online" as "alive-1" without data
    And 100 ms of device time pass
    And I send the xArm command "xarm_move_step_online" as "alive-2" without data
    And 100 ms of device time pass
    And I send the xArm command "xarm_move_step_over" as "over" without data
    Then the xArm answers "alive-1" with code 0
    And the xArm answers "over" with code 0
    And the final xArm answer to "press" is code 0
    And the next xArm status report has "xarm_state" equal to '2'
    And the xArm TCP has moved up by more than 15 mm since the noted status

  @XARM-15 @XARM-12
  Scenario Outline: The step <direction> is refused with 12
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_move_step" as "step" with '{"direction": "<direction>"}'
    Then the xArm answers "step" exactly '{"type":"response","id":"step","code":12,"data":"<message>"}'

    Examples:
      | direction            | message                       |
      | sideways             | unknown direction 'sideways'  |
      | position-w-increase  | unknown direction 'position-w-increase' |
      | joint-angle-increase | missing 'axis'                |

  @XARM-17 @XARM-7
  Scenario: A pause holds the arm; resuming finishes the move on its target
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 45}'
    Then the xArm answers "m" with code 100
    When 300 ms of device time pass
    And I send the xArm command "xarm_set_state" as "pause" with '{"state": 3}'
    Then the xArm answers "pause" with code 0
    And the next xArm status report has "xarm_state" equal to '3'
    And that xArm status report has "xarm_paused" equal to 'true'
    And the xArm joints hold still while 1000 ms of device time pass
    When I send the xArm command "xarm_move_joint" as "meanwhile" with '{"I": 0}'
    Then the xArm answers "meanwhile" exactly '{"type":"response","id":"meanwhile","code":9,"data":"state is not ready to move"}'
    When I send the xArm command "xarm_set_state" as "resume" with '{"state": 0}'
    Then the xArm answers "resume" with code 0
    And the final xArm answer to "m" is code 0
    And the xArm joints are at 45, 0, 0, 0, 0, 0 within 0.001 deg

  @XARM-18 @XARM-5
  Scenario: Motions sent during a move queue, each from the previous target, and finish in order
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "q1" with '{"I": 30}'
    And I send the xArm command "xarm_move_joint" as "q2" with '{"I": -30}'
    And I send the xArm command "xarm_move_joint" as "q3" with '{"J": 10}'
    Then the xArm answers "q1" with code 100
    And the xArm answers "q2" with code 100
    And the xArm answers "q3" with code 100
    And the final xArm answers arrived in the order q1, q2, q3
    And the final xArm answer to "q1" is code 0
    And the final xArm answer to "q2" is code 0
    And the final xArm answer to "q3" is code 0
    And the xArm joints are at -30, 10, 0, 0, 0, 0 within 0.001 deg

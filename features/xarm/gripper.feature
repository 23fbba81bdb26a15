@xarm
Feature: xArm Gripper
  xarm_set_gripper_position takes 0..850 (850 = open); with wait it answers 100 and 0 on arrival.

  @XARM-9 @XARM-12
  Scenario Outline: A gripper position of <pos> answers 12
    Given an xArm connection
    When I send the xArm command "xarm_set_gripper_position" as "g" with '{"enable": true, "pos": <pos>, "wait": false, "speed": 3000}'
    Then the xArm answers "g" exactly '{"type":"response","id":"g","code":12,"data":"<message>"}'

    Examples:
      | pos   | message                          |
      | 900   | pos must be within 0..850, not 900 |
      | "851" | pos must be within 0..850, not 851 |
      | -5    | pos must be within 0..850, not -5  |

  @XARM-19 @XARM-12
  Scenario: A gripper speed of 0 answers 12
    Given an xArm connection
    When I send the xArm command "xarm_set_gripper_position" as "g" with '{"enable": true, "pos": 400, "speed": 0}'
    Then the xArm answers "g" exactly '{"type":"response","id":"g","code":12,"data":"speed must be positive, not 0"}'

  @XARM-19 @XARM-5 @motion
  Scenario: With wait the gripper answers 100, then 0 when it arrives
    Given an xArm connection
    When I send the xArm command "xarm_set_gripper_position" as "g" with '{"enable": true, "pos": "300", "wait": true, "speed": 5000}'
    Then the xArm answers "g" with code 100
    And the final xArm answer to "g" is exactly '{"type":"response","id":"g","code":0,"data":"ok"}'
    And the next xArm status report has "xarm_gripper_is_enable" equal to 'true'

  @XARM-19 @motion
  Scenario: Without wait the gripper answers 0 at once; enable false disables it
    Given an xArm connection
    When I send the xArm command "xarm_set_gripper_position" as "g" with '{"enable": true, "pos": 850, "wait": false}'
    Then the xArm answers "g" exactly '{"type":"response","id":"g","code":0,"data":"ok"}'
    And the next xArm status report has "xarm_gripper_is_enable" equal to 'true'
    When I send the xArm command "xarm_set_gripper_position" as "off" with '{"enable": false, "pos": 850}'
    Then the xArm answers "off" with code 0
    And the next xArm status report has "xarm_gripper_is_enable" equal to 'false'

  @XARM-9 @XARM-19 @sim-only
  Scenario: The gripper converges monotonically on its target
    Given an xArm connection
    When I send the xArm command "xarm_set_gripper_position" as "g" with '{"enable": true, "pos": 300, "wait": false, "speed": 2000}'
    Then the xArm answers "g" with code 0
    And the simulated gripper moves monotonically to 300 while 2000 ms of device time pass

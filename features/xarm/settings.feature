@xarm
Feature: xArm speed, modes and the emergency-stop latch of an idle arm
  Live Control's speed percent, position and manual mode, and the emergency-stop latch on an idle arm. The
  scenarios that send a motion the arm must refuse are tagged @motion all the same.

  @XARM-8
  Scenario: A speed percent above 1 is clamped to 1 and echoed
    Given an xArm connection
    When I send the xArm command "xarm_set_speed" as "fast" with '{"percent": 4}'
    Then the xArm answers "fast" with code 0
    And the next xArm status report has "xarm_speed_percent" equal to '1'
    When I send the xArm command "xarm_set_speed" as "half" with '{"percent": "0.5"}'
    Then the xArm answers "half" with code 0
    And the next xArm status report has "xarm_speed_percent" equal to '0.5'

  @XARM-21
  Scenario: A speed percent below 0.01 becomes 0.01
    Given an xArm connection
    When I send the xArm command "xarm_set_speed" as "slow" with '{"percent": 0.001}'
    Then the xArm answers "slow" with code 0
    And the next xArm status report has "xarm_speed_percent" equal to '0.01'
    When I send the xArm command "xarm_set_speed" as "half" with '{"percent": 0.5}'
    Then the xArm answers "half" with code 0

  @XARM-21 @XARM-12
  Scenario Outline: A speed percent of <percent> answers 12 and changes nothing
    Given an xArm connection
    When I send the xArm command "xarm_set_speed" as "set" with '{"percent": 0.5}'
    And I send the xArm command "xarm_set_speed" as "bad" with '{"percent": <percent>}'
    Then the xArm answers "bad" exactly '{"type":"response","id":"bad","code":12,"data":"<message>"}'
    And the next xArm status report has "xarm_speed_percent" equal to '0.5'

    Examples:
      | percent | message                              |
      | 0       | parameter error                      |
      | -1      | parameter error                      |

  @XARM-21 @XARM-12
  Scenario: A speed percent that is not a number answers 12 naming the field
    Given an xArm connection
    When I send the xArm command "xarm_set_speed" as "bad" with '{"percent": "fast"}'
    Then the xArm answers "bad" exactly '{"type":"response","id":"bad","code":12,"data":"'percent' must be a number, not \"fast\""}'

  @XARM-20 @motion
  Scenario: Manual mode refuses motions until position mode is back
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_switch_mode" as "manual" with '{"mode": 2}'
    Then the xArm answers "manual" with code 0
    And the next xArm status report has "xarm_mode" equal to '2'
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 10}'
    Then the xArm answers "m" exactly '{"type":"response","id":"m","code":9,"data":"state is not ready to move"}'
    When I send the xArm command "xarm_switch_mode" as "position" with '{"mode": 0}'
    Then the xArm answers "position" with code 0
    And the next xArm status report has "xarm_mode" equal to '0'
    And that xArm status report has "xarm_state" equal to '2'
    And that xArm status report has "xarm_is_ready" equal to 'true'

  @XARM-20 @XARM-12
  Scenario: A mode other than 0 or 2 answers 12
    Given an xArm connection
    When I send the xArm command "xarm_switch_mode" as "servo" with '{"mode": 1}'
    Then the xArm answers "servo" exactly '{"type":"response","id":"servo","code":12,"data":"mode must be 0 (position) or 2 (manual), not 1"}'

  @XARM-16 @XARM-7 @motion
  Scenario: xarm_clear_error alone lifts the e-stop latch but leaves motion disabled
    Given an xArm connection
    And the xArm is ready to move
    When I send the xArm command "xarm_urgent_stop" as "stop" without data
    Then the xArm answers "stop" with code 0
    And the next xArm status report has "xarm_state" equal to '4'
    When I send the xArm command "xarm_clear_error" as "clear" without data
    Then the xArm answers "clear" with code 0
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 5}'
    Then the xArm answers "m" exactly '{"type":"response","id":"m","code":-2,"data":"xArm is not ready, may be the motion is not enable or not set state"}'
    When I send the xArm command "xarm_clear_error_warn" as "enable" with '{"mode": 0}'
    Then the xArm answers "enable" with code 0
    And the next xArm status report has "xarm_state" equal to '2'
    And that xArm status report has "xarm_is_ready" equal to 'true'

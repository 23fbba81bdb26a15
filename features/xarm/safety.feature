@xarm @motion
Feature: xArm stops
  An emergency stop ends running motions with -9 and latches until errors are cleared and the arm enabled;
  xarm_set_state 4 stops without latching.

  @XARM-7 @XARM-16 @XARM-5
  Scenario: An emergency stop latches until xarm_clear_error_warn
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 120}'
    Then the xArm answers "m" with code 100
    When 500 ms of device time pass
    And I send the xArm command "xarm_urgent_stop" as "stop" without data
    Then the xArm answers "stop" with code 0
    And the final xArm answer to "m" is exactly '{"type":"response","id":"m","code":-9,"data":"emergency stop"}'
    And the next xArm status report has "xarm_state" equal to '4'
    And that xArm status report has "xarm_is_ready" equal to 'false'
    And that xArm status report has "xarm_mtbrake" equal to '[0, 0, 0, 0, 0, 0, 0, 0]'
    When I send the xArm command "xarm_move_joint" as "again" with '{"I": 0}'
    Then the xArm answers "again" exactly '{"type":"response","id":"again","code":-9,"data":"emergency stop"}'
    When I send the xArm command "xarm_set_state" as "go" with '{"state": 0}'
    Then the xArm answers "go" with code -9
    And the xArm joints hold still while 1000 ms of device time pass
    When I send the xArm command "xarm_clear_error_warn" as "enable" with '{"mode": 0}'
    Then the xArm answers "enable" with code 0
    And the next xArm status report has "xarm_state" equal to '2'
    And that xArm status report has "xarm_is_ready" equal to 'true'
    And that xArm status report has "xarm_mtbrake" equal to '[1, 1, 1, 1, 1, 1, 0, 0]'
    When I send the xArm command "xarm_move_joint" as "home" with '{"I": 0}'
    Then the xArm answers "home" with code 100
    And the final xArm answer to "home" is code 0

  @XARM-7 @XARM-16
  Scenario: xarm_set_state 4 stops a move without latching
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 60}'
    Then the xArm answers "m" with code 100
    When 300 ms of device time pass
    And I send the xArm command "xarm_set_state" as "stop" with '{"state": 4}'
    Then the xArm answers "stop" with code 0
    And the final xArm answer to "m" is code -9
    And the next xArm status report has "xarm_state" equal to '4'
    When I send the xArm command "xarm_move_joint" as "refused" with '{"I": 0}'
    Then the xArm answers "refused" with code 9
    When I send the xArm command "xarm_set_state" as "go" with '{"state": 0}'
    Then the xArm answers "go" with code 0
    And the next xArm status report has "xarm_state" equal to '2'
    When I send the xArm command "xarm_move_joint" as "again" with '{"I": 0}'
    Then the xArm answers "again" with code 100
    And the final xArm answer to "again" is code 0

@xarm-tcp
Feature: xArm report ports 30000-30003
  Each report port sends its binary report at its rate: a U32 size, then state and mode, the command count,
  joints, pose, ... in the layout the SDK decodes, sampled from the same arm as the controller port.

  @XTCP-10
  Scenario Outline: Each report port sends reports of its size, one per period of device time
    Given a connection to the <port> report port
    When I read 4 reports
    Then every report is <size> bytes, its size field says so, and state and mode are valid

    Examples:
      | port      | size |
      | real-time | 804  |
      | normal    | 145  |
      | rich      | 481  |
      | real      | 135  |

  @XTCP-11
  Scenario Outline: A report carries the joints the controller port reads
    Given a connection to the controller port
    And a connection to the <port> report port
    When I read 1 report
    Then the last report's joints are those of register 42

    Examples:
      | port      |
      | real-time |
      | rich      |

  @XTCP-12 @sim-only
  Scenario: A report sent 250 ms of device time later shows a fault raised meanwhile
    Given a connection to the controller port
    And a connection to the normal report port
    When I read 1 report
    And the simulator runs "xarm" command "collision" with '{}'
    And 250 ms of device time pass
    And I read 1 report
    Then the last report's error code is 31

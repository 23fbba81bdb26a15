@xarm
Feature: xArm bad input
  A message that cannot be run answers 12 (parameter error) with a message naming the problem and the id
  echoed (null when there is none); the connection stays open and no other connection notices.

  @XARM-24 @XARM-12
  Scenario: Text that is not JSON
    Given an xArm connection
    When I send the xArm text 'this is not json'
    Then the xArm answer to that frame is exactly '{"type":"response","id":null,"code":12,"data":"message is not valid JSON"}'

  @XARM-24 @XARM-12
  Scenario: JSON that is not an object
    Given an xArm connection
    When I send the xArm text '[1, 2]'
    Then the xArm answer to that frame is exactly '{"type":"response","id":null,"code":12,"data":"message must be a JSON object {\"cmd\", \"data\", \"id\"}"}'

  @XARM-24 @XARM-12
  Scenario: A request without an id
    Given an xArm connection
    When I send the xArm text '{"cmd":"xarm_clear_warn","data":{}}'
    Then the xArm answer to that frame is exactly '{"type":"response","id":null,"code":12,"data":"missing 'id'"}'

  @XARM-24 @XARM-12
  Scenario: A request without a cmd keeps its id
    Given an xArm connection
    When I send the xArm text '{"id":"x1","data":{}}'
    Then the xArm answer to that frame is exactly '{"type":"response","id":"x1","code":12,"data":"missing 'cmd'"}'

  @XARM-24 @XARM-12
  Scenario: A data that is not an object
    Given an xArm connection
    When I send the xArm text '{"cmd":"xarm_clear_warn","data":[1],"id":"x2"}'
    Then the xArm answer to that frame is exactly '{"type":"response","id":"x2","code":12,"data":"'data' must be an object"}'

  @XARM-24 @XARM-5
  Scenario: A numeric id is echoed as it came, and data may be left out
    Given an xArm connection
    When I send the xArm text '{"cmd":"xarm_clear_warn","id":7}'
    Then the xArm answer to that frame is exactly '{"type":"response","id":7,"code":0,"data":"ok"}'

  @XARM-24 @XARM-12
  Scenario Outline: A bad field of <cmd> answers 12 naming it
    Given an xArm connection
    When I send the xArm command "<cmd>" as "bad" with '<data>'
    Then the xArm answers "bad" exactly '{"type":"response","id":"bad","code":12,"data":"<message>"}'

    Examples:
      | cmd               | data              | message                                                          |
      | xarm_set_state    | {"state": 5}      | state must be 0, 3 or 4, not 5                                   |
      | xarm_move_joint   | {"F": 10}         | no joint angle given (fields I, J, K, L, M, N, O in degrees)     |
      | xarm_move_joint   | {"I": [1]}        | 'I' must be a number, not [1]                                    |
      | xarm_move_step    | {}                | missing 'direction'                                              |
      | xarm_set_speed    | {}                | missing 'percent'                                                |
      | xarm_move_arc_line | {"X": 300}       | missing 'Y'                                                      |

  @XARM-24
  Scenario: A binary frame holding JSON is read like text
    Given an xArm connection
    When I send the xArm binary frame '{"cmd":"xarm_clear_warn","id":"bin"}'
    Then the xArm answer to that frame is exactly '{"type":"response","id":"bin","code":0,"data":"ok"}'

  @XARM-24
  Scenario: A binary frame that is not UTF-8 answers 12
    Given an xArm connection
    When I send the xArm binary bytes ff 00 13
    Then the xArm answer to that frame is exactly '{"type":"response","id":null,"code":12,"data":"message is not valid JSON"}'

  @XARM-24 @XARM-4
  Scenario: Bad input disturbs no one, and the connection stays open
    Given an xArm connection
    And another xArm connection b
    When I send the xArm text 'this is not json'
    Then the xArm answer to that frame has code 12
    When I send the xArm binary bytes ff fe
    Then the xArm answer to that frame has code 12
    When I send the xArm text '{"cmd":"xarm_do_a_flip","id":"x","data":{}}'
    Then the xArm answer to that frame has code -4
    And an xArm status report on connection b soon has "current_clients_count" equal to '2'
    When I send the xArm command "xarm_clear_warn" as "ok-b" with '{}' on connection b
    And I send the xArm command "xarm_clear_warn" as "ok-main" with '{}'
    Then the xArm answers "ok-b" with code 0
    And the xArm answers "ok-main" with code 0

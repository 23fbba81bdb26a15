@xarm
Feature: xArm socket, opening reports and status reports
  Studio's WebSocket at /ws opens with the keys report, then the info report and a first status report, and
  then sends status reports whose values line up with the keys, one report per interval.

  @XARM-1
  Scenario: Studio's query parameters are accepted and ignored
    Given an xArm connection with the query "channel=prod&lang=en&v=1&id=1700000000000"
    Then each of the next 2 xArm status reports has one value per key, each of its key's type

  @XARM-1 @XARM-25
  Scenario: The socket lives only at /ws
    When I ask to upgrade to a WebSocket at "/socket" on the xarm
    Then the HTTP status is 404

  @XARM-2
  Scenario: The seed's 91 keys come first, once each, in seed order
    Given an xArm connection
    Then no xArm status report came before the keys report

  @XARM-3 @XARM-4
  Scenario: Every status report has one value per key, each of its key's type
    Given an xArm connection
    Then each of the next 5 xArm status reports has one value per key, each of its key's type

  @XARM-3
  Scenario: Status reports keep coming
    Given an xArm connection
    When 1000 ms of device time pass
    Then at least 5 xArm status reports arrived meanwhile

  @XARM-3 @sim-only
  Scenario: The declared interval: exactly one report per 100 ms of simulated time
    Given an xArm connection
    Then exactly 10 xArm status reports arrive in 1000 ms of simulated time advanced 10 ms at a time

  @XARM-4
  Scenario: current_clients_count counts the open sockets
    Given an xArm connection
    And another xArm connection b
    And another xArm connection c
    Then an xArm status report on connection main soon has "current_clients_count" equal to '3'
    When I close the xArm connection b
    Then an xArm status report on connection main soon has "current_clients_count" equal to '2'
    And the next xArm status report on connection c has "current_clients_count" equal to '2'

  @XARM-11
  Scenario: The keys, the info and a first status report open the connection, and the info matches the reports
    Given an xArm connection with the query "channel=prod&lang=en&v=1&id=1700000000000"
    Then the first xArm frames are the keys report, the info report and a status report
    And each of the next 2 xArm status reports has one value per key, each of its key's type

  @XARM-11 @sim-only
  Scenario: The simulated arm is an xArm 6 with firmware 2.5.0
    Given an xArm connection
    Then the xArm info report has "xarm_type" equal to '"xarm6"'
    And the xArm info report has "xarm_axis" equal to '6'
    And the xArm info report has "xarm_version_number" equal to '[2, 5, 0]'
    And the xArm info report has "core_version" equal to '"2.5.0"'
    And the xArm info report has "xarm_port_name" equal to '"127.0.0.1"'

  @XARM-25
  Scenario: GET /api/status answers the current sample keyed by name
    Given an xArm connection
    When I GET "/api/status" from the xarm
    Then the HTTP status is 200
    And the HTTP header "content-type" is "application/json"
    And the HTTP body is an xArm status object keyed like the keys report

  @XARM-25 @XARM-11
  Scenario: GET /api/info answers the info report's data
    Given an xArm connection
    When I GET "/api/info" from the xarm
    Then the HTTP status is 200
    And the HTTP body is the xArm info report's data

  @XARM-25
  Scenario Outline: <path> is not served over HTTP
    When I GET "<path>" from the xarm
    Then the HTTP status is 404
    And the HTTP body matches the schema "xarm/http-error"
    And the HTTP body is '{"code":404,"error":"not found","path":"<path>"}'

    Examples:
      | path          |
      | /api/teleport |
      | /ws           |
      | /             |

  @XARM-25
  Scenario: Another method on a served route answers 405
    When I send HTTP POST "/api/status" to the xarm
    Then the HTTP status is 405
    And the HTTP body matches the schema "xarm/http-error"
    And the HTTP body is '{"code":405,"error":"method not allowed","path":"/api/status"}'

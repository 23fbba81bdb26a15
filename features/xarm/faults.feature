@xarm
Feature: Network faults on the xArm socket
  The simulator's serve layer can cut any socket. The arm behind it does not notice: a client that
  reconnects finds it where it left it.

  @XARM-27 @sim-only
  Scenario: A client whose connection is reset reconnects to the same pose
    Given an xArm connection
    And the xArm is ready at its joint home
    When I send the xArm command "xarm_move_joint" as "m" with '{"I": 30, "J": -20}'
    Then the final xArm answer to "m" is code 0
    When the xarm socket resets the connection
    Then connection main is reset
    Given an xArm connection
    Then the xArm joints are at 30, -20, 0, 0, 0, 0 within 0.001 deg

  @XARM-27 @sim-only
  Scenario: A refused handshake is answered with its status, and the next one is served
    Given the xarm socket refuses the next handshake with HTTP 503
    Then an upgrade to the xarm is refused with HTTP 503
    Given an xArm connection
    Then the first xArm frames are the keys report, the info report and a status report

  @XARM-27 @sim-only
  Scenario: A delayed answer is held for exactly the delay of device time
    Given an xArm connection
    And the xarm socket delays every frame by 200 ms
    When I send '{"cmd":"xarm_get_version","data":{},"id":"v"}' on connection main
    Then the next frame on connection main is held until 200 ms of device time pass

  @XARM-28 @sim-only
  Scenario: The HTTP exchanges of the arm's port take their own faults; its socket is untouched
    Given the network fault "stall:250ms@xarm/http" is injected
    Then a GET of "/api/info" from the xarm is answered only once 250 ms of device time pass
    And the HTTP status is 200
    Given the network fault "refuse:502@xarm/http" is injected
    When I GET "/api/info" from the xarm
    Then the HTTP status is 502
    And the HTTP body is 'refused by a fault'
    When I GET "/api/info" from the xarm
    Then the HTTP status is 200
    Given an xArm connection
    Then the first xArm frames are the keys report, the info report and a status report

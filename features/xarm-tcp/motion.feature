@xarm-tcp
Feature: xArm motion through port 502
  Moves take radians (joints) or millimetres and radians (poses) as little-endian FP32; a move answers the
  command count at once and runs in the controller's queue; a refused target raises a controller error.

  @XTCP-13 @motion
  Scenario: A joint move runs to its target, moving (state 1) then idle (state 2)
    Given a connection to the controller port
    When I send register 11 with 'u8:8 u8:1'
    And I send register 19 with 'u8:0'
    And I send register 12 with 'u8:0'
    Then the controller's motion state is 2
    When I send register 23 with 'f32:0.2 f32:-0.1 f32:-0.2 f32:0 f32:0.3 f32:0 f32:0 f32:0.5 f32:5 f32:0'
    Then the answer's state byte has error clear
    And the answer parameters are 'u16:1'
    And the controller's motion state is 1
    When 5000 ms of device time pass
    Then the controller's motion state is 2
    And the joints are 'f32:0.2 f32:-0.1 f32:-0.2 f32:0 f32:0.3 f32:0 f32:0' rad

  @XTCP-14 @motion
  Scenario: A joint target outside the limits raises C23 and the arm does not move
    Given a connection to the controller port
    When I send register 12 with 'u8:0'
    And I note the joints
    And I send register 23 with 'f32:0 f32:2.6 f32:0 f32:0 f32:0 f32:0 f32:0 f32:0.5 f32:5 f32:0'
    Then the answer's state byte has error set
    And the controller reports error 23 and warning 0
    When 1000 ms of device time pass
    Then the joints are the noted ones
    When I send register 16
    And I send register 11 with 'u8:8 u8:1'
    And I send register 12 with 'u8:0'
    Then the answer's state byte has error clear
    And the controller reports error 0 and warning 0

  @XTCP-16 @motion
  Scenario: Stop (state 4) halts a move where it is; state 0 makes the arm ready again
    Given a connection to the controller port
    When I send register 12 with 'u8:0'
    And I send register 23 with 'f32:1 f32:0 f32:0 f32:0 f32:0 f32:0 f32:0 f32:0.2 f32:2 f32:0'
    And 500 ms of device time pass
    And I send register 12 with 'u8:4'
    Then the answer's state byte has not-ready set
    And the controller's motion state is 4
    When I note the joints
    And 1000 ms of device time pass
    Then the joints are the noted ones
    When I send register 12 with 'u8:0'
    Then the answer's state byte has not-ready clear
    And the controller's motion state is 2

  @XTCP-17 @sim-only
  Scenario: An injected collision raises C31 in every answer's state byte
    Given a connection to the controller port
    When the simulator runs "xarm" command "collision" with '{}'
    And I send register 13
    Then the answer's state byte has error set
    And the controller reports error 31 and warning 0
    When I send register 16
    Then the answer's state byte has error clear

  @XTCP-18 @motion
  Scenario: With finish feedback on, a move's end is fed back under the move's own transaction
    Given a connection to the controller port
    When I send register 11 with 'u8:8 u8:1'
    And I send register 19 with 'u8:0'
    And I send register 12 with 'u8:0'
    And I send register 254 with 'u8:2'
    And I send register 23 with 'f32:0.1 f32*6:0 f32:0.5 f32:5 f32:0'
    And I note that request as the move
    And I send register 254 with 'u8:0'
    And 3000 ms of device time pass
    Then a finish feedback frame for the move arrives with code 0
    And the controller's motion state is 2

  @XTCP-19 @motion
  Scenario: A move in the tool frame steps along the TCP's own axes
    Given a connection to the controller port
    When I send register 12 with 'u8:0'
    And I send register 23 with 'f32:0 f32:-0.3 f32:-0.5 f32:0 f32:0.8 f32:0 f32:0 f32:0.5 f32:5 f32:0'
    And 5000 ms of device time pass
    And I note the TCP pose
    And I send register 21 with 'f32:0 f32:0 f32:20 f32:0 f32:0 f32:0.2 f32:100 f32:1000 f32:0 f32:-1 u8:1 u8:0 u8:0'
    Then the answer's state byte has error clear
    When 5000 ms of device time pass
    Then the TCP pose is the noted one moved by 'f32:0 f32:0 f32:20 f32:0 f32:0 f32:0.2' in the tool frame

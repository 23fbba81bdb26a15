@endrpi
Feature: Network faults on the Endrpi socket
  The simulator's serve layer can delay, stall, corrupt and cut any socket's frames. A fault on one
  connection leaves the others and the board alone.

  @ENDRPI-35 @sim-only
  Scenario: A delayed reply is held for the delay, then arrives whole
    Given an Endrpi connection
    And the endrpi socket delays every frame by 200 ms
    When I send '{"action":"READ_UPTIME"}' on connection main
    Then the next frame on connection main is held until 200 ms of device time pass
    And the reply is a success for READ_UPTIME

  @ENDRPI-35 @sim-only
  Scenario: A stalled connection does not delay another one, and gets its reply once the stall ends
    Given an Endrpi connection
    And the endrpi socket stalls for 1000 ms
    And another Endrpi connection b
    When I send '{"action":"READ_UPTIME"}' on connection main
    And I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    Then the reply on connection b is a success for READ_UPTIME
    And the next frame on connection main is held until 1000 ms of device time pass
    And the reply is a success for READ_UPTIME

  @ENDRPI-35 @sim-only
  Scenario: A corrupted reply is not JSON, and the next one is again
    Given an Endrpi connection
    And the endrpi socket corrupts the next frame into invalid JSON
    When I send '{"action":"READ_UPTIME"}' on connection main
    Then the next frame on connection main is text that is not JSON
    When I send '{"action":"READ_UPTIME"}'
    Then the reply is a success for READ_UPTIME

  @ENDRPI-35 @sim-only
  Scenario: An upgrade left unanswered does not hold up the next connection
    Given the endrpi socket never answers the next upgrade
    Then an upgrade to the endrpi gets no answer within 500 ms
    Given an Endrpi connection
    When I send '{"action":"READ_UPTIME"}'
    Then the reply is a success for READ_UPTIME

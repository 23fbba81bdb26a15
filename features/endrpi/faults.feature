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

  @ENDRPI-36 @sim-only
  Scenario: A limited bandwidth paces a reply by its size, and only the connection it reached
    Given the network fault "bandwidth:1000@endrpi#1" is injected
    And an Endrpi connection
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}' on connection main
    Then the next frame on connection main arrives paced at 1000 bytes per second
    Given another Endrpi connection b
    When I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    Then the reply on connection b is a success for READ_UPTIME

  @ENDRPI-37 @sim-only
  Scenario: One reply in three is dropped, at the places the seed picks, and the others arrive in order
    Given an Endrpi connection
    And the network fault "drop:3@endrpi/1" is injected
    When I send these requests without waiting:
      """
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO2"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO3"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO4"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO5"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO6"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO7"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO8"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO9"]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO10"]}}
      """
    Then the replies arrive in request order but for one in each run of 3, at the places the seed picks for endrpi/1

  @ENDRPI-38 @sim-only
  Scenario: A connection closed after 3 frames gets exactly 3 replies, then the close; the board keeps its pins
    Given the network fault "close-after:3@endrpi#1" is injected
    And an Endrpi connection
    When I send these requests without waiting:
      """
      {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}
      {"action":"READ_UPTIME"}
      {"action":"READ_UPTIME"}
      {"action":"READ_UPTIME"}
      {"action":"READ_UPTIME"}
      """
    Then exactly 3 frames arrive on connection main, then it is closed with code 1000 and reason "closed after 3 frames"
    Given another Endrpi connection b
    When I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    And I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    And I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    And I send '{"action":"READ_UPTIME"}' and read the reply on connection b
    Then the reply on connection b is a success for READ_UPTIME
    When I GET "/pins/GPIO17" from the endrpi
    Then the HTTP body matches /.*"io": ?"OUTPUT".*/

  @ENDRPI-39 @sim-only
  Scenario: The REST exchanges take their own faults: a held answer, a refusal, a reset, a hang; the socket is untouched
    Given the network fault "delay:300ms@endrpi/http#1" is injected
    Then a GET of "/system/uptime" from the endrpi is answered only once 300 ms of device time pass
    And the HTTP status is 200
    Given the network fault "refuse:503@endrpi/http" is injected
    When I GET "/pins/GPIO17" from the endrpi
    Then the HTTP status is 503
    And the HTTP body is 'refused by a fault'
    Given the network fault "reset@endrpi/http" is injected
    Then a GET of "/pins" from the endrpi is reset
    Given the network fault "hang@endrpi/http" is injected
    Then a GET of "/pins" from the endrpi gets no answer within 500 ms
    Given an Endrpi connection
    When I send '{"action":"READ_UPTIME"}'
    Then the reply is a success for READ_UPTIME
    When I GET "/pins/GPIO17" from the endrpi
    Then the HTTP status is 200

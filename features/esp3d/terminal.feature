@esp3d
Feature: ESP3D terminal socket: subprotocol, ids, take-over, labels and PING
  The terminal socket (`webui-v3`, HTTP port + 1) greets each client with a ping, its id and the active id,
  and keeps only the newest client. Scenarios tagged @firmware-only describe what the firmware does and the
  ESP3D-WebUI development server does not (run against it with --tags 'not @firmware-only').

  @ESP3D-25
  Scenario: Offering webui-v3 gets webui-v3 back
    When I open an ESP3D terminal connection T1 offering "webui-v3"
    Then the HTTP header "sec-websocket-protocol" is "webui-v3"
    And T1 receives its currentID

  @ESP3D-25 @firmware-only
  Scenario: Offering any other protocol still gets webui-v3, the board's own
    When I ask to upgrade to the ESP3D terminal at "/" offering "foo"
    Then the HTTP status is 101
    And the HTTP header "sec-websocket-protocol" is "webui-v3"

  @ESP3D-25
  Scenario: Offering no protocol gets none, and any path is served
    When I open an ESP3D terminal connection T1
    Then the 101 answer names no subprotocol
    When I open an ESP3D terminal connection T2 at "/anything/at/all" offering "webui-v3"
    Then T2 receives its currentID

  @ESP3D-26 @firmware-only
  Scenario: A new client gets a ping control frame first
    When I open an ESP3D terminal connection T1 offering "webui-v3"
    Then the first frame on T1 is a WebSocket ping

  @ESP3D-26
  Scenario: A new client gets its currentID, then the activeID of itself
    When I open an ESP3D terminal connection T1 offering "webui-v3"
    Then T1 receives its currentID
    And T1 receives the activeID of T1

  @ESP3D-26
  Scenario: The activeID of a new client is broadcast to every client
    Given an ESP3D terminal connection T1
    When I open an ESP3D terminal connection T2 offering "webui-v3"
    Then T2 receives its currentID
    And T2 receives the activeID of T2
    And T1 receives the activeID of T2

  @ESP3D-26 @firmware-only
  Scenario: A new client takes over: every other terminal client is closed with 1000
    Given an ESP3D terminal connection T1
    And an ESP3D terminal connection T2
    Then T1 receives the activeID of T2
    And T1 is closed with code 1000

  @ESP3D-26 @firmware-only
  Scenario: Ids are the library's slots, lowest free first, so they are reused
    Given an ESP3D terminal connection T1
    Then the id of T1 is 0
    Given an ESP3D terminal connection T2
    Then the id of T2 is 1
    And T1 is closed with code 1000
    Given an ESP3D terminal connection T3
    Then the id of T3 is 0

  @ESP3D-26 @firmware-only
  Scenario: A socket has five slots: a sixth concurrent client is refused before the handshake
    Given an ESP3D data connection D1
    And an ESP3D data connection D2
    And an ESP3D data connection D3
    And an ESP3D data connection D4
    And an ESP3D data connection D5
    Then another ESP3D data connection is refused with HTTP 503

  @ESP3D-27
  Scenario: The board's text frames are labels; the printer's answer comes as binary stream
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=%5BESP600%5DHello" from the esp3d
    And I GET "/command?cmd=M105" from the esp3d
    Then the stream on T1 shows "ok T:"
    And T1 receives the text "NOTIFICATION:Hello"
    And every text frame T1 received is a label of the board

  @ESP3D-28
  Scenario: Without authentication PING gets no answer, and other input is ignored
    Given an ESP3D terminal connection T1
    When I send the text "PING:none" on T1
    And I send the text "PING:abcdef0123" on T1
    And I send the bytes "00 01 'binary'" on T1
    And I send the text "M105\n" on T1
    Then T1 receives no frame within 1000 ms

  @ESP3D-28 @sim-only
  Scenario: With authentication PING:none gets 0 left of the session timeout, to that client only
    Given the simulated ESP3D has authentication on
    And an ESP3D terminal connection T1
    And an ESP3D data connection D1
    When I send the text "PING:none" on T1
    Then T1 receives the text "PING:0:180000"
    And D1 receives no frame within 500 ms

  @ESP3D-28 @ESP3D-42 @sim-only
  Scenario: With authentication PING with a live session id gets the time left, which a PING does not refresh
    Given the simulated ESP3D has authentication on with a 2 minute session timeout
    When I log in to the ESP3D as admin with "admin"
    Then the HTTP status is 200
    Given an ESP3D terminal connection T1
    When 10000 ms of device time pass
    And I send the session id as PING on T1
    Then T1 receives a PING answer of at most 110000 ms left of 120000
    When I send the session id as PING on T1
    Then T1 receives a PING answer of at most 110000 ms left of 120000

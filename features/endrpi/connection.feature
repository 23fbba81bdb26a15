@endrpi
Feature: Endrpi socket, envelope and ordering
  The Endrpi WebSocket answers every text request with exactly one reply, in order, wrapped in the
  envelope {action, success, data, error}, and sends nothing on its own.

  @ENDRPI-15 @ENDRPI-17
  Scenario: Requests sent back to back are answered one by one, in request order
    Given an Endrpi connection
    When I send these requests without waiting:
      """
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17"]}}
      {"action":"READ_UPTIME"}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO27","GPIO22"]}}
      {"action":"READ_MEMORY"}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":[]}}
      {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO4","GPIO5","GPIO6"]}}
      """
    Then exactly one reply per request arrives, in request order
    And no further frame arrives on connection main within 300 ms

  @ENDRPI-15
  Scenario: Nothing arrives without a request
    Given an Endrpi connection
    Then no further frame arrives on connection main within 500 ms

  @ENDRPI-16
  Scenario: A reply is written as Python's json.dumps writes it
    Given an Endrpi connection
    When I send 'hello, not json'
    Then the reply is exactly '{"action": null, "success": false, "data": null, "error": {"message": "Received invalid message"}}'

  @ENDRPI-16 @ENDRPI-17 @ENDRPI-24
  Scenario: A successful update is written byte for byte as the real server writes it
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":1}}}}'
    Then the reply is exactly '{"action": "UPDATE_PIN_CONFIGURATIONS", "success": true, "data": "Pin configurations updated", "error": null}'

  @ENDRPI-16 @ENDRPI-17
  Scenario: A system action ignores params and extra keys
    Given an Endrpi connection
    When I send '{"action":"READ_UPTIME","params":null,"extra":true}'
    Then the reply is a success for READ_UPTIME

  @ENDRPI-25
  Scenario: The socket lives only at the root path
    When I ask to upgrade to a WebSocket at "/ws" on the endrpi
    Then the HTTP status is 403

@endrpi
Feature: Endrpi under bad input
  Bad input gets the protocol's own answer or a documented close, and never disturbs another connection.
  Where the real server crashes, the simulator closes or answers cleanly (see the deviations in RULES.md).

  @ENDRPI-32
  Scenario: Garbage on one connection leaves another untouched
    Given an Endrpi connection
    And another Endrpi connection B
    When I send '{"action":'
    Then the reply is an error for action null with message "Received invalid message"
    When I send '{"action":"READ_UPTIME"}' and read the reply on connection B
    Then the reply on connection B is a success for READ_UPTIME

  @ENDRPI-30 @sim-only
  Scenario: A binary frame closes the connection with 1003
    Given an Endrpi connection
    And another Endrpi connection B
    When I send a binary frame '{"action":"READ_UPTIME"}'
    Then the connection is closed with code 1003 and a reason
    When I send '{"action":"READ_UPTIME"}' and read the reply on connection B
    Then the reply on connection B is a success for READ_UPTIME

  @ENDRPI-32 @sim-only
  Scenario: A frame over 1 MiB closes the connection with 1009
    Given an Endrpi connection
    And another Endrpi connection B
    When I send a text frame of 2000000 bytes
    Then the connection is closed with code 1009 and a reason
    When I send '{"action":"READ_UPTIME"}' and read the reply on connection B
    Then the reply on connection B is a success for READ_UPTIME

  @ENDRPI-31 @sim-only
  Scenario: An output state above 1 is refused after the pin became an output
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO16":{"io":"OUTPUT","state":2}}}}'
    Then the reply is an error for action UPDATE_PIN_CONFIGURATIONS with message "Received message with invalid 'params' field"
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO16"]}}'
    Then pin GPIO16 reads io "OUTPUT", state 0.0 and pull "FLOATING"

  @ENDRPI-31 @sim-only
  Scenario: A pull-down on an I2C pin is refused in gpiozero's words
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO3":{"io":"INPUT","pull":"DOWN"}}}}'
    Then the reply is an error for action UPDATE_PIN_CONFIGURATIONS with message "GPIO3 has a physical pull-up resistor"
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO3"]}}'
    Then pin GPIO3 reads io "INPUT", state 1.0 and pull "UP"

  @ENDRPI-34
  Scenario: Numbers Python's parser reads are JSON, however large
    Given an Endrpi connection
    When I send '1e400'
    Then the reply is an error for action null with message "Received message with missing 'action' field"
    When I send '99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999'
    Then the reply is an error for action null with message "Received message with missing 'action' field"
    When I send '{"action":"READ_UPTIME","extra":-1e400}'
    Then the reply is a success for READ_UPTIME

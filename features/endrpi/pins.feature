@endrpi
Feature: Endrpi pin configuration
  Pins are read in request order and updated in order; their state belongs to the board and is shared by
  every connection and the REST API. Scenarios set every pin they read, so that they pass on a board in
  any prior state.

  @ENDRPI-23
  Scenario: A read answers exactly the requested pins, in order, a repeated pin once
    Given an Endrpi connection
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO27","GPIO2","GPIO27","GPIO3"],"extra":1}}'
    Then the reply is a success for READ_PIN_CONFIGURATIONS
    And the reply data has exactly the pins GPIO27, GPIO2, GPIO3

  @ENDRPI-23
  Scenario: An empty pin list is an empty map
    Given an Endrpi connection
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":[]}}'
    Then the reply is a success for READ_PIN_CONFIGURATIONS
    And the reply data is '{}'

  @ENDRPI-24
  Scenario: An output reads back its level, coerced to 0 or 1
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO18":{"io":"INPUT","pull":"FLOATING"}}}}'
    And I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO18":{"io":"OUTPUT","state":0.5}}}}'
    Then the reply is a success for UPDATE_PIN_CONFIGURATIONS
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO18"]}}'
    Then pin GPIO18 reads io "OUTPUT", state 1.0 and pull "FLOATING"
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO18":{"io":"OUTPUT","state":0}}}}'
    And I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO18"]}}'
    Then pin GPIO18 reads io "OUTPUT", state 0.0 and pull "FLOATING"

  @ENDRPI-24
  Scenario Outline: An input pulled <pull> reads <state>
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO23":{"io":"INPUT","pull":"<pull>"}}}}'
    Then the reply is a success for UPDATE_PIN_CONFIGURATIONS
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO23"]}}'
    Then pin GPIO23 reads io "INPUT", state <state> and pull "<pull>"

    Examples:
      | pull | state |
      | UP   | 1.0   |
      | DOWN | 0.0   |

  @ENDRPI-24 @ENDRPI-18
  Scenario: An update stops at the first failing pin and keeps the pins before it
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO5":{"io":"OUTPUT","state":0},"GPIO6":{"io":"OUTPUT","state":0},"GPIO13":{"io":"OUTPUT","state":0}}}}'
    And I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO5":{"io":"OUTPUT","state":1},"GPIO6":{"io":"OUTPUT"},"GPIO13":{"io":"OUTPUT","state":1}}}}'
    Then the reply is an error for action UPDATE_PIN_CONFIGURATIONS with message "No state specified for output pin configuration"
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO5","GPIO6","GPIO13"]}}'
    Then the reply data is '{"GPIO5": {"io": "OUTPUT", "state": 1.0, "pull": "FLOATING"}, "GPIO6": {"io": "OUTPUT", "state": 0.0, "pull": "FLOATING"}, "GPIO13": {"io": "OUTPUT", "state": 0.0, "pull": "FLOATING"}}'

  @ENDRPI-24 @ENDRPI-23
  Scenario: An invalid pin anywhere in an update changes nothing
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO12":{"io":"OUTPUT","state":0}}}}'
    And I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO12":{"io":"OUTPUT","state":1},"GPIO1":{"io":"OUTPUT","state":1}}}}'
    Then the reply is an error for action UPDATE_PIN_CONFIGURATIONS with message "Received message with invalid 'params' field"
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO12"]}}'
    Then pin GPIO12 reads io "OUTPUT", state 0.0 and pull "FLOATING"

  @ENDRPI-29
  Scenario: An output keeps reporting its last input pull
    Given an Endrpi connection
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO19":{"io":"INPUT","pull":"DOWN"}}}}'
    And I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO19":{"io":"OUTPUT","state":1}}}}'
    And I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO19"]}}'
    Then pin GPIO19 reads io "OUTPUT", state 1.0 and pull "DOWN"

  @ENDRPI-28
  Scenario: A change made on one connection is seen on another and over REST
    Given an Endrpi connection
    And another Endrpi connection B
    When I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO20":{"io":"INPUT","pull":"FLOATING"}}}}'
    And I send '{"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO20":{"io":"OUTPUT","state":1}}}}'
    And I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO20"]}}' and read the reply on connection B
    Then the reply data on connection B is '{"GPIO20": {"io": "OUTPUT", "state": 1.0, "pull": "FLOATING"}}'
    When I GET "/pins/GPIO20" from the endrpi
    Then the HTTP body is '{"io":"OUTPUT","state":1.0,"pull":"FLOATING"}'

  @ENDRPI-29 @sim-only
  Scenario: A fresh board has pull-ups on the I2C pins and floating inputs elsewhere
    Given an Endrpi connection
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO2","GPIO3","GPIO4","GPIO21"]}}'
    Then the reply data is '{"GPIO2": {"io": "INPUT", "state": 1.0, "pull": "UP"}, "GPIO3": {"io": "INPUT", "state": 1.0, "pull": "UP"}, "GPIO4": {"io": "INPUT", "state": 0.0, "pull": "FLOATING"}, "GPIO21": {"io": "INPUT", "state": 0.0, "pull": "FLOATING"}}'

@endrpi
Feature: Endrpi REST mirror
  The same port serves the REST API the socket mirrors: bare data with 200, `{"message": ...}` with
  400/404/500, FastAPI's routing answers, over the same board.

  @ENDRPI-26
  Scenario Outline: GET /system/<part> answers the reading
    When I GET "/system/<part>" from the endrpi
    Then the HTTP status is 200
    And the HTTP header "content-type" is "application/json"
    And the HTTP body matches the schema "endrpi/<schema>"

    Examples:
      | part     | schema   |
      | uptime   | uptime   |
      | memory   | memory   |
      | platform | platform |

  @ENDRPI-26 @pi-hardware
  Scenario Outline: GET /system/<part> answers a Pi-only reading
    When I GET "/system/<part>" from the endrpi
    Then the HTTP status is 200
    And the HTTP body matches the schema "endrpi/<part>"

    Examples:
      | part        |
      | temperature |
      | throttle    |
      | frequency   |

  @ENDRPI-26 @pi-hardware
  Scenario: GET /system answers every reading in order
    When I GET "/system" from the endrpi
    Then the HTTP status is 200
    And the HTTP body matches /\{"platform":\{.*\},"temperature":\{.*\},"throttle":\{.*\},"uptime":\{.*\},"frequency":\{.*\},"memory":\{.*\}\}/

  @ENDRPI-26 @ENDRPI-23
  Scenario: GET /pins answers all 25 pins
    When I GET "/pins" from the endrpi
    Then the HTTP status is 200
    And the HTTP body matches the schema "endrpi/pin-configuration-map"
    And the HTTP body matches /\{"GPIO2":.*"GPIO21":\{[^}]*\}\}/

  @ENDRPI-26
  Scenario: An unknown pin is a 404 naming it
    When I GET "/pins/GPIO1" from the endrpi
    Then the HTTP status is 404
    And the HTTP body is '{"message":"Pin with BCM pin number `GPIO1` not found"}'

  @ENDRPI-26 @ENDRPI-28
  Scenario: PUT /pins/{id} updates the pin and names it
    When I PUT '{"io":"INPUT","pull":"FLOATING"}' to "/pins/GPIO24" on the endrpi
    And I PUT '{"io":"OUTPUT","state":1}' to "/pins/GPIO24" on the endrpi
    Then the HTTP status is 200
    And the HTTP body matches /\{"message":"Pin configuration for pin `(RaspberryPiPinIds\.)?GPIO24` was updated successfully"\}/
    When I GET "/pins/GPIO24" from the endrpi
    Then the HTTP body is '{"io":"OUTPUT","state":1.0,"pull":"FLOATING"}'
    Given an Endrpi connection
    When I send '{"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO24"]}}'
    Then the reply data is '{"GPIO24": {"io": "OUTPUT", "state": 1.0, "pull": "FLOATING"}}'

  @ENDRPI-26
  Scenario Outline: PUT with <case> is a 400
    When I PUT '<body>' to "/pins/<pin>" on the endrpi
    Then the HTTP status is 400
    And the HTTP body is '<answer>'

    Examples:
      | case                         | pin    | body               | answer                                                                                                                                                                                                      |
      | an output without a state    | GPIO24 | {"io":"OUTPUT"}    | {"message":"No state specified for output pin configuration"}                                                                                                                                               |
      | an input without a pull      | GPIO24 | {"io":"INPUT"}     | {"message":"No pull specified for input pin configuration"}                                                                                                                                                 |
      | an unknown io                | GPIO24 | {"io":"SIDEWAYS"}  | {"message":"1 validation error for Requestbody -> io  value is not a valid enumeration member; permitted: 'INPUT', 'OUTPUT' (type=type_error.enum; enum_values=[<PinIo.INPUT: 'INPUT'>, <PinIo.OUTPUT: 'OUTPUT'>])"} |
      | no io                        | GPIO24 | {}                 | {"message":"1 validation error for Requestbody -> io  field required (type=value_error.missing)"}                                                                                                           |
      | a bad body for an unknown pin | GPIO99 | {"io":"SIDEWAYS"} | {"message":"1 validation error for Requestbody -> io  value is not a valid enumeration member; permitted: 'INPUT', 'OUTPUT' (type=type_error.enum; enum_values=[<PinIo.INPUT: 'INPUT'>, <PinIo.OUTPUT: 'OUTPUT'>])"} |
      | a body that is not JSON      | GPIO24 | notjson            | {"message":"1 validation error for Requestbody -> 0  Expecting value: line 1 column 1 (char 0) (type=value_error.jsondecode; msg=Expecting value; doc=notjson; pos=0; lineno=1; colno=1)"}                 |

  @ENDRPI-26 @ENDRPI-31
  Scenario: A pull-down on an I2C pin is a plain 500 over REST
    When I PUT '{"io":"INPUT","pull":"DOWN"}' to "/pins/GPIO2" on the endrpi
    Then the HTTP status is 500
    And the HTTP body is 'Internal Server Error'

  @ENDRPI-27
  Scenario: An unknown path is FastAPI's 404
    When I GET "/no/such/path" from the endrpi
    Then the HTTP status is 404
    And the HTTP body is '{"detail":"Not Found"}'

  @ENDRPI-27
  Scenario Outline: <method> on a read-only path is a 405
    When I send HTTP <method> "<path>" to the endrpi
    Then the HTTP status is 405
    And the HTTP body is '{"detail":"Method Not Allowed"}'

    Examples:
      | method | path           |
      | POST   | /pins          |
      | DELETE | /system/uptime |
      | PUT    | /system        |

  @ENDRPI-27
  Scenario: A trailing slash redirects to the path without it
    When I GET "/pins/" from the endrpi
    Then the HTTP status is 307
    And the HTTP header "location" ends with "/pins"

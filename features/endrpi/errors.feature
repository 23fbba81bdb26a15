@endrpi
Feature: Endrpi error replies
  Every malformed request gets the real server's exact error text, with the action echoed only when it
  is a valid action name. (The seed's own example action GET_TEMPERATURE is not one.)

  @ENDRPI-16 @ENDRPI-17 @ENDRPI-18
  Scenario: An empty text frame is an invalid message
    Given an Endrpi connection
    When I send an empty text frame
    Then the reply is an error for action null with message "Received invalid message"

  @ENDRPI-16 @ENDRPI-17 @ENDRPI-18
  Scenario Outline: <case> gets "<message>"
    Given an Endrpi connection
    When I send '<request>'
    Then the reply is an error for action <action> with message "<message>"

    Examples: the message cannot be read
      | case            | request                  | action | message                  |
      | non-JSON text   | hello, not json          | null   | Received invalid message |
      | truncated JSON  | {"action":"READ_UPTIME"  | null   | Received invalid message |

    Examples: the action is missing
      | case                  | request              | action | message                                       |
      | a JSON array          | [1,2]                | null   | Received message with missing 'action' field |
      | an empty array        | []                   | null   | Received message with missing 'action' field |
      | a JSON string         | "READ_TEMPERATURE"   | null   | Received message with missing 'action' field |
      | an empty object       | {}                   | null   | Received message with missing 'action' field |
      | no action key         | {"foo":"bar"}        | null   | Received message with missing 'action' field |
      | a numeric action      | {"action":123}       | null   | Received message with missing 'action' field |
      | an empty action       | {"action":""}        | null   | Received message with missing 'action' field |
      | a null action         | {"action":null}      | null   | Received message with missing 'action' field |

    Examples: the action is not a valid name
      | case                    | request                          | action | message                                       |
      | an unknown action       | {"action":"UNKNOWN_ACTION"}      | null   | Received message with invalid 'action' field |
      | a lower-case action     | {"action":"read_temperature"}    | null   | Received message with invalid 'action' field |
      | the seed's example name | {"action":"GET_TEMPERATURE"}     | null   | Received message with invalid 'action' field |

    Examples: pin actions without params
      | case                       | request                                                  | action                    | message                                       |
      | read without params        | {"action":"READ_PIN_CONFIGURATIONS"}                     | READ_PIN_CONFIGURATIONS   | Received message with missing 'params' field |
      | read with empty params     | {"action":"READ_PIN_CONFIGURATIONS","params":{}}         | READ_PIN_CONFIGURATIONS   | Received message with missing 'params' field |
      | read with null params      | {"action":"READ_PIN_CONFIGURATIONS","params":null}       | READ_PIN_CONFIGURATIONS   | Received message with missing 'params' field |
      | update without params      | {"action":"UPDATE_PIN_CONFIGURATIONS"}                   | UPDATE_PIN_CONFIGURATIONS | Received message with missing 'params' field |
      | update with empty params   | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{}}       | UPDATE_PIN_CONFIGURATIONS | Received message with missing 'params' field |

    Examples: params that fail validation
      | case                        | request                                                                                          | action                    | message                                       |
      | an invalid pin id           | {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO1"]}}                                 | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | one invalid id among valid  | {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["GPIO17","GPIO8"]}}                        | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | a lower-case pin id         | {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":["gpio17"]}}                                | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | pins as a string            | {"action":"READ_PIN_CONFIGURATIONS","params":{"pins":"GPIO17"}}                                  | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | params as a list            | {"action":"READ_PIN_CONFIGURATIONS","params":["GPIO17"]}                                         | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | params without pins         | {"action":"READ_PIN_CONFIGURATIONS","params":{"extra":1}}                                        | READ_PIN_CONFIGURATIONS   | Received message with invalid 'params' field |
      | an unknown pin to update    | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO99":{"io":"OUTPUT","state":1}}}}    | UPDATE_PIN_CONFIGURATIONS | Received message with invalid 'params' field |
      | an unknown io               | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"SIDEWAYS","state":1}}}}  | UPDATE_PIN_CONFIGURATIONS | Received message with invalid 'params' field |
      | a state that is no number   | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":"high"}}}} | UPDATE_PIN_CONFIGURATIONS | Received message with invalid 'params' field |
      | an unknown pull             | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"INPUT","pull":"SIDEWAYS"}}}} | UPDATE_PIN_CONFIGURATIONS | Received message with invalid 'params' field |
      | a config that is no object  | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":"OUTPUT"}}}                     | UPDATE_PIN_CONFIGURATIONS | Received message with invalid 'params' field |

    Examples: updates the real server refuses by hand
      | case                   | request                                                                              | action                    | message                                                     |
      | no pins at all         | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{}}}                          | UPDATE_PIN_CONFIGURATIONS | At least one pin id and pin configuration must be supplied |
      | an output with no state | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT"}}}} | UPDATE_PIN_CONFIGURATIONS | No state specified for output pin configuration            |
      | an input with no pull  | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"INPUT"}}}}   | UPDATE_PIN_CONFIGURATIONS | No pull specified for input pin configuration              |
      | a null state           | {"action":"UPDATE_PIN_CONFIGURATIONS","params":{"pins":{"GPIO17":{"io":"OUTPUT","state":null}}}} | UPDATE_PIN_CONFIGURATIONS | No state specified for output pin configuration |

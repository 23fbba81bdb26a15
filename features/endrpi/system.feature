@endrpi
Feature: Endrpi system readings
  The five system actions answer the Pi's temperature, throttle flags, uptime, clocks and memory.
  What is tagged pi-hardware needs real Raspberry Pi firmware (a thermal zone, vcgencmd): the real
  server on a PC fails it, the simulator (a Pi 4) passes it.

  @ENDRPI-19 @pi-hardware
  Scenario: The SoC temperature is in degrees Celsius
    Given an Endrpi connection
    When I send '{"action":"READ_TEMPERATURE"}'
    Then the reply is a success for READ_TEMPERATURE

  @ENDRPI-20 @pi-hardware
  Scenario: The throttle state is the eight firmware flags
    Given an Endrpi connection
    When I send '{"action":"READ_THROTTLE"}'
    Then the reply is a success for READ_THROTTLE

  @ENDRPI-21
  Scenario: Uptime carries seconds and the same time as text
    Given an Endrpi connection
    When I send '{"action":"READ_UPTIME"}'
    Then the reply is a success for READ_UPTIME
    And the uptime text is the rounded seconds as a duration

  @ENDRPI-22 @pi-hardware
  Scenario: The ARM and core clocks are in hertz
    Given an Endrpi connection
    When I send '{"action":"READ_FREQUENCY"}'
    Then the reply is a success for READ_FREQUENCY

  @ENDRPI-22
  Scenario: Memory is in kilobytes, free and available within total
    Given an Endrpi connection
    When I send '{"action":"READ_MEMORY"}'
    Then the reply is a success for READ_MEMORY
    And the memory reading has free and available within total

  @ENDRPI-20 @sim-only
  Scenario: A healthy board reports no throttling
    Given an Endrpi connection
    When I send '{"action":"READ_THROTTLE"}'
    Then the reply is a success for READ_THROTTLE
    And the throttle flags are all false

  @ENDRPI-21 @sim-only
  Scenario: The simulated Pi's uptime is the simulation's time since it started
    Given an Endrpi connection
    And 90061500 ms of device time pass
    When I send '{"action":"READ_UPTIME"}'
    Then the reply data is '{"seconds": 90061.5, "formatted": "1 day, 1:01:02"}'

  @ENDRPI-33 @ENDRPI-20 @sim-only
  Scenario: An under-voltage fault shows live and has-occurred flags
    Given an Endrpi connection
    And the simulator runs "endrpi" command "throttle" with '{"bits":"0x50005"}'
    When I send '{"action":"READ_THROTTLE"}'
    Then the reply data is '{"throttling": true, "throttlingHasOccurred": true, "underVoltageDetected": true, "underVoltageHasOccurred": true, "armFrequencyCapped": false, "armFrequencyCappingHasOccurred": false, "softTemperatureLimitActive": false, "softTemperatureLimitHasOccurred": false}'

  @ENDRPI-33 @ENDRPI-20 @sim-only
  Scenario: Past faults stay as has-occurred flags after they clear
    Given an Endrpi connection
    And the simulator runs "endrpi" command "throttle" with '{"bits":"0x1"}'
    And the simulator runs "endrpi" command "throttle" with '{"bits":"0x0"}'
    When I send '{"action":"READ_THROTTLE"}'
    Then the reply data is '{"throttling": false, "throttlingHasOccurred": false, "underVoltageDetected": false, "underVoltageHasOccurred": true, "armFrequencyCapped": false, "armFrequencyCappingHasOccurred": false, "softTemperatureLimitActive": false, "softTemperatureLimitHasOccurred": false}'

  @ENDRPI-33 @ENDRPI-19 @sim-only
  Scenario: A hot SoC reports its temperature and the soft limit
    Given an Endrpi connection
    And the simulator runs "endrpi" command "temperature" with '{"celsius": 82.5}'
    When I send '{"action":"READ_TEMPERATURE"}'
    Then the reply data is '{"systemOnChip": {"quantity": 82.5, "prefix": null, "unitOfMeasurement": "CELSIUS"}}'
    When I send '{"action":"READ_THROTTLE"}'
    Then the reply is a success for READ_THROTTLE
    And the reply data is '{"throttling": false, "throttlingHasOccurred": false, "underVoltageDetected": false, "underVoltageHasOccurred": false, "armFrequencyCapped": false, "armFrequencyCappingHasOccurred": false, "softTemperatureLimitActive": true, "softTemperatureLimitHasOccurred": true}'

  @ENDRPI-33 @ENDRPI-16 @sim-only
  Scenario Outline: A failing <read> read answers the real server's failure text
    Given an Endrpi connection
    And the simulator runs "endrpi" command "fail_reads" with '{"reads": ["<read>"]}'
    When I send '{"action":"<action>"}'
    Then the reply is an error for action <action> with message "<message>"

    Examples:
      | read        | action           | message                                    |
      | temperature | READ_TEMPERATURE | Failed to query system on chip temperature |
      | throttle    | READ_THROTTLE    | Failed to query system throttle status     |
      | frequency   | READ_FREQUENCY   | Failed to query system ARM frequency       |
      | uptime      | READ_UPTIME      | Failed to query system uptime              |
      | memory      | READ_MEMORY      | Failed to query system memory              |

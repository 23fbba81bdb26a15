@xarm-tcp
Feature: xArm controller port 502: frames, the state byte and the register table
  Every request (transaction, protocol 0x0002, length, register, parameters) gets one answer with the same
  transaction, protocol and register, a state byte, then the register's parameters. A register the controller
  does not have raises W13 and the connection stays open.

  @XTCP-1 @XTCP-2
  Scenario: The version answers as the SDK parses it
    Given a connection to the controller port
    When I send register 1
    Then the answer echoes the transaction, protocol and register
    And the version string names the axes, the type, two serial numbers and v<major>.<minor>.<patch>

  @XTCP-1 @XTCP-3
  Scenario: State, command count and codes have their documented sizes
    Given a connection to the controller port
    When I send register 13
    Then the answer echoes the transaction, protocol and register
    And the answer has 1 parameter bytes
    When I send register 14
    Then the answer has 2 parameter bytes
    When I send register 15
    Then the answer has 2 parameter bytes
    When I send register 42
    Then the answer has 28 parameter bytes
    When I send register 41
    Then the answer has 24 parameter bytes

  @XTCP-1 @XTCP-4
  Scenario: The keep-alive protocol identifier 3 is answered under 3
    Given a connection to the controller port
    When I send register 13 under protocol 3
    Then the answer echoes the transaction, protocol and register

  @XTCP-5
  Scenario: An unknown register raises W13 and the connection stays open
    Given a connection to the controller port
    When I send register 222 with 'u8:1 u8:2'
    Then the answer echoes the transaction, protocol and register
    And the answer's state byte has warning set
    And the answer has 0 parameter bytes
    And the controller reports error 0 and warning 13
    When I send register 17
    Then the controller reports error 0 and warning 0

  @XTCP-6
  Scenario: A register given too few parameters raises W12
    Given a connection to the controller port
    When I send register 12
    Then the answer's state byte has warning set
    And the controller reports error 0 and warning 12
    When I send register 17
    Then the answer's state byte has warning clear

  @XTCP-7
  Scenario: The SDK's heartbeat frame gets no answer and the connection stays usable
    Given a connection to the controller port
    When I send the bytes '00 00 00 01 00 02 00 00'
    Then no answer arrives within 300 ms
    When I send register 13
    Then the answer echoes the transaction, protocol and register

  @XTCP-8
  Scenario: A frame of another protocol (standard Modbus TCP) closes the connection
    Given a connection to the controller port
    When I send the bytes '00 05 00 00 00 06 01 03 00 00 00 01'
    Then the connection is closed by the controller

  @XTCP-8
  Scenario: A frame longer than the controller's buffer closes the connection
    Given a connection to the controller port
    When I send the bytes '00 05 00 02 ff ff 0d'
    Then the connection is closed by the controller

  @XTCP-9
  Scenario: The TCP pose is the forward kinematics of the joints
    Given a connection to the controller port
    Then every joint of register 42 is within the model's joint limits
    And the TCP pose of register 41 is the forward kinematics of the joints of register 42

  @XTCP-15
  Scenario: The tool board and the gripper answer through the tool RS-485 registers
    Given a connection to the controller port
    When I send register 128 with 'u8:9 u16:2571'
    Then the answer parameters are '00 00 00 0b'
    When I send register 124 with 'u8:9 u8:8 u8:3 u16:2050 u16:2'
    Then the answer's state byte has warning clear
    And the answer has 8 parameter bytes

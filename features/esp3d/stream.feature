@esp3d
Feature: ESP3D stream: the printer's serial output on the terminal and data sockets
  The printer's answers go to every terminal client as binary frames through a 1200-byte buffer that is
  flushed 500 ms after its first byte, and to every data client the same way.

  @ESP3D-29 @ESP3D-32
  Scenario: A G-code answer reaches the terminal within 500 ms of device time
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=M105" from the esp3d
    Then the HTTP status is 200
    And a stream line on T1 matches /ok T:-?\d+\.\d\d \/\d+\.\d\d.* B:-?\d+\.\d\d \/\d+\.\d\d.*/ within 600 ms

  @ESP3D-29 @ESP3D-D5 @sim-only @firmware-only
  Scenario: The stream buffer is flushed exactly 500 ms after its first byte
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=M105" from the esp3d
    Then no stream frame arrives on T1 within 400 ms of device time
    And the stream on T1 shows "ok T:" within 100 ms

  @ESP3D-29
  Scenario: More than 1200 bytes of answers are cut into frames of at most 1200 bytes
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=M115" from the esp3d
    And I GET "/command?cmd=M115" from the esp3d
    And I GET "/command?cmd=M115" from the esp3d
    And I read the stream on T1 for 1500 ms
    Then every stream frame on T1 has at most 1200 bytes, and there were at least 2
    And the stream on T1 shows "FIRMWARE_NAME:Marlin"

  @ESP3D-29 @ESP3D-49 @firmware-only
  Scenario: The answer goes to every terminal and data client, in lines ending in a bare newline
    Given an ESP3D terminal connection T1
    And an ESP3D data connection D1
    When I GET "/command?cmd=M105" from the esp3d
    Then the stream on T1 shows "ok T:"
    And the stream on D1 shows "ok T:"
    And the stream on T1 does not show "\r" within 200 ms
    And the stream on D1 does not show "\n\n" within 200 ms

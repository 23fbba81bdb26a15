@esp3d @firmware-only
Feature: ESP3D data socket: G-code bytes in, the printer's answers out
  The data socket (`arduino`, port 8282) reads text and binary frames as one byte stream to the printer, cut
  into lines at `\n` or `\r`, and sends the printer's answers to every data client as binary frames.
  The ESP3D-WebUI development server has no data socket.

  @ESP3D-30
  Scenario: A line ending in a newline is one command, answered in binary frames
    Given an ESP3D data connection D1
    When I send the text "M105\n" on D1
    Then a stream line on D1 matches /ok T:.*/
    And the stream on D1 came in binary frames

  @ESP3D-30
  Scenario: A carriage return ends a line too
    Given an ESP3D data connection D1
    When I send the text "M105\r" on D1
    Then the stream on D1 shows "ok T:"

  @ESP3D-30 @ESP3D-44
  Scenario: Text and binary frames are one byte stream
    Given an ESP3D data connection D1
    When I send the bytes "'M1'" on D1
    And I send the text "05\n" on D1
    Then the stream on D1 shows "ok T:"

  @ESP3D-30
  Scenario: A partial line waits, and the rest completes it
    Given an ESP3D data connection D1
    When I send the text "M10" on D1
    And I send the text "5\n" on D1
    Then the stream on D1 shows "ok T:"

  @ESP3D-30
  Scenario: The printer's answers go to every data client
    Given an ESP3D data connection D1
    And an ESP3D data connection D2
    When I send the text "M105\n" on D1
    Then the stream on D2 shows "ok T:"

  @ESP3D-30 @ESP3D-37
  Scenario: An ESP command on the data socket is run by the board and answered on the data stream
    Given an ESP3D data connection D1
    When I send the text "[ESP200]\n" on D1
    Then the stream on D1 shows "SD card ok"

  @ESP3D-30 @sim-only
  Scenario: With the data-text option the answers come as text frames, ESP3D-TFT's way
    Given the simulated ESP3D answers the data socket in text frames
    And an ESP3D data connection D1
    When I send the text "M105\n" on D1
    Then the stream on D1 shows "ok T:"
    And the stream on D1 came in text frames

  @ESP3D-43 @sim-only
  Scenario: With authentication, data-socket ESP commands run as guest until one carries the password
    Given the simulated ESP3D has authentication on
    And an ESP3D data connection D1
    When I send the text "[ESP401]P=130 T=S V=board2\n" on D1
    Then the stream on D1 shows "Wrong authentication level"
    When I send the text "[ESP401]P=130 T=S V=board2 pwd=admin\n" on D1
    Then a stream line on D1 matches /ok/

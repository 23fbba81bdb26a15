@esp3d @firmware-only
Feature: The Marlin printer behind the board, as a host sees it on the data socket
  G-code lines sent on the data socket reach the printer; its answers, Marlin's own texts, come back on the
  data stream.

  @ESP3D-30
  Scenario: M105 reports both heaters and their powers
    Given an ESP3D data connection D1
    When I send the text "M105\n" on D1
    Then a stream line on D1 matches /ok T:\d+\.\d\d \/0\.00 B:\d+\.\d\d \/0\.00 @:0 B@:0/

  @ESP3D-30
  Scenario: M114 reports the position in Marlin's format
    Given an ESP3D data connection D1
    When I send the text "M114\n" on D1
    Then a stream line on D1 matches /X:0\.00 Y:0\.00 Z:0\.00 E:0\.00 Count X:0 Y:0 Z:0/
    And a stream line on D1 matches /ok/

  @ESP3D-30
  Scenario: M20 lists the card between Begin and End file list
    Given an ESP3D data connection D1
    When I send the text "M20\n" on D1
    Then a stream line on D1 matches /Begin file list/
    And a stream line on D1 matches /End file list/
    And a stream line on D1 matches /ok/

  @ESP3D-30
  Scenario: A bad checksum asks for the line again
    Given an ESP3D data connection D1
    When I send the text "N0 M110 N0*125\n" on D1
    Then a stream line on D1 matches /ok/
    When I send the text "N1 M105*99\n" on D1
    Then a stream line on D1 matches /Error:checksum mismatch, Last Line: 0/
    And a stream line on D1 matches /Resend: 1/
    And a stream line on D1 matches /ok/

  @ESP3D-30
  Scenario: An unknown command is echoed as unknown, then ok
    Given an ESP3D data connection D1
    When I send the text "M9999\n" on D1
    Then a stream line on D1 matches /echo:Unknown command: "M9999"/
    And a stream line on D1 matches /ok/

  @ESP3D-30
  Scenario: A move before homing is refused as Marlin refuses it
    Given an ESP3D data connection D1
    When I send the text "G1 X10\n" on D1
    Then a stream line on D1 matches /echo:Home X First/

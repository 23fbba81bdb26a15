@esp3d
Feature: ESP3D HTTP /command: ESP commands answered over HTTP, G-code forwarded to the printer
  `GET /command?cmd=…` runs an ESP command (`[ESP800]` and the others the WebUI calls) or forwards G-code to the
  printer, whose answer comes on the streams.

  @ESP3D-32 @firmware-only
  Scenario: A G-code is forwarded and the board says so
    When I GET "/command?cmd=M105" from the esp3d
    Then the HTTP status is 200
    And the HTTP body is 'ESP3D says: command forwarded'
    And the HTTP header "content-type" is "text/plain"

  @ESP3D-32 @firmware-only
  Scenario: No cmd is a 400, a ping alone an empty 200
    When I GET "/command" from the esp3d
    Then the HTTP status is 400
    And the HTTP body is 'Invalid command'
    When I GET "/command?ping=yes" from the esp3d
    Then the HTTP status is 200
    And the HTTP body is ''

  @ESP3D-33 @ESP3D-38
  Scenario: [ESP800] with the json tag lists the capabilities as JSON
    When I GET "/command?cmd=%5BESP800%5Djson%3Dyes%20time%3D2026-12-01T17%3A52%3A42%20tz%3D-00%3A00%20version%3D3.0.0-a54" from the esp3d
    Then the HTTP status is 200
    And the HTTP body matches the schema "esp3d/esp800"

  @ESP3D-33 @ESP3D-D8 @firmware-only
  Scenario: [ESP800] as firmware 3.0 answers: Synchronous, the terminal port, the board's build
    When I GET "/command?cmd=%5BESP800%5Djson%3Dyes%20tz%3D-00%3A00" from the esp3d
    Then the HTTP JSON at "/data/WebCommunication" is '"Synchronous"'
    And the HTTP JSON at "/data/FWVersion" is '"3.0.0.a241"'
    And the HTTP JSON at "/data/SDConnection" is '"shared"'
    And the HTTP JSON at "/data/WebUpdate" is '"Disabled"'
    And the HTTP JSON at "/data/Time" is '"Failed to set timezone"'
    And the HTTP JSON at "/data/WebSocketPort" is the terminal port

  @ESP3D-33 @ESP3D-38 @firmware-only
  Scenario: [ESP800] without the json tag answers text, multi-part over HTTP as text/html
    When I GET "/command?cmd=%5BESP800%5D" from the esp3d
    Then the HTTP body matches /Capabilities:\nFWVersion: 3\.0\.0\.a241\nFWTarget: marlin\n(?s:.*)Time: Not set\nok\n/
    And the HTTP header "content-type" is "text/html"

  @ESP3D-34
  Scenario: [ESP400] lists the settings as JSON
    When I GET "/command?cmd=%5BESP400%5Djson%3Dyes" from the esp3d
    Then the HTTP status is 200
    And the HTTP body matches the schema "esp3d/esp400"

  @ESP3D-34 @ESP3D-D8 @firmware-only
  Scenario: [ESP400] as this board is built: 23 settings, passwords masked, text form too
    When I GET "/command?cmd=%5BESP400%5Djson" from the esp3d
    Then the HTTP JSON at "/data" has 23 entries
    And the HTTP JSON at "/data/4/V" is '"********"'
    When I GET "/command?cmd=%5BESP400%5D" from the esp3d
    Then the HTTP body matches /Settings:\nnetwork\/network\/hostname: esp3d\n(?s:.*)ok\n/

  @ESP3D-35 @firmware-only
  Scenario: [ESP401] writes a setting and refuses bad ones in the firmware's order
    When I GET "/command?cmd=%5BESP401%5DP%3D130%20T%3DS%20V%3Dprinter2" from the esp3d
    Then the HTTP body matches /ok\n/
    When I GET "/command?cmd=%5BESP400%5Djson" from the esp3d
    Then the HTTP JSON at "/data/0/V" is '"printer2"'
    When I GET "/command?cmd=%5BESP401%5DT%3DS%20V%3Dx" from the esp3d
    Then the HTTP body matches /Invalid parameter P.*\n?/
    When I GET "/command?cmd=%5BESP401%5DP%3D999%20T%3DB%20V%3D1" from the esp3d
    Then the HTTP body matches /Invalid value for T for P=999\n?/
    When I GET "/command?cmd=%5BESP401%5Djson%20P%3D999%20T%3DB%20V%3D1" from the esp3d
    Then the HTTP JSON at "/status" is '"error"'
    When I GET "/command?cmd=%5BESP401%5DP%3D130%20T%3DS%20V%3Desp3d" from the esp3d
    Then the HTTP body matches /ok\n/

  @ESP3D-36
  Scenario: [ESP600] notifies every terminal client
    Given an ESP3D terminal connection T1
    And an ESP3D terminal connection T2
    When I GET "/command?cmd=%5BESP600%5DHello" from the esp3d
    Then the HTTP status is 200
    And T2 receives the text "NOTIFICATION:Hello"

  @ESP3D-36 @firmware-only
  Scenario: [ESP600] takes the first word that is not a tag, and answers ok
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=%5BESP600%5Djson%3Dyes%20Hello%20from%20probe" from the esp3d
    Then the HTTP body matches /\{"cmd":"600","status":"ok","data":"ok"\}\n?/
    And T1 receives the text "NOTIFICATION:Hello"
    When I GET "/command?cmd=%5BESP600%5D" from the esp3d
    Then the HTTP body matches /Message is missing\n?/

  @ESP3D-49 @firmware-only
  Scenario: An ESP command the printer prints on its serial line (M118) is run by the board
    Given an ESP3D terminal connection T1
    When I GET "/command?cmd=M118%20%5BESP600%5DPrinter" from the esp3d
    Then the HTTP status is 200
    And T1 receives the text "NOTIFICATION:Printer"

  @ESP3D-37 @ESP3D-D9 @firmware-only
  Scenario: [ESP420] reports the board's status; [ESP200] the card; [ESP111] the address
    When I GET "/command?cmd=%5BESP420%5Djson" from the esp3d
    Then the HTTP body matches the schema "esp3d/esp420"
    And the HTTP JSON at "/data/0" is '{"id":"chip id","value":"1f2e"}'
    When I GET "/command?cmd=%5BESP420%5D" from the esp3d
    Then the HTTP body matches /Configuration:\nchip id: 1f2e\n(?s:.*)FW ver: 3\.0\.0\.a241\nok\n/
    When I GET "/command?cmd=%5BESP200%5D" from the esp3d
    Then the HTTP body matches /SD card ok\n?/
    When I GET "/command?cmd=%5BESP111%5D" from the esp3d
    Then the HTTP body matches /127\.0\.0\.1\n?/

  @ESP3D-37 @ESP3D-D7 @firmware-only
  Scenario: Any other ESP command is an Invalid Command
    When I GET "/command?cmd=%5BESP999%5D" from the esp3d
    Then the HTTP body matches /Invalid Command: \[ESP999\]\n/
    When I GET "/command?cmd=%5BESP999%5Djson" from the esp3d
    Then the HTTP body matches /\{"cmd":"\[ESP999\]","status":"error","data":"Invalid Command"\}\n/

  @ESP3D-38 @ESP3D-D14 @firmware-only
  Scenario: Single answers are text/plain, and every answer says no-cache
    When I GET "/command?cmd=%5BESP200%5D" from the esp3d
    Then the HTTP header "content-type" is "text/plain"
    And the HTTP header "cache-control" is "no-cache"

@esp3d
Feature: ESP3D /files (flash) and /sdfiles (the printer's SD card): list, upload, delete, mkdir, path safety
  Both routes answer every action with the directory's listing; uploads are multipart as the WebUI sends them.
  A refused upload also pushes `ERROR:<code>:<msg>` to the terminal's current client.

  @ESP3D-39
  Scenario: The flash and the card list as JSON
    When I GET "/files?path=/&action=list" from the esp3d
    Then the HTTP status is 200
    And the HTTP body matches the schema "esp3d/listing"
    When I GET "/sdfiles?path=/" from the esp3d
    Then the HTTP body matches the schema "esp3d/listing"

  @ESP3D-39 @ESP3D-D11 @firmware-only
  Scenario: An empty flash of 1.31 MB, sizes as formatBytes writes them
    When I GET "/files" from the esp3d
    Then the HTTP body is '{"files":[],"path":"/","occupation":"0","status":"ok","total":"1.31 MB","used":"0 B"}'

  @ESP3D-40
  Scenario: A multipart upload to the card is listed, and deleting it removes it
    When I upload "probe.gcode" holding "G28\nG1 X10 Y10\nM105\n" to "/sdfiles" on the ESP3D
    Then the HTTP status is 200
    And the HTTP body matches the schema "esp3d/listing"
    And the HTTP listing names "probe.gcode"
    When I GET "/sdfiles?path=/&action=delete&filename=probe.gcode" from the esp3d
    Then the HTTP listing does not name "probe.gcode"

  @ESP3D-40 @ESP3D-39 @firmware-only
  Scenario: An upload to the flash is served back, with the firmware's statuses for delete
    When I upload "probe.txt" holding "hello" to "/files" on the ESP3D
    Then the HTTP listing names "probe.txt"
    And the HTTP JSON at "/used" is '"5 B"'
    When I GET "/probe.txt" from the esp3d
    Then the HTTP body is 'hello'
    When I GET "/files?path=/&action=delete&filename=probe.txt" from the esp3d
    Then the HTTP JSON at "/status" is '"probe.txt deleted"'
    When I GET "/files?path=/&action=delete&filename=probe.txt" from the esp3d
    Then the HTTP JSON at "/status" is '"probe.txt does not exists!"'

  @ESP3D-39 @firmware-only
  Scenario: Directories are made once and listed with size -1; quiet=yes answers the status alone, first
    When I GET "/sdfiles?path=/&action=createdir&filename=gcode" from the esp3d
    Then the HTTP JSON at "/status" is '"gcode created"'
    And the HTTP JSON at "/files/0/size" is '"-1"'
    When I GET "/sdfiles?path=/&action=createdir&filename=gcode" from the esp3d
    Then the HTTP JSON at "/status" is '"gcode already exists!"'
    When I GET "/sdfiles?path=/&action=createdir&filename=other&quiet=yes" from the esp3d
    Then the HTTP body is '{"status":"ok"}'
    When I GET "/sdfiles?path=/" from the esp3d
    Then the HTTP listing does not name "other"
    When I GET "/sdfiles?path=/nothere" from the esp3d
    Then the HTTP JSON at "/status" is '"/nothere does not exists!"'

  @ESP3D-40 @ESP3D-D6 @firmware-only
  Scenario: An upload announced beyond the free space is refused before any byte, and the terminal is told
    Given the simulated ESP3D has an SD card of 10000 bytes
    And an ESP3D terminal connection T1
    When I upload "big.gcode" holding "G28\n" to "/sdfiles" on the ESP3D announcing 20000 bytes
    Then the HTTP JSON at "/status" is '"Upload failed"'
    And the HTTP listing does not name "big.gcode"
    And T1 receives the text "ERROR:5:Upload rejected"

  @ESP3D-40 @ESP3D-27 @firmware-only
  Scenario: A path that escapes the card is refused with ERROR:2
    Given an ESP3D terminal connection T1
    When I upload "../escape.gcode" holding "G28\n" to "/sdfiles" on the ESP3D
    Then the HTTP JSON at "/status" is '"Upload failed"'
    And T1 receives the text "ERROR:2:File creation failed"
    And every text frame T1 received is a label of the board

  @ESP3D-40 @firmware-only
  Scenario: A size field that differs from the bytes received is refused with ERROR:13
    Given an ESP3D terminal connection T1
    When I upload "short.gcode" holding "G28\n" to "/sdfiles" on the ESP3D announcing 10 bytes
    Then T1 receives the text "ERROR:13:File upload failed"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing does not name "short.gcode"

  @ESP3D-41 @firmware-only
  Scenario: Without a WebUI on the flash GET / answers the built-in page; an unknown path is a 404
    When I GET "/" from the esp3d
    Then the HTTP status is 200
    And the HTTP header "content-type" is "text/html"
    When I GET "/nothing.html" from the esp3d
    Then the HTTP status is 404

  @ESP3D-41 @firmware-only
  Scenario: GET / serves an uploaded index.html.gz with Content-Encoding gzip
    When I upload "index.html.gz" holding "not really gzip" to "/files" on the ESP3D
    And I GET "/" from the esp3d
    Then the HTTP status is 200
    And the HTTP header "content-encoding" is "gzip"
    And the HTTP body is 'not really gzip'

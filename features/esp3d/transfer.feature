@esp3d @firmware-only
Feature: ESP3D binary transfer frames on the data socket
  Files go to and from the SD card in frames of two type bytes, a 2-byte big-endian payload length and the
  payload (seed 003). No public implementation exists: the seed is the specification and every detail it
  leaves open is a decision of ours (RULES.md). The ESP3D-WebUI development server has no data socket.

  @ESP3D-31 @ESP3D-48 @ESP3D-D2
  Scenario: A status request on an idle board answers O with no extra data
    Given an ESP3D data connection D1
    When I send the frame SR "" on D1
    Then D1 answers the frame RS "'O'"

  @ESP3D-31 @ESP3D-46 @ESP3D-D1 @ESP3D-D3 @ESP3D-D15
  Scenario: An upload: SU, then UP packets acknowledged by id, and the whole file appears on the card
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:cube.gco u32:2100" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 1000*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing does not name "cube.gco"
    When I send the frame UP "u32:2 1000*47" on D1
    Then D1 answers the frame PU "'O' u32:2"
    When I send the frame UP "u32:3 100*0a" on D1
    Then D1 answers the frame PU "'O' u32:3"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing names "cube.gco"
    And the HTTP JSON at "/files/0/size" is '"2.05 KB"'
    And the HTTP JSON at "/files/0/shortname" is '"cube.gco"'

  @ESP3D-48
  Scenario: A status request during an upload reports U with path, name, sizes and the last id
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:part.gco u32:258" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 200*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame SR "" on D1
    Then D1 answers the frame RS "'U' s:/ s:part.gco u32:258 u32:200 u32:1"

  @ESP3D-46 @ESP3D-30
  Scenario: The uploaded file is on the card M20 lists
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:small.gco u32:4" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 'G28' 0a" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the text "M20\n" on D1
    Then a stream line on D1 matches /(?i)small\.gco 4/
    And the stream on D1 shows "End file list"

  @ESP3D-46
  Scenario: A repeated packet is acknowledged again and not written twice
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:rep.gco u32:20" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 10*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame UP "u32:1 10*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame UP "u32:2 10*47" on D1
    Then D1 answers the frame PU "'O' u32:2"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing names "rep.gco"
    And the HTTP JSON at "/files/0/size" is '"20 B"'

  @ESP3D-46
  Scenario: A gap in the packet ids fails the upload with code 10 and leaves no file
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:gap.gco u32:30" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 10*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame UP "u32:3 10*47" on D1
    Then D1 answers the frame PU "'E' u32:3"
    When I send the frame SR "" on D1
    Then D1 answers the frame RS "'E' 0a s'Packet out of sequence'"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing does not name "gap.gco"

  @ESP3D-46
  Scenario: Data beyond the announced size fails the upload with code 13
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:over.gco u32:5" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 10*47" on D1
    Then D1 answers the frame PU "'E' u32:1"
    When I send the frame SR "" on D1
    Then D1 answers the frame RS "'E' 0d s'File size mismatch'"

  @ESP3D-46
  Scenario: An upload is checked before any byte: a bad name, a missing directory, no room, one under way
    Given the simulated ESP3D has an SD card of 10000 bytes
    And an ESP3D data connection D1
    When I send the frame SU "s:/ s:../up.gco u32:5" on D1
    Then D1 answers the frame US "'E' 02 s'File creation failed'"
    When I send the frame SU "s:/nodir s:a.gco u32:5" on D1
    Then D1 answers the frame US "'E' 02 s'File creation failed'"
    When I send the frame SU "s:/ s:big.gco u32:20000" on D1
    Then D1 answers the frame US "'E' 05 s'Upload rejected'"
    When I send the frame SU "s:/ s:ok.gco u32:5" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame SU "s:/ s:two.gco u32:5" on D1
    Then D1 answers the frame US "'B'"

  @ESP3D-46
  Scenario: An UP from a client with no upload of its own is refused
    Given an ESP3D data connection D1
    When I send the frame UP "u32:1 'G28'" on D1
    Then D1 answers the frame PU "'E' u32:1"

  @ESP3D-45
  Scenario: A frame over 1024 bytes answers E 11 Frame too large
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:big.gco u32:2000" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 1017*47" on D1
    Then D1 answers the frame RS "'E' 0b s'Frame too large'"

  @ESP3D-45
  Scenario: A transfer frame whose payload does not fit its type answers E 4 Invalid frame
    Given an ESP3D data connection D1
    When I send the frame CM "'X'" on D1
    Then D1 answers the frame RS "'E' 04 s'Invalid frame'"

  @ESP3D-44
  Scenario: A binary message whose length field does not match is G-code, not a frame
    Given an ESP3D data connection D1
    When I send the bytes "'SR' 00 05" on D1
    And I send the text "\n" on D1
    Then the stream on D1 shows "echo:Unknown command: \"SR"

  @ESP3D-31 @ESP3D-48
  Scenario: CM A aborts an upload: the next SR reports A, no file stays, and a new SU is accepted at once
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:abort.gco u32:100" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 10*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame CM "'A'" on D1
    And I send the frame SR "" on D1
    Then D1 answers the frame RS "'A'"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing does not name "abort.gco"
    When I send the frame SU "s:/ s:abort.gco u32:0" on D1
    Then D1 answers the frame US "'O'"

  @ESP3D-48 @ESP3D-D4
  Scenario: A transfer is one client's conversation: answers go to the sender only, any client may abort
    Given an ESP3D data connection D1
    And an ESP3D data connection D2
    When I send the frame SU "s:/ s:mine.gco u32:100" on D1
    Then D1 answers the frame US "'O'"
    And D2 receives no frame within 300 ms
    When I send the frame CM "'A'" on D2
    And I send the frame SR "" on D2
    Then D2 answers the frame RS "'A'"

  @ESP3D-48
  Scenario: A client that disconnects mid-upload aborts it and leaves no file
    Given an ESP3D data connection D1
    And an ESP3D data connection D2
    When I send the frame SU "s:/ s:left.gco u32:100" on D1
    Then D1 answers the frame US "'O'"
    When I close the ESP3D connection D1
    And I send the frame SR "" on D2
    Then D2 answers the frame RS "'A'"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP listing does not name "left.gco"

  @ESP3D-47
  Scenario: A download: SD answers DS with the size, then DP packets, each brought by the PD of the last
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ s:down.gco u32:1020" on D1
    Then D1 answers the frame US "'O'"
    When I send the frame UP "u32:1 1016*47" on D1
    Then D1 answers the frame PU "'O' u32:1"
    When I send the frame UP "u32:2 'M84' 0a" on D1
    Then D1 answers the frame PU "'O' u32:2"
    When I send the frame SD "s:/ s:down.gco" on D1
    Then D1 answers the frame DS "'O' u32:1020"
    And D1 answers the frame DP "u32:1 1016*47"
    When I send the frame PD "'O' u32:1" on D1
    Then D1 answers the frame DP "u32:2 'M84' 0a"
    When I send the frame PD "'O' u32:2" on D1
    And I send the frame SR "" on D1
    Then D1 answers the frame RS "'O'"

  @ESP3D-47
  Scenario: A download of a missing file, and a PD with no download, are refused
    Given an ESP3D data connection D1
    When I send the frame SD "s:/ s:none.gco" on D1
    Then D1 answers the frame DS "'E' 02 s'File not found'"
    When I send the frame PD "'O' u32:1" on D1
    Then D1 answers the frame RS "'E' 0c s'No transfer started'"

  @ESP3D-39 @ESP3D-D10
  Scenario: A name with a quote and a backslash stays JSON in the listing
    Given an ESP3D data connection D1
    When I send the frame SU "s:/ 08 'q' 22 'b' 5c '.gco' u32:0" on D1
    Then D1 answers the frame US "'O'"
    When I GET "/sdfiles" from the esp3d
    Then the HTTP body matches the schema "esp3d/listing"
    And the HTTP listing names "q\"b\\.gco"

@esp3d
Feature: Network faults on the ESP3D sockets
  The simulator's serve layer can close any socket with a code of its choosing and refuse handshakes. The
  board behind it gives the freed client slot to the next client.

  @ESP3D-50 @sim-only
  Scenario: A terminal connection closed by a fault sees the code; a refused handshake sees its status
    Given an ESP3D terminal connection t1
    When the esp3d-terminal socket closes the connection with code 4000 and reason "maintenance"
    Then t1 is closed with code 4000
    Given the esp3d-terminal socket refuses the next handshake with HTTP 503
    Then an upgrade to the esp3d-terminal is refused with HTTP 503
    Given an ESP3D terminal connection t2
    Then the id of t2 is 1

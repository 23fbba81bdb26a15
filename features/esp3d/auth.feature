@esp3d @sim-only @firmware-only
Feature: ESP3D authentication: /login, the ESPSESSIONID cookie and the levels
  With authentication on (a board option), every route but /login needs a session; the session id is the
  client address and the board's millisecond clock in hex. The dev server's Marlin target has none.

  @ESP3D-42
  Scenario: Without authentication /login says admin
    When I GET "/login" from the esp3d
    Then the HTTP body is '{"status":"ok","authentication_lvl":"admin"}'

  @ESP3D-42 @ESP3D-38
  Scenario: A guest is refused; a login opens a session the cookie carries
    Given the simulated ESP3D has authentication on
    When I GET "/command?cmd=M105" from the esp3d
    Then the HTTP status is 401
    And the HTTP body is 'Wrong authentication!'
    When I log in to the ESP3D as admin with "wrong"
    Then the HTTP status is 401
    When I log in to the ESP3D as admin with "admin"
    Then the HTTP status is 200
    And the HTTP body is '{"status":"ok","authentication_lvl":"guest"}'
    When I GET "/command?cmd=M105" from the ESP3D with the session cookie
    Then the HTTP status is 200
    And the HTTP body is 'ESP3D says: command forwarded'

  @ESP3D-42 @ESP3D-D12 @ESP3D-D13
  Scenario: The session id is the client address then the board's clock; Basic credentials are not read
    Given the simulated ESP3D has authentication on
    When I log in to the ESP3D as user with "user"
    Then the session cookie matches /(?i)7F000001[0-9A-F]{8}/
    When I GET "/command?cmd=M105" from the ESP3D with Basic credentials admin:admin
    Then the HTTP status is 401

  @ESP3D-38
  Scenario: A command above the session's level answers Wrong authentication level with 401
    Given the simulated ESP3D has authentication on
    When I log in to the ESP3D as user with "user"
    And I GET "/command?cmd=%5BESP401%5DP%3D130%20T%3DS%20V%3Dx" from the ESP3D with the session cookie
    Then the HTTP status is 401
    And the HTTP body matches /Wrong authentication level\n?/

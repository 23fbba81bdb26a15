@obico
Feature: Network faults on the Obico agent's connection
  The serve layer shapes the connection a device dials out as it shapes a served socket, and can make the
  server unreachable: the agent's connects then fail at once, as with no route to the server.

  @OBICO-44 @sim-only
  Scenario: An agent reset while its server is unreachable stays away, then reconnects once the server is back
    Given an Obico agent connected to the checker
    When the obico server is unreachable for 60000 ms
    And the obico socket resets the connection
    Then the agent's socket is reset
    And within 55000 ms of device time the agent opens at most 0 new sockets and sends at most 0 frames on them
    And the agent opens a new socket within 300000 ms of device time

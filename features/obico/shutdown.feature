@obico
Feature: Obico agent: the server's closes
  After a normal close (1000) OctoPrint-Obico reconnects lazily, with a later message; an idle one against the
  checker took between 120 s and 270 s, so the bound is 300 s. Close code 4321 means a
  duplicate connection for the same printer ("shared auth_token"): the real agent shuts its sending down,
  still reconnects once and sends the one message that was waiting, then stays silent. So after 4321 an
  agent opens at most one new socket and sends at most one frame on it. Against a real agent the 4321
  scenario ends its useful life until it restarts: run it last, or alone (--tags @OBICO-42).

  @OBICO-42
  Scenario: After a normal close the agent opens a new socket
    Given an Obico agent connected to the checker
    When the checker closes the socket with code 1000
    Then the agent opens a new socket within 300000 ms of device time

  @OBICO-42
  Scenario: After 4321 the agent reconnects at most once and sends nothing after that
    Given an Obico agent connected to the checker
    When the checker closes the socket with code 4321
    Then within 150000 ms of device time the agent opens at most 1 new socket and sends at most 1 frame on it

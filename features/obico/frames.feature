@obico
Feature: Obico agent: status frames, state flags, _ts and the heartbeat
  Every frame the agent sends is JSON text (binary frames are BSON). A status message has current_print_ts (an
  int, -1 when idle) with status; a non-empty status has _ts (a number), state.text and at least the seven
  required flags (the real OctoPrint agent sends all eleven). The text and the flags agree; _ts never goes
  back on one socket. OctoPrint-Obico posts a status at least every 50 s, every 10 s for a while after any
  activity (a server frame, an event).

  @OBICO-34 @OBICO-35 @OBICO-38
  Scenario: An idle agent's frames are well formed, its flags agree with its state, and _ts never goes back
    Given an Obico agent connected to the checker
    When 60000 ms of device time pass
    Then the agent sent at least 2 status frames
    And every frame the agent sent kept rule OBICO-34
    And every frame the agent sent kept rule OBICO-35
    And every frame the agent sent kept rule OBICO-38

  @OBICO-43
  Scenario: An idle agent sends a status at least every 50 s
    Given an Obico agent connected to the checker
    When 130000 ms of device time pass
    Then the agent sent at least 3 status frames
    And status frames came at most 50000 ms of device time apart

  @OBICO-43
  Scenario: After a server frame the agent sends a status within 10 s
    Given an Obico agent connected to the checker
    And 52000 ms of device time pass
    When the checker sends '{"remote_status": {"viewing": false}, "type": "printer.message"}'
    Then a status frame arrives within 11000 ms of device time

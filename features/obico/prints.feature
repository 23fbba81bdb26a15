@obico
Feature: Obico agent: a print's current_print_ts, its events, and pause, resume and cancel
  A print is started through the passthru _printer.select_file(FILE, False, True) (FILE: --obico-print-file;
  a real OctoPrint needs the file's path on disk). current_print_ts is -1 when idle, one new value from
  PrintStarted through the terminal event inclusive, and -1 after it. Per print the events come as
  PrintStarted, (PrintPaused, PrintResumed)*, then PrintDone, [PrintCancelling,] PrintCancelled, PrintFailed, or
  PrintFailed. Other event types (OctoPrint's PrinterStateChanged) are accepted and not part of the order.
  The server's pause / resume / cancel commands are obeyed within a bounded time.

  @OBICO-36 @OBICO-37
  Scenario: A print runs to its end under one current_print_ts, and the agent is idle again after it
    Given an Obico agent connected to the checker
    And the agent is printing, started through a passthru
    Then the print ends within 1800000 ms of device time
    And the print's events were PrintStarted, PrintDone
    And the agent reports current_print_ts -1 within 60000 ms of device time
    And every frame the agent sent kept rule OBICO-37
    And every frame the agent sent kept rule OBICO-34

  @OBICO-40 @OBICO-37
  Scenario: The agent obeys the server's pause, resume and cancel
    Given an Obico agent connected to the checker
    And the agent is printing, started through a passthru
    When the checker sends the command "pause" with args '{"retract": 6.5, "lift_z": 2.5, "tools_off": true}'
    Then the agent reports the event "PrintPaused" within 5000 ms of device time
    And the agent reports its printer "Paused" within 5000 ms of device time
    When the checker sends the command "resume"
    Then the agent reports the event "PrintResumed" within 5000 ms of device time
    And the agent reports its printer "Printing" within 5000 ms of device time
    When the checker sends the command "cancel"
    Then the agent reports the event "PrintCancelled" within 5000 ms of device time
    And the print ends within 5000 ms of device time
    And the print's events were PrintStarted, PrintPaused, PrintResumed, [PrintCancelling], PrintCancelled, PrintFailed
    And the agent reports current_print_ts -1 within 60000 ms of device time
    And every frame the agent sent kept rule OBICO-37
    And every frame the agent sent kept rule OBICO-35

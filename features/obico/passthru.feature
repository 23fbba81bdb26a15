@obico
Feature: Obico agent: passthru calls are answered exactly once
  The server relays web-app calls as {"passthru": {"target", "func", "args", "ref"}, "type": "printer.message"}.
  The agent answers {"passthru": {"ref": R, "ret": V}} or {"passthru": {"ref": R, "error": "<text>"}} once,
  and ignores a ref it has already seen (OctoPrint-Obico keeps the last 25, moonraker-obico the last 100).

  @OBICO-41
  Scenario: A passthru call is answered once, and its duplicate is ignored
    Given an Obico agent connected to the checker
    When the checker sends the passthru '{"target": "_printer", "func": "get_connection_options", "ref": "check-1"}'
    Then exactly one passthru reply with ref "check-1" arrives within 3000 ms of device time
    When the checker sends the passthru '{"target": "_printer", "func": "get_connection_options", "ref": "check-1"}'
    Then no passthru reply with ref "check-1" arrives within 3000 ms of device time

  @OBICO-41
  Scenario: A printer command through passthru returns null
    Given an Obico agent connected to the checker
    When the checker sends the passthru '{"target": "_printer", "func": "commands", "args": ["M105"], "ref": "check-2"}'
    Then exactly one passthru reply with ref "check-2" arrives within 3000 ms of device time
    And the passthru reply with ref "check-2" has ret 'null'

  @OBICO-41
  Scenario: A call that raises is answered with its error text
    Given an Obico agent connected to the checker
    When the checker sends the passthru '{"target": "_printer", "func": "set_temperature", "args": ["nope", 10], "ref": "check-3"}'
    Then exactly one passthru reply with ref "check-3" arrives within 3000 ms of device time
    And the passthru reply with ref "check-3" has error '"heater must match \"tool\", \"tool([0-9])\", \"bed\" or \"chamber\": nope"'

@obico
Feature: Obico agent: REST first, then /ws/dev/ with a bearer token
  The checker is the Obico server the agent dials (its endpoint prefix). The agent checks its token with
  GET /api/v1/octo/printer/ (Authorization: Token <tok>) and opens no socket until that answers 2xx; then it
  opens /ws/dev/ with `authorization: bearer <tok>`. The server decides before the upgrade: an unknown token
  is refused with 403, no header or another scheme (`Bearer`) gets 500, as the real obico-server answers.
  The server's first frame is {"remote_status": {"viewing": false, "should_watch": false}}.

  @OBICO-39
  Scenario: The agent's first socket after it starts carries its settings with the agent's name and version
    Given an Obico agent connected to the checker
    Then one of the agent's first two frames carries settings.agent with a name and a version

  @OBICO-32
  Scenario: The agent checks its token over REST before it opens its socket with a lower-case bearer
    Given an Obico agent connected to the checker
    Then the agent called "GET /api/v1/octo/printer/" with its token before it opened the socket
    And every socket the agent opened carried a lower-case bearer and its token

  @OBICO-32
  Scenario Outline: The server answers the REST calls as the real server: <call> with "<authorization>"
    When I call the Obico server "<call>" with authorization "<authorization>"
    Then the HTTP status is <status>
    And the HTTP body is '<body>'

    Examples:
      | call                              | authorization | status | body                                                                                                     |
      | GET /api/v1/octo/printer/         | Token {token} | 200    | {"user":{"is_pro":true},"printer":{"is_pro":true,"id":1,"name":"understudy-check","retract_on_pause":6.5}} |
      | GET /api/v1/octo/printer/         | Token nope    | 401    | {"error":"Invalid or Inactive Token","is_authenticated":"False"}                                         |
      | GET /api/v1/octo/printer/         |               | 401    | {"detail":"Authentication credentials were not provided."}                                               |
      | POST /api/v1/octo/printer_events/ | Token {token} | 200    | {"result":"ok"}                                                                                          |
      | GET /ent/api/printers/1/ext/      | Token {token} | 404    | {"detail":"Not found."}                                                                                  |

  @OBICO-32
  Scenario Outline: The server refuses <what> before the upgrade with <status>
    When I ask the Obico server to upgrade "/ws/dev/" with authorization "<authorization>"
    Then the HTTP status is <status>

    Examples:
      | what                        | authorization  | status |
      | an unknown token            | bearer nope    | 403    |
      | the capital Bearer scheme   | Bearer {token} | 500    |
      | no authorization header     |                | 500    |

  @OBICO-32
  Scenario: After a refused upgrade the agent tries again and its socket opens
    Given the checker refuses the agent's next socket with 403
    And an Obico agent connected to the checker within 400000 ms of device time
    Then every frame the agent sent kept rule OBICO-38

  @OBICO-33
  Scenario: The agent keeps its socket after the server's remote_status frames and does not answer them
    Given an Obico agent connected to the checker
    When the checker sends '{"remote_status": {"viewing": true}, "type": "printer.message"}'
    And the checker sends '{"remote_status": {"should_watch": false}, "type": "printer.message"}'
    And the checker sends '{"foo": {"bar": 1}, "type": "printer.message"}'
    And 12000 ms of device time pass
    Then the agent sent nothing but status frames since the checker's last frame
    And the agent's socket is still open

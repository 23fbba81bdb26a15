@pubsub
Feature: The server_logs topic
  The server publishes its own log events on server_logs to whoever subscribed to it. In a log template,
  {name} stands for a connection label or a peer address: bound the first time it is seen, the same
  text after that.

  @PUBSUB-13 @PUBSUB-20
  Scenario: A server_logs subscriber sees connections come and go and their subscriptions change
    Given a pub/sub connection watcher subscribed to "server_logs"
    Then connection watcher receives the server log info "{watcher} subscribed to server_logs"
    When a pub/sub connection other opens
    Then connection watcher receives the server log info "{other} connected"
    And the labels {watcher} and {other} differ
    When connection other subscribes to "conformance/x"
    Then connection other receives the ack "subscribed" for "conformance/x"
    And connection watcher receives the server log info "{other} subscribed to conformance/x"
    When connection other unsubscribes from "conformance/x"
    Then connection other receives the ack "unsubscribed" for "conformance/x"
    And connection watcher receives the server log info "{other} unsubscribed from conformance/x"
    When connection other closes
    Then connection watcher receives the server log info "{other} disconnected"
    And the last server log holds none of the tokens sent

  @PUBSUB-20
  Scenario: Requests that change no subscription are not logged
    Given a pub/sub connection watcher subscribed to "server_logs"
    Then connection watcher receives the server log info "{watcher} subscribed to server_logs"
    When a pub/sub connection other opens
    Then connection watcher receives the server log info "{other} connected"
    When connection other subscribes to "conformance/x"
    Then connection other receives the ack "subscribed" for "conformance/x"
    And connection watcher receives the server log info "{other} subscribed to conformance/x"
    When connection other subscribes to "conformance/x"
    And connection other unsubscribes from "conformance/never"
    And connection other publishes '{"name":"n","type":"k","data":0}' to "conformance/x"
    Then connection other receives the ack "subscribed" for "conformance/x"
    And connection other receives the ack "unsubscribed" for "conformance/never"
    And connection other receives the delivery of '{"name":"n","type":"k","data":0}' on "conformance/x"
    And connection other receives the ack "published" for "conformance/x"
    And nothing more arrives on connection watcher

  @PUBSUB-13
  Scenario: After the unsubscribed ack, no more server log events arrive
    Given a pub/sub connection watcher subscribed to "server_logs"
    Then connection watcher receives the server log info "{watcher} subscribed to server_logs"
    When connection watcher unsubscribes from "server_logs"
    Then connection watcher receives the ack "unsubscribed" for "server_logs"
    When a pub/sub connection other opens
    And connection other subscribes to "conformance/y"
    Then connection other receives the ack "subscribed" for "conformance/y"
    When connection other closes
    Then nothing more arrives on connection watcher

  @PUBSUB-20 @PUBSUB-30 @PUBSUB-15
  Scenario Outline: A refused token is logged as a warning with the peer and the reason, never the token
    Given a pub/sub connection watcher subscribed to "server_logs"
    Then connection watcher receives the server log info "{watcher} subscribed to server_logs"
    When I ask to open the pub/sub socket at "/wss?token=<token>"
    Then the HTTP status is 401
    And connection watcher receives the server log warn "authentication failed for {peer}: <reason>"
    And the peer {peer} is an address and port
    And the last server log holds none of the tokens sent

    Examples:
      | token               | reason                        |
      |                     | missing token                 |
      | {token:alg-none}    | algorithm none is not allowed |
      | {token:wrong-key}   | invalid signature             |
      | {token:tampered}    | invalid signature             |

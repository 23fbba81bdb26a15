@pubsub
Feature: Pub/sub transport: TLS, plain HTTP on the port, and what is recorded
  The socket is wss:// by default. The simulator makes a self-signed certificate for localhost and
  127.0.0.1 at start and announces its file as pubsub-ca; a robot may have any certificate (check it
  with --insecure when it cannot be verified, which the report then says).

  @PUBSUB-29
  Scenario: The socket is served over TLS
    Then the pub/sub socket is served over TLS

  @PUBSUB-29 @sim-only
  Scenario Outline: The simulator's certificate is announced and valid for <name>
    Then a TLS client that trusts only the announced "pubsub-ca" certificate completes a handshake as "<name>"

    Examples:
      | name      |
      | localhost |
      | 127.0.0.1 |

  @PUBSUB-29
  Scenario: Failed TLS handshakes disturb no other connection
    Given a pub/sub connection reader subscribed to "conformance/tls"
    When a TLS client that trusts no certificate fails its handshake with the pub/sub port
    And I send a plain HTTP request to the pub/sub port without TLS
    And a pub/sub connection writer opens
    And connection writer publishes '{"name":"n","type":"k","data":"through"}' to "conformance/tls"
    Then connection reader receives the delivery of '{"name":"n","type":"k","data":"through"}' on "conformance/tls"

  @PUBSUB-31
  Scenario: /wss without an upgrade answers 426
    When I GET "/wss" from the pubsub
    Then the HTTP status is 426
    And the HTTP body is '{"error":"websocket upgrade required"}'
    And the HTTP body matches the schema "pubsub/http-error"
    And the HTTP header "Content-Type" is "application/json"

  @PUBSUB-31
  Scenario Outline: Plain HTTP <method> <path> answers 404
    When I send HTTP <method> "<path>" to the pubsub
    Then the HTTP status is 404
    And the HTTP body is '{"error":"not found"}'
    And the HTTP body matches the schema "pubsub/http-error"

    Examples:
      | method | path        |
      | GET    | /           |
      | GET    | /ws         |
      | POST   | /publish    |

  @PUBSUB-30 @sim-only
  Scenario: The transcript records the path of each connection and never a token
    Given the simulator records a transcript
    And a pub/sub connection subscribed to "conformance/recorded"
    When I ask to open the pub/sub socket at "/wss?token={token:wrong-key}"
    Then the HTTP status is 401
    And after shutdown the transcript records the path "/wss" and none of the tokens sent

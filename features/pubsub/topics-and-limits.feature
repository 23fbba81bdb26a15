@pubsub
Feature: Server-owned topics and limits
  server_logs, odom, battery and diagnostics are published by the server only. Topics, subscriptions
  per connection and frames are bounded, and a subscriber that stops reading is dropped instead of
  holding anyone up.

  @PUBSUB-21
  Scenario Outline: A client's publish to <topic> is refused
    Given a pub/sub connection
    When I publish '{"name":"fake","type":"fake","data":{}}' to "<topic>"
    Then I receive the error "topic "<topic>" is published by the server only"
    When I subscribe to "conformance/still-open"
    Then I receive the ack "subscribed" for "conformance/still-open"

    Examples:
      | topic       |
      | server_logs |
      | odom        |
      | battery     |
      | diagnostics |

  @PUBSUB-21
  Scenario: Server topics can be subscribed to like any other
    Given a pub/sub connection
    When I subscribe to "diagnostics"
    Then I receive the ack "subscribed" for "diagnostics"

  @PUBSUB-22
  Scenario: A topic of 1024 bytes is accepted, one of 1025 bytes is refused
    Given a pub/sub connection
    When I subscribe to a topic of 1024 times "t"
    Then I receive the ack "subscribed" for the topic of 1024 times "t"
    When I subscribe to a topic of 1025 times "t"
    Then I receive the error ""topic" is longer than 1024 bytes"
    When I subscribe to a topic of 513 times "é"
    Then I receive the error ""topic" is longer than 1024 bytes"

  @PUBSUB-22
  Scenario: A connection holds at most 1024 subscriptions
    Given a pub/sub connection
    When I subscribe to 1024 distinct topics "conformance/limit/0" to "conformance/limit/1023" and each is acked
    And I subscribe to "conformance/limit/one-more"
    Then I receive the error "too many subscriptions (at most 1024)"
    When I subscribe to "conformance/limit/7"
    Then I receive the ack "subscribed" for "conformance/limit/7"
    When I unsubscribe from "conformance/limit/7"
    And I subscribe to "conformance/limit/one-more"
    Then I receive the ack "unsubscribed" for "conformance/limit/7"
    And I receive the ack "subscribed" for "conformance/limit/one-more"

  @PUBSUB-22
  Scenario: A frame over 1 MiB closes the connection with 1009
    Given a pub/sub connection
    When I send a text frame of 1048577 bytes
    Then the connection is closed with code 1009 and a reason

  @PUBSUB-22
  Scenario: A frame of exactly 1 MiB is read as a request
    Given a pub/sub connection
    When I send a text frame of 1048576 bytes
    Then I receive the error "request must be a JSON object"

  @PUBSUB-23 @PUBSUB-20
  Scenario: A subscriber that stops reading is closed with 1008 and the others go on
    Given a pub/sub connection fast subscribed to "server_logs"
    Then connection fast receives the server log info "{fast} subscribed to server_logs"
    When a pub/sub connection slow opens
    Then connection fast receives the server log info "{slow} connected"
    When connection slow subscribes to "conformance/bulk"
    Then connection fast receives the server log info "{slow} subscribed to conformance/bulk"
    When connection fast publishes 32 KiB messages to "conformance/bulk" until the server log says "{slow} closed: subscriber too slow"
    Then connection slow is closed with code 1008 and reason 'subscriber too slow' after at least one queued frame
    When connection fast publishes '{"name":"n","type":"k","data":"after"}' to "conformance/bulk"
    Then connection fast receives the ack "published" for "conformance/bulk"

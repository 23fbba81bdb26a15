@pubsub
Feature: Network faults on the pub/sub socket
  The simulator's serve layer can fragment and corrupt any socket's frames. A corrupted frame fails only the
  connection it was sent on; the robot keeps serving every other one.

  @PUBSUB-32 @sim-only
  Scenario: Text frames sent in 8-byte continuation frames arrive whole
    Given a pub/sub connection
    And the pubsub socket fragments text frames into 8-byte pieces
    When I subscribe to "odom"
    Then I receive the ack "subscribed" for "odom"

  @PUBSUB-32 @sim-only
  Scenario: A frame corrupted into invalid UTF-8 fails its connection; a new connection is served
    Given a pub/sub connection
    And the pubsub socket corrupts the next frame into invalid UTF-8
    When I send the pub/sub request '{"action":"subscribe","topic":"odom"}'
    Then connection main fails on text that is not UTF-8
    Given a pub/sub connection b
    When connection b subscribes to "battery"
    Then connection b receives the ack "subscribed" for "battery"

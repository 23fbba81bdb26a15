@pubsub
Feature: Pub/sub fan-out and ordering
  A publish to a topic reaches every connection subscribed to it, exactly once each, in publish order,
  with the payload exactly as published. Each connection's replies and deliveries come in the order the
  server applied them.

  @PUBSUB-17
  Scenario: A delivery carries the payload exactly as published
    Given a pub/sub connection reader subscribed to "conformance/payload"
    And a pub/sub connection
    When I publish '{"name":"pose","type":"geometry_msgs/Pose","data":{"position":{"x":1.5,"y":-2,"z":0},"label":"héllo ✓ \"quoted\"","tags":[1,"two",null,true,{"deep":[[]]}],"big":9007199254740991}}' to "conformance/payload"
    Then I receive the ack "published" for "conformance/payload"
    And connection reader receives '{"action":"message","topic":"conformance/payload","data":{"name":"pose","type":"geometry_msgs/Pose","data":{"position":{"x":1.5,"y":-2,"z":0},"label":"héllo ✓ \"quoted\"","tags":[1,"two",null,true,{"deep":[[]]}],"big":9007199254740991}}}'

  @PUBSUB-17
  Scenario Outline: The inner data may be <case>
    Given a pub/sub connection subscribed to "conformance/any"
    When I publish '{"name":"n","type":"t","data":<data>}' to "conformance/any"
    Then I receive the delivery of '{"name":"n","type":"t","data":<data>}' on "conformance/any"
    And I receive the ack "published" for "conformance/any"

    Examples:
      | case           | data          |
      | a string       | "text"        |
      | a number       | -0.125        |
      | a boolean      | false         |
      | null           | null          |
      | an array       | [1,[2],{}]    |
      | an empty object | {}           |

  @PUBSUB-14 @PUBSUB-16
  Scenario: Twenty subscribers each get every publication exactly once, in publish order
    Given 20 pub/sub connections sub1, sub2, … subscribed to "conformance/fan", every other one twice
    And a pub/sub connection publisher
    When connection publisher publishes the numbered messages 0 to 29 to "conformance/fan"
    Then connection publisher receives 30 "published" acks for "conformance/fan"
    And each of sub1 to sub20 receives the numbered messages 0 to 29 on "conformance/fan" exactly once, in order

  @PUBSUB-14
  Scenario: Subscribing twice is the same as once, and one unsubscribe ends it
    Given a pub/sub connection subscribed to "conformance/twice"
    When I subscribe to "conformance/twice"
    Then I receive the ack "subscribed" for "conformance/twice"
    When I publish '{"name":"n","type":"k","data":1}' to "conformance/twice"
    Then I receive the delivery of '{"name":"n","type":"k","data":1}' on "conformance/twice"
    And I receive the ack "published" for "conformance/twice"
    When I unsubscribe from "conformance/twice"
    Then I receive the ack "unsubscribed" for "conformance/twice"
    When I publish '{"name":"n","type":"k","data":2}' to "conformance/twice"
    Then I receive the ack "published" for "conformance/twice"
    And nothing more arrives

  @PUBSUB-14
  Scenario: Topics are separate: a subscriber gets only its own topics
    Given a pub/sub connection reader subscribed to "conformance/left"
    And a pub/sub connection
    When I publish '{"name":"n","type":"k","data":"right"}' to "conformance/right"
    And I publish '{"name":"n","type":"k","data":"left"}' to "conformance/left"
    Then I receive the ack "published" for "conformance/right"
    And I receive the ack "published" for "conformance/left"
    And connection reader receives the delivery of '{"name":"n","type":"k","data":"left"}' on "conformance/left"
    And nothing more arrives on connection reader

  @PUBSUB-18 @PUBSUB-14
  Scenario: A publisher subscribed to its own topic gets each publication just before its ack
    Given a pub/sub connection echo subscribed to "conformance/echo"
    When connection echo publishes the numbered messages 0 to 9 to "conformance/echo"
    Then connection echo receives each numbered message 0 to 9 on "conformance/echo" just before its "published" ack
    And nothing more arrives on connection echo

  @PUBSUB-19 @PUBSUB-14
  Scenario: Every publication after the subscribed ack arrives, and none after the unsubscribed ack
    Given a pub/sub connection reader subscribed to "conformance/order"
    And a pub/sub connection writer
    When connection writer publishes the numbered messages 0 to 199 to "conformance/order"
    Then connection reader receives the numbered messages 0 to 199 on "conformance/order" in order
    And connection writer receives 200 "published" acks for "conformance/order"
    When connection reader unsubscribes from "conformance/order" while connection writer publishes the numbered messages 200 to 399 to it
    Then connection reader receives the numbered messages from 200 on "conformance/order" in order, then its "unsubscribed" ack
    And connection writer receives 200 "published" acks for "conformance/order"
    And nothing more arrives on connection reader

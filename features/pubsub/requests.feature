@pubsub
Feature: Pub/sub requests, acknowledgements and errors
  A request is one of the seed's three JSON objects. Every applied request is acknowledged to its
  sender; anything else answers {"action":"error","error":"<reason>"} and the connection stays open.

  @PUBSUB-16
  Scenario: Subscribe, unsubscribe and publish are each acknowledged with their topic
    Given a pub/sub connection
    When I subscribe to "conformance/acks"
    Then I receive '{"action":"subscribed","topic":"conformance/acks"}'
    When I publish '{"name":"n","type":"k","data":1}' to "conformance/elsewhere"
    Then I receive '{"action":"published","topic":"conformance/elsewhere"}'
    When I unsubscribe from "conformance/acks"
    Then I receive '{"action":"unsubscribed","topic":"conformance/acks"}'
    And nothing more arrives

  @PUBSUB-16
  Scenario: Unsubscribing from a topic never subscribed to is acknowledged too
    Given a pub/sub connection
    When I unsubscribe from "conformance/never"
    Then I receive the ack "unsubscribed" for "conformance/never"

  @PUBSUB-16
  Scenario: Requests sent back to back are acknowledged one by one, in order
    Given a pub/sub connection
    When I subscribe to "conformance/a"
    And I subscribe to "conformance/b"
    And I publish '{"name":"n","type":"k","data":null}' to "conformance/c"
    And I unsubscribe from "conformance/a"
    Then I receive the ack "subscribed" for "conformance/a"
    And I receive the ack "subscribed" for "conformance/b"
    And I receive the ack "published" for "conformance/c"
    And I receive the ack "unsubscribed" for "conformance/a"

  @PUBSUB-12 @PUBSUB-16
  Scenario: Unknown fields are ignored and a publish without data.data delivers null
    Given a pub/sub connection subscribed to "conformance/extra"
    When I send the pub/sub request '{"id":7,"action":"publish","topic":"conformance/extra","data":{"type":"k","name":"n","extra":true}}'
    Then I receive '{"action":"message","topic":"conformance/extra","data":{"name":"n","type":"k","data":null}}'
    And I receive the ack "published" for "conformance/extra"
    When I send the pub/sub request '{"action":"subscribe","topic":"conformance/more","qos":2}'
    Then I receive the ack "subscribed" for "conformance/more"

  @PUBSUB-12
  Scenario Outline: <case> answers "<reason>" and the connection stays open
    Given a pub/sub connection
    When I send the pub/sub request '<request>'
    Then I receive the error "<reason>"
    When I subscribe to "conformance/still-open"
    Then I receive the ack "subscribed" for "conformance/still-open"

    Examples: not a request object
      | case               | request           | reason                        |
      | text that is no JSON | {not json       | request is not valid JSON     |
      | an empty frame     |                   | request is not valid JSON     |
      | truncated JSON     | {"action":"subscribe" | request is not valid JSON |
      | an array           | [1,2]             | request must be a JSON object |
      | a string           | "subscribe"       | request must be a JSON object |
      | null               | null              | request must be a JSON object |

    Examples: the action
      | case                  | request                                    | reason                                                                  |
      | no action             | {"topic":"t"}                              | missing "action" field                                                  |
      | a numeric action      | {"action":1,"topic":"t"}                   | "action" must be a string                                               |
      | a null action         | {"action":null,"topic":"t"}                | "action" must be a string                                               |
      | an unknown action     | {"action":"shout","topic":"t"}             | unknown action "shout" (expected subscribe, unsubscribe or publish)     |
      | another case          | {"action":"Subscribe","topic":"t"}         | unknown action "Subscribe" (expected subscribe, unsubscribe or publish) |
      | an empty action       | {"action":"","topic":"t"}                  | unknown action "" (expected subscribe, unsubscribe or publish)          |
      | a long unknown action | {"action":"abcdefghijklmnopqrstuvwxyz0123456789","topic":"t"} | unknown action "abcdefghijklmnopqrstuvwxyz012345" (expected subscribe, unsubscribe or publish) |

    Examples: the topic
      | case                    | request                                                           | reason                               |
      | a subscribe without one | {"action":"subscribe"}                                            | "topic" must be a non-empty string   |
      | an empty topic          | {"action":"unsubscribe","topic":""}                               | "topic" must be a non-empty string   |
      | a numeric topic         | {"action":"publish","topic":5,"data":{"name":"n","type":"k"}}     | "topic" must be a non-empty string   |

    Examples: the publish data
      | case                 | request                                                           | reason                             |
      | no data              | {"action":"publish","topic":"t"}                                  | publish requires a "data" object   |
      | data as text         | {"action":"publish","topic":"t","data":"x"}                       | publish requires a "data" object   |
      | data as null         | {"action":"publish","topic":"t","data":null}                      | publish requires a "data" object   |
      | no name              | {"action":"publish","topic":"t","data":{"type":"k"}}              | "data.name" must be a string       |
      | a numeric name       | {"action":"publish","topic":"t","data":{"name":1,"type":"k"}}     | "data.name" must be a string       |
      | no type              | {"action":"publish","topic":"t","data":{"name":"n"}}              | "data.type" must be a string       |
      | a null type          | {"action":"publish","topic":"t","data":{"name":"n","type":null}}  | "data.type" must be a string       |

  @PUBSUB-12 @PUBSUB-14
  Scenario: A refused publish is delivered to nobody
    Given a pub/sub connection watcher subscribed to "t"
    And a pub/sub connection
    When I send the pub/sub request '{"action":"publish","topic":"t","data":{"name":1,"type":"k"}}'
    Then I receive the error ""data.name" must be a string"
    And nothing more arrives on connection watcher

  @PUBSUB-24
  Scenario: A binary frame answers an error and the connection stays open
    Given a pub/sub connection subscribed to "conformance/binary"
    When I send a binary frame '{"action":"subscribe","topic":"x"}'
    Then I receive the error "binary frames are not supported; send JSON text"
    When I publish '{"name":"n","type":"k","data":"still here"}' to "conformance/binary"
    Then I receive the delivery of '{"name":"n","type":"k","data":"still here"}' on "conformance/binary"
    And I receive the ack "published" for "conformance/binary"

@pubsub
Feature: Pub/sub socket and token checks
  The robot's WebSocket is at /wss with a JWT in the token query parameter. A missing or bad token is
  refused before the upgrade with HTTP 401 and {"error": "<reason>"}. Tokens in a path are written as
  {token} (the scenario's valid token: minted by the simulator, or --token for a robot) or {token:KIND}
  (a crafted one). Kinds that need a valid signature with odd claims are signed with the simulator's
  development secret, which a robot does not share: those scenarios are @sim-only.

  @PUBSUB-11
  Scenario: A valid token in the query string opens the socket at /wss
    When I ask to open the pub/sub socket at "/wss?token={token}"
    Then the HTTP status is 101

  @PUBSUB-11
  Scenario: The token is the first token parameter, wherever it stands
    When I ask to open the pub/sub socket at "/wss?channel=x&token={token}&token=second"
    Then the HTTP status is 101
    When I ask to open the pub/sub socket at "/wss?token=first&token={token}"
    Then the HTTP status is 401
    And the HTTP body is '{"error":"malformed token"}'

  @PUBSUB-11
  Scenario: The token parameter is percent-decoded
    When I ask to open the pub/sub socket at "/wss?token={token:percent-encoded}"
    Then the HTTP status is 101

  @PUBSUB-11
  Scenario Outline: An upgrade at <path> is not found, even with a valid token
    When I ask to open the pub/sub socket at "<path>"
    Then the HTTP status is 404
    And the HTTP body is '{"error":"not found"}'
    And the HTTP body matches the schema "pubsub/http-error"

    Examples:
      | path               |
      | /ws?token={token}  |
      | /?token={token}    |
      | /wss/?token={token} |

  @PUBSUB-15 @PUBSUB-11
  Scenario Outline: <case> is refused with 401 "<reason>" and no upgrade
    When I ask to open the pub/sub socket at "<path>"
    Then the HTTP status is 401
    And the HTTP body is '{"error":"<reason>"}'
    And the HTTP body matches the schema "pubsub/unauthorized"
    And the HTTP header "Content-Type" is "application/json"
    And the HTTP header "WWW-Authenticate" is "Bearer realm="pubsub""

    Examples: absent or unreadable
      | case                            | path                                   | reason                        |
      | no query string                 | /wss                                   | missing token                 |
      | no token parameter              | /wss?tok={token}                       | missing token                 |
      | an empty token                  | /wss?token=                            | missing token                 |
      | text that is no JWT             | /wss?token=not-a-jwt                   | malformed token               |
      | two parts                       | /wss?token={token:two-parts}           | malformed token               |
      | a header that is not JSON       | /wss?token={token:header-not-json}     | malformed token               |
      | a header without alg            | /wss?token={token:header-without-alg}  | malformed token               |
      | a token over 8192 bytes         | /wss?token={token:too-long}            | malformed token               |

    Examples: the wrong algorithm or signature
      | case                            | path                                   | reason                        |
      | alg none                        | /wss?token={token:alg-none}            | algorithm none is not allowed |
      | alg none in another case        | /wss?token={token:alg-NoNe}            | algorithm none is not allowed |
      | HS384                           | /wss?token={token:alg-HS384}           | unexpected algorithm HS384    |
      | RS256                           | /wss?token={token:alg-RS256}           | unexpected algorithm RS256    |
      | a signature by another key      | /wss?token={token:wrong-key}           | invalid signature             |
      | claims changed after signing    | /wss?token={token:tampered}            | invalid signature             |

  @PUBSUB-15 @sim-only
  Scenario Outline: A well-signed token with <case> is refused with 401 "<reason>"
    When I ask to open the pub/sub socket at "/wss?token={token:<kind>}"
    Then the HTTP status is 401
    And the HTTP body is '{"error":"<reason>"}'
    And the HTTP body matches the schema "pubsub/unauthorized"
    And the HTTP header "WWW-Authenticate" is "Bearer realm="pubsub""

    Examples:
      | case                      | kind            | reason              |
      | exp in the past           | expired         | token expired       |
      | exp equal to now          | expiring-now    | token expired       |
      | nbf in the future         | not-yet-valid   | token not yet valid |
      | no exp                    | no-exp          | missing exp claim   |
      | exp as text               | exp-as-text     | malformed token     |
      | sub as a number           | sub-as-number   | malformed token     |
      | claims that are an array  | claims-an-array | malformed token     |

  @PUBSUB-15 @sim-only
  Scenario: nbf equal to now is already valid (no leeway either way)
    When I ask to open the pub/sub socket at "/wss?token={token:valid-from-now}"
    Then the HTTP status is 101

  @PUBSUB-15 @sim-only
  Scenario: A token expires in sim time (iat and exp are whole seconds of the sim's Unix time)
    Given the simulator mints a token valid for 5 s
    When I ask to open the pub/sub socket at "/wss?token={token}"
    Then the HTTP status is 101
    When 3999 ms of device time pass
    And I ask to open the pub/sub socket at "/wss?token={token}"
    Then the HTTP status is 101
    When 1001 ms of device time pass
    And I ask to open the pub/sub socket at "/wss?token={token}"
    Then the HTTP status is 401
    And the HTTP body is '{"error":"token expired"}'

  @PUBSUB-30 @sim-only
  Scenario: The simulator announces a development token for sub "dev", valid 24 hours of sim time
    Then the announced development token is for "dev" and valid for 24 hours
    When I ask to open the pub/sub socket at "/wss?token={token:announced}"
    Then the HTTP status is 101

@pubsub
Feature: The robot: cmd_vel, odometry, battery, diagnostics and the watchdog
  The robot listens on cmd_vel and publishes odom every 100 ms, battery every 1000 ms and diagnostics
  on change, each stamped with the sim millisecond t it describes. "N ms of device time pass" advances the
  simulator's virtual clock, and simply waits on a robot. Scenarios that read or force the simulated robot's state,
  or need exact sim times, are @sim-only; scenarios that make a robot move are @motion.

  @PUBSUB-25
  Scenario: A zero cmd_vel is delivered to cmd_vel subscribers and acknowledged
    Given a pub/sub connection listener subscribed to "cmd_vel"
    And a pub/sub connection
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    And connection listener receives the delivery of '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0,"angular":0}}' on "cmd_vel"

  @PUBSUB-25
  Scenario Outline: A cmd_vel with <case> answers "<reason>" and is delivered to nobody
    Given a pub/sub connection listener subscribed to "cmd_vel"
    And a pub/sub connection
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist"<data>}' to "cmd_vel"
    Then I receive the error "<reason>"
    And nothing more arrives on connection listener

    Examples:
      | case                  | data                                      | reason                                |
      | no data               |                                           | cmd_vel data must be an object        |
      | data that is a list   | ,"data":[0.1,0]                           | cmd_vel data must be an object        |
      | no angular            | ,"data":{"linear":0.1}                    | cmd_vel.angular is missing            |
      | no linear             | ,"data":{"angular":0.1}                   | cmd_vel.linear is missing             |
      | a null linear         | ,"data":{"linear":null,"angular":0}       | cmd_vel.linear is missing             |
      | a text linear         | ,"data":{"linear":"fast","angular":0}     | cmd_vel.linear must be a finite number |
      | a boolean angular     | ,"data":{"linear":0,"angular":true}       | cmd_vel.angular must be a finite number |

  @PUBSUB-25 @sim-only
  Scenario: An invalid cmd_vel changes nothing
    Given a pub/sub connection
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.5}}' to "cmd_vel"
    Then I receive the error "cmd_vel.angular is missing"
    And the simulated robot's "target_linear" is 0 ± 0

  @PUBSUB-25 @PUBSUB-27 @sim-only
  Scenario: cmd_vel is clamped, reached at the acceleration limits, and clamping is reported
    Given a pub/sub connection subscribed to "diagnostics"
    When I subscribe to "odom"
    Then I receive the ack "subscribed" for "odom"
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":3.0,"angular":-5.0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    And I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"warn","name":"cmd_vel","message":"cmd_vel clamped to |linear| <= 1 m/s, |angular| <= 2 rad/s","t":0}}' on "diagnostics"
    And the simulated robot's "target_linear" is 1 ± 0
    And the simulated robot's "target_angular" is -2 ± 0
    When 400 ms of device time pass
    And I collect what has arrived
    Then the collected "odom" deliveries have t = 100 to 400 every 100 ms
    And the collected "odom" delivery at t = 100 has "linear" = 0.05 ± 1e-9
    And the collected "odom" delivery at t = 100 has "angular" = -0.2 ± 1e-9
    And the collected "odom" delivery at t = 400 has "linear" = 0.2 ± 1e-9
    And the collected "odom" delivery at t = 400 has "angular" = -0.8 ± 1e-9
    When I unsubscribe from "odom"
    Then I receive the ack "unsubscribed" for "odom"
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.2,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    And I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"ok","name":"cmd_vel","message":"cmd_vel within limits","t":400}}' on "diagnostics"

  @PUBSUB-26 @sim-only
  Scenario: The watchdog stops the robot 500 ms after the last cmd_vel, once, and reports the resume
    Given a pub/sub connection subscribed to "diagnostics"
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.4,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    When 400 ms of device time pass
    Then the simulated robot's "linear" is 0.2 ± 1e-9
    And the simulated robot's "target_linear" is 0.4 ± 0
    When 2600 ms of device time pass
    And I collect what has arrived
    Then the collected "diagnostics" data are exactly:
      """
      {"level":"warn","name":"watchdog","message":"no cmd_vel for 500 ms; stopping","t":500}
      """
    And the simulated robot's "linear" is 0 ± 0
    And the simulated robot's "target_linear" is 0 ± 0
    And the simulated robot's "x" stays the same while 1000 ms of device time pass
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    And I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"ok","name":"watchdog","message":"cmd_vel resumed","t":4000}}' on "diagnostics"

  @PUBSUB-26 @motion
  Scenario: Without cmd_vel for 500 ms the robot stops once and says so; the next command resumes
    Given a pub/sub connection subscribed to "diagnostics"
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.05,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    When 1500 ms of device time pass
    And I collect what has arrived
    Then the collected "diagnostics" data are, apart from t:
      """
      {"level":"warn","name":"watchdog","message":"no cmd_vel for 500 ms; stopping"}
      """
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    And I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"ok","name":"watchdog","message":"cmd_vel resumed"}}' on "diagnostics", apart from t

  @PUBSUB-26 @sim-only
  Scenario: Commands every 400 ms keep the watchdog quiet
    Given a pub/sub connection subscribed to "diagnostics"
    When I keep publishing '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.3,"angular":0}}' to "cmd_vel" every 400 ms while 4000 ms of device time pass
    And I collect what has arrived
    Then nothing was collected
    And the simulated robot's "linear" is 0.3 ± 1e-9

  @PUBSUB-27 @sim-only
  Scenario: odom every 100 ms and battery every 1000 ms of sim time, nothing before the clock moves
    Given a pub/sub connection subscribed to "odom"
    When I subscribe to "battery"
    Then I receive the ack "subscribed" for "battery"
    When I wait 300 ms of real time
    And I collect what has arrived
    Then nothing was collected
    When 2000 ms of device time pass
    And I collect what has arrived
    Then the collected "odom" deliveries have t = 100 to 2000 every 100 ms
    And the collected "battery" deliveries have t = 1000 to 2000 every 1000 ms
    And the collected "odom" delivery at t = 2000 has "x" = 0 ± 0

  @PUBSUB-27 @sim-only
  Scenario: Publications due before a request is handled arrive before its reply
    Given a pub/sub connection subscribed to "odom"
    When 250 ms of device time pass
    And I subscribe to "conformance/after"
    Then I receive the delivery of '{"name":"odom","type":"nav_msgs/Odometry","data":{"x":0.0,"y":0.0,"theta":0.0,"linear":0.0,"angular":0.0,"t":100}}' on "odom"
    And I receive the delivery of '{"name":"odom","type":"nav_msgs/Odometry","data":{"x":0.0,"y":0.0,"theta":0.0,"linear":0.0,"angular":0.0,"t":200}}' on "odom"
    And I receive the ack "subscribed" for "conformance/after"

  @PUBSUB-27 @PUBSUB-28
  Scenario: The robot reports odom at 10 Hz and its battery at 1 Hz
    Given a pub/sub connection subscribed to "odom"
    When I subscribe to "battery"
    Then I receive the ack "subscribed" for "battery"
    When 2500 ms of device time pass
    And I collect what has arrived
    Then at least 20 "odom" deliveries were collected, 100 ms apart
    And at least 2 "battery" deliveries were collected, 1000 ms apart
    And every collected "battery" voltage is 10.5 V + 2.1 V × percentage / 100

  @PUBSUB-28 @sim-only
  Scenario: At rest the battery drains 0.01 % per second
    Given a pub/sub connection subscribed to "battery"
    When 100000 ms of device time pass
    And I collect what has arrived
    Then the collected "battery" delivery at t = 100000 has "percentage" = 99 ± 1e-6
    And the collected "battery" delivery at t = 100000 has "voltage" = 12.579 ± 1e-6

  @PUBSUB-28 @sim-only
  Scenario: Turning drains 0.02 % per second more per rad/s
    Given a pub/sub connection subscribed to "battery"
    When I keep publishing '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0,"angular":2}}' to "cmd_vel" every 400 ms while 10000 ms of device time pass
    And I collect what has arrived
    Then the collected "battery" delivery at t = 10000 has "percentage" = 99.52 ± 1e-4

  @PUBSUB-28 @sim-only
  Scenario: A low battery warns, an empty one disables the motors, a charged one is ok again
    Given a pub/sub connection subscribed to "diagnostics"
    When the simulator runs "pubsub" command "battery" with '{"percentage": 19.5}'
    Then I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"warn","name":"battery","message":"battery below 20%","t":0}}' on "diagnostics"
    When the simulator runs "pubsub" command "battery" with '{"percentage": 0}'
    Then I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"error","name":"battery","message":"battery empty; motors disabled","t":0}}' on "diagnostics"
    When I publish '{"name":"cmd_vel","type":"geometry_msgs/Twist","data":{"linear":0.5,"angular":0}}' to "cmd_vel"
    Then I receive the ack "published" for "cmd_vel"
    When 300 ms of device time pass
    Then the simulated robot's "linear" is 0 ± 0
    And the simulated robot's "target_linear" is 0 ± 0
    When the simulator runs "pubsub" command "battery" with '{"percentage": 80}'
    Then I receive the delivery of '{"name":"diagnostics","type":"diagnostic_msgs/DiagnosticStatus","data":{"level":"ok","name":"battery","message":"battery ok","t":300}}' on "diagnostics"

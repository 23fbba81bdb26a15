@xarm
Feature: xArm kinematics
  The reported TCP pose is the forward kinematics (UFACTORY's modified DH tables) of the reported joints,
  with the TCP offset applied, for every model.

  @XARM-10 @XARM-4 @XARM-13 @sim-only
  Scenario Outline: The TCP pose is the forward kinematics of the joints on an <model>
    Given the simulated xArm is a <model>
    And an xArm connection
    When I send the xArm command "xarm_move_joint" as "m" with '<joints>'
    Then the xArm answers "m" with code 100
    When I watch the xArm until the final answer to "m"
    Then the final xArm answer to "m" is code 0
    And every xArm report during the motion has the TCP pose at the forward kinematics of its joints
    And every xArm report during the motion has its joints within the model's limits
    And the xArm TCP pose is at the forward kinematics of its joints
    And the xArm joints are at <degrees> within 0.001 deg

    Examples:
      | model | joints                                                                 | degrees                       |
      | xarm5 | {"I": 40, "J": -30, "K": -60, "L": 20, "M": 50}                        | 40, -30, -60, 20, 50          |
      | xarm6 | {"I": 40, "J": -30, "K": -60, "L": 20, "M": 50, "N": -45}              | 40, -30, -60, 20, 50, -45     |
      | xarm7 | {"I": 40, "J": -30, "K": 25, "L": 60, "M": -20, "N": 45, "O": 30}      | 40, -30, 25, 60, -20, 45, 30  |
      | lite6 | {"I": 40, "J": 30, "K": 60, "L": 20, "M": -50, "N": 45}                | 40, 30, 60, 20, -50, 45       |

  @XARM-10
  Scenario: At rest the TCP pose is the forward kinematics of the joints
    Given an xArm connection
    Then the xArm TCP pose is at the forward kinematics of its joints

  @XARM-26 @XARM-10 @sim-only
  Scenario: A TCP offset is echoed and applied to the pose
    Given an xArm connection
    And the simulator runs "xarm" command "tcp_offset" with '{"offset": [0, 0, 100, 0, 0, 30]}'
    Then the next xArm status report has "xarm_tcp_offset" equal to '[0, 0, 100, 0, 0, 30]'
    And the xArm TCP pose is at the forward kinematics of its joints
    And the xArm TCP pose is at [207, 0, 12, 180, 0, -30] within 0.001 mm and 0.001 deg

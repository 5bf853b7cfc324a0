"""Start ab_bridge_node.

    ros2 launch ab_bridge bridge.launch.py
    ros2 launch ab_bridge bridge.launch.py config:=/path/to/my_robot.yaml \
        namespace:=arm joint_states:=/robot/joint_states \
        joint_trajectory:=/arm_controller/joint_trajectory

Defaults live in the node and in config/bridge.yaml, never here: this file
only passes through what the user gives. The brain's API key is read by the
node from the environment (AB_API_KEY by default) or a .env file, never from
a launch argument.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    args = [
        DeclareLaunchArgument(
            "config",
            default_value=PathJoinSubstitution(
                [FindPackageShare("ab_bridge"), "config", "bridge.yaml"]
            ),
            description="The bridge's YAML configuration file.",
        ),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node."),
        DeclareLaunchArgument("log_level", default_value="info", description="debug, info, warn or error."),
        DeclareLaunchArgument(
            "joint_states", default_value="joint_states", description="Topic the robot publishes its sensor_msgs/JointState on."
        ),
        DeclareLaunchArgument(
            "joint_trajectory",
            default_value="joint_trajectory",
            description="Topic the robot's trajectory controller listens on (trajectory_msgs/JointTrajectory).",
        ),
    ]
    node = Node(
        package="ab_bridge",
        executable="ab_bridge_node",
        name="ab_bridge",
        namespace=LaunchConfiguration("namespace"),
        parameters=[{"config": LaunchConfiguration("config")}],
        remappings=[
            ("joint_states", LaunchConfiguration("joint_states")),
            ("joint_trajectory", LaunchConfiguration("joint_trajectory")),
        ],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        output="screen",
        emulate_tty=True,
    )
    return LaunchDescription(args + [node])

"""A Gazebo Harmonic arm under ros2_control, driven by ab_bridge.

UNTESTED HERE: Gazebo and ros2_control cannot be installed where this
repository is tested. Its configuration is checked by tests
(internal/config/gazebo_example_test.go, test/gazebo_example_test.go), the
simulation never ran there. See README.md, "With Gazebo (untested here)".

    ros2 launch examples/gazebo_arm/launch/gazebo_arm.launch.py
    ros2 launch examples/gazebo_arm/launch/gazebo_arm.launch.py \
        brain_url:=https://app.artificialbrains.ai/api project:=my_project

Starts Gazebo (ros_gz_sim, an empty world), robot_state_publisher with the
arm of urdf/arm.urdf.xacro, spawns it (its gz_ros2_control plugin runs the
controller manager with config/controllers.yaml), a /clock bridge, then
joint_state_broadcaster, then joint_trajectory_controller, and once that
controller is up, ab_bridge (its own launch file, bridge.launch.py of the
installed ab_bridge package) with its topics remapped onto the controllers'.
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import Command, FindExecutable, LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

# The example's files are found beside this one, so it runs from a checkout
# as well as from wherever it is copied or installed.
EXAMPLE = Path(__file__).resolve().parent.parent
CONTROLLERS = EXAMPLE / "config" / "controllers.yaml"
URDF = EXAMPLE / "urdf" / "arm.urdf.xacro"

# The controller names of config/controllers.yaml. The trajectory controller
# subscribes ~/joint_trajectory, i.e. /<its name>/joint_trajectory; the
# broadcaster publishes /joint_states.
TRAJECTORY_CONTROLLER = "joint_trajectory_controller"
STATE_BROADCASTER = "joint_state_broadcaster"


def generate_launch_description():
    args = [
        DeclareLaunchArgument(
            "bridge_config",
            default_value=str(EXAMPLE / "config" / "bridge.yaml"),
            description="The bridge's configuration for this arm.",
        ),
        DeclareLaunchArgument("brain_url", default_value="", description="Passed to ab_bridge. Empty: the config's (local)."),
        DeclareLaunchArgument("project", default_value="", description="Passed to ab_bridge. Empty: the config's (demo)."),
    ]

    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([FindPackageShare("ros_gz_sim"), "launch", "gz_sim.launch.py"])),
        launch_arguments=[("gz_args", " -r -v 3 empty.sdf")],
    )
    # The URDF's string must stay a string (not read as YAML).
    robot_description = ParameterValue(
        Command([FindExecutable(name="xacro"), " ", str(URDF), " controllers:=", str(CONTROLLERS)]), value_type=str
    )
    state_publisher = Node(
        package="robot_state_publisher",
        executable="robot_state_publisher",
        output="screen",
        parameters=[{"robot_description": robot_description, "use_sim_time": True}],
    )
    spawn = Node(
        package="ros_gz_sim",
        executable="create",
        output="screen",
        arguments=["-topic", "robot_description", "-name", "ab_arm", "-allow_renaming", "true"],
    )
    clock = Node(
        package="ros_gz_bridge",
        executable="parameter_bridge",
        output="screen",
        arguments=["/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock"],
    )
    broadcaster = Node(package="controller_manager", executable="spawner", arguments=[STATE_BROADCASTER])
    trajectory_controller = Node(
        package="controller_manager",
        executable="spawner",
        arguments=[TRAJECTORY_CONTROLLER, "--param-file", str(CONTROLLERS)],
    )
    bridge = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(PathJoinSubstitution([FindPackageShare("ab_bridge"), "launch", "bridge.launch.py"])),
        launch_arguments={
            "config": LaunchConfiguration("bridge_config"),
            "brain_url": LaunchConfiguration("brain_url"),
            "project": LaunchConfiguration("project"),
            "use_sim_time": "true",
            "joint_states": "/joint_states",
            "joint_trajectory": f"/{TRAJECTORY_CONTROLLER}/joint_trajectory",
        }.items(),
    )

    return LaunchDescription(
        args
        + [
            gazebo,
            state_publisher,
            clock,
            spawn,
            # The controller manager exists once the arm is spawned; the
            # bridge starts once the controller it publishes to is active.
            RegisterEventHandler(OnProcessExit(target_action=spawn, on_exit=[broadcaster])),
            RegisterEventHandler(OnProcessExit(target_action=broadcaster, on_exit=[trajectory_controller])),
            RegisterEventHandler(OnProcessExit(target_action=trajectory_controller, on_exit=[bridge])),
        ]
    )

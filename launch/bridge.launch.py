"""Start ab_bridge_node.

    ros2 launch ab_bridge bridge.launch.py
    ros2 launch ab_bridge bridge.launch.py config:=/path/to/my_robot.yaml \
        namespace:=arm joint_states:=/robot/joint_states \
        joint_trajectory:=/arm_controller/joint_trajectory
    ros2 launch ab_bridge bridge.launch.py --show-args

Defaults live in the node and in config/bridge.yaml, never here: every
argument but config is empty by default, and an empty argument passes
nothing, so the node's own default (or the YAML's value) applies. The
brain's API key is read by the node from the environment (AB_API_KEY by
default), a .env file or a key file, never from a launch argument.

Which parameters and remaps come from which arguments is decided by
node_settings(), a plain function of the argument values, so that it can be
checked without launch installed (test/launch_test.go loads this file with a
stand-in for launch and launch_ros).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

# (launch argument, topic the node uses): an argument given remaps the
# topic. gripper and cmd_vel are the topics of gripper and base commands;
# the camera and audio topics are those of the default config's inputs
# (a config with other input topics is remapped with --ros-args -r, or by
# naming the topics in the config).
REMAPS = (
    ("joint_states", "joint_states"),
    ("joint_trajectory", "joint_trajectory"),
    ("gripper", "gripper"),
    ("cmd_vel", "cmd_vel"),
    ("camera", "camera/image_raw"),
    ("audio", "audio/pcm"),
)

# Every argument, in the order declared.
ARGUMENT_NAMES = ("config", "namespace", "node_name", "use_sim_time", "log_level", "brain_url", "project") + tuple(
    arg for arg, _ in REMAPS
)

LOG_LEVELS = ["", "debug", "info", "warn", "error", "fatal"]
BOOLEANS = ["", "true", "false"]


def declared_arguments():
    """The launch arguments, each with its description; only config has a default."""
    args = [
        DeclareLaunchArgument(
            "config",
            default_value=PathJoinSubstitution([FindPackageShare("ab_bridge"), "config", "bridge.yaml"]),
            description="The bridge's YAML configuration file (config/bridge.yaml documents every key).",
        ),
        DeclareLaunchArgument("namespace", default_value="", description="Namespace of the node. Empty: none."),
        DeclareLaunchArgument("node_name", default_value="", description="Name of the node. Empty: the node's own (ab_bridge)."),
        DeclareLaunchArgument(
            "use_sim_time",
            default_value="",
            choices=BOOLEANS,
            description="The use_sim_time parameter (true under Gazebo). Empty: not set.",
        ),
        DeclareLaunchArgument(
            "log_level", default_value="", choices=LOG_LEVELS, description="The node's log level. Empty: info."
        ),
        DeclareLaunchArgument(
            "brain_url",
            default_value="",
            description="Overrides brain.url of the config: local, or the API base URL. Empty: the config's.",
        ),
        DeclareLaunchArgument(
            "project", default_value="", description="Overrides brain.project of the config. Empty: the config's."
        ),
    ]
    for arg, topic in REMAPS:
        args.append(
            DeclareLaunchArgument(arg, default_value="", description=f"Remaps the node's topic {topic} to this one. Empty: no remap.")
        )
    return args


def node_settings(values):
    """The Node keyword arguments for the launch argument values (strings).

    An empty value passes nothing. Parameters go in one dict, which
    launch_ros writes to a parameters file keyed by the node's name; the
    config's brain URL and project are overridden only when given.
    """
    if set(values) != set(ARGUMENT_NAMES):
        raise ValueError(f"launch arguments: want {sorted(ARGUMENT_NAMES)}, got {sorted(values)}")
    if not values["config"]:
        raise ValueError("launch argument config is empty: name the bridge's YAML configuration file")
    params = {"config": values["config"]}
    if values["brain_url"]:
        params["brain.url"] = values["brain_url"]
    if values["project"]:
        params["brain.project"] = values["project"]
    if values["use_sim_time"]:
        if values["use_sim_time"] not in BOOLEANS:
            raise ValueError(f"launch argument use_sim_time: want true or false, got {values['use_sim_time']!r}")
        params["use_sim_time"] = values["use_sim_time"] == "true"
    settings = {
        "parameters": [params],
        "remappings": [(topic, values[arg]) for arg, topic in REMAPS if values[arg]],
    }
    if values["node_name"]:
        settings["name"] = values["node_name"]
    if values["namespace"]:
        settings["namespace"] = values["namespace"]
    if values["log_level"]:
        if values["log_level"] not in LOG_LEVELS:
            raise ValueError(f"launch argument log_level: want one of {LOG_LEVELS[1:]}, got {values['log_level']!r}")
        settings["ros_arguments"] = ["--log-level", values["log_level"]]
    return settings


def _bridge_node(context):
    # An OpaqueFunction, because what is passed depends on whether an
    # argument is empty, which substitutions cannot express.
    values = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENT_NAMES}
    return [
        Node(
            package="ab_bridge",
            executable="ab_bridge_node",
            output="screen",
            emulate_tty=True,
            **node_settings(values),
        )
    ]


def generate_launch_description():
    return LaunchDescription(declared_arguments() + [OpaqueFunction(function=_bridge_node)])

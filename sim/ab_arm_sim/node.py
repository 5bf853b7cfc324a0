"""The rclpy node ``ab_arm_sim``: the MuJoCo arm on a ROS 2 graph.

Publishes ``sensor_msgs/JointState`` on ``joint_states`` and the overhead
camera as ``sensor_msgs/Image`` (rgb8) on ``camera/image_raw``, follows
``trajectory_msgs/JointTrajectory`` from ``joint_trajectory`` for the arm's
joints, and the gripper's position from ``gripper`` (``std_msgs/Float64MultiArray``,
one value: what a forward position controller for the one gripper joint takes
on its ``~/commands``); all remappable with ``--ros-args -r``. joint_states
carries the gripper joint after the arm's; trajectories name the arm's
joints only (the gripper is a separate controller). Physics runs at the model's 500 Hz, stepped in chunks
to wall-clock time on every publish tick; the camera renders on its own thread.

Each trajectory is checked as a stock joint_trajectory_controller (Jazzy,
default parameters) checks it (trajectory.check); a refused one is counted,
its reason logged (rate-limited per rule) and not followed. The counts are on
every status line (print_hz) and on the line TRAJECTORIES_LINE + JSON printed
at exit; TRACKING_LINE + JSON then says, per joint, how far the setpoint and
the position got from the start and the largest setpoint-position gap.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from typing import Sequence

import rclpy
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import SingleThreadedExecutor
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray
from trajectory_msgs.msg import JointTrajectory

from .arm import Arm
from .camera import CameraThread
from .trajectory import Follower, Tally, TrajectoryRefused, build_plan, from_msg

NODE_NAME = "ab_arm_sim"
READY_LINE = "arm sim ready"
CAMERA_LINE = "camera publishing"
# Printed once at exit, followed by the trajectory tally as JSON.
TRAJECTORIES_LINE = "arm sim trajectories"
TRACKING_LINE = "arm sim tracking"
# Printed once at exit, followed by the gripper command counts as JSON.
GRIPPER_LINE = "arm sim gripper commands"
CAMERA_TOPIC = "camera/image_raw"
CAMERA_FRAME = "overhead_camera"
# After a stall (a suspended process, a slow machine) the arm catches up at
# most this much simulated time at once and drops the rest, so one late tick
# never turns into a burst of thousands of steps.
MAX_CATCH_UP_S = 0.25


class ConfigError(ValueError):
    """A parameter value the sim cannot start with."""


class ArmSimNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        initial = self._float_list_param(
            "initial_positions", [0.0, 0.0], "joint positions (rad) at start, in model joint order"
        )
        rate_hz = self._float_param("rate_hz", 100.0, "joint_states publish rate (Hz), 0 < rate <= 500")
        print_hz = self._float_param(
            "print_hz", 0.0, "status lines (joint positions, trajectory counts) printed to stdout per second (0 = off)"
        )
        initial_gripper = self._float_param("initial_gripper", 0.04, "gripper opening (m) at start, 0 (closed) to 0.04")
        camera_hz = self._float_param("camera_hz", 15.0, "camera frames per second (0 = no camera)")
        camera_size = (
            self._int_param("camera_width", 640, "camera image width (pixels)"),
            self._int_param("camera_height", 480, "camera image height (pixels)"),
        )
        if not 0 < rate_hz <= 500:
            raise ConfigError(f"rate_hz is {rate_hz}, must be in (0, 500]")
        if not 0 <= camera_hz <= 60:
            raise ConfigError(f"camera_hz is {camera_hz}, must be in [0, 60]")
        if not all(1 <= v <= 4096 for v in camera_size):
            raise ConfigError(f"camera size is {camera_size[0]}x{camera_size[1]}, each side must be in [1, 4096]")
        if print_hz < 0:
            raise ConfigError(f"print_hz is {print_hz}, must be >= 0")
        try:
            self._arm = Arm(initial, gripper=initial_gripper)
        except ValueError as e:
            raise ConfigError(f"initial_positions/initial_gripper: {e}") from e

        self._follower = Follower(initial)
        # How far each joint's setpoint and position got from the start, and
        # how far the position ever was from the setpoint: printed at exit
        # (TRACKING_LINE), so a test can tell an arm that followed a small
        # move from one that ignored a large one.
        self._initial = list(initial)
        self._tracking = {j: {"commanded": 0.0, "reached": 0.0, "max_error": 0.0} for j in self._arm.joints}
        self._limits = self._arm.limits
        self._tally = Tally()
        self._dropped_steps = 0
        self._steps = 0
        self._ready = False
        self._print_every = 1.0 / print_hz if print_hz > 0 else 0.0
        self._next_print = 0.0
        self._t0_ns = self.get_clock().now().nanoseconds
        self._mono0 = time.monotonic()

        self._publisher = self.create_publisher(JointState, "joint_states", 10)
        self.create_subscription(JointTrajectory, "joint_trajectory", self._on_trajectory, 10)
        # Gripper commands taken and refused (a wrong size or a non-finite value).
        self._gripper_commands = {"accepted": 0, "refused": 0}
        self.create_subscription(Float64MultiArray, "gripper", self._on_gripper, 10)
        self.create_timer(1.0 / rate_hz, self._tick)
        # What the camera shows: replaced whole after each tick, so the camera
        # thread reads a consistent pose without a lock.
        self._shown = list(self._arm.data.qpos)
        self._camera = None
        if camera_hz > 0:
            self._image_pub = self.create_publisher(Image, CAMERA_TOPIC, 2)
            self._camera = CameraThread(
                self._arm.model, *camera_size, camera_hz,
                positions=lambda: self._shown,
                publish=self._publish_image,
                on_error=lambda msg: self.get_logger().error(msg),
            )
            self._camera.start()
        self.get_logger().info(
            f"joints {self._arm.joints}, physics {1 / self._arm.timestep:.0f} Hz, "
            f"publishing {rate_hz:g} Hz, initial {initial}, "
            + (f"camera {camera_size[0]}x{camera_size[1]} at {camera_hz:g} Hz" if self._camera else "no camera")
        )

    def _float_param(self, name: str, default: float, description: str) -> float:
        value = self._declare(name, default, description)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} is {value!r}, must be a number")
        return float(value)

    def _int_param(self, name: str, default: int, description: str) -> int:
        value = self._declare(name, default, description)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} is {value!r}, must be an integer")
        return value

    def _float_list_param(self, name: str, default: list[float], description: str) -> list[float]:
        value = self._declare(name, default, description)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(f"{name} is {value!r}, must be a list of numbers")
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
            raise ConfigError(f"{name} is {list(value)!r}, must be a list of numbers")
        return [float(v) for v in value]

    def _declare(self, name: str, default, description: str):
        # Dynamic typing lets "-p initial_positions:=[0,1]" (integers) through;
        # the value is checked and converted by the caller.
        descriptor = ParameterDescriptor(description=description, dynamic_typing=True)
        return self.declare_parameter(name, default, descriptor).value

    def _now(self) -> float:
        """Seconds on the node's clock since the sim started."""
        return (self.get_clock().now().nanoseconds - self._t0_ns) * 1e-9

    def _tick(self) -> None:
        self._step_to_wall_clock()
        self._shown = list(self._arm.data.qpos)
        self._publish()
        if not self._ready:
            self._ready = True
            print(READY_LINE, flush=True)
        self._print_positions()

    def _step_to_wall_clock(self) -> None:
        dt = self._arm.timestep
        due = int((time.monotonic() - self._mono0) / dt)
        n = due - self._steps
        limit = int(MAX_CATCH_UP_S / dt)
        if n > limit:
            self._dropped_steps += n - limit
            self.get_logger().warning(
                f"physics fell {(n - limit) * dt:.3f} s behind wall clock; skipped "
                f"(total skipped {self._dropped_steps * dt:.3f} s)"
            )
            n = limit
        now = self._now()
        for i in range(n):
            t = now - (n - 1 - i) * dt
            setpoints = self._follower.setpoints(t, self._arm.positions(), self._arm.velocities())
            self._arm.command(setpoints)
            self._arm.step()
            self._track(setpoints)
        self._steps = due

    def _track(self, setpoints) -> None:
        for j, start, want, got in zip(self._arm.joints, self._initial, setpoints, self._arm.positions()):
            tr = self._tracking[j]
            tr["commanded"] = max(tr["commanded"], abs(want - start))
            tr["reached"] = max(tr["reached"], abs(got - start))
            tr["max_error"] = max(tr["max_error"], abs(want - got))

    def _publish(self) -> None:
        msg = JointState()
        msg.header.stamp = self.get_clock().now().to_msg()
        g_pos, g_vel, g_eff = self._arm.gripper_state()
        msg.name = list(self._arm.joints) + [self._arm.gripper]
        msg.position = self._arm.positions() + [g_pos]
        msg.velocity = self._arm.velocities() + [g_vel]
        msg.effort = self._arm.efforts() + [g_eff]
        self._publisher.publish(msg)

    def _publish_image(self, rgb) -> None:
        """Called on the camera thread with a height×width×3 uint8 frame."""
        msg = Image()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = CAMERA_FRAME
        msg.height, msg.width = int(rgb.shape[0]), int(rgb.shape[1])
        msg.encoding = "rgb8"
        msg.step = msg.width * 3
        msg.data = rgb.tobytes()
        self._image_pub.publish(msg)
        if self._camera.frames == 0:
            print(f"{CAMERA_LINE} {CAMERA_TOPIC} {msg.width}x{msg.height}", flush=True)

    def stop_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()

    def _print_positions(self) -> None:
        if not self._print_every:
            return
        now = self._now()
        if now < self._next_print:
            return
        self._next_print = now + self._print_every
        joints = " ".join(f"{n}={p:+.3f}" for n, p in zip(self._arm.joints, self._arm.positions()))
        joints += f" {self._arm.gripper}={self._arm.gripper_state()[0]:+.4f}"
        print(f"t={now:7.2f}s {joints} accepted={self._tally.accepted} refused={self._tally.refused}", flush=True)

    def print_tally(self) -> None:
        print(f"{TRAJECTORIES_LINE} {json.dumps(self._tally.summary())}", flush=True)
        print(f"{GRIPPER_LINE} {json.dumps(self._gripper_commands)}", flush=True)
        print(f"{TRACKING_LINE} {json.dumps(self._tracking)}", flush=True)

    def _on_gripper(self, msg: Float64MultiArray) -> None:
        # As forward_command_controller checks its commands: one value per
        # controller joint (here one), else the message is ignored with an
        # error; a non-finite value is refused too (a stand-in rule: it
        # would reach the actuator).
        data = list(msg.data)
        if len(data) != 1 or not math.isfinite(data[0]):
            self._gripper_commands["refused"] += 1
            self.get_logger().error(f"gripper command refused: {data!r} is not one finite value")
            return
        self._gripper_commands["accepted"] += 1
        self._arm.command_gripper(data[0])

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        try:
            self._accept(msg)
        except TrajectoryRefused as e:
            self._refuse(e)
        except Exception as e:  # a message must never take the sim down
            self._refuse(TrajectoryRefused("internal_error", f"{type(e).__name__}: {e}"))

    def _refuse(self, err: TrajectoryRefused) -> None:
        line = self._tally.refuse(err, self._now())
        if line is not None:
            self.get_logger().error(line)

    def _accept(self, msg: JointTrajectory) -> None:
        traj = from_msg(msg)
        plan, warnings = build_plan(traj, self._arm.joints, self._limits, self.get_clock().now().nanoseconds)
        # A zero stamp starts the trajectory at its first sample, as the controller does.
        start = (traj.stamp_ns - self._t0_ns) * 1e-9 if traj.stamp_ns else None
        for w in warnings:
            self.get_logger().warning(w)
        self._follower.replace(plan, start)
        self._tally.accept()
        self.get_logger().debug(f"following {len(plan.times)} point(s) over {plan.times[-1]:.3f} s")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    try:
        extra = remove_ros_args(argv)[1:]
    except _rclpy.RCLInvalidROSArgsError as e:
        print(f"{NODE_NAME}: bad --ros-args: {e}", file=sys.stderr)
        return 2
    if extra:
        print(f"{NODE_NAME}: unexpected argument(s) {extra}; settings go in --ros-args -p", file=sys.stderr)
        return 2
    # Our own handlers instead of rclpy's: rclpy's invalidate the context at
    # once, so a tick already running fails to publish and the sim exits with
    # a traceback. Here the loop just stops between callbacks.
    rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        node = ArmSimNode()
    except ConfigError as e:
        print(f"{NODE_NAME}: {e}", file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.1)
    finally:
        node.print_tally()
        node.stop_camera()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0

"""rclpy robot for the bridge-vs-anchor benchmark: a 2-joint arm that
publishes /joint_states at --hz and follows /joint_trajectory.

Each trajectory's receipt wall clock (time.time_ns, taken first thing in
the callback) is printed as "RX <ns> ok" or "RX <ns> <rule>" when the
controller contract (the sim's checker) refuses it; an accepted one moves
the arm to its last point at once. One robot serves the bridges measured
one after the other, so it reports as it goes and runs until stopped
(SIGINT). "robot ready" is printed once its topics exist.
"""

import argparse
import sys
import time
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory

# One implementation of the controller contract for every stand-in robot: the sim's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sim.ab_arm_sim.trajectory import TrajectoryRefused, check, from_msg  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hz", type=float, default=100.0)
    ap.add_argument("--joints", default="shoulder,elbow", help="the controller's joints, comma-separated")
    a = ap.parse_args()
    joints = a.joints.split(",")
    q = [0.0] * len(joints)
    rclpy.init()
    node = Node("ab_bench_robot")
    states = node.create_publisher(JointState, "/joint_states", 10)

    def publish_state():
        msg = JointState()
        msg.header.stamp = node.get_clock().now().to_msg()
        msg.name = joints
        msg.position = list(q)
        msg.velocity = [0.0] * len(joints)
        states.publish(msg)

    def on_traj(msg):
        now = time.time_ns()
        try:
            traj = from_msg(msg)
            check(traj, joints, node.get_clock().now().nanoseconds)
        except TrajectoryRefused as e:
            print("RX", now, e.rule, flush=True)
            return
        last = traj.points[-1].positions
        for name, pos in zip(traj.joint_names, last):
            q[joints.index(name)] = pos
        print("RX", now, "ok", flush=True)

    node.create_timer(1.0 / a.hz, publish_state)
    # Reliable, as a stock joint_trajectory_controller subscribes.
    node.create_subscription(JointTrajectory, "/joint_trajectory", on_traj,
                             QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
    print("robot ready", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
